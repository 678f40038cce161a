/* rstate.c - rank states from idsets, and drain targets (sched/rstate.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/hostlist.h"
#include "sched/rstate.h"

static const struct {
    const char *name;
    const char *help;
} states[EDDY_RSTATE_COUNT] = {
    [EDDY_RSTATE_AVAIL] = {"avail",
                           "online, neither excluded, drained nor torpid: schedulable"},
    [EDDY_RSTATE_ONLINE] = {"online", "its broker is online"},
    [EDDY_RSTATE_OFFLINE] = {"offline", "its broker is not online"},
    [EDDY_RSTATE_EXCLUDE] = {"exclude", "excluded by [resource] exclude"},
    [EDDY_RSTATE_DRAIN] = {"drain", "drained or draining"},
    [EDDY_RSTATE_DRAINING] = {"draining", "drained, with work still running"},
    [EDDY_RSTATE_DRAINED] = {"drained", "drained and idle"},
    [EDDY_RSTATE_ALLOCATED] = {"allocated", "running work"},
    [EDDY_RSTATE_LOST] = {"lost", "offline after having been online"},
    [EDDY_RSTATE_TORPID] = {"torpid",
                            "online, but its keepalives are late (tbon.torpid_max): "
                            "not scheduled on"},
};

const char *eddy_rstate_name (eddy_rstate_t state)
{
    return (unsigned)state < EDDY_RSTATE_COUNT ? states[state].name : NULL;
}

const char *eddy_rstate_help (eddy_rstate_t state)
{
    return (unsigned)state < EDDY_RSTATE_COUNT ? states[state].help : NULL;
}

int eddy_rstate_lookup (const char *name, size_t len)
{
    for (int i = 0; name && i < EDDY_RSTATE_COUNT; i++)
        if (strlen (states[i].name) == len && !strncmp (states[i].name, name, len))
            return i;
    return -1;
}

void eddy_rstate_free (eddy_idset_t *out[EDDY_RSTATE_COUNT])
{
    for (int i = 0; i < EDDY_RSTATE_COUNT; i++) {
        eddy_idset_destroy (out[i]);
        out[i] = NULL;
    }
}

/* a ∩ all, or an empty set for a NULL a */
static eddy_idset_t *within (const eddy_idset_t *a, const eddy_idset_t *all)
{
    return a ? eddy_idset_intersect (a, all) : eddy_idset_create ();
}

int eddy_rstate_compute (const struct eddy_rstate_input *in,
                         eddy_idset_t *out[EDDY_RSTATE_COUNT])
{
    eddy_idset_t *off = NULL, *excl = NULL, *drain = NULL, *alloc = NULL;

    for (int i = 0; i < EDDY_RSTATE_COUNT; i++)
        out[i] = NULL;
    if (!in || !in->all) {
        errno = EINVAL;
        return -1;
    }
    if (!(off = within (in->down, in->all)) ||
        !(excl = within (in->excluded, in->all)) ||
        !(drain = within (in->drained, in->all)) ||
        !(alloc = within (in->allocated, in->all)))
        goto error;
    out[EDDY_RSTATE_OFFLINE] = off;
    out[EDDY_RSTATE_EXCLUDE] = excl;
    out[EDDY_RSTATE_DRAIN] = drain;
    out[EDDY_RSTATE_ALLOCATED] = alloc;
    off = excl = drain = alloc = NULL;
    if (!(out[EDDY_RSTATE_ONLINE] =
              eddy_idset_difference (in->all, out[EDDY_RSTATE_OFFLINE])) ||
        !(out[EDDY_RSTATE_AVAIL] = eddy_idset_copy (out[EDDY_RSTATE_ONLINE])) ||
        eddy_idset_subtract (out[EDDY_RSTATE_AVAIL], out[EDDY_RSTATE_EXCLUDE]) < 0 ||
        eddy_idset_subtract (out[EDDY_RSTATE_AVAIL], out[EDDY_RSTATE_DRAIN]) < 0 ||
        !(out[EDDY_RSTATE_DRAINING] = eddy_idset_intersect (
              out[EDDY_RSTATE_DRAIN], out[EDDY_RSTATE_ALLOCATED])) ||
        !(out[EDDY_RSTATE_DRAINED] = eddy_idset_difference (
              out[EDDY_RSTATE_DRAIN], out[EDDY_RSTATE_ALLOCATED])) ||
        !(out[EDDY_RSTATE_LOST] = within (in->lost, out[EDDY_RSTATE_OFFLINE])) ||
        !(out[EDDY_RSTATE_TORPID] = within (in->torpid, out[EDDY_RSTATE_ONLINE])) ||
        eddy_idset_subtract (out[EDDY_RSTATE_AVAIL], out[EDDY_RSTATE_TORPID]) < 0)
        goto error;
    return 0;
error:
    eddy_idset_destroy (off);
    eddy_idset_destroy (excl);
    eddy_idset_destroy (drain);
    eddy_idset_destroy (alloc);
    eddy_rstate_free (out);
    errno = ENOMEM;
    return -1;
}

eddy_idset_t *eddy_rstate_ranks (const eddy_rlist_t *rl)
{
    char *text = eddy_rlist_ranks (rl);
    eddy_idset_t *ids = text ? eddy_idset_decode (text, NULL) : NULL;
    free (text);
    return ids;
}

struct host_rank {
    const char *name;
    unsigned rank;
};

static int cmp_host (const void *a, const void *b)
{
    return strcmp (((const struct host_rank *)a)->name,
                   ((const struct host_rank *)b)->name);
}

/* Hostnames through a sorted table: a hostlist of n hosts over R of m
 * ranks costs O((n + m) log m), not O(n m).
 */
static eddy_idset_t *hosts_to_ranks (const eddy_rlist_t *rl,
                                     const eddy_idset_t *all,
                                     const eddy_hostlist_t *hl,
                                     eddy_error_t *err)
{
    size_t m = eddy_idset_count (all), n = 0;
    struct host_rank *tab = calloc (m ? m : 1, sizeof (*tab));
    eddy_idset_t *ids = eddy_idset_create ();
    struct eddy_hostlist_iter it;
    const char *host;

    if (!tab || !ids)
        goto nomem;
    for (unsigned r = eddy_idset_first (all); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (all, r)) {
        const char *name = eddy_rlist_hostname (rl, r);
        if (name)
            tab[n++] = (struct host_rank){name, r};
    }
    qsort (tab, n, sizeof (*tab), cmp_host);
    eddy_hostlist_iter_init (&it, hl);
    while ((host = eddy_hostlist_iter_next (&it))) {
        struct host_rank key = {host, 0},
                         *hit = bsearch (&key, tab, n, sizeof (*tab), cmp_host);
        if (!hit) {
            eddy_error_set (err, "host %s is not a host of this instance", host);
            errno = EINVAL;
            goto error;
        }
        /* hosts may share a name (brokers on one machine): take them all */
        while (hit > tab && !strcmp (hit[-1].name, host))
            hit--;
        for (; hit < tab + n && !strcmp (hit->name, host); hit++)
            if (eddy_idset_set (ids, hit->rank) < 0)
                goto nomem;
    }
    free (tab);
    return ids;
nomem:
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
error:
    free (tab);
    eddy_idset_destroy (ids);
    return NULL;
}

eddy_idset_t *
eddy_rstate_targets (const eddy_rlist_t *rl, const char *targets, eddy_error_t *err)
{
    eddy_idset_t *all = NULL, *ids = NULL, *extra = NULL;
    eddy_hostlist_t *hl = NULL;

    if (!rl || !targets || !*targets) {
        eddy_error_set (err, "no targets (an idset of ranks or a hostlist)");
        errno = EINVAL;
        return NULL;
    }
    if (!(all = eddy_rstate_ranks (rl))) {
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    eddy_error_t ierr = {.text = ""};
    if (targets[strspn (targets, "0123456789,-[]")] == '\0' &&
        !(ids = eddy_idset_decode (targets, &ierr))) {
        /* meant as ranks, but not an idset ("3-1", "1,,2") */
        eddy_error_set (err, "'%s' is not an idset of ranks: %s", targets, ierr.text);
        errno = EINVAL;
        goto error;
    }
    if (ids || (ids = eddy_idset_decode (targets, NULL))) {
        if (!(extra = eddy_idset_difference (ids, all))) {
            eddy_error_set (err, "out of memory");
            errno = ENOMEM;
            goto error;
        }
        if (!eddy_idset_empty (extra)) {
            char *bad = eddy_idset_encode (extra, EDDY_IDSET_RANGE);
            char *have = eddy_idset_encode (all, EDDY_IDSET_RANGE);
            eddy_error_set (err, "rank%s %s %s not in this instance (its ranks: %s)",
                            eddy_idset_count (extra) > 1 ? "s" : "", bad ? bad : "?",
                            eddy_idset_count (extra) > 1 ? "are" : "is",
                            have && *have ? have : "none");
            free (have);
            free (bad);
            errno = EINVAL;
            goto error;
        }
    } else if ((hl = eddy_hostlist_decode (targets, NULL)) &&
               eddy_hostlist_count (hl) > 0) {
        if (!(ids = hosts_to_ranks (rl, all, hl, err)))
            goto error;
    } else {
        eddy_error_set (err, "'%s' is neither an idset of ranks nor a hostlist",
                        targets);
        errno = EINVAL;
        goto error;
    }
    eddy_idset_destroy (extra);
    eddy_idset_destroy (all);
    eddy_hostlist_destroy (hl);
    return ids;
error : {
    int saved = errno;
    eddy_idset_destroy (ids);
    eddy_idset_destroy (extra);
    eddy_idset_destroy (all);
    eddy_hostlist_destroy (hl);
    errno = saved;
}
    return NULL;
}
