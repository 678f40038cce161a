/* config-schema.h - the tables and keys eddy's configuration knows, with
 * their types, and the validator that holds a configuration against them:
 * a wrong type or value is an error naming the file and the key; an
 * unknown table or key is a warning, never silently ignored.
 *
 * The tables themselves are in config-tables.c, one per module or broker
 * part; this is the machinery.  eddy-broker, `eddy start` and `eddy config
 * check` validate with it, so all three accept exactly the same files.
 */
#ifndef EDDY_CMD_CONFIG_SCHEMA_H
#define EDDY_CMD_CONFIG_SCHEMA_H

#include <jansson.h>

#include "engine/error.h"

enum eddy_conf_type {
    EDDY_CONF_STRING,   /* optionally one of `choices` */
    EDDY_CONF_BOOLEAN,
    EDDY_CONF_INTEGER,  /* within [min, max] unless both are 0 */
    EDDY_CONF_NUMBER,   /* integer or float, within [min, max] likewise */
    EDDY_CONF_DURATION, /* an RFC 23 duration ("30s") or seconds >= 0 */
    EDDY_CONF_HOSTLIST, /* an RFC 29 hostlist string ("node[0-15]") */
    EDDY_CONF_IDSET,    /* an RFC 22 idset string ("0-3,7") */
    EDDY_CONF_STRINGS,  /* an array of strings */
    EDDY_CONF_TABLE,    /* a table: its members are checked by `keys`, if set */
    EDDY_CONF_TABLES,   /* an array of tables, each checked by `keys` */
    EDDY_CONF_ANY,      /* anything (a plugin's own table) */
};

enum eddy_conf_flags {
    EDDY_CONF_RESTART = 1,  /* read when the instance starts: a reload warns */
    EDDY_CONF_UNUSED = 2,   /* known (Flux's name), checked, not used by eddy yet */
    EDDY_CONF_REQUIRED = 4, /* a member that every table of TABLES must have */
};

struct eddy_conf_key {
    const char *name; /* "*" matches any name (e.g. a queue's) */
    enum eddy_conf_type type;
    int flags;
    double min, max;
    const char *const *choices;                        /* STRING: NULL-terminated */
    int (*check) (const json_t *v, eddy_error_t *err); /* more rules; -1 + err */
    const struct eddy_conf_key *keys;                  /* TABLE, TABLES members */
    const char *doc;                                   /* one line, for humans */
};
#define EDDY_CONF_END { .name = NULL }

/* The top-level tables (each of type TABLE), in config-tables.c. */
extern const struct eddy_conf_key eddy_config_schema[];

/* Warnings and notes, as "FILE: KEY: message" (FILE: only when known).
 * level is a syslog level: LOG_WARNING for an unknown table or key,
 * LOG_NOTICE for a change that needs a restart, LOG_INFO for a table or key
 * eddy does not use yet.
 */
typedef void (*eddy_config_warn_f) (int level, const char *text, void *arg);

/* Validation
 *
 * eddy_config_validate () checks doc (one file's table, or a merged
 * configuration) against schema.  file names the source in messages (may
 * be NULL).  warn may be NULL.  Returns 0, or -1 + EINVAL with err->text
 * "FILE: KEY: message" for the first wrong value (KEY dotted, with [i] for
 * an array element: "bootstrap.hosts[1].host").
 */
int eddy_config_validate (const struct eddy_conf_key *schema,
                          const char *file,
                          const json_t *doc,
                          eddy_config_warn_f warn,
                          void *arg,
                          eddy_error_t *err);

/* Reading
 *
 * eddy_config_read () loads a file or a conf.d (cmd/configfile.h) and
 * validates each file against eddy_config_schema before they are merged,
 * so messages name the file that holds the key.  Returns the merged
 * configuration (the caller's) or NULL with errno and err->text set: a
 * TOML error is "FILE:LINE:COL: message".
 */
json_t *eddy_config_read (const char *path, eddy_config_warn_f warn, void *arg, eddy_error_t *err);

/* Reloading
 *
 * eddy_config_restart_changes () reports (through warn, LOG_NOTICE) each
 * key flagged EDDY_CONF_RESTART whose value differs between old and new:
 * those take effect at the next restart.  Returns how many there were.
 */
int eddy_config_restart_changes (const struct eddy_conf_key *schema,
                                 const json_t *old,
                                 const json_t *new,
                                 eddy_config_warn_f warn,
                                 void *arg);

#endif /* !EDDY_CMD_CONFIG_SCHEMA_H */
