/* bootstrap.c - [bootstrap] to ranks, addresses and a tree (bootstrap.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/bootstrap.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"

struct eddy_bootstrap {
    uint32_t rank, size;
    char **host;    /* [size] */
    char **bind;    /* [size] */
    char **connect; /* [size] */
    char **parent;  /* [size]: a hostname, or NULL for the shape's */
    char *hostlist;
    char *cert;
    char *topo; /* [tbon] topo, or NULL */
};

void eddy_bootstrap_destroy (eddy_bootstrap_t *bs)
{
    if (!bs)
        return;
    int saved = errno;
    for (uint32_t i = 0; i < bs->size; i++) {
        free (bs->host[i]);
        free (bs->bind[i]);
        free (bs->connect[i]);
        free (bs->parent[i]);
    }
    free (bs->host);
    free (bs->bind);
    free (bs->connect);
    free (bs->parent);
    free (bs->hostlist);
    free (bs->cert);
    free (bs->topo);
    free (bs);
    errno = saved;
}

char *
eddy_bootstrap_subst (const char *tmpl, const char *host, int port, eddy_error_t *err)
{
    size_t len = 1;
    char portstr[16];
    snprintf (portstr, sizeof (portstr), "%d", port);
    for (const char *p = tmpl; *p; p++) { /* an upper bound */
        if (*p == '%' && p[1])
            len += strlen (host) + strlen (portstr), p++;
        else
            len++;
    }
    char *out = malloc (len), *q = out;
    if (!out) {
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%') {
            *q++ = *p;
            continue;
        }
        switch (p[1]) {
        case 'h':
            q = stpcpy (q, host);
            break;
        case 'p':
            q = stpcpy (q, portstr);
            break;
        case '%':
            *q++ = '%';
            break;
        default:
            eddy_error_set (
                err, "'%s': unknown %%%s (only %%h, %%p and %%%% are substituted)",
                tmpl, p[1] ? (char[]){p[1], '\0'} : "");
            free (out);
            errno = EINVAL;
            return NULL;
        }
        p++;
    }
    *q = '\0';
    return out;
}

/* Only these keys: a misspelt one would silently change a cluster. */
static int known_keys (const json_t *tab,
                       const char *what,
                       const char *const *names,
                       eddy_error_t *err)
{
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)tab, key, v)
    {
        bool ok = false;
        for (int i = 0; names[i] && !ok; i++)
            ok = !strcmp (key, names[i]);
        if (!ok)
            return eddy_error_set (err, "%s.%s: unknown key", what, key);
    }
    return 0;
}

/* A string member, or the fallback when absent; -1 if not a string. */
static int get_string (const json_t *tab,
                       const char *key,
                       const char *what,
                       const char **out,
                       eddy_error_t *err)
{
    const json_t *v = json_object_get (tab, key);
    if (!v)
        return 0;
    if (!json_is_string (v))
        return eddy_error_set (err, "%s.%s: expected a string", what, key);
    *out = json_string_value (v);
    return 0;
}

static const char *const bootstrap_names[] = {
    "hosts",      "default_port", "default_bind", "default_connect",
    "curve_cert", "enable_ipv6",  NULL,
};
static const char *const host_names[] = {"host", "bind", "connect", "parent", NULL};

/* Grow the per-rank arrays to n. */
static int grow (eddy_bootstrap_t *bs, uint32_t n)
{
    char ***arrays[] = {&bs->host, &bs->bind, &bs->connect, &bs->parent};
    for (int i = 0; i < 4; i++) {
        char **a = realloc (*arrays[i], n * sizeof (char *));
        if (!a)
            return -1;
        for (uint32_t j = bs->size; j < n; j++)
            a[j] = NULL;
        *arrays[i] = a;
    }
    return 0;
}

/* Apply the keys an entry gives to rank r, a host listed before. */
static int merge_host (eddy_bootstrap_t *bs, uint32_t r, const json_t *entry, int port,
                       eddy_error_t *err)
{
    const char *keys[] = {"bind", "connect", "parent"};
    char **slots[] = {&bs->bind[r], &bs->connect[r], &bs->parent[r]};

    for (int i = 0; i < 3; i++) {
        const json_t *v = json_object_get (entry, keys[i]);
        if (!v)
            continue;
        char *val = i < 2 ? eddy_bootstrap_subst (json_string_value (v), bs->host[r], port, err)
                          : strdup (json_string_value (v));
        if (!val)
            return i < 2 ? -1 : eddy_error_set (err, "out of memory");
        free (*slots[i]);
        *slots[i] = val;
    }
    return 0;
}

static int add_hosts (eddy_bootstrap_t *bs,
                      const json_t *entry,
                      int idx,
                      int port,
                      const char *dbind,
                      const char *dconnect,
                      eddy_error_t *err)
{
    char what[64];
    const char *hosts = NULL, *bind = dbind, *connect = dconnect, *parent = NULL;
    eddy_error_t e;

    snprintf (what, sizeof (what), "bootstrap.hosts[%d]", idx);
    if (!json_is_object (entry))
        return eddy_error_set (err, "%s: expected a table", what);
    if (known_keys (entry, what, host_names, err) < 0 ||
        get_string (entry, "host", what, &hosts, err) < 0 ||
        get_string (entry, "bind", what, &bind, err) < 0 ||
        get_string (entry, "connect", what, &connect, err) < 0 ||
        get_string (entry, "parent", what, &parent, err) < 0)
        return -1;
    if (!hosts)
        return eddy_error_set (err, "%s: host is required", what);
    eddy_hostlist_t *hl = eddy_hostlist_decode (hosts, &e);
    if (!hl || eddy_hostlist_count (hl) == 0) {
        eddy_hostlist_destroy (hl);
        return eddy_error_set (err, "%s.host: '%s' is not a hostlist%s%s", what, hosts,
                               hl ? "" : ": ", hl ? "" : e.text);
    }
    size_t n = eddy_hostlist_count (hl);
    if (bs->size + n > 100000000 || grow (bs, bs->size + (uint32_t)n) < 0) {
        eddy_hostlist_destroy (hl);
        return eddy_error_set (err, "%s: too many hosts", what);
    }
    for (size_t i = 0; i < n; i++) {
        char *h = eddy_hostlist_nth (hl, (int)i);
        uint32_t r = bs->size;
        if (!h)
            goto nomem;
        /* a host already listed keeps its rank; this entry's own keys
         * replace its earlier ones (the guide sets parents this way) */
        uint32_t j = 0;
        while (j < r && strcmp (bs->host[j], h))
            j++;
        if (j < r) {
            free (h);
            if (merge_host (bs, j, entry, port, &e) < 0) {
                eddy_hostlist_destroy (hl);
                return eddy_error_set (err, "%s: %s", what, e.text);
            }
            continue;
        }
        bs->host[r] = h;
        bs->size++;
        if (!(bs->bind[r] = eddy_bootstrap_subst (bind, h, port, &e)) ||
            !(bs->connect[r] = eddy_bootstrap_subst (connect, h, port, &e))) {
            eddy_hostlist_destroy (hl);
            return eddy_error_set (err, "%s: %s", what, e.text);
        }
        if (parent && !(bs->parent[r] = strdup (parent)))
            goto nomem;
    }
    eddy_hostlist_destroy (hl);
    return 0;
nomem:
    eddy_hostlist_destroy (hl);
    return eddy_error_set (err, "out of memory");
}

eddy_bootstrap_t *eddy_bootstrap_create (const json_t *conf,
                                         const char *hostname,
                                         uint32_t rank,
                                         eddy_error_t *err)
{
    const json_t *tab = json_object_get (conf, "bootstrap");
    const json_t *hosts = json_object_get (tab, "hosts");
    const char *dbind = EDDY_BOOTSTRAP_DEFAULT_BIND,
               *dconnect = EDDY_BOOTSTRAP_DEFAULT_CONNECT;
    const char *cert = NULL, *topo = NULL;
    json_int_t port = EDDY_BOOTSTRAP_DEFAULT_PORT;
    eddy_bootstrap_t *bs;

    if (tab && !json_is_object (tab)) {
        eddy_error_set (err, "bootstrap: expected a table");
        errno = EINVAL;
        return NULL;
    }
    if (!hosts) {
        errno = ENOENT;
        return NULL;
    }
    if (!(bs = calloc (1, sizeof (*bs)))) {
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    if (known_keys (tab, "bootstrap", bootstrap_names, err) < 0 ||
        get_string (tab, "default_bind", "bootstrap", &dbind, err) < 0 ||
        get_string (tab, "default_connect", "bootstrap", &dconnect, err) < 0 ||
        get_string (tab, "curve_cert", "bootstrap", &cert, err) < 0 ||
        get_string (json_object_get (conf, "tbon"), "topo", "tbon", &topo, err) < 0)
        goto inval;
    const json_t *v = json_object_get (tab, "default_port");
    if (v) {
        if (!json_is_integer (v)) {
            eddy_error_set (err, "bootstrap.default_port: expected an integer");
            goto inval;
        }
        port = json_integer_value (v);
        if (port < 1 || port > 65535) {
            eddy_error_set (err, "bootstrap.default_port: %lld is not a port (1-65535)",
                            (long long)port);
            goto inval;
        }
    }
    if (!json_is_array (hosts) || json_array_size (hosts) == 0) {
        eddy_error_set (err, "bootstrap.hosts: expected a non-empty array of tables");
        goto inval;
    }
    size_t i;
    json_t *entry;
    json_array_foreach (hosts, i, entry)
    {
        if (add_hosts (bs, entry, (int)i, (int)port, dbind, dconnect, err) < 0)
            goto inval;
    }
    for (uint32_t r = 0; r < bs->size; r++) {
        if (!bs->parent[r])
            continue;
        bool found = false;
        for (uint32_t j = 0; j < bs->size && !found; j++)
            found = !strcmp (bs->host[j], bs->parent[r]);
        if (!found) {
            eddy_error_set (err,
                            "bootstrap.hosts: %s: parent %s is not in bootstrap.hosts",
                            bs->host[r], bs->parent[r]);
            goto inval;
        }
        if (r == 0) {
            eddy_error_set (err,
                            "bootstrap.hosts: %s is rank 0, the root: it has no parent",
                            bs->host[0]);
            goto inval;
        }
    }
    eddy_hostlist_t *hl = eddy_hostlist_create ();
    for (uint32_t r = 0; hl && r < bs->size; r++)
        if (eddy_hostlist_append (hl, bs->host[r]) < 0) {
            eddy_hostlist_destroy (hl);
            hl = NULL;
        }
    bs->hostlist = hl ? eddy_hostlist_encode (hl) : NULL;
    eddy_hostlist_destroy (hl);
    if (!bs->hostlist || (cert && !(bs->cert = strdup (cert))) ||
        (topo && !(bs->topo = strdup (topo)))) {
        eddy_error_set (err, "out of memory");
        eddy_bootstrap_destroy (bs);
        errno = ENOMEM;
        return NULL;
    }
    if (rank != EDDY_RANK_NONE) {
        if (rank >= bs->size) {
            eddy_error_set (err, "rank %u is not in bootstrap.hosts (%u hosts: %s)",
                            rank, bs->size, bs->hostlist);
            goto inval;
        }
        bs->rank = rank;
    } else {
        bool found = false;
        for (uint32_t r = 0; r < bs->size && !found; r++)
            if (hostname && !strcmp (bs->host[r], hostname)) {
                bs->rank = r;
                found = true;
            }
        if (!found) {
            eddy_error_set (err, "this host, '%s', is not in bootstrap.hosts (%s)",
                            hostname ? hostname : "(unknown)", bs->hostlist);
            goto inval;
        }
    }
    /* a bad shape is better refused now than after the broker is up */
    eddy_topo_t *t = eddy_bootstrap_topo (bs, err);
    if (!t)
        goto inval;
    eddy_topo_destroy (t);
    return bs;
inval:
    eddy_bootstrap_destroy (bs);
    errno = EINVAL;
    return NULL;
}

eddy_topo_t *eddy_bootstrap_topo (const eddy_bootstrap_t *bs, eddy_error_t *err)
{
    eddy_error_t e;
    eddy_topo_t *shape =
        eddy_topo_create (bs->topo ? bs->topo : "kary:2", bs->size, &e);
    if (!shape) {
        eddy_error_set (err, "tbon.topo: %s", e.text);
        return NULL;
    }
    bool custom = false;
    for (uint32_t r = 0; r < bs->size && !custom; r++)
        custom = bs->parent[r] != NULL;
    if (!custom)
        return shape;
    /* explicit parents win; the others keep the shape's */
    uint32_t *parents = calloc (bs->size, sizeof (uint32_t));
    if (!parents) {
        eddy_topo_destroy (shape);
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    for (uint32_t r = 1; r < bs->size; r++) {
        parents[r] = eddy_topo_get_parent (shape, r);
        for (uint32_t j = 0; bs->parent[r] && j < bs->size; j++)
            if (!strcmp (bs->host[j], bs->parent[r]))
                parents[r] = j;
    }
    eddy_topo_destroy (shape);
    eddy_topo_t *t = eddy_topo_create_parents (parents, bs->size, &e);
    free (parents);
    if (!t) {
        eddy_error_set (err, "bootstrap.hosts parent: %s", e.text);
        errno = EINVAL;
    }
    return t;
}

uint32_t eddy_bootstrap_rank (const eddy_bootstrap_t *bs)
{
    return bs->rank;
}

uint32_t eddy_bootstrap_size (const eddy_bootstrap_t *bs)
{
    return bs->size;
}

const char *eddy_bootstrap_host (const eddy_bootstrap_t *bs, uint32_t rank)
{
    return rank < bs->size ? bs->host[rank] : NULL;
}

const char *eddy_bootstrap_hostlist (const eddy_bootstrap_t *bs)
{
    return bs->hostlist;
}

const char *eddy_bootstrap_bind_uri (const eddy_bootstrap_t *bs, uint32_t rank)
{
    return rank < bs->size ? bs->bind[rank] : NULL;
}

const char *eddy_bootstrap_connect_uri (const eddy_bootstrap_t *bs, uint32_t rank)
{
    return rank < bs->size ? bs->connect[rank] : NULL;
}

const char *eddy_bootstrap_curve_cert (const eddy_bootstrap_t *bs)
{
    return bs->cert;
}

int eddy_bootstrap_check_exclude (const eddy_bootstrap_t *bs, const json_t *conf, eddy_error_t *err)
{
    const json_t *v = json_object_get (json_object_get (conf, "resource"), "exclude");
    eddy_idset_t *ids;
    eddy_hostlist_t *hl;
    struct eddy_hostlist_iter it;
    const char *host;
    int rc = 0;

    if (!bs || !json_is_string (v))
        return 0;
    if ((ids = eddy_idset_decode (json_string_value (v), NULL))) {
        if (!eddy_idset_empty (ids) && eddy_idset_last (ids) >= eddy_bootstrap_size (bs))
            rc = eddy_error_set (err, "resource.exclude: rank %u is not in bootstrap.hosts (%u hosts)",
                                 eddy_idset_last (ids), eddy_bootstrap_size (bs));
        eddy_idset_destroy (ids);
        return rc;
    }
    if (!(hl = eddy_hostlist_decode (json_string_value (v), NULL)))
        return 0; /* the schema has said why */
    eddy_hostlist_iter_init (&it, hl);
    while (rc == 0 && (host = eddy_hostlist_iter_next (&it))) {
        bool found = false;
        for (uint32_t r = 0; r < eddy_bootstrap_size (bs) && !found; r++)
            found = !strcmp (eddy_bootstrap_host (bs, r), host);
        if (!found)
            rc = eddy_error_set (err, "resource.exclude: host %s is not in bootstrap.hosts (%s)", host,
                                 eddy_bootstrap_hostlist (bs));
    }
    eddy_hostlist_destroy (hl);
    return rc;
}
