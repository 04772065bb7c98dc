#!/usr/bin/env bash
# subproject.sh SOURCE_DIR WORK_DIR HOW [LAUNCHER [instrument]]: configures the outside project
# of subproject/ with weave taken by HOW (add_subdirectory or FetchContent), builds its program
# (which builds the release runtime and nothing else of weave) and runs it. With `instrument`, the
# project is built by clang-19 with weave's plugin on, and its racy program, built with
# weave_instrument(), must report its race and exit with status 66. WORK_DIR is emptied first; it
# stays at one place so that ccache serves the runtime's objects from the previous run.
set -euo pipefail
source_dir=$1 work=$2 how=$3 launcher=${4:-} mode=${5:-}
rm -rf "$work"
extra=()
[ "$mode" = instrument ] && extra=(-DCMAKE_CXX_COMPILER=clang++-19 -DWEAVE_BUILD_INSTRUMENT=ON)
cmake -S "$source_dir/tests/package/subproject" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DWEAVE_SOURCE_DIR="$source_dir" -DWEAVE_HOW="$how" "${extra[@]}" \
  ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"} >/dev/null
if [ "$mode" = instrument ]; then
  cmake --build "$work" --target racy >/dev/null
  status=0
  "$work/racy" 2>"$work/racy.err" || status=$?
  if [ "$status" != 66 ] || ! grep -q "WARNING: DATA RACE" "$work/racy.err"; then
    echo "subproject.sh: the racy program exited with $status, and reported:" >&2
    cat "$work/racy.err" >&2
    exit 1
  fi
fi
cmake --build "$work" --target consumer >/dev/null
"$work/consumer"
