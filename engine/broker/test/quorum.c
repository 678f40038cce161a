/* The broker's quorum: a count of online ranks or a set of ranks that
 * must all be online, and the text that is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "engine/broker/quorum.h"

static eddy_idset_t *set (const char *s)
{
    eddy_idset_t *ids = eddy_idset_decode (s, NULL);
    assert_non_null (ids);
    return ids;
}

static bool met (const char *quorum, uint32_t size, const char *online)
{
    eddy_error_t err;
    eddy_quorum_t *q = eddy_quorum_parse (quorum, size, &err);
    assert_non_null (q);
    eddy_idset_t *ids = set (online);
    bool r = eddy_quorum_met (q, ids);
    eddy_idset_destroy (ids);
    eddy_quorum_destroy (q);
    return r;
}

static void refused (const char *quorum, uint32_t size, const char *why)
{
    eddy_error_t err = { "" };
    errno = 0;
    assert_null (eddy_quorum_parse (quorum, size, &err));
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, why))
        fail_msg ("'%s': '%s' does not say '%s'", quorum, err.text, why);
}

static void a_count_is_met_by_any_ranks_that_many (void **state)
{
    assert_true (met ("3", 4, "0,1,3"));
    assert_true (met ("3", 4, "0-3"));
    assert_false (met ("3", 4, "0,2"));
    assert_true (met ("1", 1, "0"));
    assert_false (met ("1", 4, ""));
}

static void an_idset_needs_each_of_its_ranks (void **state)
{
    assert_true (met ("[0-2]", 4, "0-2"));
    assert_false (met ("[0-2]", 4, "0,1,3"));
    assert_true (met ("0,3", 4, "0-3"));
    assert_false (met ("0,3", 4, "0-2"));
    assert_true (met ("[0]", 8, "0"));
}

static void bad_text_is_refused_with_a_reason (void **state)
{
    refused ("0", 4, "not a count of ranks in 1-4");
    refused ("5", 4, "not a count of ranks in 1-4");
    refused ("99999999999", 4, "not a count");
    refused ("[0-4]", 4, "beyond the last rank 3");
    refused ("[]", 4, "names no rank");
    refused ("half", 4, "neither a count nor an idset");
    refused ("3-1", 4, "neither a count nor an idset");
    refused ("", 4, "names no rank");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (a_count_is_met_by_any_ranks_that_many),
        cmocka_unit_test (an_idset_needs_each_of_its_ranks),
        cmocka_unit_test (bad_text_is_refused_with_a_reason),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
