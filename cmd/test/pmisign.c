/* The payload a PMI credential signs: what it binds (format, kvsname, the
 * putter's rank, key, value) and each mismatch refused with a reason that
 * names the key and what the server did; credentials told from values.
 * (The munged round trip is t0076's.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/pmisign.h"

static void payload_binds_kvsname_rank_key_value (void **state)
{
    char *p = eddy_pmisign_payload ("kvs_12", 3, "eddy.tbon.3", "tcp://10.0.0.1:4000");
    assert_string_equal (p, "eddy-pmi-sign 1\nkvs_12\n3\neddy.tbon.3\ntcp://10.0.0.1:4000");
    free (p);
}

static void matching_payload_gives_the_value (void **state)
{
    eddy_error_t err;
    char *p = eddy_pmisign_payload ("kvs_12", 0, "eddy.curve-secret", "a=b=c");
    char *v = eddy_pmisign_check_payload (p, "kvs_12", 0, "eddy.curve-secret", &err);
    assert_string_equal (v, "a=b=c");
    free (v);
    /* from < 0: any rank */
    v = eddy_pmisign_check_payload (p, "kvs_12", -1, "eddy.curve-secret", &err);
    assert_string_equal (v, "a=b=c");
    free (v);
    free (p);
}

static void refuse (const char *payload, const char *kvsname, int from, const char *key,
                    const char *want)
{
    eddy_error_t err = { "" };
    errno = 0;
    assert_null (eddy_pmisign_check_payload (payload, kvsname, from, key, &err));
    assert_int_equal (errno, EPERM);
    if (!strstr (err.text, want))
        fail_msg ("'%s' does not say '%s'", err.text, want);
}

static void another_job_key_or_rank_is_refused (void **state)
{
    char *p = eddy_pmisign_payload ("kvs_12", 0, "eddy.tbon.0", "tcp://h:1");
    refuse (p, "kvs_13", 0, "eddy.tbon.0", "signed for job (kvsname) kvs_12, not kvs_13");
    refuse (p, "kvs_12", 0, "eddy.curve-public", "signed as the value of eddy.tbon.0");
    refuse (p, "kvs_12", 2, "eddy.tbon.0", "put by rank 0, not 2");
    /* a prefix is not a match */
    refuse (p, "kvs_1", 0, "eddy.tbon.0", "not kvs_1");
    refuse (p, "kvs_12", 0, "eddy.tbon.", "signed as the value of eddy.tbon.0");
    free (p);
}

static void other_payloads_are_refused (void **state)
{
    refuse ("", "k", 0, "key", "not an eddy PMI value");
    refuse ("eddy-pmi-sign 2\nk\n0\nkey\nv", "k", 0, "key", "not an eddy PMI value");
    refuse ("eddy-pmi-sign 1\nk\n0\nkey", "k", 0, "key", "not an eddy PMI value");
    refuse ("a jobspec", "k", 0, "key", "not an eddy PMI value");
}

static void credentials_are_told_from_values (void **state)
{
    assert_true (eddy_pmisign_is_signed ("MUNGE:AwQFAAAx+/=:"));
    assert_false (eddy_pmisign_is_signed ("MUNGE:"));
    assert_false (eddy_pmisign_is_signed ("MUNGE:abc"));
    assert_false (eddy_pmisign_is_signed ("tcp://h:1"));
    assert_false (eddy_pmisign_is_signed (NULL));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (payload_binds_kvsname_rank_key_value),
        cmocka_unit_test (matching_payload_gives_the_value),
        cmocka_unit_test (another_job_key_or_rank_is_refused),
        cmocka_unit_test (other_payloads_are_refused),
        cmocka_unit_test (credentials_are_told_from_values),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
