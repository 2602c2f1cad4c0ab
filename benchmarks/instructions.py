"""Instructions per step of the notes' loop (W1), counted by valgrind: the same number on a busy machine as on an idle one.

    python benchmarks/instructions.py            # this checkout
    python benchmarks/instructions.py 8fba0ac    # this checkout beside an earlier commit

Timings on this project's shared 2-core machines move by 20-40% from run to run, so a change of a few per cent to
the hot path (Tensor creation, Op.apply, the engine) cannot be seen in them. valgrind's callgrind counts the
instructions the process executes instead: with hash randomisation and address randomisation off
(PYTHONHASHSEED=0, setarch -R) and one BLAS thread, two runs of the same code agree to a few instructions in
200,000, whatever else the machine does. The loop runs at two lengths and the difference is divided by the extra
steps, so the import and the warm-up cancel. Instructions are not time (a cache miss costs many), but on the notes'
loop, which is all Python and tiny arrays, they follow it. Needs valgrind (Debian's package) and setarch.
"""
import argparse
import os
import re
import subprocess
import sys

from ab import checkout

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LOOP = r"""
import sys
sys.path.insert(0, sys.argv[1])
import ember as torch
X_DATA, Y_DATA = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
w = torch.tensor([1.0], requires_grad=True)
for _ in range(int(sys.argv[2])):
    for x, y in zip(X_DATA, Y_DATA):
        loss = (x * w - y) ** 2
        loss.backward()
        w.data -= 0.01 * w.grad.data
        w.grad.data.zero_()
"""


def instructions(root, epochs):
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", PYTHONPATH="")
    out = subprocess.run(["setarch", "-R", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", LOOP, root, str(epochs)],
                         capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def per_step(root, short=20, long=170):
    """Instructions per step (3 steps an epoch) between a short and a long run."""
    return (instructions(root, long) - instructions(root, short)) / ((long - short) * 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", help="an earlier commit to count beside this checkout")
    args = parser.parse_args()
    here = per_step(ROOT)
    if args.rev is None:
        print(f"W1: {here:,.0f} instructions a step (this checkout)")
        return
    with checkout(args.rev) as before:
        then = per_step(before)
    print(f"W1: {then:,.0f} instructions a step at {args.rev}, {here:,.0f} in this checkout ({here / then:.3f}x)")


if __name__ == "__main__":
    main()
