/* fuzz-eventlog.c - libFuzzer target: RFC 18 log and entry decoding, with
 * an encode/decode round trip of whatever decodes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/eventlog.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    if (!s)
        abort ();
    memcpy (s, data, size);
    s[size] = '\0';
    eddy_error_t err;
    json_t *log = eddy_eventlog_decode (s, &err);
    if (log) {
        char *enc = eddy_eventlog_encode (log);
        json_t *back = enc ? eddy_eventlog_decode (enc, NULL) : NULL;
        if (!back || !json_equal (log, back))
            abort ();
        json_decref (back);
        free (enc);
        json_decref (log);
    }
    json_t *entry = eddy_eventlog_entry_decode (s, &err);
    if (entry) {
        double ts;
        const char *name;
        json_t *ctx;
        if (eddy_eventlog_entry_parse (entry, &ts, &name, &ctx) < 0)
            abort ();
        json_decref (entry);
    }
    free (s);
    return 0;
}
