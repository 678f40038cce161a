/* pmisign.c - PMI values signed with MUNGE (pmisign.h). */
#include <errno.h>
#include <munge.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/pmisign.h"
#include "engine/util/sign.h"

bool eddy_pmisign_is_signed (const char *value)
{
    size_t n = value ? strlen (value) : 0;
    return n > 7 && !strncmp (value, "MUNGE:", 6) && value[n - 1] == ':';
}

char *eddy_pmisign_payload (const char *kvsname, int rank, const char *key, const char *value)
{
    char *p;
    if (asprintf (&p, "%s\n%s\n%d\n%s\n%s", EDDY_PMISIGN_MAGIC, kvsname, rank, key, value) < 0) {
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

/* The n-th line of payload (0-based; the last runs to the end) into
 * *start, *len; -1 if there are fewer.
 */
static int field (const char *payload, int n, const char **start, size_t *len)
{
    const char *s = payload;
    for (int i = 0; i < n; i++) {
        if (!(s = strchr (s, '\n')))
            return -1;
        s++;
    }
    const char *nl = n < 4 ? strchr (s, '\n') : NULL;
    if (n < 4 && !nl)
        return -1;
    *start = s;
    *len = nl ? (size_t)(nl - s) : strlen (s);
    return 0;
}

static bool field_is (const char *payload, int n, const char *want)
{
    const char *s;
    size_t len;
    return field (payload, n, &s, &len) == 0 && len == strlen (want) && !memcmp (s, want, len);
}

char *eddy_pmisign_check_payload (const char *payload, const char *kvsname, int from,
                                  const char *key, eddy_error_t *err)
{
    const char *s;
    size_t len;
    char rank[16];

    if (!field_is (payload, 0, EDDY_PMISIGN_MAGIC) || field (payload, 4, &s, &len) < 0) {
        errno = EPERM;
        eddy_error_set (err, "PMI %s: the credential is not an eddy PMI value", key);
        return NULL;
    }
    if (!field_is (payload, 1, kvsname)) {
        field (payload, 1, &s, &len);
        errno = EPERM;
        eddy_error_set (err,
                        "PMI %s: signed for job (kvsname) %.*s, not %s: a value replayed "
                        "from another job",
                        key, (int)(len > 64 ? 64 : len), s, kvsname);
        return NULL;
    }
    if (!field_is (payload, 3, key)) {
        field (payload, 3, &s, &len);
        errno = EPERM;
        eddy_error_set (err, "PMI %s: signed as the value of %.*s: the PMI server substituted "
                             "another key's value",
                        key, (int)(len > 64 ? 64 : len), s);
        return NULL;
    }
    snprintf (rank, sizeof (rank), "%d", from);
    if (from >= 0 && !field_is (payload, 2, rank)) {
        field (payload, 2, &s, &len);
        errno = EPERM;
        eddy_error_set (err, "PMI %s: put by rank %.*s, not %d: the PMI server substituted "
                             "another rank's value",
                        key, (int)(len > 16 ? 16 : len), s, from);
        return NULL;
    }
    field (payload, 4, &s, &len);
    char *v = strndup (s, len);
    if (!v) {
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
    }
    return v;
}

static munge_ctx_t ctx_create (const char *socket, eddy_error_t *err)
{
    munge_ctx_t ctx = munge_ctx_create ();
    if (!ctx || (socket && *socket && munge_ctx_set (ctx, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS)) {
        munge_ctx_destroy (ctx);
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    return ctx;
}

static const char *where (const char *socket)
{
    return socket && *socket ? socket : EDDY_SIGN_MUNGE_SOCKET_DEFAULT;
}

char *eddy_pmisign_wrap (const char *socket, int ttl, const char *kvsname, int rank,
                         const char *key, const char *value, eddy_error_t *err)
{
    char *payload = eddy_pmisign_payload (kvsname, rank, key, value);
    char *cred = NULL;
    munge_ctx_t ctx;
    munge_err_t e;

    if (!payload) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    if (!(ctx = ctx_create (socket, err))) {
        free (payload);
        return NULL;
    }
    /* only this user (and root) may read it: the PMI server may not */
    if (munge_ctx_set (ctx, MUNGE_OPT_UID_RESTRICTION, getuid ()) != EMUNGE_SUCCESS
        || munge_ctx_set (ctx, MUNGE_OPT_CIPHER_TYPE, MUNGE_CIPHER_DEFAULT) != EMUNGE_SUCCESS
        || (ttl > 0 && munge_ctx_set (ctx, MUNGE_OPT_TTL, ttl) != EMUNGE_SUCCESS)) {
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        goto done;
    }
    e = munge_encode (&cred, ctx, payload, (int)strlen (payload));
    if (e != EMUNGE_SUCCESS) {
        free (cred);
        cred = NULL;
        if (e == EMUNGE_SOCKET || e == EMUNGE_TIMEOUT) {
            errno = ECONNREFUSED;
            eddy_error_set (err, "PMI put %s: cannot sign: cannot connect to munged at %s "
                                 "(is munged running?)",
                            key, where (socket));
        }
        else {
            errno = e == EMUNGE_NO_MEMORY ? ENOMEM : EPERM;
            eddy_error_set (err, "PMI put %s: cannot sign: munge: %s", key,
                            munge_ctx_strerror (ctx) ? munge_ctx_strerror (ctx)
                                                     : munge_strerror (e));
        }
    }
done: {
    int saved = errno;
    munge_ctx_destroy (ctx);
    free (payload);
    errno = saved;
}
    return cred;
}

char *eddy_pmisign_unwrap (const char *socket, const char *cred, const char *kvsname, int from,
                           const char *key, eddy_error_t *err)
{
    munge_ctx_t ctx;
    munge_err_t e;
    void *buf = NULL;
    int len = 0, cipher = MUNGE_CIPHER_NONE;
    uid_t uid;
    gid_t gid;
    char *payload = NULL, *value = NULL;

    if (!(ctx = ctx_create (socket, err)))
        return NULL;
    e = munge_decode (cred, ctx, &buf, &len, &uid, &gid);
    /* a replay mark is every broker of a node after the first; the
     * binding below (kvsname, key, rank) and the ttl bound the rest */
    if (e != EMUNGE_SUCCESS && e != EMUNGE_CRED_REPLAYED) {
        switch (e) {
        case EMUNGE_SOCKET:
        case EMUNGE_TIMEOUT:
            errno = ECONNREFUSED;
            eddy_error_set (err, "PMI %s: cannot verify: cannot connect to munged at %s "
                                 "(is munged running?)",
                            key, where (socket));
            break;
        case EMUNGE_NO_MEMORY:
            errno = ENOMEM;
            eddy_error_set (err, "out of memory");
            break;
        case EMUNGE_CRED_EXPIRED:
            errno = EBADMSG;
            eddy_error_set (err, "PMI %s: the credential has expired (munged's ttl): a value "
                                 "replayed from an older job",
                            key);
            break;
        case EMUNGE_CRED_UNAUTHORIZED:
            errno = EBADMSG;
            eddy_error_set (err, "PMI %s: the credential is for another user to decode", key);
            break;
        default:
            errno = EBADMSG;
            eddy_error_set (err, "PMI %s: credential rejected: %s", key,
                            munge_ctx_strerror (ctx) ? munge_ctx_strerror (ctx)
                                                     : munge_strerror (e));
            break;
        }
        goto done;
    }
    if (uid != getuid ()) {
        errno = EPERM;
        eddy_error_set (err, "PMI %s: signed by uid %u, not this broker's user (uid %u)", key,
                        (unsigned)uid, (unsigned)getuid ());
        goto done;
    }
    if (munge_ctx_get (ctx, MUNGE_OPT_CIPHER_TYPE, &cipher) != EMUNGE_SUCCESS
        || cipher == MUNGE_CIPHER_NONE) {
        errno = EPERM;
        eddy_error_set (err, "PMI %s: the credential is not encrypted", key);
        goto done;
    }
    if (!(payload = malloc ((size_t)len + 1))) {
        errno = ENOMEM;
        eddy_error_set (err, "out of memory");
        goto done;
    }
    if (len > 0)
        memcpy (payload, buf, (size_t)len);
    payload[len] = '\0';
    if (strlen (payload) != (size_t)len) {
        errno = EPERM;
        eddy_error_set (err, "PMI %s: the credential is not an eddy PMI value", key);
        goto done;
    }
    value = eddy_pmisign_check_payload (payload, kvsname, from, key, err);
done: {
    int saved = errno;
    munge_ctx_destroy (ctx);
    free (buf);
    free (payload);
    errno = saved;
}
    return value;
}
