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
