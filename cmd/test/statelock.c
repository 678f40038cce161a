/* The state directory's lock: one process holds it, another is refused
 * with EBUSY and the holder's pid, and it is free again once the holder
 * releases it or dies.
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
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/statelock.h"

static char dir[64];

static int setup (void **state)
{
    snprintf (dir, sizeof (dir), "/tmp/statelock-XXXXXX");
    return mkdtemp (dir) ? 0 : -1;
}

static int teardown (void **state)
{
    char path[128];
    snprintf (path, sizeof (path), "%s/lock", dir);
    unlink (path);
    return rmdir (dir);
}

/* A child that tries the lock and exits 0 if refused naming want, 1 if it
 * got it, 2 if refused otherwise. */
static int try_in_child (pid_t want)
{
    int status;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        pid_t holder = -1;
        eddy_statelock_t *l = eddy_statelock_acquire (dir, &holder);
        if (l) {
            eddy_statelock_release (l);
            _exit (1);
        }
        _exit (errno == EBUSY && holder == want && eddy_statelock_holder (dir) == want ? 0 : 2);
    }
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    return WEXITSTATUS (status);
}

static void a_second_process_is_refused_with_the_holders_pid (void **state)
{
    pid_t holder = -1;
    eddy_statelock_t *l = eddy_statelock_acquire (dir, &holder);
    assert_non_null (l);
    assert_int_equal (holder, 0);
    assert_int_equal (try_in_child (getpid ()), 0);
    eddy_statelock_release (l);
    /* released: the next one gets it */
    assert_int_equal (try_in_child (0), 1);
}

static void the_lock_file_names_the_holder (void **state)
{
    char path[128], text[32] = "";
    eddy_statelock_t *l = eddy_statelock_acquire (dir, NULL);
    assert_non_null (l);
    snprintf (path, sizeof (path), "%s/lock", dir);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    assert_non_null (fgets (text, sizeof (text), f));
    fclose (f);
    assert_int_equal (atoi (text), (int)getpid ());
    eddy_statelock_release (l);
}

static void a_dead_holder_frees_the_directory (void **state)
{
    int go[2], status;
    char c;
    assert_int_equal (pipe (go), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (go[0]);
        if (!eddy_statelock_acquire (dir, NULL))
            _exit (1);
        (void)!write (go[1], "x", 1);
        pause ();
        _exit (0);
    }
    close (go[1]);
    assert_int_equal (read (go[0], &c, 1), 1);
    close (go[0]);
    assert_int_equal (eddy_statelock_holder (dir), pid);
    assert_null (eddy_statelock_acquire (dir, NULL));
    assert_int_equal (errno, EBUSY);
    kill (pid, SIGKILL);
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_int_equal (eddy_statelock_holder (dir), 0);
    eddy_statelock_t *l = eddy_statelock_acquire (dir, NULL);
    assert_non_null (l);
    eddy_statelock_release (l);
}

static void bad_directories_are_errors (void **state)
{
    pid_t holder = -1;
    assert_null (eddy_statelock_acquire ("", &holder));
    assert_int_equal (errno, EINVAL);
    assert_null (eddy_statelock_acquire ("/nonexistent/statelock", &holder));
    assert_int_equal (errno, ENOENT);
    assert_int_equal (holder, 0);
    assert_int_equal (eddy_statelock_holder ("/nonexistent/statelock"), 0);
    eddy_statelock_release (NULL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (a_second_process_is_refused_with_the_holders_pid, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (the_lock_file_names_the_holder, setup, teardown),
        cmocka_unit_test_setup_teardown (a_dead_holder_frees_the_directory, setup, teardown),
        cmocka_unit_test (bad_directories_are_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
