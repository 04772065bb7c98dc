#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — the weave-vs-Go benchmark table.
#
# Builds what is missing (weave_bench and weave_rss in BUILD_DIR, configured as a Release build
# if BUILD_DIR is new; the Go test binary and the Go RSS program in BUILD_DIR/bench/go), runs
# every workload on both sides with WEAVE_PROCS=2 / GOMAXPROCS=2, REPS times each, and prints the
# medians, the ratio weave/Go and whether the target is met. Workloads alternate weave, Go,
# weave, Go… so that load from elsewhere on the machine hits both sides alike.
#
# Environment: REPS (default 5), RSS_REPS (runs of the 100k RSS program, default 3; the 1M one
# runs RSS_REPS_1M times, default 1: RSS varies by well under 1% from run to run, and parking a
# million fibers takes tens of seconds here, page faults being slow on this VM), PROCS (default 2), GO (default /usr/lib/go-1.19/bin/go),
# BENCH_TIMEOUT seconds per run (default 300), ONLY (a regex of workload keys to run, e.g.
# 'pingpong|rss'), REPORT_ONLY=1 (print the table of the last run again).
# Raw results go to BUILD_DIR/bench/results/ (Google Benchmark JSON, `go test` output,
# summary.json). Exit status: 0 when every run completed (targets missed or not), 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-build}")
REPS=${REPS:-5}
RSS_REPS=${RSS_REPS:-3}
RSS_REPS_1M=${RSS_REPS_1M:-1}
PROCS=${PROCS:-2}
GO=${GO:-/usr/lib/go-1.19/bin/go}
TIMEOUT=${BENCH_TIMEOUT:-300}
ONLY=${ONLY:-.}
OUT=$BUILD/bench/results
GODIR=$BUILD/bench/go

if [ -z "${REPORT_ONLY:-}" ]; then
# --- build -------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEAVE_BUILD_BENCH=ON \
    -DWEAVE_BUILD_ANALYZER=OFF -DWEAVE_BUILD_TESTS=OFF >/dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
case "$build_type" in
  Release | RelWithDebInfo | MinSizeRel) ;;
  *) echo "run.sh: warning: $BUILD is a '$build_type' build: the runtime is not optimised" >&2 ;;
esac
weave_built=1
cmake --build "$BUILD" --target weave_bench weave_rss >&2 || {
  weave_built=0
  echo "run.sh: building weave_bench/weave_rss failed: only the Go side will run" >&2
}

mkdir -p "$GODIR" "$OUT"
(
  cd "$ROOT/bench/go"
  unset GOTOOLCHAIN
  export GOFLAGS=-mod=mod GOPROXY=off GOPATH=$GODIR/gopath GOCACHE=$GODIR/gocache GO111MODULE=on
  "$GO" test -c -o "$GODIR/weavebench.test" .
  "$GO" build -o "$GODIR/rss" ./rss
)
rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.out "$OUT"/*.fail

# --- run ---------------------------------------------------------------------------------------
export WEAVE_PROCS=$PROCS GOMAXPROCS=$PROCS
echo "load before: $(uptime)" | tee "$OUT/load.txt" >&2

# run_or_note NAME CMD…: runs CMD with a time limit; on failure records why in $OUT/NAME.fail.
run_or_note() {
  local name=$1
  shift
  local rc=0
  if [[ $name == weave-* ]] && [ $weave_built -eq 0 ]; then
    echo "not built" >"$OUT/$name.fail"
    return 0
  fi
  timeout --signal=KILL "$TIMEOUT" "$@" >"$OUT/$name.out" 2>"$OUT/$name.log" || rc=$?
  if [ $rc -ne 0 ]; then
    if [ $rc -eq 137 ]; then
      echo "killed after ${TIMEOUT}s (hang?)" >"$OUT/$name.fail"
    else
      echo "exit status $rc: $(tail -c 300 "$OUT/$name.log" | tr '\n' ' ')" >"$OUT/$name.fail"
    fi
    echo "run.sh: $name failed: $(cat "$OUT/$name.fail")" >&2
  fi
  return 0
}

# key  Google-Benchmark name  go benchmark name (- : compared with the Go run of the key before)
# go ops per repetition  weave min time (s)
WORKLOADS=(
  "pingpong  BM_PingPong  BenchmarkPingPong  20 0.5"
  "spawn     BM_SpawnJoin BenchmarkSpawnJoin 2  1.0"
  "buffered  BM_Buffered  BenchmarkBuffered  15 0.5"
  "select4   BM_Select4   BenchmarkSelect4   5  0.5"
  "mutex     BM_Mutex     BenchmarkMutex     12 0.5"
  "skynet    BM_Skynet    BenchmarkSkynet    1  0.5"
  "fanin     BM_FanIn     BenchmarkFanIn     5  0.5"
  "faninthread BM_FanInThread - 0 0.5"
)
for w in "${WORKLOADS[@]}"; do
  read -r key gb gobench goops mintime <<<"$w"
  [[ $key =~ $ONLY ]] || continue
  echo "run.sh: $key" >&2
  run_or_note "weave-$key" "$BUILD/bench/weave_bench" "--benchmark_filter=^${gb}(/|\$)" \
    --benchmark_repetitions="$REPS" --benchmark_min_time="$mintime" \
    --benchmark_min_warmup_time=0.1 --benchmark_format=json
  [ "$gobench" = - ] && continue
  run_or_note "go-$key" "$GODIR/weavebench.test" -test.run '^$' -test.bench "^${gobench}\$" \
    -test.count "$REPS" -test.benchtime "${goops}x"
done

for n in 100000 1000000; do
  [[ rss$n =~ $ONLY ]] || continue
  echo "run.sh: rss $n" >&2
  reps=$RSS_REPS
  [ $n -eq 1000000 ] && reps=$RSS_REPS_1M
  for ((r = 1; r <= reps; r++)); do
    run_or_note "weave-rss$n-$r" "$BUILD/bench/weave_rss" "$n"
    run_or_note "go-rss$n-$r" "$GODIR/rss" "$n"
  done
done
echo "load after:  $(uptime)" | tee -a "$OUT/load.txt" >&2

fi  # REPORT_ONLY

# --- report ------------------------------------------------------------------------------------
python3 - "$OUT" "$REPS" "$RSS_REPS" "$RSS_REPS_1M" "$PROCS" <<'EOF'
import json, os, re, statistics, sys, datetime, platform

out, reps, procs = sys.argv[1], int(sys.argv[2]), sys.argv[5]
rss_reps = {100000: int(sys.argv[3]), 1000000: int(sys.argv[4])}

def fail_note(name):
    p = os.path.join(out, name + ".fail")
    return open(p).read().strip() if os.path.exists(p) else None

def weave_items(key):
    """ns per item of each repetition, from Google Benchmark's JSON."""
    path = os.path.join(out, "weave-%s.out" % key)
    if fail_note("weave-" + key) or not os.path.exists(path):  # failed, or not run (ONLY)
        return None
    try:
        data = json.load(open(path))
    except (OSError, ValueError):
        with open(os.path.join(out, "weave-%s.fail" % key), "w") as f:
            f.write("no JSON from Google Benchmark (see weave-%s.log)\n" % key)
        return None
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    vals = []
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "iteration" and not b.get("error_occurred"):
            vals.append(b["real_time"] * scale[b["time_unit"]] / b["batch"])
    return vals or None

GO_LINE = re.compile(r"^Benchmark\w+?(?:-\d+)?\s+\d+\s+([\d.e+]+) ns/op.*?\s([\d.e+]+) batch")

# Go has no plain threads: a weave workload measured with a plain-thread consumer is compared with
# the Go run of its fiber twin.
GO_TWIN = {"faninthread": "fanin"}

def go_items(key):
    key = GO_TWIN.get(key, key)
    if fail_note("go-" + key):
        return None
    try:
        text = open(os.path.join(out, "go-%s.out" % key)).read()
    except OSError:
        return None
    vals = [float(m.group(1)) / float(m.group(2))
            for m in map(GO_LINE.match, text.splitlines()) if m]
    return vals or None

def rss_values(side, n):
    vals = []
    for r in range(1, rss_reps[n] + 1):
        name = "%s-rss%d-%d" % (side, n, r)
        if fail_note(name):
            continue
        try:
            vals.append(float(open(os.path.join(out, name + ".out")).read().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    return vals or None

rows = [  # key, label, unit, target ratio, scale from ns
    ("pingpong", "ping-pong round trip (unbuffered)", "ns", 0.5, 1),
    ("spawn", "spawn+join, 1M fibers, per fiber", "ns", 0.5, 1),
    ("buffered", "buffered chan cap 128, 1P1C, per msg", "ns", 1.0, 1),
    ("select4", "select over 4 chans, 4 producers, per msg", "ns", 1.0, 1),
    ("mutex", "mutex, 1000 fibers, per lock", "ns", 1.0, 1),
    ("skynet", "skynet 1M (total)", "ms", 1.0, 1e-6),
    ("fanin", "fan-in 4 producers, fiber consumer, per msg", "ns", 1.0, 1),
    ("faninthread", "fan-in 4 producers, plain-thread consumer, per msg", "ns", 2.0, 1),
    ("rss100000", "RSS per parked fiber, 100k", "B", 2.0, 1),
    ("rss1000000", "RSS per parked fiber, 1M", "B", 2.0, 1),
]

def spread(vals):
    if not vals:
        return "—"
    m = statistics.median(vals)
    return "%.0f%%" % ((max(vals) - min(vals)) / m * 100 if m else 0.0)

def fmt(v, unit):
    if v is None:
        return "FAILED"
    return ("%.0f" if v >= 100 else "%.1f") % v + " " + unit

table, summary = [], []
for key, label, unit, target, scale in rows:
    if key.startswith("rss"):
        n = int(key[3:])
        w, g = rss_values("weave", n), rss_values("go", n)
    else:
        w, g = weave_items(key), go_items(key)
    if w is None and g is None:
        continue
    wm = statistics.median(w) * scale if w else None
    gm = statistics.median(g) * scale if g else None
    ratio = wm / gm if wm is not None and gm else None
    met = "—" if ratio is None else ("yes" if ratio <= target else "NO")
    note = fail_note("weave-" + key) or fail_note("go-" + GO_TWIN.get(key, key)) or ""
    table.append([label, fmt(wm, unit), fmt(gm, unit),
                  "%.2fx" % ratio if ratio is not None else "—", "<= %.1fx" % target, met,
                  "%s / %s" % (spread(w), spread(g))])
    summary.append({"workload": key, "label": label, "unit": unit, "weave": wm, "go": gm,
                    "ratio": ratio, "target": target, "met": met == "yes",
                    "weave_runs": [v * scale for v in w] if w else None,
                    "go_runs": [v * scale for v in g] if g else None, "failure": note or None})

head = ["workload", "weave", "Go", "weave/Go", "target", "met?", "spread w/Go"]
widths = [max(len(str(r[i])) for r in table + [head]) for i in range(len(head))]
line = lambda r: "| " + " | ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)) + " |"
print()
print("weave vs Go — medians of %d repetitions (RSS: %d at 100k, %d at 1M), "
      "WEAVE_PROCS=GOMAXPROCS=%s, %s, %s" % (reps, rss_reps[100000], rss_reps[1000000], procs,
                                          datetime.date.today().isoformat(), platform.node() or "?"))
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in table:
    print(line(r))
print("spread = (max - min) / median over the repetitions, weave / Go.")
by_key = {s["workload"]: s for s in summary}
if by_key.get("fanin", {}).get("weave") and by_key.get("faninthread", {}).get("weave"):
    r = by_key["faninthread"]["weave"] / by_key["fanin"]["weave"]
    print("fan-in, plain-thread consumer / fiber consumer: %.2fx (target <= 2.0x)" % r)
for s in summary:
    if s["failure"]:
        print("  %s: %s" % (s["workload"], s["failure"]))
print(open(os.path.join(out, "load.txt")).read().rstrip())
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
EOF

failures=$(find "$OUT" -name '*.fail' | wc -l)
[ "$failures" -eq 0 ] || {
  echo "run.sh: $failures run(s) failed; see $OUT" >&2
  exit 1
}
