/* pmiclient.h - a PMI-1 client for brokers that bootstrap inside a job
 * (eddy's own job shell, or another resource manager's simple PMI): the
 * simple wire protocol on the descriptor PMI_FD names, one blocking call
 * at a time, each bounded by a timeout so a dead or garbled server is an
 * error, never a hang.  EDDY_PMI_DEBUG=1 traces every call on stderr.
 * Front-end code (cmd/): it blocks, which a module must never do.
 */
#ifndef EDDY_CMD_PMICLIENT_H
#define EDDY_CMD_PMICLIENT_H

#include <stdbool.h>

#include "engine/error.h"

typedef struct eddy_pmi_client eddy_pmi_client_t;

/* Whether put signs values and get verifies them (cmd/pmisign.h). */
enum eddy_pmi_sign {
    EDDY_PMI_SIGN_AUTO,  /* MUNGE when the server is another user's, else when munged answers */
    EDDY_PMI_SIGN_MUNGE, /* always: a put that cannot sign and an unsigned get fail */
    EDDY_PMI_SIGN_NONE,  /* never: values as they are (the protocol alone) */
};

/* Whether this process runs under a PMI-1 server: PMI_FD, PMI_RANK and
 * PMI_SIZE are all set.  Only PMI_FD set is not enough (a leftover).
 */
int eddy_pmi_client_present (void);

/* Connect: read PMI_FD, PMI_RANK and PMI_SIZE, then init, get_maxes and
 * get_my_kvsname.  timeout bounds each reply (seconds, > 0).  Returns the
 * client (the caller's), or NULL with errno and err->text saying what the
 * server did: ENOENT (no PMI in the environment), EINVAL (a variable that
 * is not a number, rank >= size), EBADF (PMI_FD is not open), EPROTO (a
 * reply that is not the simple protocol's, or rc != 0), EPIPE (the server
 * closed), ETIMEDOUT.
 */
eddy_pmi_client_t *eddy_pmi_client_create (double timeout, eddy_error_t *err);

/* Close the descriptor (without finalize: call that first when the
 * server expects it).  NULL is a no-op; errno is kept.
 */
void eddy_pmi_client_destroy (eddy_pmi_client_t *pc);

/* Who this process is in the job (from the environment, checked). */
int eddy_pmi_client_rank (const eddy_pmi_client_t *pc);
int eddy_pmi_client_size (const eddy_pmi_client_t *pc);

/* Signing: how put and get treat values (EDDY_PMI_SIGN_NONE until this
 * is called), munged at socket (NULL or "": libmunge's default; copied).
 * AUTO resolves here, from the kernel, not from anything the server
 * says or sets: if the peer of PMI_FD (SO_PEERCRED: the process that made
 * the socketpair, or listened) is neither this user nor root, or cannot be
 * told, the server is another account's and signing is required (as
 * MUNGE); otherwise put signs when munged answers and get verifies what is
 * signed and takes the rest as it is.  Returns 0, or -1 with EINVAL (an
 * unknown mode) or ENOMEM.
 */
int eddy_pmi_client_set_sign (eddy_pmi_client_t *pc, enum eddy_pmi_sign mode, const char *socket,
                              eddy_error_t *err);

/* Whether the PMI server behind fd is this user's own or root's: the
 * peer the kernel recorded for the socket (SO_PEERCRED); false when it
 * cannot say (not a unix socket).  What AUTO decides by.
 */
bool eddy_pmi_server_is_own (int fd);

/* Parse "auto", "munge" or "none" (-1 otherwise). */
int eddy_pmi_sign_parse (const char *s);

/* Whether signing is required (MUNGE, or AUTO with another user's server),
 * and whether any value put or got so far was signed.
 */
bool eddy_pmi_client_sign_required (const eddy_pmi_client_t *pc);
bool eddy_pmi_client_signed_any (const eddy_pmi_client_t *pc);

/* The exchange.  put stores key=value in the job's key-value space (key
 * and value printable ASCII without spaces, within the server's maxes:
 * EINVAL otherwise); barrier returns once every rank entered it, after
 * which every rank's puts are visible to get; get returns a malloc'd copy
 * of key's value (ENOENT: the server has no such key).  finalize tells
 * the server this process is done with PMI.  All return -1 (or NULL)
 * with errno as for create and err->text naming the call.
 *
 * With signing, put stores key's value as a credential binding (kvsname,
 * this rank, key, value) (EMSGSIZE: longer than the server's vallen_max;
 * ECONNREFUSED: munged does not answer, when signing is required), and
 * get takes a credential apart, checking it was made by this user for
 * this kvsname, for key and, when from >= 0, by rank from (errno as
 * eddy_pmisign_unwrap ()); an unsigned value when signing is required is
 * EPERM.  from is ignored without signing.
 */
int eddy_pmi_client_put (eddy_pmi_client_t *pc, const char *key, const char *value,
                         eddy_error_t *err);
int eddy_pmi_client_barrier (eddy_pmi_client_t *pc, eddy_error_t *err);
char *eddy_pmi_client_get (eddy_pmi_client_t *pc, const char *key, int from, eddy_error_t *err);
int eddy_pmi_client_finalize (eddy_pmi_client_t *pc, eddy_error_t *err);

/* Ask the server to end the job (best effort, no reply awaited). */
void eddy_pmi_client_abort (eddy_pmi_client_t *pc, int code, const char *msg);

#endif /* !EDDY_CMD_PMICLIENT_H */
