/* pmi.h - the PMI-1 C API (as MPICH's pmi.h declares it; the same values,
 * so a program built against either runs with eddy's libpmi.so).  eddy's
 * libpmi.so speaks the simple PMI wire protocol over the descriptor named
 * by PMI_FD (the job shell's PMI server, exec/pmi_job.h); without PMI_FD
 * the process is a singleton: rank 0 of 1, with a KVS of its own.
 * Functions return PMI_SUCCESS or one of the PMI_ERR_* / PMI_FAIL codes.
 * Not thread-safe, as PMI-1 never was.
 */
#ifndef EDDY_PMI_H
#define EDDY_PMI_H

#ifdef __cplusplus
extern "C" {
#endif

#define PMI_SUCCESS 0
#define PMI_FAIL (-1)
#define PMI_ERR_INIT 1
#define PMI_ERR_NOMEM 2
#define PMI_ERR_INVALID_ARG 3
#define PMI_ERR_INVALID_KEY 4
#define PMI_ERR_INVALID_KEY_LENGTH 5
#define PMI_ERR_INVALID_VAL 6
#define PMI_ERR_INVALID_VAL_LENGTH 7
#define PMI_ERR_INVALID_LENGTH 8
#define PMI_ERR_INVALID_NUM_ARGS 9
#define PMI_ERR_INVALID_ARGS 10
#define PMI_ERR_INVALID_NUM_PARSED 11
#define PMI_ERR_INVALID_KEYVALP 12
#define PMI_ERR_INVALID_SIZE 13

#define PMI_TRUE 1
#define PMI_FALSE 0

typedef int PMI_BOOL;

typedef struct PMI_keyval_t {
    const char *key;
    char *val;
} PMI_keyval_t;

/* Life: Init connects (and says whether this process was spawned);
 * Finalize tells the server this process is done with PMI.  A process
 * that initialized must finalize before it closes the connection or
 * exits, or its job fails.  Abort ends the whole job (and this process).
 */
int PMI_Init (int *spawned);
int PMI_Initialized (PMI_BOOL *initialized);
int PMI_Finalize (void);
int PMI_Abort (int exit_code, const char error_msg[]);

/* Who: this process's rank in the job, the job's size, the universe's
 * (the job's here), the application number (always 0), ids.
 */
int PMI_Get_size (int *size);
int PMI_Get_rank (int *rank);
int PMI_Get_universe_size (int *size);
int PMI_Get_appnum (int *appnum);
int PMI_Get_id (char id_str[], int length);
int PMI_Get_kvs_domain_id (char id_str[], int length);
int PMI_Get_id_length_max (int *length);
/* The ranks on this process's node, from PMI_process_mapping (just this
 * one where there is none).
 */
int PMI_Get_clique_size (int *size);
int PMI_Get_clique_ranks (int ranks[], int length);

/* Barrier: returns once every process of the job entered it; every put
 * made before it is then visible to every process's get.
 */
int PMI_Barrier (void);

/* The job's key-value space (one, named by Get_my_name). */
int PMI_KVS_Get_my_name (char kvsname[], int length);
int PMI_KVS_Get_name_length_max (int *length);
int PMI_KVS_Get_key_length_max (int *length);
int PMI_KVS_Get_value_length_max (int *length);
int PMI_KVS_Put (const char kvsname[], const char key[], const char value[]);
int PMI_KVS_Commit (const char kvsname[]);
int PMI_KVS_Get (const char kvsname[], const char key[], char value[], int length);

/* Not offered by eddy (PMI_FAIL): other key-value spaces, iteration,
 * name publishing, spawning.
 */
int PMI_KVS_Create (char kvsname[], int length);
int PMI_KVS_Destroy (const char kvsname[]);
int PMI_KVS_Iter_first (const char kvsname[], char key[], int key_len, char val[], int val_len);
int PMI_KVS_Iter_next (const char kvsname[], char key[], int key_len, char val[], int val_len);
int PMI_Publish_name (const char service_name[], const char port[]);
int PMI_Unpublish_name (const char service_name[]);
int PMI_Lookup_name (const char service_name[], char port[]);
int PMI_Spawn_multiple (int count, const char *cmds[], const char **argvs[], const int maxprocs[],
                        const int info_keyval_sizesp[], const PMI_keyval_t *info_keyval_vectors[],
                        int preput_keyval_size, const PMI_keyval_t preput_keyval_vector[],
                        int errors[]);
int PMI_Parse_option (int num_args, char *args[], int *num_parsed, PMI_keyval_t **keyvalp,
                      int *size);
int PMI_Args_to_keyval (int *argcp, char *((*argvp)[]), PMI_keyval_t **keyvalp, int *size);
int PMI_Free_keyvals (PMI_keyval_t keyvalp[], int size);
int PMI_Get_options (char *str, int *length);

#ifdef __cplusplus
}
#endif

#endif /* !EDDY_PMI_H */
