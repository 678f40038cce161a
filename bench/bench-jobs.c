/* bench-jobs.c - end-to-end job throughput of a running instance
 * ($EDDY_URI): submit COUNT jobs (WINDOW in flight), follow the job
 * manager's journal, and report jobs/s overall and per 1,000 jobs.
 *   bench-jobs COUNT [--real] [--sign]  (default: the test exec, no
 *                                   process; --real runs /bin/true;
 *                                   --sign signs each jobspec as eddy
 *                                   submit does, with the type and munged
 *                                   socket job-ingest names)
 *   bench-jobs COUNT --follow       submit nothing: follow the journal
 *                                   until COUNT jobs are clean, printing
 *                                   "WALLTIME DONE" (CLOCK_REALTIME) at
 *                                   every 100th (bench-stream.sh)
 *   bench-jobs COUNT --submit-only  submit COUNT test-exec jobs and exit
 *                                   once all are accepted (with the queue
 *                                   stopped they stay queued)
 *   bench-jobs COUNT --window=W     at most W jobs submitted and not yet
 *                                   clean (default: no limit, only 256
 *                                   submissions unanswered), so that the
 *                                   queue stays short (bench-jobmem.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/future.h"
#include "engine/util/sign.h"
#include "transport/local/client.h"

struct bench {
    eddy_handle_t *h;
    long count, submitted, answered, done;
    long window; /* 0: no limit on jobs submitted and not clean */
    bool real;
    bool sign;
    bool submit_only; /* stop once every submission is answered */
    bool follow;      /* submit nothing, print completion times */
    struct eddy_sign_conf conf;
    double t_sign; /* seconds spent signing, in this client */
    double t0;
    double *marks; /* wall time of every 1000th completion */
};

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void submit_cb (eddy_future_t *f, void *arg);

/* Whether one more job may be submitted now. */
static bool may_submit (const struct bench *b)
{
    return b->submitted < b->count && (b->window == 0 || b->submitted - b->done < b->window);
}

static void submit_one (struct bench *b)
{
    json_t *attrs = b->real ? json_pack ("{s:{s:f}}", "system", "duration", 0.0)
                            : json_pack ("{s:{s:f s:{s:{s:f}}}}", "system", "duration", 0.0,
                                         "exec", "test", "run_duration", 0.0);
    json_t *js = json_pack (
        "{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}] s:o}",
        "version", 1, "resources", "type", "slot", "count", 1, "label", "task", "with", "type",
        "core", "count", 1, "tasks", "command", "true", "slot", "task", "count", "per_slot", 1,
        "attributes", attrs);
    json_t *req = json_pack ("{s:o}", "jobspec", js);
    if (b->sign && req) {
        eddy_error_t err;
        double t = now ();
        char *text = json_dumps (js, JSON_COMPACT | JSON_SORT_KEYS);
        char *J = text ? eddy_sign_wrap (&b->conf, NULL, text, strlen (text), &err) : NULL;
        if (!J) {
            fprintf (stderr, "bench-jobs: sign: %s\n", text ? err.text : "out of memory");
            exit (1);
        }
        json_object_set_new (req, "J", json_string (J));
        free (J);
        free (text);
        b->t_sign += now () - t;
    }
    eddy_future_t *f = req ? eddy_rpc (b->h, "job-ingest.submit", req, EDDY_NODEID_ANY, 0) : NULL;
    json_decref (req);
    if (!f || eddy_future_then (f, -1, submit_cb, b) < 0) {
        fprintf (stderr, "bench-jobs: cannot submit\n");
        exit (1);
    }
    b->submitted++;
}

static void submit_cb (eddy_future_t *f, void *arg)
{
    struct bench *b = arg;
    if (eddy_rpc_get (f, NULL) < 0) {
        fprintf (stderr, "bench-jobs: submit: %s\n", eddy_future_error_string (f));
        exit (1);
    }
    eddy_future_destroy (f);
    b->answered++;
    if (may_submit (b))
        submit_one (b);
    else if (b->submit_only && b->answered == b->count)
        eddy_reactor_stop (eddy_handle_reactor (b->h));
}

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct bench *b = arg;
    json_t *o, *events, *item;
    size_t i;
    if (eddy_rpc_get (f, &o) < 0) {
        fprintf (stderr, "bench-jobs: journal: %s\n", eddy_future_error_string (f));
        exit (1);
    }
    if (json_unpack (o, "{s:o}", "events", &events) == 0) {
        json_array_foreach (events, i, item) {
            const char *name = json_string_value (json_object_get (json_object_get (item, "entry"), "name"));
            if (name && !strcmp (name, "clean")) {
                b->done++;
                if (b->follow && b->done % 100 == 0) {
                    struct timespec ts;
                    clock_gettime (CLOCK_REALTIME, &ts);
                    printf ("%.3f %ld\n", ts.tv_sec + ts.tv_nsec * 1e-9, b->done);
                    fflush (stdout);
                }
                if (b->done % 1000 == 0)
                    b->marks[b->done / 1000] = now ();
            }
        }
    }
    eddy_future_reset (f);
    while (b->window && may_submit (b) && b->submitted - b->answered < 256)
        submit_one (b);
    if (b->done >= b->count)
        eddy_reactor_stop (eddy_handle_reactor (b->h));
}

int main (int argc, char **argv)
{
    struct bench b = { .count = argc > 1 ? atol (argv[1]) : 10000 };
    eddy_error_t err;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv[i], "--real"))
            b.real = true;
        else if (!strcmp (argv[i], "--sign"))
            b.sign = true;
        else if (!strcmp (argv[i], "--submit-only"))
            b.submit_only = true;
        else if (!strcmp (argv[i], "--follow"))
            b.follow = true;
        else if (!strncmp (argv[i], "--window=", 9) && atol (argv[i] + 9) > 0)
            b.window = atol (argv[i] + 9);
        else
            b.count = 0;
    }
    if (b.count < 1000 || b.count % 1000) {
        fprintf (stderr, "usage: bench-jobs COUNT (a multiple of 1000) [--real] [--sign]"
                         " [--submit-only | --follow] [--window=W]\n");
        return 1;
    }
    if (!(b.h = eddy_open (NULL, &err))) {
        fprintf (stderr, "bench-jobs: %s\n", err.text);
        return 1;
    }
    if (b.sign) {
        const char *type, *sock;
        eddy_future_t *f = eddy_rpc (b.h, "job-ingest.sign-info", NULL, EDDY_NODEID_ANY, 0);
        eddy_sign_conf_init (&b.conf, false);
        if (!f || eddy_rpc_get_unpack (f, "{s:s s:s}", "default-type", &type, "munge-socket",
                                       &sock) < 0) {
            fprintf (stderr, "bench-jobs: job-ingest.sign-info: %s\n",
                     f ? eddy_future_error_string (f) : "cannot ask");
            return 1;
        }
        snprintf (b.conf.default_type, sizeof (b.conf.default_type), "%s", type);
        snprintf (b.conf.munge_socket, sizeof (b.conf.munge_socket), "%s", sock);
        eddy_future_destroy (f);
    }
    b.marks = calloc (b.count / 1000 + 1, sizeof (double));
    eddy_future_t *j = eddy_rpc (b.h, "job-manager.journal", NULL, EDDY_NODEID_ANY, EDDY_RPC_STREAMING);
    if (!j || eddy_future_then (j, -1, journal_cb, &b) < 0) {
        fprintf (stderr, "bench-jobs: cannot follow the journal\n");
        return 1;
    }
    b.t0 = b.marks[0] = now ();
    for (int i = 0; i < 256 && !b.follow && may_submit (&b); i++)
        submit_one (&b);
    eddy_reactor_run (eddy_handle_reactor (b.h), EDDY_RUN_DEFAULT);
    double t = now () - b.t0;
    if (b.submit_only || b.follow) {
        if (b.submit_only)
            printf ("%ld test-exec jobs submitted in %.2f s = %.0f jobs/s\n", b.count, t,
                    b.count / t);
        eddy_future_destroy (j);
        free (b.marks);
        eddy_close (b.h);
        return 0;
    }
    long k = b.count / 1000;
    double first = 1000 / (b.marks[1] - b.marks[0]);
    double last = 1000 / (b.marks[k] - b.marks[k - 1]);
    printf ("%ld %s%s jobs in %.2f s = %.0f jobs/s; first 1,000 at %.0f/s, last 1,000 at %.0f/s (%.2fx)\n",
            b.count, b.real ? "real /bin/true" : "test-exec",
            b.sign ? (strcmp (b.conf.default_type, "munge") ? " signed (none)" : " signed (munge)")
                   : "",
            t, b.count / t, first, last, last / first);
    if (b.sign)
        printf ("  signing in the client: %.1f us per job (%.0f signatures/s)\n",
                b.t_sign / b.count * 1e6, b.count / b.t_sign);
    eddy_future_destroy (j);
    free (b.marks);
    eddy_close (b.h);
    return 0;
}
