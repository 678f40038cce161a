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

#endif /* !EDDY_BROKER_TOPOLOGY_H */
