/* sd_notify without libsystemd: the datagram reaches a filesystem or an
 * abstract AF_UNIX socket exactly as written, nothing is sent when there is
 * no NOTIFY_SOCKET, and a bad socket name or a missing listener is an
 * error with errno.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/sdnotify.h"

/* A datagram socket bound to name (a path, or "@abstract"), as systemd's. */
static int listener (const char *name)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    socklen_t len;
    int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    assert_true (fd >= 0);
    snprintf (addr.sun_path, sizeof (addr.sun_path), "%s", name);
    if (name[0] == '@') {
        addr.sun_path[0] = '\0';
        len = offsetof (struct sockaddr_un, sun_path) + strlen (name);
    }
    else
        len = sizeof (addr);
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, len), 0);
    return fd;
}

/* The next datagram on fd, without waiting. */
static ssize_t next_datagram (int fd, char *buf, size_t size)
{
    ssize_t n = recv (fd, buf, size - 1, MSG_DONTWAIT);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

static void ready_reaches_a_filesystem_socket (void **state)
{
    char dir[] = "/tmp/eddy-sdnotify-XXXXXX", path[128], buf[256];

    assert_non_null (mkdtemp (dir));
    snprintf (path, sizeof (path), "%s/notify", dir);
    int fd = listener (path);
    assert_int_equal (eddy_sd_notify (path, "READY=1\nSTATUS=run"), 1);
    assert_int_equal (next_datagram (fd, buf, sizeof (buf)), 18);
    assert_string_equal (buf, "READY=1\nSTATUS=run");
    assert_int_equal (eddy_sd_notify (path, "STOPPING=1"), 1);
    assert_true (next_datagram (fd, buf, sizeof (buf)) > 0);
    assert_string_equal (buf, "STOPPING=1");
    assert_true (next_datagram (fd, buf, sizeof (buf)) < 0); /* one datagram per call */
    close (fd);
    unlink (path);
    rmdir (dir);
}

static void ready_reaches_an_abstract_socket (void **state)
{
    char name[64], buf[256];

    snprintf (name, sizeof (name), "@eddy-sdnotify-test-%d", (int)getpid ());
    int fd = listener (name);
    assert_int_equal (eddy_sd_notify (name, "READY=1"), 1);
    assert_true (next_datagram (fd, buf, sizeof (buf)) > 0);
    assert_string_equal (buf, "READY=1");
    close (fd);
}

static void no_socket_sends_nothing (void **state)
{
    assert_int_equal (eddy_sd_notify (NULL, "READY=1"), 0);
    assert_int_equal (eddy_sd_notify ("", "READY=1"), 0);
}

static void bad_names_are_einval (void **state)
{
    char longname[200];

    memset (longname, 'x', sizeof (longname) - 1);
    longname[0] = '/';
    longname[sizeof (longname) - 1] = '\0';
    const char *bad[] = { "relative/notify", "@", "/", longname };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_int_equal (eddy_sd_notify (bad[i], "READY=1"), -1);
        assert_int_equal (errno, EINVAL);
    }
    errno = 0;
    assert_int_equal (eddy_sd_notify ("/tmp/notify", NULL), -1);
    assert_int_equal (errno, EINVAL);
}

static void a_missing_listener_is_an_error (void **state)
{
    char name[64];

    errno = 0;
    assert_int_equal (eddy_sd_notify ("/nonexistent/eddy/notify", "READY=1"), -1);
    assert_int_equal (errno, ENOENT);
    snprintf (name, sizeof (name), "@eddy-sdnotify-nobody-%d", (int)getpid ());
    errno = 0;
    assert_int_equal (eddy_sd_notify (name, "READY=1"), -1);
    assert_int_equal (errno, ECONNREFUSED);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (ready_reaches_a_filesystem_socket),
        cmocka_unit_test (ready_reaches_an_abstract_socket),
        cmocka_unit_test (no_socket_sends_nothing),
        cmocka_unit_test (bad_names_are_einval),
        cmocka_unit_test (a_missing_listener_is_an_error),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
