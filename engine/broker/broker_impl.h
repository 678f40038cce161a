/* broker_impl.h - the broker's private state, shared by the files of
 * engine/broker/ only.
 */
#ifndef EDDY_BROKER_IMPL_H
#define EDDY_BROKER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/broker/broker.h"
#include "engine/broker/topology.h"
#include "engine/future.h"
#include "engine/util/idset.h"

struct child {
    uint32_t rank;
    uint32_t subtree_size;
    eddy_subtree_status_t status; /* FULL/PARTIAL/DEGRADED as reported, or LOST/OFFLINE */
    uint32_t online;              /* ranks online in its subtree, as reported */
    eddy_idset_t *online_ids;     /* which ones, as reported (NULL: none) */
    bool connected;
    double last_seen;
    char *host; /* from its hello */
    eddy_msg_t *pending_hello; /* answered once this broker has joined */
    bool torpid;               /* silent for tbon.torpid_max, still connected */
    eddy_idset_t *torpid_ids;  /* torpid ranks of its subtree, as reported */
    uint64_t instance;         /* its start, from its hello (0: unknown) */
};

struct service {
    char *name;
    uint64_t entry; /* route entry of the handle or client that serves it */
};

struct sub {
    uint64_t entry;
    char *prefix;
};

struct attr {
    char *name;
    char *value;
    bool from_config; /* set from [broker] or [tbon], not explicitly */
};

struct logent {
    uint32_t seq;
    double timestamp;
    int level;
    char *name; /* owns the block: text follows name in it */
    char *text;
};

struct module_inst {
    uint32_t idx;
    char *name;
    const struct eddy_module *m; /* NULL for a driver's handle */
    eddy_handle_t *h;
    void *ctx;
    eddy_broker_t *b;
    bool driver; /* owned by an in-process driver, not by the broker */
    bool guest;  /* a driver's handle that speaks as guest_userid */
    uint32_t guest_userid;
};

struct delivery {
    uint32_t idx;
    eddy_msg_t *msg;
};

struct waiter {
    eddy_msg_t *req;
    int state; /* broker.state-wait: respond when state >= this */
};

struct eddy_broker {
    eddy_reactor_t *r;
    uint32_t rank, size;
    int fanout;
    eddy_topo_t *topo; /* NULL: the k-ary arithmetic of fanout */
    uint32_t parent;
    char scratch[64]; /* computed attribute values */

    const struct eddy_overlay_ops *ov_ops;
    void *ov;
    const struct eddy_connector_ops *cn_ops;
    void *cn;

    /* local deliveries to handles, drained by a check watcher */
    struct delivery *dq;
    uint32_t dq_head, dq_count, dq_cap;
    eddy_watcher_t *deliver_w;

    /* handles: index 0 is the broker's own (for its RPCs) */
    struct module_inst **mods;
    uint32_t nmods;
    const struct eddy_module *const *modtab;
    struct {
        char *name;
        json_t *args;
    } *initial;
    int ninitial;

    struct service *services;
    int nservices;
    struct sub *subs;
    int nsubs;
    struct attr *attrs;
    int nattrs;

    struct logent *ring;
    uint32_t ring_size, ring_cap, ring_head, ring_count, log_seq;
    eddy_broker_log_f log_sink;
    void *log_arg;

    /* overlay */
    struct child *children;
    uint32_t nchildren;
    bool joined; /* welcomed by the parent */
    eddy_subtree_status_t reported_status;
    uint32_t reported_online;
    bool reported;
    eddy_watcher_t *report_w;
    eddy_watcher_t *keepalive_w;
    eddy_watcher_t *health_w;
    eddy_watcher_t *hello_w;
    uint32_t event_seq;
    char *online_published; /* rank 0: the idset of the last overlay.online event */
    char *torpid_published; /* the same for the torpid ranks */
    uint64_t instance; /* this broker's start (any rank), said in its hello */
    uint64_t epoch; /* rank 0's start (its own; a follower's from its welcome), 0 = none */
    struct eddy_quorum *quorum; /* rank 0: broker.quorum, parsed at first use */

    /* state machine */
    eddy_broker_state_t state;
    double state_since;
    bool reached_run; /* went through RUN (state-wait for run is then answered) */
    eddy_broker_state_f state_cb;
    void *state_arg;
    int exit_code;
    eddy_watcher_t *shutdown_w;
    struct waiter *waiters;
    int nwaiters;

    /* configuration (config.c) */
    json_t *config;       /* in force; an empty object when there is none */
    json_t *config_empty; /* the table of a module the config does not name */
    uint32_t config_gen;  /* rank 0's generation; 0 = none yet */
    bool config_local;    /* a follower's own, until its welcome */
    eddy_broker_config_f config_loader;
    void *config_loader_arg;

    eddy_broker_event_f event_cb;
    void *event_arg;
    uint32_t owner; /* instance owner's userid (attr security.owner) */
    uint64_t msgs_routed;
    struct broker_track *track; /* requests out to a peer (track.c) */
};

/* track.c: requests out to an overlay peer, failed when it is gone.
 * add returns the entry (NULL: not tracked, it wants no answer or there
 * was no memory), cancel takes it back when the send failed. */
void *broker_track_add (eddy_broker_t *b, uint32_t peer, const eddy_msg_t *req);
void broker_track_cancel (eddy_broker_t *b, void *entry);
void broker_track_response (eddy_broker_t *b, uint32_t peer, const eddy_msg_t *rsp);
void broker_track_fail (eddy_broker_t *b, uint32_t peer, const char *why);
size_t broker_track_count (eddy_broker_t *b);
void broker_track_destroy (eddy_broker_t *b);

/* broker.c: routing */
void broker_route_request (eddy_broker_t *b, eddy_msg_t *m);  /* steals m */
void broker_route_response (eddy_broker_t *b, eddy_msg_t *m); /* steals m */
void broker_respond (eddy_broker_t *b, const eddy_msg_t *req, json_t *payload);
void broker_respond_error (eddy_broker_t *b, const eddy_msg_t *req, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
void broker_distribute_event (eddy_broker_t *b, const eddy_msg_t *ev);
void broker_deliver_entry (eddy_broker_t *b, uint64_t entry, const eddy_msg_t *msg);
eddy_handle_t *broker_self (eddy_broker_t *b);
int broker_send_parent (eddy_broker_t *b, const eddy_msg_t *msg);
int broker_send_child (eddy_broker_t *b, uint32_t rank, const eddy_msg_t *msg);
int broker_control_to_parent (eddy_broker_t *b, const char *topic, json_t *payload);
int broker_control_to_child (eddy_broker_t *b, uint32_t rank, const char *topic, json_t *payload);
void broker_drop_entry (eddy_broker_t *b, uint64_t entry);
struct module_inst *broker_module_add (eddy_broker_t *b, const char *name, const struct eddy_module *m);
void broker_module_free (eddy_broker_t *b, struct module_inst *mi);

/* builtin.c: the broker's own services */
bool builtin_dispatch (eddy_broker_t *b, eddy_msg_t *m); /* false: not a builtin */
bool builtin_is_service (const char *name);
int broker_module_load (eddy_broker_t *b, const char *name, json_t *args, eddy_error_t *err);
int broker_module_unload (eddy_broker_t *b, const char *name);
void broker_modules_unload_all (eddy_broker_t *b);

/* config.c */
int config_init (eddy_broker_t *b);
void config_fini (eddy_broker_t *b);
/* the module's table with its config_extra tables: a new reference (NULL: ENOMEM) */
json_t *config_module_table (eddy_broker_t *b, const struct eddy_module *m);
void config_from_leader (eddy_broker_t *b, json_t *config, uint32_t generation);
void config_event (eddy_broker_t *b, const eddy_msg_t *ev);
bool config_module_response (eddy_broker_t *b, uint64_t entry, const eddy_msg_t *msg);
void config_get_request (eddy_broker_t *b, const eddy_msg_t *req);
void config_reload_request (eddy_broker_t *b, const eddy_msg_t *req);

/* overlay.c */
int overlay_init (eddy_broker_t *b);
void overlay_fini (eddy_broker_t *b);
void overlay_recv_control_child (eddy_broker_t *b, uint32_t rank, const eddy_msg_t *msg);
void overlay_recv_control_parent (eddy_broker_t *b, const eddy_msg_t *msg);
void overlay_child_seen (eddy_broker_t *b, uint32_t rank);
void overlay_child_gone (eddy_broker_t *b, uint32_t rank, eddy_subtree_status_t why, const char *reason);
struct child *overlay_child (eddy_broker_t *b, uint32_t rank);
void overlay_send_hello (eddy_broker_t *b);
void overlay_status_request (eddy_broker_t *b, const eddy_msg_t *req);
void overlay_disconnect_request (eddy_broker_t *b, const eddy_msg_t *req);
uint32_t overlay_online (eddy_broker_t *b);
eddy_idset_t *overlay_online_set (eddy_broker_t *b); /* the caller owns it; NULL + ENOMEM */
void overlay_online_request (eddy_broker_t *b, const eddy_msg_t *req);
void overlay_state_changed (eddy_broker_t *b); /* online may have changed: report it */
void overlay_cutoff (eddy_broker_t *b); /* the parent is gone: tell the modules and children */
uint32_t overlay_connected_children (eddy_broker_t *b);
double overlay_attr_double (eddy_broker_t *b, const char *name, double dflt);

/* state.c */
void state_enter (eddy_broker_t *b, eddy_broker_state_t state);
void state_check_quorum (eddy_broker_t *b);
void state_check_shutdown (eddy_broker_t *b);
void state_wait_request (eddy_broker_t *b, const eddy_msg_t *req);

/* attr.c and logring.c */
const char *attr_get (eddy_broker_t *b, const char *name);
int attr_set (eddy_broker_t *b, const char *name, const char *value, bool force);
/* From the configuration: only over an absent or configured attribute. */
int attr_set_config (eddy_broker_t *b, const char *name, const char *value);
void attr_unset_config (eddy_broker_t *b, const char *name);
json_t *attr_list (eddy_broker_t *b);
void attr_free_all (eddy_broker_t *b);
void logring_append (eddy_broker_t *b, int level, const char *name, const char *text);
/* Write s >= 0 at p as printf's "%.3f" would (no NUL) and return the
 * length, or return 0 for a value it leaves to printf (1e6 s or more,
 * negative, or within 1e-5 ms of a rounding tie).
 */
size_t broker_put_seconds3 (char *p, double s);
/* eddy_broker_log () of text already formatted. */
void broker_log_text (eddy_broker_t *b, int level, const char *name, const char *text);
json_t *logring_entry_json (eddy_broker_t *b, const struct logent *e);
const struct logent *logring_get (eddy_broker_t *b, uint32_t i); /* oldest first */
void logring_clear (eddy_broker_t *b);

/* The tree's shape: the broker's table if it has one, else k-ary. */
static inline uint32_t topo_parent (const eddy_broker_t *b, uint32_t rank)
{
    return b->topo ? eddy_topo_get_parent (b->topo, rank) : eddy_topo_parent (rank, b->size, b->fanout);
}
static inline int topo_level (const eddy_broker_t *b, uint32_t rank)
{
    return b->topo ? eddy_topo_get_level (b->topo, rank) : eddy_topo_level (rank, b->size, b->fanout);
}
static inline int topo_maxlevel (const eddy_broker_t *b)
{
    return b->topo ? eddy_topo_get_maxlevel (b->topo) : eddy_topo_maxlevel (b->size, b->fanout);
}
static inline uint32_t topo_subtree_size (const eddy_broker_t *b, uint32_t rank)
{
    return b->topo ? eddy_topo_get_subtree_size (b->topo, rank)
                   : eddy_topo_subtree_size (rank, b->size, b->fanout);
}
static inline uint32_t topo_child_toward (const eddy_broker_t *b, uint32_t target)
{
    return b->topo ? eddy_topo_get_child_toward (b->topo, b->rank, target)
                   : eddy_topo_child_toward (b->rank, target, b->size, b->fanout);
}

#endif /* !EDDY_BROKER_IMPL_H */
