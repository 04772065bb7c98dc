#!/usr/bin/env bash
# The demo: lint the bundled fixtures (a finding of every check, then the count per check), then run
# a buggy program linked with the debug runtime (its leak dump at exit) and read the JSON form of
# that dump with weave-dump (summary, then the wait-for graph), then a racy seed built for the race
# detector (RACE_BUILD, default build-race: the race preset). Without weave-lint in BUILD, the lint
# step is skipped; without the race build, the last step.
set -uo pipefail
build=${1:-build}
race_build=${RACE_BUILD:-build-race}
cd "$(dirname "$0")/.." || exit 1
lint="$build/bin/weave-lint"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -x "$lint" ]; then
  # The seeds have findings of every check but weave-wg-add-in-fiber (no guide adds to a
  # WaitGroup inside the goroutine), so its classic case comes from the lint fixtures.
  files=(fixtures/seeds/*.cc fixtures/lint/wg-add-in-fiber/classic.cc)
  echo "== weave-lint over fixtures/seeds/ (the seed guides' programs, with their bugs)"
  echo "   and fixtures/lint/wg-add-in-fiber/classic.cc (the one check no seed triggers)"
  color=never
  [ -t 1 ] && color=always
  out="$tmp/lint.txt"
  # One run: the text output is shown as it comes and kept to count its [weave-…] tags.
  "$lint" --use-color="$color" "${files[@]}" -- -std=c++20 -Iruntime/include | tee "$out"
  status=${PIPESTATUS[0]}
  echo
  echo "== findings per check"
  # A check without a finding shows 0, so a check that stopped reporting stands out.
  for check in $("$lint" --list-checks); do
    printf '%5d  %s\n' "$(grep 'warning: ' "$out" | grep -c "\[$check\]")" "$check"
  done
  printf '%5d  total\n' "$(grep 'warning: ' "$out" | grep -c '\[weave-[a-z-]*\]')"
  [ "$status" -eq 0 ] || echo "(weave-lint exited with status $status: see its errors above)"
  echo
fi
echo "== a leaky pipeline program (demo/leaky_pipeline.cc), linked with weave::weave_debug"
dump="$tmp/leaky.json"
WEAVE_DUMP="$dump" "$build/demo/weave-demo"
echo
echo "== weave-dump summary (the JSON form of that dump, WEAVE_DUMP=<file>)"
"$build/bin/weave-dump" summary "$dump"
echo
echo "== weave-dump graph (Graphviz dot: fiber -> what it waits on -> who could release it)"
"$build/bin/weave-dump" graph "$dump"
if [ -x "$race_build/demo/weave-race-demo" ]; then
  echo
  echo "== a data race inside std::map, caught by the race detector"
  echo "   (fixtures/seeds/s004_15_unsynchronized_map.cc, built with weave_instrument)"
  "$race_build/demo/weave-race-demo"
  echo "(exit status $?: a run that reported a race exits with 66)"
fi
# weave-dump and the race demo exit non-zero when they find bugs: here that is the point.
exit 0
