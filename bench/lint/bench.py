#!/usr/bin/env python3
"""weave-lint against `clang++-19 -fsyntax-only` on the same files: how much the analysis adds to
parsing, and whether it grows linearly with the number of functions.

  bench/lint/bench.py BUILD_DIR [--reps 3] [--checks GLOBS] [--gen gen.py,gen_locks.py]
                      [--sizes 500,1000,2000,4000] [--no-fixtures]

Times are CPU seconds (user+sys of the child), the median of --reps runs, with the least in
brackets: a shared machine disturbs CPU time far less than wall time, but still by ±10% on one
file. The analysis cost is also measured inside weave-lint (--check-timing: the time spent in the
checks alone), which isolates it from parsing noise.

Two generators write the growing inputs: gen.py (contexts, channels and the sync types, for every
check) and gen_locks.py (lock-heavy classes whose methods call each other, for the blocking
checks)."""
import argparse, glob, os, re, resource, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARGS = ["-std=c++20", "-I" + os.path.join(ROOT, "runtime/include")]


def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return t, p


def check_seconds(stderr):
    return sum(float(m) for m in re.findall(r"checks took ([0-9.]+) ms", stderr)) / 1000.0


def per_check_seconds(stderr):
    """Each check's CPU seconds, summed over the files of one run."""
    out = {}
    for group in re.findall(r"checks took [0-9.]+ ms CPU \((.*)\)", stderr):
        for name, ms in re.findall(r"([a-z-]+) ([0-9.]+)", group):
            out[name] = out.get(name, 0.0) + float(ms) / 1000.0
    return out


def findings(stdout):
    return len(re.findall(r'"check":', stdout))


class Sample:
    """The runs of one command: median and least of the CPU time and of the checks' own time."""

    def __init__(self, cpu, checks, per_check=()):
        self.med, self.least = statistics.median(cpu), min(cpu)
        self.checks = statistics.median(checks)
        self.checks_least = min(checks)
        names = sorted({n for run in per_check for n in run})
        self.per_check = {n: statistics.median(run.get(n, 0.0) for run in per_check) for n in names}


def measure(lint, files, reps, checks):
    syntax, full, inside, each, last = [], [], [], [], None
    # Interleaved, so that a burst of load hits both commands alike.
    for _ in range(reps):
        t, _ = cpu(["clang++-19", "-fsyntax-only"] + ARGS + files)
        syntax.append(t)
        t, last = cpu([lint, "--check-timing", "--checks=" + checks, "-j", "1", "--format=json"] +
                      files + ["--"] + ARGS)
        if last.returncode not in (0, 1):
            sys.exit("weave-lint failed:\n" + last.stderr)
        full.append(t)
        inside.append(check_seconds(last.stderr))
        each.append(per_check_seconds(last.stderr))
    return Sample(syntax, [0.0]), Sample(full, inside, each), findings(last.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--checks", default="weave-*")
    ap.add_argument("--gen", default="gen.py,gen_locks.py")
    ap.add_argument("--sizes", default="500,1000,2000,4000")
    ap.add_argument("--no-fixtures", action="store_true")
    a = ap.parse_args()
    lint = os.path.join(a.build, "bin", "weave-lint")
    if not os.access(lint, os.X_OK):
        sys.exit("no weave-lint at " + lint)

    print("checks: %s; CPU seconds, median of %d runs [least]" % (a.checks, a.reps))
    print("%-30s %16s %16s %6s %18s %7s %5s" % ("input", "syntax s", "lint s", "ratio",
                                                "checks s", "checks%", "finds"))

    def row(name, files):
        s, l, n = measure(lint, files, a.reps, a.checks)
        print("%-30s %7.3f [%6.3f] %7.3f [%6.3f] %6.3f %8.4f [%7.4f] %6.2f%% %5d" % (
            name, s.med, s.least, l.med, l.least, l.med / s.med, l.checks, l.checks_least,
            100 * l.checks / s.med, n))
        return s, l

    if not a.no_fixtures:
        fixtures = sorted(glob.glob(os.path.join(ROOT, "fixtures/lint/**/*.cc"), recursive=True))
        tot = [0.0, 0.0, 0.0]
        for f in fixtures:
            s, l = row(os.path.relpath(f, ROOT)[-30:], [f])
            tot = [tot[0] + s.med, tot[1] + l.med, tot[2] + l.checks]
        if fixtures:
            print("%-30s %7.3f %16.3f %6.3f %8.4f %17.2f%%" % (
                "fixtures (sum of medians)", tot[0], tot[1], tot[1] / tot[0], tot[2],
                100 * tot[2] / tot[0]))

    tmp = tempfile.mkdtemp(prefix="weave-lint-bench-")
    for gen in a.gen.split(","):
        print()
        print("generated TUs (bench/lint/%s): growth with the number of functions" % gen)
        per_fn, checks = [], []
        for n in (int(x) for x in a.sizes.split(",")):
            path = os.path.join(tmp, "%s%d.cc" % (gen.split(".")[0], n))
            with open(path, "w") as out:
                subprocess.run([sys.executable, os.path.join(ROOT, "bench/lint", gen), str(n)],
                               stdout=out, check=True)
            lines = sum(1 for _ in open(path))
            s, l = row("%d fns, %d lines" % (n, lines), [path])
            per_fn.append((n, l.checks / n * 1e6, (l.med - s.med) / n * 1e6))
            checks.append((n, l.per_check))
        print("%-10s %16s %20s" % ("functions", "checks us/fn", "(lint-syntax) us/fn"))
        for n, c, d in per_fn:
            print("%-10d %16.1f %20.1f" % (n, c, d))
        print("each check, CPU us per function (median of the runs):")
        names = sorted({name for _, pc in checks for name in pc})
        print("%-28s" % "check" + "".join("%9d" % n for n, _ in checks))
        for name in names:
            print("%-28s" % name + "".join("%9.1f" % (pc.get(name, 0.0) / n * 1e6)
                                           for n, pc in checks))


if __name__ == "__main__":
    main()
