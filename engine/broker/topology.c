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
