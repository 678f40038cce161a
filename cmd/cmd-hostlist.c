/* cmd-hostlist.c - `eddy hostlist`: combine, filter and print RFC 29
 * hostlists, with the options and semantics of `flux hostlist`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"

static int hostlist_run (int argc, char **argv);

const struct eddy_cmd cmd_hostlist = {
    .name = "hostlist",
    .usage = "eddy hostlist [OPTIONS] [HOSTLIST...]",
    .summary = "Combine, transform and print RFC 29 hostlists.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Sources are literal hostlists, or '-' / 'stdin' (the default) to read\n"
                       "hosts from standard input.  By default all sources are concatenated.\n"
                       "\n"),
        EDDY_OPT_FLAG ("expand", 'e', "print one host at a time, space separated"),
        EDDY_OPT_ARG ("delimiter", 'd', "S", "separate expanded hosts with S ('\\n' = newline)"),
        EDDY_OPT_FLAG ("count", 'c', "print the number of hosts"),
        EDDY_OPT_ARG ("nth", 'n', "IDS", "keep the hosts at indices IDS (-IDS: from the end)"),
        EDDY_OPT_ARG ("find", 'F', "HOSTS", "print the indices of HOSTS in the result"),
        EDDY_OPT_ARG ("limit", 'l', "N", "keep the first N hosts (-N: the last N); -L N is the same"),
        EDDY_OPT_ARG (NULL, 'L', "N", NULL),
        EDDY_OPT_FLAG ("sort", 'S', "sort the result"),
        EDDY_OPT_FLAG ("union", 'u', "sort and drop duplicates (set union); --unique is the same"),
        EDDY_OPT_FLAG ("unique", 'u', NULL),
        EDDY_OPT_FLAG ("uniq", 'U', "same as --union"),
        EDDY_OPT_ARG ("exclude", 'x', "HOSTS|IDS", "drop HOSTS, or the hosts at indices IDS"),
        EDDY_OPT_FLAG ("intersect", 'i', "hosts that are in every source"),
        EDDY_OPT_FLAG ("minus", 'm', "remove the other sources from the first"),
        EDDY_OPT_FLAG ("xor", 'X', "symmetric difference of the sources"),
        EDDY_OPT_FLAG ("quiet", 'q', "print nothing; exit 1 if the result is empty"),
        EDDY_OPT_FLAG ("help", 'h', "show this help"),
        EDDY_OPT_END,
    },
    .run = hostlist_run,
};


static eddy_hostlist_t *xcreate (void)
{
    eddy_hostlist_t *hl = eddy_hostlist_create ();
    if (!hl)
        eddy_cmd_die ("hostlist", "out of memory");
    return hl;
}

static void xappend (eddy_hostlist_t *hl, const char *hosts)
{
    if (eddy_hostlist_append (hl, hosts) < 0)
        eddy_cmd_die ("hostlist", "invalid hostlist '%s'", hosts);
}

static eddy_hostlist_t *read_stdin (void)
{
    eddy_hostlist_t *hl = xcreate ();
    char *line = NULL;
    size_t alloc = 0;
    while (getline (&line, &alloc, stdin) >= 0) {
        char *save = NULL;
        for (char *tok = strtok_r (line, " \t\r\n", &save); tok;
             tok = strtok_r (NULL, " \t\r\n", &save))
            xappend (hl, tok);
    }
    free (line);
    return hl;
}

static eddy_hostlist_t *source (const char *arg)
{
    if (!strcmp (arg, "-") || !strcmp (arg, "stdin"))
        return read_stdin ();
    eddy_error_t err;
    eddy_hostlist_t *hl = eddy_hostlist_decode (arg, &err);
    if (!hl)
        eddy_cmd_die ("hostlist", "invalid hostlist '%s': %s", arg, err.text);
    return hl;
}

/* Hosts of a that are (keep = true) or are not (keep = false) in b. */
static eddy_hostlist_t *
filter (const eddy_hostlist_t *a, const eddy_hostlist_t *b, bool keep)
{
    eddy_hostlist_t *out = xcreate ();
    struct eddy_hostlist_iter it;
    const char *h;
    eddy_hostlist_iter_init (&it, a);
    while ((h = eddy_hostlist_iter_next (&it))) {
        if ((eddy_hostlist_find (b, h) >= 0) == keep)
            xappend (out, h);
    }
    return out;
}

static void xuniq (eddy_hostlist_t *hl)
{
    if (eddy_hostlist_uniq (hl) < 0)
        eddy_cmd_die ("hostlist", "out of memory");
}

static void replace (eddy_hostlist_t **hl, eddy_hostlist_t *new)
{
    eddy_hostlist_destroy (*hl);
    *hl = new;
}

static void append_nth (eddy_hostlist_t *out, const eddy_hostlist_t *hl, long idx)
{
    char *h =
        idx >= -(long)eddy_hostlist_count (hl) && idx < (long)eddy_hostlist_count (hl)
            ? eddy_hostlist_nth (hl, (int)idx)
            : NULL;
    if (!h)
        eddy_cmd_die ("hostlist", "index %ld is out of range", idx);
    xappend (out, h);
    free (h);
}

/* -n IDS: the hosts at those indices, in list order. */
static eddy_hostlist_t *select_nth (const eddy_hostlist_t *hl, const char *arg)
{
    bool from_end = arg[0] == '-';
    eddy_error_t err;
    eddy_idset_t *ids = eddy_idset_decode (arg + (from_end ? 1 : 0), &err);
    if (!ids)
        eddy_cmd_die ("hostlist", "invalid index set '%s': %s", arg, err.text);
    eddy_hostlist_t *out = xcreate ();
    if (from_end) {
        /* largest distance from the end first keeps list order */
        for (size_t i = eddy_idset_count (ids); i > 0; i--)
            append_nth (out, hl, -(long)eddy_idset_nth (ids, i - 1));
    } else {
        for (unsigned id = eddy_idset_first (ids); id != EDDY_IDSET_INVALID_ID;
             id = eddy_idset_next (ids, id))
            append_nth (out, hl, (long)id);
    }
    eddy_idset_destroy (ids);
    return out;
}

/* -x: drop every occurrence of the hosts; if none matched, take the
 * argument as an idset of indices instead.
 */
static void exclude (eddy_hostlist_t **hl, const char *arg)
{
    size_t count = eddy_hostlist_count (*hl);
    while (eddy_hostlist_delete (*hl, arg) > 0)
        ;
    if (eddy_hostlist_count (*hl) != count)
        return;
    eddy_idset_t *ids = eddy_idset_decode (arg, NULL);
    if (!ids)
        return;
    eddy_hostlist_t *out = xcreate ();
    struct eddy_hostlist_iter it;
    const char *h;
    unsigned idx = 0;
    eddy_hostlist_iter_init (&it, *hl);
    while ((h = eddy_hostlist_iter_next (&it))) {
        if (!eddy_idset_test (ids, idx++))
            xappend (out, h);
    }
    eddy_idset_destroy (ids);
    replace (hl, out);
}

static void limit (eddy_hostlist_t **hl, long n)
{
    long count = (long)eddy_hostlist_count (*hl);
    long start = n > 0 ? 0 : (count + n > 0 ? count + n : 0);
    long end = n > 0 ? (n < count ? n : count) : count;
    eddy_hostlist_t *out = xcreate ();
    for (long i = start; i < end; i++)
        append_nth (out, *hl, i);
    replace (hl, out);
}

static char *unescape_delim (const char *s)
{
    char *out = xstrdup (s);
    char *o = out;
    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else if (p[0] == '\\' && p[1] == 't') {
            *o++ = '\t';
            p++;
        } else
            *o++ = *p;
    }
    *o = '\0';
    return out;
}

static int hostlist_run (int argc, char **argv)
{
    bool expand = false, count = false, sort = false, uniq = false, quiet = false;
    char mode = 0; /* 'i', 'm', 'X' or 0 (concatenate) */
    const char *delim = " ", *nth = NULL, *find = NULL, *excl = NULL;
    long lim = 0;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_hostlist, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 'e':
            expand = true;
            break;
        case 'd':
            delim = optarg;
            break;
        case 'c':
            count = true;
            break;
        case 'n':
            nth = optarg;
            break;
        case 'F':
            find = optarg;
            break;
        case 'l':
        case 'L': {
            char *end;
            lim = strtol (optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0')
                eddy_cmd_die ("hostlist", "invalid limit '%s'", optarg);
            break;
        }
        case 'S':
            sort = true;
            break;
        case 'u':
        case 'U':
            uniq = true;
            break;
        case 'x':
            excl = optarg;
            break;
        case 'i':
        case 'm':
        case 'X':
            if (mode && mode != c)
                eddy_cmd_die ("hostlist",
                              "use only one of --intersect, --minus, --xor");
            mode = (char)c;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_hostlist, c);
        }
    }
    int nsrc = argc - optind;
    char *stdin_arg[] = {"-"};
    char **src = nsrc > 0 ? argv + optind : stdin_arg;
    if (nsrc == 0)
        nsrc = 1;

    eddy_hostlist_t *hl = source (src[0]);
    for (int i = 1; i < nsrc; i++) {
        eddy_hostlist_t *x = source (src[i]);
        if (mode == 'i') {
            replace (&hl, filter (hl, x, true));
            xuniq (hl);
        } else if (mode == 'X') {
            eddy_hostlist_t *out = filter (hl, x, false);
            eddy_hostlist_t *back = filter (x, hl, false);
            if (eddy_hostlist_append_list (out, back) < 0)
                eddy_cmd_die ("hostlist", "out of memory");
            eddy_hostlist_destroy (back);
            xuniq (out);
            replace (&hl, out);
        } else if (mode == 'm') {
            char *s = eddy_hostlist_encode (x);
            if (!s || eddy_hostlist_delete (hl, s) < 0)
                eddy_cmd_die ("hostlist", "out of memory");
            free (s);
        } else if (eddy_hostlist_append_list (hl, x) < 0)
            eddy_cmd_die ("hostlist", "too many hosts");
        eddy_hostlist_destroy (x);
    }
    if (excl)
        exclude (&hl, excl);
    if (sort && eddy_hostlist_sort (hl) < 0)
        eddy_cmd_die ("hostlist", "out of memory");
    if (uniq)
        xuniq (hl);
    if (lim)
        limit (&hl, lim);
    if (nth)
        replace (&hl, select_nth (hl, nth));

    bool empty = eddy_hostlist_count (hl) == 0;
    FILE *out = quiet ? NULL : stdout;
    if (find) {
        eddy_hostlist_t *want = source (find);
        struct eddy_hostlist_iter it;
        const char *h;
        int n = 0;
        eddy_hostlist_iter_init (&it, want);
        while ((h = eddy_hostlist_iter_next (&it))) {
            int idx = eddy_hostlist_find (hl, h);
            if (idx < 0)
                eddy_cmd_die ("hostlist", "host %s not found", h);
            if (out)
                fprintf (out, "%s%d", n++ ? " " : "", idx);
        }
        if (out)
            fprintf (out, "\n");
        eddy_hostlist_destroy (want);
    } else if (count) {
        if (out)
            printf ("%zu\n", eddy_hostlist_count (hl));
    } else if (expand) {
        if (out && !empty) {
            char *d = unescape_delim (delim);
            struct eddy_hostlist_iter it;
            const char *h;
            int n = 0;
            eddy_hostlist_iter_init (&it, hl);
            while ((h = eddy_hostlist_iter_next (&it)))
                printf ("%s%s", n++ ? d : "", h);
            printf ("\n");
            free (d);
        }
    } else if (out && !empty) {
        char *s = eddy_hostlist_encode (hl);
        if (!s)
            eddy_cmd_die ("hostlist", "out of memory");
        printf ("%s\n", s);
        free (s);
    }
    eddy_hostlist_destroy (hl);
    if (fflush (stdout) != 0)
        eddy_cmd_die ("hostlist", "error writing output");
    return quiet && empty ? 1 : 0;
}
