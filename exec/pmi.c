/* pmi.c - the PMI-1 server of one job on one rank (see pmi.h): a state
 * per task (new -> initialized <-> in barrier -> finalized, or broken),
 * a line buffer per task, the local puts of the current barrier and the
 * job's KVS as the exchanges brought it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/pmi.h"
#include "exec/pmi_wire.h"

/* Puts a rank may hold between two barriers, per task: MPICH puts a few
 * business cards; a task that puts more is not a PMI client we know.
 */
#define PMI_PUTS_PER_TASK 1024

enum tstate { T_NEW, T_INIT, T_BARRIER, T_DONE, T_BROKEN, T_ABORTED };

struct ptask {
    enum tstate state;
    size_t len; /* bytes of a partial line in buf */
    char *buf;  /* PMI_WIRE_MAXLINE bytes once the task sent any: most never do */
};

struct pmi_server {
    struct pmi_server_info info;
    char *kvsname;
    char *map;
    const struct pmi_server_ops *ops;
    void *arg;
    struct ptask *tasks;
    int inbarrier; /* tasks in T_BARRIER */
    bool exchanging; /* ops->barrier called, barrier_done not yet */
    int barriers;
    json_t *puts; /* this rank's puts since the last barrier */
    json_t *kvs;  /* every rank's puts, as of the last barrier */
    struct pmi_wire_cmd cmd; /* scratch (large: not on the stack) */
};

static void sendf (pmi_server_t *ps, int task, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void sendf (pmi_server_t *ps, int task, const char *fmt, ...)
{
    char line[PMI_WIRE_MAXLINE + 64];
    va_list ap;
    int n;

    va_start (ap, fmt);
    n = vsnprintf (line, sizeof (line), fmt, ap);
    va_end (ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof (line))
        n = sizeof (line) - 1; /* cannot happen: values are capped */
    ps->ops->send (ps->arg, task, line, (size_t)n);
}

/* The task broke the protocol: it hears so (if it still listens), and
 * the job fails.
 */
static int broken (pmi_server_t *ps, int task, const char *why)
{
    struct ptask *t = &ps->tasks[task];
    char text[256];

    if (t->state == T_BARRIER)
        ps->inbarrier--;
    t->state = T_BROKEN;
    t->len = 0;
    snprintf (text, sizeof (text), "PMI task %d: %s", ps->info.base + task, why);
    /* msg= is one token: no spaces */
    char tok[128];
    size_t k = 0;
    for (const char *p = why; *p && k < sizeof (tok) - 1; p++)
        tok[k++] = *p == ' ' ? '_' : *p;
    tok[k] = '\0';
    sendf (ps, task, "cmd=error rc=-1 msg=%s\n", tok);
    ps->ops->error (ps->arg, task, text);
    errno = EPROTO;
    return -1;
}

static int check_kvsname (pmi_server_t *ps, const struct pmi_wire_cmd *c)
{
    const char *name = pmi_wire_get (c, "kvsname");
    return name && !strcmp (name, ps->kvsname) ? 0 : -1;
}

static int do_put (pmi_server_t *ps, int task, const struct pmi_wire_cmd *c)
{
    const char *key = pmi_wire_get (c, "key"), *value = pmi_wire_get (c, "value");

    if (!key || !value || !pmi_wire_get (c, "kvsname"))
        return broken (ps, task, "put without kvsname, key or value");
    if (check_kvsname (ps, c) < 0) {
        sendf (ps, task, "cmd=put_result rc=-1 msg=unknown_kvsname\n");
        return 0;
    }
    if (strlen (key) >= PMI_WIRE_KEYLEN_MAX || strlen (value) >= PMI_WIRE_VALLEN_MAX) {
        sendf (ps, task, "cmd=put_result rc=-1 msg=key_or_value_too_long\n");
        return 0;
    }
    if (json_object_size (ps->puts) >= (size_t)PMI_PUTS_PER_TASK * (size_t)ps->info.ntasks)
        return broken (ps, task, "too many puts before a barrier");
    if (json_object_set_new (ps->puts, key, json_string (value)) < 0) {
        sendf (ps, task, "cmd=put_result rc=-1 msg=out_of_memory\n");
        return 0;
    }
    sendf (ps, task, "cmd=put_result rc=0 msg=success\n");
    return 0;
}

static int do_get (pmi_server_t *ps, int task, const struct pmi_wire_cmd *c)
{
    const char *key = pmi_wire_get (c, "key");
    json_t *v;

    if (!key || !pmi_wire_get (c, "kvsname"))
        return broken (ps, task, "get without kvsname or key");
    if (check_kvsname (ps, c) < 0) {
        sendf (ps, task, "cmd=get_result rc=-1 msg=unknown_kvsname\n");
        return 0;
    }
    /* what the exchanges brought, else what this rank put since the last
     * barrier (a task may read its own puts, and its neighbours') */
    if (!(v = json_object_get (ps->kvs, key)))
        v = json_object_get (ps->puts, key);
    if (!v)
        sendf (ps, task, "cmd=get_result rc=-1 msg=key_not_found\n");
    else
        sendf (ps, task, "cmd=get_result rc=0 msg=success value=%s\n", json_string_value (v));
    return 0;
}

static int do_barrier (pmi_server_t *ps, int task)
{
    ps->tasks[task].state = T_BARRIER;
    if (++ps->inbarrier < ps->info.ntasks)
        return 0;
    ps->exchanging = true;
    json_t *puts = ps->puts;
    if (!(ps->puts = json_object ())) {
        ps->puts = puts;
        return pmi_server_barrier_done (ps, NULL, "out of memory") < 0 ? -1 : 0;
    }
    ps->ops->barrier (ps->arg, puts);
    json_decref (puts);
    return 0;
}

static int do_abort (pmi_server_t *ps, int task, const struct pmi_wire_cmd *c)
{
    int code = 1;
    const char *msg = c->rest ? c->rest : "";

    /* "exitcode=N" first (MPICH), then the message as it came */
    if (!strncmp (msg, "exitcode=", 9)) {
        char *end;
        long v = strtol (msg + 9, &end, 10);
        if (end != msg + 9 && (*end == ' ' || *end == '\0') && v >= -255 && v <= 255) {
            code = (int)v;
            msg = end;
            while (*msg == ' ')
                msg++;
        }
    }
    if (ps->tasks[task].state == T_BARRIER)
        ps->inbarrier--;
    ps->tasks[task].state = T_ABORTED; /* what it says next does not matter */
    ps->ops->abort (ps->arg, task, code, msg);
    return 0;
}

static int dispatch (pmi_server_t *ps, int task, const char *line, size_t len)
{
    struct ptask *t = &ps->tasks[task];
    struct pmi_wire_cmd *c = &ps->cmd;
    int v, sub;

    if (pmi_wire_parse (line, len, c) < 0)
        return broken (ps, task, errno == EMSGSIZE ? "line too long" : "malformed line");
    const char *cmd = c->cmd;
    if (!strcmp (cmd, "abort"))
        return do_abort (ps, task, c);
    if (t->state == T_NEW) {
        if (strcmp (cmd, "init") != 0)
            return broken (ps, task, "a command before init");
        if (pmi_wire_get_int (c, "pmi_version", &v) < 0
            || pmi_wire_get_int (c, "pmi_subversion", &sub) < 0)
            return broken (ps, task, "init without pmi_version and pmi_subversion");
        if (v != 1) {
            sendf (ps, task, "cmd=response_to_init rc=-1 pmi_version=1 pmi_subversion=1\n");
            return broken (ps, task, "PMI version other than 1");
        }
        t->state = T_INIT;
        sendf (ps, task, "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1\n");
        return 0;
    }
    if (t->state == T_BARRIER)
        return broken (ps, task, !strcmp (cmd, "barrier_in") ? "barrier_in twice"
                                                             : "a command during a barrier");
    if (t->state == T_DONE)
        return broken (ps, task, "a command after finalize");
    /* T_INIT */
    if (!strcmp (cmd, "init"))
        return broken (ps, task, "init twice");
    if (!strcmp (cmd, "get_maxes"))
        sendf (ps, task, "cmd=maxes rc=0 kvsname_max=%d keylen_max=%d vallen_max=%d\n",
               PMI_WIRE_KVSNAME_MAX, PMI_WIRE_KEYLEN_MAX, PMI_WIRE_VALLEN_MAX);
    else if (!strcmp (cmd, "get_appnum"))
        sendf (ps, task, "cmd=appnum rc=0 appnum=0\n");
    else if (!strcmp (cmd, "get_universe_size"))
        sendf (ps, task, "cmd=universe_size rc=0 size=%d\n", ps->info.size);
    else if (!strcmp (cmd, "get_my_kvsname"))
        sendf (ps, task, "cmd=my_kvsname rc=0 kvsname=%s\n", ps->kvsname);
    else if (!strcmp (cmd, "put"))
        return do_put (ps, task, c);
    else if (!strcmp (cmd, "get"))
        return do_get (ps, task, c);
    else if (!strcmp (cmd, "barrier_in"))
        return do_barrier (ps, task);
    else if (!strcmp (cmd, "finalize")) {
        t->state = T_DONE;
        sendf (ps, task, "cmd=finalize_ack rc=0\n");
    }
    /* name publishing is PMI-1 too, but nothing here offers it: the
     * client hears no, and may carry on */
    else if (!strcmp (cmd, "publish_name"))
        sendf (ps, task, "cmd=publish_result rc=-1 msg=not_supported\n");
    else if (!strcmp (cmd, "unpublish_name"))
        sendf (ps, task, "cmd=unpublish_result rc=-1 msg=not_supported\n");
    else if (!strcmp (cmd, "lookup_name"))
        sendf (ps, task, "cmd=lookup_result rc=-1 msg=not_supported\n");
    else
        return broken (ps, task, "unknown command");
    return 0;
}

int pmi_server_input (pmi_server_t *ps, int task, const char *data, size_t len)
{
    struct ptask *t;

    if (!ps || task < 0 || task >= ps->info.ntasks) {
        errno = EINVAL;
        return -1;
    }
    t = &ps->tasks[task];
    while (len > 0) {
        if (t->state == T_BROKEN) {
            errno = EPROTO;
            return -1;
        }
        if (t->state == T_ABORTED)
            return 0;
        const char *nl = memchr (data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (t->len + n >= PMI_WIRE_MAXLINE)
            return broken (ps, task, "line too long");
        if (!t->buf && !(t->buf = malloc (PMI_WIRE_MAXLINE))) {
            errno = ENOMEM;
            return -1; /* nothing taken: the caller may offer it again */
        }
        memcpy (t->buf + t->len, data, n);
        t->len += n;
        if (!nl)
            return 0;
        data += n + 1;
        len -= n + 1;
        size_t linelen = t->len;
        t->len = 0;
        if (dispatch (ps, task, t->buf, linelen) < 0)
            return -1;
    }
    return t->state == T_BROKEN ? (errno = EPROTO, -1) : 0;
}

int pmi_server_eof (pmi_server_t *ps, int task)
{
    struct ptask *t;

    if (!ps || task < 0 || task >= ps->info.ntasks) {
        errno = EINVAL;
        return -1;
    }
    t = &ps->tasks[task];
    if (t->state == T_BROKEN) {
        errno = EPROTO;
        return -1;
    }
    if (t->state == T_ABORTED)
        return 0;
    if (t->len > 0)
        return broken (ps, task, "closed its PMI connection in the middle of a line");
    if (t->state == T_INIT || t->state == T_BARRIER)
        return broken (ps, task, "closed its PMI connection before finalize");
    t->state = T_DONE;
    return 0;
}

int pmi_server_barrier_done (pmi_server_t *ps, json_t *all, const char *why)
{
    const char *key;
    json_t *v;

    if (!ps || !ps->exchanging) {
        errno = EINVAL;
        return -1;
    }
    ps->exchanging = false;
    if (!why) {
        json_object_foreach (all, key, v) {
            if (!json_is_string (v))
                continue;
            if (json_object_set (ps->kvs, key, v) < 0) {
                why = "out of memory";
                break;
            }
        }
    }
    for (int i = 0; i < ps->info.ntasks; i++) {
        if (ps->tasks[i].state != T_BARRIER)
            continue;
        ps->tasks[i].state = T_INIT;
        if (why)
            sendf (ps, i, "cmd=barrier_out rc=-1 msg=exchange_failed\n");
        else
            sendf (ps, i, "cmd=barrier_out rc=0\n");
    }
    ps->inbarrier = 0;
    if (why) {
        ps->ops->error (ps->arg, -1, why);
        return 0;
    }
    ps->barriers++;
    return 0;
}

int pmi_server_barriers (const pmi_server_t *ps)
{
    return ps ? ps->barriers : 0;
}

pmi_server_t *pmi_server_create (const struct pmi_server_info *info,
                                 const struct pmi_server_ops *ops, void *arg)
{
    pmi_server_t *ps;

    if (!info || !ops || !info->kvsname || info->ntasks < 1 || info->size < info->ntasks
        || info->base < 0 || info->base > info->size - info->ntasks
        || strlen (info->kvsname) >= PMI_WIRE_KVSNAME_MAX
        || !pmi_wire_valid_word (info->kvsname, strlen (info->kvsname))
        || (info->map && (strlen (info->map) >= PMI_WIRE_VALLEN_MAX
                          || !pmi_wire_valid_value (info->map, strlen (info->map))))) {
        errno = EINVAL;
        return NULL;
    }
    if (!(ps = calloc (1, sizeof (*ps))))
        return NULL;
    ps->info = *info;
    ps->ops = ops;
    ps->arg = arg;
    if (!(ps->kvsname = strdup (info->kvsname)) || (info->map && !(ps->map = strdup (info->map)))
        || !(ps->tasks = calloc ((size_t)info->ntasks, sizeof (ps->tasks[0])))
        || !(ps->puts = json_object ()) || !(ps->kvs = json_object ()))
        goto error;
    ps->info.kvsname = ps->kvsname;
    ps->info.map = ps->map;
    /* how the job's tasks lie over its ranks, as MPICH reads it to find
     * its neighbours on a node */
    if (ps->map && json_object_set_new (ps->kvs, "PMI_process_mapping", json_string (ps->map)) < 0)
        goto error;
    return ps;
error:
    pmi_server_destroy (ps);
    errno = ENOMEM;
    return NULL;
}

void pmi_server_destroy (pmi_server_t *ps)
{
    if (ps) {
        int saved_errno = errno;
        json_decref (ps->puts);
        json_decref (ps->kvs);
        for (int i = 0; ps->tasks && i < ps->info.ntasks; i++)
            free (ps->tasks[i].buf);
        free (ps->tasks);
        free (ps->kvsname);
        free (ps->map);
        free (ps);
        errno = saved_errno;
    }
}
