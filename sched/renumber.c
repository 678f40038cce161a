/* renumber.c - an allocation's R as a nested instance's own (renumber.h). */
#include <errno.h>
#include <stdlib.h>

#include "engine/util/idset.h"
#include "sched/renumber.h"

/* The position of r among the n ascending ranks (r is one of them). */
static unsigned position (const unsigned *ranks, size_t n, unsigned r)
{
    size_t lo = 0, hi = n;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (ranks[mid] <= r)
            lo = mid;
        else
            hi = mid;
    }
    return (unsigned)lo;
}

/* ids (an idset string of ranks) renumbered; a new string. */
static json_t *renumber_ids (const char *s, const unsigned *ranks, size_t n, eddy_error_t *err)
{
    eddy_idset_t *in = eddy_idset_decode (s, err), *out = NULL;
    json_t *res = NULL;
    char *text = NULL;

    if (!in)
        return NULL;
    if (!(out = eddy_idset_create ()))
        goto done;
    for (unsigned r = eddy_idset_first (in); r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (in, r))
        if (eddy_idset_set (out, position (ranks, n, r)) < 0)
            goto done;
    if ((text = eddy_idset_encode (out, EDDY_IDSET_RANGE)))
        res = json_string (text);
done:
    if (!res)
        eddy_error_set (err, "out of memory");
    free (text);
    eddy_idset_destroy (in);
    eddy_idset_destroy (out);
    return res;
}

json_t *eddy_nest_renumber_R (json_t *R, eddy_error_t *err)
{
    json_t *copy = json_deep_copy (R);
    json_t *lite = json_object_get (json_object_get (copy, "execution"), "R_lite");
    json_t *props = json_object_get (json_object_get (copy, "execution"), "properties");
    eddy_idset_t *all = NULL;
    unsigned *ranks = NULL;
    size_t i, n = 0;
    json_t *e;
    const char *key;

    if (!copy) {
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    if (!json_is_array (lite) || !(all = eddy_idset_create ()))
        goto inval;
    json_array_foreach (lite, i, e) {
        const char *s = json_string_value (json_object_get (e, "rank"));
        eddy_idset_t *ids = s ? eddy_idset_decode (s, err) : NULL;
        if (!ids || eddy_idset_add (all, ids) < 0) {
            eddy_idset_destroy (ids);
            goto inval;
        }
        eddy_idset_destroy (ids);
    }
    if ((n = eddy_idset_count (all)) == 0 || !(ranks = calloc (n, sizeof (*ranks))))
        goto inval;
    i = 0;
    for (unsigned r = eddy_idset_first (all); r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (all, r))
        ranks[i++] = r;
    json_array_foreach (lite, i, e) {
        json_t *v = renumber_ids (json_string_value (json_object_get (e, "rank")), ranks, n, err);
        if (!v || json_object_set_new (e, "rank", v) < 0)
            goto inval;
    }
    json_t *pv;
    json_object_foreach (props, key, pv) {
        json_t *v = json_is_string (pv) ? renumber_ids (json_string_value (pv), ranks, n, err) : NULL;
        if (!v || json_object_set_new (props, key, v) < 0)
            goto inval;
    }
    free (ranks);
    eddy_idset_destroy (all);
    return copy;
inval:
    if (!err || !err->text[0] || n == 0)
        eddy_error_set (err, "not an R with ranks (execution.R_lite)");
    free (ranks);
    eddy_idset_destroy (all);
    json_decref (copy);
    errno = EINVAL;
    return NULL;
}
