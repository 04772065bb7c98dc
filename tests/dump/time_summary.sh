#!/usr/bin/env bash
# Times `weave-dump summary` on a generated dump of N fibers (made once, kept in FILE): five runs,
# the median and the least wall-clock and CPU (user + system) seconds. Fails when the least CPU
# time reaches 2 s: other work on a shared machine stretches wall-clock time, and CPU time too
# (caches, memory bandwidth), without the tool doing more; the least-disturbed run is the one that
# says what the tool costs.
#   usage: time_summary.sh MAKE_BIG_DUMP WEAVE_DUMP FILE N
set -euo pipefail
gen=$1 tool=$2 file=$3 n=$4
[ -s "$file" ] || "$gen" "$n" "$file"
echo "dump: $file, $n fibers, $(stat -c %s "$file") bytes"
TIMEFORMAT='%R %U %S'
walls=() cpus=()
for _ in 1 2 3 4 5; do
  status=0
  t=$( { time "$tool" summary "$file" > /dev/null; } 2>&1 ) || status=$?
  # The dump holds leaks: status 1 is the expected one.
  [ "$status" -eq 1 ] || { echo "weave-dump exited with $status: $t"; exit 1; }
  read -r wall user sys <<< "$t"
  walls+=("$wall")
  cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
  echo "run: wall ${wall}s, user ${user}s, sys ${sys}s"
done
nth() { local n=$1; shift; printf '%s\n' "$@" | sort -n | sed -n "${n}p"; }
echo "median of 5: wall $(nth 3 "${walls[@]}")s, cpu $(nth 3 "${cpus[@]}")s"
cpu=$(nth 1 "${cpus[@]}")
echo "least of 5: wall $(nth 1 "${walls[@]}")s, cpu ${cpu}s"
awk -v c="$cpu" 'BEGIN { exit !(c < 2) }' || { echo "FAIL: least CPU time ${cpu}s >= 2s"; exit 1; }
