/* Job records (exec/contain.h): the start time is read out of
 * /proc/PID/stat whatever the command name holds; a record is parsed
 * strictly, a line its writer did not finish is ignored; and a broker
 * whose exec module loads on a statedir with records of a predecessor
 * kills the processes they list that are still the same (pid and start
 * time), leaves alone a pid since reused and a record of another boot,
 * and keeps a file that is not a record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/contain.h"
#include "test/support/world.h"

static void stat_starttime_reads_field_22 (void **state)
{
    const char *plain = "12 (sleep) S 1 12 12 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 8 9";
    const char *odd = "7 (a) b (c) S 9) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42\n";
    assert_int_equal (contain_stat_starttime (plain, strlen (plain)), 987654);
    /* the last ')' ends the name, and the field may end the text */
    assert_int_equal (contain_stat_starttime (odd, strlen (odd)), 42);
}

static void stat_starttime_refuses_malformed_text (void **state)
{
    const char *bad[] = { "", "12 sleep S 1 12", "12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",
                          "12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x",
                          "12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5x",
                          "12 (x) S 1 12 12 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999999" };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
        assert_int_equal (contain_stat_starttime (bad[i], strlen (bad[i])), 0);
}

static unsigned long long start_of (pid_t pid)
{
    char path[64], buf[1024];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    size_t n = fread (buf, 1, sizeof (buf) - 1, f);
    fclose (f);
    return contain_stat_starttime (buf, n);
}

static void stat_starttime_of_this_process (void **state)
{
    /* field 22 counted from the start: this program's name has no space */
    char buf[1024];
    FILE *f = fopen ("/proc/self/stat", "r");
    assert_non_null (f);
    size_t n = fread (buf, 1, sizeof (buf) - 1, f);
    fclose (f);
    buf[n] = '\0';
    char *tok = strtok (buf, " ");
    for (int i = 1; i < 22; i++)
        tok = strtok (NULL, " ");
    assert_non_null (tok);
    assert_true (start_of (getpid ()) > 0);
    assert_int_equal (start_of (getpid ()), strtoull (tok, NULL, 10));
}

static void record_parses_every_line (void **state)
{
    const char *text = "eddy-exec-record 1\nboot 1234-abcd\njob 99\ncgroup /sys/fs/cgroup/eddy-5-99\n"
                       "guard 300 77\nlater 1 2 3\ntask 301 78\ntask 302 79\ntask 303 8";
    struct contain_record rec;
    assert_int_equal (contain_record_parse (text, strlen (text), &rec), 0);
    assert_string_equal (rec.boot, "1234-abcd");
    assert_int_equal (rec.id, 99);
    assert_string_equal (rec.cgroup, "/sys/fs/cgroup/eddy-5-99");
    assert_int_equal (rec.guard.pid, 300);
    assert_int_equal (rec.guard.start, 77);
    /* "later" is skipped; the unfinished last task line is not there */
    assert_int_equal (rec.ntasks, 2);
    assert_int_equal (rec.tasks[0].pid, 301);
    assert_int_equal (rec.tasks[1].start, 79);
    contain_record_clear (&rec);

    /* many tasks: the array grows */
    char big[65536] = "eddy-exec-record 1\n";
    for (int i = 0; i < 1000; i++)
        snprintf (big + strlen (big), sizeof (big) - strlen (big), "task %d %d\n", 1000 + i, 5 + i);
    assert_int_equal (contain_record_parse (big, strlen (big), &rec), 0);
    assert_int_equal (rec.ntasks, 1000);
    assert_int_equal (rec.tasks[999].pid, 1999);
    assert_int_equal (rec.tasks[999].start, 1004);
    contain_record_clear (&rec);
}

static void record_refuses_what_is_not_one (void **state)
{
    const char *bad[] = {
        "",
        "eddy-exec-record 1",               /* not even its first line whole */
        "eddy-exec-record 2\njob 1\n",      /* another version */
        "job 1\neddy-exec-record 1\n",      /* the version is first */
        "eddy-exec-record 1\njob x\n",
        "eddy-exec-record 1\nguard 1 5\n",  /* pid 1 is never a job's */
        "eddy-exec-record 1\ntask 12\n",    /* no start time */
        "eddy-exec-record 1\ntask 12 0\n",  /* start time 0 is unknown */
        "eddy-exec-record 1\ntask -4 3\n",
        "eddy-exec-record 1\ntask 12 3 4\n",
        "eddy-exec-record 1\nboot 0123456789012345678901234567890123456789\n",
    };
    struct contain_record rec;
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_int_equal (contain_record_parse (bad[i], strlen (bad[i]), &rec), -1);
        assert_int_equal (errno, EINVAL);
        assert_null (rec.tasks);
        assert_null (rec.cgroup);
    }
    /* a NUL inside is not text */
    const char nul[] = "eddy-exec-record 1\njob 1\0\n";
    assert_int_equal (contain_record_parse (nul, sizeof (nul) - 1, &rec), 0);
    assert_int_equal (rec.id, 0);
    contain_record_clear (&rec);
}

/* ---- a broker's exec module sweeping its predecessor's records ---- */

static char tmpdir[] = "/tmp/contain-test.XXXXXX";

static pid_t spawn_sleep (void)
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        execlp ("sleep", "sleep", "30", (char *)NULL);
        _exit (127);
    }
    /* until it is sleep: a start time read before the exec is the same */
    for (int i = 0; i < 200 && start_of (pid) == 0; i++)
        usleep (5000);
    return pid;
}

static void write_file (const char *name, const char *fmt, ...)
{
    char path[512];
    va_list ap;
    snprintf (path, sizeof (path), "%s/exec-0/%s", tmpdir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    va_start (ap, fmt);
    vfprintf (f, fmt, ap);
    va_end (ap);
    fclose (f);
}

static bool exists (const char *name)
{
    char path[512];
    snprintf (path, sizeof (path), "%s/exec-0/%s", tmpdir, name);
    return access (path, F_OK) == 0;
}

/* an emptied record file: its first byte is a NUL (or it has none) */
static bool emptied (const char *name)
{
    char path[512], c = 'x';
    snprintf (path, sizeof (path), "%s/exec-0/%s", tmpdir, name);
    int fd = open (path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t n = read (fd, &c, 1);
    close (fd);
    return n == 0 || (n == 1 && c == '\0');
}

/* dead and reaped, by us or by the reactor (libev's default loop reaps
 * every child) */
static bool reaped (void *arg)
{
    pid_t *pid = arg;
    pid_t rc = waitpid (*pid, NULL, WNOHANG);
    return rc == *pid || (rc < 0 && errno == ECHILD);
}

/* not exited (a zombie has) */
static bool running (pid_t pid)
{
    return waitpid (pid, NULL, WNOHANG) == 0;
}

static int rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static void sweep_kills_what_a_record_still_names (void **state)
{
    char boot[64] = "", dir[512];
    FILE *f = fopen ("/proc/sys/kernel/random/boot_id", "r");
    assert_non_null (f);
    assert_non_null (fgets (boot, sizeof (boot), f));
    fclose (f);
    boot[strcspn (boot, "\n")] = '\0';

    assert_non_null (mkdtemp (tmpdir));
    snprintf (dir, sizeof (dir), "%s/exec-0", tmpdir);
    assert_int_equal (mkdir (dir, 0700), 0);
    pid_t same = spawn_sleep (), reused = spawn_sleep (), other = spawn_sleep ();
    pid_t grouped = spawn_sleep (), slotted = spawn_sleep (), tail = spawn_sleep ();
    write_file ("1-1", "eddy-exec-record 1\nboot %s\njob 1\ntask %d %llu\n", boot, (int)same,
                start_of (same));
    /* the guard's pid, now someone else's (another start time) */
    write_file ("2-1", "eddy-exec-record 1\nboot %s\njob 2\nguard %d %llu\n", boot, (int)reused,
                start_of (reused) + 1);
    write_file ("3-1", "eddy-exec-record 1\nboot another-boot\njob 3\ntask %d %llu\n", (int)other,
                start_of (other));
    /* a cgroup path that is not a job's is left alone, the rest done */
    write_file ("4-1", "eddy-exec-record 1\nboot %s\njob 4\ncgroup /sys/fs/cgroup/../x\ntask %d %llu\n",
                boot, (int)grouped, start_of (grouped));
    write_file ("notes", "not a record\n");
    /* a record file of this broker's naming is emptied and kept for
     * reuse; an empty one is a kept file */
    write_file ("slot-7", "eddy-exec-record 1\nboot %s\njob 5\ntask %d %llu\n", boot, (int)slotted,
                start_of (slotted));
    write_file ("slot-3", "%s", "");
    /* a record ends at its NUL: what follows is an earlier job's, not
     * read (here it names a live process, which must be left alone) */
    write_file ("slot-8", "eddy-exec-record 1\nboot %s\njob 6\n%c\ntask %d %llu\n", boot, 0, (int)tail,
                start_of (tail));
    /* emptied by a NUL first, with an old record after it */
    write_file ("slot-9", "%ceddy-exec-record 1\nboot %s\njob 7\ntask %d %llu\n", 0, boot, (int)tail,
                start_of (tail));

    struct world *w = world_real.create (1, 2);
    assert_non_null (w);
    assert_int_equal (eddy_broker_attr_set (w->b[0], "statedir", tmpdir), 0);
    eddy_broker_add_initial_module (w->b[0], "exec", NULL);
    assert_int_equal (world_boot (w, 30.0), 0);
    assert_int_equal (world_wait_pred (w, reaped, &same, 10.0), 0);
    assert_int_equal (world_wait_pred (w, reaped, &grouped, 10.0), 0);
    assert_int_equal (world_wait_pred (w, reaped, &slotted, 10.0), 0);
    world_run_for (w, 0.2);
    assert_true (running (reused));
    assert_true (running (other));
    assert_true (running (tail));
    assert_false (exists ("1-1"));
    assert_false (exists ("2-1"));
    assert_false (exists ("3-1"));
    assert_false (exists ("4-1"));
    assert_true (exists ("notes"));
    assert_true (emptied ("slot-7"));
    assert_true (emptied ("slot-3"));
    assert_true (emptied ("slot-8"));
    assert_true (emptied ("slot-9"));
    world_destroy (w);

    kill (reused, SIGKILL);
    kill (other, SIGKILL);
    kill (tail, SIGKILL);
    waitpid (tail, NULL, 0);
    waitpid (reused, NULL, 0);
    waitpid (other, NULL, 0);
    nftw (tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (stat_starttime_reads_field_22),
        cmocka_unit_test (stat_starttime_refuses_malformed_text),
        cmocka_unit_test (stat_starttime_of_this_process),
        cmocka_unit_test (record_parses_every_line),
        cmocka_unit_test (record_refuses_what_is_not_one),
        cmocka_unit_test (sweep_kills_what_a_record_still_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
