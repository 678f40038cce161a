/* cmd.c - helpers shared by the eddy subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

const struct eddy_cmd *eddy_cmd_lookup (const char *name)
{
    for (int i = 0; eddy_cmds[i]; i++)
        if (!strcmp (eddy_cmds[i]->name, name))
            return eddy_cmds[i];
    return NULL;
}

static void verror (const char *cmd, const char *fmt, va_list ap)
{
    fprintf (stderr, "eddy-%s: ", cmd);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
}

void eddy_cmd_error (const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    verror (cmd, fmt, ap);
    va_end (ap);
}

void eddy_cmd_die (const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    verror (cmd, fmt, ap);
    va_end (ap);
    exit (1);
}

void eddy_cmd_usage (const struct eddy_cmd *cmd, bool error)
{
    /* a usage error with no message of its own: the usage says it */
    eddy_opt_usage (cmd, NULL, error ? 2 : 0);
}

void eddy_cmd_usage_error (const struct eddy_cmd *cmd,
                           const char *sub,
                           const char *fmt,
                           ...)
{
    va_list ap;
    va_start (ap, fmt);
    verror (cmd->name, fmt, ap);
    va_end (ap);
    eddy_opt_usage (cmd, sub, 1);
}

void eddy_cmd_operands (const struct eddy_cmd *cmd,
                        const char *sub,
                        int argc,
                        char **argv,
                        int first,
                        int min,
                        int max,
                        const char *missing)
{
    int n = argc - first;
    if (n < min)
        eddy_cmd_usage_error (cmd, sub, "%s", missing);
    if (max >= 0 && n > max)
        eddy_cmd_usage_error (cmd, sub, "%s%sunexpected argument '%s'", sub ? sub : "",
                              sub ? ": " : "", argv[first + max]);
}

void eddy_cmd_unhandled (const struct eddy_cmd *cmd, int key)
{
    for (const struct eddy_opt *o = cmd->opts; o && o->kind != EDDY_OPT_KIND_END; o++) {
        if (o->kind != EDDY_OPT_KIND_FLAG && o->kind != EDDY_OPT_KIND_ARG &&
            o->kind != EDDY_OPT_KIND_OPTARG)
            continue;
        if ((o->key ? o->key : o->letter) != key)
            continue;
        if (o->name)
            eddy_cmd_die (cmd->name, "option '--%s' is not handled (a bug)", o->name);
        eddy_cmd_die (cmd->name, "option '-%c' is not handled (a bug)", o->letter);
    }
    eddy_cmd_die (cmd->name, "option key %d is not handled (a bug)", key);
}

static void oom (void)
{
    fprintf (stderr, "eddy: out of memory\n");
    exit (1);
}

void *xmalloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        oom ();
    return p;
}

void *xcalloc (size_t n, size_t size)
{
    void *p = calloc (n ? n : 1, size ? size : 1);
    if (!p)
        oom ();
    return p;
}

char *xstrdup (const char *s)
{
    char *p = strdup (s);
    if (!p)
        oom ();
    return p;
}

char *xasprintf (const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start (ap, fmt);
    if (vasprintf (&s, fmt, ap) < 0)
        oom ();
    va_end (ap);
    return s;
}
