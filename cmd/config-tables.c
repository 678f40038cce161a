/* config-tables.c - the tables and keys of eddy's configuration, by the
 * part of the instance that reads them.  Names follow Flux's (flux-config-
 * TABLE(5)) where Flux has the key; tables eddy does not use yet are
 * checked all the same, so a file written today is valid later.
 *
 * Keep in step with what reads them: engine/broker/config.c ([broker],
 * [tbon] as attributes), the modules' config.reload handlers, eddy-broker
 * (module arguments at start) and docs/config.md.
 */
#include <stddef.h>
#include <stdlib.h>

#include "cmd/bootstrap.h"
#include "cmd/config-schema.h"
#include "engine/broker/topology.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "engine/util/sign.h"
#include "kvs/blobref.h"
#include "sched/job-manager/queue.h"
#include "sched/policy.h"

/* a built-in policy's name or a plugin's path: create it to be sure */
static int policy_check (const json_t *v, eddy_error_t *err)
{
    eddy_error_t e;
    eddy_policy_t *p = eddy_policy_create (json_string_value (v), &e);

    if (!p)
        return eddy_error_set (err, "%s", e.text);
    eddy_policy_destroy (p);
    return 0;
}

/* exclude: an idset of ranks or a hostlist */
static int exclude_check (const json_t *v, eddy_error_t *err)
{
    eddy_idset_t *ids;
    eddy_hostlist_t *hl;
    const char *s = json_string_value (v);

    if ((ids = eddy_idset_decode (s, NULL))) {
        eddy_idset_destroy (ids);
        return 0;
    }
    if ((hl = eddy_hostlist_decode (s, NULL))) {
        eddy_hostlist_destroy (hl);
        return 0;
    }
    return eddy_error_set (err, "'%s' is neither an idset nor a hostlist", s);
}

/* quorum: a count of ranks (an integer >= 1) or an idset of ranks (a
 * string); the size of the instance is not known here, the broker checks
 * the ranks against it
 */
static int quorum_check (const json_t *v, eddy_error_t *err)
{
    eddy_idset_t *ids;
    eddy_error_t e;

    if (json_is_integer (v)) {
        json_int_t n = json_integer_value (v);
        if (n < 1 || n > 100000000)
            return eddy_error_set (err, "%" JSON_INTEGER_FORMAT " is out of range (1-100000000)", n);
        return 0;
    }
    if (!json_is_string (v))
        return eddy_error_set (err, "expected a count of ranks or an idset of ranks");
    if (!(ids = eddy_idset_decode (json_string_value (v), &e)))
        return eddy_error_set (err, "'%s' is not an idset: %s", json_string_value (v), e.text);
    bool empty = eddy_idset_empty (ids);
    eddy_idset_destroy (ids);
    if (empty)
        return eddy_error_set (err, "'%s' names no rank", json_string_value (v));
    return 0;
}

/* statedir: an absolute path (brokers do not agree on a working directory) */
static int absolute_path_check (const json_t *v, eddy_error_t *err)
{
    const char *s = json_string_value (v);
    if (s[0] != '/')
        return eddy_error_set (err, "'%s' is not an absolute path", s);
    return 0;
}

/* tbon.topo: a shape eddy_topo_create () knows */
static int topo_check (const json_t *v, eddy_error_t *err)
{
    eddy_error_t e;
    eddy_topo_t *t = eddy_topo_create (json_string_value (v), 1, &e);
    if (!t)
        return eddy_error_set (err, "%s", e.text);
    eddy_topo_destroy (t);
    return 0;
}

/* default_bind, bind...: only %h, %p and %% are substituted */
static int template_check (const json_t *v, eddy_error_t *err)
{
    eddy_error_t e;
    char *s = eddy_bootstrap_subst (json_string_value (v), "host", 1, &e);
    if (!s)
        return eddy_error_set (err, "%s", e.text);
    free (s);
    return 0;
}

/* content.hash: a hash function blobrefs can name */
static int hash_check (const json_t *v, eddy_error_t *err)
{
    eddy_hash_t alg;
    if (eddy_hash_parse (json_string_value (v), &alg) < 0)
        return eddy_error_set (err, "'%s' is not a hash (sha256, blake2b)", json_string_value (v));
    return 0;
}

/* [broker]: the broker itself (attributes of the same names) */
static const struct eddy_conf_key broker_keys[] = {
    { "statedir", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = absolute_path_check, .doc = "where rank 0 keeps the KVS and the jobs (system default /var/lib/eddy)" },
    { "log-stderr-level", EDDY_CONF_INTEGER, 0, 0, 7, .doc = "syslog level up to which log lines go to stderr" },
    { "quorum", EDDY_CONF_ANY, EDDY_CONF_RESTART, .check = quorum_check, .doc = "ranks online before rank 0 runs: a count, or an idset of ranks" },
    EDDY_CONF_END,
};

/* [tbon]: the overlay's timers (attributes tbon.NAME) */
static const struct eddy_conf_key tbon_keys[] = {
    { "keepalive_period", EDDY_CONF_DURATION, EDDY_CONF_RESTART, .doc = "how often a broker tells its parent it lives" },
    { "keepalive_timeout", EDDY_CONF_DURATION, 0, .doc = "silence after which a child is lost" },
    { "hello_retry", EDDY_CONF_DURATION, EDDY_CONF_RESTART, .doc = "hello again after this long without a welcome" },
    { "shutdown_timeout", EDDY_CONF_DURATION, 0, .doc = "how long a parent waits for its children to leave" },
    { "status_timeout", EDDY_CONF_DURATION, 0, .doc = "how long overlay.status waits for a child" },
    { "topo", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = topo_check, .doc = "tree shape: kary:K (default kary:2), binomial, flat" },
    { "connect_timeout", EDDY_CONF_DURATION, EDDY_CONF_UNUSED },
    { "tcp_user_timeout", EDDY_CONF_DURATION, EDDY_CONF_UNUSED },
    { "torpid_min", EDDY_CONF_DURATION, EDDY_CONF_UNUSED, .doc = "eddy's keepalive_period plays its part" },
    { "torpid_max", EDDY_CONF_DURATION, 0, .doc = "silence after which a child is torpid (not scheduled on), 0 = never" },
    EDDY_CONF_END,
};

/* [content]: the content store and the kvs module, which names its blobs */
static const char *const content_backings[] = { "sqlite", "memory", NULL };
static const struct eddy_conf_key content_keys[] = {
    { "hash", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = hash_check, .doc = "what names new blobs: sha256 (default) or blake2b" },
    { "backing", EDDY_CONF_STRING, EDDY_CONF_RESTART, .choices = content_backings, .doc = "sqlite (without a statedir: a temporary store in the runtime directory) or memory; default sqlite with a statedir, else memory" },
    EDDY_CONF_END,
};

/* [bootstrap]: a system instance's brokers and their addresses */
static const struct eddy_conf_key bootstrap_host_keys[] = {
    { "host", EDDY_CONF_HOSTLIST, EDDY_CONF_REQUIRED },
    { "bind", EDDY_CONF_STRING, 0, .check = template_check, .doc = "the address this host binds (%h host, %p port)" },
    { "connect", EDDY_CONF_STRING, 0, .check = template_check, .doc = "the address its children connect to" },
    { "parent", EDDY_CONF_STRING, 0, .doc = "the hostname of its parent in the tree" },
    EDDY_CONF_END,
};
static const struct eddy_conf_key bootstrap_keys[] = {
    { "curve_cert", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = absolute_path_check, .doc = "the CURVE certificate (eddy keygen), the same on every node" },
    { "default_port", EDDY_CONF_INTEGER, EDDY_CONF_RESTART, 1, 65535, .doc = "the overlay's port (%p), default 8050" },
    { "default_bind", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = template_check, .doc = "bind template, default tcp://%h:%p" },
    { "default_connect", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = template_check, .doc = "connect template, default tcp://%h:%p" },
    { "enable_ipv6", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    { "hosts", EDDY_CONF_TABLES, EDDY_CONF_RESTART, .keys = bootstrap_host_keys, .doc = "the brokers in rank order" },
    EDDY_CONF_END,
};

/* [resource]: the resource module */
static const struct eddy_conf_key resource_config_keys[] = {
    { "hosts", EDDY_CONF_HOSTLIST, EDDY_CONF_REQUIRED },
    { "cores", EDDY_CONF_IDSET },
    { "gpus", EDDY_CONF_IDSET },
    { "properties", EDDY_CONF_STRINGS },
    EDDY_CONF_END,
};
/* [resource.health]: what a torpid, lost or crashed rank gets (sched/resource.c) */
static const char *const health_torpid[] = { "none", "drain", NULL };
static const char *const health_down_drain[] = { "down", "drain", NULL };
static const struct eddy_conf_key resource_health_keys[] = {
    { "torpid", EDDY_CONF_STRING, 0, .choices = health_torpid, .doc = "none (default: not scheduled on while torpid) or drain" },
    { "lost", EDDY_CONF_STRING, 0, .choices = health_down_drain, .doc = "down (default: back when it rejoins) or drain" },
    { "crashed", EDDY_CONF_STRING, 0, .choices = health_down_drain, .doc = "restarted under jobs: down (default: used again once back) or drain (with a reason)" },
    EDDY_CONF_END,
};
static const struct eddy_conf_key resource_keys[] = {
    { "path", EDDY_CONF_STRING, EDDY_CONF_RESTART, .check = absolute_path_check, .doc = "an R file (eddy R encode); hosts renamed from bootstrap" },
    { "config", EDDY_CONF_TABLES, EDDY_CONF_RESTART | EDDY_CONF_UNUSED, .keys = resource_config_keys },
    { "exclude", EDDY_CONF_STRING, 0, .check = exclude_check, .doc = "ranks (idset) or hosts (hostlist) never scheduled" },
    { "health", EDDY_CONF_TABLE, 0, .keys = resource_health_keys, .doc = "node health policy: torpid, lost, crashed" },
    { "scheduling", EDDY_CONF_STRING, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    { "reserve", EDDY_CONF_STRING, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    { "noverify", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    { "norestrict", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    { "rediscover", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    EDDY_CONF_END,
};

/* a prolog's or epilog's command: an argv, so not empty, nor an empty name */
static int command_check (const json_t *v, eddy_error_t *err)
{
    if (json_array_size (v) == 0)
        return eddy_error_set (err, "the command is empty");
    if (!*json_string_value (json_array_get (v, 0)))
        return eddy_error_set (err, "the command's name is empty");
    return 0;
}

/* [job-manager.prolog], [job-manager.epilog] (sched/job-manager/perilog.c) */
static const struct eddy_conf_key perilog_keys[] = {
    { "command", EDDY_CONF_STRINGS, EDDY_CONF_REQUIRED, .check = command_check, .doc = "the command (argv), run with EDDY_JOB_ID, EDDY_JOB_USERID, EDDY_OWNER_USERID" },
    { "timeout", EDDY_CONF_DURATION, 0, .doc = "SIGTERM (then SIGKILL) and drain after this long; default 30m, 0 = none" },
    { "per-rank", EDDY_CONF_BOOLEAN, 0, .doc = "run on each of the job's ranks (default false: once, on rank 0)" },
    EDDY_CONF_END,
};

/* [job-manager.priority] (sched/job-manager/priority.c) */
static const char *const priority_plugins[] = { "urgency", "multifactor", NULL };
static const struct eddy_conf_key priority_weight_keys[] = {
    { "fairshare", EDDY_CONF_NUMBER, EDDY_CONF_RESTART, 0, 1e9, .doc = "weight of the fair-share factor (default 100000)" },
    { "age", EDDY_CONF_NUMBER, EDDY_CONF_RESTART, 0, 1e9, .doc = "weight of the age factor (default 1000)" },
    { "size", EDDY_CONF_NUMBER, EDDY_CONF_RESTART, 0, 1e9, .doc = "weight of the size factor (default 0)" },
    { "queue", EDDY_CONF_NUMBER, EDDY_CONF_RESTART, 0, 1e9, .doc = "weight of the queue factor (default 0)" },
    { "urgency", EDDY_CONF_NUMBER, EDDY_CONF_RESTART, 0, 1e9, .doc = "weight of the urgency factor (default 1000)" },
    EDDY_CONF_END,
};
static const struct eddy_conf_key priority_keys[] = {
    { "plugin", EDDY_CONF_STRING, EDDY_CONF_RESTART, .choices = priority_plugins, .doc = "urgency (default: priority = urgency) or multifactor" },
    { "weights", EDDY_CONF_TABLE, EDDY_CONF_RESTART, .keys = priority_weight_keys, .doc = "the multi-factor weights" },
    { "max-age", EDDY_CONF_DURATION, EDDY_CONF_RESTART, .doc = "age factor 1 at this age (default 7d)" },
    { "size-max", EDDY_CONF_NUMBER, EDDY_CONF_RESTART, 0, 1e9, .doc = "size factor 1 at this many cores (default 1024)" },
    { "period", EDDY_CONF_DURATION, EDDY_CONF_RESTART, .doc = "pending jobs' priorities recomputed this often (default 1m)" },
    { "queues", EDDY_CONF_ANY, EDDY_CONF_RESTART, .doc = "queue name = its queue factor (default 0)" },
    EDDY_CONF_END,
};

/* [job-manager] */
static const struct eddy_conf_key job_manager_keys[] = {
    { "priority", EDDY_CONF_TABLE, EDDY_CONF_RESTART, .keys = priority_keys, .doc = "the priority plugin" },
    { "prolog", EDDY_CONF_TABLE, 0, .keys = perilog_keys, .doc = "run before each job starts" },
    { "epilog", EDDY_CONF_TABLE, 0, .keys = perilog_keys, .doc = "run after each job ends, before its resources are freed" },
    { "inactive-num-limit", EDDY_CONF_INTEGER, 0, 0, 2147483647, .doc = "inactive jobs kept in the KVS (the older are purged)" },
    { "inactive-remember", EDDY_CONF_INTEGER, EDDY_CONF_RESTART, 0, 1e7, .doc = "inactive jobs kept in memory for job-manager.wait" },
    { "inactive-age-limit", EDDY_CONF_DURATION, 0, .doc = "inactive jobs older than this are purged from the KVS" },
    { "journal-size-limit", EDDY_CONF_INTEGER, EDDY_CONF_UNUSED },
    { "plugins", EDDY_CONF_ANY, EDDY_CONF_UNUSED },
    { "housekeeping", EDDY_CONF_TABLE, EDDY_CONF_UNUSED },
    EDDY_CONF_END,
};

/* [job-list] */
static const struct eddy_conf_key job_list_keys[] = {
    { "inactive-max", EDDY_CONF_INTEGER, EDDY_CONF_RESTART, 0, 2147483647, .doc = "inactive jobs kept in job-list's memory (default 1000); older ones are read from the KVS when asked for" },
    EDDY_CONF_END,
};

/* [sched] */
static const struct eddy_conf_key sched_keys[] = {
    { "policy", EDDY_CONF_STRING, 0, .check = policy_check, .doc = "fcfs, easy, conservative, or a plugin's path" },
    { "policy-params", EDDY_CONF_TABLE, EDDY_CONF_UNUSED, .doc = "the policy's own parameters" },
    EDDY_CONF_END,
};

/* [exec] imp names a program by its absolute path (it is setuid: a
 * search of PATH would let the environment choose it). */
static int abspath_check (const json_t *v, eddy_error_t *err)
{
    const char *s = json_string_value (v);
    return s && s[0] == '/' ? 0 : eddy_error_set (err, "must be an absolute path");
}

/* [exec] */
static const struct eddy_conf_key exec_keys[] = {
    { "kill-timeout", EDDY_CONF_DURATION, 0, .doc = "SIGTERM to SIGKILL grace after a time limit or a cancel" },
    { "imp", EDDY_CONF_STRING, 0, .check = abspath_check, .doc = "eddy-imp's path: jobs of other users run through it" },
    { "job-shell", EDDY_CONF_STRING, EDDY_CONF_UNUSED },
    { "service", EDDY_CONF_STRING, EDDY_CONF_UNUSED },
    { "max-kill-count", EDDY_CONF_INTEGER, EDDY_CONF_UNUSED },
    { "barrier-timeout", EDDY_CONF_DURATION, EDDY_CONF_UNUSED },
    EDDY_CONF_END,
};

/* [access] */
static const struct eddy_conf_key access_keys[] = {
    { "allow-guest-user", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART,
      .doc = "let users other than the instance owner connect (as guests)" },
    { "allow-root-owner", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART,
      .doc = "give root the owner's role (else root is a guest)" },
    { "private-mode", EDDY_CONF_BOOLEAN, EDDY_CONF_RESTART | EDDY_CONF_UNUSED },
    EDDY_CONF_END,
};

/* [sign] (the security config's sign.toml): job-ingest parses it again
 * knowing [access], which decides whether "none" may be used
 */
static int sign_check (const json_t *v, eddy_error_t *err)
{
    struct eddy_sign_conf conf;
    return eddy_sign_conf_parse (&conf, v, false, err);
}

/* [queues]: the job manager reads them all at once (queue.h), so the
 * whole table is held to its rules here, with the names of its keys
 */
static int queues_check (const json_t *v, eddy_error_t *err)
{
    struct jmq_set set;
    eddy_error_t e;

    if (jmq_set_parse (&set, v, NULL, &e) < 0)
        return eddy_error_set (err, "%s", e.text);
    jmq_set_clear (&set);
    return 0;
}

/* [queues.NAME]; a key not named here is warned of and ignored */
static const struct eddy_conf_key queue_limit_keys[] = {
    { "duration", EDDY_CONF_ANY, 0, .doc = "the longest time limit a job may ask for" },
    { "job-size", EDDY_CONF_TABLE, 0, .doc = "max.nnodes, max.ncores" },
    EDDY_CONF_END,
};
static const struct eddy_conf_key queue_policy_keys[] = {
    { "limits", EDDY_CONF_TABLE, 0, .keys = queue_limit_keys },
    EDDY_CONF_END,
};
static const struct eddy_conf_key queue_keys[] = {
    { "default", EDDY_CONF_BOOLEAN, 0, .doc = "jobs without -q go here" },
    { "resources", EDDY_CONF_STRING, 0, .doc = "the queue's ranks (idset) or hosts (hostlist)" },
    { "requires", EDDY_CONF_STRINGS, 0, .doc = "properties the queue's nodes have" },
    { "policy", EDDY_CONF_TABLE, 0, .doc = "limits: duration, job-size.max.nnodes/ncores",
      .keys = queue_policy_keys },
    EDDY_CONF_END,
};
static const struct eddy_conf_key queues_keys[] = {
    { "*", EDDY_CONF_TABLE, 0, .keys = queue_keys },
    EDDY_CONF_END,
};

/* [policy]: jobspec.defaults.system.queue names the default queue */
static const struct eddy_conf_key policy_keys[] = {
    { "jobspec", EDDY_CONF_TABLE },
    { "limits", EDDY_CONF_TABLE, EDDY_CONF_UNUSED },
    EDDY_CONF_END,
};

/* [archive] */
static const struct eddy_conf_key archive_keys[] = {
    { "dbpath", EDDY_CONF_STRING },
    { "period", EDDY_CONF_DURATION },
    { "busytimeout", EDDY_CONF_DURATION },
    { "retention", EDDY_CONF_DURATION },
    EDDY_CONF_END,
};

/* [accounting] (fair share, computed by the job-archive module) */
static const struct eddy_conf_key accounting_keys[] = {
    { "dbpath", EDDY_CONF_STRING },
    { "half-life", EDDY_CONF_DURATION },
    { "period", EDDY_CONF_DURATION },
    EDDY_CONF_END,
};

/* [ingest] (the job-ingest module) */
static const struct eddy_conf_key ingest_stage_keys[] = {
    { "disable", EDDY_CONF_BOOLEAN },
    { "plugins", EDDY_CONF_STRINGS },
    { "args", EDDY_CONF_STRINGS },
    { "*", EDDY_CONF_TABLE }, /* a plugin's own table */
    EDDY_CONF_END,
};
static const struct eddy_conf_key ingest_keys[] = {
    { "backlog-max", EDDY_CONF_INTEGER, 0, 0, 2147483647,
      .doc = "no batch while this many jobs are pending (0: no bound)" },
    { "batch-count", EDDY_CONF_INTEGER, 0, 0, 1e9 },
    { "buffer-size", EDDY_CONF_STRING },
    { "validator", EDDY_CONF_TABLE, 0, .keys = ingest_stage_keys },
    { "frobnicator", EDDY_CONF_TABLE, 0, .keys = ingest_stage_keys },
    EDDY_CONF_END,
};

const struct eddy_conf_key eddy_config_schema[] = {
    { "broker", EDDY_CONF_TABLE, .keys = broker_keys },
    { "tbon", EDDY_CONF_TABLE, .keys = tbon_keys },
    { "content", EDDY_CONF_TABLE, .keys = content_keys },
    { "bootstrap", EDDY_CONF_TABLE, 0, .keys = bootstrap_keys },
    { "resource", EDDY_CONF_TABLE, 0, .keys = resource_keys },
    { "job-manager", EDDY_CONF_TABLE, .keys = job_manager_keys },
    { "job-list", EDDY_CONF_TABLE, .keys = job_list_keys },
    { "sched", EDDY_CONF_TABLE, .keys = sched_keys },
    { "exec", EDDY_CONF_TABLE, .keys = exec_keys },
    { "access", EDDY_CONF_TABLE, .keys = access_keys },
    { "sign", EDDY_CONF_TABLE, 0, .check = sign_check },
    { "queues", EDDY_CONF_TABLE, 0, .check = queues_check, .keys = queues_keys },
    { "policy", EDDY_CONF_TABLE, 0, .keys = policy_keys },
    { "archive", EDDY_CONF_TABLE, 0, .keys = archive_keys },
    { "accounting", EDDY_CONF_TABLE, 0, .keys = accounting_keys },
    { "ingest", EDDY_CONF_TABLE, EDDY_CONF_UNUSED, .keys = ingest_keys },
    EDDY_CONF_END,
};
