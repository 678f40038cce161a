/* cpubind.c - R's logical core ids to the OS cpus a task is bound to,
 * through the node's hwloc topology (see cpubind.h).
 */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/idset.h"
#include "exec/cpubind.h"

struct eddy_cpubind {
    hwloc_topology_t topo;
    hwloc_obj_type_t type; /* what R's core ids count: cores, else PUs */
    int ncores;
    bool thissystem;
};

int eddy_cpubind_mode_parse (const char *s)
{
    if (!s || !strcmp (s, "on"))
        return EDDY_CPUBIND_ON;
    if (!strcmp (s, "off"))
        return EDDY_CPUBIND_OFF;
    if (!strcmp (s, "per-task"))
        return EDDY_CPUBIND_PER_TASK;
    errno = EINVAL;
    return -1;
}

eddy_cpubind_t *eddy_cpubind_create (eddy_error_t *err)
{
    eddy_cpubind_t *cb = calloc (1, sizeof (*cb));
    if (!cb) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    if (hwloc_topology_init (&cb->topo) < 0) {
        int e = errno;
        free (cb);
        eddy_error_set (err, "hwloc: cannot initialise a topology");
        errno = e ? e : ENOMEM;
        return NULL;
    }
    if (hwloc_topology_load (cb->topo) < 0) {
        int e = errno;
        hwloc_topology_destroy (cb->topo);
        free (cb);
        eddy_error_set (err, "hwloc: cannot load the node's topology");
        errno = e ? e : EINVAL;
        return NULL;
    }
    /* the broker's rule (resource discovery): cores, or PUs without cores */
    cb->type = HWLOC_OBJ_CORE;
    cb->ncores = hwloc_get_nbobjs_by_type (cb->topo, HWLOC_OBJ_CORE);
    if (cb->ncores <= 0) {
        cb->type = HWLOC_OBJ_PU;
        cb->ncores = hwloc_get_nbobjs_by_type (cb->topo, HWLOC_OBJ_PU);
    }
    if (cb->ncores < 0)
        cb->ncores = 0;
    cb->thissystem = hwloc_topology_is_thissystem (cb->topo) == 1;
    return cb;
}

void eddy_cpubind_destroy (eddy_cpubind_t *cb)
{
    if (cb) {
        int saved_errno = errno;
        hwloc_topology_destroy (cb->topo);
        free (cb);
        errno = saved_errno;
    }
}

bool eddy_cpubind_is_thissystem (const eddy_cpubind_t *cb)
{
    return cb && cb->thissystem;
}

int eddy_cpubind_ncores (const eddy_cpubind_t *cb)
{
    return cb ? cb->ncores : 0;
}

void eddy_cpubind_share (int n, int local, int nlocal, int *first, int *last)
{
    if (n >= nlocal) {
        *first = (int)((long)local * n / nlocal);
        *last = (int)((long)(local + 1) * n / nlocal) - 1;
    }
    else
        *first = *last = (int)((long)local * n / nlocal);
}

char *eddy_cpubind_task_gpus (const char *gpus, int mode, int local, int nlocal)
{
    eddy_idset_t *ids;
    char *text = NULL;
    size_t len = 0, cap;
    int first, last, i = 0;

    if (!gpus || (mode != EDDY_CPUBIND_ON && mode != EDDY_CPUBIND_PER_TASK) || nlocal < 1
        || local < 0 || local >= nlocal) {
        errno = EINVAL;
        return NULL;
    }
    if (!(ids = eddy_idset_decode (gpus, NULL)))
        return NULL;
    int n = (int)eddy_idset_count (ids);
    if (n == 0) {
        eddy_idset_destroy (ids);
        errno = EINVAL;
        return NULL;
    }
    if (mode == EDDY_CPUBIND_ON)
        first = 0, last = n - 1;
    else
        eddy_cpubind_share (n, local, nlocal, &first, &last);
    cap = (size_t)(last - first + 1) * 11 + 1;
    if (!(text = malloc (cap))) {
        eddy_idset_destroy (ids);
        return NULL;
    }
    text[0] = '\0';
    for (unsigned id = eddy_idset_first (ids); id != EDDY_IDSET_INVALID_ID;
         id = eddy_idset_next (ids, id), i++)
        if (i >= first && i <= last)
            len += (size_t)snprintf (text + len, cap - len, "%s%u", len ? "," : "", id);
    eddy_idset_destroy (ids);
    return text;
}

char *eddy_cpubind_task_cpus (const eddy_cpubind_t *cb,
                              const char *cores,
                              int mode,
                              int local,
                              int nlocal,
                              eddy_error_t *err)
{
    eddy_idset_t *ids = NULL;
    hwloc_bitmap_t set = NULL;
    unsigned *list = NULL;
    char *text = NULL;
    int n = 0, first, last;

    if (!cb || !cores || (mode != EDDY_CPUBIND_ON && mode != EDDY_CPUBIND_PER_TASK) ||
        nlocal < 1 || local < 0 || local >= nlocal) {
        eddy_error_set (err, "invalid arguments");
        errno = EINVAL;
        return NULL;
    }
    if (!(ids = eddy_idset_decode (cores, err)))
        return NULL;
    size_t count = eddy_idset_count (ids);
    if (count == 0 || count > (size_t)cb->ncores) {
        eddy_error_set (err, count ? "%zu cores, the node has %d" : "no cores", count,
                        cb->ncores);
        errno = EINVAL;
        goto done;
    }
    if (!(list = calloc (count, sizeof (*list))))
        goto nomem;
    for (unsigned id = eddy_idset_first (ids); id != EDDY_IDSET_INVALID_ID;
         id = eddy_idset_next (ids, id))
        list[n++] = id;
    if (mode == EDDY_CPUBIND_ON)
        first = 0, last = n - 1;
    else
        eddy_cpubind_share (n, local, nlocal, &first, &last);
    if (!(set = hwloc_bitmap_alloc ()))
        goto nomem;
    for (int i = first; i <= last; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type (cb->topo, cb->type, list[i]);
        if (!o || !o->cpuset) {
            eddy_error_set (err, "core %u is not in the node's topology (%d cores)",
                            list[i], cb->ncores);
            errno = EINVAL;
            goto done;
        }
        if (hwloc_bitmap_or (set, set, o->cpuset) < 0)
            goto nomem;
    }
    if (hwloc_bitmap_list_asprintf (&text, set) < 0) {
        text = NULL;
        goto nomem;
    }
    goto done;
nomem:
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
done:
    hwloc_bitmap_free (set);
    free (list);
    eddy_idset_destroy (ids);
    return text;
}
