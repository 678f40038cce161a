/* fuzz-cert: eddy_zmq_cert_decode () on any bytes.  Whatever it accepts
 * must be a real keypair that encodes and decodes back to itself.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/zmq/cert.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *copy = malloc (size ? size : 1);
    struct eddy_zmq_cert cert, again;
    eddy_error_t err;

    if (!copy)
        return 0;
    memcpy (copy, data, size);
    if (eddy_zmq_cert_decode (copy, size, &cert, &err) == 0) {
        assert (strlen (cert.public_key) == EDDY_CERT_KEY_LEN);
        assert (strlen (cert.secret_key) == EDDY_CERT_KEY_LEN);
        char *text = eddy_zmq_cert_encode (&cert);
        assert (text);
        assert (eddy_zmq_cert_decode (text, strlen (text), &again, &err) == 0);
        assert (!strcmp (again.public_key, cert.public_key));
        assert (!strcmp (again.secret_key, cert.secret_key));
        free (text);
    } else
        assert (errno == EINVAL);
    free (copy);
    return 0;
}
