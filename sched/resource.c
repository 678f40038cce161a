/* resource.c - the resource module (rank 0): builds the instance's R and
 * offers it to the scheduler with resource.acquire -> {R}.
 *
 * Where R comes from (module args):
 *   {"R": R}                        as given (validated);
 *   {"nodes": N, "cores_per_node": C, "gpus_per_node": G}
 *                                   ranks 0..N-1, cores 0..C-1, gpus 0..G-1
 *                                   (simulator and tests; no hostnames);
 *   nothing                         every rank of the instance, asked with
 *                                   attr.get for hostname, resource.cores
 *                                   and resource.gpus (idsets; a rank
 *                                   without them has core "0" and no gpus).
 * Requests that arrive while the ranks are being asked wait for the answer.
 * Only the ranks online once the instance runs (quorum reached) are
 * asked: a rank that never started is not waited for.  It gets rank 0's
 * cores and gpus and no hostname, and the scheduler holds it down until
 * it is online (sched.c, overlay.online).
 *
 * [resource] exclude (a hostlist or an idset of ranks) travels with R in
 * resource.acquire as the ranks never to schedule; a reload that changes
 * it tells the scheduler (sched.exclude).
 *
 * Drained ranks (resource.drain, resource.undrain) are kept in the KVS
 * under DRAIN_KEY, read at load before the first resource.acquire is
 * answered (they travel with R as "drained"), and changed one request at
 * a time: commit, then tell the scheduler (sched.drain), then answer.
 *
 * Node health ([resource.health], docs/config.md) is decided here, from
 * the overlay's word: overlay.online names the ranks online and the
 * torpid ones; exec tells of a rank that crashed under running jobs
 * (resource.crashed, after the overlay.crashed event).  The scheduler
 * holds down what is not online, and torpid ranks, by itself; an action
 * "drain" drains the rank with the reason (torpid, lost, "crashed with N
 * jobs running"), through resource.drain like an administrator's, so it
 * stays out after it is back, until undrained.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/future.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "kvs/kvs.h"
#include "sched/rlist.h"
#include "sched/rstate.h"
#include "sched/sched.h"

#define DRAIN_KEY "resource.drain"

/* What [resource.health] makes of a torpid, lost or crashed rank. */
enum health_action { ACT_NONE, ACT_DOWN, ACT_DRAIN };
enum { H_TORPID, H_LOST, H_CRASHED, H_COUNT };

static const struct health_key {
    const char *name;
    enum health_action dflt;
    const char *const choices[3];
} health_keys[H_COUNT] = {
    [H_TORPID] = {"torpid", ACT_NONE, {"none", "drain", NULL}},
    [H_LOST] = {"lost", ACT_DOWN, {"down", "drain", NULL}},
    [H_CRASHED] = {"crashed", ACT_DOWN, {"down", "drain", NULL}},
};

static enum health_action action_of (const char *name)
{
    return !strcmp (name, "drain") ? ACT_DRAIN : !strcmp (name, "down") ? ACT_DOWN : ACT_NONE;
}

/* The actions of config's health table (absent keys: the defaults), or
 * -1 with why naming the key and the value.
 */
static int
health_parse (const json_t *config, enum health_action act[H_COUNT], char *why, size_t len)
{
    json_t *t = json_object_get (config, "health");

    if (t && !json_is_object (t)) {
        snprintf (why, len, "[resource.health] must be a table");
        return -1;
    }
    for (int k = 0; k < H_COUNT; k++) {
        const struct health_key *hk = &health_keys[k];
        json_t *v = json_object_get (t, hk->name);
        const char *name = json_string_value (v);
        int i;
        act[k] = hk->dflt;
        if (!v)
            continue;
        for (i = 0; name && hk->choices[i]; i++)
            if (!strcmp (hk->choices[i], name))
                break;
        if (!name || !hk->choices[i]) {
            snprintf (why, len, "[resource.health] %s = %s%s%s: expected \"%s\" or \"%s\"",
                      hk->name, name ? "\"" : "", name ? name : "(not a string)",
                      name ? "\"" : "", hk->choices[0], hk->choices[1]);
            return -1;
        }
        act[k] = action_of (name);
    }
    return 0;
}

/* What one rank told us. */
struct rank_info {
    char *hostname;
    char *cores;
    char *gpus;
};

enum { Q_HOSTNAME, Q_CORES, Q_GPUS, Q_COUNT };

struct resource;

/* One attr.get in flight: the continuation's argument. */
struct query {
    struct resource *res;
    size_t k; /* rank * Q_COUNT + what */
    bool failed;
};

/* Ranks that have not joined yet cannot answer (the module loads while
 * rank 0 waits for quorum): ask again, every GATHER_RETRY seconds, up to
 * GATHER_ROUNDS times, before giving up on them (they get the defaults).
 */
#define GATHER_RETRY 0.5
#define GATHER_ROUNDS 120

static const char attr_names[Q_COUNT][16] = {"hostname", "resource.cores",
                                             "resource.gpus"};

struct resource {
    eddy_handle_t *h;
    eddy_msg_handler_t **handlers;
    json_t *R;       /* NULL while gathering */
    char error[256]; /* why R could not be built, if it could not */
    uint32_t size;
    struct rank_info *ranks;
    bool *unknown;           /* by rank: not online when asked, not asked */
    eddy_future_t *run_f;    /* broker.state-wait run, then overlay.online */
    eddy_future_t **futures; /* size x Q_COUNT */
    struct query *queries;   /* size x Q_COUNT */
    size_t pending;
    size_t nfailed;
    int rounds;
    eddy_watcher_t *retry;
    bool registered;
    const eddy_msg_t **waiting; /* acquire requests waiting for R */
    size_t nwaiting;
    char *exclude;            /* [resource] exclude as configured, or NULL */
    eddy_future_t *exclude_f; /* sched.exclude in flight */
    bool gathered;            /* gathering is over (R or an error) */

    /* drain: {"RANK": {"timestamp": T, "reason": S}} as persisted */
    json_t *drain;
    bool drain_loaded;           /* the KVS was read (or has no such key) */
    char drain_error[200];       /* why it could not be read: drain refused */
    eddy_future_t *drain_f;      /* the lookup, a commit or sched.drain */
    json_t *drain_next;          /* the state being committed */
    const eddy_msg_t *drain_msg; /* the request being carried out */
    const eddy_msg_t **dq;       /* drain requests waiting their turn */
    size_t ndq;
    eddy_rlist_t *rl; /* R decoded (targets, nodelists) */

    enum health_action health[H_COUNT];
    eddy_idset_t *was_online; /* as of the last overlay.online (NULL: none yet) */
    eddy_idset_t *was_torpid;
};

/* The ranks of exclude (an idset, or hostnames of R), as an idset string
 * (malloc'd), or NULL with why set.
 */
static char *exclude_ranks (const json_t *R, const char *exclude, char *why, size_t len)
{
    eddy_idset_t *ids = eddy_idset_decode (exclude, NULL);
    char *out = NULL;

    if (!ids) {
        eddy_hostlist_t *hl = eddy_hostlist_decode (exclude, NULL);
        eddy_rlist_t *rl = eddy_rlist_from_json ((json_t *)R, 0, NULL);
        struct eddy_hostlist_iter it;
        const char *host;
        if (!hl || !rl || !(ids = eddy_idset_create ())) {
            snprintf (why, len, "exclude '%s': %s", exclude,
                      hl ? "out of memory" : "neither an idset nor a hostlist");
            goto done;
        }
        eddy_hostlist_iter_init (&it, hl);
        while ((host = eddy_hostlist_iter_next (&it))) {
            unsigned rank = 0;
            size_t n = eddy_rlist_count (rl, EDDY_RLIST_RANKS);
            char *all = eddy_rlist_ranks (rl);
            eddy_idset_t *ranks = all ? eddy_idset_decode (all, NULL) : NULL;
            bool found = false;
            free (all);
            for (rank = eddy_idset_first (ranks); ranks && n-- > 0 && !found;
                 rank = eddy_idset_next (ranks, rank)) {
                const char *name = eddy_rlist_hostname (rl, rank);
                if (name && !strcmp (name, host)) {
                    eddy_idset_set (ids, rank);
                    found = true;
                }
            }
            eddy_idset_destroy (ranks);
            if (!found) {
                snprintf (why, len, "exclude: host %s is not in R", host);
                eddy_idset_destroy (ids);
                ids = NULL;
                break;
            }
        }
    done:
        eddy_hostlist_destroy (hl);
        eddy_rlist_destroy (rl);
    }
    if (ids && !(out = eddy_idset_encode (ids, EDDY_IDSET_RANGE)))
        snprintf (why, len, "out of memory");
    eddy_idset_destroy (ids);
    return out;
}

static char *drained_ranks (json_t *drain);

static void respond_acquire (struct resource *res, const eddy_msg_t *msg)
{
    char why[256], *ranks = NULL, *drained = NULL;

    if (res->R && res->exclude &&
        !(ranks = exclude_ranks (res->R, res->exclude, why, sizeof (why)))) {
        eddy_log (res->h, LOG_ERR, "resource: %s", why);
        eddy_respond_error (res->h, msg, EINVAL, why);
    } else if (res->R && !(drained = drained_ranks (res->drain)))
        eddy_respond_error (res->h, msg, ENOMEM, NULL);
    else if (res->R)
        eddy_respond_pack (res->h, msg, "{s:O s:s s:s}", "R", res->R, "exclude",
                           ranks ? ranks : "", "drained", drained);
    else
        eddy_respond_error (res->h, msg, EIO, res->error);
    free (ranks);
    free (drained);
}

/* Answer the acquire requests that waited, once R (or why not) and the
 * drained ranks are known.
 */
static void answer_waiting (struct resource *res)
{
    if (!res->drain_loaded || !(res->R || res->gathered))
        return;
    for (size_t i = 0; i < res->nwaiting; i++) {
        respond_acquire (res, res->waiting[i]);
        eddy_msg_decref (res->waiting[i]);
    }
    free (res->waiting);
    res->waiting = NULL;
    res->nwaiting = 0;
}

static void exclude_continuation (eddy_future_t *f, void *arg)
{
    struct resource *res = arg;
    if (eddy_rpc_get (f, NULL) < 0 && errno != ENOSYS)
        eddy_log (res->h, LOG_ERR, "resource: sched.exclude: %s",
                  eddy_future_error_string (f));
    eddy_future_destroy (f);
    if (res->exclude_f == f)
        res->exclude_f = NULL;
}

/* config.reload: [resource] exclude applies now; the rest at a restart */
static void
config_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct resource *res = arg;
    const char *exclude = NULL;
    char why[256], *ranks = NULL, *cp = NULL;
    enum health_action act[H_COUNT];

    if (json_unpack (eddy_msg_payload (msg), "{s:{s?s}}", "config", "exclude",
                     &exclude) < 0) {
        eddy_respond_error (h, msg, EPROTO, "resource: exclude must be a string");
        return;
    }
    if (health_parse (json_object_get (eddy_msg_payload (msg), "config"), act, why,
                      sizeof (why)) < 0) {
        eddy_respond_error (h, msg, EINVAL, why);
        return;
    }
    for (int k = 0; k < H_COUNT; k++) {
        if (act[k] != res->health[k])
            eddy_log (h, LOG_NOTICE, "resource: health %s: %s -> %s", health_keys[k].name,
                      res->health[k] == ACT_DRAIN ? "drain"
                      : res->health[k] == ACT_DOWN ? "down" : "none",
                      act[k] == ACT_DRAIN ? "drain" : act[k] == ACT_DOWN ? "down" : "none");
        res->health[k] = act[k];
    }
    if (exclude && !*exclude)
        exclude = NULL;
    if (!exclude == !res->exclude && (!exclude || !strcmp (exclude, res->exclude))) {
        eddy_respond (h, msg, NULL);
        return;
    }
    if (res->R && exclude &&
        !(ranks = exclude_ranks (res->R, exclude, why, sizeof (why)))) {
        eddy_respond_error (h, msg, EINVAL, why);
        return;
    }
    if (exclude && !(cp = strdup (exclude))) {
        free (ranks);
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    eddy_log (h, LOG_NOTICE, "resource: exclude '%s' -> '%s'%s%s",
              res->exclude ? res->exclude : "", exclude ? exclude : "",
              ranks ? ", ranks " : "", ranks ? ranks : "");
    free (res->exclude);
    res->exclude = cp;
    if (res->R) { /* else the scheduler gets it with R */
        eddy_future_destroy (res->exclude_f);
        res->exclude_f = eddy_rpc_pack (h, "sched.exclude", 0, 0, "{s:s}", "exclude",
                                        ranks ? ranks : "");
        if (!res->exclude_f ||
            eddy_future_then (res->exclude_f, -1, exclude_continuation, res) < 0) {
            eddy_log (h, LOG_ERR, "resource: sched.exclude: %s", strerror (errno));
            eddy_future_destroy (res->exclude_f);
            res->exclude_f = NULL;
        }
    }
    free (ranks);
    eddy_respond (h, msg, NULL);
}

static void
acquire_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct resource *res = arg;

    if ((res->R || res->gathered) && res->drain_loaded) {
        respond_acquire (res, msg);
        return;
    }
    const eddy_msg_t **w = realloc (res->waiting, (res->nwaiting + 1) * sizeof (*w));
    if (!w) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    res->waiting = w;
    res->waiting[res->nwaiting++] = eddy_msg_incref (msg);
}

/* A rank R was built without (it was not online) says what it has: if
 * that is not the guess (rank 0's), say so, since R is not rebuilt.
 */
static void late_continuation (eddy_future_t *f, void *arg)
{
    struct query *q = arg;
    struct resource *res = q->res;
    uint32_t rank = (uint32_t)(q->k / Q_COUNT);
    bool cores = q->k % Q_COUNT == Q_CORES;
    const char *guess = cores ? res->ranks[0].cores : res->ranks[0].gpus;
    const char *value = NULL;

    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) < 0 && errno != ENOENT)
        value = guess; /* gone again, or cannot say: nothing to compare */
    if (!guess || !guess[0])
        guess = cores ? "0" : "";
    if (!value || !value[0])
        value = cores ? "0" : "";
    if (strcmp (value, guess) != 0)
        eddy_log (res->h, LOG_WARNING,
                  "resource: rank %u has %s %s, but R gives it rank 0's (%s): it was not "
                  "online when R was built; restart the instance or configure R",
                  rank, cores ? "cores" : "gpus", value[0] ? value : "none",
                  guess[0] ? guess : "none");
    res->futures[q->k] = NULL;
    eddy_future_destroy (f);
}

/* Drain ids (not empty) with reason, as resource.drain -u would: an
 * administrator's reason is kept.  Through the module's own service, so
 * it waits its turn behind the requests in flight.
 */
static void health_drain (struct resource *res, const eddy_idset_t *ids, const char *reason)
{
    char *targets = eddy_idset_encode (ids, EDDY_IDSET_RANGE);

    if (!targets) {
        eddy_log (res->h, LOG_ERR, "resource: cannot drain for %s: out of memory", reason);
        return;
    }
    eddy_log (res->h, LOG_WARNING, "resource: rank%s %s: %s, drained", strpbrk (targets, ",-")
              ? "s" : "", targets, reason);
    eddy_future_destroy (eddy_rpc_pack (res->h, "resource.drain", 0, EDDY_RPC_NORESPONSE,
                                        "{s:s s:s s:s}", "targets", targets, "reason", reason,
                                        "mode", "update"));
    free (targets);
}

/* The ranks that became lost (online last time, not now) or torpid since
 * the last event, drained when [resource.health] says so.
 */
static void health_online (struct resource *res, eddy_idset_t *online, eddy_idset_t *torpid)
{
    eddy_idset_t *lost = NULL, *slow = NULL;

    if (res->was_online && res->health[H_LOST] == ACT_DRAIN &&
        (lost = eddy_idset_difference (res->was_online, online)) && !eddy_idset_empty (lost))
        health_drain (res, lost, "lost");
    if (res->health[H_TORPID] == ACT_DRAIN &&
        (slow = res->was_torpid ? eddy_idset_difference (torpid, res->was_torpid)
                                : eddy_idset_copy (torpid)) &&
        !eddy_idset_empty (slow))
        health_drain (res, slow, "torpid");
    eddy_idset_destroy (lost);
    eddy_idset_destroy (slow);
    eddy_idset_destroy (res->was_online);
    eddy_idset_destroy (res->was_torpid);
    res->was_online = online;
    res->was_torpid = torpid;
}

/* resource.crashed {rank, jobs} (from exec): rank restarted under jobs,
 * which have failed.  With crashed = "down" it is back already.
 */
static void
crashed_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct resource *res = arg;
    int rank, jobs;
    char reason[64];

    if (json_unpack (eddy_msg_payload (msg), "{s:i s:i}", "rank", &rank, "jobs", &jobs) < 0 ||
        rank < 0 || jobs < 0) {
        eddy_respond_error (h, msg, EPROTO, "resource.crashed: needs {rank, jobs}");
        return;
    }
    snprintf (reason, sizeof (reason), "crashed with %d job%s running", jobs,
              jobs == 1 ? "" : "s");
    eddy_idset_t *ids = NULL;
    if (res->health[H_CRASHED] != ACT_DRAIN)
        eddy_log (h, LOG_WARNING, "resource: rank %d %s: back at once (crashed = down)", rank,
                  reason);
    else if (!(ids = eddy_idset_create ()) || eddy_idset_set (ids, (unsigned)rank) < 0)
        eddy_log (h, LOG_ERR, "resource: rank %d %s: cannot drain it: out of memory", rank,
                  reason);
    else
        health_drain (res, ids, reason);
    eddy_idset_destroy (ids);
    eddy_respond (h, msg, NULL);
}

static void
online_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct resource *res = arg;
    const char *text, *ttext = "";
    eddy_idset_t *online, *torpid;

    if (json_unpack (eddy_msg_payload (msg), "{s:s s?s}", "online", &text, "torpid",
                     &ttext) < 0 ||
        !(online = eddy_idset_decode (text, NULL)))
        return;
    if (!(torpid = *ttext ? eddy_idset_decode (ttext, NULL) : eddy_idset_create ())) {
        eddy_idset_destroy (online);
        return;
    }
    eddy_idset_t *copy = eddy_idset_copy (online);
    if (copy)
        health_online (res, copy, torpid); /* takes both */
    else
        eddy_idset_destroy (torpid);
    if (!res->R || !res->unknown) {
        eddy_idset_destroy (online);
        return; /* R is given, or still being gathered */
    }
    for (uint32_t rank = 1; rank < res->size; rank++) {
        if (!res->unknown[rank] || !eddy_idset_test (online, rank))
            continue;
        res->unknown[rank] = false; /* asked once */
        for (size_t what = Q_CORES; what <= Q_GPUS; what++) {
            size_t k = (size_t)rank * Q_COUNT + what;
            eddy_future_t *f = eddy_rpc_pack (h, "attr.get", rank, 0, "{s:s}", "name",
                                              attr_names[what]);
            res->queries[k].res = res;
            res->queries[k].k = k;
            if (!f || eddy_future_then (f, -1, late_continuation, &res->queries[k]) < 0)
                eddy_future_destroy (f);
            else
                res->futures[k] = f;
        }
    }
    eddy_idset_destroy (online);
}

/* ---- drain ---- */

/* The ranks of a drain state as an idset string ("" for none), malloc'd;
 * NULL + ENOMEM.
 */
static char *drained_ranks (json_t *drain)
{
    eddy_idset_t *ids = eddy_idset_create ();
    const char *key;
    json_t *v;
    char *out = NULL;

    if (!ids)
        return NULL;
    json_object_foreach (drain, key, v)
    {
        if (eddy_idset_set (ids, (unsigned)strtoul (key, NULL, 10)) < 0)
            goto done;
    }
    out = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
done:
    eddy_idset_destroy (ids);
    return out;
}

struct group {
    eddy_idset_t *ranks;
    double timestamp;
    const char *reason;
};

static int cmp_group (const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->timestamp != y->timestamp)
        return x->timestamp < y->timestamp ? -1 : 1;
    unsigned fx = eddy_idset_first (x->ranks), fy = eddy_idset_first (y->ranks);
    return fx < fy ? -1 : fx > fy;
}

/* The drain state as [{ranks, timestamp, reason[, nodelist]}], one entry
 * per (timestamp, reason), oldest first: the persisted form, and the
 * listing's (with nodelists, when rl names every rank).  NULL + ENOMEM.
 */
static json_t *drain_groups (json_t *drain, const eddy_rlist_t *rl)
{
    json_t *index = json_object (), *out = NULL;
    struct group *g = calloc (json_object_size (drain) + 1, sizeof (*g));
    size_t n = 0;
    const char *key;
    json_t *v;

    if (!index || !g)
        goto done;
    json_object_foreach (drain, key, v)
    {
        double t = json_number_value (json_object_get (v, "timestamp"));
        const char *reason = json_string_value (json_object_get (v, "reason"));
        char gk[64];
        json_t *slot;
        size_t i;
        if (!reason)
            reason = "";
        /* a group is (timestamp, reason): an object by timestamp of
         * objects by reason (free text, so not glued into one key) */
        snprintf (gk, sizeof (gk), "%.6f", t);
        json_t *by_reason = json_object_get (index, gk);
        if (!by_reason && (!(by_reason = json_object ()) ||
                           json_object_set_new (index, gk, by_reason) < 0))
            goto done;
        if ((slot = json_object_get (by_reason, reason)))
            i = (size_t)json_integer_value (slot);
        else {
            i = n++;
            g[i] = (struct group){eddy_idset_create (), t, reason};
            if (!g[i].ranks || json_object_set_new (by_reason, reason,
                                                    json_integer ((json_int_t)i)) < 0)
                goto done;
        }
        if (eddy_idset_set (g[i].ranks, (unsigned)strtoul (key, NULL, 10)) < 0)
            goto done;
    }
    qsort (g, n, sizeof (*g), cmp_group);
    if (!(out = json_array ()))
        goto done;
    for (size_t i = 0; i < n; i++) {
        char *ranks = eddy_idset_encode (g[i].ranks, EDDY_IDSET_RANGE);
        json_t *e = ranks ? json_pack ("{s:s s:f s:s}", "ranks", ranks, "timestamp",
                                       g[i].timestamp, "reason", g[i].reason)
                          : NULL;
        if (e && rl) {
            eddy_rlist_t *sub = eddy_rlist_subset (rl, ranks, NULL);
            char *nodes = sub ? eddy_rlist_nodelist (sub) : NULL;
            if (nodes)
                json_object_set_new (e, "nodelist", json_string (nodes));
            free (nodes);
            eddy_rlist_destroy (sub);
        }
        free (ranks);
        if (!e || json_array_append_new (out, e) < 0) {
            json_decref (out);
            out = NULL;
            goto done;
        }
    }
done:
    for (size_t i = 0; g && i < n; i++)
        eddy_idset_destroy (g[i].ranks);
    free (g);
    json_decref (index);
    return out;
}

/* The persisted form back to the per-rank state; NULL + EINVAL if malformed. */
static json_t *drain_from_groups (json_t *o)
{
    json_t *drained, *e, *drain = json_object ();
    json_int_t version;
    size_t i;

    if (!drain ||
        json_unpack (o, "{s:I s:o}", "version", &version, "drained", &drained) < 0 ||
        version != 1 || !json_is_array (drained))
        goto error;
    json_array_foreach (drained, i, e)
    {
        const char *ranks, *reason;
        double t;
        eddy_idset_t *ids;
        if (json_unpack (e, "{s:s s:F s:s}", "ranks", &ranks, "timestamp", &t, "reason",
                         &reason) < 0 ||
            !(ids = eddy_idset_decode (ranks, NULL)))
            goto error;
        for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
             r = eddy_idset_next (ids, r)) {
            char key[16];
            snprintf (key, sizeof (key), "%u", r);
            if (json_object_set_new (
                    drain, key,
                    json_pack ("{s:f s:s}", "timestamp", t, "reason", reason)) < 0) {
                eddy_idset_destroy (ids);
                goto error;
            }
        }
        eddy_idset_destroy (ids);
    }
    return drain;
error:
    json_decref (drain);
    errno = EINVAL;
    return NULL;
}

static void drain_next_request (struct resource *res);

static void drain_finish (struct resource *res, int errnum, const char *text)
{
    if (errnum)
        eddy_respond_error (res->h, res->drain_msg, errnum, text);
    else
        eddy_respond (res->h, res->drain_msg, NULL);
    eddy_msg_decref (res->drain_msg);
    res->drain_msg = NULL;
    json_decref (res->drain_next);
    res->drain_next = NULL;
    drain_next_request (res);
}

static void sched_drain_continuation (eddy_future_t *f, void *arg)
{
    struct resource *res = arg;

    /* persisted already: the scheduler that missed it gets it with R */
    if (eddy_rpc_get (f, NULL) < 0 && errno != ENOSYS)
        eddy_log (res->h, LOG_ERR, "resource: sched.drain: %s",
                  eddy_future_error_string (f));
    eddy_future_destroy (f);
    res->drain_f = NULL;
    drain_finish (res, 0, NULL);
}

static void commit_continuation (eddy_future_t *f, void *arg)
{
    struct resource *res = arg;
    char *ranks = NULL;

    if (eddy_rpc_get (f, NULL) < 0) {
        char text[256];
        int errnum = errno;
        snprintf (text, sizeof (text),
                  "resource: the drain state could not be stored: %s",
                  eddy_future_error_string (f));
        eddy_future_destroy (f);
        res->drain_f = NULL;
        drain_finish (res, errnum, text); /* the state stays as it was */
        return;
    }
    eddy_future_destroy (f);
    res->drain_f = NULL;
    json_decref (res->drain);
    res->drain = res->drain_next;
    res->drain_next = NULL;
    if (!(ranks = drained_ranks (res->drain)) ||
        !(res->drain_f =
              eddy_rpc_pack (res->h, "sched.drain", 0, 0, "{s:s}", "drained", ranks)) ||
        eddy_future_then (res->drain_f, -1, sched_drain_continuation, res) < 0) {
        eddy_log (res->h, LOG_ERR, "resource: sched.drain: %s", strerror (errno));
        eddy_future_destroy (res->drain_f);
        res->drain_f = NULL;
        drain_finish (res, 0, NULL);
    }
    free (ranks);
}

/* The state after msg (a new reference), or NULL with *errnum and text. */
static json_t *drain_apply (
    struct resource *res, const eddy_msg_t *msg, int *errnum, char *text, size_t len)
{
    const char *topic = eddy_msg_topic (msg), *targets, *reason = "", *mode = "";
    bool undrain = topic && !strcmp (topic, "resource.undrain");
    eddy_error_t err = {.text = ""};
    eddy_idset_t *ids = NULL, *conflict = NULL;
    json_t *next = NULL;
    double now = eddy_reactor_wallclock (eddy_handle_reactor (res->h));

    *errnum = EINVAL;
    if (json_unpack (eddy_msg_payload (msg), "{s:s s?s s?s}", "targets", &targets,
                     "reason", &reason, "mode", &mode) < 0) {
        *errnum = EPROTO;
        snprintf (text, len, "needs {targets[, reason, mode]}");
        return NULL;
    }
    if (strcmp (mode, "") && strcmp (mode, "force") && strcmp (mode, "update")) {
        snprintf (text, len, "mode '%s' is not force or update", mode);
        return NULL;
    }
    if (res->drain_error[0]) {
        *errnum = EIO;
        snprintf (text, len, "refused: %s", res->drain_error);
        return NULL;
    }
    if (!res->R) {
        *errnum = EAGAIN;
        snprintf (text, len, "the resources are not known yet");
        return NULL;
    }
    if (!res->rl && !(res->rl = eddy_rlist_from_json (res->R, 0, &err))) {
        *errnum = EIO;
        snprintf (text, len, "R: %s", err.text);
        return NULL;
    }
    if (!(ids = eddy_rstate_targets (res->rl, targets, &err))) {
        *errnum = errno;
        snprintf (text, len, "%s", err.text);
        return NULL;
    }
    if (!(next = json_copy (res->drain)) || !(conflict = eddy_idset_create ()))
        goto nomem;
    for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (ids, r)) {
        char key[16];
        snprintf (key, sizeof (key), "%u", r);
        json_t *old = json_object_get (next, key);
        if (undrain) {
            if (!old)
                eddy_idset_set (conflict, r);
            else
                json_object_del (next, key);
        } else if (old && !strcmp (mode, "update"))
            continue; /* drained already: keeps its reason and time */
        else if (old && !strcmp (mode, "force")) {
            /* a new reason; the time it was first drained stays */
            json_t *e =
                json_pack ("{s:O s:s}", "timestamp", json_object_get (old, "timestamp"),
                           "reason", reason);
            if (!e || json_object_set_new (next, key, e) < 0)
                goto nomem;
        } else if (old)
            eddy_idset_set (conflict, r);
        else if (json_object_set_new (
                     next, key,
                     json_pack ("{s:f s:s}", "timestamp", now, "reason", reason)) < 0)
            goto nomem;
    }
    if (!eddy_idset_empty (conflict)) {
        char *c = eddy_idset_encode (conflict, EDDY_IDSET_RANGE);
        *errnum = undrain ? EINVAL : EEXIST;
        snprintf (
            text, len,
            undrain ? "rank%s %s %s not drained (undrain: every target must be drained)"
                    : "rank%s %s %s already drained (-f: new reason, -u: drain the "
                      "others only)",
            eddy_idset_count (conflict) > 1 ? "s" : "", c ? c : "?",
            eddy_idset_count (conflict) > 1 ? "are" : "is");
        free (c);
        goto error;
    }
    eddy_idset_destroy (ids);
    eddy_idset_destroy (conflict);
    return next;
nomem:
    *errnum = ENOMEM;
    snprintf (text, len, "out of memory");
error:
    eddy_idset_destroy (ids);
    eddy_idset_destroy (conflict);
    json_decref (next);
    return NULL;
}

/* Carry out the next waiting request, unless one is under way. */
static void drain_next_request (struct resource *res)
{
    /* a drain names ranks of R: those sent before R is known wait for it */
    while (!res->drain_msg && res->ndq > 0 && (res->R || res->error[0])) {
        const eddy_msg_t *msg = res->dq[0];
        char text[256];
        int errnum;
        json_t *groups = NULL;
        eddy_kvs_txn_t *txn = NULL;

        memmove (res->dq, res->dq + 1, (res->ndq - 1) * sizeof (*res->dq));
        res->ndq--;
        if (!(res->drain_next = drain_apply (res, msg, &errnum, text, sizeof (text)))) {
            eddy_respond_error (res->h, msg, errnum, text);
            eddy_msg_decref (msg);
            continue;
        }
        res->drain_msg = msg;
        if (!(groups = drain_groups (res->drain_next, NULL)) ||
            !(txn = eddy_kvs_txn_create ()) ||
            eddy_kvs_txn_put_pack (txn, DRAIN_KEY, "{s:i s:O}", "version", 1, "drained",
                                   groups) < 0 ||
            !(res->drain_f = eddy_kvs_commit (res->h, NULL, 0, txn)) ||
            eddy_future_then (res->drain_f, -1, commit_continuation, res) < 0) {
            snprintf (text, sizeof (text),
                      "resource: the drain state could not be stored: %s",
                      strerror (errno));
            eddy_future_destroy (res->drain_f);
            res->drain_f = NULL;
            json_decref (groups);
            eddy_kvs_txn_destroy (txn);
            drain_finish (res, errno ? errno : ENOMEM, text);
            return;
        }
        json_decref (groups);
        eddy_kvs_txn_destroy (txn);
    }
}

/* resource.drain {targets, reason?, mode?: "force"|"update"} and
 * resource.undrain {targets} -> {} once stored and told the scheduler.
 */
static void
drain_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct resource *res = arg;
    const eddy_msg_t **q = realloc (res->dq, (res->ndq + 1) * sizeof (*q));

    if (!q) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    res->dq = q;
    res->dq[res->ndq++] = eddy_msg_incref (msg);
    if (res->drain_loaded)
        drain_next_request (res);
}

/* resource.drain-list {} -> {drained: [{ranks, timestamp, reason, nodelist?}]} */
static void drain_list_cb (eddy_handle_t *h,
                           eddy_msg_handler_t *mh,
                           const eddy_msg_t *msg,
                           void *arg)
{
    struct resource *res = arg;
    eddy_error_t err;
    json_t *groups;

    if (!res->drain_loaded) {
        eddy_respond_error (h, msg, EAGAIN, "resource: the drain state is being read");
        return;
    }
    if (res->R && !res->rl)
        res->rl = eddy_rlist_from_json (res->R, 0, &err);
    if (!(groups = drain_groups (res->drain, res->rl))) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    eddy_respond_pack (h, msg, "{s:o}", "drained", groups);
}

static void drain_load_continuation (eddy_future_t *f, void *arg)
{
    struct resource *res = arg;
    const char *text;
    json_t *o, *drain;

    if (eddy_kvs_lookup_get (f, &text) < 0) {
        if (errno != ENOENT && errno != ENOSYS) {
            snprintf (res->drain_error, sizeof (res->drain_error), "%s %s: %s",
                      "the stored drain state could not be read:", DRAIN_KEY,
                      eddy_future_error_string (f));
            eddy_log (res->h, LOG_ERR, "resource: %s", res->drain_error);
        }
    } else if (!(o = json_loads (text, 0, NULL)) || !(drain = drain_from_groups (o))) {
        snprintf (res->drain_error, sizeof (res->drain_error),
                  "the stored drain state (%s) is malformed: repair or unlink it, "
                  "then restart",
                  DRAIN_KEY);
        eddy_log (res->h, LOG_ERR, "resource: %s", res->drain_error);
        json_decref (o);
    } else {
        json_decref (o);
        json_decref (res->drain);
        res->drain = drain;
    }
    eddy_future_destroy (f);
    res->drain_f = NULL;
    res->drain_loaded = true;
    answer_waiting (res);
    drain_next_request (res);
}

static const struct eddy_msg_handler_spec handlers[] = {
    {EDDY_MSGTYPE_REQUEST, "resource.acquire", acquire_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "resource.drain", drain_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "resource.undrain", drain_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "resource.drain-list", drain_list_cb, EDDY_ROLE_ALL},
    {EDDY_MSGTYPE_REQUEST, "config.reload", config_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "resource.crashed", crashed_cb, 0},
    {EDDY_MSGTYPE_EVENT, "overlay.online", online_cb, 0},
    EDDY_MSGHANDLER_TABLE_END,
};

static json_t *
build_uniform (json_int_t nodes, json_int_t cores, json_int_t gpus, eddy_error_t *err)
{
    eddy_rlist_t *rl = eddy_rlist_create ();
    char cs[32], gs[32];
    json_t *R = NULL;

    if (!rl)
        return NULL;
    snprintf (cs, sizeof (cs), cores == 1 ? "0" : "0-%lld", (long long)cores - 1);
    snprintf (gs, sizeof (gs), gpus == 1 ? "0" : "0-%lld", (long long)gpus - 1);
    for (json_int_t i = 0; i < nodes; i++)
        if (eddy_rlist_add_rank (rl, (unsigned)i, NULL, cs, gpus > 0 ? gs : NULL, err) <
            0)
            goto done;
    R = eddy_rlist_to_json (rl);
done:
    eddy_rlist_destroy (rl);
    return R;
}

/* Every rank has answered: build R and answer who waited. */
static void gathered (struct resource *res)
{
    eddy_rlist_t *rl = eddy_rlist_create ();
    eddy_error_t err = {.text = ""};

    for (uint32_t i = 0; rl && i < res->size; i++) {
        struct rank_info *ri = &res->ranks[i];
        if (res->unknown[i])
            ri = &res->ranks[0]; /* a guess: like rank 0, without its name */
        if (eddy_rlist_add_rank (rl, i, res->unknown[i] ? NULL : ri->hostname,
                                 ri->cores ? ri->cores : "0", ri->gpus, &err) < 0) {
            snprintf (res->error, sizeof (res->error), "rank %u: %s", i, err.text);
            break;
        }
    }
    if (rl && !res->error[0] && !(res->R = eddy_rlist_to_json (rl)))
        snprintf (res->error, sizeof (res->error), "out of memory");
    if (!rl)
        snprintf (res->error, sizeof (res->error), "out of memory");
    eddy_rlist_destroy (rl);
    res->gathered = true;
    answer_waiting (res);
    if (res->drain_loaded)
        drain_next_request (res);
}

static int ask (struct resource *res, size_t k);

static void attr_continuation (eddy_future_t *f, void *arg)
{
    struct query *q = arg;
    struct resource *res = q->res;
    size_t k = q->k;
    struct rank_info *ri = &res->ranks[k / Q_COUNT];
    char **slot = k % Q_COUNT == Q_HOSTNAME ? &ri->hostname
                  : k % Q_COUNT == Q_CORES  ? &ri->cores
                                            : &ri->gpus;
    const char *value;

    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) == 0) {
        if (value[0] && !*slot)
            *slot = strdup (value);
    } else if (errno == EHOSTUNREACH) {
        /* the rank went away while asked (its broker answered for it):
         * as a rank that never started, it is guessed like rank 0 and
         * held down until it is back */
        res->unknown[k / Q_COUNT] = true;
    } else if (errno != ENOENT) {
        /* an absent attribute (ENOENT) leaves the default; anything else
         * (the rank is not up yet) is asked again */
        q->failed = true;
        res->nfailed++;
    }
    res->futures[k] = NULL;
    res->pending--;
    eddy_future_destroy (f);
    if (res->pending > 0)
        return;
    if (res->nfailed > 0 && res->rounds < GATHER_ROUNDS) {
        eddy_watcher_start (res->retry);
        return;
    }
    gathered (res);
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct resource *res = arg;

    res->rounds++;
    res->nfailed = 0;
    for (size_t k = 0; k < (size_t)res->size * Q_COUNT; k++) {
        if (res->queries[k].failed) {
            res->queries[k].failed = false;
            if (ask (res, k) < 0)
                res->queries[k].failed = true; /* left to the defaults */
        }
    }
    if (res->pending == 0)
        gathered (res);
}

static int ask (struct resource *res, size_t k)
{
    eddy_future_t *f = eddy_rpc_pack (res->h, "attr.get", (uint32_t)(k / Q_COUNT), 0,
                                      "{s:s}", "name", attr_names[k % Q_COUNT]);
    res->queries[k].res = res;
    res->queries[k].k = k;
    if (!f || eddy_future_then (f, -1, attr_continuation, &res->queries[k]) < 0) {
        eddy_future_destroy (f);
        return -1;
    }
    res->futures[k] = f;
    res->pending++;
    return 0;
}

static void online_continuation (eddy_future_t *f, void *arg)
{
    struct resource *res = arg;
    const char *text;
    eddy_idset_t *online = NULL;

    if (eddy_rpc_get_unpack (f, "{s:s}", "online", &text) == 0)
        online = eddy_idset_decode (text, NULL);
    if (!online)
        eddy_log (res->h, LOG_ERR, "resource: overlay.online: %s: asking every rank",
                  eddy_future_error_string (f));
    eddy_future_destroy (f);
    res->run_f = NULL;
    res->pending--;
    for (size_t k = 0; k < (size_t)res->size * Q_COUNT; k++) {
        uint32_t rank = (uint32_t)(k / Q_COUNT);
        if (rank > 0 && online && !eddy_idset_test (online, rank)) {
            res->unknown[rank] = true;
            continue;
        }
        if (ask (res, k) < 0)
            res->queries[k].failed = true; /* left to the defaults */
    }
    eddy_idset_destroy (online);
    if (res->pending == 0)
        gathered (res);
}

static void run_continuation (eddy_future_t *f, void *arg)
{
    struct resource *res = arg;

    /* up or not, ask who is online now */
    eddy_future_destroy (f);
    if (!(res->run_f = eddy_rpc (res->h, "overlay.online", NULL, 0, 0)) ||
        eddy_future_then (res->run_f, -1, online_continuation, res) < 0) {
        eddy_future_destroy (res->run_f);
        res->run_f = NULL;
        res->pending--;
        snprintf (res->error, sizeof (res->error), "overlay.online: %s", strerror (errno));
        gathered (res);
    }
}

static int gather (struct resource *res)
{
    res->size = eddy_handle_size (res->h);
    if (res->size == EDDY_NODEID_ANY || res->size == 0)
        res->size = 1;
    if (!(res->ranks = calloc (res->size, sizeof (*res->ranks))) ||
        !(res->futures =
              calloc ((size_t)res->size * Q_COUNT, sizeof (*res->futures))) ||
        !(res->queries =
              calloc ((size_t)res->size * Q_COUNT, sizeof (*res->queries))) ||
        !(res->unknown = calloc (res->size, sizeof (*res->unknown))) ||
        !(res->retry = eddy_timer_create (eddy_handle_reactor (res->h), GATHER_RETRY, 0,
                                          retry_cb, res)))
        return -1;
    /* wait for quorum: the ranks online then are the ones to ask */
    if (!(res->run_f = eddy_rpc_pack (res->h, "broker.state-wait", 0, 0, "{s:s}", "state",
                                      "run")) ||
        eddy_future_then (res->run_f, -1, run_continuation, res) < 0)
        return -1;
    res->pending++; /* so acquire waits meanwhile */
    return 0;
}

static void resource_unload (void *ctx)
{
    struct resource *res = ctx;

    if (!res)
        return;
    for (size_t i = 0; i < res->nwaiting; i++) {
        eddy_respond_error (res->h, res->waiting[i], ENOSYS,
                            "the resource module was unloaded");
        eddy_msg_decref (res->waiting[i]);
    }
    free (res->waiting);
    for (size_t k = 0; res->futures && k < (size_t)res->size * Q_COUNT; k++)
        eddy_future_destroy (res->futures[k]);
    free (res->futures);
    free (res->queries);
    free (res->unknown);
    eddy_future_destroy (res->run_f);
    eddy_watcher_destroy (res->retry);
    for (uint32_t i = 0; res->ranks && i < res->size; i++) {
        free (res->ranks[i].hostname);
        free (res->ranks[i].cores);
        free (res->ranks[i].gpus);
    }
    free (res->ranks);
    eddy_msg_handler_delvec (res->handlers);
    if (res->registered)
        eddy_service_unregister (res->h, "resource");
    json_decref (res->R);
    eddy_future_destroy (res->exclude_f);
    free (res->exclude);
    if (res->drain_msg) {
        eddy_respond_error (res->h, res->drain_msg, ENOSYS,
                            "the resource module was unloaded");
        eddy_msg_decref (res->drain_msg);
    }
    for (size_t i = 0; i < res->ndq; i++) {
        eddy_respond_error (res->h, res->dq[i], ENOSYS,
                            "the resource module was unloaded");
        eddy_msg_decref (res->dq[i]);
    }
    free (res->dq);
    eddy_future_destroy (res->drain_f);
    json_decref (res->drain);
    json_decref (res->drain_next);
    eddy_rlist_destroy (res->rl);
    eddy_idset_destroy (res->was_online);
    eddy_idset_destroy (res->was_torpid);
    free (res);
}

/* Why the module's args cannot describe a machine, or NULL if they can. */
static const char *bad_args (json_t *R,
                             json_int_t nodes,
                             json_int_t cores,
                             json_int_t gpus,
                             char *buf,
                             size_t len)
{
    if (nodes < 0 || nodes > EDDY_RESOURCE_NODES_MAX)
        snprintf (buf, len, "nodes %lld is not in 0-%u", (long long)nodes,
                  EDDY_RESOURCE_NODES_MAX);
    else if (cores < 0 || cores > EDDY_RESOURCE_CORES_MAX)
        snprintf (buf, len, "cores_per_node %lld is not in 0-%d", (long long)cores,
                  EDDY_RESOURCE_CORES_MAX);
    else if (gpus < 0 || gpus > EDDY_RESOURCE_CORES_MAX)
        snprintf (buf, len, "gpus_per_node %lld is not in 0-%d", (long long)gpus,
                  EDDY_RESOURCE_CORES_MAX);
    else if (nodes > 0 && cores + gpus == 0)
        snprintf (buf, len, "nodes without cores or gpus");
    else if (R && nodes)
        snprintf (buf, len, "R and nodes are exclusive");
    else
        return NULL;
    return buf;
}

static int resource_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct resource *res;
    json_t *R = NULL;
    json_int_t nodes = 0, cores = 1, gpus = 0;
    eddy_error_t err;
    char reason[128];
    const char *why;

    if (args && json_unpack (args, "{s?o s?I s?I s?I}", "R", &R, "nodes", &nodes,
                             "cores_per_node", &cores, "gpus_per_node", &gpus) < 0) {
        errno = EINVAL;
        return -1;
    }
    if ((why = bad_args (R, nodes, cores, gpus, reason, sizeof (reason)))) {
        eddy_log (h, LOG_ERR, "resource: %s", why);
        errno = EINVAL;
        return -1;
    }
    if (!(res = calloc (1, sizeof (*res))))
        return -1;
    res->h = h;
    if (eddy_handle_rank (h) != 0) {
        /* rank 0 only: elsewhere (eddy start -m loads everywhere) stay inert */
        *ctx = res;
        return 0;
    }
    const char *exclude = NULL;
    char hwhy[256];
    if (health_parse (eddy_handle_config (h), res->health, hwhy, sizeof (hwhy)) < 0) {
        eddy_log (h, LOG_ERR, "resource: %s", hwhy);
        errno = EINVAL;
        goto error;
    }
    if (json_unpack ((json_t *)eddy_handle_config (h), "{s?s}", "exclude", &exclude) ==
            0 &&
        exclude && *exclude && !(res->exclude = strdup (exclude)))
        goto error;
    if (R) {
        eddy_rlist_t *rl = eddy_rlist_from_json (R, 0, &err);
        if (!rl) {
            errno = EINVAL;
            goto error;
        }
        eddy_rlist_destroy (rl);
        res->R = json_incref (R);
    } else if (nodes > 0) {
        if (!(res->R = build_uniform (nodes, cores, gpus, &err)))
            goto error;
    }
    if (eddy_msg_handler_addvec (h, handlers, res, &res->handlers) < 0 ||
        eddy_service_register (h, "resource") < 0)
        goto error;
    res->registered = true;
    if (!(res->drain = json_object ()) ||
        !(res->drain_f = eddy_kvs_lookup (h, NULL, 0, DRAIN_KEY)) ||
        eddy_future_then (res->drain_f, -1, drain_load_continuation, res) < 0)
        goto error;
    if (eddy_event_subscribe (h, "overlay.online") < 0)
        goto error;
    if (!res->R && gather (res) < 0)
        goto error;
    *ctx = res;
    return 0;
error : {
    int saved_errno = errno;
    resource_unload (res);
    errno = saved_errno;
}
    return -1;
}

const struct eddy_module eddy_module_resource = {
    .name = "resource",
    .load = resource_load,
    .unload = resource_unload,
};
