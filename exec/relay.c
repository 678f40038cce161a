/* relay.c - exec.stdin from a client of a rank other than 0 (exec_impl.h):
 * forwarded to the coordinator with the client's credentials and route
 * origin in "relay", so that rank 0 checks who feeds the job and this
 * rank can say (exec.gone) when that client goes away.  Only the exec
 * module's own requests may carry "relay": rank 0 takes it from an owner's
 * message only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_impl.h"

/* A client that fed a job's stdin through this rank. */
struct client {
    uint64_t origin;
    struct client *next;
};

/* A request on its way to rank 0. */
struct relayed {
    struct relay *r;
    const eddy_msg_t *req;
    eddy_future_t *f;
    struct relayed *next, *prev;
};

struct relay {
    struct exec_ctx *ctx;
    struct client *clients;
    struct relayed *pending;
};

static void relayed_free (struct relayed *rd)
{
    struct relay *r = rd->r;
    if (rd->prev)
        rd->prev->next = rd->next;
    else
        r->pending = rd->next;
    if (rd->next)
        rd->next->prev = rd->prev;
    eddy_future_destroy (rd->f);
    eddy_msg_decref (rd->req);
    free (rd);
}

static void relayed_cb (eddy_future_t *f, void *arg)
{
    struct relayed *rd = arg;
    eddy_handle_t *h = rd->r->ctx->h;

    if (eddy_rpc_get (f, NULL) == 0)
        eddy_respond (h, rd->req, NULL);
    else
        eddy_respond_error (h, rd->req, errno, eddy_future_error_string (f));
    relayed_free (rd);
}

void relay_stdin (struct relay *r, const eddy_msg_t *msg)
{
    eddy_handle_t *h = r->ctx->h;
    uint64_t origin = eddy_msg_route_first (msg);
    json_t *in = eddy_msg_payload (msg);
    json_t *p = NULL;
    struct relayed *rd = NULL;
    struct client *c;

    if (!json_is_object (in) || json_object_get (in, "relay")) {
        eddy_respond_error (h, msg, EPROTO, "exec.stdin: malformed payload");
        return;
    }
    for (c = r->clients; c && c->origin != origin; c = c->next)
        ;
    if (!c && origin) {
        if (!(c = calloc (1, sizeof (*c))))
            goto nomem;
        c->origin = origin;
        c->next = r->clients;
        r->clients = c;
    }
    if (!(p = json_copy (in)) ||
        json_object_set_new (
            p, "relay",
            json_pack ("{s:I s:b s:I s:I}", "userid", (json_int_t)eddy_msg_userid (msg),
                       "owner", (eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER) != 0,
                       "origin", (json_int_t)origin, "rank",
                       (json_int_t)r->ctx->rank)) < 0 ||
        !(rd = calloc (1, sizeof (*rd))))
        goto nomem;
    rd->r = r;
    rd->req = eddy_msg_incref (msg);
    if (!(rd->f = eddy_rpc (h, "exec.stdin", p, 0, 0)) ||
        eddy_future_then (rd->f, -1, relayed_cb, rd) < 0) {
        int e = errno;
        eddy_future_destroy (rd->f);
        eddy_msg_decref (rd->req);
        free (rd);
        json_decref (p);
        eddy_respond_error (h, msg, e ? e : EIO, "exec.stdin: cannot reach rank 0");
        return;
    }
    json_decref (p);
    rd->next = r->pending;
    if (r->pending)
        r->pending->prev = rd;
    r->pending = rd;
    return;
nomem:
    json_decref (p);
    free (rd);
    eddy_respond_error (h, msg, ENOMEM, NULL);
}

void relay_disconnect (struct relay *r, const eddy_msg_t *msg)
{
    uint64_t origin = eddy_msg_route_first (msg);

    for (struct client **cp = &r->clients; *cp; cp = &(*cp)->next) {
        struct client *c = *cp;
        if (c->origin != origin)
            continue;
        *cp = c->next;
        free (c);
        eddy_future_t *f = eddy_rpc_pack (
            r->ctx->h, "exec.gone", 0, EDDY_RPC_NORESPONSE, "{s:I s:I}", "rank",
            (json_int_t)r->ctx->rank, "origin", (json_int_t)origin);
        eddy_future_destroy (f);
        return;
    }
}

struct relay *relay_create (struct exec_ctx *ctx)
{
    struct relay *r = calloc (1, sizeof (*r));
    if (r)
        r->ctx = ctx;
    return r;
}

void relay_destroy (struct relay *r)
{
    if (r) {
        int e = errno;
        while (r->pending) {
            eddy_respond_error (r->ctx->h, r->pending->req, ENOSYS,
                                "exec module unloaded");
            relayed_free (r->pending);
        }
        while (r->clients) {
            struct client *c = r->clients;
            r->clients = c->next;
            free (c);
        }
        free (r);
        errno = e;
    }
}
