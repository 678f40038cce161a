/* eddy/policy.h - the scheduling policy API: what a policy sees in one
 * scheduling pass and the ops table it is registered by.  eddy's own
 * policies (fcfs, easy, conservative) and plugins loaded from a shared
 * object (`--policy ./mypolicy.so`) use this one table.
 *
 * Installed as <eddy/policy.h> (pkg-config eddy-policy); a plugin needs
 * this header only, no library.  docs/policy-plugins.md has the rules a
 * policy must keep and an example.
 */
#ifndef EDDY_POLICY_H
#define EDDY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of every structure in this file: their layout and the
 * meaning of their fields.  Any change to one of them (a field added,
 * removed, retyped or given a new meaning) raises it.  eddy loads a plugin
 * only if the plugin's table carries eddy's version; a plugin is rebuilt
 * against the new header to move up.  Version 2 added the resource pool
 * (struct eddy_policy_pool_ops, eddy_policy_input.pool_ops/pool_ctx);
 * its intersect and subtract ops joined it before version 2 was released.
 */
#define EDDY_POLICY_ABI_VERSION 2

/* Input
 *
 * A pass is a pure function of struct eddy_policy_input: the queue in
 * order, the running jobs, the idle processors and the time.  Processors
 * are counted, not named: eddy maps a count onto nodes and cores.  Times
 * are in seconds; `now` is virtual in the simulator.  eddy checks the
 * input before a pass: every queued job has procs >= 1 and req >= 0,
 * every running job procs >= 0, req >= 0 and a finite start, free >= 0,
 * now finite.
 */

/* A queued job, in queue order (queue[0] is the head).  req is its time
 * limit, what reservations plan with: >= 0, INFINITY for a job without
 * one.  A job may run past req (its limit is then enforced elsewhere).
 */
struct eddy_policy_job {
    int procs;
    double req;
};

/* A running job.  seq is its start order (unique, increasing): it breaks
 * ties between jobs with the same predicted end, max (start + req, now).
 * The array is in no promised order.
 */
struct eddy_policy_running {
    int procs;
    double start;
    double req;
    uint64_t seq;
};

/* Resource pools (version 2)
 *
 * When jobs have shapes (nodes, cores per node, GPUs, whole nodes), counts
 * cannot say whether a job fits: the caller then hands the policy a pool
 * interface, and the policy plans with opaque pools of resources instead
 * of numbers.  A pool is a set of resources the policy owns (made by
 * copy_free or copy, freed by destroy); eddy backs it with R.
 *
 * copy_free       a new pool holding what is free now, including the
 *                 starts made so far in this pass; NULL + ENOMEM.
 * copy            a new pool equal to pool; NULL + ENOMEM.
 * fits            true if queue[index] could be placed in pool now.
 * take            place queue[index] in pool (as the caller would) and
 *                 remove what it takes: 0, or -1 if it does not fit.
 * take_started    remove from pool what queue[index], started in this
 *                 pass, was given (the part of it that is in pool).
 * release_running add running[index]'s resources to pool.
 * release_started add the resources of queue[index], started in this
 *                 pass, to pool.
 * start_within    start queue[index] on resources that are free now and
 *                 in within (a pool), like start (same guard, same
 *                 return): a job backfilled into what a reservation does
 *                 not need must not land on what it needs.
 * destroy         free a pool (NULL is a no-op).
 * intersect       make pool what is in both pool and other: 0, or -1 +
 *                 ENOMEM.  A node is whole (idle) in the result only if
 *                 it is whole in both.
 * subtract        remove from pool what of other is in it: 0, or -1 +
 *                 ENOMEM.  With copy and take, it names what a take took:
 *                 A = copy (X); take (X, i); subtract (A, X) leaves in A
 *                 exactly queue[i]'s placement.
 *
 * pool_ops NULL: no pool; the policy plans on counts.  Every job, queued
 * or running, still has its procs (total cores), so counts remain a
 * necessary condition either way.
 */
struct eddy_policy_pool_ops {
    void *(*copy_free) (void *ctx);
    void *(*copy) (const void *pool);
    bool (*fits) (const void *pool, size_t index);
    int (*take) (void *pool, size_t index);
    int (*take_started) (void *pool, size_t index);
    int (*release_running) (void *pool, size_t index);
    int (*release_started) (void *pool, size_t index);
    int (*start_within) (void *ctx, size_t index, const void *within);
    void (*destroy) (void *pool);
    int (*intersect) (void *pool, const void *other);
    int (*subtract) (void *pool, const void *other);
};

struct eddy_policy_input {
    const struct eddy_policy_job *queue;
    size_t nqueue;
    const struct eddy_policy_running *running;
    size_t nrunning;
    int free; /* idle processors now */
    double now;
    /* version 2: may be NULL (plan on counts); ctx is passed to copy_free
     * and start_within */
    const struct eddy_policy_pool_ops *pool_ops;
    void *pool_ctx;
};

/* Starting jobs
 *
 * A policy starts queue[index] by calling start (index, arg) with the
 * start and arg it was given, in the order it decides.  0: the job
 * started and holds its procs from now.  -1: it did not (the caller could
 * not place it after all, e.g. its cores are fragmented); the policy then
 * treats it as a job that does not fit now.  eddy also refuses (-1) an
 * index out of range, a job already started in this pass and a job with
 * more procs than are left free, and then fails the pass (EPROTO) once
 * run returns: each is a bug in the policy.
 */
typedef int (*eddy_policy_start_f) (size_t index, void *arg);

/* The ops table
 *
 * abi_version  EDDY_POLICY_ABI_VERSION as the policy was built; the first
 *              member in every version, so eddy can read it from any.
 * name         short name for logs and reports ("sjf").
 * create       optional: make the policy's own state (scratch space),
 *              once, when eddy creates the policy; NULL + errno on error.
 *              Without it the state is NULL.
 * destroy      optional: free what create made.
 * run          one pass: call start for each job to start now.  Returns
 *              the number of jobs started, or -1 with errno (ENOMEM).
 *
 * A policy holds no global or static writable data: thousands of
 * instances share one process in the simulator, each with its own state.
 * run is a pure function of its input: no clock, no I/O, no randomness;
 * ties are broken by queue order or seq, never by pointer values or hash
 * order; nothing kept in the state changes a later pass's decisions.
 */
struct eddy_policy_ops {
    int abi_version;
    const char *name;
    void *(*create) (void);
    void (*destroy) (void *state);
    int (*run) (void *state,
                const struct eddy_policy_input *in,
                eddy_policy_start_f start,
                void *arg);
};

/* Plugins
 *
 * A plugin is a shared object that defines this one table, const, with
 * default visibility:
 *
 *     const struct eddy_policy_ops eddy_policy_plugin = {
 *         .abi_version = EDDY_POLICY_ABI_VERSION,
 *         .name = "sjf",
 *         .run = sjf_run,
 *     };
 *
 * eddy loads it with dlopen (RTLD_NOW | RTLD_LOCAL) and looks it up by
 * this name.
 */
#define EDDY_POLICY_PLUGIN_SYMBOL "eddy_policy_plugin"

#if defined(__GNUC__)
__attribute__ ((visibility ("default")))
#endif
extern const struct eddy_policy_ops eddy_policy_plugin;

#ifdef __cplusplus
}
#endif

#endif /* !EDDY_POLICY_H */
