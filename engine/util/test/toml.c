/* Unit tests for the TOML 1.0 parser (engine/util/toml.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "engine/util/toml.h"

static void parses_a_key (void **state)
{
    eddy_error_t err;
    json_t *o = eddy_toml_parse ("a = 1\n", 6, "t", &err);
    assert_non_null (o);
    assert_int_equal (json_integer_value (json_object_get (o, "a")), 1);
    json_decref (o);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (parses_a_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
