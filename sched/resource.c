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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/future.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "sched/rlist.h"
#include "sched/sched.h"

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

static void respond_acquire (struct resource *res, const eddy_msg_t *msg)
{
    char why[256], *ranks = NULL;

    if (res->R && res->exclude &&
        !(ranks = exclude_ranks (res->R, res->exclude, why, sizeof (why)))) {
        eddy_log (res->h, LOG_ERR, "resource: %s", why);
        eddy_respond_error (res->h, msg, EINVAL, why);
    } else if (res->R)
        eddy_respond_pack (res->h, msg, "{s:O s:s}", "R", res->R, "exclude",
                           ranks ? ranks : "");
    else
        eddy_respond_error (res->h, msg, EIO, res->error);
    free (ranks);
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

    if (json_unpack (eddy_msg_payload (msg), "{s:{s?s}}", "config", "exclude",
                     &exclude) < 0) {
        eddy_respond_error (h, msg, EPROTO, "resource: exclude must be a string");
        return;
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

    if (res->R || res->pending == 0) {
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

static void
online_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct resource *res = arg;
    const char *text;
    eddy_idset_t *online;

    if (!res->R || !res->unknown)
        return; /* R is given, or still being gathered */
    if (json_unpack (eddy_msg_payload (msg), "{s:s}", "online", &text) < 0 ||
        !(online = eddy_idset_decode (text, NULL)))
        return;
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

static const struct eddy_msg_handler_spec handlers[] = {
    {EDDY_MSGTYPE_REQUEST, "resource.acquire", acquire_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "config.reload", config_cb, 0},
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
    for (size_t i = 0; i < res->nwaiting; i++) {
        respond_acquire (res, res->waiting[i]);
        eddy_msg_decref (res->waiting[i]);
    }
    free (res->waiting);
    res->waiting = NULL;
    res->nwaiting = 0;
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
    if (!res->R && eddy_event_subscribe (h, "overlay.online") < 0)
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
