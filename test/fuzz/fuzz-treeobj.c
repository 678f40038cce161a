/* fuzz-treeobj.c - libFuzzer target: decoding stored tree objects (the
 * blobs of the KVS hash tree), with an encode/decode round trip of
 * whatever decodes, and reading a decoded value entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/treeobj.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    eddy_error_t err;
    json_t *o = eddy_treeobj_decode (data, size, &err);
    if (o) {
        size_t len;
        char *enc = eddy_treeobj_encode (o, &len);
        if (!enc)
            abort ();
        json_t *back = eddy_treeobj_decode (enc, len, &err);
        if (!back || !json_equal (o, back))
            abort ();
        char *again = eddy_treeobj_encode (back, NULL);
        if (!again || strcmp (enc, again) != 0)
            abort (); /* the encoding is canonical */
        free (again);
        json_decref (back);
        free (enc);
        json_decref (o);
    }
    return 0;
}
