"""One OpenBLAS thread or two? Float32 products of growing size timed (wall clock) with each, in one process.

    python benchmarks/blas_threads.py           # on an idle machine, then again while the machine is busy

OpenBLAS already keeps products below 65536 x 4 multiply-adds on one thread; above that it splits the work among
its threads, and every thread must be scheduled before the product finishes. On an idle machine the second core
halves a large product; on a busy one the product waits for a core that is running something else. The table
shows, per size, the median time with two threads over the median with one (below 1: two threads help).
"""
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

SHAPES = [(64, 64, 64), (64, 128, 256), (128, 256, 256), (256, 256, 256), (64, 2200, 512), (256, 784, 1024),
          (512, 512, 512), (1024, 1024, 1024)]


def median_time(a, b, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    rng = np.random.default_rng(0)
    print("| m x k x n | multiply-adds | 1 thread | 2 threads | 2 / 1 |\n|---|---|---|---|---|")
    for m, k, n in SHAPES:
        a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
        repeats = max(5, int(2e8 / (m * k * n)))
        results = {}
        for _ in range(3):  # alternate, so that a change in the machine's load hits both
            for threads in (1, 2):
                with threadpool_limits(threads, user_api="blas"):
                    a @ b
                    results.setdefault(threads, []).append(median_time(a, b, repeats))
        one, two = min(results[1]), min(results[2])
        print(f"| {m} x {k} x {n} | {m * k * n:,} | {one * 1e6:.0f} us | {two * 1e6:.0f} us | {two / one:.2f} |")


if __name__ == "__main__":
    main()
