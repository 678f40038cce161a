/* acctdb.h - the accounting database (sqlite): banks, users and limits,
 * in the spirit of flux-accounting (usage comes from the job archive).
 *
 * Every change is one transaction (BEGIN IMMEDIATE ... COMMIT), so a
 * failed command writes nothing; readers and writers wait for each other
 * up to the busy timeout (5 s), and the file runs in WAL mode so that a
 * reader (the instance) never blocks a writer.  Schema: docs/accounting.md.
 */
#ifndef EDDY_CMD_ACCTDB_H
#define EDDY_CMD_ACCTDB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"

#define EDDY_ACCTDB_DEFAULT "/var/lib/eddy/accounting.db"

typedef struct eddy_acctdb eddy_acctdb_t;

/* create: make a new database (the file must not exist). */
eddy_acctdb_t *eddy_acctdb_open (const char *path, bool create, eddy_error_t *err);
void eddy_acctdb_close (eddy_acctdb_t *db);

int eddy_acctdb_add_bank (eddy_acctdb_t *db, const char *name, const char *parent, int64_t shares,
                          eddy_error_t *err);
int eddy_acctdb_edit_bank (eddy_acctdb_t *db, const char *name, int64_t shares, eddy_error_t *err);
int eddy_acctdb_delete_bank (eddy_acctdb_t *db, const char *name, eddy_error_t *err);

/* A user's association with a bank.  Fields < 0 (or NULL) are "not given":
 * add-user takes the defaults (shares 1, max_running 5, max_active 7, no
 * queue limit, userid looked up from the name), edit-user keeps them.
 */
struct eddy_acct_user {
    const char *username;
    const char *bank;
    int64_t userid;
    int64_t shares;
    int64_t max_running;
    int64_t max_active;
    const char *queues; /* comma list, "" for any */
};
int eddy_acctdb_add_user (eddy_acctdb_t *db, const struct eddy_acct_user *u, eddy_error_t *err);
int eddy_acctdb_edit_user (eddy_acctdb_t *db, const struct eddy_acct_user *u, eddy_error_t *err);
/* bank NULL: every association of the user */
int eddy_acctdb_delete_user (eddy_acctdb_t *db, const char *username, const char *bank,
                             eddy_error_t *err);

/* Read-only views as JSON (new references; NULL + err on failure).
 * users: [{username, bank, userid, shares, max_running_jobs,
 * max_active_jobs, queues}] (username NULL: all; by name, then bank);
 * banks: [{bank, parent, shares}] in tree order (a parent before its
 * children, siblings by name).
 */
json_t *eddy_acctdb_users (eddy_acctdb_t *db, const char *username, eddy_error_t *err);
json_t *eddy_acctdb_banks (eddy_acctdb_t *db, eddy_error_t *err);

#endif /* !EDDY_CMD_ACCTDB_H */
