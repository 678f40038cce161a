/* server_ops.c - the local connector's ops table, kept alone in its object
 * file: a const table of function pointers lands in .data.rel.ro under PIE
 * (read-only after relocation), which contracts.allow names by this file.
 */
#include "transport/local/server.h"

static int op_send (void *c, uint32_t connid, const eddy_msg_t *msg)
{
    return eddy_local_server_send (c, connid, msg);
}

static int op_disconnect (void *c, uint32_t connid)
{
    return eddy_local_server_disconnect (c, connid);
}

static void op_destroy (void *c)
{
    eddy_local_server_destroy (c);
}

const struct eddy_connector_ops eddy_local_server_ops = {
    .send = op_send,
    .disconnect = op_disconnect,
    .destroy = op_destroy,
};
