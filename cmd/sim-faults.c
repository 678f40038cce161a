/* sim-faults.c - faults of a replay from options, a file and a failure model. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/sim-faults.h"
#include "engine/rng.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "sched/rlist.h"

static const char *const kinds[] = {
    [EDDY_REPLAY_KILL] = "kill",   [EDDY_REPLAY_CUT] = "cut",
    [EDDY_REPLAY_HEAL] = "heal",   [EDDY_REPLAY_RESTART] = "restart",
    [EDDY_REPLAY_DRAIN] = "drain", [EDDY_REPLAY_UNDRAIN] = "undrain",
};

static void add (struct sim_faults *f,
                 eddy_replay_fault_kind_t kind,
                 uint32_t rank,
                 double at,
                 const char *reason)
{
    struct eddy_replay_fault *grown = realloc (f->v, (f->n + 1) * sizeof (*f->v));
    if (!grown)
        eddy_cmd_die ("sim", "out of memory");
    f->v = grown;
    f->v[f->n++] = (struct eddy_replay_fault){kind, rank, at, NULL};
    if (reason && !(f->v[f->n - 1].reason = strdup (reason)))
        eddy_cmd_die ("sim", "out of memory");
}

void sim_faults_parse_spec (struct sim_faults *f, const char *opt, const char *arg)
{
    const char *colon = strchr (arg, ':'), *at = colon ? strchr (colon, '@') : NULL;
    char *end;
    int kind = -1;

    for (int k = EDDY_REPLAY_KILL; colon && k <= EDDY_REPLAY_RESTART; k++)
        if ((size_t)(colon - arg) == strlen (kinds[k]) &&
            !strncmp (arg, kinds[k], colon - arg))
            kind = k;
    if (kind < 0 || !at)
        eddy_cmd_die ("sim",
                      "%s: '%s' is not KIND:RANK@T (KIND kill, cut, heal or restart)",
                      opt, arg);
    errno = 0;
    unsigned long rank = strtoul (colon + 1, &end, 10);
    if (errno || end != at || end == colon + 1 || colon[1] == '-' || rank > UINT32_MAX)
        eddy_cmd_die ("sim", "%s: '%s': '%.*s' is not a rank", opt, arg,
                      (int)(at - colon - 1), colon + 1);
    double t = strtod (at + 1, &end);
    if (end == at + 1 || *end || !isfinite (t))
        eddy_cmd_die ("sim", "%s: '%s': '%s' is not a trace time in seconds", opt, arg,
                      at + 1);
    add (f, kind, (uint32_t)rank, t, NULL);
}

/* The next comma-separated field of *s (quotes and brackets protect
 * commas), trimmed, NUL-terminated in place; NULL at the end of the line.
 */
static char *field (char **s, bool rest)
{
    char *p = *s, *start, *end;
    int depth = 0;
    bool quoted = false;

    if (!p)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"') {
        quoted = true;
        p++;
    }
    start = p;
    for (; *p; p++) {
        if (quoted && *p == '"')
            break;
        if (!quoted && *p == '[')
            depth++;
        else if (!quoted && *p == ']' && depth > 0)
            depth--;
        else if (!quoted && !rest && depth == 0 && *p == ',')
            break;
    }
    end = p;
    if (quoted && *p == '"')
        p++;
    while (*p && *p != ',')
        p++;
    *s = *p == ',' ? p + 1 : NULL;
    while (!quoted && end > start && isspace ((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return start;
}

/* The ranks a nodes field names, or NULL with why in err. */
static eddy_idset_t *
node_ranks (const char *text, uint32_t nodes, eddy_rlist_t *rl, char *err, size_t len)
{
    eddy_idset_t *ids = eddy_idset_decode (text, NULL);
    if (ids) {
        if (eddy_idset_count (ids) == 0 || eddy_idset_last (ids) >= nodes) {
            snprintf (err, len, "'%s': the ranks are 0-%u", text, nodes - 1);
            eddy_idset_destroy (ids);
            return NULL;
        }
        return ids;
    }
    eddy_hostlist_t *hl = eddy_hostlist_decode (text, NULL);
    if (!hl || eddy_hostlist_count (hl) == 0) {
        snprintf (err, len, "'%s' is neither an idset of ranks nor a hostlist", text);
        eddy_hostlist_destroy (hl);
        return NULL;
    }
    if (!(ids = eddy_idset_create ()))
        eddy_cmd_die ("sim", "out of memory");
    struct eddy_hostlist_iter it;
    const char *host;
    eddy_hostlist_iter_init (&it, hl);
    while ((host = eddy_hostlist_iter_next (&it))) {
        uint32_t r = 0;
        while (rl && r < nodes) {
            const char *name = eddy_rlist_hostname (rl, r);
            if (name && !strcmp (name, host))
                break;
            r++;
        }
        if (!rl || r >= nodes) {
            snprintf (err, len, "'%s' names no node of the machine%s", host,
                      rl ? "" : " (node names come from --machine's R)");
            eddy_idset_destroy (ids);
            eddy_hostlist_destroy (hl);
            return NULL;
        }
        eddy_idset_set (ids, r);
    }
    eddy_hostlist_destroy (hl);
    return ids;
}

void sim_faults_read_file (struct sim_faults *f,
                           const char *path,
                           uint32_t nodes,
                           json_t *R)
{
    FILE *fp = fopen (path, "r");
    char *line = NULL, err[256];
    size_t cap = 0;
    unsigned lineno = 0;
    eddy_rlist_t *rl = R ? eddy_rlist_from_json (R, 0, NULL) : NULL;

    if (!fp)
        eddy_cmd_die ("sim", "--faults: %s: %s", path, strerror (errno));
    while (getline (&line, &cap, fp) >= 0) {
        lineno++;
        line[strcspn (line, "\r\n")] = '\0';
        char *s = line;
        while (isspace ((unsigned char)*s))
            s++;
        if (!*s || *s == '#' || (lineno == 1 && !strncmp (s, "time", 4)))
            continue;
        char *ttext = field (&s, false), *ntext = field (&s, false),
             *etext = field (&s, false);
        char *reason = field (&s, true);
        char *end;
        if (!etext)
            eddy_cmd_die ("sim", "--faults: %s:%u: not time,nodes,event[,reason]", path,
                          lineno);
        double t = strtod (ttext, &end);
        if (end == ttext || *end || !isfinite (t))
            eddy_cmd_die ("sim", "--faults: %s:%u: '%s' is not a trace time in seconds",
                          path, lineno, ttext);
        eddy_replay_fault_kind_t kind;
        if (!strcmp (etext, "down"))
            kind = EDDY_REPLAY_KILL;
        else if (!strcmp (etext, "up"))
            kind = EDDY_REPLAY_RESTART;
        else if (!strcmp (etext, "drain"))
            kind = EDDY_REPLAY_DRAIN;
        else if (!strcmp (etext, "undrain"))
            kind = EDDY_REPLAY_UNDRAIN;
        else
            eddy_cmd_die (
                "sim", "--faults: %s:%u: event '%s' is not down, up, drain or undrain",
                path, lineno, etext);
        eddy_idset_t *ids = node_ranks (ntext, nodes, rl, err, sizeof (err));
        if (!ids)
            eddy_cmd_die ("sim", "--faults: %s:%u: %s", path, lineno, err);
        if (kind == EDDY_REPLAY_RESTART && eddy_idset_test (ids, 0))
            eddy_cmd_die ("sim",
                          "--faults: %s:%u: rank 0 cannot come up again (it holds the "
                          "instance's services)",
                          path, lineno);
        for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
             r = eddy_idset_next (ids, r))
            add (f, kind, r, t,
                 kind == EDDY_REPLAY_DRAIN ? (reason ? reason : "") : NULL);
        eddy_idset_destroy (ids);
    }
    if (ferror (fp))
        eddy_cmd_die ("sim", "--faults: %s: %s", path, strerror (errno));
    fclose (fp);
    free (line);
    eddy_rlist_destroy (rl);
}

static double draw_exp (eddy_rng_t *rng, double mean)
{
    return -mean * log (1.0 - eddy_rng_uniform (rng)); /* uniform is in [0, 1) */
}

void sim_faults_mtbf (struct sim_faults *f,
                      double mtbf,
                      double mttr,
                      uint32_t nodes,
                      double t0,
                      double t1,
                      uint64_t seed)
{
    eddy_rng_t rng;
    eddy_rng_seed (
        &rng, seed ^ UINT64_C (0x6661756c74730000)); /* apart from the links' draws */
    for (uint32_t r = 1; r < nodes; r++) {
        double t = t0 + draw_exp (&rng, mtbf);
        while (t < t1) {
            double up = t + draw_exp (&rng, mttr);
            add (f, EDDY_REPLAY_KILL, r, t, NULL);
            add (f, EDDY_REPLAY_RESTART, r, up, NULL);
            t = up + draw_exp (&rng, mtbf);
        }
    }
}

void sim_faults_format (const struct eddy_replay_fault *ft, char *buf, size_t len)
{
    if (ft->kind == EDDY_REPLAY_DRAIN && ft->reason && *ft->reason)
        snprintf (buf, len, "%s:%u@%g:%s", kinds[ft->kind], ft->rank, ft->at,
                  ft->reason);
    else
        snprintf (buf, len, "%s:%u@%g", kinds[ft->kind], ft->rank, ft->at);
}

void sim_faults_free (struct sim_faults *f)
{
    for (size_t i = 0; i < f->n; i++)
        free ((char *)f->v[i].reason);
    free (f->v);
    f->v = NULL;
    f->n = 0;
}
