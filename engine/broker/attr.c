/* attr.c - broker attributes: computed ones (rank, size, tbon.*, state)
 * and stored ones (set at start or at run time).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/broker/broker_impl.h"

/* Attributes set once at start-up; attr.set refuses them afterwards. */
static const char *const immutable[] = {
    "broker.pid", "local-uri", "hostname", "broker.rundir", "security.owner",
    "tbon.endpoint", "tbon.parent-endpoint", "statedir", "resource.cores", "resource.gpus",
    NULL,
};

static bool is_immutable (const char *name)
{
    for (int i = 0; immutable[i]; i++)
        if (!strcmp (immutable[i], name))
            return true;
    return false;
}

static const char *const computed[] = {
    "rank", "size", "version", "tbon.fanout", "tbon.level", "tbon.maxlevel",
    "tbon.parent", "tbon.descendants", "broker.state", "log-ring-size", "config.generation",
    NULL,
};

static const char *computed_get (eddy_broker_t *b, const char *name)
{
    char *s = b->scratch;
    size_t n = sizeof (b->scratch);

    if (!strcmp (name, "rank"))
        snprintf (s, n, "%u", b->rank);
    else if (!strcmp (name, "size"))
        snprintf (s, n, "%u", b->size);
    else if (!strcmp (name, "version"))
        return PACKAGE_VERSION;
    else if (!strcmp (name, "tbon.fanout"))
        snprintf (s, n, "%d", b->topo ? eddy_topo_get_fanout (b->topo) : b->fanout);
    else if (!strcmp (name, "tbon.level"))
        snprintf (s, n, "%d", topo_level (b, b->rank));
    else if (!strcmp (name, "tbon.maxlevel"))
        snprintf (s, n, "%d", topo_maxlevel (b));
    else if (!strcmp (name, "tbon.parent")) {
        if (b->parent == EDDY_RANK_NONE)
            snprintf (s, n, "-1");
        else
            snprintf (s, n, "%u", b->parent);
    }
    else if (!strcmp (name, "tbon.descendants"))
        snprintf (s, n, "%u", topo_subtree_size (b, b->rank) - 1);
    else if (!strcmp (name, "broker.state"))
        return eddy_broker_state_name (b->state);
    else if (!strcmp (name, "log-ring-size"))
        snprintf (s, n, "%u", b->ring_size ? b->ring_size : 1024);
    else if (!strcmp (name, "config.generation"))
        snprintf (s, n, "%u", b->config_gen);
    else
        return NULL;
    return s;
}

static bool is_computed (const char *name)
{
    for (int i = 0; computed[i]; i++)
        if (!strcmp (computed[i], name))
            return true;
    return false;
}

static struct attr *lookup (eddy_broker_t *b, const char *name)
{
    for (int i = 0; i < b->nattrs; i++)
        if (!strcmp (b->attrs[i].name, name))
            return &b->attrs[i];
    return NULL;
}

const char *attr_get (eddy_broker_t *b, const char *name)
{
    const char *v;
    struct attr *a;

    if (!name) {
        errno = EINVAL;
        return NULL;
    }
    if ((v = computed_get (b, name)))
        return v;
    if ((a = lookup (b, name)))
        return a->value;
    errno = ENOENT;
    return NULL;
}

static int set_special (eddy_broker_t *b, const char *name, const char *value)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul (value, &end, 10);
    if (errno || end == value || *end || v > UINT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (!strcmp (name, "log-ring-size")) {
        if (v == 0 || v > 1000000) {
            errno = EINVAL;
            return -1;
        }
        /* resizing drops the old entries */
        logring_clear (b);
        free (b->ring);
        b->ring = NULL;
        b->ring_cap = 0;
        b->ring_size = v;
    }
    else if (!strcmp (name, "security.owner"))
        b->owner = v;
    return 0;
}

int attr_set (eddy_broker_t *b, const char *name, const char *value, bool force)
{
    struct attr *a;
    char *v;

    if (!name || !*name || !value) {
        errno = EINVAL;
        return -1;
    }
    if (!strcmp (name, "log-ring-size") || !strcmp (name, "security.owner")) {
        if (!force && !strcmp (name, "security.owner")) {
            errno = EPERM;
            return -1;
        }
        if (set_special (b, name, value) < 0)
            return -1;
        if (!strcmp (name, "log-ring-size"))
            return 0;
    }
    else if (is_computed (name) || (!force && is_immutable (name))) {
        errno = EPERM;
        return -1;
    }
    if (!(v = strdup (value)))
        return -1;
    if ((a = lookup (b, name))) {
        free (a->value);
        a->value = v;
        a->from_config = false;
        return 0;
    }
    struct attr *p = realloc (b->attrs, (b->nattrs + 1) * sizeof (*p));
    if (!p || !(p[b->nattrs].name = strdup (name))) {
        if (p)
            b->attrs = p;
        free (v);
        errno = ENOMEM;
        return -1;
    }
    b->attrs = p;
    p[b->nattrs].value = v;
    p[b->nattrs].from_config = false;
    b->nattrs++;
    return 0;
}

/* An attribute set explicitly (on the command line, by attr.set) keeps
 * its value: the configuration only fills in the others.
 */
int attr_set_config (eddy_broker_t *b, const char *name, const char *value)
{
    struct attr *a = lookup (b, name);

    if (a && !a->from_config)
        return 0;
    if (a && !strcmp (a->value, value))
        return 0;
    if (attr_set (b, name, value, false) < 0)
        return -1;
    if ((a = lookup (b, name)))
        a->from_config = true;
    return 0;
}

void attr_unset_config (eddy_broker_t *b, const char *name)
{
    struct attr *a = lookup (b, name);

    if (!a || !a->from_config)
        return;
    free (a->name);
    free (a->value);
    *a = b->attrs[--b->nattrs];
}

json_t *attr_list (eddy_broker_t *b)
{
    json_t *a = json_array ();
    for (int i = 0; a && computed[i]; i++)
        json_array_append_new (a, json_string (computed[i]));
    for (int i = 0; a && i < b->nattrs; i++)
        json_array_append_new (a, json_string (b->attrs[i].name));
    return a;
}

void attr_free_all (eddy_broker_t *b)
{
    for (int i = 0; i < b->nattrs; i++) {
        free (b->attrs[i].name);
        free (b->attrs[i].value);
    }
    free (b->attrs);
    b->attrs = NULL;
    b->nattrs = 0;
}
