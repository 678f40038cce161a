/* topology.c - k-ary tree arithmetic for the overlay. */
#include "engine/broker/topology.h"

uint32_t eddy_topo_parent (uint32_t rank, uint32_t size, int fanout)
{
    if (rank == 0 || rank >= size)
        return EDDY_RANK_NONE;
    if (fanout <= 0)
        return 0;
    return (rank - 1) / (uint32_t)fanout;
}

uint32_t eddy_topo_first_child (uint32_t rank, uint32_t size, int fanout, uint32_t *count)
{
    uint64_t first, n;

    if (fanout <= 0) {
        first = 1;
        n = rank == 0 && size > 1 ? size - 1 : 0;
    }
    else {
        first = (uint64_t)rank * fanout + 1;
        n = first < size ? (size - first < (uint64_t)fanout ? size - first : (uint64_t)fanout)
                         : 0;
    }
    if (count)
        *count = (uint32_t)n;
    return n ? (uint32_t)first : EDDY_RANK_NONE;
}

int eddy_topo_level (uint32_t rank, uint32_t size, int fanout)
{
    int level = 0;
    while (rank != 0 && rank < size) {
        rank = eddy_topo_parent (rank, size, fanout);
        level++;
    }
    return level;
}

int eddy_topo_maxlevel (uint32_t size, int fanout)
{
    return size ? eddy_topo_level (size - 1, size, fanout) : 0;
}

uint32_t eddy_topo_child_toward (uint32_t rank, uint32_t target, uint32_t size, int fanout)
{
    if (target >= size || target <= rank)
        return EDDY_RANK_NONE;
    uint32_t t = target;
    for (;;) {
        uint32_t p = eddy_topo_parent (t, size, fanout);
        if (p == EDDY_RANK_NONE)
            return EDDY_RANK_NONE;
        if (p == rank)
            return t;
        if (p < rank)
            return EDDY_RANK_NONE; /* breadth-first numbering: passed it */
        t = p;
    }
}

uint32_t eddy_topo_subtree_size (uint32_t rank, uint32_t size, int fanout)
{
    if (rank >= size)
        return 0;
    if (fanout <= 0)
        return rank == 0 ? size : 1;
    /* walk the subtree level by level: ranks [lo, hi] at each level */
    uint64_t lo = rank, hi = rank, total = 0;
    while (lo < size) {
        total += (hi < size ? hi : size - 1) - lo + 1;
        lo = lo * fanout + 1;
        hi = hi * fanout + fanout;
    }
    return (uint32_t)total;
}

uint32_t eddy_topo_deepest (uint32_t size, int fanout)
{
    return size ? size - 1 : 0;
}

/* ---- shapes as a table ---- */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct eddy_topo {
    uint32_t size;
    char spec[32];
    int fanout;        /* kary K, 0 flat, -1 other */
    uint32_t *parent;  /* [size] */
    uint32_t *first;   /* [size + 1]: rank r's children are kids[first[r] .. first[r+1]) */
    uint32_t *kids;    /* [size] */
    uint32_t *subtree; /* [size] */
    int *level;        /* [size] */
    int maxlevel;
};

void eddy_topo_destroy (eddy_topo_t *t)
{
    if (t) {
        int saved = errno;
        free (t->parent);
        free (t->first);
        free (t->kids);
        free (t->subtree);
        free (t->level);
        free (t);
        errno = saved;
    }
}

/* Fill in children, levels and subtree sizes from t->parent, refusing a
 * parent that is out of range or a rank that never reaches rank 0.
 */
static int topo_finish (eddy_topo_t *t, eddy_error_t *err)
{
    uint32_t n = t->size;
    uint32_t *fill = NULL, *order = NULL;

    if (!(t->first = calloc (n + 1, sizeof (uint32_t))) || !(t->kids = calloc (n, sizeof (uint32_t)))
        || !(t->subtree = calloc (n, sizeof (uint32_t))) || !(t->level = calloc (n, sizeof (int)))
        || !(fill = calloc (n + 1, sizeof (uint32_t))) || !(order = calloc (n, sizeof (uint32_t))))
        goto nomem;
    t->parent[0] = EDDY_RANK_NONE;
    for (uint32_t r = 1; r < n; r++) {
        if (t->parent[r] >= n) {
            eddy_error_set (err, "rank %u: parent %u is not a rank of %u", r, t->parent[r], n);
            goto inval;
        }
        if (t->parent[r] == r) {
            eddy_error_set (err, "rank %u: a rank cannot be its own parent", r);
            goto inval;
        }
        t->first[t->parent[r] + 1]++;
    }
    for (uint32_t r = 0; r < n; r++)
        t->first[r + 1] += t->first[r];
    memcpy (fill, t->first, (n + 1) * sizeof (uint32_t));
    for (uint32_t r = 1; r < n; r++) /* ascending r: each list comes out sorted */
        t->kids[fill[t->parent[r]]++] = r;
    /* breadth-first from rank 0: whoever it misses is on a cycle */
    uint32_t head = 0, tail = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t r = order[head++];
        for (uint32_t i = t->first[r]; i < t->first[r + 1]; i++) {
            uint32_t c = t->kids[i];
            t->level[c] = t->level[r] + 1;
            if (t->level[c] > t->maxlevel)
                t->maxlevel = t->level[c];
            order[tail++] = c;
        }
    }
    if (tail < n) {
        for (uint32_t r = 1; r < n; r++) {
            bool seen = false;
            for (uint32_t i = 0; i < tail && !seen; i++)
                seen = order[i] == r;
            if (!seen) {
                eddy_error_set (err, "rank %u: its parents form a cycle that never reaches rank 0", r);
                break;
            }
        }
        goto inval;
    }
    for (uint32_t i = n; i-- > 0;) { /* leaves first */
        uint32_t r = order[i];
        t->subtree[r] += 1;
        if (r != 0)
            t->subtree[t->parent[r]] += t->subtree[r];
    }
    free (fill);
    free (order);
    return 0;
nomem:
    eddy_error_set (err, "out of memory");
    free (fill);
    free (order);
    errno = ENOMEM;
    return -1;
inval:
    free (fill);
    free (order);
    errno = EINVAL;
    return -1;
}

static eddy_topo_t *topo_alloc (uint32_t size, eddy_error_t *err)
{
    eddy_topo_t *t;
    if (size == 0) {
        eddy_error_set (err, "a tree needs at least one rank");
        errno = EINVAL;
        return NULL;
    }
    if (!(t = calloc (1, sizeof (*t))) || !(t->parent = calloc (size, sizeof (uint32_t)))) {
        free (t);
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    t->size = size;
    t->fanout = -1;
    return t;
}

eddy_topo_t *eddy_topo_create (const char *spec, uint32_t size, eddy_error_t *err)
{
    eddy_topo_t *t;
    long k = -1;

    if (!spec) {
        eddy_error_set (err, "no tree shape given");
        errno = EINVAL;
        return NULL;
    }
    if (!strncmp (spec, "kary:", 5)) {
        char *end;
        errno = 0;
        k = strtol (spec + 5, &end, 10);
        if (errno || end == spec + 5 || *end || k < 1 || k > 1000000) {
            eddy_error_set (err, "'%s': kary:K needs a whole K of at least 1", spec);
            errno = EINVAL;
            return NULL;
        }
    }
    else if (!strcmp (spec, "flat"))
        k = 0;
    else if (strcmp (spec, "binomial") != 0) {
        eddy_error_set (err, "'%s' is not a tree shape (kary:K, binomial, flat)", spec);
        errno = EINVAL;
        return NULL;
    }
    if (!(t = topo_alloc (size, err)))
        return NULL;
    for (uint32_t r = 1; r < size; r++) {
        if (k >= 0)
            t->parent[r] = eddy_topo_parent (r, size, (int)k);
        else
            t->parent[r] = r & (r - 1);
    }
    t->fanout = (int)k;
    snprintf (t->spec, sizeof (t->spec), "%s", spec);
    if (topo_finish (t, err) < 0) {
        eddy_topo_destroy (t);
        return NULL;
    }
    return t;
}

eddy_topo_t *eddy_topo_create_parents (const uint32_t *parents, uint32_t size, eddy_error_t *err)
{
    eddy_topo_t *t;
    if (!parents) {
        eddy_error_set (err, "no parents given");
        errno = EINVAL;
        return NULL;
    }
    if (!(t = topo_alloc (size, err)))
        return NULL;
    memcpy (t->parent, parents, size * sizeof (uint32_t));
    snprintf (t->spec, sizeof (t->spec), "custom");
    if (topo_finish (t, err) < 0) {
        eddy_topo_destroy (t);
        return NULL;
    }
    return t;
}

const char *eddy_topo_spec (const eddy_topo_t *t)
{
    return t->spec;
}

uint32_t eddy_topo_size (const eddy_topo_t *t)
{
    return t->size;
}

int eddy_topo_get_fanout (const eddy_topo_t *t)
{
    return t->fanout;
}

uint32_t eddy_topo_get_parent (const eddy_topo_t *t, uint32_t rank)
{
    return rank < t->size ? t->parent[rank] : EDDY_RANK_NONE;
}

uint32_t eddy_topo_get_children (const eddy_topo_t *t, uint32_t rank, const uint32_t **list)
{
    if (rank >= t->size) {
        if (list)
            *list = NULL;
        return 0;
    }
    if (list)
        *list = &t->kids[t->first[rank]];
    return t->first[rank + 1] - t->first[rank];
}

int eddy_topo_get_level (const eddy_topo_t *t, uint32_t rank)
{
    return rank < t->size ? t->level[rank] : 0;
}

int eddy_topo_get_maxlevel (const eddy_topo_t *t)
{
    return t->maxlevel;
}

uint32_t eddy_topo_get_subtree_size (const eddy_topo_t *t, uint32_t rank)
{
    return rank < t->size ? t->subtree[rank] : 0;
}

uint32_t eddy_topo_get_child_toward (const eddy_topo_t *t, uint32_t rank, uint32_t target)
{
    if (target >= t->size || rank >= t->size || target == rank)
        return EDDY_RANK_NONE;
    /* climb from target; levels say when rank can no longer be above */
    while (t->level[target] > t->level[rank] + 1)
        target = t->parent[target];
    if (t->level[target] == t->level[rank] + 1 && t->parent[target] == rank)
        return target;
    return EDDY_RANK_NONE;
}
