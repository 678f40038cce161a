/* vec-util.c - conformance helper: runs the engine/util formats against the
 * TSV tables in ../shared/vectors and prints "PASS id" / "FAIL id: why".
 *   vec-util TABLE FILE      (TABLE names the table, e.g. idset-encode)
 * Case ids are "<area>/<table>:<line number in FILE>".
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/hostlist.h"
#include "engine/util/idset.h"

#define MAX_FIELDS 16

struct row {
    const char *id; /* case id */
    char *f[MAX_FIELDS];
    int nf;
};

static int failures;

static void pass (const struct row *r)
{
    printf ("PASS %s\n", r->id);
}

static void failf (const struct row *r, const char *fmt, ...)
{
    va_list ap;
    printf ("FAIL %s: ", r->id);
    va_start (ap, fmt);
    vprintf (fmt, ap);
    va_end (ap);
    printf ("\n");
    failures++;
}

static void check (const struct row *r, bool ok, const char *fmt, ...)
{
    if (ok) {
        pass (r);
        return;
    }
    va_list ap;
    printf ("FAIL %s: ", r->id);
    va_start (ap, fmt);
    vprintf (fmt, ap);
    va_end (ap);
    printf ("\n");
    failures++;
}

static const char *nz (const char *s)
{
    return s ? s : "(null)";
}

/* Tables: one handler per table, called per data row. */

/* idset_encode.tsv: input, flags, expected, count */
static void idset_encode (struct row *r)
{
    int flags = 0;
    if (strstr (r->f[1], "RANGE"))
        flags |= EDDY_IDSET_RANGE;
    if (strstr (r->f[1], "BRACKETS"))
        flags |= EDDY_IDSET_BRACKETS;
    eddy_error_t err;
    eddy_idset_t *ids = eddy_idset_decode (r->f[0], &err);
    if (!ids) {
        failf (r, "decode '%s': %s", r->f[0], err.text);
        return;
    }
    char *s = eddy_idset_encode (ids, flags);
    bool ok = s && !strcmp (s, r->f[2]);
    if (ok && strcmp (r->f[3], "-"))
        ok = eddy_idset_count (ids) == strtoull (r->f[3], NULL, 10);
    check (r, ok, "got '%s' count %zu, want '%s' count %s", nz (s), eddy_idset_count (ids),
           r->f[2], r->f[3]);
    free (s);
    eddy_idset_destroy (ids);
}

/* idset_invalid.txt: input */
static void idset_invalid (struct row *r)
{
    eddy_error_t err = { { 0 } };
    eddy_idset_t *ids = eddy_idset_decode (r->f[0], &err);
    check (r, !ids && err.text[0], "'%s' was accepted", r->f[0]);
    eddy_idset_destroy (ids);
}

/* idset_count.tsv: input, count, max_id */
static void idset_count (struct row *r)
{
    eddy_error_t err;
    eddy_idset_t *ids = eddy_idset_decode (r->f[0], &err);
    if (!ids) {
        failf (r, "decode '%s': %s", r->f[0], err.text);
        return;
    }
    size_t count = eddy_idset_count (ids);
    unsigned last = eddy_idset_last (ids);
    bool ok = count == strtoull (r->f[1], NULL, 10);
    if (strcmp (r->f[2], "-"))
        ok = ok && last == strtoul (r->f[2], NULL, 10);
    else if (strcmp (r->f[0], "") == 0 || strcmp (r->f[0], "[]") == 0)
        ok = ok && last == EDDY_IDSET_INVALID_ID;
    check (r, ok, "count %zu last %u, want %s %s", count, last, r->f[1], r->f[2]);
    eddy_idset_destroy (ids);
}

/* idset_expand.tsv: input, comma-joined ids */
static void idset_expand (struct row *r)
{
    eddy_idset_t *ids = eddy_idset_decode (r->f[0], NULL);
    char *s = ids ? eddy_idset_encode (ids, 0) : NULL;
    check (r, s && !strcmp (s, r->f[1]), "got '%s'", nz (s));
    free (s);
    eddy_idset_destroy (ids);
}

/* idset_ops.tsv: operation, a, b (space separated), expected (as sets) */
static void idset_ops (struct row *r)
{
    eddy_idset_t *a = eddy_idset_decode (r->f[1], NULL);
    eddy_idset_t *want = eddy_idset_decode (r->f[3], NULL);
    char *ops = strdup (r->f[0]);
    char *args = strdup (r->f[2]);
    char *op_save = NULL, *arg_save = NULL;
    bool ok = a && want;
    char *op = strtok_r (ops, ",", &op_save);
    char *arg = strtok_r (args, " ", &arg_save);
    if (!arg)
        arg = ""; /* an empty operand */
    while (ok && arg) {
        eddy_idset_t *b = eddy_idset_decode (arg, NULL);
        eddy_idset_t *res = NULL;
        if (!b) {
            ok = false;
            break;
        }
        unsigned lo = eddy_idset_first (b), hi = eddy_idset_last (b);
        if (!strcmp (op, "union"))
            res = eddy_idset_union (a, b);
        else if (!strcmp (op, "intersect"))
            res = eddy_idset_intersect (a, b);
        else if (!strcmp (op, "difference"))
            res = eddy_idset_difference (a, b);
        else if (!strcmp (op, "add"))
            ok = eddy_idset_add (a, b) == 0;
        else if (!strcmp (op, "subtract"))
            ok = eddy_idset_subtract (a, b) == 0;
        else if (!strcmp (op, "set"))
            ok = eddy_idset_set (a, lo) == 0;
        else if (!strcmp (op, "clear"))
            ok = eddy_idset_clear (a, lo) == 0;
        else if (!strcmp (op, "set-range"))
            ok = eddy_idset_range_set (a, lo, hi) == 0;
        else if (!strcmp (op, "clear-range"))
            ok = eddy_idset_range_clear (a, lo, hi) == 0;
        else
            ok = false;
        if (res) {
            eddy_idset_destroy (a);
            a = res;
        }
        eddy_idset_destroy (b);
        arg = strtok_r (NULL, " ", &arg_save);
        char *next = strtok_r (NULL, ",", &op_save);
        if (next)
            op = next;
    }
    char *got = a ? eddy_idset_encode (a, EDDY_IDSET_RANGE) : NULL;
    check (r, ok && eddy_idset_equal (a, want), "got '%s', want '%s'", nz (got), r->f[3]);
    free (got);
    free (ops);
    free (args);
    eddy_idset_destroy (a);
    eddy_idset_destroy (want);
}

/* hostlist_encode.tsv: input, expected, count */
static void hostlist_encode (struct row *r)
{
    eddy_error_t err;
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], &err);
    if (!hl) {
        failf (r, "decode '%s': %s", r->f[0], err.text);
        return;
    }
    char *s = eddy_hostlist_encode (hl);
    bool ok = s && !strcmp (s, r->f[1]);
    if (ok && strcmp (r->f[2], "-"))
        ok = eddy_hostlist_count (hl) == strtoull (r->f[2], NULL, 10);
    check (r, ok, "got '%s' count %zu", nz (s), eddy_hostlist_count (hl));
    free (s);
    eddy_hostlist_destroy (hl);
}

/* hostlist_expand.tsv: input, count, first, last, expanded */
static void hostlist_expand (struct row *r)
{
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], NULL);
    if (!hl) {
        failf (r, "decode '%s' failed", r->f[0]);
        return;
    }
    size_t count = eddy_hostlist_count (hl);
    char *first = eddy_hostlist_nth (hl, 0);
    char *last = eddy_hostlist_nth (hl, -1);
    size_t len = 0;
    char *all = NULL;
    FILE *f = open_memstream (&all, &len);
    struct eddy_hostlist_iter it;
    const char *h;
    size_t n = 0;
    eddy_hostlist_iter_init (&it, hl);
    while ((h = eddy_hostlist_iter_next (&it))) {
        fprintf (f, "%s%s", n ? "," : "", h);
        n++;
    }
    fclose (f);
    bool ok = count == strtoull (r->f[1], NULL, 10) && n == count;
    if (strcmp (r->f[2], "-"))
        ok = ok && first && !strcmp (first, r->f[2]);
    else
        ok = ok && !first;
    if (strcmp (r->f[3], "-"))
        ok = ok && last && !strcmp (last, r->f[3]);
    if (strcmp (r->f[4], "-"))
        ok = ok && !strcmp (all, r->f[4]);
    check (r, ok, "count %zu first %s last %s expanded '%s'", count, nz (first), nz (last),
           all);
    free (all);
    free (first);
    free (last);
    eddy_hostlist_destroy (hl);
}

/* hostlist_invalid.txt: input */
static void hostlist_invalid (struct row *r)
{
    eddy_error_t err = { { 0 } };
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], &err);
    check (r, !hl && err.text[0], "'%s' was accepted", r->f[0]);
    eddy_hostlist_destroy (hl);
}

/* hostlist_find.tsv: hostlist, host, index */
static void hostlist_find (struct row *r)
{
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], NULL);
    int idx = hl ? eddy_hostlist_find (hl, r->f[1]) : -2;
    check (r, idx == atoi (r->f[2]), "got %d", idx);
    eddy_hostlist_destroy (hl);
}

/* hostlist_nth.tsv: hostlist, index, host or "(error...)" */
static void hostlist_nth (struct row *r)
{
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], NULL);
    errno = 0;
    char *h = hl ? eddy_hostlist_nth (hl, atoi (r->f[1])) : NULL;
    bool ok;
    if (r->f[2][0] == '(')
        ok = hl && !h && errno == ENOENT;
    else
        ok = h && !strcmp (h, r->f[2]);
    check (r, ok, "got '%s'", nz (h));
    free (h);
    eddy_hostlist_destroy (hl);
}

/* hostlist_delete.tsv: hostlist, delete, number deleted, result */
static void hostlist_delete (struct row *r)
{
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], NULL);
    int n = hl ? eddy_hostlist_delete (hl, r->f[1]) : -2;
    char *s = hl ? eddy_hostlist_encode (hl) : NULL;
    check (r, n == atoi (r->f[2]) && s && !strcmp (s, r->f[3]), "deleted %d, left '%s'", n,
           nz (s));
    free (s);
    eddy_hostlist_destroy (hl);
}

/* hostlist_sort_uniq.tsv: input, after sort, after uniq ('-' = not given) */
static void hostlist_sort_uniq (struct row *r)
{
    bool ok = true;
    char *got[2] = { NULL, NULL };
    for (int k = 0; k < 2; k++) {
        const char *want = r->f[1 + k];
        if (!strcmp (want, "-"))
            continue;
        eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], NULL);
        int rc = hl ? (k ? eddy_hostlist_uniq (hl) : eddy_hostlist_sort (hl)) : -1;
        got[k] = rc == 0 ? eddy_hostlist_encode (hl) : NULL;
        ok = ok && got[k] && !strcmp (got[k], want);
        eddy_hostlist_destroy (hl);
    }
    check (r, ok, "sort '%s' uniq '%s'", nz (got[0]), nz (got[1]));
    free (got[0]);
    free (got[1]);
}

/* hostlist_discrepancies.tsv: input, RFC expansion, flux-core expansion */
static void hostlist_discrepancy (struct row *r)
{
    eddy_hostlist_t *hl = eddy_hostlist_decode (r->f[0], NULL);
    char buf[4096] = "";
    struct eddy_hostlist_iter it;
    const char *h;
    eddy_hostlist_iter_init (&it, hl);
    while (hl && (h = eddy_hostlist_iter_next (&it))) {
        if (buf[0])
            strncat (buf, ",", sizeof (buf) - strlen (buf) - 1);
        strncat (buf, h, sizeof (buf) - strlen (buf) - 1);
    }
    /* eddy follows flux-core's per-range padding (hostlist.h) */
    check (r, hl && !strcmp (buf, r->f[2]), "got '%s'", buf);
    eddy_hostlist_destroy (hl);
}

struct table {
    const char *name;
    const char *id;
    int min_fields;
    void (*fn) (struct row *r);
};

static const struct table tables[] = {
    { "idset-encode", "idset/encode", 4, idset_encode },
    { "idset-invalid", "idset/invalid", 1, idset_invalid },
    { "idset-count", "idset/count", 3, idset_count },
    { "idset-expand", "idset/expand", 2, idset_expand },
    { "idset-ops", "idset/ops", 4, idset_ops },
    { "hostlist-encode", "hostlist/encode", 3, hostlist_encode },
    { "hostlist-expand", "hostlist/expand", 5, hostlist_expand },
    { "hostlist-invalid", "hostlist/invalid", 1, hostlist_invalid },
    { "hostlist-find", "hostlist/find", 3, hostlist_find },
    { "hostlist-nth", "hostlist/nth", 3, hostlist_nth },
    { "hostlist-delete", "hostlist/delete", 4, hostlist_delete },
    { "hostlist-sort-uniq", "hostlist/sort_uniq", 3, hostlist_sort_uniq },
    { "hostlist-discrepancies", "hostlist/discrepancies", 3, hostlist_discrepancy },
    { NULL, NULL, 0, NULL },
};

int main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: vec-util TABLE FILE\n");
        return 2;
    }
    const struct table *t = tables;
    while (t->name && strcmp (t->name, argv[1]))
        t++;
    if (!t->name) {
        fprintf (stderr, "vec-util: unknown table %s\n", argv[1]);
        return 2;
    }
    FILE *f = fopen (argv[2], "r");
    if (!f) {
        fprintf (stderr, "vec-util: %s: %s\n", argv[2], strerror (errno));
        return 2;
    }
    char *line = NULL;
    size_t alloc = 0;
    ssize_t len;
    int lineno = 0;
    while ((len = getline (&line, &alloc, f)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (line[0] == '#' || len == 0)
            continue;
        char id[128];
        snprintf (id, sizeof (id), "%s:%d", t->id, lineno);
        struct row r = { .id = id };
        char *p = line;
        while (r.nf < MAX_FIELDS) {
            r.f[r.nf++] = p;
            char *tab = strchr (p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (r.nf < t->min_fields) {
            failf (&r, "row has %d fields, want %d", r.nf, t->min_fields);
            continue;
        }
        t->fn (&r);
    }
    free (line);
    fclose (f);
    return 0;
}
