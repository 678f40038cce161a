/* configfile.h - load eddy's TOML configuration from a file or a directory.
 *
 * The engine parses buffers only (engine/util/toml.h); reading files is the
 * front end's job, so the loader lives here in cmd/.
 */
#ifndef EDDY_CMD_CONFIGFILE_H
#define EDDY_CMD_CONFIGFILE_H

#include <jansson.h>

#include "engine/error.h"

/* Loading
 *
 * eddy_config_load_file () parses one TOML file.  eddy_config_load_dir ()
 * parses every "*.toml" in a directory (not those starting with '.', as
 * with a shell glob) in strcmp () order of their names and merges them into
 * one table, as Flux does for conf.d: tables present in several files are
 * merged key by key, but a key that two files both set (or that one file
 * makes a table and another a value) is an error naming both files.  An
 * empty directory gives an empty table.  eddy_config_load () picks one of
 * the two by what `path` is.
 *
 * Return a new object owned by the caller, or NULL with errno set and
 * err->text filled: "FILE:LINE:COL: message" for a TOML error,
 * "FILE: message" for a file that cannot be read (errno from the system
 * call, or EFBIG past 64 MiB), "FILE2: 'KEY' is already defined in FILE1"
 * (errno EEXIST) for a merge conflict.
 */
json_t *eddy_config_load_file (const char *path, eddy_error_t *err);
json_t *eddy_config_load_dir (const char *path, eddy_error_t *err);
json_t *eddy_config_load (const char *path, eddy_error_t *err);

/* Checking each file
 *
 * eddy_config_load_checked () is eddy_config_load () that also calls check
 * on each file's own table, in name order, once they all parsed and merged
 * (so the errors above come first): every key of the merged table comes
 * from exactly one file, so a check can name the file that holds a bad key.  check returns 0, or -1 with errno and err->text set
 * (the text as the reader should see it), which fails the load.
 */
typedef int (*eddy_config_check_f) (const char *path, const json_t *doc, void *arg, eddy_error_t *err);
json_t *eddy_config_load_checked (const char *path,
                                  eddy_config_check_f check,
                                  void *arg,
                                  eddy_error_t *err);

#endif /* !EDDY_CMD_CONFIGFILE_H */
