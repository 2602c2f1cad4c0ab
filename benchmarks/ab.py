"""ember against ember: this checkout beside an earlier commit, on the same workloads, in one run.

    python benchmarks/ab.py 8ccd5ac --only W1,W2 -r 15     # is this checkout slower than commit 8ccd5ac?

A change on a hot path (Tensor creation, the engine, the ops' dispatch) states its before/after ratio: this is how
to measure it. The earlier commit is checked out with `git worktree` into a temporary folder; each round runs the
workload once under each version, each in its own process (the workloads' code is this checkout's for both), CPU
time on one thread. On a noisy machine a whole process runs fast or slow, so both the median and the minimum over
rounds are printed: when they disagree, trust the minimum (the rounds in which neither was disturbed).
"""
import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])  # the ember to time
sys.path.insert(0, sys.argv[2])  # this checkout's benchmarks/
import workloads
workloads.clock = time.process_time
print(json.dumps(workloads.WORKLOADS[sys.argv[3]]["libraries"]["ember"]()[0]))
"""


def time_once(root, workload):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH="")
    out = subprocess.run([sys.executable, "-c", CHILD, root, HERE, workload], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def checkout(rev):
    """The tree of an earlier commit, checked out with git worktree into a temporary folder (removed after)."""
    with tempfile.TemporaryDirectory() as tmp:
        before = os.path.join(tmp, "before")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", before, rev], check=True)
        try:
            yield before
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", before], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier commit (anything git understands)")
    parser.add_argument("--only", default="W1,W2", help="comma-separated workload names")
    parser.add_argument("-r", "--rounds", type=int, default=9)
    args = parser.parse_args()
    with checkout(args.rev) as before:
        print(f"| workload | {args.rev} median (min) | this checkout median (min) | ratio of medians | "
              "ratio of minimums |\n|---|---|---|---|---|")
        for name in args.only.split(","):
            times = {"before": [], "after": []}
            for _ in range(args.rounds):
                times["before"].append(time_once(before, name))
                times["after"].append(time_once(ROOT, name))
            b, a = times["before"], times["after"]
            print(f"| {name} | {statistics.median(b) * 1e6:.1f} us ({min(b) * 1e6:.1f}) | "
                  f"{statistics.median(a) * 1e6:.1f} us ({min(a) * 1e6:.1f}) | "
                  f"{statistics.median(a) / statistics.median(b):.3f} | {min(a) / min(b):.3f} |", flush=True)


if __name__ == "__main__":
    main()
