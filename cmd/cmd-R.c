/* cmd-R.c - `eddy R`: build an RFC 20 R object from hosts and idsets, or
 * read one on stdin and print its ranks, nodelist, counts or a short form.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "sched/rlist.h"

extern const struct eddy_cmd cmd_R;

static int encode (int argc, char **argv)
{
    const char *hosts = NULL, *cores = NULL, *gpus = NULL, *ranks = NULL;
    char **props = xcalloc ((size_t)argc, sizeof (char *));
    int nprops = 0, c;
    eddy_error_t err;

    while ((c = eddy_opt_next (&cmd_R, "encode", 0, argc, argv)) != -1) {
        switch (c) {
        case 'H':
            hosts = optarg;
            break;
        case 'c':
            cores = optarg;
            break;
        case 'g':
            gpus = optarg;
            break;
        case 'p':
            props[nprops++] = optarg;
            break;
        case 'r':
            ranks = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_R, c);
        }
    }
    eddy_cmd_operands (&cmd_R, "encode", argc, argv, optind, 0, 0, NULL);
    if (!cores)
        eddy_cmd_usage_error (&cmd_R, "encode", "encode needs --cores");

    eddy_hostlist_t *hl = NULL;
    eddy_idset_t *ids = NULL;
    size_t n;
    if (hosts && !(hl = eddy_hostlist_decode (hosts, &err)))
        eddy_cmd_die ("R", "--hosts: %s", err.text);
    if (ranks && !(ids = eddy_idset_decode (ranks, &err)))
        eddy_cmd_die ("R", "--ranks: %s", err.text);
    if (!hl && !ids)
        eddy_cmd_die ("R", "give --hosts or --ranks (or both)");
    n = hl ? eddy_hostlist_count (hl) : eddy_idset_count (ids);
    if (hl && ids && eddy_idset_count (ids) != n)
        eddy_cmd_die ("R", "--ranks names %zu ranks but --hosts %zu hosts",
                      eddy_idset_count (ids), n);
    if (n > (1u << 20))
        eddy_cmd_die ("R", "too many ranks");

    eddy_rlist_t *rl = eddy_rlist_create ();
    struct eddy_hostlist_iter it;
    unsigned rank = ids ? eddy_idset_first (ids) : 0;
    if (!rl)
        eddy_cmd_die ("R", "out of memory");
    if (hl)
        eddy_hostlist_iter_init (&it, hl);
    for (size_t i = 0; i < n; i++) {
        const char *host = hl ? eddy_hostlist_iter_next (&it) : NULL;
        if (eddy_rlist_add_rank (rl, rank, host, cores, gpus, &err) < 0)
            eddy_cmd_die ("R", "%s", err.text);
        rank = ids ? eddy_idset_next (ids, rank) : rank + 1;
    }
    for (int i = 0; i < nprops; i++) {
        char *colon = strrchr (props[i], ':');
        char *name;
        if (!colon || colon == props[i])
            eddy_cmd_die ("R", "--property must be NAME:RANKS");
        name = xasprintf ("%.*s", (int)(colon - props[i]), props[i]);
        if (eddy_rlist_set_property (rl, name, colon + 1, &err) < 0)
            eddy_cmd_die ("R", "--property %s: %s", name, err.text);
        free (name);
    }
    char *s = eddy_rlist_encode (rl);
    if (!s)
        eddy_cmd_die ("R", "out of memory");
    printf ("%s\n", s);
    free (s);
    free (props);
    eddy_rlist_destroy (rl);
    eddy_hostlist_destroy (hl);
    eddy_idset_destroy (ids);
    return 0;
}

static char *read_stdin (size_t *lenp)
{
    size_t len = 0, size = 65536;
    char *buf = xmalloc (size);
    size_t n;
    while ((n = fread (buf + len, 1, size - len, stdin)) > 0) {
        len += n;
        if (len == size) {
            if (size >= (256u << 20))
                eddy_cmd_die ("R", "input too large");
            size *= 2;
            char *nbuf = realloc (buf, size);
            if (!nbuf)
                eddy_cmd_die ("R", "out of memory");
            buf = nbuf;
        }
    }
    if (ferror (stdin))
        eddy_cmd_die ("R", "reading stdin: %s", strerror (errno));
    *lenp = len;
    return buf;
}

/* One line per R_lite entry: "rank[0-3]/core[0-7],gpu0". */
static void print_short (const eddy_rlist_t *rl)
{
    json_t *R = eddy_rlist_to_json (rl);
    json_t *entry;
    size_t i;
    if (!R)
        eddy_cmd_die ("R", "out of memory");
    json_t *rlite = json_object_get (json_object_get (R, "execution"), "R_lite");
    json_array_foreach (rlite, i, entry) {
        json_t *ch = json_object_get (entry, "children");
        const char *names[] = {"core", "gpu"};
        const char *r = json_string_value (json_object_get (entry, "rank"));
        eddy_idset_t *rs = eddy_idset_decode (r, NULL);
        char *rstr =
            rs ? eddy_idset_encode (rs, EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS) : NULL;
        printf ("rank%s/", rstr ? rstr : r);
        free (rstr);
        eddy_idset_destroy (rs);
        bool first = true;
        for (int k = 0; k < 2; k++) {
            const char *ids = json_string_value (json_object_get (ch, names[k]));
            if (!ids)
                continue;
            eddy_idset_t *set = eddy_idset_decode (ids, NULL);
            char *s =
                set ? eddy_idset_encode (set, EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS)
                    : NULL;
            printf ("%s%s%s", first ? "" : ",", names[k], s ? s : ids);
            free (s);
            eddy_idset_destroy (set);
            first = false;
        }
        printf ("\n");
    }
    json_decref (R);
}

static int decode (int argc, char **argv)
{
    const char *count = NULL;
    bool nodelist = false, ranks = false, shortform = false, hosts = false,
         props = false;
    int flags = 0, c;
    eddy_error_t err;

    while ((c = eddy_opt_next (&cmd_R, "decode", 0, argc, argv)) != -1) {
        switch (c) {
        case 'c':
            count = optarg;
            break;
        case 'n':
            nodelist = true;
            break;
        case 'r':
            ranks = true;
            break;
        case 's':
            shortform = true;
            break;
        case 'S':
            flags |= EDDY_RLIST_STRICT;
            break;
        case 'H':
            hosts = true;
            break;
        case 'p':
            props = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_R, c);
        }
    }
    eddy_cmd_operands (&cmd_R, "decode", argc, argv, optind, 0, 0, NULL);
    eddy_rlist_count_t what = EDDY_RLIST_RANKS;
    if (count) {
        if (!strcmp (count, "ranks"))
            what = EDDY_RLIST_RANKS;
        else if (!strcmp (count, "nodes"))
            what = EDDY_RLIST_NODES;
        else if (!strcmp (count, "cores"))
            what = EDDY_RLIST_CORES;
        else if (!strcmp (count, "gpus"))
            what = EDDY_RLIST_GPUS;
        else
            eddy_cmd_die ("R", "--count must be ranks, nodes, cores or gpus");
    }

    size_t len;
    char *buf = read_stdin (&len);
    eddy_rlist_t *rl = eddy_rlist_decode (buf, len, flags, &err);
    free (buf);
    if (!rl)
        eddy_cmd_die ("R", "%s", err.text);
    if (count)
        printf ("%zu\n", eddy_rlist_count (rl, what));
    if (ranks) {
        char *s = eddy_rlist_ranks (rl);
        printf ("%s\n", s ? s : "");
        free (s);
    }
    if (nodelist) {
        char *s = eddy_rlist_nodelist (rl);
        if (!s && errno == ENOENT)
            eddy_cmd_die ("R", "R has no nodelist");
        printf ("%s\n", s ? s : "");
        free (s);
    }
    if (shortform)
        print_short (rl);
    if (hosts || props) {
        json_t *R = eddy_rlist_to_json (rl);
        eddy_idset_t *all = NULL;
        char *rs = eddy_rlist_ranks (rl);
        if (!R || !rs || !(all = eddy_idset_decode (rs, NULL)))
            eddy_cmd_die ("R", "out of memory");
        for (unsigned r = eddy_idset_first (all); hosts && r != EDDY_IDSET_INVALID_ID;
             r = eddy_idset_next (all, r)) {
            const char *h = eddy_rlist_hostname (rl, r);
            printf ("%u %s\n", r, h ? h : "-");
        }
        const char *name;
        json_t *v;
        json_t *pr = json_object_get (json_object_get (R, "execution"), "properties");
        json_object_foreach (pr, name, v) {
            if (props)
                printf ("%s=%s\n", name, json_string_value (v));
        }
        eddy_idset_destroy (all);
        free (rs);
        json_decref (R);
    }
    if (!count && !ranks && !nodelist && !shortform && !hosts && !props) {
        char *s = eddy_rlist_encode (rl);
        if (!s)
            eddy_cmd_die ("R", "out of memory");
        printf ("%s\n", s);
        free (s);
    }
    eddy_rlist_destroy (rl);
    return 0;
}

static int run (int argc, char **argv)
{
    int first = eddy_opt_operands (&cmd_R, NULL, argc, argv);
    if (first >= argc)
        eddy_cmd_usage_error (&cmd_R, NULL, "needs a subcommand: encode, decode");
    argc -= first - 1;
    argv += first - 1;
    optind = 1;
    if (!strcmp (argv[1], "encode"))
        return encode (argc - 1, argv + 1);
    if (!strcmp (argv[1], "decode"))
        return decode (argc - 1, argv + 1);
    eddy_cmd_usage_error (&cmd_R, NULL, "unknown subcommand '%s'", argv[1]);
}

const struct eddy_cmd cmd_R = {
    .name = "R",
    .usage = "eddy R encode [--hosts=HOSTLIST] [--ranks=IDSET] --cores=IDSET\n"
             "              [--gpus=IDSET] [--property=NAME:RANKS]...\n"
             "       eddy R decode [--count=ranks|nodes|cores|gpus] [--ranks]\n"
             "              [--nodelist] [--short] [--hosts] [--properties]\n"
             "              [--strict] < R",
    .summary = "Encode and decode RFC 20 resource sets (R version 1)",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("encode", "encode: one rank per host (ranks 0.. unless --ranks), each with the\n"
                                "        given cores and gpus; prints compact R JSON\n"),
        EDDY_OPT_ARG ("hosts", 'H', "HOSTLIST", "host names, in rank order"),
        EDDY_OPT_ARG ("ranks", 'r', "IDSET", "rank ids (default 0..N-1)"),
        EDDY_OPT_ARG ("cores", 'c', "IDSET", "core ids on every rank"),
        EDDY_OPT_ARG ("gpus", 'g', "IDSET", "gpu ids on every rank"),
        EDDY_OPT_ARG ("property", 'p', "NAME:RANKS", "tag ranks with a property"),
        EDDY_OPT_SUB ("decode", "decode: read R on stdin; with no option print it re-encoded\n"),
        EDDY_OPT_ARG ("count", 'c', "WHAT", "print the number of ranks/nodes/cores/gpus"),
        EDDY_OPT_FLAG ("ranks", 'r', "print the rank idset"),
        EDDY_OPT_FLAG ("nodelist", 'n', "print the nodelist as a hostlist"),
        EDDY_OPT_FLAG ("short", 's', "print rank[..]/core[..],gpu[..] per entry"),
        EDDY_OPT_FLAG ("hosts", 'H', "print \"RANK HOSTNAME\" per rank"),
        EDDY_OPT_FLAG ("properties", 'p', "print NAME=RANKS per property"),
        EDDY_OPT_FLAG ("strict", 'S', "require execution.nodelist (RFC 20)"),
        EDDY_OPT_FLAG ("help", 'h', "show this help"),
        EDDY_OPT_END,
    },
    .run = run,
};
