/* pmi.c - libpmi.so: the PMI-1 C API (pmi.h) as a client of the simple
 * PMI wire protocol on PMI_FD, or a singleton without it.  libc only (and
 * exec/pmi_wire.c, compiled in), so a program that loads it pulls in
 * nothing else.  The API has no handle, so its state is one static
 * struct: the one place in exec/ that keeps process-wide state, because
 * PMI-1 is process-wide by definition.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/pmi_wire.h"
#pragma GCC visibility push(default)
#include "exec/libpmi/pmi.h"
#pragma GCC visibility pop

/* A singleton's key-value pairs. */
struct kv {
    char *key, *value;
    struct kv *next;
};

struct client {
    int init;
    int fd; /* -1: singleton */
    int rank, size, spawned;
    char kvsname[PMI_WIRE_KVSNAME_MAX];
    int kvsname_max, keylen_max, vallen_max;
    struct kv *local;
    char in[PMI_WIRE_MAXLINE]; /* bytes read past the last line */
    size_t inlen;
    struct pmi_wire_cmd cmd;
};

static struct client pmi = { .fd = -1 };

/* ---- the wire ---- */

static int write_all (const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write (pmi.fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read one line into pmi.cmd; 0, or -1 (EOF, error, malformed). */
static int read_cmd (void)
{
    for (;;) {
        char *nl = memchr (pmi.in, '\n', pmi.inlen);
        if (nl) {
            size_t len = (size_t)(nl - pmi.in);
            int rc = pmi_wire_parse (pmi.in, len, &pmi.cmd);
            memmove (pmi.in, nl + 1, pmi.inlen - len - 1);
            pmi.inlen -= len + 1;
            return rc;
        }
        if (pmi.inlen == sizeof (pmi.in))
            return -1;
        ssize_t n = read (pmi.fd, pmi.in + pmi.inlen, sizeof (pmi.in) - pmi.inlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        pmi.inlen += (size_t)n;
    }
}

/* Send line, read the answer, which must be cmd=expect with rc=0 (or no
 * rc, as some servers send for barrier_out): PMI_SUCCESS or PMI_FAIL.
 */
static int call (const char *line, const char *expect)
{
    int rc = 0;
    if (write_all (line, strlen (line)) < 0 || read_cmd () < 0 || strcmp (pmi.cmd.cmd, expect) != 0)
        return PMI_FAIL;
    if (pmi_wire_get (&pmi.cmd, "rc") && (pmi_wire_get_int (&pmi.cmd, "rc", &rc) < 0 || rc != 0))
        return PMI_FAIL;
    return PMI_SUCCESS;
}

static int env_int (const char *name, int *v)
{
    const char *s = getenv (name);
    char *end;
    long n;

    if (!s || !*s)
        return -1;
    errno = 0;
    n = strtol (s, &end, 10);
    if (errno || *end || n < 0 || n > 0x7fffffff)
        return -1;
    *v = (int)n;
    return 0;
}

static int copy_out (char *dst, int length, const char *src)
{
    if (!dst || length <= 0 || strlen (src) >= (size_t)length)
        return PMI_ERR_INVALID_LENGTH;
    strcpy (dst, src);
    return PMI_SUCCESS;
}

/* ---- life ---- */

int PMI_Init (int *spawned)
{
    int fd;

    if (!spawned)
        return PMI_ERR_INVALID_ARG;
    if (pmi.init)
        return PMI_FAIL;
    pmi.kvsname_max = PMI_WIRE_KVSNAME_MAX;
    pmi.keylen_max = PMI_WIRE_KEYLEN_MAX;
    pmi.vallen_max = PMI_WIRE_VALLEN_MAX;
    if (env_int ("PMI_FD", &fd) < 0) {
        /* no process manager: a job of one */
        pmi.fd = -1;
        pmi.rank = 0;
        pmi.size = 1;
        pmi.spawned = 0;
        snprintf (pmi.kvsname, sizeof (pmi.kvsname), "singinit_kvs_%d", (int)getpid ());
        pmi.init = 1;
        *spawned = 0;
        return PMI_SUCCESS;
    }
    if (env_int ("PMI_RANK", &pmi.rank) < 0 || env_int ("PMI_SIZE", &pmi.size) < 0
        || pmi.rank >= pmi.size)
        return PMI_ERR_INIT;
    if (env_int ("PMI_SPAWNED", &pmi.spawned) < 0)
        pmi.spawned = 0;
    pmi.fd = fd;
    pmi.inlen = 0;
    if (call ("cmd=init pmi_version=1 pmi_subversion=1\n", "response_to_init") != PMI_SUCCESS)
        goto fail;
    if (call ("cmd=get_maxes\n", "maxes") != PMI_SUCCESS
        || pmi_wire_get_int (&pmi.cmd, "kvsname_max", &pmi.kvsname_max) < 0
        || pmi_wire_get_int (&pmi.cmd, "keylen_max", &pmi.keylen_max) < 0
        || pmi_wire_get_int (&pmi.cmd, "vallen_max", &pmi.vallen_max) < 0)
        goto fail;
    if (call ("cmd=get_my_kvsname\n", "my_kvsname") != PMI_SUCCESS)
        goto fail;
    const char *name = pmi_wire_get (&pmi.cmd, "kvsname");
    if (!name || strlen (name) >= sizeof (pmi.kvsname))
        goto fail;
    strcpy (pmi.kvsname, name);
    pmi.init = 1;
    *spawned = pmi.spawned;
    return PMI_SUCCESS;
fail:
    pmi.fd = -1;
    return PMI_ERR_INIT;
}

int PMI_Initialized (PMI_BOOL *initialized)
{
    if (!initialized)
        return PMI_ERR_INVALID_ARG;
    *initialized = pmi.init ? PMI_TRUE : PMI_FALSE;
    return PMI_SUCCESS;
}

int PMI_Finalize (void)
{
    int rc = PMI_SUCCESS;

    if (!pmi.init)
        return PMI_ERR_INIT;
    if (pmi.fd >= 0) {
        rc = call ("cmd=finalize\n", "finalize_ack");
        close (pmi.fd);
        pmi.fd = -1;
    }
    while (pmi.local) {
        struct kv *next = pmi.local->next;
        free (pmi.local->key);
        free (pmi.local->value);
        free (pmi.local);
        pmi.local = next;
    }
    pmi.init = 0;
    return rc;
}

int PMI_Abort (int exit_code, const char error_msg[])
{
    char line[PMI_WIRE_MAXLINE];
    size_t n;

    if (pmi.init && pmi.fd >= 0) {
        n = (size_t)snprintf (line, sizeof (line) - 1, "cmd=abort exitcode=%d ", exit_code);
        /* the message is one line of printable text on the wire */
        for (const char *p = error_msg ? error_msg : ""; *p && n < sizeof (line) - 2; p++)
            line[n++] = (*p >= ' ' && *p < 0x7f) ? *p : ' ';
        line[n++] = '\n';
        (void)write_all (line, n);
    }
    if (error_msg)
        fprintf (stderr, "PMI_Abort: %s\n", error_msg);
    exit (exit_code);
}

/* ---- who ---- */

int PMI_Get_size (int *size)
{
    if (!size)
        return PMI_ERR_INVALID_ARG;
    if (!pmi.init)
        return PMI_ERR_INIT;
    *size = pmi.size;
    return PMI_SUCCESS;
}

int PMI_Get_rank (int *rank)
{
    if (!rank)
        return PMI_ERR_INVALID_ARG;
    if (!pmi.init)
        return PMI_ERR_INIT;
    *rank = pmi.rank;
    return PMI_SUCCESS;
}

int PMI_Get_universe_size (int *size)
{
    if (!size)
        return PMI_ERR_INVALID_ARG;
    if (!pmi.init)
        return PMI_ERR_INIT;
    if (pmi.fd < 0) {
        *size = 1;
        return PMI_SUCCESS;
    }
    if (call ("cmd=get_universe_size\n", "universe_size") != PMI_SUCCESS
        || pmi_wire_get_int (&pmi.cmd, "size", size) < 0)
        return PMI_FAIL;
    return PMI_SUCCESS;
}

int PMI_Get_appnum (int *appnum)
{
    if (!appnum)
        return PMI_ERR_INVALID_ARG;
    if (!pmi.init)
        return PMI_ERR_INIT;
    if (pmi.fd < 0) {
        *appnum = 0;
        return PMI_SUCCESS;
    }
    if (call ("cmd=get_appnum\n", "appnum") != PMI_SUCCESS
        || pmi_wire_get_int (&pmi.cmd, "appnum", appnum) < 0)
        return PMI_FAIL;
    return PMI_SUCCESS;
}

int PMI_Get_id (char id_str[], int length)
{
    if (!pmi.init)
        return PMI_ERR_INIT;
    return copy_out (id_str, length, pmi.kvsname);
}

int PMI_Get_kvs_domain_id (char id_str[], int length)
{
    return PMI_Get_id (id_str, length);
}

int PMI_Get_id_length_max (int *length)
{
    return PMI_KVS_Get_name_length_max (length);
}

/* The node of rank in a "(vector,(node,nnodes,ppn),...)" mapping, its
 * first rank and ppn; -1 if the text does not say.
 */
static int clique_of (const char *map, int rank, int *first, int *ppn)
{
    const char *p = map;
    int r = 0;

    if (strncmp (p, "(vector", 7) != 0)
        return -1;
    p += 7;
    while (*p == ',') {
        int node, nnodes, n, used;
        if (sscanf (p, ",(%d,%d,%d)%n", &node, &nnodes, &n, &used) != 3 || nnodes < 0 || n < 1)
            return -1;
        for (int k = 0; k < nnodes; k++, r += n)
            if (rank >= r && rank < r + n) {
                *first = r;
                *ppn = n;
                return 0;
            }
        p += used;
    }
    return -1;
}

static int clique (int *first, int *n)
{
    char map[PMI_WIRE_VALLEN_MAX];

    *first = pmi.rank;
    *n = 1;
    if (pmi.fd >= 0 && PMI_KVS_Get (pmi.kvsname, "PMI_process_mapping", map, sizeof (map)) == PMI_SUCCESS)
        (void)clique_of (map, pmi.rank, first, n);
    return PMI_SUCCESS;
}

int PMI_Get_clique_size (int *size)
{
    int first;
    if (!size)
        return PMI_ERR_INVALID_ARG;
    if (!pmi.init)
        return PMI_ERR_INIT;
    return clique (&first, size);
}

int PMI_Get_clique_ranks (int ranks[], int length)
{
    int first, n;
    if (!ranks)
        return PMI_ERR_INVALID_ARG;
    if (!pmi.init)
        return PMI_ERR_INIT;
    clique (&first, &n);
    if (length < n)
        return PMI_ERR_INVALID_LENGTH;
    for (int i = 0; i < n; i++)
        ranks[i] = first + i;
    return PMI_SUCCESS;
}

/* ---- barrier ---- */

int PMI_Barrier (void)
{
    if (!pmi.init)
        return PMI_ERR_INIT;
    if (pmi.fd < 0)
        return PMI_SUCCESS;
    return call ("cmd=barrier_in\n", "barrier_out");
}

/* ---- the key-value space ---- */

int PMI_KVS_Get_my_name (char kvsname[], int length)
{
    if (!pmi.init)
        return PMI_ERR_INIT;
    return copy_out (kvsname, length, pmi.kvsname);
}

int PMI_KVS_Get_name_length_max (int *length)
{
    if (!length)
        return PMI_ERR_INVALID_ARG;
    *length = pmi.init ? pmi.kvsname_max : PMI_WIRE_KVSNAME_MAX;
    return PMI_SUCCESS;
}

int PMI_KVS_Get_key_length_max (int *length)
{
    if (!length)
        return PMI_ERR_INVALID_ARG;
    *length = pmi.init ? pmi.keylen_max : PMI_WIRE_KEYLEN_MAX;
    return PMI_SUCCESS;
}

int PMI_KVS_Get_value_length_max (int *length)
{
    if (!length)
        return PMI_ERR_INVALID_ARG;
    *length = pmi.init ? pmi.vallen_max : PMI_WIRE_VALLEN_MAX;
    return PMI_SUCCESS;
}

static struct kv *local_find (const char *key)
{
    for (struct kv *kv = pmi.local; kv; kv = kv->next)
        if (!strcmp (kv->key, key))
            return kv;
    return NULL;
}

int PMI_KVS_Put (const char kvsname[], const char key[], const char value[])
{
    char line[PMI_WIRE_MAXLINE];

    if (!pmi.init)
        return PMI_ERR_INIT;
    if (!kvsname || strcmp (kvsname, pmi.kvsname) != 0)
        return PMI_ERR_INVALID_ARG;
    if (!key || !pmi_wire_valid_key (key, strlen (key)))
        return PMI_ERR_INVALID_KEY;
    if (strlen (key) >= (size_t)pmi.keylen_max)
        return PMI_ERR_INVALID_KEY_LENGTH;
    if (!value || !pmi_wire_valid_value (value, strlen (value)))
        return PMI_ERR_INVALID_VAL;
    if (strlen (value) >= (size_t)pmi.vallen_max)
        return PMI_ERR_INVALID_VAL_LENGTH;
    if (pmi.fd < 0) {
        struct kv *kv = local_find (key);
        char *v = strdup (value);
        if (!v)
            return PMI_ERR_NOMEM;
        if (kv) {
            free (kv->value);
            kv->value = v;
            return PMI_SUCCESS;
        }
        if (!(kv = calloc (1, sizeof (*kv))) || !(kv->key = strdup (key))) {
            free (kv);
            free (v);
            return PMI_ERR_NOMEM;
        }
        kv->value = v;
        kv->next = pmi.local;
        pmi.local = kv;
        return PMI_SUCCESS;
    }
    if ((size_t)snprintf (line, sizeof (line), "cmd=put kvsname=%s key=%s value=%s\n", kvsname, key,
                          value) >= sizeof (line))
        return PMI_ERR_INVALID_VAL_LENGTH;
    return call (line, "put_result");
}

int PMI_KVS_Commit (const char kvsname[])
{
    if (!pmi.init)
        return PMI_ERR_INIT;
    if (!kvsname || strcmp (kvsname, pmi.kvsname) != 0)
        return PMI_ERR_INVALID_ARG;
    return PMI_SUCCESS; /* puts travel at the barrier */
}

int PMI_KVS_Get (const char kvsname[], const char key[], char value[], int length)
{
    char line[PMI_WIRE_MAXLINE];
    const char *v;

    if (!pmi.init)
        return PMI_ERR_INIT;
    if (!kvsname || strcmp (kvsname, pmi.kvsname) != 0)
        return PMI_ERR_INVALID_ARG;
    if (!key || !pmi_wire_valid_key (key, strlen (key)) || strlen (key) >= (size_t)pmi.keylen_max)
        return PMI_ERR_INVALID_KEY;
    if (pmi.fd < 0) {
        struct kv *kv = local_find (key);
        return kv ? copy_out (value, length, kv->value) : PMI_FAIL;
    }
    snprintf (line, sizeof (line), "cmd=get kvsname=%s key=%s\n", kvsname, key);
    if (call (line, "get_result") != PMI_SUCCESS || !(v = pmi_wire_get (&pmi.cmd, "value")))
        return PMI_FAIL;
    return copy_out (value, length, v);
}

/* ---- not offered ---- */

int PMI_KVS_Create (char kvsname[], int length)
{
    return PMI_FAIL;
}

int PMI_KVS_Destroy (const char kvsname[])
{
    return PMI_FAIL;
}

int PMI_KVS_Iter_first (const char kvsname[], char key[], int key_len, char val[], int val_len)
{
    return PMI_FAIL;
}

int PMI_KVS_Iter_next (const char kvsname[], char key[], int key_len, char val[], int val_len)
{
    return PMI_FAIL;
}

int PMI_Publish_name (const char service_name[], const char port[])
{
    return PMI_FAIL;
}

int PMI_Unpublish_name (const char service_name[])
{
    return PMI_FAIL;
}

int PMI_Lookup_name (const char service_name[], char port[])
{
    return PMI_FAIL;
}

int PMI_Spawn_multiple (int count, const char *cmds[], const char **argvs[], const int maxprocs[],
                        const int info_keyval_sizesp[], const PMI_keyval_t *info_keyval_vectors[],
                        int preput_keyval_size, const PMI_keyval_t preput_keyval_vector[],
                        int errors[])
{
    return PMI_FAIL;
}

int PMI_Parse_option (int num_args, char *args[], int *num_parsed, PMI_keyval_t **keyvalp,
                      int *size)
{
    return PMI_FAIL;
}

int PMI_Args_to_keyval (int *argcp, char *((*argvp)[]), PMI_keyval_t **keyvalp, int *size)
{
    return PMI_FAIL;
}

int PMI_Free_keyvals (PMI_keyval_t keyvalp[], int size)
{
    return PMI_FAIL;
}

int PMI_Get_options (char *str, int *length)
{
    return PMI_FAIL;
}
