/* overlay.c - overlay membership and health: the hello/welcome handshake,
 * keepalives, subtree status (full, partial, degraded, lost, offline),
 * torpid children (late keepalives) and restarted ones (a new instance), status
 * reports toward rank 0 and the overlay.* requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "engine/broker/broker_impl.h"

static void report_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg);

static const char *const status_names[] = {
    "full", "partial", "degraded", "lost", "offline",
};

const char *eddy_subtree_status_name (eddy_subtree_status_t s)
{
    return s <= EDDY_SUBTREE_OFFLINE ? status_names[s] : "unknown";
}

/* ---- payloads ----
 *
 * The overlay's controls are built and read field by field rather than
 * with json_pack and json_unpack: those parse their format string each
 * time and json_unpack keeps a table of the keys it has seen, for every
 * hello, welcome and status of every rank.  The messages are the same
 * (same keys, in the same order); a missing field, or one of the wrong
 * type, is refused as json_unpack refused it.
 */

/* KEY's string into *out: 0; absent and optional: 0, *out untouched;
 * absent and required, or not a string: -1. */
static int get_str (const json_t *o, const char *key, bool optional, const char **out)
{
    json_t *v = json_object_get (o, key);
    if (!v)
        return optional ? 0 : -1;
    if (!json_is_string (v))
        return -1;
    *out = json_string_value (v);
    return 0;
}

/* The same for an integer. */
static int get_int (const json_t *o, const char *key, bool optional, json_int_t *out)
{
    json_t *v = json_object_get (o, key);
    if (!v)
        return optional ? 0 : -1;
    if (!json_is_integer (v))
        return -1;
    *out = json_integer_value (v);
    return 0;
}

/* A string value for a payload.  The values every broker sends alike
 * (the status names, the version, "", the last host name) are kept once
 * per reactor, for all the brokers on it, and shared by reference: a
 * million virtual hellos and reports then do not each copy them.
 * Payloads are not changed once sent.  A new reference, or NULL (ENOMEM).
 */
struct shared_strings {
    json_t *kept[EDDY_SUBTREE_OFFLINE + 3]; /* status names, "", version */
    json_t *host;
};

static void shared_strings_destroy (void *arg)
{
    struct shared_strings *ss = arg;
    for (size_t i = 0; i < sizeof (ss->kept) / sizeof (ss->kept[0]); i++)
        json_decref (ss->kept[i]);
    json_decref (ss->host);
    free (ss);
}

static json_t *shared_string (eddy_broker_t *b, const char *s)
{
    struct shared_strings *ss = eddy_reactor_shared_get (b->r, shared_strings_destroy);
    int i;

    if (!ss) {
        if (!(ss = calloc (1, sizeof (*ss))))
            return NULL;
        if (eddy_reactor_shared_set (b->r, ss, shared_strings_destroy) < 0) {
            free (ss); /* the slot holds something else: copy each time */
            return json_string (s);
        }
    }
    for (i = 0; i <= EDDY_SUBTREE_OFFLINE; i++)
        if (!strcmp (s, status_names[i]))
            break;
    if (i > EDDY_SUBTREE_OFFLINE) {
        if (!*s)
            i = EDDY_SUBTREE_OFFLINE + 1;
        else if (!strcmp (s, PACKAGE_VERSION))
            i = EDDY_SUBTREE_OFFLINE + 2;
        else {
            /* the host name (the only other caller): the same on every
             * virtual broker */
            if (!ss->host || strcmp (json_string_value (ss->host), s) != 0) {
                json_t *v = json_string (s);
                if (!v)
                    return NULL;
                json_decref (ss->host);
                ss->host = v;
            }
            return json_incref (ss->host);
        }
    }
    if (!ss->kept[i] && !(ss->kept[i] = json_string_nocheck (s)))
        return NULL;
    return json_incref (ss->kept[i]);
}

/* Set KEY (a literal) to V, stolen; V NULL (out of memory) fails. */
static int put (json_t *o, const char *key, json_t *v)
{
    return json_object_set_new_nocheck (o, key, v);
}

static int status_parse (const char *s)
{
    for (int i = 0; i <= EDDY_SUBTREE_OFFLINE; i++)
        if (!strcmp (status_names[i], s))
            return i;
    return -1;
}

double overlay_attr_double (eddy_broker_t *b, const char *name, double dflt)
{
    const char *s = attr_get (b, name);
    char *end;
    if (!s)
        return dflt;
    double v = strtod (s, &end);
    return (end != s && *end == '\0' && v > 0) ? v : dflt;
}

/* Rank 0's epoch: which start of the instance this is, so that a follower
 * can tell a restarted rank 0 from the one that launched its tasks.  Real:
 * the start time mixed with the pid; simulated: the start's virtual time,
 * so a run stays a function of its seed.  Positive in 63 bits, never 0.
 */
static uint64_t new_epoch (eddy_broker_t *b)
{
    /* wall time in µs: virtual in the simulator, where pids do not count */
    uint64_t e = (uint64_t)(eddy_reactor_wallclock (b->r) * 1e6);

    if (!eddy_reactor_is_sim (b->r))
        e ^= (uint64_t)getpid () << 44;
    e &= 0x7fffffffffffffffull;
    return e ? e : 1;
}

int overlay_init (eddy_broker_t *b)
{
    uint32_t n, first = 0;
    const uint32_t *list = NULL;

    /* every broker's start, said in its hello: a parent that hears
     * another one from a child it knew knows the child restarted */
    b->instance = new_epoch (b);
    if (b->rank == 0)
        b->epoch = b->instance;

    if (b->topo)
        n = eddy_topo_get_children (b->topo, b->rank, &list);
    else
        first = eddy_topo_first_child (b->rank, b->size, b->fanout, &n);
    if (n > 0) {
        if (!(b->children = calloc (n, sizeof (b->children[0]))))
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            b->children[i].rank = list ? list[i] : first + i; /* ascending either way */
            b->children[i].status = EDDY_SUBTREE_OFFLINE;
            b->children[i].subtree_size = topo_subtree_size (b, b->children[i].rank);
        }
        b->nchildren = n;
    }
    if (!(b->report_w = eddy_check_create (b->r, report_cb, b)))
        return -1;
    return 0;
}

void overlay_fini (eddy_broker_t *b)
{
    for (uint32_t i = 0; i < b->nchildren; i++) {
        free (b->children[i].host);
        eddy_idset_destroy (b->children[i].online_ids);
        eddy_idset_destroy (b->children[i].torpid_ids);
        eddy_msg_decref (b->children[i].pending_hello);
    }
    free (b->online_published);
    b->online_published = NULL;
    free (b->torpid_published);
    b->torpid_published = NULL;
    eddy_watcher_destroy (b->report_w);
    eddy_watcher_destroy (b->keepalive_w);
    eddy_watcher_destroy (b->health_w);
    eddy_watcher_destroy (b->hello_w);
    b->report_w = b->keepalive_w = b->health_w = b->hello_w = NULL;
    free (b->children);
    b->children = NULL;
    b->nchildren = 0;
}

struct child *overlay_child (eddy_broker_t *b, uint32_t rank)
{
    /* children are in ascending rank order, not always contiguous */
    uint32_t lo = 0, hi = b->nchildren;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->children[mid].rank == rank)
            return &b->children[mid];
        if (b->children[mid].rank < rank)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Brokers of this subtree that are online: done starting (their modules
 * are loaded), as in Flux, where a broker counts once its rc1 is over; so
 * quorum, and the initial program, wait until every broker can serve.
 */
uint32_t overlay_online (eddy_broker_t *b)
{
    uint32_t online = b->state >= EDDY_STATE_QUORUM ? 1 : 0;
    for (uint32_t i = 0; i < b->nchildren; i++)
        if (b->children[i].connected)
            online += b->children[i].online;
    return online;
}

/* Which ranks those are: this broker once online, and what each connected
 * child last reported for its subtree.
 */
eddy_idset_t *overlay_online_set (eddy_broker_t *b)
{
    eddy_idset_t *ids = eddy_idset_create ();

    if (!ids)
        return NULL;
    if (b->state >= EDDY_STATE_QUORUM && eddy_idset_set (ids, b->rank) < 0)
        goto error;
    for (uint32_t i = 0; i < b->nchildren; i++) {
        struct child *c = &b->children[i];
        if (c->connected && c->online_ids && eddy_idset_add (ids, c->online_ids) < 0)
            goto error;
    }
    return ids;
error:
    eddy_idset_destroy (ids);
    return NULL;
}

struct span {
    unsigned lo, hi;
};

static int span_cmp (const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* overlay_online_set () as text (eddy_idset_encode with EDDY_IDSET_RANGE),
 * computed at every report of every rank: the ranges of this broker and
 * of its children's sets are merged straight into the text, with no set
 * built and freed each time.  NULL + ENOMEM.
 */
static char *online_text (eddy_broker_t *b)
{
    struct span local[32], *v = local;
    size_t n = b->state >= EDDY_STATE_QUORUM ? 1 : 0;
    char text[32 * 22 + 1], *s, *heap = NULL, *out = NULL;

    for (uint32_t i = 0; i < b->nchildren; i++)
        if (b->children[i].connected && b->children[i].online_ids)
            n += eddy_idset_range_count (b->children[i].online_ids);
    if (n > sizeof (local) / sizeof (local[0]) && !(v = calloc (n, sizeof (v[0]))))
        return NULL;
    size_t k = 0;
    if (b->state >= EDDY_STATE_QUORUM)
        v[k++] = (struct span){ b->rank, b->rank };
    for (uint32_t i = 0; i < b->nchildren; i++) {
        const eddy_idset_t *ids = b->children[i].online_ids;
        size_t m = b->children[i].connected && ids ? eddy_idset_range_count (ids) : 0;
        for (size_t j = 0; j < m; j++, k++)
            eddy_idset_range_get (ids, j, &v[k].lo, &v[k].hi);
    }
    qsort (v, k, sizeof (v[0]), span_cmp);
    /* each range at most "4294967294-4294967294,"; the text is written
     * on the stack and copied at its size, so that the heap sees small
     * blocks of the sizes it just freed, not one of the worst case */
    if (k * 22 + 1 <= sizeof (text))
        s = text;
    else if (!(s = heap = malloc (k * 22 + 1)))
        goto done;
    size_t len = 0, w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w > 0 && (uint64_t)v[w - 1].hi + 1 >= v[i].lo) {
            if (v[i].hi > v[w - 1].hi)
                v[w - 1].hi = v[i].hi;
        }
        else
            v[w++] = v[i];
    }
    for (size_t i = 0; i < w; i++) {
        if (i)
            s[len++] = ',';
        len += eddy_idset_put_id (s + len, v[i].lo);
        if (v[i].hi != v[i].lo) {
            s[len++] = '-';
            len += eddy_idset_put_id (s + len, v[i].hi);
        }
    }
    s[len] = '\0';
    out = heap ? heap : strdup (text);
done:
    if (v != local)
        free (v);
    return out;
}

/* The torpid ranks of this subtree: connected children silent for
 * tbon.torpid_max, and what the others report of theirs.  A new idset, or
 * NULL + ENOMEM.
 */
static eddy_idset_t *torpid_set (eddy_broker_t *b)
{
    eddy_idset_t *ids = eddy_idset_create ();

    for (uint32_t i = 0; ids && i < b->nchildren; i++) {
        struct child *c = &b->children[i];
        if (!c->connected)
            continue;
        if ((c->torpid && eddy_idset_set (ids, c->rank) < 0)
            || (c->torpid_ids && eddy_idset_add (ids, c->torpid_ids) < 0)) {
            eddy_idset_destroy (ids);
            return NULL;
        }
    }
    return ids;
}

static char *torpid_text (eddy_broker_t *b)
{
    /* the usual case, asked at every report: nothing torpid below */
    uint32_t i;
    for (i = 0; i < b->nchildren; i++) {
        struct child *c = &b->children[i];
        if (c->connected && (c->torpid || c->torpid_ids))
            break;
    }
    if (i == b->nchildren)
        return strdup ("");
    eddy_idset_t *ids = torpid_set (b);
    char *s = ids ? eddy_idset_encode (ids, EDDY_IDSET_RANGE) : NULL;
    eddy_idset_destroy (ids);
    return s;
}

/* A child's report of the torpid ranks below it: ranks of this instance
 * (none when it names none, or names them wrong).
 */
static void set_child_torpid (eddy_broker_t *b, struct child *c, const char *text)
{
    eddy_idset_t *ids = text && *text ? eddy_idset_decode (text, NULL) : NULL;

    if (ids && (eddy_idset_last (ids) >= b->size || eddy_idset_count (ids) > c->subtree_size)) {
        eddy_idset_destroy (ids);
        ids = NULL;
    }
    if (text && *text && !ids)
        eddy_broker_log (b, LOG_ERR, "overlay", "rank %u: malformed torpid set '%s'", c->rank,
                         text);
    eddy_idset_destroy (c->torpid_ids);
    c->torpid_ids = ids;
}

/* A child's report of the ranks online in its subtree ("ranks"): a set of
 * ranks of this instance, or the child alone if it names none.
 */
static void set_child_online (eddy_broker_t *b, struct child *c, const char *text)
{
    eddy_idset_t *ids = NULL;

    if (text && *text) {
        /* the child's set is decoded at each of its reports: into the
         * one it replaces, with no allocation */
        ids = c->online_ids ? c->online_ids : eddy_idset_create ();
        c->online_ids = NULL;
        if (ids && eddy_idset_decode_into (ids, text, NULL) < 0) {
            eddy_idset_destroy (ids);
            ids = NULL;
        }
    }

    if (ids && (eddy_idset_last (ids) >= b->size || eddy_idset_count (ids) > c->subtree_size)) {
        eddy_idset_destroy (ids);
        ids = NULL;
    }
    if (text && *text && !ids)
        eddy_broker_log (b, LOG_ERR, "overlay", "rank %u: malformed online set '%s'", c->rank,
                         text);
    if (!ids && c->online > 0 && (ids = eddy_idset_create ()))
        eddy_idset_set (ids, c->rank); /* a peer that names no set: itself */
    eddy_idset_destroy (c->online_ids);
    c->online_ids = ids;
}

/* Rank 0: tell the instance which ranks are online when that changes
 * (docs/protocols.md, overlay.online).
 */
static void publish_online (eddy_broker_t *b)
{
    char *s = online_text (b);
    char *t = torpid_text (b);

    if (!s || !t) {
        free (s);
        free (t);
        return;
    }
    if (b->online_published && !strcmp (s, b->online_published) && b->torpid_published
        && !strcmp (t, b->torpid_published)) {
        free (s);
        free (t);
        return;
    }
    free (b->online_published);
    b->online_published = s;
    free (b->torpid_published);
    b->torpid_published = t;
    json_t *o = json_pack ("{s:s s:i s:I s:s}", "online", s, "size", (json_int_t)b->size, "epoch",
                           (json_int_t)b->epoch, "torpid", t);
    if (!o || eddy_event_publish (broker_self (b), "overlay.online", o) < 0)
        eddy_broker_log (b, LOG_ERR, "overlay", "cannot publish overlay.online");
    json_decref (o);
}

void overlay_online_request (eddy_broker_t *b, const eddy_msg_t *req)
{
    char *s = online_text (b);
    char *t = torpid_text (b);
    json_t *o = s && t ? json_pack ("{s:s s:i s:s}", "online", s, "size", (json_int_t)b->size,
                                    "torpid", t)
                       : NULL;

    /* rank 0 speaks for the instance: its epoch with the set */
    if (o && b->rank == 0 && json_object_set_new (o, "epoch", json_integer ((json_int_t)b->epoch)) < 0) {
        json_decref (o);
        o = NULL;
    }

    if (o)
        broker_respond (b, req, o);
    else
        broker_respond_error (b, req, ENOMEM, NULL);
    json_decref (o);
    free (s);
    free (t);
}

uint32_t overlay_connected_children (eddy_broker_t *b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->nchildren; i++)
        if (b->children[i].connected)
            n++;
    return n;
}

eddy_subtree_status_t eddy_broker_subtree_status (eddy_broker_t *b)
{
    eddy_subtree_status_t s = EDDY_SUBTREE_FULL;
    for (uint32_t i = 0; i < b->nchildren; i++) {
        switch (b->children[i].status) {
        case EDDY_SUBTREE_LOST:
        case EDDY_SUBTREE_DEGRADED:
            s = EDDY_SUBTREE_DEGRADED;
            break;
        case EDDY_SUBTREE_OFFLINE:
        case EDDY_SUBTREE_PARTIAL:
            if (s == EDDY_SUBTREE_FULL)
                s = EDDY_SUBTREE_PARTIAL;
            break;
        case EDDY_SUBTREE_FULL:
            break;
        }
    }
    return s;
}

/* Coalesce status reports: at most one per reactor iteration. */
static void schedule_report (eddy_broker_t *b)
{
    eddy_watcher_start (b->report_w);
}

void overlay_state_changed (eddy_broker_t *b)
{
    if (b->report_w)
        schedule_report (b);
}

static void report_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_broker_t *b = arg;
    eddy_subtree_status_t s = eddy_broker_subtree_status (b);
    uint32_t online = overlay_online (b);

    eddy_watcher_stop (w);
    if (b->rank == 0) {
        state_check_quorum (b);
        /* the set goes out from run on: while rank 0 waits for its quorum,
         * each wave of a booting instance would be an event to every rank
         * (twenty for a million ranks); a module loaded before run asks
         * overlay.online once run (the resource module does) */
        if (b->state >= EDDY_STATE_RUN && b->state < EDDY_STATE_CLEANUP)
            publish_online (b);
        return;
    }
    char *ranks = online_text (b);
    char *torpid = torpid_text (b);
    if (!ranks || !torpid) {
        free (ranks);
        free (torpid);
        return;
    }
    if (!b->joined || (b->reported && s == b->reported_status && online == b->reported_online
                       && b->online_published && !strcmp (ranks, b->online_published)
                       && b->torpid_published && !strcmp (torpid, b->torpid_published))) {
        free (ranks);
        free (torpid);
        return;
    }
    json_t *o = json_object ();
    if (o && (put (o, "status", shared_string (b, eddy_subtree_status_name (s))) < 0
              || put (o, "online", json_integer (online)) < 0
              || put (o, "ranks", json_string_nocheck (ranks)) < 0
              || put (o, "torpid", *torpid ? json_string_nocheck (torpid) : shared_string (b, ""))
                     < 0)) {
        json_decref (o);
        o = NULL;
    }
    if (o && broker_control_to_parent (b, "overlay.status", o) == 0) {
        b->reported = true;
        b->reported_status = s;
        b->reported_online = online;
        free (b->online_published); /* a follower: what it last reported */
        b->online_published = ranks;
        free (b->torpid_published);
        b->torpid_published = torpid;
    }
    else {
        free (ranks);
        free (torpid);
    }
}

/* A child spoke: it is not torpid (any more). */
static void heard (eddy_broker_t *b, struct child *c)
{
    c->last_seen = eddy_reactor_now (b->r);
    if (c->torpid) {
        c->torpid = false;
        eddy_broker_log (b, LOG_NOTICE, "overlay", "rank %u is no longer torpid", c->rank);
        schedule_report (b);
    }
}

/* Rank R (a child, or one below it) started again: its old tasks are
 * gone with it.  Rank 0 tells the instance (event overlay.restarted {rank});
 * the others tell their parent.
 */
static void report_restarted (eddy_broker_t *b, uint32_t rank)
{
    json_t *o = json_pack ("{s:i}", "rank", (json_int_t)rank);

    if (b->rank == 0) {
        if (!o || eddy_event_publish (broker_self (b), "overlay.restarted", o) < 0)
            eddy_broker_log (b, LOG_ERR, "overlay", "cannot publish overlay.restarted");
        json_decref (o);
    }
    else if (!o || broker_control_to_parent (b, "overlay.restarted", o) < 0)
        eddy_broker_log (b, LOG_ERR, "overlay", "cannot tell rank %u that rank %u restarted",
                         b->parent, rank);
}

void overlay_child_seen (eddy_broker_t *b, uint32_t rank)
{
    struct child *c = overlay_child (b, rank);
    if (c)
        heard (b, c);
}

void overlay_child_gone (eddy_broker_t *b, uint32_t rank, eddy_subtree_status_t why, const char *reason)
{
    struct child *c = overlay_child (b, rank);
    if (!c)
        return;
    bool was = c->connected;
    c->connected = false;
    c->status = why;
    c->online = 0;
    eddy_idset_destroy (c->online_ids);
    c->online_ids = NULL;
    eddy_idset_destroy (c->torpid_ids);
    c->torpid_ids = NULL;
    c->torpid = false;
    if (was)
        eddy_broker_log (b, why == EDDY_SUBTREE_LOST ? LOG_ERR : LOG_INFO, "overlay",
                         "rank %u %s (%s)", rank, eddy_subtree_status_name (why), reason);
    if (why == EDDY_SUBTREE_LOST && b->ov_ops && b->ov_ops->disconnect_child)
        b->ov_ops->disconnect_child (b->ov, rank);
    broker_track_fail (b, rank, why == EDDY_SUBTREE_LOST ? "was lost" : "went offline");
    schedule_report (b);
    state_check_shutdown (b);
}

/* ---- keepalives and health ---- */

/* tbon.keepalive_period: seconds between a broker's keepalives to its
 * parent and between a parent's checks that each child was heard from
 * within tbon.keepalive_timeout (default 1).  "0" turns both off, for an
 * instance that models no node failures, such as a trace replay, where a
 * timer on every rank would wake the simulator once a period through
 * months of idle virtual time.  A silent child is then never declared
 * lost; one whose link reports it gone still is.
 */
static double keepalive_period (eddy_broker_t *b)
{
    const char *s = attr_get (b, "tbon.keepalive_period");
    char *end;
    if (s && strtod (s, &end) == 0 && end != s && *end == '\0')
        return 0;
    return overlay_attr_double (b, "tbon.keepalive_period", 1.0);
}

static void keepalive_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_broker_t *b = arg;
    if (b->joined)
        broker_control_to_parent (b, "overlay.keepalive", NULL);
}

/* tbon.torpid_max: silence after which a connected child is torpid
 * (Flux's meaning; default 5s, half the lost timeout), "0" for never.  A
 * torpid rank is not scheduled on; it is back when it speaks again, lost
 * at tbon.keepalive_timeout.
 */
static double torpid_max (eddy_broker_t *b)
{
    const char *s = attr_get (b, "tbon.torpid_max");
    char *end;
    if (s && strtod (s, &end) == 0 && end != s && *end == '\0')
        return 0;
    return overlay_attr_double (b, "tbon.torpid_max", 5.0);
}

static void health_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_broker_t *b = arg;
    double timeout = overlay_attr_double (b, "tbon.keepalive_timeout", 10.0);
    double torpid = torpid_max (b);
    double now = eddy_reactor_now (r);

    for (uint32_t i = 0; i < b->nchildren; i++) {
        struct child *c = &b->children[i];
        if (!c->connected)
            continue;
        if (now - c->last_seen > timeout) {
            char reason[64];
            snprintf (reason, sizeof (reason), "no keepalive for %.1fs", now - c->last_seen);
            overlay_child_gone (b, c->rank, EDDY_SUBTREE_LOST, reason);
        }
        else if (torpid > 0 && !c->torpid && now - c->last_seen > torpid) {
            c->torpid = true;
            eddy_broker_log (b, LOG_WARNING, "overlay", "rank %u is torpid (silent for %.1fs)",
                             c->rank, now - c->last_seen);
            schedule_report (b);
        }
    }
}

static void start_health (eddy_broker_t *b)
{
    double period = keepalive_period (b);
    if (period > 0 && !b->health_w
        && (b->health_w = eddy_timer_create (b->r, period, period, health_cb, b)))
        eddy_watcher_start (b->health_w);
}

static void hello_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_broker_t *b = arg;
    if (!b->joined && b->state < EDDY_STATE_CLEANUP) {
        eddy_broker_log (b, LOG_DEBUG, "overlay", "no welcome from rank %u yet: hello again",
                         b->parent);
        overlay_send_hello (b);
    }
}

void overlay_send_hello (eddy_broker_t *b)
{
    const char *host = attr_get (b, "hostname");
    char *ranks = online_text (b);
    json_t *o = json_object ();
    if (o && (put (o, "rank", json_integer (b->rank)) < 0
              || put (o, "version", shared_string (b, PACKAGE_VERSION)) < 0
              || put (o, "host", shared_string (b, host ? host : "")) < 0
              || put (o, "status",
                      shared_string (b, eddy_subtree_status_name (eddy_broker_subtree_status (b))))
                     < 0
              || put (o, "online", json_integer (overlay_online (b))) < 0
              || put (o, "ranks", ranks && *ranks ? json_string_nocheck (ranks) : shared_string (b, ""))
                     < 0
              || put (o, "instance", json_integer ((json_int_t)b->instance)) < 0)) {
        json_decref (o);
        o = NULL;
    }
    free (ranks);
    if (!o || broker_control_to_parent (b, "overlay.hello", o) < 0)
        eddy_broker_log (b, LOG_ERR, "overlay", "cannot send hello to rank %u", b->parent);
    if (!b->hello_w) {
        double retry = overlay_attr_double (b, "tbon.hello_retry", 2.0);
        if ((b->hello_w = eddy_timer_create (b->r, retry, retry, hello_cb, b)))
            eddy_watcher_start (b->hello_w);
    }
}

/* ---- cut off ---- */

/* This broker lost its parent, or its parent told it that it did: rank 0
 * holds the whole subtree lost and has failed its jobs, so the tasks
 * still running here are nobody's.  The modules of this broker hear it
 * as the local event overlay.cutoff (not sequenced, not from rank 0);
 * the children, cut off as well, are told by the control of that name.
 * Rank 0's own loss is left to its next start (its epoch), which ends
 * the jobs it ran with the restart exception.
 */
void overlay_cutoff (eddy_broker_t *b)
{
    eddy_msg_t *ev;
    uint64_t last = 0;

    if (b->rank == 0 || b->parent == 0 || b->state >= EDDY_STATE_CLEANUP)
        return;
    eddy_broker_log (b, LOG_WARNING, "overlay", "cut off from rank 0: this subtree is lost");
    if ((ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, "overlay.cutoff"))) {
        for (int i = 0; i < b->nsubs; i++) {
            if (b->subs[i].entry == last
                || strncmp (b->subs[i].prefix, "overlay.cutoff", strlen (b->subs[i].prefix)))
                continue;
            last = b->subs[i].entry;
            broker_deliver_entry (b, last, ev);
        }
        eddy_msg_decref (ev);
    }
    for (uint32_t i = 0; i < b->nchildren; i++)
        if (b->children[i].connected)
            broker_control_to_child (b, b->children[i].rank, "overlay.cutoff", NULL);
}

/* ---- control messages ---- */

/* The welcome: where this broker's events are (the child takes up there),
 * rank 0's epoch and the configuration in force.
 */
static void send_welcome (eddy_broker_t *b, uint32_t rank)
{
    json_t *o = json_object ();
    if (o && (put (o, "seq", json_integer (b->event_seq)) < 0
              || put (o, "generation", json_integer (b->config_gen)) < 0
              || json_object_set_nocheck (o, "config", b->config) < 0)) {
        json_decref (o);
        o = NULL;
    }
    if (o && b->epoch && put (o, "epoch", json_integer ((json_int_t)b->epoch)) < 0) {
        json_decref (o);
        o = NULL;
    }
    broker_control_to_child (b, rank, "overlay.welcome", o);
}

static void hello (eddy_broker_t *b, uint32_t rank, const eddy_msg_t *msg)
{
    int prank, online;
    json_int_t instance = 0, v_rank, v_online;
    const char *version, *status, *host = "", *ranks = NULL;
    struct child *c = overlay_child (b, rank);
    json_t *o = eddy_msg_payload (msg);

    if (!o || get_int (o, "rank", false, &v_rank) < 0 || get_str (o, "version", false, &version) < 0
        || get_str (o, "host", true, &host) < 0 || get_str (o, "status", false, &status) < 0
        || get_int (o, "online", false, &v_online) < 0 || get_str (o, "ranks", true, &ranks) < 0
        || get_int (o, "instance", true, &instance) < 0) {
        eddy_broker_log (b, LOG_ERR, "overlay", "malformed hello from rank %u", rank);
        return;
    }
    prank = (int)v_rank; /* as json_unpack's "i" */
    online = (int)v_online;
    if (!c || (uint32_t)prank != rank) {
        eddy_broker_log (b, LOG_ERR, "overlay", "refusing hello from rank %u: not a child of rank %u",
                         rank, b->rank);
        broker_control_to_child (b, rank, "overlay.refused",
                                 json_pack ("{s:s}", "reason", "not a child of this rank"));
        return;
    }
    if (strcmp (version, PACKAGE_VERSION) != 0) {
        eddy_broker_log (b, LOG_ERR, "overlay", "refusing rank %u: version %s, ours %s", rank,
                         version, PACKAGE_VERSION);
        broker_control_to_child (b, rank, "overlay.refused",
                                 json_pack ("{s:s}", "reason", "version mismatch"));
        return;
    }
    if (b->state >= EDDY_STATE_CLEANUP) {
        broker_control_to_child (b, rank, "overlay.refused",
                                 json_pack ("{s:s}", "reason", "parent is shutting down"));
        return;
    }
    if (b->parent != EDDY_RANK_NONE && !b->joined) {
        /* the welcome carries rank 0's configuration, which this broker
         * gets in its own welcome: answer then (overlay_recv_control_parent) */
        if (c->pending_hello != msg) {
            eddy_msg_decref (c->pending_hello);
            c->pending_hello = eddy_msg_incref (msg);
        }
        eddy_broker_log (b, LOG_DEBUG, "overlay", "rank %u waits until rank %u welcomes us", rank,
                         b->parent);
        return;
    }
    int st = status_parse (status);
    if (!c->host || strcmp (c->host, host) != 0) {
        char *cpy = strdup (host);
        if (cpy) {
            free (c->host);
            c->host = cpy;
        }
    }
    bool rejoin = c->status == EDDY_SUBTREE_LOST;
    /* Another start of a child known before: it restarted, and its tasks
     * went with it, whether it was seen gone first (lost) or not (it came
     * back faster than that; still held connected).  Rank 0 decides
     * whether that was a crash: it was if jobs ran there. */
    bool restarted = instance > 0 && c->instance && (uint64_t)instance != c->instance;
    if (instance > 0)
        c->instance = (uint64_t)instance;
    if (restarted) {
        eddy_broker_log (b, LOG_NOTICE, "overlay", "rank %u restarted (%s)", rank,
                         c->connected ? "while held connected" : "since it was gone");
        report_restarted (b, rank);
        broker_track_fail (b, rank, "restarted");
    }
    c->torpid = false;
    eddy_idset_destroy (c->torpid_ids);
    c->torpid_ids = NULL;
    c->connected = true;
    c->status = st >= 0 && st <= EDDY_SUBTREE_DEGRADED ? st : EDDY_SUBTREE_PARTIAL;
    c->online = online > 0 ? (uint32_t)online : 0;
    set_child_online (b, c, ranks);
    c->last_seen = eddy_reactor_now (b->r);
    eddy_broker_log (b, rejoin ? LOG_NOTICE : LOG_DEBUG, "overlay", "rank %u %s", rank,
                     rejoin ? "rejoined" : "joined");
    send_welcome (b, rank);
    start_health (b);
    schedule_report (b);
}

void overlay_recv_control_child (eddy_broker_t *b, uint32_t rank, const eddy_msg_t *msg)
{
    const char *topic = eddy_msg_topic (msg);
    struct child *c = overlay_child (b, rank);

    if (!strcmp (topic, "overlay.hello")) {
        hello (b, rank, msg);
        return;
    }
    if (!c || !c->connected) {
        /* a child this broker does not know (it restarted, or lost the
         * child): ask it to say hello again, unless it is leaving */
        if (c && strcmp (topic, "overlay.goodbye") != 0 && b->state < EDDY_STATE_CLEANUP)
            broker_control_to_child (b, rank, "overlay.rehello", NULL);
        return;
    }
    heard (b, c);
    if (!strcmp (topic, "overlay.keepalive"))
        return;
    if (!strcmp (topic, "overlay.restarted")) {
        int crank;
        if (json_unpack (eddy_msg_payload (msg), "{s:i}", "rank", &crank) < 0 || crank <= 0
            || (uint32_t)crank >= b->size) {
            eddy_broker_log (b, LOG_ERR, "overlay", "malformed restart report from rank %u", rank);
            return;
        }
        report_restarted (b, (uint32_t)crank);
        return;
    }
    if (!strcmp (topic, "overlay.status")) {
        const char *status, *ranks = NULL, *torpid = NULL;
        int online, st;
        json_int_t v_online;
        json_t *o = eddy_msg_payload (msg);
        if (!o || get_str (o, "status", false, &status) < 0
            || get_int (o, "online", false, &v_online) < 0 || get_str (o, "ranks", true, &ranks) < 0
            || get_str (o, "torpid", true, &torpid) < 0 || (st = status_parse (status)) < 0
            || st > EDDY_SUBTREE_DEGRADED) {
            eddy_broker_log (b, LOG_ERR, "overlay", "malformed status from rank %u", rank);
            return;
        }
        online = (int)v_online;
        c->status = st;
        c->online = online > 0 ? (uint32_t)online : 0;
        set_child_online (b, c, ranks);
        set_child_torpid (b, c, torpid);
        schedule_report (b);
        return;
    }
    if (!strcmp (topic, "overlay.goodbye")) {
        overlay_child_gone (b, rank, EDDY_SUBTREE_OFFLINE, "left");
        return;
    }
    eddy_broker_log (b, LOG_DEBUG, "overlay", "unknown control %s from rank %u", topic, rank);
}

void overlay_recv_control_parent (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *topic = eddy_msg_topic (msg);
    json_t *o = eddy_msg_payload (msg);

    if (!strcmp (topic, "overlay.welcome")) {
        int seq = 0;
        json_int_t gen = 0, epoch = 0, v_seq = 0;
        json_t *config = NULL;
        /* every field optional; the first of the wrong type ends the
         * reading, as json_unpack did */
        if (o && get_int (o, "seq", true, &v_seq) == 0 && (seq = (int)v_seq, true)
            && get_int (o, "generation", true, &gen) == 0) {
            config = json_object_get (o, "config");
            get_int (o, "epoch", true, &epoch);
        }
        bool first = !b->joined;
        b->joined = true;
        b->reported = false;
        if (first && seq > 0 && (uint32_t)seq > b->event_seq)
            b->event_seq = seq; /* events before we joined are not ours */
        bool restarted = epoch > 0 && b->epoch && (uint64_t)epoch != b->epoch;
        if (epoch > 0)
            b->epoch = (uint64_t)epoch;
        if (restarted && seq >= 0) {
            /* rank 0 started again: its events count from its own start,
             * below ours, and would all look like duplicates.  Take up
             * where its are, and so do the children, welcomed again. */
            eddy_broker_log (b, LOG_NOTICE, "overlay",
                             "rank 0 restarted: events resume at seq %d (were at %u)", seq,
                             b->event_seq);
            b->event_seq = (uint32_t)seq;
            for (uint32_t i = 0; i < b->nchildren; i++)
                if (b->children[i].connected)
                    send_welcome (b, b->children[i].rank);
        }
        if (config && gen >= 0 && gen <= UINT32_MAX)
            config_from_leader (b, config, (uint32_t)gen);
        /* children that said hello meanwhile get their welcome now */
        for (uint32_t i = 0; i < b->nchildren; i++) {
            eddy_msg_t *hm = b->children[i].pending_hello;
            if (hm) {
                b->children[i].pending_hello = NULL;
                hello (b, b->children[i].rank, hm);
                eddy_msg_decref (hm);
            }
        }
        eddy_watcher_stop (b->hello_w);
        double period = keepalive_period (b);
        if (period > 0 && !b->keepalive_w
            && (b->keepalive_w = eddy_timer_create (b->r, period, period, keepalive_cb, b)))
            eddy_watcher_start (b->keepalive_w);
        schedule_report (b);
        if (b->state == EDDY_STATE_JOIN)
            state_enter (b, EDDY_STATE_INIT);
        return;
    }
    if (!strcmp (topic, "overlay.cutoff")) {
        overlay_cutoff (b);
        return;
    }
    if (!strcmp (topic, "overlay.rehello")) {
        /* the parent restarted: join it again, as often as it takes */
        if (b->joined && b->state < EDDY_STATE_CLEANUP) {
            eddy_broker_log (b, LOG_NOTICE, "overlay", "rank %u does not know us: hello again",
                             b->parent);
            b->joined = false;
            overlay_send_hello (b);
            eddy_watcher_start (b->hello_w);
        }
        return;
    }
    if (!strcmp (topic, "overlay.refused")) {
        const char *reason = "unknown";
        if (o)
            json_unpack (o, "{s?s}", "reason", &reason);
        eddy_broker_log (b, LOG_ERR, "overlay", "rank %u refused us: %s", b->parent, reason);
        b->joined = false;
        eddy_broker_shutdown (b, 1);
        return;
    }
    if (!strcmp (topic, "overlay.shutdown")) {
        int code = 0;
        if (o)
            json_unpack (o, "{s?i}", "exit_code", &code);
        eddy_broker_shutdown (b, code);
        return;
    }
    if (!strcmp (topic, "overlay.kick")) {
        eddy_broker_log (b, LOG_ERR, "overlay", "disconnected by rank %u", b->parent);
        b->joined = false;
        eddy_broker_shutdown (b, 1);
        return;
    }
    eddy_broker_log (b, LOG_DEBUG, "overlay", "unknown control %s from parent", topic);
}

/* ---- overlay.status: the subtree's status, gathered recursively ---- */

struct status_agg {
    eddy_broker_t *b;
    eddy_msg_t *req;
    json_t *kids;
    eddy_future_t **fs;
    uint32_t n;
    int pending;
};

static json_t *leaf_status (struct child *c, const char *status)
{
    return json_pack ("{s:i s:s s:s s:[]}", "rank", (json_int_t)c->rank, "host",
                      c->host ? c->host : "", "status", status, "children");
}

static void agg_finish (struct status_agg *agg)
{
    eddy_broker_t *b = agg->b;
    const char *host = attr_get (b, "hostname");
    json_t *o = json_pack ("{s:i s:s s:s s:i s:O}", "rank", (json_int_t)b->rank, "host",
                           host ? host : "", "status",
                           eddy_subtree_status_name (eddy_broker_subtree_status (b)), "online",
                           (json_int_t)overlay_online (b), "children", agg->kids);
    if (o)
        broker_respond (b, agg->req, o);
    else
        broker_respond_error (b, agg->req, ENOMEM, NULL);
    json_decref (o);
    json_decref (agg->kids);
    eddy_msg_decref (agg->req);
    free (agg->fs);
    free (agg);
}

static void agg_child_cb (eddy_future_t *f, void *arg)
{
    struct status_agg *agg = arg;
    json_t *o;

    for (uint32_t i = 0; i < agg->n; i++) {
        if (agg->fs[i] != f)
            continue;
        if (eddy_rpc_get (f, &o) == 0 && o)
            json_array_set (agg->kids, i, o);
        else
            json_array_set_new (agg->kids, i, leaf_status (&agg->b->children[i], "lost"));
        agg->fs[i] = NULL;
        agg->pending--;
        break;
    }
    eddy_future_destroy (f);
    if (agg->pending == 0)
        agg_finish (agg);
}

void overlay_status_request (eddy_broker_t *b, const eddy_msg_t *req)
{
    struct status_agg *agg = calloc (1, sizeof (*agg));
    double timeout = overlay_attr_double (b, "tbon.status_timeout", 5.0);

    if (!agg || !(agg->kids = json_array ())
        || (b->nchildren && !(agg->fs = calloc (b->nchildren, sizeof (agg->fs[0]))))) {
        if (agg)
            json_decref (agg->kids);
        free (agg);
        broker_respond_error (b, req, ENOMEM, NULL);
        return;
    }
    agg->b = b;
    agg->req = eddy_msg_incref (req);
    agg->n = b->nchildren;
    for (uint32_t i = 0; i < b->nchildren; i++) {
        struct child *c = &b->children[i];
        json_array_append_new (agg->kids, leaf_status (c, eddy_subtree_status_name (c->status)));
        if (!c->connected)
            continue;
        eddy_future_t *f = eddy_rpc (broker_self (b), "overlay.status", NULL, c->rank, 0);
        if (f && eddy_future_then (f, timeout, agg_child_cb, agg) == 0) {
            agg->fs[i] = f;
            agg->pending++;
        }
        else
            eddy_future_destroy (f);
    }
    if (agg->pending == 0)
        agg_finish (agg);
}

void overlay_disconnect_request (eddy_broker_t *b, const eddy_msg_t *req)
{
    int rank;
    json_t *o = eddy_msg_payload (req);
    struct child *c;

    if (!o || json_unpack (o, "{s:i}", "rank", &rank) < 0) {
        broker_respond_error (b, req, EPROTO, "overlay.disconnect: expected {rank}");
        return;
    }
    if (rank < 0 || !(c = overlay_child (b, rank))) {
        broker_respond_error (b, req, EINVAL, "rank %d is not a child of rank %u", rank, b->rank);
        return;
    }
    if (!c->connected) {
        broker_respond_error (b, req, ENOTCONN, "rank %d is not connected", rank);
        return;
    }
    broker_control_to_child (b, rank, "overlay.kick", NULL);
    overlay_child_gone (b, rank, EDDY_SUBTREE_LOST, "disconnected by request");
    broker_respond (b, req, NULL);
}
