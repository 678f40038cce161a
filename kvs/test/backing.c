/* Unit tests of both backing stores (backing_memory.c, backing_sqlite.c)
 * holding blobs of both hash functions: loads by either kind of ref, and
 * a garbage collection that follows refs of each kind to the other; a
 * temporary sqlite store; the sqlite store's tally across a clean close
 * and a crash.
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
#include <unistd.h>
#include <sys/wait.h>
#include <sqlite3.h>

#include "kvs/backing.h"
#include "kvs/blobref.h"

/* Store one blob alone (no checkpoint: young until the next collection). */
static void store_one (const struct eddy_backing_ops *ops, void *impl, const char *ref, const char *text)
{
    const char *refs[] = { ref };
    const void *data[] = { text };
    const size_t lens[] = { strlen (text) };
    eddy_error_t err;
    assert_int_equal (ops->store (impl, 1, refs, data, lens, NULL, NULL, &err), 0);
}

static void loads (const struct eddy_backing_ops *ops, void *impl, const char *ref, const char *text)
{
    void *data;
    size_t len;
    assert_int_equal (ops->load (impl, ref, &data, &len), 0);
    assert_int_equal (len, strlen (text));
    assert_string_equal (data, text);
    free (data);
}

static bool gone (const struct eddy_backing_ops *ops, void *impl, const char *ref)
{
    void *data;
    size_t len;
    return ops->load (impl, ref, &data, &len) < 0 && errno == ENOENT;
}

/* A checkpoint names a blake2b- directory that names a sha256- blob,
 * which names a blake2b- one; a fourth blob of each kind is garbage.
 */
static void mixed_refs_are_followed (const struct eddy_backing_ops *ops, const char *dir)
{
    char leaf[EDDY_BLOBREF_SIZE], mid[EDDY_BLOBREF_SIZE], top[EDDY_BLOBREF_SIZE];
    char junk1[EDDY_BLOBREF_SIZE], junk2[EDDY_BLOBREF_SIZE], twin[EDDY_BLOBREF_SIZE];
    char midtext[128], toptext[128], ckpt[128];
    struct eddy_backing_gc res;
    eddy_error_t err;
    void *impl = ops->open (dir, NULL, &err);

    assert_non_null (impl);
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, "leaf", 4, leaf);
    snprintf (midtext, sizeof (midtext), "[\"%s\"]", leaf);
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, midtext, strlen (midtext), mid);
    snprintf (toptext, sizeof (toptext), "{\"x\":[\"%s\"]}", mid);
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, toptext, strlen (toptext), top);
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, "junk", 4, junk1);
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, "junk", 4, junk2);
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, "leaf", 4, twin); /* leaf's bytes, other name */
    store_one (ops, impl, leaf, "leaf");
    store_one (ops, impl, mid, midtext);
    store_one (ops, impl, junk1, "junk");
    store_one (ops, impl, junk2, "junk");
    store_one (ops, impl, twin, "leaf");
    snprintf (ckpt, sizeof (ckpt), "{\"rootref\":\"%s\"}", top);
    {
        const char *refs[] = { top };
        const void *data[] = { toptext };
        const size_t lens[] = { strlen (toptext) };
        assert_int_equal (ops->store (impl, 1, refs, data, lens, "kvs", ckpt, &err), 0);
    }
    uint64_t count, bytes;
    ops->stats (impl, &count, &bytes);
    assert_int_equal (count, 6); /* the same bytes under two names are two blobs */
    loads (ops, impl, leaf, "leaf");
    loads (ops, impl, twin, "leaf");
    loads (ops, impl, top, toptext);
    /* the first collection keeps the young; the second frees what nothing names */
    assert_int_equal (ops->gc (impl, &res, &err), 0);
    assert_int_equal (res.freed, 0);
    assert_int_equal (ops->gc (impl, &res, &err), 0);
    assert_int_equal (res.freed, 3);
    assert_int_equal (res.live, 3);
    assert_int_equal (res.missing, 0);
    loads (ops, impl, top, toptext);
    loads (ops, impl, mid, midtext);
    loads (ops, impl, leaf, "leaf");
    assert_true (gone (ops, impl, junk1));
    assert_true (gone (ops, impl, junk2));
    assert_true (gone (ops, impl, twin));
    ops->close (impl);
}

static void memory_store_holds_both_kinds (void **state)
{
    (void)state;
    mixed_refs_are_followed (&eddy_backing_memory, NULL);
}

static void sqlite_store_holds_both_kinds (void **state)
{
    char dir[] = "/tmp/eddy-backing-test.XXXXXX", path[64];

    (void)state;
    assert_non_null (mkdtemp (dir));
    mixed_refs_are_followed (&eddy_backing_sqlite, dir);
    snprintf (path, sizeof (path), "%s/content.sqlite", dir);
    unlink (path);
    /* sqlite may leave its journal files; remove what is there */
    snprintf (path, sizeof (path), "%s/content.sqlite-wal", dir);
    unlink (path);
    snprintf (path, sizeof (path), "%s/content.sqlite-shm", dir);
    unlink (path);
    assert_int_equal (rmdir (dir), 0);
}

/* A temporary sqlite store ("temporary": true) does not read what a store
 * left in its directory, and leaves nothing there once closed.
 */
static void temporary_sqlite_store_starts_empty_and_goes (void **state)
{
    char dir[] = "/tmp/eddy-backing-test.XXXXXX", path[64], ref[EDDY_BLOBREF_SIZE];
    json_t *temp = json_pack ("{s:b}", "temporary", 1);
    eddy_error_t err;

    (void)state;
    assert_non_null (temp);
    assert_non_null (mkdtemp (dir));
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, "kept", 4, ref);
    void *impl = eddy_backing_sqlite.open (dir, NULL, &err);
    assert_non_null (impl);
    store_one (&eddy_backing_sqlite, impl, ref, "kept");
    eddy_backing_sqlite.close (impl);

    impl = eddy_backing_sqlite.open (dir, temp, &err);
    assert_non_null (impl);
    assert_true (gone (&eddy_backing_sqlite, impl, ref));
    store_one (&eddy_backing_sqlite, impl, ref, "kept");
    loads (&eddy_backing_sqlite, impl, ref, "kept");
    eddy_backing_sqlite.close (impl);
    const char *const sides[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf (path, sizeof (path), "%s/content.sqlite%s", dir, sides[i]);
        assert_int_equal (access (path, F_OK), -1);
    }
    assert_int_equal (rmdir (dir), 0);
    json_decref (temp);
}


static void rm_store (const char *dir)
{
    char path[80];
    const char *const sides[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf (path, sizeof (path), "%s/content.sqlite%s", dir, sides[i]);
        unlink (path);
    }
    assert_int_equal (rmdir (dir), 0);
}

/* Store n blobs named "NAME-i", one batch under a checkpoint. */
static void store_batch (void *impl, const char *name, int n)
{
    char texts[16][32], refs[16][EDDY_BLOBREF_SIZE];
    const char *rp[16];
    const void *dp[16];
    size_t lens[16];
    eddy_error_t err;

    assert_true (n <= 16);
    for (int i = 0; i < n; i++) {
        snprintf (texts[i], sizeof (texts[i]), "%s-%d", name, i);
        eddy_blobref_hash (texts[i], strlen (texts[i]), refs[i]);
        rp[i] = refs[i];
        dp[i] = texts[i];
        lens[i] = strlen (texts[i]);
    }
    assert_int_equal (eddy_backing_sqlite.store (impl, (size_t)n, rp, dp, lens, "root", refs[0], &err), 0);
}

static void stats_are (void *impl, uint64_t count, uint64_t bytes)
{
    uint64_t c, b;
    eddy_backing_sqlite.stats (impl, &c, &b);
    assert_int_equal (c, count);
    assert_int_equal (b, bytes);
}

/* The tally is written at close, not by every store: a store closed
 * cleanly is believed when reopened (a row removed behind its back is not
 * noticed), and one left by a process that died without closing it is
 * counted again.
 */
static void sqlite_tally_survives_close_and_is_recounted_after_a_crash (void **state)
{
    char dir[] = "/tmp/eddy-backing-test.XXXXXX", path[80];
    eddy_error_t err;
    void *impl;
    sqlite3 *db;

    (void)state;
    assert_non_null (mkdtemp (dir));
    snprintf (path, sizeof (path), "%s/content.sqlite", dir);
    assert_non_null ((impl = eddy_backing_sqlite.open (dir, NULL, &err)));
    store_batch (impl, "a", 4); /* "a-0".."a-3": 3 bytes each */
    stats_are (impl, 4, 12);
    eddy_backing_sqlite.close (impl);

    /* a blob removed behind the store's back: a clean tally is trusted */
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "DELETE FROM objects WHERE object = CAST ('a-3' AS BLOB)", NULL,
                                    NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_changes (db), 1);
    sqlite3_close (db);
    assert_non_null ((impl = eddy_backing_sqlite.open (dir, NULL, &err)));
    stats_are (impl, 4, 12);
    eddy_backing_sqlite.close (impl);

    /* a child stores more and dies without closing: the next open counts */
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        void *c = eddy_backing_sqlite.open (dir, NULL, &err);
        if (!c)
            _exit (2);
        store_batch (c, "bb", 5); /* 4 bytes each */
        _exit (0);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_non_null ((impl = eddy_backing_sqlite.open (dir, NULL, &err)));
    stats_are (impl, 3 + 5, 9 + 20);
    store_batch (impl, "a", 4); /* a-3 is back; a-0..a-2 were there */
    stats_are (impl, 9, 32);
    eddy_backing_sqlite.close (impl);
    assert_non_null ((impl = eddy_backing_sqlite.open (dir, NULL, &err)));
    stats_are (impl, 9, 32);
    eddy_backing_sqlite.close (impl);
    rm_store (dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (memory_store_holds_both_kinds),
        cmocka_unit_test (sqlite_store_holds_both_kinds),
        cmocka_unit_test (temporary_sqlite_store_starts_empty_and_goes),
        cmocka_unit_test (sqlite_tally_survives_close_and_is_recounted_after_a_crash),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
