/* bootstrap.h - a system instance's brokers from the [bootstrap] table
 * (bootstrap.toml, as in Flux): the host list gives every broker its rank,
 * its hostname, the addresses it binds and is reached at, and its parent.
 * Every node reads the same files; a broker finds itself by hostname.
 */
#ifndef EDDY_CMD_BOOTSTRAP_H
#define EDDY_CMD_BOOTSTRAP_H

#include <jansson.h>
#include <stdint.h>

#include "engine/broker/topology.h"
#include "engine/error.h"

#define EDDY_BOOTSTRAP_DEFAULT_PORT 8050
#define EDDY_BOOTSTRAP_DEFAULT_BIND "tcp://*:%p" /* every interface */
#define EDDY_BOOTSTRAP_DEFAULT_CONNECT "tcp://%h:%p"

typedef struct eddy_bootstrap eddy_bootstrap_t;

/* Parsing
 *
 * eddy_bootstrap_create () reads conf's [bootstrap] and [tbon] topo for
 * the broker on `hostname`, or for rank `rank` if it is not
 * EDDY_RANK_NONE (the tests' --rank).  Every rule is checked here, not
 * only by the schema: types, unknown keys (an error: a typo here splits a
 * cluster), hostlists, duplicate hosts, the port range, %h/%p in the
 * address templates ("%%" is a percent sign), parents naming listed hosts
 * and forming a tree.  Returns the bootstrap (the caller's) or NULL with
 * errno: ENOENT (and no err text) when conf has no bootstrap.hosts, so
 * the caller keeps its single-instance defaults; EINVAL with err->text
 * "bootstrap.KEY: message" for anything wrong; ENOMEM.
 */
eddy_bootstrap_t *eddy_bootstrap_create (const json_t *conf,
                                         const char *hostname,
                                         uint32_t rank,
                                         eddy_error_t *err);
void eddy_bootstrap_destroy (eddy_bootstrap_t *bs);

/* Substitute %h (host) and %p (port) in template.  Returns a new string
 * or NULL with EINVAL and err->text for an unknown %-sequence.
 */
char *eddy_bootstrap_subst (const char *template,
                            const char *host,
                            int port,
                            eddy_error_t *err);

/* Results (borrowed from bs) */
uint32_t eddy_bootstrap_rank (const eddy_bootstrap_t *bs);
uint32_t eddy_bootstrap_size (const eddy_bootstrap_t *bs);
const char *eddy_bootstrap_host (const eddy_bootstrap_t *bs, uint32_t rank);
/* The hosts in rank order, as a hostlist string ("test[0-15]"). */
const char *eddy_bootstrap_hostlist (const eddy_bootstrap_t *bs);
const char *eddy_bootstrap_bind_uri (const eddy_bootstrap_t *bs, uint32_t rank);
const char *eddy_bootstrap_connect_uri (const eddy_bootstrap_t *bs, uint32_t rank);
const char *eddy_bootstrap_curve_cert (const eddy_bootstrap_t *bs); /* NULL: none set */

/* The tree (tbon.topo, default kary:2, and explicit parents).  The caller
 * owns the returned table (eddy_broker_create_topo () steals it).
 */
eddy_topo_t *eddy_bootstrap_topo (const eddy_bootstrap_t *bs, eddy_error_t *err);

/* [resource] exclude in conf must name ranks or hosts of bs (bs may be
 * NULL: nothing to check).  0, or -1 with err->text
 * "resource.exclude: host X is not in bootstrap.hosts (...)".  eddy-broker
 * checks it at start and before a reload is put in force.
 */
int eddy_bootstrap_check_exclude (const eddy_bootstrap_t *bs, const json_t *conf, eddy_error_t *err);

#endif /* !EDDY_CMD_BOOTSTRAP_H */
