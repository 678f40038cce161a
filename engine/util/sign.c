/* sign.c - signed job requests behind an ops table: "none" (a plain
 * encoding of userid and payload) and "munge" (a MUNGE credential).
 */
#include <errno.h>
#include <limits.h>
#include <munge.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/util/fsd.h"
#include "engine/util/sign.h"

struct sign_ops {
    enum eddy_sign_mech mech;
    const char *name;
    char *(*wrap) (const struct eddy_sign_conf *conf,
                   uint32_t userid,
                   const void *payload,
                   size_t len,
                   eddy_error_t *err);
    /* Decode J (whose header matched); the same contract as
     * eddy_sign_unwrap () minus the type and size checks done there.
     */
    int (*unwrap) (const struct eddy_sign_conf *conf,
                   const char *J,
                   void **payload,
                   size_t *len,
                   uint32_t *userid,
                   eddy_error_t *err);
};

/* none */

#define NONE_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static char *none_wrap (const struct eddy_sign_conf *conf,
                        uint32_t userid,
                        const void *payload,
                        size_t len,
                        eddy_error_t *err)
{
    size_t n = sodium_base64_encoded_len (len, NONE_B64);
    char head[32];
    int hl = snprintf (head, sizeof (head), "none.%u.", (unsigned)userid);
    char *J = malloc (hl + n);

    (void)conf;
    if (!J) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    memcpy (J, head, hl);
    sodium_bin2base64 (J + hl, n, payload ? payload : (const void *)"", len, NONE_B64);
    return J;
}

/* UID: decimal, no sign, no leading zero, fits 32 bits. */
static int parse_uid (const char *s, size_t n, uint32_t *uid)
{
    uint64_t v = 0;

    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *uid = (uint32_t)v;
    return 0;
}

static int none_unwrap (const struct eddy_sign_conf *conf,
                        const char *J,
                        void **payload,
                        size_t *len,
                        uint32_t *userid,
                        eddy_error_t *err)
{
    const char *uid_s = J + 5; /* after "none." */
    const char *dot = strchr (uid_s, '.');
    const char *b64, *end = NULL;
    size_t b64len, cap, n = 0;
    uint32_t uid;
    char *buf;

    (void)conf;
    if (!dot || parse_uid (uid_s, dot - uid_s, &uid) < 0) {
        errno = EINVAL;
        eddy_error_set (err, "signature: a 'none' signature needs none.UID.PAYLOAD");
        return -1;
    }
    b64 = dot + 1;
    b64len = strlen (b64);
    cap = b64len / 4 * 3 + 3;
    if (!(buf = malloc (cap + 1))) {
        eddy_error_set (err, "out of memory");
        return -1;
    }
    if (sodium_base642bin ((unsigned char *)buf, cap, b64, b64len, NULL, &n, &end, NONE_B64) != 0
        || end != b64 + b64len) {
        free (buf);
        errno = EINVAL;
        eddy_error_set (err, "signature: the payload of a 'none' signature is not base64url");
        return -1;
    }
    buf[n] = '\0';
    if (payload)
        *payload = buf;
    else
        free (buf);
    if (len)
        *len = n;
    if (userid)
        *userid = uid;
    return 0;
}

/* munge */

static const char *munge_path (const struct eddy_sign_conf *conf)
{
    return conf->munge_socket[0] ? conf->munge_socket : EDDY_SIGN_MUNGE_SOCKET_DEFAULT;
}

static munge_ctx_t munge_ctx (const struct eddy_sign_conf *conf, eddy_error_t *err)
{
    munge_ctx_t ctx = munge_ctx_create ();

    if (!ctx) {
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    if (conf->munge_socket[0]
        && munge_ctx_set (ctx, MUNGE_OPT_SOCKET, conf->munge_socket) != EMUNGE_SUCCESS) {
        munge_ctx_destroy (ctx);
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    return ctx;
}

/* Set errno and err for a munge error that is a failure. */
static void munge_fail (const struct eddy_sign_conf *conf,
                        munge_ctx_t ctx,
                        munge_err_t e,
                        eddy_error_t *err)
{
    switch (e) {
    case EMUNGE_SOCKET:
    case EMUNGE_TIMEOUT:
        errno = ECONNREFUSED;
        eddy_error_set (err, "cannot connect to munged at %s (is munged running?)",
                        munge_path (conf));
        break;
    case EMUNGE_NO_MEMORY:
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        break;
    case EMUNGE_CRED_INVALID:
        errno = EBADMSG;
        eddy_error_set (err, "credential rejected: key mismatch");
        break;
    case EMUNGE_BAD_CRED:
    case EMUNGE_BAD_VERSION:
    case EMUNGE_BAD_CIPHER:
    case EMUNGE_BAD_MAC:
    case EMUNGE_BAD_ZIP:
    case EMUNGE_BAD_LENGTH:
        errno = EBADMSG;
        eddy_error_set (err, "credential rejected: not a valid MUNGE credential");
        break;
    case EMUNGE_CRED_REWOUND:
        errno = EBADMSG;
        eddy_error_set (err, "credential rejected: encoded in the future (clocks differ)");
        break;
    case EMUNGE_CRED_UNAUTHORIZED:
        errno = EBADMSG;
        eddy_error_set (err, "credential rejected: this user may not decode it");
        break;
    default: {
        const char *s = ctx ? munge_ctx_strerror (ctx) : NULL;
        errno = EPERM;
        eddy_error_set (err, "munge: %s", s ? s : munge_strerror (e));
        break;
    }
    }
}

static char *munge_wrap (const struct eddy_sign_conf *conf,
                         uint32_t userid,
                         const void *payload,
                         size_t len,
                         eddy_error_t *err)
{
    munge_ctx_t ctx;
    munge_err_t e;
    char *cred = NULL;

    if (userid != (uint32_t)getuid ()) {
        errno = EPERM;
        eddy_error_set (err, "munge signs only as the calling user");
        return NULL;
    }
    if (len > INT_MAX) {
        errno = EINVAL;
        eddy_error_set (err, "payload too large to sign");
        return NULL;
    }
    if (!(ctx = munge_ctx (conf, err)))
        return NULL;
    e = munge_encode (&cred, ctx, payload, (int)len);
    if (e != EMUNGE_SUCCESS) {
        munge_fail (conf, ctx, e, err);
        int saved = errno;
        munge_ctx_destroy (ctx);
        free (cred);
        errno = saved;
        return NULL;
    }
    munge_ctx_destroy (ctx);
    return cred;
}

static int munge_unwrap (const struct eddy_sign_conf *conf,
                         const char *J,
                         void **payload,
                         size_t *len,
                         uint32_t *userid,
                         eddy_error_t *err)
{
    munge_ctx_t ctx;
    munge_err_t e;
    void *buf = NULL;
    int n = 0;
    uid_t uid;
    gid_t gid;
    time_t t_enc = 0, t_dec = 0;
    char *copy;

    if (!(ctx = munge_ctx (conf, err)))
        return -1;
    e = munge_decode (J, ctx, &buf, &n, &uid, &gid);
    /* Expired (munged's own ttl) and replayed are verified credentials:
     * max-ttl below is the bound (header).
     */
    if (e != EMUNGE_SUCCESS && e != EMUNGE_CRED_EXPIRED && e != EMUNGE_CRED_REPLAYED) {
        munge_fail (conf, ctx, e, err);
        goto error;
    }
    if (munge_ctx_get (ctx, MUNGE_OPT_ENCODE_TIME, &t_enc) != EMUNGE_SUCCESS
        || munge_ctx_get (ctx, MUNGE_OPT_DECODE_TIME, &t_dec) != EMUNGE_SUCCESS) {
        errno = EPROTO;
        eddy_error_set (err, "munge: no encode/decode time in the credential");
        goto error;
    }
    if ((double)(t_dec - t_enc) > conf->max_ttl) {
        errno = EKEYEXPIRED;
        eddy_error_set (err, "signature expired (older than max-ttl %g s)", conf->max_ttl);
        goto error;
    }
    /* A NUL after the bytes, as the header promises. */
    if (!(copy = malloc ((size_t)n + 1))) {
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        goto error;
    }
    if (n > 0)
        memcpy (copy, buf, (size_t)n);
    copy[n] = '\0';
    free (buf);
    munge_ctx_destroy (ctx);
    if (payload)
        *payload = copy;
    else
        free (copy);
    if (len)
        *len = (size_t)n;
    if (userid)
        *userid = (uint32_t)uid;
    return 0;
error: {
    int saved = errno;
    free (buf);
    munge_ctx_destroy (ctx);
    errno = saved;
    return -1;
}
}

static const struct sign_ops sign_mechs[] = {
    {EDDY_SIGN_NONE, "none", none_wrap, none_unwrap},
    {EDDY_SIGN_MUNGE, "munge", munge_wrap, munge_unwrap},
};

static const struct sign_ops *ops_byname (const char *name)
{
    for (size_t i = 0; i < sizeof (sign_mechs) / sizeof (sign_mechs[0]); i++)
        if (name && !strcmp (sign_mechs[i].name, name))
            return &sign_mechs[i];
    return NULL;
}

enum eddy_sign_mech eddy_sign_mech_parse (const char *name)
{
    const struct sign_ops *ops = ops_byname (name);
    return ops ? ops->mech : 0;
}

const char *eddy_sign_mech_name (enum eddy_sign_mech mech)
{
    for (size_t i = 0; i < sizeof (sign_mechs) / sizeof (sign_mechs[0]); i++)
        if (sign_mechs[i].mech == mech)
            return sign_mechs[i].name;
    return NULL;
}

/* Configuration */

void eddy_sign_conf_init (struct eddy_sign_conf *conf, bool multi_user)
{
    memset (conf, 0, sizeof (*conf));
    conf->max_ttl = EDDY_SIGN_MAX_TTL_DEFAULT;
    if (multi_user) {
        strcpy (conf->default_type, "munge");
        conf->allowed = EDDY_SIGN_MUNGE;
    }
    else {
        strcpy (conf->default_type, "none");
        conf->allowed = EDDY_SIGN_MUNGE | EDDY_SIGN_NONE;
    }
}

static const char *none_refused = "'none' is allowed only in a single-user instance";

static int parse_types (json_t *v, bool multi_user, unsigned *allowed, eddy_error_t *err)
{
    size_t i;
    json_t *e;

    if (!json_is_array (v) || json_array_size (v) == 0)
        return eddy_error_set (err, "sign.allowed-types: a non-empty array of \"munge\", \"none\"");
    *allowed = 0;
    json_array_foreach (v, i, e) {
        enum eddy_sign_mech m = eddy_sign_mech_parse (json_string_value (e));
        if (!m)
            return eddy_error_set (err, "sign.allowed-types[%zu]: unknown type (munge, none)", i);
        if (m == EDDY_SIGN_NONE && multi_user)
            return eddy_error_set (err, "sign.allowed-types: %s", none_refused);
        *allowed |= m;
    }
    return 0;
}

static int parse_ttl (json_t *v, double *ttl, eddy_error_t *err)
{
    eddy_error_t e;

    if (json_is_integer (v) || json_is_real (v))
        *ttl = json_number_value (v);
    else if (json_is_string (v)) {
        if (eddy_fsd_parse (json_string_value (v), ttl, &e) < 0)
            return eddy_error_set (err, "sign.max-ttl: %s", e.text);
    }
    else
        return eddy_error_set (err, "sign.max-ttl: a number of seconds or a duration");
    if (!(*ttl > 0) || *ttl > 1e12)
        return eddy_error_set (err, "sign.max-ttl: must be > 0 seconds (and finite)");
    return 0;
}

int eddy_sign_conf_parse (struct eddy_sign_conf *conf,
                          const json_t *table,
                          bool multi_user,
                          eddy_error_t *err)
{
    struct eddy_sign_conf c;
    const char *key;
    json_t *v;

    eddy_sign_conf_init (&c, multi_user);
    eddy_sign_conf_init (conf, multi_user);
    if (!table)
        return 0;
    if (!json_is_object (table)) {
        errno = EINVAL;
        return eddy_error_set (err, "sign: must be a table");
    }
    json_object_foreach ((json_t *)table, key, v) {
        int rc = 0;
        if (!strcmp (key, "max-ttl"))
            rc = parse_ttl (v, &c.max_ttl, err);
        else if (!strcmp (key, "allowed-types"))
            rc = parse_types (v, multi_user, &c.allowed, err);
        else if (!strcmp (key, "default-type")) {
            const char *s = json_string_value (v);
            if (!eddy_sign_mech_parse (s))
                rc = eddy_error_set (err, "sign.default-type: \"munge\" or \"none\"");
            else
                snprintf (c.default_type, sizeof (c.default_type), "%s", s);
        }
        else if (!strcmp (key, "munge-socket")) {
            const char *s = json_string_value (v);
            if (!s || s[0] != '/' || strlen (s) >= sizeof (c.munge_socket))
                rc = eddy_error_set (err, "sign.munge-socket: an absolute path of < %zu bytes",
                                     sizeof (c.munge_socket));
            else
                snprintf (c.munge_socket, sizeof (c.munge_socket), "%s", s);
        }
        else
            rc = eddy_error_set (err, "sign.%s: unknown key (max-ttl, default-type, "
                                      "allowed-types, munge-socket)", key);
        if (rc < 0) {
            errno = EINVAL;
            return -1;
        }
    }
    /* A default type given without allowed-types narrows nothing: the
     * default set must hold it (none is refused for multi-user above).
     */
    enum eddy_sign_mech def = eddy_sign_mech_parse (c.default_type);
    if (def == EDDY_SIGN_NONE && multi_user) {
        errno = EINVAL;
        return eddy_error_set (err, "sign.default-type: %s", none_refused);
    }
    if (!(c.allowed & def)) {
        errno = EINVAL;
        return eddy_error_set (err, "sign.default-type: \"%s\" is not in allowed-types",
                               c.default_type);
    }
    *conf = c;
    return 0;
}

json_t *eddy_sign_conf_tojson (const struct eddy_sign_conf *conf)
{
    json_t *types = json_array ();
    json_t *o;

    if (!types)
        goto nomem;
    for (size_t i = 0; i < sizeof (sign_mechs) / sizeof (sign_mechs[0]); i++)
        if ((conf->allowed & sign_mechs[i].mech)
            && json_array_append_new (types, json_string (sign_mechs[i].name)) < 0)
            goto nomem;
    o = json_pack ("{s:f s:s s:o s:s}", "max-ttl", conf->max_ttl, "default-type",
                   conf->default_type, "allowed-types", types, "munge-socket",
                   munge_path (conf));
    if (!o)
        goto nomem_o;
    return o;
nomem:
    json_decref (types);
nomem_o:
    errno = ENOMEM;
    return NULL;
}

/* Signing and verifying */

char *eddy_sign_wrap_as (const struct eddy_sign_conf *conf,
                         const char *mech,
                         uint32_t userid,
                         const void *payload,
                         size_t len,
                         eddy_error_t *err)
{
    const struct sign_ops *ops = ops_byname (mech ? mech : conf->default_type);

    if (!ops) {
        errno = EINVAL;
        eddy_error_set (err, "unknown signature type '%s' (munge, none)",
                        mech ? mech : conf->default_type);
        return NULL;
    }
    return ops->wrap (conf, userid, payload, len, err);
}

char *eddy_sign_wrap (const struct eddy_sign_conf *conf,
                      const char *mech,
                      const void *payload,
                      size_t len,
                      eddy_error_t *err)
{
    return eddy_sign_wrap_as (conf, mech, (uint32_t)getuid (), payload, len, err);
}

static void allowed_list (unsigned allowed, char *buf, size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof (sign_mechs) / sizeof (sign_mechs[0]); i++)
        if (allowed & sign_mechs[i].mech)
            off += snprintf (buf + off, off < size ? size - off : 0, "%s%s", off ? ", " : "",
                             sign_mechs[i].name);
}

int eddy_sign_unwrap (const struct eddy_sign_conf *conf,
                      const char *J,
                      void **payload,
                      size_t *len,
                      uint32_t *userid,
                      char *mech,
                      size_t mechlen,
                      eddy_error_t *err)
{
    const struct sign_ops *ops;
    size_t n;
    char list[64];

    if (!J || !(n = strnlen (J, EDDY_SIGN_MAX_TEXT + 1)) || n > EDDY_SIGN_MAX_TEXT) {
        errno = EINVAL;
        return eddy_error_set (err, "signature: empty or longer than %u bytes",
                               EDDY_SIGN_MAX_TEXT);
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)J[i] < 0x21 || (unsigned char)J[i] > 0x7e) {
            errno = EINVAL;
            return eddy_error_set (err, "signature: byte %zu is not printable ASCII", i);
        }
    if (!strncmp (J, "none.", 5))
        ops = ops_byname ("none");
    else if (!strncmp (J, "MUNGE:", 6))
        ops = ops_byname ("munge");
    else {
        errno = EINVAL;
        return eddy_error_set (err, "signature: not a signed request (none.* or MUNGE:*)");
    }
    if (!(conf->allowed & ops->mech)) {
        allowed_list (conf->allowed, list, sizeof (list));
        errno = EPERM;
        return eddy_error_set (err, "signature type %s is not allowed (allowed-types: %s)",
                               ops->name, list);
    }
    if (ops->unwrap (conf, J, payload, len, userid, err) < 0)
        return -1;
    if (mech && mechlen)
        snprintf (mech, mechlen, "%s", ops->name);
    return 0;
}

int eddy_sign_check_user (uint32_t signer, uint32_t expected, eddy_error_t *err)
{
    if (signer == expected)
        return 0;
    errno = EPERM;
    return eddy_error_set (err, "signed by uid %u, not %u", (unsigned)signer,
                           (unsigned)expected);
}

int eddy_sign_check_payload (const void *signed_payload,
                             size_t signed_len,
                             const void *payload,
                             size_t len,
                             eddy_error_t *err)
{
    if (signed_len == len && (len == 0 || !memcmp (signed_payload, payload, len)))
        return 0;
    errno = EPERM;
    return eddy_error_set (err,
                           "signature is over other bytes than the jobspec (%zu signed, "
                           "%zu received)",
                           signed_len, len);
}
