/* modules.h - the broker modules of sched/: the job pipeline. */
#ifndef EDDY_SCHED_MODULES_H
#define EDDY_SCHED_MODULES_H

#include "engine/broker/broker.h"

extern const struct eddy_module eddy_module_job_ingest;
extern const struct eddy_module eddy_module_job_manager;
extern const struct eddy_module eddy_module_job_list;
extern const struct eddy_module eddy_module_job_archive;
extern const struct eddy_module eddy_module_cron;

#endif /* !EDDY_SCHED_MODULES_H */
