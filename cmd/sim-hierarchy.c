/* sim-hierarchy.c - `eddy sim hierarchy`: the same N jobs through one flat
 * virtual instance and through K nested instances (sim/nest.h), each run
 * in a process of its own so that its wall time and peak RSS are its own.
 * Deterministic figures on stdout; wall time and memory on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/modules.h"
#include "engine/util/idset.h"
#include "sim/ideal.h"
#include "sim/replay.h"

int sim_hierarchy (int argc, char **argv);

struct hier {
    uint32_t size, children, cores, job_cores;
    size_t jobs;
    double duration, latency, jitter, time_limit;
    uint64_t seed;
    int fanout;
    const char *policy;
    const char *jobs_out, *summary_out;
    bool flat, nested;
};

/* eddy sim hierarchy's own usage and options (eddy sim --help points here) */
static const struct eddy_cmd cmd_sim_hierarchy = {
    .name = "sim",
    .usage = "eddy sim hierarchy --size N --children K --jobs J [OPTIONS]",
    .summary = "Run J jobs through one flat virtual instance of N nodes, then through K\n"
               "nested instances (one job of N/K whole nodes each in the flat instance,\n"
               "each running its share of the J jobs), and report both.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("size", 's', "N", "nodes (virtual brokers) of the top instance"),
        EDDY_OPT_ARG ("children", 'k', "K", "nested instances, 1-N"),
        EDDY_OPT_ARG ("jobs", 'n', "J", "jobs in all"),
        EDDY_OPT_ARG ("cores", 'c', "C", "cores per node (default 1)"),
        EDDY_OPT_LARG ("job-cores", 'P', "P", "cores per job (default 1)"),
        EDDY_OPT_ARG ("duration", 'd', "S", "seconds each job runs (default 10)"),
        EDDY_OPT_ARG ("latency", 'l', "S", "per-hop link latency (default 0.00005)"),
        EDDY_OPT_ARG ("jitter", 'j', "S", "extra uniform per-hop delay in [0, S) (default 0)"),
        EDDY_OPT_LARG ("seed", 'S', "S", "random seed (default 1)"),
        EDDY_OPT_ARG ("fanout", 'f', "K", "tree fanout of every instance, 0 = flat (default 2)"),
        EDDY_OPT_LARG ("policy", 'p', "NAME", "scheduler policy of every instance (default fcfs)"),
        EDDY_OPT_LARG ("time-limit", 'T', "S", "the nested instances' jobs in the top instance have this time limit: an instance still busy is torn down"),
        EDDY_OPT_LARG ("mode", 'm', "M", "both (default), flat or nested"),
        EDDY_OPT_LARG ("jobs-out", 'J', "FILE", "one CSV row per job of the nested instances"),
        EDDY_OPT_LARG ("summary-out", 'O', "FILE", "JSON with every figure and each instance"),
        EDDY_OPT_END,
    },
};

static double seconds_arg (const char *opt, const char *s, double max)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || *end || !(v >= 0) || v > max)
        eddy_cmd_die ("sim", "hierarchy: --%s: '%s' is not a duration in seconds in 0-%g", opt,
                      s, max);
    return v;
}

static unsigned long long uint_arg (const char *opt, const char *s, unsigned long long min,
                                    unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < min || v > max)
        eddy_cmd_die ("sim", "hierarchy: --%s: '%s' is not an integer in %llu-%llu", opt, s, min,
                      max);
    return v;
}

/* ---- one run, in a process of its own ---- */

static int write_all (int fd, const char *s)
{
    size_t len = strlen (s);
    while (len > 0) {
        ssize_t n = write (fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

static json_t *run_flat (const struct hier *hp, eddy_error_t *err)
{
    struct eddy_ideal_job *jobs = xmalloc ((hp->jobs ? hp->jobs : 1) * sizeof (*jobs));
    struct eddy_ideal_result *out = xmalloc ((hp->jobs ? hp->jobs : 1) * sizeof (*out));
    struct eddy_replay_params p = {
        .policy = hp->policy, .nodes = hp->size, .cores_per_node = hp->cores,
        .fanout = hp->fanout, .latency = hp->latency, .jitter = hp->jitter, .seed = hp->seed,
        .modules = eddy_builtin_modules,
    };
    struct eddy_replay_stats st = { 0 };
    json_t *res = NULL;

    for (size_t i = 0; i < hp->jobs; i++)
        jobs[i] = (struct eddy_ideal_job){ .id = (int64_t)i + 1, .submit = 0, .run = hp->duration,
                                           .req = hp->duration, .procs = (int)hp->job_cores };
    double w0 = client_monotime ();
    if (eddy_replay_run (&p, jobs, hp->jobs, out, &st, err) == 0) {
        double wall = client_monotime () - w0, makespan = 0;
        size_t done = 0;
        for (size_t i = 0; i < hp->jobs; i++) {
            if (out[i].end >= 0)
                done++;
            if (out[i].end > makespan)
                makespan = out[i].end;
        }
        res = json_pack ("{s:I s:f s:f s:I s:I}", "jobs", (json_int_t)done, "makespan", makespan,
                         "wall", wall, "events", (json_int_t)st.events, "messages",
                         (json_int_t)st.messages);
    }
    free (jobs);
    free (out);
    return res;
}

/* The k-th instance's job: N/K whole nodes (the first N % K get one more
 * node, the first J % K one more job), asking for a nested instance. */
static json_t *instance_jobspec (const struct hier *hp, uint32_t k, uint32_t *nodes, size_t *njobs)
{
    *nodes = hp->size / hp->children + (k < hp->size % hp->children ? 1 : 0);
    *njobs = hp->jobs / hp->children + (k < hp->jobs % hp->children ? 1 : 0);
    json_t *sys = json_pack ("{s:{s:{s:{s:I s:f s:i}}}}", "exec", "test", "nest", "jobs",
                             (json_int_t)*njobs, "run", hp->duration, "procs", (int)hp->job_cores);
    /* 0: no time limit */
    if (sys)
        json_object_set_new (sys, "duration", json_real (hp->time_limit));
    return json_pack ("{s:i s:[{s:s s:i s:[{s:s s:i s:s s:[{s:s s:i}]}]}] "
                      "s:[{s:[s s] s:s s:{s:i}}] s:{s:o}}",
                      "version", 1, "resources", "type", "node", "count", (int)*nodes, "with",
                      "type", "slot", "count", 1, "label", "task", "with", "type", "core", "count",
                      (int)hp->cores, "tasks", "command", "eddy", "start", "slot", "task", "count",
                      "per_slot", 1, "attributes", "system", sys);
}

/* The ranks of an R (R_lite), ascending; *n of them. */
static unsigned *R_ranks (json_t *R, size_t *n)
{
    json_t *lite = json_object_get (json_object_get (R, "execution"), "R_lite"), *e;
    eddy_idset_t *all = eddy_idset_create ();
    size_t i;

    json_array_foreach (lite, i, e) {
        eddy_idset_t *ids = eddy_idset_decode (json_string_value (json_object_get (e, "rank")), NULL);
        if (ids)
            eddy_idset_add (all, ids);
        eddy_idset_destroy (ids);
    }
    *n = eddy_idset_count (all);
    unsigned *v = xmalloc ((*n ? *n : 1) * sizeof (*v)), r;
    i = 0;
    for (r = eddy_idset_first (all); r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (all, r))
        v[i++] = r;
    eddy_idset_destroy (all);
    return v;
}

/* A nested job's ranks, in the child's numbering and in the parent's. */
static void write_job_row (FILE *f, const char *inst, json_t *job, const unsigned *map, size_t n,
                           double offset)
{
    eddy_idset_t *child = eddy_idset_create (), *parent = eddy_idset_create ();
    json_t *ranks = json_object_get (job, "ranks"), *x;
    size_t i;

    json_array_foreach (ranks, i, x) {
        eddy_idset_t *ids = eddy_idset_decode (json_string_value (x), NULL);
        for (unsigned r = ids ? eddy_idset_first (ids) : EDDY_IDSET_INVALID_ID;
             r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (ids, r)) {
            eddy_idset_set (child, r);
            /* a rank outside the child's R shows as itself + size: never one of the job's */
            eddy_idset_set (parent, r < n ? map[r] : 0x7fffffff);
        }
        eddy_idset_destroy (ids);
    }
    char *c = eddy_idset_encode (child, EDDY_IDSET_RANGE);
    char *p = eddy_idset_encode (parent, EDDY_IDSET_RANGE);
    char *cores = json_dumps (json_object_get (job, "cores"), JSON_COMPACT);
    double start = json_real_value (json_object_get (job, "start"));
    double end = json_real_value (json_object_get (job, "end"));
    fprintf (f, "%s,%" JSON_INTEGER_FORMAT ",%.6f,%.6f,\"%s\",\"%s\",\"", inst,
             json_integer_value (json_object_get (job, "id")), start - offset, end - offset,
             c ? c : "", p ? p : "");
    for (const char *s = cores ? cores : ""; *s; s++)
        fputs (*s == '"' ? "\"\"" : (char[]){ *s, 0 }, f);
    fputs ("\"\n", f);
    free (cores);
    free (c);
    free (p);
    eddy_idset_destroy (child);
    eddy_idset_destroy (parent);
}

static json_t *run_nested (const struct hier *hp, eddy_error_t *err)
{
    uint32_t k = hp->children;
    struct eddy_ideal_job *jobs = xmalloc (k * sizeof (*jobs));
    struct eddy_ideal_result *out = xmalloc (k * sizeof (*out));
    json_t **specs = xmalloc (k * sizeof (*specs));
    json_t *report = NULL, *res = NULL;
    struct eddy_replay_params p = {
        .policy = hp->policy, .nodes = hp->size, .cores_per_node = hp->cores,
        .fanout = hp->fanout, .latency = hp->latency, .jitter = hp->jitter, .seed = hp->seed,
        .modules = eddy_builtin_modules, .jobspecs = specs, .nest_report = &report,
        .nest_record_jobs = hp->jobs_out != NULL, .cap_runtime = hp->time_limit > 0,
    };
    struct eddy_replay_stats st = { 0 };

    for (uint32_t i = 0; i < k; i++) {
        uint32_t nodes;
        size_t njobs;
        if (!(specs[i] = instance_jobspec (hp, i, &nodes, &njobs)))
            eddy_cmd_die ("sim", "hierarchy: out of memory");
        jobs[i] = (struct eddy_ideal_job){ .id = (int64_t)i + 1, .submit = 0,
                                           /* the instance's workload, not run, ends it */
                                           .run = hp->time_limit, .req = hp->time_limit,
                                           .procs = (int)(nodes * hp->cores) };
    }
    double w0 = client_monotime ();
    if (eddy_replay_run (&p, jobs, k, out, &st, err) < 0)
        goto done;
    double wall = client_monotime () - w0, makespan = 0;
    json_t *insts = json_array ();
    size_t done = 0, canceled = 0;
    uint64_t messages = st.messages; /* the top instance's links and every child's */
    FILE *jf = hp->jobs_out ? fopen (hp->jobs_out, "w") : NULL;
    if (hp->jobs_out && !jf)
        eddy_cmd_die ("sim", "hierarchy: %s: %s", hp->jobs_out, strerror (errno));
    if (jf)
        fprintf (jf, "instance,id,start,end,child_ranks,parent_ranks,cores\n");
    for (uint32_t i = 0; i < k; i++)
        if (out[i].end > makespan)
            makespan = out[i].end;
    size_t i;
    json_t *rec;
    json_array_foreach (report, i, rec) {
        json_int_t c = json_integer_value (json_object_get (rec, "completed"));
        json_int_t x = json_integer_value (json_object_get (rec, "canceled"));
        done += (size_t)c;
        canceled += (size_t)x;
        messages += (uint64_t)json_integer_value (json_object_get (rec, "messages"));
        json_t *o = json_pack ("{s:O s:O s:O s:O s:O s:O s:O s:O s:O s:f s:f s:O}", "jobid",
                               json_object_get (rec, "jobid"), "uri", json_object_get (rec, "uri"),
                               "parent_uri", json_object_get (rec, "parent_uri"), "size",
                               json_object_get (rec, "size"), "R", json_object_get (rec, "R"),
                               "jobs", json_object_get (rec, "jobs"), "completed",
                               json_object_get (rec, "completed"), "canceled",
                               json_object_get (rec, "canceled"), "status",
                               json_object_get (rec, "status"), "run_at",
                               json_real_value (json_object_get (rec, "run_at")) - st.offset, "end",
                               json_real_value (json_object_get (rec, "end")) - st.offset,
                               "messages", json_object_get (rec, "messages"));
        json_t *listed = json_object_get (rec, "listed");
        if (o && listed)
            json_object_set (o, "listed", listed);
        json_array_append_new (insts, o);
        if (jf) {
            size_t n, j;
            unsigned *map = R_ranks (json_object_get (rec, "R"), &n);
            const char *inst = json_string_value (json_object_get (rec, "jobid"));
            json_t *job;
            json_array_foreach (json_object_get (rec, "list"), j, job)
                write_job_row (jf, inst, job, map, n, st.offset);
            free (map);
        }
    }
    if (jf && fclose (jf) != 0)
        eddy_cmd_die ("sim", "hierarchy: %s: %s", hp->jobs_out, strerror (errno));
    json_t *parent = json_array ();
    for (uint32_t j = 0; j < k; j++)
        json_array_append_new (parent, json_pack ("{s:f s:f s:i}", "start", out[j].start, "end",
                                                  out[j].end, "procs", out[j].procs));
    res = json_pack ("{s:I s:I s:I s:I s:f s:f s:I s:I s:I s:o s:o}", "parent_denied",
                     (json_int_t)st.denied, "parent_failed", (json_int_t)st.failed, "jobs", (json_int_t)done,
                     "canceled", (json_int_t)canceled, "makespan", makespan, "wall", wall,
                     "events", (json_int_t)st.events, "messages", (json_int_t)messages,
                     "parent_jobs", (json_int_t)st.jobs, "parent", parent, "instances", insts);
done:
    for (uint32_t j = 0; j < k; j++)
        json_decref (specs[j]);
    json_decref (report);
    free (specs);
    free (jobs);
    free (out);
    return res;
}

/* Run one mode in a child process; its result with its peak RSS. */
static json_t *run_forked (const struct hier *hp, bool nested)
{
    int fds[2];
    if (pipe (fds) < 0)
        eddy_cmd_die ("sim", "hierarchy: pipe: %s", strerror (errno));
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid < 0)
        eddy_cmd_die ("sim", "hierarchy: fork: %s", strerror (errno));
    if (pid == 0) {
        close (fds[0]);
        eddy_error_t err = { "" };
        json_t *res = nested ? run_nested (hp, &err) : run_flat (hp, &err);
        if (!res)
            res = json_pack ("{s:s}", "error", err.text[0] ? err.text : "out of memory");
        char *text = json_dumps (res, JSON_COMPACT);
        int rc = text && write_all (fds[1], text) == 0 ? 0 : 1;
        free (text);
        json_decref (res);
        _exit (rc);
    }
    close (fds[1]);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc (buf, cap);
            if (!nb)
                eddy_cmd_die ("sim", "hierarchy: out of memory");
            buf = nb;
        }
        ssize_t n = read (fds[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close (fds[0]);
    buf = buf ? buf : xmalloc (1);
    buf[len] = '\0';
    int status;
    struct rusage ru;
    while (wait4 (pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            eddy_cmd_die ("sim", "hierarchy: wait: %s", strerror (errno));
    json_t *res = json_loads (buf, 0, NULL);
    free (buf);
    const char *what = nested ? "nested" : "flat";
    if (!res || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
        eddy_cmd_die ("sim", "hierarchy: the %s run failed (%s %d)", what,
                      WIFSIGNALED (status) ? "signal" : "status",
                      WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
    const char *e = json_string_value (json_object_get (res, "error"));
    if (e)
        eddy_cmd_die ("sim", "hierarchy: the %s run failed: %s", what, e);
    json_object_set_new (res, "peak_rss_kib", json_integer (ru.ru_maxrss));
    json_object_set_new (res, "cpu_seconds",
                         json_real (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
                                    + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6));
    return res;
}

static void report (const struct hier *hp, const char *name, json_t *res)
{
    double makespan = json_real_value (json_object_get (res, "makespan"));
    double wall = json_real_value (json_object_get (res, "wall"));
    json_int_t jobs = json_integer_value (json_object_get (res, "jobs"));
    double per_v = makespan > 0 ? (double)jobs / makespan : 0;
    double per_w = wall > 0 ? (double)jobs / wall : 0;

    json_object_set_new (res, "jobs_per_virtual_second", json_real (per_v));
    json_object_set_new (res, "jobs_per_wall_second", json_real (per_w));
    printf ("%s: %" JSON_INTEGER_FORMAT " jobs done, makespan %.6f s virtual, %.3f jobs/s virtual",
            name, jobs, makespan, per_v);
    if (json_object_get (res, "instances")) {
        json_t *insts = json_object_get (res, "instances"), *o;
        size_t i, listed = 0;
        json_array_foreach (insts, i, o)
            listed += (size_t)json_integer_value (json_object_get (o, "listed"));
        printf (", %zu instances (%" JSON_INTEGER_FORMAT " jobs in the top instance), %zu jobs "
                "listed inside them, %" JSON_INTEGER_FORMAT " canceled",
                json_array_size (insts), json_integer_value (json_object_get (res, "parent_jobs")),
                listed, json_integer_value (json_object_get (res, "canceled")));
    }
    printf ("\n");
    fflush (stdout);
    fprintf (stderr, "%s: wall %.2f s, %.0f jobs/s wall, cpu %.2f s, peak RSS %.0f MiB\n", name,
             wall, per_w, json_real_value (json_object_get (res, "cpu_seconds")),
             json_integer_value (json_object_get (res, "peak_rss_kib")) / 1024.0);
}

int sim_hierarchy (int argc, char **argv)
{
    struct hier hp = { .cores = 1, .job_cores = 1, .duration = 10, .latency = 50e-6, .seed = 1,
                       .fanout = 2, .policy = "fcfs", .flat = true, .nested = true };
    bool have_size = false, have_children = false, have_jobs = false;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_sim_hierarchy, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 's':
            hp.size = uint_arg ("size", optarg, 1, 1000000);
            have_size = true;
            break;
        case 'k':
            hp.children = uint_arg ("children", optarg, 1, 1000000);
            have_children = true;
            break;
        case 'n':
            hp.jobs = uint_arg ("jobs", optarg, 0, 10000000);
            have_jobs = true;
            break;
        case 'c':
            hp.cores = uint_arg ("cores", optarg, 1, 4096);
            break;
        case 'P':
            hp.job_cores = uint_arg ("job-cores", optarg, 1, 1000000);
            break;
        case 'd':
            hp.duration = seconds_arg ("duration", optarg, 1e8);
            break;
        case 'l':
            hp.latency = seconds_arg ("latency", optarg, 10);
            break;
        case 'j':
            hp.jitter = seconds_arg ("jitter", optarg, 10);
            break;
        case 'S':
            hp.seed = uint_arg ("seed", optarg, 0, UINT64_MAX);
            break;
        case 'f':
            hp.fanout = (int)uint_arg ("fanout", optarg, 0, 1000000);
            break;
        case 'p':
            if (strcmp (optarg, "fcfs") && strcmp (optarg, "easy") && strcmp (optarg, "conservative"))
                eddy_cmd_die ("sim", "hierarchy: --policy: '%s' is not fcfs, easy or conservative",
                              optarg);
            hp.policy = optarg;
            break;
        case 'T':
            hp.time_limit = seconds_arg ("time-limit", optarg, 1e8);
            if (hp.time_limit == 0)
                eddy_cmd_die ("sim", "hierarchy: --time-limit: must be > 0");
            break;
        case 'm':
            if (!strcmp (optarg, "flat"))
                hp.nested = false;
            else if (!strcmp (optarg, "nested"))
                hp.flat = false;
            else if (strcmp (optarg, "both"))
                eddy_cmd_die ("sim", "hierarchy: --mode: '%s' is not both, flat or nested", optarg);
            break;
        case 'J':
            hp.jobs_out = optarg;
            break;
        case 'O':
            hp.summary_out = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_sim_hierarchy, c);
        }
    }
    eddy_cmd_operands (&cmd_sim_hierarchy, "hierarchy", argc, argv, optind, 0, 0, NULL);
    if (!have_size || !have_children || !have_jobs)
        eddy_cmd_usage_error (&cmd_sim_hierarchy, NULL,
                              "hierarchy: --size, --children and --jobs are required");
    if (hp.children > hp.size)
        eddy_cmd_die ("sim", "hierarchy: --children %u: more instances than the %u nodes",
                      hp.children, hp.size);
    if (hp.job_cores > (hp.size / hp.children) * hp.cores)
        eddy_cmd_die ("sim", "hierarchy: --job-cores %u: larger than a nested instance (%u cores)",
                      hp.job_cores, (hp.size / hp.children) * hp.cores);

    printf ("hierarchy: %u nodes x %u cores, %zu jobs of %u cores for %g s, %u nested "
            "instances, policy %s, fanout %d, latency %g s, jitter %g s, seed %" PRIu64 "\n",
            hp.size, hp.cores, hp.jobs, hp.job_cores, hp.duration, hp.children, hp.policy,
            hp.fanout, hp.latency, hp.jitter, hp.seed);
    json_t *flat = hp.flat ? run_forked (&hp, false) : NULL;
    if (flat)
        report (&hp, "flat", flat);
    json_t *nested = hp.nested ? run_forked (&hp, true) : NULL;
    if (nested)
        report (&hp, "nested", nested);
    if (flat && nested) {
        double mf = json_real_value (json_object_get (flat, "makespan"));
        double mn = json_real_value (json_object_get (nested, "makespan"));
        double wf = json_real_value (json_object_get (flat, "wall"));
        double wn = json_real_value (json_object_get (nested, "wall"));
        printf ("nested/flat makespan: %.4f\n", mf > 0 ? mn / mf : 0);
        fprintf (stderr, "nested/flat wall: %.4f\n", wf > 0 ? wn / wf : 0);
    }
    if (hp.summary_out) {
        json_t *sum = json_pack ("{s:{s:i s:i s:I s:i s:f s:f s:f s:I s:i s:s s:f} s:o* s:o*}",
                                 "inputs", "size", (int)hp.size, "children", (int)hp.children,
                                 "jobs", (json_int_t)hp.jobs, "cores", (int)hp.cores, "duration",
                                 hp.duration, "latency", hp.latency, "jitter", hp.jitter, "seed",
                                 (json_int_t)hp.seed, "fanout", hp.fanout, "policy", hp.policy,
                                 "time_limit", hp.time_limit, "flat", json_incref (flat),
                                 "nested", json_incref (nested));
        if (!sum || json_dump_file (sum, hp.summary_out, JSON_INDENT (1)) < 0)
            eddy_cmd_die ("sim", "hierarchy: %s: cannot write", hp.summary_out);
        json_decref (sum);
    }
    json_decref (flat);
    json_decref (nested);
    return 0;
}
