/* nest.c - a nested instance's R and batch script from its parent (nest.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/nest.h"
#include "engine/util/fluid.h"
#include "kvs/kvs.h"
#include "transport/local/client.h"

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
