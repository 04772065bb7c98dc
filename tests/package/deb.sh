#!/usr/bin/env bash
# deb.sh BUILD_DIR SOURCE_DIR: builds the Debian package of a built tree with cpack, checks its
# control fields, unpacks it into a scratch root with dpkg-deb -x, and builds and runs an outside
# program against that root: with find_package(weave) (CMAKE_PREFIX_PATH), and with pkg-config
# (PKG_CONFIG_PATH alone, then PKG_CONFIG_SYSROOT_DIR), against both runtimes. The installed
# tools run from the root too. Each step prints one line; the first failure stops the test.
set -euo pipefail
build=$1 src=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "deb.sh: $*" >&2; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$scratch/out" >/dev/null
debs=("$scratch"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made no single .deb: ${debs[*]}"
deb=${debs[0]}
echo "built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
for dep in libabsl-dev libboost-context-dev; do
  [[ $depends == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
lint=no
dpkg-deb -c "$deb" >"$scratch/contents"
grep -q '/usr/bin/weave-lint$' "$scratch/contents" && lint=yes
if [ $lint = yes ]; then
  for dep in libllvm19 libclang-cpp19 libclang-common-19-dev; do
    [[ $depends == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
  done
fi
echo "depends: $depends"

root=$scratch/root
dpkg-deb -x "$deb" "$root"
libdir=$(dirname "$(find "$root" -name libweave.a)")
pcdir=$libdir/pkgconfig
expected=(usr/bin/weave-dump usr/include/weave/weave.h "${libdir#$root/}/libweave.a"
  "${libdir#$root/}/libweave_debug.a" "${libdir#$root/}/cmake/weave/weaveConfig.cmake"
  "${pcdir#$root/}/weave.pc" "${pcdir#$root/}/weave_debug.pc" usr/share/man/man1/weave-dump.1
  usr/share/doc/weave/model.md)
[ $lint = yes ] && expected+=(usr/bin/weave-lint usr/share/man/man1/weave-lint.1)
for f in "${expected[@]}"; do
  [ -e "$root/$f" ] || fail "the package lacks /$f"
done
echo "unpacked: ${#expected[@]} expected files present"

consumer=$src/tests/package/consumer
cmake -S "$consumer" -B "$scratch/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" >/dev/null
cmake --build "$scratch/cmake" >/dev/null
echo "find_package: $("$scratch/cmake/consumer") / debug: $("$scratch/cmake/consumer_debug")"

for pc in weave weave_debug; do
  flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs "$pc")
  [[ $flags == *"-I$root/"* ]] || fail "pkg-config $pc does not point into the root: $flags"
  c++ -std=c++20 "$consumer/main.cc" $flags -o "$scratch/pc_$pc"
  flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs "$pc")
  c++ -std=c++20 "$consumer/main.cc" $flags -o "$scratch/pc_sysroot_$pc"
  echo "pkg-config $pc: $("$scratch/pc_$pc") / sysroot: $("$scratch/pc_sysroot_$pc")"
done

"$root/usr/bin/weave-dump" --help >/dev/null || fail "the installed weave-dump --help failed"
if [ $lint = yes ]; then
  "$root/usr/bin/weave-lint" --list-checks | grep -q weave-lost-cancel ||
    fail "the installed weave-lint lists no weave-lost-cancel"
  tidy=$(find "$root" -name libweave_tidy.so)
  if [ -n "$tidy" ] && command -v clang-tidy-19 >/dev/null; then
    clang-tidy-19 -load="$tidy" -checks='-*,weave-*' -list-checks | grep -q weave-lost-cancel ||
      fail "clang-tidy-19 lists no weave check from the installed module"
  fi
fi
echo "installed tools run"

# docs/ci.md's recipes, as the CI jobs run them against the installed package: weave-ci.sh lint
# must fail on the example's lost cancel with a SARIF log naming it; weave-ci.sh test must fail
# on the example's leak and keep its dump and page (when this debug runtime writes dumps).
[ $lint = yes ] || { echo "CI recipes: skipped (no weave-lint in this package)"; exit 0; }
example=$scratch/ci_example
cp -r "$src/tests/package/ci_example" "$example"
cmake -S "$example" -B "$example/build" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build "$example/build" >/dev/null
export PATH=$root/usr/bin:$PATH
status=0
(cd "$example" && "$src/docs/ci/weave-ci.sh" lint build weave-out) >"$scratch/lint.log" || status=$?
[ $status -eq 1 ] || fail "weave-ci.sh lint exited $status, not 1: $(cat "$scratch/lint.log")"
grep -q '"ruleId": *"weave-lost-cancel"' "$example/weave-out/weave-lint.sarif" ||
  fail "the SARIF log names no weave-lost-cancel"
echo "CI lint: $(cat "$scratch/lint.log")"
status=0
(cd "$example" && "$src/docs/ci/weave-ci.sh" test build weave-out) >"$scratch/test.log" 2>&1 || status=$?
if grep -aq WEAVE_DUMP "$libdir/libweave_debug.a"; then
  [ $status -ne 0 ] || fail "weave-ci.sh test passed over a leak: $(cat "$scratch/test.log")"
  for f in leak_test.json leak_test.html clean_test.json clean_test.html; do
    [ -s "$example/weave-out/$f" ] || fail "weave-ci.sh test kept no $f: $(cat "$scratch/test.log")"
  done
  grep -q "chan send" "$example/weave-out/leak_test.html" ||
    fail "leak_test.html shows no fiber blocked in chan send"
  echo "CI tests: the leak failed its test, dumps and pages kept: $(ls "$example/weave-out" | tr '\n' ' ')"
else
  [ $status -eq 0 ] || fail "weave-ci.sh test failed: $(cat "$scratch/test.log")"
  echo "CI tests: ran; dumps not checked (this debug runtime does not write WEAVE_DUMP)"
fi
