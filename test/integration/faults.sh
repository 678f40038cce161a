# faults.sh - what became of the jobs of a run where ranks failed, checked
# by the same code for a real instance (t0046, kill -9 of brokers) and a
# simulated one (t0047, eddy sim replay --fault): scripts source it after
# lib.sh.  The run has 8 nodes of 2 cores; its jobs are one 8-node job on
# every rank ("wide"), one 1-node job on each rank ("one"), and, once the
# failed ranks are back, one more 8-node job ("full").
#
#   faults_check LABEL FILE LOST   FILE: one line "ROLE STATUS" per job,
#                                  STATUS killed (a fatal node-failure),
#                                  completed (status 0, no exception) or
#                                  anything else; LOST: the ranks lost
#                                  (the failed one and those under it)

faults_check () {
    local label=$1 file=$2 lost=$3
    local wide_killed one_killed one_done other full
    wide_killed=$(awk '$1 == "wide" && $2 == "killed"' "$file" | wc -l)
    one_killed=$(awk '$1 == "one" && $2 == "killed"' "$file" | wc -l)
    one_done=$(awk '$1 == "one" && $2 == "completed"' "$file" | wc -l)
    other=$(awk '$2 != "killed" && $2 != "completed"' "$file" | wc -l)
    full=$(awk '$1 == "full" { print $2 }' "$file")
    [ "$wide_killed" -eq 1 ]
    _report $? "$label: the 8-node job fails with node-failure" "$file"
    [ "$one_killed" -eq "$lost" ]
    _report $? "$label: so do the 1-node jobs of the $lost lost ranks ($one_killed)" "$file"
    [ "$one_done" -eq $((8 - lost)) ] && [ "$other" -eq 0 ]
    _report $? "$label: the $((8 - lost)) others complete ($one_done), no job ends otherwise" "$file"
    if [ -n "$full" ]; then
        [ "$full" = completed ]
        _report $? "$label: the ranks back, the next 8-node job completes" "$file"
    fi
}
