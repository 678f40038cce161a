/* pmiclient.h - a PMI-1 client for brokers that bootstrap inside a job
 * (eddy's own job shell, or another resource manager's simple PMI): the
 * simple wire protocol on the descriptor PMI_FD names, one blocking call
 * at a time, each bounded by a timeout so a dead or garbled server is an
 * error, never a hang.  EDDY_PMI_DEBUG=1 traces every call on stderr.
 * Front-end code (cmd/): it blocks, which a module must never do.
 */
#ifndef EDDY_CMD_PMICLIENT_H
#define EDDY_CMD_PMICLIENT_H

#include "engine/error.h"

typedef struct eddy_pmi_client eddy_pmi_client_t;

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

/* The exchange.  put stores key=value in the job's key-value space (key
 * and value printable ASCII without spaces, within the server's maxes:
 * EINVAL otherwise); barrier returns once every rank entered it, after
 * which every rank's puts are visible to get; get returns a malloc'd copy
 * of key's value (ENOENT: the server has no such key).  finalize tells
 * the server this process is done with PMI.  All return -1 (or NULL)
 * with errno as for create and err->text naming the call.
 */
int eddy_pmi_client_put (eddy_pmi_client_t *pc, const char *key, const char *value,
                         eddy_error_t *err);
int eddy_pmi_client_barrier (eddy_pmi_client_t *pc, eddy_error_t *err);
char *eddy_pmi_client_get (eddy_pmi_client_t *pc, const char *key, eddy_error_t *err);
int eddy_pmi_client_finalize (eddy_pmi_client_t *pc, eddy_error_t *err);

/* Ask the server to end the job (best effort, no reply awaited). */
void eddy_pmi_client_abort (eddy_pmi_client_t *pc, int code, const char *msg);

#endif /* !EDDY_CMD_PMICLIENT_H */
