"""Threads under stress: four models trained in four threads beside a thread serving under no_grad.

    python tests/stress_threads.py 1000        # 1,000 repetitions; prints the failures (0 expected)

Each repetition trains four separate models (each its own graph, its own data generator) concurrently while a
fifth thread evaluates a model under no_grad, and checks every thread's result against the same training run
sequentially, and that the serving thread recorded nothing. The thread switch interval is made tiny so that
threads interleave inside ops, switches and backward passes. tests/autograd/test_threads.py runs a few
repetitions of this with ember and with torch.
"""
import sys
import threading

import numpy as np

STEPS = 4


def make_models(lib, n=4):
    """n small MLPs, made one after another from a seeded global stream (so each run makes the same ones)."""
    lib.manual_seed(0)
    return [lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)) for _ in range(n)]


def train(lib, model, seed, barrier=None):
    """A few SGD steps on data drawn from the model's own generator; returns the final weights and losses."""
    g = lib.Generator().manual_seed(seed)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(STEPS):
        x = lib.randn(16, 5, generator=g, dtype=lib.float64)
        y = lib.randn(16, 2, generator=g, dtype=lib.float64)
        if barrier is not None:
            barrier.wait()  # every trainer starts each step together, so their ops and backwards interleave
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy().copy() for p in model.parameters()], losses


def serve(lib, model, stop, report):
    """Evaluate under no_grad until told to stop: nothing may record a graph, whatever the trainers do."""
    x = lib.ones(3, 5, dtype=lib.float64)
    while not stop.is_set():
        with lib.no_grad():
            out = model(x)
            if out.requires_grad or out.grad_fn is not None or lib.is_grad_enabled():
                report.append("serving thread recorded a graph under no_grad")


def concurrent(lib):
    """The same four trainings in four threads at once, beside a serving thread; returns (results, failures)."""
    models = make_models(lib)
    served = make_models(lib, 1)[0].double()
    for m in models:
        m.double()
    results, failures = [None] * len(models), []
    barrier, stop = threading.Barrier(len(models)), threading.Event()

    def trainer(i):
        try:
            if not lib.is_grad_enabled():
                failures.append(f"trainer {i} started with grad off")
            results[i] = train(lib, models[i], i, barrier)
        except Exception as error:  # noqa: BLE001 (a failure to report, whatever it is)
            failures.append(f"trainer {i} raised {type(error).__name__}: {error}")
            barrier.abort()

    server = threading.Thread(target=serve, args=(lib, served, stop, failures))
    server.start()
    threads = [threading.Thread(target=trainer, args=(i,)) for i in range(len(models))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    server.join()
    return results, failures


def compare(reference, results):
    """The failures of one concurrent run against the sequential reference (equal to the last bit)."""
    failures = []
    for i, (want, got) in enumerate(zip(reference, results)):
        if got is None:
            continue  # (its exception is already reported)
        if want[1] != got[1] or any(not np.array_equal(a, b) for a, b in zip(want[0], got[0])):
            failures.append(f"trainer {i} differs from the sequential run")
    return failures


def stress(lib, repetitions):
    """Run `repetitions` concurrent rounds; returns the list of failures (empty when all went well)."""
    reference = sequential(lib)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    failures = []
    try:
        for _ in range(repetitions):
            results, errors = concurrent(lib)
            failures += errors + compare(reference, results)
    finally:
        sys.setswitchinterval(previous)
    return failures


def sequential(lib):
    """The reference: the four models trained one after another in this thread."""
    return [train(lib, m.double(), seed) for seed, m in enumerate(make_models(lib))]


if __name__ == "__main__":
    import ember
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    found = stress(ember, n)
    for line in sorted(set(found)):
        print(f"{found.count(line)} x {line}")
    print(f"{n} repetitions, {len(found)} failures")
    sys.exit(1 if found else 0)
