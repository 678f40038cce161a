/* pmi_wire.h - the simple PMI-1 wire protocol (as MPICH's simple PMI client
 * and Flux RFC 13 speak it): one command per line, "cmd=NAME key=value
 * ...\n", tokens separated by spaces.  Parsing and formatting only, no I/O:
 * the server (exec/pmi.h) and libpmi.so (exec/libpmi/) both use it.
 * Everything parsed here comes from outside (a task, or a server), so
 * malformed input is an error, never a crash.
 */
#ifndef EDDY_PMI_WIRE_H
#define EDDY_PMI_WIRE_H

#include <stddef.h>

/* The longest line either side accepts, newline included.  Values are at
 * most PMI_WIRE_VALLEN_MAX bytes, which leaves room for the rest of a put.
 */
#define PMI_WIRE_MAXLINE 2048
#define PMI_WIRE_MAXTOKENS 16
#define PMI_WIRE_KVSNAME_MAX 64
#define PMI_WIRE_KEYLEN_MAX 64
#define PMI_WIRE_VALLEN_MAX 1024

/* One parsed line.  Keys and values point into buf (owned by the struct). */
struct pmi_wire_cmd {
    const char *cmd; /* the value of the first token, which is cmd= */
    int ntokens;     /* key=value tokens after the first */
    const char *key[PMI_WIRE_MAXTOKENS];
    const char *value[PMI_WIRE_MAXTOKENS];
    const char *rest; /* cmd=abort only: the text after "cmd=abort ", or "" */
    char buf[PMI_WIRE_MAXLINE];
};

/* Parse one line of len bytes (without its newline; a trailing '\r' is
 * not allowed either).  A line is "cmd=NAME" then key=value tokens: keys
 * non-empty printable ASCII without space or '='; values any printable ASCII but space
 * (they may be empty and hold '='), except the value of `value`, which is
 * the rest of the line, spaces included: every writer puts it last (a put,
 * a get_result), and Open MPI's PMI-1 encodings hold spaces; one space
 * between tokens (more are tolerated, as MPICH writes none and hydra may
 * pad).  A key given twice
 * is an error.  cmd=abort is the exception: the text after it is kept
 * whole in rest (its message may hold spaces) and tokens are not split.
 * 0 on success; -1 with errno EPROTO (malformed: NUL or control bytes, no
 * cmd= first, a token without '=', too many tokens, a repeated key) or
 * EMSGSIZE (len >= PMI_WIRE_MAXLINE).
 */
int pmi_wire_parse (const char *line, size_t len, struct pmi_wire_cmd *c);

/* The value of key in c, or NULL. */
const char *pmi_wire_get (const struct pmi_wire_cmd *c, const char *key);

/* key's value as a decimal int into *v (optional sign, no spaces); -1 +
 * EPROTO if missing or not a number in int's range.
 */
int pmi_wire_get_int (const struct pmi_wire_cmd *c, const char *key, int *v);

/* True if s (len bytes) can be a value on the wire as `value` carries it
 * (printable ASCII, spaces included) or a key (as above) respectively.
 */
int pmi_wire_valid_value (const char *s, size_t len);
/* ...and any other token's value (printable, no space: a kvsname). */
int pmi_wire_valid_word (const char *s, size_t len);
int pmi_wire_valid_key (const char *s, size_t len);

#endif /* !EDDY_PMI_WIRE_H */
