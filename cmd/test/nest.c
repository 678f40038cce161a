/* A nested instance's R: the job's ranks renumbered 0..n-1 in ascending
 * order, with their cores, gpus, hostnames and properties, whatever the
 * parent's ranks were; input that is not R is refused with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <jansson.h>

#include "cmd/nest.h"

static json_t *load (const char *text)
{
    json_t *o = json_loads (text, 0, NULL);
    assert_non_null (o);
    return o;
}

static const char *lite_rank (json_t *R, size_t i)
{
    return json_string_value (
        json_object_get (json_array_get (json_object_get (json_object_get (R, "execution"), "R_lite"), i),
                         "rank"));
}

static void renumbers_scattered_ranks_in_order (void **state)
{
    json_t *R = load ("{\"version\":1,\"execution\":{\"R_lite\":["
                      "{\"rank\":\"3\",\"children\":{\"core\":\"0-1\"}},"
                      "{\"rank\":\"5,9\",\"children\":{\"core\":\"2\",\"gpu\":\"0\"}}],"
                      "\"nodelist\":[\"n[3,5,9]\"],\"starttime\":10,\"expiration\":70,"
                      "\"properties\":{\"big\":\"9\",\"all\":\"3,5,9\"}}}");
    eddy_error_t err = { "" };
    json_t *out = eddy_nest_renumber_R (R, &err);

    assert_non_null (out);
    assert_string_equal (lite_rank (out, 0), "0");
    assert_string_equal (lite_rank (out, 1), "1-2");
    json_t *ex = json_object_get (out, "execution");
    assert_string_equal (json_string_value (json_object_get (json_object_get (ex, "properties"), "big")), "2");
    assert_string_equal (json_string_value (json_object_get (json_object_get (ex, "properties"), "all")), "0-2");
    /* what the ranks hold, their names and the times stay */
    assert_string_equal (json_string_value (json_array_get (json_object_get (ex, "nodelist"), 0)), "n[3,5,9]");
    assert_int_equal (json_integer_value (json_object_get (ex, "expiration")), 70);
    assert_string_equal (json_string_value (json_object_get (json_object_get (
                             json_array_get (json_object_get (ex, "R_lite"), 1), "children"), "gpu")),
                         "0");
    /* the input is not touched */
    assert_string_equal (lite_rank (R, 1), "5,9");
    json_decref (out);
    json_decref (R);
}

static void ranks_from_zero_are_unchanged (void **state)
{
    json_t *R = load ("{\"version\":1,\"execution\":{\"R_lite\":["
                      "{\"rank\":\"0-3\",\"children\":{\"core\":\"0\"}}]}}");
    json_t *out = eddy_nest_renumber_R (R, NULL);
    assert_non_null (out);
    assert_true (json_equal (out, R));
    json_decref (out);
    json_decref (R);
}

static void refuses_what_is_not_R (void **state)
{
    const char *bad[] = {
        "{}",
        "{\"version\":1,\"execution\":{\"R_lite\":[]}}",
        "{\"version\":1,\"execution\":{\"R_lite\":[{\"children\":{}}]}}",
        "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"x-\"}]}}",
        "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\"}],\"properties\":{\"p\":3}}}",
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        json_t *R = load (bad[i]);
        eddy_error_t err = { "" };
        errno = 0;
        assert_null (eddy_nest_renumber_R (R, &err));
        assert_int_equal (errno, EINVAL);
        assert_true (strlen (err.text) > 0);
        json_decref (R);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (renumbers_scattered_ranks_in_order),
        cmocka_unit_test (ranks_from_zero_are_unchanged),
        cmocka_unit_test (refuses_what_is_not_R),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
