/* overlay_ops.c - the ZeroMQ overlay's ops table, kept alone in its object
 * file: a const table of function pointers lands in .data.rel.ro under PIE
 * (read-only after relocation), which contracts.allow names by this file.
 */
#include "transport/zmq/overlay.h"

static int op_send_parent (void *t, const eddy_msg_t *msg)
{
    return eddy_zmq_overlay_send_parent (t, msg);
}

static int op_send_child (void *t, uint32_t rank, const eddy_msg_t *msg)
{
    return eddy_zmq_overlay_send_child (t, rank, msg);
}

static int op_disconnect_child (void *t, uint32_t rank)
{
    return eddy_zmq_overlay_disconnect_child (t, rank);
}

static void op_destroy (void *t)
{
    eddy_zmq_overlay_destroy (t);
}

const struct eddy_overlay_ops eddy_zmq_overlay_ops = {
    .send_parent = op_send_parent,
    .send_child = op_send_child,
    .disconnect_child = op_disconnect_child,
    .destroy = op_destroy,
};
