/* tree.c - lookups, listings and commits over the KVS hash tree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/jsoncheck.h"
#include "kvs/tree.h"
#include "kvs/treeobj.h"

#define NAME_MAX_LEN 4095

static const char hexdigits[] = "0123456789abcdef";

void eddy_kvs_tree_init (struct eddy_kvs_tree *t, const struct eddy_kvs_tree_src *src, void *arg)
{
    memset (t, 0, sizeof (*t));
    t->src = src;
    t->arg = arg;
}

static int fail (struct eddy_kvs_tree *t, int errnum, const char *fmt, const char *what)
{
    eddy_error_set (&t->err, fmt, what);
    errno = errnum;
    return -1;
}

json_t *eddy_kvs_key_split (const char *key)
{
    json_t *a = json_array ();
    const char *p = key ? key : "";

    if (!a)
        return NULL;
    while (*p) {
        const char *dot = strchr (p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen (p);
        if (n > NAME_MAX_LEN) {
            json_decref (a);
            errno = EINVAL;
            return NULL;
        }
        if (n > 0 && json_array_append_new (a, json_stringn (p, n)) < 0) {
            json_decref (a);
            errno = ENOMEM;
            return NULL;
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return a;
}

/* The blob named by a dirref/valref's first ref. */
static const char *first_ref (const json_t *entry)
{
    return json_string_value (json_array_get (json_object_get (entry, "data"), 0));
}

/* Load a stored directory object (dir or hdir; level >= 0 requires an hdir
 * of that level or a dir bucket).
 */
static json_t *load_node (struct eddy_kvs_tree *t, const char *ref, int level)
{
    json_t *o = t->src->get_obj (t->arg, ref, &t->err);
    if (!o) {
        if (errno == EAGAIN)
            snprintf (t->missing, sizeof (t->missing), "%s", ref);
        return NULL;
    }
    switch (eddy_treeobj_type (o)) {
    case EDDY_TREEOBJ_DIR:
        return o;
    case EDDY_TREEOBJ_HDIR:
        if (level < 0 ? json_integer_value (json_object_get (o, "level")) == 0
                      : json_integer_value (json_object_get (o, "level")) == level)
            return o;
        fail (t, EINVAL, "%s: directory shard at the wrong level", ref);
        return NULL;
    default:
        fail (t, EINVAL, "%s: a directory reference names a non-directory", ref);
        return NULL;
    }
}

/* The directory node an entry stands for: a stored one (dirref) or an
 * inline one of a working tree.  NULL + ENOTDIR for a value.
 */
static json_t *entry_node (struct eddy_kvs_tree *t, json_t *entry)
{
    switch (eddy_treeobj_type (entry)) {
    case EDDY_TREEOBJ_DIRREF:
        return load_node (t, first_ref (entry), -1);
    case EDDY_TREEOBJ_DIR:
    case EDDY_TREEOBJ_HDIR:
        return entry;
    default:
        errno = ENOTDIR;
        return NULL;
    }
}

/* A name on its way down the levels of a sharded directory: hashed once,
 * when the first hdir asks for its slot.
 */
struct name {
    const char *s;
    bool hashed;
    unsigned char digest[EDDY_TREEOBJ_DIGEST];
};

static void name_init (struct name *n, const char *s)
{
    n->s = s;
    n->hashed = false;
}

static char slot_key (struct name *n, int level, char key[2])
{
    if (!n->hashed) {
        eddy_treeobj_name_digest (n->s, n->digest);
        n->hashed = true;
    }
    key[0] = hexdigits[eddy_treeobj_digest_slot (n->digest, level)];
    key[1] = '\0';
    return key[0];
}

/* Find name in a directory node: the entry (borrowed), or NULL + ENOENT /
 * EAGAIN / EINVAL.
 */
static json_t *node_get (struct eddy_kvs_tree *t, json_t *node, struct name *name)
{
    for (;;) {
        json_t *data = json_object_get (node, "data");
        if (eddy_treeobj_type (node) == EDDY_TREEOBJ_DIR) {
            json_t *e = json_object_get (data, name->s);
            if (!e)
                errno = ENOENT;
            return e;
        }
        int level = (int)json_integer_value (json_object_get (node, "level"));
        char key[2];
        slot_key (name, level, key);
        json_t *s = json_object_get (data, key);
        if (!s) {
            errno = ENOENT;
            return NULL;
        }
        if (eddy_treeobj_type (s) == EDDY_TREEOBJ_DIRREF) {
            if (!(node = load_node (t, first_ref (s), level + 1)))
                return NULL;
        }
        else
            node = s;
    }
}

json_t *eddy_kvs_tree_lookup (struct eddy_kvs_tree *t, const char *rootref, const char *key)
{
    json_t *path = eddy_kvs_key_split (key);
    json_t *entry = NULL, *node;
    size_t i;

    if (!path)
        return NULL;
    if (!eddy_blobref_valid (rootref)) {
        fail (t, EINVAL, "bad root reference%s", "");
        goto out;
    }
    if (json_array_size (path) == 0) {
        entry = eddy_treeobj_dirref (rootref);
        goto out;
    }
    if (!(node = load_node (t, rootref, -1)))
        goto out;
    for (i = 0; i < json_array_size (path); i++) {
        struct name name;
        name_init (&name, json_string_value (json_array_get (path, i)));
        json_t *e = node_get (t, node, &name);
        if (!e)
            goto out;
        if (i + 1 == json_array_size (path)) {
            entry = json_incref (e);
            break;
        }
        if (!(node = entry_node (t, e)))
            goto out;
    }
out:
    json_decref (path);
    return entry;
}

char *eddy_kvs_tree_read (struct eddy_kvs_tree *t, const json_t *entry, size_t *len)
{
    json_t *data = json_object_get (entry, "data");
    size_t n = 0, i;
    json_t *v;
    char *buf;

    switch (eddy_treeobj_type (entry)) {
    case EDDY_TREEOBJ_VAL: {
        const char *s = json_string_value (data);
        if (!s || !(buf = eddy_base64_decode (s, json_string_length (data), len))) {
            fail (t, EINVAL, "value is not base64%s", "");
            return NULL;
        }
        return buf;
    }
    case EDDY_TREEOBJ_VALREF:
        break;
    case EDDY_TREEOBJ_DIRREF:
    case EDDY_TREEOBJ_DIR:
    case EDDY_TREEOBJ_HDIR:
        errno = EISDIR;
        return NULL;
    default:
        fail (t, EINVAL, "not a tree object%s", "");
        return NULL;
    }
    /* two passes: make sure every blob is here and size the result */
    json_array_foreach (data, i, v) {
        const void *d;
        size_t l;
        const char *ref = json_string_value (v);
        if (!ref || t->src->get_data (t->arg, ref, &d, &l) < 0) {
            if (ref && errno == EAGAIN)
                snprintf (t->missing, sizeof (t->missing), "%s", ref);
            return NULL;
        }
        n += l;
    }
    if (!(buf = malloc (n + 1)))
        return NULL;
    n = 0;
    json_array_foreach (data, i, v) {
        const void *d;
        size_t l;
        (void)t->src->get_data (t->arg, json_string_value (v), &d, &l);
        memcpy (buf + n, d, l);
        n += l;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int list_node (struct eddy_kvs_tree *t, json_t *node, json_t *names)
{
    json_t *data = json_object_get (node, "data"), *v;
    const char *k;

    if (eddy_treeobj_type (node) == EDDY_TREEOBJ_DIR) {
        json_object_foreach (data, k, v) {
            if (json_array_append_new (names, json_string (k)) < 0) {
                errno = ENOMEM;
                return -1;
            }
        }
        return 0;
    }
    int level = (int)json_integer_value (json_object_get (node, "level"));
    json_object_foreach (data, k, v) {
        json_t *child = v;
        if (eddy_treeobj_type (v) == EDDY_TREEOBJ_DIRREF
            && !(child = load_node (t, first_ref (v), level + 1)))
            return -1;
        if (list_node (t, child, names) < 0)
            return -1;
    }
    return 0;
}

static int cmp_names (const void *a, const void *b)
{
    return strcmp (*(const char *const *)a, *(const char *const *)b);
}

json_t *eddy_kvs_tree_list (struct eddy_kvs_tree *t, const json_t *entry)
{
    json_t *node, *names, *sorted = NULL;
    const char **v = NULL;
    size_t n;

    if (!(node = entry_node (t, (json_t *)entry)))
        return NULL;
    if (!(names = json_array ()))
        return NULL;
    if (list_node (t, node, names) < 0)
        goto out;
    n = json_array_size (names);
    if (!(v = malloc ((n + 1) * sizeof (v[0]))) || !(sorted = json_array ()))
        goto out;
    for (size_t i = 0; i < n; i++)
        v[i] = json_string_value (json_array_get (names, i));
    qsort (v, n, sizeof (v[0]), cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (json_array_append_new (sorted, json_string (v[i])) < 0) {
            json_decref (sorted);
            sorted = NULL;
            errno = ENOMEM;
            goto out;
        }
    }
out:
    free (v);
    json_decref (names);
    return sorted;
}

/* ---- working trees ---- */

/* Hidden header members (names starting with '.', which no tree object
 * member has; encode () writes only the members of a tree object):
 *
 * .ref      (EDDY_TREEOBJ_REF_KEY) on a clean node: the blob that holds
 *           it as it is.  finish () gives one to every node it writes and
 *           leaves the node inline, so that the next commit on the same
 *           working tree changes it in place instead of copying it out of
 *           its blob again; encode () writes such an entry as a dirref.
 * .changed  on a dirty node (one without .ref): the names (or hdir slots)
 *           of its data set or removed since it was created or last clean
 *           (one name as a string, else an array, repeats allowed: most
 *           dirty nodes have one changed name, and the array cost two
 *           allocations more per node per commit).  A dirty node below is always
 *           named there, so finish () visits only those, and
 * .base     on a dirty node that was clean in this working tree: the blob
 *           of its last version (eddy_treeobj_encode ()'s output), from
 *           whose text finish () copies the unchanged entries.
 *
 * A node copied from a blob of the source has no .base (the blob may come
 * from elsewhere, in another form): it is encoded in full once.
 */
#define REF_KEY EDDY_TREEOBJ_REF_KEY
#define BASE_KEY ".base"
#define CHANGED_KEY ".changed"
#define WRITTEN_KEY ".written" /* on a clean node: t->epoch when written */

static void copied (struct eddy_kvs_tree *t, const char *ref)
{
    if (t->src->copied)
        t->src->copied (t->arg, ref);
}

/* A private copy of a stored directory node: its own header and data
 * object (the entries themselves are shared, and never modified, only
 * replaced), without hidden members.  Dirty: it has no .ref.
 */
static json_t *node_copy (const json_t *node)
{
    json_t *c = json_object (), *v;
    const char *k;

    if (!c)
        goto nomem;
    json_object_foreach ((json_t *)node, k, v) {
        if (k[0] == '.')
            continue;
        json_t *m = strcmp (k, "data") ? json_incref (v) : json_copy (v);
        if (json_object_set_new_nocheck (c, k, m) < 0)
            goto nomem;
    }
    return c;
nomem:
    json_decref (c);
    errno = ENOMEM;
    return NULL;
}

/* name (or slot) of the dirty node's data was set or removed. */
static int note_changed (json_t *node, const char *name)
{
    json_t *changed = json_object_get (node, CHANGED_KEY), *first;

    if (!changed) {
        if (json_object_set_new_nocheck (node, CHANGED_KEY, json_string_nocheck (name)) < 0)
            goto nomem;
        return 0;
    }
    if (json_is_string (changed)) {
        /* a second name: the string becomes the array's first member */
        first = changed;
        if (!(changed = json_array ()))
            goto nomem;
        if (json_array_append (changed, first) < 0) {
            json_decref (changed);
            goto nomem;
        }
        if (json_object_set_new_nocheck (node, CHANGED_KEY, changed) < 0)
            goto nomem;
    }
    if (json_array_append_new (changed, json_string_nocheck (name)) < 0)
        goto nomem;
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

/* node (inline) is about to change: if it is clean, the blob it stood for
 * becomes its base, and most likely garbage once the tree is written (a
 * hint for the source).  The caller notes the change in node's parent.
 */
static int make_dirty (struct eddy_kvs_tree *t, json_t *node)
{
    json_t *ref = json_object_get (node, REF_KEY);

    if (!ref)
        return 0;
    json_incref (ref);
    json_object_del (node, REF_KEY);
    if (json_object_set_new_nocheck (node, BASE_KEY, ref) < 0) {
        errno = ENOMEM;
        return -1;
    }
    copied (t, json_string_value (ref));
    return 0;
}

static bool is_clean (const json_t *node)
{
    return json_object_get (node, REF_KEY) != NULL;
}

static bool is_inline_dir (const json_t *entry)
{
    eddy_treeobj_type_t type = eddy_treeobj_type (entry);
    return type == EDDY_TREEOBJ_DIR || type == EDDY_TREEOBJ_HDIR;
}

static int node_set (struct eddy_kvs_tree *t, json_t *node, struct name *name, json_t *entry, int level);

/* Turn a flat dir node (in place) into an hdir of `level`, moving its
 * entries into slot buckets.
 */
static int shard (struct eddy_kvs_tree *t, json_t *node, int level)
{
    json_t *old = json_incref (json_object_get (node, "data"));
    const char *k;
    json_t *v;
    int rc = -1;

    /* the old text and the changed names are of a flat dir: node_set ()
     * notes the new slots
     */
    json_object_del (node, BASE_KEY);
    json_object_del (node, CHANGED_KEY);
    if (json_object_set_new (node, "type", json_string ("hdir")) < 0
        || json_object_set_new (node, "level", json_integer (level)) < 0
        || json_object_set_new (node, "data", json_object ()) < 0) {
        errno = ENOMEM;
        goto out;
    }
    json_object_foreach (old, k, v) {
        struct name name;
        name_init (&name, k);
        if (node_set (t, node, &name, json_incref (v), level) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref (old);
    return rc;
}

/* Set (entry != NULL, stolen) or remove (entry == NULL) name in a dirty
 * directory node.  level is the hdir level a flat dir becomes when it
 * outgrows EDDY_TREEOBJ_SPLIT (0 for a directory's top node).
 */
static int node_set (struct eddy_kvs_tree *t, json_t *node, struct name *name, json_t *entry, int level)
{
    json_t *data = json_object_get (node, "data");

    if (eddy_treeobj_type (node) == EDDY_TREEOBJ_DIR) {
        if (!entry) {
            if (json_object_del (data, name->s) == 0)
                return note_changed (node, name->s);
            return 0;
        }
        if (json_object_set_new (data, name->s, entry) < 0 || note_changed (node, name->s) < 0) {
            errno = ENOMEM;
            return -1;
        }
        if (json_object_size (data) > EDDY_TREEOBJ_SPLIT && level <= EDDY_TREEOBJ_LEVEL_MAX)
            return shard (t, node, level);
        return 0;
    }
    int hl = (int)json_integer_value (json_object_get (node, "level"));
    char key[2];
    slot_key (name, hl, key);
    json_t *s = json_object_get (data, key);
    if (!s) {
        if (!entry)
            return 0;
        if (!(s = eddy_treeobj_dir ()) || json_object_set_new (data, key, s) < 0
            || note_changed (node, key) < 0) {
            json_decref (entry);
            errno = ENOMEM;
            return -1;
        }
    }
    else if (eddy_treeobj_type (s) == EDDY_TREEOBJ_DIRREF) {
        json_t *stored = load_node (t, first_ref (s), hl + 1);
        json_t *c = stored ? node_copy (stored) : NULL;
        if (c)
            copied (t, first_ref (s));
        if (!c || json_object_set_new (data, key, c) < 0 || note_changed (node, key) < 0) {
            json_decref (entry);
            return -1;
        }
        s = c;
    }
    else if (is_clean (s) && (make_dirty (t, s) < 0 || note_changed (node, key) < 0)) {
        json_decref (entry);
        return -1;
    }
    if (node_set (t, s, name, entry, hl + 1) < 0)
        return -1;
    if (eddy_treeobj_type (s) == EDDY_TREEOBJ_DIR && json_object_size (json_object_get (s, "data")) == 0) {
        json_object_del (data, key);
        return note_changed (node, key);
    }
    return 0;
}

/* The dirty directory node for name inside the dirty node, copied into
 * the working tree (or created, if create) on first use.  Borrowed.
 */
static json_t *node_subdir (struct eddy_kvs_tree *t, json_t *node, struct name *name, bool create)
{
    json_t *e = node_get (t, node, name), *c;

    if (!e) {
        if (errno != ENOENT || !create)
            return NULL;
        c = eddy_treeobj_dir ();
    }
    else {
        switch (eddy_treeobj_type (e)) {
        case EDDY_TREEOBJ_DIR:
        case EDDY_TREEOBJ_HDIR:
            if (!is_clean (e))
                return e; /* changed already: its parents know */
            /* written by an earlier commit of this tree: set it again,
             * so that the shards on the way know it changes
             */
            if (make_dirty (t, e) < 0)
                return NULL;
            c = json_incref (e);
            break;
        case EDDY_TREEOBJ_DIRREF: {
            json_t *stored = load_node (t, first_ref (e), -1);
            if (!stored)
                return NULL;
            if ((c = node_copy (stored)))
                copied (t, first_ref (e));
            break;
        }
        default:
            errno = ENOTDIR;
            return NULL;
        }
    }
    if (!c)
        return NULL;
    json_incref (c);
    if (node_set (t, node, name, c, 0) < 0) {
        json_decref (c);
        return NULL;
    }
    json_decref (c); /* node holds it now */
    return c;
}

json_t *eddy_kvs_tree_begin (struct eddy_kvs_tree *t, const char *rootref)
{
    json_t *root;
    if (!eddy_blobref_valid (rootref)) {
        fail (t, EINVAL, "bad root reference%s", "");
        return NULL;
    }
    if (!(root = load_node (t, rootref, -1)))
        return NULL;
    copied (t, rootref);
    return node_copy (root);
}

static int put_blob (struct eddy_kvs_tree *t, const void *data, size_t len, char ref[EDDY_BLOBREF_SIZE])
{
    char *copy = malloc (len + 1);
    if (!copy)
        return -1;
    memcpy (copy, data, len);
    copy[len] = '\0';
    return t->src->put (t->arg, copy, len, NULL, ref);
}

static json_t *value_entry (struct eddy_kvs_tree *t, const char *text, size_t len)
{
    char ref[EDDY_BLOBREF_SIZE];
    if (len <= EDDY_TREEOBJ_INLINE_MAX)
        return eddy_treeobj_val (text, len);
    if (put_blob (t, text, len, ref) < 0)
        return NULL;
    return eddy_treeobj_valref (ref);
}

/* The entry after appending text to e (NULL: a new key).  While the
 * whole value stays within EDDY_TREEOBJ_APPEND_INLINE_MAX it is a val
 * (inline); past that, a valref whose ref array shares the old one's
 * strings (built member by member: json_pack's format parsing showed in
 * profiles), its first ref the inline text that came before.
 */
static json_t *append_entry (struct eddy_kvs_tree *t, const json_t *e, const char *text, size_t len)
{
    char ref[EDDY_BLOBREF_SIZE];
    json_t *refs = NULL, *old = NULL, *n, *v;
    char *prefix = NULL;
    size_t i, plen = 0;

    if (e && eddy_treeobj_type (e) == EDDY_TREEOBJ_VAL && !(prefix = eddy_kvs_tree_read (t, e, &plen)))
        return NULL;
    if ((!e || prefix) && len <= EDDY_TREEOBJ_APPEND_INLINE_MAX
        && plen <= EDDY_TREEOBJ_APPEND_INLINE_MAX - len) {
        char *cat = malloc (plen + len + 1);
        if (!cat)
            goto nomem;
        if (plen)
            memcpy (cat, prefix, plen);
        memcpy (cat + plen, text, len);
        cat[plen + len] = '\0';
        n = eddy_treeobj_val (cat, plen + len);
        free (cat);
        free (prefix);
        if (!n)
            errno = ENOMEM;
        return n;
    }
    if (!(refs = json_array ()))
        goto nomem;
    if (prefix) {
        int rc = put_blob (t, prefix, plen, ref);
        free (prefix);
        prefix = NULL;
        if (rc < 0 || json_array_append_new (refs, json_string_nocheck (ref)) < 0)
            goto nomem;
    }
    else if (e)
        old = json_object_get (e, "data");
    json_array_foreach (old, i, v) {
        if (json_array_append (refs, v) < 0)
            goto nomem;
    }
    if (put_blob (t, text, len, ref) < 0 || json_array_append_new (refs, json_string_nocheck (ref)) < 0)
        goto nomem;
    if (!(n = json_object ()) || json_object_set_new_nocheck (n, "ver", json_integer (1)) < 0
        || json_object_set_new_nocheck (n, "type", json_string_nocheck ("valref")) < 0) {
        json_decref (n);
        goto nomem;
    }
    if (json_object_set_new_nocheck (n, "data", refs) < 0) { /* takes refs in any case */
        json_decref (n);
        errno = ENOMEM;
        return NULL;
    }
    return n;
nomem:
    free (prefix);
    json_decref (refs);
    errno = ENOMEM;
    return NULL;
}

/* 1 if the directory node holds no entry (an hdir may keep emptied
 * shards), 0 if it holds one, -1 + EAGAIN / EINVAL if a shard is missing
 * or corrupt.
 */
static int node_is_empty (struct eddy_kvs_tree *t, json_t *node, int depth)
{
    json_t *data = json_object_get (node, "data"), *v;
    const char *k;

    if (eddy_treeobj_type (node) == EDDY_TREEOBJ_DIR)
        return json_object_size (data) == 0;
    if (depth > EDDY_TREEOBJ_LEVEL_MAX)
        return fail (t, EINVAL, "directory shards nested too deep%s", "");
    int level = (int)json_integer_value (json_object_get (node, "level"));
    json_object_foreach (data, k, v) {
        json_t *child = v;
        if (eddy_treeobj_type (v) == EDDY_TREEOBJ_DIRREF
            && !(child = load_node (t, first_ref (v), level + 1)))
            return -1;
        int rc = node_is_empty (t, child, depth + 1);
        if (rc != 1)
            return rc;
    }
    return 1;
}

/* prune: remove name from node if it is an empty directory; 0 whether or
 * not it was, -1 + EAGAIN / EINVAL / ENOMEM.
 */
static int prune (struct eddy_kvs_tree *t, json_t *node, struct name *name)
{
    json_t *e = node_get (t, node, name), *dir;
    int empty;

    if (!e)
        return errno == ENOENT ? 0 : -1;
    if (!(dir = entry_node (t, e)))
        return errno == ENOTDIR ? 0 : -1;
    if ((empty = node_is_empty (t, dir, 0)) <= 0)
        return empty;
    return node_set (t, node, name, NULL, 0);
}

/* A key split into its components, in place in a copy of it (on the
 * stack for most keys: every operation splits one, and a jansson array
 * of strings cost a few allocations per component).
 */
#define PATH_BUF 256
#define PATH_COMPS 16

struct path {
    char buf[PATH_BUF], *copy;
    const char *stack[PATH_COMPS], **comp;
    size_t n;
};

static void path_free (struct path *p)
{
    if (p->copy != p->buf)
        free (p->copy);
    if (p->comp != p->stack)
        free (p->comp);
}

/* As eddy_kvs_key_split (): -1 + EINVAL / ENOMEM. */
static int path_split (struct path *p, const char *key)
{
    size_t len = strlen (key), max = len / 2 + 1;
    char *q;

    p->n = 0;
    p->copy = len < PATH_BUF ? p->buf : malloc (len + 1);
    p->comp = max <= PATH_COMPS ? p->stack : malloc (max * sizeof (p->comp[0]));
    if (!p->copy || !p->comp) {
        if (!p->copy)
            p->copy = p->buf;
        if (!p->comp)
            p->comp = p->stack;
        path_free (p);
        errno = ENOMEM;
        return -1;
    }
    memcpy (p->copy, key, len + 1);
    for (q = p->copy; *q;) {
        char *dot = strchr (q, '.');
        size_t n = dot ? (size_t)(dot - q) : strlen (q);
        if (n > NAME_MAX_LEN) {
            path_free (p);
            errno = EINVAL;
            return -1;
        }
        if (n > 0)
            p->comp[p->n++] = q;
        q += n;
        if (*q == '.')
            *q++ = '\0';
    }
    return 0;
}

int eddy_kvs_tree_apply (struct eddy_kvs_tree *t, json_t *work, const json_t *op)
{
    const char *name, *key, *value = NULL;
    json_t *node = work, *entry = NULL;
    json_t *jname = json_object_get (op, "op"), *jkey = json_object_get (op, "key");
    json_t *jvalue = json_object_get (op, "value");
    struct path path;
    size_t n, vlen = 0;
    int rc = -1;

    if (!json_is_string (jname) || !json_is_string (jkey) || (jvalue && !json_is_string (jvalue)))
        return fail (t, EINVAL, "malformed operation%s", "");
    name = json_string_value (jname);
    key = json_string_value (jkey);
    if (jvalue) {
        value = json_string_value (jvalue);
        vlen = json_string_length (jvalue);
    }
    bool is_prune = !strcmp (name, "prune");
    bool is_unlink = is_prune || !strcmp (name, "unlink"); /* neither creates */
    if (path_split (&path, key) < 0)
        return errno == EINVAL ? fail (t, EINVAL, "%s: bad key", key) : -1;
    if ((n = path.n) == 0) {
        fail (t, EINVAL, "%s: the root directory cannot be the target", name);
        goto out;
    }
    if ((!strcmp (name, "put") || !strcmp (name, "append")) && !value) {
        fail (t, EINVAL, "%s: no value", key);
        goto out;
    }
    if (make_dirty (t, work) < 0)
        goto out;
    for (size_t i = 0; i + 1 < n; i++) {
        struct name dir;
        name_init (&dir, path.comp[i]);
        if (!(node = node_subdir (t, node, &dir, !is_unlink))) {
            if (errno == ENOENT && is_unlink)
                rc = 0;
            else if (errno == ENOTDIR)
                fail (t, EINVAL, "%s: a path component is a value, not a directory", key);
            goto out;
        }
    }
    struct name last;
    name_init (&last, path.comp[n - 1]);
    if (!strcmp (name, "put")) {
        if (!eddy_json_check (value, vlen)) {
            fail (t, EINVAL, "%s: the value is not JSON", key);
            goto out;
        }
        if (!(entry = value_entry (t, value, vlen)))
            goto out;
    }
    else if (!strcmp (name, "append")) {
        json_t *e = node_get (t, node, &last);
        if (!e && errno != ENOENT)
            goto out;
        eddy_treeobj_type_t type = e ? eddy_treeobj_type (e) : EDDY_TREEOBJ_INVALID;
        if (e && type != EDDY_TREEOBJ_VAL && type != EDDY_TREEOBJ_VALREF) {
            fail (t, EINVAL, "%s: cannot append to a directory", key);
            goto out;
        }
        if (!(entry = append_entry (t, e, value, vlen)))
            goto out;
    }
    else if (!strcmp (name, "mkdir")) {
        if (!(entry = eddy_treeobj_dir ()))
            goto out;
    }
    else if (is_prune) {
        rc = prune (t, node, &last);
        goto out;
    }
    else if (!is_unlink) {
        fail (t, EINVAL, "unknown operation '%s'", name);
        goto out;
    }
    rc = node_set (t, node, &last, entry, 0);
    entry = NULL;
out:
    json_decref (entry);
    path_free (&path);
    return rc;
}


/* The encoding of a dirty node, from its .base blob if it has one (the
 * source may have let it go: then, or if the base will not do, in full).
 */
static char *node_encode (struct eddy_kvs_tree *t, json_t *node, size_t *len)
{
    const char *base = json_string_value (json_object_get (node, BASE_KEY));
    json_t *changed = json_object_get (node, CHANGED_KEY);
    const void *text;
    size_t tlen;
    char *s;

    if (base && t->src->get_data (t->arg, base, &text, &tlen) == 0) {
        if (!changed && (s = malloc (tlen + 1))) {
            /* set again, but nothing in it changed */
            memcpy (s, text, tlen);
            s[tlen] = '\0';
            *len = tlen;
            return s;
        }
        if (changed && (s = eddy_treeobj_encode_update (node, text, tlen, changed, len)))
            return s;
    }
    return eddy_treeobj_encode (node, len);
}

/* Write node, if dirty, after the dirty nodes below it (those its
 * .changed names), and make it clean: it stays in the tree, and encode ()
 * writes it as a dirref from now on.
 */
static int unroll (struct eddy_kvs_tree *t, json_t *node, char ref[EDDY_BLOBREF_SIZE])
{
    json_t *r = json_object_get (node, REF_KEY);
    json_t *data = json_object_get (node, "data"), *m;
    char *text;
    size_t len, i;

    if (r) {
        snprintf (ref, EDDY_BLOBREF_SIZE, "%s", json_string_value (r));
        return 0;
    }
    json_t *changed = json_object_get (node, CHANGED_KEY);
    size_t nchanged = json_is_string (changed) ? 1 : json_array_size (changed);
    for (i = 0; i < nchanged; i++) {
        m = json_is_string (changed) ? changed : json_array_get (changed, i);
        json_t *v = json_object_get (data, json_string_value (m));
        char cref[EDDY_BLOBREF_SIZE];
        if (v && is_inline_dir (v) && !is_clean (v) && unroll (t, v, cref) < 0)
            return -1;
    }
    if (!(text = node_encode (t, node, &len)))
        return -1;
    if (t->src->put (t->arg, text, len, NULL, ref) < 0)
        return -1;
    json_object_del (node, BASE_KEY);
    json_object_del (node, CHANGED_KEY);
    json_t *w = json_object_get (node, WRITTEN_KEY);
    if (w)
        json_integer_set (w, (json_int_t)t->epoch);
    if ((!w && json_object_set_new_nocheck (node, WRITTEN_KEY, json_integer ((json_int_t)t->epoch)) < 0)
        || json_object_set_new_nocheck (node, REF_KEY, json_string_nocheck (ref)) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int eddy_kvs_tree_finish (struct eddy_kvs_tree *t, json_t *work, char ref[EDDY_BLOBREF_SIZE])
{
    return unroll (t, work, ref);
}

/* A node written since `before` was on the path of a recent change, and
 * so were the nodes above it: only those are walked.
 */
static int collapse (json_t *node, json_int_t before, int depth)
{
    json_t *data = json_object_get (node, "data"), *v;
    const char *k;
    int rc = 0;

    if (depth > EDDY_TREEOBJ_LEVEL_MAX + 4096)
        return 0;
    json_object_foreach (data, k, v) {
        json_t *ref;
        if (!is_inline_dir (v) || !(ref = json_object_get (v, REF_KEY)))
            continue; /* a value, a dirref, or (not after finish ()) dirty */
        if (json_integer_value (json_object_get (v, WRITTEN_KEY)) >= before) {
            if (collapse (v, before, depth + 1) < 0)
                rc = -1;
            continue;
        }
        /* replacing the value of a key does not disturb the walk */
        json_t *d = eddy_treeobj_dirref (json_string_value (ref));
        if (!d || json_object_set_new_nocheck (data, k, d) < 0) {
            errno = ENOMEM;
            rc = -1;
        }
    }
    return rc;
}

int eddy_kvs_tree_collapse (struct eddy_kvs_tree *t, json_t *work, uint64_t before)
{
    if (!t || !work) {
        errno = EINVAL;
        return -1;
    }
    return collapse (work, before > INT64_MAX ? INT64_MAX : (json_int_t)before, 0);
}

int eddy_kvs_tree_empty_root (struct eddy_kvs_tree *t, char ref[EDDY_BLOBREF_SIZE])
{
    json_t *d = eddy_treeobj_dir ();
    int rc;
    if (!d)
        return -1;
    rc = unroll (t, d, ref);
    json_decref (d);
    return rc;
}
