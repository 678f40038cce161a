/* fuzz-fluid.c - libFuzzer target: RFC 19 auto-detecting parse (and RFC 23
 * durations), with every text form round-tripped for ids that parse.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/fluid.h"
#include "engine/util/fsd.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    if (!s)
        abort ();
    memcpy (s, data, size);
    s[size] = '\0';
    eddy_fluid_t id;
    if (eddy_fluid_parse (s, &id, NULL) == 0) {
        for (int t = EDDY_FLUID_DEC; t <= EDDY_FLUID_EMOJI; t++) {
            char buf[EDDY_FLUID_STRMAX];
            eddy_fluid_t back;
            if (eddy_fluid_encode (buf, sizeof (buf), id, t) < 0 ||
                eddy_fluid_decode (buf, t, &back, NULL) < 0 || back != id ||
                eddy_fluid_parse (buf, &back, NULL) < 0 || back != id)
                abort ();
        }
    }
    double d;
    if (eddy_fsd_parse (s, &d, NULL) == 0) {
        char buf[64];
        if (d < 0 || isnan (d) || eddy_fsd_format (buf, sizeof (buf), d) < 0)
            abort ();
    }
    free (s);
    return 0;
}
