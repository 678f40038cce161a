/* stream.h - length-prefixed frames on a non-blocking stream socket: the
 * byte layer shared by the local connector's server and client.
 *
 * A frame on the socket is a 4-byte big-endian length followed by that many
 * bytes (one eddy_msg_encode () buffer).  Internal to transport/local/.
 */
#ifndef EDDY_TRANSPORT_LOCAL_STREAM_H
#define EDDY_TRANSPORT_LOCAL_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/msg.h"

/* The largest frame either side accepts: the largest payload plus room for
 * the frame header, topic, route stack and error string.
 */
#define EDDY_LOCAL_FRAME_MAX ((size_t)EDDY_MSG_PAYLOAD_MAX + 65536)

/* Input
 *
 * eddy_local_inbuf_read () appends what one read () returns: bytes read,
 * 0 at end of file, -1 + errno (EAGAIN when nothing is ready).  The buffer
 * grows with the data actually received, never with a length a peer merely
 * announces.  eddy_local_inbuf_frame () returns 1 and points *frame (valid
 * until the next read or consume) at the next complete frame, 0 if more
 * bytes are needed, -1 + EPROTO if the announced length exceeds
 * EDDY_LOCAL_FRAME_MAX (*len is then that length, for the log line).
 * eddy_local_inbuf_consume () drops the frame just returned.
 */
struct eddy_local_inbuf {
    uint8_t *data;
    size_t pos; /* start of unconsumed bytes */
    size_t len; /* end of received bytes */
    size_t cap;
};

ssize_t eddy_local_inbuf_read (struct eddy_local_inbuf *in, int fd);
int eddy_local_inbuf_frame (struct eddy_local_inbuf *in,
                            const uint8_t **frame,
                            size_t *len);
void eddy_local_inbuf_consume (struct eddy_local_inbuf *in, size_t len);
void eddy_local_inbuf_release (struct eddy_local_inbuf *in);

/* Output
 *
 * eddy_local_outq_push () queues one frame; it takes ownership of `frame`
 * (a malloc'd buffer, freed once written or on release) and always
 * succeeds unless out of memory (-1 ENOMEM; the frame is then freed).
 * eddy_local_outq_flush () writes as much as the socket takes without
 * blocking (and without SIGPIPE): 0 when the queue is empty, 1 when bytes
 * remain (wait for POLLOUT), -1 + errno on a socket error (EPIPE...).
 * `bytes` is the number of queued bytes not yet written.
 */
struct eddy_local_chunk;
struct eddy_local_outq {
    struct eddy_local_chunk *head, *tail;
    size_t bytes;
};

int eddy_local_outq_push (struct eddy_local_outq *q, void *frame, size_t len);
int eddy_local_outq_flush (struct eddy_local_outq *q, int fd);
void eddy_local_outq_release (struct eddy_local_outq *q);

#endif /* !EDDY_TRANSPORT_LOCAL_STREAM_H */
