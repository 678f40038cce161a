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

/* Base64 (standard alphabet, padded) for blobs carried in JSON payloads.
 * encode returns a malloc'd NUL-terminated string or NULL + ENOMEM.
 * decode returns a malloc'd buffer (NUL-terminated for convenience, the
 * NUL not counted in *len), or NULL + EINVAL for bad input, ENOMEM.
 */
char *eddy_base64_encode (const void *data, size_t len);
void *eddy_base64_decode (const char *s, size_t slen, size_t *len);

#endif /* !EDDY_KVS_BLOBREF_H */
