/* cmd-exec.c - `eddy exec` (a command on broker ranks, not a job) and
 * `eddy ps` (the commands brokers run for their owner), through each
 * rank's rexec module (exec/rexec.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "engine/util/idset.h"

static int exec_run (int argc, char **argv);
static int ps_run (int argc, char **argv);

const struct eddy_cmd cmd_exec = {
    .name = "exec",
    .usage = "eddy exec [-r RANKS] [-d DIR] [-n] [-l] [-t SECONDS] COMMAND [ARGS...]",
    .summary = "Run a command on broker ranks (not a job), as the instance owner.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "RANKS", "an idset of ranks, or all (default all)"),
        EDDY_OPT_ARG ("dir", 'd', "DIR", "the command's working directory on each rank"),
        EDDY_OPT_FLAG ("noinput", 'n', "stdin is /dev/null (always: eddy exec forwards no input)"),
        EDDY_OPT_FLAG ("label-io", 'l', "prefix each output line with RANK: "),
        EDDY_OPT_ARG ("timeout", 't', "S", "kill the command (its process group) after S seconds"),
        EDDY_OPT_TEXT ("Output comes rank by rank once each rank's command is done; the exit\n"
                       "status is the worst of the ranks' (128 + signal for a signal).\n"),
        EDDY_OPT_END,
    },
    .run = exec_run,
};

const struct eddy_cmd cmd_ps = {
    .name = "ps",
    .usage = "eddy ps [-r RANKS] [--json]",
    .summary = "List the commands brokers run for their owner (eddy exec, eddy cron).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "RANKS", "an idset of ranks, or all (default all)"),
        EDDY_OPT_LFLAG ("json", 'j', "one JSON array of {rank, pid, cmd, started, origin}"),
        EDDY_OPT_END,
    },
    .run = ps_run,
};

static uint32_t instance_size (eddy_handle_t *h, const char *cmd)
{
    eddy_future_t *f = client_rpc_take (cmd, h, "attr.get", json_pack ("{s:s}", "name", "size"),
                                        EDDY_NODEID_ANY);
    const char *v;
    if (json_unpack (client_rpc_get (cmd, f, "attr.get"), "{s:s}", "value", &v) < 0)
        eddy_cmd_die (cmd, "attr.get size: no value");
    uint32_t size = (uint32_t)strtoul (v, NULL, 10);
    eddy_future_destroy (f);
    return size;
}

/* The ranks to ask: all, or an idset within the instance. */
static eddy_idset_t *parse_ranks (const char *cmd, const char *s, uint32_t size)
{
    eddy_idset_t *ids;
    if (!s || !strcmp (s, "all")) {
        if (!(ids = eddy_idset_create ()) || (size && eddy_idset_range_set (ids, 0, size - 1) < 0))
            eddy_cmd_die (cmd, "out of memory");
        return ids;
    }
    if (!(ids = eddy_idset_decode (s, NULL)) || eddy_idset_count (ids) == 0)
        eddy_cmd_die (cmd, "--rank: '%s' is not an idset of ranks (or all)", s);
    if (eddy_idset_last (ids) >= size)
        eddy_cmd_die (cmd, "--rank: rank %u is not a rank of this instance of %u", eddy_idset_last (ids),
                      size);
    return ids;
}

static void print_output (const char *text, size_t len, FILE *f, bool label, unsigned rank)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (label)
            fprintf (f, "%u: ", rank);
        fwrite (p, 1, n, f);
        if (!nl && label)
            fputc ('\n', f);
        p += n;
    }
}

static int exec_run (int argc, char **argv)
{
    const char *ranks = NULL, *dir = NULL;
    bool label = false;
    double timeout = 0;
    int c;
    optind = 1;
    /* options end at the command */
    while ((c = eddy_opt_next (&cmd_exec, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            ranks = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'n':
            break;
        case 'l':
            label = true;
            break;
        case 't':
            timeout = client_parse_seconds ("exec", "timeout", optarg);
            break;
        default:
            eddy_cmd_unhandled (&cmd_exec, c);
        }
    }
    if (optind >= argc)
        eddy_cmd_die ("exec", "no COMMAND (eddy exec [-r RANKS] COMMAND [ARGS...])");
    eddy_handle_t *h = client_open ("exec");
    uint32_t size = instance_size (h, "exec");
    eddy_idset_t *ids = parse_ranks ("exec", ranks, size);
    size_t n = eddy_idset_count (ids);
    uint32_t *rk = xcalloc (n, sizeof (*rk));
    eddy_future_t **fs = xcalloc (n, sizeof (*fs));
    json_t *cmd = json_array ();
    for (int i = optind; i < argc; i++)
        json_array_append_new (cmd, json_string (argv[i]));
    size_t k = 0;
    for (uint32_t r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (ids, r)) {
        json_t *req = json_pack ("{s:O s:f}", "cmd", cmd, "timeout", timeout);
        if (dir)
            json_object_set_new (req, "cwd", json_string (dir));
        rk[k] = r;
        if (!(fs[k] = eddy_rpc (h, "rexec.run", req, r, 0)))
            eddy_cmd_die ("exec", "rexec.run to rank %u: %s", r, strerror (errno));
        json_decref (req);
        k++;
    }
    int worst = 0;
    for (k = 0; k < n; k++) {
        json_t *o;
        int status;
        const char *out, *err;
        size_t olen, elen;
        int timedout = 0, truncated = 0;
        if (eddy_rpc_get (fs[k], &o) < 0) {
            eddy_cmd_error ("exec", "rank %u: %s", rk[k], eddy_future_error_string (fs[k]));
            if (worst < 1)
                worst = 1;
            continue;
        }
        if (json_unpack (o, "{s:i s:s% s:s% s?b s?b}", "status", &status, "stdout", &out, &olen,
                         "stderr", &err, &elen, "timedout", &timedout, "truncated", &truncated)
            < 0) {
            eddy_cmd_error ("exec", "rank %u: a malformed answer", rk[k]);
            worst = worst < 1 ? 1 : worst;
            continue;
        }
        print_output (out, olen, stdout, label, rk[k]);
        print_output (err, elen, stderr, label, rk[k]);
        int code = WIFEXITED (status) ? WEXITSTATUS (status)
                                      : WIFSIGNALED (status) ? 128 + WTERMSIG (status) : 1;
        if (timedout)
            eddy_cmd_error ("exec", "rank %u: timed out after %g s", rk[k], timeout);
        if (truncated)
            eddy_cmd_error ("exec", "rank %u: output past 1 MiB was dropped", rk[k]);
        if (code > worst)
            worst = code;
    }
    fflush (stdout);
    for (k = 0; k < n; k++)
        eddy_future_destroy (fs[k]);
    free (fs);
    free (rk);
    json_decref (cmd);
    eddy_idset_destroy (ids);
    client_close (h);
    return worst;
}

static int ps_run (int argc, char **argv)
{
    const char *ranks = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_ps, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            ranks = optarg;
            break;
        case 'j':
            json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_ps, c);
        }
    }
    if (optind != argc)
        eddy_cmd_die ("ps", "unexpected argument '%s'", argv[optind]);
    eddy_handle_t *h = client_open ("ps");
    eddy_idset_t *ids = parse_ranks ("ps", ranks, instance_size (h, "ps"));
    json_t *all = json_array ();
    int rc = 0;
    if (!json)
        printf ("%5s %8s %-6s %s\n", "RANK", "PID", "ORIGIN", "COMMAND");
    for (uint32_t r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (ids, r)) {
        eddy_future_t *f = eddy_rpc (h, "rexec.ps", NULL, r, 0);
        json_t *o, *procs, *p;
        size_t i;
        if (!f || eddy_rpc_get (f, &o) < 0 || json_unpack (o, "{s:o}", "procs", &procs) < 0) {
            eddy_cmd_error ("ps", "rank %u: %s", r, f ? eddy_future_error_string (f) : strerror (errno));
            eddy_future_destroy (f);
            rc = 1;
            continue;
        }
        json_array_foreach (procs, i, p) {
            if (json)
                json_array_append_new (all, json_pack ("{s:I s:O s:O s:O s:O}", "rank", (json_int_t)r,
                                                       "pid", json_object_get (p, "pid"), "cmd",
                                                       json_object_get (p, "cmd"), "started",
                                                       json_object_get (p, "started"), "origin",
                                                       json_object_get (p, "origin")));
            else
                printf ("%5u %8lld %-6s %s\n", r,
                        (long long)json_integer_value (json_object_get (p, "pid")),
                        json_string_value (json_object_get (p, "origin")),
                        json_string_value (json_object_get (p, "cmd")));
        }
        eddy_future_destroy (f);
    }
    if (json) {
        char *s = json_dumps (all, JSON_INDENT (2));
        printf ("%s\n", s ? s : "[]");
        free (s);
    }
    json_decref (all);
    eddy_idset_destroy (ids);
    client_close (h);
    return rc;
}
