#!/usr/bin/env bash
# The weave-lint benchmark: analysis cost against clang++-19 -fsyntax-only, and its growth with
# the number of functions. Usage: bench/lint/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 bench/lint/bench.py "${1:-build}" "${@:2}"
