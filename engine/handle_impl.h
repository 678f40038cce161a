/* handle_impl.h - the handle's private state, shared by handle.c and
 * future.c only.
 */
#ifndef EDDY_HANDLE_IMPL_H
#define EDDY_HANDLE_IMPL_H

#include "engine/future.h"
#include "engine/handle.h"

/* a matchtag whose future is gone but whose response may still arrive */
#define EDDY_TAG_RETIRED ((eddy_future_t *)1)

struct eddy_handle {
    eddy_reactor_t *r;
    const struct eddy_handle_ops *ops;
    void *impl;
    uint32_t rank, size;
    char *name;

    eddy_future_t **tags; /* tag - 1 -> future, NULL or RETIRED */
    uint32_t ntags, tags_cap;
    uint32_t *freetags;
    uint32_t nfree;

    eddy_msg_handler_t *handlers; /* newest first */
    json_t *config;               /* the module's configuration table */
    struct aux *aux;

    /* futures whose continuations are due */
    eddy_watcher_t *ready_w;
    eddy_future_t *ready_head, *ready_tail;
};

uint32_t eddy_handle_tag_alloc (eddy_handle_t *h, eddy_future_t *f);
void eddy_handle_tag_free (eddy_handle_t *h, uint32_t tag);
void eddy_handle_tag_retire (eddy_handle_t *h, uint32_t tag);
eddy_future_t *eddy_handle_tag_lookup (eddy_handle_t *h, uint32_t tag);
void eddy_handle_ready_push (eddy_handle_t *h, eddy_future_t *f);
void eddy_handle_ready_remove (eddy_handle_t *h, eddy_future_t *f);

/* future.c */
void eddy_future_detach (eddy_future_t *f);
void eddy_future_notify (eddy_future_t *f);
void eddy_future_queue_link (eddy_future_t **head, eddy_future_t **tail, eddy_future_t *f);
void eddy_future_queue_unlink (eddy_future_t **head, eddy_future_t **tail, eddy_future_t *f);

#endif /* !EDDY_HANDLE_IMPL_H */
