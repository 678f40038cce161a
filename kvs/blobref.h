/* blobref.h - names of content-addressed blobs: "sha256-" + 64 hex digits
 * of the SHA-256 of the blob's bytes (libcrypto), or "blake2b-" + 64 hex
 * digits of its BLAKE2b-256 (libsodium) when an instance is configured so
 * ([content] hash).  Text on the wire and on disk; in memory a struct
 * eddy_digest, the algorithm and the 32 bytes, compared without parsing.
 */
#ifndef EDDY_KVS_BLOBREF_H
#define EDDY_KVS_BLOBREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The hash functions a blobref may name.  Each ref says which made it, so
 * a store holds both kinds side by side and checks each by its own.
 */
typedef enum {
    EDDY_HASH_SHA256 = 0,  /* "sha256-": the default (Flux's names) */
    EDDY_HASH_BLAKE2B = 1, /* "blake2b-": BLAKE2b with a 32-byte digest */
} eddy_hash_t;

/* The longest blobref, "blake2b-" (8) + 64 hex + NUL; a "sha256-" ref is
 * one byte shorter.
 */
#define EDDY_BLOBREF_SIZE 73
#define EDDY_BLOBREF_DIGEST 32

/* A blobref in memory.  Only unsigned chars: no padding, so two are equal
 * exactly when memcmp says so (eddy_digest_equal).
 */
struct eddy_digest {
    unsigned char bytes[EDDY_BLOBREF_DIGEST];
    unsigned char alg; /* eddy_hash_t */
};

/* Hash functions by name ("sha256", "blake2b"): 0, or -1 + EINVAL for any
 * other name.  eddy_hash_name () is the name (NULL for an unknown value).
 */
int eddy_hash_parse (const char *name, eddy_hash_t *alg);
const char *eddy_hash_name (eddy_hash_t alg);

/* Hash data[0..len) (data may be NULL when len is 0).  Never fails.
 * eddy_blobref_hash () writes the SHA-256 blobref, eddy_blobref_hash_alg ()
 * that of alg; eddy_digest_hash () fills a digest.
 */
void eddy_digest_hash (eddy_hash_t alg, const void *data, size_t len, struct eddy_digest *d);
void eddy_blobref_hash (const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE]);
void eddy_blobref_hash_alg (eddy_hash_t alg, const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE]);

/* True if ref names data[0..len): it is valid and its own hash function
 * gives its digest.  What a store checks of a blob it did not hash itself.
 */
bool eddy_blobref_check (const char *ref, const void *data, size_t len);

/* True if s is a well-formed blobref (a known prefix, lower-case hex,
 * exact length).
 */
bool eddy_blobref_valid (const char *s);

/* Text and digest.  eddy_blobref_parse (): 0, or -1 + EINVAL if ref is not
 * a valid blobref.  eddy_blobref_format () writes the text of d (whose alg
 * must be a known one).
 */
int eddy_blobref_parse (const char *ref, struct eddy_digest *d);
void eddy_blobref_format (const struct eddy_digest *d, char ref[EDDY_BLOBREF_SIZE]);

static inline bool eddy_digest_equal (const struct eddy_digest *a, const struct eddy_digest *b)
{
    return memcmp (a, b, sizeof (*a)) == 0;
}

/* 64 bits of d for a hash table: its first bytes, already uniform. */
static inline uint64_t eddy_digest_key (const struct eddy_digest *d)
{
    uint64_t h;
    memcpy (&h, d->bytes, sizeof (h));
    return h;
}

/* The blobrefs a blob refers to, for garbage collection: cb is called for
 * each "sha256-" or "blake2b-" followed by exactly 64 lower-case hex digits
 * in data[0..len), with the digest it spells, in order of appearance
 * (duplicates included).  Conservative by design: a tree object names its
 * blobs this way, and a value that happens to contain a blobref merely
 * keeps that blob alive.  Stops early and returns -1 if cb does; else 0.
 */
int eddy_blobref_scan (const void *data,
                       size_t len,
                       int (*cb) (const struct eddy_digest *d, void *arg),
                       void *arg);

/* Base64 (standard alphabet, padded) for blobs carried in JSON payloads.
 * encode returns a malloc'd NUL-terminated string or NULL + ENOMEM.
 * decode returns a malloc'd buffer (NUL-terminated for convenience, the
 * NUL not counted in *len), or NULL + EINVAL for bad input, ENOMEM.
 */
char *eddy_base64_encode (const void *data, size_t len);
void *eddy_base64_decode (const char *s, size_t slen, size_t *len);

#endif /* !EDDY_KVS_BLOBREF_H */
