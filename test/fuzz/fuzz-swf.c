/* fuzz-swf.c - libFuzzer target: any bytes as an SWF trace; whatever
 * parses is filtered for a machine and replayed by the ideal oracle.
 */
#include <math.h>
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
    if (n > 0 && n <= 256) {
        struct eddy_ideal_job *jobs = malloc (n * sizeof (*jobs));
        size_t k = 0;
        for (size_t i = 0; jobs && i < n; i++) {
            /* keep times small enough that sums stay exact */
            if (fabs (sj[i].submit) > 1e12 || sj[i].run > 1e12 || sj[i].req > 1e12)
                continue;
            jobs[k++] = (struct eddy_ideal_job){sj[i].id, sj[i].submit, sj[i].run,
                                                (int)sj[i].procs, sj[i].req};
        }
        int64_t P = eddy_swf_procs (s);
        if (jobs && P <= INT32_MAX) {
            const char *policy[] = {"fcfs", "easy", "conservative"};
            if (eddy_ideal_run (policy[size % 3], P, jobs, k, 0, NULL, NULL, &err) < 0)
                abort (); /* every kept job fits the machine */
        }
        free (jobs);
    }
    eddy_swf_destroy (s);
    return 0;
}
