/* cmd-content.c - `eddy content` (the content store: load, store, flush,
 * stats, gc) and `eddy hwloc` (this machine's topology as eddy reads it).
 */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "kvs/blobref.h"

static int content_run (int argc, char **argv);
static int hwloc_run (int argc, char **argv);

const struct eddy_cmd cmd_content = {
    .name = "content",
    .usage = "eddy content load BLOBREF | store | flush | stats | gc",
    .summary = "Read and write the content store; its statistics; collect its garbage.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("  load BLOBREF   print the blob (text) BLOBREF names\n"
                       "  store          store stdin (any bytes) as a blob; print its blobref\n"
                       "  flush          return once every store answered so far is durable\n"
                       "  stats          the store's counters (JSON)\n"
                       "  gc             collect garbage now; print what it freed (JSON)\n"),
        EDDY_OPT_END,
    },
    .run = content_run,
};

const struct eddy_cmd cmd_hwloc = {
    .name = "hwloc",
    .usage = "eddy hwloc info | topology",
    .summary = "This machine's cores, PUs and GPUs as eddy's brokers read them (hwloc).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("  info       one line: packages, cores, PUs and GPUs of this machine, and the\n"
                       "             cores a broker here gives the instance\n"
                       "  topology   this machine's topology as hwloc XML\n"),
        EDDY_OPT_END,
    },
    .run = hwloc_run,
};

static void print_json (json_t *o)
{
    char *s = json_dumps (o, JSON_INDENT (2) | JSON_SORT_KEYS);
    printf ("%s\n", s ? s : "{}");
    free (s);
}

static char *read_stdin (size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = xmalloc (cap);
    ssize_t r;
    while ((r = read (0, buf + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (cap - n < 4096) {
            if (cap > ((size_t)1 << 30))
                eddy_cmd_die ("content", "store: input larger than 1 GiB");
            buf = realloc (buf, cap *= 2);
            if (!buf)
                eddy_cmd_die ("content", "out of memory");
        }
    }
    if (r < 0)
        eddy_cmd_die ("content", "store: stdin: %s", strerror (errno));
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int content_run (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_content, NULL, argc, argv);
    if (i >= argc)
        eddy_cmd_usage_error (&cmd_content, NULL,
                              "needs a subcommand: load, store, flush, stats, gc");
    argc -= i - 1;
    argv += i - 1;
    const char *sub = argv[1];
    i = eddy_opt_operands (&cmd_content, sub, argc - 1, argv + 1);
    argc -= i - 1;
    argv += i - 1;
    if (!strcmp (sub, "load")) {
        if (argc != 3)
            eddy_cmd_die ("content", "load: expected BLOBREF");
        eddy_handle_t *h = client_open ("content");
        eddy_future_t *f = client_rpc_take ("content", h, "content.load",
                                            json_pack ("{s:s}", "blobref", argv[2]), 0);
        /* asked without an encoding, the blob comes as base64: any bytes */
        json_t *o = client_rpc_get ("content", f, "content.load"), *data = json_object_get (o, "data");
        const char *enc = json_string_value (json_object_get (o, "encoding"));
        if (!json_is_string (data))
            eddy_cmd_die ("content", "load: the answer has no data");
        if (enc && !strcmp (enc, "utf-8"))
            fwrite (json_string_value (data), 1, json_string_length (data), stdout);
        else {
            size_t n;
            void *bytes = eddy_base64_decode (json_string_value (data), json_string_length (data), &n);
            if (!bytes)
                eddy_cmd_die ("content", "load: the answer's data is not base64");
            fwrite (bytes, 1, n, stdout);
            free (bytes);
        }
        eddy_future_destroy (f);
        client_close (h);
        return 0;
    }
    if (!strcmp (sub, "store")) {
        if (argc != 2)
            eddy_cmd_die ("content", "store: no arguments (the blob is stdin)");
        size_t len;
        char *buf = read_stdin (&len);
        /* as base64, so any bytes go */
        char *b64 = eddy_base64_encode (buf, len);
        if (!b64)
            eddy_cmd_die ("content", "out of memory");
        eddy_handle_t *h = client_open ("content");
        eddy_future_t *f = client_rpc_take ("content", h, "content.store",
                                            json_pack ("{s:s}", "data", b64), 0);
        free (b64);
        json_t *o = client_rpc_get ("content", f, "content.store");
        const char *ref = NULL;
        json_t *refs = json_object_get (o, "blobrefs");
        if (json_unpack (o, "{s:s}", "blobref", &ref) < 0 && json_is_array (refs))
            ref = json_string_value (json_array_get (refs, 0));
        if (!ref)
            eddy_cmd_die ("content", "store: no blobref in the answer");
        printf ("%s\n", ref);
        free (buf);
        eddy_future_destroy (f);
        client_close (h);
        return 0;
    }
    if (!strcmp (sub, "flush") || !strcmp (sub, "stats") || !strcmp (sub, "gc")) {
        if (argc != 2)
            eddy_cmd_die ("content", "%s: no arguments", sub);
        /* flush: every store is answered once durable (docs/protocols.md),
         * so what was answered is on disk; a round trip behind them is all */
        const char *topic = !strcmp (sub, "gc") ? "content.gc" : "content.stats";
        eddy_handle_t *h = client_open ("content");
        eddy_future_t *f = client_rpc ("content", h, topic, NULL, 0);
        json_t *o = client_rpc_get ("content", f, topic);
        if (strcmp (sub, "flush"))
            print_json (o);
        eddy_future_destroy (f);
        client_close (h);
        return 0;
    }
    eddy_cmd_die ("content", "unknown subcommand '%s' (load, store, flush, stats, gc)", sub);
}

static int hwloc_run (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_hwloc, NULL, argc, argv);
    if (i < argc)
        i += eddy_opt_operands (&cmd_hwloc, argv[i], argc - i, argv + i) - 1;
    if (i >= argc)
        eddy_cmd_usage_error (&cmd_hwloc, NULL, "needs a subcommand: info, topology");
    eddy_cmd_operands (&cmd_hwloc, argv[i], argc, argv, i + 1, 0, 0, NULL);
    argv += i - 1;
    hwloc_topology_t topo;
    if (hwloc_topology_init (&topo) < 0)
        eddy_cmd_die ("hwloc", "hwloc_topology_init: %s", strerror (errno));
    hwloc_topology_set_io_types_filter (topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    if (hwloc_topology_load (topo) < 0)
        eddy_cmd_die ("hwloc", "hwloc_topology_load: %s", strerror (errno));
    int rc = 0;
    if (!strcmp (argv[1], "info")) {
        int pk = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PACKAGE);
        int cores = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_CORE);
        int pus = hwloc_get_nbobjs_by_type (topo, HWLOC_OBJ_PU);
        int gpus = 0;
        for (hwloc_obj_t o = hwloc_get_next_osdev (topo, NULL); o; o = hwloc_get_next_osdev (topo, o))
            if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC)
                gpus++;
        /* a broker gives the instance its cores (PUs where hwloc sees no core) */
        int given = cores > 0 ? cores : pus;
        printf ("%d package%s, %d core%s, %d PU%s, %d GPU%s; a broker here gives %d core%s "
                "(0-%d)\n", pk, pk == 1 ? "" : "s", cores, cores == 1 ? "" : "s", pus,
                pus == 1 ? "" : "s", gpus, gpus == 1 ? "" : "s", given, given == 1 ? "" : "s",
                given - 1);
    } else if (!strcmp (argv[1], "topology")) {
        char *xml = NULL;
        int len = 0;
        if (hwloc_topology_export_xmlbuffer (topo, &xml, &len, 0) < 0 || !xml) {
            eddy_cmd_error ("hwloc", "topology: cannot export XML: %s", strerror (errno));
            rc = 1;
        } else {
            fwrite (xml, 1, (size_t)(len > 0 ? len - 1 : 0), stdout);
            hwloc_free_xmlbuffer (topo, xml);
        }
    } else {
        hwloc_topology_destroy (topo);
        eddy_cmd_die ("hwloc", "unknown subcommand '%s' (info, topology)", argv[1]);
    }
    hwloc_topology_destroy (topo);
    return rc;
}
