/* The PMI-1 wire parser and one rank's server: lines split into tokens,
 * malformed lines refused, the protocol's commands answered in turn, a
 * barrier handed on once every local task is in it, and each way a client
 * can break the protocol reported as an error.
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

#include "exec/pmi.h"
#include "exec/pmi_wire.h"

/* ---- the parser ---- */

static int parse (const char *s, struct pmi_wire_cmd *c)
{
    return pmi_wire_parse (s, strlen (s), c);
}

static void a_line_splits_into_cmd_and_tokens (void **state)
{
    struct pmi_wire_cmd c;
    int v;

    assert_int_equal (parse ("cmd=put kvsname=kvs_1 key=k0 value=a=b#c$d", &c), 0);
    assert_string_equal (c.cmd, "put");
    assert_int_equal (c.ntokens, 3);
    assert_string_equal (pmi_wire_get (&c, "kvsname"), "kvs_1");
    assert_string_equal (pmi_wire_get (&c, "value"), "a=b#c$d"); /* split at the first '=' */
    assert_null (pmi_wire_get (&c, "nothere"));
    assert_int_equal (parse ("cmd=init  pmi_version=1 pmi_subversion=-2 ", &c), 0);
    assert_int_equal (pmi_wire_get_int (&c, "pmi_version", &v), 0);
    assert_int_equal (v, 1);
    assert_int_equal (pmi_wire_get_int (&c, "pmi_subversion", &v), 0);
    assert_int_equal (v, -2);
    assert_int_equal (parse ("cmd=get key=", &c), 0);
    assert_string_equal (pmi_wire_get (&c, "key"), ""); /* empty values are values */
    assert_int_equal (pmi_wire_get_int (&c, "key", &v), -1);
}

static void abort_keeps_its_message_whole (void **state)
{
    struct pmi_wire_cmd c;
    assert_int_equal (parse ("cmd=abort exitcode=3 it all went wrong", &c), 0);
    assert_string_equal (c.cmd, "abort");
    assert_string_equal (c.rest, "exitcode=3 it all went wrong");
}

static void malformed_lines_are_refused (void **state)
{
    struct pmi_wire_cmd c;
    static const char *const bad[] = {
        "",                       /* nothing */
        "hello",                  /* no cmd= */
        "mcmd=spawn",             /* PMI-1's multi-line spawn: not offered */
        "cmd=",                   /* an empty command */
        "cmd=put key",            /* a token without '=' */
        "cmd=put =v",             /* an empty key */
        "cmd=get key=a key=b",    /* a repeated key */
        "cmd=x a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1 p=1 q=1",
        "cmd=get key=\x01",       /* a control byte */
        "cmd=get key=\xc3\xa9",   /* not ASCII */
        "cmd=get\tkey=1",         /* a tab */
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_int_equal (parse (bad[i], &c), -1);
        assert_int_equal (errno, EPROTO);
    }
    /* a NUL inside the line (length given, not strlen) */
    assert_int_equal (pmi_wire_parse ("cmd=get\0key=1", 13, &c), -1);
    char *big = malloc (PMI_WIRE_MAXLINE + 1);
    memset (big, 'a', PMI_WIRE_MAXLINE);
    memcpy (big, "cmd=put value=", 14);
    assert_int_equal (pmi_wire_parse (big, PMI_WIRE_MAXLINE, &c), -1);
    assert_int_equal (errno, EMSGSIZE);
    free (big);
}

/* ---- the server ---- */

struct fake {
    char out[8][8192]; /* what each task was sent */
    int barriers;
    json_t *puts;
    int errors;
    char why[256];
    int aborted, code;
};

static void f_send (void *arg, int task, const char *line, size_t len)
{
    struct fake *f = arg;
    strncat (f->out[task], line, len);
}

static void f_barrier (void *arg, json_t *puts)
{
    struct fake *f = arg;
    f->barriers++;
    json_decref (f->puts);
    f->puts = json_deep_copy (puts);
}

static void f_error (void *arg, int task, const char *why)
{
    struct fake *f = arg;
    f->errors++;
    snprintf (f->why, sizeof (f->why), "%s", why);
}

static void f_abort (void *arg, int task, int code, const char *msg)
{
    struct fake *f = arg;
    f->aborted++;
    f->code = code;
    snprintf (f->why, sizeof (f->why), "%s", msg);
}

static const struct pmi_server_ops fops = { f_send, f_barrier, f_error, f_abort };

static pmi_server_t *server (struct fake *f, int ntasks)
{
    struct pmi_server_info info = { .size = 8, .base = 4, .ntasks = ntasks, .kvsname = "kvs_7",
                                    .map = "(vector,(0,2,4))" };
    memset (f, 0, sizeof (*f));
    pmi_server_t *ps = pmi_server_create (&info, &fops, f);
    assert_non_null (ps);
    return ps;
}

static int in (pmi_server_t *ps, int task, const char *s)
{
    return pmi_server_input (ps, task, s, strlen (s));
}

/* The last line task was sent, and forget what it was sent. */
static const char *last (struct fake *f, int task)
{
    static char line[8192];
    char *buf = f->out[task];
    size_t n = strlen (buf);
    if (n == 0)
        return "";
    buf[n - 1] = '\0';
    char *nl = strrchr (buf, '\n');
    snprintf (line, sizeof (line), "%s", nl ? nl + 1 : buf);
    buf[0] = '\0';
    return line;
}

static void the_protocol_is_answered_in_turn (void **state)
{
    struct fake f;
    pmi_server_t *ps = server (&f, 2);

    assert_int_equal (in (ps, 0, "cmd=init pmi_version=1 pmi_subversion=1\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1");
    /* a line may come in pieces, and two in one write */
    assert_int_equal (in (ps, 0, "cmd=get_ma"), 0);
    assert_string_equal (f.out[0], "");
    assert_int_equal (in (ps, 0, "xes\ncmd=get_appnum\n"), 0);
    assert_string_equal (f.out[0], "cmd=maxes rc=0 kvsname_max=64 keylen_max=64 vallen_max=1024\n"
                                   "cmd=appnum rc=0 appnum=0\n");
    f.out[0][0] = '\0';
    assert_int_equal (in (ps, 0, "cmd=get_universe_size\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=universe_size rc=0 size=8");
    assert_int_equal (in (ps, 0, "cmd=get_my_kvsname\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=my_kvsname rc=0 kvsname=kvs_7");
    assert_int_equal (in (ps, 0, "cmd=put kvsname=kvs_7 key=card4 value=host:1\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=put_result rc=0 msg=success");
    assert_int_equal (in (ps, 0, "cmd=put kvsname=other key=k value=v\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=put_result rc=-1 msg=unknown_kvsname");
    /* the mapping is there from the start; its own put too */
    assert_int_equal (in (ps, 0, "cmd=get kvsname=kvs_7 key=PMI_process_mapping\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=get_result rc=0 msg=success value=(vector,(0,2,4))");
    assert_int_equal (in (ps, 0, "cmd=get kvsname=kvs_7 key=card4\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=get_result rc=0 msg=success value=host:1");
    assert_int_equal (in (ps, 0, "cmd=get kvsname=kvs_7 key=card5\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=get_result rc=-1 msg=key_not_found");
    assert_int_equal (in (ps, 0, "cmd=publish_name service=a port=b\n"), 0);
    assert_string_equal (last (&f, 0), "cmd=publish_result rc=-1 msg=not_supported");
    assert_int_equal (f.errors, 0);
    pmi_server_destroy (ps);
}

static void a_barrier_waits_for_every_local_task (void **state)
{
    struct fake f;
    pmi_server_t *ps = server (&f, 2);

    for (int t = 0; t < 2; t++) {
        assert_int_equal (in (ps, t, "cmd=init pmi_version=1 pmi_subversion=1\n"), 0);
        last (&f, t);
    }
    assert_int_equal (in (ps, 0, "cmd=put kvsname=kvs_7 key=card4 value=a\n"), 0);
    assert_int_equal (in (ps, 1, "cmd=put kvsname=kvs_7 key=card5 value=b\n"), 0);
    assert_int_equal (in (ps, 0, "cmd=barrier_in\n"), 0);
    assert_int_equal (f.barriers, 0);
    assert_int_equal (in (ps, 1, "cmd=barrier_in\n"), 0);
    assert_int_equal (f.barriers, 1);
    assert_int_equal (json_object_size (f.puts), 2);
    assert_string_equal (json_string_value (json_object_get (f.puts, "card5")), "b");
    last (&f, 0);
    last (&f, 1);
    assert_string_equal (f.out[0], ""); /* no barrier_out before the exchange */
    json_t *all = json_pack ("{s:s s:s s:s}", "card4", "a", "card5", "b", "card0", "far");
    assert_int_equal (pmi_server_barrier_done (ps, all, NULL), 0);
    json_decref (all);
    assert_string_equal (last (&f, 0), "cmd=barrier_out rc=0");
    assert_string_equal (last (&f, 1), "cmd=barrier_out rc=0");
    /* another rank's key, after the barrier */
    assert_int_equal (in (ps, 1, "cmd=get kvsname=kvs_7 key=card0\n"), 0);
    assert_string_equal (last (&f, 1), "cmd=get_result rc=0 msg=success value=far");
    assert_int_equal (pmi_server_barriers (ps), 1);
    /* and a second barrier, with nothing put */
    assert_int_equal (in (ps, 0, "cmd=barrier_in\n"), 0);
    assert_int_equal (in (ps, 1, "cmd=barrier_in\n"), 0);
    assert_int_equal (f.barriers, 2);
    assert_int_equal (json_object_size (f.puts), 0);
    /* a failed exchange fails the barrier and the job */
    assert_int_equal (pmi_server_barrier_done (ps, NULL, "rank 3 is gone"), 0);
    assert_string_equal (last (&f, 0), "cmd=barrier_out rc=-1 msg=exchange_failed");
    assert_int_equal (f.errors, 1);
    assert_string_equal (f.why, "rank 3 is gone");
    assert_int_equal (pmi_server_barrier_done (ps, NULL, NULL), -1); /* none under way */
    for (int t = 0; t < 2; t++) {
        assert_int_equal (in (ps, t, "cmd=finalize\n"), 0);
        assert_string_equal (last (&f, t), "cmd=finalize_ack rc=0");
        assert_int_equal (pmi_server_eof (ps, t), 0);
    }
    json_decref (f.puts);
    pmi_server_destroy (ps);
}

/* Each way to break the protocol: an error for the job, a cmd=error for
 * the task, and nothing more read from it.
 */
static void broken_clients_fail_the_job (void **state)
{
    static const struct {
        const char *input;
        const char *why;
    } cases[] = {
        { "\x01\x02 garbage\n", "malformed line" },
        { "cmd=get_maxes\n", "a command before init" },
        { "cmd=init pmi_version=2 pmi_subversion=0\n", "PMI version other than 1" },
        { "cmd=init\n", "init without pmi_version and pmi_subversion" },
        { "I+cmd=init pmi_version=1 pmi_subversion=1\n", "init twice" },
        { "I+cmd=barrier_in\ncmd=barrier_in\n", "barrier_in twice" },
        { "I+cmd=barrier_in\ncmd=get kvsname=kvs_7 key=a\n", "a command during a barrier" },
        { "I+cmd=finalize\ncmd=get_maxes\n", "a command after finalize" },
        { "I+cmd=frobnicate\n", "unknown command" },
        { "I+cmd=put key=a\n", "put without kvsname, key or value" },
        { "I+cmd=get kvsname=kvs_7\n", "get without kvsname or key" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        struct fake f;
        pmi_server_t *ps = server (&f, 2);
        const char *s = cases[i].input;
        if (!strncmp (s, "I+", 2)) {
            assert_int_equal (in (ps, 0, "cmd=init pmi_version=1 pmi_subversion=1\n"), 0);
            s += 2;
        }
        assert_int_equal (in (ps, 0, s), -1);
        assert_int_equal (errno, EPROTO);
        assert_int_equal (f.errors, 1);
        char want[256];
        snprintf (want, sizeof (want), "PMI task 4: %s", cases[i].why);
        assert_string_equal (f.why, want);
        assert_non_null (strstr (f.out[0], "cmd=error rc=-1 msg="));
        /* later input is dropped, and no second error */
        assert_int_equal (in (ps, 0, "cmd=get_maxes\n"), -1);
        assert_int_equal (f.errors, 1);
        assert_int_equal (f.barriers, 0);
        pmi_server_destroy (ps);
    }
}

static void closing_between_init_and_finalize_fails (void **state)
{
    struct fake f;
    pmi_server_t *ps = server (&f, 3);

    /* a task that never spoke PMI may close: no error */
    assert_int_equal (pmi_server_eof (ps, 2), 0);
    assert_int_equal (in (ps, 0, "cmd=init pmi_version=1 pmi_subversion=1\n"), 0);
    assert_int_equal (pmi_server_eof (ps, 0), -1);
    assert_int_equal (f.errors, 1);
    assert_string_equal (f.why, "PMI task 4: closed its PMI connection before finalize");
    /* half a line at the end is an error too */
    assert_int_equal (in (ps, 1, "cmd=ini"), 0);
    assert_int_equal (pmi_server_eof (ps, 1), -1);
    assert_int_equal (f.errors, 2);
    assert_int_equal (pmi_server_input (ps, 3, "x", 1), -1); /* no such task */
    assert_int_equal (errno, EINVAL);
    pmi_server_destroy (ps);
}

static void overlong_lines_and_values_are_bounded (void **state)
{
    struct fake f;
    pmi_server_t *ps = server (&f, 1);
    char *big = malloc (PMI_WIRE_MAXLINE + 16);

    assert_int_equal (in (ps, 0, "cmd=init pmi_version=1 pmi_subversion=1\n"), 0);
    last (&f, 0);
    /* a value longer than vallen_max: refused, not fatal */
    int n = snprintf (big, PMI_WIRE_MAXLINE, "cmd=put kvsname=kvs_7 key=k value=");
    memset (big + n, 'v', PMI_WIRE_VALLEN_MAX);
    strcpy (big + n + PMI_WIRE_VALLEN_MAX, "\n");
    assert_int_equal (in (ps, 0, big), 0);
    assert_string_equal (last (&f, 0), "cmd=put_result rc=-1 msg=key_or_value_too_long");
    /* a line without end: fatal once it passes the limit */
    memset (big, 'x', PMI_WIRE_MAXLINE + 8);
    assert_int_equal (pmi_server_input (ps, 0, big, PMI_WIRE_MAXLINE + 8), -1);
    assert_string_equal (f.why, "PMI task 4: line too long");
    free (big);
    pmi_server_destroy (ps);
}

static void abort_reports_code_and_message (void **state)
{
    struct fake f;
    pmi_server_t *ps = server (&f, 1);
    assert_int_equal (in (ps, 0, "cmd=init pmi_version=1 pmi_subversion=1\n"), 0);
    assert_int_equal (in (ps, 0, "cmd=abort exitcode=7 out of cheese\n"), 0);
    assert_int_equal (f.aborted, 1);
    assert_int_equal (f.code, 7);
    assert_string_equal (f.why, "out of cheese");
    assert_int_equal (in (ps, 0, "cmd=get_maxes\n"), 0); /* ignored */
    assert_int_equal (pmi_server_eof (ps, 0), 0); /* its connection's end says nothing new */
    assert_int_equal (f.errors, 0);
    pmi_server_destroy (ps);
}

static void bad_info_is_refused (void **state)
{
    struct fake f;
    struct pmi_server_info info = { .size = 2, .base = 1, .ntasks = 2, .kvsname = "kvs" };
    assert_null (pmi_server_create (&info, &fops, &f)); /* tasks past size */
    assert_int_equal (errno, EINVAL);
    info.base = 0;
    info.kvsname = "a name";
    assert_null (pmi_server_create (&info, &fops, &f));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (a_line_splits_into_cmd_and_tokens),
        cmocka_unit_test (abort_keeps_its_message_whole),
        cmocka_unit_test (malformed_lines_are_refused),
        cmocka_unit_test (the_protocol_is_answered_in_turn),
        cmocka_unit_test (a_barrier_waits_for_every_local_task),
        cmocka_unit_test (broken_clients_fail_the_job),
        cmocka_unit_test (closing_between_init_and_finalize_fails),
        cmocka_unit_test (overlong_lines_and_values_are_bounded),
        cmocka_unit_test (abort_reports_code_and_message),
        cmocka_unit_test (bad_info_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
