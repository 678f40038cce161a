/* treeobj.c - construct, validate, encode and decode tree objects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "kvs/blobref.h"
#include "kvs/treeobj.h"

static json_t *header (const char *type, json_t *data)
{
    if (!data)
        return NULL;
    return json_pack ("{s:i s:s s:o}", "ver", 1, "type", type, "data", data);
}

json_t *eddy_treeobj_val (const void *data, size_t len)
{
    char *s = eddy_base64_encode (data, len);
    json_t *o;
    if (!s)
        return NULL;
    o = header ("val", json_string (s));
    free (s);
    return o;
}

static json_t *ref_array (const char *ref)
{
    if (!eddy_blobref_valid (ref)) {
        errno = EINVAL;
        return NULL;
    }
    return json_pack ("[s]", ref);
}

json_t *eddy_treeobj_valref (const char *ref)
{
    return header ("valref", ref_array (ref));
}

json_t *eddy_treeobj_dirref (const char *ref)
{
    return header ("dirref", ref_array (ref));
}

json_t *eddy_treeobj_dir (void)
{
    return header ("dir", json_object ());
}

json_t *eddy_treeobj_hdir (int level)
{
    json_t *o = header ("hdir", json_object ());
    if (o && json_object_set_new (o, "level", json_integer (level)) < 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}

eddy_treeobj_type_t eddy_treeobj_type (const json_t *obj)
{
    const char *t = json_string_value (json_object_get (obj, "type"));
    if (!t)
        return EDDY_TREEOBJ_INVALID;
    if (!strcmp (t, "val"))
        return EDDY_TREEOBJ_VAL;
    if (!strcmp (t, "valref"))
        return EDDY_TREEOBJ_VALREF;
    if (!strcmp (t, "dirref"))
        return EDDY_TREEOBJ_DIRREF;
    if (!strcmp (t, "dir"))
        return EDDY_TREEOBJ_DIR;
    if (!strcmp (t, "hdir"))
        return EDDY_TREEOBJ_HDIR;
    return EDDY_TREEOBJ_INVALID;
}

bool eddy_treeobj_name_valid (const char *name)
{
    return name && *name && !strchr (name, '.');
}

int eddy_treeobj_slot (const char *name, int level)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    if (level < 0 || level > EDDY_TREEOBJ_LEVEL_MAX)
        return 0;
    crypto_hash_sha256 (digest, (const unsigned char *)name, strlen (name));
    unsigned char b = digest[level / 2];
    return level % 2 ? b & 15 : b >> 4;
}

static int check_refs (const json_t *data, size_t min, size_t max, eddy_error_t *err)
{
    size_t i;
    json_t *v;
    if (!json_is_array (data) || json_array_size (data) < min || json_array_size (data) > max)
        return eddy_error_set (err, "expected an array of %zu%s blobrefs", min, max > min ? "+" : "");
    json_array_foreach (data, i, v) {
        if (!eddy_blobref_valid (json_string_value (v)))
            return eddy_error_set (err, "bad blobref at index %zu", i);
    }
    return 0;
}

static int check (const json_t *obj, bool inline_ok, int depth, eddy_error_t *err)
{
    json_t *data, *v;
    const char *k;
    json_int_t ver;
    size_t nkeys;
    int rc = -1;

    if (depth > EDDY_TREEOBJ_LEVEL_MAX + 4) {
        eddy_error_set (err, "tree object nested too deeply");
        goto out;
    }
    if (!json_is_object (obj)) {
        eddy_error_set (err, "not a JSON object");
        goto out;
    }
    if (!json_is_integer (json_object_get (obj, "ver"))
        || (ver = json_integer_value (json_object_get (obj, "ver"))) != 1) {
        eddy_error_set (err, "missing or unknown version");
        goto out;
    }
    data = json_object_get (obj, "data");
    eddy_treeobj_type_t type = eddy_treeobj_type (obj);
    nkeys = json_object_size (obj);
    switch (type) {
    case EDDY_TREEOBJ_VAL: {
        const char *s = json_string_value (data);
        size_t len;
        void *buf;
        if (!s || !(buf = eddy_base64_decode (s, json_string_length (data), &len))) {
            eddy_error_set (err, "val data is not base64");
            goto out;
        }
        free (buf);
        break;
    }
    case EDDY_TREEOBJ_VALREF:
        if (check_refs (data, 1, (size_t)-1, err) < 0)
            goto out;
        break;
    case EDDY_TREEOBJ_DIRREF:
        if (check_refs (data, 1, 1, err) < 0)
            goto out;
        break;
    case EDDY_TREEOBJ_DIR:
        if (!json_is_object (data)) {
            eddy_error_set (err, "dir data is not an object");
            goto out;
        }
        json_object_foreach (data, k, v) {
            eddy_treeobj_type_t t = eddy_treeobj_type (v);
            if (!eddy_treeobj_name_valid (k)) {
                eddy_error_set (err, "bad entry name '%s'", k);
                goto out;
            }
            if (!inline_ok && (t == EDDY_TREEOBJ_DIR || t == EDDY_TREEOBJ_HDIR)) {
                eddy_error_set (err, "entry '%s': inline directory in a stored object", k);
                goto out;
            }
            if (check (v, inline_ok, depth + 1, err) < 0) {
                eddy_error_prefix (err, "entry '%s'", k);
                goto out;
            }
        }
        break;
    case EDDY_TREEOBJ_HDIR: {
        json_t *lv = json_object_get (obj, "level");
        json_int_t level;
        if (!json_is_integer (lv) || (level = json_integer_value (lv)) < 0
            || level > EDDY_TREEOBJ_LEVEL_MAX) {
            eddy_error_set (err, "hdir level missing or out of range");
            goto out;
        }
        if (!json_is_object (data)) {
            eddy_error_set (err, "hdir data is not an object");
            goto out;
        }
        nkeys--;
        json_object_foreach (data, k, v) {
            eddy_treeobj_type_t t = eddy_treeobj_type (v);
            if (strlen (k) != 1 || !strchr ("0123456789abcdef", k[0])) {
                eddy_error_set (err, "bad hdir slot '%s'", k);
                goto out;
            }
            if (t != EDDY_TREEOBJ_DIRREF
                && !(inline_ok && (t == EDDY_TREEOBJ_DIR || t == EDDY_TREEOBJ_HDIR))) {
                eddy_error_set (err, "hdir slot '%s' is not a directory reference", k);
                goto out;
            }
            if (t == EDDY_TREEOBJ_HDIR
                && json_integer_value (json_object_get (v, "level")) != level + 1) {
                eddy_error_set (err, "hdir slot '%s' skips a level", k);
                goto out;
            }
            if (check (v, inline_ok, depth + 1, err) < 0)
                goto out;
        }
        break;
    }
    default:
        eddy_error_set (err, "missing or unknown type");
        goto out;
    }
    if (nkeys != 3) {
        eddy_error_set (err, "unexpected members in a tree object");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        errno = EINVAL;
    return rc;
}

int eddy_treeobj_check (const json_t *obj, bool inline_ok, eddy_error_t *err)
{
    return check (obj, inline_ok, 0, err);
}

json_t *eddy_treeobj_decode (const void *buf, size_t len, eddy_error_t *err)
{
    json_error_t jerr;
    json_t *o;

    if (!buf) {
        errno = EINVAL;
        eddy_error_set (err, "no data");
        return NULL;
    }
    if (!(o = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr))) {
        errno = EINVAL;
        eddy_error_set (err, "not JSON: %s", jerr.text);
        return NULL;
    }
    if (eddy_treeobj_check (o, false, err) < 0) {
        json_decref (o);
        errno = EINVAL;
        return NULL;
    }
    return o;
}

char *eddy_treeobj_encode (const json_t *obj, size_t *len)
{
    char *s = json_dumps (obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    if (len)
        *len = strlen (s);
    return s;
}
