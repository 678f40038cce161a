/* The option table's generators: a table in, getopt_long's arguments and
 * the --help lines out, each expected string worked out by hand.
 */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/opt.h"

/* A command of its own options, then two subcommands sharing a section
 * and one with its own; -h is --recurse's in "ls".
 */
static const struct eddy_opt table[] = {
    EDDY_OPT_ARG ("namespace", 'N', "NS", "use namespace NS"),
    EDDY_OPT_SUB ("get watch", "get, watch: read keys.\n"),
    EDDY_OPT_FLAG ("watch", 'w', "keep printing changes"),
    EDDY_OPT_LARG ("count", 'c', "N", "stop after N values"),
    EDDY_OPT_SUB ("ls", "ls: list a directory.\n"),
    EDDY_OPT_FLAG ("recurse", 'h', "into directories"),
    EDDY_OPT_FLAG (NULL, 'A', "short only"),
    EDDY_OPT_LOPTARG ("color", 'C', "WHEN", "always, never or auto"),
    EDDY_OPT_FLAG ("recursive", 'h', NULL),
    EDDY_OPT_TEXT ("Prose stays as written.\n"),
    EDDY_OPT_END,
};

static char *help_of (const struct eddy_opt *t, const char *sub)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    assert_non_null (f);
    eddy_opt_help (f, t, sub);
    fclose (f);
    return buf;
}

static void test_own_options_parse_in_order (void **state)
{
    char *so;
    struct option *lo = eddy_opt_getopt (table, NULL, EDDY_OPT_INORDER, &so);
    assert_non_null (lo);
    assert_string_equal (so, "+:N:h");
    assert_string_equal (lo[0].name, "namespace");
    assert_int_equal (lo[0].has_arg, required_argument);
    assert_int_equal (lo[0].val, 'N');
    assert_string_equal (lo[1].name, "help");
    assert_int_equal (lo[1].val, 'h');
    assert_null (lo[2].name);
    free (lo);
    free (so);
}

static void test_a_section_serves_each_subcommand_it_names (void **state)
{
    char *so;
    struct option *lo = eddy_opt_getopt (table, "watch", 0, &so);
    assert_string_equal (so, ":wh");
    assert_string_equal (lo[0].name, "watch");
    assert_int_equal (lo[0].val, 'w');
    assert_string_equal (lo[1].name, "count");
    assert_int_equal (lo[1].has_arg, required_argument);
    assert_int_equal (lo[1].val, 'c');
    assert_string_equal (lo[2].name, "help");
    assert_null (lo[3].name);
    free (lo);
    free (so);
}

static void test_taken_h_leaves_help_long_only (void **state)
{
    char *so;
    struct option *lo = eddy_opt_getopt (table, "ls", 0, &so);
    /* -h once (two entries have it), A, no letter for --color */
    assert_string_equal (so, ":hA");
    assert_string_equal (lo[0].name, "recurse");
    assert_string_equal (lo[1].name, "color");
    assert_int_equal (lo[1].has_arg, optional_argument);
    assert_int_equal (lo[1].val, 'C');
    assert_string_equal (lo[2].name, "recursive");
    assert_string_equal (lo[3].name, "help");
    assert_int_equal (lo[3].val, EDDY_OPT_HELP_KEY);
    assert_null (lo[4].name);
    free (lo);
    free (so);
}

static void test_unknown_subcommand_has_help_only (void **state)
{
    char *so;
    struct option *lo = eddy_opt_getopt (table, "put", 0, &so);
    assert_string_equal (so, ":h");
    assert_string_equal (lo[0].name, "help");
    assert_null (lo[1].name);
    assert_int_equal (eddy_opt_has_sub (table, "put"), 0);
    assert_int_equal (eddy_opt_has_sub (table, "ls"), 1);
    free (lo);
    free (so);
}

static void test_whole_help_in_table_order (void **state)
{
    char *h = help_of (table, NULL);
    assert_string_equal (h, "  -N, --namespace=NS    use namespace NS\n"
                            "get, watch: read keys.\n"
                            "  -w, --watch           keep printing changes\n"
                            "      --count=N         stop after N values\n"
                            "ls: list a directory.\n"
                            "  -h, --recurse         into directories\n"
                            "  -A                    short only\n"
                            "      --color[=WHEN]    always, never or auto\n"
                            "Prose stays as written.\n");
    free (h);
}

static void test_help_of_one_subcommand (void **state)
{
    char *h = help_of (table, "get");
    assert_string_equal (h, "get, watch: read keys.\n"
                            "  -w, --watch           keep printing changes\n"
                            "      --count=N         stop after N values\n");
    free (h);
    h = help_of (table, "");
    assert_string_equal (h, "  -N, --namespace=NS    use namespace NS\n");
    free (h);
}

static void test_long_help_wraps_at_the_column (void **state)
{
    static const struct eddy_opt t[] = {
        EDDY_OPT_ARG (
            "rank", 'r', "R",
            "ask rank R (default: the local broker); a rank that is not up answers "
            "nothing and the command waits"),
        EDDY_OPT_ARG ("cores-per-task", 'c', "N", "cores per task (default 1)"),
        EDDY_OPT_LARG ("begin-time", 'B', "TIME",
                       "hold the job until TIME:\n+DURATION or epoch seconds"),
        EDDY_OPT_END,
    };
    char *h = help_of (t, NULL);
    assert_string_equal (
        h, "  -r, --rank=R          ask rank R (default: the local broker); a rank "
           "that is\n"
           "                        not up answers nothing and the command waits\n"
           "  -c, --cores-per-task=N  cores per task (default 1)\n"
           "      --begin-time=TIME  hold the job until TIME:\n"
           "                        +DURATION or epoch seconds\n");
    for (char *line = strtok (h, "\n"); line; line = strtok (NULL, "\n"))
        assert_true (strlen (line) <= EDDY_OPT_WIDTH);
    free (h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_own_options_parse_in_order),
        cmocka_unit_test (test_a_section_serves_each_subcommand_it_names),
        cmocka_unit_test (test_taken_h_leaves_help_long_only),
        cmocka_unit_test (test_unknown_subcommand_has_help_only),
        cmocka_unit_test (test_whole_help_in_table_order),
        cmocka_unit_test (test_help_of_one_subcommand),
        cmocka_unit_test (test_long_help_wraps_at_the_column),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
