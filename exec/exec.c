/* exec.c - the exec module: arguments, message handlers by table, and the
 * two halves it hosts (coordinator on rank 0, job shell on every rank).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/util/fsd.h"
#include "exec/exec.h"
#include "exec/exec_impl.h"

void exec_log (struct exec_ctx *ctx, int level, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    eddy_future_t *f = eddy_rpc_pack (ctx->h, "log.append", ctx->rank, EDDY_RPC_NORESPONSE,
                                      "{s:i s:s s:s}", "level", level, "name", "exec", "message",
                                      text);
    eddy_future_destroy (f);
}

static bool from_rank0_only (struct exec_ctx *ctx, const eddy_msg_t *msg)
{
    if (!ctx->coord) {
        eddy_respond_error (ctx->h, msg, EINVAL, "exec jobs are started and killed on rank 0 only");
        return false;
    }
    return true;
}

/* The sim backend has no shell: requests for one are ENOSYS. */
static bool has_shell (struct exec_ctx *ctx, const eddy_msg_t *msg)
{
    if (!ctx->shell) {
        eddy_respond_error (ctx->h, msg, ENOSYS, "exec: the sim backend runs no processes");
        return false;
    }
    return true;
}

static void start_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (from_rank0_only (ctx, msg))
        coord_start (ctx->coord, msg);
}

static void kill_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (from_rank0_only (ctx, msg))
        coord_kill (ctx->coord, msg);
}

static void launch_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (has_shell (ctx, msg))
        shell_launch (ctx->shell, msg);
}

/* exec.stdin: a client's chunk of a job's stdin, for the coordinator;
 * another rank relays it there */
static void stdin_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (ctx->coord)
        coord_stdin (ctx->coord, msg);
    else
        relay_stdin (ctx->relay, msg);
}

/* exec.gone: a relaying rank's client went away */
static void gone_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    json_int_t rank, origin;
    if (ctx->coord
        && json_unpack (eddy_msg_payload (msg), "{s:I s:I}", "rank", &rank, "origin", &origin) == 0
        && rank > 0 && origin > 0)
        coord_input_gone (ctx->coord, (uint32_t)rank, (uint64_t)origin);
}

/* exec.input: the coordinator's forward of it to a rank's shell */
static void input_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (has_shell (ctx, msg))
        shell_input (ctx->shell, msg);
}

/* a client of this broker went away: the stdin it fed ends */
static void disconnect_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                           void *arg)
{
    struct exec_ctx *ctx = arg;
    if (ctx->coord)
        coord_input_gone (ctx->coord, 0, eddy_msg_route_first (msg));
    else
        relay_disconnect (ctx->relay, msg);
}

static void signal_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (has_shell (ctx, msg))
        shell_signal (ctx->shell, msg);
}

/* exec.pmi: a rank's part of a PMI barrier, from a child rank of the job */
static void pmi_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (has_shell (ctx, msg))
        shell_pmi (ctx->shell, msg);
}

static void perilog_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    perilog_run (ctx->perilog, msg);
}

static void stats_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    eddy_respond_pack (h, msg, "{s:s s:i s:f}", "backend", ctx->sim ? "sim" : "real", "jobs",
                       ctx->coord ? coord_count (ctx->coord) : 0, "kill_timeout",
                       ctx->kill_timeout);
}

/* [exec] kill-timeout: seconds, or a duration ("10s"); 1 if absent, 0 if
 * read, -1 if malformed.
 */
static int conf_kill_timeout (const json_t *table, double *t)
{
    const json_t *v = json_object_get (table, "kill-timeout");
    double d;

    if (!v)
        return 1;
    if (json_is_number (v))
        d = json_number_value (v);
    else if (!json_is_string (v) || eddy_fsd_parse (json_string_value (v), &d, NULL) < 0)
        return -1;
    if (!(d >= 0) || d > 86400)
        return -1;
    *t = d;
    return 0;
}

/* [exec] imp: the path of eddy-imp, for jobs of users other than the
 * instance owner.  0 if read (or absent: *imp NULL), -1 if malformed.
 */
static int conf_imp (const json_t *table, char **imp)
{
    const json_t *v = json_object_get (table, "imp");
    const char *s = json_string_value (v);

    *imp = NULL;
    if (!v)
        return 0;
    if (!s || s[0] != '/')
        return -1;
    return (*imp = strdup (s)) ? 0 : -1;
}

/* config.reload (from the broker): kill-timeout applies to the next job
 * that overruns its time limit or is canceled.
 */
static void config_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    json_t *table = NULL;
    double t = 5.0;
    char *imp;

    if (json_unpack (eddy_msg_payload (msg), "{s:o}", "config", &table) < 0
        || conf_kill_timeout (table, &t) < 0) {
        eddy_respond_error (h, msg, EPROTO, "exec: kill-timeout must be a duration up to 1d");
        return;
    }
    if (conf_imp (table, &imp) < 0 || perilog_configure (ctx->perilog, table) < 0) {
        free (imp);
        eddy_respond_error (h, msg, EPROTO, "exec: imp must be an absolute path");
        return;
    }
    /* the next job of another user is started through it */
    free (ctx->imp);
    ctx->imp = imp;
    if (!ctx->kill_timeout_pinned && t != ctx->kill_timeout) {
        if (ctx->rank == 0)
            exec_log (ctx, LOG_NOTICE, "kill-timeout: %gs -> %gs", ctx->kill_timeout, t);
        ctx->kill_timeout = t;
    }
    eddy_respond (h, msg, NULL);
}

/* Rank 0's word on which ranks are online: a job on one that is not has
 * lost its tasks there.  Its epoch tells every rank's shell which start of
 * rank 0 is in force: tasks launched by an earlier one are killed.
 */
static void online_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    const char *text;
    json_int_t epoch = 0;
    eddy_idset_t *online;

    if (json_unpack (eddy_msg_payload (msg), "{s:s s?I}", "online", &text, "epoch", &epoch) < 0
        || epoch < 0 || !(online = eddy_idset_decode (text, NULL))) {
        exec_log (ctx, LOG_ERR, "overlay.online: malformed event");
        return;
    }
    if (ctx->shell)
        shell_epoch (ctx->shell, (uint64_t)epoch);
    if (ctx->coord)
        coord_online (ctx->coord, online);
    eddy_idset_destroy (online);
}

/* Rank 0's word that a rank started again (overlay.restarted). */
static void crashed_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    int rank;

    if (json_unpack (eddy_msg_payload (msg), "{s:i}", "rank", &rank) < 0 || rank < 0) {
        exec_log (ctx, LOG_ERR, "overlay.restarted: malformed event");
        return;
    }
    if (ctx->coord)
        coord_crashed (ctx->coord, (uint32_t)rank);
}

/* This broker's word that it is cut off from rank 0 (its parent died). */
static void cutoff_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct exec_ctx *ctx = arg;
    if (ctx->shell)
        shell_cutoff (ctx->shell);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "exec.start", start_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.kill", kill_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.launch", launch_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.signal", signal_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.stdin", stdin_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "exec.input", input_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.gone", gone_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "disconnect", disconnect_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.pmi", pmi_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.perilog", perilog_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "exec.stats", stats_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "config.reload", config_cb, 0 },
    { EDDY_MSGTYPE_EVENT, "overlay.online", online_cb, 0 },
    { EDDY_MSGTYPE_EVENT, "overlay.restarted", crashed_cb, 0 },
    { EDDY_MSGTYPE_EVENT, "overlay.cutoff", cutoff_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

/* The tasks' EDDY_URI is this broker's local-uri attribute, when it has one. */
static void uri_cb (eddy_future_t *f, void *arg)
{
    struct exec_ctx *ctx = arg;
    const char *value;
    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) == 0)
        ctx->local_uri = strdup (value);
    eddy_future_destroy (f);
    ctx->uri_f = NULL;
}

/* The guard program is the broker's attribute exec.guard, when it has
 * one; until the answer (or without one) guards are the broker's own
 * executable in guard mode.
 */
static void guard_cb (eddy_future_t *f, void *arg)
{
    struct exec_ctx *ctx = arg;
    const char *value;
    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) == 0 && *value)
        ctx->guard_exe = strdup (value);
    eddy_future_destroy (f);
    ctx->guard_f = NULL;
}

static bool ask_dir (struct exec_ctx *ctx, const char *name);

/* Job records go in the statedir, which outlives a restart of the
 * instance, else in the runtime directory; asked in that order.
 */
static void dir_cb (eddy_future_t *f, void *arg)
{
    struct exec_ctx *ctx = arg;
    const char *value;
    bool statedir = !strcmp (eddy_future_aux_get (f, "name"), "statedir");

    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) == 0 && *value) {
        shell_records_dir (ctx->shell, value);
        eddy_future_destroy (f);
        ctx->dir_f = NULL;
        return;
    }
    eddy_future_destroy (f);
    ctx->dir_f = NULL;
    if (statedir && !ask_dir (ctx, "broker.rundir"))
        exec_log (ctx, LOG_ERR, "attr.get broker.rundir: %s", strerror (errno));
}

static bool ask_dir (struct exec_ctx *ctx, const char *name)
{
    ctx->dir_f = eddy_rpc_pack (ctx->h, "attr.get", ctx->rank, 0, "{s:s}", "name", name);
    if (!ctx->dir_f || eddy_future_aux_set (ctx->dir_f, "name", (void *)name, NULL) < 0
        || eddy_future_then (ctx->dir_f, -1, dir_cb, ctx) < 0) {
        eddy_future_destroy (ctx->dir_f);
        ctx->dir_f = NULL;
        return false;
    }
    return true;
}

static void exec_unload (void *arg)
{
    struct exec_ctx *ctx = arg;
    if (ctx) {
        int saved_errno = errno;
        eddy_msg_handler_delvec (ctx->handlers);
        coord_destroy (ctx->coord);
        relay_destroy (ctx->relay);
        shell_destroy (ctx->shell);
        perilog_destroy (ctx->perilog);
        eddy_future_destroy (ctx->uri_f);
        free (ctx->local_uri);
        eddy_future_destroy (ctx->guard_f);
        free (ctx->guard_exe);
        free (ctx->imp);
        eddy_future_destroy (ctx->dir_f);
        free (ctx);
        errno = saved_errno;
    }
}

static int exec_load (eddy_handle_t *h, json_t *args, void **out)
{
    struct exec_ctx *ctx;
    const char *backend = "real";
    double kill_timeout = 5.0;
    int test_time_limit = 1;
    int cgroup = 1;
    json_error_t jerr;

    /* [exec] first, then the module args, which win */
    if (conf_kill_timeout (eddy_handle_config (h), &kill_timeout) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (args && json_unpack_ex (args, &jerr, JSON_STRICT, "{s?s s?F s?b s?b}", "backend", &backend,
                                "kill_timeout", &kill_timeout, "test_time_limit", &test_time_limit,
                                "cgroup", &cgroup)
                    < 0) {
        errno = EINVAL;
        return -1;
    }
    if ((strcmp (backend, "real") && strcmp (backend, "sim")) || !(kill_timeout >= 0)
        || kill_timeout > 86400) {
        errno = EINVAL;
        return -1;
    }
    if (!(ctx = calloc (1, sizeof (*ctx))))
        return -1;
    ctx->h = h;
    ctx->r = eddy_handle_reactor (h);
    ctx->rank = eddy_handle_rank (h);
    ctx->sim = !strcmp (backend, "sim");
    ctx->kill_timeout = kill_timeout;
    ctx->kill_timeout_pinned = args && json_object_get (args, "kill_timeout");
    ctx->test_time_limit = test_time_limit;
    ctx->cgroup = cgroup;
    if (conf_imp (eddy_handle_config (h), &ctx->imp) < 0) {
        exec_log (ctx, LOG_ERR, "[exec] imp must be an absolute path");
        free (ctx);
        errno = EINVAL;
        return -1;
    }
    if (!ctx->sim && eddy_reactor_is_sim (ctx->r)) {
        exec_log (ctx, LOG_ERR, "backend real needs file descriptors: use backend sim in the simulator");
        free (ctx->imp);
        free (ctx);
        errno = ENOTSUP;
        return -1;
    }
    if (ctx->rank == 0 && !(ctx->coord = coord_create (ctx)))
        goto error;
    if (ctx->rank != 0 && !(ctx->relay = relay_create (ctx)))
        goto error;
    if (!(ctx->perilog = perilog_create (ctx))
        || perilog_configure (ctx->perilog, eddy_handle_config (h)) < 0)
        goto error;
    /* tasks' EDDY_URI; in the simulator, a nested instance's parent-uri */
    ctx->uri_f = eddy_rpc_pack (h, "attr.get", ctx->rank, 0, "{s:s}", "name", "local-uri");
    if (!ctx->uri_f || eddy_future_then (ctx->uri_f, -1, uri_cb, ctx) < 0)
        goto error;
    if (!ctx->sim) {
        if (!(ctx->shell = shell_create (ctx)))
            goto error;
        ctx->guard_f = eddy_rpc_pack (h, "attr.get", ctx->rank, 0, "{s:s}", "name", "exec.guard");
        if (!ctx->guard_f || eddy_future_then (ctx->guard_f, -1, guard_cb, ctx) < 0)
            goto error;
        if (!ask_dir (ctx, "statedir"))
            goto error;
    }
    if (eddy_msg_handler_addvec (h, handlers, ctx, &ctx->handlers) < 0
        || eddy_service_register (h, "exec") < 0
        || ((ctx->coord || ctx->shell) && eddy_event_subscribe (h, "overlay.online") < 0)
        || (ctx->coord && eddy_event_subscribe (h, "overlay.restarted") < 0)
        || (ctx->shell && eddy_event_subscribe (h, "overlay.cutoff") < 0))
        goto error;
    *out = ctx;
    return 0;
error:
    exec_unload (ctx);
    return -1;
}

const struct eddy_module eddy_module_exec = {
    .name = "exec",
    .load = exec_load,
    .unload = exec_unload,
};
