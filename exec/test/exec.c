/* The exec module in both worlds: a driver handle on rank 0 plays the job
 * manager and checks each exec.start stream (start -> [exception] ->
 * finish -> release -> ENODATA) and its timing, in virtual time in the
 * simulator and in real time on libev + ZeroMQ.  On the real world the
 * real backend also forks tasks: distribution over ranks, environment,
 * cwd, exit and signal statuses, exec.kill, time limits with SIGTERM then
 * SIGKILL, output through exec.launch, and output files.  exec.perilog
 * (a prolog or epilog command on a rank): nothing runs in the sim backend;
 * a job's stdin through exec.input (written whole, EOF, bounded, bad
 * requests refused);
 * the real one answers wait statuses, passes the job's variables and kills
 * at the timeout (SIGTERM, then SIGKILL).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

#include "engine/util/eventlog.h"
#include "engine/util/fluid.h"
#include "kvs/blobref.h"
#include "kvs/kvs.h"
#include "sched/jobspec.h"
#include "test/support/world.h"

#define SIZE 4
#define FANOUT 2

static const struct world_ops *current;

/* Seconds of job time per "unit": virtual time costs nothing, real time
 * does, so the real world runs the same scenarios faster.
 */
static double unit (void)
{
    return current == &world_sim ? 10.0 : 0.2;
}

static bool is_sim (void)
{
    return current == &world_sim;
}

static int setup (void **state)
{
    struct world *w = current->create (SIZE, FANOUT);
    if (!w)
        return -1;
    json_t *args = json_pack ("{s:s s:f}", "backend", is_sim () ? "sim" : "real", "kill_timeout",
                              is_sim () ? 5.0 : 0.3);
    /* the KVS holds the output eventlogs */
    for (uint32_t i = 0; i < SIZE; i++) {
        eddy_broker_add_initial_module (w->b[i], "content", NULL);
        eddy_broker_add_initial_module (w->b[i], "kvs", NULL);
        eddy_broker_add_initial_module (w->b[i], "exec", args);
    }
    json_decref (args);
    if (world_boot (w, 30.0) < 0) {
        world_destroy (w);
        return -1;
    }
    *state = w;
    return 0;
}

static int teardown (void **state)
{
    world_destroy (*state);
    return 0;
}

/* ---- an exec.start stream, recorded ---- */

#define MAXRESP 64

struct stream {
    struct world *w;
    eddy_future_t *f;
    int n;
    char type[MAXRESP][16];
    double t[MAXRESP];
    int status;
    char exc_type[32];
    char exc_note[256];
    bool final;
    int errnum;
    char errstr[256];
    bool done;
    json_t *entries; /* exec.launch: output entries */
};

static void stream_cb (eddy_future_t *f, void *arg)
{
    struct stream *s = arg;
    const char *type = "?";
    json_t *o;

    if (eddy_rpc_get (f, &o) < 0) {
        s->errnum = errno;
        snprintf (s->errstr, sizeof (s->errstr), "%s", eddy_future_error_string (f));
        s->done = true;
        return;
    }
    json_unpack (o, "{s:s}", "type", &type);
    if (s->n < MAXRESP) {
        snprintf (s->type[s->n], sizeof (s->type[0]), "%s", type);
        s->t[s->n] = eddy_reactor_now (s->w->r);
        s->n++;
    }
    if (!strcmp (type, "finish"))
        json_unpack (o, "{s:i}", "status", &s->status);
    if (!strcmp (type, "release"))
        json_unpack (o, "{s:b}", "final", &s->final);
    if (!strcmp (type, "exception")) {
        const char *et = "", *note = "";
        int sev = -1;
        json_unpack (o, "{s:s s:s s:i}", "exception_type", &et, "note", &note, "severity", &sev);
        snprintf (s->exc_type, sizeof (s->exc_type), "%s", et);
        snprintf (s->exc_note, sizeof (s->exc_note), "%s", note);
        assert_int_equal (sev, 0);
    }
    if (!strcmp (type, "output")) {
        json_t *e;
        size_t i;
        json_array_foreach (json_object_get (o, "entries"), i, e)
            json_array_append (s->entries, e);
    }
    eddy_future_reset (f);
}

static void stream_open (struct stream *s, struct world *w, eddy_handle_t *h, const char *topic,
                         uint32_t rank, json_t *payload)
{
    memset (s, 0, sizeof (*s));
    s->w = w;
    s->status = -1;
    s->entries = json_array ();
    s->f = eddy_rpc (h, topic, payload, rank, EDDY_RPC_STREAMING);
    assert_non_null (s->f);
    assert_int_equal (eddy_future_then (s->f, -1, stream_cb, s), 0);
}

static bool stream_done (void *arg)
{
    return ((struct stream *)arg)->done;
}

static void stream_wait (struct stream *s, double timeout)
{
    assert_int_equal (world_wait_pred (s->w, stream_done, s, timeout), 0);
}

static void stream_close (struct stream *s)
{
    eddy_future_destroy (s->f);
    json_decref (s->entries);
}

/* The sequence of response types, space separated. */
static const char *seq (struct stream *s)
{
    static char buf[512];
    buf[0] = '\0';
    for (int i = 0; i < s->n; i++) {
        strcat (buf, i ? " " : "");
        strcat (buf, s->type[i]);
    }
    return buf;
}

/* ---- jobs ---- */

static json_t *R (const char *ranks, const char *cores)
{
    return json_pack ("{s:i s:{s:[{s:s s:{s:s}}]}}", "version", 1, "execution", "R_lite", "rank",
                      ranks, "children", "core", cores);
}

/* A V1 jobspec for `sh -c script`; attrs merged into attributes.system. */
static json_t *jobspec (const char *script, int ntasks, double duration, json_t *sysattrs)
{
    char *argv[] = { "sh", "-c", (char *)script, NULL };
    json_t *env = json_pack ("{s:s s:s}", "PATH", getenv ("PATH") ? getenv ("PATH") : "/bin:/usr/bin",
                             "MARK", "from-jobspec");
    json_t *attrs = sysattrs ? json_pack ("{s:O}", "system", sysattrs) : NULL;
    struct eddy_jobspec_request req = {
        .argc = 3, .argv = argv, .ntasks = ntasks, .cores_per_task = 1, .duration = duration,
        .environment = env, .attributes = attrs,
    };
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    if (!js)
        fail_msg ("jobspec: %s", err.text);
    json_t *o = json_incref (eddy_jobspec_json (js));
    eddy_jobspec_destroy (js);
    json_decref (env);
    json_decref (attrs);
    json_decref (sysattrs);
    return o;
}

static json_t *test_attrs (double run)
{
    return json_pack ("{s:{s:{s:f}}}", "exec", "test", "run_duration", run);
}

static json_t *start_req (uint64_t id, json_t *R, json_t *jobspec)
{
    json_t *o = json_pack ("{s:I s:i s:o s:o}", "id", (json_int_t)id, "userid", (int)getuid (), "R",
                           R, "jobspec", jobspec);
    assert_non_null (o);
    return o;
}

static void start_job (struct stream *s, struct world *w, eddy_handle_t *h, uint64_t id, json_t *R,
                       json_t *js)
{
    json_t *req = start_req (id, R, js);
    stream_open (s, w, h, "exec.start", 0, req);
    json_decref (req);
}

/* ---- both worlds ---- */

static void test_job_finishes_after_its_run_duration (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;
    double run = unit ();

    start_job (&s, w, h, 1, R ("0-3", "0-1"), jobspec ("true", 8, 0, test_attrs (run)));
    stream_wait (&s, 10 * run + 5);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, 0);
    assert_true (s.final);
    assert_int_equal (s.errnum, ENODATA);
    double took = s.t[1] - s.t[0];
    if (is_sim ())
        assert_true (took > run - 1e-9 && took < run + 1e-9);
    else
        assert_true (took > run - 0.02 && took < run + 1.0);
    /* release comes at the same instant as finish */
    assert_true (s.t[2] - s.t[1] < 1e-3);
    stream_close (&s);
    eddy_handle_destroy (h);
}

static void time_limit_raises_timeout_and_kills (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;
    double run = unit ();

    /* runs for 5 units, limited to 1 */
    start_job (&s, w, h, 2, R ("0", "0"), jobspec ("true", 1, run, test_attrs (5 * run)));
    stream_wait (&s, 10 * run + 5);
    assert_string_equal (seq (&s), "start exception finish release");
    assert_string_equal (s.exc_type, "timeout");
    assert_non_null (strstr (s.exc_note, "time limit"));
    assert_int_equal (s.status, SIGTERM);
    double took = s.t[1] - s.t[0];
    if (is_sim ())
        assert_true (took > run - 1e-9 && took < run + 1e-9);
    else
        assert_true (took > run - 0.02 && took < run + 1.0);
    stream_close (&s);

    /* a limit equal to the run time lets the job complete */
    start_job (&s, w, h, 3, R ("0", "0"), jobspec ("true", 1, run, test_attrs (run)));
    stream_wait (&s, 10 * run + 5);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, 0);
    stream_close (&s);
    eddy_handle_destroy (h);
}

static void kill_ends_a_test_job_with_the_signal (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;
    double run = unit ();

    start_job (&s, w, h, 4, R ("0", "0"), jobspec ("true", 1, 0, test_attrs (100 * run)));
    world_run_for (w, run);
    assert_string_equal (seq (&s), "start");
    eddy_future_t *f = eddy_rpc_pack (h, "exec.kill", 0, 0, "{s:I s:i}", "id", (json_int_t)4,
                                      "signal", SIGUSR1);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    stream_wait (&s, 10.0);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, SIGUSR1);
    assert_true (s.t[1] - s.t[0] < 2 * run);
    stream_close (&s);

    /* the job is gone */
    f = eddy_rpc_pack (h, "exec.kill", 0, 0, "{s:I s:i}", "id", (json_int_t)4, "signal", SIGKILL);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

static void wait_status_and_fsd_run_duration (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;
    char fsd[32];

    snprintf (fsd, sizeof (fsd), "%gs", unit ());
    json_t *attrs = json_pack ("{s:{s:{s:s s:i}}}", "exec", "test", "run_duration", fsd,
                               "wait_status", 3 << 8);
    start_job (&s, w, h, 5, R ("0", "0"), jobspec ("true", 1, 0, attrs));
    stream_wait (&s, 10 * unit () + 5);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, 3 << 8);
    assert_true (s.t[1] - s.t[0] > unit () - 0.02);
    stream_close (&s);
    eddy_handle_destroy (h);
}

static void bad_requests_get_clear_errors (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    eddy_handle_t *h1 = eddy_broker_handle_create (w->b[1], "other");
    struct stream s, s2;
    eddy_future_t *f;

    /* not streaming */
    json_t *req = start_req (6, R ("0", "0"), jobspec ("true", 1, 0, test_attrs (1)));
    f = eddy_rpc (h, "exec.start", req, 0, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EPROTO);
    eddy_future_destroy (f);

    /* malformed payloads */
    json_t *bad = json_pack ("{s:s}", "id", "x");
    stream_open (&s, w, h, "exec.start", 0, bad);
    stream_wait (&s, 10.0);
    assert_int_equal (s.n, 0);
    assert_int_equal (s.errnum, EPROTO);
    assert_non_null (strstr (s.errstr, "malformed"));
    stream_close (&s);
    json_decref (bad);
    bad = json_pack ("{s:I s:i s:o s:{s:{s:{s:{s:{s:s}}}}}}", "id", (json_int_t)7, "userid", 0,
                     "R", R ("0", "0"), "jobspec", "attributes", "system", "exec", "test",
                     "run_duration", "soon");
    stream_open (&s, w, h, "exec.start", 0, bad);
    stream_wait (&s, 10.0);
    assert_int_equal (s.errnum, EINVAL);
    assert_non_null (strstr (s.errstr, "run_duration"));
    stream_close (&s);
    json_decref (bad);

    /* the same id twice */
    stream_open (&s, w, h, "exec.start", 0, req);
    stream_open (&s2, w, h, "exec.start", 0, req);
    stream_wait (&s2, 10.0);
    assert_int_equal (s2.errnum, EEXIST);
    stream_close (&s2);
    stream_wait (&s, 10.0 * unit () + 5);
    assert_string_equal (seq (&s), "start finish release");
    stream_close (&s);

    /* exec.start on another rank */
    stream_open (&s, w, h1, "exec.start", 1, req);
    stream_wait (&s, 10.0);
    assert_int_equal (s.errnum, EINVAL);
    assert_non_null (strstr (s.errstr, "rank 0"));
    stream_close (&s);
    json_decref (req);

    /* exec.kill of nothing, and with a bad signal */
    f = eddy_rpc_pack (h, "exec.kill", 0, 0, "{s:I s:i}", "id", (json_int_t)999, "signal", 15);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
    f = eddy_rpc_pack (h, "exec.kill", 0, 0, "{s:I s:i}", "id", (json_int_t)1, "signal", 9999);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EINVAL);
    eddy_future_destroy (f);
    eddy_handle_destroy (h1);
    eddy_handle_destroy (h);
}

struct many {
    int done;
    int ok;
    double last;
    struct world *w;
};

static void many_cb (eddy_future_t *f, void *arg)
{
    struct many *m = arg;
    const char *type;
    json_t *o;
    if (eddy_rpc_get (f, &o) < 0) {
        if (errno == ENODATA)
            m->done++;
        m->last = eddy_reactor_now (m->w->r);
        return;
    }
    if (json_unpack (o, "{s:s}", "type", &type) == 0 && !strcmp (type, "finish"))
        m->ok++;
    eddy_future_reset (f);
}

static bool many_done (void *arg)
{
    return ((struct many *)arg)->done == 1000;
}

static void a_thousand_test_jobs_complete (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct many m = { .w = w };
    eddy_future_t *fs[1000];
    double t0 = eddy_reactor_now (w->r);

    for (int i = 0; i < 1000; i++) {
        /* run durations 0 .. 0.9 units */
        json_t *req = start_req (1000 + i, R ("0", "0"),
                                 jobspec ("true", 1, 0, test_attrs ((i % 10) * unit () / 10)));
        fs[i] = eddy_rpc (h, "exec.start", req, 0, EDDY_RPC_STREAMING);
        json_decref (req);
        assert_int_equal (eddy_future_then (fs[i], -1, many_cb, &m), 0);
    }
    assert_int_equal (world_wait_pred (w, many_done, &m, 60.0), 0);
    assert_int_equal (m.ok, 1000);
    if (is_sim ())
        assert_true (m.last - t0 < unit ());
    for (int i = 0; i < 1000; i++)
        eddy_future_destroy (fs[i]);
    eddy_future_t *f = eddy_rpc (h, "exec.stats", NULL, 0, 0);
    int jobs = -1;
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "jobs", &jobs), 0);
    assert_int_equal (jobs, 0);
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

/* ---- the sim world only ---- */

static void sim_backend_runs_no_process (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    /* no run_duration: finishes at once with status 0 */
    start_job (&s, w, h, 20, R ("0-3", "0-1"), jobspec ("false", 8, 0, NULL));
    stream_wait (&s, 10.0);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, 0);
    assert_true (s.t[1] - s.t[0] < 1e-9);
    stream_close (&s);

    /* and the shell half refuses work */
    json_t *req = json_pack ("{s:I}", "id", (json_int_t)20);
    stream_open (&s, w, h, "exec.launch", 1, req);
    stream_wait (&s, 10.0);
    assert_int_equal (s.errnum, ENOSYS);
    stream_close (&s);
    json_decref (req);
    eddy_handle_destroy (h);
}

/* exec.perilog on rank: its answer's status and timedout (-1: an error,
 * whose errno is returned in *errnum). */
static int perilog (struct world *w, eddy_handle_t *h, uint32_t rank, json_t *req, bool *timedout,
                    int *errnum)
{
    eddy_future_t *f = eddy_rpc (h, "exec.perilog", req, rank, 0);
    int status = -1, late = 0;
    json_decref (req);
    assert_non_null (f);
    assert_int_equal (world_wait (w, f, 30.0), 0);
    *errnum = 0;
    if (eddy_rpc_get_unpack (f, "{s:i s:b}", "status", &status, "timedout", &late) < 0) {
        *errnum = errno;
        status = -1;
    }
    *timedout = late;
    eddy_future_destroy (f);
    return status;
}

static void perilog_runs_nothing_in_sim (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    bool late;
    int errnum;

    assert_int_equal (perilog (w, h, 2, json_pack ("{s:I s:s s:[s] s:f}", "id", (json_int_t)7,
                                                   "name", "prolog", "command", "false",
                                                   "timeout", 1.0),
                               &late, &errnum),
                      0);
    assert_false (late);
    assert_int_equal (perilog (w, h, 1, json_pack ("{s:I s:s s:[]}", "id", (json_int_t)7, "name",
                                                   "prolog", "command"),
                               &late, &errnum),
                      -1);
    assert_int_equal (errnum, EPROTO); /* an empty command */
    assert_int_equal (perilog (w, h, 1, json_pack ("{s:I s:s s:[s]}", "id", (json_int_t)7, "name",
                                                   "setup", "command", "true"),
                               &late, &errnum),
                      -1);
    assert_int_equal (errnum, EPROTO); /* neither prolog nor epilog */
    eddy_handle_destroy (h);
}

/* ---- the real world only: processes ---- */

static void perilog_statuses_environment_and_timeout (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    bool late;
    int errnum;

    assert_int_equal (perilog (w, h, 1, json_pack ("{s:I s:s s:[s,s,s]}", "id", (json_int_t)8,
                                                   "name", "epilog", "command", "sh", "-c",
                                                   "exit 3"),
                               &late, &errnum),
                      3 << 8);
    assert_false (late);
    /* the job's variables, the owner's uid, stdin from /dev/null */
    char script[256];
    snprintf (script, sizeof (script),
              "test \"$EDDY_JOB_ID\" = f2 && test \"$EDDY_OWNER_USERID\" = %u && "
              "test -z \"$(cat)\"", (unsigned)getuid ());
    assert_int_equal (perilog (w, h, 3, json_pack ("{s:I s:s s:[s,s,s] s:{s:s}}", "id",
                                                   (json_int_t)8, "name", "prolog", "command",
                                                   "sh", "-c", script, "env", "EDDY_JOB_ID",
                                                   "f2"),
                               &late, &errnum),
                      0);
    /* past the timeout: SIGTERM; one that ignores it: SIGKILL (kill_timeout 0.3) */
    assert_int_equal (perilog (w, h, 2, json_pack ("{s:I s:s s:[s,s] s:f}", "id", (json_int_t)8,
                                                   "name", "prolog", "command", "sleep", "30",
                                                   "timeout", 0.2),
                               &late, &errnum),
                      SIGTERM);
    assert_true (late);
    assert_int_equal (perilog (w, h, 2, json_pack ("{s:I s:s s:[s,s,s] s:f}", "id",
                                                   (json_int_t)8, "name", "epilog", "command",
                                                   "sh", "-c", "trap '' TERM; sleep 30",
                                                   "timeout", 0.2),
                               &late, &errnum),
                      SIGKILL);
    assert_true (late);
    /* a command that does not exist is an error, not a status */
    assert_int_equal (perilog (w, h, 0, json_pack ("{s:I s:s s:[s]}", "id", (json_int_t)8, "name",
                                                   "prolog", "command",
                                                   "/nonexistent/eddy-no-such-prolog"),
                               &late, &errnum),
                      -1);
    assert_int_equal (errnum, ENOENT);
    eddy_handle_destroy (h);
}

static char tmpdir[256];

static int rm_entry (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove (path);
}

static char *slurp (const char *path)
{
    static char buf[4096];
    FILE *f = fopen (path, "r");
    if (!f)
        return NULL;
    size_t n = fread (buf, 1, sizeof (buf) - 1, f);
    buf[n] = '\0';
    fclose (f);
    return buf;
}

static void four_tasks_on_two_ranks (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;
    char path[512];

    /* each task writes its environment into the job's cwd */
    json_t *sys = json_pack ("{s:s}", "cwd", tmpdir);
    json_t *js = jobspec ("echo $EDDY_TASK_RANK $EDDY_JOB_SIZE $EDDY_JOB_ID $MARK $(pwd) "
                          "> task.$EDDY_TASK_RANK; echo line $EDDY_TASK_RANK",
                          4, 0, sys);
    start_job (&s, w, h, 0x1234, R ("1-2", "0-1"), js);
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, 0);
    char f58[EDDY_FLUID_STRMAX];
    eddy_fluid_encode (f58, sizeof (f58), 0x1234, EDDY_FLUID_F58);
    for (int i = 0; i < 4; i++) {
        char want[512];
        snprintf (path, sizeof (path), "%s/task.%d", tmpdir, i);
        char *got = slurp (path);
        assert_non_null (got);
        snprintf (want, sizeof (want), "%d 4 %s from-jobspec %s\n", i, f58, tmpdir);
        assert_string_equal (got, want);
        unlink (path);
    }
    stream_close (&s);

    /* the output eventlog is complete once finish is out: header, one
     * line per task, eof per stream */
    char key[64];
    const char *text;
    eddy_kvs_job_key (key, sizeof (key), 0x1234, "output");
    eddy_future_t *f = eddy_kvs_lookup (h, NULL, 0, key);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_kvs_lookup_get (f, &text), 0);
    json_t *log = eddy_eventlog_decode (text, NULL);
    assert_non_null (log);
    assert_int_equal (json_array_size (log), 1 + 4 + 2);
    const char *name;
    json_t *ctx;
    int count = -1, lines = 0;
    assert_int_equal (eddy_eventlog_entry_parse (json_array_get (log, 0), NULL, &name, &ctx), 0);
    assert_string_equal (name, "header");
    assert_int_equal (json_unpack (ctx, "{s:{s:i}}", "count", "stdout", &count), 0);
    assert_int_equal (count, 4);
    for (size_t i = 1; i < 5; i++) {
        const char *stream, *rank, *data;
        char want[32];
        assert_int_equal (eddy_eventlog_entry_parse (json_array_get (log, i), NULL, &name, &ctx), 0);
        assert_string_equal (name, "data");
        assert_int_equal (json_unpack (ctx, "{s:s s:s s:s}", "stream", &stream, "rank", &rank,
                                       "data", &data), 0);
        assert_string_equal (stream, "stdout");
        snprintf (want, sizeof (want), "line %s\n", rank);
        assert_string_equal (data, want);
        lines |= 1 << atoi (rank);
    }
    assert_int_equal (lines, 15);
    for (size_t i = 5; i < 7; i++) {
        const char *stream, *rank;
        assert_int_equal (eddy_eventlog_entry_parse (json_array_get (log, i), NULL, &name, &ctx), 0);
        assert_string_equal (name, "eof");
        assert_int_equal (json_unpack (ctx, "{s:s s:s}", "stream", &stream, "rank", &rank), 0);
        assert_string_equal (stream, i == 5 ? "stdout" : "stderr");
        assert_string_equal (rank, "0-3");
    }
    json_decref (log);
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

static void exit_code_and_signal_statuses (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    /* the highest status wins: task 1 exits 3, the others 0 */
    start_job (&s, w, h, 30, R ("0-1", "0"), jobspec ("test $EDDY_TASK_RANK = 1 && exit 3; exit 0", 2, 0, NULL));
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, 3 << 8);
    stream_close (&s);

    /* a task killed by a signal */
    start_job (&s, w, h, 31, R ("1", "0"), jobspec ("kill -USR2 $$", 1, 0, NULL));
    stream_wait (&s, 20.0);
    assert_int_equal (s.status, SIGUSR2);
    stream_close (&s);

    /* a command that does not exist: 127, as a shell says */
    char *argv[] = { "/nonexistent/eddy-no-such-command", NULL };
    struct eddy_jobspec_request jr = { .argc = 1, .argv = argv, .ntasks = 1, .cores_per_task = 1 };
    eddy_jobspec_t *js = eddy_jobspec_from_command (&jr, NULL);
    start_job (&s, w, h, 32, R ("2", "0"), json_incref (eddy_jobspec_json (js)));
    eddy_jobspec_destroy (js);
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start finish release");
    /* valgrind's --error-exitcode replaces the exit code of a child that
     * exits before exec */
    const char *preload = getenv ("LD_PRELOAD");
    if (preload && strstr (preload, "vgpreload"))
        assert_true (s.status != 0 && (s.status & 0xff) == 0);
    else
        assert_int_equal (s.status, 127 << 8);
    stream_close (&s);
    eddy_handle_destroy (h);
}

static void kill_signals_every_task (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    start_job (&s, w, h, 40, R ("1-3", "0"), jobspec ("sleep 100", 3, 0, NULL));
    while (s.n < 1 && !s.done)
        eddy_reactor_run (w->r, EDDY_RUN_ONCE);
    assert_string_equal (seq (&s), "start");
    double t0 = eddy_reactor_now (w->r);
    eddy_future_t *f = eddy_rpc_pack (h, "exec.kill", 0, 0, "{s:I s:i}", "id", (json_int_t)40,
                                      "signal", SIGTERM);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start finish release");
    assert_int_equal (s.status, SIGTERM);
    assert_true (eddy_reactor_now (w->r) - t0 < 5.0);
    stream_close (&s);
    eddy_handle_destroy (h);
}

static void time_limit_terms_then_kills (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    start_job (&s, w, h, 50, R ("1", "0-1"), jobspec ("sleep 100", 2, 0.5, NULL));
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start exception finish release");
    assert_string_equal (s.exc_type, "timeout");
    assert_int_equal (s.status, SIGTERM);
    assert_true (s.t[1] - s.t[0] > 0.45 && s.t[1] - s.t[0] < 2.0);
    stream_close (&s);

    /* a task that ignores SIGTERM gets SIGKILL kill_timeout (0.3 s) later */
    start_job (&s, w, h, 51, R ("2", "0"), jobspec ("trap '' TERM; sleep 100", 1, 0.5, NULL));
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start exception finish release");
    assert_int_equal (s.status, SIGKILL);
    assert_true (s.t[2] - s.t[1] > 0.25 && s.t[2] - s.t[1] < 3.0);
    stream_close (&s);
    eddy_handle_destroy (h);
}

static void launch_streams_output_then_finish (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    json_t *req = json_pack ("{s:I s:i s:i s:i s:i s:[s s s] s:{s:s}}", "id", (json_int_t)60,
                             "userid", (int)getuid (), "base", 2, "ntasks", 2, "size", 4,
                             "command", "sh", "-c",
                             "echo out $EDDY_TASK_RANK; printf 'err\\npartial' >&2; exit 3",
                             "environment", "PATH", getenv ("PATH"));
    stream_open (&s, w, h, "exec.launch", 3, req);
    stream_wait (&s, 20.0);
    assert_int_equal (s.errnum, ENODATA);
    assert_string_equal (s.type[0], "start");
    assert_string_equal (s.type[s.n - 1], "finish");
    assert_int_equal (s.status, 3 << 8);
    /* every line arrived, attributed to its task rank and stream */
    int seen = 0;
    size_t i;
    json_t *e;
    json_array_foreach (s.entries, i, e) {
        const char *stream, *rank, *data;
        assert_int_equal (json_unpack (e, "{s:s s:s s:s}", "stream", &stream, "rank", &rank, "data",
                                       &data), 0);
        char want[64];
        snprintf (want, sizeof (want), "out %s\n", rank);
        if (!strcmp (stream, "stdout") && !strcmp (data, want))
            seen |= rank[0] == '2' ? 1 : 2;
        else if (!strcmp (stream, "stderr") && !strcmp (data, "err\n"))
            seen |= rank[0] == '2' ? 4 : 8;
        else if (!strcmp (stream, "stderr") && !strcmp (data, "partial"))
            seen |= rank[0] == '2' ? 16 : 32;
        else
            fail_msg ("unexpected entry %s %s '%s'", stream, rank, data);
    }
    assert_int_equal (seen, 63);
    stream_close (&s);

    /* exec.signal of a job the rank does not run */
    eddy_future_t *f = eddy_rpc_pack (h, "exec.signal", 3, 0, "{s:I s:i}", "id", (json_int_t)60,
                                      "signal", 15);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);

    /* bad launches */
    json_object_set_new (req, "ntasks", json_integer (5)); /* past size */
    stream_open (&s, w, h, "exec.launch", 3, req);
    stream_wait (&s, 10.0);
    assert_int_equal (s.errnum, EINVAL);
    stream_close (&s);
    json_object_set_new (req, "ntasks", json_integer (1));
    json_object_set_new (req, "userid", json_integer (getuid () + 1));
    stream_open (&s, w, h, "exec.launch", 3, req);
    stream_wait (&s, 10.0);
    assert_int_equal (s.errnum, EPERM);
    stream_close (&s);
    json_decref (req);
    eddy_handle_destroy (h);
}

/* exec.input to a rank: its answer's errno (0: taken). */
static int input (struct world *w, eddy_handle_t *h, uint32_t rank, json_t *payload)
{
    eddy_future_t *f = eddy_rpc (h, "exec.input", payload, rank, 0);
    json_decref (payload);
    assert_non_null (f);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    int rc = eddy_rpc_get (f, NULL) < 0 ? errno : 0;
    eddy_future_destroy (f);
    return rc;
}

static bool stream_started (void *arg)
{
    struct stream *s = arg;
    return s->n > 0 || s->done;
}

/* What task rank wrote, in order (entries may hold several lines). */
static bool wrote (struct stream *s, const char *rank, const char *data)
{
    char all[4096] = "";
    size_t i, n = 0;
    json_t *e;
    json_array_foreach (s->entries, i, e) {
        const char *r = json_string_value (json_object_get (e, "rank"));
        const char *d = json_string_value (json_object_get (e, "data"));
        if (r && d && !strcmp (r, rank))
            n += (size_t)snprintf (all + n, sizeof (all) - n, "%s", d);
        if (n >= sizeof (all))
            return false;
    }
    return !strcmp (all, data);
}

/* stdin: the tasks that take it (launch's stdin idset) read every chunk
 * of exec.input, EOF closes it, what waits is bounded (EAGAIN), and bad
 * requests are refused.
 */
static void launch_feeds_stdin_from_exec_input (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    json_t *req = json_pack ("{s:I s:i s:i s:i s:i s:[s s s] s:{s:s} s:s}", "id", (json_int_t)61,
                             "userid", (int)getuid (), "base", 2, "ntasks", 2, "size", 4,
                             "command", "sh", "-c", "cat; echo end $EDDY_TASK_RANK",
                             "environment", "PATH", getenv ("PATH"), "stdin", "2-3");
    stream_open (&s, w, h, "exec.launch", 3, req);
    assert_int_equal (world_wait_pred (w, stream_started, &s, 20.0), 0);
    assert_string_equal (s.type[0], "start");
    assert_int_equal (input (w, h, 3, json_pack ("{s:I s:s}", "id", (json_int_t)61, "data", "*")),
                      EPROTO);
    assert_int_equal (input (w, h, 3, json_pack ("{s:I s:{s:s s:i}}", "id", (json_int_t)61, "winsize",
                                                 "rows", "x", "cols", 80)),
                      EPROTO);
    assert_int_equal (input (w, h, 3, json_pack ("{s:s}", "id", "x")), EPROTO);
    assert_int_equal (input (w, h, 3, json_pack ("{s:I s:s}", "id", (json_int_t)999, "data", "aGkK")),
                      ENOENT);
    char *b64 = eddy_base64_encode ("hello\n", 6);
    assert_int_equal (input (w, h, 3, json_pack ("{s:I s:s}", "id", (json_int_t)61, "data", b64)), 0);
    free (b64);
    assert_int_equal (input (w, h, 3, json_pack ("{s:I}", "id", (json_int_t)61)), 0);
    assert_int_equal (input (w, h, 3, json_pack ("{s:I s:b}", "id", (json_int_t)61, "eof", 1)), 0);
    assert_int_equal (input (w, h, 3, json_pack ("{s:I s:s}", "id", (json_int_t)61, "data", "aGkK")),
                      EPIPE);
    stream_wait (&s, 20.0);
    assert_int_equal (s.errnum, ENODATA);
    assert_int_equal (s.status, 0);
    assert_true (wrote (&s, "2", "hello\nend 2\n"));
    assert_true (wrote (&s, "3", "hello\nend 3\n"));
    stream_close (&s);
    json_decref (req);

    /* a task that does not read: a pipe's worth is written, the rest
     * waits, up to 1 MiB (EDDY_TASKIN_MAX); past it EAGAIN */
    req = json_pack ("{s:I s:i s:i s:i s:i s:[s s s] s:{s:s} s:s}", "id", (json_int_t)62, "userid",
                     (int)getuid (), "base", 0, "ntasks", 1, "size", 1, "command", "sh", "-c",
                     "sleep 1", "environment", "PATH", getenv ("PATH"), "stdin", "0");
    stream_open (&s, w, h, "exec.launch", 2, req);
    assert_int_equal (world_wait_pred (w, stream_started, &s, 20.0), 0);
    size_t len = 512 * 1024;
    char *big = calloc (1, len);
    assert_non_null (big);
    b64 = eddy_base64_encode (big, len);
    free (big);
    eddy_future_t *f[3];
    for (int i = 0; i < 3; i++) {
        json_t *p = json_pack ("{s:I s:s}", "id", (json_int_t)62, "data", b64);
        f[i] = eddy_rpc (h, "exec.input", p, 2, 0);
        json_decref (p);
        assert_non_null (f[i]);
    }
    free (b64);
    assert_int_equal (world_wait (w, f[2], 10.0), 0);
    assert_int_equal (eddy_rpc_get (f[2], NULL), -1);
    assert_int_equal (errno, EAGAIN);
    /* the task exits without reading: what waited is EPIPE */
    for (int i = 0; i < 2; i++) {
        assert_int_equal (world_wait (w, f[i], 20.0), 0);
        assert_int_equal (eddy_rpc_get (f[i], NULL), -1);
        assert_int_equal (errno, EPIPE);
    }
    for (int i = 0; i < 3; i++)
        eddy_future_destroy (f[i]);
    stream_wait (&s, 20.0);
    stream_close (&s);
    json_decref (req);

    /* a job whose tasks here take no stdin */
    req = json_pack ("{s:I s:i s:i s:i s:i s:[s s s] s:{s:s}}", "id", (json_int_t)63, "userid",
                     (int)getuid (), "base", 0, "ntasks", 1, "size", 1, "command", "sh", "-c",
                     "sleep 1", "environment", "PATH", getenv ("PATH"));
    stream_open (&s, w, h, "exec.launch", 1, req);
    assert_int_equal (world_wait_pred (w, stream_started, &s, 20.0), 0);
    assert_int_equal (input (w, h, 1, json_pack ("{s:I s:s}", "id", (json_int_t)63, "data", "aGkK")),
                      EPIPE);
    stream_wait (&s, 20.0);
    stream_close (&s);
    json_decref (req);

    /* exec.stdin (rank 0): a job the coordinator does not run */
    eddy_future_t *g = eddy_rpc_pack (h, "exec.stdin", 0, 0, "{s:I s:s}", "id", (json_int_t)999,
                                      "data", "aGkK");
    assert_int_equal (world_wait (w, g, 10.0), 0);
    assert_int_equal (eddy_rpc_get (g, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (g);
    g = eddy_rpc_pack (h, "exec.stdin", 0, 0, "{s:s}", "id", "x");
    assert_int_equal (world_wait (w, g, 10.0), 0);
    assert_int_equal (eddy_rpc_get (g, NULL), -1);
    assert_int_equal (errno, EPROTO);
    eddy_future_destroy (g);
    eddy_handle_destroy (h);
}

/* shell.options.output: files named by templates in the job's cwd, with
 * every task's lines (truncated first), stderr apart or with stdout; the
 * output eventlog gets none of it; a file that cannot be opened is an
 * exec exception naming it, and no task runs.
 */
static void output_files_from_templates (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;
    char path[512], f58[EDDY_FLUID_STRMAX];

    eddy_fluid_encode (f58, sizeof (f58), 0x4321, EDDY_FLUID_F58);
    snprintf (path, sizeof (path), "%s/out.%s", tmpdir, f58);
    FILE *stale = fopen (path, "w");
    assert_non_null (stale);
    fputs ("stale\n", stale);
    fclose (stale);
    json_t *sys = json_pack ("{s:s s:{s:{s:{s:{s:s s:s} s:{s:s s:s}}}}}", "cwd", tmpdir, "shell",
                             "options", "output", "stdout", "type", "file", "path",
                             "out.{{id}}", "stderr", "type", "file", "path", "err.{{id.dec}}");
    start_job (&s, w, h, 0x4321, R ("1-2", "0-1"),
               jobspec ("echo out $EDDY_TASK_RANK; echo err $EDDY_TASK_RANK >&2", 4, 0, sys));
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start finish release");
    stream_close (&s);
    char *got = slurp (path); /* a static buffer */
    assert_non_null (got);
    assert_null (strstr (got, "stale"));
    for (int i = 0; i < 4; i++) {
        char want[32];
        snprintf (want, sizeof (want), "out %d\n", i);
        assert_non_null (strstr (got, want));
    }
    assert_null (strstr (got, "err"));
    snprintf (path, sizeof (path), "%s/err.%d", tmpdir, 0x4321);
    got = slurp (path);
    assert_non_null (got);
    assert_non_null (strstr (got, "err 3\n"));

    /* the output eventlog has its header and eofs, no data */
    char key[64];
    const char *text;
    eddy_kvs_job_key (key, sizeof (key), 0x4321, "output");
    eddy_future_t *f = eddy_kvs_lookup (h, NULL, 0, key);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_kvs_lookup_get (f, &text), 0);
    assert_null (strstr (text, "\"data\""));
    eddy_future_destroy (f);

    /* only stdout named: stderr goes with it */
    sys = json_pack ("{s:s s:{s:{s:{s:{s:s s:s}}}}}", "cwd", tmpdir, "shell", "options", "output",
                     "stdout", "type", "file", "path", "both.out");
    start_job (&s, w, h, 0x4322, R ("1", "0"), jobspec ("echo one; echo two >&2", 1, 0, sys));
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "start finish release");
    stream_close (&s);
    snprintf (path, sizeof (path), "%s/both.out", tmpdir);
    got = slurp (path);
    assert_non_null (got);
    assert_non_null (strstr (got, "one\n"));
    assert_non_null (strstr (got, "two\n"));

    sys = json_pack ("{s:s s:{s:{s:{s:{s:s s:s}}}}}", "cwd", tmpdir, "shell", "options", "output",
                     "stdout", "type", "file", "path", "/nonexistent/dir/out");
    start_job (&s, w, h, 0x4323, R ("1-2", "0"),
               jobspec ("touch ran.$EDDY_TASK_RANK", 2, 0, sys));
    stream_wait (&s, 20.0);
    assert_string_equal (seq (&s), "exception release");
    assert_string_equal (s.exc_type, "exec");
    assert_non_null (strstr (s.exc_note, "cannot open stdout file /nonexistent/dir/out"));
    stream_close (&s);
    for (int i = 0; i < 2; i++) { /* neither rank ran its task */
        snprintf (path, sizeof (path), "%s/ran.%d", tmpdir, i);
        assert_int_equal (access (path, F_OK), -1);
    }
    eddy_handle_destroy (h);
}

static void bad_R_raises_an_exec_exception (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    struct stream s;

    json_t *bad = json_pack ("{s:i}", "version", 7);
    start_job (&s, w, h, 70, bad, jobspec ("true", 1, 0, NULL));
    stream_wait (&s, 10.0);
    assert_string_equal (seq (&s), "exception release");
    assert_string_equal (s.exc_type, "exec");
    assert_non_null (strstr (s.exc_note, "version"));
    stream_close (&s);

    /* a rank that is not there */
    start_job (&s, w, h, 71, R ("9", "0"), jobspec ("true", 1, 0, NULL));
    stream_wait (&s, 10.0);
    assert_string_equal (seq (&s), "exception release");
    assert_non_null (strstr (s.exc_note, "rank 9"));
    stream_close (&s);
    eddy_handle_destroy (h);
}

/* [exec] imp set: a stand-in IMP (a script) records how it is called */
static int setup_imp (void **state)
{
    char imp[300], conf_path[300];
    snprintf (imp, sizeof (imp), "%s/fake-imp", tmpdir);
    snprintf (conf_path, sizeof (conf_path), "%s/imp.log", tmpdir);
    FILE *f = fopen (imp, "w");
    if (!f)
        return -1;
    fprintf (f, "#!/bin/sh\n"
                "echo \"$* $EDDY_JOB_ID $EDDY_JOB_USERID\" >>%s\n"
                "case $1 in\n"
                "run) [ \"$2\" = prolog ] && exec sleep 30; exit 4 ;;\n"
                "kill) kill -s \"$2\" -- \"$3\" ;;\n"
                "esac\n",
             conf_path);
    fclose (f);
    chmod (imp, 0755);
    unlink (conf_path);
    struct world *w = current->create (SIZE, FANOUT);
    json_t *conf = json_pack ("{s:{s:s}}", "exec", "imp", imp);
    json_t *args = json_pack ("{s:s s:f}", "backend", "real", "kill_timeout", 0.3);
    if (!w || !conf || !args)
        return -1;
    for (uint32_t i = 0; i < SIZE; i++) {
        eddy_broker_set_config (w->b[i], conf);
        eddy_broker_add_initial_module (w->b[i], "exec", args);
    }
    json_decref (conf);
    json_decref (args);
    if (world_boot (w, 30.0) < 0) {
        world_destroy (w);
        return -1;
    }
    *state = w;
    return 0;
}

static void perilog_goes_through_the_imp_when_set (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "jm");
    char path[300];
    bool late;
    int errnum;

    /* IMP run epilog, not the command; its status is the answer's */
    assert_int_equal (perilog (w, h, 0, json_pack ("{s:I s:s s:[s] s:{s:s s:s}}", "id",
                                                   (json_int_t)9, "name", "epilog", "command",
                                                   "true", "env", "EDDY_JOB_ID", "f9",
                                                   "EDDY_JOB_USERID", "1234"),
                               &late, &errnum),
                      4 << 8);
    /* at the timeout the IMP is asked to signal the command's group */
    assert_int_equal (perilog (w, h, 0, json_pack ("{s:I s:s s:[s] s:f s:{s:s}}", "id",
                                                   (json_int_t)9, "name", "prolog", "command",
                                                   "true", "timeout", 0.2, "env", "EDDY_JOB_ID",
                                                   "f9"),
                               &late, &errnum),
                      SIGTERM);
    assert_true (late);
    /* imp: false (eddy perilog-run) runs the command as is */
    assert_int_equal (perilog (w, h, 0, json_pack ("{s:I s:s s:[s,s,s] s:b}", "id", (json_int_t)9,
                                                   "name", "prolog", "command", "sh", "-c",
                                                   "exit 5", "imp", 0),
                               &late, &errnum),
                      5 << 8);
    snprintf (path, sizeof (path), "%s/imp.log", tmpdir);
    char *log = slurp (path);
    assert_non_null (log);
    assert_non_null (strstr (log, "run epilog f9 1234\n"));
    assert_non_null (strstr (log, "run prolog f9 \n"));
    assert_non_null (strstr (log, "kill 15 -"));
    assert_null (strstr (log, "exit 5"));
    eddy_handle_destroy (h);
}

static const struct CMUnitTest both[] = {
    cmocka_unit_test_setup_teardown (test_job_finishes_after_its_run_duration, setup, teardown),
    cmocka_unit_test_setup_teardown (time_limit_raises_timeout_and_kills, setup, teardown),
    cmocka_unit_test_setup_teardown (kill_ends_a_test_job_with_the_signal, setup, teardown),
    cmocka_unit_test_setup_teardown (wait_status_and_fsd_run_duration, setup, teardown),
    cmocka_unit_test_setup_teardown (bad_requests_get_clear_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (a_thousand_test_jobs_complete, setup, teardown),
};

static const struct CMUnitTest sim_only[] = {
    cmocka_unit_test_setup_teardown (sim_backend_runs_no_process, setup, teardown),
    cmocka_unit_test_setup_teardown (perilog_runs_nothing_in_sim, setup, teardown),
};

static const struct CMUnitTest real_only[] = {
    cmocka_unit_test_setup_teardown (four_tasks_on_two_ranks, setup, teardown),
    cmocka_unit_test_setup_teardown (exit_code_and_signal_statuses, setup, teardown),
    cmocka_unit_test_setup_teardown (kill_signals_every_task, setup, teardown),
    cmocka_unit_test_setup_teardown (time_limit_terms_then_kills, setup, teardown),
    cmocka_unit_test_setup_teardown (launch_streams_output_then_finish, setup, teardown),
    cmocka_unit_test_setup_teardown (launch_feeds_stdin_from_exec_input, setup, teardown),
    cmocka_unit_test_setup_teardown (bad_R_raises_an_exec_exception, setup, teardown),
    cmocka_unit_test_setup_teardown (output_files_from_templates, setup, teardown),
    cmocka_unit_test_setup_teardown (perilog_statuses_environment_and_timeout, setup, teardown),
    cmocka_unit_test_setup_teardown (perilog_goes_through_the_imp_when_set, setup_imp, teardown),
};

#define NTESTS(t) (sizeof (t) / sizeof ((t)[0]))

int main (void)
{
    int rc = 0;

    snprintf (tmpdir, sizeof (tmpdir), "%s/eddy-exec-XXXXXX", getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    if (!mkdtemp (tmpdir))
        return 1;
    /* as eddy-broker: a write to a task's stdin that closed is EPIPE, not death */
    signal (SIGPIPE, SIG_IGN);
    if (getenv ("EXEC_TEST_FILTER")) /* run only matching cases (debugging) */
        cmocka_set_test_filter (getenv ("EXEC_TEST_FILTER"));
    current = &world_sim;
    rc += _cmocka_run_group_tests ("exec-sim", both, NTESTS (both), NULL, NULL);
    rc += _cmocka_run_group_tests ("exec-sim-backend", sim_only, NTESTS (sim_only), NULL, NULL);
    current = &world_real;
    rc += _cmocka_run_group_tests ("exec-real", both, NTESTS (both), NULL, NULL);
    rc += _cmocka_run_group_tests ("exec-real-backend", real_only, NTESTS (real_only), NULL, NULL);
    nftw (tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return rc ? 1 : 0;
}
