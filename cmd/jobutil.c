/* jobutil.c - job ids, exit codes, and attaching to a job's output. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/sign.h"
#include "kvs/kvs.h"

uint64_t jobutil_parse_id (const char *cmd, const char *s)
{
    eddy_fluid_t id;
    eddy_error_t err;
    if (eddy_fluid_parse (s, &id, &err) < 0)
        eddy_cmd_die (cmd, "invalid job id '%s': %s", s, err.text);
    return id;
}

void jobutil_f58 (uint64_t id, char *buf, size_t len)
{
    if (eddy_fluid_encode (buf, len, id, eddy_fluid_type_lookup ("f58")) < 0)
        snprintf (buf, len, "%ju", (uintmax_t)id);
}

int jobutil_exit_code (json_t *result)
{
    int status = 0, success = 0;
    json_t *exc = NULL;
    if (json_unpack (result, "{s:b s?i s?o}", "success", &success, "status", &status, "exception",
                     &exc) < 0)
        return 1;
    if (success)
        return 0;
    if (json_object_get (result, "status")) {
        if (status & 0x7f)
            return 128 + (status & 0x7f);
        if ((status >> 8) & 0xff)
            return (status >> 8) & 0xff;
    }
    return 1;
}

struct attach {
    const char *cmd;
    eddy_handle_t *h;
    uint64_t id;
    eddy_future_t *wait_f;
    eddy_future_t *out_f;
    eddy_watcher_t *grace_w;
    json_t *result;
    int eofs;
    int streams; /* eof entries expected */
    bool done;
};

static void finish (struct attach *a)
{
    a->done = true;
    eddy_reactor_stop (eddy_handle_reactor (a->h));
}

static void print_entry (struct attach *a, json_t *entry)
{
    const char *name, *stream = "stdout", *data = NULL;
    json_t *ctx = NULL;
    if (json_unpack (entry, "{s:s s?o}", "name", &name, "context", &ctx) < 0)
        return;
    if (ctx)
        json_unpack (ctx, "{s?s s?s}", "stream", &stream, "data", &data);
    if (!strcmp (name, "data") && data) {
        FILE *f = !strcmp (stream, "stderr") ? stderr : stdout;
        fputs (data, f);
        fflush (f);
    }
    else if (!strcmp (name, "eof"))
        a->eofs++;
    else if (!strcmp (name, "header")) {
        int n = 0;
        json_unpack (ctx, "{s?i}", "streams", &n);
        if (n > 0)
            a->streams = n;
    }
}

static void output_cb (eddy_future_t *f, void *arg)
{
    struct attach *a = arg;
    const char *text;
    if (eddy_kvs_lookup_get (f, &text) < 0) {
        /* a guest's attach to another's job: say so, do not wait blind */
        if (errno == EPERM)
            eddy_cmd_die (a->cmd, "output: %s", eddy_future_error_string (f));
        eddy_future_destroy (f);
        a->out_f = NULL;
        return;
    }
    /* the appended text: one or more eventlog lines */
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr (p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen (p);
        char *line = strndup (p, n);
        json_t *e = line ? json_loads (line, 0, NULL) : NULL;
        if (e)
            print_entry (a, e);
        json_decref (e);
        free (line);
        p += n;
    }
    eddy_future_reset (f);
    if (a->result && a->eofs >= a->streams)
        finish (a);
}

static void grace_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    finish (arg);
}

static void wait_cb (eddy_future_t *f, void *arg)
{
    struct attach *a = arg;
    json_t *o;
    if (eddy_rpc_get (f, &o) < 0)
        eddy_cmd_die (a->cmd, "job-manager.wait: %s", eddy_future_error_string (f));
    a->result = json_incref (o);
    /* a job that never ran has no output to wait for; otherwise let the
     * last output arrive (its commit may trail the job's end a little) */
    if (!json_object_get (o, "status") || a->eofs >= a->streams)
        finish (a);
    else if ((a->grace_w = eddy_timer_create (eddy_handle_reactor (a->h), 5.0, 0, grace_cb, a)))
        eddy_watcher_start (a->grace_w);
}

int jobutil_attach (const char *cmd, eddy_handle_t *h, uint64_t id)
{
    struct attach a = { .cmd = cmd, .h = h, .id = id, .streams = 2 };
    char key[128];

    eddy_kvs_job_key (key, sizeof (key), id, "output");
    a.out_f = eddy_kvs_watch (h, NULL, EDDY_KVS_WAITCREATE | EDDY_KVS_WATCH_APPEND, key);
    if (!a.out_f || eddy_future_then (a.out_f, -1, output_cb, &a) < 0)
        eddy_cmd_die (cmd, "cannot watch the output of the job: %s", strerror (errno));
    a.wait_f = eddy_rpc_pack (h, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}", "id", (json_int_t)id);
    if (!a.wait_f || eddy_future_then (a.wait_f, -1, wait_cb, &a) < 0)
        eddy_cmd_die (cmd, "cannot wait for the job: %s", strerror (errno));
    while (!a.done)
        if (eddy_reactor_run (eddy_handle_reactor (h), EDDY_RUN_DEFAULT) < 0)
            eddy_cmd_die (cmd, "lost the connection to the broker");
    eddy_watcher_destroy (a.grace_w);
    if (a.out_f)
        eddy_kvs_watch_cancel (a.out_f);
    eddy_future_destroy (a.out_f);
    eddy_future_destroy (a.wait_f);
    json_t *exc = json_object_get (a.result, "exception");
    if (exc) {
        char f58[64];
        jobutil_f58 (id, f58, sizeof (f58));
        jobutil_print_exception (cmd, f58, exc);
    }
    int code = jobutil_exit_code (a.result);
    json_decref (a.result);
    return code;
}

void jobutil_print_exception (const char *cmd, const char *job, const json_t *exc)
{
    const char *type = json_string_value (json_object_get (exc, "type"));
    const char *note = json_string_value (json_object_get (exc, "note"));
    fprintf (stderr, "eddy-%s: %s: exception %s%s%s\n", cmd, job, type ? type : "?",
             note && *note ? ": " : "", note && *note ? note : "");
}

#define MAX_FILE_SIZE (64u << 20)

char *jobutil_read_file (const char *path, size_t *lenp)
{
    FILE *f = strcmp (path, "-") ? fopen (path, "rb") : stdin;
    size_t len = 0, size = 4096;
    char *buf;

    if (!f)
        return NULL;
    buf = xmalloc (size);
    for (;;) {
        /* one byte kept for the NUL that ends the text */
        size_t n = fread (buf + len, 1, size - 1 - len, f);
        len += n;
        if (len < size - 1) {
            if (ferror (f)) {
                free (buf);
                buf = NULL;
                errno = EIO;
            }
            break;
        }
        if (size >= MAX_FILE_SIZE) {
            free (buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        size *= 2;
        char *nbuf = realloc (buf, size);
        if (!nbuf) {
            free (buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nbuf;
    }
    if (f != stdin)
        fclose (f);
    if (buf)
        buf[len] = '\0';
    *lenp = len;
    return buf;
}

struct eddy_sign_conf *jobutil_sign_open (const char *cmd, eddy_handle_t *h)
{
    struct eddy_sign_conf *conf = xcalloc (1, sizeof (*conf));
    const char *type = NULL, *sock = NULL, *env = getenv ("EDDY_SIGN_TYPE");
    eddy_future_t *f = eddy_rpc (h, "job-ingest.sign-info", NULL, EDDY_NODEID_ANY, 0);

    eddy_sign_conf_init (conf, false);
    if (!f)
        eddy_cmd_die (cmd, "job-ingest.sign-info: %s", strerror (errno));
    if (eddy_rpc_get_unpack (f, "{s:s s:s}", "default-type", &type, "munge-socket", &sock) < 0) {
        if (errno != ENOSYS) /* an instance that does not sign: unsigned */
            eddy_cmd_die (cmd, "job-ingest.sign-info: %s",
                          eddy_future_error_string (f) ? eddy_future_error_string (f)
                                                       : strerror (errno));
    }
    else {
        snprintf (conf->default_type, sizeof (conf->default_type), "%s", type);
        snprintf (conf->munge_socket, sizeof (conf->munge_socket), "%s", sock);
    }
    if (env && *env) {
        if (!eddy_sign_mech_parse (env))
            eddy_cmd_die (cmd, "EDDY_SIGN_TYPE=%s: not a signature type (munge, none)", env);
        snprintf (conf->default_type, sizeof (conf->default_type), "%s", env);
    }
    eddy_future_destroy (f);
    return conf;
}

char *jobutil_sign (const char *cmd, const struct eddy_sign_conf *conf, json_t *jobspec)
{
    eddy_error_t err;
    char *text, *J;

    if (!strcmp (conf->default_type, "none"))
        return NULL;
    if (!(text = json_dumps (jobspec, JSON_COMPACT | JSON_SORT_KEYS)))
        eddy_cmd_die (cmd, "out of memory");
    if (!(J = eddy_sign_wrap (conf, NULL, text, strlen (text), &err)))
        eddy_cmd_die (cmd, "%s", err.text);
    free (text);
    return J;
}

int jobutil_parse_user (const char *cmd, const char *what, const char *s)
{
    struct passwd *pw;
    char *end;

    if (!strcasecmp (s, "all"))
        return -1;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (!errno && end != s && !*end && v >= 0 && v < INT32_MAX)
        return (int)v;
    if (!(pw = getpwnam (s)))
        eddy_cmd_die (cmd, "%s: unknown user '%s'", what, s);
    return (int)pw->pw_uid;
}
