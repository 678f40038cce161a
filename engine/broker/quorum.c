/* quorum.c - parsing and testing the broker's quorum (quorum.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/broker/quorum.h"

struct eddy_quorum {
    uint32_t count;     /* 0 when ranks is set */
    eddy_idset_t *ranks; /* NULL for a count */
};

static bool all_digits (const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

eddy_quorum_t *eddy_quorum_parse (const char *text, uint32_t size, eddy_error_t *err)
{
    eddy_quorum_t *q;
    eddy_error_t e = { "" };

    if (!text || size == 0) {
        eddy_error_set (err, "quorum: no text or no ranks");
        errno = EINVAL;
        return NULL;
    }
    if (!(q = calloc (1, sizeof (*q))))
        return NULL;
    if (all_digits (text)) {
        char *end;
        unsigned long n = strtoul (text, &end, 10);
        if (n < 1 || n > size || strlen (text) > 10) {
            eddy_error_set (err, "quorum %s is not a count of ranks in 1-%u", text, size);
            goto inval;
        }
        q->count = (uint32_t)n;
        return q;
    }
    if (!(q->ranks = eddy_idset_decode (text, &e))) {
        eddy_error_set (err, "quorum '%s' is neither a count nor an idset: %s", text, e.text);
        goto inval;
    }
    if (eddy_idset_empty (q->ranks)) {
        eddy_error_set (err, "quorum '%s' names no rank", text);
        goto inval;
    }
    if (eddy_idset_last (q->ranks) >= size) {
        eddy_error_set (err, "quorum '%s' names rank %u, beyond the last rank %u", text,
                        eddy_idset_last (q->ranks), size - 1);
        goto inval;
    }
    return q;
inval:
    eddy_quorum_destroy (q);
    errno = EINVAL;
    return NULL;
}

void eddy_quorum_destroy (eddy_quorum_t *q)
{
    if (q) {
        int saved_errno = errno;
        eddy_idset_destroy (q->ranks);
        free (q);
        errno = saved_errno;
    }
}

bool eddy_quorum_met (const eddy_quorum_t *q, const eddy_idset_t *online)
{
    if (!q || !online)
        return false;
    if (!q->ranks)
        return eddy_idset_count (online) >= q->count;
    for (unsigned id = eddy_idset_first (q->ranks); id != EDDY_IDSET_INVALID_ID;
         id = eddy_idset_next (q->ranks, id))
        if (!eddy_idset_test (online, id))
            return false;
    return true;
}
