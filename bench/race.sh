#!/usr/bin/env bash
# bench/race.sh — weave's race detector against ThreadSanitizer, on the same programs.
#
# Builds (in build-race/ and build-tsan/, the race and tsan presets, configured if missing) and
# runs each program three ways, side by side:
#   release        against weave (clang-19, -O2)
#   instrumented   against weave_debug, compiled with libweave_instrument.so (weave_instrument)
#   tsan           everything under -fsanitize=thread, the runtime telling TSan about fibers
# Programs: bench/race/race_bench.cc's workloads (the channel-heavy ones of bench/workloads.h at a
# tenth of their batch sizes; `batches`: fibers spawned and joined a thousand at a time; and
# `memory`: fibers on private and shared arrays and an unordered_map under a Mutex), and a seed
# program (fixtures/seeds/s003_10_fan_out_fan_in.cc, timed as a whole process). Each run is
# repeated REPS times (default 5), the three ways alternating so that load from elsewhere hits
# them alike; the table shows medians of the time (the workload's own, in ms; the seed's wall
# time) and of the peak RSS (/usr/bin/time's maximum
# resident set, KiB), and the ratios instrumented/tsan and instrumented/release.
#
# For scale, the same channel workloads under Go's own race detector: bench/go's benchmarks (at
# their full batch sizes) built with `go test -race` and without, run REPS times each, alternating
# (skipped when GO, default Debian's /usr/lib/go-1.19/bin/go, is missing or ONLY leaves out `go`).
#
# Environment: REPS, PROCS (WEAVE_PROCS and GOMAXPROCS, default 2), ONLY (a regex of program
# names), GO.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-5}
PROCS=${PROCS:-2}
ONLY=${ONLY:-.}
cd "$ROOT"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# The presets leave the benchmarks out (WEAVE_BUILD_BENCH=OFF); their targets here are
# EXCLUDE_FROM_ALL, so turning it on builds nothing more for the presets' own builds.
for preset in race tsan; do
  [ -f "build-$preset/build.ninja" ] || cmake --preset "$preset" "${launcher[@]}" >/dev/null
  cmake -S . -B "build-$preset" -DWEAVE_BUILD_BENCH=ON >/dev/null
done
cmake --build build-race --target weave_race_bench weave_race_bench_instrumented \
  weave_race_bench_seed weave_race_bench_seed_instrumented >&2
cmake --build build-tsan --target weave_race_bench weave_race_bench_seed >&2

declare -A bin=(
  [release]=build-race/bench/race/weave_race_bench
  [instrumented]=build-race/bench/race/weave_race_bench_instrumented
  [tsan]=build-tsan/bench/race/weave_race_bench
)
declare -A seed=(
  [release]=build-race/bench/race/weave_race_bench_seed
  [instrumented]=build-race/bench/race/weave_race_bench_seed_instrumented
  [tsan]=build-tsan/bench/race/weave_race_bench_seed
)
ways=(release instrumented tsan)
programs=(pingpong spawn buffered select4 mutex batches memory seed)

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for p in "${programs[@]}"; do
  [[ $p =~ $ONLY ]] || continue
  for ((r = 0; r < REPS; r++)); do
    for w in "${ways[@]}"; do
      if [ "$p" = seed ]; then
        cmd=("${seed[$w]}")
      else
        cmd=("${bin[$w]}" "$p")
      fi
      # %e: wall seconds, %M: peak resident set in KiB; the program's own line comes first.
      if ! res=$(WEAVE_PROCS=$PROCS /usr/bin/time -f '%e %M' "${cmd[@]}" 2>&1 >"$out/stdout"); then
        echo "race.sh: $p ($w) failed:" >&2
        echo "$res" | tail -20 >&2
        exit 1
      fi
      read -r wall rss <<<"$(echo "$res" | tail -1)"
      if [ "$p" = seed ]; then
        ms=$(awk -v s="$wall" 'BEGIN {print s * 1000}')
      else
        ms=$(awk -v p="$p" '$1 == p {print $2}' "$out/stdout")
      fi
      echo "$ms" >>"$out/$p.$w.ms"
      echo "$rss" >>"$out/$p.$w.rss"
    done
  done
done

printf '%-9s %10s %12s %10s   %10s %12s %10s   %9s %9s %9s\n' program "release ms" "instrum. ms" "tsan ms" \
  "rel. KiB" "instr. KiB" "tsan KiB" "i/tsan t" "i/rel t" "i/tsan m"
for p in "${programs[@]}"; do
  [ -f "$out/$p.release.ms" ] || continue
  declare -A ms=() rss=()
  for w in "${ways[@]}"; do
    ms[$w]=$(median <"$out/$p.$w.ms")
    rss[$w]=$(median <"$out/$p.$w.rss")
  done
  awk -v p="$p" -v rm="${ms[release]}" -v im="${ms[instrumented]}" -v tm="${ms[tsan]}" \
    -v rr="${rss[release]}" -v ir="${rss[instrumented]}" -v tr="${rss[tsan]}" 'BEGIN {
      # A release run of the seed ends within the 10 ms that /usr/bin/time resolves: no ratio.
      rel = rm > 0 ? sprintf("%8.2fx", im / rm) : sprintf("%9s", "-")
      printf "%-9s %10.1f %12.1f %10.1f   %10d %12d %10d   %8.2fx %s %8.2fx\n",
        p, rm, im, tm, rr, ir, tr, im / tm, rel, (ir - rr) / (tr - rr)
    }'
done
echo "(medians of $REPS runs; memory ratio: instrumented's RSS above release over TSan's above release)"

# --- Go's race detector on the channel workloads ------------------------------------------------
GO=${GO:-/usr/lib/go-1.19/bin/go}
[[ go =~ $ONLY ]] && [ -x "$GO" ] || exit 0
GODIR="$ROOT/build-race/bench/go-race"
mkdir -p "$GODIR"
(
  cd "$ROOT/bench/go"
  unset GOTOOLCHAIN
  export GOFLAGS=-mod=mod GOPROXY=off GOPATH=$GODIR/gopath GOCACHE=$GODIR/gocache GO111MODULE=on
  "$GO" test -c -o "$GODIR/plain.test" .
  CGO_ENABLED=1 "$GO" test -race -c -o "$GODIR/race.test" .
) >&2
declare -A gobench=([PingPong]=pingpong [SpawnJoin]=spawn [Buffered]=buffered [Select4]=select4
  [Mutex]=mutex)
for ((r = 0; r < REPS; r++)); do
  for w in plain race; do
    GOMAXPROCS=$PROCS "$GODIR/$w.test" -test.run '^$' -test.benchtime 1x \
      -test.bench '^Benchmark(PingPong|SpawnJoin|Buffered|Select4|Mutex)$' |
      awk -v w="$w" -v d="$out" '$1 ~ /^Benchmark/ && $4 == "ns/op" {
        sub(/^Benchmark/, "", $1); sub(/-[0-9]+$/, "", $1); print $3 >> (d "/go." $1 "." w)
      }'
  done
done
echo
printf '%-9s %14s %14s %9s\n' program "Go ms/op" "Go -race ms/op" "race/Go"
for b in PingPong SpawnJoin Buffered Select4 Mutex; do
  [ -f "$out/go.$b.plain" ] && [ -f "$out/go.$b.race" ] || continue
  awk -v p="${gobench[$b]}" -v g="$(median <"$out/go.$b.plain")" -v r="$(median <"$out/go.$b.race")" \
    'BEGIN {printf "%-9s %14.1f %14.1f %8.2fx\n", p, g / 1e6, r / 1e6, r / g}'
done
echo "(Go's own workloads, bench/go, at full batch sizes; medians of $REPS runs; compare race/Go with i/rel)"
