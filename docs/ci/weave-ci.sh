#!/usr/bin/env bash
# The CI steps of docs/ci.md, shared by the GitHub Actions workflow and the GitLab CI job (copy
# this file into your repository; weave-lint and weave-dump come from the weave package).
#
#   weave-ci.sh lint BUILD_DIR OUT_DIR
#     weave-lint over every file of BUILD_DIR/compile_commands.json with --werror; the findings
#     as SARIF in OUT_DIR/weave-lint.sarif (for code scanning), their count on stdout. Exit status
#     weave-lint's: 0 clean, 1 findings, 2 a file that does not compile.
#   weave-ci.sh test BUILD_DIR OUT_DIR
#     ctest in BUILD_DIR. The tests, linked against weave::weave_debug, write their dumps to
#     BUILD_DIR/weave-dumps/<test>.json (WEAVE_DUMP, set per test in CMake); each dump is
#     summarized on stdout and kept in OUT_DIR with its page from `weave-dump html`. Exit status
#     ctest's.
set -uo pipefail
if [ $# -ne 3 ]; then
  sed -n '5,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
cmd=$1 build=$2 out=$3
mkdir -p "$out"
case $cmd in
  lint)
    weave-lint -p "$build" --werror --format=sarif > "$out/weave-lint.sarif"
    status=$?
    echo "weave-lint: $(grep -c '"ruleId"' "$out/weave-lint.sarif") finding(s), exit status $status"
    exit $status
    ;;
  test)
    mkdir -p "$build/weave-dumps"  # the runtime writes a dump file, not its directory
    ctest --test-dir "$build" --output-on-failure
    status=$?
    for dump in "$build"/weave-dumps/*.json; do
      [ -e "$dump" ] || continue
      name=$(basename "$dump" .json)
      echo "== $name"
      weave-dump summary "$dump"
      weave-dump html -o "$out/$name.html" "$dump"
      cp "$dump" "$out/"
    done
    exit $status
    ;;
  *)
    echo "weave-ci.sh: unknown step '$cmd' (lint or test)" >&2
    exit 2
    ;;
esac
