/* hostlist.h - ordered lists of host names and their RFC 29 text form.
 *
 * A hostlist keeps hosts in order, duplicates included, as a list of
 * compressed ranges (prefix, numeric range with a zero-pad width, suffix).
 */
#ifndef EDDY_UTIL_HOSTLIST_H
#define EDDY_UTIL_HOSTLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

typedef struct eddy_hostlist eddy_hostlist_t;

/* Life cycle.
 * create () returns an empty list; copy () a deep copy.  NULL + ENOMEM on
 * allocation failure (copy: EINVAL if hl is NULL).  destroy (NULL) is a
 * no-op; destroy keeps errno.
 */
eddy_hostlist_t *eddy_hostlist_create (void);
void eddy_hostlist_destroy (eddy_hostlist_t *hl);
eddy_hostlist_t *eddy_hostlist_copy (const eddy_hostlist_t *hl);

/* Text form (RFC 29).
 * decode () parses "foo[1-3,7]-eth0,bar" (empty elements are skipped, "" is
 * the empty list).  Zero padding follows flux-core: each range takes its
 * width from its own low bound ("[00-2]" is 00,01,02).  A bracket followed
 * by a suffix expands into separate host names, as in flux-core.  Hosts are
 * stored by what their names say, so "f00[7-8]" and "f007,f008" are the
 * same list (both encode as "f[007-008]").  NULL + EINVAL (err filled) on
 * bad syntax or a host name of EDDY_HOSTLIST_NAME_MAX bytes or more; ERANGE
 * for a range of more than 1048576 hosts, a number of more than 18 digits,
 * more than 1048576 hosts expanded from suffixed brackets, or more than
 * INT_MAX hosts in all.  The caller owns the result.
 * encode () compresses the list without reordering: runs of hosts with the
 * same prefix share one bracket ("foo[12,4,1-2],bar").  Returns a malloc'd
 * string the caller frees, or NULL + ENOMEM/EINVAL.
 */
#define EDDY_HOSTLIST_NAME_MAX 1024
eddy_hostlist_t *eddy_hostlist_decode (const char *s, eddy_error_t *err);
char *eddy_hostlist_encode (const eddy_hostlist_t *hl);

/* Adding hosts.
 * append () decodes hosts (a hostlist string) and appends them; it returns
 * the number of hosts appended, or -1 + errno (EINVAL, ERANGE, ENOMEM) with
 * hl unchanged.  append_list () appends a copy of other's hosts and returns
 * their number, or -1 + errno.
 */
int eddy_hostlist_append (eddy_hostlist_t *hl, const char *hosts);
int eddy_hostlist_append_list (eddy_hostlist_t *hl, const eddy_hostlist_t *other);

/* Queries.
 * count () returns the number of hosts (NULL counts as 0).
 * nth () returns the n-th host as a malloc'd string the caller frees; n < 0
 * counts from the end (-1 is the last).  NULL + ENOENT if out of range,
 * ENOMEM on allocation failure.
 * find () returns the index of the first host equal to host (zero padding
 * is significant: "i00" is not in "i[0-5]"), or -1 + ENOENT.
 */
size_t eddy_hostlist_count (const eddy_hostlist_t *hl);
char *eddy_hostlist_nth (const eddy_hostlist_t *hl, int n);
int eddy_hostlist_find (const eddy_hostlist_t *hl, const char *host);

/* Removing and reordering.
 * delete () removes the first occurrence of each host in hosts (a hostlist
 * string) and returns how many were removed, or -1 + errno (EINVAL for a bad
 * string, ENOMEM) with hl unchanged.
 * delete_nth () removes the host at index n (n < 0 counts from the end):
 * 0, or -1 + ENOENT/ENOMEM.
 * sort () orders hosts by prefix, then suffix, then zero-pad width, then
 * number, keeping duplicates; uniq () sorts and removes duplicates.
 * Both return 0, or -1 + ENOMEM with hl unchanged.
 */
int eddy_hostlist_delete (eddy_hostlist_t *hl, const char *hosts);
int eddy_hostlist_delete_nth (eddy_hostlist_t *hl, int n);
int eddy_hostlist_sort (eddy_hostlist_t *hl);
int eddy_hostlist_uniq (eddy_hostlist_t *hl);

/* Iteration in O(1) per host.
 * An iterator is a small caller-owned struct: init () positions it before
 * the first host, next () writes the next host name into the iterator's
 * buffer and returns it (valid until the next call), or NULL at the end.
 * Names always fit (see EDDY_HOSTLIST_NAME_MAX).  The list must not be
 * modified while iterating.
 */
struct eddy_hostlist_iter {
    const eddy_hostlist_t *hl;
    size_t range;           /* index of the current range */
    unsigned long long num; /* next number within that range */
    char buf[EDDY_HOSTLIST_NAME_MAX];
};
void eddy_hostlist_iter_init (struct eddy_hostlist_iter *it, const eddy_hostlist_t *hl);
const char *eddy_hostlist_iter_next (struct eddy_hostlist_iter *it);

#endif /* !EDDY_UTIL_HOSTLIST_H */
