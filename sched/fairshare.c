/* fairshare.c - the classic fair-share factor over an account tree. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "sched/fairshare.h"

double eddy_fairshare_decay (double usage, double dt, double half_life)
{
    if (!(half_life > 0) || !(dt > 0))
        return usage;
    return usage * exp2 (-dt / half_life);
}

int eddy_fairshare_compute (struct eddy_fs_node *nodes, size_t n, eddy_error_t *err)
{
    size_t root = n;
    double *sibling_shares = NULL;
    bool *has_child = NULL;
    int rc = -1;

    if (!nodes || n == 0) {
        eddy_error_set (err, "no accounts");
        goto inval;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(nodes[i].shares >= 0) || !(nodes[i].usage >= 0)) {
            eddy_error_set (err, "%s: shares and usage must be >= 0",
                            nodes[i].name ? nodes[i].name : "?");
            goto inval;
        }
        if (nodes[i].parent < 0) {
            if (root != n) {
                eddy_error_set (err, "two roots: %s and %s", nodes[root].name, nodes[i].name);
                goto inval;
            }
            root = i;
        } else if ((size_t)nodes[i].parent >= i) {
            eddy_error_set (err, "%s: its parent must come before it", nodes[i].name);
            goto inval;
        }
    }
    if (root != 0) {
        eddy_error_set (err, root == n ? "no root" : "the root must come first");
        goto inval;
    }
    if (!(sibling_shares = calloc (n, sizeof (*sibling_shares)))
        || !(has_child = calloc (n, sizeof (*has_child)))) {
        eddy_error_set (err, "out of memory");
        goto done;
    }
    /* the shares of each node's children, and who has children */
    for (size_t i = 1; i < n; i++) {
        sibling_shares[nodes[i].parent] += nodes[i].shares;
        has_child[nodes[i].parent] = true;
    }
    /* usage sums upward: children come after parents, so walk backward */
    for (size_t i = 0; i < n; i++)
        if (has_child[i])
            nodes[i].usage = 0;
    for (size_t i = n; i-- > 1;)
        nodes[nodes[i].parent].usage += nodes[i].usage;
    double total = nodes[0].usage;
    for (size_t i = 0; i < n; i++) {
        struct eddy_fs_node *x = &nodes[i];
        if (i == 0)
            x->norm_shares = 1.0;
        else {
            double sib = sibling_shares[x->parent];
            x->norm_shares = sib > 0 ? x->shares / sib * nodes[x->parent].norm_shares : 0;
        }
        x->norm_usage = total > 0 ? x->usage / total : 0;
        if (x->norm_shares > 0)
            x->factor = exp2 (-x->norm_usage / x->norm_shares);
        else
            x->factor = 0;
    }
    rc = 0;
    goto done;
inval:
    errno = EINVAL;
done:
    free (sibling_shares);
    free (has_child);
    return rc;
}
