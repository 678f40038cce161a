/* fuzz-base64.c - libFuzzer target: the KVS's base64 decoder (every inline
 * value a client stores or reads passes through it).  libsodium's decoder
 * is the second opinion: both accept the same texts with the same bytes,
 * and what decodes encodes back to the same text (one spelling per value).
 * One exception: libsodium 1.0.18 takes some bytes above 0x7f for base64
 * characters ("Q\xfaJD" decodes to 3 bytes); those texts must be refused.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "kvs/blobref.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t n = 0, wn = 0;
    unsigned char *want = malloc (size / 4 * 3 + 3);
    const char *end = NULL;

    if (!want)
        return 0;
    int wrc = sodium_base642bin (want, size / 4 * 3 + 3, s, size, NULL, &wn, &end,
                                 sodium_base64_VARIANT_ORIGINAL);
    bool ok = wrc == 0 && end == s + size;
    for (size_t i = 0; i < size && ok; i++)
        if (data[i] > 0x7f)
            ok = false;
    unsigned char *got = eddy_base64_decode (s, size, &n);
    if (!!got != ok)
        abort ();
    if (got) {
        if (n != wn || memcmp (got, want, n) != 0 || got[n] != '\0')
            abort ();
        char *again = eddy_base64_encode (got, n);
        if (!again || strlen (again) != size || memcmp (again, s, size) != 0)
            abort ();
        free (again);
        free (got);
    }
    free (want);
    return 0;
}
