/* logring.c - the broker's log ring buffer (eddy dmesg): the newest
 * log-ring-size entries.  It grows on demand up to that size, so a quiet
 * virtual broker costs a few entries, not the whole ring.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/broker/broker_impl.h"

static int grow (eddy_broker_t *b)
{
    uint32_t cap = b->ring_cap ? b->ring_cap * 2 : 4; /* a leaf broker logs 3 lines booting */
    if (cap > b->ring_size)
        cap = b->ring_size;
    struct logent *p = malloc (cap * sizeof (*p));
    if (!p)
        return -1;
    for (uint32_t i = 0; i < b->ring_count; i++)
        p[i] = b->ring[(b->ring_head + i) % b->ring_cap];
    free (b->ring);
    b->ring = p;
    b->ring_cap = cap;
    b->ring_head = 0;
    return 0;
}

void logring_append (eddy_broker_t *b, int level, const char *name, const char *text)
{
    struct logent *e;

    if (!b->ring_size)
        b->ring_size = 1024;
    if (b->ring_count == b->ring_cap && b->ring_cap < b->ring_size && grow (b) < 0)
        return;
    if (b->ring_cap == 0)
        return;
    if (b->ring_count == b->ring_cap) {
        /* full: drop the oldest */
        e = &b->ring[b->ring_head];
        free (e->name); /* and e->text, in the same block */
        b->ring_head = (b->ring_head + 1) % b->ring_cap;
        b->ring_count--;
    }
    /* name and text in one block: one allocation per entry, for a
     * million virtual brokers logging their joins */
    if (!name)
        name = "";
    if (!text)
        text = "";
    size_t nl = strlen (name) + 1, tl = strlen (text) + 1;
    char *p = malloc (nl + tl);
    if (!p)
        return;
    memcpy (p, name, nl);
    memcpy (p + nl, text, tl);
    e = &b->ring[(b->ring_head + b->ring_count) % b->ring_cap];
    b->ring_count++;
    e->seq = b->log_seq++;
    e->timestamp = eddy_reactor_wallclock (b->r);
    e->level = level;
    e->name = p;
    e->text = p + nl;
}

const struct logent *logring_get (eddy_broker_t *b, uint32_t i)
{
    if (i >= b->ring_count)
        return NULL;
    return &b->ring[(b->ring_head + i) % b->ring_cap];
}

json_t *logring_entry_json (eddy_broker_t *b, const struct logent *e)
{
    if (!e)
        return NULL;
    return json_pack ("{s:i s:f s:i s:i s:s s:s}", "seq", (json_int_t)e->seq, "timestamp",
                      e->timestamp, "level", e->level, "rank", (json_int_t)b->rank, "name",
                      e->name ? e->name : "", "message", e->text ? e->text : "");
}

void logring_clear (eddy_broker_t *b)
{
    for (uint32_t i = 0; i < b->ring_count; i++) {
        struct logent *e = (struct logent *)logring_get (b, i);
        free (e->name); /* and e->text */
    }
    b->ring_count = 0;
    b->ring_head = 0;
}
