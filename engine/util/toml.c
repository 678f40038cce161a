/* toml.c - TOML 1.0 parser building jansson values.
 *
 * One recursive-descent pass over a UTF-8-checked buffer.  TOML's rules on
 * which tables may be (re)opened depend on how each table was created, which
 * jansson cannot record, so a side map keyed by container remembers it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/toml.h"

/* How a container came to be.  Tables carry one creation flag (IMPLICIT,
 * HEADER or DOTTED, or none while an inline table is being filled); an
 * implicit table gains HEADER when a [header] defines it later.
 */
enum {
    T_IMPLICIT = 1 << 0, /* parent in a [a.b.c] header path */
    T_HEADER = 1 << 1,   /* defined by [header] or as a [[header]] element */
    T_DOTTED = 1 << 2,   /* created by a dotted key a.b = 1 */
    T_INLINE = 1 << 3,   /* a closed inline table: immutable */
    T_AOT = 1 << 4,      /* an array made by [[header]] (others are static) */
};

/* Open-addressing map from container to its flags.  Lookups only, never
 * iterated, so pointer values cannot leak into the result.
 */
struct slot {
    const json_t *key;
    unsigned flags;
};

struct flagmap {
    struct slot *slots;
    size_t mask; /* capacity - 1, capacity a power of two */
    size_t count;
};

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    size_t origin; /* first byte after a BOM */
    const char *name;
    eddy_error_t *err;
    int errnum; /* first failure wins */
    struct flagmap map;
    struct buf keys; /* key parts, used as a stack across recursion */
    struct buf text; /* scratch for one string, number or date */
    json_t *root;
};

static const char datetime_kinds[][16] = {
    "datetime",
    "datetime-local",
    "date-local",
    "time-local",
};

enum { DT_OFFSET, DT_LOCAL, DT_DATE, DT_TIME };

/* Errors */

static void position (const struct parser *p, size_t at, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = p->origin; i < at && i < p->len; i++) {
        unsigned char ch = p->s[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80)
            c++;
    }
    *line = l;
    *col = c;
}

static int fail (struct parser *p, size_t at, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int fail (struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->errnum)
        return -1;
    p->errnum = EINVAL;
    if (p->err) {
        char msg[sizeof (p->err->text)];
        size_t line, col;
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (msg, sizeof (msg), fmt, ap);
        va_end (ap);
        position (p, at, &line, &col);
        eddy_error_set (p->err, "%s:%zu:%zu: %s", p->name, line, col, msg);
    }
    return -1;
}

static int nomem (struct parser *p)
{
    if (!p->errnum) {
        p->errnum = ENOMEM;
        eddy_error_set (p->err, "%s: out of memory", p->name);
    }
    return -1;
}

/* Describe the character at `at` for a message. */
static void describe (const struct parser *p, size_t at, char *out, size_t size)
{
    if (at >= p->len) {
        snprintf (out, size, "end of input");
        return;
    }
    unsigned char c = p->s[at];
    if (c == '\n')
        snprintf (out, size, "newline");
    else if (c == '\r')
        snprintf (out, size, "carriage return");
    else if (c == ' ')
        snprintf (out, size, "space");
    else if (c == '\t')
        snprintf (out, size, "tab");
    else if (c > 0x20 && c < 0x7f)
        snprintf (out, size, "'%c'", c);
    else if (c < 0x80)
        snprintf (out, size, "control character U+%04X", c);
    else {
        /* The buffer is valid UTF-8 by now: decode for U+XXXX. */
        unsigned cp = c >= 0xF0 ? c & 0x07 : c >= 0xE0 ? c & 0x0F : c & 0x1F;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        for (int k = 1; k <= extra && at + k < p->len; k++)
            cp = (cp << 6) | ((unsigned char)p->s[at + k] & 0x3F);
        snprintf (out, size, "U+%04X", cp);
    }
}

static int unexpected (struct parser *p, const char *wanted)
{
    char what[32];
    describe (p, p->pos, what, sizeof (what));
    return fail (p, p->pos, "expected %s, found %s", wanted, what);
}

/* Quote source text [from, to) in a message, at most 60 bytes of it. */
#define SRC_FMT "%.*s%s"
#define SRC_ARGS(p, from, to)                                                          \
    (int)((to) - (from) > 60 ? 60 : (to) - (from)), (p)->s + (from),                   \
        ((to) - (from) > 60 ? "..." : "")

/* Small containers */

static int buf_push (struct parser *p, struct buf *b, const char *data, size_t n)
{
    if (b->cap - b->len < n || !b->data) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2)
                return nomem (p);
            cap *= 2;
        }
        char *d = realloc (b->data, cap);
        if (!d)
            return nomem (p);
        b->data = d;
        b->cap = cap;
    }
    memcpy (b->data + b->len, data, n);
    b->len += n;
    return 0;
}

static int buf_putc (struct parser *p, struct buf *b, char c)
{
    return buf_push (p, b, &c, 1);
}

static size_t map_hash (const json_t *k)
{
    uint64_t x = (uint64_t)(uintptr_t)k;
    x ^= x >> 33;
    x *= UINT64_C (0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x;
}

static struct slot *map_find (const struct flagmap *m, const json_t *k)
{
    if (!m->slots)
        return NULL;
    for (size_t i = map_hash (k) & m->mask;; i = (i + 1) & m->mask) {
        if (m->slots[i].key == k)
            return &m->slots[i];
        if (!m->slots[i].key)
            return NULL;
    }
}

static int map_put (struct parser *p, const json_t *k, unsigned flags)
{
    struct flagmap *m = &p->map;
    if (!m->slots || (m->count + 1) * 2 > m->mask + 1) {
        size_t cap = m->slots ? (m->mask + 1) * 2 : 64;
        struct slot *slots = calloc (cap, sizeof (*slots));
        if (!slots)
            return nomem (p);
        for (size_t i = 0; m->slots && i <= m->mask; i++) {
            if (!m->slots[i].key)
                continue;
            size_t j = map_hash (m->slots[i].key) & (cap - 1);
            while (slots[j].key)
                j = (j + 1) & (cap - 1);
            slots[j] = m->slots[i];
        }
        free (m->slots);
        m->slots = slots;
        m->mask = cap - 1;
    }
    size_t i = map_hash (k) & m->mask;
    while (m->slots[i].key && m->slots[i].key != k)
        i = (i + 1) & m->mask;
    if (!m->slots[i].key)
        m->count++;
    m->slots[i].key = k;
    m->slots[i].flags = flags;
    return 0;
}

/* True if v is a table (not a date/time object); its flags in *flags. */
static bool is_table (const struct parser *p, const json_t *v, unsigned *flags)
{
    struct slot *s;
    if (!json_is_object (v) || !(s = map_find (&p->map, v)))
        return false;
    *flags = s->flags;
    return true;
}

static bool is_aot (const struct parser *p, const json_t *v)
{
    struct slot *s;
    return json_is_array (v) && (s = map_find (&p->map, v)) && (s->flags & T_AOT);
}

static int check_depth (struct parser *p, int depth, size_t at)
{
    if (depth > EDDY_TOML_MAX_DEPTH)
        return fail (p, at, "nesting deeper than %d levels", EDDY_TOML_MAX_DEPTH);
    return 0;
}

/* Create a container with `flags` (json_object or json_array per `make`) at
 * nesting level `depth` and store it under key in `parent`; the parent owns
 * it.  Returns NULL on failure.
 */
static json_t *add_container (struct parser *p,
                              json_t *parent,
                              const char *key,
                              size_t klen,
                              json_t *(*make) (void),
                              unsigned flags,
                              int depth,
                              size_t at)
{
    json_t *c;
    if (check_depth (p, depth, at) < 0)
        return NULL;
    if (!(c = make ())) {
        nomem (p);
        return NULL;
    }
    if (map_put (p, c, flags) < 0) {
        json_decref (c);
        return NULL;
    }
    if (json_object_setn_new (parent, key, klen, c) < 0) {
        nomem (p);
        return NULL;
    }
    return c;
}

/* Whitespace, comments, newlines */

static int peek (const struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int peek_at (const struct parser *p, size_t k)
{
    return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

static bool is_control (unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool is_bare (int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static bool is_digit (int c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws (struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

/* Consume LF or CRLF if it is next. */
static bool eat_newline (struct parser *p)
{
    if (peek (p) == '\n') {
        p->pos++;
        return true;
    }
    if (peek (p) == '\r' && peek_at (p, 1) == '\n') {
        p->pos += 2;
        return true;
    }
    return false;
}

static int skip_comment (struct parser *p)
{
    if (peek (p) != '#')
        return 0;
    for (p->pos++; p->pos < p->len; p->pos++) {
        unsigned char c = p->s[p->pos];
        if (c == '\n' || (c == '\r' && peek_at (p, 1) == '\n'))
            break;
        if (is_control (c))
            return fail (p, p->pos, "control character U+%04X in comment", c);
    }
    return 0;
}

/* After a key/value pair or a header: only a comment may follow. */
static int end_line (struct parser *p)
{
    skip_ws (p);
    if (skip_comment (p) < 0)
        return -1;
    if (p->pos >= p->len || eat_newline (p))
        return 0;
    return unexpected (p, "end of line");
}

/* Inside arrays: whitespace, newlines and comments. */
static int skip_blank (struct parser *p)
{
    for (;;) {
        skip_ws (p);
        if (peek (p) == '#') {
            if (skip_comment (p) < 0)
                return -1;
        } else if (!eat_newline (p))
            return 0;
    }
}

/* UTF-8 */

static int check_utf8 (struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = p->origin;
    while (i < p->len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else
            return fail (p, i, "invalid UTF-8 byte 0x%02X", c);
        if (p->len - i <= need)
            return fail (p, i, "truncated UTF-8 sequence");
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return fail (p, i, "invalid UTF-8 sequence");
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail (p, i, "invalid UTF-8 sequence");
        i += need + 1;
    }
    return 0;
}

static int put_utf8 (struct parser *p, struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_push (p, b, u, n);
}

/* Strings */

static int hexval (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* p->pos is at a backslash in a basic string. */
static int escape (struct parser *p, struct buf *out, bool multi)
{
    size_t at = p->pos;
    int c = peek_at (p, 1);
    static const char names[] = "btnfr\"\\";
    static const char chars[] = "\b\t\n\f\r\"\\";
    const char *e = c > 0 ? strchr (names, c) : NULL;
    if (e && *e) {
        p->pos += 2;
        return buf_putc (p, out, chars[e - names]);
    }
    switch (c) {
    case 'u':
    case 'U': {
        int n = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int k = 0; k < n; k++) {
            int h = hexval (peek_at (p, 2 + k));
            if (h < 0)
                return fail (p, at, "\\%c escape needs %d hex digits", c, n);
            cp = (cp << 4) | (uint32_t)h;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail (p, at, "\\%c escape U+%X is not a Unicode scalar value", c,
                         cp);
        p->pos += 2 + n;
        return put_utf8 (p, out, cp);
    }
    default:
        if (multi && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            /* Line-ending backslash: trims up to the next non-blank. */
            size_t q = p->pos + 1;
            while (q < p->len && (p->s[q] == ' ' || p->s[q] == '\t'))
                q++;
            p->pos = q;
            if (eat_newline (p)) {
                for (;;) {
                    skip_ws (p);
                    if (!eat_newline (p))
                        return 0;
                }
            }
            p->pos = at;
            return fail (p, at, "only whitespace may follow a line-ending backslash");
        }
        if (c < 0)
            return fail (p, at, "unterminated string");
        p->pos++;
        char what[32];
        describe (p, p->pos, what, sizeof (what));
        p->pos = at;
        return fail (p, at, "invalid escape sequence: backslash then %s", what);
    }
}

/* Count the quote characters q starting at p->pos. */
static size_t quote_run (const struct parser *p, char q)
{
    size_t n = 0;
    while (p->pos + n < p->len && p->s[p->pos + n] == q)
        n++;
    return n;
}

/* Parse a basic ("...") or literal ('...') string, either single-line or
 * multi-line, at p->pos; append its value to out.
 */
static int string (struct parser *p, struct buf *out)
{
    size_t open = p->pos;
    char q = p->s[p->pos];
    bool basic = q == '"';
    bool multi = peek_at (p, 1) == q && peek_at (p, 2) == q;

    p->pos += multi ? 3 : 1;
    if (multi)
        eat_newline (p);
    for (;;) {
        if (p->pos >= p->len)
            return fail (p, open, "unterminated string");
        unsigned char c = p->s[p->pos];
        if (c == (unsigned char)q) {
            if (!multi) {
                p->pos++;
                return 0;
            }
            /* Up to two quotes may sit just inside the closing three. */
            size_t n = quote_run (p, q);
            if (n >= 3) {
                if (n > 5)
                    n = 5;
                if (buf_push (p, out, p->s + p->pos, n - 3) < 0)
                    return -1;
                p->pos += n;
                return 0;
            }
            if (buf_push (p, out, p->s + p->pos, n) < 0)
                return -1;
            p->pos += n;
            continue;
        }
        if (c == '\\' && basic) {
            if (escape (p, out, multi) < 0)
                return -1;
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (!multi)
                return fail (p, p->pos, "newline in a single-line string");
            if (!eat_newline (p))
                return fail (p, p->pos, "carriage return without line feed in string");
            if (buf_putc (p, out, '\n') < 0)
                return -1;
            continue;
        }
        if (is_control (c))
            return fail (p, p->pos, "control character U+%04X in string", c);
        size_t start = p->pos;
        while (p->pos < p->len) {
            c = p->s[p->pos];
            if (c == (unsigned char)q || (c == '\\' && basic) || c == '\n' ||
                c == '\r' || is_control (c))
                break;
            p->pos++;
        }
        if (buf_push (p, out, p->s + start, p->pos - start) < 0)
            return -1;
    }
}

/* Keys */

/* Parse one key part at p->pos onto the p->keys stack: its text is at
 * *off, *len bytes.
 */
static int key_part (struct parser *p, size_t *off, size_t *len)
{
    int c = peek (p);
    *off = p->keys.len;
    if (c == '"' || c == '\'') {
        if (peek_at (p, 1) == c && peek_at (p, 2) == c)
            return fail (p, p->pos, "a multi-line string cannot be a key");
        if (string (p, &p->keys) < 0)
            return -1;
    } else {
        size_t start = p->pos;
        while (p->pos < p->len && is_bare ((unsigned char)p->s[p->pos]))
            p->pos++;
        if (p->pos == start)
            return unexpected (p, "a key");
        if (buf_push (p, &p->keys, p->s + start, p->pos - start) < 0)
            return -1;
    }
    *len = p->keys.len - *off;
    return 0;
}

static json_t *value (struct parser *p, int depth);

/* Parse `key = value` at p->pos into `tbl`, which sits at nesting `depth`. */
static int keyval (struct parser *p, json_t *tbl, int depth)
{
    size_t mark = p->keys.len;
    size_t kstart = p->pos, kpos, kend, off, klen;
    json_t *v;

    for (;;) {
        kpos = p->pos;
        if (key_part (p, &off, &klen) < 0)
            goto error;
        kend = p->pos;
        skip_ws (p);
        if (peek (p) != '.')
            break;
        p->pos++;
        skip_ws (p);
        /* A dotted key walks only through tables dotted keys made. */
        const char *k = p->keys.data + off;
        json_t *child = json_object_getn (tbl, k, klen);
        unsigned f;
        if (!child) {
            child =
                add_container (p, tbl, k, klen, json_object, T_DOTTED, depth + 1, kpos);
            if (!child)
                goto error;
        } else if (!is_table (p, child, &f)) {
            fail (p, kpos, "'" SRC_FMT "' is %s, not a table",
                  SRC_ARGS (p, kstart, kend),
                  json_is_array (child) ? "an array" : "a value");
            goto error;
        } else if ((f & T_INLINE) || !(f & T_DOTTED)) {
            fail (p, kpos, "table '" SRC_FMT "' is already defined%s",
                  SRC_ARGS (p, kstart, kend),
                  (f & T_INLINE) ? " as an inline table" : "");
            goto error;
        }
        tbl = child;
        depth++;
        p->keys.len = mark;
    }
    if (peek (p) != '=') {
        unexpected (p, "'=' after the key");
        goto error;
    }
    p->pos++;
    skip_ws (p);
    if (json_object_getn (tbl, p->keys.data + off, klen)) {
        fail (p, kpos, "duplicate key '" SRC_FMT "'", SRC_ARGS (p, kstart, kend));
        goto error;
    }
    if (!(v = value (p, depth)))
        goto error;
    /* value () may have grown (moved) p->keys: index it afresh. */
    if (json_object_setn_new (tbl, p->keys.data + off, klen, v) < 0) {
        nomem (p);
        goto error;
    }
    p->keys.len = mark;
    return 0;
error:
    p->keys.len = mark;
    return -1;
}

/* Parse a [table] or [[array]] header at p->pos; make *cur the table that
 * following key/value pairs fill.
 */
static int header (struct parser *p, json_t **cur, int *cur_depth)
{
    size_t mark = p->keys.len;
    bool aot = peek_at (p, 1) == '[';
    json_t *tbl = p->root;
    int depth = 1;
    size_t kstart, kpos, kend, off, klen;

    p->pos += aot ? 2 : 1;
    skip_ws (p);
    kstart = p->pos;
    for (;;) {
        kpos = p->pos;
        if (key_part (p, &off, &klen) < 0)
            goto error;
        kend = p->pos;
        skip_ws (p);
        bool last = peek (p) != '.';
        if (!last) {
            p->pos++;
            skip_ws (p);
        }
        const char *k = p->keys.data + off;
        json_t *child = json_object_getn (tbl, k, klen);
        unsigned f = 0;
        bool table = child && is_table (p, child, &f);

        if (!last) {
            if (!child) {
                child = add_container (p, tbl, k, klen, json_object, T_IMPLICIT,
                                       depth + 1, kpos);
                if (!child)
                    goto error;
                depth++;
            } else if (table && !(f & T_INLINE))
                depth++;
            else if (is_aot (p, child)) {
                child = json_array_get (child, json_array_size (child) - 1);
                depth += 2;
            } else {
                fail (p, kpos, "'" SRC_FMT "' is %s", SRC_ARGS (p, kstart, kend),
                      table ? "an inline table and cannot be extended" : "not a table");
                goto error;
            }
            tbl = child;
            p->keys.len = mark;
            continue;
        }
        if (!aot) {
            if (!child) {
                child = add_container (p, tbl, k, klen, json_object, T_HEADER,
                                       depth + 1, kpos);
                if (!child)
                    goto error;
            } else if (table && f == T_IMPLICIT) {
                if (map_put (p, child, T_IMPLICIT | T_HEADER) < 0)
                    goto error;
            } else {
                fail (p, kpos, "%s '" SRC_FMT "' is already defined",
                      table               ? "table"
                      : is_aot (p, child) ? "array of tables"
                                          : "key",
                      SRC_ARGS (p, kstart, kend));
                goto error;
            }
            depth++;
        } else {
            json_t *arr = child, *elem;
            if (!arr) {
                arr =
                    add_container (p, tbl, k, klen, json_array, T_AOT, depth + 1, kpos);
                if (!arr)
                    goto error;
            } else if (!is_aot (p, arr)) {
                fail (p, kpos, "'" SRC_FMT "' is already defined as %s",
                      SRC_ARGS (p, kstart, kend),
                      table                 ? "a table"
                      : json_is_array (arr) ? "a static array"
                                            : "a value");
                goto error;
            }
            if (check_depth (p, depth + 2, kpos) < 0)
                goto error;
            if (!(elem = json_object ())) {
                nomem (p);
                goto error;
            }
            if (map_put (p, elem, T_HEADER) < 0 ||
                json_array_append_new (arr, elem) < 0) {
                nomem (p);
                goto error;
            }
            child = elem;
            depth += 2;
        }
        tbl = child;
        break;
    }
    p->keys.len = mark;
    for (int k = aot ? 2 : 1; k > 0; k--) {
        if (peek (p) != ']')
            return unexpected (p, aot ? "']]' to close the header"
                                      : "']' to close the header");
        p->pos++;
    }
    if (end_line (p) < 0)
        return -1;
    *cur = tbl;
    *cur_depth = depth;
    return 0;
error:
    p->keys.len = mark;
    return -1;
}

/* Scalars other than strings */

/* Check a run of digits with single underscores between digits, starting
 * at t[i]; return the index after it, or -1.  `isd` picks the digit set.
 */
static long digit_run (const char *t, size_t n, size_t i, int (*val) (int), int base)
{
    size_t start = i;
    while (i < n) {
        if (t[i] == '_') {
            if (i == start || i + 1 >= n || val ((unsigned char)t[i + 1]) < 0 ||
                val ((unsigned char)t[i + 1]) >= base)
                return -1;
        } else if (val ((unsigned char)t[i]) < 0 || val ((unsigned char)t[i]) >= base)
            break;
        i++;
    }
    if (i == start)
        return -1;
    return (long)i;
}

static int decval (int c)
{
    return is_digit (c) ? c - '0' : -1;
}

static json_t *integer (struct parser *p, const char *t, size_t n, size_t at)
{
    size_t i = 0;
    bool neg = false;
    int base = 10;
    uint64_t mag = 0;

    if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        i++;
    }
    if (i == n)
        goto invalid;
    if (n - i > 2 && t[i] == '0' &&
        (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
        if (i > 0)
            goto invalid;
        base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        i = 2;
    } else if (t[i] == '0' && n - i > 1)
        goto invalid; /* leading zero */
    long end = digit_run (t, n, i, base == 16 ? hexval : decval, base);
    if (end < 0 || (size_t)end != n)
        goto invalid;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (t[i] == '_')
            continue;
        uint64_t d = (uint64_t)hexval ((unsigned char)t[i]);
        if (mag > (limit - d) / (uint64_t)base) {
            fail (p, at, "integer '" SRC_FMT "' is out of range",
                  SRC_ARGS (p, at, at + n));
            return NULL;
        }
        mag = mag * (uint64_t)base + d;
    }
    json_int_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)mag)
                       : (json_int_t)mag;
    json_t *j = json_integer (v);
    if (!j)
        nomem (p);
    return j;
invalid:
    fail (p, at, "invalid integer '" SRC_FMT "'", SRC_ARGS (p, at, at + n));
    return NULL;
}

static json_t *real (struct parser *p, const char *t, size_t n, size_t at)
{
    size_t i = 0;
    long end;
    double d;
    json_t *j;

    if (t[0] == '+' || t[0] == '-')
        i++;
    if (i == n)
        goto invalid;
    if (n - i == 3 && (!memcmp (t + i, "inf", 3) || !memcmp (t + i, "nan", 3))) {
        /* Not representable as a jansson real: see toml.h. */
        const char *text = t[0] == '-' ? (t[i] == 'i' ? "-inf" : "-nan")
                                       : (t[i] == 'i' ? "inf" : "nan");
        if (!(j = json_pack ("{s:s s:s}", "toml-float", text, "type", "float")))
            nomem (p);
        return j;
    }
    /* int-part, then fraction and/or exponent */
    if (t[i] == '0' && i + 1 < n && (is_digit (t[i + 1]) || t[i + 1] == '_'))
        goto invalid;
    if ((end = digit_run (t, n, i, decval, 10)) < 0)
        goto invalid;
    i = (size_t)end;
    bool frac = false, exp = false;
    if (i < n && t[i] == '.') {
        if ((end = digit_run (t, n, i + 1, decval, 10)) < 0)
            goto invalid;
        i = (size_t)end;
        frac = true;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        if ((end = digit_run (t, n, i, decval, 10)) < 0)
            goto invalid;
        i = (size_t)end;
        exp = true;
    }
    if (i != n || (!frac && !exp))
        goto invalid;
    p->text.len = 0;
    for (i = 0; i < n; i++)
        if (t[i] != '_' && buf_putc (p, &p->text, t[i]) < 0)
            return NULL;
    if (buf_putc (p, &p->text, '\0') < 0)
        return NULL;
    errno = 0;
    d = strtod (p->text.data, NULL);
    if (errno == ERANGE && isinf (d)) {
        fail (p, at, "float '" SRC_FMT "' is out of range", SRC_ARGS (p, at, at + n));
        return NULL;
    }
    if (!(j = json_real (d)))
        nomem (p);
    return j;
invalid:
    fail (p, at, "invalid float '" SRC_FMT "'", SRC_ARGS (p, at, at + n));
    return NULL;
}

/* Read a fixed-width decimal field t[i..i+w); -1 if not all digits. */
static int field (const char *t, size_t n, size_t i, size_t w)
{
    int v = 0;
    if (i + w > n)
        return -1;
    for (size_t k = i; k < i + w; k++) {
        if (!is_digit (t[k]))
            return -1;
        v = v * 10 + (t[k] - '0');
    }
    return v;
}

static int days_in_month (int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Offset date-time, local date-time, local date or local time. */
static json_t *datetime (struct parser *p, const char *t, size_t n, size_t at)
{
    struct buf *out = &p->text;
    size_t i = 0;
    int kind;
    bool date = false;
    json_t *o = NULL, *s;

    out->len = 0;
    if (n >= 5 && t[4] == '-') {
        int y = field (t, n, 0, 4), m = field (t, n, 5, 2), d = field (t, n, 8, 2);
        if (y < 0 || m < 0 || d < 0 || t[7] != '-')
            goto invalid;
        if (m < 1 || m > 12 || d < 1 || d > days_in_month (y, m)) {
            fail (p, at, "no such date '" SRC_FMT "'", SRC_ARGS (p, at, at + 10));
            return NULL;
        }
        if (buf_push (p, out, t, 10) < 0)
            return NULL;
        i = 10;
        date = true;
        if (i == n) {
            kind = DT_DATE;
            goto done;
        }
        if (t[i] != 'T' && t[i] != 't' && t[i] != ' ')
            goto invalid;
        if (buf_putc (p, out, 'T') < 0)
            return NULL;
        i++;
    }
    int hh = field (t, n, i, 2), mm = field (t, n, i + 3, 2),
        ss = field (t, n, i + 6, 2);
    if (hh < 0 || mm < 0 || ss < 0 || t[i + 2] != ':' || t[i + 5] != ':')
        goto invalid;
    if (hh > 23 || mm > 59 || ss > 60) {
        fail (p, at, "no such time '" SRC_FMT "'", SRC_ARGS (p, at, at + i + 8));
        return NULL;
    }
    if (buf_push (p, out, t + i, 8) < 0)
        return NULL;
    i += 8;
    if (i < n && t[i] == '.') {
        size_t j = i + 1;
        while (j < n && is_digit (t[j]))
            j++;
        if (j == i + 1)
            goto invalid;
        if (buf_push (p, out, t + i, j - i) < 0)
            return NULL;
        i = j;
    }
    kind = date ? DT_LOCAL : DT_TIME;
    if (date && i < n) {
        if (t[i] == 'Z' || t[i] == 'z') {
            if (buf_putc (p, out, 'Z') < 0)
                return NULL;
            i++;
        } else if (t[i] == '+' || t[i] == '-') {
            int oh = field (t, n, i + 1, 2), om = field (t, n, i + 4, 2);
            if (oh < 0 || om < 0 || t[i + 3] != ':')
                goto invalid;
            if (oh > 23 || om > 59) {
                fail (p, at, "no such UTC offset in '" SRC_FMT "'",
                      SRC_ARGS (p, at, at + n));
                return NULL;
            }
            if (buf_push (p, out, t + i, 6) < 0)
                return NULL;
            i += 6;
        } else
            goto invalid;
        kind = DT_OFFSET;
    }
    if (i != n)
        goto invalid;
done:
    if (!(o = json_object ()) || !(s = json_stringn (out->data, out->len)) ||
        json_object_set_new (o, "toml-datetime", s) < 0 ||
        json_object_set_new (o, "type", json_string (datetime_kinds[kind])) < 0) {
        json_decref (o);
        nomem (p);
        return NULL;
    }
    return o;
invalid:
    fail (p, at, "invalid date/time '" SRC_FMT "'", SRC_ARGS (p, at, at + n));
    return NULL;
}

static bool is_token (int c)
{
    return is_bare (c) || c == '+' || c == '.' || c == ':';
}

/* Booleans, numbers and dates: scan the whole token, then classify it. */
static json_t *scalar (struct parser *p)
{
    size_t at = p->pos;
    while (p->pos < p->len && is_token ((unsigned char)p->s[p->pos]))
        p->pos++;
    /* A date, a space, then a time is one value. */
    if (p->pos - at == 10 && p->s[at + 4] == '-' && peek (p) == ' ' &&
        is_digit (peek_at (p, 1))) {
        p->pos++;
        while (p->pos < p->len && is_token ((unsigned char)p->s[p->pos]))
            p->pos++;
    }
    const char *t = p->s + at;
    size_t n = p->pos - at;
    json_t *v;

    if (n == 0) {
        unexpected (p, "a value");
        return NULL;
    }
    if ((n == 4 && !memcmp (t, "true", 4)) || (n == 5 && !memcmp (t, "false", 5))) {
        if (!(v = json_boolean (n == 4)))
            nomem (p);
        return v;
    }
    if ((n >= 3 && is_digit (t[0]) && is_digit (t[1]) && t[2] == ':') ||
        (n >= 5 && is_digit (t[0]) && is_digit (t[1]) && is_digit (t[2]) &&
         is_digit (t[3]) && t[4] == '-'))
        return datetime (p, t, n, at);
    size_t i = (t[0] == '+' || t[0] == '-') ? 1 : 0;
    if (i == n || (!is_digit (t[i]) && strncmp (t + i, "inf", n - i) &&
                   strncmp (t + i, "nan", n - i))) {
        fail (p, at, "invalid value '" SRC_FMT "'", SRC_ARGS (p, at, at + n));
        return NULL;
    }
    bool radix = n - i > 1 && t[i] == '0' &&
                 (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b');
    if (!radix && (memchr (t, '.', n) || memchr (t, 'e', n) || memchr (t, 'E', n) ||
                   memchr (t, 'i', n) || memchr (t, 'n', n)))
        return real (p, t, n, at);
    return integer (p, t, n, at);
}

/* Arrays and inline tables */

static json_t *array (struct parser *p, int depth)
{
    size_t open = p->pos;
    json_t *a, *v;

    if (check_depth (p, depth, open) < 0)
        return NULL;
    if (!(a = json_array ())) {
        nomem (p);
        return NULL;
    }
    p->pos++;
    for (;;) {
        if (skip_blank (p) < 0)
            goto error;
        if (peek (p) == ']')
            break;
        if (!(v = value (p, depth)))
            goto error;
        if (json_array_append_new (a, v) < 0) {
            nomem (p);
            goto error;
        }
        if (skip_blank (p) < 0)
            goto error;
        if (peek (p) == ',') {
            p->pos++;
            continue;
        }
        if (peek (p) == ']')
            break;
        if (p->pos >= p->len)
            fail (p, open, "unterminated array");
        else
            unexpected (p, "',' or ']' in array");
        goto error;
    }
    p->pos++;
    return a;
error:
    json_decref (a);
    return NULL;
}

static json_t *inline_table (struct parser *p, int depth)
{
    size_t open = p->pos;
    json_t *t;

    if (check_depth (p, depth, open) < 0)
        return NULL;
    if (!(t = json_object ())) {
        nomem (p);
        return NULL;
    }
    if (map_put (p, t, 0) < 0)
        goto error;
    p->pos++;
    skip_ws (p);
    if (peek (p) != '}') {
        for (;;) {
            if (peek (p) == '\n' || peek (p) == '\r') {
                fail (p, p->pos, "newline in inline table (TOML 1.0 allows none)");
                goto error;
            }
            if (keyval (p, t, depth) < 0)
                goto error;
            skip_ws (p);
            if (peek (p) == ',') {
                p->pos++;
                skip_ws (p);
                if (peek (p) == '}') {
                    fail (p, p->pos, "trailing comma in inline table");
                    goto error;
                }
                continue;
            }
            if (peek (p) == '}')
                break;
            if (p->pos >= p->len)
                fail (p, open, "unterminated inline table");
            else if (peek (p) == '\n' || peek (p) == '\r')
                fail (p, p->pos, "newline in inline table (TOML 1.0 allows none)");
            else
                unexpected (p, "',' or '}' in inline table");
            goto error;
        }
    }
    p->pos++;
    if (map_put (p, t, T_INLINE) < 0)
        goto error;
    return t;
error:
    json_decref (t);
    return NULL;
}

/* Any value, held by a container at nesting `depth`. */
static json_t *value (struct parser *p, int depth)
{
    json_t *v;
    switch (peek (p)) {
    case '"':
    case '\'':
        p->text.len = 0;
        if (string (p, &p->text) < 0)
            return NULL;
        if (!(v = json_stringn (p->text.data ? p->text.data : "", p->text.len)))
            nomem (p);
        return v;
    case '[':
        return array (p, depth + 1);
    case '{':
        return inline_table (p, depth + 1);
    default:
        return scalar (p);
    }
}

/* The document */

json_t *
eddy_toml_parse (const char *buf, size_t len, const char *name, eddy_error_t *err)
{
    struct parser p = {
        .s = buf,
        .len = len,
        .name = name ? name : "<input>",
        .err = err,
    };
    json_t *cur;
    int depth = 1;

    if (!buf && len > 0) {
        errno = EINVAL;
        eddy_error_set (err, "%s: no buffer", p.name);
        return NULL;
    }
    /* Key and text scratch never have a NULL data pointer. */
    if (buf_push (&p, &p.keys, "", 0) < 0 || buf_push (&p, &p.text, "", 0) < 0)
        goto error;
    if (len >= 3 && !memcmp (buf, "\xEF\xBB\xBF", 3))
        p.pos = p.origin = 3;
    if (check_utf8 (&p) < 0)
        goto error;
    if (!(p.root = json_object ()) || map_put (&p, p.root, T_HEADER) < 0) {
        nomem (&p);
        goto error;
    }
    cur = p.root;
    while (p.pos < p.len) {
        skip_ws (&p);
        int c = peek (&p);
        if (c < 0)
            break;
        if (c == '#' || c == '\n' || c == '\r') {
            if (end_line (&p) < 0)
                goto error;
        } else if (c == '[') {
            if (header (&p, &cur, &depth) < 0)
                goto error;
        } else if (keyval (&p, cur, depth) < 0 || end_line (&p) < 0)
            goto error;
    }
    free (p.map.slots);
    free (p.keys.data);
    free (p.text.data);
    return p.root;
error:
    json_decref (p.root);
    free (p.map.slots);
    free (p.keys.data);
    free (p.text.data);
    errno = p.errnum ? p.errnum : EINVAL;
    return NULL;
}

const char *eddy_toml_datetime (const json_t *v, const char **text)
{
    json_t *t, *k;
    if (!json_is_object (v) || json_object_size (v) != 2 ||
        !json_is_string (t = json_object_get (v, "toml-datetime")) ||
        !json_is_string (k = json_object_get (v, "type")))
        return NULL;
    for (size_t i = 0; i < sizeof (datetime_kinds) / sizeof (datetime_kinds[0]); i++) {
        if (!strcmp (json_string_value (k), datetime_kinds[i])) {
            if (text)
                *text = json_string_value (t);
            return datetime_kinds[i];
        }
    }
    return NULL;
}

bool eddy_toml_float (const json_t *v, double *d)
{
    const char *text, *type;
    double x;

    if (json_is_real (v))
        x = json_real_value (v);
    else if (json_is_object (v) && json_object_size (v) == 2 &&
             !json_unpack ((json_t *)v, "{s:s s:s}", "toml-float", &text, "type",
                           &type) &&
             !strcmp (type, "float")) {
        if (!strcmp (text, "inf"))
            x = INFINITY;
        else if (!strcmp (text, "-inf"))
            x = -INFINITY;
        else if (!strcmp (text, "nan"))
            x = NAN;
        else if (!strcmp (text, "-nan"))
            x = -NAN;
        else
            return false;
    } else
        return false;
    if (d)
        *d = x;
    return true;
}
