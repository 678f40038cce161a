/* feed.h - the feed module (sim/feed.c): a workload submitted from inside
 * a broker at compressed trace times (eddy sim replay --real).
 */
#ifndef EDDY_SIM_FEED_H
#define EDDY_SIM_FEED_H

#include "engine/broker/broker.h"

extern const struct eddy_module eddy_module_feed;

#endif /* !EDDY_SIM_FEED_H */
