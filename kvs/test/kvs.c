/* The content and kvs modules on a small instance, in both worlds
 * (simulator and libev + ZeroMQ): commits and lookups from any rank,
 * merged commits, watches (full and append), namespaces, the content
 * cache on other ranks, a full store, and restart from a checkpoint.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/future.h"
#include "kvs/backing.h"
#include "kvs/blobref.h"
#include "kvs/kvs.h"
#include "test/support/world.h"

#define SIZE 4
#define FANOUT 2

static const struct world_ops *current;

static struct world *boot_kvs (json_t *content_args, json_t *kvs_args)
{
    struct world *w = current->create (SIZE, FANOUT);
    if (!w)
        return NULL;
    for (uint32_t r = 0; r < SIZE; r++) {
        if (eddy_broker_add_initial_module (w->b[r], "content", content_args) < 0
            || eddy_broker_add_initial_module (w->b[r], "kvs", kvs_args) < 0)
            goto error;
    }
    if (world_boot (w, 30.0) < 0)
        goto error;
    return w;
error:
    world_destroy (w);
    return NULL;
}

static struct world *boot (json_t *content_args)
{
    return boot_kvs (content_args, NULL);
}

static int setup (void **state)
{
    return (*state = boot (NULL)) ? 0 : -1;
}

static int teardown (void **state)
{
    world_destroy (*state);
    return 0;
}

static eddy_future_t *put1 (eddy_handle_t *h, const char *ns, const char *key, const char *json)
{
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    assert_int_equal (eddy_kvs_txn_put (txn, key, json), 0);
    eddy_future_t *f = eddy_kvs_commit (h, ns, 0, txn);
    assert_non_null (f);
    eddy_kvs_txn_destroy (txn);
    return f;
}

static void put_sync (struct world *w, eddy_handle_t *h, const char *key, const char *json)
{
    eddy_future_t *f = put1 (h, NULL, key, json);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    if (eddy_rpc_get (f, NULL) < 0)
        fail_msg ("put %s: %s", key, eddy_future_error_string (f));
    eddy_future_destroy (f);
}

/* The value at key, or NULL with errno; the caller frees it. */
static char *get_sync (struct world *w, eddy_handle_t *h, const char *ns, const char *key)
{
    eddy_future_t *f = eddy_kvs_lookup (h, ns, 0, key);
    const char *text;
    char *s = NULL;
    assert_non_null (f);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    if (eddy_kvs_lookup_get (f, &text) == 0)
        s = strdup (text);
    eddy_future_destroy (f);
    return s;
}

static void commit_then_lookup_from_every_rank (void **state)
{
    struct world *w = *state;
    eddy_handle_t *leaf = eddy_broker_handle_create (w->b[SIZE - 1], "client");
    put_sync (w, leaf, "a.b.c", "{\"x\":42}");
    for (uint32_t r = 0; r < SIZE; r++) {
        eddy_handle_t *h = eddy_broker_handle_create (w->b[r], "client");
        char *v = get_sync (w, h, NULL, "a.b.c");
        assert_non_null (v);
        assert_string_equal (v, "{\"x\":42}");
        free (v);
        eddy_future_t *f = eddy_kvs_lookup (h, NULL, 0, "a.b.c");
        int x = 0;
        assert_int_equal (eddy_kvs_lookup_get_unpack (f, "{s:i}", "x", &x), 0);
        assert_int_equal (x, 42);
        eddy_future_destroy (f);
        eddy_handle_destroy (h);
    }
    eddy_future_t *f = eddy_kvs_lookup (leaf, NULL, 0, "a");
    json_t *names;
    assert_int_equal (eddy_kvs_lookup_get_dir (f, &names), 0);
    assert_int_equal (json_array_size (names), 1);
    assert_int_equal (eddy_kvs_lookup_get (f, NULL), -1);
    assert_int_equal (errno, EISDIR);
    eddy_future_destroy (f);
    assert_null (get_sync (w, leaf, NULL, "a.nope"));
    assert_int_equal (errno, ENOENT);
    eddy_handle_destroy (leaf);
}

/* concat appends one transaction's operations to another's, in order,
 * and leaves the appended one as it was.
 */
static void concat_appends_operations_in_order (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    eddy_kvs_txn_t *first = eddy_kvs_txn_create (), *more = eddy_kvs_txn_create ();

    assert_int_equal (eddy_kvs_txn_put (first, "cat.a", "1"), 0);
    assert_int_equal (eddy_kvs_txn_append (first, "cat.log", "x"), 0);
    assert_int_equal (eddy_kvs_txn_put (more, "cat.a", "2"), 0);
    assert_int_equal (eddy_kvs_txn_append (more, "cat.log", "y"), 0);
    assert_int_equal (eddy_kvs_txn_concat (first, more), 0);
    assert_int_equal (eddy_kvs_txn_concat (NULL, more), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_kvs_txn_concat (first, NULL), -1);
    assert_int_equal (errno, EINVAL);
    eddy_future_t *f = eddy_kvs_commit (h, NULL, 0, first);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    char *v = get_sync (w, h, NULL, "cat.a");
    assert_string_equal (v, "2");
    free (v);
    v = get_sync (w, h, NULL, "cat.log");
    assert_string_equal (v, "xy");
    free (v);
    /* more still holds its own two operations */
    f = eddy_kvs_commit (h, NULL, 0, more);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    v = get_sync (w, h, NULL, "cat.log");
    assert_string_equal (v, "xyy");
    free (v);
    eddy_kvs_txn_destroy (first);
    eddy_kvs_txn_destroy (more);
    eddy_handle_destroy (h);
}

/* Blobs go to the content store as text: pure ASCII ones unchecked,
 * others checked as UTF-8.  A name and a blob value outside ASCII read
 * back on every rank (the others load the blobs from the store).
 */
static void non_ascii_names_and_values_are_stored (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h0 = eddy_broker_handle_create (w->b[0], "client");
    char value[256] = "\"";
    for (int i = 0; i < 40; i++)
        strcat (value, "\xc3\xa9\xe2\x98\x83");
    strcat (value, "\"");
    put_sync (w, h0, "d\xc3\xa9j\xc3\xa0.v", value);
    put_sync (w, h0, "d\xc3\xa9j\xc3\xa0.w", "\"plain\"");
    for (uint32_t r = 0; r < SIZE; r++) {
        eddy_handle_t *h = eddy_broker_handle_create (w->b[r], "client");
        char *v = get_sync (w, h, NULL, "d\xc3\xa9j\xc3\xa0.v");
        assert_non_null (v);
        assert_string_equal (v, value);
        free (v);
        v = get_sync (w, h, NULL, "d\xc3\xa9j\xc3\xa0.w");
        assert_non_null (v);
        assert_string_equal (v, "\"plain\"");
        free (v);
        eddy_handle_destroy (h);
    }
    eddy_handle_destroy (h0);
}

static void commits_in_one_iteration_share_a_root (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    eddy_future_t *f[10];
    uint64_t seq[10];
    char key[32];

    for (int i = 0; i < 10; i++) {
        snprintf (key, sizeof (key), "m.k%d", i);
        f[i] = put1 (h, NULL, key, i == 5 ? "5" : "1");
    }
    /* one of them fails on its own: a value in the way */
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    assert_int_equal (eddy_kvs_txn_put (txn, "m.k5.below", "1"), 0);
    eddy_future_t *bad = eddy_kvs_commit (h, NULL, 0, txn);
    eddy_kvs_txn_destroy (txn);
    for (int i = 0; i < 10; i++) {
        assert_int_equal (world_wait (w, f[i], 10.0), 0);
        assert_int_equal (eddy_kvs_commit_get_seq (f[i], &seq[i]), 0);
        assert_int_equal (seq[i], seq[0]);
        eddy_future_destroy (f[i]);
    }
    assert_int_equal (world_wait (w, bad, 10.0), 0);
    assert_int_equal (eddy_rpc_get (bad, NULL), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (eddy_future_error_string (bad), "m.k5.below"));
    eddy_future_destroy (bad);
    char *v = get_sync (w, h, NULL, "m.k9");
    assert_string_equal (v, "1");
    free (v);
    eddy_handle_destroy (h);
}

static void watch_sees_each_change_until_cancelled (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[2], "client");
    const char *text;

    eddy_future_t *nf = eddy_kvs_watch (h, NULL, 0, "w.missing");
    assert_int_equal (world_wait (w, nf, 10.0), 0);
    assert_int_equal (eddy_kvs_lookup_get (nf, &text), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (nf);

    eddy_future_t *wf = eddy_kvs_watch (h, NULL, EDDY_KVS_WAITCREATE, "w.key");
    for (int i = 1; i <= 3; i++) {
        char val[16];
        snprintf (val, sizeof (val), "%d", i);
        put_sync (w, h, "w.key", val);
        put_sync (w, h, "w.other", val); /* not a change of w.key */
        assert_int_equal (world_wait (w, wf, 10.0), 0);
        assert_int_equal (eddy_kvs_lookup_get (wf, &text), 0);
        assert_string_equal (text, val);
        eddy_future_reset (wf);
    }
    world_run_for (w, 0.05);
    assert_false (eddy_future_is_ready (wf));
    assert_int_equal (eddy_kvs_watch_cancel (wf), 0);
    assert_int_equal (world_wait (w, wf, 10.0), 0);
    assert_int_equal (eddy_kvs_lookup_get (wf, &text), -1);
    assert_int_equal (errno, ENODATA);
    eddy_future_destroy (wf);

    /* a destroyed watch goes away on the server too */
    wf = eddy_kvs_watch (h, NULL, 0, "w.key");
    assert_int_equal (world_wait (w, wf, 10.0), 0);
    eddy_future_destroy (wf);
    world_run_for (w, 0.05);
    eddy_future_t *sf = eddy_rpc (h, "kvs.stats", NULL, 0, 0);
    int nw = -1;
    assert_int_equal (world_wait (w, sf, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (sf, "{s:i}", "watchers", &nw), 0);
    assert_int_equal (nw, 0);
    eddy_future_destroy (sf);
    eddy_handle_destroy (h);
}

static void append_watch_gets_only_new_entries (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[1], "client");
    const char *text;
    eddy_future_t *wf = eddy_kvs_watch (h, NULL, EDDY_KVS_WATCH_APPEND | EDDY_KVS_WAITCREATE, "job.log");
    static const char *lines[] = { "{\"timestamp\":1,\"name\":\"submit\"}\n",
                                   "{\"timestamp\":2,\"name\":\"alloc\"}\n",
                                   "{\"timestamp\":3,\"name\":\"start\"}\n" };
    for (int i = 0; i < 3; i++) {
        eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
        assert_int_equal (eddy_kvs_txn_append (txn, "job.log", lines[i]), 0);
        eddy_future_t *f = eddy_kvs_commit (h, NULL, 0, txn);
        eddy_kvs_txn_destroy (txn);
        assert_int_equal (world_wait (w, f, 10.0), 0);
        assert_int_equal (eddy_rpc_get (f, NULL), 0);
        eddy_future_destroy (f);
        assert_int_equal (world_wait (w, wf, 10.0), 0);
        assert_int_equal (eddy_kvs_lookup_get (wf, &text), 0);
        assert_string_equal (text, lines[i]);
        eddy_future_reset (wf);
    }
    char *v = get_sync (w, h, NULL, "job.log");
    assert_int_equal (strlen (v), strlen (lines[0]) + strlen (lines[1]) + strlen (lines[2]));
    free (v);
    eddy_future_destroy (wf);
    world_run_for (w, 0.05); /* let the cancel land before teardown */
    eddy_handle_destroy (h);
}

static void namespaces_are_separate (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[3], "client");
    eddy_future_t *f = eddy_kvs_namespace_create (h, "guest", 1234);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    f = eddy_kvs_namespace_create (h, "guest", 1234);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EEXIST);
    eddy_future_destroy (f);

    f = put1 (h, "guest", "k", "\"g\"");
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    char *v = get_sync (w, h, "guest", "k");
    assert_string_equal (v, "\"g\"");
    free (v);
    assert_null (get_sync (w, h, NULL, "k"));
    assert_int_equal (errno, ENOENT);

    f = eddy_kvs_namespace_remove (h, "guest");
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    assert_null (get_sync (w, h, "guest", "k"));
    assert_int_equal (errno, ENOTSUP);
    f = eddy_kvs_namespace_remove (h, "primary");
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EINVAL);
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

static mode_t mode_of (const char *dir, const char *name)
{
    char path[256];
    struct stat st;
    snprintf (path, sizeof (path), "%s%s%s", dir, name ? "/" : "", name ? name : "");
    assert_int_equal (stat (path, &st), 0);
    return st.st_mode & 07777;
}

/* The store holds every job's environment: private whatever the umask,
 * and an older store made readable by others is tightened, keeping what
 * it holds.
 */
static void the_sqlite_store_is_private_to_the_owner (void **state)
{
    char parent[] = "/tmp/eddy-kvs-mode.XXXXXX", dir[64], path[128];
    eddy_error_t err;
    assert_non_null (mkdtemp (parent));
    snprintf (dir, sizeof (dir), "%s/state", parent);
    mode_t old = umask (022);

    void *s = eddy_backing_sqlite.open (dir, NULL, &err);
    if (!s)
        fail_msg ("open: %s", err.text);
    assert_int_equal (mode_of (dir, NULL), 0700);
    assert_int_equal (mode_of (dir, "content.sqlite"), 0600);
    const char *ref = "sha1-0000000000000000000000000000000000000000";
    const void *data[] = { "x" };
    const size_t lens[] = { 1 };
    assert_int_equal (eddy_backing_sqlite.store (s, 1, &ref, data, lens, "k", "v", &err), 0);
    assert_int_equal (mode_of (dir, "content.sqlite-wal"), 0600);
    eddy_backing_sqlite.close (s);

    snprintf (path, sizeof (path), "%s/content.sqlite", dir);
    assert_int_equal (chmod (path, 0644), 0);
    assert_int_equal (chmod (dir, 0755), 0);
    assert_non_null ((s = eddy_backing_sqlite.open (dir, NULL, &err)));
    assert_int_equal (mode_of (dir, "content.sqlite"), 0600);
    char *v = NULL;
    assert_int_equal (eddy_backing_sqlite.checkpoint_get (s, "k", &v), 0);
    assert_string_equal (v, "v");
    free (v);
    eddy_backing_sqlite.close (s);
    umask (old);
    char cmd[160];
    snprintf (cmd, sizeof (cmd), "rm -rf %s", parent);
    assert_int_equal (system (cmd), 0);
}

static void job_keys_parse_back_to_their_id (void **state)
{
    char key[128];
    uint64_t id;
    const char *rest;
    assert_true (eddy_kvs_job_key (key, sizeof (key), 0x0123456789abcdefULL, "eventlog") > 0);
    assert_int_equal (eddy_kvs_job_key_parse (key, &id, &rest), 0);
    assert_true (id == 0x0123456789abcdefULL);
    assert_string_equal (rest, "eventlog");
    assert_int_equal (eddy_kvs_job_key_parse ("job.0000.0000.0000.002a.output.x", &id, NULL), 0);
    assert_true (id == 42);
    /* the job directory itself, other keys and other spellings are not */
    const char *bad[] = { "job.0000.0000.0000.002a", "job.0000.0000.0000.002a.",
                          "job.0000.0000.0000.002A.eventlog", "job.000.0000.0000.002a.x",
                          "job.0000.0000.0000.002a", "xjob.0000.0000.0000.002a.x",
                          "job.0000.0000.0000.002ax", "job", "", "job-manager.queues" };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        errno = 0;
        assert_int_equal (eddy_kvs_job_key_parse (bad[i], NULL, NULL), -1);
        assert_int_equal (errno, EINVAL);
    }
}

static void content_loads_fault_in_through_the_tree (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h0 = eddy_broker_handle_create (w->b[0], "client");
    eddy_handle_t *h3 = eddy_broker_handle_create (w->b[3], "client");
    const char *blob = "some bytes\0with a NUL";
    char *b64 = eddy_base64_encode (blob, 21);
    char ref[EDDY_BLOBREF_SIZE];
    const char *got;

    eddy_blobref_hash (blob, 21, ref);
    eddy_future_t *f = eddy_rpc_pack (h0, "content.store", 0, 0, "{s:s}", "data", b64);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:s}", "blobref", &got), 0);
    assert_string_equal (got, ref);
    eddy_future_destroy (f);
    /* rank 3 asks its own content module, which asks upstream */
    for (int i = 0; i < 2; i++) {
        f = eddy_rpc_pack (h3, "content.load", 3, 0, "{s:s}", "blobref", ref);
        assert_int_equal (world_wait (w, f, 10.0), 0);
        assert_int_equal (eddy_rpc_get_unpack (f, "{s:s}", "data", &got), 0);
        assert_string_equal (got, b64);
        eddy_future_destroy (f);
    }
    f = eddy_rpc (h3, "content.stats", NULL, 3, 0);
    int cached = 0;
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "cached", &cached), 0);
    assert_int_equal (cached, 1);
    eddy_future_destroy (f);
    eddy_blobref_hash ("unknown", 7, ref);
    f = eddy_rpc_pack (h3, "content.load", 3, 0, "{s:s}", "blobref", ref);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
    free (b64);
    eddy_handle_destroy (h3);
    eddy_handle_destroy (h0);
}

/* Hundreds of lookups at once of values the kvs has let go of (a cache
 * of 8 objects): that many loads in flight, more than its table of loads
 * starts with, so the table grows while loads are pending; each value
 * comes back right, and lookups of the same key share what is loaded.
 */
#define BURST 700
static void a_burst_of_lookups_faults_in_every_blob (void **state)
{
    json_t *args = json_pack ("{s:i}", "cache-max", 8);
    struct world *w = boot_kvs (NULL, args);
    json_decref (args);
    assert_non_null (w);
    eddy_handle_t *h0 = eddy_broker_handle_create (w->b[0], "client");
    eddy_handle_t *h2 = eddy_broker_handle_create (w->b[2], "client");
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    char key[64], val[128];
    eddy_future_t *f[2 * BURST];

    for (int i = 0; i < BURST; i++) {
        snprintf (key, sizeof (key), "burst.d%d.k", i);
        snprintf (val, sizeof (val), "\"value number %d, longer than the inline limit, so that each is a blob of its own\"", i);
        assert_int_equal (eddy_kvs_txn_put (txn, key, val), 0);
    }
    eddy_future_t *cf = eddy_kvs_commit (h0, NULL, 0, txn);
    eddy_kvs_txn_destroy (txn);
    assert_int_equal (world_wait (w, cf, 10.0), 0);
    assert_int_equal (eddy_rpc_get (cf, NULL), 0);
    eddy_future_destroy (cf);
    /* later batches let the values' blobs go */
    for (int i = 0; i < 3; i++) {
        snprintf (val, sizeof (val), "%d", i);
        put_sync (w, h0, "burst-other", val);
    }
    /* all asked for before any is answered; each key twice */
    for (int i = 0; i < 2 * BURST; i++) {
        snprintf (key, sizeof (key), "burst.d%d.k", i % BURST);
        assert_non_null (f[i] = eddy_kvs_lookup (h2, NULL, 0, key));
    }
    for (int i = 0; i < 2 * BURST; i++) {
        const char *text;
        assert_int_equal (world_wait (w, f[i], 10.0), 0);
        assert_int_equal (eddy_kvs_lookup_get (f[i], &text), 0);
        snprintf (val, sizeof (val), "\"value number %d, longer than the inline limit, so that each is a blob of its own\"", i % BURST);
        assert_string_equal (text, val);
        eddy_future_destroy (f[i]);
    }
    eddy_handle_destroy (h2);
    eddy_handle_destroy (h0);
    world_destroy (w);
}

/* A small quota: writes eventually fail with ENOSPC (said so in the
 * error text too), what was stored stays readable, and a restart on the
 * same directory has it all.
 */
static void full_store_and_restart (void **state)
{
    char dir[] = "/tmp/eddy-kvs-test.XXXXXX";
    assert_non_null (mkdtemp (dir));
    json_t *args = json_pack ("{s:s s:i}", "statedir", dir, "max-size", 256 * 1024);
    struct world *w = boot (args);
    assert_non_null (w);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[1], "client");
    char big[4096], key[32];
    int i, stored = 0;
    for (i = 0; i < 200; i++) {
        memset (big, 'a' + i % 26, sizeof (big));
        big[0] = '"';
        snprintf (big + 1, 16, "%d", i);
        big[strlen (big)] = 'x';
        big[sizeof (big) - 2] = '"';
        big[sizeof (big) - 1] = '\0';
        snprintf (key, sizeof (key), "fill.k%d", i);
        eddy_future_t *f = put1 (h, NULL, key, big);
        assert_int_equal (world_wait (w, f, 10.0), 0);
        int rc = eddy_rpc_get (f, NULL);
        if (rc < 0) {
            assert_int_equal (errno, ENOSPC);
            /* the writer reads ENOSPC's words, then the store's */
            assert_non_null (strstr (eddy_future_error_string (f), "No space left on device ("));
            eddy_future_destroy (f);
            break;
        }
        stored++;
        eddy_future_destroy (f);
    }
    assert_true (stored > 0 && stored < 200);
    eddy_handle_destroy (h);
    world_destroy (w);

    w = boot (args);
    assert_non_null (w);
    h = eddy_broker_handle_create (w->b[3], "client");
    snprintf (key, sizeof (key), "fill.k%d", stored - 1);
    char *v = get_sync (w, h, NULL, key);
    assert_non_null (v);
    assert_int_equal (strlen (v), sizeof (big) - 1);
    free (v);
    snprintf (key, sizeof (key), "fill.k%d", stored);
    assert_null (get_sync (w, h, NULL, key));
    assert_int_equal (errno, ENOENT);
    eddy_handle_destroy (h);
    world_destroy (w);
    json_decref (args);
    char cmd[128];
    snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
}


/* ---- garbage collection ---- */

static void content_stats (struct world *w, eddy_handle_t *h, json_int_t *count, json_int_t *runs)
{
    eddy_future_t *f = eddy_rpc (h, "content.stats", NULL, 0, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I s:{s:I}}", "count", count, "gc", "runs", runs), 0);
    eddy_future_destroy (f);
}

static json_int_t force_gc (struct world *w, eddy_handle_t *h, json_int_t *live)
{
    json_int_t freed = -1;
    eddy_future_t *f = eddy_rpc (h, "content.gc", NULL, 0, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I s:I}", "freed", &freed, "live", live), 0);
    eddy_future_destroy (f);
    return freed;
}

/* A value too long to stay inline: a blob of its own. */
static void long_value (char *buf, size_t len, int key, int round)
{
    snprintf (buf, len, "\"key %d round %d %s\"", key, round,
              "padding padding padding padding padding padding padding padding");
}

/* Many commits rewriting the same keys: the store stays bounded, the
 * values stay readable from every rank, and after a restart (sqlite)
 * everything is still there.
 */
static void rewrite_loop (json_t *content_args, bool restart)
{
    struct world *w = boot (content_args);
    assert_non_null (w);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    eddy_handle_t *leaf = eddy_broker_handle_create (w->b[SIZE - 1], "client");
    char key[32], val[160];
    json_int_t count, runs, live, maxcount = 0;

    for (int round = 0; round < 300; round++) {
        eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
        for (int k = 0; k < 10; k++) {
            snprintf (key, sizeof (key), "loop.d%d.k%d", k % 3, k);
            long_value (val, sizeof (val), k, round);
            assert_int_equal (eddy_kvs_txn_put (txn, key, val), 0);
        }
        assert_int_equal (eddy_kvs_txn_append (txn, "loop.log", "{\"entry\":1}\n"), 0);
        if (round % 50 == 49) /* a whole directory goes, and comes back */
            assert_int_equal (eddy_kvs_txn_unlink (txn, "loop.log"), 0);
        eddy_future_t *f = eddy_kvs_commit (leaf, NULL, 0, txn);
        eddy_kvs_txn_destroy (txn);
        assert_int_equal (world_wait (w, f, 10.0), 0);
        assert_int_equal (eddy_rpc_get (f, NULL), 0);
        eddy_future_destroy (f);
        content_stats (w, h, &count, &runs);
        if (count > maxcount)
            maxcount = count;
    }
    /* 300 rounds make some 1,800 blobs; gc-min is 100, so collections
     * keep the store within about twice what is live
     */
    assert_true (runs >= 5);
    assert_true (maxcount < 400);
    assert_true (force_gc (w, h, &live) >= 0);
    assert_true (live > 10 && live < 120);
    for (int k = 0; k < 10; k++) {
        snprintf (key, sizeof (key), "loop.d%d.k%d", k % 3, k);
        long_value (val, sizeof (val), k, 299);
        char *v = get_sync (w, leaf, NULL, key);
        assert_non_null (v);
        assert_string_equal (v, val);
        free (v);
    }
    /* unlinking a directory makes its blobs garbage */
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    assert_int_equal (eddy_kvs_txn_unlink (txn, "loop.d0"), 0);
    eddy_future_t *f = eddy_kvs_commit (h, NULL, 0, txn);
    eddy_kvs_txn_destroy (txn);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    json_int_t live2;
    assert_true (force_gc (w, h, &live2) >= 4);
    assert_true (live2 <= live - 4);
    eddy_handle_destroy (leaf);
    eddy_handle_destroy (h);
    world_destroy (w);
    if (!restart)
        return;

    w = boot (content_args);
    assert_non_null (w);
    h = eddy_broker_handle_create (w->b[2], "client");
    for (int k = 0; k < 10; k++) {
        snprintf (key, sizeof (key), "loop.d%d.k%d", k % 3, k);
        char *v = get_sync (w, h, NULL, key);
        if (k % 3 == 0) {
            assert_null (v);
            assert_int_equal (errno, ENOENT);
            continue;
        }
        long_value (val, sizeof (val), k, 299);
        assert_non_null (v);
        assert_string_equal (v, val);
        free (v);
    }
    content_stats (w, h, &count, &runs);
    assert_int_equal (count, live2);
    eddy_handle_destroy (h);
    world_destroy (w);
}

static void gc_bounds_the_memory_store (void **state)
{
    json_t *args = json_pack ("{s:s s:i}", "backing", "memory", "gc-min", 100);
    rewrite_loop (args, false);
    json_decref (args);
}

static void gc_bounds_the_sqlite_store_and_survives_restart (void **state)
{
    char dir[] = "/tmp/eddy-kvs-gc.XXXXXX";
    assert_non_null (mkdtemp (dir));
    json_t *args = json_pack ("{s:s s:i}", "statedir", dir, "gc-min", 100);
    rewrite_loop (args, true);
    json_decref (args);
    char cmd[128];
    snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
}

/* Rounds of rewrites of ten keys from rank 0, with the store's count
 * after them.
 */
static json_int_t rewrite_rounds (struct world *w, eddy_handle_t *h, int from, int n)
{
    char key[32], val[160];
    json_int_t count, runs;
    for (int round = from; round < from + n; round++) {
        eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
        for (int k = 0; k < 10; k++) {
            snprintf (key, sizeof (key), "tally.k%d", k);
            long_value (val, sizeof (val), k, round);
            assert_int_equal (eddy_kvs_txn_put (txn, key, val), 0);
        }
        eddy_future_t *f = eddy_kvs_commit (h, NULL, 0, txn);
        eddy_kvs_txn_destroy (txn);
        assert_int_equal (world_wait (w, f, 10.0), 0);
        assert_int_equal (eddy_rpc_get (f, NULL), 0);
        eddy_future_destroy (f);
    }
    content_stats (w, h, &count, &runs);
    return count;
}

/* A reopened sqlite store knows its size from the tally it keeps (no
 * count at open), and its first stores do not sweep the history: what it
 * holds at open is the baseline for the next collection.
 */
static void a_reopened_store_keeps_its_tally_and_does_not_collect_at_once (void **state)
{
    char dir[] = "/tmp/eddy-kvs-tally.XXXXXX";
    assert_non_null (mkdtemp (dir));
    json_t *nogc = json_pack ("{s:s s:f}", "statedir", dir, "gc-factor", 0.0);
    json_t *gc = json_pack ("{s:s s:i}", "statedir", dir, "gc-min", 10);
    json_int_t count, runs;

    struct world *w = boot (nogc);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    json_int_t first = rewrite_rounds (w, h, 0, 20);
    assert_true (first > 100); /* garbage piled up: nothing collected it */
    eddy_handle_destroy (h);
    world_destroy (w);

    w = boot (gc);
    h = eddy_broker_handle_create (w->b[0], "client");
    content_stats (w, h, &count, &runs);
    assert_int_equal (count, first);
    json_int_t second = rewrite_rounds (w, h, 20, 2);
    content_stats (w, h, &count, &runs);
    assert_int_equal (runs, 0);
    assert_true (second > first);
    eddy_handle_destroy (h);
    world_destroy (w);

    /* what the second instance added is in the tally too */
    w = boot (nogc);
    h = eddy_broker_handle_create (w->b[0], "client");
    content_stats (w, h, &count, &runs);
    assert_int_equal (count, second);
    json_int_t live;
    assert_true (force_gc (w, h, &live) > 0);
    eddy_handle_destroy (h);
    world_destroy (w);

    w = boot (nogc);
    h = eddy_broker_handle_create (w->b[0], "client");
    content_stats (w, h, &count, &runs);
    assert_int_equal (count, live); /* and so is a collection */
    eddy_handle_destroy (h);
    world_destroy (w);
    json_decref (nogc);
    json_decref (gc);
    char cmd[128];
    snprintf (cmd, sizeof (cmd), "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
}

/* A blob stored without a checkpoint survives one collection (its writer
 * may refer to it next) and goes at the one after; blobs a commit is
 * writing are never collected from under it.
 */
static void gc_spares_young_blobs_once (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    eddy_handle_t *h3 = eddy_broker_handle_create (w->b[3], "client");
    char ref[EDDY_BLOBREF_SIZE];
    const char *got;
    json_int_t live;

    put_sync (w, h, "young.a", "1");
    eddy_blobref_hash ("lonely", 6, ref);
    eddy_future_t *f = eddy_rpc_pack (h3, "content.store", 3, 0, "{s:[s] s:s s:[s]}", "data", "lonely",
                                      "encoding", "utf-8", "blobrefs", ref);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    force_gc (w, h, &live);
    f = eddy_rpc_pack (h, "content.load", 0, 0, "{s:s s:s}", "blobref", ref, "encoding", "utf-8");
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:s}", "data", &got), 0);
    assert_string_equal (got, "lonely");
    eddy_future_destroy (f);
    /* commits and collections interleaved: every value stays readable */
    for (int i = 0; i < 20; i++) {
        char val[16];
        snprintf (val, sizeof (val), "%d", i);
        eddy_future_t *c = put1 (h3, NULL, "young.b", val);
        eddy_future_t *g = eddy_rpc (h, "content.gc", NULL, 0, 0);
        assert_int_equal (world_wait (w, c, 10.0), 0);
        assert_int_equal (eddy_rpc_get (c, NULL), 0);
        assert_int_equal (world_wait (w, g, 10.0), 0);
        assert_int_equal (eddy_rpc_get (g, NULL), 0);
        eddy_future_destroy (c);
        eddy_future_destroy (g);
        char *v = get_sync (w, h3, NULL, "young.b");
        assert_string_equal (v, val);
        free (v);
    }
    f = eddy_rpc_pack (h, "content.load", 0, 0, "{s:s}", "blobref", ref);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
    /* a wrong blobref from another broker is refused */
    f = eddy_rpc_pack (h3, "content.store", 3, 0, "{s:[s] s:s s:[s]}", "data", "other", "encoding", "utf-8",
                       "blobrefs", ref);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EPROTO);
    eddy_future_destroy (f);
    eddy_handle_destroy (h3);
    eddy_handle_destroy (h);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (commit_then_lookup_from_every_rank, setup, teardown),
    cmocka_unit_test_setup_teardown (concat_appends_operations_in_order, setup, teardown),
    cmocka_unit_test_setup_teardown (non_ascii_names_and_values_are_stored, setup, teardown),
    cmocka_unit_test_setup_teardown (commits_in_one_iteration_share_a_root, setup, teardown),
    cmocka_unit_test_setup_teardown (watch_sees_each_change_until_cancelled, setup, teardown),
    cmocka_unit_test_setup_teardown (append_watch_gets_only_new_entries, setup, teardown),
    cmocka_unit_test_setup_teardown (namespaces_are_separate, setup, teardown),
    cmocka_unit_test (job_keys_parse_back_to_their_id),
    cmocka_unit_test (the_sqlite_store_is_private_to_the_owner),
    cmocka_unit_test_setup_teardown (content_loads_fault_in_through_the_tree, setup, teardown),
    cmocka_unit_test (a_burst_of_lookups_faults_in_every_blob),
    cmocka_unit_test (full_store_and_restart),
    cmocka_unit_test_setup_teardown (gc_spares_young_blobs_once, setup, teardown),
    cmocka_unit_test (gc_bounds_the_memory_store),
    cmocka_unit_test (gc_bounds_the_sqlite_store_and_survives_restart),
    cmocka_unit_test (a_reopened_store_keeps_its_tally_and_does_not_collect_at_once),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "kvs-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
