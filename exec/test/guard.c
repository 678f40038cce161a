/* The job guard: it reads the ppid out of /proc/PID/stat whatever the
 * command name holds; it forks the tasks, reports their pids and wait
 * statuses and passes their output through; a signal on the lifeline
 * reaches the job's group; and when the lifeline ends, every process of
 * the job dies, even one in a session of its own.  Given a cgroup, the
 * guard and its tasks run in it, and a guard let go removes it.  Output
 * files given by path are opened by the guard itself (as the user it
 * runs as), truncated if asked; one it cannot open fails every task.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/guard.h"

static void stat_ppid_parses_the_fourth_field (void **state)
{
    const char *plain = "123 (sleep) S 45 123 123 0 -1";
    const char *odd = "7 (a) b (c) S 9) R 6789 7 7";
    assert_int_equal (guard_stat_ppid (plain, strlen (plain)), 45);
    /* the last ')' ends the name */
    assert_int_equal (guard_stat_ppid (odd, strlen (odd)), 6789);
    assert_int_equal (guard_stat_ppid ("1 (x) S 0", 9), 0);
}

static void stat_ppid_refuses_malformed_text (void **state)
{
    const char *bad[] = { "", "123 sleep S 45", "1 (x)", "1 (x) S", "1 (x) S x", "1 (x)S 4",
                          "1 (x) S 99999999999 1", "1 (x) S 4x" };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
        assert_int_equal (guard_stat_ppid (bad[i], strlen (bad[i])), -1);
    /* a length shorter than the text is honoured */
    assert_int_equal (guard_stat_ppid ("1 (x) S 42", 8), -1);
}

struct run {
    char *argv[4];
    char *envp[5];
    struct guard_task tasks[2];
    pid_t pids[2];
    int out[2][2]; /* per task: read end, write end */
    struct guard_spec spec;
    pid_t guard;
    int report, lifeline;
};

/* Start the guard on ntasks tasks of sh -c script, in cgroup (or NULL). */
static void run_start_in (struct run *r, int ntasks, const char *script, const char *cgroup)
{
    memset (r, 0, sizeof (*r));
    r->argv[0] = "/bin/sh";
    r->argv[1] = "-c";
    r->argv[2] = (char *)script;
    r->envp[0] = "PATH=/usr/bin:/bin";
    r->envp[1] = "EDDY_TASK_RANK=x";
    for (int i = 0; i < ntasks; i++) {
        assert_int_equal (pipe2 (r->out[i], O_CLOEXEC), 0);
        r->tasks[i].out = r->out[i][1];
        r->tasks[i].err = r->out[i][1];
        r->tasks[i].pmi = r->tasks[i].in = -1;
        assert_true (asprintf (&r->tasks[i].rankenv, "EDDY_TASK_RANK=%d", i) > 0);
    }
    r->spec = (struct guard_spec){ .argv = r->argv, .envp = r->envp, .rank_slot = 1,
                                   .path = "/bin/sh", .devnull = open ("/dev/null", O_RDONLY),
                                   .ntasks = ntasks, .tasks = r->tasks, .pids = r->pids,
                                   .cgroup = cgroup };
    r->guard = guard_start (&r->spec, &r->report, &r->lifeline);
    assert_true (r->guard > 0);
    close (r->spec.devnull);
    for (int i = 0; i < ntasks; i++) {
        close (r->out[i][1]);
        free (r->tasks[i].rankenv);
    }
}

static void run_start (struct run *r, int ntasks, const char *script)
{
    run_start_in (r, ntasks, script, NULL);
}

/* The next report, waiting up to 10 s; false at EOF. */
static bool next_report (struct run *r, struct guard_report *rep)
{
    struct pollfd pfd = { .fd = r->report, .events = POLLIN };
    assert_int_equal (poll (&pfd, 1, 10000), 1);
    ssize_t n = read (r->report, rep, sizeof (*rep));
    if (n == 0)
        return false;
    assert_int_equal (n, sizeof (*rep));
    return true;
}

/* Everything task i wrote, until EOF. */
static void read_all (struct run *r, int i, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read (r->out[i][0], buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
}

static void run_end (struct run *r, int ntasks)
{
    int status;
    close (r->report);
    if (r->lifeline >= 0)
        close (r->lifeline);
    for (int i = 0; i < ntasks; i++)
        close (r->out[i][0]);
    assert_int_equal (waitpid (r->guard, &status, 0), r->guard);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* Each task gets its local id and cpus, and with bind is bound to them:
 * task 0 to the first cpu this process may use, task 1 to the last.
 */
static void tasks_get_local_ids_and_are_bound_to_their_cpus (void **state)
{
    struct run r;
    struct guard_report rep;
    cpu_set_t mine;
    int first = -1, last = -1;
    char cpus[2][16], buf[256], want[64];

    assert_int_equal (sched_getaffinity (0, sizeof (mine), &mine), 0);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET (c, &mine)) {
            if (first < 0)
                first = c;
            last = c;
        }
    snprintf (cpus[0], sizeof (cpus[0]), "%d", first);
    snprintf (cpus[1], sizeof (cpus[1]), "%d", last);
    memset (&r, 0, sizeof (r));
    r.argv[0] = "/bin/sh";
    r.argv[1] = "-c";
    r.argv[2] = "echo \"$EDDY_TASK_LOCAL_ID $EDDY_TASK_CPUS $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)\"";
    r.envp[0] = "PATH=/usr/bin:/bin";
    r.envp[1] = "EDDY_TASK_RANK=x";
    r.envp[2] = "EDDY_TASK_LOCAL_ID=x";
    r.envp[3] = "EDDY_TASK_CPUS=x";
    for (int i = 0; i < 2; i++) {
        assert_int_equal (pipe2 (r.out[i], O_CLOEXEC), 0);
        r.tasks[i].out = r.tasks[i].err = r.out[i][1];
        r.tasks[i].pmi = r.tasks[i].in = -1;
        r.tasks[i].cpus = cpus[i];
        assert_true (asprintf (&r.tasks[i].rankenv, "EDDY_TASK_RANK=%d", i + 4) > 0);
    }
    r.spec = (struct guard_spec){ .argv = r.argv, .envp = r.envp, .rank_slot = 1,
                                  .path = "/bin/sh", .devnull = open ("/dev/null", O_RDONLY),
                                  .ntasks = 2, .tasks = r.tasks, .pids = r.pids, .bind = true };
    r.guard = guard_start (&r.spec, &r.report, &r.lifeline);
    assert_true (r.guard > 0);
    close (r.spec.devnull);
    for (int i = 0; i < 2; i++) {
        close (r.out[i][1]);
        free (r.tasks[i].rankenv);
    }
    while (next_report (&r, &rep))
        ;
    for (int i = 0; i < 2; i++) {
        read_all (&r, i, buf, sizeof (buf));
        snprintf (want, sizeof (want), "%d %s %s\n", i, cpus[i], cpus[i]);
        assert_string_equal (buf, want);
    }
    run_end (&r, 2);
}

/* A task's cpu list goes into its environment as given, so one not of the
 * shell's form (digits, commas, dashes) is refused before anything runs:
 * eddy-imp's caller writes these arguments for another user's job.
 */
static void a_cpu_list_not_of_the_shells_form_runs_nothing (void **state)
{
    struct run r;
    struct guard_report rep;
    char buf[256];
    int status;

    memset (&r, 0, sizeof (r));
    r.argv[0] = "/bin/sh";
    r.argv[1] = "-c";
    r.argv[2] = "echo ran";
    r.envp[0] = "PATH=/usr/bin:/bin";
    r.envp[1] = "EDDY_TASK_RANK=x";
    r.envp[2] = "EDDY_TASK_CPUS=x";
    assert_int_equal (pipe2 (r.out[0], O_CLOEXEC), 0);
    r.tasks[0].out = r.tasks[0].err = r.out[0][1];
    r.tasks[0].pmi = r.tasks[0].in = -1;
    r.tasks[0].cpus = "0;echo injected";
    assert_true (asprintf (&r.tasks[0].rankenv, "EDDY_TASK_RANK=%d", 0) > 0);
    r.spec = (struct guard_spec){ .argv = r.argv, .envp = r.envp, .rank_slot = 1,
                                  .path = "/bin/sh", .devnull = open ("/dev/null", O_RDONLY),
                                  .ntasks = 1, .tasks = r.tasks, .pids = r.pids };
    r.guard = guard_start (&r.spec, &r.report, &r.lifeline);
    assert_true (r.guard > 0);
    close (r.spec.devnull);
    close (r.out[0][1]);
    free (r.tasks[0].rankenv);
    bool started = false;
    while (next_report (&r, &rep))
        started = started || rep.kind == GUARD_STARTED;
    assert_false (started);
    read_all (&r, 0, buf, sizeof (buf));
    assert_string_equal (buf, "");
    close (r.report);
    close (r.lifeline);
    close (r.out[0][0]);
    assert_int_equal (waitpid (r.guard, &status, 0), r.guard);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 125);
}

static void tasks_are_reported_with_their_statuses (void **state)
{
    struct run r;
    struct guard_report rep;
    int started = 0, exited = 0;
    char buf[256];

    run_start (&r, 2, "echo rank=$EDDY_TASK_RANK; exit $((3 + EDDY_TASK_RANK))");
    while (next_report (&r, &rep)) {
        assert_true (rep.index >= 0 && rep.index < 2);
        if (rep.kind == GUARD_STARTED) {
            assert_true (rep.pid > 0);
            started++;
        } else {
            assert_int_equal (rep.kind, GUARD_EXITED);
            assert_true (WIFEXITED (rep.status));
            assert_int_equal (WEXITSTATUS (rep.status), 3 + rep.index);
            exited++;
        }
    }
    assert_int_equal (started, 2);
    assert_int_equal (exited, 2);
    read_all (&r, 0, buf, sizeof (buf));
    assert_string_equal (buf, "rank=0\n");
    read_all (&r, 1, buf, sizeof (buf));
    assert_string_equal (buf, "rank=1\n");
    run_end (&r, 2);
}

/* Start the guard on ntasks tasks of sh -c script whose stdout and
 * stderr are the file path, opened by the guard. */
static pid_t start_with_file (struct run *r, int ntasks, const char *script, const char *path,
                              bool truncate)
{
    memset (r, 0, sizeof (*r));
    r->argv[0] = "/bin/sh";
    r->argv[1] = "-c";
    r->argv[2] = (char *)script;
    r->envp[0] = "PATH=/usr/bin:/bin";
    r->envp[1] = "EDDY_TASK_RANK=x";
    for (int i = 0; i < ntasks; i++) {
        r->tasks[i].out = r->tasks[i].err = r->tasks[i].pmi = r->tasks[i].in = -1;
        assert_true (asprintf (&r->tasks[i].rankenv, "EDDY_TASK_RANK=%d", i) > 0);
    }
    r->spec = (struct guard_spec){ .argv = r->argv, .envp = r->envp, .rank_slot = 1,
                                   .path = "/bin/sh", .devnull = open ("/dev/null", O_RDONLY),
                                   .ntasks = ntasks, .tasks = r->tasks, .pids = r->pids,
                                   .files = { path, path }, .truncate = truncate };
    r->guard = guard_start (&r->spec, &r->report, &r->lifeline);
    assert_true (r->guard > 0);
    close (r->spec.devnull);
    for (int i = 0; i < ntasks; i++)
        free (r->tasks[i].rankenv);
    return r->guard;
}

static void the_guard_opens_output_files_itself (void **state)
{
    char path[] = "/tmp/eddy-guard-out.XXXXXX", buf[256] = "";
    struct run r;
    struct guard_report rep;
    int fd = mkstemp (path), status, exited = 0;

    assert_true (fd >= 0);
    assert_int_equal (write (fd, "old\n", 4), 4);
    close (fd);
    start_with_file (&r, 2, "echo out$EDDY_TASK_RANK; echo err$EDDY_TASK_RANK >&2", path, true);
    while (next_report (&r, &rep))
        if (rep.kind == GUARD_EXITED) {
            assert_int_equal (rep.status, 0);
            exited++;
        }
    assert_int_equal (exited, 2);
    close (r.report);
    close (r.lifeline);
    assert_int_equal (waitpid (r.guard, &status, 0), r.guard);
    fd = open (path, O_RDONLY);
    assert_true (fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0);
    close (fd);
    unlink (path);
    /* truncated, then both streams of both tasks, in one file */
    assert_null (strstr (buf, "old"));
    for (const char *w = "out0\0out1\0err0\0err1\0"; *w; w += strlen (w) + 1)
        assert_non_null (strstr (buf, w));
}

static void an_output_file_the_guard_cannot_open_fails_every_task (void **state)
{
    struct run r;
    struct guard_report rep;
    int status, failed = 0, nofile = 0;

    start_with_file (&r, 2, "echo ran", "/nonexistent-dir/out", false);
    while (next_report (&r, &rep)) {
        if (rep.kind == GUARD_NOFILE) {
            assert_int_equal (rep.index, 0);
            assert_int_equal (rep.status, ENOENT);
            nofile++;
        } else {
            assert_int_equal (rep.kind, GUARD_FAILED);
            assert_int_equal (rep.status, ENOENT);
            failed++;
        }
    }
    assert_int_equal (nofile, 1);
    assert_int_equal (failed, 2);
    close (r.report);
    close (r.lifeline);
    assert_int_equal (waitpid (r.guard, &status, 0), r.guard);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 126);
}

static void a_signal_on_the_lifeline_reaches_the_task (void **state)
{
    struct run r;
    struct guard_report rep;
    struct guard_request req = { SIGUSR1 };

    run_start (&r, 1, "exec sleep 300");
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_STARTED);
    assert_int_equal (write (r.lifeline, &req, sizeof (req)), sizeof (req));
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_EXITED);
    assert_true (WIFSIGNALED (rep.status));
    assert_int_equal (WTERMSIG (rep.status), SIGUSR1);
    assert_false (next_report (&r, &rep));
    run_end (&r, 1);
}

static bool alive (pid_t pid)
{
    char path[64], text[512];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return false;
    size_t n = fread (text, 1, sizeof (text) - 1, f);
    fclose (f);
    text[n] = '\0';
    char *p = strrchr (text, ')');
    return p && p[1] == ' ' && p[2] != 'Z';
}

static void the_end_of_the_lifeline_kills_every_process_of_the_job (void **state)
{
    struct run r;
    struct guard_report rep;
    char buf[64] = "";
    size_t len = 0;

    /* a task that ignores TERM and HUP, with a child in its own session */
    /* (the child says its pid once it is in its session) */
    run_start (&r, 1, "trap '' TERM HUP; setsid sh -c 'echo $$; exec sleep 300' & sleep 300");
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_STARTED);
    pid_t task = rep.pid;
    while (!strchr (buf, '\n')) {
        ssize_t n = read (r.out[0][0], buf + len, sizeof (buf) - 1 - len);
        assert_true (n > 0);
        len += (size_t)n;
        buf[len] = '\0';
    }
    pid_t escaped = atoi (buf);
    assert_true (escaped > 0 && alive (escaped) && alive (task));
    close (r.lifeline);
    r.lifeline = -1;
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_EXITED);
    assert_true (WIFSIGNALED (rep.status) && WTERMSIG (rep.status) == SIGKILL);
    assert_false (next_report (&r, &rep));
    run_end (&r, 1);
    assert_false (alive (task));
    assert_false (alive (escaped));
}

/* A cgroup v2 directory made for the test under this process's own
 * cgroup, or NULL where none can be made.
 */
static char *make_cgroup (const char *name)
{
    char line[4096], root[4096], point[4096], *path = NULL, *dir = NULL;
    FILE *f = fopen ("/proc/self/cgroup", "r");
    while (f && fgets (line, sizeof (line), f))
        if (!strncmp (line, "0::/", 4)) {
            line[strcspn (line, "\n")] = '\0';
            path = strdup (line + 3);
        }
    if (f)
        fclose (f);
    if (!path || !(f = fopen ("/proc/self/mountinfo", "r"))) {
        free (path);
        return NULL;
    }
    while (!dir && fgets (line, sizeof (line), f))
        if (strstr (line, " - cgroup2 ") && sscanf (line, "%*s %*s %*s %4095s %4095s", root, point) == 2
            && !strcmp (root, "/")
            && asprintf (&dir, "%s%s/%s-%d", point, strcmp (path, "/") ? path : "", name, (int)getpid ()) < 0)
            dir = NULL;
    fclose (f);
    free (path);
    if (dir && mkdir (dir, 0755) < 0) {
        free (dir);
        dir = NULL;
    }
    return dir;
}

/* The cgroup of pid (its "0::" line), or "" */
static void cgroup_of (pid_t pid, char *buf, size_t size)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen (path, "r");
    buf[0] = '\0';
    while (f && fgets (buf, (int)size, f))
        if (!strncmp (buf, "0::", 3))
            break;
    if (f)
        fclose (f);
    buf[strcspn (buf, "\n")] = '\0';
}

static void a_guard_runs_its_tasks_in_its_cgroup (void **state)
{
    struct run r;
    struct guard_report rep;
    char got[4096];
    char *cg = make_cgroup ("eddy-guard-test");

    if (!cg)
        skip (); /* no writable cgroup2 here */
    const char *name = strrchr (cg, '/');
    /* a job that ends by itself, its broker (this test) alive: the
     * cgroup is the broker's to remove */
    run_start_in (&r, 1, "exec sleep 0.2", cg);
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_STARTED);
    cgroup_of (rep.pid, got, sizeof (got));
    assert_true (strlen (got) > strlen (name));
    assert_string_equal (got + strlen (got) - strlen (name), name);
    cgroup_of (r.guard, got, sizeof (got));
    assert_string_equal (got + strlen (got) - strlen (name), name);
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_EXITED);
    assert_false (next_report (&r, &rep));
    run_end (&r, 1);
    assert_int_equal (access (cg, F_OK), 0);

    /* let go under a running job: the guard kills it, steps out and
     * removes the cgroup itself */
    run_start_in (&r, 1, "setsid sleep 300 & exec sleep 300", cg);
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_STARTED);
    close (r.lifeline);
    r.lifeline = -1;
    assert_true (next_report (&r, &rep));
    assert_int_equal (rep.kind, GUARD_EXITED);
    run_end (&r, 1);
    assert_int_equal (access (cg, F_OK), -1);
    rmdir (cg);
    free (cg);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (stat_ppid_parses_the_fourth_field),
        cmocka_unit_test (stat_ppid_refuses_malformed_text),
        cmocka_unit_test (tasks_are_reported_with_their_statuses),
        cmocka_unit_test (tasks_get_local_ids_and_are_bound_to_their_cpus),
        cmocka_unit_test (a_cpu_list_not_of_the_shells_form_runs_nothing),
        cmocka_unit_test (a_signal_on_the_lifeline_reaches_the_task),
        cmocka_unit_test (the_end_of_the_lifeline_kills_every_process_of_the_job),
        cmocka_unit_test (a_guard_runs_its_tasks_in_its_cgroup),
        cmocka_unit_test (the_guard_opens_output_files_itself),
        cmocka_unit_test (an_output_file_the_guard_cannot_open_fails_every_task),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
