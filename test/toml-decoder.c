/* toml-decoder.c - toml-test decoder: TOML on stdin, tagged JSON on stdout.
 *
 * Every scalar becomes {"type": T, "value": "<text>"}; exits 1 when the
 * parser rejects the input (the message goes to stderr).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/toml.h"

static json_t *tag (const char *type, const char *text, size_t len)
{
    json_t *v = json_stringn (text, len);
    json_t *o = json_object ();
    if (!o || !v || json_object_set_new (o, "type", json_string (type)) < 0 ||
        json_object_set (o, "value", v) < 0) {
        fprintf (stderr, "toml-decoder: out of memory\n");
        exit (2);
    }
    json_decref (v);
    return o;
}

static json_t *tagged (const json_t *v)
{
    char num[64];
    const char *text, *kind;
    json_t *out;

    switch (json_typeof (v)) {
    case JSON_OBJECT:
        if ((kind = eddy_toml_datetime (v, &text)))
            return tag (kind, text, strlen (text));
        if (eddy_toml_float (v, NULL)) {
            text = json_string_value (json_object_get (v, "toml-float"));
            return tag ("float", text, strlen (text));
        }
        out = json_object ();
        for (void *it = json_object_iter ((json_t *)v); it;
             it = json_object_iter_next ((json_t *)v, it)) {
            size_t klen = json_object_iter_key_len (it);
            if (!out || json_object_setn_new (out, json_object_iter_key (it), klen,
                                              tagged (json_object_iter_value (it))) < 0)
                goto nomem;
        }
        return out;
    case JSON_ARRAY:
        out = json_array ();
        for (size_t i = 0; i < json_array_size (v); i++)
            if (!out || json_array_append_new (out, tagged (json_array_get (v, i))) < 0)
                goto nomem;
        return out;
    case JSON_STRING:
        return tag ("string", json_string_value (v), json_string_length (v));
    case JSON_INTEGER:
        snprintf (num, sizeof (num), "%" JSON_INTEGER_FORMAT, json_integer_value (v));
        return tag ("integer", num, strlen (num));
    case JSON_REAL: {
        double d = json_real_value (v);
        if (isnan (d))
            snprintf (num, sizeof (num), "nan");
        else if (isinf (d))
            snprintf (num, sizeof (num), "%sinf", d < 0 ? "-" : "");
        else
            snprintf (num, sizeof (num), "%.17g", d);
        return tag ("float", num, strlen (num));
    }
    case JSON_TRUE:
        return tag ("bool", "true", 4);
    case JSON_FALSE:
        return tag ("bool", "false", 5);
    case JSON_NULL:
        break;
    }
nomem:
    fprintf (stderr, "toml-decoder: out of memory\n");
    exit (2);
}

int main (int argc, char **argv)
{
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    eddy_error_t err;
    json_t *doc, *out;

    do {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            if (!(buf = realloc (buf, cap))) {
                fprintf (stderr, "toml-decoder: out of memory\n");
                return 2;
            }
        }
        n = fread (buf + len, 1, cap - len, stdin);
        len += n;
    } while (n > 0);
    if (ferror (stdin)) {
        perror ("toml-decoder: stdin");
        return 2;
    }
    if (!(doc = eddy_toml_parse (buf, len, argc > 1 ? argv[1] : "<stdin>", &err))) {
        fprintf (stderr, "toml-decoder: %s\n", err.text);
        free (buf);
        return 1;
    }
    out = tagged (doc);
    if (json_dumpf (out, stdout, JSON_INDENT (1) | JSON_ENCODE_ANY) < 0) {
        fprintf (stderr, "toml-decoder: write error\n");
        return 2;
    }
    putchar ('\n');
    json_decref (out);
    json_decref (doc);
    free (buf);
    return 0;
}
