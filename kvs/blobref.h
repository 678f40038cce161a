/* blobref.h - names of content-addressed blobs: "sha256-" + 64 hex digits
 * of the SHA-256 of the blob's bytes (libsodium).
 */
#ifndef EDDY_KVS_BLOBREF_H
#define EDDY_KVS_BLOBREF_H

#include <stdbool.h>
#include <stddef.h>

/* "sha256-" (7) + 64 hex + NUL */
#define EDDY_BLOBREF_SIZE 72

/* Write the blobref of data[0..len) into ref (EDDY_BLOBREF_SIZE bytes).
 * Never fails (data may be NULL when len is 0).
 */
void eddy_blobref_hash (const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE]);

/* True if s is a well-formed blobref (lower-case hex, exact length). */
bool eddy_blobref_valid (const char *s);

/* The 32 bytes of SHA-256 a valid blobref spells: 0, or -1 + EINVAL if
 * ref is not a valid blobref.  eddy_blobref_from_digest () writes the
 * blobref of a digest.
 */
#define EDDY_BLOBREF_DIGEST 32
int eddy_blobref_digest (const char *ref, unsigned char digest[EDDY_BLOBREF_DIGEST]);
void eddy_blobref_from_digest (const unsigned char digest[EDDY_BLOBREF_DIGEST], char ref[EDDY_BLOBREF_SIZE]);

/* The blobrefs a blob refers to, for garbage collection: cb is called for
 * each "sha256-" followed by exactly 64 lower-case hex digits in
 * data[0..len), with the digest it spells, in order of appearance
 * (duplicates included).  Conservative by design: a tree object names its
 * blobs this way, and a value that happens to contain a blobref merely
 * keeps that blob alive.  Stops early and returns -1 if cb does; else 0.
 */
int eddy_blobref_scan (const void *data,
                       size_t len,
                       int (*cb) (const unsigned char digest[EDDY_BLOBREF_DIGEST], void *arg),
                       void *arg);

/* Base64 (standard alphabet, padded) for blobs carried in JSON payloads.
 * encode returns a malloc'd NUL-terminated string or NULL + ENOMEM.
 * decode returns a malloc'd buffer (NUL-terminated for convenience, the
 * NUL not counted in *len), or NULL + EINVAL for bad input, ENOMEM.
 */
char *eddy_base64_encode (const void *data, size_t len);
void *eddy_base64_decode (const char *s, size_t slen, size_t *len);

#endif /* !EDDY_KVS_BLOBREF_H */
