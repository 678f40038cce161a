/* Unit tests for engine/util/fluid: generator monotonicity and text forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine/util/fluid.h"

static void ids_carry_timestamp_genid_and_sequence (void **state)
{
    struct eddy_fluid_gen gen;
    eddy_fluid_t a, b;
    assert_int_equal (eddy_fluid_init (&gen, 77), 0);
    assert_int_equal (eddy_fluid_generate (&gen, 1000, &a), 0);
    assert_int_equal (eddy_fluid_generate (&gen, 1000, &b), 0);
    assert_int_equal (eddy_fluid_timestamp (a), 1000);
    assert_int_equal (eddy_fluid_genid (a), 77);
    assert_int_equal (eddy_fluid_sequence (a), 0);
    assert_int_equal (eddy_fluid_sequence (b), 1);
    assert_true (b > a);
    errno = 0;
    assert_int_equal (eddy_fluid_init (&gen, 16384), -1);
    assert_int_equal (errno, EINVAL);
}

static void clock_going_back_keeps_ids_increasing (void **state)
{
    struct eddy_fluid_gen gen;
    eddy_fluid_t a, b, c;
    eddy_fluid_init (&gen, 1);
    assert_int_equal (eddy_fluid_generate (&gen, 5000, &a), 0);
    assert_int_equal (eddy_fluid_generate (&gen, 10, &b), 0);
    assert_true (b > a);
    assert_int_equal (eddy_fluid_timestamp (b), 5000);
    assert_int_equal (eddy_fluid_generate (&gen, 5001, &c), 0);
    assert_int_equal (eddy_fluid_timestamp (c), 5001);
    assert_int_equal (eddy_fluid_sequence (c), 0);
}

static void sequence_wrap_advances_the_timestamp (void **state)
{
    struct eddy_fluid_gen gen;
    eddy_fluid_t prev = 0, id;
    eddy_fluid_init (&gen, 3);
    for (int i = 0; i < 1024; i++) {
        assert_int_equal (eddy_fluid_generate (&gen, 42, &id), 0);
        assert_true (i == 0 || id > prev);
        prev = id;
    }
    assert_int_equal (eddy_fluid_sequence (prev), 1023);
    assert_int_equal (eddy_fluid_generate (&gen, 42, &id), 0);
    assert_true (id > prev);
    assert_int_equal (eddy_fluid_timestamp (id), 43);
    assert_int_equal (eddy_fluid_sequence (id), 0);
}

static eddy_fluid_t make_id (uint64_t ts, uint32_t genid, uint32_t seq)
{
    return (ts << (EDDY_FLUID_ID_BITS + EDDY_FLUID_SEQ_BITS))
           | ((uint64_t)genid << EDDY_FLUID_SEQ_BITS) | seq;
}

static void floor_keeps_ids_above_a_previous_run (void **state)
{
    struct eddy_fluid_gen gen;
    eddy_fluid_t id, floor = make_id (9000, 0, 7);

    /* the clock is behind the floor: ids stay above it */
    eddy_fluid_init (&gen, 0);
    assert_int_equal (eddy_fluid_set_floor (&gen, floor), 0);
    assert_int_equal (eddy_fluid_generate (&gen, 100, &id), 0);
    assert_true (id > floor);
    assert_int_equal (id, make_id (9000, 0, 8)); /* same generator: next sequence */

    /* another generator's floor at the same ms: the next ms */
    eddy_fluid_init (&gen, 5);
    eddy_fluid_set_floor (&gen, make_id (9000, 9, 3));
    assert_int_equal (eddy_fluid_generate (&gen, 9000, &id), 0);
    assert_true (id > make_id (9000, 9, 3));
    assert_int_equal (eddy_fluid_timestamp (id), 9001);

    /* the clock is ahead: ids follow the clock as before */
    eddy_fluid_init (&gen, 0);
    eddy_fluid_set_floor (&gen, floor);
    assert_int_equal (eddy_fluid_generate (&gen, 20000, &id), 0);
    assert_int_equal (id, make_id (20000, 0, 0));
}

static void floor_below_the_last_id_changes_nothing (void **state)
{
    struct eddy_fluid_gen gen;
    eddy_fluid_t a, b;
    eddy_fluid_init (&gen, 2);
    assert_int_equal (eddy_fluid_generate (&gen, 5000, &a), 0);
    assert_int_equal (eddy_fluid_set_floor (&gen, make_id (10, 0, 0)), 0);
    assert_int_equal (eddy_fluid_generate (&gen, 5000, &b), 0);
    assert_int_equal (b, a + 1);
    errno = 0;
    assert_int_equal (eddy_fluid_set_floor (NULL, 0), -1);
    assert_int_equal (errno, EINVAL);
}

static void timestamp_overflow_is_an_error (void **state)
{
    struct eddy_fluid_gen gen;
    eddy_fluid_t id = 0;
    eddy_fluid_init (&gen, 0);
    assert_int_equal (eddy_fluid_generate (&gen, (1ULL << 40) - 1, &id), 0);
    errno = 0;
    assert_int_equal (eddy_fluid_generate (&gen, 1ULL << 40, &id), -1);
    assert_int_equal (errno, EOVERFLOW);
}

static void assert_form (eddy_fluid_t id, eddy_fluid_type_t type, const char *want)
{
    char buf[EDDY_FLUID_STRMAX];
    eddy_fluid_t back;
    assert_int_equal (eddy_fluid_encode (buf, sizeof (buf), id, type),
                      (int)strlen (want));
    assert_string_equal (buf, want);
    assert_int_equal (eddy_fluid_decode (want, type, &back, NULL), 0);
    assert_true (back == id);
    assert_int_equal (eddy_fluid_parse (want, &back, NULL), 0);
    assert_true (back == id);
}

static void text_forms_of_zero_and_max (void **state)
{
    assert_form (0, EDDY_FLUID_F58, "ƒ1");
    assert_form (0, EDDY_FLUID_F58_ASCII, "f1");
    assert_form (0, EDDY_FLUID_HEX, "0x0");
    assert_form (0, EDDY_FLUID_DOTHEX, "0000.0000.0000.0000");
    assert_form (0, EDDY_FLUID_KVS, "job.0000.0000.0000.0000");
    assert_form (0, EDDY_FLUID_DEC, "0");
    assert_form (UINT64_MAX, EDDY_FLUID_F58, "ƒjpXCZedGfVQ");
    assert_form (UINT64_MAX, EDDY_FLUID_DEC, "18446744073709551615");
    assert_form (UINT64_MAX, EDDY_FLUID_HEX, "0xffffffffffffffff");
    assert_form (6787342413402046ULL, EDDY_FLUID_F58_ASCII, "fuzzybunny");
    assert_form (1, EDDY_FLUID_EMOJI, "😄");
}

static void encode_checks_buffer_size (void **state)
{
    char buf[4];
    errno = 0;
    assert_int_equal (eddy_fluid_encode (buf, sizeof (buf), 12345, EDDY_FLUID_DEC), -1);
    assert_int_equal (errno, EOVERFLOW);
    assert_int_equal (eddy_fluid_encode (buf, sizeof (buf), 1, EDDY_FLUID_WORDS), -1);
    assert_int_equal (errno, ENOTSUP);
}

static void decoders_reject_junk_and_overflow (void **state)
{
    const char *bad[] = {"",
                         "f",
                         "f0",
                         "fl",
                         "0x",
                         "0xg",
                         "0x10000000000000000",
                         "18446744073709551616",
                         "fjpXCZedGfVR",
                         "1.2.3",
                         "1.2.3.4.5",
                         "1.2.3.",
                         "12345.0.0.0",
                         "job.0.0",
                         "-1",
                         "  ",
                         "ƒ",
                         "\xf0\x9f"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_fluid_t id;
        eddy_error_t err = {{0}};
        if (eddy_fluid_parse (bad[i], &id, &err) == 0)
            fail_msg ("'%s' parsed as %llu", bad[i], (unsigned long long)id);
        assert_true (strlen (err.text) > 0);
    }
    eddy_fluid_t id;
    assert_int_equal (eddy_fluid_parse ("  0xffff\n", &id, NULL), 0);
    assert_true (id == 0xffff);
    errno = 0;
    assert_int_equal (eddy_fluid_decode ("1234", EDDY_FLUID_F58, &id, NULL), -1);
    assert_int_equal (errno, EINVAL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (ids_carry_timestamp_genid_and_sequence),
        cmocka_unit_test (clock_going_back_keeps_ids_increasing),
        cmocka_unit_test (sequence_wrap_advances_the_timestamp),
        cmocka_unit_test (floor_keeps_ids_above_a_previous_run),
        cmocka_unit_test (floor_below_the_last_id_changes_nothing),
        cmocka_unit_test (timestamp_overflow_is_an_error),
        cmocka_unit_test (text_forms_of_zero_and_max),
        cmocka_unit_test (encode_checks_buffer_size),
        cmocka_unit_test (decoders_reject_junk_and_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
