#!/usr/bin/env python3
"""weave-lint against `clang++-19 -fsyntax-only` on the same files: how much the analysis adds to
parsing, and whether it grows linearly with the number of functions.

  bench/lint/bench.py BUILD_DIR [--reps 3]

Times are CPU seconds (user+sys of the child, best of --reps runs), which a shared machine
disturbs far less than wall time. The analysis cost is also measured inside weave-lint
(--check-timing: the time spent in the checks alone), which isolates it from parsing noise."""
import argparse, glob, os, re, resource, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARGS = ["-std=c++20", "-I" + os.path.join(ROOT, "runtime/include")]


def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return t, p


def best(cmd, reps):
    times, out = [], None
    for _ in range(reps):
        t, p = cpu(cmd)
        times.append(t)
        out = p
    return min(times), out


def check_seconds(stderr):
    return sum(float(m) for m in re.findall(r"checks took ([0-9.]+) ms", stderr)) / 1000.0


def measure(lint, files, reps, checks):
    syntax, _ = best(["clang++-19", "-fsyntax-only"] + ARGS + files, reps)
    full, p = best([lint, "--check-timing", "--checks=" + checks, "-j", "1", "--format=json"] +
                   files + ["--"] + ARGS, reps)
    if p.returncode not in (0, 1):
        sys.exit("weave-lint failed:\n" + p.stderr)
    return syntax, full, check_seconds(p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--checks", default="weave-*")
    a = ap.parse_args()
    lint = os.path.join(a.build, "bin", "weave-lint")
    if not os.access(lint, os.X_OK):
        sys.exit("no weave-lint at " + lint)

    print("checks: %s; CPU seconds, best of %d" % (a.checks, a.reps))
    print("%-28s %10s %10s %8s %10s %8s" % ("input", "syntax s", "lint s", "ratio", "checks s",
                                            "checks%"))
    def row(name, files):
        s, l, c = measure(lint, files, a.reps, a.checks)
        print("%-28s %10.3f %10.3f %8.3f %10.4f %7.2f%%" % (name, s, l, l / s, c, 100 * c / s))
        return s, l, c

    fixtures = sorted(glob.glob(os.path.join(ROOT, "fixtures/lint/**/*.cc"), recursive=True))
    tot = [0.0, 0.0, 0.0]
    for f in fixtures:
        s, l, c = row(os.path.relpath(f, ROOT)[-28:], [f])
        tot = [tot[0] + s, tot[1] + l, tot[2] + c]
    if fixtures:
        print("%-28s %10.3f %10.3f %8.3f %10.4f %7.2f%%" % (
            "fixtures (sum)", tot[0], tot[1], tot[1] / tot[0], tot[2], 100 * tot[2] / tot[0]))

    print()
    print("generated TUs (bench/lint/gen.py): growth with the number of functions")
    tmp = tempfile.mkdtemp(prefix="weave-lint-bench-")
    per_fn = []
    for n in (500, 1000, 2000, 4000):
        path = os.path.join(tmp, "gen%d.cc" % n)
        with open(path, "w") as out:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench/lint/gen.py"), str(n)],
                           stdout=out, check=True)
        lines = sum(1 for _ in open(path))
        s, l, c = row("%d fns, %d lines" % (n, lines), [path])
        per_fn.append((n, c / n * 1e6, (l - s) / n * 1e6))
    print()
    print("%-10s %16s %20s" % ("functions", "checks us/fn", "(lint-syntax) us/fn"))
    for n, c, d in per_fn:
        print("%-10d %16.1f %20.1f" % (n, c, d))


if __name__ == "__main__":
    main()
