/* config-schema.c - hold a configuration against the schema of
 * config-tables.c: walk the known tables and keys, check each value's
 * type and range, warn about what the schema does not know.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cmd/config-schema.h"
#include "cmd/configfile.h"
#include "engine/util/fsd.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "engine/util/toml.h"

struct walk {
    const char *file;
    eddy_config_warn_f warn;
    void *arg;
    eddy_error_t *err;
};

static bool is_table (const json_t *v)
{
    return json_is_object (v) && !eddy_toml_datetime (v, NULL) && !eddy_toml_float (v, NULL);
}

/* What a value is, for "expected X, got Y". */
static const char *kind (const json_t *v)
{
    if (eddy_toml_datetime (v, NULL))
        return "a date/time";
    if (eddy_toml_float (v, NULL))
        return "a float";
    switch (json_typeof (v)) {
    case JSON_OBJECT:
        return "a table";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a float";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

static const char *expected (enum eddy_conf_type t)
{
    switch (t) {
    case EDDY_CONF_STRING:
        return "a string";
    case EDDY_CONF_BOOLEAN:
        return "a boolean";
    case EDDY_CONF_INTEGER:
        return "an integer";
    case EDDY_CONF_NUMBER:
        return "a number";
    case EDDY_CONF_DURATION:
        return "a duration (\"30s\", \"5m\") or a number of seconds";
    case EDDY_CONF_HOSTLIST:
        return "a hostlist string";
    case EDDY_CONF_IDSET:
        return "an idset string";
    case EDDY_CONF_STRINGS:
        return "an array of strings";
    case EDDY_CONF_TABLE:
        return "a table";
    case EDDY_CONF_TABLES:
        return "an array of tables";
    case EDDY_CONF_ANY:
        break;
    }
    return "a value";
}

static void note (struct walk *w, int level, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void note (struct walk *w, int level, const char *path, const char *fmt, ...)
{
    char msg[160], text[512];
    va_list ap;

    if (!w->warn)
        return;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    snprintf (text, sizeof (text), "%s%s%s: %s", w->file ? w->file : "", w->file ? ": " : "",
              path, msg);
    w->warn (level, text, w->arg);
}

static int fail (struct walk *w, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int fail (struct walk *w, const char *path, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    errno = EINVAL;
    return eddy_error_set (w->err, "%s%s%s: %s", w->file ? w->file : "", w->file ? ": " : "",
                           path, msg);
}

static const struct eddy_conf_key *lookup (const struct eddy_conf_key *keys, const char *name)
{
    const struct eddy_conf_key *any = NULL;
    for (const struct eddy_conf_key *k = keys; k && k->name; k++) {
        if (!strcmp (k->name, name))
            return k;
        if (!strcmp (k->name, "*"))
            any = k;
    }
    return any;
}

static bool bounded (const struct eddy_conf_key *k)
{
    return k->min != 0 || k->max != 0;
}

static int check_members (struct walk *w, const struct eddy_conf_key *keys, const char *path,
                          const json_t *table);

static int check_value (struct walk *w, const struct eddy_conf_key *k, const char *path,
                        const json_t *v)
{
    eddy_error_t e = { "" };
    double d;

    switch (k->type) {
    case EDDY_CONF_STRING:
        if (!json_is_string (v))
            goto type;
        if (k->choices) {
            const char *s = json_string_value (v);
            int i;
            for (i = 0; k->choices[i]; i++)
                if (!strcmp (k->choices[i], s))
                    break;
            if (!k->choices[i]) {
                char list[160] = "";
                for (i = 0; k->choices[i]; i++)
                    snprintf (list + strlen (list), sizeof (list) - strlen (list), "%s%s",
                              i ? ", " : "", k->choices[i]);
                return fail (w, path, "'%s' is not one of %s", s, list);
            }
        }
        break;
    case EDDY_CONF_BOOLEAN:
        if (!json_is_boolean (v))
            goto type;
        break;
    case EDDY_CONF_INTEGER:
        if (!json_is_integer (v))
            goto type;
        d = (double)json_integer_value (v);
        if (bounded (k) && (d < k->min || d > k->max))
            return fail (w, path, "%" JSON_INTEGER_FORMAT " is out of range (%.0f-%.0f)",
                         json_integer_value (v), k->min, k->max);
        break;
    case EDDY_CONF_NUMBER:
        if (!json_is_number (v))
            goto type;
        d = json_number_value (v);
        if (bounded (k) && (d < k->min || d > k->max))
            return fail (w, path, "%g is out of range (%g-%g)", d, k->min, k->max);
        break;
    case EDDY_CONF_DURATION:
        if (json_is_number (v)) {
            if (json_number_value (v) < 0)
                return fail (w, path, "a duration cannot be negative");
        }
        else if (json_is_string (v)) {
            if (eddy_fsd_parse (json_string_value (v), &d, &e) < 0)
                return fail (w, path, "'%s' is not a duration (%s)", json_string_value (v),
                             e.text);
        }
        else
            goto type;
        break;
    case EDDY_CONF_HOSTLIST: {
        eddy_hostlist_t *hl;
        if (!json_is_string (v))
            goto type;
        if (!(hl = eddy_hostlist_decode (json_string_value (v), &e)))
            return fail (w, path, "'%s' is not a hostlist (%s)", json_string_value (v), e.text);
        eddy_hostlist_destroy (hl);
        break;
    }
    case EDDY_CONF_IDSET: {
        eddy_idset_t *ids;
        if (!json_is_string (v))
            goto type;
        if (!(ids = eddy_idset_decode (json_string_value (v), &e)))
            return fail (w, path, "'%s' is not an idset (%s)", json_string_value (v), e.text);
        eddy_idset_destroy (ids);
        break;
    }
    case EDDY_CONF_STRINGS: {
        size_t i;
        json_t *m;
        if (!json_is_array (v))
            goto type;
        json_array_foreach (v, i, m)
        {
            if (!json_is_string (m))
                return fail (w, path, "element %zu: expected a string, got %s", i, kind (m));
        }
        break;
    }
    case EDDY_CONF_TABLE:
        if (!is_table (v))
            goto type;
        if (k->keys && check_members (w, k->keys, path, v) < 0)
            return -1;
        break;
    case EDDY_CONF_TABLES: {
        size_t i;
        json_t *m;
        if (!json_is_array (v))
            goto type;
        json_array_foreach (v, i, m)
        {
            char sub[256];
            snprintf (sub, sizeof (sub), "%s[%zu]", path, i);
            if (!is_table (m))
                return fail (w, sub, "expected a table, got %s", kind (m));
            for (const struct eddy_conf_key *r = k->keys; r && r->name; r++)
                if ((r->flags & EDDY_CONF_REQUIRED) && !json_object_get (m, r->name))
                    return fail (w, sub, "'%s' is missing", r->name);
            if (k->keys && check_members (w, k->keys, sub, m) < 0)
                return -1;
        }
        break;
    }
    case EDDY_CONF_ANY:
        break;
    }
    if (k->check && k->check (v, &e) < 0)
        return fail (w, path, "%s", e.text);
    return 0;
type:
    return fail (w, path, "expected %s, got %s", expected (k->type), kind (v));
}

static int check_members (struct walk *w, const struct eddy_conf_key *keys, const char *path,
                          const json_t *table)
{
    const char *name;
    json_t *v;

    json_object_foreach ((json_t *)table, name, v)
    {
        char sub[256];
        const struct eddy_conf_key *k = lookup (keys, name);
        snprintf (sub, sizeof (sub), "%s%s%s", path, *path ? "." : "", name);
        if (!k) {
            note (w, LOG_WARNING, sub, "unknown key (ignored)");
            continue;
        }
        if (k->flags & EDDY_CONF_UNUSED)
            note (w, LOG_INFO, sub, "not used by this version of eddy");
        if (check_value (w, k, sub, v) < 0)
            return -1;
    }
    return 0;
}

int eddy_config_validate (const struct eddy_conf_key *schema,
                          const char *file,
                          const json_t *doc,
                          eddy_config_warn_f warn,
                          void *arg,
                          eddy_error_t *err)
{
    struct walk w = { .file = file, .warn = warn, .arg = arg, .err = err };
    const char *name;
    json_t *v;

    if (!is_table (doc)) {
        errno = EINVAL;
        return eddy_error_set (err, "%s%sthe configuration is not a table", file ? file : "",
                               file ? ": " : "");
    }
    json_object_foreach ((json_t *)doc, name, v)
    {
        const struct eddy_conf_key *t = lookup (schema, name);
        char path[256];
        if (!t) {
            snprintf (path, sizeof (path), "[%s]", name);
            note (&w, LOG_WARNING, path, "unknown table (ignored)");
            continue;
        }
        if (!is_table (v))
            return fail (&w, name, "expected a table, got %s", kind (v));
        if (t->flags & EDDY_CONF_UNUSED) {
            snprintf (path, sizeof (path), "[%s]", name);
            note (&w, LOG_INFO, path, "not used by this version of eddy");
        }
        if (check_value (&w, t, name, v) < 0)
            return -1;
    }
    return 0;
}

struct read_arg {
    eddy_config_warn_f warn;
    void *arg;
};

static int check_file (const char *path, const json_t *doc, void *arg, eddy_error_t *err)
{
    struct read_arg *ra = arg;
    return eddy_config_validate (eddy_config_schema, path, doc, ra->warn, ra->arg, err);
}

json_t *eddy_config_read (const char *path, eddy_config_warn_f warn, void *arg, eddy_error_t *err)
{
    struct read_arg ra = { warn, arg };
    return eddy_config_load_checked (path, check_file, &ra, err);
}

int eddy_config_restart_changes (const struct eddy_conf_key *schema,
                                 const json_t *old,
                                 const json_t *new,
                                 eddy_config_warn_f warn,
                                 void *arg)
{
    int n = 0;

    for (const struct eddy_conf_key *t = schema; t->name; t++) {
        const json_t *ot = json_object_get (old, t->name);
        const json_t *nt = json_object_get (new, t->name);
        for (const struct eddy_conf_key *k = t->keys; k && k->name; k++) {
            if (!(k->flags & EDDY_CONF_RESTART))
                continue;
            const json_t *ov = json_object_get (ot, k->name);
            const json_t *nv = json_object_get (nt, k->name);
            if ((!ov && !nv) || (ov && nv && json_equal (ov, nv)))
                continue;
            n++;
            if (warn) {
                char text[256];
                snprintf (text, sizeof (text),
                          "%s.%s: changed, but it is read at start: it takes effect at the "
                          "next restart",
                          t->name, k->name);
                warn (LOG_NOTICE, text, arg);
            }
        }
    }
    return n;
}
