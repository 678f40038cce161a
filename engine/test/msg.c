/* The message wire codec: every field survives a round trip, every kind of
 * truncation or corruption is refused with EPROTO, and a frame of another
 * wire version is refused with EPROTONOSUPPORT and the peer's version.
 */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/msg.h"

/* Header offsets, as documented in engine/msg.c. */
enum {
    OFF_VERSION = 3,
    OFF_TYPE = 4,
    OFF_RESERVED = 5,
    OFF_NROUTE = 6,
    OFF_ERRNUM = 32,
    OFF_TOPICLEN = 36,
    OFF_ERRLEN = 38,
    OFF_PAYLEN = 40,
    HDR = 44,
};

static void put16 (uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static void put32 (uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}

/* A request with every field set to something other than its default. */
static eddy_msg_t *full_message (void)
{
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "kvs.lookup");
    assert_non_null (msg);
    eddy_msg_set_matchtag (msg, 0xdeadbeef);
    eddy_msg_set_nodeid (msg, 4097);
    eddy_msg_set_flags (msg, EDDY_MSGFLAG_STREAMING | EDDY_MSGFLAG_UPSTREAM);
    eddy_msg_set_cred (msg, 5001, EDDY_ROLE_USER);
    eddy_msg_set_seq (msg, 77);
    assert_int_equal (eddy_msg_set_error (msg, ENOENT, "no such key"), 0);
    assert_int_equal (eddy_msg_route_push (msg, EDDY_ROUTE (EDDY_ROUTE_CLIENT, 3)), 0);
    assert_int_equal (eddy_msg_route_push (msg, EDDY_ROUTE (EDDY_ROUTE_PEER, 12)), 0);
    assert_int_equal (eddy_msg_route_push (msg, UINT64_MAX), 0);
    eddy_msg_take_payload (msg, json_pack ("{s:s s:i s:[i,f,b,n] s:{}}", "key", "a.b.c",
                                           "n", -42, "list", 1, 2.5, 1, "obj"));
    assert_non_null (eddy_msg_payload (msg));
    return msg;
}

static void encode (const eddy_msg_t *msg, uint8_t **buf, size_t *len)
{
    void *b;
    assert_int_equal (eddy_msg_encode (msg, EDDY_WIRE_VERSION, &b, len), 0);
    *buf = b;
}

static void assert_same (const eddy_msg_t *a, const eddy_msg_t *b)
{
    assert_int_equal (eddy_msg_type (a), eddy_msg_type (b));
    assert_string_equal (eddy_msg_topic (a), eddy_msg_topic (b));
    assert_int_equal (eddy_msg_matchtag (a), eddy_msg_matchtag (b));
    assert_int_equal (eddy_msg_nodeid (a), eddy_msg_nodeid (b));
    assert_int_equal (eddy_msg_flags (a), eddy_msg_flags (b));
    assert_int_equal (eddy_msg_userid (a), eddy_msg_userid (b));
    assert_int_equal (eddy_msg_rolemask (a), eddy_msg_rolemask (b));
    assert_int_equal (eddy_msg_seq (a), eddy_msg_seq (b));
    assert_int_equal (eddy_msg_errnum (a), eddy_msg_errnum (b));
    if (eddy_msg_errstr (a) || eddy_msg_errstr (b)) {
        assert_non_null (eddy_msg_errstr (a));
        assert_non_null (eddy_msg_errstr (b));
        assert_string_equal (eddy_msg_errstr (a), eddy_msg_errstr (b));
    }
    assert_int_equal (eddy_msg_route_count (a), eddy_msg_route_count (b));
    eddy_msg_t *ca = eddy_msg_copy (a, false);
    eddy_msg_t *cb = eddy_msg_copy (b, false);
    uint64_t ea, eb;
    while (eddy_msg_route_pop (ca, &ea) == 0) {
        assert_int_equal (eddy_msg_route_pop (cb, &eb), 0);
        assert_true (ea == eb);
    }
    eddy_msg_decref (ca);
    eddy_msg_decref (cb);
    json_t *pa = eddy_msg_payload (a), *pb = eddy_msg_payload (b);
    if (pa || pb) {
        assert_non_null (pa);
        assert_non_null (pb);
        assert_true (json_equal (pa, pb));
    }
}

static eddy_msg_t *roundtrip (const eddy_msg_t *msg)
{
    uint8_t *buf;
    size_t len;
    eddy_error_t err = {{0}};
    encode (msg, &buf, &len);
    eddy_msg_t *out = eddy_msg_decode (buf, len, EDDY_WIRE_VERSION, NULL, &err);
    free (buf);
    assert_non_null (out);
    return out;
}

static void every_field_survives_a_round_trip (void **state)
{
    eddy_msg_t *msg = full_message ();
    eddy_msg_t *out = roundtrip (msg);
    assert_same (msg, out);
    assert_int_equal (eddy_msg_refcount (out), 1);
    assert_true (eddy_msg_route_first (out) == EDDY_ROUTE (EDDY_ROUTE_CLIENT, 3));
    eddy_msg_decref (out);
    eddy_msg_decref (msg);
}

static void every_type_and_empty_fields_survive (void **state)
{
    const eddy_msgtype_t types[] = {
        EDDY_MSGTYPE_REQUEST,
        EDDY_MSGTYPE_RESPONSE,
        EDDY_MSGTYPE_EVENT,
        EDDY_MSGTYPE_CONTROL,
    };
    for (size_t i = 0; i < sizeof (types) / sizeof (types[0]); i++) {
        /* no topic, no payload, no route, no error: the defaults */
        eddy_msg_t *msg = eddy_msg_create (types[i], NULL);
        assert_non_null (msg);
        eddy_msg_t *out = roundtrip (msg);
        assert_same (msg, out);
        assert_string_equal (eddy_msg_topic (out), "");
        assert_null (eddy_msg_payload (out));
        assert_null (eddy_msg_errstr (out));
        assert_int_equal (eddy_msg_nodeid (out), EDDY_NODEID_ANY);
        assert_int_equal (eddy_msg_userid (out), EDDY_USERID_UNKNOWN);
        eddy_msg_decref (out);
        eddy_msg_decref (msg);
    }
}

static void payloads_of_every_json_kind_survive (void **state)
{
    json_t *payloads[] = {
        json_string ("plain"),
        json_stringn ("nul\0inside", 10),
        json_string ("\xc6\x92uzzybunny"),
        json_integer (INT64_MIN),
        json_real (-0.125),
        json_true (),
        json_null (),
        json_pack ("[[],{},[{}]]"),
    };
    for (size_t i = 0; i < sizeof (payloads) / sizeof (payloads[0]); i++) {
        eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "ev.x");
        assert_non_null (payloads[i]);
        eddy_msg_take_payload (msg, payloads[i]);
        eddy_msg_t *out = roundtrip (msg);
        assert_same (msg, out);
        eddy_msg_decref (out);
        eddy_msg_decref (msg);
    }
}

static void limits_are_accepted_at_the_edge (void **state)
{
    char topic[EDDY_MSG_TOPIC_MAX + 1];
    char errstr[EDDY_MSG_ERRSTR_MAX + 1];
    memset (topic, 't', EDDY_MSG_TOPIC_MAX);
    topic[EDDY_MSG_TOPIC_MAX] = '\0';
    memset (errstr, 'e', EDDY_MSG_ERRSTR_MAX);
    errstr[EDDY_MSG_ERRSTR_MAX] = '\0';
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_RESPONSE, topic);
    assert_non_null (msg);
    assert_int_equal (eddy_msg_set_error (msg, 1000, errstr), 0);
    for (int i = 0; i < EDDY_MSG_ROUTE_MAX; i++)
        assert_int_equal (eddy_msg_route_push (msg, (uint64_t)i << 20), 0);
    eddy_msg_t *out = roundtrip (msg);
    assert_same (msg, out);
    eddy_msg_decref (out);
    eddy_msg_decref (msg);
}

static void assert_proto (const uint8_t *buf, size_t len, const char *what)
{
    eddy_error_t err = {{0}};
    errno = 0;
    eddy_msg_t *out = eddy_msg_decode (buf, len, EDDY_WIRE_VERSION, NULL, &err);
    if (out)
        fail_msg ("%s: decoded (len %zu)", what, len);
    if (errno != EPROTO)
        fail_msg ("%s: errno %d, not EPROTO (len %zu)", what, errno, len);
    if (!strstr (err.text, "malformed"))
        fail_msg ("%s: error text '%s'", what, err.text);
}

static void every_truncation_is_refused (void **state)
{
    eddy_msg_t *msg = full_message ();
    uint8_t *buf;
    size_t len;
    encode (msg, &buf, &len);
    for (size_t n = 0; n < len; n++) {
        /* a private copy of exactly n bytes so valgrind/ASan see overreads */
        uint8_t *cut = malloc (n ? n : 1);
        memcpy (cut, buf, n);
        assert_proto (cut, n, "truncated");
        free (cut);
    }
    assert_proto (NULL, 0, "NULL buffer");
    free (buf);
    eddy_msg_decref (msg);
}

static void trailing_bytes_are_refused (void **state)
{
    eddy_msg_t *msg = full_message ();
    uint8_t *buf;
    size_t len;
    encode (msg, &buf, &len);
    uint8_t *longer = malloc (len + 1);
    memcpy (longer, buf, len);
    longer[len] = '}';
    assert_proto (longer, len + 1, "trailing byte");
    free (longer);
    free (buf);
    eddy_msg_decref (msg);
}

/* Apply one corruption to a fresh copy of a valid frame and expect EPROTO. */
struct corruption {
    const char *what;
    void (*apply) (uint8_t *buf, size_t len);
};

static void bad_magic (uint8_t *b, size_t len)
{
    b[0] = 'F';
}
static void bad_type (uint8_t *b, size_t len)
{
    b[OFF_TYPE] = 3;
}
static void zero_type (uint8_t *b, size_t len)
{
    b[OFF_TYPE] = 0;
}
static void reserved_set (uint8_t *b, size_t len)
{
    b[OFF_RESERVED] = 1;
}
static void route_too_deep (uint8_t *b, size_t len)
{
    put16 (b + OFF_NROUTE, EDDY_MSG_ROUTE_MAX + 1);
}
static void route_count_off_by_one (uint8_t *b, size_t len)
{
    put16 (b + OFF_NROUTE, 4);
}
static void topic_too_long (uint8_t *b, size_t len)
{
    put16 (b + OFF_TOPICLEN, EDDY_MSG_TOPIC_MAX + 1);
}
static void topic_len_huge (uint8_t *b, size_t len)
{
    put16 (b + OFF_TOPICLEN, 0xffff);
}
static void errstr_too_long (uint8_t *b, size_t len)
{
    put16 (b + OFF_ERRLEN, EDDY_MSG_ERRSTR_MAX + 1);
}
static void payload_too_large (uint8_t *b, size_t len)
{
    put32 (b + OFF_PAYLEN, EDDY_MSG_PAYLOAD_MAX + 1);
}
static void payload_len_max (uint8_t *b, size_t len)
{
    put32 (b + OFF_PAYLEN, 0xffffffff);
}
static void payload_len_short (uint8_t *b, size_t len)
{
    /* shift one payload byte into the error string: lengths still add up */
    uint16_t e = (uint16_t)(b[OFF_ERRLEN] << 8 | b[OFF_ERRLEN + 1]);
    uint32_t p = (uint32_t)b[OFF_PAYLEN] << 24 | (uint32_t)b[OFF_PAYLEN + 1] << 16 |
                 (uint32_t)b[OFF_PAYLEN + 2] << 8 | b[OFF_PAYLEN + 3];
    put16 (b + OFF_ERRLEN, e + 1);
    put32 (b + OFF_PAYLEN, p - 1);
}
static void negative_errnum (uint8_t *b, size_t len)
{
    put32 (b + OFF_ERRNUM, 0x80000000u);
}
static void space_in_topic (uint8_t *b, size_t len)
{
    b[HDR + 3] = ' ';
}
static void nul_in_topic (uint8_t *b, size_t len)
{
    b[HDR] = '\0';
}
static void control_in_topic (uint8_t *b, size_t len)
{
    b[HDR + 1] = 0x7f;
}
static void nul_in_errstr (uint8_t *b, size_t len)
{
    /* topic "kvs.lookup" (10) + 3 route entries (24) */
    b[HDR + 10 + 24 + 2] = '\0';
}
static void payload_not_json (uint8_t *b, size_t len)
{
    b[len - 1] = ',';
}
static void payload_invalid_utf8 (uint8_t *b, size_t len)
{
    /* the payload starts with {"key":"a.b.c" ... : break the string */
    uint8_t *p = memmem (b, len, "a.b.c", 5);
    assert_non_null (p);
    p[1] = 0xc0;
}

static void every_corruption_is_refused (void **state)
{
    const struct corruption tab[] = {
        {"bad magic", bad_magic},
        {"unknown type", bad_type},
        {"type zero", zero_type},
        {"reserved byte", reserved_set},
        {"route too deep", route_too_deep},
        {"route count wrong", route_count_off_by_one},
        {"topic too long", topic_too_long},
        {"topic length huge", topic_len_huge},
        {"error string too long", errstr_too_long},
        {"payload too large", payload_too_large},
        {"payload length 2^32-1", payload_len_max},
        {"payload length shifted", payload_len_short},
        {"negative errnum", negative_errnum},
        {"space in topic", space_in_topic},
        {"NUL in topic", nul_in_topic},
        {"DEL in topic", control_in_topic},
        {"NUL in error string", nul_in_errstr},
        {"payload not JSON", payload_not_json},
        {"payload invalid UTF-8", payload_invalid_utf8},
    };
    eddy_msg_t *msg = full_message ();
    uint8_t *buf;
    size_t len;
    encode (msg, &buf, &len);
    for (size_t i = 0; i < sizeof (tab) / sizeof (tab[0]); i++) {
        uint8_t *bad = malloc (len);
        memcpy (bad, buf, len);
        tab[i].apply (bad, len);
        assert_proto (bad, len, tab[i].what);
        free (bad);
    }
    free (buf);
    eddy_msg_decref (msg);
}

static void another_wire_version_is_refused_with_both_versions (void **state)
{
    eddy_msg_t *msg = full_message ();
    eddy_error_t err = {{0}};
    uint8_t *buf;
    size_t len;
    void *b;
    int peer = -1;

    assert_int_equal (eddy_msg_encode (msg, EDDY_WIRE_VERSION + 1, &b, &len), 0);
    buf = b;
    assert_int_equal (buf[OFF_VERSION], EDDY_WIRE_VERSION + 1);
    errno = 0;
    assert_null (eddy_msg_decode (buf, len, EDDY_WIRE_VERSION, &peer, &err));
    assert_int_equal (errno, EPROTONOSUPPORT);
    assert_int_equal (peer, EDDY_WIRE_VERSION + 1);
    char want[64];
    snprintf (want, sizeof (want), "%d", EDDY_WIRE_VERSION + 1);
    assert_non_null (strstr (err.text, want));
    snprintf (want, sizeof (want), "%d", EDDY_WIRE_VERSION);
    assert_non_null (strstr (err.text, want));

    /* the version is reported even when the rest of the frame is cut short */
    peer = -1;
    errno = 0;
    assert_null (eddy_msg_decode (buf, 4, EDDY_WIRE_VERSION, &peer, NULL));
    assert_int_equal (errno, EPROTONOSUPPORT);
    assert_int_equal (peer, EDDY_WIRE_VERSION + 1);

    /* and the peer's own version decodes it */
    eddy_msg_t *out = eddy_msg_decode (buf, len, EDDY_WIRE_VERSION + 1, &peer, NULL);
    assert_non_null (out);
    assert_same (msg, out);
    eddy_msg_decref (out);
    free (buf);
    eddy_msg_decref (msg);
}

static void encode_refuses_bad_versions (void **state)
{
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "x");
    void *buf = NULL;
    size_t len = 0;
    errno = 0;
    assert_int_equal (eddy_msg_encode (msg, -1, &buf, &len), -1);
    assert_int_equal (errno, EINVAL);
    errno = 0;
    assert_int_equal (eddy_msg_encode (msg, 256, &buf, &len), -1);
    assert_int_equal (errno, EINVAL);
    assert_null (buf);
    eddy_msg_decref (msg);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (every_field_survives_a_round_trip),
        cmocka_unit_test (every_type_and_empty_fields_survive),
        cmocka_unit_test (payloads_of_every_json_kind_survive),
        cmocka_unit_test (limits_are_accepted_at_the_edge),
        cmocka_unit_test (every_truncation_is_refused),
        cmocka_unit_test (trailing_bytes_are_refused),
        cmocka_unit_test (every_corruption_is_refused),
        cmocka_unit_test (another_wire_version_is_refused_with_both_versions),
        cmocka_unit_test (encode_refuses_bad_versions),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
