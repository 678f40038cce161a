/* Unit tests of the KVS hash tree (tree.c, treeobj.c): lookups,
 * the commit operations, sharding of large directories, faulting in
 * missing blobs, and bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/blobref.h"
#include "kvs/cache.h"
#include "kvs/tree.h"
#include "kvs/treeobj.h"

/* The test source: a cache; `largest` records the biggest blob written.
 * keep_obj: the cache keeps the working tree's node as a new blob's
 * decoded form, as the kvs module does (else it decodes the blob's text).
 * no_data: get_data fails (EAGAIN), as for blobs the cache let go.
 */
struct src {
    eddy_kvs_cache_t *c;
    size_t largest;
    int puts, gets;
    bool keep_obj, no_data;
};

static json_t *s_get_obj (void *arg, const char *ref, eddy_error_t *err)
{
    struct src *s = arg;
    json_t *o = eddy_kvs_cache_get_obj (s->c, ref, err);
    s->gets++;
    if (!o && errno == ENOENT)
        errno = EAGAIN;
    return o;
}

static int s_get_data (void *arg, const char *ref, const void **data, size_t *len)
{
    struct src *s = arg;
    if (s->no_data || eddy_kvs_cache_get_data (s->c, ref, data, len) < 0) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}

static int s_put (void *arg, void *data, size_t len, json_t *obj, char ref[EDDY_BLOBREF_SIZE])
{
    struct src *s = arg;
    eddy_blobref_hash (data, len, ref);
    if (len > s->largest)
        s->largest = len;
    s->puts++;
    return eddy_kvs_cache_insert_obj (s->c, ref, data, len, s->keep_obj ? obj : NULL, true);
}

static const struct eddy_kvs_tree_src src_ops = { s_get_obj, s_get_data, s_put };

/* keep_work: commits go on one working tree, kept from one to the next
 * while it stands for root (as the kvs module does); collapse_every N:
 * every N commits, what the last commit did not write is collapsed.
 */
struct fixture {
    struct src s;
    struct eddy_kvs_tree t;
    char root[EDDY_BLOBREF_SIZE];
    bool keep_work;
    int collapse_every;
    json_t *work;
    char workroot[EDDY_BLOBREF_SIZE];
};

static int setup (void **state)
{
    struct fixture *f = calloc (1, sizeof (*f));
    if (!f || !(f->s.c = eddy_kvs_cache_create ()))
        return -1;
    eddy_kvs_tree_init (&f->t, &src_ops, &f->s);
    if (eddy_kvs_tree_empty_root (&f->t, f->root) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown (void **state)
{
    struct fixture *f = *state;
    json_decref (f->work);
    eddy_kvs_cache_destroy (f->s.c);
    free (f);
    return 0;
}

/* Start over with an empty cache and root (a blob already cached keeps
 * the decoded form it has).
 */
static void fresh_cache (struct fixture *f)
{
    eddy_kvs_cache_destroy (f->s.c);
    assert_non_null (f->s.c = eddy_kvs_cache_create ());
    assert_int_equal (eddy_kvs_tree_empty_root (&f->t, f->root), 0);
}

/* Apply ops (a JSON array text) as one commit; returns 0 or -1 + errno. */
static int commit (struct fixture *f, const char *ops_text)
{
    json_t *ops = json_loads (ops_text, 0, NULL);
    json_t *work, *op;
    size_t i;
    int rc = -1;

    assert_non_null (ops);
    f->t.epoch++;
    if (f->work && (!f->keep_work || strcmp (f->workroot, f->root) != 0)) {
        json_decref (f->work);
        f->work = NULL;
    }
    if (!(work = f->work) && !(work = eddy_kvs_tree_begin (&f->t, f->root)))
        goto out;
    f->work = NULL;
    if (f->keep_work && f->collapse_every && f->t.epoch % f->collapse_every == 0)
        assert_int_equal (eddy_kvs_tree_collapse (&f->t, work, f->t.epoch - 1), 0);
    json_array_foreach (ops, i, op) {
        if (eddy_kvs_tree_apply (&f->t, work, op) < 0)
            goto out;
    }
    if ((rc = eddy_kvs_tree_finish (&f->t, work, f->root)) == 0 && f->keep_work) {
        memcpy (f->workroot, f->root, sizeof (f->workroot));
        f->work = json_incref (work);
    }
out:
    json_decref (work);
    json_decref (ops);
    return rc;
}

/* One operation with a value (put or append) as its own commit. */
static int commit_one (struct fixture *f, const char *op, const char *key, const char *value)
{
    json_t *ops = json_pack ("[{s:s s:s s:s}]", "op", op, "key", key, "value", value);
    char *s = json_dumps (ops, 0);
    int rc = commit (f, s);
    free (s);
    json_decref (ops);
    return rc;
}

static int put (struct fixture *f, const char *key, const char *value)
{
    return commit_one (f, "put", key, value);
}

/* The value at key as a string (caller frees), or NULL + errno. */
static char *get (struct fixture *f, const char *key)
{
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, key);
    size_t len;
    char *s;
    if (!e)
        return NULL;
    s = eddy_kvs_tree_read (&f->t, e, &len);
    json_decref (e);
    return s;
}

static void put_then_get_nested_keys (void **state)
{
    struct fixture *f = *state;
    assert_int_equal (put (f, "a.b.c", "42"), 0);
    assert_int_equal (put (f, "a.x", "\"hello\""), 0);
    char *v = get (f, "a.b.c");
    assert_string_equal (v, "42");
    free (v);
    v = get (f, "..a..x.");
    assert_string_equal (v, "\"hello\"");
    free (v);
    assert_null (get (f, "a.nope"));
    assert_int_equal (errno, ENOENT);
    assert_null (get (f, "a.b"));
    assert_int_equal (errno, EISDIR);
    assert_null (get (f, "a.x.y"));
    assert_int_equal (errno, ENOTDIR);
}

static void listing_is_sorted_and_root_is_a_dir (void **state)
{
    struct fixture *f = *state;
    assert_int_equal (commit (f, "[{\"op\":\"put\",\"key\":\"d.z\",\"value\":\"1\"},"
                                 "{\"op\":\"put\",\"key\":\"d.a\",\"value\":\"2\"},"
                                 "{\"op\":\"mkdir\",\"key\":\"d.m\"}]"),
                      0);
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, "d");
    json_t *names = eddy_kvs_tree_list (&f->t, e);
    char *s = json_dumps (names, JSON_COMPACT);
    assert_string_equal (s, "[\"a\",\"m\",\"z\"]");
    free (s);
    json_decref (names);
    json_decref (e);
    e = eddy_kvs_tree_lookup (&f->t, f->root, ".");
    names = eddy_kvs_tree_list (&f->t, e);
    assert_int_equal (json_array_size (names), 1);
    json_decref (names);
    json_decref (e);
}

static void big_values_go_to_their_own_blob (void **state)
{
    struct fixture *f = *state;
    char big[1000];
    memset (big, 'x', sizeof (big));
    big[0] = big[998] = '"';
    big[999] = '\0';
    assert_int_equal (put (f, "big", big), 0);
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, "big");
    assert_int_equal (eddy_treeobj_type (e), EDDY_TREEOBJ_VALREF);
    json_decref (e);
    char *v = get (f, "big");
    assert_string_equal (v, big);
    free (v);
}

static void unlink_and_mkdir (void **state)
{
    struct fixture *f = *state;
    assert_int_equal (put (f, "a.b", "1"), 0);
    assert_int_equal (put (f, "a.c", "2"), 0);
    assert_int_equal (commit (f, "[{\"op\":\"unlink\",\"key\":\"a.b\"}]"), 0);
    assert_null (get (f, "a.b"));
    assert_int_equal (errno, ENOENT);
    /* unlinking what is not there is fine */
    assert_int_equal (commit (f, "[{\"op\":\"unlink\",\"key\":\"q.r.s\"}]"), 0);
    assert_int_equal (commit (f, "[{\"op\":\"mkdir\",\"key\":\"a\"}]"), 0);
    assert_null (get (f, "a.c"));
    assert_int_equal (errno, ENOENT);
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, "a");
    assert_int_equal (eddy_treeobj_type (e), EDDY_TREEOBJ_DIRREF);
    json_decref (e);
}

/* True if key names something (a value or a directory). */
static bool exists (struct fixture *f, const char *key)
{
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, key);
    json_decref (e);
    return e != NULL;
}

static void prune_removes_only_empty_directories (void **state)
{
    struct fixture *f = *state;
    char ops[8192], key[64];

    assert_int_equal (put (f, "j.a.b.c1", "1"), 0);
    assert_int_equal (put (f, "j.a.b.c2", "2"), 0);
    assert_int_equal (put (f, "j.a.v", "3"), 0);
    /* not empty, a value, missing: nothing happens, and no error */
    assert_int_equal (commit (f, "[{\"op\":\"prune\",\"key\":\"j.a.b\"},"
                                 "{\"op\":\"prune\",\"key\":\"j.a.v\"},"
                                 "{\"op\":\"prune\",\"key\":\"x.y.z\"}]"),
                      0);
    assert_true (exists (f, "j.a.b.c1") && exists (f, "j.a.v"));
    assert_false (exists (f, "x"));
    /* unlink then prune the parents, deepest first: b goes, a stays (v) */
    assert_int_equal (commit (f, "[{\"op\":\"unlink\",\"key\":\"j.a.b.c1\"},"
                                 "{\"op\":\"unlink\",\"key\":\"j.a.b.c2\"},"
                                 "{\"op\":\"prune\",\"key\":\"j.a.b\"},"
                                 "{\"op\":\"prune\",\"key\":\"j.a\"}]"),
                      0);
    assert_false (exists (f, "j.a.b"));
    assert_true (exists (f, "j.a.v"));
    /* a sharded directory emptied by unlinks (it keeps empty shards) */
    int n = snprintf (ops, sizeof (ops), "[");
    for (int i = 0; i < 3 * EDDY_TREEOBJ_SPLIT; i++) {
        snprintf (key, sizeof (key), "j.h.k%d", i);
        assert_int_equal (put (f, key, "0"), 0);
        n += snprintf (ops + n, sizeof (ops) - n, "%s{\"op\":\"unlink\",\"key\":\"%s\"}",
                       i ? "," : "", key);
    }
    snprintf (ops + n, sizeof (ops) - n, ",{\"op\":\"prune\",\"key\":\"j.h\"}]");
    assert_true (exists (f, "j.h.k0"));
    /* one key left: the shards are not all empty, so prune keeps it */
    assert_int_equal (put (f, "j.h.last", "1"), 0);
    assert_int_equal (commit (f, ops), 0);
    assert_true (exists (f, "j.h.last"));
    assert_false (exists (f, "j.h.k5"));
    assert_int_equal (commit (f, "[{\"op\":\"unlink\",\"key\":\"j.h.last\"},"
                                 "{\"op\":\"prune\",\"key\":\"j.h\"}]"),
                      0);
    assert_false (exists (f, "j.h"));
    assert_true (exists (f, "j.a.v"));
}

static void append_builds_a_value_piece_by_piece (void **state)
{
    struct fixture *f = *state;
    assert_int_equal (put (f, "log", "\"ab"), -1); /* not JSON */
    assert_int_equal (errno, EINVAL);
    assert_int_equal (commit (f, "[{\"op\":\"append\",\"key\":\"log\",\"value\":\"one\\n\"}]"), 0);
    assert_int_equal (commit (f, "[{\"op\":\"append\",\"key\":\"log\",\"value\":\"two\\n\"},"
                                 "{\"op\":\"append\",\"key\":\"log\",\"value\":\"three\\n\"}]"),
                      0);
    char *v = get (f, "log");
    assert_string_equal (v, "one\ntwo\nthree\n");
    free (v);
    /* append to a small inline value converts it */
    assert_int_equal (put (f, "s", "\"x\""), 0);
    assert_int_equal (commit (f, "[{\"op\":\"append\",\"key\":\"s\",\"value\":\"y\"}]"), 0);
    v = get (f, "s");
    assert_string_equal (v, "\"x\"y");
    free (v);
    assert_int_equal (commit (f, "[{\"op\":\"append\",\"key\":\".\",\"value\":\"y\"}]"), -1);
    assert_int_equal (errno, EINVAL);
}

static int append (struct fixture *f, const char *key, const char *text)
{
    return commit_one (f, "append", key, text);
}

/* The entry's type at key, and for a valref its number of refs. */
static eddy_treeobj_type_t entry_type (struct fixture *f, const char *key, size_t *nrefs)
{
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, key);
    assert_non_null (e);
    eddy_treeobj_type_t type = eddy_treeobj_type (e);
    *nrefs = json_array_size (json_object_get (e, "data"));
    json_decref (e);
    return type;
}

static void appends_stay_inline_up_to_the_limit_then_refer_to_blobs (void **state)
{
    struct fixture *f = *state;
    char line[65], want[EDDY_TREEOBJ_APPEND_INLINE_MAX + 200] = "";
    size_t nrefs;

    /* 8 lines of 64 bytes: exactly the limit, one val */
    for (int i = 0; i < EDDY_TREEOBJ_APPEND_INLINE_MAX / 64; i++) {
        memset (line, 'a' + i, 63);
        line[63] = '\n';
        line[64] = '\0';
        assert_int_equal (append (f, "log", line), 0);
        strcat (want, line);
        assert_int_equal (entry_type (f, "log", &nrefs), EDDY_TREEOBJ_VAL);
    }
    char *v = get (f, "log");
    assert_string_equal (v, want);
    free (v);
    /* one byte more: the inline text becomes the first blob, the new
     * text the second; later appends add a ref each */
    assert_int_equal (append (f, "log", "z"), 0);
    strcat (want, "z");
    assert_int_equal (entry_type (f, "log", &nrefs), EDDY_TREEOBJ_VALREF);
    assert_int_equal (nrefs, 2);
    assert_int_equal (append (f, "log", "\nlast\n"), 0);
    strcat (want, "\nlast\n");
    assert_int_equal (entry_type (f, "log", &nrefs), EDDY_TREEOBJ_VALREF);
    assert_int_equal (nrefs, 3);
    v = get (f, "log");
    assert_string_equal (v, want);
    free (v);
    /* one append bigger than the limit on its own: a blob at once */
    char big[EDDY_TREEOBJ_APPEND_INLINE_MAX + 2];
    memset (big, 'b', sizeof (big) - 1);
    big[sizeof (big) - 1] = '\0';
    assert_int_equal (append (f, "big", big), 0);
    assert_int_equal (entry_type (f, "big", &nrefs), EDDY_TREEOBJ_VALREF);
    assert_int_equal (nrefs, 1);
    /* a value stored as a blob by put (as every append was before the
     * limit) stays a valref when appended to */
    char put_text[103];
    memset (put_text, 'p', sizeof (put_text) - 1);
    put_text[0] = put_text[sizeof (put_text) - 2] = '"';
    put_text[sizeof (put_text) - 1] = '\0';
    assert_int_equal (put (f, "old", put_text), 0);
    assert_int_equal (entry_type (f, "old", &nrefs), EDDY_TREEOBJ_VALREF);
    assert_int_equal (append (f, "old", "x"), 0);
    assert_int_equal (entry_type (f, "old", &nrefs), EDDY_TREEOBJ_VALREF);
    assert_int_equal (nrefs, 2);
    v = get (f, "old");
    assert_int_equal (strlen (v), sizeof (put_text));
    assert_int_equal (v[sizeof (put_text) - 1], 'x');
    free (v);
}

static void operations_that_do_not_apply_are_einval (void **state)
{
    struct fixture *f = *state;
    assert_int_equal (put (f, "v", "1"), 0);
    assert_int_equal (put (f, "v.w", "2"), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (f->t.err.text, "not a directory"));
    assert_int_equal (commit (f, "[{\"op\":\"mkdir\",\"key\":\"d\"},"
                                 "{\"op\":\"append\",\"key\":\"d\",\"value\":\"x\"}]"),
                      -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (commit (f, "[{\"op\":\"frob\",\"key\":\"d\"}]"), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (commit (f, "[{\"key\":\"d\"}]"), -1);
    assert_int_equal (commit (f, "[{\"op\":\"put\",\"key\":\"d\"}]"), -1);
    assert_int_equal (commit (f, "[{\"op\":\"put\",\"key\":\"\",\"value\":\"1\"}]"), -1);
    char *v = get (f, "v"); /* the root did not move */
    assert_string_equal (v, "1");
    free (v);
}

/* 5000 keys in one directory: every blob stays small, every key is found,
 * and the listing has them all in order.
 */
static void large_directories_are_sharded (void **state)
{
    struct fixture *f = *state;
    char key[64], val[32];
    for (int i = 0; i < 5000; i += 100) {
        json_t *ops = json_array ();
        for (int j = i; j < i + 100; j++) {
            snprintf (key, sizeof (key), "big.k%05d", j);
            snprintf (val, sizeof (val), "%d", j);
            json_array_append_new (ops, json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", val));
        }
        char *s = json_dumps (ops, 0);
        assert_int_equal (commit (f, s), 0);
        free (s);
        json_decref (ops);
    }
    f->s.largest = 0;
    assert_int_equal (put (f, "big.k02500", "\"changed\""), 0);
    assert_true (f->s.largest < 16 * 1024);
    for (int j = 0; j < 5000; j += 7) {
        snprintf (key, sizeof (key), "big.k%05d", j);
        char *v = get (f, key);
        assert_non_null (v);
        if (j != 2500)
            assert_int_equal (atoi (v), j);
        free (v);
    }
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, "big");
    json_t *names = eddy_kvs_tree_list (&f->t, e);
    assert_int_equal (json_array_size (names), 5000);
    assert_string_equal (json_string_value (json_array_get (names, 4999)), "k04999");
    json_decref (names);
    json_decref (e);
    /* removing keys from a sharded directory */
    assert_int_equal (commit (f, "[{\"op\":\"unlink\",\"key\":\"big.k00001\"}]"), 0);
    assert_null (get (f, "big.k00001"));
    assert_int_equal (errno, ENOENT);
}

static void missing_blobs_are_named_for_fault_in (void **state)
{
    struct fixture *f = *state;
    assert_int_equal (put (f, "a.b", "1"), 0);
    /* a fresh cache that has only the root */
    eddy_kvs_cache_t *old = f->s.c;
    const void *d;
    size_t len;
    assert_int_equal (eddy_kvs_cache_get_data (old, f->root, &d, &len), 0);
    f->s.c = eddy_kvs_cache_create ();
    char *copy = strndup (d, len);
    assert_int_equal (eddy_kvs_cache_insert (f->s.c, f->root, copy, len, false), 0);
    int faults = 0;
    char *v;
    while (!(v = get (f, "a.b"))) {
        assert_int_equal (errno, EAGAIN);
        assert_true (eddy_blobref_valid (f->t.missing));
        assert_int_equal (eddy_kvs_cache_get_data (old, f->t.missing, &d, &len), 0);
        assert_int_equal (eddy_kvs_cache_insert (f->s.c, f->t.missing, strndup (d, len), len, false), 0);
        faults++;
    }
    assert_string_equal (v, "1");
    assert_int_equal (faults, 1);
    free (v);
    eddy_kvs_cache_destroy (old);
}

static void same_commits_give_the_same_root (void **state)
{
    struct fixture *f = *state;
    char r1[EDDY_BLOBREF_SIZE];
    assert_int_equal (put (f, "x.y", "[1,2]"), 0);
    assert_int_equal (put (f, "x.z", "{}"), 0);
    memcpy (r1, f->root, sizeof (r1));
    assert_int_equal (eddy_kvs_tree_empty_root (&f->t, f->root), 0);
    assert_int_equal (put (f, "x.y", "[1,2]"), 0);
    assert_int_equal (put (f, "x.z", "{}"), 0);
    assert_string_equal (r1, f->root);
}

/* A fixed history of commits touching every kind of object (nested
 * directories, inline and blob values, appends, a directory sharded over
 * two hdir levels, unlinks that empty shards) ends in fixed roots, computed
 * before the commit path was optimised: stored bytes, and so blobrefs,
 * must never change.  Run with the cache decoding every blob, with it
 * keeping the working tree's nodes (so commits encode from the old text),
 * and with that but the old text gone (so they encode in full).
 */
static void history (struct fixture *f, char roots[3][EDDY_BLOBREF_SIZE])
{
    char key[64], val[32], big[300];

    memset (big, 'y', sizeof (big));
    big[0] = big[298] = '"';
    big[299] = '\0';
    assert_int_equal (commit (f, "[{\"op\":\"put\",\"key\":\"a.b.c\",\"value\":\"42\"},"
                                 "{\"op\":\"put\",\"key\":\"a.x\",\"value\":\"\\\"hello\\\"\"},"
                                 "{\"op\":\"mkdir\",\"key\":\"e\"},"
                                 "{\"op\":\"append\",\"key\":\"log\",\"value\":\"one\\n\"}]"),
                      0);
    assert_int_equal (commit (f, "[{\"op\":\"append\",\"key\":\"log\",\"value\":\"two\\n\"}]"), 0);
    assert_int_equal (put (f, "blob", big), 0);
    memcpy (roots[0], f->root, EDDY_BLOBREF_SIZE);
    for (int i = 0; i < 3000; i += 250) {
        json_t *ops = json_array ();
        for (int j = i; j < i + 250; j++) {
            snprintf (key, sizeof (key), "big.k%05d", j);
            snprintf (val, sizeof (val), "%d", j);
            json_array_append_new (ops, json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", val));
        }
        char *s = json_dumps (ops, 0);
        assert_int_equal (commit (f, s), 0);
        free (s);
        json_decref (ops);
    }
    memcpy (roots[1], f->root, EDDY_BLOBREF_SIZE);
    assert_int_equal (put (f, "big.k01234", "\"changed\""), 0);
    assert_int_equal (put (f, "big.sub.deep.x", "[1,2,3]"), 0);
    assert_int_equal (commit (f, "[{\"op\":\"append\",\"key\":\"big.log\",\"value\":\"x\"},"
                                 "{\"op\":\"unlink\",\"key\":\"a.b\"},"
                                 "{\"op\":\"put\",\"key\":\"a.y\",\"value\":\"true\"}]"),
                      0);
    for (int j = 0; j < 3000; j += 2) {
        snprintf (key, sizeof (key), "[{\"op\":\"unlink\",\"key\":\"big.k%05d\"}]", j);
        assert_int_equal (commit (f, key), 0);
    }
    memcpy (roots[2], f->root, EDDY_BLOBREF_SIZE);
}

static void commit_roots_are_unchanged (void **state)
{
    static const char *expected[3] = {
        "sha256-6b4481fe3d68f5c93674ffdef4c8a8b468f0f76d89adae5be0e35d79bed86955",
        "sha256-75a2d2f65daad1fa7c8083beb4bc260b32bf463b829dcaf977e4935d295b93b0",
        "sha256-f67a7a858ce540ab142e0d6a0c78bc23d78fa649663543d925a3f487411a9de1",
    };
    struct fixture *f = *state;
    char roots[3][EDDY_BLOBREF_SIZE];

    /* and on kept working trees: with the old text (encode from it),
     * without it (encode in full), collapsing now and then
     */
    for (int mode = 0; mode < 6; mode++) {
        fresh_cache (f);
        f->s.keep_obj = mode == 1 || mode == 2;
        f->s.no_data = mode == 2 || mode == 4;
        f->keep_work = mode >= 3;
        f->collapse_every = mode == 5 ? 3 : 0;
        assert_int_equal (eddy_kvs_tree_empty_root (&f->t, f->root), 0);
        history (f, roots);
        for (int i = 0; i < 3; i++) {
            if (strcmp (roots[i], expected[i]))
                print_message ("root %d: %s\n", i, roots[i]);
        }
        for (int i = 0; i < 3; i++)
            assert_string_equal (roots[i], expected[i]);
        f->s.no_data = false;
        char *v = get (f, "big.k01235");
        assert_string_equal (v, "1235");
        free (v);
        assert_null (get (f, "big.k01236"));
        assert_int_equal (errno, ENOENT);
        v = get (f, "big.sub.deep.x");
        assert_string_equal (v, "[1,2,3]");
        free (v);
    }
}

/* Operations on fresh subdirectories of a directory that is sharded in
 * the middle of the commit (its private subdirectories move to buckets),
 * some replaced by a value or removed again: one commit and one commit
 * per operation reach the same root, and every key reads back.
 */
static void one_commit_or_many (struct fixture *f)
{
    char one[EDDY_BLOBREF_SIZE], key[64];
    json_t *ops = json_array ();

    for (int i = 0; i < 60; i++) {
        snprintf (key, sizeof (key), "d.sub%02d.x", i);
        json_array_append_new (ops, json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", "1"));
        if (i % 4 == 1) {
            snprintf (key, sizeof (key), "d.sub%02d", i);
            json_array_append_new (ops, json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", "2"));
        }
        if (i % 4 == 2) {
            snprintf (key, sizeof (key), "d.sub%02d", i - 2);
            json_array_append_new (ops, json_pack ("{s:s s:s}", "op", "unlink", "key", key));
        }
        if (i % 4 == 3) {
            snprintf (key, sizeof (key), "d.sub%02d", i);
            json_array_append_new (ops, json_pack ("{s:s s:s}", "op", "mkdir", "key", key));
            json_array_append_new (ops, json_pack ("{s:s s:s}", "op", "mkdir", "key", key));
            snprintf (key, sizeof (key), "d.sub%02d.y.z", i);
            json_array_append_new (ops, json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", "3"));
        }
    }
    char *text = json_dumps (ops, 0);
    assert_int_equal (commit (f, text), 0);
    free (text);
    memcpy (one, f->root, sizeof (one));

    size_t i;
    json_t *op;
    assert_int_equal (eddy_kvs_tree_empty_root (&f->t, f->root), 0);
    json_array_foreach (ops, i, op) {
        json_t *single = json_pack ("[O]", op);
        text = json_dumps (single, 0);
        assert_int_equal (commit (f, text), 0);
        free (text);
        json_decref (single);
    }
    assert_string_equal (f->root, one);
    json_decref (ops);

    for (int k = 0; k < 60; k++) {
        char *v;
        snprintf (key, sizeof (key), k % 4 == 3 ? "d.sub%02d.y.z" : "d.sub%02d.x", k);
        v = get (f, key);
        if (k % 4 == 0) {
            assert_null (v);
            assert_int_equal (errno, ENOENT);
        }
        else if (k % 4 == 1) {
            assert_null (v);
            assert_int_equal (errno, ENOTDIR);
        }
        else {
            assert_non_null (v);
            assert_string_equal (v, k % 4 == 3 ? "3" : "1");
        }
        free (v);
    }
    /* d was sharded on the way */
    json_t *e = eddy_kvs_tree_lookup (&f->t, f->root, "d");
    const char *ref = json_string_value (json_array_get (json_object_get (e, "data"), 0));
    assert_int_equal (eddy_treeobj_type (s_get_obj (&f->s, ref, NULL)), EDDY_TREEOBJ_HDIR);
    json_decref (e);
}

static void one_commit_or_many_give_the_same_root (void **state)
{
    struct fixture *f = *state;
    one_commit_or_many (f);
    fresh_cache (f);
    f->s.keep_obj = true;
    one_commit_or_many (f);
    fresh_cache (f);
    f->keep_work = true;
    one_commit_or_many (f);
    fresh_cache (f);
    f->collapse_every = 2;
    one_commit_or_many (f);
}

/* The first commit copies the directories on its paths out of their
 * blobs; on a kept tree the next ones find them there and change them in
 * place (no blob read), each directory written once per commit, and every
 * stored blob is a valid tree object without inline directories.
 */
static void a_kept_tree_changes_its_directories_in_place (void **state)
{
    struct fixture *f = *state;
    char key[64];

    f->keep_work = true;
    assert_int_equal (put (f, "job.a.b.x", "1"), 0);
    for (int i = 0; i < 100; i++) {
        snprintf (key, sizeof (key), "job.a.b.k%03d", i);
        f->s.gets = f->s.puts = 0;
        assert_int_equal (put (f, key, "2"), 0);
        assert_int_equal (f->s.gets, 0);
        /* root, job, job.a, and job.a.b: flat, then (once sharded, which
         * writes every bucket) an hdir and one bucket
         */
        if (i != 31)
            assert_int_equal (f->s.puts, i < 31 ? 4 : 5);
    }
    /* every blob decodes strictly: lookups read each one afresh */
    fresh_cache (f);
    assert_int_equal (eddy_kvs_tree_empty_root (&f->t, f->root), 0);
    json_decref (f->work);
    f->work = NULL;
    for (int i = 0; i < 100; i++) {
        snprintf (key, sizeof (key), "job.a.b.k%03d", i);
        assert_int_equal (put (f, key, "2"), 0);
    }
    char kept[EDDY_BLOBREF_SIZE];
    memcpy (kept, f->root, sizeof (kept));
    struct src plain = { .c = eddy_kvs_cache_create () };
    struct eddy_kvs_tree t;
    eddy_kvs_tree_init (&t, &src_ops, &plain);
    /* the same commits on a cache that decodes every blob from its text */
    char root[EDDY_BLOBREF_SIZE];
    assert_int_equal (eddy_kvs_tree_empty_root (&t, root), 0);
    for (int i = 0; i < 100; i++) {
        json_t *op = json_pack ("{s:s s:s s:s}", "op", "put", "key", "", "value", "2");
        snprintf (key, sizeof (key), "job.a.b.k%03d", i);
        json_object_set_new (op, "key", json_string (key));
        json_t *work = eddy_kvs_tree_begin (&t, root);
        assert_non_null (work);
        assert_int_equal (eddy_kvs_tree_apply (&t, work, op), 0);
        assert_int_equal (eddy_kvs_tree_finish (&t, work, root), 0);
        json_decref (work);
        json_decref (op);
    }
    assert_string_equal (root, kept);
    for (int i = 0; i < 100; i++) {
        snprintf (key, sizeof (key), "job.a.b.k%03d", i);
        json_t *e = eddy_kvs_tree_lookup (&t, root, key);
        assert_non_null (e);
        json_decref (e);
    }
    eddy_kvs_cache_destroy (plain.c);
}

/* A failed operation leaves the kept tree partly changed: it is dropped,
 * and the next commit starts again from the stored root.
 */
static void a_failed_commit_does_not_leak_into_the_next (void **state)
{
    struct fixture *f = *state;
    char before[EDDY_BLOBREF_SIZE];

    f->keep_work = true;
    assert_int_equal (put (f, "a.v", "1"), 0);
    memcpy (before, f->root, sizeof (before));
    assert_int_equal (commit (f, "[{\"op\":\"put\",\"key\":\"a.w\",\"value\":\"2\"},"
                                 "{\"op\":\"put\",\"key\":\"a.v.x\",\"value\":\"3\"}]"),
                      -1);
    assert_int_equal (errno, EINVAL);
    assert_string_equal (f->root, before);
    assert_int_equal (put (f, "a.u", "4"), 0);
    assert_null (get (f, "a.w"));
    assert_int_equal (errno, ENOENT);
    char *v = get (f, "a.u");
    assert_string_equal (v, "4");
    free (v);
}

/* Collapsing turns what was not written lately back into dirrefs: the
 * root stays the same, and the next commit under it reads the blob again.
 */
static void collapse_frees_what_was_not_written_lately (void **state)
{
    struct fixture *f = *state;

    f->keep_work = true;
    assert_int_equal (put (f, "old.x", "1"), 0);
    assert_int_equal (put (f, "new.x", "2"), 0);
    json_t *data = json_object_get (f->work, "data");
    assert_int_equal (eddy_treeobj_type (json_object_get (data, "old")), EDDY_TREEOBJ_DIR);
    assert_int_equal (eddy_kvs_tree_collapse (&f->t, f->work, f->t.epoch), 0);
    assert_int_equal (eddy_treeobj_type (json_object_get (data, "old")), EDDY_TREEOBJ_DIRREF);
    assert_int_equal (eddy_treeobj_type (json_object_get (data, "new")), EDDY_TREEOBJ_DIR);
    char root[EDDY_BLOBREF_SIZE];
    assert_int_equal (eddy_kvs_tree_finish (&f->t, f->work, root), 0);
    assert_string_equal (root, f->root);
    f->s.gets = 0;
    assert_int_equal (put (f, "old.y", "3"), 0);
    assert_int_equal (f->s.gets, 1);
    char *v = get (f, "old.x");
    assert_string_equal (v, "1");
    free (v);
    assert_int_equal (eddy_kvs_tree_collapse (&f->t, NULL, 0), -1);
    assert_int_equal (errno, EINVAL);
}

static void treeobj_decoding_is_strict (void **state)
{
    static const char *bad[] = {
        "",
        "[]",
        "{\"ver\":2,\"type\":\"dir\",\"data\":{}}",
        "{\"ver\":1,\"type\":\"dir\",\"data\":[]}",
        "{\"ver\":1,\"type\":\"dir\",\"data\":{\"a.b\":{\"ver\":1,\"type\":\"val\",\"data\":\"\"}}}",
        "{\"ver\":1,\"type\":\"dir\",\"data\":{\"a\":{\"ver\":1,\"type\":\"dir\",\"data\":{}}}}",
        "{\"ver\":1,\"type\":\"val\",\"data\":\"!!\"}",
        "{\"ver\":1,\"type\":\"valref\",\"data\":[]}",
        "{\"ver\":1,\"type\":\"dirref\",\"data\":[\"sha256-00\"]}",
        "{\"ver\":1,\"type\":\"hdir\",\"data\":{}}",
        "{\"ver\":1,\"type\":\"hdir\",\"level\":0,\"data\":{\"g\":1}}",
        "{\"ver\":1,\"type\":\"val\",\"data\":\"\",\"extra\":1}",
        NULL,
    };
    eddy_error_t err;
    for (int i = 0; bad[i]; i++) {
        json_t *o = eddy_treeobj_decode (bad[i], strlen (bad[i]), &err);
        if (o)
            fail_msg ("accepted: %s", bad[i]);
        assert_int_equal (errno, EINVAL);
    }
    const char *good = "{\"ver\":1,\"type\":\"val\",\"data\":\"MQ==\"}";
    json_t *o = eddy_treeobj_decode (good, strlen (good), &err);
    assert_non_null (o);
    size_t len;
    char *s = eddy_treeobj_encode (o, &len);
    assert_string_equal (s, "{\"data\":\"MQ==\",\"type\":\"val\",\"ver\":1}");
    free (s);
    json_decref (o);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (put_then_get_nested_keys, setup, teardown),
        cmocka_unit_test_setup_teardown (listing_is_sorted_and_root_is_a_dir, setup, teardown),
        cmocka_unit_test_setup_teardown (big_values_go_to_their_own_blob, setup, teardown),
        cmocka_unit_test_setup_teardown (unlink_and_mkdir, setup, teardown),
        cmocka_unit_test_setup_teardown (prune_removes_only_empty_directories, setup, teardown),
        cmocka_unit_test_setup_teardown (append_builds_a_value_piece_by_piece, setup, teardown),
        cmocka_unit_test_setup_teardown (appends_stay_inline_up_to_the_limit_then_refer_to_blobs,
                                         setup, teardown),
        cmocka_unit_test_setup_teardown (operations_that_do_not_apply_are_einval, setup, teardown),
        cmocka_unit_test_setup_teardown (large_directories_are_sharded, setup, teardown),
        cmocka_unit_test_setup_teardown (missing_blobs_are_named_for_fault_in, setup, teardown),
        cmocka_unit_test_setup_teardown (same_commits_give_the_same_root, setup, teardown),
        cmocka_unit_test_setup_teardown (commit_roots_are_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown (one_commit_or_many_give_the_same_root, setup, teardown),
        cmocka_unit_test_setup_teardown (a_kept_tree_changes_its_directories_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown (a_failed_commit_does_not_leak_into_the_next, setup, teardown),
        cmocka_unit_test_setup_teardown (collapse_frees_what_was_not_written_lately, setup, teardown),
        cmocka_unit_test (treeobj_decoding_is_strict),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
