/* jobspec.h - jobspec (RFC 14 canonical, RFC 25 version 1): load, validate,
 * build from a command line, and answer the questions a scheduler asks
 * (how many nodes, slots, cores and GPUs per slot, tasks, time limit).
 */
#ifndef EDDY_SCHED_JOBSPEC_H
#define EDDY_SCHED_JOBSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

typedef struct eddy_jobspec eddy_jobspec_t;

typedef enum {
    EDDY_JOBSPEC_V1 = 1,        /* RFC 25: node>slot>core[,gpu] or slot>... */
    EDDY_JOBSPEC_CANONICAL = 2, /* RFC 14: any resource graph, count ranges */
} eddy_jobspec_level_t;

/* Loading text.
 *
 * eddy_jobspec_load () parses buf[0..len) (not NUL-terminated) as JSON when
 * its first non-blank character is '{' or '[', otherwise as one YAML
 * document (sched/yaml.h describes typing, tags, anchors and limits).
 * JSON objects with duplicate keys are rejected.  Returns a new reference
 * or NULL with errno EINVAL/ERANGE/ENOMEM and err naming the problem.
 * Loading does not validate; pass the result to eddy_jobspec_parse ().
 */
json_t *eddy_jobspec_load (const char *buf, size_t len, eddy_error_t *err);

/* Validation.
 *
 * eddy_jobspec_parse () validates obj at the given level and returns a
 * jobspec holding its own reference to obj (the caller keeps its own).
 * A canonical jobspec follows RFC 14 as flux-core's Jobspec class checks
 * it; V1 adds the RFC 25 rules (version 1, one node or slot vertex,
 * node>slot>core[,gpu], plain integer counts, one task counted per_slot or
 * total, attributes.system.duration required).  Deliberate choices:
 * - a gpu count of 0 is accepted (flux-core accepts it and treats it as no
 *   GPUs; RFC 14/25 schemas say >= 1).  node, slot and core counts must be
 *   >= 1; other resource counts >= 0.
 * - per_slot may be any integer >= 1 at V1 (RFC 25 says 1; flux-core
 *   accepts more).
 * - a task's slot is not required to name a slot label (flux-core's own
 *   valid vectors name a missing label).
 * On failure returns NULL, errno EINVAL (ENOMEM), and err holds a message
 * that starts with the path of the offending value, e.g.
 * "resources[0].count: must be >= 1".
 * eddy_jobspec_destroy (NULL) is a no-op; destroy keeps errno.
 */
eddy_jobspec_t *
eddy_jobspec_parse (json_t *obj, eddy_jobspec_level_t level, eddy_error_t *err);
void eddy_jobspec_destroy (eddy_jobspec_t *js);

/* Load + parse in one step (text as for eddy_jobspec_load ()). */
eddy_jobspec_t *eddy_jobspec_decode (const char *buf,
                                     size_t len,
                                     eddy_jobspec_level_t level,
                                     eddy_error_t *err);

/* The validated document (borrowed; valid until destroy).  Encode it with
 * JSON_COMPACT | JSON_SORT_KEYS for the canonical text form.
 */
json_t *eddy_jobspec_json (const eddy_jobspec_t *js);

/* The level it was validated at, and its version number. */
eddy_jobspec_level_t eddy_jobspec_level (const eddy_jobspec_t *js);
int eddy_jobspec_version (const eddy_jobspec_t *js);

/* Resource summary for schedulers.
 *
 * The summary describes the (last) innermost slot: nslots is how many of
 * it the request asks for in total (its count times the counts of every
 * vertex above it), cores/gpus_per_slot count the cores/GPUs below one
 * slot, nnodes is the total node count (0 when no node vertex: the
 * scheduler may place slots anywhere), exclusive is true when a node or
 * slot vertex asks for exclusive use.  Count ranges use their minimum.
 * eddy_jobspec_summary_check () returns 0 when the summary is usable, or
 * -1 with errno EINVAL and err saying why ("Unable to determine slot
 * count" / "... slot size"); a V1 jobspec always passes.  When it fails
 * the counts below are 0.
 * ntasks: per_slot N gives N * nslots, total N gives N.
 * duration: attributes.system.duration in seconds, 0 = unlimited.
 */
int eddy_jobspec_summary_check (const eddy_jobspec_t *js, eddy_error_t *err);
int eddy_jobspec_nnodes (const eddy_jobspec_t *js);
int eddy_jobspec_nslots (const eddy_jobspec_t *js);
int eddy_jobspec_cores_per_slot (const eddy_jobspec_t *js);
int eddy_jobspec_gpus_per_slot (const eddy_jobspec_t *js);
bool eddy_jobspec_exclusive (const eddy_jobspec_t *js);
int eddy_jobspec_ntasks (const eddy_jobspec_t *js);
double eddy_jobspec_duration (const eddy_jobspec_t *js);

/* Attribute lookups (borrowed; NULL when absent).
 * queue and cwd: attributes.system.{queue,cwd} when strings.
 * attributes: the whole attributes object.  command: tasks[0].command.
 */
const char *eddy_jobspec_queue (const eddy_jobspec_t *js);
const char *eddy_jobspec_cwd (const eddy_jobspec_t *js);
json_t *eddy_jobspec_attributes (const eddy_jobspec_t *js);
json_t *eddy_jobspec_command (const eddy_jobspec_t *js);

/* Building a V1 jobspec from a command line (what `eddy submit` does).
 *
 * argv[0..argc) is the command (argc >= 1).  ntasks >= 1 tasks with
 * cores_per_task >= 1 cores and gpus_per_task >= 0 GPUs each; nnodes 0
 * lets the scheduler place tasks anywhere, nnodes >= 1 (<= ntasks) spreads
 * them over that many nodes (ceil (ntasks / nnodes) slots per node; task
 * count "total" when uneven) and exclusive asks for those nodes whole.
 * duration >= 0 (0 = unlimited); cwd may be NULL; environment (object of
 * strings) may be NULL for an empty one.  attributes may be NULL or an
 * object like {"system": {...}, "user": {...}} merged over the defaults
 * (its values win).  The result is validated at V1; returns NULL with
 * errno EINVAL (and err) on bad arguments, ENOMEM.  Borrowed inputs.
 */
struct eddy_jobspec_request {
    int argc;
    char *const *argv;
    int ntasks;
    int nnodes;
    int cores_per_task;
    int gpus_per_task;
    bool exclusive;
    double duration;
    const char *cwd;
    json_t *environment;
    json_t *attributes;
};

eddy_jobspec_t *eddy_jobspec_from_command (const struct eddy_jobspec_request *req,
                                           eddy_error_t *err);

#endif /* !EDDY_SCHED_JOBSPEC_H */
