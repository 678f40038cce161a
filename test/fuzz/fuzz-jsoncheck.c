/* fuzz-jsoncheck.c - libFuzzer target, differential: the KVS's scan of a
 * put value (kvs/jsoncheck.c, which decides plain text itself and hands
 * the rest to jansson) must say what jansson's json_loadb says of the same
 * bytes, always: a value the scan let through and jansson refuses would be
 * stored as JSON that no reader can decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>

#include "kvs/jsoncheck.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *o = json_loadb ((const char *)data, size, JSON_DECODE_ANY, &err);
    bool ours = eddy_json_check ((const char *)data, size);
    if (ours != (o != NULL))
        abort ();
    json_decref (o);
    return 0;
}
