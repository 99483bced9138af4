"""Where the worker's CPU went between two snapshots of ``bench/cpu_probe.conf.py``'s sampler.

    .venv/bin/python bench/side_by_side.py --targets app --grid 20x30@2 --seconds 60 \
        --burst 0 --idle 0 --storm-clients 0 --cpu-profile /tmp/cpu
    .venv/bin/python bench/cpu_profile.py /tmp/cpu                  # the cell: 2nd to last snapshot
    .venv/bin/python bench/cpu_profile.py /tmp/cpu --under apply_in_transaction

Prints the share of samples per function, inclusive (the function and what it called) and self
(the function itself, system calls and C code it ran included), or with ``--under NAME`` the tree
of what NAME called. ``--from``/``--to`` (unix times) pick the snapshots nearest to them instead.
"""
from __future__ import annotations

import argparse
import collections
import glob


def load(path: str) -> collections.Counter:
    counts = collections.Counter()
    for line in open(path):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        counts[stack] += int(n)
    return counts


def window(prefix: str, start: float | None, end: float | None) -> collections.Counter:
    files = sorted(glob.glob(prefix + ".*.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
    if len(files) < 2:
        raise SystemExit(f"fewer than two snapshots at {prefix}.*")
    stamp = lambda p: int(p.rsplit(".", 1)[1])  # noqa: E731
    first = files[1] if start is None else min(files, key=lambda p: abs(stamp(p) - start))
    last = files[-1] if end is None else min(files, key=lambda p: abs(stamp(p) - end))
    before, after = load(first), load(last)
    return collections.Counter({k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)})


def name(frame: str) -> str:
    return frame.split(" (")[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("prefix")
    p.add_argument("--from", dest="start", type=float)
    p.add_argument("--to", dest="end", type=float)
    p.add_argument("--under", help="the tree below this function")
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    counts = window(args.prefix, args.start, args.end)
    total = sum(counts.values())
    print(f"{total} samples")
    if args.under:
        tree = collections.Counter()
        for stack, n in counts.items():
            frames = [name(f) for f in stack.split(";")]
            if args.under in frames:
                below = frames[frames.index(args.under) + 1:][:4]
                for depth in range(len(below) + 1):
                    tree[tuple(below[:depth])] += n
        for path, n in sorted(tree.items()):
            if n * 200 >= total:
                print(f"{100 * n / total:5.1f} {'  ' * len(path)}{path[-1] if path else args.under}")
        return
    inclusive, own = collections.Counter(), collections.Counter()
    for stack, n in counts.items():
        frames = stack.split(";")
        for f in {name(f) for f in frames}:
            inclusive[f] += n
        own[frames[-1]] += n
    print("--- inclusive")
    for f, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:5.1f} {f}")
    print("--- self")
    for f, n in own.most_common(args.top):
        print(f"{100 * n / total:5.1f} {f}")


if __name__ == "__main__":
    main()
