/* fuzz-pmi.c - libFuzzer target: the PMI-1 wire parser on each line, and
 * one rank's PMI server fed the input as two tasks' byte streams (each
 * byte's chunk goes to the task its first byte picks), with barriers
 * answered at once and both connections closed at the end.  Checks that
 * a parsed line's tokens are well formed and that the server never sends
 * a line without its newline.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/pmi.h"
#include "exec/pmi_wire.h"

struct state {
    pmi_server_t *ps;
    int pending; /* a barrier to answer */
    json_t *puts;
};

static void f_send (void *arg, int task, const char *line, size_t len)
{
    if (len == 0 || line[len - 1] != '\n' || memchr (line, '\n', len) != line + len - 1)
        abort ();
}

static void f_barrier (void *arg, json_t *puts)
{
    struct state *st = arg;
    st->pending = 1;
    json_decref (st->puts);
    st->puts = json_deep_copy (puts);
}

static void f_error (void *arg, int task, const char *why)
{
    if (!why || !*why)
        abort ();
}

static void f_abort (void *arg, int task, int code, const char *msg)
{
    if (!msg)
        abort ();
}

static const struct pmi_server_ops ops = { f_send, f_barrier, f_error, f_abort };

static void parse_lines (const uint8_t *data, size_t size)
{
    static struct pmi_wire_cmd c; /* large: off the stack */
    const char *p = (const char *)data, *end = p + size;

    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (pmi_wire_parse (p, len, &c) == 0) {
            if (!c.cmd || !pmi_wire_valid_key (c.cmd, strlen (c.cmd)))
                abort ();
            for (int i = 0; i < c.ntokens; i++) {
                /* `value` is the rest of its line (spaces allowed, and
                 * the last token); any other value is one word */
                bool last = !strcmp (c.key[i], "value");
                if (!pmi_wire_valid_key (c.key[i], strlen (c.key[i]))
                    || (last ? !pmi_wire_valid_value (c.value[i], strlen (c.value[i]))
                             : !pmi_wire_valid_word (c.value[i], strlen (c.value[i])))
                    || (last && i != c.ntokens - 1))
                    abort ();
            }
        }
        p += len + 1;
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct state st = { 0 };
    struct pmi_server_info info = { .size = 4, .base = 1, .ntasks = 2, .kvsname = "kvs_1",
                                    .map = "(vector,(0,2,2))" };

    parse_lines (data, size);
    if (!(st.ps = pmi_server_create (&info, &ops, &st)))
        abort ();
    /* chunks: a length byte (low bit = task), then that many bytes */
    size_t i = 0;
    while (i < size) {
        int task = data[i] & 1;
        size_t n = data[i] >> 1;
        i++;
        if (n > size - i)
            n = size - i;
        (void)pmi_server_input (st.ps, task, (const char *)data + i, n);
        i += n;
        if (st.pending) {
            st.pending = 0;
            (void)pmi_server_barrier_done (st.ps, st.puts, (data[0] & 2) ? "failed" : NULL);
        }
    }
    (void)pmi_server_eof (st.ps, 0);
    (void)pmi_server_eof (st.ps, 1);
    pmi_server_destroy (st.ps);
    json_decref (st.puts);
    return 0;
}
