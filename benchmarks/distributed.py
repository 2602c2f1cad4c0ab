"""W3 trained data-parallel: time per step on 1 and 2 processes, and how much of the gradient allreduce is hidden
under backward. ember's DistributedDataParallel (MPI) and torch's (gloo) in the same run, same model, same data.

    python benchmarks/distributed.py                 # 1 and 2 processes, 30 timed steps each
    python benchmarks/distributed.py --nproc 1 2 4 --steps 50

W3: MLP 784-1024-1024-10, ReLU, cross-entropy, SGD, global batch 256 (256/p samples on each of p processes).
Each process gets cores/p BLAS threads, so every run uses the whole machine. Per run, on rank 0, medians of:
  step       forward + backward (with DDP's allreduce) + optimizer step
  backward   loss.backward() with DDP: includes whatever communication was not hidden
  local      the same backward under no_sync(): no communication at all
  allreduce  the gradient buckets allreduced alone, one after the other (what there is to hide)
  hidden     1 - (backward - local) / allreduce: the fraction of the allreduce's cost that backward hid (what the
             overlap saved)
  in flight  ember only, from DDP's timeline: of the time its bucket allreduces were running, the fraction before
             backward's computation ended (what overlapped, whether or not it made the step faster)
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
GLOBAL_BATCH = 256


def worker(library, steps, port):
    threads = int(os.environ["OMP_NUM_THREADS"])
    if library == "torch":
        import torch
        import torch.distributed as dist
        torch.set_num_threads(threads)
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=int(os.environ["PMI_RANK"]),
                                world_size=int(os.environ["PMI_SIZE"]))
    else:
        import ember as torch
        import ember.distributed as dist
        dist.init_process_group("mpi")
        timeline = record_ddp_timeline()
    rank, size = dist.get_rank(), dist.get_world_size()
    nn, F = torch.nn, torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.random((GLOBAL_BATCH, 784), dtype=np.float32)
    y = rng.integers(0, 10, GLOBAL_BATCH)
    share = GLOBAL_BATCH // size
    xb, yb = torch.tensor(x[rank * share:(rank + 1) * share]), torch.tensor(y[rank * share:(rank + 1) * share])
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(
        nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def timed(step):
        times = {"step": [], "backward": []}
        for i in range(steps + 5):  # 5 warm-up steps
            dist.barrier()
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            before = time.perf_counter()
            loss.backward()
            after = time.perf_counter()
            if step:
                optimizer.step()
            end = time.perf_counter()
            if i >= 5:
                times["step"].append(end - start)
                times["backward"].append(after - before)
        return {k: float(np.median(v)) for k, v in times.items()}, loss.item()

    if library == "ember":
        timeline.clear()
    ddp, loss = timed(True)
    in_flight = overlap(timeline) if library == "ember" and size > 1 else None
    with model.no_sync():
        local, _ = timed(False)
    sizes = bucket_sizes([p.numel() for p in model.parameters()])
    buffers = [torch.zeros(n) for n in sizes]
    comm = []
    for i in range(steps + 5):
        dist.barrier()
        start = time.perf_counter()
        for b in buffers:
            dist.all_reduce(b)
        if i >= 5:
            comm.append(time.perf_counter() - start)
    allreduce = float(np.median(comm)) if size > 1 else 0.0
    fit = allreduce_fit(torch, dist, steps) if size > 1 else None
    if rank == 0:
        exposed = ddp["backward"] - local["backward"]
        print(json.dumps({"step": ddp["step"], "backward": ddp["backward"], "local": local["backward"],
                          "allreduce": allreduce, "buckets": len(sizes), "loss": loss, "fit": fit,
                          "in_flight": in_flight,
                          "gradient_bytes": 4 * sum(sizes),
                          "hidden": None if size == 1 else min(1.0, max(0.0, 1 - exposed / allreduce))}))
    dist.destroy_process_group()


def record_ddp_timeline():
    """Wrap ember's DDP to note, each step, when each bucket's allreduce started and finished, and when the
    backward computation ended (the final callback began)."""
    from ember.distributed.collectives import Work
    from ember.nn.parallel import distributed as ddp
    passes, started = [], []
    start, wait, finish = ddp._Bucket.start, Work.wait, ddp.DistributedDataParallel._finish_reduction

    def timed_start(bucket, group, in_background):
        begun = time.perf_counter()
        start(bucket, group, in_background)
        started.append((begun, bucket.work))

    def timed_wait(work, timeout=None):
        wait(work, timeout)
        if not hasattr(work, "finished_at"):
            work.finished_at = time.perf_counter()
        return True

    def timed_finish(self):
        computed = time.perf_counter()
        finish(self)
        passes.append((computed, [(begun, work.finished_at) for begun, work in started]))
        started.clear()

    ddp._Bucket.start, Work.wait, ddp.DistributedDataParallel._finish_reduction = timed_start, timed_wait, timed_finish
    return passes


def overlap(passes):
    under = total = 0.0
    for computed, buckets in passes:
        for begun, finished in buckets:
            under += max(0.0, min(finished, computed) - begun)
            total += finished - begun
    return under / total


def allreduce_fit(torch, dist, repeats):
    """Time one allreduce of 4 kB ... 16 MB and fit the ring model t = latency + 2(p-1)/p * bytes / bandwidth."""
    size, moved, seconds = dist.get_world_size(), [], []
    for n in (1024, 16384, 262144, 1048576, 4194304):
        buffer, times = torch.zeros(n), []
        for _ in range(repeats + 3):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(buffer)
            times.append(time.perf_counter() - start)
        moved.append(2 * (size - 1) / size * 4 * n)
        seconds.append(float(np.median(times[3:])))
    slope, latency = np.polyfit(moved, seconds, 1)
    return {"latency": float(latency), "bandwidth": float(1 / slope), "points": list(zip(moved, seconds))}


def bucket_sizes(numels, first=2 ** 20, cap=25 * 2 ** 20):
    """Float32 bucket sizes (elements) of torch's default assignment: reverse order, 1 MB first, then 25 MB."""
    sizes, current, limit = [], 0, first
    for n in reversed(numels):
        current += n
        if current * 4 >= limit:
            sizes.append(current)
            current, limit = 0, cap
    return sizes + ([current] if current else [])


def run(library, nproc, steps, environment=None, threads=None):
    from ember.distributed.launch import mpiexec_command
    threads = threads or max(1, os.cpu_count() // nproc)
    with socket.socket() as s:  # a free port for torch's gloo rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), **(environment or {}))
    command = mpiexec_command(nproc, [os.path.abspath(__file__), "--worker", library, "--steps", str(steps),
                                      "--port", str(port)])
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{library} on {nproc} processes failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().split("\n")[-1]), threads


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--worker", choices=["ember", "torch"])
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.steps, args.port)
    runs = []
    for nproc in args.nproc:
        for library in ("ember", "torch"):
            runs.append((library, nproc, None, None))
            if nproc == 1 and os.cpu_count() > 1:  # one core's worth: what each of the processes below gets
                runs.append((library, nproc, None, 1))
        if nproc > 1:  # MPICH's own progress thread, instead of DDP's helper threads (it spins all the time)
            runs.append(("ember", nproc, {"MPICH_ASYNC_PROGRESS": "1"}, None))
    print(f"W3 data-parallel, global batch {GLOBAL_BATCH}, {args.steps} steps, {os.cpu_count()} cores "
          f"({time.strftime('%Y-%m-%d')})\n")
    print("| library | processes x threads | step | backward | backward, no_sync | allreduce alone | hidden "
          "| in flight | loss |")
    print("|---|---|---|---|---|---|---|---|---|")
    fits = []
    for library, nproc, environment, threads in runs:
        r, threads = run(library, nproc, args.steps, environment, threads)
        name = library + (" (MPICH_ASYNC_PROGRESS=1)" if environment else "")
        hidden = "-" if r["hidden"] is None else f"{100 * r['hidden']:.0f}%"
        in_flight = "-" if r["in_flight"] is None else f"{100 * r['in_flight']:.0f}%"
        allreduce = "-" if nproc == 1 else f"{1e3 * r['allreduce']:.1f} ms ({r['buckets']} buckets)"
        print(f"| {name} | {nproc} x {threads} | {1e3 * r['step']:.1f} ms | {1e3 * r['backward']:.1f} ms | "
              f"{1e3 * r['local']:.1f} ms | {allreduce} | {hidden} | {in_flight} | {r['loss']:.5f} |", flush=True)
        if r["fit"]:
            fits.append((name, nproc, r))
    for name, nproc, r in fits:  # the ring model, fitted to this machine, against the W3 allreduce measured above
        fit = r["fit"]
        predicted = r["buckets"] * fit["latency"] + 2 * (nproc - 1) / nproc * r["gradient_bytes"] / fit["bandwidth"]
        print(f"\n{name} on {nproc} processes: allreduce of 4 kB-16 MB fits latency {1e6 * fit['latency']:.0f} us, "
              f"bandwidth {fit['bandwidth'] / 1e9:.2f} GB/s; the model predicts {1e3 * predicted:.1f} ms for W3's "
              f"{r['gradient_bytes'] / 1e6:.2f} MB in {r['buckets']} buckets, measured {1e3 * r['allreduce']:.1f} ms")


if __name__ == "__main__":
    main()
