/* A killed rank restarted in a virtual cluster (eddy_sim_cluster_restart):
 * seven brokers on kary:2 (rank 1 over 3 and 4); rank 1 is killed, so its
 * subtree leaves rank 0's online set; restarted, a new broker (another
 * instance) joins through hello/welcome, its children rejoin through it,
 * and rank 0 counts all seven online again.  A live rank is left alone;
 * rank 0 cannot restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/modules.h"
#include "engine/future.h"
#include "sim/cluster.h"
#include "sim/des.h"

static void run_to (eddy_sim_cluster_t *c, double t)
{
    eddy_reactor_t *r = eddy_sim_cluster_reactor (c);
    while (eddy_reactor_now (r) < t && eddy_sim_pending (r) > 0)
        eddy_reactor_run (r, EDDY_RUN_ONCE);
}

/* rank 0's overlay.online set, as text */
static void online (eddy_sim_cluster_t *c, eddy_handle_t *h, char *buf, size_t len)
{
    const char *s = "";
    eddy_future_t *f = eddy_rpc (h, "overlay.online", NULL, 0, 0);
    assert_non_null (f);
    assert_int_equal (eddy_sim_cluster_run_until_ready (c, f, 60), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:s}", "online", &s), 0);
    snprintf (buf, len, "%s", s);
    eddy_future_destroy (f);
}

static void restart_rejoins (void **state)
{
    struct eddy_sim_cluster_params p = {
        .size = 7, .fanout = 2, .latency = 1e-4, .seed = 3, .modules = eddy_builtin_modules,
    };
    eddy_sim_cluster_t *c = eddy_sim_cluster_create (&p, NULL);
    char buf[64];

    assert_non_null (c);
    assert_int_equal (eddy_sim_cluster_attr_set (c, "tbon.hello_retry", "1"), 0);
    assert_int_equal (eddy_sim_cluster_rank_attr_set (c, 1, "test.mark", "kept"), 0);
    assert_int_equal (eddy_sim_cluster_boot (c, 60), 0);
    eddy_handle_t *h = eddy_broker_handle_create (eddy_sim_cluster_broker (c, 0), "test");
    assert_non_null (h);
    double t0 = eddy_reactor_now (eddy_sim_cluster_reactor (c));
    eddy_broker_t *old = eddy_sim_cluster_broker (c, 1);

    assert_int_equal (eddy_simnet_kill (eddy_sim_cluster_net (c), 1, t0 + 1), 0);
    assert_int_equal (eddy_sim_cluster_restart (c, 1, t0 + 5), 0);
    /* a live rank is left alone */
    assert_int_equal (eddy_sim_cluster_restart (c, 2, t0 + 5), 0);
    errno = 0;
    assert_int_equal (eddy_sim_cluster_restart (c, 0, t0 + 5), -1);
    assert_int_equal (errno, EINVAL);

    run_to (c, t0 + 3);
    online (c, h, buf, sizeof (buf));
    assert_string_equal (buf, "0,2,5-6"); /* rank 1 and its subtree are gone */
    assert_int_equal (eddy_sim_cluster_restarts (c), 0);

    run_to (c, t0 + 10);
    assert_int_equal (eddy_sim_cluster_restarts (c), 1);
    eddy_broker_t *nb = eddy_sim_cluster_broker (c, 1);
    assert_non_null (nb);
    assert_true (nb != old);
    assert_int_equal (eddy_broker_state (nb), EDDY_STATE_RUN);
    assert_string_equal (eddy_broker_attr_get (nb, "tbon.hello_retry"), "1");
    assert_string_equal (eddy_broker_attr_get (nb, "test.mark"), "kept");
    online (c, h, buf, sizeof (buf));
    assert_string_equal (buf, "0-6"); /* 1 rejoined, and 3 and 4 through it */

    eddy_handle_destroy (h);
    eddy_sim_cluster_destroy (c);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (restart_rejoins),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
