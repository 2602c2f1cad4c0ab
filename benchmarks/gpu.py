"""ember on an NVIDIA GPU (CuPy) against PyTorch on CUDA: the same training steps, side by side, in one run.

    python benchmarks/gpu.py                  # every workload, 5 alternating rounds
    python benchmarks/gpu.py --rounds 3 --out gpu.md

Workloads (float32, SGD, cross-entropy, the same initial weights in both libraries):
  W3     MLP 784-1024-1024-10, batch 256           ms per step
  big    MLP 4096-4096-4096-10, batch 4096          ms per step (the GPU's arithmetic is the limit)
  digits W2's digits MLP 64-128-10, batch 64        us per step (launch overhead is the limit)

Each step is timed from a synchronized start to a synchronized end, so queued GPU work is counted; the
libraries alternate round by round; the table gives each library's median over rounds and ember's ratio.
Needs a GPU, CuPy and a CUDA build of PyTorch; prints why not otherwise.
"""
import argparse
import datetime
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)


def _mlp(lib, sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [lib.nn.Linear(a, b)] + ([lib.nn.ReLU()] if i < len(sizes) - 2 else [])
    return lib.nn.Sequential(*layers)


def _weights(sizes, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    out = []
    for a, b in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(a)
        out += [rng.uniform(-bound, bound, (b, a)).astype(np.float32), rng.uniform(-bound, bound, b).astype(np.float32)]
    return out


def _batch(n, features, seed=1):
    import numpy as np
    rng = np.random.default_rng(seed)
    return rng.random((n, features), dtype=np.float32), rng.integers(0, 10, n)


def step_timer(lib, sizes, batches, weights, lr, warmup, repeats):
    """Build the model on the GPU with the given weights; time SGD steps; (median seconds per step, loss)."""
    model = _mlp(lib, sizes)
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    model = model.to("cuda")
    optimizer = lib.optim.SGD(model.parameters(), lr=lr)
    data = [(lib.tensor(x).to("cuda"), lib.tensor(y).to("cuda")) for x, y in batches]

    def step(i):
        xb, yb = data[i % len(data)]
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    for i in range(warmup):
        step(i)
    lib.cuda.synchronize()
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        step(i)
        lib.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times), step(0).item()


def workloads():
    from workloads import _digits
    x, y, digit_weights = _digits()
    digit_batches = [(x[s:s + 64], y[s:s + 64]) for s in range(0, len(x), 64)]
    w3, big = [784, 1024, 1024, 10], [4096, 4096, 4096, 10]
    return {
        "W3": ("MLP 784-1024-1024-10, batch 256", "ms",
               lambda lib: step_timer(lib, w3, [_batch(256, 784)], _weights(w3), 0.01, 5, 50)),
        "big": ("MLP 4096-4096-4096-10, batch 4096", "ms",
                lambda lib: step_timer(lib, big, [_batch(4096, 4096)], _weights(big), 0.01, 3, 20)),
        "digits": ("digits MLP 64-128-10, batch 64", "us",
                   lambda lib: step_timer(lib, [64, 128, 10], digit_batches, digit_weights, 0.1, 23, 230)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="comma-separated workload names: W3,big,digits")
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args()
    import ember
    import torch
    if not (ember.cuda.is_available() and torch.cuda.is_available()):
        print(f"benchmarks/gpu.py needs a GPU with CuPy and CUDA PyTorch: ember.cuda.is_available() = "
              f"{ember.cuda.is_available()}, torch.cuda.is_available() = {torch.cuda.is_available()}")
        return 1
    import cupy
    torch.backends.cuda.matmul.allow_tf32 = False  # full float32 in both (CuPy's default without CUPY_TF32)
    chosen = workloads()
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    libs = {"ember": ember, "torch": torch}
    results = {(w, name): [] for w in chosen for name in libs}
    losses = {}
    for _ in range(args.rounds):
        for w, (_, _, run) in chosen.items():
            for name, lib in libs.items():
                seconds, loss = run(lib)
                results[w, name].append(seconds)
                losses[w, name] = loss
    gpu = torch.cuda.get_device_name()
    lines = [f"GPU: {gpu}; {datetime.date.today()}; torch {torch.__version__}, CuPy {cupy.__version__}; "
             f"median of {args.rounds} rounds", "",
             "| workload | library | per step | ratio to torch | final loss |", "|---|---|---|---|---|"]
    for w, (what, unit, _) in chosen.items():
        scale = 1e3 if unit == "ms" else 1e6
        base = statistics.median(results[w, "torch"])
        for name in libs:
            t = statistics.median(results[w, name])
            lines.append(f"| {w}: {what} | {name} | {t * scale:.3f} {unit} | {t / base:.2f}x | "
                         f"{losses[w, name]:.5f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
