#!/usr/bin/env bash
# The demo: lint the bundled fixtures, then run a buggy program and show what weave reports.
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
if [ -x "$build/bin/weave-lint" ]; then
  echo "== weave-lint over fixtures/seeds/ (the seed guides' programs, with their bugs)"
  "$build/bin/weave-lint" fixtures/seeds/*.cc -- -std=c++20 -Iruntime/include
  echo
fi
echo "== a leaky pipeline program (demo/leaky_pipeline.cc)"
"$build/demo/weave-demo"
