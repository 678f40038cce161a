/* fuzz-local-stream: the local connector's frame reassembly on any byte
 * stream, delivered in chunks whose sizes come from the input itself, and
 * each complete frame decoded as the server would.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "transport/local/stream.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct eddy_local_inbuf in = {0};
    int fds[2];
    size_t off = 0;

    if (size < 1 || pipe2 (fds, O_NONBLOCK | O_CLOEXEC) < 0)
        return 0;
    /* the first byte picks the chunk size: frames split across reads */
    size_t chunk = (data[0] % 64) + 1;
    data++;
    size--;
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;
        assert (write (fds[1], data + off, n) == (ssize_t)n);
        off += n;
        ssize_t got = eddy_local_inbuf_read (&in, fds[0]);
        assert (got == (ssize_t)n);
        const uint8_t *frame;
        size_t len;
        int rc;
        while ((rc = eddy_local_inbuf_frame (&in, &frame, &len)) == 1) {
            assert (len <= EDDY_LOCAL_FRAME_MAX);
            eddy_msg_t *msg =
                eddy_msg_decode (frame, len, EDDY_WIRE_VERSION, NULL, NULL);
            eddy_msg_decref (msg);
            eddy_local_inbuf_consume (&in, len);
        }
        if (rc < 0) {
            assert (errno == EPROTO && len > EDDY_LOCAL_FRAME_MAX);
            break; /* the server closes the connection here */
        }
    }
    close (fds[1]);
    if (off >= size)
        assert (eddy_local_inbuf_read (&in, fds[0]) == 0);
    close (fds[0]);
    eddy_local_inbuf_release (&in);
    return 0;
}
