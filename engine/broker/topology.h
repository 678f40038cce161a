/* topology.h - the shape of the tree overlay: who is whose parent.
 *
 * k-ary trees of any fanout, rooted at rank 0 and numbered breadth-first
 * (fanout 0 = flat: every rank is a child of rank 0).  Pure functions of
 * (rank, size, fanout).
 */
#ifndef EDDY_BROKER_TOPOLOGY_H
#define EDDY_BROKER_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"

#define EDDY_RANK_NONE 0xFFFFFFFFu

/* Parent of rank, or EDDY_RANK_NONE for rank 0. */
uint32_t eddy_topo_parent (uint32_t rank, uint32_t size, int fanout);

/* Children of rank: the first child and how many there are. */
uint32_t eddy_topo_first_child (uint32_t rank, uint32_t size, int fanout, uint32_t *count);

/* Depth of rank (rank 0 is level 0) and the deepest level of the tree. */
int eddy_topo_level (uint32_t rank, uint32_t size, int fanout);
int eddy_topo_maxlevel (uint32_t size, int fanout);

/* The child of `rank` whose subtree holds `target`, or EDDY_RANK_NONE if
 * target is not below rank.
 */
uint32_t eddy_topo_child_toward (uint32_t rank, uint32_t target, uint32_t size, int fanout);

/* Number of ranks in the subtree rooted at rank (itself included). */
uint32_t eddy_topo_subtree_size (uint32_t rank, uint32_t size, int fanout);

/* The highest-numbered rank at the deepest level (the "deepest rank"). */
uint32_t eddy_topo_deepest (uint32_t size, int fanout);

/* Tree shapes as a table (eddy_topo_t)
 *
 * For a real broker, whose shape may be other than k-ary: the parent and
 * children of every rank, materialized once.  A shape is a spec string,
 * as [tbon] topo: "kary:K" (K >= 1), "flat" (every rank a child of 0) or
 * "binomial" (the parent of r is r with its lowest set bit cleared); or
 * an explicit parent for every rank.  Children are listed in ascending
 * rank order.  The simulator's thousands of brokers keep to the k-ary
 * arithmetic above, which needs no table.
 */
typedef struct eddy_topo eddy_topo_t;

/* eddy_topo_create () builds spec's shape for size ranks.  Returns the
 * table (the caller's, eddy_topo_destroy ()) or NULL with errno EINVAL
 * and err->text for a bad spec, ENOMEM.
 */
eddy_topo_t *eddy_topo_create (const char *spec, uint32_t size, eddy_error_t *err);

/* eddy_topo_create_parents () builds the shape in which parents[r] is the
 * parent of rank r (parents[0] is ignored: rank 0 is the root).  Every
 * rank must reach rank 0: a parent out of range, a rank its own parent or
 * a cycle is EINVAL with err->text naming the rank.
 */
eddy_topo_t *eddy_topo_create_parents (const uint32_t *parents, uint32_t size, eddy_error_t *err);
void eddy_topo_destroy (eddy_topo_t *t);

/* The spec it was made from ("kary:2", "binomial", "flat", "custom"). */
const char *eddy_topo_spec (const eddy_topo_t *t);
uint32_t eddy_topo_size (const eddy_topo_t *t);

/* Parent of rank (EDDY_RANK_NONE for rank 0 or out of range). */
uint32_t eddy_topo_get_parent (const eddy_topo_t *t, uint32_t rank);

/* Children of rank, ascending; *list is borrowed from t. */
uint32_t eddy_topo_get_children (const eddy_topo_t *t, uint32_t rank, const uint32_t **list);

/* As the k-ary functions above, for a table. */
int eddy_topo_get_level (const eddy_topo_t *t, uint32_t rank);
int eddy_topo_get_maxlevel (const eddy_topo_t *t);
uint32_t eddy_topo_get_subtree_size (const eddy_topo_t *t, uint32_t rank);
uint32_t eddy_topo_get_child_toward (const eddy_topo_t *t, uint32_t rank, uint32_t target);

/* The fanout K of a "kary:K" or "flat" (0) table; -1 for other shapes. */
int eddy_topo_get_fanout (const eddy_topo_t *t);

#endif /* !EDDY_BROKER_TOPOLOGY_H */
