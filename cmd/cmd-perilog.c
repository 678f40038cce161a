/* cmd-perilog.c - `eddy perilog-run prolog|epilog -e CMD`: run CMD on
 * each rank of a job (exec.perilog), report the ranks where it failed and
 * exit nonzero if there is one.  Meant as a [job-manager.prolog] or
 * [job-manager.epilog] command with per-rank = false: the job manager
 * runs it once, on rank 0, with EDDY_JOB_ID set.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/fsd.h"
#include "engine/util/idset.h"
#include "kvs/kvs.h"
#include "sched/rlist.h"

static int perilog_run (int argc, char **argv);

const struct eddy_cmd cmd_perilog_run = {
    .name = "perilog-run",
    .usage = "eddy perilog-run [-j ID] [-t TIMEOUT] [-v] [--no-drain] -e CMD[,ARG...] prolog|epilog",
    .summary = "Run a prolog or epilog command on each of a job's ranks.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Runs CMD with its ARGs (comma separated, as Flux's perilog-run -e) on every\n"
                       "rank of the job's R through exec.perilog, all at once; prints each rank\n"
                       "where it failed, timed out or could not run, drains those ranks (reason\n"
                       "\"prolog failed for job ID\" or \"prolog timed out for job ID\") and exits 1\n"
                       "if there is one.\n"),
        EDDY_OPT_ARG ("exec-per-rank", 'e', "CMD[,ARG...]", "the command (required)"),
        EDDY_OPT_ARG ("jobid", 'j', "ID", "the job (default: $EDDY_JOB_ID, as the job manager sets)"),
        EDDY_OPT_ARG ("timeout", 't', "T", "SIGTERM then SIGKILL each rank's command after T seconds or a duration (default 0: none); keep it below the [job-manager.prolog] timeout"),
        EDDY_OPT_FLAG ("verbose", 'v', "also print the ranks where it succeeded"),
        EDDY_OPT_LFLAG ("no-drain", 'D', "report failures only"),
        EDDY_OPT_END,
    },
    .run = perilog_run,
};

/* "CMD,ARG,..." as a JSON array of non-empty strings. */
static json_t *split_command (const char *s)
{
    json_t *a = json_array ();
    char *copy = xstrdup (s), *save = NULL;

    for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
        json_array_append_new (a, json_string (tok));
    free (copy);
    if (json_array_size (a) == 0)
        eddy_cmd_die ("perilog-run", "-e: '%s' names no command", s);
    return a;
}

/* The ranks of the job's R, from the KVS. */
static eddy_idset_t *job_ranks (eddy_handle_t *h, uint64_t id, const char *arg)
{
    char key[128], *ranks;
    const char *text;
    eddy_error_t err;
    eddy_rlist_t *rl;
    eddy_idset_t *ids;

    eddy_kvs_job_key (key, sizeof (key), id, "R");
    eddy_future_t *f = eddy_kvs_lookup (h, NULL, 0, key);
    if (!f || eddy_kvs_lookup_get (f, &text) < 0)
        eddy_cmd_die ("perilog-run", "job %s: %s", arg,
                      errno == ENOENT ? "no such job, or it has no resources"
                                      : (f ? eddy_future_error_string (f) : strerror (errno)));
    if (!(rl = eddy_rlist_decode (text, strlen (text), 0, &err)))
        eddy_cmd_die ("perilog-run", "job %s: its R is not valid: %s", arg, err.text);
    eddy_future_destroy (f);
    if (!(ranks = eddy_rlist_ranks (rl)) || !(ids = eddy_idset_decode (ranks, NULL))
        || eddy_idset_empty (ids))
        eddy_cmd_die ("perilog-run", "job %s: its R names no rank", arg);
    free (ranks);
    eddy_rlist_destroy (rl);
    return ids;
}

/* Drain ids (if any) with "NAME failed|timed out for job ID". */
static int drain (eddy_handle_t *h, eddy_idset_t *ids, const char *name, const char *what,
                  const char *id)
{
    if (eddy_idset_empty (ids))
        return 0;
    char *targets = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    char *reason = xasprintf ("%s %s for job %s", name, what, id);
    eddy_future_t *f = eddy_rpc_pack (h, "resource.drain", 0, 0, "{s:s s:s s:s}", "targets",
                                      targets, "reason", reason, "mode", "update");
    int rc = 0;
    if (!f || eddy_rpc_get (f, NULL) < 0) {
        eddy_cmd_error ("perilog-run", "cannot drain %s: %s", targets,
                        f && eddy_future_error_string (f) ? eddy_future_error_string (f)
                                                          : strerror (errno));
        rc = -1;
    }
    eddy_future_destroy (f);
    free (reason);
    free (targets);
    return rc;
}

static int perilog_run (int argc, char **argv)
{
    const char *cmdline = NULL, *jobarg = getenv ("EDDY_JOB_ID");
    const char *userid = getenv ("EDDY_JOB_USERID");
    double timeout = 0;
    bool verbose = false, nodrain = false;
    int c, nfailed = 0;
    eddy_idset_t *failed = eddy_idset_create (), *late = eddy_idset_create ();

    optind = 1;
    while ((c = eddy_opt_next (&cmd_perilog_run, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'e':
            cmdline = optarg;
            break;
        case 'j':
            jobarg = optarg;
            break;
        case 't':
            if (eddy_fsd_parse (optarg, &timeout, NULL) < 0)
                eddy_cmd_die ("perilog-run", "--timeout: '%s' is not a duration", optarg);
            break;
        case 'v':
            verbose = true;
            break;
        case 'D':
            nodrain = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_perilog_run, c);
        }
    }
    if (optind != argc - 1 || (strcmp (argv[optind], "prolog") && strcmp (argv[optind], "epilog")))
        eddy_cmd_die ("perilog-run", "say prolog or epilog (see --help)");
    const char *name = argv[optind];
    if (!cmdline)
        eddy_cmd_die ("perilog-run", "-e CMD is required");
    if (!jobarg || !*jobarg)
        eddy_cmd_die ("perilog-run", "no job: give -j ID or set EDDY_JOB_ID");
    uint64_t id = jobutil_parse_id ("perilog-run", jobarg);
    json_t *command = split_command (cmdline);
    char idtext[32];
    if (eddy_fluid_encode (idtext, sizeof (idtext), id, EDDY_FLUID_F58) < 0)
        snprintf (idtext, sizeof (idtext), "%ju", (uintmax_t)id);

    eddy_handle_t *h = client_open ("perilog-run");
    eddy_idset_t *ids = job_ranks (h, id, jobarg);
    size_t n = eddy_idset_count (ids), k = 0;
    eddy_future_t **fs = xcalloc (n, sizeof (*fs));
    unsigned *ranks = xcalloc (n, sizeof (*ranks));

    /* all at once, then the answers in rank order; "imp": false, since
     * this is already the configured prolog: CMD runs as is */
    for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (ids, r)) {
        json_t *env = json_pack ("{s:s}", "EDDY_JOB_ID", idtext);
        if (env && userid)
            json_object_set_new (env, "EDDY_JOB_USERID", json_string (userid));
        ranks[k] = r;
        fs[k++] = eddy_rpc_pack (h, "exec.perilog", r, 0, "{s:I s:s s:O s:f s:o s:b}", "id",
                                 (json_int_t)id, "name", name, "command", command, "timeout",
                                 timeout, "env", env, "imp", 0);
    }
    for (size_t i = 0; i < n; i++) {
        int status = 0, timedout = 0;
        if (!fs[i] || eddy_rpc_get_unpack (fs[i], "{s:i s?b}", "status", &status, "timedout",
                                           &timedout) < 0) {
            fprintf (stderr, "eddy-perilog-run: %s: rank %u: %s\n", name, ranks[i],
                     fs[i] && eddy_future_error_string (fs[i]) ? eddy_future_error_string (fs[i])
                                                               : strerror (errno));
            eddy_idset_set (failed, ranks[i]);
            nfailed++;
        }
        else if (timedout) {
            fprintf (stderr, "eddy-perilog-run: %s: rank %u: timed out\n", name, ranks[i]);
            eddy_idset_set (late, ranks[i]);
            nfailed++;
        }
        else if (WIFSIGNALED (status)) {
            fprintf (stderr, "eddy-perilog-run: %s: rank %u: killed by signal %d\n", name,
                     ranks[i], WTERMSIG (status));
            eddy_idset_set (failed, ranks[i]);
            nfailed++;
        }
        else if (WEXITSTATUS (status) != 0) {
            fprintf (stderr, "eddy-perilog-run: %s: rank %u: exit %d\n", name, ranks[i],
                     WEXITSTATUS (status));
            eddy_idset_set (failed, ranks[i]);
            nfailed++;
        }
        else if (verbose)
            printf ("%s: rank %u: ok\n", name, ranks[i]);
        eddy_future_destroy (fs[i]);
    }
    if (nfailed)
        fprintf (stderr, "eddy-perilog-run: %s failed on %d of %zu rank%s\n", name, nfailed, n,
                 n == 1 ? "" : "s");
    if (nfailed && !nodrain) {
        drain (h, failed, name, "failed", idtext);
        drain (h, late, name, "timed out", idtext);
    }
    eddy_idset_destroy (failed);
    eddy_idset_destroy (late);
    free (fs);
    free (ranks);
    eddy_idset_destroy (ids);
    json_decref (command);
    client_close (h);
    return nfailed ? 1 : 0;
}
