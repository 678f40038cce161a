/* rlist.c - RFC 20 resource sets: a rank-sorted array of per-rank core and
 * gpu idsets with hostnames, plus rank-set properties.  Decoding, encoding,
 * allocation, free and set algebra.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "sched/rlist.h"

struct rnode {
    unsigned rank;
    char *host;
    eddy_idset_t *cores;
    eddy_idset_t *gpus;
    size_t ncores; /* cached counts of the sets above */
    size_t ngpus;
    size_t tcores; /* counts when the rank was added: idle when equal */
    size_t tgpus;
    bool down;
};

struct prop {
    char *name;
    eddy_idset_t *ranks;
};

struct eddy_rlist {
    struct rnode *nodes;
    size_t n;
    size_t cap;
    struct prop *props;
    size_t nprops;
    double starttime;
    double expiration;
};

static int fail (eddy_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int fail (eddy_error_t *err, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
    }
    errno = errnum;
    return -1;
}

/* Nodes. */

static void node_clear (struct rnode *nd)
{
    free (nd->host);
    eddy_idset_destroy (nd->cores);
    eddy_idset_destroy (nd->gpus);
    memset (nd, 0, sizeof (*nd));
}

static void node_recount (struct rnode *nd)
{
    nd->ncores = eddy_idset_count (nd->cores);
    nd->ngpus = eddy_idset_count (nd->gpus);
}

/* Fill nd with rank, a copy of host and the given sets (stolen, even on
 * failure).  Totals are set from the counts.
 */
static int node_init (struct rnode *nd,
                      unsigned rank,
                      const char *host,
                      eddy_idset_t *cores,
                      eddy_idset_t *gpus)
{
    memset (nd, 0, sizeof (*nd));
    nd->rank = rank;
    nd->cores = cores;
    nd->gpus = gpus;
    if (!cores || !gpus || (host && !(nd->host = strdup (host)))) {
        node_clear (nd);
        errno = ENOMEM;
        return -1;
    }
    node_recount (nd);
    nd->tcores = nd->ncores;
    nd->tgpus = nd->ngpus;
    return 0;
}

static int node_copy (struct rnode *dst, const struct rnode *src)
{
    if (node_init (dst, src->rank, src->host, eddy_idset_copy (src->cores),
                   eddy_idset_copy (src->gpus)) < 0)
        return -1;
    dst->tcores = src->tcores;
    dst->tgpus = src->tgpus;
    dst->down = src->down;
    return 0;
}

static bool node_idle (const struct rnode *nd)
{
    return nd->ncores == nd->tcores && nd->ngpus == nd->tgpus;
}

/* Index of rank, or -1. */
static ssize_t find (const eddy_rlist_t *rl, unsigned rank)
{
    size_t lo = 0, hi = rl->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rl->nodes[mid].rank == rank)
            return (ssize_t)mid;
        if (rl->nodes[mid].rank < rank)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int reserve (eddy_rlist_t *rl, size_t extra)
{
    if (rl->n + extra <= rl->cap)
        return 0;
    size_t cap = rl->cap ? rl->cap : 16;
    while (cap < rl->n + extra)
        cap *= 2;
    struct rnode *nodes = realloc (rl->nodes, cap * sizeof (*nodes));
    if (!nodes)
        return -1;
    rl->nodes = nodes;
    rl->cap = cap;
    return 0;
}

/* Append a node whose rank is greater than every rank present (steals). */
static int append (eddy_rlist_t *rl, struct rnode *nd)
{
    if (reserve (rl, 1) < 0) {
        node_clear (nd);
        errno = ENOMEM;
        return -1;
    }
    rl->nodes[rl->n++] = *nd;
    return 0;
}

/* Properties. */

static int prop_add (eddy_rlist_t *rl, const char *name, const eddy_idset_t *ranks)
{
    for (size_t i = 0; i < rl->nprops; i++) {
        if (!strcmp (rl->props[i].name, name))
            return eddy_idset_add (rl->props[i].ranks, ranks);
    }
    struct prop *p = realloc (rl->props, (rl->nprops + 1) * sizeof (*p));
    if (!p)
        return -1;
    rl->props = p;
    p = &rl->props[rl->nprops];
    if (!(p->name = strdup (name)))
        return -1;
    if (!(p->ranks = eddy_idset_copy (ranks))) {
        free (p->name);
        return -1;
    }
    rl->nprops++;
    return 0;
}

static eddy_idset_t *rank_set (const eddy_rlist_t *rl)
{
    eddy_idset_t *ids = eddy_idset_create ();
    size_t i = 0;
    while (ids && i < rl->n) {
        size_t j = i;
        while (j + 1 < rl->n && rl->nodes[j + 1].rank == rl->nodes[j].rank + 1)
            j++;
        if (eddy_idset_range_set (ids, rl->nodes[i].rank, rl->nodes[j].rank) < 0) {
            eddy_idset_destroy (ids);
            return NULL;
        }
        i = j + 1;
    }
    return ids;
}

/* Give dst the properties of src restricted to dst's ranks. */
static int props_follow (eddy_rlist_t *dst, const eddy_rlist_t *src)
{
    eddy_idset_t *ranks;
    int rc = 0;

    if (!src->nprops)
        return 0;
    if (!(ranks = rank_set (dst)))
        return -1;
    for (size_t i = 0; i < src->nprops && rc == 0; i++) {
        eddy_idset_t *x = eddy_idset_intersect (src->props[i].ranks, ranks);
        if (!x)
            rc = -1;
        else if (!eddy_idset_empty (x))
            rc = prop_add (dst, src->props[i].name, x);
        eddy_idset_destroy (x);
    }
    eddy_idset_destroy (ranks);
    return rc;
}

/* Life cycle. */

eddy_rlist_t *eddy_rlist_create (void)
{
    eddy_rlist_t *rl = calloc (1, sizeof (*rl));
    if (!rl)
        errno = ENOMEM;
    return rl;
}

void eddy_rlist_destroy (eddy_rlist_t *rl)
{
    if (rl) {
        int saved_errno = errno;
        for (size_t i = 0; i < rl->n; i++)
            node_clear (&rl->nodes[i]);
        free (rl->nodes);
        for (size_t i = 0; i < rl->nprops; i++) {
            free (rl->props[i].name);
            eddy_idset_destroy (rl->props[i].ranks);
        }
        free (rl->props);
        free (rl);
        errno = saved_errno;
    }
}

eddy_rlist_t *eddy_rlist_copy (const eddy_rlist_t *rl)
{
    eddy_rlist_t *cp;
    if (!rl) {
        errno = EINVAL;
        return NULL;
    }
    if (!(cp = eddy_rlist_create ()) || reserve (cp, rl->n) < 0)
        goto nomem;
    for (size_t i = 0; i < rl->n; i++) {
        if (node_copy (&cp->nodes[i], &rl->nodes[i]) < 0)
            goto nomem;
        cp->n++;
    }
    for (size_t i = 0; i < rl->nprops; i++)
        if (prop_add (cp, rl->props[i].name, rl->props[i].ranks) < 0)
            goto nomem;
    cp->starttime = rl->starttime;
    cp->expiration = rl->expiration;
    return cp;
nomem:
    eddy_rlist_destroy (cp);
    errno = ENOMEM;
    return NULL;
}

eddy_rlist_t *eddy_rlist_subset (const eddy_rlist_t *rl, const char *ranks, eddy_error_t *err)
{
    eddy_rlist_t *cp = NULL;
    eddy_idset_t *ids;
    if (!rl || !ranks) {
        errno = EINVAL;
        return NULL;
    }
    if (!(ids = eddy_idset_decode (ranks, err))) {
        errno = EINVAL;
        return NULL;
    }
    if (!(cp = eddy_rlist_create ()) || reserve (cp, rl->n) < 0)
        goto nomem;
    for (size_t i = 0; i < rl->n; i++) {
        if (!eddy_idset_test (ids, rl->nodes[i].rank))
            continue;
        if (node_copy (&cp->nodes[cp->n], &rl->nodes[i]) < 0)
            goto nomem;
        cp->n++;
    }
    eddy_idset_destroy (ids);
    return cp;
nomem:
    eddy_idset_destroy (ids);
    eddy_rlist_destroy (cp);
    errno = ENOMEM;
    return NULL;
}

/* Decoding. */

static int cmp_rank (const void *a, const void *b)
{
    const struct rnode *x = a, *y = b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static eddy_idset_t *decode_ids (json_t *v, const char *what, eddy_error_t *err)
{
    eddy_error_t e;
    eddy_idset_t *ids;
    if (!json_is_string (v)) {
        fail (err, EINVAL, "%s: must be an idset string", what);
        return NULL;
    }
    if (!(ids = eddy_idset_decode (json_string_value (v), &e))) {
        int saved = errno;
        fail (err, saved, "%s: %s", what, e.text);
    }
    return ids;
}

static int decode_rlite (eddy_rlist_t *rl, json_t *rlite, eddy_error_t *err)
{
    size_t i, total = 0;
    json_t *entry;
    char what[80];

    if (!json_is_array (rlite))
        return fail (err, EINVAL, "execution.R_lite: must be a list");
    json_array_foreach (rlite, i, entry) {
        eddy_idset_t *ranks = NULL, *cores = NULL, *gpus = NULL;
        json_t *children, *v;
        const char *key;
        int rc = -1;

        if (!json_is_object (entry)) {
            fail (err, EINVAL, "execution.R_lite[%zu]: must be an object", i);
            goto next;
        }
        snprintf (what, sizeof (what), "execution.R_lite[%zu].rank", i);
        if (!(ranks = decode_ids (json_object_get (entry, "rank"), what, err)))
            goto next;
        children = json_object_get (entry, "children");
        if (!json_is_object (children)) {
            fail (err, EINVAL, "execution.R_lite[%zu].children: must be an object", i);
            goto next;
        }
        json_object_foreach (children, key, v) {
            if (strcmp (key, "core") != 0 && strcmp (key, "gpu") != 0) {
                fail (err, EINVAL,
                      "execution.R_lite[%zu].children: unknown resource type", i);
                goto next;
            }
        }
        snprintf (what, sizeof (what), "execution.R_lite[%zu].children.core", i);
        v = json_object_get (children, "core");
        if (!(cores = v ? decode_ids (v, what, err) : eddy_idset_create ()))
            goto next;
        snprintf (what, sizeof (what), "execution.R_lite[%zu].children.gpu", i);
        v = json_object_get (children, "gpu");
        if (!(gpus = v ? decode_ids (v, what, err) : eddy_idset_create ()))
            goto next;
        total += eddy_idset_count (ranks);
        if (total > EDDY_RLIST_RANKS_MAX) {
            fail (err, ERANGE, "execution.R_lite: more than %u ranks", EDDY_RLIST_RANKS_MAX);
            goto next;
        }
        if (reserve (rl, eddy_idset_count (ranks)) < 0) {
            fail (err, ENOMEM, "out of memory");
            goto next;
        }
        for (unsigned r = eddy_idset_first (ranks); r != EDDY_IDSET_INVALID_ID;
             r = eddy_idset_next (ranks, r)) {
            struct rnode nd;
            if (node_init (&nd, r, NULL, eddy_idset_copy (cores),
                           eddy_idset_copy (gpus)) < 0) {
                fail (err, ENOMEM, "out of memory");
                goto next;
            }
            rl->nodes[rl->n++] = nd;
        }
        rc = 0;
    next:
        eddy_idset_destroy (ranks);
        eddy_idset_destroy (cores);
        eddy_idset_destroy (gpus);
        if (rc < 0)
            return -1;
    }
    if (rl->n > 1)
        qsort (rl->nodes, rl->n, sizeof (rl->nodes[0]), cmp_rank);
    for (i = 1; i < rl->n; i++) {
        if (rl->nodes[i].rank == rl->nodes[i - 1].rank)
            return fail (err, EINVAL,
                         "execution.R_lite: rank %u appears more than once",
                         rl->nodes[i].rank);
    }
    return 0;
}

static int decode_nodelist (eddy_rlist_t *rl, json_t *list, eddy_error_t *err)
{
    eddy_hostlist_t *hl = eddy_hostlist_create ();
    struct eddy_hostlist_iter it;
    size_t i;
    json_t *v;
    int rc = -1;

    if (!hl)
        return fail (err, ENOMEM, "out of memory");
    if (!json_is_array (list)) {
        fail (err, EINVAL, "execution.nodelist: must be a list of hostlists");
        goto done;
    }
    json_array_foreach (list, i, v) {
        eddy_error_t e;
        if (!json_is_string (v)) {
            fail (err, EINVAL, "execution.nodelist[%zu]: must be a string", i);
            goto done;
        }
        eddy_hostlist_t *part = eddy_hostlist_decode (json_string_value (v), &e);
        if (!part) {
            fail (err, errno, "execution.nodelist[%zu]: %s", i, e.text);
            goto done;
        }
        int n = eddy_hostlist_append_list (hl, part);
        eddy_hostlist_destroy (part);
        if (n < 0) {
            fail (err, errno, "execution.nodelist[%zu]: cannot append", i);
            goto done;
        }
        if (eddy_hostlist_count (hl) > rl->n)
            break;
    }
    if (eddy_hostlist_count (hl) != rl->n) {
        fail (err, EINVAL, "execution.nodelist: names %s%zu hosts for %zu ranks",
              eddy_hostlist_count (hl) > rl->n ? "at least " : "",
              eddy_hostlist_count (hl), rl->n);
        goto done;
    }
    eddy_hostlist_iter_init (&it, hl);
    for (i = 0; i < rl->n; i++) {
        const char *h = eddy_hostlist_iter_next (&it);
        if (!h || !(rl->nodes[i].host = strdup (h))) {
            fail (err, ENOMEM, "out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    eddy_hostlist_destroy (hl);
    return rc;
}

static int decode_props (eddy_rlist_t *rl, json_t *props, eddy_error_t *err)
{
    const char *name;
    json_t *v;
    char what[120];

    if (!json_is_object (props))
        return fail (err, EINVAL, "execution.properties: must be an object");
    json_object_foreach (props, name, v) {
        snprintf (what, sizeof (what), "execution.properties.%.60s", name);
        eddy_idset_t *ranks = decode_ids (v, what, err);
        if (!ranks)
            return -1;
        for (unsigned r = eddy_idset_first (ranks); r != EDDY_IDSET_INVALID_ID;
             r = eddy_idset_next (ranks, r)) {
            if (find (rl, r) < 0) {
                eddy_idset_destroy (ranks);
                return fail (err, EINVAL, "%s: rank %u is not in R", what, r);
            }
        }
        int rc = prop_add (rl, name, ranks);
        eddy_idset_destroy (ranks);
        if (rc < 0)
            return fail (err, ENOMEM, "out of memory");
    }
    return 0;
}

static int decode_time (json_t *exec, const char *key, double *out, eddy_error_t *err)
{
    json_t *v = json_object_get (exec, key);
    if (!v)
        return 0;
    if (!json_is_number (v) || json_number_value (v) < 0 ||
        !isfinite (json_number_value (v)))
        return fail (err, EINVAL, "execution.%s: must be a number >= 0", key);
    *out = json_number_value (v);
    return 0;
}

eddy_rlist_t *eddy_rlist_from_json (json_t *R, int flags, eddy_error_t *err)
{
    eddy_rlist_t *rl = NULL;
    json_t *exec, *v;

    if (!json_is_object (R)) {
        fail (err, EINVAL, "R must be an object");
        return NULL;
    }
    v = json_object_get (R, "version");
    if (!v) {
        fail (err, EINVAL, "version: missing");
        return NULL;
    }
    if (!json_is_integer (v) || json_integer_value (v) != 1) {
        fail (err, EINVAL, "version: must be 1");
        return NULL;
    }
    exec = json_object_get (R, "execution");
    if (!json_is_object (exec)) {
        fail (err, EINVAL,
              exec ? "execution: must be an object" : "execution: missing");
        return NULL;
    }
    if (!(v = json_object_get (exec, "R_lite"))) {
        fail (err, EINVAL, "execution.R_lite: missing");
        return NULL;
    }
    if (!(rl = eddy_rlist_create ())) {
        fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    if (decode_rlite (rl, v, err) < 0)
        goto error;
    if ((v = json_object_get (exec, "nodelist"))) {
        if (decode_nodelist (rl, v, err) < 0)
            goto error;
    } else if (flags & EDDY_RLIST_STRICT) {
        fail (err, EINVAL, "execution.nodelist: missing");
        goto error;
    }
    if ((v = json_object_get (exec, "properties")) && decode_props (rl, v, err) < 0)
        goto error;
    if (decode_time (exec, "starttime", &rl->starttime, err) < 0 ||
        decode_time (exec, "expiration", &rl->expiration, err) < 0)
        goto error;
    return rl;
error:
    eddy_rlist_destroy (rl);
    return NULL;
}

eddy_rlist_t *
eddy_rlist_decode (const char *buf, size_t len, int flags, eddy_error_t *err)
{
    json_error_t jerr;
    json_t *o;
    eddy_rlist_t *rl;

    if (!buf) {
        fail (err, EINVAL, "no input");
        return NULL;
    }
    if (!(o = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr))) {
        fail (err, EINVAL, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    rl = eddy_rlist_from_json (o, flags, err);
    int saved_errno = errno;
    json_decref (o);
    errno = saved_errno;
    return rl;
}

/* Encoding. */

static int set_ids (json_t *obj, const char *key, const eddy_idset_t *ids)
{
    char *s = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    if (!s || json_object_set_new (obj, key, json_string (s)) < 0) {
        free (s);
        return -1;
    }
    free (s);
    return 0;
}

static json_t *encode_rlite (const eddy_rlist_t *rl)
{
    json_t *rlite = json_array ();
    size_t i = 0;

    while (rlite && i < rl->n) {
        const struct rnode *a = &rl->nodes[i];
        eddy_idset_t *ranks = eddy_idset_create ();
        json_t *entry = json_object ();
        json_t *children = json_object ();
        size_t j = i;
        int rc = ranks && entry && children ? 0 : -1;

        while (rc == 0 && j < rl->n &&
               eddy_idset_equal (rl->nodes[j].cores, a->cores) &&
               eddy_idset_equal (rl->nodes[j].gpus, a->gpus))
            rc = eddy_idset_set (ranks, rl->nodes[j++].rank);
        if (rc == 0 && a->ncores)
            rc = set_ids (children, "core", a->cores);
        if (rc == 0 && a->ngpus)
            rc = set_ids (children, "gpu", a->gpus);
        if (rc == 0)
            rc = set_ids (entry, "rank", ranks);
        if (rc == 0)
            rc = json_object_set (entry, "children", children);
        if (rc == 0)
            rc = json_array_append (rlite, entry);
        eddy_idset_destroy (ranks);
        json_decref (entry);
        json_decref (children);
        if (rc < 0) {
            json_decref (rlite);
            return NULL;
        }
        i = j;
    }
    return rlite;
}

char *eddy_rlist_nodelist (const eddy_rlist_t *rl)
{
    eddy_hostlist_t *hl;
    char *s = NULL;

    if (!rl) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < rl->n; i++) {
        if (!rl->nodes[i].host) {
            errno = ENOENT;
            return NULL;
        }
    }
    if (!(hl = eddy_hostlist_create ()))
        return NULL;
    for (size_t i = 0; i < rl->n; i++) {
        if (eddy_hostlist_append (hl, rl->nodes[i].host) < 0)
            goto done;
    }
    s = eddy_hostlist_encode (hl);
done:
    eddy_hostlist_destroy (hl);
    return s;
}

json_t *eddy_rlist_to_json (const eddy_rlist_t *rl)
{
    json_t *exec = NULL, *rlite = NULL, *o = NULL;
    char *nodelist;

    if (!rl) {
        errno = EINVAL;
        return NULL;
    }
    if (!(rlite = encode_rlite (rl)))
        goto nomem;
    if (!(exec = json_pack ("{s:O s:f s:f}", "R_lite", rlite, "starttime",
                            rl->starttime, "expiration", rl->expiration)))
        goto nomem;
    if (rl->n > 0 && (nodelist = eddy_rlist_nodelist (rl))) {
        int rc = json_object_set_new (exec, "nodelist", json_pack ("[s]", nodelist));
        free (nodelist);
        if (rc < 0)
            goto nomem;
    }
    if (rl->nprops) {
        json_t *props = json_object ();
        if (!props || json_object_set_new (exec, "properties", props) < 0)
            goto nomem;
        for (size_t i = 0; i < rl->nprops; i++)
            if (set_ids (props, rl->props[i].name, rl->props[i].ranks) < 0)
                goto nomem;
    }
    if (!(o = json_pack ("{s:i s:O}", "version", 1, "execution", exec)))
        goto nomem;
    json_decref (rlite);
    json_decref (exec);
    return o;
nomem:
    json_decref (rlite);
    json_decref (exec);
    errno = ENOMEM;
    return NULL;
}

char *eddy_rlist_encode (const eddy_rlist_t *rl)
{
    json_t *o = eddy_rlist_to_json (rl);
    char *s;
    if (!o)
        return NULL;
    if (!(s = json_dumps (o, JSON_COMPACT)))
        errno = ENOMEM;
    json_decref (o);
    return s;
}

/* Building. */

int eddy_rlist_add_rank (eddy_rlist_t *rl,
                         unsigned rank,
                         const char *hostname,
                         const char *cores,
                         const char *gpus,
                         eddy_error_t *err)
{
    eddy_error_t e;
    eddy_idset_t *c, *g;
    struct rnode nd;
    size_t pos;

    if (!rl || rank == EDDY_IDSET_INVALID_ID)
        return fail (err, EINVAL, "invalid argument");
    if (find (rl, rank) >= 0)
        return fail (err, EEXIST, "rank %u is already present", rank);
    if (rl->n >= EDDY_RLIST_RANKS_MAX)
        return fail (err, ERANGE, "more than %u ranks", EDDY_RLIST_RANKS_MAX);
    if (!(c = cores ? eddy_idset_decode (cores, &e) : eddy_idset_create ()))
        return fail (err, errno, "cores: %s", cores ? e.text : "out of memory");
    if (!(g = gpus ? eddy_idset_decode (gpus, &e) : eddy_idset_create ())) {
        int saved = errno;
        eddy_idset_destroy (c);
        return fail (err, saved, "gpus: %s", gpus ? e.text : "out of memory");
    }
    if (node_init (&nd, rank, hostname, c, g) < 0 || reserve (rl, 1) < 0) {
        node_clear (&nd);
        return fail (err, ENOMEM, "out of memory");
    }
    pos = rl->n;
    while (pos > 0 && rl->nodes[pos - 1].rank > rank)
        pos--;
    memmove (&rl->nodes[pos + 1], &rl->nodes[pos], (rl->n - pos) * sizeof (nd));
    rl->nodes[pos] = nd;
    rl->n++;
    return 0;
}

int eddy_rlist_set_property (eddy_rlist_t *rl,
                             const char *name,
                             const char *ranks,
                             eddy_error_t *err)
{
    eddy_error_t e;
    eddy_idset_t *ids;

    if (!rl || !name || !*name || !ranks)
        return fail (err, EINVAL, "invalid argument");
    if (!(ids = eddy_idset_decode (ranks, &e)))
        return fail (err, errno, "%s", e.text);
    for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (ids, r)) {
        if (find (rl, r) < 0) {
            eddy_idset_destroy (ids);
            return fail (err, EINVAL, "property %s: rank %u is not in the set", name,
                         r);
        }
    }
    int rc = prop_add (rl, name, ids);
    eddy_idset_destroy (ids);
    return rc < 0 ? fail (err, ENOMEM, "out of memory") : 0;
}

void eddy_rlist_set_times (eddy_rlist_t *rl, double starttime, double expiration)
{
    if (rl) {
        rl->starttime = starttime;
        rl->expiration = expiration;
    }
}

double eddy_rlist_starttime (const eddy_rlist_t *rl)
{
    return rl ? rl->starttime : 0.;
}

double eddy_rlist_expiration (const eddy_rlist_t *rl)
{
    return rl ? rl->expiration : 0.;
}

/* Queries. */

/* What one rank adds to a count of what. */
static size_t node_count (const struct rnode *nd, eddy_rlist_count_t what)
{
    switch (what) {
    case EDDY_RLIST_RANKS:
        return 1;
    case EDDY_RLIST_NODES:
        return nd->ncores + nd->ngpus > 0;
    case EDDY_RLIST_CORES:
        return nd->ncores;
    case EDDY_RLIST_GPUS:
        return nd->ngpus;
    }
    return 0;
}

size_t eddy_rlist_count (const eddy_rlist_t *rl, eddy_rlist_count_t what)
{
    size_t n = 0;
    for (size_t i = 0; rl && i < rl->n; i++)
        n += node_count (&rl->nodes[i], what);
    return n;
}

char *eddy_rlist_ranks (const eddy_rlist_t *rl)
{
    eddy_idset_t *ids;
    char *s;
    if (!rl) {
        errno = EINVAL;
        return NULL;
    }
    if (!(ids = rank_set (rl)))
        return NULL;
    s = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    eddy_idset_destroy (ids);
    return s;
}

const char *eddy_rlist_hostname (const eddy_rlist_t *rl, unsigned rank)
{
    ssize_t i;
    if (!rl || (i = find (rl, rank)) < 0 || !rl->nodes[i].host) {
        errno = ENOENT;
        return NULL;
    }
    return rl->nodes[i].host;
}

char *eddy_rlist_property_ranks (const eddy_rlist_t *rl, const char *name)
{
    if (!rl || !name) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < rl->nprops; i++)
        if (!strcmp (rl->props[i].name, name))
            return eddy_idset_encode (rl->props[i].ranks, EDDY_IDSET_RANGE);
    return strdup ("");
}

static int mark (eddy_rlist_t *rl, const char *ranks, bool down, eddy_error_t *err)
{
    eddy_error_t e;
    eddy_idset_t *ids;
    if (!rl || !ranks)
        return fail (err, EINVAL, "invalid argument");
    if (!(ids = eddy_idset_decode (ranks, &e)))
        return fail (err, errno, "%s", e.text);
    for (size_t i = 0; i < rl->n; i++)
        if (eddy_idset_test (ids, rl->nodes[i].rank))
            rl->nodes[i].down = down;
    eddy_idset_destroy (ids);
    return 0;
}

int eddy_rlist_mark_down (eddy_rlist_t *rl, const char *ranks, eddy_error_t *err)
{
    return mark (rl, ranks, true, err);
}

int eddy_rlist_mark_up (eddy_rlist_t *rl, const char *ranks, eddy_error_t *err)
{
    return mark (rl, ranks, false, err);
}

size_t eddy_rlist_count_up (const eddy_rlist_t *rl)
{
    size_t n = 0;
    for (size_t i = 0; rl && i < rl->n; i++)
        n += !rl->nodes[i].down;
    return n;
}

size_t eddy_rlist_count_down (const eddy_rlist_t *rl, eddy_rlist_count_t what)
{
    size_t n = 0;
    for (size_t i = 0; rl && i < rl->n; i++)
        if (rl->nodes[i].down)
            n += node_count (&rl->nodes[i], what);
    return n;
}

eddy_rlist_t *eddy_rlist_copy_down (const eddy_rlist_t *rl)
{
    eddy_rlist_t *cp;
    if (!rl) {
        errno = EINVAL;
        return NULL;
    }
    if (!(cp = eddy_rlist_create ()) || reserve (cp, rl->n) < 0)
        goto nomem;
    for (size_t i = 0; i < rl->n; i++) {
        if (!rl->nodes[i].down)
            continue;
        if (node_copy (&cp->nodes[cp->n], &rl->nodes[i]) < 0)
            goto nomem;
        cp->n++;
    }
    return cp;
nomem:
    eddy_rlist_destroy (cp);
    errno = ENOMEM;
    return NULL;
}

/* Allocation. */

struct pick {
    size_t index;
    size_t cores;
    size_t gpus;
    bool whole;
};

/* Move the k lowest members of from into to (k <= count (from)). */
static int take_lowest (eddy_idset_t *from, size_t k, eddy_idset_t *to)
{
    while (k > 0) {
        unsigned lo, hi;
        if (eddy_idset_range_get (from, 0, &lo, &hi) < 0)
            return -1;
        size_t span = (size_t)hi - lo + 1;
        unsigned last = span > k ? lo + (unsigned)k - 1 : hi;
        if (eddy_idset_range_set (to, lo, last) < 0 ||
            eddy_idset_range_clear (from, lo, last) < 0)
            return -1;
        k -= (size_t)last - lo + 1;
    }
    return 0;
}

static int plan (const eddy_rlist_t *pool,
                 const struct eddy_rlist_request *req,
                 struct pick *picks,
                 size_t *npicks)
{
    size_t n = 0;
    uint64_t cps = (uint64_t)req->cores_per_slot;
    uint64_t gps = (uint64_t)req->gpus_per_slot;

    if (req->nnodes > 0) {
        uint64_t spn = ((uint64_t)req->nslots + req->nnodes - 1) / req->nnodes;
        uint64_t need_c = spn * cps, need_g = spn * gps;
        for (size_t i = 0; i < pool->n && n < (size_t)req->nnodes; i++) {
            const struct rnode *nd = &pool->nodes[i];
            if (nd->down || nd->ncores < need_c || nd->ngpus < need_g)
                continue;
            if (req->exclusive && (!node_idle (nd) || nd->ncores + nd->ngpus == 0))
                continue;
            picks[n++] = (struct pick){i, need_c, need_g, req->exclusive};
        }
        if (n < (size_t)req->nnodes)
            return -1;
    } else {
        uint64_t left = (uint64_t)req->nslots;
        for (size_t i = 0; i < pool->n && left > 0; i++) {
            const struct rnode *nd = &pool->nodes[i];
            uint64_t k = left;
            if (nd->down)
                continue;
            if (cps && nd->ncores / cps < k)
                k = nd->ncores / cps;
            if (gps && nd->ngpus / gps < k)
                k = nd->ngpus / gps;
            if (k == 0)
                continue;
            picks[n++] = (struct pick){i, k * cps, k * gps, false};
            left -= k;
        }
        if (left > 0)
            return -1;
    }
    *npicks = n;
    return 0;
}

eddy_rlist_t *eddy_rlist_alloc (eddy_rlist_t *pool,
                                const struct eddy_rlist_request *req,
                                eddy_error_t *err)
{
    struct eddy_rlist_request r;
    struct pick *picks = NULL;
    eddy_rlist_t *result = NULL;
    size_t npicks = 0;

    if (!pool || !req || req->nslots < 1 || req->nnodes < 0 ||
        req->cores_per_slot < 0 || req->gpus_per_slot < 0 ||
        req->nnodes > req->nslots ||
        (req->cores_per_slot == 0 && req->gpus_per_slot == 0 && !req->exclusive)) {
        fail (err, EINVAL, "malformed resource request");
        return NULL;
    }
    r = *req;
    if (r.exclusive && r.nnodes == 0)
        r.nnodes = r.nslots;
    /* at most one pick per node used: nnodes, or one per slot */
    size_t maxpicks = r.nnodes > 0 ? (size_t)r.nnodes : (size_t)r.nslots;
    if (maxpicks > pool->n)
        maxpicks = pool->n;
    if (!(picks = malloc ((maxpicks ? maxpicks : 1) * sizeof (*picks))) ||
        !(result = eddy_rlist_create ())) {
        fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (plan (pool, &r, picks, &npicks) < 0) {
        fail (err, ENOSPC, "insufficient free resources");
        goto error;
    }
    if (reserve (result, npicks) < 0) {
        fail (err, ENOMEM, "out of memory");
        goto error;
    }
    for (size_t i = 0; i < npicks; i++) {
        struct rnode *nd = &pool->nodes[picks[i].index];
        struct rnode got;
        eddy_idset_t *c, *g;
        if (picks[i].whole) {
            c = nd->cores;
            g = nd->gpus;
            nd->cores = eddy_idset_create ();
            nd->gpus = eddy_idset_create ();
            if (!nd->cores || !nd->gpus) {
                /* put the originals back: nothing has been taken here */
                eddy_idset_destroy (nd->cores);
                eddy_idset_destroy (nd->gpus);
                nd->cores = c;
                nd->gpus = g;
                fail (err, ENOMEM, "out of memory");
                goto error;
            }
        } else {
            c = eddy_idset_create ();
            g = eddy_idset_create ();
            if (!c || !g || take_lowest (nd->cores, picks[i].cores, c) < 0 ||
                take_lowest (nd->gpus, picks[i].gpus, g) < 0) {
                eddy_idset_destroy (c);
                eddy_idset_destroy (g);
                fail (err, ENOMEM, "out of memory");
                goto error;
            }
        }
        node_recount (nd);
        if (node_init (&got, nd->rank, nd->host, c, g) < 0 ||
            append (result, &got) < 0) {
            fail (err, ENOMEM, "out of memory");
            goto error;
        }
    }
    if (props_follow (result, pool) < 0) {
        fail (err, ENOMEM, "out of memory");
        goto error;
    }
    free (picks);
    return result;
error:
    free (picks);
    eddy_rlist_destroy (result);
    return NULL;
}

eddy_rlist_t *eddy_rlist_alloc_cores (eddy_rlist_t *pool, int ncores, eddy_error_t *err)
{
    struct eddy_rlist_request req = {.nslots = ncores, .cores_per_slot = 1};
    return eddy_rlist_alloc (pool, &req, err);
}

eddy_rlist_t *eddy_rlist_alloc_nodes (eddy_rlist_t *pool, int nnodes, eddy_error_t *err)
{
    struct eddy_rlist_request req = {
        .nnodes = nnodes, .nslots = nnodes, .exclusive = true};
    return eddy_rlist_alloc (pool, &req, err);
}

/* Does every core/gpu of b's rank sit in a's (subset) or none (disjoint)? */
static bool relation (const struct rnode *a, const struct rnode *b, bool subset)
{
    size_t nc = eddy_idset_intersect_count (a->cores, b->cores);
    size_t ng = eddy_idset_intersect_count (a->gpus, b->gpus);
    return subset ? (nc == b->ncores && ng == b->ngpus) : (nc == 0 && ng == 0);
}

static int check_against (eddy_rlist_t *pool,
                          const eddy_rlist_t *r,
                          bool subset,
                          eddy_error_t *err)
{
    for (size_t i = 0; i < r->n; i++) {
        ssize_t j = find (pool, r->nodes[i].rank);
        if (j < 0)
            return fail (err, ENOENT, "rank %u is not in the pool", r->nodes[i].rank);
        if (!relation (&pool->nodes[j], &r->nodes[i], subset))
            return subset ? fail (err, ENOENT, "rank %u: resources are not free",
                                  r->nodes[i].rank)
                          : fail (err, EEXIST, "rank %u: resources are already free",
                                  r->nodes[i].rank);
    }
    return 0;
}

int eddy_rlist_remove (eddy_rlist_t *pool, const eddy_rlist_t *r, eddy_error_t *err)
{
    if (!pool || !r)
        return fail (err, EINVAL, "invalid argument");
    if (check_against (pool, r, true, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n; i++) {
        struct rnode *nd = &pool->nodes[find (pool, r->nodes[i].rank)];
        if (eddy_idset_subtract (nd->cores, r->nodes[i].cores) < 0 ||
            eddy_idset_subtract (nd->gpus, r->nodes[i].gpus) < 0)
            return fail (err, ENOMEM, "out of memory");
        node_recount (nd);
    }
    return 0;
}

int eddy_rlist_free (eddy_rlist_t *pool, const eddy_rlist_t *r, eddy_error_t *err)
{
    if (!pool || !r)
        return fail (err, EINVAL, "invalid argument");
    if (check_against (pool, r, false, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n; i++) {
        struct rnode *nd = &pool->nodes[find (pool, r->nodes[i].rank)];
        if (eddy_idset_add (nd->cores, r->nodes[i].cores) < 0 ||
            eddy_idset_add (nd->gpus, r->nodes[i].gpus) < 0)
            return fail (err, ENOMEM, "out of memory");
        node_recount (nd);
    }
    return 0;
}

/* Set algebra. */

enum op { OP_UNION, OP_INTERSECT, OP_DIFFERENCE };

static eddy_idset_t *apply (enum op op, const eddy_idset_t *a, const eddy_idset_t *b)
{
    if (op == OP_UNION)
        return eddy_idset_union (a, b);
    if (op == OP_INTERSECT)
        return eddy_idset_intersect (a, b);
    return eddy_idset_difference (a, b);
}

static eddy_rlist_t *combine (enum op op, const eddy_rlist_t *a, const eddy_rlist_t *b)
{
    eddy_rlist_t *rl;
    size_t i = 0, j = 0;

    if (!a || !b) {
        errno = EINVAL;
        return NULL;
    }
    if (!(rl = eddy_rlist_create ()))
        return NULL;
    while (i < a->n || j < b->n) {
        const struct rnode *x = i < a->n ? &a->nodes[i] : NULL;
        const struct rnode *y = j < b->n ? &b->nodes[j] : NULL;
        struct rnode nd;
        int rc;

        if (x && (!y || x->rank < y->rank)) {
            i++;
            if (op == OP_INTERSECT)
                continue;
            rc = node_copy (&nd, x);
        } else if (y && (!x || y->rank < x->rank)) {
            j++;
            if (op != OP_UNION)
                continue;
            rc = node_copy (&nd, y);
        } else {
            i++;
            j++;
            rc = node_init (&nd, x->rank, x->host ? x->host : y->host,
                            apply (op, x->cores, y->cores),
                            apply (op, x->gpus, y->gpus));
            /* node_init sized the rank by what is left in it; keep the
             * node's size instead (the larger of the two: a pool's rank
             * knows it, an allocation's rank only knows its part), or an
             * exclusive request would take a partly free node as idle */
            nd.tcores = x->tcores > y->tcores ? x->tcores : y->tcores;
            nd.tgpus = x->tgpus > y->tgpus ? x->tgpus : y->tgpus;
            nd.down = x->down;
        }
        if (rc < 0)
            goto nomem;
        if (nd.ncores + nd.ngpus == 0) {
            node_clear (&nd);
            continue;
        }
        if (append (rl, &nd) < 0)
            goto nomem;
    }
    if (props_follow (rl, a) < 0 || props_follow (rl, b) < 0)
        goto nomem;
    rl->starttime = a->starttime;
    rl->expiration = a->expiration;
    return rl;
nomem:
    eddy_rlist_destroy (rl);
    errno = ENOMEM;
    return NULL;
}

eddy_rlist_t *eddy_rlist_union (const eddy_rlist_t *a, const eddy_rlist_t *b)
{
    return combine (OP_UNION, a, b);
}

eddy_rlist_t *eddy_rlist_intersect (const eddy_rlist_t *a, const eddy_rlist_t *b)
{
    return combine (OP_INTERSECT, a, b);
}

eddy_rlist_t *eddy_rlist_difference (const eddy_rlist_t *a, const eddy_rlist_t *b)
{
    return combine (OP_DIFFERENCE, a, b);
}

/* vi: ts=4 sw=4 expandtab
 */
