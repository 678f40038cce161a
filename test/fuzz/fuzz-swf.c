/* fuzz-swf.c - libFuzzer target: any bytes as an SWF trace; whatever
 * parses is filtered for a machine, checked against the bounds of swf.h
 * and replayed by the ideal oracle.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sim/ideal.h"
#include "traces/swf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    eddy_swf_t *s = eddy_swf_create ();
    eddy_error_t err;
    size_t n;

    if (!s)
        return 0;
    /* keep going past bad lines, as a lenient caller might */
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = p;
        while (nl < end && *nl != '\n')
            nl++;
        (void)eddy_swf_feed (s, p, nl - p, &err);
        p = nl < end ? nl + 1 : end;
    }
    if (eddy_swf_finish (s, 0, &err) < 0 && eddy_swf_finish (s, 64, &err) < 0)
        abort (); /* an explicit machine size always works */
    const struct eddy_swf_job *sj = eddy_swf_jobs (s, &n);
    int64_t P = eddy_swf_procs (s);
    if (P < 1 || P > EDDY_SWF_PROCS_MAX || eddy_swf_max_procs (s) > EDDY_SWF_PROCS_MAX
        || eddy_swf_max_nodes (s) > EDDY_SWF_PROCS_MAX)
        abort (); /* a machine past the bound */
    for (size_t i = 0; i < n; i++) {
        if (!(sj[i].submit >= 0 && sj[i].submit <= EDDY_SWF_SUBMIT_MAX)
            || !(sj[i].run >= 0 && sj[i].run <= EDDY_SWF_TIME_MAX)
            || !(sj[i].req >= 0 && sj[i].req <= EDDY_SWF_TIME_MAX) || sj[i].procs < 1
            || sj[i].procs > P)
            abort (); /* a kept job past the bounds */
    }
    if (n > 0 && n <= 256) {
        struct eddy_ideal_job *jobs = malloc (n * sizeof (*jobs));
        for (size_t i = 0; jobs && i < n; i++)
            jobs[i] = (struct eddy_ideal_job){sj[i].id, sj[i].submit, sj[i].run,
                                              (int)sj[i].procs, sj[i].req};
        if (jobs) {
            const char *policy[] = {"fcfs", "easy", "conservative"};
            if (eddy_ideal_run (policy[size % 3], P, jobs, n, 0, NULL, NULL, &err) < 0)
                abort (); /* every kept job fits the machine */
        }
        free (jobs);
    }
    eddy_swf_destroy (s);
    return 0;
}
