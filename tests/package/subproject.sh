#!/usr/bin/env bash
# subproject.sh SOURCE_DIR WORK_DIR HOW [LAUNCHER]: configures the outside project of subproject/
# with weave taken by HOW (add_subdirectory or FetchContent), builds its program (which builds
# the release runtime and nothing else of weave) and runs it. WORK_DIR is emptied first; it stays
# at one place so that ccache serves the runtime's objects from the previous run.
set -euo pipefail
source_dir=$1 work=$2 how=$3 launcher=${4:-}
rm -rf "$work"
cmake -S "$source_dir/tests/package/subproject" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DWEAVE_SOURCE_DIR="$source_dir" -DWEAVE_HOW="$how" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"} >/dev/null
cmake --build "$work" --target consumer >/dev/null
"$work/consumer"
