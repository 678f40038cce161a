/* rstate.h - the administrative states of an instance's ranks (as in
 * `flux resource status`), computed from a few idsets the scheduler and
 * the resource module keep, and the parsing of drain targets.
 *
 * Pure functions over idsets: the cost is in ranges, not in ranks, so
 * 16,384 drained ranks cost what one does.
 */
#ifndef EDDY_SCHED_RSTATE_H
#define EDDY_SCHED_RSTATE_H

#include "engine/error.h"
#include "engine/util/idset.h"
#include "sched/rlist.h"

typedef enum {
    EDDY_RSTATE_AVAIL,     /* online, not excluded, drained or torpid */
    EDDY_RSTATE_ONLINE,    /* has a broker that is online (or no broker) */
    EDDY_RSTATE_OFFLINE,   /* has a broker that is not online */
    EDDY_RSTATE_EXCLUDE,   /* [resource] exclude */
    EDDY_RSTATE_DRAIN,     /* drained or draining */
    EDDY_RSTATE_DRAINING,  /* drained, still running work */
    EDDY_RSTATE_DRAINED,   /* drained and idle */
    EDDY_RSTATE_ALLOCATED, /* running work */
    EDDY_RSTATE_LOST,      /* offline after having been online */
    EDDY_RSTATE_TORPID,    /* online, late keepalives (tbon.torpid_max) */
    EDDY_RSTATE_COUNT,
} eddy_rstate_t;

/* Names.  name () returns the state's name ("avail"), lookup () the state
 * of a name, or -1 for an unknown one; help () one line on its meaning.
 */
const char *eddy_rstate_name (eddy_rstate_t state);
int eddy_rstate_lookup (const char *name, size_t len);
const char *eddy_rstate_help (eddy_rstate_t state);

/* What the states are made of (borrowed; NULL = empty, except all).
 * all: the ranks of R; down: ranks not online; allocated: ranks with any
 * allocated resource; excluded, drained, lost, torpid: as named.
 */
struct eddy_rstate_input {
    const eddy_idset_t *all;
    const eddy_idset_t *down;
    const eddy_idset_t *allocated;
    const eddy_idset_t *excluded;
    const eddy_idset_t *drained;
    const eddy_idset_t *lost;
    const eddy_idset_t *torpid;
};

/* Fill out[state] with a new idset for every state (ranks outside all
 * are ignored).  0, or -1 + EINVAL (no all) / ENOMEM with out all NULL.
 * free () destroys the sets of out.
 */
int eddy_rstate_compute (const struct eddy_rstate_input *in,
                         eddy_idset_t *out[EDDY_RSTATE_COUNT]);
void eddy_rstate_free (eddy_idset_t *out[EDDY_RSTATE_COUNT]);

/* Targets: an idset of ranks ("0-3", "[5,7]") or a hostlist ("node[1-2]")
 * naming hosts of rl.  Every rank must be a rank of rl and every host a
 * hostname of one.  Returns a new idset, or NULL + EINVAL with err naming
 * the bad part (an empty string, garbage, a rank or host rl lacks), ENOMEM.
 */
eddy_idset_t *
eddy_rstate_targets (const eddy_rlist_t *rl, const char *targets, eddy_error_t *err);

/* Ranks of rl as an idset (NULL + ENOMEM). */
eddy_idset_t *eddy_rstate_ranks (const eddy_rlist_t *rl);

#endif
