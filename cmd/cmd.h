/* cmd.h - the eddy front end's subcommand table and shared helpers.
 *
 * Each subcommand is one file exporting a const struct eddy_cmd; the table
 * in builtins.c lists them.  run () gets argv with argv[0] = the command
 * name and returns the process exit status.
 */
#ifndef EDDY_CMD_H
#define EDDY_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/opt.h"

struct eddy_cmd {
    const char *name;
    const char *usage;   /* "eddy NAME [OPTIONS] ARGS..." */
    const char *summary; /* one line for `eddy help` */
    const struct eddy_opt *opts; /* its options and help text (cmd/opt.h); may be NULL */
    int (*run) (int argc, char **argv);
};

/* The table (builtins.c), NULL-terminated. */
extern const struct eddy_cmd *const eddy_cmds[];

const struct eddy_cmd *eddy_cmd_lookup (const char *name);

/* Print "eddy-CMD: message" to stderr.  die exits 1; fatal exits with code. */
void eddy_cmd_error (const char *cmd, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void eddy_cmd_die (const char *cmd, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));

/* Print the command's usage and help to stdout (for --help, exit 0) or,
 * with error, "eddy-CMD: usage: ..." to stderr and exit 1; that says
 * nothing of what was wrong, so a usage error is eddy_cmd_usage_error's
 * (below), and nothing here passes true (issue 16).
 */
void eddy_cmd_usage (const struct eddy_cmd *cmd, bool error) __attribute__ ((noreturn));

/* A usage error: print "eddy-CMD: message" (what was wrong, in the
 * command's terms), then "Usage: ..." and "Try 'eddy CMD [SUB] --help' for
 * more information." to stderr, and exit 1.  sub: the subcommand whose
 * --help to point at (NULL: the command's).
 */
void eddy_cmd_usage_error (const struct eddy_cmd *cmd,
                           const char *sub,
                           const char *fmt,
                           ...) __attribute__ ((format (printf, 3, 4), noreturn));

/* Check the operand count of argv[first..argc): fewer than min is the usage
 * error missing ("get needs a KEY"), more than max (max < 0: no limit)
 * "SUB: unexpected argument 'X'" naming the first one too many.
 */
void eddy_cmd_operands (const struct eddy_cmd *cmd,
                        const char *sub,
                        int argc,
                        char **argv,
                        int first,
                        int min,
                        int max,
                        const char *missing);

/* For the default: of a switch over eddy_opt_next's keys: an option the
 * table lists that the switch does not take (a bug, not the user's): says
 * so, naming it, and exits 1.
 */
void eddy_cmd_unhandled (const struct eddy_cmd *cmd, int key)
    __attribute__ ((noreturn));

/* Allocation that exits on failure (front ends may abort on OOM). */
void *xmalloc (size_t size);
void *xcalloc (size_t n, size_t size);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif /* !EDDY_CMD_H */
