/* sign.h - signed job requests: a payload (the jobspec bytes) wrapped with
 * the identity of the user who made it, as MUNGE credentials ("munge") or,
 * in a single-user instance and in the simulator, a plain encoding ("none").
 *
 * The mechanisms sit behind a small ops table in sign.c; callers see only
 * the text form J, a configuration (the [sign] table of the security
 * config) and error texts meant for the person who submitted the job.
 */
#ifndef EDDY_UTIL_SIGN_H
#define EDDY_UTIL_SIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

/* Mechanisms, as bits of eddy_sign_conf.allowed. */
enum eddy_sign_mech {
    EDDY_SIGN_NONE = 1,
    EDDY_SIGN_MUNGE = 2,
};

/* Where libmunge connects when munge-socket is not set (its compiled-in
 * default on Debian), for messages.
 */
#define EDDY_SIGN_MUNGE_SOCKET_DEFAULT "/run/munge/munge.socket.2"

/* Default max-ttl: a job may wait in the queue for days before eddy-imp
 * verifies its signature again at start, so two weeks, as Flux.
 */
#define EDDY_SIGN_MAX_TTL_DEFAULT 1209600.

/* Longest "none" or MUNGE text eddy_sign_unwrap () accepts (a jobspec of
 * up to 16 MiB, encoded).
 */
#define EDDY_SIGN_MAX_TEXT (24u << 20)

struct eddy_sign_conf {
    char munge_socket[256]; /* "" = libmunge's default socket */
    double max_ttl;         /* seconds a MUNGE credential stays good */
    char default_type[16];  /* "munge" or "none": what wrap uses for NULL */
    unsigned allowed;       /* enum eddy_sign_mech bits unwrap accepts */
};

/* Configuration
 *
 * eddy_sign_conf_init () sets the defaults: max-ttl two weeks, libmunge's
 * socket; a single-user instance signs with "none" and accepts both types,
 * a multi-user one signs with and accepts only "munge".
 *
 * eddy_sign_conf_parse () starts from those defaults and applies `table`
 * (the [sign] table of /etc/eddy/security/conf.d/sign.toml, as the TOML
 * parser gives it; NULL means no table):
 *
 *   max-ttl        number of seconds > 0, or an RFC 23 duration ("2w" is
 *                  not one: "14d")
 *   default-type   "munge" or "none"; must be one of allowed-types
 *   allowed-types  non-empty array of "munge" / "none"
 *   munge-socket   path of munged's socket (absolute, < 256 bytes)
 *
 * An unknown key, a wrong type or "none" in a multi-user instance is an
 * error: -1, errno EINVAL, err->text says which key and why ("sign.KEY:
 * ..."); conf is then left at the defaults.
 */
void eddy_sign_conf_init (struct eddy_sign_conf *conf, bool multi_user);
int eddy_sign_conf_parse (struct eddy_sign_conf *conf,
                          const json_t *table,
                          bool multi_user,
                          eddy_error_t *err);

/* The conf as a JSON object with the keys above (what a client needs to
 * sign: the broker may hand it out), or NULL + ENOMEM.  Caller owns it.
 */
json_t *eddy_sign_conf_tojson (const struct eddy_sign_conf *conf);

/* Mechanism name <-> bit; 0 / NULL for an unknown one. */
enum eddy_sign_mech eddy_sign_mech_parse (const char *name);
const char *eddy_sign_mech_name (enum eddy_sign_mech mech);

/* Signing
 *
 * Wrap `len` bytes of payload as the calling process's real user, with
 * `mech` ("munge", "none", or NULL for conf->default_type).  Returns the
 * signed text J (NUL-terminated, printable ASCII; caller frees), or NULL
 * with errno and err->text:
 *
 *   EINVAL        unknown mechanism
 *   ECONNREFUSED  "cannot connect to munged at PATH (is munged running?)"
 *   EPERM         munged refused to encode
 *   ENOMEM
 *
 * The "none" form is "none.UID.B64": UID in decimal, B64 the payload in
 * URL-safe base64 without padding.  It proves nothing and is accepted only
 * where conf->allowed has EDDY_SIGN_NONE.  The MUNGE form is the
 * credential text ("MUNGE:...:") whose payload is the bytes.
 *
 * eddy_sign_wrap_as () is for "none" only (the simulator's submitters are
 * not real users); for "munge" it fails with EPERM.
 */
char *eddy_sign_wrap (const struct eddy_sign_conf *conf,
                      const char *mech,
                      const void *payload,
                      size_t len,
                      eddy_error_t *err);
char *eddy_sign_wrap_as (const struct eddy_sign_conf *conf,
                         const char *mech,
                         uint32_t userid,
                         const void *payload,
                         size_t len,
                         eddy_error_t *err);

/* Verifying
 *
 * Decode and verify J.  On success returns 0, sets *payload (malloc'd,
 * with a NUL after its *len bytes; caller frees), *userid (the signer) and,
 * if mech is not NULL, copies the mechanism name into mech[mechlen].
 * payload, len and userid may be NULL when not wanted.
 *
 * A MUNGE credential is checked by munged at conf->munge_socket; it is
 * good while its age (decode time - encode time, both munged's clock) is
 * at most conf->max_ttl.  munged's own expiry and replay marks are not
 * failures: the same J is verified by job-ingest and again by eddy-imp,
 * and max-ttl is the configured bound.
 *
 * On failure returns -1 with *payload untouched and errno and err->text:
 *
 *   EINVAL        "signature: ..." not a signed text (empty, too long,
 *                 not printable, no known header, bad encoding)
 *   EPERM         "signature type X is not allowed (allowed-types: ...)"
 *   ECONNREFUSED  "cannot connect to munged at PATH (is munged running?)"
 *   EBADMSG       "credential rejected: key mismatch" (a credential made
 *                 with another key: its MAC does not verify), or
 *                 "credential rejected: REASON" for munged's other refusals
 *   EKEYEXPIRED   "signature expired (older than max-ttl N s)"
 *   ENOMEM
 *
 * No call waits without bound: libmunge gives up on a socket it cannot
 * connect to after a few short retries.
 */
int eddy_sign_unwrap (const struct eddy_sign_conf *conf,
                      const char *J,
                      void **payload,
                      size_t *len,
                      uint32_t *userid,
                      char *mech,
                      size_t mechlen,
                      eddy_error_t *err);

/* Checks that callers make after unwrap, with the texts the issue names.
 *
 * eddy_sign_check_user (): 0 if signer == expected, else -1, errno EPERM,
 * "signed by uid SIGNER, not EXPECTED".
 * eddy_sign_check_payload (): 0 if the signed bytes equal the bytes the
 * request carried, else -1, errno EPERM, "signature is over other bytes
 * than the jobspec (N signed, M received)".
 */
int eddy_sign_check_user (uint32_t signer, uint32_t expected, eddy_error_t *err);
int eddy_sign_check_payload (const void *signed_payload,
                             size_t signed_len,
                             const void *payload,
                             size_t len,
                             eddy_error_t *err);

#endif /* !EDDY_UTIL_SIGN_H */
