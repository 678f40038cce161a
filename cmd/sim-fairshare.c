/* sim-fairshare.c - fair share in eddy sim replay: the accounting
 * database of the trace's users and groups (sim-fairshare.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/acctdb.h"
#include "cmd/sim-fairshare.h"

/* A trace's user as a userid: the SWF number; unknown (-1) is a userid of
 * its own; the owner's uid is the driver's own handle. */
static uint32_t userid_of (int64_t user)
{
    if (user < 0)
        return 2147483647u;
    if ((uint32_t)user == (uint32_t)getuid ())
        return UINT32_MAX;
    return (uint32_t)user;
}

static int64_t uid_value (int64_t user)
{
    return user < 0 ? 2147483647 : user;
}

static void name_user (char *buf, size_t len, int64_t user)
{
    if (user < 0)
        snprintf (buf, len, "unknown");
    else
        snprintf (buf, len, "u%" PRId64, user);
}

static const char *intern (struct sim_fairshare *fs, const char *s)
{
    for (size_t i = 0; i < fs->nbank_names; i++)
        if (!strcmp (fs->bank_names[i], s))
            return fs->bank_names[i];
    char **v = realloc (fs->bank_names, (fs->nbank_names + 1) * sizeof (*v));
    if (!v)
        return NULL;
    fs->bank_names = v;
    if (!(v[fs->nbank_names] = strdup (s)))
        return NULL;
    return v[fs->nbank_names++];
}

static int add_user (eddy_acctdb_t *db,
                     int64_t user,
                     const char *bank,
                     int64_t shares,
                     eddy_error_t *err)
{
    char name[32];
    name_user (name, sizeof (name), user);
    struct eddy_acct_user u = {.username = name,
                               .bank = bank,
                               .userid = uid_value (user),
                               .shares = shares,
                               .max_running = 0,
                               .max_active = 0,
                               .queues = ""};
    return eddy_acctdb_add_user (db, &u, err);
}

static int from_groups (struct sim_fairshare *fs,
                        eddy_acctdb_t *db,
                        const struct eddy_swf_job *jobs,
                        size_t n,
                        eddy_error_t *err)
{
    char bank[32], key[64];
    json_t *seen = json_object ();
    if (!seen)
        return eddy_error_set (err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].group < 0)
            snprintf (bank, sizeof (bank), "gunknown");
        else
            snprintf (bank, sizeof (bank), "g%" PRId64, jobs[i].group);
        const char *b = intern (fs, bank);
        if (!b) {
            json_decref (seen);
            return eddy_error_set (err, "out of memory");
        }
        fs->banks[i] = b;
        /* the first job of a group makes its bank; of a user in it, the association */
        int rc = 0;
        if (!json_object_get (seen, b)) {
            rc = eddy_acctdb_add_bank (db, b, "root", 1, err);
            json_object_set_new (seen, b, json_true ());
        }
        snprintf (key, sizeof (key), "%" PRId64 ":%s", jobs[i].user, b);
        if (rc == 0 && !json_object_get (seen, key)) {
            rc = add_user (db, jobs[i].user, b, 1, err);
            json_object_set_new (seen, key, json_true ());
        }
        if (rc < 0) {
            json_decref (seen);
            return -1;
        }
    }
    json_decref (seen);
    return 0;
}

static int from_file (eddy_acctdb_t *db, const char *path, eddy_error_t *err)
{
    FILE *f = fopen (path, "r");
    char line[512];
    int lineno = 0;
    if (!f)
        return eddy_error_set (err, "%s: %s", path, strerror (errno));
    while (fgets (line, sizeof (line), f)) {
        char kind[16], a[160], b[160], c[160];
        lineno++;
        char *hash = strchr (line, '#');
        if (hash)
            *hash = '\0';
        int k = sscanf (line, "%15s %159s %159s %159s", kind, a, b, c);
        if (k <= 0)
            continue;
        eddy_error_t e2;
        char *end;
        if (!strcmp (kind, "bank") && (k == 3 || k == 4)) {
            long long shares = strtoll (b, &end, 10);
            if (*end || shares < 0) {
                fclose (f);
                return eddy_error_set (err, "%s:%d: shares '%s' is not an integer >= 0",
                                       path, lineno, b);
            }
            if (eddy_acctdb_add_bank (db, a, k == 4 ? c : "root", shares, &e2) < 0) {
                fclose (f);
                return eddy_error_set (err, "%s:%d: %s", path, lineno, e2.text);
            }
        } else if (!strcmp (kind, "user") && (k == 3 || k == 4)) {
            long long user = strtoll (a, &end, 10), shares = 1;
            if (*end || user < -1) {
                fclose (f);
                return eddy_error_set (err, "%s:%d: '%s' is not an SWF user number",
                                       path, lineno, a);
            }
            if (k == 4 && ((shares = strtoll (c, &end, 10)) < 0 || *end)) {
                fclose (f);
                return eddy_error_set (err, "%s:%d: shares '%s' is not an integer >= 0",
                                       path, lineno, c);
            }
            if (add_user (db, user, b, shares, &e2) < 0) {
                fclose (f);
                return eddy_error_set (err, "%s:%d: %s", path, lineno, e2.text);
            }
        } else {
            fclose (f);
            return eddy_error_set (err,
                                   "%s:%d: expected 'bank NAME SHARES [PARENT]' or "
                                   "'user SWF-USER BANK [SHARES]'",
                                   path, lineno);
        }
    }
    fclose (f);
    return 0;
}

int sim_fairshare_setup (struct sim_fairshare *fs,
                         const struct eddy_swf_job *jobs,
                         size_t n,
                         const char *accounts,
                         eddy_error_t *err)
{
    char tmpl[] = "/tmp/eddy-sim-fs.XXXXXX";
    const char *tmp = getenv ("TMPDIR");
    char path[4096];
    eddy_acctdb_t *db = NULL;

    memset (fs, 0, sizeof (*fs));
    if (tmp && *tmp)
        snprintf (path, sizeof (path), "%s/eddy-sim-fs.XXXXXX", tmp);
    else
        snprintf (path, sizeof (path), "%s", tmpl);
    if (!mkdtemp (path) || !(fs->dir = strdup (path)))
        return eddy_error_set (err, "cannot make a temporary directory: %s",
                               strerror (errno));
    if (!(fs->userids = calloc (n ? n : 1, sizeof (*fs->userids))) ||
        !(fs->banks = calloc (n ? n : 1, sizeof (*fs->banks))))
        return eddy_error_set (err, "out of memory");
    for (size_t i = 0; i < n; i++)
        fs->userids[i] = userid_of (jobs[i].user);
    snprintf (path, sizeof (path), "%s/accounting.db", fs->dir);
    if (!(db = eddy_acctdb_open (path, true, err)))
        return -1;
    int rc = eddy_acctdb_add_bank (db, "root", NULL, 1, err);
    if (rc == 0)
        rc = accounts ? from_file (db, accounts, err)
                      : from_groups (fs, db, jobs, n, err);
    eddy_acctdb_close (db);
    if (rc < 0)
        return -1;
    fs->archive =
        json_pack ("{s:s s:s s:{s:s s:s s:s}}", "dbpath", ":memory:", "period", "60s",
                   "accounting", "dbpath", path, "half-life", "7d", "period", "5m");
    fs->priority = json_pack ("{s:s}", "plugin", "multifactor");
    if (!fs->archive || !fs->priority)
        return eddy_error_set (err, "out of memory");
    return 0;
}

void sim_fairshare_cleanup (struct sim_fairshare *fs)
{
    if (fs->dir) {
        char path[4096];
        const char *files[] = {"accounting.db", "accounting.db-wal",
                               "accounting.db-shm"};
        for (size_t i = 0; i < sizeof (files) / sizeof (files[0]); i++) {
            snprintf (path, sizeof (path), "%s/%s", fs->dir, files[i]);
            unlink (path);
        }
        rmdir (fs->dir);
        free (fs->dir);
    }
    for (size_t i = 0; i < fs->nbank_names; i++)
        free (fs->bank_names[i]);
    free (fs->bank_names);
    free (fs->userids);
    free (fs->banks);
    json_decref (fs->archive);
    json_decref (fs->priority);
    memset (fs, 0, sizeof (*fs));
}
