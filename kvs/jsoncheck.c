/* jsoncheck.c - a non-allocating scan that says "valid" only for text it
 * is sure jansson accepts, and otherwise asks jansson.  The scan never
 * rejects on its own, so the two can only disagree if the scan accepts
 * what jansson refuses: the unit test holds it to jansson on a corpus.
 */
#include <jansson.h>
#include <string.h>

#include "kvs/jsoncheck.h"

#define DEPTH_MAX 512  /* jansson allows 2048: deeper text goes to it */
#define INT_DIGITS 18  /* fits in json_int_t whatever the digits */
#define REAL_CHARS 300 /* no exponent: cannot overflow a double */

enum scan { SURE, UNSURE };

struct cur {
    const char *p, *end;
};

static void skip_ws (struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool is_digit (char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A string at c->p (its opening quote): printable ASCII and the short
 * escapes only.
 */
static enum scan scan_string (struct cur *c)
{
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"')
            return SURE;
        if (ch < 0x20 || ch > 0x7e)
            return UNSURE; /* control bytes (refused) or UTF-8 (checked) */
        if (ch == '\\') {
            if (c->p >= c->end)
                return UNSURE;
            switch (*c->p++) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            default:
                return UNSURE; /* \u (surrogates, NUL) or a bad escape */
            }
        }
    }
    return UNSURE;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)? of bounded length: no exponent. */
static enum scan scan_number (struct cur *c)
{
    const char *start = c->p;
    size_t digits = 0;
    bool real = false;

    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end || !is_digit (*c->p))
        return UNSURE;
    if (*c->p == '0') {
        c->p++;
        digits = 1;
    }
    else
        while (c->p < c->end && is_digit (*c->p)) {
            c->p++;
            digits++;
        }
    if (c->p < c->end && *c->p == '.') {
        real = true;
        c->p++;
        if (c->p >= c->end || !is_digit (*c->p))
            return UNSURE;
        while (c->p < c->end && is_digit (*c->p))
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E' || is_digit (*c->p)))
        return UNSURE; /* an exponent, or a leading zero followed by digits */
    if (real ? (size_t)(c->p - start) > REAL_CHARS : digits > INT_DIGITS)
        return UNSURE;
    return SURE;
}

static enum scan scan_word (struct cur *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp (c->p, w, n) != 0)
        return UNSURE;
    c->p += n;
    return SURE;
}

/* One scalar at c->p, or the opening of a container (pushed). */
static enum scan scan_scalar (struct cur *c)
{
    switch (*c->p) {
    case '"':
        return scan_string (c);
    case 't':
        return scan_word (c, "true", 4);
    case 'f':
        return scan_word (c, "false", 5);
    case 'n':
        return scan_word (c, "null", 4);
    default:
        return scan_number (c);
    }
}

static enum scan scan (const char *s, size_t len)
{
    struct cur c = {s, s + len};
    char stack[DEPTH_MAX]; /* '{' or '[' per open container */
    size_t depth = 0;

    skip_ws (&c);
    for (;;) {
        /* a value */
        if (c.p >= c.end)
            return UNSURE;
        if (*c.p == '{' || *c.p == '[') {
            if (depth == DEPTH_MAX)
                return UNSURE;
            stack[depth++] = *c.p++;
            skip_ws (&c);
            if (c.p < c.end && *c.p == (stack[depth - 1] == '{' ? '}' : ']')) {
                c.p++;
                depth--;
                goto after_value;
            }
            if (stack[depth - 1] == '{')
                goto member;
            continue;
        }
        if (scan_scalar (&c) != SURE)
            return UNSURE;
    after_value:
        skip_ws (&c);
        if (depth == 0)
            return c.p == c.end ? SURE : UNSURE;
        if (c.p >= c.end)
            return UNSURE;
        if (*c.p == ',') {
            c.p++;
            skip_ws (&c);
            if (stack[depth - 1] == '{')
                goto member;
            continue;
        }
        if (*c.p == (stack[depth - 1] == '{' ? '}' : ']')) {
            c.p++;
            depth--;
            goto after_value;
        }
        return UNSURE;
    member:
        /* "key" : then the member's value */
        if (c.p >= c.end || *c.p != '"' || scan_string (&c) != SURE)
            return UNSURE;
        skip_ws (&c);
        if (c.p >= c.end || *c.p != ':')
            return UNSURE;
        c.p++;
        skip_ws (&c);
    }
}

bool eddy_json_check (const char *s, size_t len)
{
    if (!s)
        return false;
    if (scan (s, len) == SURE)
        return true;
    json_t *v = json_loadb (s, len, JSON_DECODE_ANY, NULL);
    bool ok = v != NULL;
    json_decref (v);
    return ok;
}
