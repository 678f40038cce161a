/* swf.c - Standard Workload Format parsing: header fields, 18-field job
 * lines, DESIGN.md's field choices and skip rules.  No I/O.
 */
#include <ctype.h>
#include <errno.h>
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

/* "; Key: value" -> a header field; anything else after ';' is a comment. */
static int parse_header (eddy_swf_t *s, const char *p, const char *end)
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

/* A number: [+-]digits[.digits], truncated toward zero to an integer. */
static bool parse_number (const char *p, const char *end, int64_t *val)
{
    bool neg = false;
    int64_t v = 0;
    const char *digits;

    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    digits = p;
    while (p < end && isdigit ((unsigned char)*p)) {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        p++;
    }
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && isdigit ((unsigned char)*p))
            p++;
        if (p == frac && frac - 1 == digits)
            return false; /* "." alone */
    } else if (p == digits)
        return false;
    if (p != end)
        return false;
    *val = neg ? -v : v;
    return true;
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
        if (!parse_number (tok, p, &f[n + 1])) {
            errno = EINVAL;
            return eddy_error_set (err, "line %zu: field %d: '%.*s' is not a number",
                                   s->lineno, n + 1, (int)(p - tok > 40 ? 40 : p - tok),
                                   tok);
        }
        n++;
    }
    if (n < SWF_FIELDS) {
        errno = EINVAL;
        return eddy_error_set (err, "line %zu: %d fields, expected %d", s->lineno, n,
                               SWF_FIELDS);
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
        return parse_header (s, p, end);
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
    const char *end;
    int64_t n;

    if (!v)
        return -1;
    end = v;
    while (*end && !is_blank (*end))
        end++;
    if (!parse_number (v, end, &n) || n <= 0)
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
