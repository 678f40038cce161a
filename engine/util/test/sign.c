/* Unit tests for engine/util/sign: the "none" mechanism, type checks and
 * the [sign] config parser (the MUNGE path needs a munged: t0053-sign.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/util/sign.h"
#include "engine/util/toml.h"

static json_t *sign_table (const char *toml)
{
    eddy_error_t err;
    json_t *doc = eddy_toml_parse (toml, strlen (toml), "sign.toml", &err);
    if (!doc)
        fail_msg ("toml: %s", err.text);
    json_t *t = json_incref (json_object_get (doc, "sign"));
    json_decref (doc);
    return t;
}

/* parse [sign] from text; returns the rc and leaves err for the caller */
static int parse (const char *toml, bool multi, struct eddy_sign_conf *c, eddy_error_t *err)
{
    json_t *t = sign_table (toml);
    int rc = eddy_sign_conf_parse (c, t, multi, err);
    json_decref (t);
    return rc;
}

static void none_round_trips_payload_and_uid (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;
    const char data[] = "{\"version\":1}\0binary\xff";
    void *out = NULL;
    size_t len = 0;
    uint32_t uid = 0;
    char mech[16];

    eddy_sign_conf_init (&c, false);
    char *J = eddy_sign_wrap_as (&c, "none", 4242, data, sizeof (data), &err);
    assert_non_null (J);
    assert_int_equal (strncmp (J, "none.4242.", 10), 0);
    assert_int_equal (eddy_sign_unwrap (&c, J, &out, &len, &uid, mech, sizeof (mech), &err), 0);
    assert_int_equal (len, sizeof (data));
    assert_memory_equal (out, data, sizeof (data));
    assert_int_equal (((char *)out)[len], '\0');
    assert_int_equal (uid, 4242);
    assert_string_equal (mech, "none");
    free (out);
    free (J);

    /* the default type of a single-user instance is none, as the caller */
    J = eddy_sign_wrap (&c, NULL, "", 0, &err);
    assert_non_null (J);
    assert_int_equal (eddy_sign_unwrap (&c, J, &out, &len, &uid, NULL, 0, &err), 0);
    assert_int_equal (len, 0);
    assert_int_equal (uid, (uint32_t)getuid ());
    free (out);
    free (J);
}

static void malformed_text_is_einval (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;
    const char *bad[] = {
        "",           "none",        "none.",       "none.12",     "none..eA",
        "none.01.eA", "none.-1.eA",  "none.4294967296.eA",         "none.1.e A",
        "none.1.e=",  "none.1.+/",   "nonsense",    "MUNG",        "none.1.eA\n",
        "none.x.eA",
    };
    void *out = (void *)&c;

    eddy_sign_conf_init (&c, false);
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_int_equal (eddy_sign_unwrap (&c, bad[i], &out, NULL, NULL, NULL, 0, &err), -1);
        assert_int_equal (errno, EINVAL);
        assert_ptr_equal (out, (void *)&c);
        assert_non_null (strstr (err.text, "signature"));
    }
    assert_int_equal (eddy_sign_unwrap (&c, NULL, NULL, NULL, NULL, NULL, 0, &err), -1);
    /* the largest uid is fine */
    assert_int_equal (eddy_sign_unwrap (&c, "none.4294967295.eA", &out, NULL, NULL, NULL, 0, &err),
                      0);
    assert_string_equal (out, "x");
    free (out);
}

static void a_type_not_allowed_is_eperm (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;

    eddy_sign_conf_init (&c, true); /* multi-user: munge only */
    assert_int_equal (eddy_sign_unwrap (&c, "none.0.eA", NULL, NULL, NULL, NULL, 0, &err), -1);
    assert_int_equal (errno, EPERM);
    assert_string_equal (err.text, "signature type none is not allowed (allowed-types: munge)");
}

static void munge_cannot_sign_as_another_user (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;

    eddy_sign_conf_init (&c, true);
    assert_null (eddy_sign_wrap_as (&c, "munge", getuid () + 1, "x", 1, &err));
    assert_int_equal (errno, EPERM);
    assert_null (eddy_sign_wrap (&c, "rsa", "x", 1, &err));
    assert_int_equal (errno, EINVAL);
}

static void munge_without_munged_says_so (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;

    eddy_sign_conf_init (&c, true);
    strcpy (c.munge_socket, "/nonexistent/eddy-test/munge.socket");
    assert_null (eddy_sign_wrap (&c, "munge", "x", 1, &err));
    assert_int_equal (errno, ECONNREFUSED);
    assert_string_equal (err.text, "cannot connect to munged at /nonexistent/eddy-test/munge.socket"
                                   " (is munged running?)");
    assert_int_equal (eddy_sign_unwrap (&c, "MUNGE:AAAA:", NULL, NULL, NULL, NULL, 0, &err), -1);
    assert_int_equal (errno, ECONNREFUSED);
}

static void user_and_payload_checks_name_the_difference (void **state)
{
    eddy_error_t err;

    assert_int_equal (eddy_sign_check_user (5, 5, &err), 0);
    assert_int_equal (eddy_sign_check_user (1001, 1002, &err), -1);
    assert_int_equal (errno, EPERM);
    assert_string_equal (err.text, "signed by uid 1001, not 1002");
    assert_int_equal (eddy_sign_check_payload ("abc", 3, "abc", 3, &err), 0);
    assert_int_equal (eddy_sign_check_payload ("abc", 3, "abd", 3, &err), -1);
    assert_string_equal (err.text,
                         "signature is over other bytes than the jobspec (3 signed, 3 received)");
    assert_int_equal (eddy_sign_check_payload ("abc", 3, "abcd", 4, &err), -1);
}

static void conf_defaults_depend_on_users (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;

    assert_int_equal (eddy_sign_conf_parse (&c, NULL, false, &err), 0);
    assert_string_equal (c.default_type, "none");
    assert_int_equal (c.allowed, EDDY_SIGN_NONE | EDDY_SIGN_MUNGE);
    assert_true (c.max_ttl == EDDY_SIGN_MAX_TTL_DEFAULT);
    assert_string_equal (c.munge_socket, "");
    assert_int_equal (eddy_sign_conf_parse (&c, NULL, true, &err), 0);
    assert_string_equal (c.default_type, "munge");
    assert_int_equal (c.allowed, EDDY_SIGN_MUNGE);
}

static void conf_parses_every_key (void **state)
{
    struct eddy_sign_conf c;
    eddy_error_t err;

    assert_int_equal (parse ("[sign]\nmax-ttl = 60\ndefault-type = \"munge\"\n"
                             "allowed-types = [\"munge\"]\nmunge-socket = \"/tmp/m.sock\"\n",
                             true, &c, &err),
                      0);
    assert_true (c.max_ttl == 60.);
    assert_string_equal (c.default_type, "munge");
    assert_int_equal (c.allowed, EDDY_SIGN_MUNGE);
    assert_string_equal (c.munge_socket, "/tmp/m.sock");
    assert_int_equal (parse ("[sign]\nmax-ttl = \"14d\"\n", false, &c, &err), 0);
    assert_true (c.max_ttl == 14 * 86400.);
    assert_int_equal (parse ("[sign]\nmax-ttl = 0.5\nallowed-types = [\"none\"]\n", false, &c,
                             &err),
                      0);
    assert_int_equal (c.allowed, EDDY_SIGN_NONE);

    json_t *o = eddy_sign_conf_tojson (&c);
    assert_non_null (o);
    assert_string_equal (json_string_value (json_object_get (o, "munge-socket")),
                         EDDY_SIGN_MUNGE_SOCKET_DEFAULT);
    assert_string_equal (json_string_value (json_array_get (json_object_get (o, "allowed-types"), 0)),
                         "none");
    json_decref (o);
}

static void conf_errors_name_the_key (void **state)
{
    struct {
        const char *toml;
        bool multi;
        const char *text;
    } bad[] = {
        {"[sign]\nmax-ttl = 0\n", false, "sign.max-ttl: must be > 0 seconds (and finite)"},
        {"[sign]\nmax-ttl = -3\n", false, "sign.max-ttl: must be > 0 seconds (and finite)"},
        {"[sign]\nmax-ttl = \"soon\"\n", false, "sign.max-ttl: "},
        {"[sign]\nmax-ttl = true\n", false, "sign.max-ttl: a number of seconds or a duration"},
        {"[sign]\ndefault-type = \"rsa\"\n", false, "sign.default-type: \"munge\" or \"none\""},
        {"[sign]\ndefault-type = \"none\"\n", true,
         "sign.default-type: 'none' is allowed only in a single-user instance"},
        {"[sign]\nallowed-types = [\"munge\", \"none\"]\n", true,
         "sign.allowed-types: 'none' is allowed only in a single-user instance"},
        {"[sign]\nallowed-types = []\n", false, "sign.allowed-types: a non-empty array"},
        {"[sign]\nallowed-types = [\"munge\", 3]\n", false,
         "sign.allowed-types[1]: unknown type (munge, none)"},
        {"[sign]\nallowed-types = [\"munge\"]\n", false,
         "sign.default-type: \"none\" is not in allowed-types"},
        {"[sign]\nmunge-socket = \"relative\"\n", false, "sign.munge-socket: an absolute path"},
        {"[sign]\nmax_ttl = 5\n", false, "sign.max_ttl: unknown key"},
        {"sign = 3\n", false, "sign: must be a table"},
    };
    struct eddy_sign_conf c;
    eddy_error_t err;

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        err.text[0] = '\0';
        if (parse (bad[i].toml, bad[i].multi, &c, &err) != -1 || errno != EINVAL)
            fail_msg ("case %zu: accepted", i);
        if (strncmp (err.text, bad[i].text, strlen (bad[i].text)) != 0)
            fail_msg ("case %zu: '%s'", i, err.text);
        /* a failed parse leaves the defaults */
        assert_true (c.max_ttl == EDDY_SIGN_MAX_TTL_DEFAULT);
        assert_string_equal (c.default_type, bad[i].multi ? "munge" : "none");
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (none_round_trips_payload_and_uid),
        cmocka_unit_test (malformed_text_is_einval),
        cmocka_unit_test (a_type_not_allowed_is_eperm),
        cmocka_unit_test (munge_cannot_sign_as_another_user),
        cmocka_unit_test (munge_without_munged_says_so),
        cmocka_unit_test (user_and_payload_checks_name_the_difference),
        cmocka_unit_test (conf_defaults_depend_on_users),
        cmocka_unit_test (conf_parses_every_key),
        cmocka_unit_test (conf_errors_name_the_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
