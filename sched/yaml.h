/* yaml.h - load one YAML document into a jansson value.
 *
 * Used by the jobspec loader; typing of plain scalars follows the YAML 1.1
 * resolver that PyYAML (and so flux-core) applies.
 */
#ifndef EDDY_SCHED_YAML_H
#define EDDY_SCHED_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "engine/error.h"

/* Parse exactly one YAML document from buf[0..len) (no NUL needed) and
 * return it as a new JSON value.
 *
 * Plain scalars become null (~, null, empty), booleans (true/false, yes/no,
 * on/off in their three cases), integers (decimal, 0x, 0b, 0-octal, "_"
 * separators, base-60 "1:30"), reals ("3600.", "1.5e+3", ".5") or strings;
 * quoted scalars are strings.  Standard tags !!str !!int !!float !!bool
 * !!null !!seq !!map and the non-specific "!" are honoured; any other tag
 * is an error.  Anchors and aliases are expanded (an alias copies the
 * anchored value), merge keys ("<<") are applied, duplicate mapping keys
 * are an error.  Work is bounded: nesting deeper than 256 levels, more
 * than 2^20 values after alias expansion, infinities/NaN, integers beyond
 * int64 and strings with NUL are errors.
 *
 * Returns a new reference, or NULL with errno EINVAL (syntax or one of the
 * limits above, err says which, with line and column where known), ERANGE
 * (number out of range) or ENOMEM.
 */
json_t *eddy_yaml_load (const char *buf, size_t len, eddy_error_t *err);

#endif /* !EDDY_SCHED_YAML_H */
