/* guard.c - the job guard (see guard.h): started by the broker as its own
 * executable in guard mode (vfork + exec, below), it becomes a child
 * subreaper, forks the tasks (vfork: each child only execs) and then
 * joins the job's cgroup when it has one, and waits for three things: a task's exit (it reports it), a request on the
 * lifeline (a signal for the job) and the end of the lifeline or of its
 * parent (it kills the whole job).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/guard.h"

extern char **environ;

/* How long the guard sleeps between looks at its parent when nothing
 * else wakes it (the lifeline's end and PDEATHSIG are the usual news).
 */
#define GUARD_POLL_MS 1000

struct guard {
    const struct guard_spec *spec;
    int report;
    int lifeline; /* -1 once it ended */
    pid_t parent;
    pid_t pgid;    /* the job's process group (the first task without a terminal leads it) */
    pid_t ttypgid; /* the session (and group) of the task on a terminal, or 0 */
    int running; /* tasks not yet reaped */
};

/* ---- what a task's child does (moved here from shell.c) ---- */

/* Write "eddy-exec: WHAT: <errno>\n" with async-signal-safe calls only. */
static void child_fail (const char *what, int errnum)
{
    char num[16];
    int i = sizeof (num);
    unsigned v = (unsigned)errnum;
    const char *name = errnum == ENOENT ? "No such file or directory"
                       : errnum == EACCES ? "Permission denied"
                       : errnum == ENOTDIR ? "Not a directory"
                                           : NULL;
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    (void)!write (STDERR_FILENO, "eddy-exec: ", 11);
    (void)!write (STDERR_FILENO, what, strlen (what));
    if (name) {
        (void)!write (STDERR_FILENO, ": ", 2);
        (void)!write (STDERR_FILENO, name, strlen (name));
    }
    (void)!write (STDERR_FILENO, " (errno ", 8);
    (void)!write (STDERR_FILENO, num + i, sizeof (num) - i);
    (void)!write (STDERR_FILENO, ")\n", 2);
}

static void child (const struct guard_spec *sp, const struct guard_task *t, pid_t pgid)
{
    struct sigaction sa;
    sigset_t none;

    /* a task on a terminal leads a session of its own (a process group
     * cannot hold two sessions' members), so the terminal's signals (^C)
     * and job control reach it and what it starts */
    if (t->tty) {
        setsid ();
        ioctl (t->in, TIOCSCTTY, 0);
    }
    else
        setpgid (0, pgid);
    dup2 (t->in >= 0 ? t->in : sp->devnull, STDIN_FILENO);
    dup2 (t->out, STDOUT_FILENO);
    dup2 (t->err, STDERR_FILENO);
    /* nothing of the broker's or the guard's leaks in, but the task's PMI
     * connection (exec/pmi_job.h), on the descriptor PMI_FD names */
    if (t->pmi >= 0 && t->pmi != 3)
        dup2 (t->pmi, 3);
    close_range (t->pmi >= 0 ? 4 : 3, ~0U, 0);
    memset (&sa, 0, sizeof (sa));
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction (sig, &sa, NULL);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    /* a cpu the mask names may have gone offline or be outside the
     * broker's cpuset: the task then runs unbound, and says so */
    if (sp->bind && t->masked && sched_setaffinity (0, sizeof (t->mask), &t->mask) < 0)
        child_fail ("warning: cannot bind to EDDY_TASK_CPUS", errno);
    if (sp->cwd && chdir (sp->cwd) < 0) {
        child_fail (sp->cwd, errno);
        _exit (126);
    }
    if (sp->path)
        execve (sp->path, sp->argv, sp->envp);
    else {
        environ = sp->envp; /* execvp searches the job's PATH */
        execvp (sp->argv[0], sp->argv);
    }
    child_fail (sp->argv[0], errno);
    _exit (errno == ENOENT ? 127 : 126);
}

/* ---- the job's processes ---- */

pid_t guard_stat_ppid (const char *text, size_t len)
{
    const char *close = NULL;
    long v = 0;
    size_t i;

    for (i = 0; i < len; i++)
        if (text[i] == ')')
            close = text + i;
    if (!close)
        return -1;
    i = (size_t)(close - text) + 1;
    /* ") S ppid" */
    if (i + 3 > len || text[i] != ' ' || text[i + 2] != ' ')
        return -1;
    i += 3;
    if (i >= len || text[i] < '0' || text[i] > '9')
        return -1;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
        v = v * 10 + (text[i] - '0');
        if (v > 0x7fffffff)
            return -1;
    }
    if (i < len && text[i] != ' ')
        return -1;
    return (pid_t)v;
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Send sig to every child of this process (a subreaper's children are
 * every orphan of the job too); returns how many there were.
 */
static int signal_children (int sig)
{
    char buf[4096], path[64], stat[512];
    pid_t self = getpid ();
    int n = 0;
    int dir = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    for (;;) {
        long len = syscall (SYS_getdents64, dir, buf, sizeof (buf));
        if (len <= 0)
            break;
        for (long off = 0; off < len;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            long pid = 0;
            const char *c = d->d_name;
            for (; *c >= '0' && *c <= '9'; c++)
                pid = pid * 10 + (*c - '0');
            if (*c || pid <= 0 || pid > 0x7fffffff)
                continue;
            /* "/proc/<pid>/stat" by hand: no snprintf here */
            char num[16];
            int k = sizeof (num);
            num[--k] = '\0';
            for (long v = pid; v && k > 0; v /= 10)
                num[--k] = (char)('0' + v % 10);
            strcpy (path, "/proc/");
            strcat (path, num + k);
            strcat (path, "/stat");
            int fd = open (path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            ssize_t r = read (fd, stat, sizeof (stat));
            close (fd);
            if (r > 0 && guard_stat_ppid (stat, (size_t)r) == self) {
                kill ((pid_t)pid, sig);
                n++;
            }
        }
    }
    close (dir);
    return n;
}

static void report (struct guard *g, int kind, int index, pid_t pid, int status)
{
    struct guard_report rep = { kind, index, pid, status };
    /* the broker may be gone: then nobody listens, and that is fine */
    while (write (g->report, &rep, sizeof (rep)) < 0 && errno == EINTR)
        ;
}

/* A child was reaped: report it if it was a task. */
static void reaped (struct guard *g, pid_t pid, int status)
{
    const struct guard_spec *sp = g->spec;
    for (int i = 0; i < sp->ntasks; i++)
        if (sp->pids[i] == pid) {
            sp->pids[i] = 0;
            g->running--;
            report (g, GUARD_EXITED, i, pid, status);
            return;
        }
}

static void reap_nohang (struct guard *g)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
        reaped (g, pid, status);
}

/* Move this process into the cgroup directory dir ("0" names the writer). */
static int join_cgroup (const char *dir)
{
    char path[4096];
    int fd, e;

    if (strlen (dir) + sizeof ("/cgroup.procs") > sizeof (path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy (path, dir);
    strcat (path, "/cgroup.procs");
    if ((fd = open (path, O_WRONLY | O_CLOEXEC)) < 0)
        return -1;
    ssize_t n = write (fd, "0", 1);
    e = errno;
    close (fd);
    errno = e;
    return n == 1 ? 0 : -1;
}

/* Back to the parent of the job's cgroup dir, then remove dir. */
static void leave_cgroup (const char *dir)
{
    char parent[4096];
    const char *slash = strrchr (dir, '/');
    size_t n = slash ? (size_t)(slash - dir) : 0;

    if (n == 0 || n >= sizeof (parent))
        return;
    memcpy (parent, dir, n);
    parent[n] = '\0';
    if (join_cgroup (parent) == 0)
        rmdir (dir);
}

/* Kill every process of the job, whatever group or session it moved to
 * (each is a descendant, and orphans come to the subreaper), reap them
 * all and exit.
 */
static void __attribute__ ((noreturn)) kill_all (struct guard *g)
{
    int status;
    pid_t pid;

    /* the group id is the job's only while one of its tasks is unreaped */
    if (g->pgid > 0 && g->running > 0)
        kill (-g->pgid, SIGKILL);
    if (g->ttypgid > 0 && g->running > 0)
        kill (-g->ttypgid, SIGKILL);
    for (;;) {
        /* the usual end: every task reaped and nothing left, no scan */
        if ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
            reaped (g, pid, status);
            continue;
        }
        if (pid < 0 && errno == ECHILD)
            break;
        signal_children (SIGKILL);
        if ((pid = waitpid (-1, &status, 0)) > 0)
            reaped (g, pid, status);
        else if (errno == ECHILD)
            break;
    }
    /* nothing of the job is left in its cgroup but the guard.  The broker
     * removes it once it reaped the guard; when the broker is gone or let
     * go (it may be on its way out: unloading), the guard steps out to the
     * broker's cgroup and removes it, so none is left behind (a move
     * costs, so only then) */
    if (g->spec->cgroup && (g->lifeline < 0 || getppid () != g->parent))
        leave_cgroup (g->spec->cgroup);
    _exit (0);
}

static void lifeline_request (struct guard *g)
{
    struct guard_request req;
    ssize_t n = read (g->lifeline, &req, sizeof (req));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n != (ssize_t)sizeof (req)) {
        /* the broker closed it, or died: the job ends here */
        close (g->lifeline);
        g->lifeline = -1;
        return;
    }
    if (req.signum == SIGKILL)
        kill_all (g);
    if (req.signum > 0 && req.signum < NSIG && g->pgid > 0)
        kill (-g->pgid, req.signum);
    if (req.signum > 0 && req.signum < NSIG && g->ttypgid > 0)
        kill (-g->ttypgid, req.signum);
}

static void wake (int sig)
{
    (void)sig;
}

static void __attribute__ ((noreturn)) guard_main (const struct guard_spec *sp, int report_fd,
                                                   int lifeline_fd, pid_t parent)
{
    struct guard g = { .spec = sp, .report = report_fd, .lifeline = lifeline_fd, .parent = parent };
    struct sigaction sa;
    sigset_t block, none;

    /* signals for the job are not for the guard: it ignores them all but
     * SIGCHLD and its parent's death, which only wake it */
    memset (&sa, 0, sizeof (sa));
    sa.sa_handler = SIG_IGN;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGCHLD && sig != SIGUSR2)
            sigaction (sig, &sa, NULL);
    sa.sa_handler = wake;
    sigaction (SIGCHLD, &sa, NULL);
    sigaction (SIGUSR2, &sa, NULL);
    sigemptyset (&block);
    sigaddset (&block, SIGCHLD);
    sigaddset (&block, SIGUSR2);
    sigprocmask (SIG_SETMASK, &block, NULL);
    sigemptyset (&none);

    /* into the job's cgroup before any task exists, so every process
     * of the job is born in it (the broker can then kill what escapes
     * even this subreaper, e.g. when the guard itself is killed) */
    if (sp->cgroup && join_cgroup (sp->cgroup) < 0)
        report (&g, GUARD_NOCGROUP, 0, 0, errno);
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* PDEATHSIG follows the forking thread, so it is only a hint: the
     * parent is looked at after each wakeup */
    prctl (PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
    if (getppid () != g.parent)
        kill_all (&g);

    for (int i = 0; i < sp->ntasks; i++) {
        const struct guard_task *t = &sp->tasks[i];
        sp->envp[sp->rank_slot] = t->rankenv;
        if (sp->pmi_slot >= 0)
            sp->envp[sp->pmi_slot] = t->pmienv;
        if (sp->local_slot >= 0)
            sp->envp[sp->local_slot] = t->localenv;
        if (sp->cpus_slot >= 0)
            sp->envp[sp->cpus_slot] = t->cpusenv;
        if (t->cudaenv && sp->cuda_slot >= 0)
            sp->envp[sp->cuda_slot] = t->cudaenv;
        if (t->rocrenv && sp->rocr_slot >= 0)
            sp->envp[sp->rocr_slot] = t->rocrenv;
        /* vfork: the guard's address space is the broker's, too big to
         * copy once per task; the child only calls exec-safe functions */
        pid_t pid = vfork ();
        if (pid < 0) {
            for (int k = i; k < sp->ntasks; k++)
                report (&g, GUARD_FAILED, k, 0, errno);
            kill_all (&g);
        }
        if (pid == 0)
            child (sp, t, g.pgid);
        /* both sides set the group, so it is right whichever runs first
         * (a task on a terminal made its own session before exec) */
        if (t->tty)
            g.ttypgid = pid;
        else {
            if (g.pgid == 0)
                g.pgid = pid;
            setpgid (pid, g.pgid);
        }
        sp->pids[i] = pid;
        g.running++;
        close (t->out);
        if (t->err != t->out)
            close (t->err);
        if (t->in >= 0 && t->in != t->out && t->in != t->err)
            close (t->in);
        if (t->pmi >= 0)
            close (t->pmi);
        report (&g, GUARD_STARTED, i, pid, 0);
    }

    while (g.running > 0 && g.lifeline >= 0) {
        struct pollfd pfd = { .fd = g.lifeline, .events = POLLIN };
        struct timespec ts = { GUARD_POLL_MS / 1000, (GUARD_POLL_MS % 1000) * 1000000L };
        int n = ppoll (&pfd, 1, &ts, &none);
        if (n > 0)
            lifeline_request (&g);
        reap_nohang (&g);
        if (getppid () != g.parent)
            break;
    }
    /* the last task exited (its background children die with the job),
     * or the broker let go */
    kill_all (&g);
}

static int set_nonblock (int fd)
{
    int fl = fcntl (fd, F_GETFL);
    return fl < 0 ? -1 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- the guard's own program ----
 *
 * The broker does not fork the guard (the copy of its address space would
 * make it fault on every page it writes while any guard lives): it
 * vforks and execs eddy-shell (cmd/eddy-shell.c: this file and libc,
 * about 1 ms to start), or else its own executable, with GUARD_FLAG as
 * argv[1], which this constructor catches before main ():
 *   EXE GUARD_FLAG REPORT LIFELINE DEVNULL PARENT RANK_SLOT PATH CWD CGROUP
 *       STDOUT-FILE STDERR-FILE TRUNCATE BIND NTASKS (OUT ERR RANK PMI CPUS IN GPUS) x NTASKS
 *       -- COMMAND...
 * with the tasks' environment as its own (PATH, CWD, CGROUP and the files
 * "" for none; OUT or ERR "-" for the stream's file, PMI and CPUS "-" for
 * none, IN "-" for DEVNULL or "tFD" for a terminal, GPUS "-" for the
 * environment's, TRUNCATE and BIND 0 or 1).
 */
#define GUARD_FLAG "--eddy-exec-guard"
#define GUARD_NTASKS_ARG 14 /* argv[14] is NTASKS, the tasks follow */
#define GUARD_TASK_ARGS 7

/* "0-3,8" (at most CPU_SETSIZE cpus) into mask; -1 if malformed. */
static int arg_cpus (const char *s, cpu_set_t *mask)
{
    CPU_ZERO (mask);
    if (!*s)
        return -1;
    while (*s) {
        char *end;
        errno = 0;
        long lo = strtol (s, &end, 10), hi = lo;
        if (errno || end == s || lo < 0 || lo >= CPU_SETSIZE)
            return -1;
        s = end;
        if (*s == '-') {
            hi = strtol (s + 1, &end, 10);
            if (errno || end == s + 1 || hi < lo || hi >= CPU_SETSIZE)
                return -1;
            s = end;
        }
        for (long c = lo; c <= hi; c++)
            CPU_SET ((int)c, mask);
        if (*s == ',' && s[1])
            s++;
        else if (*s)
            return -1;
    }
    return 0;
}

/* A task's OUT or ERR: a descriptor, or "-" (-1) for the stream's file. */
static int arg_fd (const char *s, int *v);
static int open_files (struct guard_spec *sp, int report);

static int arg_int (const char *s, int *v)
{
    char *end;
    errno = 0;
    long n = strtol (s, &end, 10);
    if (errno || end == s || *end || n < 0 || n > 0x7fffffff)
        return -1;
    *v = (int)n;
    return 0;
}

bool guard_args (int argc, char **argv)
{
    return argc >= 2 && argv && !strcmp (argv[1], GUARD_FLAG);
}

void guard_run (int argc, char **argv, char **envp)
{
    int report, lifeline, devnull, parent, slot, ntasks, rank;
    struct guard_spec sp;

    if (!guard_args (argc, argv))
        _exit (125);
    const int t0 = GUARD_NTASKS_ARG + 1;
    int truncate, bind;
    const int na = GUARD_TASK_ARGS;
    if (argc < t0 + 1 || arg_int (argv[2], &report) < 0 || arg_int (argv[3], &lifeline) < 0
        || arg_int (argv[4], &devnull) < 0 || arg_int (argv[5], &parent) < 0
        || arg_int (argv[6], &slot) < 0 || arg_int (argv[12], &truncate) < 0 || truncate > 1
        || arg_int (argv[13], &bind) < 0 || bind > 1
        || arg_int (argv[GUARD_NTASKS_ARG], &ntasks) < 0 || ntasks < 1 || ntasks > 65536
        || argc < t0 + na * ntasks + 2 || strcmp (argv[t0 + na * ntasks], "--") != 0)
        _exit (125);
    int nenv = 0;
    while (envp[nenv])
        nenv++;
    /* started by eddy-imp: the environment is the signed jobspec's (where
     * the rank's variable sits is eddy-imp's choice), the working
     * directory is entered, and the command is found on the job's PATH */
    bool imp = false;
    for (int i = 0; i < nenv; i++)
        if (!strcmp (envp[i], "EDDY_IMP_EXEC=1"))
            imp = true;
    for (int i = 0; imp && i < nenv; i++)
        if (!strncmp (envp[i], "EDDY_TASK_RANK=", 15))
            slot = i;
    if (slot >= nenv || (imp && strncmp (envp[slot], "EDDY_TASK_RANK=", 15) != 0))
        _exit (125);
    memset (&sp, 0, sizeof (sp));
    sp.argv = argv + t0 + na * ntasks + 1;
    sp.envp = envp;
    sp.rank_slot = slot;
    sp.pmi_slot = sp.local_slot = sp.cpus_slot = sp.cuda_slot = sp.rocr_slot = -1;
    sp.bind = bind;
    for (int i = 0; i < nenv; i++) {
        if (!strncmp (envp[i], "PMI_RANK=", 9))
            sp.pmi_slot = i;
        else if (!strncmp (envp[i], "EDDY_TASK_LOCAL_ID=", 19))
            sp.local_slot = i;
        else if (!strncmp (envp[i], "EDDY_TASK_CPUS=", 15))
            sp.cpus_slot = i;
        else if (!strncmp (envp[i], "CUDA_VISIBLE_DEVICES=", 21))
            sp.cuda_slot = i;
        else if (!strncmp (envp[i], "ROCR_VISIBLE_DEVICES=", 21))
            sp.rocr_slot = i;
    }
    sp.path = argv[7][0] && !imp ? argv[7] : NULL;
    sp.cwd = argv[8][0] && !imp ? argv[8] : NULL;
    sp.cgroup = argv[9][0] ? argv[9] : NULL;
    sp.devnull = devnull;
    sp.ntasks = ntasks;
    if (!(sp.tasks = calloc ((size_t)ntasks, sizeof (sp.tasks[0])))
        || !(sp.pids = calloc ((size_t)ntasks, sizeof (sp.pids[0]))))
        _exit (125);
    sp.files[0] = argv[10][0] ? argv[10] : NULL;
    sp.files[1] = argv[11][0] ? argv[11] : NULL;
    sp.truncate = truncate;
    for (int i = 0; i < ntasks; i++) {
        char **a = argv + t0 + na * i;
        struct guard_task *t = &sp.tasks[i];
        if (arg_fd (a[0], &t->out) < 0 || arg_fd (a[1], &t->err) < 0
            || (t->out < 0 && !sp.files[0]) || (t->err < 0 && !sp.files[1])
            || arg_int (a[2], &rank) < 0 || asprintf (&t->rankenv, "EDDY_TASK_RANK=%d", rank) < 0
            || arg_fd (a[3], &t->pmi) < 0
            || (sp.pmi_slot >= 0 && asprintf (&t->pmienv, "PMI_RANK=%d", rank) < 0)
            || (sp.local_slot >= 0 && asprintf (&t->localenv, "EDDY_TASK_LOCAL_ID=%d", i) < 0))
            _exit (125);
        /* a task without cpus has no EDDY_TASK_CPUS: an empty one stands
         * in; cpus this process cannot hold in a mask (CPU_SETSIZE) are
         * shown, not applied */
        bool cpus = strcmp (a[4], "-") != 0;
        /* the list goes into the task's environment as given: only the
         * form the shell writes (eddy-imp's caller must not put anything
         * else into another user's job) */
        if (cpus && a[4][strspn (a[4], "0123456789,-")] != '\0')
            _exit (125);
        t->masked = cpus && arg_cpus (a[4], &t->mask) == 0;
        if (sp.cpus_slot >= 0
            && asprintf (&t->cpusenv, "EDDY_TASK_CPUS=%s", cpus ? a[4] : "") < 0)
            _exit (125);
        /* a task's own gpus replace the rank's (gpu-affinity per-task);
         * ids and commas only, as the shell writes them */
        if (strcmp (a[6], "-") != 0) {
            if (!a[6][0] || a[6][strspn (a[6], "0123456789,")] != '\0'
                || asprintf (&t->cudaenv, "CUDA_VISIBLE_DEVICES=%s", a[6]) < 0
                || asprintf (&t->rocrenv, "ROCR_VISIBLE_DEVICES=%s", a[6]) < 0)
                _exit (125);
        }
        /* a terminal is the task's stdout and stderr too */
        t->tty = a[5][0] == 't';
        if (arg_fd (a[5] + (t->tty ? 1 : 0), &t->in) < 0
            || (t->tty && (t->in < 0 || t->out != t->in || t->err != t->in)))
            _exit (125);
    }
    if (open_files (&sp, report) < 0)
        _exit (126);
    guard_main (&sp, report, lifeline, (pid_t)parent);
}

#ifndef EDDY_GUARD_NO_CONSTRUCTOR
/* Every program that links this file is a guard when run as one (not
 * eddy-imp: a setuid program must not become anything before its checks;
 * it calls guard_run itself once it is the user).
 */
__attribute__ ((constructor)) static void guard_entry (int argc, char **argv, char **envp)
{
    if (guard_args (argc, argv))
        guard_run (argc, argv, envp);
}
#endif

static int arg_fd (const char *s, int *v)
{
    if (!strcmp (s, "-")) {
        *v = -1;
        return 0;
    }
    return arg_int (s, v);
}

/* The output files, opened as the user the guard runs as; each task whose
 * stream is the file gets its own copy (the guard closes a task's copies
 * once it forked it).  On failure every task is reported failed, after
 * the file and errno (GUARD_NOFILE), and -1.
 */
static int open_files (struct guard_spec *sp, int report)
{
    int fd[2] = { -1, -1 }, flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
    int failed = -1, e = 0;

    if (sp->truncate)
        flags |= O_TRUNC;
    for (int k = 0; k < 2 && failed < 0; k++) {
        if (!sp->files[k])
            continue;
        if (k == 1 && sp->files[0] && !strcmp (sp->files[0], sp->files[1]))
            fd[1] = fcntl (fd[0], F_DUPFD_CLOEXEC, 3);
        else
            fd[k] = open (sp->files[k], flags, 0666);
        if (fd[k] < 0)
            failed = k, e = errno;
    }
    for (int i = 0; i < sp->ntasks && failed < 0; i++) {
        int *ends[2] = { &sp->tasks[i].out, &sp->tasks[i].err };
        for (int k = 0; k < 2 && failed < 0; k++)
            if (*ends[k] < 0 && (*ends[k] = fcntl (fd[k], F_DUPFD_CLOEXEC, 3)) < 0)
                failed = k, e = errno;
    }
    for (int k = 0; k < 2; k++)
        if (fd[k] >= 0)
            close (fd[k]);
    if (failed < 0)
        return 0;
    struct guard_report r = { GUARD_NOFILE, failed, 0, e };
    (void)!write (report, &r, sizeof (r));
    for (int i = 0; i < sp->ntasks; i++) {
        r = (struct guard_report){ GUARD_FAILED, i, 0, e };
        (void)!write (report, &r, sizeof (r));
    }
    return -1;
}

/* How the vfork child reaches the guard: its program, and for a job of
 * another user eddy-imp's, the request on its stdin and the cgroup it
 * joins first.
 */
struct guard_launch {
    const char *exe;    /* what to exec, or NULL: this program */
    const char *procs;  /* the job cgroup's cgroup.procs to join, or NULL */
    int request;        /* becomes stdin, or -1 */
    int errfd;          /* becomes stderr (eddy-imp's reasons go to the job), or -1 */
};

/* What the vfork child does: keep only the guard's descriptors (without
 * close-on-exec), then exec.  Async-signal-safe calls only.
 */
static void __attribute__ ((noreturn)) guard_exec (const struct guard_launch *l, char **gargv,
                                                   char **envp, const char *keep, int maxfd)
{
    if (l->request >= 0 && dup2 (l->request, STDIN_FILENO) < 0)
        _exit (125);
    if (l->errfd >= 0)
        dup2 (l->errfd, STDERR_FILENO);
    for (int fd = 3; fd <= maxfd; fd++) {
        if (!keep[fd])
            close (fd);
        else
            fcntl (fd, F_SETFD, 0);
    }
    close_range ((unsigned)maxfd + 1, ~0U, 0);
    /* the cgroup is the broker's: the user the guard becomes could not
     * join it; without it the job runs uncontained, as where there are
     * no cgroups */
    if (l->procs) {
        int fd = open (l->procs, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)!write (fd, "0", 1);
            close (fd);
        }
    }
    if (l->exe)
        execve (l->exe, gargv, envp);
    if (!l->procs && l->request < 0)
        execve ("/proc/self/exe", gargv, envp);
    _exit (125);
}

/* vfork in a frame of its own, so no variable of the caller's can be
 * clobbered by the child's run on the shared stack.
 */
static pid_t __attribute__ ((noinline)) vfork_exec (const struct guard_launch *l, char **gargv,
                                                    char **envp, const char *keep, int maxfd)
{
    pid_t pid = vfork ();
    if (pid == 0)
        guard_exec (l, gargv, envp, keep, maxfd);
    return pid;
}

/* The request for eddy-imp in a memory file, read from its start: it may
 * be larger than a pipe holds, and nothing waits on a reader.
 */
static int request_fd (const char *J)
{
    size_t len = strlen (J), off = 0;
    int fd = memfd_create ("eddy-job-J", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t n = write (fd, J + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close (fd);
            errno = e;
            return -1;
        }
        off += (size_t)n;
    }
    if (lseek (fd, 0, SEEK_SET) < 0) {
        int e = errno;
        close (fd);
        errno = e;
        return -1;
    }
    return fd;
}

static char *num (int v)
{
    char *s;
    return asprintf (&s, "%d", v) < 0 ? NULL : s;
}

pid_t guard_start (const struct guard_spec *sp, int *report, int *lifeline)
{
    int rep[2] = { -1, -1 }, life[2] = { -1, -1 };
    char *keep = NULL, *procs = NULL;
    char **gargv = NULL;
    int nargs = 0, maxfd = 0, cmdc = 0, pre = 0;
    pid_t pid = -1;
    struct guard_launch l = { .exe = sp->exe, .request = -1, .errfd = -1 };

    if (sp->imp) {
        if (!sp->exe || !sp->J) {
            errno = EINVAL;
            return -1;
        }
        if ((l.request = request_fd (sp->J)) < 0)
            return -1;
        if (sp->cgroup && asprintf (&procs, "%s/cgroup.procs", sp->cgroup) < 0) {
            procs = NULL;
            goto error;
        }
        l.exe = sp->imp;
        l.procs = procs;
        l.errfd = sp->tasks[0].err;
        pre = 2; /* eddy-imp exec EXE */
    }
    if (pipe2 (rep, O_CLOEXEC) < 0 || pipe2 (life, O_CLOEXEC) < 0)
        goto error;
    if (set_nonblock (rep[0]) < 0 || set_nonblock (life[1]) < 0)
        goto error;
    /* the descriptors the guard keeps; all others close in it */
    int fixed[] = { rep[1], life[0], sp->devnull };
    for (size_t i = 0; i < 3; i++)
        if (fixed[i] > maxfd)
            maxfd = fixed[i];
    for (int i = 0; i < sp->ntasks; i++) {
        if (sp->tasks[i].out > maxfd)
            maxfd = sp->tasks[i].out;
        if (sp->tasks[i].err > maxfd)
            maxfd = sp->tasks[i].err;
        if (sp->tasks[i].pmi > maxfd)
            maxfd = sp->tasks[i].pmi;
        if (sp->tasks[i].in > maxfd)
            maxfd = sp->tasks[i].in;
    }
    if (!(keep = calloc ((size_t)maxfd + 1, 1)))
        goto error;
    for (size_t i = 0; i < 3; i++)
        keep[fixed[i]] = 1;
    for (int i = 0; i < sp->ntasks; i++) {
        if (sp->tasks[i].out >= 0)
            keep[sp->tasks[i].out] = 1;
        if (sp->tasks[i].err >= 0)
            keep[sp->tasks[i].err] = 1;
        if (sp->tasks[i].pmi >= 0)
            keep[sp->tasks[i].pmi] = 1;
        if (sp->tasks[i].in >= 0)
            keep[sp->tasks[i].in] = 1;
    }
    while (sp->argv[cmdc])
        cmdc++;
    size_t total = (size_t)pre + GUARD_NTASKS_ARG + 1 + GUARD_TASK_ARGS * (size_t)sp->ntasks + 1
                   + (size_t)cmdc + 1;
    if (!(gargv = calloc (total, sizeof (char *))))
        goto error;
    if (sp->imp) {
        gargv[nargs++] = strdup ("eddy-imp");
        gargv[nargs++] = strdup ("exec");
        gargv[nargs++] = strdup (sp->exe); /* checked against allowed-shells */
    }
    else
        gargv[nargs++] = strdup ("eddy-shell");
    gargv[nargs++] = strdup (GUARD_FLAG);
    gargv[nargs++] = num (rep[1]);
    gargv[nargs++] = num (life[0]);
    gargv[nargs++] = num (sp->devnull);
    gargv[nargs++] = num ((int)getpid ());
    gargv[nargs++] = num (sp->rank_slot);
    gargv[nargs++] = strdup (sp->path ? sp->path : "");
    gargv[nargs++] = strdup (sp->cwd ? sp->cwd : "");
    /* through eddy-imp the guard is in its cgroup already (joined above) */
    gargv[nargs++] = strdup (sp->cgroup && !sp->imp ? sp->cgroup : "");
    gargv[nargs++] = strdup (sp->files[0] ? sp->files[0] : "");
    gargv[nargs++] = strdup (sp->files[1] ? sp->files[1] : "");
    gargv[nargs++] = num (sp->truncate ? 1 : 0);
    gargv[nargs++] = num (sp->bind ? 1 : 0);
    gargv[nargs++] = num (sp->ntasks);
    for (int i = 0; i < sp->ntasks; i++) {
        const char *eq = strchr (sp->tasks[i].rankenv, '=');
        gargv[nargs++] = sp->tasks[i].out >= 0 ? num (sp->tasks[i].out) : strdup ("-");
        gargv[nargs++] = sp->tasks[i].err >= 0 ? num (sp->tasks[i].err) : strdup ("-");
        gargv[nargs++] = strdup (eq ? eq + 1 : "0");
        gargv[nargs++] = sp->tasks[i].pmi >= 0 ? num (sp->tasks[i].pmi) : strdup ("-");
        gargv[nargs++] = strdup (sp->tasks[i].cpus ? sp->tasks[i].cpus : "-");
        if (sp->tasks[i].in < 0)
            gargv[nargs++] = strdup ("-");
        else if (asprintf (&gargv[nargs++], "%s%d", sp->tasks[i].tty ? "t" : "",
                           sp->tasks[i].in)
                 < 0)
            gargv[nargs - 1] = NULL;
        gargv[nargs++] = strdup (sp->tasks[i].gpus ? sp->tasks[i].gpus : "-");
    }
    gargv[nargs++] = strdup ("--");
    for (int i = 0; i < cmdc; i++)
        gargv[nargs++] = strdup (sp->argv[i]);
    for (int i = 0; i < nargs; i++)
        if (!gargv[i]) {
            errno = ENOMEM;
            goto error;
        }
    if ((pid = vfork_exec (&l, gargv, sp->envp, keep, maxfd)) < 0)
        goto error;
    int e = errno;
    for (int i = 0; i < nargs; i++)
        free (gargv[i]);
    free (gargv);
    free (keep);
    free (procs);
    if (l.request >= 0)
        close (l.request);
    close (rep[1]);
    close (life[0]);
    errno = e;
    *report = rep[0];
    *lifeline = life[1];
    return pid;
error: {
    int e = errno;
    if (gargv) {
        for (int i = 0; i < nargs; i++)
            free (gargv[i]);
        free (gargv);
    }
    free (keep);
    free (procs);
    if (l.request >= 0)
        close (l.request);
    for (int k = 0; k < 2; k++) {
        if (rep[k] >= 0)
            close (rep[k]);
        if (life[k] >= 0)
            close (life[k]);
    }
    errno = e;
    return -1;
}
}
