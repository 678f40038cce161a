/* idset.c - RFC 22 idsets as a sorted array of disjoint ranges.
 *
 * Invariant: ranges are sorted, lo <= hi, and neither overlap nor touch
 * (r[i].hi + 1 < r[i+1].lo), so each set has exactly one representation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/idset.h"

struct range {
    unsigned lo, hi;
};

struct eddy_idset {
    struct range *r;
    size_t n;
    size_t alloc;
};

#define MAX_ID (EDDY_IDSET_INVALID_ID - 1)

eddy_idset_t *eddy_idset_create (void)
{
    eddy_idset_t *ids = calloc (1, sizeof (*ids));
    if (!ids)
        errno = ENOMEM;
    return ids;
}

void eddy_idset_destroy (eddy_idset_t *ids)
{
    if (ids) {
        int saved_errno = errno;
        free (ids->r);
        free (ids);
        errno = saved_errno;
    }
}

/* Make room for at least want ranges.  Leaves ids unchanged on failure. */
static int reserve (eddy_idset_t *ids, size_t want)
{
    if (want <= ids->alloc)
        return 0;
    size_t alloc = ids->alloc ? ids->alloc : 4;
    while (alloc < want) {
        if (alloc > SIZE_MAX / 2 / sizeof (struct range))
            goto nomem;
        alloc *= 2;
    }
    struct range *r = realloc (ids->r, alloc * sizeof (*r));
    if (!r)
        goto nomem;
    ids->r = r;
    ids->alloc = alloc;
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

eddy_idset_t *eddy_idset_copy (const eddy_idset_t *ids)
{
    if (!ids) {
        errno = EINVAL;
        return NULL;
    }
    eddy_idset_t *cpy = eddy_idset_create ();
    if (!cpy || reserve (cpy, ids->n) < 0)
        goto error;
    if (ids->n)
        memcpy (cpy->r, ids->r, ids->n * sizeof (struct range));
    cpy->n = ids->n;
    return cpy;
error:
    eddy_idset_destroy (cpy);
    return NULL;
}

/* Append [lo, hi] above every existing range, merging if it touches the
 * last one.  Callers guarantee lo > last hi (or the set is empty).
 */
static int push (eddy_idset_t *ids, unsigned lo, unsigned hi)
{
    if (ids->n > 0 && ids->r[ids->n - 1].hi + 1 >= lo) {
        if (hi > ids->r[ids->n - 1].hi)
            ids->r[ids->n - 1].hi = hi;
        return 0;
    }
    if (reserve (ids, ids->n + 1) < 0)
        return -1;
    ids->r[ids->n].lo = lo;
    ids->r[ids->n].hi = hi;
    ids->n++;
    return 0;
}

/* Index of the first range with hi >= x (ids->n if none). */
static size_t first_hi_ge (const eddy_idset_t *ids, unsigned x)
{
    size_t a = 0, b = ids->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (ids->r[m].hi < x)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

/* Index of the first range with lo > x (ids->n if none). */
static size_t first_lo_gt (const eddy_idset_t *ids, unsigned x)
{
    size_t a = 0, b = ids->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (ids->r[m].lo <= x)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

/* Replace ranges [i, j) by the k ranges in repl.  Fails only on ENOMEM,
 * with ids unchanged.
 */
static int
splice (eddy_idset_t *ids, size_t i, size_t j, const struct range *repl, size_t k)
{
    size_t old = j - i;
    if (k > old && reserve (ids, ids->n + (k - old)) < 0)
        return -1;
    if (k != old)
        memmove (&ids->r[i + k], &ids->r[j], (ids->n - j) * sizeof (struct range));
    if (k)
        memcpy (&ids->r[i], repl, k * sizeof (struct range));
    ids->n = ids->n - old + k;
    return 0;
}

int eddy_idset_range_set (eddy_idset_t *ids, unsigned lo, unsigned hi)
{
    if (!ids || lo > hi || hi > MAX_ID) {
        errno = EINVAL;
        return -1;
    }
    /* Ranges that overlap or touch [lo, hi] collapse into one. */
    size_t i = first_hi_ge (ids, lo > 0 ? lo - 1 : 0);
    size_t j = first_lo_gt (ids, hi + 1);
    struct range nr = {lo, hi};
    if (i < j) {
        if (ids->r[i].lo < nr.lo)
            nr.lo = ids->r[i].lo;
        if (ids->r[j - 1].hi > nr.hi)
            nr.hi = ids->r[j - 1].hi;
    }
    return splice (ids, i, j, &nr, 1);
}

int eddy_idset_set (eddy_idset_t *ids, unsigned id)
{
    return eddy_idset_range_set (ids, id, id);
}

int eddy_idset_range_clear (eddy_idset_t *ids, unsigned lo, unsigned hi)
{
    if (!ids || lo > hi || hi > MAX_ID) {
        errno = EINVAL;
        return -1;
    }
    size_t i = first_hi_ge (ids, lo);
    size_t j = first_lo_gt (ids, hi);
    if (i >= j)
        return 0;
    struct range keep[2];
    size_t k = 0;
    if (ids->r[i].lo < lo)
        keep[k++] = (struct range){ids->r[i].lo, lo - 1};
    if (ids->r[j - 1].hi > hi)
        keep[k++] = (struct range){hi + 1, ids->r[j - 1].hi};
    return splice (ids, i, j, keep, k);
}

int eddy_idset_clear (eddy_idset_t *ids, unsigned id)
{
    return eddy_idset_range_clear (ids, id, id);
}

bool eddy_idset_test (const eddy_idset_t *ids, unsigned id)
{
    if (!ids || id > MAX_ID)
        return false;
    size_t i = first_hi_ge (ids, id);
    return i < ids->n && ids->r[i].lo <= id;
}

unsigned eddy_idset_first (const eddy_idset_t *ids)
{
    return ids && ids->n ? ids->r[0].lo : EDDY_IDSET_INVALID_ID;
}

unsigned eddy_idset_last (const eddy_idset_t *ids)
{
    return ids && ids->n ? ids->r[ids->n - 1].hi : EDDY_IDSET_INVALID_ID;
}

unsigned eddy_idset_next (const eddy_idset_t *ids, unsigned prev)
{
    if (!ids || prev >= MAX_ID)
        return EDDY_IDSET_INVALID_ID;
    size_t i = first_hi_ge (ids, prev + 1);
    if (i == ids->n)
        return EDDY_IDSET_INVALID_ID;
    return ids->r[i].lo > prev + 1 ? ids->r[i].lo : prev + 1;
}

unsigned eddy_idset_nth (const eddy_idset_t *ids, size_t n)
{
    if (!ids)
        return EDDY_IDSET_INVALID_ID;
    for (size_t i = 0; i < ids->n; i++) {
        size_t len = (size_t)ids->r[i].hi - ids->r[i].lo + 1;
        if (n < len)
            return ids->r[i].lo + (unsigned)n;
        n -= len;
    }
    return EDDY_IDSET_INVALID_ID;
}

size_t eddy_idset_count (const eddy_idset_t *ids)
{
    size_t count = 0;
    if (ids) {
        for (size_t i = 0; i < ids->n; i++)
            count += (size_t)ids->r[i].hi - ids->r[i].lo + 1;
    }
    return count;
}

bool eddy_idset_empty (const eddy_idset_t *ids)
{
    return !ids || ids->n == 0;
}

bool eddy_idset_equal (const eddy_idset_t *a, const eddy_idset_t *b)
{
    size_t na = a ? a->n : 0;
    size_t nb = b ? b->n : 0;
    if (na != nb)
        return false;
    return na == 0 || memcmp (a->r, b->r, na * sizeof (struct range)) == 0;
}

size_t eddy_idset_range_count (const eddy_idset_t *ids)
{
    return ids ? ids->n : 0;
}

int eddy_idset_range_get (const eddy_idset_t *ids, size_t i, unsigned *lo, unsigned *hi)
{
    if (!ids || i >= ids->n) {
        errno = EINVAL;
        return -1;
    }
    if (lo)
        *lo = ids->r[i].lo;
    if (hi)
        *hi = ids->r[i].hi;
    return 0;
}

/* Set algebra: two-pointer walks over both range arrays, so the cost is
 * O(ranges of a + ranges of b).
 */
enum setop { OP_UNION, OP_INTERSECT, OP_DIFFERENCE };

static eddy_idset_t *
combine (const eddy_idset_t *a, const eddy_idset_t *b, enum setop op)
{
    if (!a || !b) {
        errno = EINVAL;
        return NULL;
    }
    eddy_idset_t *out = eddy_idset_create ();
    if (!out)
        return NULL;
    size_t i = 0, j = 0;
    if (op == OP_UNION) {
        while (i < a->n || j < b->n) {
            const struct range *r;
            if (j == b->n || (i < a->n && a->r[i].lo <= b->r[j].lo))
                r = &a->r[i++];
            else
                r = &b->r[j++];
            if (push (out, r->lo, r->hi) < 0)
                goto error;
        }
    } else if (op == OP_INTERSECT) {
        while (i < a->n && j < b->n) {
            unsigned lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
            unsigned hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;
            if (lo <= hi && push (out, lo, hi) < 0)
                goto error;
            if (a->r[i].hi < b->r[j].hi)
                i++;
            else
                j++;
        }
    } else {
        for (i = 0; i < a->n; i++) {
            unsigned lo = a->r[i].lo;
            unsigned hi = a->r[i].hi;
            bool done = false;
            while (j < b->n && b->r[j].hi < lo)
                j++;
            /* Cut out every range of b that overlaps [lo, hi]. */
            for (size_t k = j; k < b->n && b->r[k].lo <= hi; k++) {
                if (b->r[k].lo > lo && push (out, lo, b->r[k].lo - 1) < 0)
                    goto error;
                if (b->r[k].hi >= hi) {
                    done = true;
                    break;
                }
                lo = b->r[k].hi + 1;
            }
            if (!done && push (out, lo, hi) < 0)
                goto error;
        }
    }
    return out;
error:
    eddy_idset_destroy (out);
    return NULL;
}

eddy_idset_t *eddy_idset_union (const eddy_idset_t *a, const eddy_idset_t *b)
{
    return combine (a, b, OP_UNION);
}

eddy_idset_t *eddy_idset_intersect (const eddy_idset_t *a, const eddy_idset_t *b)
{
    return combine (a, b, OP_INTERSECT);
}

eddy_idset_t *eddy_idset_difference (const eddy_idset_t *a, const eddy_idset_t *b)
{
    return combine (a, b, OP_DIFFERENCE);
}

/* Replace a's contents by tmp's (consuming tmp). */
static void take (eddy_idset_t *a, eddy_idset_t *tmp)
{
    free (a->r);
    *a = *tmp;
    free (tmp);
}

/* add and subtract run for every node of every allocation freed or
 * taken: an empty b (a node's gpus, mostly) changes nothing, and adding
 * to an empty a is a copy, neither worth a new set.
 */
int eddy_idset_add (eddy_idset_t *a, const eddy_idset_t *b)
{
    if (a && b && b->n == 0)
        return 0;
    if (a && b && a->n == 0) {
        if (reserve (a, b->n) < 0)
            return -1;
        memcpy (a->r, b->r, b->n * sizeof (b->r[0]));
        a->n = b->n;
        return 0;
    }
    if (!a || !b) {
        errno = EINVAL;
        return -1;
    }
    if (a == b)
        return 0;
    /* in place, with no second set: a's ranges move to the end of its
     * array and the merge writes from the front, never past what it has
     * still to read (the overlay unions its children's sets at every
     * report of every rank) */
    size_t na = a->n, nb = b->n;
    if (na > SIZE_MAX - nb || reserve (a, na + nb) < 0)
        return -1;
    memmove (a->r + nb, a->r, na * sizeof (a->r[0]));
    size_t i = nb, j = 0, w = 0;
    while (i < nb + na || j < nb) {
        struct range x;
        if (j >= nb || (i < nb + na && a->r[i].lo <= b->r[j].lo))
            x = a->r[i++];
        else
            x = b->r[j++];
        if (w > 0 && (uint64_t)a->r[w - 1].hi + 1 >= x.lo) {
            if (x.hi > a->r[w - 1].hi)
                a->r[w - 1].hi = x.hi;
        }
        else
            a->r[w++] = x;
    }
    a->n = w;
    return 0;
}

int eddy_idset_subtract (eddy_idset_t *a, const eddy_idset_t *b)
{
    if (a && b && (a->n == 0 || b->n == 0))
        return 0;
    eddy_idset_t *tmp = combine (a, b, OP_DIFFERENCE);
    if (!tmp)
        return -1;
    take (a, tmp);
    return 0;
}

size_t eddy_idset_intersect_count (const eddy_idset_t *a, const eddy_idset_t *b)
{
    size_t i = 0, j = 0, count = 0;
    if (!a || !b)
        return 0;
    while (i < a->n && j < b->n) {
        unsigned lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
        unsigned hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;
        if (lo <= hi)
            count += (size_t)hi - lo + 1;
        if (a->r[i].hi < b->r[j].hi)
            i++;
        else
            j++;
    }
    return count;
}

/* Decoding.  The grammar is strict (flux-core's): optional brackets around
 * the whole string, comma-separated ids or lo-hi ranges, ids without
 * leading zeros, every element above the previous one.
 */
static int parse_id (const char **pp, const char *end, unsigned *id, eddy_error_t *err)
{
    const char *p = *pp;
    unsigned long long v = 0;
    if (p == end || *p < '0' || *p > '9') {
        errno = EINVAL;
        return eddy_error_set (err, "expected a number in idset");
    }
    if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9') {
        errno = EINVAL;
        return eddy_error_set (err, "leading zero in an id");
    }
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > MAX_ID) {
            errno = ERANGE;
            return eddy_error_set (err, "id is larger than %u", MAX_ID);
        }
        p++;
    }
    *id = (unsigned)v;
    *pp = p;
    return 0;
}

/* Parse s into ids (emptied first); -1 leaves it empty. */
static int decode_into (eddy_idset_t *ids, const char *s, eddy_error_t *err)
{
    ids->n = 0;
    if (!s) {
        errno = EINVAL;
        eddy_error_set (err, "idset string is NULL");
        return -1;
    }
    const char *p = s;
    const char *end = s + strlen (s);
    if (p < end && *p == '[') {
        if (end[-1] != ']' || end - p < 2) {
            errno = EINVAL;
            eddy_error_set (err, "unbalanced bracket in idset");
            return -1;
        }
        p++;
        end--;
    }
    for (const char *q = p; q < end; q++) {
        if (*q == '[' || *q == ']') {
            errno = EINVAL;
            eddy_error_set (err, "misplaced bracket in idset");
            return -1;
        }
    }
    while (p < end) {
        unsigned lo, hi;
        if (parse_id (&p, end, &lo, err) < 0)
            goto error;
        hi = lo;
        if (p < end && *p == '-') {
            p++;
            if (parse_id (&p, end, &hi, err) < 0)
                goto error;
            if (hi < lo) {
                errno = EINVAL;
                eddy_error_set (err, "range %u-%u is reversed", lo, hi);
                goto error;
            }
        }
        if (ids->n > 0 && lo <= ids->r[ids->n - 1].hi) {
            errno = EINVAL;
            eddy_error_set (err, "id %u is not above the previous element", lo);
            goto error;
        }
        if (push (ids, lo, hi) < 0)
            goto nomem;
        if (p < end) {
            if (*p != ',') {
                errno = EINVAL;
                eddy_error_set (err, "unexpected character '%c' in idset", *p);
                goto error;
            }
            p++;
            if (p == end) {
                errno = EINVAL;
                eddy_error_set (err, "trailing comma in idset");
                goto error;
            }
        }
    }
    return 0;
nomem:
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
error:
    ids->n = 0;
    return -1;
}

eddy_idset_t *eddy_idset_decode (const char *s, eddy_error_t *err)
{
    eddy_idset_t *ids;
    if (!s) {
        errno = EINVAL;
        eddy_error_set (err, "idset string is NULL");
        return NULL;
    }
    if (!(ids = eddy_idset_create ())) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    if (decode_into (ids, s, err) < 0) {
        eddy_idset_destroy (ids);
        return NULL;
    }
    return ids;
}

int eddy_idset_decode_into (eddy_idset_t *ids, const char *s, eddy_error_t *err)
{
    if (!ids) {
        errno = EINVAL;
        eddy_error_set (err, "idset is NULL");
        return -1;
    }
    return decode_into (ids, s, err);
}

/* Encoding: a growing buffer with explicit overflow checks. */
struct buf {
    char *s;
    size_t len, alloc;
};

static int buf_put (struct buf *b, const char *s, size_t n)
{
    if (n >= SIZE_MAX - b->len) {
        errno = ENOMEM;
        return -1;
    }
    if (b->len + n + 1 > b->alloc) {
        size_t alloc = b->alloc ? b->alloc : 64;
        while (alloc < b->len + n + 1) {
            if (alloc > SIZE_MAX / 2) {
                errno = ENOMEM;
                return -1;
            }
            alloc *= 2;
        }
        char *ns = realloc (b->s, alloc);
        if (!ns) {
            errno = ENOMEM;
            return -1;
        }
        b->s = ns;
        b->alloc = alloc;
    }
    memcpy (b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

/* Faster than snprintf, which dominates encoding otherwise. */
size_t eddy_idset_put_id (char *p, unsigned id)
{
    char tmp[12];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id > 0);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static int buf_id (struct buf *b, bool comma, unsigned id)
{
    char tmp[16];
    size_t n = 0;
    if (comma)
        tmp[n++] = ',';
    n += eddy_idset_put_id (tmp + n, id);
    return buf_put (b, tmp, n);
}

char *eddy_idset_encode (const eddy_idset_t *ids, int flags)
{
    if (!ids || (flags & ~(EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS))) {
        errno = EINVAL;
        return NULL;
    }
    struct buf b = {0};
    bool brackets = (flags & EDDY_IDSET_BRACKETS) && ids->n > 0 &&
                    (ids->n > 1 || ids->r[0].hi > ids->r[0].lo);
    if (buf_put (&b, brackets ? "[" : "", brackets ? 1 : 0) < 0)
        goto error;
    bool comma = false;
    for (size_t i = 0; i < ids->n; i++) {
        unsigned lo = ids->r[i].lo, hi = ids->r[i].hi;
        if ((flags & EDDY_IDSET_RANGE) && hi > lo) {
            char tmp[32];
            size_t n = 0;
            if (comma)
                tmp[n++] = ',';
            n += eddy_idset_put_id (tmp + n, lo);
            tmp[n++] = '-';
            n += eddy_idset_put_id (tmp + n, hi);
            if (buf_put (&b, tmp, n) < 0)
                goto error;
        } else {
            for (unsigned id = lo;; id++) {
                if (buf_id (&b, comma, id) < 0)
                    goto error;
                comma = true;
                if (id == hi)
                    break;
            }
        }
        comma = true;
    }
    if (brackets && buf_put (&b, "]", 1) < 0)
        goto error;
    return b.s;
error:
    free (b.s);
    return NULL;
}
