#!/usr/bin/env bash
# The weave-lint benchmark: analysis cost against clang++-19 -fsyntax-only, and its growth with
# the size of the file, the number of findings and the depth of nested fibers.
# Usage: bench/lint/run.sh [BUILD_DIR] [bench.py options]   (default: build; see bench.py)
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 bench/lint/bench.py "${1:-build}" "${@:2}"
