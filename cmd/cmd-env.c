/* cmd-env.c - `eddy env [COMMAND...]` and `eddy version`.
 *
 * env prints the environment an eddy command gives what it runs (the
 * instance's URI, this eddy's directory first on PATH, where libpmi.so
 * is), as shell assignments, or runs COMMAND with it.
 */
#include "config.h"

#include <errno.h>
#include <hwloc.h>
#include <jansson.h>
#include <libgen.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int env_run (int argc, char **argv);
static int version_run (int argc, char **argv);

const struct eddy_cmd cmd_env = {
    .name = "env",
    .usage = "eddy env [COMMAND [ARGS...]]",
    .summary = "Print the instance's environment, or run a command in it.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Without COMMAND, print `export NAME='value'` lines for EDDY_URI (the\n"
                       "instance a command would reach: $EDDY_URI, else the system instance),\n"
                       "PATH (this eddy's directory first) and EDDY_PMI_LIBRARY_PATH (eddy's\n"
                       "libpmi.so); with COMMAND, run it with them set.\n"),
        EDDY_OPT_END,
    },
    .run = env_run,
};

const struct eddy_cmd cmd_version = {
    .name = "version",
    .usage = "eddy version",
    .summary = "Print eddy's version and what it was built with.",
    .run = version_run,
};

static char *self_dir (void)
{
    char buf[4096];
    ssize_t n = readlink ("/proc/self/exe", buf, sizeof (buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return xstrdup (dirname (buf));
}

/* eddy's libpmi.so: installed in $(pkglibdir); in a build tree beside it */
static char *pmi_library (const char *dir)
{
    char *p = xasprintf ("%s/../exec/libpmi/libpmi.so", dir);
    if (access (p, R_OK) == 0)
        return p;
    free (p);
    p = xasprintf ("%s/libpmi.so", PKGLIBDIR);
    if (access (p, R_OK) == 0)
        return p;
    free (p);
    return NULL;
}

static void put_quoted (const char *name, const char *value)
{
    printf ("export %s='", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            fputs ("'\\''", stdout);
        else
            putchar (*p);
    }
    printf ("'\n");
}

static int env_run (int argc, char **argv)
{
    int first = eddy_opt_operands (&cmd_env, NULL, argc, argv);
    char *uri = client_uri ("env");
    char *dir = self_dir ();
    const char *path = getenv ("PATH");
    char *newpath = dir ? xasprintf ("%s%s%s", dir, path && *path ? ":" : "", path ? path : "")
                        : xstrdup (path ? path : "");
    char *pmi = dir ? pmi_library (dir) : NULL;
    if (first >= argc) {
        put_quoted ("EDDY_URI", uri);
        put_quoted ("PATH", newpath);
        if (pmi)
            put_quoted ("EDDY_PMI_LIBRARY_PATH", pmi);
        free (uri);
        free (dir);
        free (newpath);
        free (pmi);
        return 0;
    }
    if (setenv ("EDDY_URI", uri, 1) < 0 || setenv ("PATH", newpath, 1) < 0
        || (pmi && setenv ("EDDY_PMI_LIBRARY_PATH", pmi, 1) < 0))
        eddy_cmd_die ("env", "setenv: %s", strerror (errno));
    execvp (argv[first], argv + first);
    eddy_cmd_die ("env", "%s: %s", argv[first], strerror (errno));
}

static int version_run (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_version, NULL, argc, argv);
    if (argc > i)
        eddy_cmd_die ("version", "unexpected argument '%s'", argv[i]);
    int zmaj, zmin, zpat;
    zmq_version (&zmaj, &zmin, &zpat);
    unsigned hw = hwloc_get_api_version ();
    printf ("eddy %s\n", PACKAGE_VERSION);
    printf ("  zeromq %d.%d.%d, sqlite %s, jansson %s, libsodium %s, hwloc %u.%u.%u\n", zmaj,
            zmin, zpat, sqlite3_libversion (), JANSSON_VERSION, sodium_version_string (),
            hw >> 16, (hw >> 8) & 0xff, hw & 0xff);
    return 0;
}
