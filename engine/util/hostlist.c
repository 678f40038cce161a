/* hostlist.c - RFC 29 hostlists as an ordered array of compressed ranges.
 *
 * Every host is stored in a canonical form derived from its name alone:
 * prefix = the name without its trailing digits (at most MAX_DIGITS of
 * them), number = those digits, pad = their count when they start with a
 * zero.  Two hosts are the same name exactly when (prefix, num, pad, n)
 * are equal, which lets find, delete, sort and uniq compare ranges rather
 * than strings.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/hostlist.h"

#define MAX_DIGITS 18           /* numbers stay below 10^18: no overflow */
#define MAX_RANGE 1048576       /* hosts in one bracket range (flux-core) */
#define MAX_EXPAND 1048576      /* suffixed hosts expanded by one decode */

struct hrange {
    char *prefix; /* owned */
    uint64_t lo, hi;
    int pad;  /* 0, or the printed width; then every n has fewer digits */
    bool num; /* false: the host is just prefix (lo = hi = 0) */
};

struct eddy_hostlist {
    struct hrange *r;
    size_t n, alloc;
    size_t count;
};

static const uint64_t pow10_table[MAX_DIGITS + 1] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
    10000000000000000ULL,
    100000000000000000ULL,
    1000000000000000000ULL,
};

static int ndigits (uint64_t n)
{
    int d = 1;
    while (d < MAX_DIGITS && n >= pow10_table[d])
        d++;
    return d;
}

static uint64_t range_size (const struct hrange *r)
{
    return r->hi - r->lo + 1;
}

eddy_hostlist_t *eddy_hostlist_create (void)
{
    eddy_hostlist_t *hl = calloc (1, sizeof (*hl));
    if (!hl)
        errno = ENOMEM;
    return hl;
}

static void clear_ranges (struct hrange *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (r[i].prefix);
}

void eddy_hostlist_destroy (eddy_hostlist_t *hl)
{
    if (hl) {
        int saved_errno = errno;
        clear_ranges (hl->r, hl->n);
        free (hl->r);
        free (hl);
        errno = saved_errno;
    }
}

static int reserve (eddy_hostlist_t *hl, size_t want)
{
    if (want <= hl->alloc)
        return 0;
    size_t alloc = hl->alloc ? hl->alloc : 4;
    while (alloc < want) {
        if (alloc > SIZE_MAX / 2 / sizeof (struct hrange))
            goto nomem;
        alloc *= 2;
    }
    struct hrange *r = realloc (hl->r, alloc * sizeof (*r));
    if (!r)
        goto nomem;
    hl->r = r;
    hl->alloc = alloc;
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

/* Append hosts prefix[lo-hi] at the end, extending the last range when
 * they continue it.  The prefix is copied.  -1 + ENOMEM/ERANGE.
 */
static int push_len (eddy_hostlist_t *hl,
                     const char *prefix,
                     size_t plen,
                     bool num,
                     int pad,
                     uint64_t lo,
                     uint64_t hi)
{
    uint64_t size = hi - lo + 1;
    if (size > (uint64_t)INT_MAX - hl->count) {
        errno = ERANGE;
        return -1;
    }
    if (hl->n > 0) {
        struct hrange *last = &hl->r[hl->n - 1];
        if (num && last->num && last->pad == pad && last->hi + 1 == lo
            && strlen (last->prefix) == plen && !memcmp (last->prefix, prefix, plen)) {
            last->hi = hi;
            hl->count += size;
            return 0;
        }
    }
    if (reserve (hl, hl->n + 1) < 0)
        return -1;
    char *p = malloc (plen + 1);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    memcpy (p, prefix, plen);
    p[plen] = '\0';
    hl->r[hl->n++] = (struct hrange){ .prefix = p, .lo = lo, .hi = hi, .pad = pad, .num = num };
    hl->count += size;
    return 0;
}

static int push (eddy_hostlist_t *hl, const struct hrange *r, uint64_t lo, uint64_t hi)
{
    return push_len (hl, r->prefix, strlen (r->prefix), r->num, r->pad, lo, hi);
}

/* Split a host name into its canonical (prefix, num, pad, n). */
struct host {
    const char *prefix;
    size_t plen;
    bool num;
    int pad;
    uint64_t n;
};

static void parse_host (const char *s, size_t len, struct host *h)
{
    size_t t = len;
    while (t > 0 && isdigit ((unsigned char)s[t - 1]) && len - t < MAX_DIGITS)
        t--;
    h->prefix = s;
    h->plen = t;
    h->num = t < len;
    h->pad = 0;
    h->n = 0;
    if (h->num) {
        size_t run = len - t;
        for (size_t i = t; i < len; i++)
            h->n = h->n * 10 + (uint64_t)(s[i] - '0');
        if (s[t] == '0' && run > 1)
            h->pad = (int)run;
    }
}

static int push_host (eddy_hostlist_t *hl, const char *s, size_t len)
{
    struct host h;
    parse_host (s, len, &h);
    return push_len (hl, h.prefix, h.plen, h.num, h.pad, h.n, h.n);
}

eddy_hostlist_t *eddy_hostlist_copy (const eddy_hostlist_t *hl)
{
    if (!hl) {
        errno = EINVAL;
        return NULL;
    }
    eddy_hostlist_t *cpy = eddy_hostlist_create ();
    if (!cpy || reserve (cpy, hl->n) < 0)
        goto error;
    for (size_t i = 0; i < hl->n; i++) {
        if (push (cpy, &hl->r[i], hl->r[i].lo, hl->r[i].hi) < 0)
            goto error;
    }
    return cpy;
error:
    eddy_hostlist_destroy (cpy);
    return NULL;
}

/* Decoding. */

struct decoder {
    eddy_hostlist_t *hl;
    size_t expanded; /* hosts produced from suffixed brackets so far */
    eddy_error_t *err;
};

static int fail (struct decoder *d, int errnum, const char *msg, const char *s, size_t len)
{
    if (len > 64)
        eddy_error_set (d->err, "%s in '%.64s...'", msg, s);
    else
        eddy_error_set (d->err, "%s in '%.*s'", msg, (int)len, s);
    errno = errnum;
    return -1;
}

/* Parse the digits s[0..len) of a bracket number. */
static int parse_num (struct decoder *d, const char *s, size_t len, uint64_t *n)
{
    if (len == 0)
        return fail (d, EINVAL, "missing number", s, len);
    if (len > MAX_DIGITS)
        return fail (d, ERANGE, "number is too long", s, len);
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit ((unsigned char)s[i]))
            return fail (d, EINVAL, "not a number", s, len);
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *n = v;
    return 0;
}

/* Push prefix[lo-hi] (pad from the low bound) in canonical form: split it
 * where the printed width changes, and fold any digits that end the prefix
 * into the number, as they would be if the names were written out.
 */
static int push_bracket (struct decoder *d,
                         const char *prefix,
                         size_t plen,
                         int pad,
                         uint64_t lo,
                         uint64_t hi)
{
    uint64_t a = lo;
    while (1) {
        int nd = ndigits (a);
        int width = nd < pad ? pad : nd;
        uint64_t b = nd < pad ? pow10_table[pad - 1] - 1 : pow10_table[nd] - 1;
        if (nd == MAX_DIGITS && nd >= pad)
            b = pow10_table[MAX_DIGITS] - 1;
        if (b > hi)
            b = hi;
        /* digits that end the prefix, as many as fit beside the number */
        size_t t = plen;
        while (t > 0 && isdigit ((unsigned char)prefix[t - 1])
               && (int)(plen - t) + width < MAX_DIGITS)
            t--;
        uint64_t base = 0;
        for (size_t i = t; i < plen; i++)
            base = base * 10 + (uint64_t)(prefix[i] - '0');
        base *= pow10_table[width];
        int cpad;
        if (t < plen)
            cpad = prefix[t] == '0' ? (int)(plen - t) + width : 0;
        else
            cpad = width > nd ? width : 0;
        if (push_len (d->hl, prefix, t, true, cpad, base + a, base + b) < 0)
            return -1;
        if (b == hi)
            return 0;
        a = b + 1;
    }
}

/* Expand prefix[lo-hi]suffix into separate names (flux-core does not keep
 * suffixed ranges compressed).
 */
static int push_suffixed (struct decoder *d,
                          const char *prefix,
                          size_t plen,
                          int pad,
                          uint64_t lo,
                          uint64_t hi,
                          const char *suffix,
                          size_t slen)
{
    char name[EDDY_HOSTLIST_NAME_MAX];
    if (hi - lo + 1 > MAX_EXPAND - d->expanded) {
        errno = ERANGE;
        eddy_error_set (d->err, "too many hosts with a suffix (more than %d)", MAX_EXPAND);
        return -1;
    }
    d->expanded += hi - lo + 1;
    memcpy (name, prefix, plen);
    for (uint64_t n = lo;; n++) {
        int w = snprintf (name + plen, MAX_DIGITS + 1, "%0*llu", pad, (unsigned long long)n);
        memcpy (name + plen + w, suffix, slen);
        if (push_host (d->hl, name, plen + (size_t)w + slen) < 0)
            return -1;
        if (n == hi)
            break;
    }
    return 0;
}

/* One comma-separated element: "name" or "prefix[idlist]suffix". */
static int decode_element (struct decoder *d, const char *s, size_t len)
{
    const char *open = memchr (s, '[', len);
    if (!open) {
        if (len >= EDDY_HOSTLIST_NAME_MAX)
            return fail (d, EINVAL, "host name too long", s, len);
        return push_host (d->hl, s, len);
    }
    const char *end = s + len;
    const char *close = memchr (open, ']', (size_t)(end - open));
    if (!close)
        return fail (d, EINVAL, "unclosed bracket", s, len);
    const char *prefix = s;
    size_t plen = (size_t)(open - s);
    const char *suffix = close + 1;
    size_t slen = (size_t)(end - suffix);
    if (memchr (suffix, '[', slen) || memchr (suffix, ']', slen))
        return fail (d, EINVAL, "more than one bracket", s, len);
    if (plen + MAX_DIGITS + slen >= EDDY_HOSTLIST_NAME_MAX)
        return fail (d, EINVAL, "host name too long", s, len);
    const char *p = open + 1;
    if (p == close)
        return fail (d, EINVAL, "empty brackets", s, len);
    while (p < close) {
        const char *comma = memchr (p, ',', (size_t)(close - p));
        const char *item_end = comma ? comma : close;
        const char *dash = memchr (p, '-', (size_t)(item_end - p));
        const char *lo_end = dash ? dash : item_end;
        uint64_t lo, hi;
        if (parse_num (d, p, (size_t)(lo_end - p), &lo) < 0)
            return -1;
        hi = lo;
        if (dash && parse_num (d, dash + 1, (size_t)(item_end - dash - 1), &hi) < 0)
            return -1;
        if (hi < lo)
            return fail (d, EINVAL, "reversed range", s, len);
        if (hi - lo >= MAX_RANGE)
            return fail (d, ERANGE, "range is too large", s, len);
        int pad = (*p == '0' && lo_end - p > 1) ? (int)(lo_end - p) : 0;
        int rc = slen ? push_suffixed (d, prefix, plen, pad, lo, hi, suffix, slen)
                      : push_bracket (d, prefix, plen, pad, lo, hi);
        if (rc < 0)
            return -1;
        if (comma && comma + 1 == close)
            return fail (d, EINVAL, "trailing comma in brackets", s, len);
        p = item_end + (comma ? 1 : 0);
    }
    return 0;
}

static eddy_hostlist_t *decode (const char *s, eddy_error_t *err)
{
    struct decoder d = { .err = err };
    if (!s) {
        errno = EINVAL;
        eddy_error_set (err, "hostlist string is NULL");
        return NULL;
    }
    if (!(d.hl = eddy_hostlist_create ()))
        goto nomem;
    const char *start = s;
    int depth = 0;
    for (const char *p = s;; p++) {
        if (*p == '[') {
            if (depth++ > 0) {
                fail (&d, EINVAL, "nested bracket", start, strlen (start));
                goto error;
            }
        }
        else if (*p == ']') {
            if (depth-- == 0) {
                fail (&d, EINVAL, "unmatched ']'", start, strlen (start));
                goto error;
            }
        }
        else if ((*p == ',' && depth == 0) || *p == '\0') {
            if (*p == '\0' && depth > 0) {
                fail (&d, EINVAL, "unclosed bracket", start, strlen (start));
                goto error;
            }
            if (p > start && decode_element (&d, start, (size_t)(p - start)) < 0) {
                if (errno == ENOMEM)
                    goto nomem;
                goto error;
            }
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    return d.hl;
nomem:
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
error:
    eddy_hostlist_destroy (d.hl);
    return NULL;
}

eddy_hostlist_t *eddy_hostlist_decode (const char *s, eddy_error_t *err)
{
    return decode (s, err);
}

/* Move other's ranges to the end of hl.  Fails (ENOMEM/ERANGE) leaving hl
 * unchanged.
 */
static int append_ranges (eddy_hostlist_t *hl, const eddy_hostlist_t *other)
{
    size_t n = hl->n, count = hl->count;
    struct hrange saved;
    if (n > 0)
        saved = hl->r[n - 1];
    for (size_t i = 0; i < other->n; i++) {
        if (push (hl, &other->r[i], other->r[i].lo, other->r[i].hi) < 0) {
            int saved_errno = errno;
            clear_ranges (hl->r + n, hl->n - n);
            hl->n = n;
            hl->count = count;
            if (n > 0)
                hl->r[n - 1] = saved;
            errno = saved_errno;
            return -1;
        }
    }
    return 0;
}

int eddy_hostlist_append (eddy_hostlist_t *hl, const char *hosts)
{
    if (!hl) {
        errno = EINVAL;
        return -1;
    }
    eddy_hostlist_t *tmp = decode (hosts, NULL);
    if (!tmp)
        return -1;
    int rc = append_ranges (hl, tmp) < 0 ? -1 : (int)tmp->count;
    eddy_hostlist_destroy (tmp);
    return rc;
}

int eddy_hostlist_append_list (eddy_hostlist_t *hl, const eddy_hostlist_t *other)
{
    if (!hl || !other) {
        errno = EINVAL;
        return -1;
    }
    if (append_ranges (hl, other) < 0)
        return -1;
    return (int)other->count;
}

/* Encoding. */

struct buf {
    char *s;
    size_t len, alloc;
};

static int buf_put (struct buf *b, const char *s, size_t n)
{
    if (n >= SIZE_MAX / 2 - b->len) {
        errno = ENOMEM;
        return -1;
    }
    if (b->len + n + 1 > b->alloc) {
        size_t alloc = b->alloc ? b->alloc : 64;
        while (alloc < b->len + n + 1)
            alloc *= 2;
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

static int buf_num (struct buf *b, int pad, uint64_t n)
{
    char tmp[MAX_DIGITS + 2];
    int w = snprintf (tmp, sizeof (tmp), "%0*llu", pad, (unsigned long long)n);
    return buf_put (b, tmp, (size_t)w);
}

/* Does x print the same with run_pad as with its own pad? */
static bool prints_same (int run_pad, int pad, uint64_t x)
{
    int nd = ndigits (x);
    return (run_pad > nd ? run_pad : nd) == (pad > nd ? pad : nd);
}

/* Write ranges [i, j), which share one numeric prefix, as "lo-hi,..."
 * joining ranges that continue each other in print.
 */
static int encode_runs (struct buf *b, const struct hrange *r, size_t i, size_t j)
{
    bool first = true;
    while (i < j) {
        uint64_t lo = r[i].lo, hi = r[i].hi;
        int pad = r[i].pad;
        for (i++; i < j && r[i].lo == hi + 1 && prints_same (pad, r[i].pad, r[i].lo); i++)
            hi = r[i].hi;
        if ((!first && buf_put (b, ",", 1) < 0) || buf_num (b, pad, lo) < 0)
            return -1;
        if (hi > lo && (buf_put (b, "-", 1) < 0 || buf_num (b, pad, hi) < 0))
            return -1;
        first = false;
    }
    return 0;
}

char *eddy_hostlist_encode (const eddy_hostlist_t *hl)
{
    if (!hl) {
        errno = EINVAL;
        return NULL;
    }
    struct buf b = { 0 };
    if (buf_put (&b, "", 0) < 0)
        goto error;
    size_t i = 0;
    while (i < hl->n) {
        const struct hrange *r = &hl->r[i];
        if (i > 0 && buf_put (&b, ",", 1) < 0)
            goto error;
        if (buf_put (&b, r->prefix, strlen (r->prefix)) < 0)
            goto error;
        if (!r->num) {
            i++;
            continue;
        }
        size_t j = i + 1;
        uint64_t hosts = range_size (r);
        while (j < hl->n && hl->r[j].num && !strcmp (hl->r[j].prefix, r->prefix))
            hosts += range_size (&hl->r[j++]);
        if (hosts == 1) {
            if (buf_num (&b, r->pad, r->lo) < 0)
                goto error;
        }
        else if (buf_put (&b, "[", 1) < 0 || encode_runs (&b, hl->r, i, j) < 0
                 || buf_put (&b, "]", 1) < 0)
            goto error;
        i = j;
    }
    return b.s;
error:
    free (b.s);
    return NULL;
}

/* Queries. */

size_t eddy_hostlist_count (const eddy_hostlist_t *hl)
{
    return hl ? hl->count : 0;
}

/* Map index n (negative from the end) to (range, offset); -1 + ENOENT. */
static int locate (const eddy_hostlist_t *hl, int n, size_t *ri, uint64_t *off)
{
    if (!hl) {
        errno = EINVAL;
        return -1;
    }
    long long idx = n;
    if (idx < 0)
        idx += (long long)hl->count;
    if (idx < 0 || (uint64_t)idx >= hl->count) {
        errno = ENOENT;
        return -1;
    }
    uint64_t left = (uint64_t)idx;
    for (size_t i = 0; i < hl->n; i++) {
        if (left < range_size (&hl->r[i])) {
            *ri = i;
            *off = left;
            return 0;
        }
        left -= range_size (&hl->r[i]);
    }
    errno = ENOENT;
    return -1;
}

static size_t format_host (char *buf, const struct hrange *r, uint64_t n)
{
    size_t plen = strlen (r->prefix);
    memcpy (buf, r->prefix, plen);
    if (!r->num) {
        buf[plen] = '\0';
        return plen;
    }
    int w = snprintf (buf + plen, MAX_DIGITS + 2, "%0*llu", r->pad, (unsigned long long)n);
    return plen + (size_t)w;
}

char *eddy_hostlist_nth (const eddy_hostlist_t *hl, int n)
{
    size_t ri;
    uint64_t off;
    if (locate (hl, n, &ri, &off) < 0)
        return NULL;
    const struct hrange *r = &hl->r[ri];
    char *s = malloc (strlen (r->prefix) + MAX_DIGITS + 2);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    format_host (s, r, r->lo + off);
    return s;
}

/* Index of the first host equal to h, or -1. */
static long long find_host (const eddy_hostlist_t *hl, const struct host *h)
{
    uint64_t idx = 0;
    for (size_t i = 0; i < hl->n; i++) {
        const struct hrange *r = &hl->r[i];
        if (r->num == h->num && r->pad == h->pad && h->n >= r->lo && h->n <= r->hi
            && strlen (r->prefix) == h->plen && !memcmp (r->prefix, h->prefix, h->plen))
            return (long long)(idx + (h->n - r->lo));
        idx += range_size (r);
    }
    return -1;
}

int eddy_hostlist_find (const eddy_hostlist_t *hl, const char *host)
{
    if (!hl || !host) {
        errno = EINVAL;
        return -1;
    }
    struct host h;
    parse_host (host, strlen (host), &h);
    long long idx = find_host (hl, &h);
    if (idx < 0) {
        errno = ENOENT;
        return -1;
    }
    return (int)idx;
}

/* Removing hosts. */

static int remove_at (eddy_hostlist_t *hl, size_t ri, uint64_t off)
{
    struct hrange *r = &hl->r[ri];
    uint64_t x = r->lo + off;
    if (r->lo == r->hi) {
        free (r->prefix);
        memmove (r, r + 1, (hl->n - ri - 1) * sizeof (*r));
        hl->n--;
    }
    else if (x == r->lo)
        r->lo++;
    else if (x == r->hi)
        r->hi--;
    else {
        /* split in two */
        if (reserve (hl, hl->n + 1) < 0)
            return -1;
        r = &hl->r[ri];
        char *p = strdup (r->prefix);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        memmove (r + 2, r + 1, (hl->n - ri - 1) * sizeof (*r));
        r[1] = *r;
        r[1].prefix = p;
        r[1].lo = x + 1;
        r[0].hi = x - 1;
        hl->n++;
    }
    hl->count--;
    return 0;
}

int eddy_hostlist_delete_nth (eddy_hostlist_t *hl, int n)
{
    size_t ri;
    uint64_t off;
    if (locate (hl, n, &ri, &off) < 0)
        return -1;
    return remove_at (hl, ri, off);
}

/* Remove the first occurrence of host h; 1 if removed, 0 if absent. */
static int remove_host (eddy_hostlist_t *hl, const struct host *h)
{
    for (size_t i = 0; i < hl->n; i++) {
        const struct hrange *r = &hl->r[i];
        if (r->num == h->num && r->pad == h->pad && h->n >= r->lo && h->n <= r->hi
            && strlen (r->prefix) == h->plen && !memcmp (r->prefix, h->prefix, h->plen))
            return remove_at (hl, i, h->n - r->lo) < 0 ? -1 : 1;
    }
    return 0;
}

static void swap_contents (eddy_hostlist_t *a, eddy_hostlist_t *b)
{
    eddy_hostlist_t tmp = *a;
    *a = *b;
    *b = tmp;
}

int eddy_hostlist_delete (eddy_hostlist_t *hl, const char *hosts)
{
    if (!hl) {
        errno = EINVAL;
        return -1;
    }
    eddy_hostlist_t *del = decode (hosts, NULL);
    eddy_hostlist_t *work = NULL;
    int deleted = 0;
    if (!del || !(work = eddy_hostlist_copy (hl)))
        goto error;
    for (size_t i = 0; i < del->n && work->count > 0; i++) {
        const struct hrange *r = &del->r[i];
        struct host h = { r->prefix, strlen (r->prefix), r->num, r->pad, 0 };
        for (uint64_t n = r->lo; work->count > 0; n++) {
            h.n = n;
            int rc = remove_host (work, &h);
            if (rc < 0)
                goto error;
            deleted += rc;
            if (n == r->hi)
                break;
        }
    }
    swap_contents (hl, work);
    eddy_hostlist_destroy (work);
    eddy_hostlist_destroy (del);
    return deleted;
error:
    eddy_hostlist_destroy (work);
    eddy_hostlist_destroy (del);
    return -1;
}

/* Sorting. Order: prefix, plain names before numbered ones, pad, number. */

static int cmp_range (const void *a, const void *b)
{
    const struct hrange *x = a, *y = b;
    int c = strcmp (x->prefix, y->prefix);
    if (c)
        return c;
    if (x->num != y->num)
        return x->num ? 1 : -1;
    if (x->pad != y->pad)
        return x->pad < y->pad ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    return 0;
}

static int cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Emit n..m covered `cov` times, in sorted order. */
static int emit (eddy_hostlist_t *out, const struct hrange *r, uint64_t a, uint64_t b,
                 size_t cov, bool uniq)
{
    if (uniq || cov == 1)
        return push (out, r, a, b);
    for (uint64_t x = a;; x++) {
        for (size_t k = 0; k < cov; k++) {
            if (push (out, r, x, x) < 0)
                return -1;
        }
        if (x == b)
            break;
    }
    return 0;
}

/* Ranges g[0..k) share prefix, num and pad and are sorted by lo.  Emit the
 * multiset they hold in order (or the set, if uniq) with a sweep over the
 * range boundaries: O(k log k) plus the output.
 */
static int sort_group (eddy_hostlist_t *out, const struct hrange *g, size_t k, bool uniq)
{
    if (!g[0].num) {
        return emit (out, &g[0], 0, 0, uniq ? 1 : k, false);
    }
    bool overlap = false;
    for (size_t i = 1; i < k && !overlap; i++)
        overlap = g[i].lo <= g[i - 1].hi;
    if (!overlap) {
        for (size_t i = 0; i < k; i++) {
            if (push (out, &g[i], g[i].lo, g[i].hi) < 0)
                return -1;
        }
        return 0;
    }
    uint64_t *ends = malloc (k * sizeof (*ends));
    if (!ends) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < k; i++)
        ends[i] = g[i].hi + 1;
    qsort (ends, k, sizeof (*ends), cmp_u64);
    size_t i = 0, j = 0, cov = 0;
    uint64_t cur = g[0].lo;
    while (j < k) {
        uint64_t next = i < k && g[i].lo < ends[j] ? g[i].lo : ends[j];
        if (cov > 0 && next > cur && emit (out, &g[0], cur, next - 1, cov, uniq) < 0) {
            free (ends);
            return -1;
        }
        while (i < k && g[i].lo == next) {
            cov++;
            i++;
        }
        while (j < k && ends[j] == next) {
            cov--;
            j++;
        }
        cur = next;
    }
    free (ends);
    return 0;
}

static int sort_list (eddy_hostlist_t *hl, bool uniq)
{
    if (!hl) {
        errno = EINVAL;
        return -1;
    }
    if (hl->n == 0)
        return 0;
    struct hrange *sorted = malloc (hl->n * sizeof (*sorted));
    eddy_hostlist_t *out = eddy_hostlist_create ();
    if (!sorted || !out) {
        errno = ENOMEM;
        goto error;
    }
    memcpy (sorted, hl->r, hl->n * sizeof (*sorted)); /* prefixes borrowed */
    qsort (sorted, hl->n, sizeof (*sorted), cmp_range);
    size_t i = 0;
    while (i < hl->n) {
        size_t j = i + 1;
        while (j < hl->n && sorted[j].num == sorted[i].num && sorted[j].pad == sorted[i].pad
               && !strcmp (sorted[j].prefix, sorted[i].prefix))
            j++;
        if (sort_group (out, &sorted[i], j - i, uniq) < 0)
            goto error;
        i = j;
    }
    free (sorted);
    swap_contents (hl, out);
    eddy_hostlist_destroy (out);
    return 0;
error:
    free (sorted);
    eddy_hostlist_destroy (out);
    return -1;
}

int eddy_hostlist_sort (eddy_hostlist_t *hl)
{
    return sort_list (hl, false);
}

int eddy_hostlist_uniq (eddy_hostlist_t *hl)
{
    return sort_list (hl, true);
}

/* Iteration. */

void eddy_hostlist_iter_init (struct eddy_hostlist_iter *it, const eddy_hostlist_t *hl)
{
    it->hl = hl;
    it->range = 0;
    it->num = hl && hl->n ? hl->r[0].lo : 0;
    it->buf[0] = '\0';
}

const char *eddy_hostlist_iter_next (struct eddy_hostlist_iter *it)
{
    const eddy_hostlist_t *hl = it->hl;
    if (!hl || it->range >= hl->n)
        return NULL;
    const struct hrange *r = &hl->r[it->range];
    format_host (it->buf, r, it->num);
    if (it->num == r->hi) {
        if (++it->range < hl->n)
            it->num = hl->r[it->range].lo;
    }
    else
        it->num++;
    return it->buf;
}
