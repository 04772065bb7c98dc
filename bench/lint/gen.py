#!/usr/bin/env python3
"""Writes a translation unit for the weave-lint benchmark, in one of three shapes:

  gen.py N                 the mixed shape: N functions, every check has work and some findings
  gen.py --findings N      the findings shape: N functions, each with three findings
  gen.py --nested DEPTH    one function whose fibers start fibers, DEPTH lambdas deep

The mixed shape's functions use weave contexts, channels and the sync types, ~10 lines each, and
come in thirds:

- contexts (i % 3 == 0): every shape the lost-cancel path search walks (branches, loops, early
  returns, Cleanup); one in ten of them leaks its cancel;
- channels (i % 3 == 2): pipeline stages (one in five forgets its close: unclosed-channel) and
  handlers that wait for a fiber's result with a timeout (one in two sends unbuffered:
  abandoned-sender);
- sync (i % 3 == 1), four shapes in turn: fibers adding to a counter under a weave::Mutex, joined
  by a WaitGroup (unguarded-shared); a loop starting fibers that capture the loop variable by copy
  (loop-capture); WaitGroup::add before each go (wg-add-in-fiber); a sender that closes its
  channel once after its sends (close-misuse). One in five of each shape has its bug: no lock, a
  capture by reference, the add inside the fiber, a second close on the early exit.

The mix is the same for every N, so the sizes stay proportional (~11 lines a function).

The findings shape is what a code base that nobody has linted yet looks like to the front end:
every function reports (a discarded cancel, a loop variable captured by reference, a send after
close), so the cost of reporting a finding — NOLINT lookups, positions, rendering, sorting — is
multiplied by thousands and shows whether it grows faster than the file.

The nested shape is `go([&] { go([&] { … }); })`: each level writes a variable of the outermost
function after starting the next and adds to its WaitGroup inside the fiber that starts the next,
so weave-unguarded-shared and weave-wg-add-in-fiber follow every level's captures through the
levels above it."""
import sys


def chan_function(i):
    """Channel shapes for the channel checks: a pipeline stage (every fifth one forgets its
    close), and a handler that waits for a fiber's result with a timeout."""
    if i % 2:
        close = "" if i % 5 == 1 else "    out.close();\n"
        return f"""void f{i}(int x) {{
  auto out = weave::make_chan<int>({i % 3});
  weave::go([out, x] {{
    for (int j = 0; j < x + {i % 7}; ++j) out.send(j);
{close}  }});
  for (int v : out) {{
    if (v == {i}) break;
  }}
}}
"""
    cap = "" if i % 4 == 0 else "1"
    return f"""void f{i}(int x) {{
  auto ch = weave::make_chan<int>({cap});
  weave::go([ch, x] {{ ch.send(x + {i}); }});
  int v = 0;
  switch (weave::select(weave::recv(ch, v), weave::recv(weave::after(absl::Milliseconds(x))))) {{
    case 0:
      break;
    case 1:
      return;
  }}
}}
"""


def sync_function(i):
    """The sync shapes, one per (i // 3) % 4; one in five of each (by i // 12) has its bug."""
    buggy = (i // 12) % 5 == 0
    shape = (i // 3) % 4
    if shape == 0:  # weave-unguarded-shared: the counter is written without the lock
        lock, unlock = ("", "") if buggy else ("      mu.lock();\n", "      mu.unlock();\n")
        return f"""void f{i}(int x) {{
  weave::Mutex mu;
  int total = 0;
  weave::WaitGroup wg;
  for (int j = 0; j < x; ++j) {{
    wg.go([&mu, &total, j] {{
{lock}      total += j + {i % 7};
{unlock}    }});
  }}
  wg.wait();
  if (total == {i}) return;
}}
"""
    if shape == 1:  # weave-loop-capture: the fiber outlives the iteration whose j it refers to
        capture = "&j" if buggy else "j"
        return f"""void f{i}(int x) {{
  std::atomic<int> sum{{0}};
  weave::WaitGroup wg;
  for (int j = 0; j < x; ++j) {{
    wg.add(1);
    weave::go([&sum, &wg, {capture}] {{
      sum += j * {i % 5 + 1};
      wg.done();
    }});
  }}
  wg.wait();
}}
"""
    if shape == 2:  # weave-wg-add-in-fiber: wait() can run before the fiber's own add
        before, inside = ("", "      wg.add(1);\n") if buggy else ("    wg.add(1);\n", "")
        return f"""void f{i}(int x) {{
  std::atomic<int> n{{0}};
  weave::WaitGroup wg;
  for (int j = 0; j < x; ++j) {{
{before}    weave::go([&n, &wg] {{
{inside}      absl::Cleanup done = [&wg] {{ wg.done(); }};
      n += {i % 7};
    }});
  }}
  wg.wait();
}}
"""
    # weave-close-misuse: the early exit closes, and the close after the loop closes again
    stop = "{ ch.close(); break; }" if buggy else "break;"
    return f"""void f{i}(int x) {{
  auto ch = weave::make_chan<int>({i % 3});
  weave::go([ch, x] {{
    for (int j = 0; j < x; ++j) {{
      if (j == {i % 5} + x / 2) {stop}
      ch.send(j);
    }}
    ch.close();
  }});
  for (int v : ch) (void)v;
}}
"""


def function(i):
    if i % 3 == 2:
        return chan_function(i)
    if i % 3 == 1:
        return sync_function(i)
    leak = i % 10 == 0
    use = "    (void)ctx;" if leak else "    cancel();"
    return f"""void f{i}(const weave::Context& parent, int x) {{
  auto [ctx, cancel] = weave::with_timeout(parent, absl::Milliseconds(x + {i}));
  if (x > {i % 7}) {{
{use}
    return;
  }}
  for (int j = 0; j < x; ++j) {{
    if (j == {i % 5}) break;
  }}
  absl::Cleanup defer_cancel = cancel;
}}
"""

def findings_function(i):
    """Three findings: weave-lost-cancel, weave-loop-capture and weave-close-misuse."""
    return f"""void f{i}(const weave::Context& parent, int x) {{
  auto ctx = weave::with_timeout(parent, absl::Milliseconds(x + {i})).first;
  (void)ctx;
  for (int j = 0; j < x; ++j) {{
    weave::go([&j] {{ (void)j; }});
  }}
  auto ch = weave::make_chan<int>({i % 3 + 1});
  ch.close();
  ch.send({i});
}}
"""


def nested_function(depth):
    """One function, `depth` fibers deep: each level starts the next, then writes `shared` while
    it runs (a race with the levels below) and is done; each level below the first adds to `wg`
    inside the fiber that starts it."""
    lines = ["void nested(int seed) {", "  int shared = seed;", "  weave::WaitGroup wg;"]
    for level in range(depth):
        pad = "  " * (level + 1)
        lines.append(pad + "wg.add(1);")
        lines.append(pad + "weave::go([&] {")
    for level in reversed(range(depth)):
        pad = "  " * (level + 1)
        lines.append(pad + "  shared += %d;" % (level + 1))
        lines.append(pad + "  wg.done();")
        lines.append(pad + "});")
    lines += ["  wg.wait();", "}", ""]
    return "\n".join(lines)


def main():
    args = sys.argv[1:]
    shape = "mixed"
    if args and args[0] in ("--findings", "--nested"):
        shape = args.pop(0)[2:]
    n = int(args[0]) if args else 2000
    out = sys.stdout
    if shape == "nested":
        out.write("// Generated by bench/lint/gen.py --nested: fibers %d deep.\n" % n)
        out.write("#include <weave/weave.h>\n\n")
        out.write(nested_function(n))
        return
    out.write("// Generated by bench/lint/gen.py: %d functions using weave contexts, channels and "
              "sync%s.\n" % (n, ", each with three findings" if shape == "findings" else ""))
    out.write("#include <weave/weave.h>\n\n#include <atomic>\n\n")
    out.write('#include "absl/cleanup/cleanup.h"\n\n')
    for i in range(n):
        out.write(findings_function(i) if shape == "findings" else function(i))

if __name__ == "__main__":
    main()
