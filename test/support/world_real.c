/* world_real.c - a test world on the real backends: one libev reactor,
 * N brokers in this process linked by ZeroMQ over ipc:// sockets in a
 * temporary directory.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/modules.h"
#include "engine/broker/topology.h"
#include "test/support/world.h"
#include "transport/zmq/overlay.h"

struct real {
    char dir[256];
    eddy_zmq_overlay_t **ov;
};

static int rm_entry (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove (path);
}

static void real_destroy (struct world *w)
{
    struct real *re = w->impl;
    for (uint32_t i = 0; i < w->size; i++) {
        if (w->b[i]) {
            eddy_broker_set_overlay (w->b[i], NULL, NULL);
            eddy_broker_destroy (w->b[i]);
        }
    }
    for (uint32_t i = 0; i < w->size; i++)
        eddy_zmq_overlay_destroy (re->ov[i]);
    eddy_reactor_destroy (w->r);
    nftw (re->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free (re->ov);
    free (re);
    free (w->b);
    free (w);
}

/* The rank's sockets close, as when its process dies: peers see the
 * connection drop; the broker object stays but can no longer send. */
static int real_kill (struct world *w, uint32_t rank)
{
    struct real *re = w->impl;
    eddy_broker_set_overlay (w->b[rank], NULL, NULL);
    eddy_zmq_overlay_destroy (re->ov[rank]);
    re->ov[rank] = NULL;
    return 0;
}

static struct world *real_create (uint32_t size, int fanout)
{
    struct world *w = calloc (1, sizeof (*w));
    struct real *re = calloc (1, sizeof (*re));
    char uri[512];

    if (!w || !re)
        goto error;
    w->impl = re;
    w->ops = &world_real;
    w->size = size;
    w->fanout = fanout;
    w->destroy = real_destroy;
    w->kill = real_kill;
    snprintf (re->dir, sizeof (re->dir), "%s/eddy-world-XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    if (!mkdtemp (re->dir) || !(w->r = eddy_reactor_create ())
        || !(w->b = calloc (size, sizeof (w->b[0]))) || !(re->ov = calloc (size, sizeof (re->ov[0]))))
        goto error;
    for (uint32_t i = 0; i < size; i++) {
        eddy_broker_t *b = eddy_broker_create (w->r, i, size, fanout, NULL);
        if (!b)
            goto error;
        w->b[i] = b;
        eddy_broker_set_module_table (b, eddy_builtin_modules);
        eddy_broker_attr_set (b, "hostname", "real");
        if (!(re->ov[i] = eddy_zmq_overlay_create (w->r, i, size, eddy_broker_overlay_cb (), b, NULL)))
            goto error;
        uint32_t n;
        eddy_topo_first_child (i, size, fanout, &n);
        if (n > 0) {
            snprintf (uri, sizeof (uri), "ipc://%s/tbon-%u", re->dir, i);
            if (eddy_zmq_overlay_bind (re->ov[i], uri, NULL) < 0)
                goto error;
        }
        if (i > 0) {
            snprintf (uri, sizeof (uri), "ipc://%s/tbon-%u", re->dir,
                      eddy_topo_parent (i, size, fanout));
            if (eddy_zmq_overlay_connect (re->ov[i], uri, NULL) < 0)
                goto error;
        }
        eddy_broker_set_overlay (b, &eddy_zmq_overlay_ops, re->ov[i]);
    }
    return w;
error:
    if (w && re && re->ov && w->b)
        real_destroy (w);
    return NULL;
}

const struct world_ops world_real = { "real", real_create };
