/* eddy-broker.c - one real broker process: a broker on a libev reactor,
 * linked to its parent and children over ZeroMQ and to local clients over
 * an AF_UNIX socket.  Normally started by `eddy start` or systemd.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <hwloc.h>
#include <netdb.h>
#include <arpa/inet.h>

#include "cmd/bootstrap.h"
#include "cmd/cmd.h"
#include "cmd/config-schema.h"
#include "cmd/modules.h"
#include "cmd/pmiclient.h"
#include "cmd/sdnotify.h"
#include "cmd/statelock.h"
#include "cmd/system.h"
#include "engine/broker/broker.h"
#include "engine/broker/topology.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "engine/util/sign.h"
#include "sched/rlist.h"
#include "transport/local/server.h"
#include "transport/zmq/overlay.h"

/* The system instance's conf.d, read when eddy-broker runs with --system
 * and neither --config-path nor EDDY_CONFIG_PATH names another.
 */
#define SYSTEM_CONFIG_PATH "/etc/eddy/system/conf.d"

/* The security config (sign.toml: [sign]), Flux's layout: read from
 * $EDDY_SECURITY_CONFIG_PATH, else with --system from here if it exists.
 */
#define SECURITY_CONFIG_PATH "/etc/eddy/security/conf.d"

struct opts {
    uint32_t rank, size;
    int fanout;
    const char *rundir;
    const char *tbon; /* "ipc" or "tcp" */
    const char *cert;
    const char *bind_host;
    double connect_timeout;
    const char *config_path; /* NULL: no configuration files */
    const char *security_path; /* the security conf.d, or NULL */
    bool system;             /* --system: the node's system instance */
    char *notify_socket;     /* $NOTIFY_SOCKET (systemd), or NULL */
    eddy_bootstrap_t *bs;    /* [bootstrap], or NULL */
    eddy_pmi_client_t *pmi;  /* bootstrapping by PMI, until the tree is made */
    char *own_rundir;        /* a runtime directory made here, removed at exit */
    char *own_bind_host;     /* PMI: the address of this host's name */
    bool have_keys;          /* keys: the instance's CURVE keys, from PMI */
    int pmi_sign;            /* --pmi-sign: enum eddy_pmi_sign */
    char pmi_munge_socket[256]; /* [sign] munge-socket, or "" */
    struct eddy_zmq_cert keys;
};

static void die (uint32_t rank, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));

/* A broker bootstrapping by PMI that cannot go on ends the whole job
 * (PMI abort): the others would wait for it in a barrier until the
 * timeout.  cmd/ only, one per process, as the PMI connection is.
 */
static eddy_pmi_client_t *pmi_abort_on_die;

static void die (uint32_t rank, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    fprintf (stderr, "eddy-broker[%u]: %s\n", rank, msg);
    if (pmi_abort_on_die) {
        char text[600];
        snprintf (text, sizeof (text), "eddy-broker rank %u: %s", rank, msg);
        eddy_pmi_client_abort (pmi_abort_on_die, 1, text);
    }
    exit (1);
}

static const char *const level_names[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* Up to log-stderr-level; by default errors, and for a system instance
 * info too, so the journal keeps its state transitions.
 */
static void log_sink (eddy_broker_t *b, int level, const char *name, const char *text, void *arg)
{
    const struct opts *o = arg;
    const char *s = eddy_broker_attr_get (b, "log-stderr-level");
    int max = s ? atoi (s) : o->system ? LOG_INFO : LOG_ERR;
    if (level <= max)
        fprintf (stderr, "eddy-broker[%u]: %s.%s: %s\n", eddy_broker_rank (b), name,
                 level >= 0 && level <= 7 ? level_names[level] : "?", text);
}

/* Tell systemd (Type=notify); a failure is logged, never fatal: the
 * service still runs, systemd will just time it out.
 */
static void notify (eddy_broker_t *b, const struct opts *o, const char *state)
{
    if (eddy_sd_notify (o->notify_socket, state) < 0)
        eddy_broker_log (b, LOG_ERR, "broker", "sd_notify %s: %s", o->notify_socket,
                         strerror (errno));
}

static void state_cb (eddy_broker_t *b, eddy_broker_state_t state, void *arg)
{
    const struct opts *o = arg;
    if (state == EDDY_STATE_RUN)
        notify (b, o, "READY=1\nSTATUS=run");
    else if (state == EDDY_STATE_CLEANUP)
        notify (b, o, "STOPPING=1\nSTATUS=shutting down");
    if (state == EDDY_STATE_EXIT)
        eddy_reactor_stop (eddy_broker_reactor (b));
}

struct sig {
    eddy_broker_t *b;
    const struct opts *o;
    int fd;
};

/* SIGHUP (systemctl reload) rereads the configuration; the others stop. */
static void signal_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct sig *s = arg;
    struct signalfd_siginfo si;
    if (read (s->fd, &si, sizeof (si)) != sizeof (si))
        return;
    if (si.ssi_signo == SIGHUP) {
        eddy_broker_log (s->b, LOG_NOTICE, "broker", "SIGHUP: reloading the configuration");
        /* rank 0 rereads its files before the call returns: systemd's
         * reload ends with the READY=1 after it (before run, READY=1 is
         * still to come from state_cb) */
        bool running = eddy_broker_state (s->b) == EDDY_STATE_RUN;
        if (running) {
            /* MONOTONIC_USEC: when the reload began, which systemd >= 253
             * asks of a reloading service */
            struct timespec ts;
            char msg[128];
            clock_gettime (CLOCK_MONOTONIC, &ts);
            snprintf (msg, sizeof (msg), "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
                      (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
            notify (s->b, s->o, msg);
        }
        eddy_broker_config_reload (s->b, NULL); /* it logs the outcome */
        if (running)
            notify (s->b, s->o, "READY=1\nSTATUS=run");
        return;
    }
    eddy_broker_log (s->b, LOG_NOTICE, "broker", "signal %d: shutting down", (int)si.ssi_signo);
    eddy_broker_shutdown (s->b, 128 + (int)si.ssi_signo);
}

/* Warnings of the first reading, before the broker exists: kept, then
 * logged once it does.
 */
static void early_warn (int level, const char *text, void *arg)
{
    json_array_append_new (arg, json_pack ("[i s]", level, text));
}

/* Configuration warnings go to the broker's log (eddy dmesg). */
static void config_warn (int level, const char *text, void *arg)
{
    eddy_broker_log (arg, level, "config", "%s", text);
}

/* Put the security config's [sign] into conf, where job-ingest finds it
 * (modules read no files).  It holds [sign] alone, and [sign] is not also
 * in the instance's own files.
 */
static int security_merge (const struct opts *o, json_t *conf, eddy_config_warn_f warn,
                           void *arg, eddy_error_t *err)
{
    json_t *sec, *v;
    const char *key;

    if (!o->security_path)
        return 0;
    if (!(sec = eddy_config_read (o->security_path, warn, arg, err)))
        return -1;
    json_object_foreach (sec, key, v) {
        if (strcmp (key, "sign") != 0) {
            json_decref (sec);
            errno = EINVAL;
            return eddy_error_set (err, "%s: [%s] does not belong in the security config "
                                        "(only [sign])", o->security_path, key);
        }
    }
    if ((v = json_object_get (sec, "sign"))) {
        if (json_object_get (conf, "sign")) {
            json_decref (sec);
            errno = EINVAL;
            return eddy_error_set (err, "%s: [sign] is set in the instance's config too",
                                   o->security_path);
        }
        if (json_object_set (conf, "sign", v) < 0) {
            json_decref (sec);
            errno = ENOMEM;
            return eddy_error_set (err, "out of memory");
        }
    }
    json_decref (sec);
    return 0;
}

/* Rank 0's reload: read and validate the files again, and say which
 * changed keys wait for a restart.
 */
static json_t *config_loader (eddy_broker_t *b, void *arg, eddy_error_t *err)
{
    const struct opts *o = arg;
    json_t *conf = o->config_path ? eddy_config_read (o->config_path, config_warn, b, err)
                                  : json_object ();
    if (conf && security_merge (o, conf, config_warn, b, err) < 0) {
        json_decref (conf);
        return NULL;
    }
    if (conf && eddy_bootstrap_check_exclude (o->bs, conf, err) < 0) {
        json_decref (conf);
        errno = EINVAL;
        return NULL;
    }
    if (conf)
        eddy_config_restart_changes (eddy_config_schema, eddy_broker_config (b), conf,
                                     config_warn, b);
    return conf;
}

/* What --system means for what the command line (or, for a cluster, the
 * configuration) left unsaid: rank 0 of 1, the well-known runtime
 * directory, made if missing.  Call it last, just before the options are
 * checked.
 */
static void system_defaults (struct opts *o, bool *have_rank)
{
    if (!*have_rank) {
        o->rank = 0;
        *have_rank = true;
    }
    if (o->size == 0)
        o->size = 1;
    if (!o->rundir)
        o->rundir = eddy_system_rundir ();
    if (o->rundir[0] != '/')
        die (o->rank, "the runtime directory must be an absolute path, not '%s'", o->rundir);
    if (mkdir (o->rundir, 0700) < 0 && errno != EEXIST)
        die (o->rank, "runtime directory %s: %s", o->rundir, strerror (errno));
}

/* [access]: who the local connector lets in.  The socket is opened to
 * every local user, since the connector itself refuses guests with a
 * reason unless allow-guest-user; the runtime directory stays 0700 then
 * (a guest cannot reach the socket at all) and becomes 0711 with it
 * (reachable by name, not listable).
 */
static void set_access (eddy_local_server_t *ls, const json_t *conf, const struct opts *o)
{
    const json_t *access = json_object_get (conf, "access");
    int guest = 0, root = 0;
    eddy_error_t err;

    if (access && json_unpack ((json_t *)access, "{s?b s?b}", "allow-guest-user", &guest,
                               "allow-root-owner", &root) < 0)
        die (o->rank, "[access] allow-guest-user and allow-root-owner must be booleans");
    eddy_local_server_set_access (ls, guest, root);
    if (eddy_local_server_chmod (ls, 0777, &err) < 0)
        die (o->rank, "%s", err.text);
    struct stat st;
    if (stat (o->rundir, &st) == 0 && st.st_uid == geteuid ()
        && chmod (o->rundir, guest ? 0711 : 0700) < 0)
        die (o->rank, "runtime directory %s: chmod: %s", o->rundir, strerror (errno));
}

/* The statedir attribute (the content store's directory): -S statedir
 * wins, then [broker] statedir, then for a system instance its default,
 * which is made if missing.  Returns it (borrowed) or NULL for none.
 */
static const char *set_statedir (eddy_broker_t *b, const struct opts *o)
{
    const char *dir = eddy_broker_attr_get (b, "statedir");
    if (!dir) {
        const json_t *v = json_object_get (json_object_get (eddy_broker_config (b), "broker"),
                                           "statedir");
        if (json_is_string (v))
            dir = json_string_value (v);
        else if (o->system)
            dir = EDDY_SYSTEM_STATEDIR;
        if (!dir)
            return NULL;
        if (eddy_broker_attr_set (b, "statedir", dir) < 0)
            die (o->rank, "cannot set attribute statedir: %s", strerror (errno));
        dir = eddy_broker_attr_get (b, "statedir");
    }
    if (o->system && mkdir (dir, 0700) < 0 && errno != EEXIST)
        die (o->rank, "statedir %s: %s", dir, strerror (errno));
    return dir;
}

/* [bootstrap] decides what the command line did not: rank (by hostname,
 * unless --rank), size, a tcp overlay at fixed addresses and the CURVE
 * certificate.  Returns the tree's shape (the caller's).
 */
static eddy_topo_t *bootstrap_options (struct opts *o, const eddy_bootstrap_t *bs, bool *have_rank)
{
    eddy_error_t err;
    uint32_t size = eddy_bootstrap_size (bs);

    if (o->size && o->size != size)
        die (o->rank, "--size %u, but bootstrap.hosts lists %u hosts", o->size, size);
    o->size = size;
    o->rank = eddy_bootstrap_rank (bs);
    *have_rank = true;
    if (size > 1)
        o->tbon = "tcp";
    if (!o->cert)
        o->cert = eddy_bootstrap_curve_cert (bs);
    if (!o->cert && size > 1)
        die (o->rank, "bootstrap: a cluster's overlay needs bootstrap.curve_cert (eddy keygen)");
    eddy_topo_t *t = eddy_bootstrap_topo (bs, &err);
    if (!t)
        die (o->rank, "%s", err.text);
    return t;
}

/* A tcp:// URI whose host is a name, with the name resolved to an IPv4
 * address (ZeroMQ binds addresses and interfaces, not names); anything
 * else, or a name that does not resolve, comes back as it was.
 */
static char *resolve_uri (const char *uri)
{
    char host[256], *out;
    const char *h, *colon;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    struct in_addr a;

    if (strncmp (uri, "tcp://", 6) || !(colon = strrchr (h = uri + 6, ':'))
        || (size_t)(colon - h) >= sizeof (host) || colon == h)
        return strdup (uri);
    memcpy (host, h, colon - h);
    host[colon - h] = '\0';
    if (!strcmp (host, "*") || inet_pton (AF_INET, host, &a) == 1
        || getaddrinfo (host, NULL, &hints, &ai) != 0 || !ai)
        return strdup (uri);
    char ip[INET_ADDRSTRLEN];
    inet_ntop (AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof (ip));
    freeaddrinfo (ai);
    if (asprintf (&out, "tcp://%s%s", ip, colon) < 0)
        return NULL;
    return out;
}

/* [resource] path: an R file (eddy R encode), its hostnames replaced by
 * bootstrap's, rank for rank, when there is a bootstrap.  Returns R or
 * dies with the reason: a broker with a wrong R must not start.
 */
static json_t *load_R (const char *path, const eddy_bootstrap_t *bs, uint32_t rank)
{
    json_error_t je;
    eddy_error_t err;
    json_t *R = json_load_file (path, 0, &je);

    if (!R)
        die (rank, "resource.path %s: %s (line %d)", path, je.text, je.line);
    eddy_rlist_t *rl = eddy_rlist_from_json (R, 0, &err);
    if (!rl)
        die (rank, "resource.path %s: %s", path, err.text);
    if (bs) {
        char *ranks = eddy_rlist_ranks (rl);
        eddy_idset_t *ids = ranks ? eddy_idset_decode (ranks, NULL) : NULL;
        if (!ids || eddy_idset_empty (ids) || eddy_idset_last (ids) >= eddy_bootstrap_size (bs))
            die (rank, "resource.path %s: ranks %s, but bootstrap.hosts has %u hosts", path,
                 ranks ? ranks : "?", eddy_bootstrap_size (bs));
        /* the nodelist names ranks 0..last: bootstrap's names for them */
        eddy_hostlist_t *hl = eddy_hostlist_create ();
        for (unsigned r = 0; hl && r <= eddy_idset_last (ids); r++)
            if (eddy_idset_test (ids, r))
                eddy_hostlist_append (hl, eddy_bootstrap_host (bs, r));
        char *nodelist = hl ? eddy_hostlist_encode (hl) : NULL;
        json_t *ex = json_object_get (R, "execution");
        if (!nodelist || !json_is_object (ex)
            || json_object_set_new (ex, "nodelist", json_pack ("[s]", nodelist)) < 0)
            die (rank, "resource.path %s: cannot rename its hosts", path);
        free (nodelist);
        eddy_hostlist_destroy (hl);
        eddy_idset_destroy (ids);
        free (ranks);
    }
    eddy_rlist_destroy (rl);
    return R;
}

/* Rank 0 owns its statedir (it keeps the KVS there) for its whole life: a
 * second instance on the same directory is refused before any module
 * opens the store, naming the broker that has it.
 */
static eddy_statelock_t *lock_statedir (eddy_broker_t *b, const char *dir, const struct opts *o)
{
    eddy_statelock_t *l;
    pid_t holder;

    if (!dir || o->rank != 0)
        return NULL;
    /* the content store makes a missing statedir (one level); so do we */
    if (!(l = eddy_statelock_acquire (dir, &holder)) && errno == ENOENT && mkdir (dir, 0700) == 0)
        l = eddy_statelock_acquire (dir, &holder);
    if (!l) {
        if (errno == EBUSY && holder > 0)
            die (o->rank, "statedir %s is in use by another instance (pid %d): refusing to start",
                 dir, (int)holder);
        if (errno == EBUSY)
            die (o->rank, "statedir %s is in use by another instance: refusing to start", dir);
        /* an unusable statedir: the store says why when it is used */
        eddy_broker_log (b, LOG_WARNING, "broker", "statedir %s: cannot lock %s/lock: %s", dir, dir,
                         strerror (errno));
    }
    return l;
}

/* The exec module's job shell, eddy-shell (attribute exec.guard): beside
 * this executable (a build tree, or where both are installed), else in
 * the install's bindir.  Without it the exec module runs guards as this
 * executable in guard mode, slower, and cannot run jobs of other users.
 */
static void set_exec_guard (eddy_broker_t *b)
{
    char path[PATH_MAX + 32];
    ssize_t n = readlink ("/proc/self/exe", path, PATH_MAX);
    if (n > 0) {
        path[n] = '\0';
        char *slash = strrchr (path, '/');
        if (slash) {
            strcpy (slash + 1, "eddy-shell");
            if (access (path, X_OK) == 0) {
                eddy_broker_attr_set (b, "exec.guard", path);
                return;
            }
        }
    }
    if (access (EDDY_BINDIR "/eddy-shell", X_OK) == 0)
        eddy_broker_attr_set (b, "exec.guard", EDDY_BINDIR "/eddy-shell");
}

/* The URI a child uses to reach rank's overlay socket. */
static char *parent_uri (const struct opts *o, uint32_t parent)
{
    char *uri = NULL;
    if (!strcmp (o->tbon, "ipc")) {
        if (asprintf (&uri, "ipc://%s/tbon-%u", o->rundir, parent) < 0)
            return NULL;
        return uri;
    }
    /* tcp: the parent publishes the port it got in RUNDIR/tbon-P.uri */
    char path[4096];
    snprintf (path, sizeof (path), "%s/tbon-%u.uri", o->rundir, parent);
    struct timespec ts = { 0, 2000000 };
    double waited = 0;
    for (;;) {
        FILE *f = fopen (path, "r");
        if (f) {
            char buf[512];
            if (fgets (buf, sizeof (buf), f)) {
                buf[strcspn (buf, "\n")] = '\0';
                fclose (f);
                return strdup (buf);
            }
            fclose (f);
        }
        if (waited > o->connect_timeout)
            return NULL;
        nanosleep (&ts, NULL);
        waited += 0.002;
    }
}

static int publish_uri (const struct opts *o, const char *uri)
{
    char path[4096], tmp[4200];
    snprintf (path, sizeof (path), "%s/tbon-%u.uri", o->rundir, o->rank);
    snprintf (tmp, sizeof (tmp), "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return -1;
    fprintf (f, "%s\n", uri);
    if (fclose (f) != 0)
        return -1;
    return rename (tmp, path); /* children never see a half-written file */
}

/* The node's cores and gpus as idsets, for the resource module: hwloc
 * cores (not hardware threads) and coprocessor/GPU OS devices.
 */
static void discover_resources (eddy_broker_t *b)
{
    hwloc_topology_t topo;
    char buf[64];

    if (hwloc_topology_init (&topo) < 0)
        return;
    hwloc_topology_set_io_types_filter (topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    if (hwloc_topology_load (topo) == 0) {
        int ncores = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_CORE);
        if (ncores <= 0)
            ncores = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PU);
        if (ncores <= 0)
            ncores = 1;
        snprintf (buf, sizeof (buf), ncores > 1 ? "0-%d" : "0", ncores - 1);
        if (!eddy_broker_attr_get (b, "resource.cores"))
            eddy_broker_attr_set (b, "resource.cores", buf);
        int ngpus = 0;
        for (hwloc_obj_t o = hwloc_get_next_osdev (topo, NULL); o; o = hwloc_get_next_osdev (topo, o))
            if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC)
                ngpus++;
        if (ngpus > 0)
            snprintf (buf, sizeof (buf), ngpus > 1 ? "0-%d" : "0", ngpus - 1);
        else
            buf[0] = '\0';
        if (!eddy_broker_attr_get (b, "resource.gpus"))
            eddy_broker_attr_set (b, "resource.gpus", buf);
    }
    hwloc_topology_destroy (topo);
}

/* The modules an instance needs, in load order: the job pipeline on rank
 * 0; the content cache and the exec service everywhere.
 */
static const char *const stack_rank0[] = {
    "content", "kvs", "job-manager", "job-ingest", "job-list", "resource", "sched", "exec", "rexec",
    "cron", NULL,
};
static const char *const stack_other[] = { "content", "exec", "rexec", NULL };

struct modarg {
    char *name;
    json_t *args;
    bool used;
};

/* Load order: the default stack first (an explicit --module of the same
 * name replaces its arguments in place), then the other explicit modules.
 */
static void add_modules (eddy_broker_t *b, uint32_t rank, bool bare, struct modarg *mods, int nmods,
                         json_t *R)
{
    const char *const *stack = rank == 0 ? stack_rank0 : stack_other;
    for (int i = 0; !bare && stack[i]; i++) {
        json_t *args = NULL;
        for (int j = 0; j < nmods; j++) {
            if (!mods[j].used && !strcmp (mods[j].name, stack[i])) {
                mods[j].used = true;
                args = json_incref (mods[j].args);
                break;
            }
        }
        if (!args && R && !strcmp (stack[i], "resource"))
            args = json_pack ("{s:O}", "R", R);
        if (!args && !strcmp (stack[i], "sched")) {
            /* the sched.policy attribute (--policy) wins over [sched] policy */
            const char *policy = eddy_broker_attr_get (b, "sched.policy");
            const json_t *v = json_object_get (json_object_get (eddy_broker_config (b), "sched"),
                                               "policy");
            if (!policy && json_is_string (v))
                policy = json_string_value (v);
            args = json_pack ("{s:s}", "policy", policy ? policy : "easy");
        }
        eddy_broker_add_initial_module (b, stack[i], args);
        json_decref (args);
    }
    /* [archive] dbpath: the job archive on rank 0 (unless --module names it) */
    bool archive_given = false;
    for (int j = 0; j < nmods; j++)
        archive_given |= !strcmp (mods[j].name, "job-archive");
    if (!bare && rank == 0 && !archive_given
        && json_is_string (json_object_get (json_object_get (eddy_broker_config (b), "archive"),
                                            "dbpath")))
        eddy_broker_add_initial_module (b, "job-archive", NULL);
    for (int j = 0; j < nmods; j++)
        if (!mods[j].used)
            eddy_broker_add_initial_module (b, mods[j].name, mods[j].args);
}

/* Under PMI (a task of a job: PMI_FD, PMI_RANK, PMI_SIZE), rank and size
 * come from the process manager; so does the instance's CURVE keypair,
 * which rank 0 makes and puts in the job's key-value space (only the
 * job's own tasks read it).  A runtime directory of this broker's own
 * when none is given.  The overlay endpoints are exchanged later, once
 * bound (pmi_exchange ()).
 */
static void pmi_boot (struct opts *o, bool tbon_set, bool bind_set)
{
    eddy_error_t err;
    const char *t = getenv ("EDDY_PMI_TIMEOUT");
    double timeout = t ? strtod (t, NULL) : 0;
    if (!(o->pmi = eddy_pmi_client_create (timeout > 0 ? timeout : 60.0, &err))) {
        fprintf (stderr, "eddy-broker: cannot bootstrap by PMI: %s\n", err.text);
        exit (1);
    }
    pmi_abort_on_die = o->pmi;
    o->rank = (uint32_t)eddy_pmi_client_rank (o->pmi);
    o->size = (uint32_t)eddy_pmi_client_size (o->pmi);
    if (eddy_pmi_client_set_sign (o->pmi, o->pmi_sign, o->pmi_munge_socket, &err) < 0)
        die (o->rank, "%s", err.text);
    if (!o->rundir) {
        const char *tmp = getenv ("TMPDIR");
        char *tmpl;
        if (asprintf (&tmpl, "%s/eddy-broker-%u-XXXXXX", tmp && *tmp ? tmp : "/tmp", o->rank) < 0
            || !mkdtemp (tmpl))
            die (o->rank, "cannot make a runtime directory: %s", strerror (errno));
        o->rundir = o->own_rundir = tmpl;
    }
    if (!tbon_set)
        o->tbon = o->size > 1 ? "tcp" : "ipc";
    /* the tasks may be on other nodes: bind the address this host's name
     * resolves to (127.0.0.1 where it is only that) */
    char host[256] = "localhost", uri[300], *res;
    gethostname (host, sizeof (host) - 1);
    snprintf (uri, sizeof (uri), "tcp://%s:*", host);
    if (!bind_set && (res = resolve_uri (uri))) {
        char *colon = strrchr (res, ':');
        *colon = '\0';
        if (strcmp (res + 6, host) != 0)
            o->bind_host = o->own_bind_host = strdup (res + 6);
        free (res);
    }
    if (strcmp (o->tbon, "tcp") || o->cert || o->size == 1)
        return;
    if (o->rank == 0) {
        if (eddy_zmq_cert_generate (&o->keys, &err) < 0
            || eddy_pmi_client_put (o->pmi, "eddy.curve-public", o->keys.public_key, &err) < 0
            || eddy_pmi_client_put (o->pmi, "eddy.curve-secret", o->keys.secret_key, &err) < 0)
            die (o->rank, "%s", err.text);
    }
    if (eddy_pmi_client_barrier (o->pmi, &err) < 0)
        die (o->rank, "%s", err.text);
    if (o->rank > 0) {
        char *pub = eddy_pmi_client_get (o->pmi, "eddy.curve-public", 0, &err);
        char *sec = pub ? eddy_pmi_client_get (o->pmi, "eddy.curve-secret", 0, &err) : NULL;
        if (!sec || strlen (pub) != EDDY_CERT_KEY_LEN || strlen (sec) != EDDY_CERT_KEY_LEN)
            die (o->rank, "%s", sec ? "PMI: rank 0's CURVE keys are not keys" : err.text);
        strcpy (o->keys.public_key, pub);
        strcpy (o->keys.secret_key, sec);
        free (pub);
        free (sec);
    }
    o->have_keys = true;
}

/* Each broker with children puts the endpoint it bound; after a barrier
 * each gets its parent's.  Then PMI is done with (finalize): the
 * process manager sees a well-behaved client.  Returns the parent's
 * endpoint (malloc'd), or NULL for rank 0.
 */
static char *pmi_exchange (struct opts *o, const char *bound, uint32_t parent, const char **sign)
{
    eddy_error_t err;
    char key[64], *puri = NULL;

    if (bound) {
        snprintf (key, sizeof (key), "eddy.tbon.%u", o->rank);
        if (eddy_pmi_client_put (o->pmi, key, bound, &err) < 0)
            die (o->rank, "%s", err.text);
    }
    if (o->size > 1 && eddy_pmi_client_barrier (o->pmi, &err) < 0)
        die (o->rank, "%s", err.text);
    if (o->rank > 0) {
        snprintf (key, sizeof (key), "eddy.tbon.%u", parent);
        if (!(puri = eddy_pmi_client_get (o->pmi, key, (int)parent, &err)))
            die (o->rank, "%s", err.text);
    }
    if (eddy_pmi_client_finalize (o->pmi, &err) < 0)
        die (o->rank, "%s", err.text);
    *sign = eddy_pmi_client_sign_required (o->pmi) || eddy_pmi_client_signed_any (o->pmi)
                ? "munge"
                : "none";
    eddy_pmi_client_destroy (o->pmi);
    o->pmi = pmi_abort_on_die = NULL;
    return puri;
}

static int rm_entry (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove (path);
}

/* its usage and options: --help prints them (eddy-broker(8) has more) */
static const struct eddy_cmd broker_cmd = {
    .name = "broker",
    .usage = "eddy-broker --rank=R --size=N --rundir=DIR [OPTIONS]\n"
             "       eddy-broker --system [OPTIONS]   (the node's system instance, under systemd)\n"
             "       eddy-broker [OPTIONS]   (a task of a job: rank, size and the tree from PMI-1)",
    .summary = "One broker of an eddy instance.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "R", "this broker's rank"),
        EDDY_OPT_ARG ("size", 's', "N", "the number of brokers of the instance"),
        EDDY_OPT_ARG ("fanout", 'f', "K", "the overlay tree's fanout, 0 = flat (default 2)"),
        EDDY_OPT_ARG ("rundir", 'd', "DIR", "the instance's runtime directory (sockets)"),
        EDDY_OPT_ARG ("tbon", 't', "ipc|tcp", "the overlay transport (default ipc; tcp uses CURVE)"),
        EDDY_OPT_ARG ("cert", 'c', "PATH", "the CURVE certificate (eddy keygen) for --tbon=tcp"),
        EDDY_OPT_ARG ("bind-host", 'b', "IP", "the address tcp overlay sockets bind (default 127.0.0.1)"),
        EDDY_OPT_ARG ("setattr", 'S', "NAME=VALUE", "set a broker attribute (repeatable)"),
        EDDY_OPT_ARG ("module", 'm', "NAME", "load module NAME (repeatable)"),
        EDDY_OPT_LFLAG ("bare", 'B', "no default modules"),
        EDDY_OPT_LARG ("config-path", 'C', "DIR", "a conf.d of *.toml, or one file; \"\" = none"),
        EDDY_OPT_LFLAG ("system", 'Y', "the node's system instance"),
        EDDY_OPT_LARG ("pmi-sign", 'P', "MODE", "as a task of a job: MUNGE-signed PMI values, auto (default), munge or none"),
        EDDY_OPT_TEXT ("As a task of a job: PMI_FD/PMI_RANK/PMI_SIZE; EDDY_PMI_DEBUG=1 traces it,\n"
                       "EDDY_PMI_TIMEOUT bounds each reply, default 60 s; binds its host name's address.\n"
                       "Configuration: --config-path, else $EDDY_CONFIG_PATH, else with --system\n"
                       SYSTEM_CONFIG_PATH ", else none.\n"
                       "Security config ([sign]): $EDDY_SECURITY_CONFIG_PATH, else with --system\n"
                       SECURITY_CONFIG_PATH " if it exists.\n"
                       "--system: rank 0 of 1 unless given, --rundir $EDDY_SYSTEM_RUNDIR or " EDDY_SYSTEM_RUNDIR ",\n"
                       "its socket RUNDIR/local, statedir ([broker] statedir) " EDDY_SYSTEM_STATEDIR ",\n"
                       "state changes logged at info on stderr, sd_notify to $NOTIFY_SOCKET.\n"),
        EDDY_OPT_END,
    },
};

static void usage (void)
{
    eddy_opt_usage (&broker_cmd, NULL, 1);
}

static uint32_t parse_u32 (const char *what, const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul (s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > 100000000) {
        fprintf (stderr, "eddy-broker: --%s: '%s' is not a valid number\n", what, s);
        exit (1);
    }
    return (uint32_t)v;
}

int main (int argc, char **argv)
{
    struct opts o = { .size = 0, .fanout = 2, .tbon = "ipc", .bind_host = "127.0.0.1",
                      .connect_timeout = 30.0 };
    char *attrs[256];
    int nattrs = 0;
    char *mods[64];
    int nmods = 0;
    bool have_rank = false, bare = false, have_config = false, tbon_set = false, bind_set = false;
    int c;

    /* SIGHUP from the start, so an early one cannot kill the broker (the
     * signalfd made below reads what is pending); SIGTERM and SIGINT still
     * stop a broker that is not up yet */
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGHUP);
    sigprocmask (SIG_BLOCK, &mask, NULL);
    /* a pipe whose reader is gone (a job guard's lifeline, a task's stdin)
     * answers EPIPE, never a signal that kills the broker; a task gets the
     * default back before it runs (exec/guard.c) */
    signal (SIGPIPE, SIG_IGN);

    while ((c = eddy_opt_next (&broker_cmd, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            o.rank = parse_u32 ("rank", optarg);
            have_rank = true;
            break;
        case 's':
            o.size = parse_u32 ("size", optarg);
            break;
        case 'f':
            o.fanout = (int)parse_u32 ("fanout", optarg);
            break;
        case 'd':
            o.rundir = optarg;
            break;
        case 't':
            if (strcmp (optarg, "ipc") && strcmp (optarg, "tcp")) {
                fprintf (stderr, "eddy-broker: --tbon must be ipc or tcp\n");
                exit (1);
            }
            o.tbon = optarg;
            tbon_set = true;
            break;
        case 'c':
            o.cert = optarg;
            break;
        case 'b':
            o.bind_host = optarg;
            bind_set = true;
            break;
        case 'S':
            if (nattrs == (int)(sizeof (attrs) / sizeof (attrs[0])) || !strchr (optarg, '=')) {
                fprintf (stderr, "eddy-broker: -S expects NAME=VALUE\n");
                exit (1);
            }
            attrs[nattrs++] = optarg;
            break;
        case 'm':
            if (nmods == (int)(sizeof (mods) / sizeof (mods[0])))
                usage ();
            mods[nmods++] = optarg;
            break;
        case 'B':
            bare = true;
            break;
        case 'C':
            o.config_path = optarg;
            have_config = true;
            break;
        case 'Y':
            o.system = true;
            break;
        case 'P':
            if ((o.pmi_sign = eddy_pmi_sign_parse (optarg)) < 0) {
                fprintf (stderr, "eddy-broker: --pmi-sign must be auto, munge or none\n");
                exit (1);
            }
            break;
        default:
            usage ();
        }
    }
    if (!have_config && getenv ("EDDY_CONFIG_PATH")) {
        o.config_path = getenv ("EDDY_CONFIG_PATH");
        have_config = true;
    }
    if (!have_config && o.system)
        o.config_path = SYSTEM_CONFIG_PATH;
    if (o.config_path && !*o.config_path)
        o.config_path = NULL;
    o.security_path = getenv ("EDDY_SECURITY_CONFIG_PATH");
    if (!o.security_path && o.system && access (SECURITY_CONFIG_PATH, F_OK) == 0)
        o.security_path = SECURITY_CONFIG_PATH;
    if (o.security_path && !*o.security_path)
        o.security_path = NULL;

    /* the files first: [bootstrap] may say who this broker is */
    eddy_error_t err;
    char buf[4200], host[256] = "localhost";
    gethostname (host, sizeof (host) - 1);
    json_t *conf = NULL, *early = json_array ();
    eddy_bootstrap_t *bs = NULL;
    eddy_topo_t *topo = NULL;
    if (o.config_path) {
        if (!(conf = eddy_config_read (o.config_path, early_warn, early, &err)))
            die (o.rank, "%s", err.text);
        if (!(bs = eddy_bootstrap_create (conf, host, have_rank ? o.rank : EDDY_RANK_NONE, &err))
            && errno != ENOENT)
            die (o.rank, "%s: %s", o.config_path, err.text);
        if (bs)
            topo = bootstrap_options (&o, bs, &have_rank);
        if (eddy_bootstrap_check_exclude (bs, conf, &err) < 0)
            die (o.rank, "%s: %s", o.config_path, err.text);
        o.bs = bs;
    }
    if (o.security_path) {
        if (!conf && !(conf = json_object ()))
            die (o.rank, "out of memory");
        if (security_merge (&o, conf, early_warn, early, &err) < 0)
            die (o.rank, "%s", err.text);
    }
    if (o.system)
        system_defaults (&o, &have_rank);
    else if (!bs && !have_rank && o.size == 0 && eddy_pmi_client_present ()) {
        /* munged's socket for signing PMI values: the config's [sign] */
        struct eddy_sign_conf sc;
        if (eddy_sign_conf_parse (&sc, conf ? json_object_get (conf, "sign") : NULL, false, &err)
            < 0)
            die (o.rank, "%s", err.text);
        snprintf (o.pmi_munge_socket, sizeof (o.pmi_munge_socket), "%s", sc.munge_socket);
        pmi_boot (&o, tbon_set, bind_set);
        have_rank = true;
    }
    if (!have_rank || o.size == 0 || o.rank >= o.size || !o.rundir || optind != argc)
        usage ();
    /* systemd's socket is ours alone: jobs must not inherit it */
    if (getenv ("NOTIFY_SOCKET")) {
        o.notify_socket = strdup (getenv ("NOTIFY_SOCKET"));
        unsetenv ("NOTIFY_SOCKET");
    }
    if (!strcmp (o.tbon, "tcp") && !o.cert && !o.have_keys)
        die (o.rank, "a tcp overlay needs a CURVE certificate (--cert, made by eddy keygen)");

    eddy_reactor_t *r = eddy_reactor_create ();
    if (!r)
        die (o.rank, "cannot create reactor: %s", strerror (errno));
    eddy_broker_t *b = topo ? eddy_broker_create_topo (r, o.rank, topo, &err)
                            : eddy_broker_create (r, o.rank, o.size, o.fanout, &err);
    if (!b)
        die (o.rank, "%s", err.text);
    eddy_broker_set_log_sink (b, log_sink, &o);
    eddy_broker_set_state_cb (b, state_cb, &o);
    eddy_broker_set_module_table (b, eddy_builtin_modules);
    size_t iw;
    json_t *w;
    json_array_foreach (early, iw, w)
        eddy_broker_log (b, (int)json_integer_value (json_array_get (w, 0)), "config", "%s",
                         json_string_value (json_array_get (w, 1)));
    json_decref (early);
    if (!bs && json_object_get (json_object_get (conf, "tbon"), "topo"))
        eddy_broker_log (b, LOG_NOTICE, "config",
                         "tbon.topo shapes a bootstrapped instance; --fanout %d shapes this one",
                         o.fanout);
    if (bs) /* the hostname bootstrap knows this rank by, for R */
        snprintf (host, sizeof (host), "%s", eddy_bootstrap_host (bs, o.rank));
    snprintf (buf, sizeof (buf), "%d", (int)getpid ());
    eddy_broker_attr_set (b, "broker.pid", buf);
    eddy_broker_attr_set (b, "hostname", host);
    eddy_broker_attr_set (b, "broker.rundir", o.rundir);
    snprintf (buf, sizeof (buf), "%u", (unsigned)getuid ());
    eddy_broker_attr_set (b, "security.owner", buf);
    for (int i = 0; i < nattrs; i++) {
        char *eq = strchr (attrs[i], '=');
        *eq = '\0';
        if (eddy_broker_attr_set (b, attrs[i], eq + 1) < 0)
            die (o.rank, "cannot set attribute %s: %s", attrs[i], strerror (errno));
        *eq = '=';
    }
    /* after the -S attributes, which the configuration does not override */
    json_t *R = NULL;
    if (conf) {
        eddy_broker_set_config (b, conf);
        eddy_broker_set_config_loader (b, config_loader, &o);
        const json_t *path = json_object_get (json_object_get (conf, "resource"), "path");
        if (json_is_string (path) && o.rank == 0)
            R = load_R (json_string_value (path), bs, o.rank);
        json_decref (conf);
    }
    const char *statedir = set_statedir (b, &o);
    /* a system instance runs with the nodes that are up: rank 0 alone is
     * quorum unless -S broker.quorum or [broker] quorum says otherwise */
    if (o.system && !eddy_broker_attr_get (b, "broker.quorum"))
        eddy_broker_attr_set (b, "broker.quorum", "1");
    eddy_statelock_t *slock = lock_statedir (b, statedir, &o);
    set_exec_guard (b);

    struct modarg margs[64] = { { 0 } };
    for (int i = 0; i < nmods; i++) {
        char *eq = strchr (mods[i], '=');
        margs[i].name = mods[i];
        if (eq) {
            *eq = '\0';
            if (!(margs[i].args = json_loads (eq + 1, 0, NULL)))
                die (o.rank, "--module %s: arguments are not a JSON object", mods[i]);
        }
    }
    add_modules (b, o.rank, bare, margs, nmods, R);
    json_decref (R);
    for (int i = 0; i < nmods; i++)
        json_decref (margs[i].args);

    discover_resources (b);

    /* local connector: a system instance's is the well-known one */
    if (o.system)
        snprintf (buf, sizeof (buf), "%s/local", o.rundir);
    else
        snprintf (buf, sizeof (buf), "%s/local-%u", o.rundir, o.rank);
    eddy_local_server_t *ls = eddy_local_server_create (r, buf, eddy_broker_connector_cb (), b, &err);
    if (!ls)
        die (o.rank, "%s", err.text);
    eddy_broker_set_connector (b, &eddy_local_server_ops, ls);
    set_access (ls, eddy_broker_config (b), &o);
    char uri[4300];
    snprintf (uri, sizeof (uri), "local://%s", buf);
    eddy_broker_attr_set (b, "local-uri", uri);
    if (o.system)
        eddy_broker_log (b, LOG_INFO, "broker", "system instance: rank %u of %u, socket %s, statedir %s, config %s",
                         o.rank, o.size, buf, statedir ? statedir : "(none)",
                         o.config_path ? o.config_path : "(none)");

    /* overlay */
    eddy_zmq_overlay_t *ov = eddy_zmq_overlay_create (r, o.rank, o.size, eddy_broker_overlay_cb (), b, &err);
    if (!ov)
        die (o.rank, "%s", err.text);
    if (o.cert && eddy_zmq_overlay_set_cert (ov, o.cert, &err) < 0)
        die (o.rank, "%s", err.text);
    if (!o.cert && o.have_keys && eddy_zmq_overlay_set_cert_keys (ov, &o.keys, &err) < 0)
        die (o.rank, "%s", err.text);
    uint32_t nchildren;
    eddy_topo_first_child (o.rank, o.size, o.fanout, &nchildren);
    if (topo) /* the broker's table: children need not be contiguous */
        nchildren = eddy_topo_get_children (topo, o.rank, NULL);
    if (nchildren > 0 && bs) {
        char *uri = resolve_uri (eddy_bootstrap_bind_uri (bs, o.rank));
        if (!uri || eddy_zmq_overlay_bind (ov, uri, &err) < 0)
            die (o.rank, "bind %s (bootstrap.hosts, %s): %s", uri ? uri : "?",
                 eddy_bootstrap_host (bs, o.rank), uri ? err.text : "out of memory");
        eddy_broker_attr_set (b, "tbon.endpoint", eddy_zmq_overlay_bound_uri (ov));
        free (uri);
    }
    else if (nchildren > 0) {
        if (!strcmp (o.tbon, "ipc"))
            snprintf (buf, sizeof (buf), "ipc://%s/tbon-%u", o.rundir, o.rank);
        else
            snprintf (buf, sizeof (buf), "tcp://%s:*", o.bind_host);
        if (eddy_zmq_overlay_bind (ov, buf, &err) < 0)
            die (o.rank, "%s", err.text);
        const char *bound = eddy_zmq_overlay_bound_uri (ov);
        eddy_broker_attr_set (b, "tbon.endpoint", bound);
        if (!strcmp (o.tbon, "tcp") && !o.pmi && publish_uri (&o, bound) < 0)
            die (o.rank, "cannot publish overlay URI in %s: %s", o.rundir, strerror (errno));
    }
    uint32_t parent = 0;
    if (o.rank > 0)
        parent = topo ? eddy_topo_get_parent (topo, o.rank) : eddy_topo_parent (o.rank, o.size, o.fanout);
    char *pmi_parent = NULL;
    if (o.pmi) {
        const char *sign = "none";
        pmi_parent = pmi_exchange (&o, nchildren > 0 ? eddy_zmq_overlay_bound_uri (ov) : NULL,
                                   parent, &sign);
        eddy_broker_attr_set (b, "broker.boot-method", "pmi");
        eddy_broker_attr_set (b, "broker.pmi-sign", sign);
    }
    if (o.rank > 0) {
        char *puri = pmi_parent ? pmi_parent
                     : bs       ? resolve_uri (eddy_bootstrap_connect_uri (bs, parent))
                                : parent_uri (&o, parent);
        if (!puri)
            die (o.rank, "rank %u did not publish its overlay URI in time", parent);
        if (eddy_zmq_overlay_connect (ov, puri, &err) < 0)
            die (o.rank, "%s", err.text);
        eddy_broker_attr_set (b, "tbon.parent-endpoint", puri);
        free (puri);
    }
    eddy_broker_set_overlay (b, &eddy_zmq_overlay_ops, ov);

    /* SIGTERM and SIGINT start an orderly shutdown; SIGHUP reloads */
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGINT);
    sigprocmask (SIG_BLOCK, &mask, NULL);
    struct sig sig = { b, &o, signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC) };
    eddy_watcher_t *sigw = NULL;
    if (sig.fd >= 0 && (sigw = eddy_fd_create (r, sig.fd, EDDY_POLLIN, signal_cb, &sig)))
        eddy_watcher_start (sigw);

    if (eddy_broker_start (b) < 0)
        die (o.rank, "cannot start: %s", strerror (errno));
    /* a failure at start (a module that did not load) may have run the
     * broker to exit already: its reactor stop came before the run */
    if (eddy_broker_state (b) != EDDY_STATE_EXIT)
        eddy_reactor_run (r, EDDY_RUN_DEFAULT);

    int code = eddy_broker_exit_code (b);
    eddy_watcher_destroy (sigw);
    if (sig.fd >= 0)
        close (sig.fd);
    eddy_broker_set_overlay (b, NULL, NULL);
    eddy_broker_set_connector (b, NULL, NULL);
    eddy_broker_destroy (b);
    eddy_bootstrap_destroy (bs);
    eddy_statelock_release (slock); /* after the store is closed */
    eddy_zmq_overlay_ops.destroy (ov);
    eddy_local_server_ops.destroy (ls);
    eddy_reactor_destroy (r);
    free (o.notify_socket);
    free (o.own_bind_host);
    if (o.own_rundir) {
        nftw (o.own_rundir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free (o.own_rundir);
    }
    return code;
}
