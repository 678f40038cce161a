/* fuzz-frame: eddy_msg_decode () on any bytes.  A frame that decodes must
 * re-encode, decode again to the same message, and re-encode to the same
 * bytes (the codec's output is a fixed point after one round).
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/msg.h"

static void check_same (const eddy_msg_t *a, const eddy_msg_t *b)
{
    assert (eddy_msg_type (a) == eddy_msg_type (b));
    assert (strcmp (eddy_msg_topic (a), eddy_msg_topic (b)) == 0);
    assert (eddy_msg_matchtag (a) == eddy_msg_matchtag (b));
    assert (eddy_msg_nodeid (a) == eddy_msg_nodeid (b));
    assert (eddy_msg_flags (a) == eddy_msg_flags (b));
    assert (eddy_msg_userid (a) == eddy_msg_userid (b));
    assert (eddy_msg_rolemask (a) == eddy_msg_rolemask (b));
    assert (eddy_msg_seq (a) == eddy_msg_seq (b));
    assert (eddy_msg_errnum (a) == eddy_msg_errnum (b));
    assert (!eddy_msg_errstr (a) == !eddy_msg_errstr (b));
    if (eddy_msg_errstr (a))
        assert (strcmp (eddy_msg_errstr (a), eddy_msg_errstr (b)) == 0);
    assert (eddy_msg_route_count (a) == eddy_msg_route_count (b));
    assert (eddy_msg_route_first (a) == eddy_msg_route_first (b));
    assert (!eddy_msg_payload (a) == !eddy_msg_payload (b));
    if (eddy_msg_payload (a))
        assert (json_equal (eddy_msg_payload (a), eddy_msg_payload (b)));
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc (size ? size : 1);
    eddy_error_t err;
    int version = -1;
    void *buf1 = NULL, *buf2 = NULL;
    size_t len1, len2;

    if (!copy)
        return 0;
    memcpy (copy, data, size);
    eddy_msg_t *m1 = eddy_msg_decode (copy, size, EDDY_WIRE_VERSION, &version, &err);
    if (!m1) {
        assert (errno == EPROTO || errno == EPROTONOSUPPORT || errno == ENOMEM);
        if (errno == EPROTONOSUPPORT)
            assert (version >= 0 && version != EDDY_WIRE_VERSION);
        free (copy);
        return 0;
    }
    assert (version == EDDY_WIRE_VERSION);
    assert (eddy_msg_encode (m1, EDDY_WIRE_VERSION, &buf1, &len1) == 0);
    eddy_msg_t *m2 = eddy_msg_decode (buf1, len1, EDDY_WIRE_VERSION, NULL, &err);
    assert (m2 != NULL);
    check_same (m1, m2);
    assert (eddy_msg_encode (m2, EDDY_WIRE_VERSION, &buf2, &len2) == 0);
    assert (len1 == len2 && memcmp (buf1, buf2, len1) == 0);
    eddy_msg_decref (m1);
    eddy_msg_decref (m2);
    free (buf1);
    free (buf2);
    free (copy);
    return 0;
}
