/* jsoncheck.h - is this text one JSON value?  The KVS checks every value
 * put into it; parsing each into jansson objects only to free them again
 * was a few percent of a replay's CPU.
 */
#ifndef EDDY_KVS_JSONCHECK_H
#define EDDY_KVS_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..len) is one JSON value (any type, surrounding whitespace
 * allowed) exactly as jansson's json_loadb (JSON_DECODE_ANY) would accept
 * it.  Plain text (printable ASCII strings, integers of up to 18 digits,
 * reals without an exponent, nesting under 512 levels) is decided by a
 * scan that allocates nothing; anything else (escapes \u, bytes outside
 * printable ASCII, exponents, long numbers, deep nesting, any error) is
 * handed to jansson, which decides.  Never fails otherwise.
 */
bool eddy_json_check (const char *s, size_t len);

#endif /* !EDDY_KVS_JSONCHECK_H */
