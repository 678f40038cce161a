/* builtin.c - the services every broker provides itself: broker, attr,
 * log, event, service, module, overlay and config.  Registered by table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker_impl.h"

typedef void (*builtin_f) (eddy_broker_t *b, const eddy_msg_t *msg);

enum {
    ROOT_ONLY = 1,  /* forwarded upstream when it reaches another rank */
    LOCAL_ONLY = 2, /* only from a handle or client of this broker */
};

struct builtin {
    const char *topic;
    builtin_f fn;
    int flags;
    uint32_t rolemask;
};

static const char *const builtin_services[] = {
    "broker", "attr", "log", "event", "service", "module", "overlay", "config", NULL,
};

bool builtin_is_service (const char *name)
{
    for (int i = 0; builtin_services[i]; i++)
        if (!strcmp (builtin_services[i], name))
            return true;
    return false;
}

static bool from_local (const eddy_msg_t *msg)
{
    return eddy_msg_route_count (msg) == 1
           && EDDY_ROUTE_KIND (eddy_msg_route_first (msg)) != EDDY_ROUTE_PEER;
}

/* Unpack the request's payload or answer EPROTO; true on success. */
static bool unpack (eddy_broker_t *b, const eddy_msg_t *msg, const char *fmt, ...)
{
    json_t *o = eddy_msg_payload (msg);
    va_list ap;
    int rc = -1;
    json_error_t jerr;

    if (o) {
        va_start (ap, fmt);
        rc = json_vunpack_ex (o, &jerr, 0, fmt, ap);
        va_end (ap);
    }
    if (rc < 0) {
        broker_respond_error (b, msg, EPROTO, "%s: malformed payload: %s", eddy_msg_topic (msg),
                              o ? jerr.text : "no payload");
        return false;
    }
    return true;
}

/* ---- broker.* ---- */

/* The work counters of this broker's reactor (engine/reactor.h): in the
 * simulator every virtual broker shares one reactor, so any rank answers
 * for the whole instance.
 */
static void stats_get (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const struct eddy_stats *st = eddy_reactor_stats (b->r);
    json_t *o = json_pack ("{s:I s:I s:I s:I s:I}", "messages", (json_int_t)st->msgs, "commits",
                           (json_int_t)st->commits, "hashes", (json_int_t)st->hashes,
                           "hash_bytes", (json_int_t)st->hash_bytes, "routed",
                           (json_int_t)b->msgs_routed);
    if (!o) {
        broker_respond_error (b, msg, ENOMEM, NULL);
        return;
    }
    broker_respond (b, msg, o);
    json_decref (o);
}

static void ping (eddy_broker_t *b, const eddy_msg_t *msg)
{
    json_t *o = eddy_msg_payload (msg);
    json_t *resp = json_is_object (o) ? json_deep_copy (o) : json_object ();
    int hops = 0;

    /* count the overlay hops the request took: PEER entries on its route */
    eddy_msg_t *tmp = eddy_msg_copy (msg, false);
    uint64_t e;
    while (tmp && eddy_msg_route_pop (tmp, &e) == 0)
        if (EDDY_ROUTE_KIND (e) == EDDY_ROUTE_PEER)
            hops++;
    eddy_msg_decref (tmp);
    if (!resp || json_object_set_new (resp, "rank", json_integer (b->rank)) < 0
        || json_object_set_new (resp, "hops", json_integer (hops)) < 0) {
        json_decref (resp);
        broker_respond_error (b, msg, ENOMEM, NULL);
        return;
    }
    broker_respond (b, msg, resp);
    json_decref (resp);
}

static void state_wait (eddy_broker_t *b, const eddy_msg_t *msg)
{
    state_wait_request (b, msg);
}

static void shutdown_req (eddy_broker_t *b, const eddy_msg_t *msg)
{
    int code = 0;
    json_t *o = eddy_msg_payload (msg);
    if (o && json_unpack (o, "{s?i}", "exit_code", &code) < 0) {
        broker_respond_error (b, msg, EPROTO, "broker.shutdown: exit_code must be an integer");
        return;
    }
    broker_respond (b, msg, NULL);
    eddy_broker_shutdown (b, code);
}

/* ---- attr.* ---- */

static void attr_get_req (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *name, *value;
    if (!unpack (b, msg, "{s:s}", "name", &name))
        return;
    if (!(value = attr_get (b, name))) {
        broker_respond_error (b, msg, ENOENT, "no attribute named %s", name);
        return;
    }
    json_t *o = json_pack ("{s:s}", "value", value);
    broker_respond (b, msg, o);
    json_decref (o);
}

static void attr_set_req (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *name, *value;
    if (!unpack (b, msg, "{s:s s:s}", "name", &name, "value", &value))
        return;
    if (attr_set (b, name, value, false) < 0) {
        broker_respond_error (b, msg, errno, errno == EPERM ? "%s is read-only" : "cannot set %s",
                              name);
        return;
    }
    broker_respond (b, msg, NULL);
}

static void attr_list_req (eddy_broker_t *b, const eddy_msg_t *msg)
{
    json_t *names = attr_list (b);
    json_t *o = names ? json_pack ("{s:o}", "names", names) : NULL;
    if (!o) {
        broker_respond_error (b, msg, ENOMEM, NULL);
        return;
    }
    broker_respond (b, msg, o);
    json_decref (o);
}

/* ---- log.* ---- */

static void log_append (eddy_broker_t *b, const eddy_msg_t *msg)
{
    int level = LOG_NOTICE;
    const char *name = "logger", *text;
    if (!unpack (b, msg, "{s?i s?s s:s}", "level", &level, "name", &name, "message", &text))
        return;
    if (level < LOG_EMERG || level > LOG_DEBUG) {
        broker_respond_error (b, msg, EINVAL, "log level %d is not 0-7", level);
        return;
    }
    eddy_broker_log (b, level, name, "%s", text);
    broker_respond (b, msg, NULL);
}

static void log_dmesg (eddy_broker_t *b, const eddy_msg_t *msg)
{
    if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)) {
        broker_respond_error (b, msg, EPROTO, "log.dmesg needs a streaming request");
        return;
    }
    for (uint32_t i = 0; i < b->ring_count; i++) {
        json_t *o = logring_entry_json (b, logring_get (b, i));
        if (o) {
            broker_respond (b, msg, o);
            json_decref (o);
        }
    }
    broker_respond_error (b, msg, ENODATA, NULL);
}

static void log_clear (eddy_broker_t *b, const eddy_msg_t *msg)
{
    logring_clear (b);
    broker_respond (b, msg, NULL);
}

/* ---- event.* ---- */

static void event_pub (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *topic;
    json_t *payload = NULL;
    eddy_msg_t *ev;

    if (!unpack (b, msg, "{s:s s?o}", "topic", &topic, "payload", &payload))
        return;
    if (!strncmp (topic, "config.", 7)) {
        /* every rank puts a config.updated event in force */
        broker_respond_error (b, msg, EPERM, "config.* events are the broker's own");
        return;
    }
    if (!(ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, topic)) || !*topic) {
        eddy_msg_decref (ev);
        broker_respond_error (b, msg, EINVAL, "invalid event topic '%s'", topic);
        return;
    }
    eddy_msg_set_payload (ev, payload);
    eddy_reactor_stats (b->r)->msgs++;
    eddy_msg_set_seq (ev, b->event_seq + 1);
    eddy_msg_set_cred (ev, eddy_msg_userid (msg), eddy_msg_rolemask (msg));
    json_t *o = json_pack ("{s:i}", "seq", (json_int_t)(b->event_seq + 1));
    broker_respond (b, msg, o);
    json_decref (o);
    broker_distribute_event (b, ev);
    eddy_msg_decref (ev);
}

static int sub_cmp (const void *a, const void *b)
{
    const struct sub *x = a, *y = b;
    if (x->entry != y->entry)
        return x->entry < y->entry ? -1 : 1;
    return strcmp (x->prefix, y->prefix);
}

static void event_subscribe (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *topic;
    if (!unpack (b, msg, "{s:s}", "topic", &topic))
        return;
    struct sub *p = realloc (b->subs, (b->nsubs + 1) * sizeof (*p));
    if (!p || !(p[b->nsubs].prefix = strdup (topic))) {
        if (p)
            b->subs = p;
        broker_respond_error (b, msg, ENOMEM, NULL);
        return;
    }
    b->subs = p;
    p[b->nsubs].entry = eddy_msg_route_first (msg);
    b->nsubs++;
    qsort (b->subs, b->nsubs, sizeof (b->subs[0]), sub_cmp);
    broker_respond (b, msg, NULL);
}

static void event_unsubscribe (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *topic;
    uint64_t entry = eddy_msg_route_first (msg);
    if (!unpack (b, msg, "{s:s}", "topic", &topic))
        return;
    for (int i = 0; i < b->nsubs; i++) {
        if (b->subs[i].entry == entry && !strcmp (b->subs[i].prefix, topic)) {
            free (b->subs[i].prefix);
            memmove (&b->subs[i], &b->subs[i + 1], (b->nsubs - i - 1) * sizeof (b->subs[0]));
            b->nsubs--;
            break;
        }
    }
    broker_respond (b, msg, NULL);
}

/* ---- service.* ---- */

static void service_add (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *name;
    if (!unpack (b, msg, "{s:s}", "name", &name))
        return;
    if (!*name || strchr (name, '.') || builtin_is_service (name)) {
        broker_respond_error (b, msg, EINVAL, "'%s' cannot be registered as a service", name);
        return;
    }
    for (int i = 0; i < b->nservices; i++) {
        if (!strcmp (b->services[i].name, name)) {
            broker_respond_error (b, msg, EEXIST, "service %s is already registered", name);
            return;
        }
    }
    struct service *p = realloc (b->services, (b->nservices + 1) * sizeof (*p));
    if (!p || !(p[b->nservices].name = strdup (name))) {
        if (p)
            b->services = p;
        broker_respond_error (b, msg, ENOMEM, NULL);
        return;
    }
    b->services = p;
    p[b->nservices].entry = eddy_msg_route_first (msg);
    b->nservices++;
    broker_respond (b, msg, NULL);
}

static void service_remove (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *name;
    uint64_t entry = eddy_msg_route_first (msg);
    if (!unpack (b, msg, "{s:s}", "name", &name))
        return;
    for (int i = 0; i < b->nservices; i++) {
        if (!strcmp (b->services[i].name, name) && b->services[i].entry == entry) {
            free (b->services[i].name);
            memmove (&b->services[i], &b->services[i + 1],
                     (b->nservices - i - 1) * sizeof (b->services[0]));
            b->nservices--;
            broker_respond (b, msg, NULL);
            return;
        }
    }
    broker_respond_error (b, msg, ENOENT, "service %s is not registered by the sender", name);
}

/* ---- module.* ---- */

int broker_module_load (eddy_broker_t *b, const char *name, json_t *args, eddy_error_t *err)
{
    const struct eddy_module *m = NULL;
    struct module_inst *mi;

    for (uint32_t i = 1; i < b->nmods; i++) {
        if (b->mods[i] && b->mods[i]->m && !strcmp (b->mods[i]->name, name)) {
            errno = EEXIST;
            return eddy_error_set (err, "module %s is already loaded", name);
        }
    }
    for (int i = 0; b->modtab && b->modtab[i]; i++)
        if (!strcmp (b->modtab[i]->name, name))
            m = b->modtab[i];
    if (!m) {
        errno = ENOENT;
        return eddy_error_set (err, "no module named %s", name);
    }
    if (!(mi = broker_module_add (b, name, m)))
        return eddy_error_set (err, "out of memory");
    json_t *table = config_module_table (b, m);
    eddy_handle_set_config (mi->h, table);
    json_decref (table);
    if (m->load (mi->h, args, &mi->ctx) < 0) {
        int saved_errno = errno ? errno : EINVAL;
        broker_module_free (b, mi);
        errno = saved_errno;
        return eddy_error_set (err, "module %s failed to load: %s", name, strerror (saved_errno));
    }
    eddy_broker_log (b, LOG_DEBUG, "broker", "module %s loaded", name);
    return 0;
}

int broker_module_unload (eddy_broker_t *b, const char *name)
{
    for (uint32_t i = 1; i < b->nmods; i++) {
        struct module_inst *mi = b->mods[i];
        if (mi && mi->m && !strcmp (mi->name, name)) {
            if (mi->m->unload)
                mi->m->unload (mi->ctx);
            /* log first: name may be mi->name, freed with mi */
            eddy_broker_log (b, LOG_DEBUG, "broker", "module %s unloaded", name);
            broker_module_free (b, mi);
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

void broker_modules_unload_all (eddy_broker_t *b)
{
    /* newest first, so a module outlives the modules that use it */
    for (uint32_t i = b->nmods; i-- > 1;) {
        struct module_inst *mi = b->mods[i];
        if (mi && mi->m)
            broker_module_unload (b, mi->name);
    }
}

static void module_load (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *name;
    json_t *args = NULL;
    eddy_error_t err;
    if (!unpack (b, msg, "{s:s s?o}", "name", &name, "args", &args))
        return;
    if (broker_module_load (b, name, args, &err) < 0) {
        broker_respond_error (b, msg, errno, "%s", err.text);
        return;
    }
    broker_respond (b, msg, NULL);
}

static void module_remove (eddy_broker_t *b, const eddy_msg_t *msg)
{
    const char *name;
    if (!unpack (b, msg, "{s:s}", "name", &name))
        return;
    if (broker_module_unload (b, name) < 0) {
        broker_respond_error (b, msg, ENOENT, "module %s is not loaded", name);
        return;
    }
    broker_respond (b, msg, NULL);
}

static void module_list (eddy_broker_t *b, const eddy_msg_t *msg)
{
    json_t *mods = json_array ();
    for (uint32_t i = 1; mods && i < b->nmods; i++) {
        struct module_inst *mi = b->mods[i];
        if (!mi || !mi->m)
            continue;
        json_t *svcs = json_array ();
        uint64_t entry = EDDY_ROUTE (EDDY_ROUTE_MODULE, mi->idx);
        for (int j = 0; svcs && j < b->nservices; j++)
            if (b->services[j].entry == entry)
                json_array_append_new (svcs, json_string (b->services[j].name));
        json_array_append_new (mods, json_pack ("{s:s s:o}", "name", mi->name, "services",
                                                svcs ? svcs : json_array ()));
    }
    json_t *avail = json_array ();
    for (int i = 0; avail && b->modtab && b->modtab[i]; i++)
        json_array_append_new (avail, json_string (b->modtab[i]->name));
    json_t *o = json_pack ("{s:o s:o}", "modules", mods, "available", avail);
    broker_respond (b, msg, o);
    json_decref (o);
}

/* ---- overlay.* ---- */

static void overlay_status (eddy_broker_t *b, const eddy_msg_t *msg)
{
    overlay_status_request (b, msg);
}

static void overlay_parentof (eddy_broker_t *b, const eddy_msg_t *msg)
{
    int rank;
    if (!unpack (b, msg, "{s:i}", "rank", &rank))
        return;
    if (rank < 0 || (uint32_t)rank >= b->size) {
        broker_respond_error (b, msg, EINVAL, "no rank %d in an instance of size %u", rank,
                              b->size);
        return;
    }
    if (rank == 0) {
        broker_respond_error (b, msg, EINVAL, "rank 0 has no parent");
        return;
    }
    json_t *o = json_pack ("{s:i}", "parent",
                           (json_int_t)topo_parent (b, (uint32_t)rank));
    broker_respond (b, msg, o);
    json_decref (o);
}

static void overlay_online_get (eddy_broker_t *b, const eddy_msg_t *msg)
{
    overlay_online_request (b, msg);
}

static void overlay_disconnect (eddy_broker_t *b, const eddy_msg_t *msg)
{
    overlay_disconnect_request (b, msg);
}

/* ---- config.* ---- */

static void config_get (eddy_broker_t *b, const eddy_msg_t *msg)
{
    config_get_request (b, msg);
}

static void config_reload (eddy_broker_t *b, const eddy_msg_t *msg)
{
    config_reload_request (b, msg);
}

static const struct builtin builtins[] = {
    { "broker.ping", ping, 0, EDDY_ROLE_ALL },
    { "broker.state-wait", state_wait, 0, EDDY_ROLE_ALL },
    { "broker.stats", stats_get, 0, EDDY_ROLE_ALL },
    { "broker.shutdown", shutdown_req, ROOT_ONLY, EDDY_ROLE_OWNER },
    { "attr.get", attr_get_req, 0, EDDY_ROLE_ALL },
    { "attr.set", attr_set_req, 0, EDDY_ROLE_OWNER },
    { "attr.list", attr_list_req, 0, EDDY_ROLE_ALL },
    { "log.append", log_append, 0, EDDY_ROLE_OWNER },
    { "log.dmesg", log_dmesg, 0, EDDY_ROLE_OWNER },
    { "log.clear", log_clear, 0, EDDY_ROLE_OWNER },
    { "event.pub", event_pub, ROOT_ONLY, EDDY_ROLE_OWNER },
    { "event.subscribe", event_subscribe, LOCAL_ONLY, EDDY_ROLE_ALL },
    { "event.unsubscribe", event_unsubscribe, LOCAL_ONLY, EDDY_ROLE_ALL },
    { "service.add", service_add, LOCAL_ONLY, EDDY_ROLE_OWNER },
    { "service.remove", service_remove, LOCAL_ONLY, EDDY_ROLE_OWNER },
    { "module.load", module_load, 0, EDDY_ROLE_OWNER },
    { "module.remove", module_remove, 0, EDDY_ROLE_OWNER },
    { "module.list", module_list, 0, EDDY_ROLE_ALL },
    { "overlay.status", overlay_status, 0, EDDY_ROLE_ALL },
    { "overlay.online", overlay_online_get, 0, EDDY_ROLE_ALL },
    { "overlay.parentof", overlay_parentof, 0, EDDY_ROLE_ALL },
    { "overlay.disconnect", overlay_disconnect, 0, EDDY_ROLE_OWNER },
    { "config.get", config_get, 0, EDDY_ROLE_ALL },
    { "config.reload", config_reload, ROOT_ONLY, EDDY_ROLE_OWNER },
};

bool builtin_dispatch (eddy_broker_t *b, eddy_msg_t *m)
{
    const char *topic = eddy_msg_topic (m);

    for (size_t i = 0; i < sizeof (builtins) / sizeof (builtins[0]); i++) {
        const struct builtin *bi = &builtins[i];
        if (strcmp (bi->topic, topic) != 0)
            continue;
        if ((bi->flags & ROOT_ONLY) && b->rank != 0) {
            if (broker_send_parent (b, m) < 0)
                broker_respond_error (b, m, EHOSTUNREACH, "rank 0 is unreachable");
        }
        else if (!(eddy_msg_rolemask (m) & bi->rolemask))
            broker_respond_error (b, m, EPERM, "%s requires owner credentials", topic);
        else if ((bi->flags & LOCAL_ONLY) && !from_local (m))
            broker_respond_error (b, m, EINVAL, "%s must come from this broker's clients",
                                  topic);
        else
            bi->fn (b, m);
        eddy_msg_decref (m);
        return true;
    }
    broker_respond_error (b, m, ENOSYS, "no method %s on rank %u", topic, b->rank);
    eddy_msg_decref (m);
    return true;
}
