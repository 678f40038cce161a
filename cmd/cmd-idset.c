/* cmd-idset.c - `eddy idset`: encode, expand, count and combine RFC 22
 * idsets from the command line or standard input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/util/idset.h"

static int idset_run (int argc, char **argv);

const struct eddy_cmd cmd_idset = {
    .name = "idset",
    .usage =
        "eddy idset encode|expand|count|union|intersect|minus [OPTIONS] [IDSET...]",
    .summary = "Encode, expand, count and combine RFC 22 idsets.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("With no IDSET (or '-'), idsets are read from standard input, one or more\n"
                       "per line separated by white space.\n"
                       "\n"
                       "  encode     print the union of the idsets, compressed (1-3,5)\n"
                       "  expand     print every id of the union, one per line\n"
                       "  count      print the number of ids in the union\n"
                       "  union      print the union of all idsets\n"
                       "  intersect  print the ids common to all idsets\n"
                       "  minus      print the first idset without the ids of the others\n"),
        EDDY_OPT_SUB ("encode expand count union intersect minus", "\n"),
        EDDY_OPT_FLAG ("brackets", 'b', "encode with brackets ([1-3,5]) when > 1 id"),
        EDDY_OPT_FLAG ("list", 'l', "encode without ranges (1,2,3,5)"),
        EDDY_OPT_ARG ("delimiter", 'd', "S", "separate expanded ids with S (default newline)"),
        EDDY_OPT_FLAG ("help", 'h', "show this help"),
        EDDY_OPT_END,
    },
    .run = idset_run,
};

enum op { OP_ENCODE, OP_EXPAND, OP_COUNT, OP_UNION, OP_INTERSECT, OP_MINUS };

static const struct subcmd {
    const char *name;
    enum op op;
} subcmds[] = {
    {"encode", OP_ENCODE}, {"expand", OP_EXPAND},       {"count", OP_COUNT},
    {"union", OP_UNION},   {"intersect", OP_INTERSECT}, {"minus", OP_MINUS},
};


static eddy_idset_t *xdecode (const char *s)
{
    eddy_error_t err;
    eddy_idset_t *ids = eddy_idset_decode (s, &err);
    if (!ids)
        eddy_cmd_die ("idset", "invalid idset '%s': %s", s, err.text);
    return ids;
}

/* Combine one operand into acc (NULL = none yet). */
static eddy_idset_t *combine (eddy_idset_t *acc, const char *s, enum op op)
{
    eddy_idset_t *ids = xdecode (s);
    if (!acc)
        return ids;
    eddy_idset_t *out;
    if (op == OP_INTERSECT)
        out = eddy_idset_intersect (acc, ids);
    else if (op == OP_MINUS)
        out = eddy_idset_difference (acc, ids);
    else
        out = eddy_idset_union (acc, ids);
    if (!out)
        eddy_cmd_die ("idset", "out of memory");
    eddy_idset_destroy (acc);
    eddy_idset_destroy (ids);
    return out;
}

static eddy_idset_t *combine_stdin (eddy_idset_t *acc, enum op op)
{
    char *line = NULL;
    size_t alloc = 0;
    while (getline (&line, &alloc, stdin) >= 0) {
        char *save = NULL;
        for (char *tok = strtok_r (line, " \t\r\n", &save); tok;
             tok = strtok_r (NULL, " \t\r\n", &save))
            acc = combine (acc, tok, op);
    }
    free (line);
    return acc;
}

static int idset_run (int argc, char **argv)
{
    int flags = EDDY_IDSET_RANGE;
    const char *delim = "\n";
    int c;

    if (eddy_opt_operands (&cmd_idset, NULL, argc, argv) >= argc)
        eddy_cmd_usage_error (
            &cmd_idset, NULL,
            "needs a subcommand: encode, expand, count, union, intersect, "
            "minus");
    const struct subcmd *sub = NULL;
    for (size_t i = 0; i < sizeof (subcmds) / sizeof (subcmds[0]); i++)
        if (!strcmp (subcmds[i].name, argv[1]))
            sub = &subcmds[i];
    if (!sub)
        eddy_cmd_die ("idset", "unknown subcommand '%s'", argv[1]);
    argc--;
    argv++;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_idset, sub->name, 0, argc, argv)) != -1) {
        switch (c) {
        case 'b':
            flags |= EDDY_IDSET_BRACKETS;
            break;
        case 'l':
            flags &= ~EDDY_IDSET_RANGE;
            break;
        case 'd':
            delim = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_idset, c);
        }
    }
    eddy_idset_t *acc = NULL;
    if (optind == argc)
        acc = combine_stdin (NULL, sub->op);
    for (int i = optind; i < argc; i++) {
        if (!strcmp (argv[i], "-"))
            acc = combine_stdin (acc, sub->op);
        else
            acc = combine (acc, argv[i], sub->op);
    }
    if (!acc && !(acc = eddy_idset_create ()))
        eddy_cmd_die ("idset", "out of memory");
    if (sub->op == OP_COUNT)
        printf ("%zu\n", eddy_idset_count (acc));
    else if (sub->op == OP_EXPAND) {
        for (unsigned id = eddy_idset_first (acc); id != EDDY_IDSET_INVALID_ID;) {
            unsigned next = eddy_idset_next (acc, id);
            printf ("%u%s", id, next != EDDY_IDSET_INVALID_ID ? delim : "\n");
            id = next;
        }
    } else {
        char *s = eddy_idset_encode (acc, flags);
        if (!s)
            eddy_cmd_die ("idset", "out of memory");
        printf ("%s\n", s);
        free (s);
    }
    eddy_idset_destroy (acc);
    if (fflush (stdout) != 0)
        eddy_cmd_die ("idset", "error writing output");
    return 0;
}
