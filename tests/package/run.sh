#!/usr/bin/env bash
# Installs the build into a scratch prefix, then configures, builds and runs an outside project
# that finds it with find_package(weave).
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" --component Unspecified >/dev/null
cmake -S "$src/consumer" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null
"$scratch/build/consumer"
"$scratch/build/consumer_debug"
