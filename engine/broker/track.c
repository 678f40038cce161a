/* track.c - the requests this broker sent to an overlay peer and that
 * are still waiting for their answer.
 *
 * A request forwarded to a child or to the parent is remembered, by its
 * route and matchtag, until that peer sends its response back (for a
 * streaming request, its last one: an error, ENODATA included).  When
 * the peer is gone (lost, disconnected, left, or restarted under this
 * broker), nothing will ever answer what is still out there, so this
 * broker answers each with EHOSTUNREACH.  Without it a sender waits
 * forever: the scheduler waited for R after a rank was disconnected
 * while the resource module was asking it for its cores.
 *
 * Requests that want no response are not remembered.  The entries are
 * kept in the order sent, so the failures go out in that order
 * (DESIGN.md contract 4: nothing depends on hash order).
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/broker/broker_impl.h"
#include "engine/util/u64map.h"

struct tracked {
    uint64_t key;
    uint32_t peer;
    eddy_msg_t *req;             /* a copy without its payload */
    struct tracked *same;        /* the next entry of the same key */
    struct tracked *prev, *next; /* every entry, in the order sent */
};

struct broker_track {
    eddy_u64map_t *map; /* key -> the first entry of that key */
    struct tracked *head, *tail;
    size_t count;
};

static void unlink_entry (struct broker_track *t, struct tracked *e)
{
    struct tracked *first = eddy_u64map_get (t->map, e->key);
    if (first == e) {
        /* removed first, the put that follows cannot need to grow */
        (void)eddy_u64map_remove (t->map, e->key);
        if (e->same)
            (void)eddy_u64map_put (t->map, e->key, e->same);
    } else {
        struct tracked *p = first;
        while (p && p->same != e)
            p = p->same;
        if (p)
            p->same = e->same;
    }
    if (e->prev)
        e->prev->next = e->next;
    else
        t->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        t->tail = e->prev;
    t->count--;
}

static void entry_free (struct tracked *e)
{
    if (e) {
        eddy_msg_decref (e->req);
        free (e);
    }
}

static struct broker_track *get_track (eddy_broker_t *b)
{
    if (!b->track) {
        struct broker_track *t = calloc (1, sizeof (*t));
        if (!t || !(t->map = eddy_u64map_create ())) {
            free (t);
            return NULL;
        }
        b->track = t;
    }
    return b->track;
}

void *broker_track_add (eddy_broker_t *b, uint32_t peer, const eddy_msg_t *req)
{
    struct broker_track *t;
    struct tracked *e;

    if (eddy_msg_flags (req) & EDDY_MSGFLAG_NORESPONSE)
        return NULL;
    if (!(t = get_track (b)) || !(e = calloc (1, sizeof (*e))))
        return NULL;
    if (!(e->req = eddy_msg_copy (req, false))) {
        free (e);
        return NULL;
    }
    e->key = eddy_msg_route_hash (req);
    e->peer = peer;
    e->same = eddy_u64map_get (t->map, e->key);
    if (eddy_u64map_put (t->map, e->key, e) < 0) {
        entry_free (e);
        return NULL;
    }
    e->prev = t->tail;
    if (t->tail)
        t->tail->next = e;
    else
        t->head = e;
    t->tail = e;
    t->count++;
    return e;
}

void broker_track_cancel (eddy_broker_t *b, void *entry)
{
    if (entry) {
        unlink_entry (b->track, entry);
        entry_free (entry);
    }
}

void broker_track_response (eddy_broker_t *b, uint32_t peer, const eddy_msg_t *rsp)
{
    struct broker_track *t = b->track;
    struct tracked *e;

    if (!t || t->count == 0)
        return;
    e = eddy_u64map_get (t->map, eddy_msg_route_hash (rsp));
    while (e && (e->peer != peer || !eddy_msg_route_equal (e->req, rsp)))
        e = e->same;
    if (!e)
        return;
    if ((eddy_msg_flags (e->req) & EDDY_MSGFLAG_STREAMING) && eddy_msg_errnum (rsp) == 0)
        return; /* more to come */
    unlink_entry (t, e);
    entry_free (e);
}

void broker_track_fail (eddy_broker_t *b, uint32_t peer, const char *why)
{
    struct broker_track *t = b->track;
    struct tracked *gone = NULL, **tail = &gone;

    if (!t)
        return;
    /* take them all out first: answering may route through this broker */
    for (struct tracked *e = t->head, *next; e; e = next) {
        next = e->next;
        if (e->peer != peer)
            continue;
        unlink_entry (t, e);
        e->next = NULL;
        *tail = e;
        tail = &e->next;
    }
    while (gone) {
        struct tracked *e = gone;
        gone = e->next;
        broker_respond_error (b, e->req, EHOSTUNREACH, "rank %u %s before it answered", peer,
                              why);
        entry_free (e);
    }
}

size_t broker_track_count (eddy_broker_t *b)
{
    return b->track ? b->track->count : 0;
}

void broker_track_destroy (eddy_broker_t *b)
{
    struct broker_track *t = b->track;
    if (!t)
        return;
    for (struct tracked *e = t->head, *next; e; e = next) {
        next = e->next;
        entry_free (e);
    }
    eddy_u64map_destroy (t->map);
    free (t);
    b->track = NULL;
}
