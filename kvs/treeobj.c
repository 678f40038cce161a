/* treeobj.c - construct, validate, encode and decode tree objects. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "kvs/blobref.h"
#include "kvs/treeobj.h"

/* Built member by member: json_pack's format parsing showed in profiles
 * (a commit makes a dirref for every directory it writes).
 */
static json_t *header (const char *type, json_t *data)
{
    json_t *o;
    if (!data)
        return NULL;
    if (!(o = json_object ())) {
        json_decref (data);
        return NULL;
    }
    /* set_new consumes its value, also when it fails */
    if (json_object_set_new_nocheck (o, "ver", json_integer (1)) < 0
        || json_object_set_new_nocheck (o, "type", json_string_nocheck (type)) < 0) {
        json_decref (data);
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    if (json_object_set_new_nocheck (o, "data", data) < 0) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
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

/* [ref], built directly: json_pack's format parsing showed in profiles
 * (every directory a commit writes gets a dirref).
 */
static json_t *ref_array (const char *ref)
{
    json_t *a;
    if (!eddy_blobref_valid (ref)) {
        errno = EINVAL;
        return NULL;
    }
    if (!(a = json_array ()) || json_array_append_new (a, json_string_nocheck (ref)) < 0) {
        json_decref (a);
        errno = ENOMEM;
        return NULL;
    }
    return a;
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

static eddy_treeobj_type_t type_named (const json_t *t)
{
    const char *s = json_string_value (t);
    if (!s)
        return EDDY_TREEOBJ_INVALID;
    switch (json_string_length (t)) {
    case 3:
        if (!memcmp (s, "val", 3))
            return EDDY_TREEOBJ_VAL;
        if (!memcmp (s, "dir", 3))
            return EDDY_TREEOBJ_DIR;
        break;
    case 4:
        if (!memcmp (s, "hdir", 4))
            return EDDY_TREEOBJ_HDIR;
        break;
    case 6:
        if (!memcmp (s, "valref", 6))
            return EDDY_TREEOBJ_VALREF;
        if (!memcmp (s, "dirref", 6))
            return EDDY_TREEOBJ_DIRREF;
        break;
    }
    return EDDY_TREEOBJ_INVALID;
}

/* A tree object has 3 or 4 members: walking them is cheaper than hashing
 * a key to look one up, and one walk finds them all.  Objects with more
 * members (not tree objects, but they may come from anywhere) are looked
 * up by key, so the cost stays bounded.
 */
#define WALK_MAX 8

struct members {
    json_t *type, *data, *level, *ref;
};

static void members (const json_t *obj, struct members *m)
{
    m->type = m->data = m->level = m->ref = NULL;
    if (json_object_size (obj) > WALK_MAX) {
        m->type = json_object_get (obj, "type");
        m->data = json_object_get (obj, "data");
        m->level = json_object_get (obj, "level");
        m->ref = json_object_get (obj, EDDY_TREEOBJ_REF_KEY);
        return;
    }
    for (void *it = json_object_iter ((json_t *)obj); it; it = json_object_iter_next ((json_t *)obj, it)) {
        const char *k = json_object_iter_key (it);
        switch (k[0]) {
        case 't':
            if (!strcmp (k, "type"))
                m->type = json_object_iter_value (it);
            break;
        case 'd':
            if (!strcmp (k, "data"))
                m->data = json_object_iter_value (it);
            break;
        case 'l':
            if (!strcmp (k, "level"))
                m->level = json_object_iter_value (it);
            break;
        case '.':
            if (!strcmp (k, EDDY_TREEOBJ_REF_KEY))
                m->ref = json_object_iter_value (it);
            break;
        }
    }
}

eddy_treeobj_type_t eddy_treeobj_type (const json_t *obj)
{
    /* called for every entry a walk touches */
    if (json_object_size (obj) > WALK_MAX)
        return type_named (json_object_get (obj, "type"));
    for (void *it = json_object_iter ((json_t *)obj); it; it = json_object_iter_next ((json_t *)obj, it)) {
        const char *k = json_object_iter_key (it);
        if (k[0] == 't' && !strcmp (k, "type"))
            return type_named (json_object_iter_value (it));
    }
    return EDDY_TREEOBJ_INVALID;
}

bool eddy_treeobj_name_valid (const char *name)
{
    return name && *name && !strchr (name, '.');
}

void eddy_treeobj_name_digest (const char *name, unsigned char digest[EDDY_TREEOBJ_DIGEST])
{
    crypto_hash_sha256 (digest, (const unsigned char *)name, strlen (name));
}

int eddy_treeobj_digest_slot (const unsigned char digest[EDDY_TREEOBJ_DIGEST], int level)
{
    if (level < 0 || level > EDDY_TREEOBJ_LEVEL_MAX)
        return 0;
    unsigned char b = digest[level / 2];
    return level % 2 ? b & 15 : b >> 4;
}

int eddy_treeobj_slot (const char *name, int level)
{
    unsigned char digest[EDDY_TREEOBJ_DIGEST];
    if (level < 0 || level > EDDY_TREEOBJ_LEVEL_MAX)
        return 0;
    eddy_treeobj_name_digest (name, digest);
    return eddy_treeobj_digest_slot (digest, level);
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

/* A hand-written encoder: tree objects are encoded for every commit, and
 * this is several times faster than json_dumps () with sorted keys while
 * giving the same canonical form (compact, keys in strcmp order, strings
 * escaped as json_dumps () does by default).
 */
struct buf {
    char *s;
    size_t len, cap;
    bool failed;
};

/* Room for n more bytes and a NUL. */
static bool reserve (struct buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc (b->s, cap);
        if (!p) {
            b->failed = true;
            return false;
        }
        b->s = p;
        b->cap = cap;
    }
    return true;
}

/* b's text, NUL-terminated, in a block of its own size: reserve () doubles,
 * and an encoded directory may stay in the kvs cache for long, where the
 * unused half of its block would be memory held for nothing.
 */
static char *finish (struct buf *b, size_t *len)
{
    b->s[b->len] = '\0';
    if (b->cap - (b->len + 1) > 64) {
        char *p = realloc (b->s, b->len + 1);
        if (p)
            b->s = p;
    }
    if (len)
        *len = b->len;
    return b->s;
}

static void put (struct buf *b, const char *s, size_t n)
{
    if (!reserve (b, n))
        return;
    memcpy (b->s + b->len, s, n);
    b->len += n;
}

/* Bytes a JSON string cannot hold as they are. */
static bool needs_escape (unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void put_str_escaped (struct buf *b, const char *s, size_t n, size_t start)
{
    static const char hex[] = "0123456789abcdef";
    put (b, s, start);
    for (size_t i = start; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape (c))
            continue;
        put (b, s + start, i - start);
        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            put (b, esc, 2);
        }
        else {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            put (b, esc, 6);
        }
        start = i + 1;
    }
    put (b, s + start, n - start);
}

/* The index of the first byte in s[0..n) that needs escaping, or n.
 * Eight bytes at a time (a blobref is 71): a byte below 0x20, '"' or '\\'
 * sets the high bit of its lane in the test word (Bit Twiddling Hacks,
 * "determine if a word has a byte less than n"; a false hit in a lane can
 * only follow a true one, and the byte loop then finds the true one).
 */
static size_t clean_prefix (const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v, q, bs;
        memcpy (&v, s + i, 8);
        q = v ^ (ones * '"');
        bs = v ^ (ones * '\\');
        if (((v - ones * 0x20) & ~v & highs) | ((q - ones) & ~q & highs) | ((bs - ones) & ~bs & highs))
            break;
    }
    while (i < n && !needs_escape ((unsigned char)s[i]))
        i++;
    return i;
}

/* A quoted string.  Names, base64 and blobrefs never need escaping: copy
 * them in one go.
 */
static void put_str (struct buf *b, const char *s, size_t n)
{
    size_t i = clean_prefix (s, n);
    if (!reserve (b, n + 2))
        return;
    b->s[b->len++] = '"';
    if (i == n) {
        memcpy (b->s + b->len, s, n);
        b->len += n;
        b->s[b->len++] = '"';
        return;
    }
    put_str_escaped (b, s, n, i);
    put (b, "\"", 1);
}

static void put_json_str (struct buf *b, const json_t *v)
{
    const char *s = json_string_value (v);
    put_str (b, s ? s : "", s ? json_string_length (v) : 0);
}

struct entry {
    const char *key;
    json_t *value;
};

/* Directory data comes mostly in order already (jansson keeps insertion
 * order; a stored node was decoded from sorted text; a commit adds a few
 * names at the end): an insertion sort costs n - 1 comparisons then.
 */
#define INSERTION_MAX 64

static int cmp_entries (const void *a, const void *b)
{
    return strcmp (((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static void sort_entries (struct entry *e, size_t n)
{
    if (n > INSERTION_MAX) {
        qsort (e, n, sizeof (e[0]), cmp_entries);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct entry x = e[i];
        size_t j = i;
        while (j > 0 && strcmp (e[j - 1].key, x.key) > 0) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

static void encode (struct buf *b, const json_t *obj, int depth);

static void encode_entries (struct buf *b, json_t *data, int depth)
{
    struct entry stack[INSERTION_MAX], *e = stack;
    size_t n = json_object_size (data), k = 0;
    const char *key;
    json_t *v;

    if (n > INSERTION_MAX && !(e = malloc (n * sizeof (e[0])))) {
        b->failed = true;
        return;
    }
    json_object_foreach (data, key, v) {
        e[k].key = key;
        e[k++].value = v;
    }
    sort_entries (e, n);
    put (b, "{", 1);
    for (k = 0; k < n; k++) {
        if (k > 0)
            put (b, ",", 1);
        put_str (b, e[k].key, strlen (e[k].key));
        put (b, ":", 1);
        encode (b, e[k].value, depth + 1);
    }
    put (b, "}", 1);
    if (e != stack)
        free (e);
}

static void put_level (struct buf *b, const json_t *level)
{
    json_int_t lv = json_integer_value (level);
    char s[32];
    int n;
    if (lv >= 0 && lv < 100) {
        s[0] = ',';
        memcpy (s + 1, "\"level\":", 8);
        n = 9;
        if (lv >= 10)
            s[n++] = (char)('0' + lv / 10);
        s[n++] = (char)('0' + lv % 10);
    }
    else
        n = snprintf (s, sizeof (s), ",\"level\":%d", (int)lv);
    put (b, s, (size_t)n);
}

/* What follows an object's data. */
static void put_tail (struct buf *b, eddy_treeobj_type_t type, const json_t *level)
{
    static const char *const tails[] = {
        "", ",\"type\":\"val\",\"ver\":1}", ",\"type\":\"valref\",\"ver\":1}",
        ",\"type\":\"dirref\",\"ver\":1}", ",\"type\":\"dir\",\"ver\":1}",
        ",\"type\":\"hdir\",\"ver\":1}",
    };
    if (type == EDDY_TREEOBJ_HDIR)
        put_level (b, level);
    put (b, tails[type], strlen (tails[type]));
}

static void encode (struct buf *b, const json_t *obj, int depth)
{
    struct members m;
    eddy_treeobj_type_t type;
    size_t i;
    json_t *v;

    members (obj, &m);
    type = type_named (m.type);
    if (type == EDDY_TREEOBJ_INVALID || depth > EDDY_TREEOBJ_LEVEL_MAX + 4) {
        b->failed = true;
        return;
    }
    if (depth > 0 && (type == EDDY_TREEOBJ_DIR || type == EDDY_TREEOBJ_HDIR) && json_is_string (m.ref)) {
        /* a working tree's directory that is stored as it is: its dirref */
        put (b, "{\"data\":[", 9);
        put_json_str (b, m.ref);
        put (b, "]", 1);
        put_tail (b, EDDY_TREEOBJ_DIRREF, NULL);
        return;
    }
    put (b, "{\"data\":", 8);
    switch (type) {
    case EDDY_TREEOBJ_VAL:
        put_json_str (b, m.data);
        break;
    case EDDY_TREEOBJ_VALREF:
    case EDDY_TREEOBJ_DIRREF:
        put (b, "[", 1);
        json_array_foreach (m.data, i, v) {
            if (i > 0)
                put (b, ",", 1);
            put_json_str (b, v);
        }
        put (b, "]", 1);
        break;
    default:
        encode_entries (b, m.data, depth);
        break;
    }
    put_tail (b, type, m.level);
}

char *eddy_treeobj_encode (const json_t *obj, size_t *len)
{
    struct buf b = { 0 };
    encode (&b, obj, 0);
    if (b.failed || !b.s) {
        free (b.s);
        errno = b.failed && eddy_treeobj_type (obj) == EDDY_TREEOBJ_INVALID ? EINVAL : ENOMEM;
        return NULL;
    }
    return finish (&b, len);
}

/* ---- encoding from an earlier version ---- */

/* The closing quote of the string whose body starts at p, or NULL. */
static const char *string_end (const char *p, const char *end)
{
    for (;;) {
        const char *q = memchr (p, '"', (size_t)(end - p)), *r;
        if (!q)
            return NULL;
        for (r = q; r > p && r[-1] == '\\'; r--)
            ;
        if ((q - r) % 2 == 0)
            return q; /* not escaped */
        p = q + 1;
    }
}

/* The end of the JSON value at p (< end), skipping strings; NULL if it
 * does not end before end.  Only objects, arrays, strings and numbers
 * appear in tree objects.
 */
static const char *value_end (const char *p, const char *end)
{
    int depth = 0;
    for (; p < end; p++) {
        switch (*p) {
        case '"':
            if (!(p = string_end (p + 1, end)))
                return NULL;
            if (depth == 0)
                return p + 1;
            break;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            if (--depth < 0)
                return NULL;
            if (depth == 0)
                return p + 1;
            break;
        case ',':
        case ':':
            if (depth == 0)
                return NULL;
            break;
        default:
            if (depth == 0) { /* a number */
                while (p < end && ((*p >= '0' && *p <= '9') || *p == '-'))
                    p++;
                return p;
            }
        }
    }
    return NULL;
}

/* strcmp () of a NUL-terminated key with name[0..n). */
static int cmp_name (const char *key, const char *name, size_t n)
{
    size_t klen = strlen (key);
    int r = memcmp (key, name, klen < n ? klen : n);
    return r ? r : (klen > n) - (klen < n);
}

static void put_entry (struct buf *b, bool *first, const struct entry *e)
{
    if (!*first)
        put (b, ",", 1);
    *first = false;
    put_str (b, e->key, strlen (e->key));
    put (b, ":", 1);
    encode (b, e->value, 1);
}

char *eddy_treeobj_encode_update (const json_t *obj,
                                  const char *base,
                                  size_t base_len,
                                  const json_t *changed,
                                  size_t *len)
{
    struct buf b = { 0 }, tail = { 0 };
    struct members m;
    struct entry stack[INSERTION_MAX], *e = stack;
    size_t n = 0, k = 0, i;
    const char *p = base, *end = base + base_len;
    bool first = true, first_old = true;
    json_t *v;
    int errnum = EINVAL;

    members (obj, &m);
    eddy_treeobj_type_t type = type_named (m.type);
    if ((type != EDDY_TREEOBJ_DIR && type != EDDY_TREEOBJ_HDIR) || !json_is_object (m.data)
        || !(json_is_array (changed) || json_is_string (changed)) || !base || base_len < 9
        || memcmp (base, "{\"data\":{", 9) != 0)
        goto error;
    /* the changed names in order, each once, with their entry now (or NULL) */
    size_t nchanged = json_is_string (changed) ? 1 : json_array_size (changed);
    if (nchanged > INSERTION_MAX && !(e = malloc (nchanged * sizeof (e[0])))) {
        errnum = ENOMEM;
        goto error;
    }
    for (i = 0; i < nchanged; i++) {
        v = json_is_string (changed) ? (json_t *)changed : json_array_get (changed, i);
        if (!(e[n].key = json_string_value (v)))
            goto error;
        n++;
    }
    sort_entries (e, n);
    for (i = k = 0; i < n; i++) {
        if (k > 0 && !strcmp (e[k - 1].key, e[i].key))
            continue;
        e[k].key = e[i].key;
        e[k++].value = json_object_get (m.data, e[i].key);
    }
    n = k;
    k = 0;
    if (!reserve (&b, base_len + 64))
        goto nomem;
    put (&b, base, 9);
    p += 9;
    /* merge the old entries with the changed names, both in order */
    while (p < end && *p != '}') {
        const char *name, *q;
        int cmp = 1;
        if (!first_old && *p++ != ',')
            goto error;
        first_old = false;
        if (p >= end || *p != '"')
            goto error;
        name = ++p;
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (p >= end || *p != '"')
            goto error; /* escaped: encode in full */
        size_t nlen = (size_t)(p - name);
        if (++p >= end || *p != ':' || !(q = value_end (p + 1, end)))
            goto error;
        while (k < n && (cmp = cmp_name (e[k].key, name, nlen)) < 0) {
            if (e[k].value)
                put_entry (&b, &first, &e[k]);
            k++;
        }
        if (k < n && cmp == 0) {
            if (e[k].value) /* replaced, else removed */
                put_entry (&b, &first, &e[k]);
            k++;
        }
        else {
            if (!first)
                put (&b, ",", 1);
            first = false;
            put (&b, name - 1, (size_t)(q - (name - 1)));
        }
        p = q;
    }
    if (p >= end)
        goto error;
    for (; k < n; k++) {
        if (e[k].value)
            put_entry (&b, &first, &e[k]);
    }
    put (&b, "}", 1);
    p++;
    /* the header after the data must be what obj's is */
    put_tail (&tail, type, m.level);
    if (tail.failed)
        goto nomem;
    if ((size_t)(end - p) != tail.len || memcmp (p, tail.s, tail.len) != 0)
        goto error;
    put (&b, tail.s, tail.len);
    if (b.failed)
        goto nomem;
    free (tail.s);
    if (e != stack)
        free (e);
    return finish (&b, len);
nomem:
    errnum = ENOMEM;
error:
    free (b.s);
    free (tail.s);
    if (e != stack)
        free (e);
    errno = errnum;
    return NULL;
}
