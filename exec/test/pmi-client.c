/* pmi-client.c - a PMI-1 client for test/integration/t0060-pmi.sh.
 *   pmi-client lib LIBPMI   PMI through LIBPMI (dlopen, as programs that
 *                           load PMI do): init, put, barrier, get another
 *                           rank's key, barrier, finalize; prints
 *                           "rank R size S next=VALUE"
 *   pmi-client bench LIBPMI N [FILE]  rank 0 prints the time of the first barrier
 *                           (with one put per task: it includes the tasks'
 *                           start skew) and the mean of N more put+barrier
 *                           rounds, then every task gets every key
 *   pmi-client bad HOW      task 0 misbehaves on PMI_FD (HOW: garbage,
 *                           early: close after init, twice: barrier_in
 *                           twice, abort); the others init and wait in a
 *                           barrier that only an exception ends
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/libpmi/pmi.h"

#define SYM(name) ((__typeof__ (&name))sym (lib, #name))

static void *sym (void *lib, const char *name)
{
    void *p = dlsym (lib, name);
    if (!p) {
        fprintf (stderr, "pmi-client: %s: %s\n", name, dlerror ());
        exit (1);
    }
    return p;
}

static int lib_mode (const char *path)
{
    void *lib = dlopen (path, RTLD_NOW);
    int spawned, rank, size, usize;
    char kvs[64], key[64], val[1024], host[256];

    if (!lib) {
        fprintf (stderr, "pmi-client: %s\n", dlerror ());
        return 1;
    }
    if (SYM (PMI_Init) (&spawned) != PMI_SUCCESS || SYM (PMI_Get_rank) (&rank) != PMI_SUCCESS
        || SYM (PMI_Get_size) (&size) != PMI_SUCCESS
        || SYM (PMI_Get_universe_size) (&usize) != PMI_SUCCESS
        || SYM (PMI_KVS_Get_my_name) (kvs, sizeof (kvs)) != PMI_SUCCESS) {
        fprintf (stderr, "pmi-client: init failed\n");
        return 1;
    }
    gethostname (host, sizeof (host));
    snprintf (key, sizeof (key), "key%d", rank);
    snprintf (val, sizeof (val), "value-of-%d", rank);
    if (SYM (PMI_KVS_Put) (kvs, key, val) != PMI_SUCCESS || SYM (PMI_KVS_Commit) (kvs) != PMI_SUCCESS
        || SYM (PMI_Barrier) () != PMI_SUCCESS) {
        fprintf (stderr, "pmi-client: put/barrier failed\n");
        return 1;
    }
    snprintf (key, sizeof (key), "key%d", (rank + 1) % size);
    if (SYM (PMI_KVS_Get) (kvs, key, val, sizeof (val)) != PMI_SUCCESS) {
        fprintf (stderr, "pmi-client: get %s failed\n", key);
        return 1;
    }
    /* a second barrier, as MPI_Finalize does */
    if (SYM (PMI_Barrier) () != PMI_SUCCESS || SYM (PMI_Finalize) () != PMI_SUCCESS) {
        fprintf (stderr, "pmi-client: finalize failed\n");
        return 1;
    }
    printf ("rank %d size %d universe %d spawned %d next=%s\n", rank, size, usize, spawned, val);
    return 0;
}

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_mode (const char *path, int rounds)
{
    void *lib = dlopen (path, RTLD_NOW);
    int spawned, rank, size;
    char kvs[64], key[64], val[1024];

    if (!lib || SYM (PMI_Init) (&spawned) != PMI_SUCCESS || SYM (PMI_Get_rank) (&rank) != PMI_SUCCESS
        || SYM (PMI_Get_size) (&size) != PMI_SUCCESS
        || SYM (PMI_KVS_Get_my_name) (kvs, sizeof (kvs)) != PMI_SUCCESS)
        return 1;
    double t0 = now ();
    double first = 0;
    for (int i = 0; i <= rounds; i++) {
        snprintf (key, sizeof (key), "r%d.%d", i, rank);
        /* a business card's worth of bytes */
        memset (val, 'a' + rank % 26, 200);
        val[200] = '\0';
        if (SYM (PMI_KVS_Put) (kvs, key, val) != PMI_SUCCESS || SYM (PMI_Barrier) () != PMI_SUCCESS)
            return 1;
        if (i == 0) {
            first = now () - t0;
            t0 = now ();
        }
    }
    double mean = rounds > 0 ? (now () - t0) / rounds : 0;
    for (int r = 0; r < size; r++) {
        snprintf (key, sizeof (key), "r%d.%d", rounds, r);
        if (SYM (PMI_KVS_Get) (kvs, key, val, sizeof (val)) != PMI_SUCCESS || val[0] != 'a' + r % 26)
            return 1;
    }
    if (SYM (PMI_Finalize) () != PMI_SUCCESS)
        return 1;
    if (rank == 0)
        printf ("pmi bench: %d tasks: first barrier %.2f ms, then %.2f ms per put+barrier (%d rounds)\n",
                size, first * 1e3, mean * 1e3, rounds);
    return 0;
}

static void say (int fd, const char *s)
{
    if (write (fd, s, strlen (s)) != (ssize_t)strlen (s))
        exit (2);
}

/* One response line, echoed to stdout. */
static void hear (int fd)
{
    char buf[2048];
    size_t n = 0;
    while (n < sizeof (buf) - 1 && read (fd, buf + n, 1) == 1 && buf[n] != '\n')
        n++;
    buf[n] = '\0';
    printf ("task %s heard: %s\n", getenv ("PMI_RANK"), buf);
    fflush (stdout);
}

static int bad_mode (const char *how)
{
    const char *fds = getenv ("PMI_FD"), *ranks = getenv ("PMI_RANK");
    int fd = fds ? atoi (fds) : -1;

    if (fd < 0 || !ranks) {
        fprintf (stderr, "pmi-client: no PMI_FD or PMI_RANK\n");
        return 1;
    }
    if (atoi (ranks) != 0) {
        say (fd, "cmd=init pmi_version=1 pmi_subversion=1\n");
        hear (fd);
        say (fd, "cmd=barrier_in\n");
        hear (fd); /* barrier_out rc=-1, or never: the job is killed */
        pause ();
        return 0;
    }
    if (!strcmp (how, "garbage")) {
        say (fd, "\x01\x02 this is not pmi\n");
        hear (fd);
    } else if (!strcmp (how, "early")) {
        say (fd, "cmd=init pmi_version=1 pmi_subversion=1\n");
        hear (fd);
        close (fd);
    } else if (!strcmp (how, "twice")) {
        say (fd, "cmd=init pmi_version=1 pmi_subversion=1\n");
        hear (fd);
        say (fd, "cmd=barrier_in\ncmd=barrier_in\n");
        hear (fd);
    } else if (!strcmp (how, "abort")) {
        say (fd, "cmd=init pmi_version=1 pmi_subversion=1\n");
        hear (fd);
        say (fd, "cmd=abort exitcode=7 it went wrong\n");
    }
    pause (); /* the exception's SIGKILL ends it */
    return 0;
}

int main (int argc, char **argv)
{
    if (argc == 3 && !strcmp (argv[1], "lib"))
        return lib_mode (argv[2]);
    /* a FILE after N: rank 0 appends its line there (no output capture) */
    if ((argc == 4 || argc == 5) && !strcmp (argv[1], "bench")) {
        if (argc == 5 && !freopen (argv[4], "a", stdout))
            return 1;
        return bench_mode (argv[2], atoi (argv[3]));
    }
    if (argc == 3 && !strcmp (argv[1], "bad"))
        return bad_mode (argv[2]);
    fprintf (stderr, "usage: pmi-client lib LIBPMI | bad garbage|early|twice|abort\n");
    return 1;
}
