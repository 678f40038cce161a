/* fuzz-rlist.c - libFuzzer target: any bytes as R JSON; a decoded set is
 * re-encoded, decoded again, allocated from, freed to and combined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched/rlist.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    eddy_error_t err;
    char *buf = malloc (size ? size : 1);
    eddy_rlist_t *rl;

    if (!buf)
        return 0;
    memcpy (buf, data, size);
    if ((rl = eddy_rlist_decode (buf, size, 0, &err))) {
        char *s = eddy_rlist_encode (rl);
        if (s) {
            eddy_rlist_t *again = eddy_rlist_decode (s, strlen (s), 0, &err);
            if (!again)
                abort (); /* what eddy writes, eddy must read */
            eddy_rlist_destroy (again);
            free (s);
        }
        free (eddy_rlist_nodelist (rl));
        free (eddy_rlist_ranks (rl));
        struct eddy_rlist_request req = {.nnodes = size % 3,
                                         .nslots = 1 + size % 5,
                                         .cores_per_slot = 1,
                                         .gpus_per_slot = size % 2,
                                         .exclusive = size % 7 == 0};
        eddy_rlist_t *a = eddy_rlist_alloc (rl, &req, &err);
        eddy_rlist_t *b = eddy_rlist_alloc_cores (rl, 2, &err);
        if (a && eddy_rlist_free (rl, a, &err) < 0)
            abort (); /* what was taken must go back */
        eddy_rlist_destroy (eddy_rlist_union (rl, b ? b : rl));
        eddy_rlist_destroy (eddy_rlist_difference (rl, rl));
        eddy_rlist_destroy (a);
        eddy_rlist_destroy (b);
        eddy_rlist_destroy (rl);
    }
    free (buf);
    return 0;
}
