/* pmi_wire.c - tokenizing simple PMI-1 lines (see pmi_wire.h).  No
 * allocation: a line is copied into the caller's struct and cut in place.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "exec/pmi_wire.h"

/* Keys are what clients make them (MPICH's hold '-' and digits, others
 * '.' or ':'): any printable byte but space and '='.
 */
static int key_char (char ch)
{
    return (unsigned char)ch > ' ' && (unsigned char)ch < 0x7f && ch != '=';
}

int pmi_wire_valid_key (const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!key_char (s[i]))
            return 0;
    return 1;
}

int pmi_wire_valid_word (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

int pmi_wire_valid_value (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

static int proto (void)
{
    errno = EPROTO;
    return -1;
}

int pmi_wire_parse (const char *line, size_t len, struct pmi_wire_cmd *c)
{
    char *p, *end;

    if (len >= PMI_WIRE_MAXLINE) {
        errno = EMSGSIZE;
        return -1;
    }
    /* printable ASCII and spaces only: a NUL would cut the copy short and a
     * control byte has no business in a key or value */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < ' ' || (unsigned char)line[i] >= 0x7f)
            return proto ();
    memcpy (c->buf, line, len);
    c->buf[len] = '\0';
    c->cmd = NULL;
    c->rest = NULL;
    c->ntokens = 0;
    p = c->buf;
    end = c->buf + len;
    while (p < end && *p == ' ')
        p++;
    if (strncmp (p, "cmd=", 4) != 0)
        return proto ();
    p += 4;
    c->cmd = p;
    while (p < end && *p != ' ')
        p++;
    if (p == c->cmd || !pmi_wire_valid_key (c->cmd, (size_t)(p - c->cmd)))
        return proto ();
    if (p < end)
        *p++ = '\0';
    if (!strcmp (c->cmd, "abort")) {
        while (p < end && *p == ' ')
            p++;
        c->rest = p;
        return 0;
    }
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        if (!strncmp (p, "value=", 6)) {
            /* the last token: its value is the rest of the line, spaces
             * and all (Open MPI's encodings hold spaces; Flux reads the
             * value so too) */
            if (c->ntokens == PMI_WIRE_MAXTOKENS || pmi_wire_get (c, "value"))
                return proto ();
            p[5] = '\0';
            c->key[c->ntokens] = p;
            c->value[c->ntokens] = p + 6;
            c->ntokens++;
            break;
        }
        char *tok = p, *eq = NULL;
        while (p < end && *p != ' ') {
            if (*p == '=' && !eq)
                eq = p;
            p++;
        }
        if (p < end)
            *p++ = '\0';
        if (!eq || !pmi_wire_valid_key (tok, (size_t)(eq - tok)))
            return proto ();
        *eq = '\0';
        if (c->ntokens == PMI_WIRE_MAXTOKENS || pmi_wire_get (c, tok))
            return proto ();
        c->key[c->ntokens] = tok;
        c->value[c->ntokens] = eq + 1;
        c->ntokens++;
    }
    return 0;
}

const char *pmi_wire_get (const struct pmi_wire_cmd *c, const char *key)
{
    for (int i = 0; i < c->ntokens; i++)
        if (!strcmp (c->key[i], key))
            return c->value[i];
    return NULL;
}

int pmi_wire_get_int (const struct pmi_wire_cmd *c, const char *key, int *v)
{
    const char *s = pmi_wire_get (c, key);
    char *end;
    long n;

    if (!s || !*s)
        return proto ();
    errno = 0;
    n = strtol (s, &end, 10);
    if (errno || *end || n < INT_MIN || n > INT_MAX)
        return proto ();
    *v = (int)n;
    return 0;
}
