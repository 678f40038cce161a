/* nest.h - the seam through which a job without processes runs a nested
 * instance: a virtual instance inside a virtual job.
 *
 * The simulator installs it on its reactor (sim/nest.h); the real world
 * installs none (a real job nests by running `eddy start` under PMI, see
 * docs/protocols.md).  The exec module's sim backend starts a child for a
 * job that asks for one (attributes.system.exec.test.nest) and ends the
 * job when the child says it is done.
 */
#ifndef EDDY_NEST_H
#define EDDY_NEST_H

#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"
#include "engine/reactor.h"

typedef struct eddy_nest eddy_nest_t;

/* The child is gone (its workload done and it shut down, or torn down
 * after eddy_nest_ops.kill): status is the job's wait status.
 */
typedef void (*eddy_nest_done_f) (int status, void *arg);

/* What the job gives its child, all borrowed for the call. */
struct eddy_nest_args {
    uint64_t jobid;
    json_t *R;              /* the job's allocation, in the parent's ranks */
    json_t *spec;           /* attributes.system.exec.test.nest */
    const char *parent_uri; /* the parent's local-uri, "" if none */
};

struct eddy_nest_ops {
    /* Start a child on the allocation; done is called once, later (never
     * from within start).  NULL + errno, err filled: the spec is invalid
     * (EINVAL) or the child cannot be built.
     */
    eddy_nest_t *(*start) (void *world, const struct eddy_nest_args *a, eddy_nest_done_f done,
                           void *arg, eddy_error_t *err);
    /* Tear the child down (its jobs are canceled); done follows with
     * status signum.  A second call does nothing.
     */
    void (*kill) (eddy_nest_t *n, int signum);
    /* The job is gone: done is never called; the child tears itself down
     * and frees itself.
     */
    void (*detach) (eddy_nest_t *n);
};

/* Install ops (static storage) with world on r; NULL removes them.
 * eddy_reactor_nest () returns them (and *world), or NULL: no nesting.
 */
void eddy_reactor_set_nest (eddy_reactor_t *r, const struct eddy_nest_ops *ops, void *world);
const struct eddy_nest_ops *eddy_reactor_nest (eddy_reactor_t *r, void **world);

#endif /* !EDDY_NEST_H */
