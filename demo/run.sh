#!/usr/bin/env bash
# The demo: lint the bundled fixtures (a finding of every check, then the count per check), then run
# a buggy program and show what weave reports. Without weave-lint in BUILD, only the program runs.
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
lint="$build/bin/weave-lint"
if [ -x "$lint" ]; then
  # The seeds have findings of every check but weave-wg-add-in-fiber (no guide adds to a
  # WaitGroup inside the goroutine), so its classic case comes from the lint fixtures.
  files=(fixtures/seeds/*.cc fixtures/lint/wg-add-in-fiber/classic.cc)
  echo "== weave-lint over fixtures/seeds/ (the seed guides' programs, with their bugs)"
  echo "   and fixtures/lint/wg-add-in-fiber/classic.cc (the one check no seed triggers)"
  color=never
  [ -t 1 ] && color=always
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
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
echo "== a leaky pipeline program (demo/leaky_pipeline.cc)"
"$build/demo/weave-demo"
