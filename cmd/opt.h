/* opt.h - one option table per command: it drives getopt_long and prints
 * the option lines of --help, so the help cannot list an option the parser
 * refuses, nor omit one it takes (issue 16).
 *
 * A table is an array of entries ended by EDDY_OPT_END.  Option entries
 * before the first EDDY_OPT_SUB belong to the command's own parser;
 * EDDY_OPT_SUB ("get watch", text) starts the options of the subcommands
 * it names (space separated), until the next EDDY_OPT_SUB.  Text entries
 * are prose printed as they are, where they stand.
 */
#ifndef EDDY_CMD_OPT_H
#define EDDY_CMD_OPT_H

#include <getopt.h>
#include <stdio.h>

struct eddy_cmd;

enum eddy_opt_kind {
    EDDY_OPT_KIND_END = 0,
    EDDY_OPT_KIND_FLAG,   /* no argument */
    EDDY_OPT_KIND_ARG,    /* a required argument */
    EDDY_OPT_KIND_OPTARG, /* an optional argument (--name=ARG only) */
    EDDY_OPT_KIND_TEXT,   /* prose */
    EDDY_OPT_KIND_SUB,    /* the start of some subcommands' options */
};

struct eddy_opt {
    enum eddy_opt_kind kind;
    const char *name; /* long name, or NULL; SUB: the subcommands */
    int letter;       /* short option, or 0 */
    int key;          /* what the parser returns; 0: letter */
    const char *arg;  /* the argument's name in the help */
    const char *help; /* one line, wrapped when printed ('\n' breaks it);
                       * NULL: parsed but not listed (an alias the help of
                       * another entry names); TEXT, SUB: printed as is */
};

#define EDDY_OPT_FLAG(n, l, h)                                                         \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_FLAG, .name = n, .letter = l, .help = h                  \
    }
#define EDDY_OPT_ARG(n, l, a, h)                                                       \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_ARG, .name = n, .letter = l, .arg = a, .help = h         \
    }
/* long only, the parser returning k */
#define EDDY_OPT_LFLAG(n, k, h)                                                        \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_FLAG, .name = n, .key = k, .help = h                     \
    }
#define EDDY_OPT_LARG(n, k, a, h)                                                      \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_ARG, .name = n, .key = k, .arg = a, .help = h            \
    }
#define EDDY_OPT_LOPTARG(n, k, a, h)                                                   \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_OPTARG, .name = n, .key = k, .arg = a, .help = h         \
    }
#define EDDY_OPT_TEXT(t)                                                               \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_TEXT, .help = t                                          \
    }
#define EDDY_OPT_SUB(s, t)                                                             \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_SUB, .name = s, .help = t                                \
    }
#define EDDY_OPT_END                                                                   \
    {                                                                                  \
        .kind = EDDY_OPT_KIND_END                                                      \
    }

/* What a parser returns for --help when -h is some other option's. */
#define EDDY_OPT_HELP_KEY 0x10000

/* The column option help starts at, and the width it wraps within. */
#define EDDY_OPT_HELP_COL 24
#define EDDY_OPT_WIDTH 79

enum eddy_opt_flags {
    EDDY_OPT_INORDER = 1, /* stop at the first operand (getopt's "+") */
};

/* Generators (pure: a table in, strings out)
 *
 * eddy_opt_getopt builds the getopt_long arguments for the options of sub
 * (NULL: the command's own): a NULL-terminated struct option array and the
 * short option string, starting "+:" with EDDY_OPT_INORDER, ":" without
 * (so a missing argument returns ':'), each letter once.  --help and -h
 * are added unless the table has them (-h: unless a letter of another
 * option; then --help returns EDDY_OPT_HELP_KEY).  Both are malloc'd, the
 * caller frees them; NULL (ENOMEM) on failure.
 *
 * eddy_opt_help prints the option lines and text of sub's entries (NULL:
 * the whole table): "  -r, --rank=R", "      --json" (long only) or
 * "  -A" (short only), its help from column EDDY_OPT_HELP_COL (after two
 * spaces if the left part is longer), wrapped at EDDY_OPT_WIDTH with
 * continuation lines at that column.
 */
struct option *eddy_opt_getopt (const struct eddy_opt *table,
                                const char *sub,
                                int flags,
                                char **shortopts);
void eddy_opt_help (FILE *f, const struct eddy_opt *table, const char *sub);

/* True if the table has options or text for sub. */
int eddy_opt_has_sub (const struct eddy_opt *table, const char *sub);

/* The parser
 *
 * eddy_opt_next is getopt_long over cmd->opts' options of sub: it returns
 * the next option's key (optarg set as getopt sets it) or -1 at the end.
 * It prints "eddy-CMD: ..." for an unknown or ambiguous option, a missing
 * argument or an argument to a flag, with the usage, and exits 1; for
 * --help (and -h when free) it prints the help of sub and exits 0.  The
 * caller sets optind = 1 (or 0) before its first call; a parse starts
 * afresh then, its ordering (EDDY_OPT_INORDER or not) its own.  Not
 * reentrant: one parse at a time.
 */
int eddy_opt_next (
    const struct eddy_cmd *cmd, const char *sub, int flags, int argc, char **argv);

/* For a subcommand without options: takes --help, refuses any other
 * option before the first operand (as eddy_opt_next), returns the index
 * of the first operand (optind).
 */
int eddy_opt_operands (const struct eddy_cmd *cmd,
                       const char *sub,
                       int argc,
                       char **argv);

/* Print "Usage: ...", and with !error the summary and the help of sub
 * (NULL: the whole table) to stdout and exit 0; with error a pointer to
 * --help to stderr and exit 1.  error 2: no message said what is wrong,
 * so the usage is it: "eddy-CMD: usage: ...".
 */
void eddy_opt_usage (const struct eddy_cmd *cmd, const char *sub, int error)
    __attribute__ ((noreturn));

#endif /* !EDDY_CMD_OPT_H */
