/* fuzz-jsonl.c - libFuzzer target: any bytes as a JSONL jobspec workload;
 * every job that parses must have the shape and times the header
 * promises.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "traces/jsonl.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    eddy_jsonl_t *w = eddy_jsonl_create ();
    const char *p = (const char *)data, *end = p + size;
    eddy_error_t err;
    size_t n;

    if (!w)
        return 0;
    /* go on past bad lines: every line is tried */
    while (p < end) {
        const char *nl = p;
        while (nl < end && *nl != '\n')
            nl++;
        (void)eddy_jsonl_feed (w, p, nl - p, &err);
        p = nl < end ? nl + 1 : end;
    }
    const struct eddy_jsonl_job *j = eddy_jsonl_jobs (w, &n);
    for (size_t i = 0; i < n; i++) {
        if (!(j[i].submit >= 0) || !(j[i].run >= 0) || !(j[i].req > 0) || j[i].procs < 1
            || j[i].nnodes < 0 || j[i].gpus < 0 || j[i].id < 0 || !j[i].jobspec
            || j[i].line < 1 || j[i].line > eddy_jsonl_lines (w))
            abort ();
    }
    eddy_jsonl_destroy (w);
    return 0;
}
