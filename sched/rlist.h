/* rlist.h - resource sets (RFC 20 "R" version 1) as a scheduler uses them:
 * decode/encode R, and allocate from / free to a pool of free resources.
 *
 * An rlist is an array of ranks sorted by rank id.  Each rank carries its
 * hostname, a core idset, a gpu idset, an up/down flag and the size it had
 * when it was added (so "idle" means "everything it started with is here").
 * Properties map a name to an idset of ranks.  Lookups by rank are binary
 * searches; allocation scans ranks once; nothing is per-core.
 */
#ifndef EDDY_SCHED_RLIST_H
#define EDDY_SCHED_RLIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

typedef struct eddy_rlist eddy_rlist_t;

/* The most ranks a set holds (decoded or built). */
#define EDDY_RLIST_RANKS_MAX (1u << 20)

typedef enum {
    EDDY_RLIST_STRICT = 1, /* decode: execution.nodelist is REQUIRED (RFC 20) */
} eddy_rlist_flags_t;

typedef enum {
    EDDY_RLIST_RANKS = 0, /* rank entries */
    EDDY_RLIST_NODES = 1, /* ranks holding at least one core or gpu */
    EDDY_RLIST_CORES = 2,
    EDDY_RLIST_GPUS = 3,
} eddy_rlist_count_t;

/* Life cycle.  create () gives an empty set, copy () a deep copy (NULL +
 * ENOMEM; EINVAL for a NULL argument).  destroy (NULL) is a no-op and
 * keeps errno.
 */
eddy_rlist_t *eddy_rlist_create (void);
void eddy_rlist_destroy (eddy_rlist_t *rl);
eddy_rlist_t *eddy_rlist_copy (const eddy_rlist_t *rl);

/* subset () copies the ranks of rl that are in ranks (an idset string),
 * without properties.  NULL + EINVAL (bad idset, NULL argument), ENOMEM.
 */
eddy_rlist_t *eddy_rlist_subset (const eddy_rlist_t *rl, const char *ranks, eddy_error_t *err);

/* Decoding R.
 * from_json () reads an R object: version 1; execution.R_lite a list of
 * {"rank": IDSET, "children": {"core": IDSET, "gpu": IDSET}}, a rank in at
 * most one entry; execution.nodelist a list of hostlists naming the ranks
 * in ascending order (optional unless EDDY_RLIST_STRICT, as flux-core still
 * accepts legacy R without it); properties {NAME: IDSET} naming ranks of
 * the set; starttime/expiration numbers >= 0.  Other keys are ignored.
 * At most 2^20 ranks.  decode () does the same from JSON text of len bytes.
 * Return a new set, or NULL with errno EINVAL/ERANGE/ENOMEM and err saying
 * what is wrong ("execution.R_lite[0].rank: ...").
 */
eddy_rlist_t *eddy_rlist_from_json (json_t *R, int flags, eddy_error_t *err);
eddy_rlist_t *
eddy_rlist_decode (const char *buf, size_t len, int flags, eddy_error_t *err);

/* Encoding R.  to_json () returns a new R object; consecutive ranks with
 * identical children share one R_lite entry, the nodelist is one
 * compressed hostlist (omitted unless every rank has a hostname).
 * encode () returns it as compact JSON text (malloc'd).  NULL + ENOMEM.
 */
json_t *eddy_rlist_to_json (const eddy_rlist_t *rl);
char *eddy_rlist_encode (const eddy_rlist_t *rl);

/* Building.  add_rank () adds a rank (hostname may be NULL; cores/gpus are
 * idset strings, NULL = none); -1 with EEXIST if the rank is present,
 * EINVAL for bad idsets, ERANGE past 2^20 ranks, ENOMEM.
 * set_property () tags ranks (an idset string of ranks in the set) with
 * name; -1 + EINVAL if a rank is not in the set.  set_times () records
 * starttime and expiration (seconds, 0 = unset).
 */
int eddy_rlist_add_rank (eddy_rlist_t *rl,
                         unsigned rank,
                         const char *hostname,
                         const char *cores,
                         const char *gpus,
                         eddy_error_t *err);
int eddy_rlist_set_property (eddy_rlist_t *rl,
                             const char *name,
                             const char *ranks,
                             eddy_error_t *err);
void eddy_rlist_set_times (eddy_rlist_t *rl, double starttime, double expiration);
double eddy_rlist_starttime (const eddy_rlist_t *rl);
double eddy_rlist_expiration (const eddy_rlist_t *rl);

/* Queries.  count () counts what says (NULL counts 0).  ranks () returns
 * the rank idset as a string ("0-3"), nodelist () the hostnames as an
 * encoded hostlist or NULL + ENOENT when some rank has none; both malloc'd.
 * hostname () borrows rank's hostname (NULL + ENOENT if absent).
 * property_ranks () returns the ranks having property name ("" if none),
 * malloc'd.
 */
size_t eddy_rlist_count (const eddy_rlist_t *rl, eddy_rlist_count_t what);
char *eddy_rlist_ranks (const eddy_rlist_t *rl);
char *eddy_rlist_nodelist (const eddy_rlist_t *rl);
const char *eddy_rlist_hostname (const eddy_rlist_t *rl, unsigned rank);
char *eddy_rlist_property_ranks (const eddy_rlist_t *rl, const char *name);

/* Up and down.  Ranks marked down (an idset string; ranks not in the set
 * are ignored) are skipped by allocation.  0, or -1 + EINVAL for a bad
 * idset.  count_up () counts ranks that are up.
 */
int eddy_rlist_mark_down (eddy_rlist_t *rl, const char *ranks, eddy_error_t *err);
int eddy_rlist_mark_up (eddy_rlist_t *rl, const char *ranks, eddy_error_t *err);
size_t eddy_rlist_count_up (const eddy_rlist_t *rl);

/* count_down () counts what says on ranks marked down only; copy_down ()
 * returns a new set of just the down ranks (marked down still; without
 * properties), NULL + EINVAL or ENOMEM.
 */
size_t eddy_rlist_count_down (const eddy_rlist_t *rl, eddy_rlist_count_t what);
eddy_rlist_t *eddy_rlist_copy_down (const eddy_rlist_t *rl);

/* Allocation from a free pool.
 * alloc () takes resources for a request and returns them as a new set,
 * removing them from pool.  With nnodes > 0, it picks the first nnodes up
 * ranks (in rank order) that can each hold ceil (nslots / nnodes) slots of
 * cores_per_slot cores and gpus_per_slot GPUs (exclusive: that are idle,
 * and takes them whole).  With nnodes == 0 it packs slots first-fit over up
 * ranks (exclusive then means one idle node per slot).  The lowest free
 * core and gpu ids of a rank are taken first.
 * alloc_cores () is {nslots = ncores, cores_per_slot = 1};
 * alloc_nodes () is {nnodes, nslots = nnodes, exclusive}.
 * Returns NULL + ENOSPC if the pool cannot satisfy it now (pool unchanged),
 * EINVAL for a malformed request, ENOMEM.
 * remove () takes exactly the resources of r (which must all be in pool:
 * else -1 + ENOENT, pool unchanged).  free () returns r to pool: -1 +
 * EEXIST if some of r is already free, ENOENT if a rank of r is not in
 * pool (pool unchanged either way).
 */
struct eddy_rlist_request {
    int nnodes;
    int nslots;
    int cores_per_slot;
    int gpus_per_slot;
    bool exclusive;
};

eddy_rlist_t *eddy_rlist_alloc (eddy_rlist_t *pool,
                                const struct eddy_rlist_request *req,
                                eddy_error_t *err);
eddy_rlist_t *
eddy_rlist_alloc_cores (eddy_rlist_t *pool, int ncores, eddy_error_t *err);
eddy_rlist_t *
eddy_rlist_alloc_nodes (eddy_rlist_t *pool, int nnodes, eddy_error_t *err);
int eddy_rlist_remove (eddy_rlist_t *pool, const eddy_rlist_t *r, eddy_error_t *err);
int eddy_rlist_free (eddy_rlist_t *pool, const eddy_rlist_t *r, eddy_error_t *err);

/* Set algebra on cores and gpus, rank by rank; the result is a new set
 * (ranks left with nothing are dropped), hostnames and properties follow
 * their ranks.  A rank keeps the size it was added with (the larger of
 * its two sizes when both sets hold it), so it is idle in the result only
 * if all of its node is there.  NULL + EINVAL (NULL argument) or ENOMEM.
 */
eddy_rlist_t *eddy_rlist_union (const eddy_rlist_t *a, const eddy_rlist_t *b);
eddy_rlist_t *eddy_rlist_intersect (const eddy_rlist_t *a, const eddy_rlist_t *b);
eddy_rlist_t *eddy_rlist_difference (const eddy_rlist_t *a, const eddy_rlist_t *b);

#endif /* !EDDY_SCHED_RLIST_H */
