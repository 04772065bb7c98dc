#!/usr/bin/env bash
# bench/debug_vs_release.sh BUILD_DIR — the seven workloads against the release runtime and the
# debug runtime (weave_bench / weave_bench_debug, weave_rss / weave_rss_debug), alternately, REPS
# times each (default 5), WEAVE_PROCS=2; prints the medians and the ratio debug/release, which
# must stay at most 1.5 (the debug runtime runs in every CI test). Environment: REPS, PROCS,
# ONLY (a regex of workload keys). Exit status 1 if a run failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-build}")
REPS=${REPS:-5}
PROCS=${PROCS:-2}
ONLY=${ONLY:-.}
OUT=$BUILD/bench/debug-results
cmake --build "$BUILD" --target weave_bench weave_bench_debug weave_rss weave_rss_debug >&2
mkdir -p "$OUT"
rm -f "$OUT"/*
export WEAVE_PROCS=$PROCS
echo "load before: $(uptime)" >"$OUT/load.txt"
WORKLOADS=(
  "pingpong BM_PingPong 0.5"
  "spawn BM_SpawnJoin 1.0"
  "buffered BM_Buffered 0.5"
  "select4 BM_Select4 0.5"
  "mutex BM_Mutex 0.5"
  "skynet BM_Skynet 0.5"
)
for w in "${WORKLOADS[@]}"; do
  read -r key gb mintime <<<"$w"
  [[ $key =~ $ONLY ]] || continue
  for ((r = 1; r <= REPS; r++)); do
    for side in release debug; do
      bin=$BUILD/bench/weave_bench
      [ $side = debug ] && bin=$BUILD/bench/weave_bench_debug
      echo "debug_vs_release.sh: $key $side $r" >&2
      "$bin" "--benchmark_filter=^${gb}(/|\$)" --benchmark_min_time="$mintime" \
        --benchmark_min_warmup_time=0.1 --benchmark_format=json >"$OUT/$key-$side-$r.json"
    done
  done
done
if [[ rss =~ $ONLY ]]; then
  for ((r = 1; r <= REPS; r++)); do
    "$BUILD/bench/weave_rss" 100000 >"$OUT/rss-release-$r.txt"
    "$BUILD/bench/weave_rss_debug" 100000 >"$OUT/rss-debug-$r.txt"
  done
fi
echo "load after:  $(uptime)" >>"$OUT/load.txt"
python3 - "$OUT" <<'PY'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
def per_item(path):
    d = json.load(open(path))
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    for b in d["benchmarks"]:
        if b.get("run_type") == "iteration":
            return b["real_time"] * scale[b["time_unit"]] / b["batch"]
rows = []
labels = {"pingpong": ("ping-pong round trip", "ns", 1), "spawn": ("spawn+join, per fiber", "ns", 1),
          "buffered": ("buffered cap 128, per msg", "ns", 1), "select4": ("select over 4, per msg", "ns", 1),
          "mutex": ("mutex, 1000 fibers, per lock", "ns", 1), "skynet": ("skynet 1M", "ms", 1e-6)}
for key, (label, unit, scale) in labels.items():
    rel = [per_item(p) for p in sorted(glob.glob(os.path.join(out, key + "-release-*.json")))]
    dbg = [per_item(p) for p in sorted(glob.glob(os.path.join(out, key + "-debug-*.json")))]
    if rel and dbg:
        r, d = statistics.median(rel) * scale, statistics.median(dbg) * scale
        rows.append((label, "%.1f %s" % (r, unit), "%.1f %s" % (d, unit), d / r))
rel = [float(open(p).read().split()[0]) for p in glob.glob(os.path.join(out, "rss-release-*.txt"))]
dbg = [float(open(p).read().split()[0]) for p in glob.glob(os.path.join(out, "rss-debug-*.txt"))]
if rel and dbg:
    r, d = statistics.median(rel), statistics.median(dbg)
    rows.append(("RSS per parked fiber, 100k", "%.0f B" % r, "%.0f B" % d, d / r))
print("| workload | release | debug | debug/release | <= 1.5x? |")
print("|---|---|---|---|---|")
for label, r, d, ratio in rows:
    print("| %s | %s | %s | %.2fx | %s |" % (label, r, d, ratio, "yes" if ratio <= 1.5 else "NO"))
print(open(os.path.join(out, "load.txt")).read().rstrip())
PY
