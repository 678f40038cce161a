/* pmi_xchg.c - the PMI key exchange up and down a k-ary tree of a job's
 * ranks (see pmi_xchg.h).  Per barrier a rank waits for its own tasks and
 * for each child's request, merges their puts, and either (the root)
 * answers them with the union or sends it up and answers them with what
 * comes back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "exec/pmi_xchg.h"

struct pmi_xchg {
    int index, n, fanout;
    const struct pmi_xchg_ops *ops;
    void *arg;
    int seq;
    int nchildren;
    void **held;    /* per child slot: its request for seq, or NULL */
    int nheld;
    bool local;     /* this rank's tasks are in the barrier */
    bool waiting;   /* sent up, no answer yet */
    json_t *merged; /* this subtree's puts of the barrier under way */
};

int pmi_xchg_parent (int index, int fanout)
{
    return index <= 0 ? -1 : (index - 1) / fanout;
}

int pmi_xchg_nchildren (int index, int n, int fanout)
{
    long first = (long)index * fanout + 1;
    if (first >= n)
        return 0;
    long last = first + fanout - 1;
    return (int)((last < n ? last : n - 1) - first + 1);
}

static int merge (json_t *into, json_t *kvs)
{
    const char *key;
    json_t *v;
    json_object_foreach (kvs, key, v)
        if (json_is_string (v) && json_object_set (into, key, v) < 0)
            return -1;
    return 0;
}

/* The barrier is over here: the children hear, then the local tasks.
 * The state is reset first, so a callback may start the next barrier.
 */
static void finish (pmi_xchg_t *x, json_t *all, const char *why)
{
    void *stack[16], **held = x->nchildren <= 16 ? stack : malloc (x->nchildren * sizeof (void *));
    json_t *merged = x->merged, *fresh = json_object ();
    int n = x->nchildren;

    if (!held || !fresh) {
        /* cannot keep both: answer in place, with what there is */
        json_decref (fresh);
        if (held && held != stack)
            free (held);
        for (int i = 0; i < n; i++)
            if (x->held[i]) {
                void *h = x->held[i];
                x->held[i] = NULL;
                x->ops->down (x->arg, h, NULL, "out of memory");
            }
        x->nheld = 0;
        x->local = x->waiting = false;
        json_object_clear (x->merged);
        x->seq++;
        x->ops->done (x->arg, NULL, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        held[i] = x->held[i];
        x->held[i] = NULL;
    }
    x->nheld = 0;
    x->local = x->waiting = false;
    x->merged = fresh;
    x->seq++;
    if (!all && !why)
        all = merged; /* the root: its subtree is the job */
    for (int i = 0; i < n; i++)
        if (held[i])
            x->ops->down (x->arg, held[i], all, why);
    x->ops->done (x->arg, all, why);
    json_decref (merged);
    if (held != stack)
        free (held);
}

static void try_complete (pmi_xchg_t *x)
{
    if (!x->local || x->nheld < x->nchildren || x->waiting)
        return;
    if (x->index == 0) {
        finish (x, NULL, NULL);
        return;
    }
    x->waiting = true;
    if (x->ops->up (x->arg, pmi_xchg_parent (x->index, x->fanout), x->seq, x->merged) < 0)
        finish (x, NULL, "cannot send the PMI exchange to the parent rank");
}

int pmi_xchg_local (pmi_xchg_t *x, json_t *puts)
{
    if (!x || x->local) {
        errno = EINVAL;
        return -1;
    }
    x->local = true;
    if (merge (x->merged, puts) < 0) {
        finish (x, NULL, "out of memory");
        return 0;
    }
    try_complete (x);
    return 0;
}

int pmi_xchg_child (pmi_xchg_t *x, int from, int seq, json_t *kvs, void *handle)
{
    int slot = x ? from - (x->index * x->fanout + 1) : -1;

    if (!x || slot < 0 || slot >= x->nchildren || x->held[slot] || seq != x->seq || x->waiting) {
        errno = EPROTO;
        return -1;
    }
    if (merge (x->merged, kvs) < 0) {
        errno = ENOMEM;
        return -1;
    }
    x->held[slot] = handle;
    x->nheld++;
    try_complete (x);
    return 0;
}

void pmi_xchg_answer (pmi_xchg_t *x, json_t *all, const char *why)
{
    if (!x || !x->waiting)
        return;
    if (!why && !all)
        why = "no answer from the parent rank";
    finish (x, why ? NULL : all, why);
}

int pmi_xchg_seq (const pmi_xchg_t *x)
{
    return x ? x->seq : 0;
}

pmi_xchg_t *pmi_xchg_create (int index, int n, int fanout, const struct pmi_xchg_ops *ops,
                             void *arg)
{
    pmi_xchg_t *x;

    if (n < 1 || index < 0 || index >= n || fanout < 1 || !ops) {
        errno = EINVAL;
        return NULL;
    }
    if (!(x = calloc (1, sizeof (*x))))
        return NULL;
    x->index = index;
    x->n = n;
    x->fanout = fanout;
    x->ops = ops;
    x->arg = arg;
    x->nchildren = pmi_xchg_nchildren (index, n, fanout);
    if (!(x->merged = json_object ())
        || (x->nchildren && !(x->held = calloc ((size_t)x->nchildren, sizeof (void *))))) {
        json_decref (x->merged);
        free (x);
        errno = ENOMEM;
        return NULL;
    }
    return x;
}

void pmi_xchg_destroy (pmi_xchg_t *x)
{
    if (x) {
        int saved_errno = errno;
        for (int i = 0; i < x->nchildren; i++)
            if (x->held[i])
                x->ops->down (x->arg, x->held[i], NULL, "the job's PMI ended");
        json_decref (x->merged);
        free (x->held);
        free (x);
        errno = saved_errno;
    }
}
