/* blobref.c - SHA-256 blobrefs and base64, both from libsodium. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "kvs/blobref.h"

void eddy_blobref_hash (const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE])
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256 (digest, data ? data : (const void *)"", len);
    eddy_blobref_from_digest (digest, ref);
}

/* 1 + the value of each lower-case hex digit, 0 for any other byte: a
 * table, as blobrefs are checked on every cache lookup and store.
 */
static const unsigned char hex1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int hexval (unsigned char c)
{
    return hex1[c] - 1;
}

/* Decode 64 lower-case hex digits at s; -1 if any is not one. */
static int hex_digest (const char *s, unsigned char digest[EDDY_BLOBREF_DIGEST])
{
    for (int i = 0; i < EDDY_BLOBREF_DIGEST; i++) {
        int hi = hexval ((unsigned char)s[2 * i]);
        int lo = hexval ((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        digest[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int eddy_blobref_digest (const char *ref, unsigned char digest[EDDY_BLOBREF_DIGEST])
{
    if (!eddy_blobref_valid (ref) || hex_digest (ref + 7, digest) < 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

void eddy_blobref_from_digest (const unsigned char digest[EDDY_BLOBREF_DIGEST], char ref[EDDY_BLOBREF_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    memcpy (ref, "sha256-", 7);
    for (int i = 0; i < EDDY_BLOBREF_DIGEST; i++) {
        ref[7 + 2 * i] = hex[digest[i] >> 4];
        ref[8 + 2 * i] = hex[digest[i] & 15];
    }
    ref[EDDY_BLOBREF_SIZE - 1] = '\0';
}

int eddy_blobref_scan (const void *data,
                       size_t len,
                       int (*cb) (const unsigned char digest[EDDY_BLOBREF_DIGEST], void *arg),
                       void *arg)
{
    const char *p = data, *end = p + len;
    unsigned char digest[EDDY_BLOBREF_DIGEST];

    if (!data)
        return 0;
    while ((size_t)(end - p) >= 7 + 64) {
        const char *m = memmem (p, (size_t)(end - p), "sha256-", 7);
        if (!m || (size_t)(end - m) < 7 + 64)
            break;
        p = m + 7;
        /* exactly 64 digits: a longer run of hex is not a blobref */
        if ((end - p > 64 && hexval ((unsigned char)p[64]) >= 0) || hex_digest (p, digest) < 0)
            continue;
        if (cb (digest, arg) < 0)
            return -1;
        p += 64;
    }
    return 0;
}

bool eddy_blobref_valid (const char *s)
{
    if (!s || strncmp (s, "sha256-", 7) != 0)
        return false;
    for (int i = 7; i < EDDY_BLOBREF_SIZE - 1; i++)
        if (!hex1[(unsigned char)s[i]]) /* stops at the NUL of a short string */
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
