/* yaml.c - one YAML document to JSON through libyaml's event API.
 *
 * The event API (rather than libyaml's document loader) is used because it
 * tells plain scalars from tagged or quoted ones, which typing needs.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "sched/yaml.h"

#define MAX_DEPTH 256
#define MAX_VALUES (1u << 20)
#define MAX_ANCHORS 4096

#define TAG_PREFIX "tag:yaml.org,2002:"

struct anchor {
    char *name;
    json_t *value;
    size_t size; /* values in the anchored subtree, charged again per alias */
};

struct frame {
    json_t *value; /* the array or object under construction */
    char *anchor;
    char *key;      /* object: the key waiting for its value */
    bool merge;     /* object: the waiting key is "<<" */
    json_t *merges; /* object: mappings to merge when it ends */
    size_t size;
};

struct loader {
    struct frame stack[MAX_DEPTH];
    int depth;
    struct anchor *anchors;
    int nanchors;
    size_t total;
    json_t *root;
    bool have_root;
    eddy_error_t *err;
    size_t line; /* of the current event, for messages */
    size_t column;
};

static int fail (struct loader *ld, int errnum, const char *what)
{
    eddy_error_set (ld->err, "line %zu column %zu: %s", ld->line, ld->column, what);
    errno = errnum;
    return -1;
}

/* Scalar typing (YAML 1.1 as PyYAML resolves it). */

#define WORD_MAX 8

static bool word_in_n (const char *s,
                       size_t len,
                       const char (*words)[WORD_MAX],
                       size_t nwords)
{
    for (size_t i = 0; i < nwords; i++)
        if (strlen (words[i]) == len && !memcmp (s, words[i], len))
            return true;
    return false;
}

#define word_in(s, len, words) \
    word_in_n ((s), (len), (words), sizeof (words) / sizeof ((words)[0]))

static const char null_words[][WORD_MAX] = {"~", "null", "Null", "NULL", ""};
static const char true_words[][WORD_MAX] = {"yes",  "Yes", "YES", "true", "True",
                                         "TRUE", "on",  "On",  "ON"};
static const char false_words[][WORD_MAX] = {"no",    "No",  "NO",  "false", "False",
                                          "FALSE", "off", "Off", "OFF"};

static int digit_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Accumulate digits of base b (skipping '_') into *acc.
 * Returns number of digits, -1 on a bad character, -2 on overflow.
 */
static int accumulate (const char *s, size_t len, unsigned b, uint64_t *acc)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_')
            continue;
        unsigned d = (unsigned)digit_value (s[i]);
        if (d >= b)
            return -1;
        if (*acc > (UINT64_MAX - d) / b)
            return -2;
        *acc = *acc * b + d;
        n++;
    }
    return n;
}

/* Returns 1 and sets *out if s is a YAML 1.1 int, 0 if it is not one,
 * -1 if it is one but does not fit in int64.
 */
static int parse_int (const char *s, size_t len, int64_t *out)
{
    bool neg = false;
    uint64_t acc = 0;
    int n;

    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    if (len == 0)
        return 0;
    if (len > 2 && s[0] == '0' && s[1] == 'b')
        n = accumulate (s + 2, len - 2, 2, &acc);
    else if (len > 2 && s[0] == '0' && s[1] == 'x')
        n = accumulate (s + 2, len - 2, 16, &acc);
    else if (s[0] == '0')
        n = len == 1 ? 1 : accumulate (s + 1, len - 1, 8, &acc);
    else if (s[0] >= '1' && s[0] <= '9') {
        const char *colon = memchr (s, ':', len);
        if (!colon)
            n = accumulate (s, len, 10, &acc);
        else {
            /* base 60: [1-9][0-9_]*(:[0-5]?[0-9])+ */
            n = accumulate (s, colon - s, 10, &acc);
            const char *p = colon;
            const char *end = s + len;
            while (n > 0 && p < end) {
                const char *q = p + 1;
                size_t k = 0;
                while (q + k < end && q[k] != ':')
                    k++;
                if (k < 1 || k > 2 || (k == 2 && !(q[0] >= '0' && q[0] <= '5')))
                    return 0;
                uint64_t part = 0;
                int m = accumulate (q, k, 10, &part);
                if (m != (int)k)
                    return 0;
                if (acc > (UINT64_MAX - part) / 60)
                    return -1;
                acc = acc * 60 + part;
                p = q + k;
            }
        }
    } else
        return 0;
    if (n == -2)
        return -1;
    if (n <= 0)
        return 0;
    if (neg) {
        if (acc > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    } else {
        if (acc > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)acc;
    }
    return 1;
}

static bool is_digit (char c)
{
    return c >= '0' && c <= '9';
}

/* Returns 1 and sets *out for a YAML 1.1 float, 0 if not one, -1 for
 * inf/nan or out of range (not representable in JSON).
 */
static int parse_float (const char *s, size_t len, double *out)
{
    size_t i = 0;
    char buf[128];
    size_t n = 0;

    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    if (len - i == 4 && s[i] == '.') {
        static const char special[][WORD_MAX] = {"inf", "Inf", "INF",
                                                 "nan", "NaN", "NAN"};
        if (word_in (s + i + 1, 3, special))
            return -1;
    }
    /* digits [._digits] or .digits, then optional e[+-]digits */
    size_t start = i;
    bool int_digits = i < len && is_digit (s[i]);
    while (i < len && (is_digit (s[i]) || (s[i] == '_' && i > start)))
        i++;
    if (i >= len || s[i] != '.')
        return 0;
    i++;
    if (!int_digits && !(i < len && is_digit (s[i])))
        return 0;
    while (i < len && (is_digit (s[i]) || s[i] == '_'))
        i++;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i >= len || (s[i] != '+' && s[i] != '-'))
            return 0;
        i++;
        if (i >= len)
            return 0;
        while (i < len && is_digit (s[i]))
            i++;
    }
    if (i != len)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] == '_')
            continue;
        if (n + 1 >= sizeof (buf))
            return -1;
        buf[n++] = s[i];
    }
    buf[n] = '\0';
    errno = 0;
    *out = strtod (buf, NULL);
    if (errno == ERANGE && isinf (*out))
        return -1;
    return 1;
}

static json_t *scalar_string (struct loader *ld, const char *s, size_t len)
{
    json_t *v;
    if (memchr (s, '\0', len)) {
        fail (ld, EINVAL, "string contains a NUL character");
        return NULL;
    }
    if (!(v = json_stringn (s, len)))
        fail (ld, EINVAL, "string is not valid UTF-8");
    return v;
}

static json_t *
typed_scalar (struct loader *ld, const char *tag, const char *s, size_t len)
{
    int64_t i;
    double d;
    int rc;
    bool any = tag == NULL; /* plain, untagged: resolve implicitly */

    if (tag && strncmp (tag, TAG_PREFIX, strlen (TAG_PREFIX)) != 0) {
        if (!strcmp (tag, "!"))
            return scalar_string (ld, s, len);
        fail (ld, EINVAL, "unsupported tag");
        return NULL;
    }
    const char *t = tag ? tag + strlen (TAG_PREFIX) : "";
    if (tag && !strcmp (t, "str"))
        return scalar_string (ld, s, len);
    if (any || !strcmp (t, "null")) {
        if (word_in (s, len, null_words))
            return json_null ();
    }
    if (any || !strcmp (t, "bool")) {
        if (word_in (s, len, true_words))
            return json_true ();
        if (word_in (s, len, false_words))
            return json_false ();
    }
    if (any || !strcmp (t, "int") || !strcmp (t, "float")) {
        if ((rc = parse_int (s, len, &i)) < 0) {
            fail (ld, ERANGE, "integer out of range");
            return NULL;
        }
        if (rc == 1) {
            if (!strcmp (t, "float"))
                return json_real ((double)i);
            return json_integer (i);
        }
    }
    if (any || !strcmp (t, "float")) {
        if ((rc = parse_float (s, len, &d)) < 0) {
            fail (ld, ERANGE, "real number cannot be represented in JSON");
            return NULL;
        }
        if (rc == 1)
            return json_real (d);
    }
    if (any)
        return scalar_string (ld, s, len);
    if (!strcmp (t, "null") || !strcmp (t, "bool") || !strcmp (t, "int") ||
        !strcmp (t, "float")) {
        fail (ld, EINVAL, "scalar does not match its tag");
        return NULL;
    }
    fail (ld, EINVAL, "unsupported tag");
    return NULL;
}

/* Building the tree. */

static int charge (struct loader *ld, size_t n)
{
    if (n > MAX_VALUES || ld->total + n > MAX_VALUES)
        return fail (ld, EINVAL, "document too large (alias expansion?)");
    ld->total += n;
    return 0;
}

static int add_anchor (struct loader *ld, const char *name, json_t *value, size_t size)
{
    struct anchor *a;
    if (ld->nanchors == MAX_ANCHORS)
        return fail (ld, EINVAL, "too many anchors");
    if (!(a = realloc (ld->anchors, (ld->nanchors + 1) * sizeof (*a))))
        return fail (ld, ENOMEM, "out of memory");
    ld->anchors = a;
    a = &ld->anchors[ld->nanchors];
    if (!(a->name = strdup (name)))
        return fail (ld, ENOMEM, "out of memory");
    a->value = json_incref (value);
    a->size = size;
    ld->nanchors++;
    return 0;
}

static struct anchor *find_anchor (struct loader *ld, const char *name)
{
    for (int i = ld->nanchors - 1; i >= 0; i--)
        if (!strcmp (ld->anchors[i].name, name))
            return &ld->anchors[i];
    return NULL;
}

static bool expecting_key (struct loader *ld)
{
    if (ld->depth == 0)
        return false;
    struct frame *f = &ld->stack[ld->depth - 1];
    return json_is_object (f->value) && !f->key;
}

static int set_key (struct loader *ld, const char *s, size_t len, bool merge)
{
    struct frame *f = &ld->stack[ld->depth - 1];
    if (memchr (s, '\0', len))
        return fail (ld, EINVAL, "mapping key contains a NUL character");
    if (!(f->key = strndup (s, len)))
        return fail (ld, ENOMEM, "out of memory");
    f->merge = merge;
    return 0;
}

/* Place a complete value (steals v) in the current container or as root. */
static int place (struct loader *ld, json_t *v, size_t size)
{
    if (ld->depth == 0) {
        ld->root = v;
        ld->have_root = true;
        return 0;
    }
    struct frame *f = &ld->stack[ld->depth - 1];
    f->size += size;
    if (json_is_array (f->value)) {
        if (json_array_append_new (f->value, v) < 0)
            return fail (ld, ENOMEM, "out of memory");
        return 0;
    }
    char *key = f->key;
    f->key = NULL;
    if (f->merge) {
        int rc = 0;
        if (json_is_object (v))
            rc = json_array_append (f->merges, v);
        else if (json_is_array (v)) {
            size_t i;
            json_t *m;
            json_array_foreach (v, i, m) {
                if (!json_is_object (m))
                    break;
                rc |= json_array_append (f->merges, m);
            }
            if (i < json_array_size (v))
                rc = fail (ld, EINVAL, "merge key value must be mappings");
        } else
            rc = fail (ld, EINVAL, "merge key value must be a mapping");
        json_decref (v);
        free (key);
        return rc < 0 ? -1 : 0;
    }
    if (json_object_get (f->value, key)) {
        char msg[120];
        snprintf (msg, sizeof (msg), "duplicate key '%.80s'", key);
        json_decref (v);
        free (key);
        return fail (ld, EINVAL, msg);
    }
    if (json_object_set_new (f->value, key, v) < 0) {
        free (key);
        return fail (ld, EINVAL, "mapping key is not valid UTF-8");
    }
    free (key);
    return 0;
}

static int on_scalar (struct loader *ld, yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *tag = (const char *)ev->data.scalar.tag;
    json_t *v;

    if (charge (ld, 1) < 0)
        return -1;
    if (expecting_key (ld)) {
        bool merge = plain && !tag && len == 2 && !memcmp (s, "<<", 2);
        if (set_key (ld, s, len, merge) < 0)
            return -1;
        if (ev->data.scalar.anchor) {
            json_t *k = scalar_string (ld, s, len);
            if (!k)
                return -1;
            int rc = add_anchor (ld, (char *)ev->data.scalar.anchor, k, 1);
            json_decref (k);
            return rc;
        }
        return 0;
    }
    if (!plain && !tag)
        v = scalar_string (ld, s, len);
    else
        v = typed_scalar (ld, tag, s, len);
    if (!v)
        return -1;
    if (ev->data.scalar.anchor &&
        add_anchor (ld, (char *)ev->data.scalar.anchor, v, 1) < 0) {
        json_decref (v);
        return -1;
    }
    return place (ld, v, 1);
}

static int on_alias (struct loader *ld, yaml_event_t *ev)
{
    struct anchor *a = find_anchor (ld, (char *)ev->data.alias.anchor);
    json_t *v;

    if (!a)
        return fail (ld, EINVAL, "alias to an undefined (or unfinished) anchor");
    if (charge (ld, a->size) < 0)
        return -1;
    if (expecting_key (ld)) {
        if (!json_is_string (a->value))
            return fail (ld, EINVAL, "mapping key must be a scalar");
        return set_key (ld, json_string_value (a->value), json_string_length (a->value),
                        false);
    }
    if (!(v = json_deep_copy (a->value)))
        return fail (ld, ENOMEM, "out of memory");
    return place (ld, v, a->size);
}

static int on_start (struct loader *ld, bool map, const char *tag, const char *anchor)
{
    struct frame *f;

    if (expecting_key (ld))
        return fail (ld, EINVAL, "mapping key must be a scalar");
    if (tag) {
        const char *want = map ? TAG_PREFIX "map" : TAG_PREFIX "seq";
        if (strcmp (tag, want) != 0 && strcmp (tag, "!") != 0)
            return fail (ld, EINVAL, "unsupported tag");
    }
    if (ld->depth == MAX_DEPTH)
        return fail (ld, EINVAL, "nesting too deep");
    if (charge (ld, 1) < 0)
        return -1;
    f = &ld->stack[ld->depth];
    memset (f, 0, sizeof (*f));
    f->size = 1;
    if (!(f->value = map ? json_object () : json_array ()))
        return fail (ld, ENOMEM, "out of memory");
    if (map && !(f->merges = json_array ())) {
        json_decref (f->value);
        return fail (ld, ENOMEM, "out of memory");
    }
    if (anchor && !(f->anchor = strdup (anchor))) {
        json_decref (f->value);
        json_decref (f->merges);
        return fail (ld, ENOMEM, "out of memory");
    }
    ld->depth++;
    return 0;
}

static void frame_clear (struct frame *f)
{
    json_decref (f->value);
    json_decref (f->merges);
    free (f->anchor);
    free (f->key);
    memset (f, 0, sizeof (*f));
}

static int on_end (struct loader *ld)
{
    struct frame f = ld->stack[ld->depth - 1];
    int rc = -1;

    ld->depth--;
    if (f.merges) {
        size_t i;
        json_t *m;
        json_array_foreach (f.merges, i, m) {
            if (json_object_update_missing (f.value, m) < 0) {
                fail (ld, ENOMEM, "out of memory");
                goto done;
            }
        }
        /* merged keys count once more towards the budget */
        size_t extra = json_object_size (f.value);
        if (charge (ld, extra) < 0)
            goto done;
        f.size += extra;
    }
    if (f.anchor && add_anchor (ld, f.anchor, f.value, f.size) < 0)
        goto done;
    rc = place (ld, json_incref (f.value), f.size);
done:
    frame_clear (&f);
    return rc;
}

static void loader_clear (struct loader *ld)
{
    while (ld->depth > 0)
        frame_clear (&ld->stack[--ld->depth]);
    for (int i = 0; i < ld->nanchors; i++) {
        free (ld->anchors[i].name);
        json_decref (ld->anchors[i].value);
    }
    free (ld->anchors);
    ld->anchors = NULL;
    ld->nanchors = 0;
}

static int parse_error (struct loader *ld, yaml_parser_t *p)
{
    const char *what = p->problem ? p->problem : "syntax error";
    if (p->error == YAML_MEMORY_ERROR)
        return fail (ld, ENOMEM, "out of memory");
    ld->line = p->problem_mark.line + 1;
    ld->column = p->problem_mark.column + 1;
    if (p->context) {
        char msg[160];
        snprintf (msg, sizeof (msg), "%s %s", p->context, what);
        return fail (ld, EINVAL, msg);
    }
    return fail (ld, EINVAL, what);
}

json_t *eddy_yaml_load (const char *buf, size_t len, eddy_error_t *err)
{
    struct loader *ld;
    yaml_parser_t parser;
    yaml_event_t ev;
    int ndocs = 0;
    bool done = false;
    json_t *result = NULL;
    int saved_errno;

    if (!buf && len > 0) {
        eddy_error_set (err, "no input");
        errno = EINVAL;
        return NULL;
    }
    if (!(ld = calloc (1, sizeof (*ld)))) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    ld->err = err;
    if (!yaml_parser_initialize (&parser)) {
        free (ld);
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    yaml_parser_set_input_string (&parser, (const unsigned char *)(buf ? buf : ""),
                                  len);
    while (!done) {
        int rc = 0;
        if (!yaml_parser_parse (&parser, &ev)) {
            parse_error (ld, &parser);
            goto error;
        }
        ld->line = ev.start_mark.line + 1;
        ld->column = ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1)
                rc = fail (ld, EINVAL, "expected a single YAML document");
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar (ld, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = on_alias (ld, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = on_start (ld, false, (char *)ev.data.sequence_start.tag,
                           (char *)ev.data.sequence_start.anchor);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = on_start (ld, true, (char *)ev.data.mapping_start.tag,
                           (char *)ev.data.mapping_start.anchor);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_end (ld);
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete (&ev);
        if (rc < 0)
            goto error;
    }
    if (!ld->have_root) {
        ld->line = ld->column = 1;
        fail (ld, EINVAL, "empty document");
        goto error;
    }
    result = ld->root;
    ld->root = NULL;
    loader_clear (ld);
    yaml_parser_delete (&parser);
    free (ld);
    return result;
error:
    saved_errno = errno;
    json_decref (ld->root);
    loader_clear (ld);
    yaml_parser_delete (&parser);
    free (ld);
    errno = saved_errno;
    return NULL;
}

/* vi: ts=4 sw=4 expandtab
 */
