/* blobref.c - blobrefs (SHA-256 from libcrypto, whose code uses the CPU's
 * SHA extensions where there are some; BLAKE2b-256 from libsodium) and
 * base64.
 *
 * SHA-256 goes through the low-level calls OpenSSL 3 deprecates: the
 * one-shot SHA256 () fetches the algorithm from the provider on every call
 * (1.3 us for a 200-byte blob against 0.34 us, bench/bench-hash.c), and
 * EVP with the digest fetched once still costs a third more and needs a
 * context kept per thread.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "kvs/blobref.h"

/* Each algorithm's prefix, "-" included. */
static const struct {
    const char *name;
    const char *prefix;
    size_t plen;
} algs[] = {
    [EDDY_HASH_SHA256] = { "sha256", "sha256-", 7 },
    [EDDY_HASH_BLAKE2B] = { "blake2b", "blake2b-", 8 },
};
#define NALGS (sizeof (algs) / sizeof (algs[0]))

int eddy_hash_parse (const char *name, eddy_hash_t *alg)
{
    for (size_t i = 0; name && i < NALGS; i++) {
        if (!strcmp (name, algs[i].name)) {
            *alg = (eddy_hash_t)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

const char *eddy_hash_name (eddy_hash_t alg)
{
    return (size_t)alg < NALGS ? algs[alg].name : NULL;
}

void eddy_digest_hash (eddy_hash_t alg, const void *data, size_t len, struct eddy_digest *d)
{
    const unsigned char *p = data ? data : (const unsigned char *)"";

    d->alg = (unsigned char)alg;
    if (alg == EDDY_HASH_BLAKE2B)
        crypto_generichash (d->bytes, sizeof (d->bytes), p, len, NULL, 0);
    else {
        SHA256_CTX c;
        SHA256_Init (&c);
        SHA256_Update (&c, p, len);
        SHA256_Final (d->bytes, &c);
    }
}

void eddy_blobref_hash_alg (eddy_hash_t alg, const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE])
{
    struct eddy_digest d;
    eddy_digest_hash (alg, data, len, &d);
    eddy_blobref_format (&d, ref);
}

void eddy_blobref_hash (const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE])
{
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, data, len, ref);
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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Per byte of v (all below 0x80): 0x80 where the byte is in [lo, hi].
 * Adding 0x80 - lo sets a byte's high bit iff it is >= lo, and no carry
 * crosses into the next byte for bytes below 0x80.
 */
static uint64_t in_range (uint64_t v, unsigned lo, unsigned hi)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t ge_lo = v + ones * (0x80 - lo);
    uint64_t gt_hi = v + ones * (0x80 - (hi + 1));
    return ge_lo & ~gt_hi & highs;
}

/* Eight hex digits at s into four bytes, eight digits at a time: parsing
 * a ref is on every cache lookup by text, and the loop of table lookups
 * was 1.4% of a replay.  -1 if any of the eight is not a digit.
 */
static int hex8 (const char *s, unsigned char out[4])
{
    const uint64_t highs = 0x8080808080808080ULL, lanes = 0x00FF00FF00FF00FFULL;
    uint64_t v, letter, n, m;
    uint32_t w;

    memcpy (&v, s, 8);
    if (v & highs)
        return -1;
    letter = in_range (v, 'a', 'f');
    if ((in_range (v, '0', '9') | letter) != highs)
        return -1;
    /* each byte's value: its low nibble, plus 9 for a..f */
    n = (v & 0x0F0F0F0F0F0F0F0FULL) + (letter >> 7) * 9;
    /* pairs of digits into bytes (the first digit is the high nibble),
     * then the four bytes together */
    m = ((n & lanes) << 4) | ((n >> 8) & lanes);
    m = (m | (m >> 8)) & 0x0000FFFF0000FFFFULL;
    m = (m | (m >> 16)) & 0xFFFFFFFFULL;
    w = (uint32_t)m;
    memcpy (out, &w, 4);
    return 0;
}

/* Decode 64 lower-case hex digits at s; -1 if any is not one.  Reads all
 * 64 bytes: the caller knows they are there (a NUL among them fails).
 */
static int hex_digest (const char *s, unsigned char bytes[EDDY_BLOBREF_DIGEST])
{
    for (int i = 0; i < EDDY_BLOBREF_DIGEST; i += 4)
        if (hex8 (s + 2 * i, bytes + i) < 0)
            return -1;
    return 0;
}
#else
static int hex_digest (const char *s, unsigned char bytes[EDDY_BLOBREF_DIGEST])
{
    for (int i = 0; i < EDDY_BLOBREF_DIGEST; i++) {
        int hi = hexval ((unsigned char)s[2 * i]);
        int lo = hexval ((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
#endif

/* The algorithm whose prefix s starts with, or -1. */
static int prefix_of (const char *s)
{
    if (s[0] == 's' && !strncmp (s, "sha256-", 7))
        return EDDY_HASH_SHA256;
    if (s[0] == 'b' && !strncmp (s, "blake2b-", 8))
        return EDDY_HASH_BLAKE2B;
    return -1;
}

int eddy_blobref_parse (const char *ref, struct eddy_digest *d)
{
    int alg;

    if (!ref || (alg = prefix_of (ref)) < 0)
        goto inval;
    ref += algs[alg].plen;
    /* exactly 64 bytes before the NUL, then hex_digest may read them all */
    if (strnlen (ref, 2 * EDDY_BLOBREF_DIGEST + 1) != 2 * EDDY_BLOBREF_DIGEST || hex_digest (ref, d->bytes) < 0)
        goto inval;
    d->alg = (unsigned char)alg;
    return 0;
inval:
    errno = EINVAL;
    return -1;
}

bool eddy_blobref_valid (const char *s)
{
    struct eddy_digest d;
    return eddy_blobref_parse (s, &d) == 0;
}

void eddy_blobref_format (const struct eddy_digest *d, char ref[EDDY_BLOBREF_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    size_t n;

    assert (d->alg < NALGS);
    n = algs[d->alg].plen;
    memcpy (ref, algs[d->alg].prefix, n);
    for (int i = 0; i < EDDY_BLOBREF_DIGEST; i++) {
        ref[n + 2 * i] = hex[d->bytes[i] >> 4];
        ref[n + 2 * i + 1] = hex[d->bytes[i] & 15];
    }
    ref[n + 2 * EDDY_BLOBREF_DIGEST] = '\0';
}

bool eddy_blobref_check (const char *ref, const void *data, size_t len)
{
    struct eddy_digest want, got;

    if (eddy_blobref_parse (ref, &want) < 0)
        return false;
    eddy_digest_hash ((eddy_hash_t)want.alg, data, len, &got);
    return eddy_digest_equal (&want, &got);
}

int eddy_blobref_scan (const void *data,
                       size_t len,
                       int (*cb) (const struct eddy_digest *d, void *arg),
                       void *arg)
{
    const char *start = data, *p = data, *end = p + len;
    struct eddy_digest d;

    if (!data)
        return 0;
    /* every prefix ends in '-': find those, then look back for a name */
    while ((size_t)(end - p) > 64) {
        const char *m = memchr (p, '-', (size_t)(end - p) - 64);
        int alg = -1;
        if (!m)
            break;
        p = m + 1;
        if (m - start >= 6 && !memcmp (m - 6, "sha256", 6))
            alg = EDDY_HASH_SHA256;
        else if (m - start >= 7 && !memcmp (m - 7, "blake2b", 7))
            alg = EDDY_HASH_BLAKE2B;
        if (alg < 0)
            continue;
        /* exactly 64 digits: a longer run of hex is not a blobref */
        if ((end - p > 64 && hexval ((unsigned char)p[64]) >= 0) || hex_digest (p, d.bytes) < 0)
            continue;
        d.alg = (unsigned char)alg;
        if (cb (&d, arg) < 0)
            return -1;
        p += 64;
    }
    return 0;
}

/* base64 (RFC 4648, padded) by table: libsodium's constant-time decoder
 * took 6 % of a replay's instructions once eventlogs stayed inline (a val
 * is decoded on every append and every read), and nothing secret passes
 * here.  The decoder is strict: whole groups of 4, '=' only as the last
 * one or two characters, unused bits zero, no byte outside the alphabet
 * (libsodium 1.0.18 takes some above 0x7f).
 */
static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A character's 6 bits plus one; 0 for any other character (so that
 * b64_bits () gives a value of 64 or more for it). */
static const unsigned char b64_value[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static inline unsigned b64_bits (unsigned char c)
{
    return (unsigned)b64_value[c] - 1u;
}

char *eddy_base64_encode (const void *data, size_t len)
{
    const unsigned char *in = data;
    char *s = malloc ((len + 2) / 3 * 4 + 1), *o = s;
    size_t i = 0;

    if (!s)
        return NULL;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *o++ = b64_chars[v >> 18];
        *o++ = b64_chars[(v >> 12) & 63];
        *o++ = b64_chars[(v >> 6) & 63];
        *o++ = b64_chars[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        *o++ = b64_chars[v >> 18];
        *o++ = b64_chars[(v >> 12) & 63];
        *o++ = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return s;
}

void *eddy_base64_decode (const char *s, size_t slen, size_t *len)
{
    const unsigned char *in = (const unsigned char *)s;
    unsigned char *buf, *o;

    if (!s || !len || slen % 4 != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!(buf = malloc (slen / 4 * 3 + 1)))
        return NULL;
    o = buf;
    for (size_t i = 0; i < slen; i += 4) {
        unsigned a = b64_bits (in[i]), b = b64_bits (in[i + 1]);
        unsigned c = b64_bits (in[i + 2]), d = b64_bits (in[i + 3]);
        if ((a | b | c | d) < 64) {
            uint32_t v = a << 18 | b << 12 | c << 6 | d;
            *o++ = (unsigned char)(v >> 16);
            *o++ = (unsigned char)(v >> 8);
            *o++ = (unsigned char)v;
            continue;
        }
        /* padding: only in the last group, "xx==" or "xxx=", unused bits 0 */
        if (i + 4 != slen || (a | b) >= 64 || in[i + 3] != '=')
            goto bad;
        if (in[i + 2] == '=') {
            if (b & 15)
                goto bad;
            *o++ = (unsigned char)(a << 2 | b >> 4);
        }
        else {
            if (c >= 64 || (c & 3))
                goto bad;
            *o++ = (unsigned char)(a << 2 | b >> 4);
            *o++ = (unsigned char)((b & 15) << 4 | c >> 2);
        }
    }
    *o = '\0';
    *len = (size_t)(o - buf);
    return buf;
bad:
    free (buf);
    errno = EINVAL;
    return NULL;
}
