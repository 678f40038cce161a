/* quorum.h - what rank 0 waits for before it runs: a number of online
 * ranks, or a set of ranks that must all be online.
 */
#ifndef EDDY_BROKER_QUORUM_H
#define EDDY_BROKER_QUORUM_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/util/idset.h"

typedef struct eddy_quorum eddy_quorum_t;

/* Parse the text of the broker.quorum attribute for an instance of size
 * ranks: a bare decimal number ("3") is a count, 1..size; anything else
 * is an RFC 22 idset ("[0-2]", "0,5") whose ranks all lie below size and
 * must all be online.  NULL + EINVAL (err filled) on bad text, ENOMEM.
 * The caller owns the result.
 */
eddy_quorum_t *eddy_quorum_parse (const char *text, uint32_t size, eddy_error_t *err);
void eddy_quorum_destroy (eddy_quorum_t *q);

/* True when online (the ranks online now) satisfies q. */
bool eddy_quorum_met (const eddy_quorum_t *q, const eddy_idset_t *online);

#endif
