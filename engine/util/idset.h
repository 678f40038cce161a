/* idset.h - sets of unsigned integer ids and their RFC 22 text form.
 *
 * An idset is kept as a sorted array of disjoint, non-adjacent ranges, so
 * every operation costs O(number of ranges), never O(number of members).
 */
#ifndef EDDY_UTIL_IDSET_H
#define EDDY_UTIL_IDSET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

typedef struct eddy_idset eddy_idset_t;

typedef enum {
    EDDY_IDSET_RANGE = 1,    /* write runs of 2+ ids as "lo-hi" */
    EDDY_IDSET_BRACKETS = 2, /* wrap in [] when the set has more than one id */
} eddy_idset_flags_t;

/* Not a valid member: the largest member is UINT_MAX - 1.  Returned by the
 * queries below when there is no such id.
 */
#define EDDY_IDSET_INVALID_ID UINT_MAX

/* Life cycle.
 * create () returns an empty set; copy () a deep copy.  NULL + ENOMEM on
 * allocation failure (copy: EINVAL if ids is NULL).  destroy (NULL) is a
 * no-op; destroy keeps errno.
 */
eddy_idset_t *eddy_idset_create (void);
void eddy_idset_destroy (eddy_idset_t *ids);
eddy_idset_t *eddy_idset_copy (const eddy_idset_t *ids);

/* Text form (RFC 22).
 * decode () parses "", "3", "1,7-9,16", "[0-3]" with flux-core's strictness:
 * ids ascend strictly, no duplicates, no leading zeros, brackets only around
 * the whole string.  NULL + EINVAL (and err filled) on bad input, ERANGE for
 * an id above UINT_MAX - 1.  The caller owns the result.
 * encode () writes the set using eddy_idset_flags_t; the empty set is "".
 * Returns a malloc'd string the caller frees, or NULL + ENOMEM/EINVAL.
 */
eddy_idset_t *eddy_idset_decode (const char *s, eddy_error_t *err);
/* decode () into an existing set, whose members it replaces, reusing its
 * storage (a set decoded again and again costs no allocation); -1 as
 * decode () (ENOMEM too), and the set is then empty. */
int eddy_idset_decode_into (eddy_idset_t *ids, const char *s, eddy_error_t *err);
/* Write id in decimal at p (at most 10 characters, no NUL); returns how
 * many were written.  For callers that build idset text of their own.
 */
size_t eddy_idset_put_id (char *p, unsigned id);

char *eddy_idset_encode (const eddy_idset_t *ids, int flags);

/* Membership changes.
 * Ids must be < EDDY_IDSET_INVALID_ID and lo <= hi, else -1 + EINVAL.
 * Setting a member or clearing a non-member is not an error.  0 on success,
 * -1 + ENOMEM if the range array cannot grow (the set is unchanged).
 */
int eddy_idset_set (eddy_idset_t *ids, unsigned id);
int eddy_idset_range_set (eddy_idset_t *ids, unsigned lo, unsigned hi);
int eddy_idset_clear (eddy_idset_t *ids, unsigned id);
int eddy_idset_range_clear (eddy_idset_t *ids, unsigned lo, unsigned hi);

/* Queries (ids may be NULL: it reads as the empty set).
 * first/last return the smallest/largest member, next the smallest member
 * greater than prev, or EDDY_IDSET_INVALID_ID if there is none.  nth returns
 * the n-th smallest member (0-based) or EDDY_IDSET_INVALID_ID.
 * count returns the number of members; range_count the number of ranges.
 */
bool eddy_idset_test (const eddy_idset_t *ids, unsigned id);
unsigned eddy_idset_first (const eddy_idset_t *ids);
unsigned eddy_idset_next (const eddy_idset_t *ids, unsigned prev);
unsigned eddy_idset_last (const eddy_idset_t *ids);
unsigned eddy_idset_nth (const eddy_idset_t *ids, size_t n);
size_t eddy_idset_count (const eddy_idset_t *ids);
bool eddy_idset_empty (const eddy_idset_t *ids);
bool eddy_idset_equal (const eddy_idset_t *a, const eddy_idset_t *b);

/* Ranges, in ascending order: for i in [0, range_count), range_get (i)
 * stores the i-th maximal run [lo, hi].  -1 + EINVAL if i is out of range.
 */
size_t eddy_idset_range_count (const eddy_idset_t *ids);
int eddy_idset_range_get (const eddy_idset_t *ids,
                          size_t i,
                          unsigned *lo,
                          unsigned *hi);

/* Set algebra.
 * union/intersect/difference return a new set the caller owns (NULL +
 * ENOMEM, or EINVAL if a or b is NULL).  add (a |= b) and subtract (a -= b)
 * modify a in place and return 0, or -1 + errno leaving a unchanged.
 * intersect_count () is |a & b| without building it (0 if either is NULL).
 */
eddy_idset_t *eddy_idset_union (const eddy_idset_t *a, const eddy_idset_t *b);
eddy_idset_t *eddy_idset_intersect (const eddy_idset_t *a, const eddy_idset_t *b);
eddy_idset_t *eddy_idset_difference (const eddy_idset_t *a, const eddy_idset_t *b);
int eddy_idset_add (eddy_idset_t *a, const eddy_idset_t *b);
int eddy_idset_subtract (eddy_idset_t *a, const eddy_idset_t *b);
size_t eddy_idset_intersect_count (const eddy_idset_t *a, const eddy_idset_t *b);

#endif /* !EDDY_UTIL_IDSET_H */
