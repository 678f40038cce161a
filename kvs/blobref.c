/* blobref.c - SHA-256 blobrefs and base64, both from libsodium. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "kvs/blobref.h"

void eddy_blobref_hash (const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256 (digest, data ? data : (const void *)"", len);
    memcpy (ref, "sha256-", 7);
    for (int i = 0; i < (int)crypto_hash_sha256_BYTES; i++) {
        ref[7 + 2 * i] = hex[digest[i] >> 4];
        ref[8 + 2 * i] = hex[digest[i] & 15];
    }
    ref[EDDY_BLOBREF_SIZE - 1] = '\0';
}

bool eddy_blobref_valid (const char *s)
{
    if (!s || strncmp (s, "sha256-", 7) != 0)
        return false;
    for (int i = 7; i < EDDY_BLOBREF_SIZE - 1; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[EDDY_BLOBREF_SIZE - 1] == '\0';
}

char *eddy_base64_encode (const void *data, size_t len)
{
    size_t n = sodium_base64_encoded_len (len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc (n);
    if (!s)
        return NULL;
    sodium_bin2base64 (s, n, data ? data : (const void *)"", len, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

void *eddy_base64_decode (const char *s, size_t slen, size_t *len)
{
    size_t cap = slen / 4 * 3 + 3, n = 0;
    const char *end = NULL;
    char *buf;

    if (!s || !len) {
        errno = EINVAL;
        return NULL;
    }
    if (!(buf = malloc (cap + 1)))
        return NULL;
    if (sodium_base642bin ((unsigned char *)buf, cap, s, slen, NULL, &n, &end,
                           sodium_base64_VARIANT_ORIGINAL)
            != 0
        || end != s + slen) {
        free (buf);
        errno = EINVAL;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
