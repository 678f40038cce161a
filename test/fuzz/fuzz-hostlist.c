/* fuzz-hostlist.c - libFuzzer target: RFC 29 decode, then encode/decode
 * round trip, find/nth agreement, sort/uniq and delete on the result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/hostlist.h"

static char *cstr (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    if (!s)
        abort ();
    memcpy (s, data, size);
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = cstr (data, size);
    eddy_hostlist_t *hl = eddy_hostlist_decode (s, NULL);
    if (!hl) {
        free (s);
        return 0;
    }
    size_t count = eddy_hostlist_count (hl);
    char *enc = eddy_hostlist_encode (hl);
    if (!enc)
        abort ();
    eddy_hostlist_t *back = eddy_hostlist_decode (enc, NULL);
    char *enc2 = back ? eddy_hostlist_encode (back) : NULL;
    if (!enc2 || strcmp (enc, enc2) || eddy_hostlist_count (back) != count)
        abort ();
    /* keep per-input work bounded: host-by-host checks on small lists */
    if (count <= 4096) {
        struct eddy_hostlist_iter it;
        const char *h;
        int idx = 0;
        eddy_hostlist_iter_init (&it, hl);
        while ((h = eddy_hostlist_iter_next (&it))) {
            char *nth = eddy_hostlist_nth (hl, idx);
            int found = eddy_hostlist_find (hl, h);
            if (!nth || strcmp (nth, h) || found < 0 || found > idx)
                abort ();
            free (nth);
            idx++;
        }
        if ((size_t)idx != count)
            abort ();
        eddy_hostlist_t *u = eddy_hostlist_copy (hl);
        if (!u || eddy_hostlist_sort (back) < 0 || eddy_hostlist_uniq (u) < 0)
            abort ();
        if (eddy_hostlist_count (back) != count || eddy_hostlist_count (u) > count)
            abort ();
        if (eddy_hostlist_delete (hl, enc) != (int)count ||
            eddy_hostlist_count (hl) != 0)
            abort ();
        eddy_hostlist_destroy (u);
    }
    eddy_hostlist_destroy (back);
    eddy_hostlist_destroy (hl);
    free (enc);
    free (enc2);
    free (s);
    return 0;
}
