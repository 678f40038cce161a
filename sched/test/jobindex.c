/* Unit tests for sched/jobindex.c: the index keys of active jobs,
 * transactions for a job that becomes
 * active or inactive (sched/test/restart.c reads them back through a
 * KVS), and the descent to the largest job id over the job
 * directory's 16-bit levels, with its way back from an empty directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sched/jobindex.h"

static void an_index_key_names_the_id_as_its_job_directory_does (void **state)
{
    char key[64], jobkey[64];
    uint64_t id = 0x12ab0000ff01ULL;
    assert_int_equal (eddy_jobindex_key (key, sizeof (key), id),
                      (int)strlen ("job-index.active.0000.12ab.0000.ff01"));
    assert_string_equal (key, "job-index.active.0000.12ab.0000.ff01");
    /* the same groups as job.XXXX.XXXX.XXXX.XXXX, which the restart's
     * walk of the index relies on */
    assert_true (eddy_kvs_job_key (jobkey, sizeof (jobkey), id, NULL) > 0);
    assert_string_equal (key + strlen (EDDY_JOBINDEX_DIR), jobkey + strlen ("job"));
    assert_int_equal (eddy_jobindex_key (key, 20, 1), -1);
    assert_int_equal (errno, EOVERFLOW);
    assert_int_equal (eddy_jobindex_key (NULL, 0, 1), -1);
    assert_int_equal (errno, EINVAL);
}

static void a_transaction_refuses_nothing_but_a_missing_one (void **state)
{
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    assert_non_null (txn);
    assert_int_equal (eddy_jobindex_add (txn, 0x10), 0);
    assert_int_equal (eddy_jobindex_remove (txn, 0x20), 0);
    assert_int_equal (eddy_jobindex_mark (txn), 0);
    eddy_kvs_txn_destroy (txn);
    assert_int_equal (eddy_jobindex_add (NULL, 1), -1);
    assert_int_equal (errno, EINVAL);
}

static void the_descent_takes_the_largest_group_at_its_place (void **state)
{
    const char *names[] = { "0001", "00ff", "ff00", "0abc" };
    uint64_t id = 0;
    assert_int_equal (eddy_jobindex_max_entry (names, 4, 0, 0, 0x10000, &id), 0);
    assert_true (id == 0xff00000000000000ULL);
    assert_int_equal (eddy_jobindex_max_entry (names, 4, 3, 0x1234567800000000ULL, 0x10000, &id),
                      0);
    assert_true (id == 0x123456780000ff00ULL);
    assert_int_equal (eddy_jobindex_max_entry (names, 4, 1, 0x0001000000000000ULL, 0x10000, &id),
                      0);
    assert_true (id == 0x0001ff0000000000ULL);
}

static void after_an_empty_directory_it_looks_below_the_bound (void **state)
{
    const char *names[] = { "0001", "00ff", "ff00", "0abc" };
    uint64_t id = 0;
    assert_int_equal (eddy_jobindex_max_entry (names, 4, 2, 0, 0xff00, &id), 0);
    assert_true (id == 0x0abc0000ULL);
    assert_int_equal (eddy_jobindex_max_entry (names, 4, 2, 0, 1, &id), -1);
    assert_int_equal (errno, ENOENT);
}

static void names_that_are_not_job_directories_never_win (void **state)
{
    const char *names[] = { "zzzz", "FFFF", "12345", "eventlog", "0002" };
    uint64_t id = 0;
    assert_int_equal (eddy_jobindex_max_entry (names, 5, 3, 0, 0x10000, &id), 0);
    assert_true (id == 2);
    assert_int_equal (eddy_jobindex_max_entry (names, 4, 3, 0, 0x10000, &id), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (eddy_jobindex_max_entry (names, 0, 3, 0, 0x10000, &id), -1);
    assert_int_equal (eddy_jobindex_max_entry (names, 1, 4, 0, 0x10000, &id), -1);
    assert_int_equal (errno, EINVAL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (an_index_key_names_the_id_as_its_job_directory_does),
        cmocka_unit_test (a_transaction_refuses_nothing_but_a_missing_one),
        cmocka_unit_test (the_descent_takes_the_largest_group_at_its_place),
        cmocka_unit_test (after_an_empty_directory_it_looks_below_the_bound),
        cmocka_unit_test (names_that_are_not_job_directories_never_win),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
