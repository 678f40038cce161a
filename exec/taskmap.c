/* taskmap.c - spread a job's tasks over the ranks of its R by their
 * allocated cores (see taskmap.h for the rule).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/idset.h"
#include "exec/taskmap.h"
#include "sched/jobspec.h"
#include "sched/rlist.h"

struct eddy_taskmap {
    int nranks;
    int ntasks;
    struct eddy_taskmap_rank *ranks;
    char **cores; /* owned text behind ranks[i].cores */
    char **gpus;  /* and ranks[i].gpus */
};

void eddy_taskmap_destroy (eddy_taskmap_t *tm)
{
    if (tm) {
        int saved_errno = errno;
        for (int i = 0; i < tm->nranks; i++) {
            free (tm->cores[i]);
            free (tm->gpus[i]);
        }
        free (tm->cores);
        free (tm->gpus);
        free (tm->ranks);
        free (tm);
        errno = saved_errno;
    }
}

static int by_rank (const void *a, const void *b)
{
    const struct eddy_taskmap_rank *x = a, *y = b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Fill tm->ranks from R_lite (already validated by rlist). */
static int read_rlite (eddy_taskmap_t *tm, json_t *rlite, eddy_error_t *err)
{
    size_t i, total = 0;
    json_t *entry;

    json_array_foreach (rlite, i, entry) {
        eddy_idset_t *ids = eddy_idset_decode (json_string_value (json_object_get (entry, "rank")), NULL);
        if (!ids)
            return eddy_error_set (err, "execution.R_lite[%zu].rank: invalid", i);
        total += eddy_idset_count (ids);
        eddy_idset_destroy (ids);
    }
    if (total == 0 || total > (1u << 20)) {
        errno = EINVAL;
        return eddy_error_set (err, "R has no ranks");
    }
    if (!(tm->ranks = calloc (total, sizeof (tm->ranks[0])))
        || !(tm->cores = calloc (total, sizeof (tm->cores[0])))
        || !(tm->gpus = calloc (total, sizeof (tm->gpus[0])))) {
        errno = ENOMEM;
        return eddy_error_set (err, "out of memory");
    }
    json_array_foreach (rlite, i, entry) {
        json_t *children = json_object_get (entry, "children");
        const char *ctext = json_string_value (json_object_get (children, "core"));
        const char *gtext = json_string_value (json_object_get (children, "gpu"));
        eddy_idset_t *ids = eddy_idset_decode (json_string_value (json_object_get (entry, "rank")), NULL);
        eddy_idset_t *cores = eddy_idset_decode (ctext ? ctext : "", NULL);
        eddy_idset_t *gpus = eddy_idset_decode (gtext ? gtext : "", NULL);
        if (!ids || !cores || !gpus) {
            eddy_idset_destroy (ids);
            eddy_idset_destroy (cores);
            eddy_idset_destroy (gpus);
            errno = EINVAL;
            return eddy_error_set (err, "execution.R_lite[%zu]: invalid idset", i);
        }
        int ncores = (int)eddy_idset_count (cores);
        char *text = eddy_idset_encode (cores, EDDY_IDSET_RANGE);
        char *gt = eddy_idset_encode (gpus, EDDY_IDSET_RANGE);
        bool oom = !text || !gt;
        for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID && !oom;
             r = eddy_idset_next (ids, r)) {
            struct eddy_taskmap_rank *tr = &tm->ranks[tm->nranks];
            if (!(tm->cores[tm->nranks] = strdup (text)) || !(tm->gpus[tm->nranks] = strdup (gt))) {
                free (tm->cores[tm->nranks]);
                tm->cores[tm->nranks] = NULL;
                oom = true;
                break;
            }
            tr->rank = r;
            tr->ncores = ncores;
            tm->nranks++;
        }
        eddy_idset_destroy (ids);
        eddy_idset_destroy (cores);
        eddy_idset_destroy (gpus);
        free (text);
        free (gt);
        if (oom) {
            errno = ENOMEM;
            return eddy_error_set (err, "out of memory");
        }
    }
    /* sort the ranks and their core and gpu text together */
    for (int k = 0; k < tm->nranks; k++) {
        tm->ranks[k].cores = tm->cores[k];
        tm->ranks[k].gpus = tm->gpus[k];
    }
    qsort (tm->ranks, tm->nranks, sizeof (tm->ranks[0]), by_rank);
    for (int k = 0; k < tm->nranks; k++) {
        tm->cores[k] = (char *)tm->ranks[k].cores;
        tm->gpus[k] = (char *)tm->ranks[k].gpus;
    }
    return 0;
}

/* Deal the tasks: round robin over ranks with room, then over ranks with
 * cores (or all ranks, if none has any).
 */
static void deal (eddy_taskmap_t *tm, int ntasks, int cores_per_task)
{
    int left = ntasks;
    bool progress = true;

    while (left > 0 && progress) {
        progress = false;
        for (int i = 0; i < tm->nranks && left > 0; i++) {
            struct eddy_taskmap_rank *tr = &tm->ranks[i];
            int room = tr->ncores / cores_per_task;
            if (room == 0 && tr->ncores > 0)
                room = 1;
            if (tr->ntasks < room) {
                tr->ntasks++;
                left--;
                progress = true;
            }
        }
    }
    bool any_cores = false;
    for (int i = 0; i < tm->nranks; i++)
        if (tm->ranks[i].ncores > 0)
            any_cores = true;
    while (left > 0) {
        for (int i = 0; i < tm->nranks && left > 0; i++) {
            if (!any_cores || tm->ranks[i].ncores > 0) {
                tm->ranks[i].ntasks++;
                left--;
            }
        }
    }
    int base = 0;
    for (int i = 0; i < tm->nranks; i++) {
        tm->ranks[i].base = base;
        base += tm->ranks[i].ntasks;
    }
    tm->ntasks = ntasks;
}

eddy_taskmap_t *eddy_taskmap_create (json_t *R, int ntasks, int cores_per_task, eddy_error_t *err)
{
    eddy_taskmap_t *tm = NULL;
    eddy_rlist_t *rl;

    if (ntasks < 1 || cores_per_task < 1) {
        errno = EINVAL;
        eddy_error_set (err, "ntasks and cores per task must be >= 1");
        return NULL;
    }
    if (!(rl = eddy_rlist_from_json (R, 0, err)))
        return NULL;
    eddy_rlist_destroy (rl);
    if (!(tm = calloc (1, sizeof (*tm)))) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    json_t *rlite = json_object_get (json_object_get (R, "execution"), "R_lite");
    if (read_rlite (tm, rlite, err) < 0)
        goto error;
    deal (tm, ntasks, cores_per_task);
    return tm;
error:
    eddy_taskmap_destroy (tm);
    return NULL;
}

eddy_taskmap_t *eddy_taskmap_from_jobspec (json_t *R, json_t *jobspec, eddy_error_t *err)
{
    eddy_jobspec_t *js = eddy_jobspec_parse (jobspec, EDDY_JOBSPEC_CANONICAL, err);
    eddy_taskmap_t *tm = NULL;

    if (!js) {
        eddy_error_prefix (err, "jobspec");
        return NULL;
    }
    if (eddy_jobspec_summary_check (js, err) < 0 || eddy_jobspec_ntasks (js) < 1) {
        if (eddy_jobspec_ntasks (js) < 1 && eddy_jobspec_nslots (js) > 0)
            eddy_error_set (err, "jobspec: no tasks");
        errno = EINVAL;
        goto done;
    }
    int ntasks = eddy_jobspec_ntasks (js);
    long cores = (long)eddy_jobspec_cores_per_slot (js) * eddy_jobspec_nslots (js);
    long cpt = cores / ntasks;
    tm = eddy_taskmap_create (R, ntasks, cpt < 1 ? 1 : (int)cpt, err);
done:
    eddy_jobspec_destroy (js);
    return tm;
}

int eddy_taskmap_nranks (const eddy_taskmap_t *tm)
{
    return tm ? tm->nranks : 0;
}

const struct eddy_taskmap_rank *eddy_taskmap_get (const eddy_taskmap_t *tm, int i)
{
    if (!tm || i < 0 || i >= tm->nranks) {
        errno = EINVAL;
        return NULL;
    }
    return &tm->ranks[i];
}

int eddy_taskmap_ntasks (const eddy_taskmap_t *tm)
{
    return tm ? tm->ntasks : 0;
}
