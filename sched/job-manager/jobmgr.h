/* jobmgr.h - the job manager's private state, shared by the files of
 * sched/job-manager/.
 */
#ifndef EDDY_JOBMGR_H
#define EDDY_JOBMGR_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"
#include "engine/future.h"
#include "engine/handle.h"
#include "engine/util/u64map.h"
#include "kvs/kvs.h"
#include "sched/job-manager/queue.h"

typedef enum {
    JOB_DEPEND = 0,
    JOB_PRIORITY,
    JOB_SCHED,
    JOB_RUN,
    JOB_CLEANUP,
    JOB_INACTIVE,
} job_state_t;

struct waiter {
    eddy_msg_t *req;
    struct waiter *next;
};

struct job {
    uint64_t id;
    uint32_t userid;
    int urgency;
    uint32_t priority;
    int flags;
    double t_submit;
    job_state_t state;
    /* The jobspec: as text (compact JSON) for the job's life; as objects
     * only until the scheduler is first asked or the job first waits for
     * something (job_jobspec_compact ()): a jobspec decoded by jansson
     * takes about 6 KB, its text about 300 bytes, and a queued job may
     * wait for long.  queue: its
     * attributes.system.queue (NULL: none, the default queue's job).
     */
    json_t *jobspec;
    char *jobspec_text;
    char *queue;
    json_t *R;
    char *evlog;          /* its eventlog entries while active (events.c) */
    uint32_t evlog_len, evlog_cap, nevents;

    bool alloc_pending;   /* a sched.alloc is outstanding */
    bool has_resources;   /* allocated and not yet freed */
    bool free_pending;    /* a sched.free is outstanding */
    bool exec_running;    /* exec.start stream not yet ended */
    bool started;         /* exec said start */
    bool finished;        /* exec said finish */
    bool release_final;   /* exec released everything */
    bool fatal;           /* a severity-0 exception happened */
    bool kill_sent;
    bool in_nrunning;     /* counted in jobmgr.nrunning */
    bool gated;           /* its next effect waits for a commit (jobmgr.gated) */
    uint64_t need_seq;    /* the batch that holds its latest entry */
    uint32_t nreq;        /* requests' entries of it not yet committed or refused */
    int status;           /* wait status from finish */
    char *exc_type;       /* the first fatal exception */
    char *exc_note;

    uint8_t prolog, epilog; /* perilog.c: PL_NONE, PL_POSTED, PL_RUNNING, PL_DONE */
    bool prolog_failed;
    int drains_pending;   /* perilog.c: resource.drain requests not answered */
    struct plrun *plrun;  /* perilog.c: the prolog or epilog in flight */

    struct jdeps *deps;   /* depend.c: its dependencies, once looked at */
    int prio_ncores;      /* priority.c: its cores (0: not known yet, -1: none) */
    char *prio_bank;      /* priority.c: attributes.system.bank ("" none; NULL not read yet) */
    const char *prio_reason; /* priority.c: why it is held (a static string) */
    eddy_future_t *alloc_f;
    eddy_future_t *exec_f;
    struct waiter *waiters;
    struct job *prev, *next; /* active jobs in submit order */
};

/* What remains of an inactive job, for job-manager.wait. */
struct gone {
    uint64_t id;
    uint32_t userid; /* who submitted it: only they or the owner may wait */
    bool success;
    int status;
    bool has_status;
    char *exc_type;
    char *exc_note;
};

/* [job-manager.prolog] / [job-manager.epilog] (perilog.c) */
struct plconf {
    json_t *command; /* argv; NULL: none configured */
    double timeout;  /* seconds, 0: none */
    bool per_rank;   /* on each of the job's ranks (else rank 0 only) */
};
#define PERILOG_DEFAULT_TIMEOUT 1800.0
enum { PL_PROLOG = 0, PL_EPILOG = 1 };
enum { PL_NONE = 0, PL_POSTED, PL_RUNNING, PL_DONE };

struct restore; /* restart.c: the KVS scan in progress at load */
struct batch;   /* jobstate.c: a commit in flight */
struct jmreq;   /* jobstate.c: a request whose entries wait for their commit */

struct jobmgr {
    eddy_handle_t *h;
    eddy_msg_handler_t **handlers;
    eddy_u64map_t *active; /* id -> struct job */
    struct job *head, *tail;
    uint32_t nactive, nrunning; /* running: RUN or CLEANUP */

    /* inactive jobs remembered for wait (a bounded ring) */
    eddy_u64map_t *inactive;
    struct gone *ring;
    uint32_t ring_size, ring_next, ring_count;

    /* Group commit (jobstate.c).  The entries posted while a batch is in
     * flight make up the next one (batch number seq_next): txn holds the
     * facts, acted on in memory at once; reqs the requests, whose entries
     * are acted on only once committed (after the facts of their batch).  One batch is in flight at a
     * time, so batches are stored in order; seq_done is the last one
     * stored.  An effect outside the job manager waits until the batch
     * holding what it depends on is stored (job.need_seq <= seq_done);
     * the jobs waiting so are listed by id in gated.  A failed batch
     * keeps its facts and is tried again after retry_delay.
     */
    eddy_kvs_txn_t *txn;
    json_t *journal_batch;
    struct jmreq *reqs, **reqs_tail;
    eddy_watcher_t *flush_w;
    struct batch *inflight;
    uint64_t seq_next, seq_done;
    uint64_t *gated;
    size_t ngated, gated_cap;
    eddy_watcher_t *retry_w;
    double retry_delay;
    int store_errnum;     /* the last commit failed with this (0: it did not) */
    char *store_error;    /* ...and this text */
    uint64_t commit_failures;

    /* streaming job-manager.journal requests: each one's first answer
     * holds the stored entries, then it gets the batches from jfrom on;
     * those that come while a batch is in flight wait for it in
     * journal_wait */
    eddy_msg_t **journal;
    uint64_t *jfrom;
    int njournal;
    struct eddy_held journal_wait;
    struct waiter *drain_waiters, *idle_waiters;
    /* job-manager.backlog requests, answered once fewer than their
     * `below` jobs are pending (job-ingest paces itself on them) */
    struct waiter *backlog_waiters;
    /* the jobspec exec.start last decoded from a job's text, with that
     * text: a run of jobs with equal jobspecs (eddy submit --cc) decodes
     * it once (jobstate.c) */
    json_t *start_js;
    char *start_js_text;

    /* inactive jobs whose KVS directories are kept, oldest first (purge.c);
     * beyond purge_count (>= 0) the oldest is unlinked, and those inactive
     * for more than purge_age seconds (>= 0) (-1: no such limit) */
    int purge_count;
    bool purge_pinned; /* purge_count came from the module args: a reload keeps it */
    double purge_age;
    eddy_watcher_t *purge_w; /* the age limit's timer */
    struct purge_entry {
        uint64_t id;
        double t; /* when it became inactive (wall clock) */
    } *purgeq;
    uint32_t pq_head, pq_count, pq_cap;
    uint64_t purged;

    /* until the jobs of the previous instance are back, requests wait here */
    struct restore *restore;
    struct stored_wait *stored_waits; /* restart.c: waits on stored eventlogs */
    uint64_t max_jobid; /* the largest id ever seen, for job-ingest */

    bool sched_ready; /* the scheduler answered or said hello */
    struct depend_ctx *depend; /* depend.c */

    /* queues (queue.h): their states are in the KVS at QUEUES_KEY; one
     * change is committed at a time, the others wait in queue_held */
    struct jmq_set queues;
    bool queue_commit; /* a state change is being committed */
    struct eddy_held queue_held;
    uint64_t events_posted;
    uint64_t jobs_inactive;
    struct plconf perilog[2]; /* PL_PROLOG, PL_EPILOG */
    struct jmprio *prio;      /* priority.c: the plugin in force (NULL: urgency) */
};

/* What a stored eventlog says about a job (replay.c). */
struct jobreplay {
    job_state_t state;
    uint32_t userid;
    int urgency;
    int flags;
    uint32_t priority;
    double t_submit;
    double t_inactive; /* the clean entry's timestamp */
    bool alloc;        /* resources allocated and not freed */
    bool started;
    bool finished;
    int status;
    bool fatal;
    const char *exc_type; /* the first fatal exception, borrowed from the */
    const char *exc_note; /* returned array */
};

/* replay.c
 * Replay a job's eventlog text: fill jr and return the decoded entries (a
 * new reference; jr's strings borrow from it).  NULL + EINVAL (err says
 * what is wrong) if the text is not an eventlog, is empty or does not
 * begin with a valid submit entry.
 */
json_t *jobmgr_replay (const char *eventlog, struct jobreplay *jr, eddy_error_t *err);

/* restart.c
 * restore_start () begins rebuilding jm from the KVS job directory; until
 * it is done, handlers hand their requests to jobmgr_defer (), which
 * keeps them (true) to deliver them again, in order, once the jobs are
 * back.  restore_destroy () abandons it (at unload).
 */
int jobmgr_restore_start (struct jobmgr *jm);
void jobmgr_restore_destroy (struct jobmgr *jm);
bool jobmgr_defer (struct jobmgr *jm, const eddy_msg_t *msg);

/* A wait on a job that is neither active nor remembered: read its stored
 * eventlog and answer as for a remembered job (then remember it), or
 * ENOENT if it is not an inactive job.  wait_known () answers msg if the
 * job is active (a waiter is added) or remembered, true then
 * (job-manager.c).
 */
void jobmgr_wait_stored (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id);
bool jobmgr_wait_known (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id);
/* True if msg's sender may wait on job id of userid; else answers EPERM. */
bool jobmgr_may_wait (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id, uint32_t userid);

/* The KVS key of the queues' states. */
#define QUEUES_KEY "job-manager.queues"

/* queue-rpc.c: the queue a job belongs to (NULL if its queue is gone
 * from the configuration: it is then treated as started).
 */
struct jmq *job_queue (struct jobmgr *jm, const struct job *job);

/* jobstate.c: the job's jobspec.  set () gives it one (a new reference is
 * taken; its text and queue name are kept), -1 + ENOMEM.  jobspec () is a
 * new reference to it, decoded from the text if the objects went (NULL:
 * none, or no memory).  compact () lets the objects go.
 */
int job_jobspec_set (struct job *job, json_t *jobspec);
/* As job_jobspec_set (), with text, jobspec's compact encoding as
 * job-ingest stored it (copied), instead of encoding it again. */
int job_jobspec_set_text (struct job *job, json_t *jobspec, const char *text);
json_t *job_jobspec (struct job *job);
void job_jobspec_compact (struct job *job);

/* queue-rpc.c: the queue requests, and the [queues]/[policy] tables
 * applied (-1 + text if they are wrong; the set in force stays).
 */
void jobmgr_queue_set_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                          void *arg);
void jobmgr_queue_status_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                             void *arg);
void jobmgr_validate_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                         void *arg);
int jobmgr_queues_configure (struct jobmgr *jm, const json_t *conf, char *text, size_t len);

/* depend.c: dependencies (RFC 26) of jobs in DEPEND.
 * depend_ready () is asked by job_action () in DEPEND: true if the job may
 * go on (every dependency is met, or it failed with a fatal exception);
 * false: it waits, and depend.c calls job_action () again when that
 * changes.  The first call posts the jobspec's dependency-add entries (or,
 * after a restart, takes those of the eventlog).  depend_started () and
 * depend_inactive () tell it a job started or is about to be destroyed
 * inactive.  init/destroy at module load and unload; job_depend_free ()
 * from job_destroy ().
 */
int jobmgr_depend_init (struct jobmgr *jm);
/* At submit (job-manager.validate): -1 with text for a dependency on a job
 * that is not known (as flux submit refuses "job not found") or, unless
 * owner, belongs to another user than userid (-1: not checked).
 */
int jobmgr_depend_validate (struct jobmgr *jm, json_t *deps, int userid, bool owner, char *text,
                            size_t len);
void jobmgr_depend_destroy (struct jobmgr *jm);
bool jobmgr_depend_ready (struct jobmgr *jm, struct job *job);
void jobmgr_depend_started (struct jobmgr *jm, struct job *job);
void jobmgr_depend_inactive (struct jobmgr *jm, struct job *job);
void job_depend_free (struct job *job);

/* purge.c: purge (id) queues a job that just became inactive, purge_at
 * one that became inactive at t_inactive (a restart's); both then apply
 * the limits, as purge_trim () does after they changed.  purge_cb answers
 * job-manager.purge.  purge_destroy () at unload.
 */
void jobmgr_purge (struct jobmgr *jm, uint64_t id);
void jobmgr_purge_at (struct jobmgr *jm, uint64_t id, double t_inactive);
void jobmgr_purge_trim (struct jobmgr *jm);
void jobmgr_purge_destroy (struct jobmgr *jm);
void jobmgr_purge_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg);

/* perilog.c: a job's prolog (which = PL_PROLOG) or epilog.  ready ()
 * is asked by job_action (): true once it is done (or none is
 * configured); false: it waits (for its start entry to be stored, or for
 * the command on the job's ranks) and job_action () is called again when
 * that changes.  configure () applies [job-manager] prolog and epilog
 * tables (-1 + text if wrong: the set in force stays); it is for jobs
 * that reach the step from then on.  perilog_free () from job_destroy ().
 */
bool jobmgr_perilog_ready (struct jobmgr *jm, struct job *job, int which);
int jobmgr_perilog_configure (struct jobmgr *jm, const json_t *conf, char *text, size_t len);
void jobmgr_perilog_destroy (struct jobmgr *jm);
void jobmgr_perilog_free (struct job *job);

/* priority.c: the priority plugin ([job-manager.priority]).  context ()
 * is a job's priority entry's context ({priority, reason?}) as the plugin
 * computes it now (HOLD and EXPEDITE absolute); reapply () posts it again
 * for a job in SCHED if it changed (and tells the scheduler); changed ()
 * asks for every pending job's to be recomputed before the reactor
 * sleeps (a job started or ended: the limits moved).  validate () refuses
 * a submission (-1 + text) the plugin would never run.  The request
 * handlers: job-manager.priority-update (from job-archive) and
 * job-manager.priority-info.
 */
int jobmgr_priority_configure (struct jobmgr *jm, const json_t *conf, char *text, size_t len);
void jobmgr_priority_destroy (struct jobmgr *jm);
json_t *jobmgr_priority_context (struct jobmgr *jm, struct job *job);
void jobmgr_priority_reapply (struct jobmgr *jm, struct job *job);
void jobmgr_priority_changed (struct jobmgr *jm);
int jobmgr_priority_validate (struct jobmgr *jm, int userid, const char *bank, json_t *batch,
                              char *text, size_t len);
void jobmgr_priority_update_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                                void *arg);
void jobmgr_priority_info_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                              void *arg);

/* events.c: an active job's eventlog entries, kept encoded.
 * append () adds one entry (0, or -1 + ENOMEM/EINVAL/EOVERFLOW, the log
 * unchanged); append_text () adds one already encoded (its RFC 18 line,
 * newline included: a caller that also stores it encodes it once); set ()
 * replaces them all with an array's (a restart's); job_events () decodes
 * them into a new array (NULL + errno); mention () is false if no entry's
 * text holds s (then no entry is named s: no need to decode them to look);
 * count () is how many there are; free () drops them (errno kept).
 */
int job_events_append (struct job *job, json_t *entry);
int job_events_append_text (struct job *job, const char *line);
int job_events_set (struct job *job, json_t *events);
json_t *job_events (const struct job *job);
bool job_events_mention (const struct job *job, const char *s);
size_t job_events_count (const struct job *job);
void job_events_free (struct job *job);

/* jobstate.c */
/* True (and the job acts again once stored) while its latest entries are
 * not stored: an effect outside the job manager waits for them. */
bool job_waits (struct jobmgr *jm, struct job *job);
struct job *job_create (struct jobmgr *jm, uint64_t id);
void job_destroy (struct job *job);
const char *job_state_name (job_state_t s);
int job_post (struct jobmgr *jm, struct job *job, const char *name, json_t *context);
void job_action (struct jobmgr *jm, struct job *job);
int job_raise (struct jobmgr *jm, struct job *job, const char *type, int severity,
               uint32_t userid, const char *note);
void job_urgency_apply (struct jobmgr *jm, struct job *job, int urgency);
void jobmgr_flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg);
void jobmgr_retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg);
void jobmgr_commit_destroy (struct jobmgr *jm);

/* Requests that change jobs (jobstate.c).  jobmgr_req_begin () starts
 * one for msg (NULL + errno: answer it with that, e.g. the store's error
 * while commits fail; text then says why); the raise and urgency calls
 * stage an entry for a job in it (nothing changes in memory yet; -1 +
 * errno); jobmgr_req_end () hands it to the next commit, which answers
 * msg with response (stolen; NULL: an empty one) once stored, after
 * acting on each entry as job_raise / job_urgency_apply would, or with
 * the store's error if the commit fails.  A request with no entry is
 * answered at once.
 */
struct jmreq *jobmgr_req_begin (struct jobmgr *jm, const eddy_msg_t *msg, const char **text);
int jobmgr_req_raise (struct jobmgr *jm, struct jmreq *rq, struct job *job, const char *type,
                      int severity, uint32_t userid, const char *note);
int jobmgr_req_urgency (struct jobmgr *jm, struct jmreq *rq, struct job *job, int urgency,
                        uint32_t userid);
void jobmgr_req_end (struct jobmgr *jm, struct jmreq *rq, json_t *response);
void jobmgr_req_abort (struct jmreq *rq);

/* Answer msg with response (stolen) once the facts posted so far are
 * stored (at once if there are none): for a request whose changes are
 * facts, e.g. a purge's unlinks, which are tried again, never refused.
 */
void jobmgr_respond_stored (struct jobmgr *jm, const eddy_msg_t *msg, json_t *response);

/* Journal readers (jobstate.c): join answers msg with every job's stored
 * entries (at once, or once the batch in flight is stored) and adds it to
 * the readers; drop forgets the readers (waiting or not) of a client that
 * is gone, answering them ENODATA if tell.
 */
void jobmgr_journal_join (struct jobmgr *jm, const eddy_msg_t *msg);
void jobmgr_journal_drop (struct jobmgr *jm, uint64_t origin, bool tell);
void jobmgr_check_waiters (struct jobmgr *jm);

/* Jobs active and not running (DEPEND, PRIORITY, SCHED, or a CLEANUP
 * that never ran): what job-manager.backlog and the submit answer count.
 * jobmgr_backlog_check () answers the backlog waiters this count now
 * satisfies. */
uint32_t jobmgr_pending (const struct jobmgr *jm);
void jobmgr_backlog_check (struct jobmgr *jm);
bool gone_lookup (struct jobmgr *jm, uint64_t id, json_t **result);
/* An inactive job this job manager remembers (NULL if none). */
const struct gone *gone_find (struct jobmgr *jm, uint64_t id);
void jobmgr_link (struct jobmgr *jm, struct job *job);
void jobmgr_remember (struct jobmgr *jm, uint64_t id, uint32_t userid, bool success,
                      bool has_status, int status, const char *exc_type, const char *exc_note);
void jobmgr_count_running (struct jobmgr *jm, struct job *job);
json_t *job_wait_result (struct job *job);

#endif /* !EDDY_JOBMGR_H */
