/* eddy-imp.c - the setuid-root helper of a multi-user instance: it runs a
 * job's shell as the user who signed the job, signals processes of the
 * caller's own jobs, and runs the site's prolog and epilog as root.  It
 * trusts only its own configuration (root-owned TOML files) and the
 * signature on the request; never its caller's environment.
 * docs/security.md ("eddy-imp") says what it checks and why.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <jansson.h>

#include "engine/error.h"
#include "engine/util/fluid.h"
#include "engine/util/toml.h"
#include "engine/util/sign.h"
#include "exec/guard.h"

#ifndef EDDY_IMP_CONFDIR
#define EDDY_IMP_CONFDIR "/etc/eddy/imp/conf.d"
#endif

/* The largest request read from stdin: a signed jobspec. */
#define IMP_MAX_REQUEST (4 << 20)

/* The largest configuration file read. */
#define IMP_MAX_CONFIG (1 << 20)

extern char **environ;

static void __attribute__ ((noreturn, format (printf, 1, 2))) die (const char *fmt, ...)
{
    va_list ap;
    fputs ("eddy-imp: ", stderr);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
    exit (1);
}

/* ---- configuration ---- */

/* A file or directory the configuration comes from must be root's and
 * writable by nobody else, or whoever can write it is root.
 */
static void check_owner (const char *path, const struct stat *st)
{
    if (st->st_uid != 0)
        die ("%s: not owned by root: refusing to trust it", path);
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        die ("%s: writable by group or others: refusing to trust it", path);
}

static int name_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

static json_t *read_toml (int dirfd, const char *dir, const char *name)
{
    char path[2 * PATH_MAX + 2];
    struct stat st;
    eddy_error_t err = { "" };
    char *buf;
    ssize_t n;
    size_t len = 0;
    json_t *o;

    snprintf (path, sizeof (path), "%s/%s", dir, name);
    int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        die ("%s: %s", path, strerror (errno));
    if (fstat (fd, &st) < 0)
        die ("%s: %s", path, strerror (errno));
    if (!S_ISREG (st.st_mode))
        die ("%s: not a regular file", path);
    check_owner (path, &st);
    if (st.st_size > IMP_MAX_CONFIG)
        die ("%s: larger than %d bytes", path, IMP_MAX_CONFIG);
    if (!(buf = malloc ((size_t)st.st_size + 1)))
        die ("out of memory");
    while ((n = read (fd, buf + len, (size_t)st.st_size - len)) > 0)
        len += (size_t)n;
    if (n < 0)
        die ("%s: %s", path, strerror (errno));
    close (fd);
    if (!(o = eddy_toml_parse (buf, len, path, &err)))
        die ("%s", err.text);
    free (buf);
    return o;
}

/* Every *.toml of dir, in name order, merged by top-level table; a key
 * that two files set is an error (which one wins would be a guess).
 */
static json_t *load_config (const char *dir)
{
    struct stat st;
    json_t *conf = json_object ();
    char **names = NULL;
    size_t count = 0;
    struct dirent *d;

    int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        die ("%s: %s", dir, strerror (errno));
    if (fstat (dirfd, &st) < 0)
        die ("%s: %s", dir, strerror (errno));
    check_owner (dir, &st);
    DIR *dp = fdopendir (dup (dirfd));
    if (!dp || !conf)
        die ("%s: %s", dir, strerror (errno));
    while ((d = readdir (dp))) {
        size_t l = strlen (d->d_name);
        if (d->d_name[0] == '.' || l < 6 || strcmp (d->d_name + l - 5, ".toml") != 0)
            continue;
        if (!(names = realloc (names, (count + 1) * sizeof (*names)))
            || !(names[count++] = strdup (d->d_name)))
            die ("out of memory");
    }
    closedir (dp);
    qsort (names, count, sizeof (*names), name_cmp);
    for (size_t i = 0; i < count; i++) {
        json_t *o = read_toml (dirfd, dir, names[i]);
        const char *table;
        json_t *v;
        json_object_foreach (o, table, v) {
            json_t *have = json_object_get (conf, table);
            if (have && (!json_is_object (have) || !json_is_object (v)))
                die ("%s/%s: %s is set in another file too", dir, names[i], table);
            if (!have) {
                json_object_set (conf, table, v);
                continue;
            }
            const char *key;
            json_t *kv;
            json_object_foreach (v, key, kv) {
                if (json_object_get (have, key))
                    die ("%s/%s: %s.%s is set in another file too", dir, names[i], table, key);
                json_object_set (have, key, kv);
            }
        }
        json_decref (o);
        free (names[i]);
    }
    free (names);
    close (dirfd);
    return conf;
}

/* Keys a table may have; anything else is a mistake worth refusing (a
 * misspelt allowed-users would otherwise allow nobody, or someone).
 */
static void check_keys (json_t *t, const char *where, const char *const *keys)
{
    const char *key;
    json_t *v;

    if (t && !json_is_object (t))
        die ("config: [%s] must be a table", where);
    json_object_foreach (t, key, v) {
        int i = 0;
        while (keys[i] && strcmp (keys[i], key) != 0)
            i++;
        if (!keys[i])
            die ("config: [%s] has an unknown key %s", where, key);
    }
}

/* A list of strings (NULL when absent); anything else is an error. */
static json_t *string_list (json_t *t, const char *where, const char *key)
{
    json_t *a = json_object_get (t, key);
    size_t i;
    json_t *e;

    if (!a)
        return NULL;
    if (!json_is_array (a))
        die ("config: %s.%s must be a list of strings", where, key);
    json_array_foreach (a, i, e)
        if (!json_is_string (e))
            die ("config: %s.%s must be a list of strings", where, key);
    return a;
}

static bool list_has (json_t *a, const char *s)
{
    size_t i;
    json_t *e;
    json_array_foreach (a, i, e)
        if (!strcmp (json_string_value (e), s))
            return true;
    return false;
}

static bool list_match (json_t *a, const char *s)
{
    size_t i;
    json_t *e;
    json_array_foreach (a, i, e)
        if (fnmatch (json_string_value (e), s, 0) == 0)
            return true;
    return false;
}

static const char *const exec_keys[] = { "allowed-users", "allowed-shells",
                                         "allowed-environment", "pam-support", NULL };
static const char *const run_keys[] = { "path", "allowed-users", "allowed-environment", NULL };

static json_t *config (const char *dir)
{
    static const char *const top_keys[] = { "exec", "run", "sign", NULL };
    json_t *conf = load_config (dir);
    json_t *run = json_object_get (conf, "run");
    const char *name;
    json_t *t;

    check_keys (conf, "imp.toml", top_keys);
    /* how signatures are checked: [sign] as in the security config */
    check_keys (json_object_get (conf, "exec"), "exec", exec_keys);
    check_keys (run, "run", (const char *const[]){ "prolog", "epilog", NULL });
    json_object_foreach (run, name, t) {
        char where[32];
        snprintf (where, sizeof (where), "run.%s", name);
        check_keys (t, where, run_keys);
    }
    return conf;
}

/* ---- who is asking ---- */

/* The caller is its real uid; its name is what allowed-users lists. */
static void check_caller (json_t *users, const char *what)
{
    uid_t uid = getuid ();
    struct passwd *pw = getpwuid (uid);

    if (!users || !pw || !list_has (users, pw->pw_name))
        die ("%s: caller %s (uid %u) is not in allowed-users", what, pw ? pw->pw_name : "?",
             (unsigned)uid);
}

/* A copy of the caller's environment with only what globs allow. */
static char **filter_env (json_t *globs, int extra)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **env = calloc (n + (size_t)extra + 1, sizeof (*env));
    if (!env)
        die ("out of memory");
    for (size_t i = 0; i < n && globs; i++) {
        const char *eq = strchr (environ[i], '=');
        char name[256];
        if (!eq || (size_t)(eq - environ[i]) >= sizeof (name))
            continue;
        memcpy (name, environ[i], (size_t)(eq - environ[i]));
        name[eq - environ[i]] = '\0';
        if (list_match (globs, name))
            env[k++] = environ[i];
    }
    return env;
}

static void env_add (char **env, const char *name, const char *value)
{
    size_t k = 0, l = strlen (name);
    char *s;

    while (env[k] && !(strncmp (env[k], name, l) == 0 && env[k][l] == '='))
        k++;
    if (asprintf (&s, "%s=%s", name, value) < 0)
        die ("out of memory");
    env[k] = s;
}

/* ---- exec ---- */

static char *read_all (int fd, size_t *lenp)
{
    size_t len = 0, size = 65536;
    char *buf = malloc (size + 1);
    ssize_t n;

    if (!buf)
        die ("out of memory");
    for (;;) {
        if (len == size) {
            if (size >= IMP_MAX_REQUEST)
                die ("exec: the request on stdin is larger than %d bytes", IMP_MAX_REQUEST);
            size *= 2;
            if (!(buf = realloc (buf, size + 1)))
                die ("out of memory");
        }
        n = read (fd, buf + len, size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die ("exec: reading the request on stdin: %s", strerror (errno));
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *lenp = len;
    return buf;
}

/* Become uid for good: its groups, its gid, then its uid, and make sure
 * root cannot be had back.
 */
static void become (uid_t uid)
{
    struct passwd *pw = getpwuid (uid);
    if (!pw)
        die ("exec: the signer, uid %u, has no passwd entry", (unsigned)uid);
    if (initgroups (pw->pw_name, pw->pw_gid) < 0)
        die ("exec: initgroups %s: %s", pw->pw_name, strerror (errno));
    if (setresgid (pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
        die ("exec: setgid %u: %s", (unsigned)pw->pw_gid, strerror (errno));
    if (setresuid (uid, uid, uid) < 0)
        die ("exec: setuid %u: %s", (unsigned)uid, strerror (errno));
    if (setuid (0) == 0 || geteuid () != uid || getegid () != pw->pw_gid)
        die ("exec: could not drop root");
}

/* The shell's arguments end in "-- COMMAND...", and COMMAND must be what
 * the signed jobspec asks for (tasks[0].command): a signature on one job
 * is not a licence to run anything else as its user.  Returns the jobspec.
 */
static json_t *check_command (const char *payload, size_t len, int argc, char **argv)
{
    json_error_t jerr;
    json_t *spec = json_loadb (payload, len, 0, &jerr);
    json_t *cmd = json_object_get (json_array_get (json_object_get (spec, "tasks"), 0), "command");
    size_t n = json_array_size (cmd);

    if (!spec)
        die ("exec: the signed request is not a JSON jobspec: %s", jerr.text);
    if (!json_is_array (cmd) || n == 0)
        die ("exec: the signed jobspec has no tasks[0].command");
    if ((size_t)argc < n + 2 || strcmp (argv[argc - (int)n - 1], "--") != 0)
        die ("exec: the command to run is not the signed jobspec's");
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value (json_array_get (cmd, i));
        if (!s || strcmp (s, argv[argc - (int)n + (int)i]) != 0)
            die ("exec: the command to run is not the signed jobspec's (argument %zu differs)", i);
    }
    return spec;
}

/* What the instance adds to a job's environment (exec/shell.c), each
 * with the only values it can have: the instance's account may set these
 * and nothing else in another user's job, so a value that is not what
 * the shell writes is refused, not passed.  The gpu variables replace the
 * user's own only when the instance sets them (a job with gpus); the
 * others are never the user's.
 */
enum value_kind { V_UINT, V_FLUID, V_URI, V_LIST, V_CPUS, V_FIXED };
struct instance_var {
    const char *name;
    enum value_kind kind;
    const char *fixed; /* V_FIXED: the value */
    bool user_default; /* without the instance's, the user's own passes */
};
static const struct instance_var instance_vars[] = {
    { "EDDY_JOB_ID", V_FLUID, NULL, false },
    { "EDDY_JOB_SIZE", V_UINT, NULL, false },
    { "EDDY_JOB_NNODES", V_UINT, NULL, false },
    { "EDDY_URI", V_URI, NULL, false },
    { "EDDY_TASK_RANK", V_UINT, NULL, false },
    { "EDDY_TASK_LOCAL_ID", V_UINT, NULL, false },
    { "EDDY_TASK_CPUS", V_CPUS, NULL, false },
    { "EDDY_JOB_USERID", V_UINT, NULL, false },
    { "PMI_FD", V_FIXED, "3", false },
    { "PMI_RANK", V_UINT, NULL, false },
    { "PMI_SIZE", V_UINT, NULL, false },
    { "PMI_SPAWNED", V_FIXED, "0", false },
    { "CUDA_VISIBLE_DEVICES", V_LIST, NULL, true },
    { "ROCR_VISIBLE_DEVICES", V_LIST, NULL, true },
    { "CUDA_DEVICE_ORDER", V_FIXED, "PCI_BUS_ID", true },
    { NULL, 0, NULL, false },
};

static const struct instance_var *instance_var (const char *name)
{
    for (int i = 0; instance_vars[i].name; i++)
        if (!strcmp (name, instance_vars[i].name))
            return &instance_vars[i];
    return NULL;
}

/* Only digits and the characters of extra, at least one digit, at most
 * max characters.
 */
static bool digits_and (const char *v, const char *extra, size_t max)
{
    size_t n = strlen (v), d = 0;
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= '0' && v[i] <= '9')
            d++;
        else if (!strchr (extra, v[i]))
            return false;
    }
    return d > 0;
}

static bool value_ok (const struct instance_var *iv, const char *v)
{
    eddy_fluid_t id;
    switch (iv->kind) {
    case V_UINT:
        return digits_and (v, "", 10);
    case V_FLUID:
        return eddy_fluid_parse (v, &id, NULL) == 0;
    case V_URI:
        /* the broker's own socket: local:// and an absolute path (the
         * broker refuses a relative runtime directory), no controls */
        if (strncmp (v, "local:///", 9) != 0 || strlen (v) > 4096)
            return false;
        for (const char *p = v; *p; p++)
            if ((unsigned char)*p < ' ' || *p == 0x7f)
                return false;
        return true;
    case V_LIST:
        return digits_and (v, ",", 1024) && v[0] != ',' && !strstr (v, ",,");
    case V_CPUS:
        return !*v || (digits_and (v, ",-", 8192) && v[0] != ',' && v[0] != '-');
    case V_FIXED:
        return !strcmp (v, iv->fixed);
    }
    return false;
}

/* The shell's environment: the signed jobspec's, the instance's variables
 * (instance_vars, values checked), whatever [exec] allowed-environment
 * lets through from the caller, and EDDY_IMP_EXEC, which tells eddy-shell
 * that its command, path and working directory are the signed ones (it
 * then ignores the caller's).
 */
static char **job_env (json_t *spec, json_t *globs)
{
    json_t *env = json_object_get (json_object_get (json_object_get (spec, "attributes"), "system"),
                                   "environment");
    size_t n = 0, k = 0;
    const char *key;
    json_t *v;

    while (environ[n])
        n++;
    char **out = calloc (n + json_object_size (env) + 2, sizeof (*out));
    if (!out)
        die ("out of memory");
    json_object_foreach (env, key, v) {
        const struct instance_var *iv = instance_var (key);
        if (iv && (!iv->user_default || getenv (key)))
            continue;
        if (json_is_string (v) && !strchr (key, '=')
            && asprintf (&out[k++], "%s=%s", key, json_string_value (v)) < 0)
            die ("out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr (environ[i], '=');
        char name[256];
        if (!eq || (size_t)(eq - environ[i]) >= sizeof (name))
            continue;
        memcpy (name, environ[i], (size_t)(eq - environ[i]));
        name[eq - environ[i]] = '\0';
        const struct instance_var *iv = instance_var (name);
        if (iv && !value_ok (iv, eq + 1))
            die ("exec: the instance set %s to a value it never sets (%.64s)", name, eq + 1);
        if (iv || (globs && list_match (globs, name) && !json_object_get (env, name)
                   && strcmp (name, "EDDY_IMP_EXEC") != 0))
            out[k++] = environ[i];
    }
    out[k++] = "EDDY_IMP_EXEC=1";
    return out;
}

static int cmd_exec (json_t *conf, int argc, char **argv)
{
    json_t *exec = json_object_get (conf, "exec");
    eddy_error_t err = { "" };
    struct eddy_sign_conf sc;
    const char *owner;
    void *payload;
    size_t len, plen;
    uint32_t signer;
    char *end;

    if (argc < 1)
        die ("Usage: eddy-imp exec SHELL [ARGS...] < SIGNED-REQUEST");
    check_caller (string_list (exec, "exec", "allowed-users"), "exec");
    json_t *shells = string_list (exec, "exec", "allowed-shells");
    if (!shells || !list_has (shells, argv[0]))
        die ("exec: shell %s is not in allowed-shells", argv[0]);
    char *req = read_all (STDIN_FILENO, &len);
    if (len == 0)
        die ("exec: no request on stdin (an unsigned job cannot run as another user)");
    /* multi-user: only MUNGE signatures prove who made the request */
    if (eddy_sign_conf_parse (&sc, json_object_get (conf, "sign"), true, &err) < 0)
        die ("config: %s", err.text);
    while (len > 0 && (req[len - 1] == '\n' || req[len - 1] == '\r'))
        req[--len] = '\0';
    if (eddy_sign_unwrap (&sc, req, &payload, &plen, &signer, NULL, 0, &err) < 0)
        die ("exec: %s", err.text);
    json_t *spec = check_command (payload, plen, argc, argv);
    /* the instance says whose job it runs; the signer must be that user,
     * or the instance is running someone's J as the job of another */
    if (!(owner = getenv ("EDDY_JOB_USERID")))
        die ("exec: EDDY_JOB_USERID is not set: whose job is this?");
    errno = 0;
    unsigned long juid = strtoul (owner, &end, 10);
    if (errno || end == owner || *end)
        die ("exec: EDDY_JOB_USERID=%s is not a uid", owner);
    if (juid > UINT32_MAX || eddy_sign_check_user (signer, (uint32_t)juid, &err) < 0)
        die ("exec: the request is %s (the job's owner)", err.text);
    if (signer == 0)
        die ("exec: refusing to run a job as root");
    become ((uid_t)signer);
    char **env = job_env (spec, string_list (exec, "exec", "allowed-environment"));
    /* the signed working directory, entered as the user: one the user
     * may not enter is an error, not a reason to run elsewhere */
    const char *cwd = json_string_value (json_object_get (
        json_object_get (json_object_get (spec, "attributes"), "system"), "cwd"));
    if (cwd && chdir (cwd) < 0)
        die ("exec: cannot enter the job's working directory %s: %s", cwd, strerror (errno));
    if (!cwd && chdir ("/") < 0)
        die ("exec: chdir /: %s", strerror (errno));
    /* eddy-shell's arguments: be that shell here, as the user, rather
     * than exec it (the same code, linked in; one exec less per job) */
    if (guard_args (argc, argv)) {
        environ = env;
        guard_run (argc, argv, env);
    }
    execve (argv[0], argv, env);
    die ("exec: %s: %s", argv[0], strerror (errno));
}

/* ---- kill ---- */

/* The cgroup v2 path of pid ("0::PATH"), or NULL. */
static char *cgroup_of (pid_t pid)
{
    char path[64], line[4096];
    char *cg = NULL;

    snprintf (path, sizeof (path), "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen (path, "re");
    if (!f)
        return NULL;
    while (fgets (line, sizeof (line), f))
        if (!strncmp (line, "0::", 3)) {
            line[strcspn (line, "\n")] = '\0';
            cg = strdup (line + 3);
            break;
        }
    fclose (f);
    return cg;
}

static pid_t ppid_of (pid_t pid)
{
    char path[64], buf[1024];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read (fd, buf, sizeof (buf) - 1);
    close (fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *close_paren = strrchr (buf, ')');
    int ppid;
    if (!close_paren || sscanf (close_paren + 1, " %*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* pid belongs to a job of the caller (this program's parent, the broker)
 * if its cgroup is a job cgroup (eddy-*) under the caller's cgroup, or if
 * one of its ancestors is a child of the caller (the job's shell).
 */
static bool callers_job (pid_t pid, pid_t caller)
{
    char *mine = cgroup_of (getpid ());
    char *theirs = cgroup_of (pid);
    bool ok = false;

    if (mine && theirs) {
        size_t l = strlen (mine);
        const char *rest = !strcmp (mine, "/") ? theirs : theirs + l;
        if ((!strcmp (mine, "/") || (!strncmp (theirs, mine, l) && theirs[l] == '/'))
            && !strncmp (rest, "/eddy-", 6))
            ok = true;
    }
    free (mine);
    free (theirs);
    for (pid_t p = pid; !ok && p > 1;) {
        pid_t pp = ppid_of (p);
        if (pp == caller)
            ok = true;
        p = pp;
    }
    return ok;
}

static int cmd_kill (json_t *conf, int argc, char **argv)
{
    json_t *exec = json_object_get (conf, "exec");
    char *end;

    if (argc != 2)
        die ("Usage: eddy-imp kill SIGNAL PID|-PGID");
    /* the instance that may run jobs as others may signal them */
    check_caller (string_list (exec, "exec", "allowed-users"), "kill");
    errno = 0;
    long sig = strtol (argv[0], &end, 10);
    if (errno || end == argv[0] || *end || sig < 0 || sig >= NSIG)
        die ("kill: %s is not a signal number", argv[0]);
    /* -PGID: the process group whose leader is PGID (a prolog's or an
     * epilog's, which the instance starts in a group of its own) */
    bool group = argv[1][0] == '-';
    const char *num = group ? argv[1] + 1 : argv[1];
    errno = 0;
    long pid = strtol (num, &end, 10);
    if (errno || end == num || *end || *num < '0' || *num > '9' || pid <= 1 || pid > INT_MAX)
        die ("kill: %s is not a process id or -group id", argv[1]);
    /* a pidfd pins the process: the checks and the signal are about the
     * same one, even if it exits meanwhile (its pid, and so its group's
     * id, is not reused while the pidfd is open) */
    int pidfd = (int)syscall (SYS_pidfd_open, (pid_t)pid, 0);
    if (pidfd < 0)
        die ("kill: %ld: %s", pid, strerror (errno));
    if ((pid_t)pid == getppid () || !callers_job ((pid_t)pid, getppid ()))
        die ("kill: process %ld is not part of a job of the caller's instance", pid);
    if (group) {
        if (getpgid ((pid_t)pid) != (pid_t)pid)
            die ("kill: process %ld does not lead a process group", pid);
        if (kill (-(pid_t)pid, (int)sig) < 0)
            die ("kill: -%ld: %s", pid, strerror (errno));
    }
    else if (syscall (SYS_pidfd_send_signal, pidfd, (int)sig, NULL, 0) < 0)
        die ("kill: %ld: %s", pid, strerror (errno));
    return 0;
}

/* ---- run ---- */

static bool safe_value (const char *s, bool digits)
{
    if (!s || !*s || strlen (s) > 64)
        return false;
    for (; *s; s++)
        if (digits ? (*s < '0' || *s > '9')
                   : !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z')
                       || (*s >= 'A' && *s <= 'Z') || (unsigned char)*s >= 0x80))
            return false; /* decimal, hex or F58 ids: nothing a shell reads */
    return true;
}

static int cmd_run (json_t *conf, int argc, char **argv)
{
    char uid[32];

    if (argc != 1 || (strcmp (argv[0], "prolog") != 0 && strcmp (argv[0], "epilog") != 0))
        die ("Usage: eddy-imp run prolog|epilog");
    json_t *t = json_object_get (json_object_get (conf, "run"), argv[0]);
    char where[32];
    snprintf (where, sizeof (where), "run.%s", argv[0]);
    if (!t)
        die ("run: no [%s] in the configuration", where);
    const char *path = json_string_value (json_object_get (t, "path"));
    if (!path || path[0] != '/')
        die ("run: %s.path must be an absolute path", where);
    check_caller (string_list (t, where, "allowed-users"), where);
    const char *id = getenv ("EDDY_JOB_ID");
    const char *juid = getenv ("EDDY_JOB_USERID");
    if (!safe_value (id, false))
        die ("run: EDDY_JOB_ID is not set to a job id");
    if (!safe_value (juid, true))
        die ("run: EDDY_JOB_USERID is not set to a uid");
    char **env = filter_env (string_list (t, where, "allowed-environment"), 6);
    env_add (env, "EDDY_JOB_ID", id);
    env_add (env, "EDDY_JOB_USERID", juid);
    snprintf (uid, sizeof (uid), "%u", (unsigned)getuid ());
    env_add (env, "EDDY_OWNER_USERID", uid);
    struct passwd *root = getpwuid (0);
    env_add (env, "HOME", root && root->pw_dir ? root->pw_dir : "/");
    env_add (env, "USER", root && root->pw_name ? root->pw_name : "root");
    env_add (env, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    /* root for good: the script need not care who called */
    if (setgroups (0, NULL) < 0 || setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        die ("run: cannot become root: %s (is eddy-imp setuid root?)", strerror (errno));
    if (chdir ("/") < 0)
        die ("run: chdir /: %s", strerror (errno));
    execve (path, (char *[]){ (char *)path, NULL }, env);
    die ("run: %s: %s", path, strerror (errno));
}

/* ---- main ---- */

/* The configuration directory: compiled in.  A build-tree copy for tests
 * (EDDY_IMP_CONFDIR_BESIDE_EXE) reads imp.conf.d beside its own file,
 * which only root can make a setuid-root program of.  --config-dir is
 * honoured for a caller whose real uid is root, who could do anything.
 */
static const char *confdir (char *buf, size_t size)
{
#ifdef EDDY_IMP_CONFDIR_BESIDE_EXE
    ssize_t n = readlink ("/proc/self/exe", buf, size - 16);
    char *slash;
    if (n <= 0 || !(buf[n] = '\0', slash = strrchr (buf, '/')))
        die ("cannot find my own executable");
    strcpy (slash + 1, "imp.conf.d");
    return buf;
#else
    (void)buf;
    (void)size;
    return EDDY_IMP_CONFDIR;
#endif
}

int main (int argc, char **argv)
{
    char buf[PATH_MAX];
    const char *dir = confdir (buf, sizeof (buf));
    int i = 1;

    if (argc > 2 && !strcmp (argv[1], "--config-dir")) {
        if (getuid () != 0)
            die ("--config-dir is honoured only for root");
        dir = argv[2];
        i = 3;
    }
    if (i >= argc)
        die ("Usage: eddy-imp exec SHELL ARGS... | kill SIGNAL PID | run prolog|epilog");
    if (geteuid () != 0)
        die ("not running as root (is eddy-imp installed setuid root?)");
    json_t *conf = config (dir);
    if (!strcmp (argv[i], "exec"))
        return cmd_exec (conf, argc - i - 1, argv + i + 1);
    if (!strcmp (argv[i], "kill")) {
        int rc = cmd_kill (conf, argc - i - 1, argv + i + 1);
        json_decref (conf);
        return rc;
    }
    if (!strcmp (argv[i], "run"))
        return cmd_run (conf, argc - i - 1, argv + i + 1);
    die ("unknown command %s (exec, kill, run)", argv[i]);
}
