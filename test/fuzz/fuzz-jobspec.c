/* fuzz-jobspec.c - libFuzzer target: any bytes as YAML or JSON jobspec text,
 * loaded, validated at both levels, summarised and re-encoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched/jobspec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    eddy_error_t err;
    char *buf = malloc (size + 1);
    json_t *o;

    if (!buf)
        return 0;
    memcpy (buf, data, size);
    buf[size] = '\0'; /* not relied on: length is passed */
    if ((o = eddy_jobspec_load (buf, size, &err))) {
        for (int level = EDDY_JOBSPEC_V1; level <= EDDY_JOBSPEC_CANONICAL; level++) {
            eddy_jobspec_t *js = eddy_jobspec_parse (o, level, &err);
            if (js) {
                (void)eddy_jobspec_summary_check (js, &err);
                (void)eddy_jobspec_ntasks (js);
                (void)eddy_jobspec_queue (js);
                char *s = json_dumps (eddy_jobspec_json (js), JSON_COMPACT);
                free (s);
            }
            eddy_jobspec_destroy (js);
        }
        json_decref (o);
    }
    free (buf);
    return 0;
}
