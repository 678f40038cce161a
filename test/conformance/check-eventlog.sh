#!/usr/bin/env bash
# RFC 18 eventlogs: flux-core's accept/reject cases, every RFC event example
# as an entry, the RFC 18 example log (rejected as printed, accepted once
# repaired) and a real 4,611-entry resource eventlog.
set -uo pipefail
v="$EDDY_VECTORS/eventlog"
vec-util eventlog-cases "$v/flux-core/eventlog_cases.tsv"
vec-util eventlog-events "$v/rfc/events.tsv"
vec-util eventlog-file eventlog/rfc18-example "$v/rfc/rfc18-example.eventlog" reject
vec-util eventlog-file eventlog/rfc18-example-repaired "$v/rfc/rfc18-example-repaired.eventlog" 8
vec-util eventlog-file eventlog/resource.eventlog.thing2 "$v/flux-core/resource.eventlog.thing2" 4611
