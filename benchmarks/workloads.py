"""The benchmark workloads, one function per (workload, library), each returning (seconds per unit, result).

Workloads are fixed so that results stay comparable over time. Every library
starts from the same weights and must reach the same result.
"""
import statistics
import time


def _median_time(step, warmup, repeats):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------
# W1: the notes' training loop. Scalar w, x = [1, 2, 3], y = [2, 4, 6], 100 epochs of
# per-sample (x*w - y)**2, backward, w.data -= 0.01 * w.grad.data, w.grad.data.zero_(): 300 steps.
# ----------------------------------------------------------------------------
X_DATA, Y_DATA = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]


def _w1_tensor_library(torch):
    def loop():
        w = torch.tensor([1.0], requires_grad=True)
        for _ in range(100):
            for x, y in zip(X_DATA, Y_DATA):
                loss = (x * w - y) ** 2
                loss.backward()
                w.data -= 0.01 * w.grad.data
                w.grad.data.zero_()
        return w

    seconds = _median_time(loop, warmup=3, repeats=25) / 300
    return seconds, f"w = {loop().item():.6f}"


def w1_ember():
    import ember
    return _w1_tensor_library(ember)


def w1_torch():
    import torch
    return _w1_tensor_library(torch)


def w1_micrograd():
    from micrograd.engine import Value

    def loop():
        w = Value(1.0)
        for _ in range(100):
            for x, y in zip(X_DATA, Y_DATA):
                loss = (x * w - y) ** 2
                loss.backward()
                w.data -= 0.01 * w.grad
                w.grad = 0.0
        return w

    seconds = _median_time(loop, warmup=3, repeats=25) / 300
    return seconds, f"w = {loop().data:.6f}"


WORKLOADS = {
    "W1": {"what": "the notes' loop, per step", "unit": "us",
           "libraries": {"ember": w1_ember, "torch": w1_torch, "micrograd": w1_micrograd}},
}
