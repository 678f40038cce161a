/* swf.c - Standard Workload Format parsing: header fields, 18-field job
 * lines, DESIGN.md's field choices and skip rules.  No I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "traces/swf.h"

#define SWF_FIELDS 18

struct header_field {
    char *key;
    char *value;
};

struct eddy_swf {
    size_t lineno;
    struct header_field *hdr;
    size_t nhdr;
    /* every parsed job line (before the skip rules) */
    struct eddy_swf_job *all;
    size_t nall, all_size;
    /* after finish () */
    struct eddy_swf_job *kept;
    size_t nkept;
    int64_t procs;
    size_t skipped[EDDY_SWF_SKIP_NREASONS];
};

static const char skip_names[EDDY_SWF_SKIP_NREASONS][16] = {
    "procs<=0",
    "procs>P",
    "run<0",
};

eddy_swf_t *eddy_swf_create (void)
{
    return calloc (1, sizeof (struct eddy_swf));
}

void eddy_swf_destroy (eddy_swf_t *s)
{
    if (s) {
        int saved_errno = errno;
        for (size_t i = 0; i < s->nhdr; i++) {
            free (s->hdr[i].key);
            free (s->hdr[i].value);
        }
        free (s->hdr);
        free (s->all);
        free (s->kept);
        free (s);
        errno = saved_errno;
    }
}

static bool is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

enum number {
    NUM_OK,
    NUM_BAD,   /* not [+-]digits[.digits] */
    NUM_RANGE, /* number-shaped, but its integer part does not fit int64 */
};

/* A number: [+-]digits[.digits], truncated toward zero to an integer.  The
 * whole token is read before an overflow is reported, so "1e99" stays a
 * non-number rather than a range error.
 */
static enum number parse_number (const char *p, const char *end, int64_t *val)
{
    bool neg = false, overflow = false;
    uint64_t v = 0, limit;
    const char *digits;

    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    digits = p;
    while (p < end && isdigit ((unsigned char)*p)) {
        unsigned d = *p - '0';
        if (overflow || v > (limit - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
        p++;
    }
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && isdigit ((unsigned char)*p))
            p++;
        if (p == frac && frac - 1 == digits)
            return NUM_BAD; /* "." alone */
    } else if (p == digits)
        return NUM_BAD;
    if (p != end)
        return NUM_BAD;
    if (overflow)
        return NUM_RANGE;
    /* -2^63 has no positive counterpart: negate in unsigned arithmetic */
    *val = neg ? (int64_t)(0 - v) : (int64_t)v;
    return NUM_OK;
}

/* The first word of a header value, as a number. */
static enum number header_number (const char *v, int64_t *n)
{
    const char *end = v;
    while (*end && !is_blank (*end))
        end++;
    return parse_number (v, end, n);
}

/* The header fields that size the machine: a number past the bound is a
 * machine no replay can build, so the trace is refused; anything else (no
 * number, 0, negative) stays "not usable", as it always was.
 */
static bool machine_size_key (const char *key)
{
    return !strcmp (key, "MaxProcs") || !strcmp (key, "MaxNodes");
}

static int check_machine_size (eddy_swf_t *s,
                               const char *key,
                               const char *value,
                               eddy_error_t *err)
{
    int64_t n;
    enum number rc = header_number (value, &n);

    if ((rc == NUM_RANGE && *value != '-') ||
        (rc == NUM_OK && n > EDDY_SWF_PROCS_MAX)) {
        const char *end = value;
        while (*end && !is_blank (*end))
            end++;
        errno = EINVAL;
        return eddy_error_set (
            err, "line %zu: %s = %.*s is beyond the limit %d", s->lineno, key,
            (int)(end - value > 40 ? 40 : end - value), value, EDDY_SWF_PROCS_MAX);
    }
    return 0;
}

/* "; Key: value" -> a header field; anything else after ';' is a comment. */
static int
parse_header (eddy_swf_t *s, const char *p, const char *end, eddy_error_t *err)
{
    const char *k, *kend, *v, *vend;
    struct header_field *hdr;
    char *key, *value;

    p++; /* ';' */
    while (p < end && is_blank (*p))
        p++;
    k = p;
    while (p < end && (isalnum ((unsigned char)*p) || *p == '_' || *p == '-'))
        p++;
    kend = p;
    if (kend == k || p >= end || *p != ':')
        return 0;
    v = p + 1;
    while (v < end && is_blank (*v))
        v++;
    vend = end;
    while (vend > v && is_blank (vend[-1]))
        vend--;
    if (!(key = strndup (k, kend - k)) || !(value = strndup (v, vend - v))) {
        free (key);
        return -1;
    }
    if (machine_size_key (key) && check_machine_size (s, key, value, err) < 0) {
        free (key);
        free (value);
        return -1;
    }
    for (size_t i = 0; i < s->nhdr; i++) {
        if (!strcmp (s->hdr[i].key, key)) {
            free (s->hdr[i].value);
            s->hdr[i].value = value;
            free (key);
            return 0;
        }
    }
    if (!(hdr = realloc (s->hdr, (s->nhdr + 1) * sizeof (*hdr)))) {
        free (key);
        free (value);
        return -1;
    }
    s->hdr = hdr;
    s->hdr[s->nhdr].key = key;
    s->hdr[s->nhdr].value = value;
    s->nhdr++;
    return 0;
}

static int grow (eddy_swf_t *s)
{
    if (s->nall == s->all_size) {
        size_t size = s->all_size ? s->all_size * 2 : 1024;
        struct eddy_swf_job *all = realloc (s->all, size * sizeof (*all));
        if (!all)
            return -1;
        s->all = all;
        s->all_size = size;
    }
    return 0;
}

/* The time fields a replay uses, and how far each may go (swf.h).  A run
 * or request below 0 is not an error: run < 0 is a skip rule and a request
 * <= 0 means "use the run".
 */
static const struct {
    int field;
    const char *name;
    int64_t max;
    bool min_zero;
} bounds[] = {
    {2, "submit", EDDY_SWF_SUBMIT_MAX, true},
    {4, "run", EDDY_SWF_TIME_MAX, false},
    {9, "req", EDDY_SWF_TIME_MAX, false},
};

static int parse_job (eddy_swf_t *s, const char *p, const char *end, eddy_error_t *err)
{
    int64_t f[SWF_FIELDS + 1];
    int n = 0;

    while (p < end) {
        const char *tok;
        while (p < end && is_blank (*p))
            p++;
        if (p >= end)
            break;
        tok = p;
        while (p < end && !is_blank (*p))
            p++;
        if (n == SWF_FIELDS) {
            errno = EINVAL;
            return eddy_error_set (err, "line %zu: more than %d fields", s->lineno,
                                   SWF_FIELDS);
        }
        enum number rc = parse_number (tok, p, &f[n + 1]);
        if (rc != NUM_OK) {
            errno = EINVAL;
            return eddy_error_set (err, "line %zu: field %d: '%.*s' %s", s->lineno,
                                   n + 1, (int)(p - tok > 40 ? 40 : p - tok), tok,
                                   rc == NUM_RANGE ? "does not fit in 64 bits"
                                                   : "is not a number");
        }
        n++;
    }
    if (n < SWF_FIELDS) {
        errno = EINVAL;
        return eddy_error_set (err, "line %zu: %d fields, expected %d", s->lineno, n,
                               SWF_FIELDS);
    }
    for (size_t i = 0; i < sizeof (bounds) / sizeof (bounds[0]); i++) {
        int64_t v = f[bounds[i].field];
        if (v > bounds[i].max || (bounds[i].min_zero && v < 0)) {
            errno = EINVAL;
            if (v < 0)
                return eddy_error_set (
                    err, "line %zu: field %d (%s) = %" PRId64 " is below 0", s->lineno,
                    bounds[i].field, bounds[i].name, v);
            return eddy_error_set (err,
                                   "line %zu: field %d (%s) = %" PRId64
                                   " is beyond the limit %" PRId64 " s",
                                   s->lineno, bounds[i].field, bounds[i].name, v,
                                   bounds[i].max);
        }
    }
    if (grow (s) < 0)
        return -1;
    struct eddy_swf_job *j = &s->all[s->nall++];
    j->id = f[1];
    j->submit = (double)f[2];
    j->run = (double)f[4];
    j->procs = f[8] > 0 ? f[8] : f[5];
    j->req = f[9] > 0 ? (double)f[9] : (double)f[4];
    j->user = f[12];
    j->group = f[13];
    j->queue = f[15];
    j->line = s->lineno;
    return 0;
}

int eddy_swf_feed (eddy_swf_t *s, const char *line, size_t len, eddy_error_t *err)
{
    const char *p = line, *end = line + len;

    if (!s || (!line && len)) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid argument");
    }
    s->lineno++;
    if (len && memchr (line, '\0', len)) {
        errno = EINVAL;
        return eddy_error_set (err, "line %zu: contains a NUL byte", s->lineno);
    }
    while (p < end && is_blank (*p))
        p++;
    if (p == end)
        return 0;
    if (*p == ';')
        return parse_header (s, p, end, err);
    return parse_job (s, p, end, err);
}

int eddy_swf_feed_text (eddy_swf_t *s, const char *text, size_t len, eddy_error_t *err)
{
    const char *p = text, *end = text + len;

    if (!s || (!text && len)) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid argument");
    }
    while (p < end) {
        const char *nl = memchr (p, '\n', end - p);
        const char *eol = nl ? nl : end;
        if (eddy_swf_feed (s, p, eol - p, err) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

const char *eddy_swf_header (const eddy_swf_t *s, const char *key)
{
    for (size_t i = 0; s && key && i < s->nhdr; i++)
        if (!strcmp (s->hdr[i].key, key))
            return s->hdr[i].value;
    errno = ENOENT;
    return NULL;
}

static int64_t header_int (const eddy_swf_t *s, const char *key)
{
    const char *v = eddy_swf_header (s, key);
    int64_t n;

    if (!v || header_number (v, &n) != NUM_OK || n <= 0)
        return -1;
    return n;
}

int64_t eddy_swf_max_procs (const eddy_swf_t *s)
{
    return header_int (s, "MaxProcs");
}

int64_t eddy_swf_max_nodes (const eddy_swf_t *s)
{
    return header_int (s, "MaxNodes");
}

int eddy_swf_finish (eddy_swf_t *s, int64_t procs, eddy_error_t *err)
{
    struct eddy_swf_job *kept;

    if (!s || procs < 0) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid argument");
    }
    if (procs > EDDY_SWF_PROCS_MAX) {
        errno = EINVAL;
        return eddy_error_set (
            err, "a machine of %" PRId64 " processors is beyond the limit %d", procs,
            EDDY_SWF_PROCS_MAX);
    }
    if (procs == 0 && (procs = eddy_swf_max_procs (s)) <= 0) {
        errno = EINVAL;
        return eddy_error_set (
            err, "no usable MaxProcs in the header: give the machine size");
    }
    if (!(kept = malloc ((s->nall ? s->nall : 1) * sizeof (*kept))))
        return -1;
    free (s->kept);
    s->kept = kept;
    s->nkept = 0;
    s->procs = procs;
    memset (s->skipped, 0, sizeof (s->skipped));
    for (size_t i = 0; i < s->nall; i++) {
        const struct eddy_swf_job *j = &s->all[i];
        if (j->procs <= 0)
            s->skipped[EDDY_SWF_SKIP_NO_PROCS]++;
        else if (j->procs > procs)
            s->skipped[EDDY_SWF_SKIP_TOO_BIG]++;
        else if (j->run < 0)
            s->skipped[EDDY_SWF_SKIP_NO_RUN]++;
        else
            s->kept[s->nkept++] = *j;
    }
    return 0;
}

int64_t eddy_swf_procs (const eddy_swf_t *s)
{
    return s ? s->procs : 0;
}

const struct eddy_swf_job *eddy_swf_jobs (const eddy_swf_t *s, size_t *count)
{
    if (count)
        *count = s ? s->nkept : 0;
    return s ? s->kept : NULL;
}

size_t eddy_swf_skipped (const eddy_swf_t *s, eddy_swf_skip_t reason)
{
    if (!s || (int)reason < 0 || reason >= EDDY_SWF_SKIP_NREASONS)
        return 0;
    return s->skipped[reason];
}

size_t eddy_swf_lines (const eddy_swf_t *s)
{
    return s ? s->nall : 0;
}

const char *eddy_swf_skip_name (eddy_swf_skip_t reason)
{
    if ((int)reason < 0 || reason >= EDDY_SWF_SKIP_NREASONS)
        return "unknown";
    return skip_names[reason];
}
