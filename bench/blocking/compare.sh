#!/usr/bin/env bash
# What Go's own tooling reports on the Go twins in bench/blocking/go, next to what weave's debug
# runtime reports on the blocking-bug kernels of fixtures/debug, as one markdown table.
#
# Usage: bench/blocking/compare.sh [BUILD_DIR]   (default build)
#
# Go's side: the runtime's own "all goroutines are asleep" check, and goleak's method (each twin
# ends with a reimplementation of goleak.VerifyNone's check, as the module cannot be fetched
# offline). weave's side: BUILD_DIR/tests/seeds/weave-debug-fixtures NAME, already built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=${1:-$root/build}
runner=$build_dir/tests/seeds/weave-debug-fixtures
go=/usr/lib/go-1.19/bin/go
timeout_s=10

if [[ ! -x $runner ]]; then
  echo "compare.sh: $runner not found; build weave's tests first" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-blocking.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# No modules: every twin is a single file using the standard library only.
export GO111MODULE=off GOFLAGS='' GOCACHE=${TMPDIR:-/tmp}/weave-go-cache

# Runs "$@" under the timeout; sets rc (124 when it had to be killed).
run_capped() {
  local out=$1 err=$2
  shift 2
  rc=0
  timeout -k 1 "$timeout_s" "$@" >"$out" 2>"$err" || rc=$?
}

go_runtime_verdict() {  # $1 stderr, $2 exit status
  if [[ $2 == 124 || $2 == 137 ]]; then
    echo "hangs (killed after ${timeout_s} s)"
  elif grep -q '^fatal error: all goroutines are asleep - deadlock!' "$1"; then
    echo "deadlock (fatal error, exit $2)"
  elif grep -qE '^(fatal error|panic):' "$1"; then
    echo "crash: $(grep -m1 -E '^(fatal error|panic):' "$1")"
  elif [[ $2 != 0 ]]; then
    echo "nothing (exit $2)"
  else
    echo "nothing"
  fi
}

goleak_verdict() {  # $1 stderr
  local n
  n=$(sed -n 's/^goleak-method: \([0-9]*\) goroutines left$/\1/p' "$1" | tail -n1)
  if [[ -z $n ]]; then
    echo "not reached"
  else
    echo "$n left"
  fi
}

# weave's reports, in the words of the fixtures' "// run:" lines: the lock checks' WARNING kinds,
# "deadlock" for the global deadlock's fatal error, and "leak ..." for the groups of the exit dump.
weave_verdict() {  # $1 stderr, $2 exit status
  if [[ $2 == 124 || $2 == 137 ]]; then
    echo "hangs (killed after ${timeout_s} s)"
    return
  fi
  local parts=() kind leaks
  while IFS= read -r kind; do
    parts+=("$kind")
  done < <(sed -n 's/^WARNING: \([a-z-]*\).*/\1/p' "$1" | awk '!seen[$0]++')
  if grep -q '^fatal error: all fibers are asleep - deadlock!' "$1"; then
    parts+=("deadlock")
  fi
  # Group headers of the exit dump look like "1 fiber [chan send, 105ms, unreachable]:".
  leaks=$(awk '
    /^weave: [0-9]+ (fiber|fibers|thread|threads) blocked at exit/ { dump = 1; next }
    dump && match($0, /^[0-9]+ (fiber|fibers|thread|threads) \[[^]]*\]:$/) {
      split($0, head, " \\[")
      count = head[1]; sub(/ (fiber|fibers|thread|threads)$/, "", count)
      inside = $0; sub(/^[^[]*\[/, "", inside); sub(/\]:$/, "", inside)
      n = split(inside, field, ", ")
      item = count " " field[1]
      if (head[1] ~ /thread/) item = item " (thread)"
      for (i = 2; i <= n; i++) if (field[i] == "unreachable") item = item " (unreachable)"
      out = out (out == "" ? "" : ", ") item
    }
    END { print out }' "$1")
  if [[ -n $leaks ]]; then
    parts+=("leak $leaks")
  fi
  if ((${#parts[@]} == 0)); then
    parts=("clean")
  fi
  local joined
  joined=$(printf '%s, ' "${parts[@]}")
  joined=${joined%, }
  if [[ $2 != 0 && $2 != 2 ]]; then
    joined="$joined (exit $2)"
  fi
  echo "$joined"
}

bugs=0 clean=0
declare -A flagged=()  # "<class>:<tool>" -> count
mismatches=()

echo "| fixture | expected (// run:) | Go runtime | goleak's method | weave debug runtime |"
echo "|---|---|---|---|---|"
for cc in "$root"/fixtures/debug/*.cc; do
  name=$(basename "$cc" .cc)
  expected=$(sed -n '1s|^// run: *||p' "$cc")
  twin=$here/go/$name.go

  if [[ ! -f $twin ]]; then
    go_rt="no Go twin"
    leak="-"
  elif ! "$go" build -o "$tmp/$name" "$here/go/blocked.go" "$twin" 2>"$tmp/$name.build"; then
    go_rt="Go build failed: $(head -n1 "$tmp/$name.build")"
    leak="-"
  else
    run_capped "$tmp/$name.go.out" "$tmp/$name.go.err" "$tmp/$name"
    go_rt=$(go_runtime_verdict "$tmp/$name.go.err" "$rc")
    leak=$(goleak_verdict "$tmp/$name.go.err")
  fi

  run_capped "$tmp/$name.weave.out" "$tmp/$name.weave.err" "$runner" "$name"
  weave=$(weave_verdict "$tmp/$name.weave.err" "$rc")

  echo "| $name | $expected | $go_rt | $leak | $weave |"

  if [[ $name == *_fixed || $name == no_* ]]; then
    class=clean
    clean=$((clean + 1))
  else
    class=bug
    bugs=$((bugs + 1))
  fi
  rt_flags=0 leak_flags=0
  if [[ $go_rt == deadlock* || $go_rt == crash* ]]; then rt_flags=1; fi
  if [[ $leak =~ ^[1-9][0-9]*\ left$ ]]; then leak_flags=1; fi
  flagged[$class:rt]=$((${flagged[$class:rt]:-0} + rt_flags))
  flagged[$class:leak]=$((${flagged[$class:leak]:-0} + leak_flags))
  flagged[$class:go]=$((${flagged[$class:go]:-0} + (rt_flags | leak_flags)))
  if [[ $weave != clean ]]; then flagged[$class:weave]=$((${flagged[$class:weave]:-0} + 1)); fi
  # weave's verdict, less the reachability notes, should read as the fixture's "// run:" line.
  if [[ ${weave// (unreachable)/} != "$expected" ]]; then mismatches+=("$name"); fi
done

totals() {  # $1 class
  echo "Go runtime ${flagged[$1:rt]:-0}, goleak's method ${flagged[$1:leak]:-0}," \
    "either Go tool ${flagged[$1:go]:-0}, weave debug runtime ${flagged[$1:weave]:-0}"
}
echo
echo "Bug programs ($bugs), flagged by: $(totals bug)"
echo "Clean programs ($clean, _fixed twins and no_*), false alarms by: $(totals clean)"
if ((${#mismatches[@]} == 0)); then
  echo "weave's verdict matches the // run: line of every fixture"
else
  echo "weave's verdict differs from the // run: line of: ${mismatches[*]}"
fi
