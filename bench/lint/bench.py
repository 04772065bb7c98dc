#!/usr/bin/env python3
"""weave-lint against `clang++-19 -fsyntax-only` on the same files: how much the analysis adds to
parsing, and whether it grows linearly with the size of the file and the number of findings.

  bench/lint/bench.py BUILD_DIR [--reps 3] [--checks weave-*] [--sizes 500,1000,…]
                                [--depths 25,30,100] [--timeout 120] [--no-fixtures]
                                [--shapes mixed,findings,nested,locks]

Inputs: the lint fixtures one by one; the generated shapes of bench/lint/gen.py — the mixed
shape and the findings shape (three findings a function) at each size, and the nested-fiber
shape at each depth — and the lock-heavy code of bench/lint/gen_locks.py (the blocking checks'
work) at each size. Times are CPU seconds (user+sys of the child), the median of --reps runs,
which a shared machine disturbs far less than wall time. The time spent in the checks alone is
measured inside weave-lint (--check-timing, CPU time of the thread that runs them). A run that
uses more than --timeout CPU seconds is stopped (RLIMIT_CPU) and reported as such: a limit on CPU
time, not wall time, so that other work on the machine cannot cut a measurement short."""
import argparse, glob, os, re, resource, signal, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARGS = ["-std=c++20", "-I" + os.path.join(ROOT, "runtime/include")]


def cpu(cmd, timeout):
    """(CPU seconds, the process), or (CPU seconds, None) when it ran out of its CPU time."""
    limit = max(1, int(timeout))

    def limit_cpu():
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       preexec_fn=limit_cpu)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        p = None
    return t, p


def median(cmd, reps, timeout):
    """(median CPU seconds, the last run's process), or (None, None) once a run times out."""
    times, out = [], None
    for _ in range(reps):
        t, p = cpu(cmd, timeout)
        if p is None:
            return None, None
        times.append(t)
        out = p
    return statistics.median(times), out


def check_seconds(stderr):
    return sum(float(m) for m in re.findall(r"checks took ([0-9.]+) ms", stderr)) / 1000.0


def measure(lint, files, reps, checks, timeout):
    syntax, _ = median(["clang++-19", "-fsyntax-only"] + ARGS + files, reps, timeout)
    full, p = median([lint, "--check-timing", "--checks=" + checks, "-j", "1", "--format=json"] +
                     files + ["--"] + ARGS, reps, timeout)
    if p is None:
        return syntax, None, None, None
    if p.returncode not in (0, 1):
        sys.exit("weave-lint failed:\n" + p.stderr)
    return syntax, full, check_seconds(p.stderr), p.stdout.count('"check":')


def generate(tmp, name, gen_args, script="gen.py"):
    path = os.path.join(tmp, name)
    with open(path, "w") as out:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/lint", script)] + gen_args,
                       stdout=out, check=True)
    return path, sum(1 for _ in open(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--checks", default="weave-*")
    ap.add_argument("--sizes", default="500,1000,2000,4000,8000,20000")
    ap.add_argument("--depths", default="25,30,100")
    ap.add_argument("--timeout", type=float, default=120, help="CPU seconds a run may use")
    ap.add_argument("--no-fixtures", action="store_true")
    ap.add_argument("--shapes", default="mixed,findings,nested,locks",
                    help="the generated shapes to measure")
    a = ap.parse_args()
    lint = os.path.join(a.build, "bin", "weave-lint")
    if not os.access(lint, os.X_OK):
        sys.exit("no weave-lint at " + lint)

    print("checks: %s; CPU seconds, median of %d" % (a.checks, a.reps))
    print("%-30s %9s %9s %6s %9s %7s %8s" % ("input", "syntax s", "lint s", "ratio", "checks s",
                                            "checks%", "findings"))

    def row(name, files):
        """Prints and returns (syntax, lint, checks, findings); None when a run timed out."""
        s, l, c, n = measure(lint, files, a.reps, a.checks, a.timeout)
        if s is None or l is None:
            over = "> %ds" % a.timeout
            print("%-30s %9s %9s" % (name, over if s is None else "%.3f" % s,
                                      over if l is None else "%.3f" % l), flush=True)
            return None
        print("%-30s %9.3f %9.3f %6.2f %9.4f %6.2f%% %8d" % (name, s, l, l / s, c, 100 * c / s, n),
              flush=True)
        return s, l, c, n

    if not a.no_fixtures:
        fixtures = sorted(glob.glob(os.path.join(ROOT, "fixtures/lint/**/*.cc"), recursive=True))
        tot = [0.0, 0.0, 0.0, 0]
        for f in fixtures:
            r = row(os.path.relpath(f, ROOT)[-30:], [f])
            if r:
                tot = [x + y for x, y in zip(tot, r)]
        if tot[0]:
            print("%-30s %9.3f %9.3f %6.2f %9.4f %6.2f%% %8d" % (
                "fixtures (sum)", tot[0], tot[1], tot[1] / tot[0], tot[2], 100 * tot[2] / tot[0],
                tot[3]))

    tmp = tempfile.mkdtemp(prefix="weave-lint-bench-")
    shapes = a.shapes.split(",")
    for shape in [x for x in ("mixed", "findings", "locks") if x in shapes]:
        print()
        print("generated, %s shape: growth with the number of functions" % shape)
        per_fn = []
        for n in [int(x) for x in a.sizes.split(",") if x]:
            args = ["--findings", str(n)] if shape == "findings" else [str(n)]
            script = "gen_locks.py" if shape == "locks" else "gen.py"
            path, lines = generate(tmp, "%s%d.cc" % (shape, n), args, script)
            r = row("%d fns, %d lines" % (n, lines), [path])
            if r:
                s, l, c, _ = r
                per_fn.append((n, c / n * 1e6, (l - s) / n * 1e6))
        print("%-10s %16s %20s" % ("functions", "checks us/fn", "(lint-syntax) us/fn"))
        for n, c, d in per_fn:
            print("%-10d %16.1f %20.1f" % (n, c, d))

    if "nested" not in shapes:
        return
    print()
    print("generated, nested fibers: go([&] { go([&] { ... }); }) DEPTH deep")
    for depth in [int(x) for x in a.depths.split(",") if x]:
        path, _ = generate(tmp, "nested%d.cc" % depth, ["--nested", str(depth)])
        row("depth %d" % depth, [path])


if __name__ == "__main__":
    main()
