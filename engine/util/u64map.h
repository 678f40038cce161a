/* u64map.h - a hash map from 64-bit keys (job ids) to pointers.
 *
 * Open addressing with linear probing; O(1) expected per operation.  It
 * has no iteration on purpose: callers that need an order keep their own
 * list, so nothing depends on hash order (DESIGN.md contract 4).
 */
#ifndef EDDY_UTIL_U64MAP_H
#define EDDY_UTIL_U64MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct eddy_u64map eddy_u64map_t;

/* Create an empty map; destroy frees the map, not the values. */
eddy_u64map_t *eddy_u64map_create (void);
void eddy_u64map_destroy (eddy_u64map_t *m);

/* Insert or replace key -> val (val may not be NULL).  -1 ENOMEM / EINVAL. */
int eddy_u64map_put (eddy_u64map_t *m, uint64_t key, void *val);

/* The value for key, or NULL. */
void *eddy_u64map_get (const eddy_u64map_t *m, uint64_t key);

/* Remove key; returns its value, or NULL if absent. */
void *eddy_u64map_remove (eddy_u64map_t *m, uint64_t key);

size_t eddy_u64map_count (const eddy_u64map_t *m);

#endif /* !EDDY_UTIL_U64MAP_H */
