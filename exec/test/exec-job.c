/* exec-job - play the job manager against a running instance's exec
 * module, for integration tests: send one exec.start and print each
 * response on a line ("start", "exception TYPE NOTE", "finish STATUS",
 * "release final", "end ERRNO-TEXT").
 *
 * Usage: exec-job [-n NTASKS] [-t DURATION] [-R R-JSON] [-k SECONDS:SIGNAL]
 *                 [--run-duration S] [--cwd DIR] [--id N] -- COMMAND...
 * The environment of exec-job becomes the job's.  -k sends exec.kill
 * SIGNAL that many seconds after start.
 *
 * For jobs of other users (eddy-imp): --sign SOCKET prints the job's
 * jobspec signed with MUNGE (munged at SOCKET) as the caller, J, and
 * exits; --userid UID --J FILE sends that J with the job as UID's.
 *
 * --count N runs N such jobs (ids from --id on), --window W of them at a
 * time, and prints only "jobs N failed F seconds S rate R" (throughput).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/future.h"
#include "engine/util/sign.h"
#include "sched/jobspec.h"
#include "transport/local/client.h"

extern char **environ;

struct run {
    eddy_handle_t *h;
    uint64_t id;
    /* --count: the batch */
    int count, window, sent, done, failed;
    json_t *payload; /* exec.start's, its id replaced per job */
    bool job_failed;
    double kill_after;
    int kill_signal;
    eddy_watcher_t *kill_timer;
    eddy_future_t *kill_f;
};

static void kill_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct run *run = arg;
    run->kill_f = eddy_rpc_pack (run->h, "exec.kill", 0, 0, "{s:I s:i}", "id", (json_int_t)run->id,
                                 "signal", run->kill_signal);
}

static void batch_cb (eddy_future_t *f, void *arg);

static void batch_send (struct run *run)
{
    while (run->sent < run->count && run->sent - run->done < run->window) {
        json_object_set_new (run->payload, "id", json_integer ((json_int_t)(run->id + run->sent)));
        eddy_future_t *f = eddy_rpc (run->h, "exec.start", run->payload, 0, EDDY_RPC_STREAMING);
        if (!f || eddy_future_then (f, -1, batch_cb, run) < 0) {
            fprintf (stderr, "exec-job: exec.start: %s\n", strerror (errno));
            exit (1);
        }
        run->sent++;
    }
}

/* One job of a batch: it fails unless it finishes with status 0. */
static void batch_cb (eddy_future_t *f, void *arg)
{
    struct run *run = arg;
    const char *type = "?";
    int status = -1;
    json_t *o;

    if (eddy_rpc_get (f, &o) < 0) {
        run->done++;
        if (eddy_future_aux_get (f, "ok") == NULL)
            run->failed++;
        eddy_future_destroy (f);
        if (run->done == run->count)
            eddy_reactor_stop (eddy_handle_reactor (run->h));
        else
            batch_send (run);
        return;
    }
    json_unpack (o, "{s:s s?i}", "type", &type, "status", &status);
    if (!strcmp (type, "finish") && status == 0)
        eddy_future_aux_set (f, "ok", run, NULL);
    eddy_future_reset (f);
}

static void stream_cb (eddy_future_t *f, void *arg)
{
    struct run *run = arg;
    const char *type = "?";
    json_t *o;

    if (eddy_rpc_get (f, &o) < 0) {
        printf ("end %s\n", eddy_future_error_string (f));
        fflush (stdout);
        eddy_reactor_stop (eddy_handle_reactor (run->h));
        return;
    }
    json_unpack (o, "{s:s}", "type", &type);
    if (!strcmp (type, "finish")) {
        int status = -1;
        json_unpack (o, "{s:i}", "status", &status);
        printf ("finish %d\n", status);
    } else if (!strcmp (type, "exception")) {
        const char *et = "?", *note = "";
        json_unpack (o, "{s:s s:s}", "exception_type", &et, "note", &note);
        printf ("exception %s %s\n", et, note);
    } else if (!strcmp (type, "release")) {
        int final = 0;
        json_unpack (o, "{s:b}", "final", &final);
        printf ("release%s\n", final ? " final" : "");
    } else {
        printf ("%s\n", type);
        if (!strcmp (type, "start") && run->kill_after > 0) {
            run->kill_timer = eddy_timer_create (eddy_handle_reactor (run->h), run->kill_after, 0,
                                                 kill_cb, run);
            eddy_watcher_start (run->kill_timer);
        }
    }
    fflush (stdout);
    eddy_future_reset (f);
}

int main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "ntasks", required_argument, NULL, 'n' },
        { "time-limit", required_argument, NULL, 't' },
        { "R", required_argument, NULL, 'R' },
        { "kill", required_argument, NULL, 'k' },
        { "run-duration", required_argument, NULL, 'D' },
        { "cwd", required_argument, NULL, 'C' },
        { "id", required_argument, NULL, 'I' },
        { "sign", required_argument, NULL, 'S' },
        { "userid", required_argument, NULL, 'U' },
        { "J", required_argument, NULL, 'J' },
        { "count", required_argument, NULL, 'N' },
        { "window", required_argument, NULL, 'W' },
        { NULL, 0, NULL, 0 },
    };
    struct run run = { .id = 1, .count = 1, .window = 64 };
    int ntasks = 1, c;
    double duration = 0, run_duration = -1;
    const char *Rtext = "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":{\"core\":\"0\"}}]}}";
    const char *cwd = NULL, *sign = NULL, *Jfile = NULL;
    int userid = (int)getuid ();
    json_t *J = NULL;
    eddy_error_t err;

    while ((c = getopt_long (argc, argv, "+n:t:R:k:", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            ntasks = atoi (optarg);
            break;
        case 't':
            duration = atof (optarg);
            break;
        case 'R':
            Rtext = optarg;
            break;
        case 'k':
            if (sscanf (optarg, "%lf:%d", &run.kill_after, &run.kill_signal) != 2) {
                fprintf (stderr, "exec-job: -k SECONDS:SIGNAL\n");
                return 2;
            }
            break;
        case 'D':
            run_duration = atof (optarg);
            break;
        case 'C':
            cwd = optarg;
            break;
        case 'I':
            run.id = strtoull (optarg, NULL, 0);
            break;
        case 'S':
            sign = optarg;
            break;
        case 'U':
            userid = atoi (optarg);
            break;
        case 'J':
            Jfile = optarg;
            break;
        case 'N':
            run.count = atoi (optarg);
            break;
        case 'W':
            run.window = atoi (optarg);
            break;
        default:
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf (stderr, "exec-job: no command\n");
        return 2;
    }
    json_t *env = json_object ();
    for (int i = 0; environ[i]; i++) {
        char *eq = strchr (environ[i], '=');
        if (eq) {
            char *key = strndup (environ[i], eq - environ[i]);
            json_object_set_new (env, key, json_string (eq + 1));
            free (key);
        }
    }
    json_t *attrs = run_duration >= 0 ? json_pack ("{s:{s:{s:{s:f}}}}", "system", "exec", "test",
                                                   "run_duration", run_duration)
                                      : NULL;
    struct eddy_jobspec_request req = {
        .argc = argc - optind, .argv = argv + optind, .ntasks = ntasks, .cores_per_task = 1,
        .duration = duration, .cwd = cwd, .environment = env, .attributes = attrs,
    };
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    if (!js) {
        fprintf (stderr, "exec-job: %s\n", err.text);
        return 1;
    }
    if (sign) {
        struct eddy_sign_conf sc;
        eddy_sign_conf_init (&sc, true);
        snprintf (sc.munge_socket, sizeof (sc.munge_socket), "%s", sign);
        char *text = json_dumps (eddy_jobspec_json (js), JSON_COMPACT);
        char *Jtext = text ? eddy_sign_wrap (&sc, "munge", text, strlen (text), &err) : NULL;
        if (!Jtext) {
            fprintf (stderr, "exec-job: --sign: %s\n", err.text);
            return 1;
        }
        printf ("%s\n", Jtext);
        free (Jtext);
        free (text);
        eddy_jobspec_destroy (js);
        json_decref (env);
        json_decref (attrs);
        return 0;
    }
    if (Jfile) {
        char buf[65536];
        FILE *fp = fopen (Jfile, "r");
        size_t n = fp ? fread (buf, 1, sizeof (buf) - 1, fp) : 0;
        if (!fp || n == 0) {
            fprintf (stderr, "exec-job: --J %s: cannot read it\n", Jfile);
            return 1;
        }
        fclose (fp);
        while (n > 0 && buf[n - 1] == '\n')
            n--;
        buf[n] = '\0';
        J = json_string (buf);
    }
    json_t *R = json_loads (Rtext, 0, NULL);
    if (!R) {
        fprintf (stderr, "exec-job: -R: not JSON\n");
        return 1;
    }
    if (!(run.h = eddy_open (NULL, &err))) {
        fprintf (stderr, "exec-job: %s\n", err.text);
        return 1;
    }
    int rc;
    if (run.count > 1) {
        run.payload = json_pack ("{s:I s:i s:O s:O s:O*}", "id", (json_int_t)run.id, "userid",
                                 userid, "R", R, "jobspec", eddy_jobspec_json (js), "J", J);
        eddy_reactor_now_update (eddy_handle_reactor (run.h));
        double t0 = eddy_reactor_now (eddy_handle_reactor (run.h));
        batch_send (&run);
        rc = eddy_reactor_run (eddy_handle_reactor (run.h), EDDY_RUN_DEFAULT);
        eddy_reactor_now_update (eddy_handle_reactor (run.h));
        double t = eddy_reactor_now (eddy_handle_reactor (run.h)) - t0;
        printf ("jobs %d failed %d seconds %.3f rate %.1f\n", run.count, run.failed, t,
                t > 0 ? run.count / t : 0);
        json_decref (run.payload);
        rc = rc < 0 || run.failed ? 1 : 0;
    }
    else {
        eddy_future_t *f = eddy_rpc_pack (run.h, "exec.start", 0, EDDY_RPC_STREAMING,
                                          "{s:I s:i s:O s:O s:O*}", "id", (json_int_t)run.id,
                                          "userid", userid, "R", R, "jobspec",
                                          eddy_jobspec_json (js), "J", J);
        if (!f || eddy_future_then (f, -1, stream_cb, &run) < 0) {
            fprintf (stderr, "exec-job: exec.start: %s\n", strerror (errno));
            return 1;
        }
        rc = eddy_reactor_run (eddy_handle_reactor (run.h), EDDY_RUN_DEFAULT) < 0 ? 1 : 0;
        eddy_future_destroy (f);
        eddy_future_destroy (run.kill_f);
        eddy_watcher_destroy (run.kill_timer);
    }
    eddy_close (run.h);
    eddy_jobspec_destroy (js);
    json_decref (R);
    json_decref (J);
    json_decref (env);
    json_decref (attrs);
    return rc;
}
