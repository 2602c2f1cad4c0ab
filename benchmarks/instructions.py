"""Instructions per step (W1, W2r, W5), counted by valgrind: the same number on a busy machine as on an idle one.

    python benchmarks/instructions.py                       # the notes' loop W1, this checkout
    python benchmarks/instructions.py 8fba0ac --only W1,W2r,W5   # this checkout beside an earlier commit

Timings on this project's shared 2-core machines move by 20-40% from run to run, so a change of a few per cent to
the hot path (Tensor creation, Op.apply, the engine) cannot be seen in them. valgrind's callgrind counts the
instructions the process executes instead: with hash randomisation and address randomisation off
(PYTHONHASHSEED=0, setarch -R) and one BLAS thread, two runs of the same code agree to a few instructions in
200,000, whatever else the machine does. The loop runs at two lengths and the difference is divided by the extra
steps, so the import and the warm-up cancel. Instructions are not time (a cache miss costs many), but on the notes'
loop, which is all Python and tiny arrays, they follow it; on W2r and W5 they weigh the arrays' work (a
vectorised loop retires several elements an instruction) lighter than the framework's Python. Needs valgrind (Debian's package) and setarch.
"""
import argparse
import os
import re
import subprocess
import sys

from ab import checkout

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Each program takes (ember's folder, steps) and runs that many steps after its setup; W2r and W5 are the
# workloads of workloads.py on fixed random data (their setup costs cancel as W1's import does).
PROGRAMS = {
    "W1": (3, r"""
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
"""),
    "W2r": (1, r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import ember as torch
rng = np.random.default_rng(0)
x = torch.tensor(rng.random((64, 64), dtype=np.float32))
y = torch.tensor(rng.integers(0, 10, 64))
params = [torch.tensor(rng.uniform(-0.1, 0.1, s).astype(np.float32), requires_grad=True)
          for s in ((64, 128), (128,), (128, 10), (10,))]
w1, b1, w2, b2 = params
optimizer = torch.optim.SGD(params, lr=0.1)
for _ in range(int(sys.argv[2])):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, y)
    loss.backward()
    optimizer.step()
"""),
    "W5": (1, r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import ember as torch
nn = torch.nn
rng = np.random.default_rng(0)
x = torch.tensor(rng.integers(0, 50, (16, 20)))
y = torch.tensor(rng.integers(0, 50, 16 * 20))
embed, lstm, head = nn.Embedding(50, 32), nn.LSTM(32, 64, batch_first=True), nn.Linear(64, 50)
params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
optimizer = torch.optim.SGD(params, lr=0.01)
for _ in range(int(sys.argv[2])):
    optimizer.zero_grad()
    out, _ = lstm(embed(x))
    loss = torch.nn.functional.cross_entropy(head(out.reshape(-1, 64)), y)
    loss.backward()
    optimizer.step()
"""),
}
LENGTHS = {"W1": (20, 170), "W2r": (5, 25), "W5": (3, 13)}  # (short, long) runs: steps / steps an iteration


def instructions(root, name, iterations):
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", PYTHONPATH="")
    out = subprocess.run(["setarch", "-R", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", PROGRAMS[name][1], root, str(iterations)],
                         capture_output=True, text=True, env=env, check=True)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def per_step(root, name):
    """Instructions per step between a short and a long run."""
    short, long = LENGTHS[name]
    steps = PROGRAMS[name][0]
    return (instructions(root, name, long) - instructions(root, name, short)) / ((long - short) * steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", help="an earlier commit to count beside this checkout")
    parser.add_argument("--only", default="W1", help="comma-separated: W1, W2r, W5")
    args = parser.parse_args()
    names = args.only.split(",")
    here = {name: per_step(ROOT, name) for name in names}
    if args.rev is None:
        for name in names:
            print(f"{name}: {here[name]:,.0f} instructions a step (this checkout)")
        return
    with checkout(args.rev) as before:
        for name in names:
            then = per_step(before, name)
            print(f"{name}: {then:,.0f} instructions a step at {args.rev}, {here[name]:,.0f} in this checkout "
                  f"({here[name] / then:.3f}x)")


if __name__ == "__main__":
    main()
