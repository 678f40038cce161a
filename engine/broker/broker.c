/* broker.c - broker object, router and local delivery.
 *
 * Every message enters through one of four doors (a local handle, a client,
 * a child, the parent), gets the door pushed on its route stack if it is a
 * request, and leaves toward a local handle, a client or a peer.  Local
 * deliveries are queued and drained by a check watcher, so a module never
 * runs inside another module's send.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker_impl.h"
#include "engine/broker/quorum.h"

static void deliver_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg);
static int local_send (void *impl, const eddy_msg_t *msg);

static const struct eddy_handle_ops local_handle_ops = {
    .send = local_send,
};

static eddy_broker_t *broker_create (eddy_reactor_t *r,
                                     uint32_t rank,
                                     uint32_t size,
                                     int fanout,
                                     eddy_topo_t *topo,
                                     eddy_error_t *err)
{
    eddy_broker_t *b;

    if (!(b = calloc (1, sizeof (*b)))) {
        eddy_topo_destroy (topo);
        goto nomem;
    }
    b->r = r;
    b->rank = rank;
    b->size = size;
    b->fanout = fanout;
    b->topo = topo;
    b->parent = topo_parent (b, rank);
    b->exit_code = 0;
    if (!(b->deliver_w = eddy_check_create (r, deliver_cb, b)))
        goto nomem;
    if (!broker_module_add (b, "broker", NULL))
        goto nomem;
    if (overlay_init (b) < 0 || config_init (b) < 0)
        goto nomem;
    return b;
nomem:
    eddy_error_set (err, "out of memory");
    eddy_broker_destroy (b);
    errno = ENOMEM;
    return NULL;
}

eddy_broker_t *eddy_broker_create (eddy_reactor_t *r,
                                   uint32_t rank,
                                   uint32_t size,
                                   int fanout,
                                   eddy_error_t *err)
{
    if (!r || size == 0 || rank >= size || fanout < 0) {
        eddy_error_set (err, "invalid rank %u of size %u, fanout %d", rank, size, fanout);
        errno = EINVAL;
        return NULL;
    }
    return broker_create (r, rank, size, fanout, NULL, err);
}

eddy_broker_t *eddy_broker_create_topo (eddy_reactor_t *r, uint32_t rank, eddy_topo_t *topo,
                                        eddy_error_t *err)
{
    if (!r || !topo || rank >= eddy_topo_size (topo)) {
        eddy_error_set (err, "invalid rank %u of size %u", rank, topo ? eddy_topo_size (topo) : 0);
        eddy_topo_destroy (topo);
        errno = EINVAL;
        return NULL;
    }
    int fanout = eddy_topo_get_fanout (topo);
    return broker_create (r, rank, eddy_topo_size (topo), fanout < 0 ? 0 : fanout, topo, err);
}

void eddy_broker_destroy (eddy_broker_t *b)
{
    if (!b)
        return;
    int saved_errno = errno;
    broker_modules_unload_all (b);
    overlay_fini (b);
    broker_track_destroy (b);
    eddy_quorum_destroy (b->quorum);
    for (int i = 0; i < b->nwaiters; i++)
        eddy_msg_decref (b->waiters[i].req);
    free (b->waiters);
    eddy_watcher_destroy (b->shutdown_w);
    while (b->dq_count > 0) {
        eddy_msg_decref (b->dq[b->dq_head].msg);
        b->dq_head = (b->dq_head + 1) % b->dq_cap;
        b->dq_count--;
    }
    free (b->dq);
    eddy_watcher_destroy (b->deliver_w);
    for (uint32_t i = 0; i < b->nmods; i++)
        if (b->mods[i])
            broker_module_free (b, b->mods[i]);
    free (b->mods);
    for (int i = 0; i < b->ninitial; i++) {
        free (b->initial[i].name);
        json_decref (b->initial[i].args);
    }
    free (b->initial);
    for (int i = 0; i < b->nservices; i++)
        free (b->services[i].name);
    free (b->services);
    for (int i = 0; i < b->nsubs; i++)
        free (b->subs[i].prefix);
    free (b->subs);
    attr_free_all (b);
    config_fini (b);
    logring_clear (b);
    free (b->ring);
    eddy_topo_destroy (b->topo);
    free (b);
    errno = saved_errno;
}

uint32_t eddy_broker_rank (eddy_broker_t *b)
{
    return b->rank;
}

uint32_t eddy_broker_size (eddy_broker_t *b)
{
    return b->size;
}

eddy_reactor_t *eddy_broker_reactor (eddy_broker_t *b)
{
    return b->r;
}

uint64_t eddy_broker_msgs_routed (eddy_broker_t *b)
{
    return b->msgs_routed;
}

uint32_t eddy_broker_event_seq (eddy_broker_t *b)
{
    return b->event_seq;
}

void eddy_broker_set_overlay (eddy_broker_t *b, const struct eddy_overlay_ops *ops, void *t)
{
    b->ov_ops = ops;
    b->ov = t;
}

void eddy_broker_set_connector (eddy_broker_t *b, const struct eddy_connector_ops *ops, void *c)
{
    b->cn_ops = ops;
    b->cn = c;
}

void eddy_broker_set_module_table (eddy_broker_t *b, const struct eddy_module *const *tab)
{
    b->modtab = tab;
}

int eddy_broker_add_initial_module (eddy_broker_t *b, const char *name, json_t *args)
{
    void *p = realloc (b->initial, (b->ninitial + 1) * sizeof (b->initial[0]));
    if (!p)
        return -1;
    b->initial = p;
    if (!(b->initial[b->ninitial].name = strdup (name)))
        return -1;
    b->initial[b->ninitial].args = json_incref (args);
    b->ninitial++;
    return 0;
}

int eddy_broker_attr_set (eddy_broker_t *b, const char *name, const char *value)
{
    return attr_set (b, name, value, true);
}

const char *eddy_broker_attr_get (eddy_broker_t *b, const char *name)
{
    return attr_get (b, name);
}

void eddy_broker_set_state_cb (eddy_broker_t *b, eddy_broker_state_f cb, void *arg)
{
    b->state_cb = cb;
    b->state_arg = arg;
}

eddy_broker_state_t eddy_broker_state (eddy_broker_t *b)
{
    return b->state;
}

int eddy_broker_exit_code (eddy_broker_t *b)
{
    return b->exit_code;
}

void eddy_broker_set_log_sink (eddy_broker_t *b, eddy_broker_log_f fn, void *arg)
{
    b->log_sink = fn;
    b->log_arg = arg;
}

void eddy_broker_log (eddy_broker_t *b, int level, const char *name, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    int saved_errno = errno;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    broker_log_text (b, level, name, text);
    errno = saved_errno;
}

void broker_log_text (eddy_broker_t *b, int level, const char *name, const char *text)
{
    logring_append (b, level, name, text);
    if (b->log_sink)
        b->log_sink (b, level, name, text, b->log_arg);
}

/* ---- handles (modules, drivers, the broker itself) ---- */

struct module_inst *broker_module_add (eddy_broker_t *b, const char *name, const struct eddy_module *m)
{
    struct module_inst *mi;
    void *p;

    if (!(p = realloc (b->mods, (b->nmods + 1) * sizeof (b->mods[0]))))
        return NULL;
    b->mods = p;
    if (!(mi = calloc (1, sizeof (*mi))) || !(mi->name = strdup (name)))
        goto error;
    mi->idx = b->nmods;
    mi->m = m;
    mi->b = b;
    if (!(mi->h = eddy_handle_create (b->r, &local_handle_ops, mi)))
        goto error;
    eddy_handle_set_rank (mi->h, b->rank, b->size);
    eddy_handle_set_name (mi->h, name);
    b->mods[b->nmods++] = mi;
    return mi;
error:
    if (mi)
        free (mi->name);
    free (mi);
    return NULL;
}

void broker_module_free (eddy_broker_t *b, struct module_inst *mi)
{
    if (mi->driver) {
        /* its handle's destroy releases the slot */
        eddy_handle_destroy (mi->h);
        return;
    }
    /* indexes are never reused, so a late response to a gone module is
     * dropped instead of reaching a newcomer */
    broker_drop_entry (b, EDDY_ROUTE (EDDY_ROUTE_MODULE, mi->idx));
    b->mods[mi->idx] = NULL;
    eddy_handle_destroy (mi->h);
    free (mi->name);
    free (mi);
}

eddy_handle_t *broker_self (eddy_broker_t *b)
{
    return b->mods[0]->h;
}

static void driver_handle_free (void *arg)
{
    struct module_inst *mi = arg;
    eddy_broker_t *b = mi->b;
    broker_drop_entry (b, EDDY_ROUTE (EDDY_ROUTE_MODULE, mi->idx));
    b->mods[mi->idx] = NULL;
    free (mi->name);
    free (mi);
}

static const struct eddy_handle_ops driver_handle_ops = {
    .send = local_send,
    .destroy = driver_handle_free,
};

eddy_handle_t *eddy_broker_handle_create (eddy_broker_t *b, const char *name)
{
    struct module_inst *mi = broker_module_add (b, name ? name : "driver", NULL);
    if (!mi)
        return NULL;
    /* the driver owns this handle: its destroy releases the slot */
    eddy_handle_t *h = mi->h;
    eddy_handle_t *nh = eddy_handle_create (b->r, &driver_handle_ops, mi);
    if (!nh) {
        broker_module_free (b, mi);
        return NULL;
    }
    eddy_handle_destroy (h);
    mi->h = nh;
    mi->driver = true;
    eddy_handle_set_rank (nh, b->rank, b->size);
    eddy_handle_set_name (nh, mi->name);
    return nh;
}

eddy_handle_t *eddy_broker_handle_create_as (eddy_broker_t *b, const char *name, uint32_t userid)
{
    if (userid == b->owner) {
        errno = EINVAL;
        return NULL;
    }
    eddy_handle_t *h = eddy_broker_handle_create (b, name);
    if (h) {
        struct module_inst *mi = b->mods[b->nmods - 1];
        mi->guest = true;
        mi->guest_userid = userid;
    }
    return h;
}

/* Make m safe to modify: copy it if anyone else holds a reference. */
static eddy_msg_t *writable (const eddy_msg_t *msg)
{
    if (eddy_msg_refcount (msg) == 1)
        return eddy_msg_incref (msg);
    return eddy_msg_copy (msg, true);
}

static int local_send (void *impl, const eddy_msg_t *msg)
{
    struct module_inst *mi = impl;
    eddy_broker_t *b = mi->b;
    eddy_msg_t *m;

    switch (eddy_msg_type (msg)) {
    case EDDY_MSGTYPE_REQUEST:
        if (!(m = eddy_msg_copy (msg, true)))
            return -1;
        /* modules act with the instance owner's authority; a guest
         * driver handle with its user's */
        if (mi->guest)
            eddy_msg_set_cred (m, mi->guest_userid, EDDY_ROLE_USER);
        else
            eddy_msg_set_cred (m, b->owner, EDDY_ROLE_OWNER);
        if (eddy_msg_route_push (m, EDDY_ROUTE (EDDY_ROUTE_MODULE, mi->idx)) < 0) {
            eddy_msg_decref (m);
            return -1;
        }
        broker_route_request (b, m);
        return 0;
    case EDDY_MSGTYPE_RESPONSE:
        if (!(m = writable (msg)))
            return -1;
        broker_route_response (b, m);
        return 0;
    default:
        errno = EINVAL;
        return -1;
    }
}

static int dq_push (eddy_broker_t *b, uint32_t idx, const eddy_msg_t *msg)
{
    if (b->dq_count == b->dq_cap) {
        uint32_t cap = b->dq_cap ? b->dq_cap * 2 : 16;
        struct delivery *p = malloc (cap * sizeof (*p));
        if (!p)
            return -1;
        for (uint32_t i = 0; i < b->dq_count; i++)
            p[i] = b->dq[(b->dq_head + i) % b->dq_cap];
        free (b->dq);
        b->dq = p;
        b->dq_cap = cap;
        b->dq_head = 0;
    }
    b->dq[(b->dq_head + b->dq_count) % b->dq_cap] = (struct delivery){ idx, eddy_msg_incref (msg) };
    b->dq_count++;
    eddy_watcher_start (b->deliver_w);
    return 0;
}

static void deliver_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_broker_t *b = arg;

    while (b->dq_count > 0) {
        struct delivery d = b->dq[b->dq_head];
        b->dq_head = (b->dq_head + 1) % b->dq_cap;
        b->dq_count--;
        struct module_inst *mi = d.idx < b->nmods ? b->mods[d.idx] : NULL;
        if (mi)
            eddy_handle_deliver (mi->h, d.msg);
        eddy_msg_decref (d.msg);
    }
    eddy_watcher_stop (w);
}

/* ---- sending ---- */

int broker_send_parent (eddy_broker_t *b, const eddy_msg_t *msg)
{
    if (b->parent == EDDY_RANK_NONE || !b->ov_ops) {
        errno = EHOSTUNREACH;
        return -1;
    }
    return b->ov_ops->send_parent (b->ov, msg);
}

int broker_send_child (eddy_broker_t *b, uint32_t rank, const eddy_msg_t *msg)
{
    struct child *c = overlay_child (b, rank);
    if (!c || !c->connected || !b->ov_ops) {
        errno = EHOSTUNREACH;
        return -1;
    }
    return b->ov_ops->send_child (b->ov, rank, msg);
}

static int control_send (eddy_broker_t *b, uint32_t rank, bool up, const char *topic, json_t *payload)
{
    eddy_msg_t *m = eddy_msg_create (EDDY_MSGTYPE_CONTROL, topic);
    int rc;
    if (!m) {
        json_decref (payload);
        return -1;
    }
    eddy_msg_take_payload (m, payload);
    eddy_reactor_stats (b->r)->msgs++;
    if (up)
        rc = b->ov_ops ? b->ov_ops->send_parent (b->ov, m) : -1;
    else
        rc = b->ov_ops ? b->ov_ops->send_child (b->ov, rank, m) : -1;
    eddy_msg_decref (m);
    return rc;
}

int broker_control_to_parent (eddy_broker_t *b, const char *topic, json_t *payload)
{
    return control_send (b, 0, true, topic, payload);
}

int broker_control_to_child (eddy_broker_t *b, uint32_t rank, const char *topic, json_t *payload)
{
    return control_send (b, rank, false, topic, payload);
}

/* Send msg to whatever a route entry names. */
void broker_deliver_entry (eddy_broker_t *b, uint64_t entry, const eddy_msg_t *msg)
{
    uint32_t id = EDDY_ROUTE_ID (entry);
    int rc = -1;

    switch (EDDY_ROUTE_KIND (entry)) {
    case EDDY_ROUTE_MODULE:
        rc = dq_push (b, id, msg);
        break;
    case EDDY_ROUTE_CLIENT:
        rc = b->cn_ops ? b->cn_ops->send (b->cn, id, msg) : -1;
        break;
    case EDDY_ROUTE_PEER:
        rc = id == b->parent ? broker_send_parent (b, msg) : broker_send_child (b, id, msg);
        break;
    }
    if (rc < 0 && eddy_msg_type (msg) != EDDY_MSGTYPE_EVENT)
        eddy_broker_log (b, LOG_DEBUG, "router", "dropped %s %s: %s",
                         eddy_msg_typestr (eddy_msg_type (msg)), eddy_msg_topic (msg),
                         strerror (errno));
}

/* ---- routing ---- */

void broker_respond (eddy_broker_t *b, const eddy_msg_t *req, json_t *payload)
{
    eddy_msg_t *m;
    if (eddy_msg_flags (req) & EDDY_MSGFLAG_NORESPONSE)
        return;
    if ((m = eddy_msg_response (req, payload, 0, NULL))) {
        eddy_reactor_stats (b->r)->msgs++;
        broker_route_response (b, m);
    }
}

void broker_respond_error (eddy_broker_t *b, const eddy_msg_t *req, int errnum, const char *fmt, ...)
{
    char text[256] = "";
    eddy_msg_t *m;

    if (eddy_msg_flags (req) & EDDY_MSGFLAG_NORESPONSE)
        return;
    if (fmt) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (text, sizeof (text), fmt, ap);
        va_end (ap);
    }
    if ((m = eddy_msg_response (req, NULL, errnum, fmt ? text : NULL))) {
        eddy_reactor_stats (b->r)->msgs++;
        broker_route_response (b, m);
    }
}

static const char *service_name (const char *topic, char *buf, size_t len)
{
    const char *dot = strchr (topic, '.');
    size_t n = dot ? (size_t)(dot - topic) : strlen (topic);
    if (n >= len)
        n = len - 1;
    memcpy (buf, topic, n);
    buf[n] = '\0';
    return buf;
}

static struct service *service_lookup (eddy_broker_t *b, const char *name)
{
    for (int i = 0; i < b->nservices; i++)
        if (!strcmp (b->services[i].name, name))
            return &b->services[i];
    return NULL;
}

/* Deliver to a local service; false if there is none. */
static bool dispatch_local (eddy_broker_t *b, eddy_msg_t *m)
{
    char name[EDDY_MSG_TOPIC_MAX + 1];
    struct service *s;

    service_name (eddy_msg_topic (m), name, sizeof (name));
    if (builtin_is_service (name))
        return builtin_dispatch (b, m);
    if ((s = service_lookup (b, name))) {
        broker_deliver_entry (b, s->entry, m);
        eddy_msg_decref (m);
        return true;
    }
    return false;
}

static void forward (eddy_broker_t *b, eddy_msg_t *m, uint32_t peer)
{
    /* remembered before it goes: a peer in this process may answer at once */
    void *t = broker_track_add (b, peer, m);
    int rc = peer == b->parent ? broker_send_parent (b, m) : broker_send_child (b, peer, m);
    if (rc < 0) {
        broker_track_cancel (b, t);
        broker_respond_error (b, m, EHOSTUNREACH, "rank %u is unreachable from rank %u", peer,
                              b->rank);
    }
    eddy_msg_decref (m);
}

void broker_route_request (eddy_broker_t *b, eddy_msg_t *m)
{
    uint32_t nodeid = eddy_msg_nodeid (m);

    b->msgs_routed++;
    if (nodeid == EDDY_NODEID_UPSTREAM || (eddy_msg_flags (m) & EDDY_MSGFLAG_UPSTREAM)) {
        if (b->parent == EDDY_RANK_NONE) {
            broker_respond_error (b, m, EHOSTUNREACH, "rank 0 has no upstream");
            eddy_msg_decref (m);
            return;
        }
        eddy_msg_set_nodeid (m, EDDY_NODEID_ANY);
        eddy_msg_set_flags (m, eddy_msg_flags (m) & ~EDDY_MSGFLAG_UPSTREAM);
        forward (b, m, b->parent);
        return;
    }
    if (nodeid == EDDY_NODEID_ANY) {
        if (dispatch_local (b, m))
            return;
        if (b->parent != EDDY_RANK_NONE) {
            forward (b, m, b->parent);
            return;
        }
    }
    else if (nodeid == b->rank) {
        if (dispatch_local (b, m))
            return;
    }
    else if (nodeid >= b->size) {
        broker_respond_error (b, m, EHOSTUNREACH, "no rank %u in an instance of size %u",
                              nodeid, b->size);
        eddy_msg_decref (m);
        return;
    }
    else {
        uint32_t c = topo_child_toward (b, nodeid);
        forward (b, m, c != EDDY_RANK_NONE ? c : b->parent);
        return;
    }
    broker_respond_error (b, m, ENOSYS, "no service matches %s on rank %u", eddy_msg_topic (m),
                          b->rank);
    eddy_msg_decref (m);
}

void broker_route_response (eddy_broker_t *b, eddy_msg_t *m)
{
    uint64_t entry;

    b->msgs_routed++;
    if (eddy_msg_route_pop (m, &entry) < 0) {
        eddy_broker_log (b, LOG_DEBUG, "router", "response %s has no route", eddy_msg_topic (m));
        eddy_msg_decref (m);
        return;
    }
    if (config_module_response (b, entry, m)) {
        eddy_msg_decref (m); /* a module's answer to the broker's config.reload */
        return;
    }
    broker_deliver_entry (b, entry, m);
    eddy_msg_decref (m);
}

static bool prefix_match (const char *prefix, const char *topic)
{
    size_t n = strlen (prefix);
    return strncmp (prefix, topic, n) == 0;
}

void broker_distribute_event (eddy_broker_t *b, const eddy_msg_t *ev)
{
    const char *topic = eddy_msg_topic (ev);
    uint64_t last = 0;

    b->msgs_routed++;
    b->event_seq = eddy_msg_seq (ev);
    if (!strcmp (topic, "config.updated"))
        config_event (b, ev); /* in force before anyone hears of it */
    /* subs are sorted by entry: each subscriber gets one copy */
    for (int i = 0; i < b->nsubs; i++) {
        if (b->subs[i].entry == last || !prefix_match (b->subs[i].prefix, topic))
            continue;
        last = b->subs[i].entry;
        broker_deliver_entry (b, last, ev);
    }
    for (uint32_t i = 0; i < b->nchildren; i++)
        if (b->children[i].connected)
            b->ov_ops->send_child (b->ov, b->children[i].rank, ev);
    if (b->event_cb)
        b->event_cb (b, ev, b->event_arg);
}

void eddy_broker_set_event_cb (eddy_broker_t *b, eddy_broker_event_f cb, void *arg)
{
    b->event_cb = cb;
    b->event_arg = arg;
}

/* Forget everything registered by a handle or client that went away. */
void broker_drop_entry (eddy_broker_t *b, uint64_t entry)
{
    int j = 0;
    for (int i = 0; i < b->nservices; i++) {
        if (b->services[i].entry == entry)
            free (b->services[i].name);
        else
            b->services[j++] = b->services[i];
    }
    b->nservices = j;
    j = 0;
    for (int i = 0; i < b->nsubs; i++) {
        if (b->subs[i].entry == entry)
            free (b->subs[i].prefix);
        else
            b->subs[j++] = b->subs[i];
    }
    b->nsubs = j;
    int k = 0;
    for (int i = 0; i < b->nwaiters; i++) {
        if (eddy_msg_route_count (b->waiters[i].req) > 0
            && eddy_msg_route_first (b->waiters[i].req) == entry)
            eddy_msg_decref (b->waiters[i].req);
        else
            b->waiters[k++] = b->waiters[i];
    }
    b->nwaiters = k;
}

/* ---- the four doors ---- */

/* A request enters through a door: push the door on its route (after
 * clearing it, for a client, which cannot forge one) and route it.
 */
static void enter_request (eddy_broker_t *b, const eddy_msg_t *msg, uint64_t door, bool fresh)
{
    eddy_msg_t *m = writable (msg);
    if (!m)
        return;
    if (fresh)
        eddy_msg_route_clear (m);
    if (eddy_msg_route_push (m, door) < 0) {
        eddy_msg_decref (m);
        return;
    }
    broker_route_request (b, m);
}

static void enter_response (eddy_broker_t *b, const eddy_msg_t *msg)
{
    eddy_msg_t *m = writable (msg);
    if (m)
        broker_route_response (b, m);
}

static void recv_parent (void *arg, const eddy_msg_t *msg)
{
    eddy_broker_t *b = arg;

    switch (eddy_msg_type (msg)) {
    case EDDY_MSGTYPE_REQUEST:
        enter_request (b, msg, EDDY_ROUTE (EDDY_ROUTE_PEER, b->parent), false);
        return;
    case EDDY_MSGTYPE_RESPONSE:
        broker_track_response (b, b->parent, msg);
        enter_response (b, msg);
        return;
    case EDDY_MSGTYPE_EVENT: {
        uint32_t seq = eddy_msg_seq (msg);
        if (seq <= b->event_seq)
            return; /* duplicate */
        if (seq != b->event_seq + 1)
            eddy_broker_log (b, LOG_ERR, "event", "event gap: expected seq %u, got %u (%s)",
                             b->event_seq + 1, seq, eddy_msg_topic (msg));
        broker_distribute_event (b, msg);
        return;
    }
    case EDDY_MSGTYPE_CONTROL:
        overlay_recv_control_parent (b, msg);
        return;
    default:
        return;
    }
}

static void recv_child (void *arg, uint32_t rank, const eddy_msg_t *msg)
{
    eddy_broker_t *b = arg;

    if (eddy_msg_type (msg) == EDDY_MSGTYPE_CONTROL) {
        overlay_recv_control_child (b, rank, msg);
        return;
    }
    struct child *c = overlay_child (b, rank);
    if (!c || !c->connected) {
        eddy_broker_log (b, LOG_DEBUG, "overlay", "dropped %s from rank %u before hello",
                         eddy_msg_typestr (eddy_msg_type (msg)), rank);
        return;
    }
    overlay_child_seen (b, rank);
    switch (eddy_msg_type (msg)) {
    case EDDY_MSGTYPE_REQUEST:
        enter_request (b, msg, EDDY_ROUTE (EDDY_ROUTE_PEER, rank), false);
        return;
    case EDDY_MSGTYPE_RESPONSE:
        broker_track_response (b, rank, msg);
        enter_response (b, msg);
        return;
    default:
        return;
    }
}

static void child_disconnected (void *arg, uint32_t rank)
{
    eddy_broker_t *b = arg;
    struct child *c = overlay_child (b, rank);
    if (!c || !c->connected)
        return;
    /* while we shut down, a child's connection may close before its
     * goodbye is read: that is a departure, not a loss */
    if (b->state >= EDDY_STATE_CLEANUP)
        overlay_child_gone (b, rank, EDDY_SUBTREE_OFFLINE, "left during shutdown");
    else
        overlay_child_gone (b, rank, EDDY_SUBTREE_LOST, "disconnected");
}

static void parent_disconnected (void *arg)
{
    eddy_broker_t *b = arg;
    if (b->state < EDDY_STATE_CLEANUP && b->joined) {
        /* the parent may come back (restarted, or its node rebooted):
         * say hello until it welcomes us again; stop only when told */
        eddy_broker_log (b, LOG_ERR, "overlay",
                         "lost connection to parent (rank %u): trying to rejoin", b->parent);
        b->joined = false;
        broker_track_fail (b, b->parent, "(the parent) was lost");
        overlay_cutoff (b);
        overlay_send_hello (b);
        eddy_watcher_start (b->hello_w);
    }
}

static void transport_log (void *arg, int level, const char *text)
{
    eddy_broker_log (arg, level, "overlay", "%s", text);
}

static const struct eddy_overlay_cb overlay_cb = {
    .recv_parent = recv_parent,
    .recv_child = recv_child,
    .child_disconnected = child_disconnected,
    .parent_disconnected = parent_disconnected,
    .log = transport_log,
};

const struct eddy_overlay_cb *eddy_broker_overlay_cb (void)
{
    return &overlay_cb;
}

static void client_recv (void *arg, uint32_t connid, const eddy_msg_t *msg)
{
    eddy_broker_t *b = arg;

    switch (eddy_msg_type (msg)) {
    case EDDY_MSGTYPE_REQUEST:
        /* a client starts a route; it cannot forge one */
        enter_request (b, msg, EDDY_ROUTE (EDDY_ROUTE_CLIENT, connid), true);
        return;
    case EDDY_MSGTYPE_RESPONSE:
        enter_response (b, msg);
        return;
    default:
        eddy_broker_log (b, LOG_DEBUG, "connector", "client %u sent a %s: dropped", connid,
                         eddy_msg_typestr (eddy_msg_type (msg)));
        return;
    }
}

static void client_disconnected (void *arg, uint32_t connid)
{
    eddy_broker_t *b = arg;
    uint64_t entry = EDDY_ROUTE (EDDY_ROUTE_CLIENT, connid);

    broker_drop_entry (b, entry);
    /* every module hears of it, to drop that client's streaming requests:
     * a "disconnect" request, no response, whose origin is the client */
    for (uint32_t i = 1; i < b->nmods; i++) {
        struct module_inst *mi = b->mods[i];
        eddy_msg_t *m;
        if (!mi || !mi->m || !(m = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "disconnect")))
            continue;
        eddy_msg_set_flags (m, EDDY_MSGFLAG_NORESPONSE);
        eddy_msg_set_cred (m, b->owner, EDDY_ROLE_OWNER);
        if (eddy_msg_route_push (m, entry) == 0)
            dq_push (b, mi->idx, m);
        eddy_msg_decref (m);
    }
}

static void connector_log (void *arg, int level, const char *text)
{
    eddy_broker_log (arg, level, "connector", "%s", text);
}

static const struct eddy_connector_cb connector_cb = {
    .recv = client_recv,
    .disconnected = client_disconnected,
    .log = connector_log,
};

const struct eddy_connector_cb *eddy_broker_connector_cb (void)
{
    return &connector_cb;
}
