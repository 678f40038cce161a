/* fairshare.h - fair-share factors of an account tree (banks and users).
 *
 * The classic formula (Slurm's original "2^(-U/S)"), chosen because a
 * site can work it out by hand and a replay gives the same result as the
 * instance for the same usage:
 *   S(node) = shares(node) / sum of shares(node's siblings) * S(parent),
 *             S(root) = 1: the node's share of the whole machine;
 *   usage(bank) = sum of its children's usage (a user's is its own,
 *             decayed, see eddy_fairshare_decay ());
 *   U(node) = usage(node) / usage(root) (0 when nothing ran);
 *   F(node) = 2^(-U/S), in (0, 1]: 1 for no usage, 0.5 for a node that
 *             used exactly its share, 0 for a node without shares.
 * What Slurm adds on top (effective usage propagated from the parent,
 * dampening, fair tree's ranking of siblings) is not done: a user's
 * factor depends only on its own fraction of the usage against its own
 * fraction of the shares.
 */
#ifndef EDDY_SCHED_FAIRSHARE_H
#define EDDY_SCHED_FAIRSHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

struct eddy_fs_node {
    const char *name;
    int parent;      /* index of the parent, -1 for the root (exactly one) */
    double shares;   /* >= 0 */
    double usage;    /* a user's own decayed usage (ignored for a bank with children) */
    bool user;
    /* computed */
    double norm_shares, norm_usage, factor;
};

/* Fill norm_shares, norm_usage, factor (and a bank's usage, the sum of
 * its subtree's).  Parents must come before their children (index order).
 * -1 EINVAL + err: no root or two, a parent index out of order, negative
 * shares or usage.
 */
int eddy_fairshare_compute (struct eddy_fs_node *nodes, size_t n, eddy_error_t *err);

/* usage that is dt seconds old, at a half-life of half_life seconds
 * (<= 0: no decay).
 */
double eddy_fairshare_decay (double usage, double dt, double half_life);

#endif /* !EDDY_SCHED_FAIRSHARE_H */
