/* pmisign.h - values a broker puts through PMI, signed by its user: a
 * MUNGE credential whose payload binds (kvsname, rank of the putter, key,
 * value) and which only that user may decode.  The PMI server (for
 * another user's job, the instance's account) then can neither read a
 * value (the CURVE secret) nor make one up, nor pass one off as another
 * key's, another rank's or another job's (docs/security.md).
 * Front-end code (cmd/): every call is a blocking round trip to munged.
 */
#ifndef EDDY_CMD_PMISIGN_H
#define EDDY_CMD_PMISIGN_H

#include <stdbool.h>

#include "engine/error.h"

/* What a credential's payload starts with (its format's version). */
#define EDDY_PMISIGN_MAGIC "eddy-pmi-sign 1"

/* Whether value looks like a credential ("MUNGE:...:"), i.e. whether
 * eddy_pmisign_unwrap () is the way to read it.
 */
bool eddy_pmisign_is_signed (const char *value);

/* Sign value as this process's real user, for key put by rank in the
 * job whose PMI kvsname is kvsname: a MUNGE credential (encrypted, uid
 * restricted to getuid (), good for ttl seconds, 0 for munged's default;
 * munged caps it at its own maximum) through socket (NULL or "":
 * libmunge's default).  Returns its text (malloc'd, printable, no
 * spaces), or NULL with errno: ECONNREFUSED (munged does not answer),
 * ENOMEM, EPERM (munged refused); err->text says which.
 */
char *eddy_pmisign_wrap (const char *socket, int ttl, const char *kvsname, int rank,
                         const char *key, const char *value, eddy_error_t *err);

/* Verify cred, the value the PMI server gave for key, and return the
 * value it signs (malloc'd), or NULL with errno and err->text naming key
 * and the reason: ECONNREFUSED (munged), EBADMSG (munged rejected it: not
 * a credential, another key, decodable only by another user, expired,
 * encoded in the future), EPERM (a good credential, but made by another
 * user, without encryption, or for another kvsname, another key or, when
 * from >= 0, by another rank than from), ENOMEM.  munged's replay mark is
 * not a failure: every broker of a node decodes the same credential.
 */
char *eddy_pmisign_unwrap (const char *socket, const char *cred, const char *kvsname, int from,
                           const char *key, eddy_error_t *err);

/* The payload format alone (no munged): build "MAGIC\nKVSNAME\nRANK\nKEY\n
 * VALUE" (malloc'd, NULL + ENOMEM), and check one against what the getter
 * expects, returning its value (malloc'd) or NULL with errno EPERM (or
 * ENOMEM) and err->text as unwrap's.  For the unit test as much as for
 * wrap and unwrap.
 */
char *eddy_pmisign_payload (const char *kvsname, int rank, const char *key, const char *value);
char *eddy_pmisign_check_payload (const char *payload, const char *kvsname, int from,
                                  const char *key, eddy_error_t *err);

#endif /* !EDDY_CMD_PMISIGN_H */
