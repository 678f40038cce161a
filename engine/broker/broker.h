/* broker.h - one rank of an eddy instance: router, overlay health, event
 * sequencing, attributes, log ring, state machine and module host.
 *
 * A broker knows nothing of the world it runs in: its links come through
 * the overlay and connector seams (engine/transport.h), its time from its
 * reactor.  eddy-broker wires it to ZeroMQ and a local socket; the
 * simulator wires thousands of them to simulated links in one process.
 */
#ifndef EDDY_BROKER_H
#define EDDY_BROKER_H

#include <stdint.h>
#include <jansson.h>

#include "engine/broker/topology.h"
#include "engine/error.h"
#include "engine/handle.h"
#include "engine/reactor.h"
#include "engine/transport.h"

typedef struct eddy_broker eddy_broker_t;

typedef enum {
    EDDY_STATE_NONE = 0,
    EDDY_STATE_JOIN,     /* connecting to the parent */
    EDDY_STATE_INIT,     /* loading modules */
    EDDY_STATE_QUORUM,   /* rank 0: waiting for every rank to come online */
    EDDY_STATE_RUN,      /* up */
    EDDY_STATE_CLEANUP,  /* unloading modules */
    EDDY_STATE_SHUTDOWN, /* waiting for children to leave */
    EDDY_STATE_EXIT,     /* done: the owner may destroy the broker */
} eddy_broker_state_t;

/* Subtree status, as seen by a parent (Flux's overlay vocabulary). */
typedef enum {
    EDDY_SUBTREE_FULL = 0,  /* every rank below is online */
    EDDY_SUBTREE_PARTIAL,   /* some are offline (never joined, or left cleanly) */
    EDDY_SUBTREE_DEGRADED,  /* some are lost */
    EDDY_SUBTREE_LOST,      /* this child itself is lost */
    EDDY_SUBTREE_OFFLINE,   /* this child itself is offline */
} eddy_subtree_status_t;

/* A statically linked module: load () runs in the broker's reactor and must
 * not block; it returns -1 (+ errno) to refuse.  unload () frees ctx.
 * config_table names the table of the configuration the module reads
 * (eddy_handle_config ()); NULL means the table named like the module.
 * config_extra (NULL-terminated, or NULL) names further top-level tables
 * the module reads: each is added to its table under its own name (the
 * job manager reads [queues] and [policy] so).
 */
struct eddy_module {
    const char *name;
    int (*load) (eddy_handle_t *h, json_t *args, void **ctx);
    void (*unload) (void *ctx);
    const char *config_table;
    const char *const *config_extra;
};

/* Modules that come with the broker. */
extern const struct eddy_module eddy_module_heartbeat;

/* Create and destroy
 *
 * fanout: children per broker (0 = flat).  The broker starts in state NONE;
 * set its links and attributes, then eddy_broker_start ().
 */
eddy_broker_t *eddy_broker_create (eddy_reactor_t *r,
                                   uint32_t rank,
                                   uint32_t size,
                                   int fanout,
                                   eddy_error_t *err);
/* As eddy_broker_create (), in the shape of topo (engine/broker/topology.h),
 * which the broker steals (destroyed with it, or on failure).
 */
eddy_broker_t *eddy_broker_create_topo (eddy_reactor_t *r, uint32_t rank, eddy_topo_t *topo,
                                        eddy_error_t *err);
void eddy_broker_destroy (eddy_broker_t *b);

uint32_t eddy_broker_rank (eddy_broker_t *b);
uint32_t eddy_broker_size (eddy_broker_t *b);
eddy_reactor_t *eddy_broker_reactor (eddy_broker_t *b);

/* Links.  The broker owns neither t nor c: their owner destroys them after
 * the broker.  The returned callback tables are what the transports call.
 */
void eddy_broker_set_overlay (eddy_broker_t *b, const struct eddy_overlay_ops *ops, void *t);
void eddy_broker_set_connector (eddy_broker_t *b, const struct eddy_connector_ops *ops, void *c);
const struct eddy_overlay_cb *eddy_broker_overlay_cb (void);
const struct eddy_connector_cb *eddy_broker_connector_cb (void);

/* Modules available to `module load` (NULL-terminated, static storage), and
 * those to load in the INIT state ("name" or "name args-json", in order).
 */
void eddy_broker_set_module_table (eddy_broker_t *b, const struct eddy_module *const *tab);
int eddy_broker_add_initial_module (eddy_broker_t *b, const char *name, json_t *args);

/* Attributes: set before start or by attr.set.  Immutable ones (rank,
 * size, tbon.*) refuse changes with EPERM.  get returns NULL + ENOENT.
 */
int eddy_broker_attr_set (eddy_broker_t *b, const char *name, const char *value);
const char *eddy_broker_attr_get (eddy_broker_t *b, const char *name);

/* Configuration
 *
 * The instance's configuration is one JSON object (the TOML tables of a
 * conf.d, engine/util/toml.h) with a generation number, and rank 0's is
 * the one in force on every rank: a broker that joins gets its parent's
 * (which is rank 0's) in the welcome, and a reload on rank 0 reaches every
 * rank as a `config.updated` event.  Keys of [broker] and [tbon] become
 * attributes, unless the attribute was set explicitly (eddy_broker_attr_set
 * (), attr.set); each module gets its table (eddy_handle_config ()) before
 * load () and, on a reload, in a `config.reload` request it answers
 * (docs/protocols.md, "config").  The broker reads no file: its owner
 * reads and validates them.
 *
 * eddy_broker_set_config () gives the broker, before start, the
 * configuration read from its own conf.d (a reference is taken).  On rank
 * 0 it is generation 1; on another rank it holds only until the broker
 * joins, and differing from rank 0's is logged as a warning.  -1 EINVAL
 * if config is not an object.
 *
 * eddy_broker_set_config_loader () sets how rank 0 rereads it: the loader
 * returns a new object (the caller's) or NULL with err filled.
 *
 * eddy_broker_config_reload () is what SIGHUP does.  On rank 0 it calls
 * the loader; a failure is logged, the configuration in force stays and
 * -1 is returned (errno from the loader; ENOSYS without a loader); else
 * the new generation goes to every rank.  Another rank asks rank 0 to
 * reload (-1 only if the request cannot be sent).
 *
 * eddy_broker_config () is the configuration in force (borrowed, never
 * NULL); its generation is 0 until rank 0 has had one set.
 */
typedef json_t *(*eddy_broker_config_f) (eddy_broker_t *b, void *arg, eddy_error_t *err);
int eddy_broker_set_config (eddy_broker_t *b, json_t *config);
void eddy_broker_set_config_loader (eddy_broker_t *b, eddy_broker_config_f loader, void *arg);
int eddy_broker_config_reload (eddy_broker_t *b, eddy_error_t *err);
const json_t *eddy_broker_config (eddy_broker_t *b);
uint32_t eddy_broker_config_generation (eddy_broker_t *b);

/* Start the state machine (JOIN). */
int eddy_broker_start (eddy_broker_t *b);
eddy_broker_state_t eddy_broker_state (eddy_broker_t *b);
const char *eddy_broker_state_name (eddy_broker_state_t state);
const char *eddy_subtree_status_name (eddy_subtree_status_t status);

/* Called on every state change (for the owner: exit at EXIT, count ranks
 * in RUN in the simulator).
 */
typedef void (*eddy_broker_state_f) (eddy_broker_t *b, eddy_broker_state_t state, void *arg);
void eddy_broker_set_state_cb (eddy_broker_t *b, eddy_broker_state_f cb, void *arg);

/* Begin an orderly shutdown of the whole instance (rank 0) or of this
 * subtree (others).  exit_code is reported by eddy_broker_exit_code ().
 */
void eddy_broker_shutdown (eddy_broker_t *b, int exit_code);
int eddy_broker_exit_code (eddy_broker_t *b);

/* A handle attached to this broker as if it were a module, for in-process
 * drivers (the simulator, tests).  Destroy it with eddy_handle_destroy ().
 */
eddy_handle_t *eddy_broker_handle_create (eddy_broker_t *b, const char *name);
/* The same, but its requests carry userid with the guest role, as a
 * connection of that user would (the simulator's replay of a trace's
 * users).  userid must not be the owner's (EINVAL).
 */
eddy_handle_t *eddy_broker_handle_create_as (eddy_broker_t *b, const char *name, uint32_t userid);

/* Logging into the broker's ring buffer (and the sink, if set).  level is a
 * syslog level; name is the component ("broker", "overlay", a module).
 */
void eddy_broker_log (eddy_broker_t *b, int level, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
typedef void (*eddy_broker_log_f) (eddy_broker_t *b, int level, const char *name, const char *text, void *arg);
void eddy_broker_set_log_sink (eddy_broker_t *b, eddy_broker_log_f fn, void *arg);

/* Called after an event is distributed on this broker (for drivers that
 * count deliveries, such as the simulator's boot check).
 */
typedef void (*eddy_broker_event_f) (eddy_broker_t *b, const eddy_msg_t *ev, void *arg);
void eddy_broker_set_event_cb (eddy_broker_t *b, eddy_broker_event_f cb, void *arg);

/* Statistics for reports. */
uint64_t eddy_broker_msgs_routed (eddy_broker_t *b);
uint32_t eddy_broker_event_seq (eddy_broker_t *b); /* last event seen */
eddy_subtree_status_t eddy_broker_subtree_status (eddy_broker_t *b);

#endif /* !EDDY_BROKER_H */
