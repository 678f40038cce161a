/* handle.h - a component's connection to its broker: send messages, run
 * message handlers, make RPCs.
 *
 * A module inside a broker and a command-line client on a local socket use
 * the same handle; only the ops table that moves messages differs.
 */
#ifndef EDDY_HANDLE_H
#define EDDY_HANDLE_H

#include <stdint.h>
#include <jansson.h>

#include "engine/msg.h"
#include "engine/reactor.h"

typedef struct eddy_handle eddy_handle_t;
typedef struct eddy_msg_handler eddy_msg_handler_t;

/* How a handle's messages leave it.  send () must not call back into the
 * handle synchronously (deliveries are queued by the other side).  It takes
 * its own reference to msg if it keeps it.
 */
struct eddy_handle_ops {
    int (*send) (void *impl, const eddy_msg_t *msg);
    void (*destroy) (void *impl); /* may be NULL */
};

/* Create and destroy
 *
 * eddy_handle_create () wraps an ops table; impl belongs to the ops.
 * rank and size are the broker's (clients learn them with attr.get).
 * Outstanding futures must be destroyed before their handle.
 */
eddy_handle_t *eddy_handle_create (eddy_reactor_t *r,
                                   const struct eddy_handle_ops *ops,
                                   void *impl);
void eddy_handle_destroy (eddy_handle_t *h);
eddy_reactor_t *eddy_handle_reactor (eddy_handle_t *h);
void *eddy_handle_impl (eddy_handle_t *h);

/* Rank and size of the broker this handle talks to (EDDY_NODEID_ANY if
 * not known yet).
 */
uint32_t eddy_handle_rank (eddy_handle_t *h);
uint32_t eddy_handle_size (eddy_handle_t *h);
void eddy_handle_set_rank (eddy_handle_t *h, uint32_t rank, uint32_t size);

/* A name for log lines (a module's name); NULL clears it. */
int eddy_handle_set_name (eddy_handle_t *h, const char *name);
const char *eddy_handle_name (eddy_handle_t *h);

/* Log a line in the local broker's log ring (level: syslog LOG_ERR...),
 * under the handle's name.  Fire and forget: -1 only if it cannot be sent.
 */
int eddy_log (eddy_handle_t *h, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Auxiliary data: one named slot per key, destroyed with the handle. */
int eddy_handle_aux_set (eddy_handle_t *h, const char *key, void *val, void (*free_fn) (void *));
void *eddy_handle_aux_get (eddy_handle_t *h, const char *key);

/* Configuration
 *
 * The broker hands each module its table of the instance's configuration
 * (rank 0's TOML conf.d, the same on every rank): before load () and again
 * before each `config.reload` request (docs/protocols.md, "config").
 * eddy_handle_config () returns that table, borrowed and valid until the
 * next reload step: an empty object when the configuration has no table
 * for the module, NULL for a handle the broker gave none (a client, a
 * test's own handle).  eddy_handle_set_config () is the broker's: it takes
 * a reference to table (NULL clears it).
 */
const json_t *eddy_handle_config (eddy_handle_t *h);
void eddy_handle_set_config (eddy_handle_t *h, json_t *table);

/* Called by the ops' owner when a message arrives for this handle: a
 * response goes to the future waiting on its matchtag; a request or event
 * goes to the first matching message handler; an unhandled request gets
 * an ENOSYS response.  The message is borrowed.
 */
void eddy_handle_deliver (eddy_handle_t *h, const eddy_msg_t *msg);

/* Requests a module holds until it is ready for them (its store is not
 * open yet, a restart is under way).  Zero-initialize; hold () keeps a
 * reference (-1 + ENOMEM); release () delivers them again through h in
 * arrival order; fail () answers each with errnum and text (with h NULL it
 * only drops them).  Both leave the queue empty and ready for reuse, and a
 * request held again while release () runs waits for the next release.
 */
struct eddy_held {
    eddy_msg_t **msgs;
    size_t n, cap;
};
int eddy_held_add (struct eddy_held *q, const eddy_msg_t *msg);
void eddy_held_release (struct eddy_held *q, eddy_handle_t *h);
void eddy_held_fail (struct eddy_held *q, eddy_handle_t *h, int errnum, const char *text);

/* Send a message as is (a reference is taken by the transport if needed). */
int eddy_send (eddy_handle_t *h, const eddy_msg_t *msg);

/* Responses
 *
 * eddy_respond () answers req with payload (borrowed; NULL = none).
 * eddy_respond_error () answers with errnum (> 0, else -1 EINVAL) and an
 * optional human-readable text.
 * Both do nothing (and return 0) if the request asked for no response.
 */
int eddy_respond (eddy_handle_t *h, const eddy_msg_t *req, json_t *payload);
int eddy_respond_pack (eddy_handle_t *h, const eddy_msg_t *req, const char *fmt, ...);
int eddy_respond_error (eddy_handle_t *h,
                        const eddy_msg_t *req,
                        int errnum,
                        const char *errstr);

/* Events: publish asks rank 0 to sequence and distribute the event;
 * subscribe and unsubscribe by topic prefix ("" = everything).
 */
int eddy_event_publish (eddy_handle_t *h, const char *topic, json_t *payload);
int eddy_event_subscribe (eddy_handle_t *h, const char *topic_prefix);
int eddy_event_unsubscribe (eddy_handle_t *h, const char *topic_prefix);

/* Services: requests whose topic starts with "NAME." reach this handle. */
int eddy_service_register (eddy_handle_t *h, const char *name);
int eddy_service_unregister (eddy_handle_t *h, const char *name);

/* Message handlers, registered by table
 *
 * A handler matches a message whose type is in typemask and whose topic
 * matches the glob (fnmatch; a glob with no wildcard is compared exactly).
 * Handlers are tried newest first.  A request whose rolemask shares no bit
 * with the handler's rolemask (0 = EDDY_ROLE_OWNER) is refused with EPERM.
 * The message passed to the callback is borrowed.
 */
typedef void (*eddy_msg_handler_f) (eddy_handle_t *h,
                                    eddy_msg_handler_t *mh,
                                    const eddy_msg_t *msg,
                                    void *arg);

struct eddy_msg_handler_spec {
    int typemask;
    const char *topic_glob;
    eddy_msg_handler_f cb;
    uint32_t rolemask;
};
#define EDDY_MSGHANDLER_TABLE_END { 0, NULL, NULL, 0 }

eddy_msg_handler_t *eddy_msg_handler_create (eddy_handle_t *h,
                                             int typemask,
                                             const char *topic_glob,
                                             eddy_msg_handler_f cb,
                                             void *arg);
void eddy_msg_handler_set_rolemask (eddy_msg_handler_t *mh, uint32_t rolemask);
void eddy_msg_handler_destroy (eddy_msg_handler_t *mh);

/* Register every entry of a table ending with EDDY_MSGHANDLER_TABLE_END;
 * *handlers receives a NULL-terminated array for eddy_msg_handler_delvec ().
 */
int eddy_msg_handler_addvec (eddy_handle_t *h,
                             const struct eddy_msg_handler_spec tab[],
                             void *arg,
                             eddy_msg_handler_t ***handlers);
void eddy_msg_handler_delvec (eddy_msg_handler_t **handlers);

#endif /* !EDDY_HANDLE_H */
