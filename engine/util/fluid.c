/* fluid.c - RFC 19 FLUID generation and text forms.
 *
 * Decoders are total: every byte string gives an id or an error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine/util/fluid.h"
#include "engine/util/fluid_emoji.h"

#define TS_MAX ((1ULL << EDDY_FLUID_TS_BITS) - 1)
#define SEQ_MAX ((1u << EDDY_FLUID_SEQ_BITS) - 1)

static const char f58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char f58_prefix[] = "\xc6\x92"; /* U+0192 in UTF-8 */

int eddy_fluid_init (struct eddy_fluid_gen *gen, uint32_t genid)
{
    if (!gen || genid > EDDY_FLUID_MAX_GENID) {
        errno = EINVAL;
        return -1;
    }
    memset (gen, 0, sizeof (*gen));
    gen->genid = genid;
    return 0;
}

int eddy_fluid_generate (struct eddy_fluid_gen *gen, uint64_t now_ms, eddy_fluid_t *id)
{
    if (!gen || !id || gen->genid > EDDY_FLUID_MAX_GENID) {
        errno = EINVAL;
        return -1;
    }
    uint64_t ts = now_ms;
    uint32_t seq = 0;
    if (gen->started && ts <= gen->last_ts) {
        /* The clock stood still or went back: stay on the last timestamp
         * while the sequence lasts, then move one ms ahead of the clock.
         */
        ts = gen->last_ts;
        seq = gen->seq + 1;
        if (seq > SEQ_MAX) {
            ts++;
            seq = 0;
        }
    }
    if (ts > TS_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    gen->last_ts = ts;
    gen->seq = seq;
    gen->started = 1;
    *id = (ts << (EDDY_FLUID_ID_BITS + EDDY_FLUID_SEQ_BITS)) |
          ((uint64_t)gen->genid << EDDY_FLUID_SEQ_BITS) | seq;
    return 0;
}

int eddy_fluid_set_floor (struct eddy_fluid_gen *gen, eddy_fluid_t floor)
{
    if (!gen) {
        errno = EINVAL;
        return -1;
    }
    uint64_t ts = eddy_fluid_timestamp (floor);
    uint32_t genid = eddy_fluid_genid (floor), seq = eddy_fluid_sequence (floor);
    eddy_fluid_t last = (gen->last_ts << (EDDY_FLUID_ID_BITS + EDDY_FLUID_SEQ_BITS))
                        | ((uint64_t)gen->genid << EDDY_FLUID_SEQ_BITS) | gen->seq;
    if (gen->started && last > floor)
        return 0; /* already past it */
    /* Pretend the last id was issued at the floor's timestamp: generate ()
     * then stays above it even if the clock is behind.  Our own generator
     * continues the floor's sequence; another one's ids at that timestamp
     * may lie above ours, so move on to the next millisecond.
     */
    gen->last_ts = ts;
    gen->seq = genid == gen->genid ? seq : SEQ_MAX;
    gen->started = 1;
    return 0;
}

uint64_t eddy_fluid_timestamp (eddy_fluid_t id)
{
    return id >> (EDDY_FLUID_ID_BITS + EDDY_FLUID_SEQ_BITS);
}

uint32_t eddy_fluid_genid (eddy_fluid_t id)
{
    return (uint32_t)(id >> EDDY_FLUID_SEQ_BITS) & EDDY_FLUID_MAX_GENID;
}

uint32_t eddy_fluid_sequence (eddy_fluid_t id)
{
    return (uint32_t)id & SEQ_MAX;
}

/* Encoding. */

static int put_utf8 (char *p, uint32_t cp)
{
    p[0] = (char)(0xf0 | (cp >> 18));
    p[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    p[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    p[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Write id in base `base` using digit writer, most significant first. */
static int encode_base (char *out, eddy_fluid_t id, unsigned base, bool emoji)
{
    unsigned digits[24];
    int n = 0;
    do {
        digits[n++] = (unsigned)(id % base);
        id /= base;
    } while (id > 0);
    int len = 0;
    while (n > 0) {
        unsigned d = digits[--n];
        if (emoji)
            len += put_utf8 (out + len, emoji_digits[d]);
        else
            out[len++] = f58_alphabet[d];
    }
    out[len] = '\0';
    return len;
}

int eddy_fluid_encode (char *buf, size_t len, eddy_fluid_t id, eddy_fluid_type_t type)
{
    char tmp[EDDY_FLUID_STRMAX];
    int n;
    unsigned a = (unsigned)(id >> 48) & 0xffff, b = (unsigned)(id >> 32) & 0xffff;
    unsigned c = (unsigned)(id >> 16) & 0xffff, d = (unsigned)id & 0xffff;
    if (!buf) {
        errno = EINVAL;
        return -1;
    }
    switch (type) {
    case EDDY_FLUID_DEC:
        n = snprintf (tmp, sizeof (tmp), "%llu", (unsigned long long)id);
        break;
    case EDDY_FLUID_HEX:
        n = snprintf (tmp, sizeof (tmp), "0x%llx", (unsigned long long)id);
        break;
    case EDDY_FLUID_DOTHEX:
        n = snprintf (tmp, sizeof (tmp), "%04x.%04x.%04x.%04x", a, b, c, d);
        break;
    case EDDY_FLUID_KVS:
        n = snprintf (tmp, sizeof (tmp), "job.%04x.%04x.%04x.%04x", a, b, c, d);
        break;
    case EDDY_FLUID_F58:
        memcpy (tmp, f58_prefix, 2);
        n = 2 + encode_base (tmp + 2, id, 58, false);
        break;
    case EDDY_FLUID_F58_ASCII:
        tmp[0] = 'f';
        n = 1 + encode_base (tmp + 1, id, 58, false);
        break;
    case EDDY_FLUID_EMOJI:
        n = encode_base (tmp, id, 576, true);
        break;
    case EDDY_FLUID_WORDS:
        errno = ENOTSUP;
        return -1;
    default:
        errno = EINVAL;
        return -1;
    }
    if ((size_t)n >= len) {
        errno = EOVERFLOW;
        return -1;
    }
    memcpy (buf, tmp, (size_t)n + 1);
    return n;
}

/* Decoding: each decoder gets the exact span [s, end). */

static int bad (eddy_error_t *err, int errnum, const char *what)
{
    eddy_error_set (err, "invalid FLUID: %s", what);
    errno = errnum;
    return -1;
}

static int hexval (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
decode_dec (const char *s, const char *end, eddy_fluid_t *id, eddy_error_t *err)
{
    uint64_t v = 0;
    if (s == end)
        return bad (err, EINVAL, "empty");
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return bad (err, EINVAL, "not a decimal number");
        unsigned dig = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dig) / 10)
            return bad (err, ERANGE, "larger than 2^64-1");
        v = v * 10 + dig;
    }
    *id = v;
    return 0;
}

static int
decode_hex (const char *s, const char *end, eddy_fluid_t *id, eddy_error_t *err)
{
    uint64_t v = 0;
    if (end - s < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return bad (err, EINVAL, "hex form needs 0x and digits");
    for (const char *p = s + 2; p < end; p++) {
        int h = hexval (*p);
        if (h < 0)
            return bad (err, EINVAL, "not a hex digit");
        if (v >> 60)
            return bad (err, ERANGE, "larger than 2^64-1");
        v = (v << 4) | (unsigned)h;
    }
    *id = v;
    return 0;
}

/* Four '.'-separated groups of 1-4 hex digits. */
static int
decode_groups (const char *s, const char *end, eddy_fluid_t *id, eddy_error_t *err)
{
    uint64_t v = 0;
    const char *p = s;
    for (int g = 0; g < 4; g++) {
        unsigned group = 0;
        int n = 0;
        while (p < end && *p != '.') {
            int h = hexval (*p++);
            if (h < 0 || ++n > 4)
                return bad (err, EINVAL, "dothex group is not 1-4 hex digits");
            group = (group << 4) | (unsigned)h;
        }
        if (n == 0)
            return bad (err, EINVAL, "empty dothex group");
        v = (v << 16) | group;
        if (g < 3) {
            if (p == end)
                return bad (err, EINVAL, "dothex needs four groups");
            p++; /* the '.' */
        }
    }
    if (p != end)
        return bad (err, EINVAL, "dothex has more than four groups");
    *id = v;
    return 0;
}

static int
decode_kvs (const char *s, const char *end, eddy_fluid_t *id, eddy_error_t *err)
{
    if (end - s < 4 || memcmp (s, "job.", 4) != 0)
        return bad (err, EINVAL, "kvs form must start with job.");
    return decode_groups (s + 4, end, id, err);
}

static int
decode_f58 (const char *s, const char *end, eddy_fluid_t *id, eddy_error_t *err)
{
    const char *p = s;
    if (end - p >= 2 && !memcmp (p, f58_prefix, 2))
        p += 2;
    else if (p < end && *p == 'f')
        p++;
    else
        return bad (err, EINVAL, "F58 needs the ƒ or f prefix");
    if (p == end)
        return bad (err, EINVAL, "F58 has no digits");
    uint64_t v = 0;
    for (; p < end; p++) {
        const char *d = *p ? strchr (f58_alphabet, *p) : NULL;
        if (!d)
            return bad (err, EINVAL, "character not in the F58 alphabet");
        unsigned dig = (unsigned)(d - f58_alphabet);
        if (v > (UINT64_MAX - dig) / 58)
            return bad (err, ERANGE, "larger than 2^64-1");
        v = v * 58 + dig;
    }
    *id = v;
    return 0;
}

static int emoji_value (uint32_t cp)
{
    for (int i = 0; i < 576; i++)
        if (emoji_digits[i] == cp)
            return i;
    return -1;
}

static int
decode_emoji (const char *s, const char *end, eddy_fluid_t *id, eddy_error_t *err)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *e = (const unsigned char *)end;
    uint64_t v = 0;
    if (p == e)
        return bad (err, EINVAL, "empty");
    while (p < e) {
        /* every digit of the alphabet is a 4-byte UTF-8 sequence */
        if (e - p < 4 || (p[0] & 0xf8) != 0xf0 || (p[1] & 0xc0) != 0x80 ||
            (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return bad (err, EINVAL, "not an emoji digit");
        uint32_t cp = ((uint32_t)(p[0] & 0x07) << 18) |
                      ((uint32_t)(p[1] & 0x3f) << 12) | ((uint32_t)(p[2] & 0x3f) << 6) |
                      (uint32_t)(p[3] & 0x3f);
        int dig = emoji_value (cp);
        if (dig < 0)
            return bad (err, EINVAL, "emoji is not in the RFC 19 alphabet");
        if (v > (UINT64_MAX - (unsigned)dig) / 576)
            return bad (err, ERANGE, "larger than 2^64-1");
        v = v * 576 + (unsigned)dig;
        p += 4;
    }
    *id = v;
    return 0;
}

static int decode_span (const char *s,
                        const char *end,
                        eddy_fluid_type_t type,
                        eddy_fluid_t *id,
                        eddy_error_t *err)
{
    switch (type) {
    case EDDY_FLUID_DEC:
        return decode_dec (s, end, id, err);
    case EDDY_FLUID_HEX:
        return decode_hex (s, end, id, err);
    case EDDY_FLUID_DOTHEX:
        return decode_groups (s, end, id, err);
    case EDDY_FLUID_KVS:
        return decode_kvs (s, end, id, err);
    case EDDY_FLUID_F58:
    case EDDY_FLUID_F58_ASCII:
        return decode_f58 (s, end, id, err);
    case EDDY_FLUID_EMOJI:
        return decode_emoji (s, end, id, err);
    case EDDY_FLUID_WORDS:
        return bad (err, ENOTSUP, "mnemonic (words) form is not supported");
    }
    return bad (err, EINVAL, "unknown form");
}

int eddy_fluid_decode (const char *s,
                       eddy_fluid_type_t type,
                       eddy_fluid_t *id,
                       eddy_error_t *err)
{
    if (!s || !id)
        return bad (err, EINVAL, "NULL argument");
    eddy_fluid_t v;
    if (decode_span (s, s + strlen (s), type, &v, err) < 0)
        return -1;
    *id = v;
    return 0;
}

int eddy_fluid_parse (const char *s, eddy_fluid_t *id, eddy_error_t *err)
{
    if (!s || !id)
        return bad (err, EINVAL, "NULL argument");
    const char *end = s + strlen (s);
    while (s < end && isspace ((unsigned char)*s))
        s++;
    while (end > s && isspace ((unsigned char)end[-1]))
        end--;
    eddy_fluid_type_t type;
    if (end - s >= 4 && !memcmp (s, "job.", 4))
        type = EDDY_FLUID_KVS;
    else if (memchr (s, '.', (size_t)(end - s)))
        type = EDDY_FLUID_DOTHEX;
    else if (memchr (s, '-', (size_t)(end - s)))
        type = EDDY_FLUID_WORDS;
    else if ((end - s >= 2 && !memcmp (s, f58_prefix, 2)) || (s < end && *s == 'f'))
        type = EDDY_FLUID_F58;
    else if (end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        type = EDDY_FLUID_HEX;
    else if (s < end && ((unsigned char)*s & 0xf8) == 0xf0)
        type = EDDY_FLUID_EMOJI;
    else
        type = EDDY_FLUID_DEC;
    eddy_fluid_t v;
    if (decode_span (s, end, type, &v, err) < 0)
        return -1;
    *id = v;
    return 0;
}

static const struct {
    eddy_fluid_type_t type;
    char name[12]; /* an array, not a pointer: keeps the table read-only */
} type_names[] = {
    {EDDY_FLUID_DEC, "dec"},       {EDDY_FLUID_HEX, "hex"},
    {EDDY_FLUID_DOTHEX, "dothex"}, {EDDY_FLUID_KVS, "kvs"},
    {EDDY_FLUID_F58, "f58"},       {EDDY_FLUID_F58_ASCII, "f58plain"},
    {EDDY_FLUID_EMOJI, "emoji"},   {EDDY_FLUID_WORDS, "words"},
};

const char *eddy_fluid_type_name (eddy_fluid_type_t type)
{
    for (size_t i = 0; i < sizeof (type_names) / sizeof (type_names[0]); i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return NULL;
}

eddy_fluid_type_t eddy_fluid_type_lookup (const char *name)
{
    for (size_t i = 0; name && i < sizeof (type_names) / sizeof (type_names[0]); i++)
        if (!strcmp (type_names[i].name, name))
            return type_names[i].type;
    return 0;
}
