/* jobspec.c - validate RFC 14 / RFC 25 jobspec and summarise its resource
 * request.  Validation walks the document once, keeping a path string
 * ("resources[0].with[1].count") so every message names what is wrong.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/fluid.h"
#include "engine/util/idset.h"
#include "sched/jobspec.h"
#include "sched/yaml.h"

#define MAX_RESOURCE_DEPTH 64
#define KEY_MAX 16 /* longest key name in the tables below, plus NUL */
#define only_keys(c, obj, keys) \
    only_keys_n ((c), (obj), (keys), sizeof (keys) / sizeof ((keys)[0]))
#define COUNT_MAX INT_MAX
#define SAT_MAX ((int64_t)1 << 40) /* saturation for count products */

struct eddy_jobspec {
    json_t *obj;
    eddy_jobspec_level_t level;
    int version;
    bool summary_ok;
    eddy_error_t summary_err;
    int nnodes;
    int nslots;
    int cores_per_slot;
    int gpus_per_slot;
    bool exclusive;
    int ntasks;
    double duration;
};

struct ctx {
    char path[256];
    size_t len;
    bool v1;
    eddy_error_t *err;
};

/* Path handling: push returns the old length to pop back to. */

static size_t push (struct ctx *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static size_t push (struct ctx *c, const char *fmt, ...)
{
    size_t old = c->len;
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (c->path + c->len, sizeof (c->path) - c->len, fmt, ap);
    va_end (ap);
    if (n > 0)
        c->len += (size_t)n;
    if (c->len >= sizeof (c->path))
        c->len = sizeof (c->path) - 1;
    return old;
}

static void pop (struct ctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

static size_t push_key (struct ctx *c, const char *key)
{
    return c->len ? push (c, ".%s", key) : push (c, "%s", key);
}

static int bad (struct ctx *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int bad (struct ctx *c, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    if (c->len)
        eddy_error_set (c->err, "%s: %s", c->path, msg);
    else
        eddy_error_set (c->err, "%s", msg);
    errno = EINVAL;
    return -1;
}

/* Check that obj has only keys from the table (see the only_keys macro). */
static int only_keys_n (struct ctx *c,
                        json_t *obj,
                        const char (*keys)[KEY_MAX],
                        size_t nkeys)
{
    const char *key;
    json_t *v;
    json_object_foreach (obj, key, v) {
        size_t i;
        for (i = 0; i < nkeys; i++)
            if (!strcmp (key, keys[i]))
                break;
        if (i == nkeys) {
            size_t old = push_key (c, key);
            bad (c, "unknown key");
            pop (c, old);
            return -1;
        }
    }
    return 0;
}

static json_t *required (struct ctx *c, json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    if (!v) {
        size_t old = push_key (c, key);
        bad (c, "missing");
        pop (c, old);
    }
    return v;
}

static bool is_number (json_t *v)
{
    return json_is_integer (v) || json_is_real (v);
}

/* Integer in [min, COUNT_MAX], message on failure (path already pushed). */
static int check_int (struct ctx *c, json_t *v, int min)
{
    if (!json_is_integer (v))
        return bad (c, "must be an integer");
    if (json_integer_value (v) < min)
        return bad (c, "must be >= %d", min);
    if (json_integer_value (v) > COUNT_MAX)
        return bad (c, "must be <= %d", COUNT_MAX);
    return 0;
}

/* Counts. */

struct range {
    long long min, max, operand; /* max, operand: -1 = absent */
    char op;                     /* 0 = absent */
};

static int check_range (struct ctx *c, const struct range *r)
{
    if (r->min < 1)
        return bad (c, "min must be >= 1");
    if (r->max != -1 && r->max < r->min)
        return bad (c, "max must be >= min");
    if ((r->operand != -1) != (r->op != 0))
        return bad (c, "operand and operator must be given together");
    if (r->op) {
        if (!strchr ("+*^", r->op))
            return bad (c, "operator must be one of + * ^");
        if (r->operand < 1)
            return bad (c, "operand must be >= 1");
        if ((r->op == '*' || r->op == '^') && r->operand < 2)
            return bad (c, "operand must be >= 2 for '%c'", r->op);
        if (r->op == '^' && r->min < 2)
            return bad (c, "min must be >= 2 for '^'");
    }
    return 0;
}

static int count_object (struct ctx *c, json_t *count, int *min)
{
    static const char keys[][KEY_MAX] = {"min", "max", "operand", "operator"};
    struct range r = {.min = 0, .max = -1, .operand = -1, .op = 0};
    static const char names[][KEY_MAX] = {"min", "max", "operand"};
    long long *vals[] = {&r.min, &r.max, &r.operand};
    json_t *v;

    if (only_keys (c, count, keys) < 0)
        return -1;
    if (!required (c, count, "min"))
        return -1;
    for (int i = 0; i < 3; i++) {
        if (!(v = json_object_get (count, names[i])))
            continue;
        size_t old = push_key (c, names[i]);
        int rc = check_int (c, v, 1);
        pop (c, old);
        if (rc < 0)
            return -1;
        *vals[i] = json_integer_value (v);
    }
    if ((v = json_object_get (count, "operator"))) {
        const char *s = json_string_value (v);
        if (!s || strlen (s) != 1) {
            size_t old = push_key (c, "operator");
            bad (c, "must be a single character");
            pop (c, old);
            return -1;
        }
        r.op = s[0];
    }
    if (check_range (c, &r) < 0)
        return -1;
    *min = (int)r.min;
    return 0;
}

/* Unsigned decimal without leading zeros, <= COUNT_MAX.  Advances *p. */
static bool scan_uint (const char **p, long long *out)
{
    const char *s = *p;
    long long v = 0;
    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return false;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
        if (v > COUNT_MAX)
            return false;
    }
    *p = s;
    *out = v;
    return true;
}

/* "4,9,16" or "2-5,7": ascending positive ids. */
static bool count_idset (const char *s, int *min)
{
    long long last = 0, lo, hi;
    bool first = true;
    for (;;) {
        if (!scan_uint (&s, &lo))
            return false;
        hi = lo;
        if (*s == '-') {
            s++;
            if (!scan_uint (&s, &hi) || hi <= lo)
                return false;
        }
        if (lo < 1 || (!first && lo <= last))
            return false;
        if (first)
            *min = (int)lo;
        first = false;
        last = hi;
        if (*s == '\0')
            return true;
        if (*s++ != ',')
            return false;
    }
}

/* "MIN+" or "MIN-MAX", then optional ":OPERAND" and ":OPERATOR". */
static int count_string (struct ctx *c, const char *s, int *min)
{
    struct range r = {.min = 0, .max = -1, .operand = -1, .op = 0};
    const char *p = s;

    if (count_idset (s, min))
        return 0;
    if (!scan_uint (&p, &r.min))
        goto invalid;
    if (*p == '+')
        p++;
    else if (*p == '-') {
        p++;
        if (!scan_uint (&p, &r.max))
            goto invalid;
    } else
        goto invalid;
    if (*p == ':') {
        p++;
        if (!scan_uint (&p, &r.operand))
            goto invalid;
        r.op = '+';
        if (*p == ':') {
            p++;
            if (!p[0] || p[1])
                goto invalid;
            r.op = *p++;
        }
    }
    if (*p)
        goto invalid;
    if (check_range (c, &r) < 0)
        return -1;
    *min = (int)r.min;
    return 0;
invalid:
    return bad (c, "count string must be an idset or a range (MIN+, MIN-MAX[:N[:OP]])");
}

/* Validate a vertex count (path at the count); *min gets its minimum. */
static int check_count (struct ctx *c, json_t *count, const char *type, int *min)
{
    if (json_is_integer (count)) {
        /* flux-core allows 0 for types other than node, slot and core (the
         * gpu_count_zero vector); RFC schemas ask for >= 1.
         */
        int lo =
            (!strcmp (type, "node") || !strcmp (type, "slot") || !strcmp (type, "core"))
                ? 1
                : 0;
        if (check_int (c, count, lo) < 0)
            return -1;
        *min = (int)json_integer_value (count);
        return 0;
    }
    if (c->v1)
        return bad (c, "must be an integer");
    if (json_is_object (count))
        return count_object (c, count, min);
    if (json_is_string (count))
        return count_string (c, json_string_value (count), min);
    return bad (c, "must be an integer, a range object or a range string");
}

/* Resources (RFC 14 rules; V1 shape checked separately). */

static int check_vertex (struct ctx *c, json_t *v, int depth)
{
    static const char keys[][KEY_MAX] = {"type",  "count", "unit",      "with",
                                       "label", "id",    "exclusive"};
    static const char strings[][KEY_MAX] = {"unit", "label", "id"};
    json_t *type, *count, *with, *x;
    int min;
    size_t old;

    if (depth > MAX_RESOURCE_DEPTH)
        return bad (c, "resources nested too deep");
    if (!json_is_object (v))
        return bad (c, "must be a mapping");
    if (only_keys (c, v, keys) < 0)
        return -1;
    if (!(type = required (c, v, "type")) || !(count = required (c, v, "count")))
        return -1;
    old = push_key (c, "type");
    if (!json_is_string (type) || json_string_length (type) == 0) {
        bad (c, "must be a non-empty string");
        pop (c, old);
        return -1;
    }
    pop (c, old);
    old = push_key (c, "count");
    if (check_count (c, count, json_string_value (type), &min) < 0)
        return -1;
    pop (c, old);
    for (int i = 0; i < 3; i++) {
        if ((x = json_object_get (v, strings[i])) && !json_is_string (x)) {
            old = push_key (c, strings[i]);
            return bad (c, "must be a string");
        }
    }
    if ((x = json_object_get (v, "exclusive")) && !json_is_boolean (x)) {
        old = push_key (c, "exclusive");
        return bad (c, "must be a boolean");
    }
    if (!strcmp (json_string_value (type), "slot") && !json_object_get (v, "label"))
        return bad (c, "slot must have a label");
    if ((with = json_object_get (v, "with"))) {
        size_t i;
        json_t *child;
        old = push_key (c, "with");
        if (!json_is_array (with) || json_array_size (with) == 0)
            return bad (c, "must be a non-empty list of resources");
        json_array_foreach (with, i, child) {
            size_t o2 = push (c, "[%zu]", i);
            if (check_vertex (c, child, depth + 1) < 0)
                return -1;
            pop (c, o2);
        }
        pop (c, old);
    }
    return 0;
}

static bool type_is (json_t *v, const char *type)
{
    const char *t = json_string_value (json_object_get (v, "type"));
    return t && !strcmp (t, type);
}

/* RFC 25: slot>core or slot>(core,gpu); path is at the slot. */
static int check_v1_slot (struct ctx *c, json_t *slot)
{
    static const char keys[][KEY_MAX] = {"type",  "count",     "unit", "with",
                                       "label", "exclusive"};
    static const char leaf_keys[][KEY_MAX] = {"type", "count", "unit"};
    json_t *with, *child;
    size_t i, old;
    bool core = false, gpu = false;

    if (only_keys (c, slot, keys) < 0)
        return -1;
    if (!(with = required (c, slot, "with")))
        return -1;
    old = push_key (c, "with");
    if (json_array_size (with) > 2)
        return bad (c, "a slot holds only core and optionally gpu");
    json_array_foreach (with, i, child) {
        size_t o2 = push (c, "[%zu]", i);
        if (type_is (child, "core") && !core)
            core = true;
        else if (type_is (child, "gpu") && !gpu)
            gpu = true;
        else {
            size_t o3 = push_key (c, "type");
            bad (c, "must be core or gpu (once each)");
            pop (c, o3);
            return -1;
        }
        if (only_keys (c, child, leaf_keys) < 0)
            return -1;
        pop (c, o2);
    }
    if (!core)
        return bad (c, "a slot must hold core");
    pop (c, old);
    return 0;
}

static int check_v1_resources (struct ctx *c, json_t *res)
{
    static const char node_keys[][KEY_MAX] = {"type",  "count",     "unit", "with",
                                            "label", "exclusive"};
    json_t *top = json_array_get (res, 0);
    size_t old;

    if (json_array_size (res) != 1)
        return bad (c, "must hold exactly one resource (node or slot)");
    old = push (c, "[0]");
    if (type_is (top, "slot")) {
        if (check_v1_slot (c, top) < 0)
            return -1;
    } else if (type_is (top, "node")) {
        json_t *with;
        if (only_keys (c, top, node_keys) < 0)
            return -1;
        if (!(with = required (c, top, "with")))
            return -1;
        size_t o2 = push_key (c, "with");
        if (json_array_size (with) != 1 || !type_is (json_array_get (with, 0), "slot"))
            return bad (c, "a node must hold exactly one slot");
        push (c, "[0]");
        if (check_v1_slot (c, json_array_get (with, 0)) < 0)
            return -1;
        pop (c, o2);
    } else {
        push_key (c, "type");
        return bad (c, "must be node or slot");
    }
    pop (c, old);
    return 0;
}

/* Tasks. */

static int check_task_count (struct ctx *c, json_t *count)
{
    const char *key;
    json_t *v;

    if (!json_is_object (count))
        return bad (c, "must be a mapping");
    if (json_object_size (count) != 1)
        return bad (c, "must have exactly one of per_slot, per_resource, total");
    json_object_foreach (count, key, v) {
        size_t old = push_key (c, key);
        if (!strcmp (key, "per_slot") || !strcmp (key, "total")) {
            if (check_int (c, v, 1) < 0)
                return -1;
        } else if (!strcmp (key, "per_resource")) {
            static const char keys[][KEY_MAX] = {"type", "count"};
            json_t *t, *n;
            if (c->v1)
                return bad (c, "not allowed in version 1 (use per_slot or total)");
            if (!json_is_object (v))
                return bad (c, "must be a mapping");
            if (only_keys (c, v, keys) < 0 || !(t = required (c, v, "type")) ||
                !(n = required (c, v, "count")))
                return -1;
            if (!json_is_string (t)) {
                push_key (c, "type");
                return bad (c, "must be a string");
            }
            push_key (c, "count");
            if (check_int (c, n, 1) < 0)
                return -1;
        } else
            return bad (c, "unknown key (expected per_slot, per_resource or total)");
        pop (c, old);
    }
    return 0;
}

static int check_task (struct ctx *c, json_t *task)
{
    static const char keys[][KEY_MAX] = {"command",    "slot",         "count",
                                       "attributes", "distribution"};
    json_t *cmd, *slot, *count, *x;
    size_t i, old;

    if (!json_is_object (task))
        return bad (c, "must be a mapping");
    if (only_keys (c, task, keys) < 0)
        return -1;
    if (!(cmd = required (c, task, "command")) ||
        !(slot = required (c, task, "slot")) || !(count = required (c, task, "count")))
        return -1;
    old = push_key (c, "command");
    if (!json_is_array (cmd))
        return bad (c, "must be a list of strings");
    if (json_array_size (cmd) == 0)
        return bad (c, "must not be empty");
    json_array_foreach (cmd, i, x) {
        if (!json_is_string (x)) {
            push (c, "[%zu]", i);
            return bad (c, "must be a string");
        }
    }
    pop (c, old);
    if (!json_is_string (slot)) {
        push_key (c, "slot");
        return bad (c, "must be a string");
    }
    old = push_key (c, "count");
    if (check_task_count (c, count) < 0)
        return -1;
    pop (c, old);
    if ((x = json_object_get (task, "attributes")) && !json_is_object (x)) {
        push_key (c, "attributes");
        return bad (c, "must be a mapping");
    }
    return 0;
}

/* Attributes. */

static int check_constraint (struct ctx *c, json_t *con, int depth)
{
    const char *op;
    json_t *args, *x;
    size_t i;

    if (depth > MAX_RESOURCE_DEPTH)
        return bad (c, "constraints nested too deep");
    if (!json_is_object (con))
        return bad (c, "must be a mapping");
    json_object_foreach (con, op, args) {
        size_t old = push_key (c, op);
        bool nested = !strcmp (op, "and") || !strcmp (op, "or") || !strcmp (op, "not");
        bool strings = !strcmp (op, "properties") || !strcmp (op, "hostlist") ||
                       !strcmp (op, "ranks");
        if (!nested && !strings)
            return bad (c, "unknown constraint operator");
        if (!json_is_array (args))
            return bad (c, "must be a list");
        json_array_foreach (args, i, x) {
            size_t o2 = push (c, "[%zu]", i);
            if (nested) {
                if (check_constraint (c, x, depth + 1) < 0)
                    return -1;
            } else if (!json_is_string (x))
                return bad (c, "must be a string");
            pop (c, o2);
        }
        pop (c, old);
    }
    return 0;
}

/* RFC 26: the values of the schemes the job manager knows
 * (sched/job-manager/depend.c): after* name a job, begin-time a time in
 * seconds since the epoch.
 */
static int check_dependency (struct ctx *c, json_t *dep)
{
    static const char *const schemes[] = { "after", "afterany", "afterok", "afternotok", NULL };
    const char *scheme = json_string_value (json_object_get (dep, "scheme"));
    const char *value = json_string_value (json_object_get (dep, "value"));
    eddy_fluid_t id;
    char *end;

    if (!strcmp (scheme, "begin-time")) {
        double t = strtod (value, &end);
        if (end == value || *end || !isfinite (t) || t < 0) {
            push_key (c, "value");
            return bad (c, "begin-time must be seconds since the epoch");
        }
        return 0;
    }
    for (size_t i = 0; schemes[i]; i++) {
        if (!strcmp (scheme, schemes[i])) {
            if (eddy_fluid_parse (value, &id, NULL) < 0) {
                push_key (c, "value");
                return bad (c, "'%s' is not a job id", value);
            }
            return 0;
        }
    }
    /* another scheme is still a valid jobspec (RFC 14's examples use
     * "fluid" and "string"): the job manager refuses at submit the
     * schemes it does not know */
    return 0;
}

/* shell.options.output.{stdout,stderr}: {type:"file", path} (exec/coord.c
 * opens it) or {type:"kvs"} (the default: the output eventlog).
 */
static int check_output (struct ctx *c, json_t *out)
{
    static const char *const streams[] = { "stdout", "stderr" };
    if (!json_is_object (out))
        return bad (c, "must be a mapping");
    for (size_t i = 0; i < 2; i++) {
        json_t *o = json_object_get (out, streams[i]);
        const char *type;
        if (!o)
            continue;
        size_t old = push_key (c, streams[i]);
        if (!json_is_object (o) || !(type = json_string_value (json_object_get (o, "type"))))
            return bad (c, "must be a mapping with a type");
        if (!strcmp (type, "file")) {
            json_t *path = json_object_get (o, "path");
            if (!json_is_string (path) || !*json_string_value (path))
                return bad (c, "a file needs a path");
        }
        else if (strcmp (type, "kvs") != 0)
            return bad (c, "type must be file or kvs");
        pop (c, old);
    }
    return 0;
}

static int check_system (struct ctx *c, json_t *sys)
{
    json_t *x;
    size_t i, old;

    if (!json_is_object (sys))
        return bad (c, "must be a mapping");
    x = json_object_get (sys, "duration");
    if (!x && c->v1)
        return required (c, sys, "duration") ? 0 : -1;
    if (x) {
        old = push_key (c, "duration");
        if (!is_number (x) || json_number_value (x) < 0 ||
            !isfinite (json_number_value (x)))
            return bad (c, "must be a number >= 0");
        pop (c, old);
    }
    if ((x = json_object_get (sys, "environment")) && !json_is_object (x)) {
        push_key (c, "environment");
        return bad (c, "must be a mapping");
    }
    if ((x = json_object_get (sys, "cwd")) && !json_is_string (x)) {
        push_key (c, "cwd");
        return bad (c, "must be a string");
    }
    if ((x = json_object_get (sys, "queue")) && !json_is_string (x)) {
        push_key (c, "queue");
        return bad (c, "must be a string");
    }
    if ((x = json_object_get (sys, "dependencies"))) {
        json_t *dep;
        old = push_key (c, "dependencies");
        if (!json_is_array (x))
            return bad (c, "must be a list");
        json_array_foreach (x, i, dep) {
            size_t o2 = push (c, "[%zu]", i);
            if (!json_is_object (dep))
                return bad (c, "must be a mapping");
            if (!json_is_string (json_object_get (dep, "scheme"))) {
                push_key (c, "scheme");
                return bad (c, "must be a string");
            }
            if (!json_is_string (json_object_get (dep, "value"))) {
                push_key (c, "value");
                return bad (c, "must be a string");
            }
            if (check_dependency (c, dep) < 0)
                return -1;
            pop (c, o2);
        }
        pop (c, old);
    }
    if ((x = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"),
                              "output"))) {
        old = push_key (c, "shell.options.output");
        if (check_output (c, x) < 0)
            return -1;
        pop (c, old);
    }
    /* flux-shell(1)'s names (exec/cpubind.h); a typo is refused here
     * rather than run unbound */
    if ((x = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"),
                              "cpu-affinity"))) {
        const char *mode = json_string_value (x);
        old = push_key (c, "shell.options.cpu-affinity");
        if (!mode || (strcmp (mode, "off") && strcmp (mode, "on") && strcmp (mode, "per-task")))
            return bad (c, "must be off, on or per-task");
        pop (c, old);
    }
    if ((x = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"),
                              "gpu-affinity"))) {
        const char *mode = json_string_value (x);
        old = push_key (c, "shell.options.gpu-affinity");
        if (!mode || (strcmp (mode, "off") && strcmp (mode, "on") && strcmp (mode, "per-task")))
            return bad (c, "must be off, on or per-task");
        pop (c, old);
    }
    /* the task ranks that take the job's stdin (eddy run), and task 0 on
     * a terminal (exec/taskin.h) */
    if ((x = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"),
                              "stdin"))) {
        const char *text = json_string_value (x);
        eddy_idset_t *ids = text && strcmp (text, "all") ? eddy_idset_decode (text, NULL) : NULL;
        bool ok = text && (!strcmp (text, "all") || ids);
        eddy_idset_destroy (ids);
        old = push_key (c, "shell.options.stdin");
        if (!ok)
            return bad (c, "must be \"all\" or an idset of task ranks");
        pop (c, old);
    }
    if ((x = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"),
                              "pty"))
        && !json_is_boolean (x)) {
        push_key (c, "shell.options.pty");
        return bad (c, "must be a boolean");
    }
    if ((x = json_object_get (sys, "constraints"))) {
        old = push_key (c, "constraints");
        if (check_constraint (c, x, 0) < 0)
            return -1;
        pop (c, old);
    }
    return 0;
}

static int check_attributes (struct ctx *c, json_t *attr)
{
    static const char keys[][KEY_MAX] = {"user", "system"};
    json_t *x;
    size_t old;

    if (!json_is_object (attr))
        return bad (c, "must be a mapping");
    if (only_keys (c, attr, keys) < 0)
        return -1;
    if ((x = json_object_get (attr, "user")) && !json_is_object (x)) {
        push_key (c, "user");
        return bad (c, "must be a mapping");
    }
    x = json_object_get (attr, "system");
    if (!x && c->v1)
        return required (c, attr, "system") ? 0 : -1;
    if (x) {
        old = push_key (c, "system");
        if (check_system (c, x) < 0)
            return -1;
        pop (c, old);
    }
    return 0;
}

static int check_top (struct ctx *c, json_t *obj, int *version)
{
    static const char keys[][KEY_MAX] = {"version", "resources", "tasks", "attributes"};
    json_t *ver, *res, *tasks, *attr, *x;
    size_t i, old;

    if (!json_is_object (obj))
        return bad (c, "jobspec must be a mapping");
    if (only_keys (c, obj, keys) < 0)
        return -1;
    if (!(ver = required (c, obj, "version")) ||
        !(res = required (c, obj, "resources")) ||
        !(tasks = required (c, obj, "tasks")) ||
        !(attr = required (c, obj, "attributes")))
        return -1;
    old = push_key (c, "version");
    if (check_int (c, ver, 1) < 0)
        return -1;
    if (c->v1 && json_integer_value (ver) != 1)
        return bad (c, "must be 1");
    *version = (int)json_integer_value (ver);
    pop (c, old);

    old = push_key (c, "resources");
    if (!json_is_array (res) || json_array_size (res) == 0)
        return bad (c, "must be a non-empty list");
    json_array_foreach (res, i, x) {
        size_t o2 = push (c, "[%zu]", i);
        if (check_vertex (c, x, 0) < 0)
            return -1;
        pop (c, o2);
    }
    if (c->v1 && check_v1_resources (c, res) < 0)
        return -1;
    pop (c, old);

    old = push_key (c, "tasks");
    if (!json_is_array (tasks) || json_array_size (tasks) == 0)
        return bad (c, "must be a non-empty list");
    if (c->v1 && json_array_size (tasks) != 1)
        return bad (c, "must hold exactly one task");
    json_array_foreach (tasks, i, x) {
        size_t o2 = push (c, "[%zu]", i);
        if (check_task (c, x) < 0)
            return -1;
        pop (c, o2);
    }
    pop (c, old);

    old = push_key (c, "attributes");
    if (check_attributes (c, attr) < 0)
        return -1;
    pop (c, old);
    return 0;
}

/* Summary. */

static int64_t mul (int64_t a, int64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a > SAT_MAX / b)
        return SAT_MAX;
    return a * b;
}

static int64_t count_min (json_t *v)
{
    json_t *count = json_object_get (v, "count");
    int min = 0;
    struct ctx scratch = {.err = NULL};
    if (json_is_integer (count))
        return json_integer_value (count);
    if (json_is_object (count))
        return json_integer_value (json_object_get (count, "min"));
    if (json_is_string (count) && check_count (&scratch, count, "", &min) == 0)
        return min;
    return 0;
}

static bool has_slot_below (json_t *with)
{
    size_t i;
    json_t *v;
    json_array_foreach (with, i, v) {
        if (type_is (v, "slot") || has_slot_below (json_object_get (v, "with")))
            return true;
    }
    return false;
}

/* Sum of count(type) below one vertex, times the counts in between. */
static int64_t sum_below (json_t *with, const char *type, int64_t mult)
{
    size_t i;
    json_t *v;
    int64_t n = 0;
    json_array_foreach (with, i, v) {
        int64_t m = mul (mult, count_min (v));
        if (type_is (v, type))
            n += m;
        n += sum_below (json_object_get (v, "with"), type, m);
        if (n > SAT_MAX)
            n = SAT_MAX;
    }
    return n;
}

struct walk {
    int64_t nnodes;
    int64_t nslots;
    int64_t cores;
    int64_t gpus;
    bool exclusive;
    bool have_slot;
};

static void walk (json_t *with, int64_t mult, struct walk *w)
{
    size_t i;
    json_t *v;
    json_array_foreach (with, i, v) {
        int64_t c = count_min (v);
        json_t *children = json_object_get (v, "with");
        bool excl = json_is_true (json_object_get (v, "exclusive"));
        if (type_is (v, "node")) {
            w->nnodes += mul (mult, c);
            if (w->nnodes > SAT_MAX)
                w->nnodes = SAT_MAX;
            w->exclusive |= excl;
        } else if (type_is (v, "slot")) {
            w->exclusive |= excl;
            if (!has_slot_below (children)) {
                w->have_slot = true;
                w->nslots = mul (mult, c);
                w->cores = sum_below (children, "core", 1);
                w->gpus = sum_below (children, "gpu", 1);
            }
        }
        walk (children, mul (mult, c), w);
    }
}

static int64_t tasks_for (const eddy_jobspec_t *js, json_t *task)
{
    json_t *count = json_object_get (task, "count");
    json_t *x;
    if ((x = json_object_get (count, "total")))
        return json_integer_value (x);
    if ((x = json_object_get (count, "per_slot")))
        return mul (json_integer_value (x), js->nslots);
    if ((x = json_object_get (count, "per_resource"))) {
        int64_t n = json_integer_value (json_object_get (x, "count"));
        if (type_is (x, "node") && js->nnodes > 0)
            return mul (n, js->nnodes);
        if (type_is (x, "core"))
            return mul (n, mul (js->nslots, js->cores_per_slot));
        return mul (n, js->nslots);
    }
    return 0;
}

static void summarise (eddy_jobspec_t *js)
{
    struct walk w = {0};
    json_t *sys = json_object_get (json_object_get (js->obj, "attributes"), "system");

    js->duration = json_number_value (json_object_get (sys, "duration"));
    walk (json_object_get (js->obj, "resources"), 1, &w);
    js->exclusive = w.exclusive;
    if (!w.have_slot) {
        eddy_error_set (&js->summary_err, "Unable to determine slot count");
        return;
    }
    if (w.cores == 0 && !w.exclusive) {
        eddy_error_set (&js->summary_err, "Unable to determine slot size");
        return;
    }
    if (w.nnodes > INT_MAX || w.nslots > INT_MAX || w.cores > INT_MAX ||
        w.gpus > INT_MAX) {
        eddy_error_set (&js->summary_err, "resource counts are too large");
        return;
    }
    js->nnodes = (int)w.nnodes;
    js->nslots = (int)w.nslots;
    js->cores_per_slot = (int)w.cores;
    js->gpus_per_slot = (int)w.gpus;
    int64_t ntasks =
        tasks_for (js, json_array_get (json_object_get (js->obj, "tasks"), 0));
    if (ntasks > INT_MAX) {
        js->nnodes = js->nslots = js->cores_per_slot = js->gpus_per_slot = 0;
        eddy_error_set (&js->summary_err, "task count is too large");
        return;
    }
    js->ntasks = (int)ntasks;
    js->summary_ok = true;
}

/* Public API. */

json_t *eddy_jobspec_load (const char *buf, size_t len, eddy_error_t *err)
{
    size_t i = 0;
    json_error_t jerr;
    json_t *o;

    if (!buf && len > 0) {
        errno = EINVAL;
        eddy_error_set (err, "no input");
        return NULL;
    }
    while (i < len && strchr (" \t\r\n", buf[i]) && buf[i] != '\0')
        i++;
    if (i < len && (buf[i] == '{' || buf[i] == '[')) {
        if (!(o = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr))) {
            eddy_error_set (err, "line %d column %d: %s", jerr.line, jerr.column,
                            jerr.text);
            errno =
                json_error_code (&jerr) == json_error_out_of_memory ? ENOMEM : EINVAL;
        }
        return o;
    }
    return eddy_yaml_load (buf, len, err);
}

eddy_jobspec_t *
eddy_jobspec_parse (json_t *obj, eddy_jobspec_level_t level, eddy_error_t *err)
{
    struct ctx c = {.err = err};
    eddy_jobspec_t *js;
    int version = 0;

    if (level != EDDY_JOBSPEC_V1 && level != EDDY_JOBSPEC_CANONICAL) {
        errno = EINVAL;
        eddy_error_set (err, "unknown jobspec level");
        return NULL;
    }
    if (!obj) {
        errno = EINVAL;
        eddy_error_set (err, "no jobspec");
        return NULL;
    }
    c.v1 = level == EDDY_JOBSPEC_V1;
    if (check_top (&c, obj, &version) < 0)
        return NULL;
    if (!(js = calloc (1, sizeof (*js)))) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    js->obj = json_incref (obj);
    js->level = level;
    js->version = version;
    summarise (js);
    return js;
}

void eddy_jobspec_destroy (eddy_jobspec_t *js)
{
    if (js) {
        int saved_errno = errno;
        json_decref (js->obj);
        free (js);
        errno = saved_errno;
    }
}

eddy_jobspec_t *eddy_jobspec_decode (const char *buf,
                                     size_t len,
                                     eddy_jobspec_level_t level,
                                     eddy_error_t *err)
{
    json_t *o = eddy_jobspec_load (buf, len, err);
    eddy_jobspec_t *js;
    if (!o)
        return NULL;
    js = eddy_jobspec_parse (o, level, err);
    int saved_errno = errno;
    json_decref (o);
    errno = saved_errno;
    return js;
}

json_t *eddy_jobspec_json (const eddy_jobspec_t *js)
{
    return js ? js->obj : NULL;
}

eddy_jobspec_level_t eddy_jobspec_level (const eddy_jobspec_t *js)
{
    return js ? js->level : 0;
}

int eddy_jobspec_version (const eddy_jobspec_t *js)
{
    return js ? js->version : 0;
}

int eddy_jobspec_summary_check (const eddy_jobspec_t *js, eddy_error_t *err)
{
    if (!js) {
        errno = EINVAL;
        return eddy_error_set (err, "no jobspec");
    }
    if (!js->summary_ok) {
        errno = EINVAL;
        return eddy_error_set (err, "%s", js->summary_err.text);
    }
    return 0;
}

int eddy_jobspec_nnodes (const eddy_jobspec_t *js)
{
    return js ? js->nnodes : 0;
}

int eddy_jobspec_nslots (const eddy_jobspec_t *js)
{
    return js ? js->nslots : 0;
}

int eddy_jobspec_cores_per_slot (const eddy_jobspec_t *js)
{
    return js ? js->cores_per_slot : 0;
}

int eddy_jobspec_gpus_per_slot (const eddy_jobspec_t *js)
{
    return js ? js->gpus_per_slot : 0;
}

bool eddy_jobspec_exclusive (const eddy_jobspec_t *js)
{
    return js ? js->exclusive : false;
}

int eddy_jobspec_ntasks (const eddy_jobspec_t *js)
{
    return js ? js->ntasks : 0;
}

double eddy_jobspec_duration (const eddy_jobspec_t *js)
{
    return js ? js->duration : 0.;
}

static json_t *system_attr (const eddy_jobspec_t *js, const char *key)
{
    if (!js)
        return NULL;
    json_t *sys = json_object_get (json_object_get (js->obj, "attributes"), "system");
    return json_object_get (sys, key);
}

const char *eddy_jobspec_queue (const eddy_jobspec_t *js)
{
    return json_string_value (system_attr (js, "queue"));
}

const char *eddy_jobspec_cwd (const eddy_jobspec_t *js)
{
    return json_string_value (system_attr (js, "cwd"));
}

json_t *eddy_jobspec_attributes (const eddy_jobspec_t *js)
{
    return js ? json_object_get (js->obj, "attributes") : NULL;
}

json_t *eddy_jobspec_command (const eddy_jobspec_t *js)
{
    if (!js)
        return NULL;
    json_t *task = json_array_get (json_object_get (js->obj, "tasks"), 0);
    return json_object_get (task, "command");
}

/* Building from a command line. */

/* Merge src into dst recursively: objects merge, anything else replaces. */
static int merge (json_t *dst, json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach (src, key, v) {
        json_t *d = json_object_get (dst, key);
        if (json_is_object (d) && json_is_object (v)) {
            if (merge (d, v) < 0)
                return -1;
        } else if (json_object_set (dst, key, v) < 0)
            return -1;
    }
    return 0;
}

static json_t *build (const struct eddy_jobspec_request *req)
{
    json_t *argv = json_array ();
    json_t *children, *slot, *res, *count, *o = NULL, *attr, *env;
    int nslots = req->ntasks;

    if (!argv)
        return NULL;
    for (int i = 0; i < req->argc; i++) {
        if (json_array_append_new (argv, json_string (req->argv[i])) < 0) {
            json_decref (argv);
            return NULL;
        }
    }
    if (req->nnodes > 0)
        nslots = (req->ntasks + req->nnodes - 1) / req->nnodes;
    if (req->gpus_per_task > 0)
        children =
            json_pack ("[{s:s s:i} {s:s s:i}]", "type", "core", "count",
                       req->cores_per_task, "type", "gpu", "count", req->gpus_per_task);
    else
        children =
            json_pack ("[{s:s s:i}]", "type", "core", "count", req->cores_per_task);
    slot = json_pack ("{s:s s:i s:s s:o}", "type", "slot", "count", nslots, "label",
                      "task", "with", children);
    if (req->nnodes > 0) {
        res = json_pack ("[{s:s s:i s:[o]}]", "type", "node", "count", req->nnodes,
                         "with", slot);
        if (res && req->exclusive)
            json_object_set_new (json_array_get (res, 0), "exclusive", json_true ());
    } else
        res = json_pack ("[o]", slot);
    if (req->nnodes > 0 && req->ntasks % req->nnodes != 0)
        count = json_pack ("{s:i}", "total", req->ntasks);
    else
        count = json_pack ("{s:i}", "per_slot", 1);
    env = req->environment ? json_deep_copy (req->environment) : json_object ();
    attr = json_pack ("{s:{s:f s:o}}", "system", "duration", req->duration,
                      "environment", env);
    if (attr && req->cwd)
        json_object_set_new (json_object_get (attr, "system"), "cwd",
                             json_string (req->cwd));
    if (attr && req->attributes) {
        json_t *extra = json_deep_copy (req->attributes);
        if (!extra || merge (attr, extra) < 0) {
            json_decref (attr);
            attr = NULL;
        }
        json_decref (extra);
    }
    if (res && count && attr)
        o = json_pack ("{s:i s:O s:[{s:O s:s s:O}] s:O}", "version", 1, "resources",
                       res, "tasks", "command", argv, "slot", "task", "count", count,
                       "attributes", attr);
    json_decref (argv);
    json_decref (res);
    json_decref (count);
    json_decref (attr);
    return o;
}

eddy_jobspec_t *eddy_jobspec_from_command (const struct eddy_jobspec_request *req,
                                           eddy_error_t *err)
{
    json_t *o;
    eddy_jobspec_t *js;
    const char *why = NULL;

    if (!req)
        why = "no request";
    else if (req->argc < 1 || !req->argv)
        why = "command must have at least one word";
    else if (req->ntasks < 1)
        why = "task count must be >= 1";
    else if (req->cores_per_task < 1)
        why = "cores per task must be >= 1";
    else if (req->gpus_per_task < 0)
        why = "gpus per task must be >= 0";
    else if (req->nnodes < 0)
        why = "node count must be >= 0";
    else if (req->nnodes > req->ntasks)
        why = "node count must not exceed task count";
    else if (req->exclusive && req->nnodes == 0)
        why = "exclusive needs a node count";
    else if (!(req->duration >= 0) || !isfinite (req->duration))
        why = "duration must be a number >= 0";
    else if (req->environment && !json_is_object (req->environment))
        why = "environment must be an object";
    else if (req->attributes && !json_is_object (req->attributes))
        why = "attributes must be an object";
    else {
        for (int i = 0; i < req->argc; i++) {
            if (!req->argv[i]) {
                why = "command words must not be NULL";
                break;
            }
        }
    }
    if (why) {
        errno = EINVAL;
        eddy_error_set (err, "%s", why);
        return NULL;
    }
    if (!(o = build (req))) {
        /* json_string () fails on invalid UTF-8 as well as on ENOMEM */
        errno = EINVAL;
        eddy_error_set (err,
                        "could not build jobspec (invalid UTF-8 or out of memory)");
        return NULL;
    }
    js = eddy_jobspec_parse (o, EDDY_JOBSPEC_V1, err);
    int saved_errno = errno;
    json_decref (o);
    errno = saved_errno;
    return js;
}

/* vi: ts=4 sw=4 expandtab
 */
