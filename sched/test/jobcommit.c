/* The job manager persists before it acts, in both worlds, against a
 * stand-in KVS that answers its commits when (and how) the test says, and
 * stand-ins for the scheduler and exec: a job is started only once its
 * alloc entry is stored, freed only once its finish is, and waiters (and
 * a purge of it) are answered only once its clean entry (the unlink) is; a journal reader that comes while
 * a batch is in flight gets only stored entries, each once; a failed commit of facts is tried again (after
 * 0.1 s, then 0.2 s...) with nothing acted on meanwhile, and requests are
 * refused then; an urgency whose commit fails is answered with the
 * store's error and leaves the job as it was.  With a prolog and an
 * epilog configured, each runs (exec.perilog) only once its start entry is
 * stored, the job starts only once prolog-finish is, and a failed epilog's
 * drain is answered before the job's resources are freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/jobspec.h"
#include "test/support/world.h"

static const struct world_ops *current;

#define MAXHELD 64

/* The stand-in services: kvs, sched and exec on one handle. */
struct fake {
    eddy_handle_t *h;
    eddy_msg_handler_t **handlers;
    bool auto_commit;               /* answer commits at once, with success */
    eddy_msg_t *commits[MAXHELD];   /* held kvs.commit requests, in order */
    double commit_t[MAXHELD];       /* ...and when each came */
    int ncommits;
    eddy_msg_t *allocs[MAXHELD];    /* sched.alloc requests, unanswered */
    int nallocs;
    int starts;                     /* exec.start requests seen */
    eddy_msg_t *start;              /* ...the last one, to answer on its stream */
    eddy_msg_t *frees[MAXHELD];     /* sched.free requests, unanswered */
    int nfrees;
    eddy_msg_t *perilogs[MAXHELD];  /* exec.perilog requests, unanswered */
    int nperilogs;
    eddy_msg_t *drains[MAXHELD];    /* resource.drain requests, unanswered */
    int ndrains;
};

struct env {
    struct world *w;
    eddy_handle_t *client;
    struct fake fk;
};

static void kvs_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct fake *fk = arg;
    if (strcmp (eddy_msg_topic (msg), "kvs.commit") != 0) {
        eddy_respond_error (h, msg, ENOENT, NULL); /* an empty store */
        return;
    }
    if (fk->auto_commit) {
        eddy_respond_pack (h, msg, "{s:s s:I}", "rootref", "", "seq", (json_int_t)1);
        return;
    }
    assert_true (fk->ncommits < MAXHELD);
    fk->commit_t[fk->ncommits] = eddy_reactor_now (eddy_handle_reactor (h));
    fk->commits[fk->ncommits++] = eddy_msg_incref (msg);
}

static void sched_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct fake *fk = arg;
    if (!strcmp (eddy_msg_topic (msg), "sched.alloc")) {
        assert_true (fk->nallocs < MAXHELD);
        fk->allocs[fk->nallocs++] = eddy_msg_incref (msg);
    }
    else if (!strcmp (eddy_msg_topic (msg), "sched.free")) {
        assert_true (fk->nfrees < MAXHELD);
        fk->frees[fk->nfrees++] = eddy_msg_incref (msg);
    }
}

static void exec_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct fake *fk = arg;
    if (!strcmp (eddy_msg_topic (msg), "exec.start")) {
        fk->starts++; /* the stream stays open: the job runs on */
        eddy_msg_decref (fk->start);
        fk->start = eddy_msg_incref (msg);
    }
    else if (!strcmp (eddy_msg_topic (msg), "exec.perilog")) {
        assert_true (fk->nperilogs < MAXHELD);
        fk->perilogs[fk->nperilogs++] = eddy_msg_incref (msg);
    }
}

static void resource_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                         void *arg)
{
    struct fake *fk = arg;
    if (!strcmp (eddy_msg_topic (msg), "resource.drain")) {
        assert_true (fk->ndrains < MAXHELD);
        fk->drains[fk->ndrains++] = eddy_msg_incref (msg);
    }
}

static const struct eddy_msg_handler_spec fake_handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "kvs.*", kvs_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "sched.*", sched_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "exec.*", exec_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "resource.*", resource_cb, EDDY_ROLE_ALL },
    EDDY_MSGHANDLER_TABLE_END,
};

static json_t *rpc_wait (struct env *e, eddy_future_t *f)
{
    json_t *o = NULL;
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    if (eddy_rpc_get (f, &o) < 0)
        fail_msg ("rpc: %s", eddy_future_error_string (f));
    return o;
}

static int setup_with (void **state, json_t *config)
{
    struct env *e = calloc (1, sizeof (*e));
    if (!e || !(e->w = current->create (1, 2)) || world_boot (e->w, 30.0) < 0)
        return -1;
    if (config && eddy_broker_set_config (e->w->b[0], config) < 0)
        return -1;
    e->fk.h = eddy_broker_handle_create (e->w->b[0], "fake");
    e->client = eddy_broker_handle_create (e->w->b[0], "client");
    e->fk.auto_commit = true;
    if (!e->fk.h || !e->client || eddy_service_register (e->fk.h, "kvs") < 0
        || eddy_service_register (e->fk.h, "sched") < 0
        || eddy_service_register (e->fk.h, "exec") < 0
        || eddy_service_register (e->fk.h, "resource") < 0
        || eddy_msg_handler_addvec (e->fk.h, fake_handlers, &e->fk, &e->fk.handlers) < 0)
        return -1;
    eddy_future_t *f = eddy_rpc_pack (e->client, "module.load", 0, 0, "{s:s}", "name",
                                      "job-manager");
    rpc_wait (e, f);
    eddy_future_destroy (f);
    *state = e;
    return 0;
}

static int setup (void **state)
{
    return setup_with (state, NULL);
}

/* [job-manager] with a per-rank prolog and epilog */
static int setup_perilog (void **state)
{
    json_t *conf = json_pack ("{s:{s:{s:[s] s:b} s:{s:[s] s:b s:s}}}", "job-manager", "prolog",
                              "command", "true", "per-rank", 1, "epilog", "command", "true",
                              "per-rank", 1, "timeout", "1m");
    int rc = setup_with (state, conf);
    json_decref (conf);
    return rc;
}

/* a per-rank prolog with a timeout of 1s */
static int setup_prolog_timeout (void **state)
{
    json_t *conf = json_pack ("{s:{s:{s:[s] s:b s:s}}}", "job-manager", "prolog", "command",
                              "true", "per-rank", 1, "timeout", "1s");
    int rc = setup_with (state, conf);
    json_decref (conf);
    return rc;
}

static int teardown (void **state)
{
    struct env *e = *state;
    eddy_future_t *f = eddy_rpc_pack (e->client, "module.remove", 0, 0, "{s:s}", "name",
                                      "job-manager");
    if (f)
        world_wait (e->w, f, 10.0);
    eddy_future_destroy (f);
    for (int i = 0; i < e->fk.ncommits; i++)
        eddy_msg_decref (e->fk.commits[i]);
    for (int i = 0; i < e->fk.nallocs; i++)
        eddy_msg_decref (e->fk.allocs[i]);
    for (int i = 0; i < e->fk.nfrees; i++)
        eddy_msg_decref (e->fk.frees[i]);
    for (int i = 0; i < e->fk.nperilogs; i++)
        eddy_msg_decref (e->fk.perilogs[i]);
    for (int i = 0; i < e->fk.ndrains; i++)
        eddy_msg_decref (e->fk.drains[i]);
    eddy_msg_decref (e->fk.start);
    eddy_msg_handler_delvec (e->fk.handlers);
    eddy_handle_destroy (e->fk.h);
    eddy_handle_destroy (e->client);
    world_destroy (e->w);
    free (e);
    return 0;
}

static void submit (struct env *e, uint64_t id, int urgency)
{
    char *argv[] = { "true", NULL };
    struct eddy_jobspec_request req = { .argc = 1, .argv = argv, .ntasks = 1, .cores_per_task = 1 };
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    assert_non_null (js);
    eddy_future_t *f = eddy_rpc_pack (e->client, "job-manager.submit", EDDY_NODEID_ANY, 0,
                                      "{s:[{s:I s:i s:i s:f s:O}]}", "jobs", "id", (json_int_t)id,
                                      "userid", 0, "urgency", urgency, "t_submit", 1.0, "jobspec",
                                      eddy_jobspec_json (js));
    rpc_wait (e, f);
    eddy_future_destroy (f);
    eddy_jobspec_destroy (js);
}

static bool allocs_asked (void *arg)
{
    struct env *e = arg;
    return e->fk.nallocs > 0;
}

static bool commit_held (void *arg)
{
    struct env *e = arg;
    return e->fk.ncommits > 0;
}

static bool started (void *arg)
{
    struct env *e = arg;
    return e->fk.starts > 0;
}

/* The scheduler's yes to the oldest alloc request. */
static void grant (struct env *e)
{
    assert_true (e->fk.nallocs > 0);
    eddy_msg_t *msg = e->fk.allocs[0];
    assert_int_equal (eddy_respond_pack (e->fk.h, msg, "{s:i s:{s:i}}", "type", 0, "R", "version",
                                         1),
                      0);
    eddy_msg_decref (msg);
    memmove (e->fk.allocs, e->fk.allocs + 1, --e->fk.nallocs * sizeof (e->fk.allocs[0]));
}

/* Answer the oldest held commit: stored (errnum 0) or failed. */
static void answer_commit (struct env *e, int errnum)
{
    assert_true (e->fk.ncommits > 0);
    eddy_msg_t *msg = e->fk.commits[0];
    if (errnum)
        eddy_respond_error (e->fk.h, msg, errnum, "the test's store is full");
    else
        eddy_respond_pack (e->fk.h, msg, "{s:s s:I}", "rootref", "", "seq", (json_int_t)1);
    eddy_msg_decref (msg);
    memmove (e->fk.commits, e->fk.commits + 1, (e->fk.ncommits - 1) * sizeof (e->fk.commits[0]));
    memmove (e->fk.commit_t, e->fk.commit_t + 1, (e->fk.ncommits - 1) * sizeof (double));
    e->fk.ncommits--;
}

/* The held commit's operations hold an entry with this name. */
static bool commit_has (struct env *e, int i, const char *name)
{
    json_t *ops = json_object_get (eddy_msg_payload (e->fk.commits[i]), "ops");
    char want[64];
    char *s = json_dumps (ops, JSON_COMPACT);
    snprintf (want, sizeof (want), "\\\"name\\\":\\\"%s\\\"", name);
    bool found = s && strstr (s, want);
    free (s);
    return found;
}

static void a_job_starts_only_once_its_alloc_is_stored (void **state)
{
    struct env *e = *state;

    submit (e, 1 << 24, 16);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
    world_run_for (e->w, 0.5); /* the submit's entries are stored */
    e->fk.auto_commit = false;
    grant (e);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    assert_true (commit_has (e, 0, "alloc"));
    world_run_for (e->w, 1.0);
    assert_int_equal (e->fk.starts, 0);
    answer_commit (e, 0);
    assert_int_equal (world_wait_pred (e->w, started, e, 10.0), 0);
    assert_int_equal (e->fk.starts, 1);
}

static bool freed (void *arg)
{
    struct env *e = arg;
    return e->fk.nfrees > 0;
}

static void a_job_is_freed_and_waited_for_only_once_its_end_is_stored (void **state)
{
    struct env *e = *state;

    submit (e, 1 << 24, 16);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
    grant (e);
    assert_int_equal (world_wait_pred (e->w, started, e, 10.0), 0);
    eddy_future_t *w = eddy_rpc_pack (e->client, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}",
                                      "id", (json_int_t)(1 << 24));
    world_run_for (e->w, 0.5);
    e->fk.auto_commit = false;

    /* exec: the job ran and ended */
    eddy_respond_pack (e->fk.h, e->fk.start, "{s:s}", "type", "start");
    eddy_respond_pack (e->fk.h, e->fk.start, "{s:s s:i}", "type", "finish", "status", 0);
    eddy_respond_pack (e->fk.h, e->fk.start, "{s:s s:b}", "type", "release", "final", 1);
    eddy_respond_error (e->fk.h, e->fk.start, ENODATA, NULL);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    world_run_for (e->w, 0.5);
    assert_int_equal (e->fk.nfrees, 0); /* finish is not stored yet */
    e->fk.auto_commit = true;
    while (e->fk.ncommits > 0)
        answer_commit (e, 0);
    assert_int_equal (world_wait_pred (e->w, freed, e, 10.0), 0);
    world_run_for (e->w, 0.5);
    e->fk.auto_commit = false;

    /* the scheduler frees: clean is posted, the wait answered once stored */
    eddy_respond (e->fk.h, e->fk.frees[0], NULL);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    assert_true (commit_has (e, e->fk.ncommits - 1, "clean"));
    world_run_for (e->w, 0.5);
    assert_false (eddy_future_is_ready (w));
    e->fk.auto_commit = true;
    while (e->fk.ncommits > 0)
        answer_commit (e, 0);
    assert_int_equal (world_wait (e->w, w, 10.0), 0);
    assert_int_equal (eddy_rpc_get (w, NULL), 0);
    eddy_future_destroy (w);

    /* a forced purge of it is answered once its unlink is stored */
    world_run_for (e->w, 0.5);
    e->fk.auto_commit = false;
    eddy_future_t *p = eddy_rpc_pack (e->client, "job-manager.purge", EDDY_NODEID_ANY, 0,
                                      "{s:i s:b}", "num_limit", 0, "force", 1);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    world_run_for (e->w, 0.5);
    assert_false (eddy_future_is_ready (p));
    answer_commit (e, ENOSPC); /* tried again, never refused */
    world_run_for (e->w, 0.5);
    assert_false (eddy_future_is_ready (p));
    e->fk.auto_commit = true;
    while (e->fk.ncommits > 0)
        answer_commit (e, 0);
    int count = -1;
    assert_int_equal (world_wait (e->w, p, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (p, "{s:i}", "count", &count), 0);
    assert_int_equal (count, 1);
    eddy_future_destroy (p);
}

/* Every entry a journal reader gets, by name. */
struct reader {
    json_t *seen; /* name -> count */
};

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct reader *rd = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0)
        return;
    assert_int_equal (json_unpack (o, "{s:o}", "events", &events), 0);
    json_array_foreach (events, i, item) {
        const char *name = json_string_value (json_object_get (json_object_get (item, "entry"),
                                                               "name"));
        assert_non_null (name);
        json_int_t n = json_integer_value (json_object_get (rd->seen, name));
        json_object_set_new (rd->seen, name, json_integer (n + 1));
    }
    eddy_future_reset (f);
}

static int seen (struct reader *rd, const char *name)
{
    return (int)json_integer_value (json_object_get (rd->seen, name));
}

static void a_journal_reader_gets_stored_entries_each_once (void **state)
{
    struct env *e = *state;
    struct reader rd = { .seen = json_object () };

    /* the submit's batch is in flight when the reader comes */
    e->fk.auto_commit = false;
    submit (e, 1 << 24, 16);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    eddy_future_t *f = eddy_rpc (e->client, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                 EDDY_RPC_STREAMING);
    assert_non_null (f);
    assert_int_equal (eddy_future_then (f, -1, journal_cb, &rd), 0);
    world_run_for (e->w, 0.2);
    assert_int_equal (seen (&rd, "submit"), 0); /* it gets only what is stored */
    e->fk.auto_commit = true;
    while (e->fk.ncommits > 0)
        answer_commit (e, 0);
    world_run_for (e->w, 0.2);
    assert_int_equal (seen (&rd, "submit"), 1);
    assert_int_equal (seen (&rd, "priority"), 1);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
    grant (e);
    assert_int_equal (world_wait_pred (e->w, started, e, 10.0), 0);
    world_run_for (e->w, 0.5);
    assert_int_equal (seen (&rd, "submit"), 1);
    assert_int_equal (seen (&rd, "validate"), 1);
    assert_int_equal (seen (&rd, "priority"), 1);
    assert_int_equal (seen (&rd, "alloc"), 1);
    eddy_future_destroy (f);
    json_decref (rd.seen);
}

static void failed_facts_are_tried_again_and_nothing_acts_meanwhile (void **state)
{
    struct env *e = *state;

    submit (e, 2 << 24, 0); /* held, for a request meanwhile */
    submit (e, 1 << 24, 16);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
    world_run_for (e->w, 0.5); /* the submit's entries are stored */
    e->fk.auto_commit = false;
    grant (e);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    json_t *ops = json_incref (json_object_get (eddy_msg_payload (e->fk.commits[0]), "ops"));
    double t0 = e->fk.commit_t[0];
    answer_commit (e, ENOSPC);

    /* tried again after 0.1 s, then 0.2 s, the same operations */
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    double t1 = e->fk.commit_t[0];
    assert_true (t1 - t0 >= 0.099);
    assert_true (current != &world_sim || t1 - t0 < 0.11); /* exact in virtual time */
    assert_true (json_equal (ops, json_object_get (eddy_msg_payload (e->fk.commits[0]), "ops")));

    /* a request meanwhile is refused at once, with the store's error */
    eddy_future_t *f = eddy_rpc_pack (e->client, "job-manager.urgency", EDDY_NODEID_ANY, 0,
                                      "{s:I s:i}", "id", (json_int_t)(2 << 24), "urgency", 5);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOSPC);
    assert_non_null (strstr (eddy_future_error_string (f), "the test's store is full"));
    eddy_future_destroy (f);
    assert_int_equal (e->fk.ncommits, 1); /* it sent nothing to the store */

    answer_commit (e, ENOSPC);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    double t2 = e->fk.commit_t[0];
    assert_true (t2 - t1 >= 0.199);
    assert_true (current != &world_sim || t2 - t1 < 0.21);
    assert_int_equal (e->fk.starts, 0);

    answer_commit (e, 0);
    assert_int_equal (world_wait_pred (e->w, started, e, 10.0), 0);
    json_decref (ops);
}

static void a_refused_urgency_leaves_the_job_as_it_was (void **state)
{
    struct env *e = *state;
    json_t *o;
    int old = -1;

    submit (e, 3 << 24, 0); /* held */
    world_run_for (e->w, 0.5);
    e->fk.auto_commit = false;
    eddy_future_t *f = eddy_rpc_pack (e->client, "job-manager.urgency", EDDY_NODEID_ANY, 0,
                                      "{s:I s:i}", "id", (json_int_t)(3 << 24), "urgency", 20);
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    assert_true (commit_has (e, 0, "urgency"));
    world_run_for (e->w, 0.5);
    assert_false (eddy_future_is_ready (f)); /* no answer before the commit's */
    answer_commit (e, ENOSPC);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOSPC);
    eddy_future_destroy (f);
    world_run_for (e->w, 0.5);
    assert_int_equal (e->fk.nallocs, 0); /* still held */
    assert_int_equal (e->fk.ncommits, 0); /* nothing of it left to store */

    /* with space the same request works, from the urgency the job had */
    e->fk.auto_commit = true;
    f = eddy_rpc_pack (e->client, "job-manager.urgency", EDDY_NODEID_ANY, 0, "{s:I s:i}", "id",
                       (json_int_t)(3 << 24), "urgency", 20);
    o = rpc_wait (e, f);
    assert_int_equal (json_unpack (o, "{s:i}", "old_urgency", &old), 0);
    assert_int_equal (old, 0);
    eddy_future_destroy (f);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
}

static bool perilog_asked (void *arg)
{
    struct env *e = arg;
    return e->fk.nperilogs > 0;
}

static bool drain_asked (void *arg)
{
    struct env *e = arg;
    return e->fk.ndrains > 0;
}

/* Answer the oldest exec.perilog with a wait status; it names the job's
 * rank, the command and the job's variables. */
static void answer_perilog (struct env *e, const char *name, int status)
{
    const char *n, *arg0, *jobid;
    json_t *cmd;
    assert_true (e->fk.nperilogs > 0);
    eddy_msg_t *msg = e->fk.perilogs[0];
    assert_int_equal (json_unpack (eddy_msg_payload (msg), "{s:s s:o s:{s:s}}", "name", &n,
                                   "command", &cmd, "env", "EDDY_JOB_ID", &jobid),
                      0);
    assert_string_equal (n, name);
    assert_int_equal (json_unpack (cmd, "[s]", &arg0), 0);
    assert_string_equal (arg0, "true");
    assert_true (*jobid != '\0');
    eddy_respond_pack (e->fk.h, msg, "{s:i s:b}", "status", status, "timedout", 0);
    eddy_msg_decref (msg);
    memmove (e->fk.perilogs, e->fk.perilogs + 1, --e->fk.nperilogs * sizeof (e->fk.perilogs[0]));
}

static void answer_all_commits (struct env *e)
{
    while (e->fk.ncommits > 0)
        answer_commit (e, 0);
}

static void a_prolog_and_epilog_run_only_once_their_start_is_stored (void **state)
{
    struct env *e = *state;

    submit (e, 1 << 24, 16);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
    world_run_for (e->w, 0.5);
    e->fk.auto_commit = false;
    eddy_msg_t *msg = e->fk.allocs[0];
    assert_int_equal (eddy_respond_pack (e->fk.h, msg, "{s:i s:{s:i s:{s:[{s:s s:{s:s}}]}}}",
                                         "type", 0, "R", "version", 1, "execution", "R_lite",
                                         "rank", "0", "children", "core", "0"),
                      0);
    eddy_msg_decref (msg);
    e->fk.nallocs--;

    /* alloc and prolog-start go out together; the prolog waits for them */
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    assert_true (commit_has (e, 0, "alloc"));
    assert_true (commit_has (e, 0, "prolog-start"));
    world_run_for (e->w, 1.0);
    assert_int_equal (e->fk.nperilogs, 0);
    answer_commit (e, 0);
    assert_int_equal (world_wait_pred (e->w, perilog_asked, e, 10.0), 0);
    world_run_for (e->w, 0.5);
    assert_int_equal (e->fk.starts, 0); /* the prolog runs */
    answer_perilog (e, "prolog", 0);

    /* prolog-finish is a fact to store before the start */
    assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
    assert_true (commit_has (e, 0, "prolog-finish"));
    world_run_for (e->w, 0.5);
    assert_int_equal (e->fk.starts, 0);
    answer_all_commits (e);
    assert_int_equal (world_wait_pred (e->w, started, e, 10.0), 0);

    /* the job ends: epilog-start stored first, then the epilog */
    world_run_for (e->w, 0.5);
    answer_all_commits (e);
    eddy_respond_pack (e->fk.h, e->fk.start, "{s:s}", "type", "start");
    eddy_respond_pack (e->fk.h, e->fk.start, "{s:s s:i}", "type", "finish", "status", 0);
    eddy_respond_pack (e->fk.h, e->fk.start, "{s:s s:b}", "type", "release", "final", 1);
    eddy_respond_error (e->fk.h, e->fk.start, ENODATA, NULL);
    for (int i = 0; i < 10; i++) {
        assert_int_equal (world_wait_pred (e->w, commit_held, e, 10.0), 0);
        world_run_for (e->w, 0.2);
        if (commit_has (e, 0, "epilog-start"))
            break;
        answer_commit (e, 0);
    }
    assert_true (commit_has (e, 0, "epilog-start"));
    world_run_for (e->w, 0.5);
    assert_int_equal (e->fk.nperilogs, 0);
    answer_all_commits (e);
    assert_int_equal (world_wait_pred (e->w, perilog_asked, e, 10.0), 0);
    assert_int_equal (e->fk.nfrees, 0);

    /* it fails: its rank is drained, and freed only once that is answered */
    e->fk.auto_commit = true;
    answer_perilog (e, "epilog", 1 << 8);
    assert_int_equal (world_wait_pred (e->w, drain_asked, e, 10.0), 0);
    const char *targets, *reason;
    assert_int_equal (json_unpack (eddy_msg_payload (e->fk.drains[0]), "{s:s s:s}", "targets",
                                   &targets, "reason", &reason),
                      0);
    assert_string_equal (targets, "0");
    assert_non_null (strstr (reason, "epilog failed for job"));
    world_run_for (e->w, 1.0);
    assert_int_equal (e->fk.nfrees, 0);
    eddy_respond (e->fk.h, e->fk.drains[0], NULL);
    assert_int_equal (world_wait_pred (e->w, freed, e, 10.0), 0);
}

/* A rank that never answers (its broker gone) fails the prolog a grace
 * period after the timeout: a minute, so in virtual time only. */
static void a_prolog_rank_that_never_answers_fails_the_job (void **state)
{
    struct env *e = *state;

    if (current != &world_sim)
        skip ();
    submit (e, 1 << 24, 16);
    assert_int_equal (world_wait_pred (e->w, allocs_asked, e, 10.0), 0);
    eddy_msg_t *msg = e->fk.allocs[0];
    assert_int_equal (eddy_respond_pack (e->fk.h, msg, "{s:i s:{s:i s:{s:[{s:s s:{s:s}}]}}}",
                                         "type", 0, "R", "version", 1, "execution", "R_lite",
                                         "rank", "0", "children", "core", "0"),
                      0);
    eddy_msg_decref (msg);
    e->fk.nallocs--;
    assert_int_equal (world_wait_pred (e->w, perilog_asked, e, 10.0), 0);
    eddy_future_t *w = eddy_rpc_pack (e->client, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}",
                                      "id", (json_int_t)(1 << 24));
    world_run_for (e->w, 30.0);
    assert_int_equal (e->fk.ndrains, 0); /* still within the grace */
    assert_int_equal (world_wait_pred (e->w, drain_asked, e, 60.0), 0);
    eddy_respond (e->fk.h, e->fk.drains[0], NULL);
    assert_int_equal (world_wait_pred (e->w, freed, e, 10.0), 0);
    eddy_respond (e->fk.h, e->fk.frees[0], NULL);
    assert_int_equal (world_wait (e->w, w, 10.0), 0);
    json_t *o = NULL;
    const char *type, *note;
    assert_int_equal (eddy_rpc_get (w, &o), 0);
    assert_int_equal (json_unpack (o, "{s:{s:s s:s}}", "exception", "type", &type, "note", &note),
                      0);
    assert_string_equal (type, "prolog");
    assert_non_null (strstr (note, "no answer 60s after its timeout"));
    assert_int_equal (e->fk.starts, 0);
    eddy_future_destroy (w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (a_job_starts_only_once_its_alloc_is_stored, setup, teardown),
    cmocka_unit_test_setup_teardown (a_job_is_freed_and_waited_for_only_once_its_end_is_stored,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (a_journal_reader_gets_stored_entries_each_once, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (failed_facts_are_tried_again_and_nothing_acts_meanwhile, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (a_refused_urgency_leaves_the_job_as_it_was, setup, teardown),
    cmocka_unit_test_setup_teardown (a_prolog_and_epilog_run_only_once_their_start_is_stored,
                                     setup_perilog, teardown),
    cmocka_unit_test_setup_teardown (a_prolog_rank_that_never_answers_fails_the_job,
                                     setup_prolog_timeout, teardown),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "jobcommit-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
