/* contain.c - job records and job cgroups (see contain.h).
 *
 * A record is written before the job's cgroup is made and emptied after
 * the cgroup is gone (the file is kept for a later job's record), so a cgroup of ours always has a record naming it:
 * the sweep at start finds every one through the records, and never
 * touches a cgroup another instance on the machine made.  Records are not
 * synced: they matter only while the machine is up (a record of another
 * boot is dropped unread), and a killed broker loses nothing it wrote.
 * Pids are killed through a pidfd after their start time is checked, so a
 * pid reused since the record was written is left alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include "exec/contain.h"
#include "exec/exec_impl.h"

#define RECORD_VERSION "eddy-exec-record 1"
/* a record larger than this is not one of ours */
#define RECORD_MAX (1 << 22)
#define SLOTS_MAX 64 /* empty record files kept for reuse */
/* a cgroup whose processes are still dying is removed on this period,
 * for up to RMDIR_TRIES periods */
#define RMDIR_PERIOD 0.05
#define RMDIR_TRIES 200

struct contain {
    struct exec_ctx *ctx;
    char *mount;  /* the cgroup2 mount point, or NULL */
    char *base;   /* the broker's own cgroup, where job cgroups go, or NULL */
    bool haskill; /* cgroup.kill (Linux 5.14); else each pid is killed */
    char *dir;    /* the records' directory, NULL until known */
    char boot[40];
    pid_t self;
    struct contain_job *jobs; /* recorded or ending (newest first) */
    eddy_watcher_t *retry;    /* removes cgroups still busy */
    int nbusy;
    /* record files of ended jobs, emptied, for the next jobs: a file made
     * and unlinked per job costs the file system an inode each time */
    char *slots[SLOTS_MAX];
    int nslots;
    unsigned next_slot;
};

struct contain_job {
    struct contain *c;
    uint64_t id;
    char *record; /* its path, once written */
    int record_fd; /* open on it for writing, or -1 */
    off_t record_len; /* bytes of it before the NUL that ends it */
    char *cgroup; /* its path, once made */
    struct contain_pid guard;
    struct contain_pid *tasks;
    int ntasks, cap;
    bool busy; /* ended, its cgroup not yet removed */
    int tries;
    struct contain_job *next, *prev;
};

/* ---- parsing ---- */

unsigned long long contain_stat_starttime (const char *text, size_t len)
{
    const char *close = NULL;
    unsigned long long v = 0;
    size_t i;
    int field = 2;

    for (i = 0; i < len; i++)
        if (text[i] == ')')
            close = text + i;
    if (!close)
        return 0;
    /* after "(comm)" come fields 3, 4, ... one space apart */
    for (i = (size_t)(close - text) + 1; i < len && field < 22; i++)
        if (text[i] == ' ')
            field++;
    if (field != 22 || i >= len || text[i] < '0' || text[i] > '9')
        return 0;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
        if (v > (ULLONG_MAX - 9) / 10)
            return 0;
        v = v * 10 + (unsigned)(text[i] - '0');
    }
    if (i < len && text[i] != ' ' && text[i] != '\n')
        return 0;
    return v;
}

static int parse_pid (const char *s, struct contain_pid *p)
{
    long pid;
    unsigned long long start;
    char tail;
    if (sscanf (s, "%ld %llu%c", &pid, &start, &tail) != 2 || pid <= 1 || pid > 0x7fffffff
        || start == 0)
        return -1;
    p->pid = (pid_t)pid;
    p->start = start;
    return 0;
}

void contain_record_clear (struct contain_record *rec)
{
    if (rec) {
        free (rec->cgroup);
        free (rec->tasks);
        memset (rec, 0, sizeof (*rec));
    }
}

int contain_record_parse (const char *text, size_t len, struct contain_record *rec)
{
    size_t at = 0;
    bool first = true;

    memset (rec, 0, sizeof (*rec));
    while (at < len) {
        const char *nl = memchr (text + at, '\n', len - at);
        if (!nl)
            break; /* a line its writer did not finish */
        size_t n = (size_t)(nl - (text + at));
        char line[PATH_MAX + 32];
        if (n >= sizeof (line) || memchr (text + at, '\0', n)) {
            if (first)
                goto invalid;
            at += n + 1;
            continue;
        }
        memcpy (line, text + at, n);
        line[n] = '\0';
        at += n + 1;
        if (first) {
            if (strcmp (line, RECORD_VERSION) != 0)
                goto invalid;
            first = false;
        } else if (!strncmp (line, "boot ", 5)) {
            if (strlen (line + 5) >= sizeof (rec->boot))
                goto invalid;
            strcpy (rec->boot, line + 5);
        } else if (!strncmp (line, "job ", 4)) {
            char *end;
            errno = 0;
            unsigned long long id = strtoull (line + 4, &end, 10);
            if (errno || end == line + 4 || *end)
                goto invalid;
            rec->id = id;
        } else if (!strncmp (line, "cgroup ", 7)) {
            free (rec->cgroup);
            if (!(rec->cgroup = strdup (line + 7)))
                goto error;
        } else if (!strncmp (line, "guard ", 6)) {
            if (parse_pid (line + 6, &rec->guard) < 0)
                goto invalid;
        } else if (!strncmp (line, "task ", 5)) {
            struct contain_pid p;
            if (parse_pid (line + 5, &p) < 0)
                goto invalid;
            if ((rec->ntasks & (rec->ntasks - 1)) == 0) {
                size_t cap = rec->ntasks ? 2 * (size_t)rec->ntasks : 4;
                struct contain_pid *t = realloc (rec->tasks, cap * sizeof (*t));
                if (!t)
                    goto error;
                rec->tasks = t;
            }
            rec->tasks[rec->ntasks++] = p;
        }
    }
    if (first)
        goto invalid;
    return 0;
invalid:
    errno = EINVAL;
error: {
    int e = errno;
    contain_record_clear (rec);
    errno = e;
    return -1;
}
}

/* ---- processes ---- */

/* Read up to size - 1 bytes of a small file, NUL-terminated; -1 if none. */
static ssize_t read_small (const char *path, char *buf, size_t size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;
    if (fd >= 0) {
        n = read (fd, buf, size - 1);
        int e = errno;
        close (fd);
        errno = e;
    }
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

static int write_small (const char *path, const char *text)
{
    int fd = open (path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write (fd, text, strlen (text));
    int e = errno;
    close (fd);
    errno = e;
    return n == (ssize_t)strlen (text) ? 0 : -1;
}

static unsigned long long proc_start (pid_t pid)
{
    char path[64], buf[1024];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    ssize_t n = read_small (path, buf, sizeof (buf));
    return n > 0 ? contain_stat_starttime (buf, (size_t)n) : 0;
}

/* SIGKILL p if it is still the process that was recorded; with group,
 * its process group too (it led it).  Returns 1 if it was killed.
 */
static int kill_same (const struct contain_pid *p, bool group)
{
    int fd = pidfd_open (p->pid, 0);
    if (fd < 0 && errno != ENOSYS)
        return 0; /* gone */
    /* with a pidfd the check and the kill are about one process */
    if (proc_start (p->pid) != p->start) {
        if (fd >= 0)
            close (fd);
        return 0;
    }
    if (group)
        kill (-p->pid, SIGKILL);
    int rc = fd >= 0 ? pidfd_send_signal (fd, SIGKILL, NULL, 0) : kill (p->pid, SIGKILL);
    if (fd >= 0)
        close (fd);
    return rc == 0 ? 1 : 0;
}

/* ---- cgroups ---- */

/* SIGKILL every process in the cgroup; returns how many there were. */
static int cgroup_kill (struct contain *c, const char *cg)
{
    char path[PATH_MAX], buf[8192];
    int n = 0;

    snprintf (path, sizeof (path), "%s/cgroup.procs", cg);
    if (read_small (path, buf, sizeof (buf)) < 0)
        return 0;
    for (char *s = buf; *s; s++)
        if (*s == '\n')
            n++;
    if (n == 0)
        return 0;
    snprintf (path, sizeof (path), "%s/cgroup.kill", cg);
    if (c->haskill && write_small (path, "1") == 0)
        return n;
    /* older kernels: each pid in turn (processes forking meanwhile are
     * caught on the next try to remove the cgroup) */
    for (char *s = buf, *end; *s; s = end) {
        long pid = strtol (s, &end, 10);
        if (end == s)
            break;
        if (pid > 1)
            kill ((pid_t)pid, SIGKILL);
        while (*end == '\n')
            end++;
    }
    return n;
}

/* Whether cg is a job cgroup of ours: under the cgroup2 mount, named
 * eddy-PID-ID, no "." or ".." on the way (the record is untrusted).
 */
static bool cgroup_is_ours (const struct contain *c, const char *cg)
{
    size_t m = c->mount ? strlen (c->mount) : 0;
    const char *name = strrchr (cg, '/');
    unsigned long a, b;
    char tail;

    if (!c->mount || strncmp (cg, c->mount, m) != 0 || cg[m] != '/' || strstr (cg, "/.")
        || strlen (cg) >= PATH_MAX - 32 || !name)
        return false;
    return sscanf (name + 1, "eddy-%lu-%lu%c", &a, &b, &tail) == 2;
}

/* The broker's own cgroup v2 directory (mount point + its path in
 * /proc/self/cgroup's "0::" line), or NULL.
 */
static char *own_cgroup (struct contain *c)
{
    char buf[4096], *path = NULL, *line, *save;
    FILE *f;

    if (read_small ("/proc/self/cgroup", buf, sizeof (buf)) <= 0)
        return NULL;
    for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        if (!strncmp (line, "0::/", 4))
            path = line + 3;
    if (!path || !(f = fopen ("/proc/self/mountinfo", "re")))
        return NULL;
    char mi[4096], root[PATH_MAX], point[PATH_MAX];
    char *found = NULL;
    while (!found && fgets (mi, sizeof (mi), f)) {
        const char *sep = strstr (mi, " - cgroup2 ");
        if (!sep || sscanf (mi, "%*s %*s %*s %4095s %4095s", root, point) != 2
            || strchr (point, '\\'))
            continue;
        /* in a cgroup namespace the mount's root may be below ours */
        size_t r = strcmp (root, "/") ? strlen (root) : 0;
        if (r && (strncmp (path, root, r) || (path[r] && path[r] != '/')))
            continue;
        const char *rest = path + r;
        if (!strcmp (rest, "/"))
            rest = "";
        if (asprintf (&found, "%s%s", point, rest) < 0)
            found = NULL;
        else if (!(c->mount = strdup (point))) {
            free (found);
            found = NULL;
        }
    }
    fclose (f);
    return found;
}

/* Whether job cgroups can be made here: a probe made and removed. */
static void cgroup_probe (struct contain *c)
{
    char probe[PATH_MAX], kill_path[PATH_MAX + 16];
    char *base = own_cgroup (c);
    const char *why = "no cgroup2 hierarchy";

    if (base && !c->ctx->cgroup) {
        exec_log (c->ctx, LOG_INFO, "cgroups off (module argument): jobs are contained by process group");
        free (base);
        return;
    }

    if (base) {
        snprintf (probe, sizeof (probe), "%s/eddy-probe-%d", base, (int)c->self);
        if (mkdir (probe, 0755) < 0 && errno != EEXIST)
            why = strerror (errno);
        else {
            snprintf (kill_path, sizeof (kill_path), "%s/cgroup.kill", probe);
            c->haskill = access (kill_path, W_OK) == 0;
            if (rmdir (probe) < 0)
                why = strerror (errno);
            else {
                c->base = base;
                exec_log (c->ctx, LOG_INFO, "jobs run in cgroups under %s", base);
                return;
            }
        }
    }
    exec_log (c->ctx, LOG_INFO, "no writable cgroup2 (%s%s%s): jobs are contained by process group",
              base ? base : "", base ? ": " : "", why);
    free (base);
}

/* ---- records ---- */

static int record_append (struct contain_job *cj, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* A record is text ended by a NUL (or by the end of the file); what
 * follows the NUL is an earlier job's and is not read.  Each line goes in
 * with one pwrite of the line and a new NUL over the old one, so a line
 * is there whole or not at all, and a reused file is never truncated (a
 * truncate costs the file system several times a short write).  An
 * emptied record starts with its NUL.
 */
static int record_put (struct contain_job *cj, const char *text, size_t n)
{
    char buf[PATH_MAX + 128];

    if (n + 1 > sizeof (buf) || cj->record_fd < 0) {
        errno = cj->record_fd < 0 ? EBADF : EOVERFLOW;
        return -1;
    }
    memcpy (buf, text, n);
    buf[n] = '\0';
    ssize_t w = pwrite (cj->record_fd, buf, n + 1, cj->record_len);
    if (w != (ssize_t)(n + 1)) {
        if (w >= 0)
            errno = EIO;
        return -1;
    }
    cj->record_len += (off_t)n;
    return 0;
}

static int record_append (struct contain_job *cj, const char *fmt, ...)
{
    char line[PATH_MAX + 64];
    va_list ap;

    if (!cj->record)
        return 0;
    va_start (ap, fmt);
    int n = vsnprintf (line, sizeof (line), fmt, ap);
    va_end (ap);
    if (n < 0 || (size_t)n >= sizeof (line)) {
        errno = EOVERFLOW;
        return -1;
    }
    return record_put (cj, line, (size_t)n);
}

/* Empty a record file for reuse: its first byte a NUL. */
static int record_empty (int fd, const char *path)
{
    int mine = fd < 0 ? (fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) : -1;
    if (fd < 0)
        return -1;
    int rc = pwrite (fd, "", 1, 0) == 1 ? 0 : -1;
    if (mine >= 0)
        close (mine);
    return rc;
}

/* Keep path (an emptied record file) for a later job, or unlink it when
 * enough are kept; path is taken either way.
 */
static void slot_put (struct contain *c, char *path)
{
    if (c->nslots < SLOTS_MAX)
        c->slots[c->nslots++] = path;
    else {
        unlink (path);
        free (path);
    }
}

/* An empty record file open for writing: a kept one, else a new one. */
static int slot_open (struct contain *c, char **pathp)
{
    while (c->nslots > 0) {
        char *path = c->slots[--c->nslots];
        int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            *pathp = path;
            return fd;
        }
        free (path); /* gone meanwhile: try the next */
    }
    for (int tries = 0; tries < 1000; tries++) {
        char *path;
        if (asprintf (&path, "%s/slot-%u", c->dir, c->next_slot++) < 0)
            return -1;
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            *pathp = path;
            return fd;
        }
        int e = errno;
        free (path);
        if (e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

/* Write cj's record from what is known of it; planned_cgroup is the
 * cgroup about to be made, or NULL.
 */
static int record_create (struct contain_job *cj, const char *planned_cgroup)
{
    struct contain *c = cj->c;
    char *path;
    int fd;

    if ((fd = slot_open (c, &path)) < 0)
        return -1;
    cj->record = path;
    cj->record_fd = fd;
    cj->record_len = 0;
    /* the cgroup is named before it exists */
    char head[PATH_MAX + 128];
    int n = snprintf (head, sizeof (head), RECORD_VERSION "\nboot %s\njob %ju\n%s%s%s", c->boot,
                      (uintmax_t)cj->id, planned_cgroup ? "cgroup " : "",
                      planned_cgroup ? planned_cgroup : "", planned_cgroup ? "\n" : "");
    if (n < 0 || (size_t)n >= sizeof (head) || record_put (cj, head, (size_t)n) < 0) {
        int e = n < 0 || (size_t)n >= sizeof (head) ? EOVERFLOW : errno;
        close (fd);
        unlink (path);
        free (path);
        cj->record = NULL;
        cj->record_fd = -1;
        errno = e;
        return -1;
    }
    if (cj->guard.pid
        && record_append (cj, "guard %d %llu\n", (int)cj->guard.pid, cj->guard.start) < 0)
        return -1;
    for (int i = 0; i < cj->ntasks; i++)
        if (record_append (cj, "task %d %llu\n", (int)cj->tasks[i].pid, cj->tasks[i].start) < 0)
            return -1;
    return 0;
}

static void job_unlink (struct contain_job *cj)
{
    struct contain *c = cj->c;
    if (cj->prev)
        cj->prev->next = cj->next;
    else if (c->jobs == cj)
        c->jobs = cj->next;
    if (cj->next)
        cj->next->prev = cj->prev;
    cj->next = cj->prev = NULL;
}

static void job_free (struct contain_job *cj)
{
    if (cj) {
        job_unlink (cj);
        if (cj->record_fd >= 0)
            close (cj->record_fd);
        free (cj->record);
        free (cj->cgroup);
        free (cj->tasks);
        free (cj);
    }
}

static struct contain_job *job_new (struct contain *c, uint64_t id)
{
    struct contain_job *cj = calloc (1, sizeof (*cj));
    if (!cj)
        return NULL;
    cj->c = c;
    cj->id = id;
    cj->record_fd = -1;
    cj->next = c->jobs;
    if (c->jobs)
        c->jobs->prev = cj;
    c->jobs = cj;
    return cj;
}

/* The job's cgroup is gone (or it had none): drop the record too. */
static void job_done (struct contain_job *cj)
{
    if (cj->busy)
        cj->c->nbusy--;
    if (cj->record) {
        /* emptied, the file says no job: kept for the next one */
        const char *base = strrchr (cj->record, '/');
        int rc = strncmp (base ? base + 1 : cj->record, "slot-", 5) ? -1
                                                                   : record_empty (cj->record_fd, cj->record);
        if (rc == 0)
            slot_put (cj->c, cj->record);
        else {
            unlink (cj->record);
            free (cj->record);
        }
        cj->record = NULL;
    }
    job_free (cj);
}

/* Kill what is left in cj's cgroup and remove it; false while busy. */
static bool cgroup_gone (struct contain_job *cj)
{
    if (!cj->cgroup)
        return true;
    cgroup_kill (cj->c, cj->cgroup);
    return rmdir (cj->cgroup) == 0 || errno == ENOENT;
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct contain *c = arg;
    struct contain_job *cj = c->jobs;

    while (cj) {
        struct contain_job *next = cj->next;
        if (cj->busy) {
            if (cgroup_gone (cj))
                job_done (cj);
            else if (++cj->tries >= RMDIR_TRIES) {
                exec_log (c->ctx, LOG_WARNING,
                          "job %ju: cgroup %s still busy after %gs, left for the next start: %s",
                          (uintmax_t)cj->id, cj->cgroup, RMDIR_PERIOD * RMDIR_TRIES,
                          strerror (errno));
                c->nbusy--;
                job_free (cj);
            }
        }
        cj = next;
    }
    if (c->nbusy == 0)
        eddy_watcher_stop (w);
}

/* Kill the listed pids that still match; returns how many. */
static int kill_listed (const struct contain_pid *guard, const struct contain_pid *tasks, int n)
{
    int killed = 0;
    if (guard->pid)
        killed += kill_same (guard, false);
    /* the first task leads the job's process group */
    for (int i = 0; i < n; i++)
        killed += kill_same (&tasks[i], i == 0);
    return killed;
}

static void job_finish (struct contain_job *cj)
{
    struct contain *c = cj->c;
    if (cgroup_gone (cj)) {
        job_done (cj);
        return;
    }
    cj->busy = true;
    c->nbusy++;
    eddy_watcher_start (c->retry);
}

/* ---- the sweep ---- */

/* One record left by a previous broker: kill what it lists, then drop it. */
static void sweep_one (struct contain *c, const char *path)
{
    struct contain_record rec;
    struct contain_job *cj;
    struct stat st;
    char *text = NULL;
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    const char *base = strrchr (path, '/');
    if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > RECORD_MAX
        || !(text = malloc ((size_t)st.st_size + 1))
        || read (fd, text, (size_t)st.st_size) != st.st_size) {
        exec_log (c->ctx, LOG_WARNING, "%s: not a job record, left alone", path);
        goto done;
    }
    /* the record ends at its NUL (record_put) */
    size_t len = strnlen (text, (size_t)st.st_size);
    if (len == 0 && !strncmp (base ? base + 1 : path, "slot-", 5)) {
        char *keep = strdup (path); /* an emptied record file: reused */
        if (keep)
            slot_put (c, keep);
        goto done;
    }
    if (contain_record_parse (text, len, &rec) < 0) {
        exec_log (c->ctx, LOG_WARNING, "%s: not a job record, left alone", path);
        goto done;
    }
    if (strcmp (rec.boot, c->boot) != 0) {
        /* nothing of another boot runs */
        unlink (path);
        contain_record_clear (&rec);
        goto done;
    }
    if (!(cj = job_new (c, rec.id)) || !(cj->record = strdup (path))) {
        job_free (cj);
        contain_record_clear (&rec);
        goto done;
    }
    if (rec.cgroup && cgroup_is_ours (c, rec.cgroup)) {
        cj->cgroup = rec.cgroup;
        rec.cgroup = NULL;
    } else if (rec.cgroup)
        exec_log (c->ctx, LOG_WARNING, "%s: cgroup %s is not a job's, left alone", path, rec.cgroup);
    /* the cgroup holds every listed process (unless the guard could not
     * join it), so its count is the job's */
    int in_cgroup = cj->cgroup ? cgroup_kill (c, cj->cgroup) : 0;
    int listed = kill_listed (&rec.guard, rec.tasks, rec.ntasks);
    int killed = in_cgroup ? in_cgroup : listed;
    if (killed > 0)
        exec_log (c->ctx, LOG_NOTICE, "job %ju: killed %d processes a previous broker left running",
                  (uintmax_t)rec.id, killed);
    contain_record_clear (&rec);
    job_finish (cj);
done:
    if (fd >= 0)
        close (fd);
    free (text);
}

int contain_set_dir (struct contain *c, const char *dir)
{
    char *path = NULL;
    DIR *d;
    struct dirent *e;

    if (c->dir)
        return 0;
    if (asprintf (&path, "%s/exec-%u", dir, c->ctx->rank) < 0)
        return -1;
    if ((mkdir (path, 0700) < 0 && errno != EEXIST) || !(d = opendir (path))) {
        int err = errno;
        exec_log (c->ctx, LOG_ERR, "%s: %s: jobs are not recorded (a restart cannot kill what they leave)",
                  path, strerror (err));
        free (path);
        errno = err;
        return -1;
    }
    /* nothing of ours is there yet: every record is a predecessor's */
    while ((e = readdir (d))) {
        char *file;
        if (e->d_name[0] == '.' || asprintf (&file, "%s/%s", path, e->d_name) < 0)
            continue;
        sweep_one (c, file);
        free (file);
    }
    closedir (d);
    c->dir = path;
    /* jobs that started before the directory was known: a record now
     * (their cgroup, had they one, would lack a record: they have none) */
    for (struct contain_job *cj = c->jobs; cj; cj = cj->next)
        if (!cj->record && !cj->busy && record_create (cj, NULL) < 0)
            exec_log (c->ctx, LOG_ERR, "job %ju: cannot write its record: %s", (uintmax_t)cj->id,
                      strerror (errno));
    return 0;
}

/* ---- one job ---- */

struct contain_job *contain_job_create (struct contain *c, uint64_t id)
{
    struct contain_job *cj = job_new (c, id);
    char *cg = NULL;

    if (!cj)
        return NULL;
    if (!c->dir)
        return cj;
    if (c->base && asprintf (&cg, "%s/eddy-%d-%ju", c->base, (int)c->self, (uintmax_t)id) < 0)
        cg = NULL;
    if (record_create (cj, cg) < 0) {
        exec_log (c->ctx, LOG_ERR, "job %ju: cannot write its record: %s", (uintmax_t)id,
                  strerror (errno));
        free (cg);
        return cj;
    }
    if (cg && mkdir (cg, 0755) < 0) {
        exec_log (c->ctx, LOG_ERR, "job %ju: cgroup %s: %s", (uintmax_t)id, cg, strerror (errno));
        free (cg);
        cg = NULL;
    }
    cj->cgroup = cg;
    return cj;
}

const char *contain_job_cgroup (const struct contain_job *cj)
{
    return cj ? cj->cgroup : NULL;
}

static void job_add_pid (struct contain_job *cj, struct contain_pid *p, pid_t pid, const char *what)
{
    p->pid = pid;
    p->start = proc_start (pid);
    /* a pid already gone has nothing to record */
    if (p->start && record_append (cj, "%s %d %llu\n", what, (int)pid, p->start) < 0)
        exec_log (cj->c->ctx, LOG_ERR, "job %ju: cannot add %s %d to its record: %s",
                  (uintmax_t)cj->id, what, (int)pid, strerror (errno));
}

void contain_job_guard (struct contain_job *cj, pid_t pid)
{
    if (cj)
        job_add_pid (cj, &cj->guard, pid, "guard");
}

void contain_job_task (struct contain_job *cj, pid_t pid)
{
    if (!cj || pid <= 0)
        return;
    if (cj->ntasks == cj->cap) {
        int cap = cj->cap ? 2 * cj->cap : 4;
        struct contain_pid *t = realloc (cj->tasks, (size_t)cap * sizeof (*t));
        if (!t)
            return; /* the cgroup, if any, still holds it */
        cj->tasks = t;
        cj->cap = cap;
    }
    job_add_pid (cj, &cj->tasks[cj->ntasks], pid, "task");
    if (cj->tasks[cj->ntasks].start)
        cj->ntasks++;
}

void contain_job_end (struct contain_job *cj, bool clean)
{
    if (!cj)
        return;
    if (!clean) {
        /* the guard did not end the job: whatever it left is ours to kill */
        struct contain_pid none = { 0, 0 };
        int in_cgroup = cj->cgroup ? cgroup_kill (cj->c, cj->cgroup) : 0;
        int listed = kill_listed (&none, cj->tasks, cj->ntasks);
        int killed = in_cgroup ? in_cgroup : listed;
        if (killed > 0)
            exec_log (cj->c->ctx, LOG_NOTICE, "job %ju: killed %d processes its guard left",
                      (uintmax_t)cj->id, killed);
    }
    job_finish (cj);
}

/* ---- the rank's containment ---- */

struct contain *contain_create (struct exec_ctx *ctx)
{
    struct contain *c = calloc (1, sizeof (*c));
    if (!c)
        return NULL;
    c->ctx = ctx;
    c->self = getpid ();
    if (!(c->retry = eddy_timer_create (ctx->r, RMDIR_PERIOD, RMDIR_PERIOD, retry_cb, c))) {
        free (c);
        return NULL;
    }
    /* a machine without one: records then never match another boot */
    if (read_small ("/proc/sys/kernel/random/boot_id", c->boot, sizeof (c->boot)) <= 0)
        strcpy (c->boot, "unknown");
    c->boot[strcspn (c->boot, "\n")] = '\0';
    cgroup_probe (c);
    return c;
}

const char *contain_cgroup_base (const struct contain *c)
{
    return c ? c->base : NULL;
}

void contain_destroy (struct contain *c)
{
    if (c) {
        int saved_errno = errno;
        /* a job not yet ended keeps its record (and cgroup) for the sweep;
         * one ended whose cgroup empties now is cleaned up */
        while (c->jobs) {
            struct contain_job *cj = c->jobs;
            if (cj->busy && cgroup_gone (cj))
                job_done (cj);
            else {
                if (cj->busy)
                    c->nbusy--;
                job_free (cj);
            }
        }
        eddy_watcher_destroy (c->retry);
        for (int i = 0; i < c->nslots; i++)
            free (c->slots[i]);
        free (c->mount);
        free (c->base);
        free (c->dir);
        free (c);
        errno = saved_errno;
    }
}
