/* perilog.c - a job's prolog and epilog ([job-manager.prolog],
 * [job-manager.epilog]): exec.perilog on each of the job's ranks (or on
 * rank 0 only, per-rank = false), between prolog-start and prolog-finish
 * (epilog-start, epilog-finish) in the job's eventlog (RFC 21).  The
 * commands go out only once their start entry is stored, so they never
 * run for an allocation a restart would not know; the job starts (is
 * freed) only once the finish entry is stored.  A failure drains the
 * ranks where it happened; a failed prolog also raises a fatal exception
 * of type "prolog".  Without per-rank, nothing is drained here: the
 * command (eddy perilog-run) drains the ranks where it failed itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>

#include "engine/util/fluid.h"
#include "engine/util/fsd.h"
#include "engine/util/idset.h"
#include "sched/job-manager/jobmgr.h"
#include "sched/rlist.h"

static const char *const pl_names[2] = { "prolog", "epilog" };

/* How long after a command's timeout a rank that has not answered counts
 * as failed: exec's SIGTERM-SIGKILL grace fits well within it. */
#define PERILOG_GRACE 60.0

/* One command on one rank. */
struct plrank {
    struct plrun *run;
    uint32_t rank;
    eddy_future_t *f;
};

/* A prolog or epilog in flight for a job. */
struct plrun {
    struct jobmgr *jm;
    struct job *job;
    int which;
    int nranks, nleft;
    struct plrank *ranks;
    eddy_idset_t *failed;   /* ranks where it failed or timed out */
    bool timedout;
    bool broken;            /* it could not run anywhere (R names no rank) */
    bool per_rank;          /* the configuration it started with: */
    double timeout;         /* a reload meanwhile does not change them */
    int status;             /* the first failing wait status (or 1: no answer) */
    char why[160];          /* the first failure, in words */
};

void jobmgr_perilog_free (struct job *job)
{
    struct plrun *run = job->plrun;
    if (run) {
        for (int i = 0; i < run->nranks; i++)
            eddy_future_destroy (run->ranks[i].f);
        free (run->ranks);
        eddy_idset_destroy (run->failed);
        free (run);
        job->plrun = NULL;
    }
}

static void describe_status (char *buf, size_t len, int status, bool timedout)
{
    if (timedout)
        snprintf (buf, len, "timed out");
    else if (WIFSIGNALED (status))
        snprintf (buf, len, "killed by signal %d", WTERMSIG (status));
    else
        snprintf (buf, len, "exit %d", WEXITSTATUS (status));
}

static void drain_cb (eddy_future_t *f, void *arg)
{
    struct job *job = arg;
    struct jobmgr *jm = eddy_handle_aux_get (eddy_future_handle (f), "jobmgr");

    if (eddy_rpc_get (f, NULL) < 0)
        eddy_log (jm->h, LOG_ERR, "job %ju: resource.drain: %s", (uintmax_t)job->id,
                  eddy_future_error_string (f));
    eddy_future_destroy (f);
    job->drains_pending--;
    job_action (jm, job);
}

/* Drain the failing ranks with reason (the resource module keeps an
 * administrator's reason where there is one).  The job's resources are
 * freed only once the scheduler knows, so no other job gets them first.
 */
static void drain (struct jobmgr *jm, struct job *job, const eddy_idset_t *ids, const char *reason)
{
    char *targets = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    eddy_future_t *f;

    if (!targets) {
        eddy_log (jm->h, LOG_ERR, "cannot drain for %s: out of memory", reason);
        return;
    }
    eddy_log (jm->h, LOG_WARNING, "%s: draining rank%s %s", reason,
              strpbrk (targets, ",-") ? "s" : "", targets);
    f = eddy_rpc_pack (jm->h, "resource.drain", 0, 0, "{s:s s:s s:s}", "targets", targets,
                       "reason", reason, "mode", "update");
    if (f && eddy_future_then (f, -1, drain_cb, job) == 0)
        job->drains_pending++;
    else {
        eddy_log (jm->h, LOG_ERR, "%s: cannot drain rank(s) %s", reason, targets);
        eddy_future_destroy (f);
    }
    free (targets);
}

/* Every rank answered: the finish entry, and for a failure the drain and
 * (prolog) the exception.
 */
static void run_done (struct plrun *run)
{
    struct jobmgr *jm = run->jm;
    struct job *job = run->job;
    const char *name = pl_names[run->which];
    bool failed = run->broken || !eddy_idset_empty (run->failed);
    char reason[256], *ranks = NULL, id[32];

    job_post (jm, job, run->which ? "epilog-finish" : "prolog-finish",
              json_pack ("{s:s s:i}", "description", name, "status", failed ? run->status : 0));
    if (run->which)
        job->epilog = PL_DONE;
    else
        job->prolog = PL_DONE;
    if (failed) {
        ranks = eddy_idset_encode (run->failed, EDDY_IDSET_RANGE);
        if (eddy_fluid_encode (id, sizeof (id), job->id, EDDY_FLUID_F58) < 0)
            snprintf (id, sizeof (id), "%ju", (uintmax_t)job->id);
        snprintf (reason, sizeof (reason), "%s %s for job %s", name,
                  run->timedout ? "timed out" : "failed", id);
        /* once on rank 0, the command (eddy perilog-run) drains the
         * ranks where it failed itself: rank 0 may not be the job's */
        if (!eddy_idset_empty (run->failed) && run->per_rank)
            drain (jm, job, run->failed, reason);
        if (!run->which) {
            job->prolog_failed = true;
            if (run->broken)
                snprintf (reason, sizeof (reason), "prolog failed: %s", run->why);
            else
                snprintf (reason, sizeof (reason), "%s on rank%s %s: %s",
                          run->timedout ? "prolog timed out" : "prolog failed",
                          ranks && strpbrk (ranks, ",-") ? "s" : "", ranks ? ranks : "?",
                          run->why);
            job_raise (jm, job, "prolog", 0, 0, reason);
        }
        free (ranks);
    }
    jobmgr_perilog_free (job);
    job_action (jm, job);
}

static void rank_cb (eddy_future_t *f, void *arg)
{
    struct plrank *pr = arg;
    struct plrun *run = pr->run;
    int status = 0, timedout = 0;
    char what[64];

    if (eddy_rpc_get_unpack (f, "{s:i s?b}", "status", &status, "timedout", &timedout) < 0) {
        const char *err = eddy_future_error_string (f);
        if (errno == ETIMEDOUT)
            snprintf (what, sizeof (what), "no answer %gs after its timeout", PERILOG_GRACE);
        else
            snprintf (what, sizeof (what), "%s", err ? err : strerror (errno));
        status = 1 << 8; /* as exit 1 */
    }
    else
        describe_status (what, sizeof (what), status, timedout);
    if (status != 0 || timedout) {
        if (eddy_idset_empty (run->failed)) {
            run->status = status ? status : SIGKILL;
            if (timedout)
                snprintf (run->why, sizeof (run->why), "timeout %gs", run->timeout);
            else
                snprintf (run->why, sizeof (run->why), "%s", what);
        }
        run->timedout |= timedout;
        eddy_idset_set (run->failed, pr->rank);
        eddy_log (run->jm->h, LOG_ERR, "job %ju: %s on rank %u: %s", (uintmax_t)run->job->id,
                  pl_names[run->which], pr->rank, what);
    }
    eddy_future_destroy (f);
    pr->f = NULL;
    if (--run->nleft == 0)
        run_done (run);
}

/* The ranks the command runs on: R's, or rank 0 alone. */
static eddy_idset_t *run_ranks (const struct plconf *c, struct job *job)
{
    eddy_error_t err;
    eddy_rlist_t *rl;
    eddy_idset_t *ids = NULL;
    char *s;

    if (!c->per_rank) {
        if ((ids = eddy_idset_create ()) && eddy_idset_set (ids, 0) < 0) {
            eddy_idset_destroy (ids);
            return NULL;
        }
        return ids;
    }
    if (!job->R || !(rl = eddy_rlist_from_json (job->R, 0, &err)))
        return NULL;
    if ((s = eddy_rlist_ranks (rl)))
        ids = eddy_idset_decode (s, NULL);
    free (s);
    eddy_rlist_destroy (rl);
    return ids;
}

/* Send the command to each rank; false if it could not be sent at all. */
static bool run_start (struct jobmgr *jm, struct job *job, int which)
{
    const struct plconf *c = &jm->perilog[which];
    struct plrun *run = calloc (1, sizeof (*run));
    eddy_idset_t *ids = run_ranks (c, job);
    char id[32], uid[32];

    if (!run || !(run->failed = eddy_idset_create ())
        || !(run->ranks = calloc (ids ? eddy_idset_count (ids) + 1 : 1, sizeof (*run->ranks))))
        goto error;
    run->jm = jm;
    run->job = job;
    run->which = which;
    run->per_rank = c->per_rank;
    run->timeout = c->timeout;
    job->plrun = run;
    if (!ids || eddy_idset_empty (ids)) {
        /* nowhere to run it: a failure (of the job's R, not of a node) */
        run->broken = true;
        run->status = 1 << 8;
        snprintf (run->why, sizeof (run->why), "the job's R names no rank");
        eddy_idset_destroy (ids);
        return true;
    }
    /* as the tasks see it (exec/shell.c) */
    if (eddy_fluid_encode (id, sizeof (id), job->id, EDDY_FLUID_F58) < 0)
        snprintf (id, sizeof (id), "%ju", (uintmax_t)job->id);
    snprintf (uid, sizeof (uid), "%u", (unsigned)job->userid);
    for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (ids, r)) {
        struct plrank *pr = &run->ranks[run->nranks++];
        pr->run = run;
        pr->rank = r;
        pr->f = eddy_rpc_pack (jm->h, "exec.perilog", r, 0, "{s:I s:s s:O s:f s:{s:s s:s}}", "id",
                               (json_int_t)job->id, "name", pl_names[which], "command",
                               c->command, "timeout", c->timeout, "env", "EDDY_JOB_ID", id,
                               "EDDY_JOB_USERID", uid);
        /* exec kills the command at the timeout; a rank that never answers
         * (its broker gone) counts as failed a while after that */
        if (!pr->f
            || eddy_future_then (pr->f, c->timeout > 0 ? c->timeout + PERILOG_GRACE : -1,
                                 rank_cb, pr) < 0) {
            eddy_future_destroy (pr->f);
            pr->f = NULL;
            run->nranks--;
            eddy_idset_set (run->failed, r);
            if (!run->why[0])
                snprintf (run->why, sizeof (run->why), "cannot reach exec on rank %u", r);
            run->status = 1 << 8;
        }
    }
    run->nleft = run->nranks;
    eddy_idset_destroy (ids);
    return true;
error:
    eddy_idset_destroy (ids);
    if (run) {
        eddy_idset_destroy (run->failed);
        free (run->ranks);
        free (run);
    }
    job->plrun = NULL;
    return false;
}

bool jobmgr_perilog_ready (struct jobmgr *jm, struct job *job, int which)
{
    uint8_t *st = which ? &job->epilog : &job->prolog;
    const struct plconf *c = &jm->perilog[which];

    if (*st == PL_NONE) {
        if (!c->command || (which == PL_EPILOG && job->prolog_failed)) {
            *st = PL_DONE; /* none, or its prolog failed: drained already */
            return true;
        }
        job_post (jm, job, which ? "epilog-start" : "prolog-start",
                  json_pack ("{s:s}", "description", pl_names[which]));
        *st = PL_POSTED;
    }
    if (*st == PL_POSTED) {
        if (job_waits (jm, job))
            return false; /* its start entry (and alloc) first */
        *st = PL_RUNNING;
        if (!run_start (jm, job, which)) {
            eddy_log (jm->h, LOG_ERR, "job %ju: cannot start its %s: out of memory",
                      (uintmax_t)job->id, pl_names[which]);
            *st = PL_POSTED; /* tried again at its next action */
            return false;
        }
        if (job->plrun->nleft == 0)
            run_done (job->plrun); /* no rank could be asked */
        return false;
    }
    return *st == PL_DONE;
}

/* ---- configuration ---- */

/* One table: command (non-empty strings), timeout (duration, 0: none;
 * default 30m), per-rank (default false).
 */
static int conf_one (const json_t *t, struct plconf *c, const char *name, char *text, size_t len)
{
    const json_t *cmd = json_object_get (t, "command"), *v;
    double timeout = PERILOG_DEFAULT_TIMEOUT;
    size_t i;

    memset (c, 0, sizeof (*c));
    if (!t)
        return 0;
    if (!json_is_object (t)) {
        snprintf (text, len, "job-manager.%s: must be a table", name);
        return -1;
    }
    if (!json_is_array (cmd) || json_array_size (cmd) == 0) {
        snprintf (text, len, "job-manager.%s.command: must be a non-empty array of strings", name);
        return -1;
    }
    json_array_foreach (cmd, i, v) {
        if (!json_is_string (v) || !*json_string_value (v)) {
            snprintf (text, len, "job-manager.%s.command: must be a non-empty array of strings",
                      name);
            return -1;
        }
    }
    if ((v = json_object_get (t, "timeout"))) {
        if (json_is_number (v))
            timeout = json_number_value (v);
        else if (!json_is_string (v) || eddy_fsd_parse (json_string_value (v), &timeout, NULL) < 0)
            timeout = -1;
        if (!(timeout >= 0) || !isfinite (timeout)) {
            snprintf (text, len, "job-manager.%s.timeout: must be a duration (0: none)", name);
            return -1;
        }
    }
    if ((v = json_object_get (t, "per-rank")) && !json_is_boolean (v)) {
        snprintf (text, len, "job-manager.%s.per-rank: must be true or false", name);
        return -1;
    }
    c->per_rank = v && json_is_true (v);
    c->timeout = timeout;
    c->command = json_deep_copy (cmd);
    if (!c->command) {
        snprintf (text, len, "job-manager.%s: out of memory", name);
        return -1;
    }
    return 0;
}

int jobmgr_perilog_configure (struct jobmgr *jm, const json_t *conf, char *text, size_t len)
{
    struct plconf next[2];

    if (conf_one (json_object_get (conf, "prolog"), &next[0], "prolog", text, len) < 0)
        return -1;
    if (conf_one (json_object_get (conf, "epilog"), &next[1], "epilog", text, len) < 0) {
        json_decref (next[0].command);
        return -1;
    }
    for (int k = 0; k < 2; k++) {
        json_decref (jm->perilog[k].command);
        jm->perilog[k] = next[k];
    }
    return 0;
}

void jobmgr_perilog_destroy (struct jobmgr *jm)
{
    for (int k = 0; k < 2; k++) {
        json_decref (jm->perilog[k].command);
        jm->perilog[k].command = NULL;
    }
}
