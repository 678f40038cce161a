/* fluid.h - RFC 19 Flux Locally Unique IDs: a monotonic 64-bit id generator
 * and the text forms of an id (decimal, hex, dothex, kvs path, F58, emoji).
 *
 * A FLUID is timestamp (40 bits, ms) | generator id (14 bits) | sequence
 * (10 bits).  The library never reads a clock: callers pass the time in.
 */
#ifndef EDDY_UTIL_FLUID_H
#define EDDY_UTIL_FLUID_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

typedef uint64_t eddy_fluid_t;

#define EDDY_FLUID_TS_BITS 40
#define EDDY_FLUID_ID_BITS 14
#define EDDY_FLUID_SEQ_BITS 10
#define EDDY_FLUID_MAX_GENID ((1u << EDDY_FLUID_ID_BITS) - 1)

/* Generator state, owned by the caller (no allocation).  Fields are private
 * to fluid.c; use the functions below.
 */
struct eddy_fluid_gen {
    uint64_t last_ts; /* timestamp of the last id issued */
    uint32_t genid;
    uint32_t seq; /* sequence of the last id issued */
    int started;
};

/* Generator.
 * init () sets up gen for generator id genid (0..16383; else -1 + EINVAL).
 * generate () issues the next id for the caller's time now_ms (ms since
 * the caller's epoch).  Ids strictly increase: if now_ms is behind the last
 * id's timestamp, or 1024 ids were already issued in that ms, the timestamp
 * advances logically past the clock.  -1 + EINVAL on NULL arguments,
 * EOVERFLOW once the timestamp no longer fits in 40 bits.
 * timestamp/genid/sequence () take an id apart.
 */
int eddy_fluid_init (struct eddy_fluid_gen *gen, uint32_t genid);
int eddy_fluid_generate (struct eddy_fluid_gen *gen, uint64_t now_ms, eddy_fluid_t *id);
/* set_floor () makes every id that gen issues from now on greater than
 * floor, whatever the clock says (ids of a previous run, read back after
 * a restart, must not be issued again).  A floor below the last id issued
 * changes nothing.  -1 + EINVAL on NULL gen.
 */
int eddy_fluid_set_floor (struct eddy_fluid_gen *gen, eddy_fluid_t floor);
uint64_t eddy_fluid_timestamp (eddy_fluid_t id);
uint32_t eddy_fluid_genid (eddy_fluid_t id);
uint32_t eddy_fluid_sequence (eddy_fluid_t id);

typedef enum {
    EDDY_FLUID_DEC = 1,   /* 6787342413402046 */
    EDDY_FLUID_HEX,       /* 0x181d0d4d850fbe */
    EDDY_FLUID_DOTHEX,    /* 0018.1d0d.4d85.0fbe */
    EDDY_FLUID_KVS,       /* job.0018.1d0d.4d85.0fbe (flux-core JobID form) */
    EDDY_FLUID_F58,       /* ƒuzzybunny (U+0192 prefix) */
    EDDY_FLUID_F58_ASCII, /* fuzzybunny */
    EDDY_FLUID_EMOJI,     /* base 576 over the RFC 19 emoji alphabet */
    EDDY_FLUID_WORDS,     /* mnemonic: not supported (no word list) */
} eddy_fluid_type_t;

/* Text forms.
 * encode () writes id in the given form into buf (size len, NUL included)
 * and returns the string length, or -1 + EOVERFLOW if buf is too small,
 * EINVAL for an unknown type, ENOTSUP for EDDY_FLUID_WORDS.
 * EDDY_FLUID_STRMAX bytes always suffice.
 * decode () parses s in exactly the given form (EDDY_FLUID_F58 accepts
 * both the ƒ and the ASCII f prefix); parse () detects the form as RFC 19
 * says ('.' dothex or kvs, '-' words, ƒ/f F58, "0x" hex, emoji, else
 * decimal) after trimming surrounding white space.  Both return 0, or -1 +
 * EINVAL (err filled) for text that is not an id, ERANGE for a value above
 * 2^64-1, ENOTSUP for the words form.
 */
#define EDDY_FLUID_STRMAX 64
int eddy_fluid_encode (char *buf, size_t len, eddy_fluid_t id, eddy_fluid_type_t type);
int eddy_fluid_decode (const char *s,
                       eddy_fluid_type_t type,
                       eddy_fluid_t *id,
                       eddy_error_t *err);
int eddy_fluid_parse (const char *s, eddy_fluid_t *id, eddy_error_t *err);

/* Name of a form ("dec", "hex", "dothex", "kvs", "f58", "f58plain",
 * "emoji", "words") and back; lookup returns 0 if unknown.
 */
const char *eddy_fluid_type_name (eddy_fluid_type_t type);
eddy_fluid_type_t eddy_fluid_type_lookup (const char *name);

#endif /* !EDDY_UTIL_FLUID_H */
