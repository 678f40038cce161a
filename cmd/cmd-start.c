/* cmd-start.c - `eddy start`: run a local instance of N brokers over
 * ZeroMQ in a private runtime directory, run a command in it, tear it
 * down, and exit with the command's status.  As a task of a job (under
 * PMI-1) it starts one broker, the job's tasks together form one
 * instance (a nested one: its R is the job's), and the task of rank 0
 * runs the command (or the job's batch script) in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/config-schema.h"
#include "cmd/configfile.h"
#include "cmd/nest.h"
#include "cmd/pmiclient.h"
#include "cmd/statelock.h"
#include "sched/policy.h"
#include "transport/local/client.h"

static int start_run (int argc, char **argv);
static volatile sig_atomic_t got_term;

const struct eddy_cmd cmd_start = {
    .name = "start",
    .usage = "eddy start [OPTIONS] [COMMAND [ARGS...]]",
    .summary = "Start a local instance of N brokers and run COMMAND (or a shell) in it.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("size", 's', "N", "number of brokers (default 1)"),
        EDDY_OPT_ARG ("fanout", 'f', "K", "overlay tree fanout, 0 = flat (default 2)"),
        EDDY_OPT_LARG ("tbon", 't', "ipc|tcp", "overlay transport (default ipc; tcp uses CURVE)"),
        EDDY_OPT_LARG ("rundir", 'd', "DIR", "runtime directory (kept); default a private temporary one"),
        EDDY_OPT_LARG ("statedir", 'D', "DIR", "keep the instance's state (the KVS) in DIR across restarts"),
        EDDY_OPT_ARG ("setattr", 'S', "N=V", "set broker attribute N to V on every broker"),
        EDDY_OPT_ARG ("module", 'm', "NAME", "load module NAME on every broker at start"),
        EDDY_OPT_LFLAG ("bare", 'B', "no default modules (just the brokers)"),
        EDDY_OPT_LARG ("policy", 'P', "NAME", "scheduling policy: fcfs, easy (default), conservative, or a plugin: a shared object's path (docs/policy-plugins.md)"),
        EDDY_OPT_LARG ("config-path", 'C', "DIR", "configuration: a conf.d of *.toml (or one file) that every broker reads (default: $EDDY_CONFIG_PATH, else none)"),
        EDDY_OPT_LARG ("timeout", 'T', "S", "give up if the instance is not up in S seconds (default 60)"),
        EDDY_OPT_LFLAG ("batch", 'b', "(as a job's task) run the job's batch script (eddy batch)"),
        EDDY_OPT_LARG ("pmi-sign", 'G', "MODE", "(as a job's task) PMI values MUNGE-signed: auto (default: required when the PMI server is another user's), munge, none"),
        EDDY_OPT_TEXT ("The command runs with EDDY_URI set to rank 0's local socket; eddy start\n"
                       "exits with its status.  Without --size, as a task of a job (PMI_FD, PMI_RANK,\n"
                       "PMI_SIZE set) each task starts one broker of one instance bootstrapped by\n"
                       "PMI; in an eddy job its R is the job's and parent-uri the job's EDDY_URI;\n"
                       "the task of PMI rank 0 runs the command.\n"),
        EDDY_OPT_END,
    },
    .run = start_run,
};

struct inst {
    uint32_t size;
    pid_t *pids;
    bool *reaped;
    int *status;
    char *rundir;
    bool keep_rundir;
};

static char *self_dir (void)
{
    char path[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", path, sizeof (path) - 1);
    if (n <= 0)
        eddy_cmd_die ("start", "cannot find the eddy executable: %s", strerror (errno));
    path[n] = '\0';
    char *slash = strrchr (path, '/');
    if (slash)
        *slash = '\0';
    return xstrdup (path);
}

static int rm_entry (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove (path);
}

static void reap (struct inst *in, bool block)
{
    for (uint32_t i = 0; i < in->size; i++) {
        if (in->reaped[i] || in->pids[i] <= 0)
            continue;
        if (waitpid (in->pids[i], &in->status[i], block ? 0 : WNOHANG) == in->pids[i])
            in->reaped[i] = true;
    }
}

static uint32_t running (struct inst *in)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->size; i++)
        if (!in->reaped[i] && in->pids[i] > 0)
            n++;
    return n;
}

static void sleep_s (double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
    nanosleep (&ts, NULL);
}

/* Wait up to timeout for the brokers to exit; kill what remains. */
static void teardown (struct inst *in, double timeout, bool report)
{
    double t0 = client_monotime ();
    double delay = 0.001;
    reap (in, false);
    while (running (in) > 0 && client_monotime () - t0 < timeout) {
        sleep_s (delay);
        if (delay < 0.05)
            delay *= 2;
        reap (in, false);
    }
    if (running (in) > 0) {
        for (uint32_t i = 0; i < in->size; i++)
            if (!in->reaped[i] && in->pids[i] > 0) {
                eddy_cmd_error ("start", "rank %u (pid %d) did not exit: killing it", i,
                                (int)in->pids[i]);
                kill (in->pids[i], SIGKILL);
            }
        reap (in, true);
    }
    if (report) {
        for (uint32_t i = 0; i < in->size; i++) {
            if (in->pids[i] <= 0)
                continue;
            if (WIFSIGNALED (in->status[i]))
                eddy_cmd_error ("start", "rank %u (pid %d) was killed by signal %d", i,
                                (int)in->pids[i], WTERMSIG (in->status[i]));
            else if (WIFEXITED (in->status[i]) && WEXITSTATUS (in->status[i]) != 0)
                eddy_cmd_error ("start", "rank %u exited with status %d", i,
                                WEXITSTATUS (in->status[i]));
        }
    }
    if (!in->keep_rundir)
        nftw (in->rundir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Start argv; own_group puts it in a process group of its own, so a
 * terminal's ^C reaches the command but not the brokers.
 */
/* A broker (own_group) is in a process group of its own, out of reach of
 * the terminal's signals.  Should eddy start die without shutting the
 * instance down (killed with SIGKILL), deathsig reaches the child: SIGTERM
 * (an orderly shutdown) for a broker, SIGHUP (a hangup) for the command.
 */
static pid_t spawn (char *const argv[], bool own_group, int deathsig)
{
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        if (own_group)
            setpgid (0, 0);
        if (deathsig && (prctl (PR_SET_PDEATHSIG, deathsig) < 0 || getppid () != parent))
            _exit (1); /* eddy start is gone already */
        execvp (argv[0], argv);
        fprintf (stderr, "eddy-start: %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    return pid;
}

static void term_cb (int signum)
{
    got_term = signum;
}

/* Connect to rank 0 once its socket exists, polling while brokers start. */
static eddy_handle_t *connect_rank0 (struct inst *in, const char *uri, double timeout)
{
    double t0 = client_monotime ();
    double delay = 0.0005;
    eddy_error_t err;
    char path[PATH_MAX];
    snprintf (path, sizeof (path), "%s/local-0", in->rundir);

    for (;;) {
        if (access (path, F_OK) == 0) {
            eddy_handle_t *h = eddy_open (uri, &err);
            if (h)
                return h;
        }
        reap (in, false);
        if (in->reaped[0])
            return NULL;
        if (client_monotime () - t0 > timeout)
            return NULL;
        sleep_s (delay);
        if (delay < 0.02)
            delay *= 2;
    }
}

static void config_warn (int level, const char *text, void *arg)
{
    if (level <= LOG_WARNING)
        eddy_cmd_error ("start", "%s", text);
}

/* Check the configuration before any broker starts, so that a mistake is
 * one message, not one per broker; return its absolute path.
 */
static char *config_check (const char *path)
{
    eddy_error_t err;
    json_t *conf = eddy_config_read (path, config_warn, NULL, &err);
    if (!conf)
        eddy_cmd_die ("start", "%s", err.text);
    json_decref (conf);
    char *abs = realpath (path, NULL);
    if (!abs)
        eddy_cmd_die ("start", "%s: %s", path, strerror (errno));
    return abs;
}

/* Wait for rank 0 to be up, run argv (NULL: a shell) with EDDY_URI set
 * to it, shut the instance down; the command's exit code.
 */
static int run_instance (struct inst *in, double timeout, char **argv, const char *bindir)
{
    /* wait until rank 0 says the instance is up */
    char *uri = xasprintf ("local://%s/local-0", in->rundir);
    double t0 = client_monotime ();
    eddy_handle_t *h = connect_rank0 (in, uri, timeout);
    if (!h) {
        eddy_cmd_error ("start", "rank 0 did not start");
        teardown (in, 5.0, true);
        return 1;
    }
    eddy_future_t *f = eddy_rpc_pack (h, "broker.state-wait", 0, 0, "{s:s}", "state", "run");
    double left = timeout - (client_monotime () - t0);
    if (!f || eddy_future_wait_for (f, left > 0.01 ? left : 0.01) < 0 || eddy_rpc_get (f, NULL) < 0) {
        if (f && errno != ETIMEDOUT)
            eddy_cmd_error ("start", "the instance did not come up: %s", eddy_future_error_string (f));
        else
            eddy_cmd_error ("start", "the instance did not come up within %.0f s", timeout);
        eddy_future_destroy (f);
        eddy_close (h);
        for (uint32_t i = 0; i < in->size; i++)
            if (in->pids[i] > 0)
                kill (in->pids[i], SIGTERM);
        teardown (in, 5.0, true);
        return 1;
    }
    eddy_future_destroy (f);

    /* run the command (or a shell) in the instance */
    setenv ("EDDY_URI", uri, 1);
    const char *path = getenv ("PATH");
    char *newpath = xasprintf ("%s%s%s", bindir, path ? ":" : "", path ? path : "");
    setenv ("PATH", newpath, 1);
    char *shell[] = { getenv ("SHELL") ? getenv ("SHELL") : "/bin/sh", NULL };
    char **cmdv = argv ? argv : shell;
    int status = 0, rc;
    /* the job's PMI is the brokers', not the command's */
    unsetenv ("PMI_FD");
    unsetenv ("PMI_RANK");
    unsetenv ("PMI_SIZE");
    unsetenv ("PMI_SPAWNED");
    pid_t child = spawn (cmdv, false, SIGHUP);
    if (child < 0) {
        eddy_cmd_error ("start", "%s: %s", cmdv[0], strerror (errno));
        rc = 1;
    }
    else {
        /* the command owns the terminal's signals while it runs; SIGTERM
         * or SIGHUP to eddy start goes to the command, then the instance
         * shuts down as after any command, and eddy start exits 128+sig */
        struct sigaction sa = { .sa_handler = term_cb }, old_term, old_hup;
        sigemptyset (&sa.sa_mask);
        sigaction (SIGTERM, &sa, &old_term);
        sigaction (SIGHUP, &sa, &old_hup);
        signal (SIGINT, SIG_IGN);
        signal (SIGQUIT, SIG_IGN);
        bool forwarded = false;
        while (waitpid (child, &status, 0) < 0 && errno == EINTR) {
            if (got_term && !forwarded) {
                kill (child, (int)got_term);
                forwarded = true;
            }
        }
        sigaction (SIGTERM, &old_term, NULL);
        sigaction (SIGHUP, &old_hup, NULL);
        signal (SIGINT, SIG_DFL);
        signal (SIGQUIT, SIG_DFL);
        rc = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        if (got_term) {
            eddy_cmd_error ("start", "%s: shutting the instance down", strsignal ((int)got_term));
            rc = 128 + (int)got_term;
        }
    }

    /* orderly shutdown from rank 0, then make sure every broker is gone */
    f = eddy_rpc_pack (h, "broker.shutdown", 0, 0, "{s:i}", "exit_code", 0);
    if (f)
        eddy_future_wait_for (f, 10.0);
    eddy_future_destroy (f);
    eddy_close (h);
    teardown (in, 30.0, true);
    free (uri);
    free (newpath);
    return rc;
}

/* A task of the nested instance that fails before its broker runs ends
 * the job at once, through PMI abort, rather than leaving the others in a
 * barrier until it times out.
 */
static void nested_die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

static void nested_die (const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    eddy_pmi_client_t *pc = eddy_pmi_client_create (5.0, NULL);
    if (pc) {
        char text[600];
        snprintf (text, sizeof (text), "eddy start: %s", msg);
        eddy_pmi_client_abort (pc, 1, text);
        eddy_pmi_client_destroy (pc);
    }
    eddy_cmd_die ("start", "%s", msg);
}

/* The sign configuration a batch script's J is verified with when the
 * parent is not this user's (munge only; munged's socket from the
 * security config's [sign], as the brokers take it), or NULL when the
 * parent's copy of the jobspec will do: --pmi-sign=none, or auto with a
 * PMI server of this user's own (or root's).
 */
static struct eddy_sign_conf *batch_verify (int pmi_sign)
{
    const char *fd = getenv ("PMI_FD");
    if (pmi_sign == EDDY_PMI_SIGN_NONE
        || (pmi_sign == EDDY_PMI_SIGN_AUTO && fd && eddy_pmi_server_is_own (atoi (fd))))
        return NULL;
    struct eddy_sign_conf *sc = xcalloc (1, sizeof (*sc));
    const char *path = getenv ("EDDY_SECURITY_CONFIG_PATH");
    json_t *sec = NULL;
    eddy_error_t err;
    if (path && *path && !(sec = eddy_config_load (path, &err)))
        nested_die ("%s", err.text);
    if (eddy_sign_conf_parse (sc, json_object_get (sec, "sign"), false, &err) < 0)
        nested_die ("%s: %s", path, err.text);
    json_decref (sec);
    sc->allowed = EDDY_SIGN_MUNGE;
    return sc;
}

/* As one task of a job under PMI-1: one broker (it bootstraps by PMI
 * itself); in an eddy job, -S parent-uri and jobid, and on rank 0 the
 * job's R for the resource module.  Rank 0 runs the command (with
 * --batch, the job's batch script, from the parent, or from its signed J
 * where the parent is not trusted: batch_verify ()); the other ranks wait
 * for their broker, which exits when rank 0 shuts the instance down.
 */
static int start_nested (struct inst *in, const char *broker, int fanout, char **extra, int nextra,
                         bool bare, bool batch, int pmi_sign, double timeout, int argc,
                         char **argv, const char *bindir)
{
    const char *parent = getenv ("EDDY_URI");
    const char *jobid = getenv ("EDDY_JOB_ID");
    const char *rankstr = getenv ("PMI_RANK");
    bool rank0 = !strcmp (rankstr, "0");
    char *script = NULL, **scriptv = xcalloc (argc + 2, sizeof (char *));
    json_t *R = NULL;
    eddy_error_t err;
    char *bargv[16 + 512];
    int n = 0, nfree;

    if (batch && !(parent && jobid))
        nested_die ("--batch: not a task of an eddy job (EDDY_URI, EDDY_JOB_ID)");
    struct eddy_sign_conf *verify = rank0 && batch ? batch_verify (pmi_sign) : NULL;
    if (rank0 && parent && jobid
        && eddy_nest_fetch (parent, jobid, &R, batch ? &script : NULL, verify, &err) < 0)
        nested_die ("%s", err.text);
    free (verify);
    if (rank0 && batch && !script)
        nested_die ("--batch: job %s has no batch script", jobid);
    in->size = 1;
    in->pids = xcalloc (1, sizeof (pid_t));
    in->reaped = xcalloc (1, sizeof (bool));
    in->status = xcalloc (1, sizeof (int));
    bargv[n++] = (char *)broker;
    bargv[n++] = xasprintf ("--rundir=%s", in->rundir);
    bargv[n++] = xasprintf ("--fanout=%d", fanout);
    if (parent)
        bargv[n++] = xasprintf ("--setattr=parent-uri=%s", parent);
    if (jobid)
        bargv[n++] = xasprintf ("--setattr=jobid=%s", jobid);
    if (R && !bare) {
        char *text = json_dumps (R, JSON_COMPACT);
        bargv[n++] = xasprintf ("--module=resource={\"R\":%s}", text);
        free (text);
    }
    nfree = n;
    for (int j = 0; j < nextra && n < 16 + 500; j++)
        bargv[n++] = extra[j];
    bargv[n] = NULL;
    /* not a group of its own: the job shell's signals (a cancel) reach it */
    if ((in->pids[0] = spawn (bargv, false, SIGTERM)) < 0)
        nested_die ("cannot start the broker: %s", strerror (errno));
    for (int j = 1; j < nfree; j++)
        free (bargv[j]);
    json_decref (R);
    if (!rank0) {
        /* SIGTERM or SIGHUP (a cancel) goes on to the broker */
        struct sigaction sa = { .sa_handler = term_cb };
        sigemptyset (&sa.sa_mask);
        sigaction (SIGTERM, &sa, NULL);
        sigaction (SIGHUP, &sa, NULL);
        int status = 0;
        bool forwarded = false;
        while (waitpid (in->pids[0], &status, 0) < 0 && errno == EINTR) {
            if (got_term && !forwarded) {
                kill (in->pids[0], (int)got_term);
                forwarded = true;
            }
        }
        in->reaped[0] = true;
        in->status[0] = status;
        teardown (in, 1.0, true);
        free (scriptv);
        return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
    if (script) {
        scriptv[0] = xasprintf ("%s/batch-script", in->rundir);
        int fd = open (scriptv[0], O_WRONLY | O_CREAT | O_EXCL, 0700);
        size_t len = strlen (script);
        if (fd < 0 || write (fd, script, len) != (ssize_t)len || close (fd) < 0)
            nested_die ("%s: %s", scriptv[0], strerror (errno));
    }
    free (script);
    for (int j = 0; scriptv[0] && j < argc; j++) /* the script's arguments */
        scriptv[1 + j] = argv[j];
    int rc = run_instance (in, timeout, scriptv[0] ? scriptv : argc > 0 ? argv : NULL, bindir);
    free (scriptv[0]);
    free (scriptv);
    return rc;
}

static int start_run (int argc, char **argv)
{
    struct inst in = { .size = 1 };
    int fanout = 2;
    const char *tbon = "ipc";
    double timeout = 60.0;
    char **extra = xcalloc (argc * 2 + 1, sizeof (char *));
    int nextra = 0;
    const char *config_path = getenv ("EDDY_CONFIG_PATH");
    bool size_set = false, bare = false, batch = false;
    int pmi_sign = EDDY_PMI_SIGN_AUTO;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_start, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 's': {
            char *end;
            long v = strtol (optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 100000)
                eddy_cmd_die ("start", "--size: '%s' is not a number of brokers (1-100000)", optarg);
            in.size = v;
            size_set = true;
            break;
        }
        case 'f': {
            char *end;
            long v = strtol (optarg, &end, 10);
            if (end == optarg || *end || v < 0 || v > 100000)
                eddy_cmd_die ("start", "--fanout: '%s' is not a fanout (0 = flat)", optarg);
            fanout = v;
            break;
        }
        case 't':
            if (strcmp (optarg, "ipc") && strcmp (optarg, "tcp"))
                eddy_cmd_die ("start", "--tbon: '%s' is not ipc or tcp", optarg);
            tbon = optarg;
            break;
        case 'd':
            in.rundir = xstrdup (optarg);
            in.keep_rundir = true;
            break;
        case 'D': {
            if (mkdir (optarg, 0700) < 0 && errno != EEXIST)
                eddy_cmd_die ("start", "--statedir %s: %s", optarg, strerror (errno));
            char *abs = realpath (optarg, NULL);
            if (!abs)
                eddy_cmd_die ("start", "--statedir %s: %s", optarg, strerror (errno));
            /* a quick look, for one clear message before any broker
             * starts; rank 0 takes the lock itself (cmd/statelock.h) */
            pid_t holder = eddy_statelock_holder (abs);
            if (holder > 0)
                eddy_cmd_die ("start", "--statedir %s: in use by another instance (pid %d)", optarg,
                              (int)holder);
            extra[nextra++] = xasprintf ("--setattr=statedir=%s", abs);
            free (abs);
            break;
        }
        case 'S':
            if (!strchr (optarg, '='))
                eddy_cmd_die ("start", "--setattr expects NAME=VALUE, got '%s'", optarg);
            extra[nextra++] = xasprintf ("--setattr=%s", optarg);
            break;
        case 'm':
            extra[nextra++] = xasprintf ("--module=%s", optarg);
            break;
        case 'T':
            timeout = client_parse_seconds ("start", "timeout", optarg);
            break;
        case 'B':
            extra[nextra++] = xstrdup ("--bare");
            bare = true;
            break;
        case 'b':
            batch = true;
            break;
        case 'G':
            if ((pmi_sign = eddy_pmi_sign_parse (optarg)) < 0)
                eddy_cmd_die ("start", "--pmi-sign: '%s' is not auto, munge or none", optarg);
            extra[nextra++] = xasprintf ("--pmi-sign=%s", optarg);
            break;
        case 'P': {
            /* load it once here, so a bad plugin is named before brokers start */
            eddy_error_t perr;
            eddy_policy_t *pol = eddy_policy_create (optarg, &perr);
            if (!pol)
                eddy_cmd_die ("start", "--policy: %s", perr.text);
            eddy_policy_destroy (pol);
            /* rank 0 gets the plugin's absolute path, whatever its directory */
            char *abs = strchr (optarg, '/') ? realpath (optarg, NULL) : NULL;
            extra[nextra++] = xasprintf ("--setattr=sched.policy=%s", abs ? abs : optarg);
            free (abs);
            break;
        }
        case 'C':
            config_path = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_start, c);
        }
    }

    if (config_path && *config_path) {
        char *abs = config_check (config_path);
        extra[nextra++] = xasprintf ("--config-path=%s", abs);
        free (abs);
    }
    else if (config_path)
        extra[nextra++] = xstrdup ("--config-path="); /* "" = none */

    if (in.rundir) {
        if (mkdir (in.rundir, 0700) < 0 && errno != EEXIST)
            eddy_cmd_die ("start", "%s: %s", in.rundir, strerror (errno));
    }
    else {
        const char *tmp = getenv ("TMPDIR");
        char *tmpl = xasprintf ("%s/eddy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp (tmpl))
            eddy_cmd_die ("start", "cannot make a runtime directory: %s", strerror (errno));
        in.rundir = tmpl;
    }
    char *bindir = self_dir ();
    char *broker = xasprintf ("%s/eddy-broker", bindir);
    char *cert = NULL;
    bool nested = !size_set && getenv ("PMI_FD") && getenv ("PMI_RANK") && getenv ("PMI_SIZE");
    if (batch && !nested)
        eddy_cmd_die ("start", "--batch: not a task of a job (no PMI_FD, PMI_RANK, PMI_SIZE)");
    int rc;
    if (nested) {
        rc = start_nested (&in, broker, fanout, extra, nextra, bare, batch, pmi_sign, timeout,
                           argc - optind, argv + optind, bindir);
        goto done;
    }
    if (!strcmp (tbon, "tcp")) {
        cert = xasprintf ("%s/curve.cert", in.rundir);
        char *kg[] = { xasprintf ("%s/eddy", bindir), "keygen", cert, NULL };
        int st;
        pid_t p = spawn (kg, false, 0);
        if (p < 0 || waitpid (p, &st, 0) < 0 || !WIFEXITED (st) || WEXITSTATUS (st) != 0)
            eddy_cmd_die ("start", "cannot make a CURVE certificate");
        free (kg[0]);
    }

    /* spawn the brokers */
    in.pids = xcalloc (in.size, sizeof (pid_t));
    in.reaped = xcalloc (in.size, sizeof (bool));
    in.status = xcalloc (in.size, sizeof (int));
    for (uint32_t i = 0; i < in.size; i++) {
        char *bargv[16 + 512];
        int n = 0;
        bargv[n++] = broker;
        bargv[n++] = xasprintf ("--rank=%u", i);
        bargv[n++] = xasprintf ("--size=%u", in.size);
        bargv[n++] = xasprintf ("--fanout=%d", fanout);
        bargv[n++] = xasprintf ("--rundir=%s", in.rundir);
        bargv[n++] = xasprintf ("--tbon=%s", tbon);
        if (cert)
            bargv[n++] = xasprintf ("--cert=%s", cert);
        for (int j = 0; j < nextra && n < 16 + 500; j++)
            bargv[n++] = extra[j];
        bargv[n] = NULL;
        if ((in.pids[i] = spawn (bargv, true, SIGTERM)) < 0) {
            eddy_cmd_error ("start", "cannot start rank %u: %s", i, strerror (errno));
            teardown (&in, 5.0, false);
            return 1;
        }
        for (int j = 1; j < 6 + (cert ? 1 : 0); j++)
            free (bargv[j]);
    }

    rc = run_instance (&in, timeout, optind < argc ? &argv[optind] : NULL, bindir);
done:
    free (broker);
    free (bindir);
    free (cert);
    for (int j = 0; j < nextra; j++)
        free (extra[j]);
    free (extra);
    free (in.pids);
    free (in.reaped);
    free (in.status);
    free (in.rundir);
    return rc;
}
