/* cmd-resource.c - `eddy resource list|status|drain|undrain`: the
 * instance's resources by allocation state (sched.resource-status) and by
 * administrative state (sched/rstate.h), and draining ranks
 * (resource.drain, resource.undrain, resource.drain-list).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "engine/util/idset.h"
#include "sched/rlist.h"
#include "sched/rstate.h"

static int resource_run (int argc, char **argv);

const struct eddy_cmd cmd_resource = {
    .name = "resource",
    .usage = "eddy resource list [-v] [-s STATES] [-o FORMAT] [-n] [--json]\n"
             "       eddy resource status [-s STATES] [-o FORMAT] [-n] [--json]\n"
             "       eddy resource drain [-f|-u] [TARGETS [REASON...]] [-o FORMAT] "
             "[-n] [--json]\n"
             "       eddy resource undrain TARGETS",
    .summary = "Show the instance's resources by state; drain and undrain ranks.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("list", "list: one row per allocation state with its node, core and gpu counts and\n"
                              "  the nodes (hostnames, or \"rank\" + ranks when hosts have no names).\n"),
        EDDY_OPT_ARG ("states", 's', "LIST", "free,allocated,down,excluded,drained (default: all; excluded and drained rows only when not empty)"),
        EDDY_OPT_FLAG ("verbose", 'v', "one row per rank and state, with its core ids"),
        EDDY_OPT_ARG ("format", 'o', "FMT", "fields {state} {nnodes} {ncores} {ngpus} {ranks} {nodelist} {cores} {gpus} ({name:N} pads, {name:>N} right-aligns)"),
        EDDY_OPT_FLAG ("no-header", 'n', "no header line"),
        EDDY_OPT_LFLAG ("json", 'j', "one JSON object per row and line (counts as numbers)"),
        EDDY_OPT_SUB ("status", "status: one row per administrative state, with its count, ranks and nodes.\n"),
        EDDY_OPT_ARG ("states", 's', "LIST", "states to show (--states=help lists them); default avail,offline,exclude,draining,drained,torpid,lost, empty rows other than avail left out"),
        EDDY_OPT_ARG ("format", 'o', "FMT", "fields {state} {nnodes} {ranks} {nodelist}"),
        EDDY_OPT_FLAG ("no-header", 'n', "no header line"),
        EDDY_OPT_LFLAG ("json", 'j', "every state as JSON"),
        EDDY_OPT_SUB ("drain", "drain TARGETS [REASON...]: no new work on TARGETS (an idset of ranks or a\n"
                               "  hostlist); a rank running work is draining until it ends, then drained.\n"
                               "  Answered once stored: it survives a restart.  Without TARGETS: list\n"
                               "  the drained ranks (TIMESTAMP STATE RANK REASON NODELIST).\n"),
        EDDY_OPT_FLAG ("force", 'f', "already drained ranks take the new reason"),
        EDDY_OPT_FLAG ("update", 'u', "already drained ranks are left as they are"),
        EDDY_OPT_ARG ("format", 'o', "FMT", "without TARGETS: fields {timestamp} {state} {ranks} {reason} {nodelist}"),
        EDDY_OPT_FLAG ("no-header", 'n', "without TARGETS: no header line"),
        EDDY_OPT_LFLAG ("json", 'j', "without TARGETS: the drained ranks as JSON"),
        EDDY_OPT_SUB ("undrain", "undrain TARGETS: back to work (every target must be drained).\n"),
        EDDY_OPT_SUB (NULL, "Options come before TARGETS: the words after it are the REASON.\n"),
        EDDY_OPT_END,
    },
    .run = resource_run,
};

/* ---- formats ---- */

static const char *const drain_fields[] = {"timestamp", "state",    "ranks",
                                           "reason",    "nodelist", NULL};

/* A row's fields, by name. */
struct field {
    const char *name;
    char *value; /* owned */
};

#define FIELDS_MAX 8
struct row {
    struct field f[FIELDS_MAX];
    int n;
};

static void row_set (struct row *r, const char *name, char *value)
{
    r->f[r->n++] = (struct field){name, value};
}

static void row_clear (struct row *r)
{
    for (int i = 0; i < r->n; i++)
        free (r->f[i].value);
    r->n = 0;
}

static const char *row_get (const struct row *r, const char *name, size_t len)
{
    for (int i = 0; i < r->n; i++)
        if (strlen (r->f[i].name) == len && !strncmp (r->f[i].name, name, len))
            return r->f[i].value;
    return NULL;
}

/* Print fmt with {name[:[>]W]} replaced by r's fields (header: the names
 * in capitals, but the drain listing's {ranks} is RANK, as Flux prints
 * it).  Exits on an unknown field or a malformed format.
 */
static void print_format (const char *fmt,
                          const struct row *r,
                          bool header,
                          const char *const *names)
{
    for (const char *p = fmt; *p;) {
        if (*p != '{') {
            putchar (*p++);
            continue;
        }
        const char *end = strchr (p, '}');
        if (!end)
            eddy_cmd_die ("resource", "format '%s': '{' without '}'", fmt);
        const char *colon = memchr (p, ':', (size_t)(end - p));
        size_t len = (size_t)((colon ? colon : end) - p - 1);
        bool right = false;
        long width = 0;
        if (colon) {
            const char *w = colon + 1;
            if (*w == '>' || *w == '<')
                right = *w++ == '>';
            char *stop;
            width = strtol (w, &stop, 10);
            if (stop != end || width < 0 || width > 1000)
                eddy_cmd_die ("resource", "format '%s': bad width in '%.*s'", fmt,
                              (int)(end - p + 1), p);
        }
        bool known = false;
        for (int i = 0; names[i]; i++)
            if (strlen (names[i]) == len && !strncmp (names[i], p + 1, len))
                known = true;
        if (!known) {
            char list[256] = "";
            for (int i = 0; names[i]; i++)
                snprintf (list + strlen (list), sizeof (list) - strlen (list), "%s%s",
                          i ? " " : "", names[i]);
            eddy_cmd_die ("resource", "format '%s': unknown field '%.*s' (fields: %s)",
                          fmt, (int)len, p + 1, list);
        }
        char hdr[64];
        const char *v;
        if (header) {
            snprintf (hdr, sizeof (hdr), "%.*s", (int)len, p + 1);
            if (names == drain_fields && !strcmp (hdr, "ranks"))
                hdr[4] = '\0';
            for (char *c = hdr; *c; c++)
                *c = (char)toupper ((unsigned char)*c);
            v = hdr;
        } else if (!(v = row_get (r, p + 1, len)))
            v = "";
        printf (right ? "%*s" : "%-*s", (int)width, v);
        p = end + 1;
    }
    putchar ('\n');
}

/* ---- fetching ---- */

static eddy_rlist_t *decode (json_t *o, const char *what)
{
    eddy_error_t err;
    eddy_rlist_t *rl = eddy_rlist_from_json (o, 0, &err);
    if (!rl)
        eddy_cmd_die ("resource", "sched.resource-status: %s: %s", what, err.text);
    return rl;
}

static eddy_idset_t *ids_of (const char *text, const char *what)
{
    eddy_idset_t *ids = eddy_idset_decode (text ? text : "", NULL);
    if (!ids)
        eddy_cmd_die ("resource", "sched.resource-status: %s is not an idset", what);
    return ids;
}

static eddy_idset_t *ranks_of (const eddy_rlist_t *rl)
{
    eddy_idset_t *ids = eddy_rstate_ranks (rl);
    if (!ids)
        eddy_cmd_die ("resource", "out of memory");
    return ids;
}

/* What sched.resource-status says, decoded. */
struct status {
    json_t *o;
    eddy_rlist_t *all, *allocated, *down, *excluded;
    eddy_idset_t *drained, *offline, *lost, *torpid;
};

static void status_fetch (eddy_handle_t *h, struct status *st)
{
    eddy_future_t *f =
        client_rpc ("resource", h, "sched.resource-status", NULL, EDDY_NODEID_ANY);
    json_t *o = client_rpc_get ("resource", f, "sched.resource-status");
    json_t *jall, *jalloc, *jdown, *jexcl = NULL;
    const char *drained = NULL, *offline = NULL, *lost = NULL, *torpid = NULL;

    if (json_unpack (o, "{s:o s:o s:o s?o s?s s?s s?s s?s}", "all", &jall, "allocated",
                     &jalloc, "down", &jdown, "excluded", &jexcl, "drained", &drained,
                     "offline", &offline, "lost", &lost, "torpid", &torpid) < 0)
        eddy_cmd_die ("resource", "sched.resource-status: malformed response");
    st->all = decode (jall, "all");
    st->allocated = decode (jalloc, "allocated");
    st->down = decode (jdown, "down");
    st->excluded = jexcl ? decode (jexcl, "excluded") : eddy_rlist_create ();
    st->drained = ids_of (drained, "drained");
    st->offline = offline ? ids_of (offline, "offline") : ranks_of (st->down);
    st->lost = ids_of (lost, "lost");
    st->torpid = ids_of (torpid, "torpid");
    if (!st->excluded)
        eddy_cmd_die ("resource", "out of memory");
    eddy_future_destroy (f);
}

static void status_free (struct status *st)
{
    eddy_rlist_destroy (st->all);
    eddy_rlist_destroy (st->allocated);
    eddy_rlist_destroy (st->down);
    eddy_rlist_destroy (st->excluded);
    eddy_idset_destroy (st->drained);
    eddy_idset_destroy (st->offline);
    eddy_idset_destroy (st->lost);
    eddy_idset_destroy (st->torpid);
}

static char *encode (const eddy_idset_t *ids)
{
    char *s = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    if (!s)
        eddy_cmd_die ("resource", "out of memory");
    return s;
}

/* The hosts of rl, or "rank" + its ranks when some host has no name. */
static char *nodelist_of (const eddy_rlist_t *rl)
{
    char *nodes, *ranks;

    if (eddy_rlist_count (rl, EDDY_RLIST_RANKS) == 0)
        return xstrdup ("");
    if ((nodes = eddy_rlist_nodelist (rl)))
        return nodes;
    ranks = eddy_rlist_ranks (rl);
    if (!ranks)
        eddy_cmd_die ("resource", "out of memory");
    bool many = strpbrk (ranks, ",-") != NULL;
    nodes = xasprintf ("rank%s%s%s", many ? "[" : "", ranks, many ? "]" : "");
    free (ranks);
    return nodes;
}

/* The nodelist of the ranks ids of all. */
static char *nodelist_ranks (const eddy_rlist_t *all, const eddy_idset_t *ids)
{
    if (eddy_idset_empty (ids))
        return xstrdup ("");
    char *text = encode (ids);
    eddy_rlist_t *sub = eddy_rlist_subset (all, text, NULL);
    if (!sub)
        eddy_cmd_die ("resource", "out of memory");
    char *nodes = nodelist_of (sub);
    eddy_rlist_destroy (sub);
    free (text);
    return nodes;
}

static void compute_states (const struct status *st,
                            eddy_idset_t *out[EDDY_RSTATE_COUNT])
{
    eddy_idset_t *all = ranks_of (st->all), *alloc = ranks_of (st->allocated);
    eddy_idset_t *excl = ranks_of (st->excluded);
    struct eddy_rstate_input in = {
        .all = all,
        .down = st->offline,
        .allocated = alloc,
        .excluded = excl,
        .drained = st->drained,
        .lost = st->lost,
        .torpid = st->torpid,
    };
    if (eddy_rstate_compute (&in, out) < 0)
        eddy_cmd_die ("resource", "out of memory");
    eddy_idset_destroy (all);
    eddy_idset_destroy (alloc);
    eddy_idset_destroy (excl);
}

/* Parse a comma-separated state list into order[] (in the order given,
 * once each; the count is returned); "help" lists them.
 */
static int parse_states (const char *list, int order[EDDY_RSTATE_COUNT])
{
    bool want[EDDY_RSTATE_COUNT];
    int n = 0;

    if (!strcmp (list, "help")) {
        for (int i = 0; i < EDDY_RSTATE_COUNT; i++)
            printf ("%-10s %s\n", eddy_rstate_name (i), eddy_rstate_help (i));
        exit (0);
    }
    for (int i = 0; i < EDDY_RSTATE_COUNT; i++)
        want[i] = false;
    for (const char *p = list; *p;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        int s = eddy_rstate_lookup (p, len);
        if (s < 0)
            eddy_cmd_die ("resource", "unknown state '%.*s' (--states=help lists them)",
                          (int)len, p);
        if (!want[s])
            order[n++] = s;
        want[s] = true;
        p = comma ? comma + 1 : p + len;
    }
    return n;
}

/* ---- status ---- */

static const char *const status_fields[] = {"state", "nnodes", "ranks", "nodelist",
                                            NULL};

static int status_run (
    eddy_handle_t *h, const char *states, const char *fmt, bool noheader, bool json)
{
    static const eddy_rstate_t defaults[] = {
        EDDY_RSTATE_AVAIL,    EDDY_RSTATE_OFFLINE, EDDY_RSTATE_EXCLUDE,
        EDDY_RSTATE_DRAINING, EDDY_RSTATE_DRAINED, EDDY_RSTATE_TORPID,
        EDDY_RSTATE_LOST,
    };
    int order[EDDY_RSTATE_COUNT], n = 0;
    struct status st;
    eddy_idset_t *out[EDDY_RSTATE_COUNT];

    if (states)
        n = parse_states (states, order);
    else if (json) /* a script gets every state */
        for (n = 0; n < EDDY_RSTATE_COUNT; n++)
            order[n] = n;
    else
        for (n = 0; n < (int)(sizeof (defaults) / sizeof (defaults[0])); n++)
            order[n] = defaults[n];
    if (!fmt)
        fmt = "{state:>10} {nnodes:>6} {ranks:<16} {nodelist}";
    status_fetch (h, &st);
    compute_states (&st, out);
    json_t *jo = json ? json_object () : NULL;
    if (!json && !noheader)
        print_format (fmt, NULL, true, status_fields);
    for (int k = 0; k < n; k++) {
        int i = order[k];
        if (!json && !states && i != EDDY_RSTATE_AVAIL && eddy_idset_empty (out[i]))
            continue; /* the default view leaves out empty states */
        struct row r = {.n = 0};
        row_set (&r, "state", xstrdup (eddy_rstate_name (i)));
        row_set (&r, "nnodes", xasprintf ("%zu", eddy_idset_count (out[i])));
        row_set (&r, "ranks", encode (out[i]));
        row_set (&r, "nodelist", nodelist_ranks (st.all, out[i]));
        if (json) {
            if (json_object_set_new (jo, eddy_rstate_name (i),
                                     json_pack ("{s:I s:s s:s}", "count",
                                                (json_int_t)eddy_idset_count (out[i]),
                                                "ranks", r.f[2].value, "nodelist",
                                                r.f[3].value)) < 0)
                eddy_cmd_die ("resource", "out of memory");
        } else
            print_format (fmt, &r, false, status_fields);
        row_clear (&r);
    }
    if (json) {
        char *text = json_dumps (jo, JSON_SORT_KEYS);
        if (!text)
            eddy_cmd_die ("resource", "out of memory");
        printf ("%s\n", text);
        free (text);
        json_decref (jo);
    }
    eddy_rstate_free (out);
    status_free (&st);
    return 0;
}

/* ---- drain ---- */

static char *iso_time (double t)
{
    time_t sec = (time_t)t;
    struct tm tm;
    char buf[64];
    if (!localtime_r (&sec, &tm) ||
        !strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm))
        return xasprintf ("%.0f", t);
    return xstrdup (buf);
}

static int drain_list (eddy_handle_t *h, const char *fmt, bool noheader, bool json)
{
    struct status st;
    eddy_idset_t *alloc;
    json_t *o, *groups, *e, *ja = json ? json_array () : NULL;
    size_t i;

    status_fetch (h, &st);
    alloc = ranks_of (st.allocated);
    eddy_future_t *f =
        client_rpc ("resource", h, "resource.drain-list", NULL, EDDY_NODEID_ANY);
    o = client_rpc_get ("resource", f, "resource.drain-list");
    if (json_unpack (o, "{s:o}", "drained", &groups) < 0 || !json_is_array (groups))
        eddy_cmd_die ("resource", "resource.drain-list: malformed response");
    if (!fmt)
        fmt = "{timestamp:<20} {state:<8} {ranks:<10} {reason:<24} {nodelist}";
    if (!json && !noheader)
        print_format (fmt, NULL, true, drain_fields);
    json_array_foreach (groups, i, e)
    {
        const char *ranks, *reason;
        double t;
        if (json_unpack (e, "{s:s s:F s:s}", "ranks", &ranks, "timestamp", &t, "reason",
                         &reason) < 0)
            eddy_cmd_die ("resource", "resource.drain-list: malformed entry");
        eddy_idset_t *ids = ids_of (ranks, "drain-list ranks");
        eddy_idset_t *parts[2] = {eddy_idset_intersect (ids, alloc),
                                  eddy_idset_difference (ids, alloc)};
        const char *names[2] = {"draining", "drained"};
        for (int k = 0; k < 2; k++) {
            if (!parts[k])
                eddy_cmd_die ("resource", "out of memory");
            if (eddy_idset_empty (parts[k])) {
                eddy_idset_destroy (parts[k]);
                continue;
            }
            struct row r = {.n = 0};
            row_set (&r, "timestamp", iso_time (t));
            row_set (&r, "state", xstrdup (names[k]));
            row_set (&r, "ranks", encode (parts[k]));
            row_set (&r, "reason", xstrdup (reason));
            row_set (&r, "nodelist", nodelist_ranks (st.all, parts[k]));
            if (json) {
                if (json_array_append_new (
                        ja, json_pack ("{s:f s:s s:s s:s s:s}", "timestamp", t, "state",
                                       names[k], "ranks", r.f[2].value, "reason",
                                       reason, "nodelist", r.f[4].value)) < 0)
                    eddy_cmd_die ("resource", "out of memory");
            } else
                print_format (fmt, &r, false, drain_fields);
            row_clear (&r);
            eddy_idset_destroy (parts[k]);
        }
        eddy_idset_destroy (ids);
    }
    if (json) {
        char *text = json_dumps (ja, 0);
        if (!text)
            eddy_cmd_die ("resource", "out of memory");
        printf ("%s\n", text);
        free (text);
        json_decref (ja);
    }
    eddy_future_destroy (f);
    eddy_idset_destroy (alloc);
    status_free (&st);
    return 0;
}

static int
drain_run (eddy_handle_t *h, const char *topic, const char *mode, int argc, char **argv)
{
    char *reason = xstrdup ("");
    for (int i = 1; i < argc; i++) {
        char *r = xasprintf ("%s%s%s", reason, i > 1 ? " " : "", argv[i]);
        free (reason);
        reason = r;
    }
    if (!argv[0][0])
        eddy_cmd_die ("resource", "%s: empty TARGETS", topic);
    json_t *payload = !strcmp (topic, "resource.drain")
                          ? json_pack ("{s:s s:s s:s}", "targets", argv[0], "reason",
                                       reason, "mode", mode)
                          : json_pack ("{s:s}", "targets", argv[0]);
    eddy_future_t *f = client_rpc_take ("resource", h, topic, payload, EDDY_NODEID_ANY);
    (void)client_rpc_get ("resource", f, topic);
    eddy_future_destroy (f);
    free (reason);
    return 0;
}

/* ---- list ---- */

static const char *const list_fields[] = {
    "state", "nnodes", "ncores", "ngpus", "ranks", "nodelist", "cores", "gpus", NULL};

/* The core (or gpu) ids of rl when all its ranks have the same ("" if
 * none, "*" when they differ).
 */
static char *children_of (const eddy_rlist_t *rl, const char *what)
{
    json_t *R = eddy_rlist_to_json (rl), *lite, *e;
    const char *ids = NULL;
    char *out;
    size_t i;

    if (!R)
        eddy_cmd_die ("resource", "out of memory");
    if (json_unpack (R, "{s:{s:o}}", "execution", "R_lite", &lite) == 0) {
        json_array_foreach (lite, i, e)
        {
            const char *v = NULL;
            (void)json_unpack (e, "{s:{s?s}}", "children", what, &v);
            if (i > 0 && (!v != !ids || (v && strcmp (v, ids)))) {
                json_decref (R);
                return xstrdup ("*");
            }
            ids = v;
        }
    }
    out = xstrdup (ids ? ids : "");
    json_decref (R);
    return out;
}

/* list --json: a row is an object on a line of its own */
static bool list_json;

static void list_row_json (const struct row *r)
{
    json_t *o = json_object ();
    for (int i = 0; i < r->n; i++) {
        const char *name = r->f[i].name, *v = r->f[i].value;
        bool count = !strcmp (name, "nnodes") || !strcmp (name, "ncores") || !strcmp (name, "ngpus");
        json_object_set_new (o, name, count ? json_integer (strtoll (v, NULL, 10)) : json_string (v));
    }
    char *text = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        eddy_cmd_die ("resource", "out of memory");
    printf ("%s\n", text);
    free (text);
    json_decref (o);
}

static void list_row (const char *fmt, const char *state, const eddy_rlist_t *rl)
{
    struct row r = {.n = 0};
    char *ranks = eddy_rlist_ranks (rl);
    if (!ranks)
        eddy_cmd_die ("resource", "out of memory");
    row_set (&r, "state", xstrdup (state));
    row_set (&r, "nnodes", xasprintf ("%zu", eddy_rlist_count (rl, EDDY_RLIST_NODES)));
    row_set (&r, "ncores", xasprintf ("%zu", eddy_rlist_count (rl, EDDY_RLIST_CORES)));
    row_set (&r, "ngpus", xasprintf ("%zu", eddy_rlist_count (rl, EDDY_RLIST_GPUS)));
    row_set (&r, "ranks", ranks);
    row_set (&r, "nodelist", nodelist_of (rl));
    row_set (&r, "cores", children_of (rl, "core"));
    row_set (&r, "gpus", children_of (rl, "gpu"));
    if (list_json)
        list_row_json (&r);
    else
        print_format (fmt, &r, false, list_fields);
    row_clear (&r);
}

/* -v: the rows of rl, one per rank */
static void list_ranks (const char *fmt, const char *state, const eddy_rlist_t *rl)
{
    eddy_idset_t *ids = ranks_of (rl);
    for (unsigned rank = eddy_idset_first (ids); rank != EDDY_IDSET_INVALID_ID;
         rank = eddy_idset_next (ids, rank)) {
        char key[16];
        snprintf (key, sizeof (key), "%u", rank);
        eddy_rlist_t *one = eddy_rlist_subset (rl, key, NULL);
        if (!one)
            eddy_cmd_die ("resource", "out of memory");
        list_row (fmt, state, one);
        eddy_rlist_destroy (one);
    }
    eddy_idset_destroy (ids);
}

static bool wanted (const char *states, const char *state)
{
    size_t n = strlen (state);
    for (const char *p = states; p && *p;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        if (len == n && !strncmp (p, state, n))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static int list_run (
    eddy_handle_t *h, const char *states, const char *fmt, bool noheader, bool verbose)
{
    static const char *const names[] = {"free", "allocated", "down", "excluded",
                                        "drained"};
    struct status st;

    for (const char *p = states; *p;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        bool ok = false;
        for (size_t i = 0; i < 5; i++)
            ok |= strlen (names[i]) == len && !strncmp (p, names[i], len);
        if (!ok)
            eddy_cmd_die (
                "resource",
                "unknown state '%.*s' (states: free, allocated, down, excluded, "
                "drained)",
                (int)len, p);
        p = comma ? comma + 1 : p + len;
    }
    if (!fmt)
        fmt = verbose ? "{state:>10} {ranks:>6} {ncores:>8} {ngpus:>8} {cores:>8} "
                        "{gpus:>6} {nodelist}"
                      : "{state:>10} {nnodes:>6} {ncores:>8} {ngpus:>8} {nodelist}";
    status_fetch (h, &st);
    /* excluded ([resource] exclude) and drained ranks are never scheduled;
     * what runs there still counts as allocated */
    char *drained_text = encode (st.drained);
    eddy_rlist_t *drain_all = eddy_rlist_subset (st.all, drained_text, NULL);
    eddy_rlist_t *drained =
        drain_all ? eddy_rlist_difference (drain_all, st.allocated) : NULL;
    eddy_rlist_t *excluded0 = eddy_rlist_difference (st.excluded, st.allocated);
    eddy_rlist_t *excluded =
        excluded0 && drained ? eddy_rlist_difference (excluded0, drained) : NULL;
    eddy_rlist_t *busy0 = eddy_rlist_union (st.allocated, st.down);
    eddy_rlist_t *busy1 = busy0 && excluded ? eddy_rlist_union (busy0, excluded) : NULL;
    eddy_rlist_t *busy = busy1 && drained ? eddy_rlist_union (busy1, drained) : NULL;
    eddy_rlist_t *free_set = busy ? eddy_rlist_difference (st.all, busy) : NULL;
    if (!free_set)
        eddy_cmd_die ("resource", "out of memory");

    const eddy_rlist_t *sets[] = {free_set, st.allocated, st.down, excluded, drained};
    if (!noheader && !list_json)
        print_format (fmt, NULL, true, list_fields);
    for (size_t i = 0; i < 5; i++) {
        if (!wanted (states, names[i]))
            continue;
        if (i >= 3 && eddy_rlist_count (sets[i], EDDY_RLIST_RANKS) == 0)
            continue;
        if (verbose)
            list_ranks (fmt, names[i], sets[i]);
        else
            list_row (fmt, names[i], sets[i]);
    }
    eddy_rlist_destroy (free_set);
    eddy_rlist_destroy (busy);
    eddy_rlist_destroy (busy1);
    eddy_rlist_destroy (busy0);
    eddy_rlist_destroy (excluded);
    eddy_rlist_destroy (excluded0);
    eddy_rlist_destroy (drained);
    eddy_rlist_destroy (drain_all);
    free (drained_text);
    status_free (&st);
    return 0;
}

static int resource_run (int argc, char **argv)
{
    const char *states = NULL, *fmt = NULL;
    bool noheader = false, verbose = false, force = false, update = false, json = false;
    int c;

    int first = eddy_opt_operands (&cmd_resource, NULL, argc, argv);
    if (first >= argc)
        eddy_cmd_usage_error (&cmd_resource, NULL,
                              "needs a subcommand: list, status, drain, undrain");
    argc -= first - 1;
    argv += first - 1;
    const char *sub = argv[1];
    if (strcmp (sub, "list") && strcmp (sub, "status") && strcmp (sub, "drain") &&
        strcmp (sub, "undrain"))
        eddy_cmd_die ("resource",
                      "unknown subcommand '%s' (try: list, status, drain, undrain)",
                      sub);
    argc--;
    argv++;
    optind = 1;
    /* "+": a REASON may hold words that look like options */
    while ((c = eddy_opt_next (&cmd_resource, sub, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 's':
            states = optarg;
            break;
        case 'o':
            fmt = optarg;
            break;
        case 'n':
            noheader = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'f':
            force = true;
            break;
        case 'u':
            update = true;
            break;
        case 'j':
            json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_resource, c);
        }
    }
    bool is_list = !strcmp (sub, "list"), is_status = !strcmp (sub, "status");
    bool is_drain = !strcmp (sub, "drain"), is_undrain = !strcmp (sub, "undrain");
    if (force && update)
        eddy_cmd_die ("resource", "drain: -f and -u exclude each other");
    list_json = json && is_list;
    if (is_status && states && !strcmp (states, "help")) {
        int o[EDDY_RSTATE_COUNT];
        parse_states (states, o); /* prints and exits */
    }
    if ((is_list || is_status) && optind != argc)
        eddy_cmd_die ("resource", "%s: unexpected argument '%s'", sub, argv[optind]);
    if (is_undrain && optind != argc - 1)
        eddy_cmd_die ("resource",
                      "undrain: needs exactly one TARGETS (an idset or hostlist)");
    if (is_drain && optind == argc && (force || update))
        eddy_cmd_die ("resource", "drain: -f and -u need TARGETS");
    if (is_drain && optind < argc && (fmt || noheader || json))
        eddy_cmd_die ("resource",
                      "drain: -o, -n and --json are for the listing (no TARGETS)");
    if (is_list && !states)
        states = "free,allocated,down,excluded,drained";
    if (is_list && !strcmp (states, "help")) {
        printf ("free       schedulable and idle\nallocated  running work\n"
                "down       not online\nexcluded   [resource] exclude (idle part)\n"
                "drained    drained (idle part)\n");
        return 0;
    }

    eddy_handle_t *h = client_open ("resource");
    int rc;
    if (is_list)
        rc = list_run (h, states, fmt, noheader, verbose);
    else if (is_status)
        rc = status_run (h, states, fmt, noheader, json);
    else if (is_drain && optind == argc)
        rc = drain_list (h, fmt, noheader, json);
    else
        rc = drain_run (h, is_drain ? "resource.drain" : "resource.undrain",
                        force    ? "force"
                        : update ? "update"
                                 : "",
                        argc - optind, argv + optind);
    client_close (h);
    return rc;
}
