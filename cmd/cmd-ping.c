/* cmd-ping.c - `eddy ping`: round trips to a service on a rank. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int ping_run (int argc, char **argv);

const struct eddy_cmd cmd_ping = {
    .name = "ping",
    .usage = "eddy ping [--count N] [--interval S] [--rank R] [--pad N] TARGET",
    .summary = "Send SERVICE.ping requests to a rank and time the round trips.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("TARGET is RANK (its broker: `eddy ping 3`), SERVICE (e.g. broker, kvs, on\n"
                       "the local broker or --rank) or RANK!SERVICE (`eddy ping 3!kvs`).\n"),
        EDDY_OPT_ARG ("count", 'c', "N", "stop after N pings (default: until interrupted)"),
        EDDY_OPT_ARG ("interval", 'i', "S", "pause S seconds between pings (default 0: back to back)"),
        EDDY_OPT_ARG ("rank", 'r', "R", "send to rank R (default: the local broker)"),
        EDDY_OPT_ARG ("pad", 'p', "N", "add N bytes of payload"),
        EDDY_OPT_FLAG ("quiet", 'q', "print only the summary"),
        EDDY_OPT_END,
    },
    .run = ping_run,
};

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* TARGET: RANK, SERVICE or RANK!SERVICE; the service is malloc'd. */
static char *parse_target (const char *target, uint32_t *rank, bool rank_set)
{
    const char *bang = strchr (target, '!');
    const char *service = bang ? bang + 1 : target;
    char *r = bang ? xasprintf ("%.*s", (int)(bang - target), target) : NULL;

    if (!bang && *target && strspn (target, "0123456789") == strlen (target)) {
        r = xstrdup (target);
        service = "broker";
    }
    if (r) {
        if (!*r)
            eddy_cmd_die ("ping", "'%s': no rank before '!'", target);
        uint32_t v = client_parse_rank ("ping", r);
        if (rank_set && *rank != v)
            eddy_cmd_die ("ping", "'%s' names rank %s, --rank another", target, r);
        *rank = v;
        free (r);
    }
    if (!*service || strchr (service, '.') || strchr (service, ' ') || strchr (service, '!'))
        eddy_cmd_die ("ping", "'%s' is not a rank, a service name or RANK!SERVICE", target);
    return xstrdup (service);
}

static int ping_run (int argc, char **argv)
{
    long count = -1, pad = 0;
    double interval = 0;
    uint32_t rank = EDDY_NODEID_ANY;
    bool quiet = false, rank_set = false;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_ping, NULL, 0, argc, argv)) != -1) {
        char *end;
        switch (c) {
        case 'c':
            count = strtol (optarg, &end, 10);
            if (end == optarg || *end || count < 1)
                eddy_cmd_die ("ping", "--count: '%s' is not a count >= 1", optarg);
            break;
        case 'i':
            interval = client_parse_seconds ("ping", "interval", optarg);
            break;
        case 'r':
            rank = client_parse_rank ("ping", optarg);
            rank_set = true;
            break;
        case 'p':
            pad = strtol (optarg, &end, 10);
            if (end == optarg || *end || pad < 0 || pad > 64 * 1024 * 1024)
                eddy_cmd_die ("ping", "--pad: '%s' is not a size in bytes", optarg);
            break;
        case 'q':
            quiet = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_ping, c);
        }
    }
    eddy_cmd_operands (&cmd_ping, NULL, argc, argv, optind, 1, 1,
                       "needs a TARGET (RANK, SERVICE or RANK!SERVICE)");
    char *target = parse_target (argv[optind], &rank, rank_set);
    char *topic = xasprintf ("%s.ping", target);
    char *padding = xcalloc (pad + 1, 1);
    memset (padding, 'p', pad);

    eddy_handle_t *h = client_open ("ping");
    double min = INFINITY, max = 0, sum = 0;
    size_t cap = 1024;
    double *times = xmalloc (cap * sizeof (double));
    long n;
    for (n = 0; count < 0 || n < count; n++) {
        double t0 = client_monotime ();
        eddy_future_t *f = eddy_rpc_pack (h, topic, rank, 0, "{s:i s:s}", "seq", (json_int_t)n,
                                          "pad", padding);
        int prank = -1, hops = 0;
        if (!f || eddy_rpc_get_unpack (f, "{s:i s:i}", "rank", &prank, "hops", &hops) < 0)
            eddy_cmd_die ("ping", "%s: %s", topic,
                          f && eddy_future_error_string (f) ? eddy_future_error_string (f)
                                                            : strerror (errno));
        double ms = (client_monotime () - t0) * 1e3;
        eddy_future_destroy (f);
        if (ms < min)
            min = ms;
        if (ms > max)
            max = ms;
        sum += ms;
        if ((size_t)n == cap)
            times = realloc (times, (cap *= 2) * sizeof (double));
        if (!times)
            eddy_cmd_die ("ping", "out of memory");
        times[n] = ms;
        if (!quiet) {
            printf ("%s rank=%d seq=%ld pad=%ld time=%.3f ms hops=%d\n", topic, prank, n, pad, ms,
                    hops);
            fflush (stdout);
        }
        if (interval > 0 && (count < 0 || n + 1 < count)) {
            struct timespec ts = { (time_t)interval, (long)((interval - (time_t)interval) * 1e9) };
            nanosleep (&ts, NULL);
        }
    }
    qsort (times, n, sizeof (double), cmp_double);
    printf ("%ld pings to %s: min/avg/max = %.3f/%.3f/%.3f ms, median %.3f ms\n", n, target, min,
            sum / n, max, n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2);
    free (times);
    client_close (h);
    free (padding);
    free (topic);
    free (target);
    return 0;
}
