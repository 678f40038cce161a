/* cert.h - the instance's CURVE certificate: one keypair, in Z85 text,
 * shared by every broker of an instance (written by `eddy keygen`).
 *
 * File format (text; '#' starts a comment line, blank lines are ignored):
 *     public-key = "<40 Z85 characters>"
 *     secret-key = "<40 Z85 characters>"
 */
#ifndef EDDY_TRANSPORT_ZMQ_CERT_H
#define EDDY_TRANSPORT_ZMQ_CERT_H

#include <stddef.h>

#include "engine/error.h"

#define EDDY_CERT_KEY_LEN 40     /* a 32-byte key in Z85 */
#define EDDY_CERT_FILE_MAX 65536 /* larger files are refused */

/* A plain value: two NUL-terminated Z85 strings. */
struct eddy_zmq_cert {
    char public_key[EDDY_CERT_KEY_LEN + 1];
    char secret_key[EDDY_CERT_KEY_LEN + 1];
};

/* Generate a fresh keypair (zmq_curve_keypair).  -1 + errno (ENOTSUP if
 * libzmq was built without CURVE) and err on failure.
 */
int eddy_zmq_cert_generate (struct eddy_zmq_cert *cert, eddy_error_t *err);

/* The file text for cert, with a comment header: a malloc'd string owned
 * by the caller, or NULL + ENOMEM.
 */
char *eddy_zmq_cert_encode (const struct eddy_zmq_cert *cert);

/* Parse file text (len bytes, need not be NUL-terminated).  Both keys must
 * appear exactly once, be valid Z85, and form a keypair (the public key is
 * derived from the secret one and compared).  -1 + EINVAL and err naming
 * the line on any other input; *cert is untouched on failure.
 */
int eddy_zmq_cert_decode (const char *text,
                          size_t len,
                          struct eddy_zmq_cert *cert,
                          eddy_error_t *err);

/* Read and decode the file at path.  Refuses (EPERM) a file that group or
 * others may access, like ssh does for private keys, and (EFBIG) one over
 * EDDY_CERT_FILE_MAX bytes; otherwise -1 + the errno of open/read or of
 * eddy_zmq_cert_decode ().  err text starts with the path.
 */
int eddy_zmq_cert_load (const char *path,
                        struct eddy_zmq_cert *cert,
                        eddy_error_t *err);

#endif /* !EDDY_TRANSPORT_ZMQ_CERT_H */
