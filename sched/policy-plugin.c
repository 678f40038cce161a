/* policy-plugin.c - a policy from a shared object: dlopen it, look up its
 * ops table (eddy_policy_plugin).  policy.c checks the table like a
 * built-in one.
 *
 * The one place in sched/ that reads a file (contract 2): a plugin's code,
 * once, when the policy is created at module load, in both worlds alike;
 * passes never touch it.  contracts.allow names this object.
 */
#include <dlfcn.h>
#include <errno.h>

#include "sched/policy_impl.h"

const struct eddy_policy_ops *
policy_plugin_open (const char *path, void **dso, eddy_error_t *err)
{
    const struct eddy_policy_ops *ops;
    const char *why;
    void *h;

    if (!(h = dlopen (path, RTLD_NOW | RTLD_LOCAL))) {
        why = dlerror ();
        errno = ENOENT;
        eddy_error_set (err, "cannot load policy plugin: %s", why ? why : path);
        return NULL;
    }
    dlerror ();
    if (!(ops = dlsym (h, EDDY_POLICY_PLUGIN_SYMBOL))) {
        dlclose (h);
        errno = EINVAL;
        eddy_error_set (err,
                        "plugin %s has no symbol " EDDY_POLICY_PLUGIN_SYMBOL
                        ": not an eddy policy plugin (see <eddy/policy.h>)",
                        path);
        return NULL;
    }
    *dso = h;
    return ops;
}

void policy_plugin_close (void *dso)
{
    if (dso) {
        int saved_errno = errno;
        dlclose (dso);
        errno = saved_errno;
    }
}
