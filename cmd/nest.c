/* nest.c - a nested instance's R and batch script from its parent (nest.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/nest.h"
#include "engine/util/fluid.h"
#include "engine/util/idset.h"
#include "kvs/kvs.h"
#include "transport/local/client.h"

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

static int lookup (eddy_handle_t *h, uint64_t id, const char *suffix, json_t **out,
                   eddy_error_t *err)
{
    char key[128];
    const char *text;
    eddy_future_t *f;

    eddy_kvs_job_key (key, sizeof (key), id, suffix);
    if (!(f = eddy_kvs_lookup (h, NULL, 0, key)) || eddy_kvs_lookup_get (f, &text) < 0) {
        int e = errno;
        eddy_error_set (err, "%s: %s", suffix,
                        f && eddy_future_error_string (f) ? eddy_future_error_string (f)
                                                           : strerror (e));
        eddy_future_destroy (f);
        errno = e;
        return -1;
    }
    *out = json_loads (text, JSON_DECODE_ANY, NULL); /* J is a string */
    eddy_future_destroy (f);
    if (!*out) {
        errno = EINVAL;
        return eddy_error_set (err, "%s: not JSON", suffix);
    }
    return 0;
}

/* The jobspec its user signed: J from the parent, verified here, so that
 * what the parent stored beside it does not count.
 */
static int signed_jobspec (eddy_handle_t *h, uint64_t id, const struct eddy_sign_conf *verify,
                           json_t **js, eddy_error_t *err)
{
    json_t *J = NULL;
    void *payload = NULL;
    size_t len;
    uint32_t signer;
    eddy_error_t e;

    if (lookup (h, id, "J", &J, &e) < 0) {
        errno = EPERM;
        return eddy_error_set (err, "J: the job has no signed jobspec (%s): its batch script "
                                    "would be the parent's word alone",
                               e.text);
    }
    if (!json_is_string (J)) {
        json_decref (J);
        errno = EPERM;
        return eddy_error_set (err, "J: not a string");
    }
    if (eddy_sign_unwrap (verify, json_string_value (J), &payload, &len, &signer, NULL, 0, &e)
        < 0) {
        int saved = errno;
        json_decref (J);
        errno = saved;
        return eddy_error_set (err, "J: %s", e.text);
    }
    json_decref (J);
    if (eddy_sign_check_user (signer, (uint32_t)getuid (), &e) < 0) {
        free (payload);
        errno = EPERM;
        return eddy_error_set (err, "J: %s (this instance's user)", e.text);
    }
    *js = json_loadb (payload, len, 0, NULL);
    free (payload);
    if (!*js) {
        errno = EINVAL;
        return eddy_error_set (err, "J: the signed jobspec is not JSON");
    }
    return 0;
}

int eddy_nest_fetch (const char *uri, const char *idstr, json_t **R, char **script,
                     const struct eddy_sign_conf *verify, eddy_error_t *err)
{
    uint64_t id;
    eddy_handle_t *h;
    eddy_error_t e;
    json_t *pR = NULL, *js = NULL;
    int rc = -1;

    if (eddy_fluid_parse (idstr, &id, NULL) < 0) {
        errno = EINVAL;
        return eddy_error_set (err, "EDDY_JOB_ID '%s' is not a job id", idstr);
    }
    if (!(h = eddy_open (uri, &e)))
        return eddy_error_set (err, "parent %s: %s", uri, e.text);
    if (lookup (h, id, "R", &pR, &e) < 0 || !(*R = eddy_nest_renumber_R (pR, &e))) {
        eddy_error_set (err, "job %s: %s", idstr, e.text);
        goto done;
    }
    if (script) {
        *script = NULL;
        if ((verify ? signed_jobspec (h, id, verify, &js, &e) : lookup (h, id, "jobspec", &js, &e))
            < 0) {
            eddy_error_set (err, "job %s: %s", idstr, e.text);
            json_decref (*R);
            *R = NULL;
            goto done;
        }
        json_t *s = json_object_get (
            json_object_get (json_object_get (json_object_get (js, "attributes"), "system"),
                             "batch"),
            "script");
        if (json_is_string (s) && !(*script = strdup (json_string_value (s)))) {
            eddy_error_set (err, "out of memory");
            json_decref (*R);
            *R = NULL;
            goto done;
        }
    }
    rc = 0;
done:
    json_decref (pR);
    json_decref (js);
    eddy_close (h);
    return rc;
}
