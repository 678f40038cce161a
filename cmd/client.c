/* client.c - connecting to a broker and making RPCs from commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/system.h"
#include "transport/local/client.h"

char *client_uri (const char *cmd)
{
    const char *uri = getenv ("EDDY_URI");
    if (uri && *uri)
        return xstrdup (uri);
    /* outside any `eddy start`: the system instance of this node */
    char *sys = eddy_system_uri ();
    if (!sys)
        eddy_cmd_die (cmd, "%s", strerror (errno));
    return sys;
}

int client_ssh_connect (const char *uri, const char **why); /* cmd/cmd-proxy.c */

eddy_handle_t *client_open (const char *cmd)
{
    eddy_error_t err;
    char *uri = client_uri (cmd);
    eddy_handle_t *h;
    if (!strncmp (uri, "ssh://", 6)) {
        /* ssh [USER@]HOST eddy relay PATH, over a socketpair */
        const char *why;
        int fd = client_ssh_connect (uri, &why);
        if (fd < 0)
            eddy_cmd_die (cmd, "%s: %s", uri, why);
        if (!(h = eddy_local_connect_fd (fd, uri, &err)))
            eddy_cmd_die (cmd, "%s", err.text);
        free (uri);
        return h;
    }
    h = eddy_open (uri, &err);
    if (!h) {
        const char *env = getenv ("EDDY_URI");
        if (env && *env)
            eddy_cmd_die (cmd, "%s", err.text);
        eddy_cmd_die (cmd, "EDDY_URI is not set and the system instance is not reachable "
                      "(%s); run inside 'eddy start' or start eddy.service", err.text);
    }
    free (uri);
    return h;
}

void client_close (eddy_handle_t *h)
{
    eddy_close (h);
}

json_t *client_rpc_get (const char *cmd, eddy_future_t *f, const char *topic)
{
    json_t *o = NULL;
    if (eddy_rpc_get (f, &o) < 0)
        eddy_cmd_die (cmd, "%s: %s", topic, eddy_future_error_string (f)
                                                ? eddy_future_error_string (f)
                                                : strerror (errno));
    return o;
}

eddy_future_t *client_rpc (const char *cmd, eddy_handle_t *h, const char *topic,
                           json_t *payload, uint32_t nodeid)
{
    eddy_future_t *f = eddy_rpc (h, topic, payload, nodeid, 0);
    if (!f)
        eddy_cmd_die (cmd, "%s: %s", topic, strerror (errno));
    client_rpc_get (cmd, f, topic);
    return f;
}

uint32_t client_parse_rank (const char *cmd, const char *s)
{
    char *end;
    if (!strcmp (s, "any"))
        return EDDY_NODEID_ANY;
    errno = 0;
    unsigned long v = strtoul (s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v >= EDDY_NODEID_UPSTREAM)
        eddy_cmd_die (cmd, "'%s' is not a rank", s);
    return (uint32_t)v;
}

double client_parse_seconds (const char *cmd, const char *opt, const char *s)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e9)
        eddy_cmd_die (cmd, "--%s: '%s' is not a number of seconds >= 0", opt, s);
    return v;
}

double client_monotime (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

eddy_future_t *client_rpc_take (const char *cmd, eddy_handle_t *h, const char *topic,
                                json_t *payload, uint32_t nodeid)
{
    eddy_future_t *f = client_rpc (cmd, h, topic, payload, nodeid);
    json_decref (payload);
    return f;
}
