/* fuzz-idset.c - libFuzzer target: RFC 22 decode, encode round trip and set
 * algebra identities on two idsets cut from the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/idset.h"

static char *cstr (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    if (!s)
        abort ();
    memcpy (s, data, size);
    s[size] = '\0';
    return s;
}

static void round_trip (const eddy_idset_t *ids)
{
    char *s = eddy_idset_encode (ids, EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS);
    if (!s)
        abort ();
    eddy_idset_t *back = eddy_idset_decode (s, NULL);
    if (!back || !eddy_idset_equal (ids, back))
        abort ();
    eddy_idset_destroy (back);
    free (s);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = cstr (data, size);
    /* a '|' splits the input into two operands */
    char *bar = strchr (s, '|');
    if (bar)
        *bar = '\0';
    eddy_idset_t *a = eddy_idset_decode (s, NULL);
    eddy_idset_t *b = bar ? eddy_idset_decode (bar + 1, NULL) : NULL;
    if (a)
        round_trip (a);
    if (a && b) {
        eddy_idset_t *u = eddy_idset_union (a, b);
        eddy_idset_t *i = eddy_idset_intersect (a, b);
        eddy_idset_t *d = eddy_idset_difference (a, b);
        if (!u || !i || !d)
            abort ();
        if (eddy_idset_count (u) + eddy_idset_count (i) !=
            eddy_idset_count (a) + eddy_idset_count (b))
            abort ();
        if (eddy_idset_count (d) + eddy_idset_count (i) != eddy_idset_count (a))
            abort ();
        if (eddy_idset_subtract (u, b) < 0 || !eddy_idset_equal (u, d))
            abort ();
        unsigned first = eddy_idset_first (b);
        if (first != EDDY_IDSET_INVALID_ID) {
            if (eddy_idset_range_clear (a, first, eddy_idset_last (b)) < 0 ||
                eddy_idset_range_set (a, first, first) < 0 ||
                !eddy_idset_test (a, first))
                abort ();
        }
        eddy_idset_destroy (u);
        eddy_idset_destroy (i);
        eddy_idset_destroy (d);
    }
    eddy_idset_destroy (a);
    eddy_idset_destroy (b);
    free (s);
    return 0;
}
