/* config.c - the instance's configuration as the broker holds it: rank
 * 0's is in force everywhere (a joining broker gets it in its welcome, a
 * reload reaches every rank as a `config.updated` event), [broker] and
 * [tbon] keys become attributes, and each module gets its table and a
 * `config.reload` request when it changes.  Reading and validating the
 * files is the owner's job (the loader); the broker opens none.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker_impl.h"
#include "engine/util/fsd.h"

/* Keys the broker itself applies, as attributes.  Those that are read only
 * while the broker starts are applied at start (and when a broker joins),
 * not on a reload: the owner's validator warns that they need a restart.
 */
enum conf_kind { CONF_INT, CONF_SECONDS, CONF_QUORUM };

static const struct conf_attr {
    const char *table;
    const char *key;
    const char *attr;
    enum conf_kind kind;
    bool reloadable;
} conf_attrs[] = {
    { "broker", "log-stderr-level", "log-stderr-level", CONF_INT, true },
    { "broker", "quorum", "broker.quorum", CONF_QUORUM, false },
    { "tbon", "keepalive_period", "tbon.keepalive_period", CONF_SECONDS, false },
    { "tbon", "keepalive_timeout", "tbon.keepalive_timeout", CONF_SECONDS, true },
    { "tbon", "hello_retry", "tbon.hello_retry", CONF_SECONDS, false },
    { "tbon", "shutdown_timeout", "tbon.shutdown_timeout", CONF_SECONDS, true },
    { "tbon", "status_timeout", "tbon.status_timeout", CONF_SECONDS, true },
    { "tbon", "torpid_max", "tbon.torpid_max", CONF_SECONDS, true },
};

static void shared_empty_destroy (void *arg)
{
    json_decref (arg);
}

int config_init (eddy_broker_t *b)
{
    /* config_empty is made when a module first needs it: a virtual
     * broker without modules never does.  Until a configuration is set
     * (or a welcome brings rank 0's) the broker holds an empty one, the
     * same object for every broker on the reactor: a configuration is
     * replaced, never changed in place, and a million virtual brokers
     * then do not each make one before their welcomes come. */
    json_t *empty = eddy_reactor_shared_get (b->r, shared_empty_destroy);
    if (!empty) {
        if (!(empty = json_object ()))
            return -1;
        if (eddy_reactor_shared_set (b->r, empty, shared_empty_destroy) < 0) {
            b->config = empty; /* no slot: this broker's own */
            return 0;
        }
    }
    b->config = json_incref (empty);
    return 0;
}

void config_fini (eddy_broker_t *b)
{
    json_decref (b->config);
    json_decref (b->config_empty);
    b->config = b->config_empty = NULL;
}

const json_t *eddy_broker_config (eddy_broker_t *b)
{
    return b->config;
}

uint32_t eddy_broker_config_generation (eddy_broker_t *b)
{
    return b->config_gen;
}

void eddy_broker_set_config_loader (eddy_broker_t *b, eddy_broker_config_f loader, void *arg)
{
    b->config_loader = loader;
    b->config_loader_arg = arg;
}

json_t *config_module_table (eddy_broker_t *b, const struct eddy_module *m)
{
    const char *name = m->config_table ? m->config_table : m->name;
    json_t *t = json_object_get (b->config, name);
    json_t *o;

    if (!json_is_object (t)) {
        if (!b->config_empty && !(b->config_empty = json_object ()))
            return NULL;
        t = b->config_empty;
    }
    if (!m->config_extra)
        return json_incref (t);
    /* a shallow copy: the module's own table with the extra tables in it */
    if (!(o = json_copy (t)))
        return NULL;
    for (int i = 0; m->config_extra[i]; i++) {
        json_t *x = json_object_get (b->config, m->config_extra[i]);
        if (json_is_object (x) && json_object_set (o, m->config_extra[i], x) < 0) {
            json_decref (o);
            return NULL;
        }
    }
    return o;
}

/* A value as attribute text; false if it has the wrong shape (the owner
 * validates, but a peer's configuration is input too).
 */
static bool attr_text (const json_t *v, enum conf_kind kind, char *buf, size_t len)
{
    double d;

    switch (kind) {
    case CONF_INT:
        if (!json_is_integer (v))
            return false;
        snprintf (buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
        return true;
    case CONF_QUORUM:
        /* a count (an integer) or an idset (a string): the attribute
         * writes the idset in brackets, so "3" the rank is not 3 the count */
        if (json_is_integer (v))
            snprintf (buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
        else if (json_is_string (v) && json_string_value (v)[0] == '[')
            snprintf (buf, len, "%s", json_string_value (v));
        else if (json_is_string (v))
            snprintf (buf, len, "[%s]", json_string_value (v));
        else
            return false;
        return true;
    case CONF_SECONDS:
        if (json_is_number (v))
            d = json_number_value (v);
        else if (!json_is_string (v) || eddy_fsd_parse (json_string_value (v), &d, NULL) < 0)
            return false;
        if (!(d >= 0) || !isfinite (d))
            return false;
        snprintf (buf, len, "%.9g", d);
        return true;
    }
    return false;
}

static void apply_attrs (eddy_broker_t *b, bool reload)
{
    char buf[64];

    for (size_t i = 0; i < sizeof (conf_attrs) / sizeof (conf_attrs[0]); i++) {
        const struct conf_attr *ca = &conf_attrs[i];
        if (reload && !ca->reloadable)
            continue;
        json_t *v = json_object_get (json_object_get (b->config, ca->table), ca->key);
        if (!v) {
            attr_unset_config (b, ca->attr);
            continue;
        }
        if (!attr_text (v, ca->kind, buf, sizeof (buf))) {
            eddy_broker_log (b, LOG_ERR, "config", "%s.%s: malformed value: ignored", ca->table,
                             ca->key);
            continue;
        }
        if (attr_set_config (b, ca->attr, buf) < 0)
            eddy_broker_log (b, LOG_ERR, "config", "%s.%s: cannot set attribute %s: %s",
                             ca->table, ca->key, ca->attr, strerror (errno));
    }
}

/* Tell every module of its table: a `config.reload` request, answered to
 * the broker's own handle, with the module's index as matchtag so the
 * answer says who refused (config_module_response ()).
 */
static void notify_modules (eddy_broker_t *b)
{
    for (uint32_t i = 1; i < b->nmods; i++) {
        struct module_inst *mi = b->mods[i];
        eddy_msg_t *m;
        json_t *table;

        if (!mi || !mi->m)
            continue;
        if (!(table = config_module_table (b, mi->m))) {
            eddy_broker_log (b, LOG_ERR, "config", "cannot tell module %s: out of memory",
                             mi->name);
            continue;
        }
        eddy_handle_set_config (mi->h, table);
        if (!(m = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "config.reload"))) {
            eddy_broker_log (b, LOG_ERR, "config", "cannot tell module %s: out of memory",
                             mi->name);
            json_decref (table);
            continue;
        }
        eddy_msg_take_payload (m, json_pack ("{s:i s:o}", "generation", (json_int_t)b->config_gen,
                                             "config", table));
        eddy_msg_set_nodeid (m, b->rank);
        eddy_msg_set_matchtag (m, mi->idx);
        eddy_msg_set_cred (m, b->owner, EDDY_ROLE_OWNER);
        if (eddy_msg_route_push (m, EDDY_ROUTE (EDDY_ROUTE_MODULE, 0)) == 0)
            broker_deliver_entry (b, EDDY_ROUTE (EDDY_ROUTE_MODULE, mi->idx), m);
        eddy_msg_decref (m);
    }
}

bool config_module_response (eddy_broker_t *b, uint64_t entry, const eddy_msg_t *msg)
{
    if (entry != EDDY_ROUTE (EDDY_ROUTE_MODULE, 0) || strcmp (eddy_msg_topic (msg), "config.reload"))
        return false;
    uint32_t idx = eddy_msg_matchtag (msg);
    struct module_inst *mi = idx > 0 && idx < b->nmods ? b->mods[idx] : NULL;
    int errnum = eddy_msg_errnum (msg);
    /* ENOSYS: the module has no use for its configuration at run time */
    if (mi && errnum && errnum != ENOSYS) {
        const char *text = eddy_msg_errstr (msg);
        eddy_broker_log (b, LOG_ERR, "config", "module %s refused configuration generation %u: %s",
                         mi->name, b->config_gen, text ? text : strerror (errnum));
    }
    return true;
}

/* Put a configuration in force.  reload: modules are loaded and are told;
 * otherwise it is this broker's start, when they are not loaded yet.
 */
static void config_apply (eddy_broker_t *b, json_t *config, uint32_t generation, bool reload)
{
    json_t *old = b->config;

    b->config = json_incref (config);
    b->config_gen = generation;
    b->config_local = false;
    json_decref (old);
    apply_attrs (b, reload);
    if (reload)
        notify_modules (b);
    eddy_broker_log (b, LOG_INFO, "config", "configuration generation %u applied", generation);
}

int eddy_broker_set_config (eddy_broker_t *b, json_t *config)
{
    if (!json_is_object (config)) {
        errno = EINVAL;
        return -1;
    }
    if (b->rank == 0)
        config_apply (b, config, 1, false);
    else {
        json_t *old = b->config;
        b->config = json_incref (config);
        b->config_local = true;
        json_decref (old);
        apply_attrs (b, false);
    }
    return 0;
}

void config_from_leader (eddy_broker_t *b, json_t *config, uint32_t generation)
{
    if (!json_is_object (config)) {
        eddy_broker_log (b, LOG_ERR, "config", "rank %u sent a malformed configuration", b->parent);
        return;
    }
    if (!b->config_local && generation == b->config_gen)
        return; /* a second welcome */
    if (b->config_local && !json_equal (b->config, config))
        eddy_broker_log (b, LOG_WARNING, "config",
                         "this broker's configuration files differ from rank 0's: "
                         "rank 0's are in force");
    config_apply (b, config, generation, b->state >= EDDY_STATE_INIT);
}

/* A new generation from rank 0 (every rank, rank 0 included). */
void config_event (eddy_broker_t *b, const eddy_msg_t *ev)
{
    json_t *config;
    json_int_t gen;

    if (json_unpack (eddy_msg_payload (ev), "{s:I s:o}", "generation", &gen, "config", &config) < 0
        || !json_is_object (config) || gen <= 0 || gen > UINT32_MAX) {
        eddy_broker_log (b, LOG_ERR, "config", "malformed config.updated event: ignored");
        return;
    }
    if ((uint32_t)gen <= b->config_gen)
        return; /* already have it (from a welcome that crossed the event) */
    config_apply (b, config, (uint32_t)gen, b->state >= EDDY_STATE_INIT);
}

/* Rank 0: load, and send the new generation to every rank. */
static int reload_local (eddy_broker_t *b, eddy_error_t *err)
{
    eddy_error_t e = { "" };
    json_t *config;
    eddy_msg_t *ev;

    if (!b->config_loader) {
        errno = ENOSYS;
        eddy_error_set (&e, "this instance has no configuration files to reload");
        goto refused;
    }
    if (!(config = b->config_loader (b, b->config_loader_arg, &e))) {
        if (!errno)
            errno = EINVAL;
        goto refused;
    }
    if (!json_is_object (config)) {
        json_decref (config);
        errno = EINVAL;
        eddy_error_set (&e, "the loader did not return a table");
        goto refused;
    }
    ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, "config.updated");
    if (!ev) {
        json_decref (config);
        eddy_error_set (&e, "out of memory");
        goto refused;
    }
    eddy_msg_take_payload (ev, json_pack ("{s:i s:o}", "generation",
                                          (json_int_t)b->config_gen + 1, "config", config));
    eddy_msg_set_seq (ev, b->event_seq + 1);
    eddy_msg_set_cred (ev, b->owner, EDDY_ROLE_OWNER);
    eddy_broker_log (b, LOG_NOTICE, "config", "config reloaded: generation %u",
                     b->config_gen + 1);
    broker_distribute_event (b, ev); /* applies it here too (config_event) */
    eddy_msg_decref (ev);
    return 0;
refused: {
    int saved_errno = errno;
    eddy_broker_log (b, LOG_ERR, "config", "config reload refused: %s (generation %u stays)",
                     e.text, b->config_gen);
    if (err)
        *err = e;
    errno = saved_errno;
    return -1;
}
}

int eddy_broker_config_reload (eddy_broker_t *b, eddy_error_t *err)
{
    eddy_msg_t *m;

    if (b->rank == 0)
        return reload_local (b, err);
    /* rank 0 holds the truth: ask it (it logs the outcome) */
    if (!(m = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "config.reload"))) {
        eddy_error_set (err, "out of memory");
        return -1;
    }
    eddy_msg_set_nodeid (m, 0);
    eddy_msg_set_flags (m, EDDY_MSGFLAG_NORESPONSE);
    eddy_msg_set_cred (m, b->owner, EDDY_ROLE_OWNER);
    eddy_broker_log (b, LOG_NOTICE, "config", "asking rank 0 to reload the configuration");
    if (eddy_msg_route_push (m, EDDY_ROUTE (EDDY_ROUTE_MODULE, 0)) < 0) {
        eddy_msg_decref (m);
        eddy_error_set (err, "out of memory");
        return -1;
    }
    broker_route_request (b, m);
    return 0;
}

/* ---- config.get, config.reload ---- */

void config_get_request (eddy_broker_t *b, const eddy_msg_t *req)
{
    const char *key = NULL;
    json_t *o = eddy_msg_payload (req);
    json_t *v = b->config;

    if (o && json_unpack (o, "{s?s}", "key", &key) < 0) {
        broker_respond_error (b, req, EPROTO, "config.get: key must be a string");
        return;
    }
    if (key && *key) {
        /* a dotted path: every part names a member of a table */
        const char *p = key;
        for (;;) {
            const char *dot = strchr (p, '.');
            size_t n = dot ? (size_t)(dot - p) : strlen (p);
            if (!json_is_object (v) || !n || !(v = json_object_getn (v, p, n))) {
                broker_respond_error (b, req, ENOENT, "%s: no such key", key);
                return;
            }
            if (!dot)
                break;
            p = dot + 1;
        }
    }
    json_t *resp = json_pack ("{s:i s:O}", "generation", (json_int_t)b->config_gen, "value", v);
    if (!resp) {
        broker_respond_error (b, req, ENOMEM, NULL);
        return;
    }
    broker_respond (b, req, resp);
    json_decref (resp);
}

void config_reload_request (eddy_broker_t *b, const eddy_msg_t *req)
{
    eddy_error_t err = { "" };

    if (reload_local (b, &err) < 0) {
        broker_respond_error (b, req, errno, "%s", err.text);
        return;
    }
    json_t *o = json_pack ("{s:i}", "generation", (json_int_t)b->config_gen);
    broker_respond (b, req, o);
    json_decref (o);
}
