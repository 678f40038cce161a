/* opt.c - getopt_long arguments and --help text from one option table. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/opt.h"

/* "eddy-CMD: message" (cmd.c's eddy_cmd_error, here so that this file
 * links alone: into eddy-broker and the unit test).
 */
static void __attribute__ ((format (printf, 2, 3)))
error (const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf (stderr, "eddy-%s: ", cmd);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
}

static bool is_option (const struct eddy_opt *o)
{
    return o->kind == EDDY_OPT_KIND_FLAG || o->kind == EDDY_OPT_KIND_ARG ||
           o->kind == EDDY_OPT_KIND_OPTARG;
}

static int key_of (const struct eddy_opt *o)
{
    return o->key ? o->key : o->letter;
}

/* True if word is one of the space-separated words of list. */
static bool in_list (const char *list, const char *word)
{
    size_t n = strlen (word);
    const char *p = list;
    while (p && *p) {
        p += strspn (p, " ");
        size_t len = strcspn (p, " ");
        if (len == n && len > 0 && !strncmp (p, word, n))
            return true;
        p += len;
    }
    return false;
}

/* True if an entry under section (NULL: before any SUB) is one of sub's:
 * sub NULL takes every entry, "" the command's own.
 */
static bool belongs (const char *section, const char *sub)
{
    if (!sub)
        return true;
    if (!*sub)
        return section == NULL;
    return section && in_list (section, sub);
}

int eddy_opt_has_sub (const struct eddy_opt *table, const char *sub)
{
    const char *section = NULL;
    for (const struct eddy_opt *o = table; o && o->kind != EDDY_OPT_KIND_END; o++) {
        if (o->kind == EDDY_OPT_KIND_SUB)
            section = o->name;
        if (belongs (section, sub) &&
            (o->kind != EDDY_OPT_KIND_SUB || (o->help && *o->help)))
            return 1;
    }
    return 0;
}

struct option *eddy_opt_getopt (const struct eddy_opt *table,
                                const char *sub,
                                int flags,
                                char **shortopts)
{
    size_t n = 0;
    for (const struct eddy_opt *o = table; o && o->kind != EDDY_OPT_KIND_END; o++)
        n++;
    struct option *lo = calloc (n + 2, sizeof (*lo));
    char *so = malloc (3 * n + 5);
    if (!lo || !so) {
        free (lo);
        free (so);
        errno = ENOMEM;
        return NULL;
    }
    /* sub NULL here means the command's own options */
    const char *want = sub ? sub : "";
    const char *section = NULL;
    size_t nl = 0, ns = 0;
    bool has_help = false, h_taken = false;
    if (flags & EDDY_OPT_INORDER)
        so[ns++] = '+';
    so[ns++] = ':';
    for (const struct eddy_opt *o = table; o && o->kind != EDDY_OPT_KIND_END; o++) {
        if (o->kind == EDDY_OPT_KIND_SUB)
            section = o->name;
        if (!is_option (o) || !belongs (section, want))
            continue;
        int has_arg = o->kind == EDDY_OPT_KIND_ARG      ? required_argument
                      : o->kind == EDDY_OPT_KIND_OPTARG ? optional_argument
                                                        : no_argument;
        if (o->name) {
            bool dup = false;
            for (size_t i = 0; i < nl; i++)
                dup = dup || !strcmp (lo[i].name, o->name);
            if (!dup)
                lo[nl++] = (struct option){o->name, has_arg, NULL, key_of (o)};
            has_help = has_help || !strcmp (o->name, "help");
        }
        if (o->letter && !memchr (so, o->letter, ns)) {
            so[ns++] = (char)o->letter;
            if (has_arg == required_argument)
                so[ns++] = ':';
            else if (has_arg == optional_argument) {
                so[ns++] = ':';
                so[ns++] = ':';
            }
        }
        if (o->letter == 'h')
            h_taken = true;
    }
    if (!h_taken) {
        so[ns++] = 'h';
        if (!has_help)
            lo[nl++] = (struct option){"help", no_argument, NULL, 'h'};
    } else if (!has_help)
        lo[nl++] = (struct option){"help", no_argument, NULL, EDDY_OPT_HELP_KEY};
    so[ns] = '\0';
    lo[nl] = (struct option){NULL, 0, NULL, 0};
    *shortopts = so;
    return lo;
}

/* Print text with the cursor at column at (>= col): words wrapped at the
 * width, each line after the first from column col; a '\n' in text
 * starts a new line.
 */
static void wrap (FILE *f, const char *text, int col, int at)
{
    bool start = true; /* nothing on this line yet but the indent */
    for (const char *p = text; *p;) {
        if (*p == '\n' || *p == ' ') {
            if (*p++ == '\n') {
                fprintf (f, "\n%*s", col, "");
                at = col;
                start = true;
            }
            continue;
        }
        int len = (int)strcspn (p, " \n");
        if (!start && at + 1 + len > EDDY_OPT_WIDTH) {
            fprintf (f, "\n%*s", col, "");
            at = col;
            start = true;
        }
        if (!start) {
            fputc (' ', f);
            at++;
        }
        fwrite (p, 1, (size_t)len, f);
        at += len;
        p += len;
        start = false;
    }
    fputc ('\n', f);
}

/* "  -r, --rank=R", "      --json" (long only) or "  -A" (short only),
 * then its help from EDDY_OPT_HELP_COL, or two spaces on if longer.
 */
static void option_line (FILE *f, const struct eddy_opt *o)
{
    char left[128];
    int n;
    const char *arg = o->arg ? o->arg : "ARG";
    if (o->letter && o->name)
        n = snprintf (left, sizeof (left), "  -%c, --%s", o->letter, o->name);
    else if (o->letter)
        n = snprintf (left, sizeof (left), "  -%c", o->letter);
    else
        n = snprintf (left, sizeof (left), "      --%s", o->name);
    if (o->kind == EDDY_OPT_KIND_ARG)
        n += snprintf (left + n, sizeof (left) - (size_t)n, o->name ? "=%s" : " %s",
                       arg);
    else if (o->kind == EDDY_OPT_KIND_OPTARG)
        n += snprintf (left + n, sizeof (left) - (size_t)n, "[=%s]", arg);
    if (!*o->help) {
        fprintf (f, "%s\n", left);
        return;
    }
    int at = n + 2 > EDDY_OPT_HELP_COL ? n + 2 : EDDY_OPT_HELP_COL;
    fprintf (f, "%-*s", at, left);
    wrap (f, o->help, EDDY_OPT_HELP_COL, at);
}

void eddy_opt_help (FILE *f, const struct eddy_opt *table, const char *sub)
{
    const char *section = NULL;
    for (const struct eddy_opt *o = table; o && o->kind != EDDY_OPT_KIND_END; o++) {
        if (o->kind == EDDY_OPT_KIND_SUB)
            section = o->name;
        if (!belongs (section, sub) || !o->help)
            continue;
        if (o->kind == EDDY_OPT_KIND_TEXT || o->kind == EDDY_OPT_KIND_SUB)
            fputs (o->help, f);
        else
            option_line (f, o);
    }
}

static bool has_sections (const struct eddy_opt *table)
{
    for (const struct eddy_opt *o = table; o && o->kind != EDDY_OPT_KIND_END; o++)
        if (o->kind == EDDY_OPT_KIND_SUB)
            return true;
    return false;
}

/* The command line whose --help covers this parse: "eddy NAME [SUB]";
 * eddy-broker's own name; a subcommand with a table of its own (one
 * usage line "eddy sim replay ...") with its word.
 */
static void
program (const struct eddy_cmd *cmd, const char *sub, char *buf, size_t size)
{
    const char *u = cmd->usage;
    if (!strncmp (u, "eddy-", 5)) {
        snprintf (buf, size, "%.*s", (int)strcspn (u, " "), u);
        return;
    }
    if (sub && *sub && eddy_opt_has_sub (cmd->opts, sub)) {
        snprintf (buf, size, "eddy %s %s", cmd->name, sub);
        return;
    }
    size_t n = strlen (cmd->name);
    if (!has_sections (cmd->opts) && !strpbrk (u, "|\n") && !strncmp (u, "eddy ", 5) &&
        !strncmp (u + 5, cmd->name, n) && u[5 + n] == ' ') {
        const char *w = u + 6 + n;
        size_t len = strspn (w, "abcdefghijklmnopqrstuvwxyz-");
        if (len > 0 && (w[len] == ' ' || w[len] == '\0')) {
            snprintf (buf, size, "eddy %s %.*s", cmd->name, (int)len, w);
            return;
        }
    }
    snprintf (buf, size, "eddy %s", cmd->name);
}

void eddy_opt_usage (const struct eddy_cmd *cmd, const char *sub, int error)
{
    FILE *f = error ? stderr : stdout;
    if (error > 1)
        fprintf (f, "eddy-%s: usage: %s\n", cmd->name, cmd->usage);
    else
        fprintf (f, "Usage: %s\n", cmd->usage);
    if (error) {
        char prog[128];
        program (cmd, sub, prog, sizeof (prog));
        fprintf (f, "Try '%s --help' for more information.\n", prog);
        exit (1);
    }
    fprintf (f, "%s\n", cmd->summary);
    if (cmd->opts && eddy_opt_has_sub (cmd->opts, sub && *sub ? sub : NULL)) {
        fputc ('\n', f);
        eddy_opt_help (f, cmd->opts, sub && *sub ? sub : NULL);
    }
    exit (0);
}

/* The parser's state: the getopt arguments of the last (cmd, sub). */
static struct {
    const struct eddy_cmd *cmd;
    char *sub;
    int flags;
    struct option *lo;
    char *so;
    bool parsing; /* between a parse's first call and its -1 */
} cur;

/* The name of a long option as given (without '=' and what follows). */
static void long_name (const char *arg, char *buf, size_t size)
{
    size_t n = strcspn (arg, "=");
    if (n >= size)
        n = size - 1;
    memcpy (buf, arg, n);
    buf[n] = '\0';
}

/* The number of long options name (without "--") is a prefix of; exact:
 * set if one is name itself.
 */
static int prefix_matches (const char *name, bool *exact)
{
    int n = 0;
    *exact = false;
    for (struct option *lo = cur.lo; lo->name; lo++) {
        if (!strncmp (lo->name, name, strlen (name)))
            n++;
        if (!strcmp (lo->name, name))
            *exact = true;
    }
    return n;
}

static void bad_option (const char *cmd, int c, int argc, char **argv)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    /* a bad letter inside a cluster (-qx) leaves optind on it, so
     * argv[optind - 1] may be an earlier, good, long option: a bad long
     * option has optopt 0, a flag given an argument its '=' */
    bool islong = !strncmp (arg, "--", 2) && (c == ':' || !optopt || strchr (arg, '='));
    char name[128];
    if (islong)
        long_name (arg, name, sizeof (name));
    if (c == ':') {
        if (islong)
            error (cmd, "option '%s' requires an argument", name);
        else
            error (cmd, "option '-%c' requires an argument", optopt);
    } else if (islong) {
        bool exact;
        int n = prefix_matches (name + 2, &exact);
        if (strchr (arg, '=') && (exact || n == 1))
            error (cmd, "option '%s' takes no argument", name);
        else if (n > 1)
            error (cmd, "option '%s' is ambiguous", name);
        else
            error (cmd, "unrecognized option '%s'", name);
    } else if (optopt)
        error (cmd, "invalid option '-%c'", optopt);
    else
        error (cmd, "invalid option '%s'", arg);
}

/* -h means --help unless an option other than --help has it. */
static bool h_is_help (const struct eddy_opt *table)
{
    for (const struct eddy_opt *o = table; o && o->kind != EDDY_OPT_KIND_END; o++)
        if (is_option (o) && key_of (o) == 'h' &&
            !(o->name && !strcmp (o->name, "help")))
            return false;
    return true;
}

int eddy_opt_next (
    const struct eddy_cmd *cmd, const char *sub, int flags, int argc, char **argv)
{
    const char *s = sub ? sub : "";
    bool changed =
        cur.cmd != cmd || cur.flags != flags || !cur.sub || strcmp (cur.sub, s) != 0;
    /* glibc reads the ordering ("+") only when it initialises, which
     * optind = 0 asks for: do so at the start of each parse */
    if ((changed || !cur.parsing) && optind == 1)
        optind = 0;
    cur.parsing = true;
    if (changed) {
        free (cur.lo);
        free (cur.so);
        free (cur.sub);
        cur.cmd = cmd;
        cur.flags = flags;
        cur.sub = strdup (s);
        if (!cur.sub || !(cur.lo = eddy_opt_getopt (cmd->opts, s, flags, &cur.so))) {
            error (cmd->name, "out of memory");
            exit (1);
        }
    }
    opterr = 0;
    int c = getopt_long (argc, argv, cur.so, cur.lo, NULL);
    if (c == -1)
        cur.parsing = false;
    if (c == '?' || c == ':') {
        bad_option (cmd->name, c, argc, argv);
        eddy_opt_usage (cmd, s, 1);
    }
    if (c == EDDY_OPT_HELP_KEY)
        eddy_opt_usage (cmd, s, 0);
    if (c == 'h' && h_is_help (cmd->opts))
        eddy_opt_usage (cmd, s, 0);
    return c;
}

int eddy_opt_operands (const struct eddy_cmd *cmd,
                       const char *sub,
                       int argc,
                       char **argv)
{
    int c;
    optind = 1;
    /* an option of sub's table its caller does not take: a bug, said so */
    while ((c = eddy_opt_next (cmd, sub, EDDY_OPT_INORDER, argc, argv)) != -1) {
        error (cmd->name, "option '%s' is not handled (a bug)",
               optind > 0 && optind <= argc ? argv[optind - 1] : "?");
        exit (1);
    }
    return optind;
}
