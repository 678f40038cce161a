/* client.h - what the eddy subcommands share to talk to a broker. */
#ifndef EDDY_CMD_CLIENT_H
#define EDDY_CMD_CLIENT_H

#include <stdint.h>
#include <jansson.h>

#include "engine/future.h"
#include "engine/handle.h"

/* Connect to $EDDY_URI, or when it is unset to the system instance's
 * socket (system.h: local:///run/eddy/local), or exit with "eddy-CMD:
 * message".
 */
eddy_handle_t *client_open (const char *cmd);

/* The URI client_open () connects to (the caller frees it). */
char *client_uri (const char *cmd);
void client_close (eddy_handle_t *h);

/* Make an RPC and wait for its answer; on failure exit with
 * "eddy-CMD: TOPIC: error text".  The future is the caller's.
 */
eddy_future_t *client_rpc (const char *cmd, eddy_handle_t *h, const char *topic,
                           json_t *payload, uint32_t nodeid);
json_t *client_rpc_get (const char *cmd, eddy_future_t *f, const char *topic);

/* client_rpc (), but it takes over the caller's reference to payload (for
 * a json_pack () written in the call).
 */
eddy_future_t *client_rpc_take (const char *cmd, eddy_handle_t *h, const char *topic,
                                json_t *payload, uint32_t nodeid);

/* Parse a --rank value (a rank number, or "any"); exits on error. */
uint32_t client_parse_rank (const char *cmd, const char *s);

/* Parse a non-negative number of seconds; exits on error. */
double client_parse_seconds (const char *cmd, const char *opt, const char *s);

/* Wall-clock seconds (CLOCK_MONOTONIC), for timings printed by commands. */
double client_monotime (void);

#endif /* !EDDY_CMD_CLIENT_H */
