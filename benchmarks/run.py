"""ember against PyTorch and the NumPy/pure-Python autograd peers, side by side, in one run.

    python benchmarks/run.py                 # every workload, 5 alternating rounds
    python benchmarks/run.py --only W1 -r 9  # one workload, 9 rounds
    python benchmarks/run.py --write         # also refresh the table in benchmarks/README.md
    python benchmarks/run.py --cpu           # CPU time, one thread each: the work itself, on a crowded machine

Each (workload, library) run is its own process, so imports, caches and memory
do not leak between libraries; the libraries alternate round by round so that
machine noise hits them alike. Each run reports the median time of its timed
repetitions, the result it computed (all libraries start from the same weights
and must agree), and the process's peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import workloads  # noqa: E402


def child(workload, library, cpu=False):
    """Run one workload on one library in this process and print one JSON line."""
    spec = workloads.WORKLOADS[workload]
    if cpu:
        workloads.clock = time.process_time
    if library == "torch":
        import torch
        torch.set_num_threads(1 if cpu else 2)
    seconds, result = spec["libraries"][library]()
    print(json.dumps({"seconds": seconds, "result": result, "rss_mib": peak_rss_mib()}))


def peak_rss_mib():
    """This process's peak resident memory. (getrusage's ru_maxrss survives fork+exec, so a child would
    report its parent's peak; /proc's VmHWM belongs to the new address space.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def available(library):
    try:
        __import__({"ember": "ember", "torch": "torch", "numpy": "numpy", "micrograd": "micrograd.engine",
                    "mygrad": "mygrad", "tinygrad": "tinygrad"}[library])
        return True
    except ImportError:
        return False


def measure(names, rounds, cpu=False):
    rows = []
    for name in names:
        spec = workloads.WORKLOADS[name]
        libraries = [lib for lib in spec["libraries"] if available(lib)]
        runs = {lib: [] for lib in libraries}
        for _ in range(rounds):
            for lib in libraries:
                env = dict(os.environ, PYTHONPATH=ROOT)
                if cpu:  # one BLAS thread for NumPy too (torch's are set in the child)
                    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
                if lib == "numpy":  # the malloc thresholds ember sets at import (_backend.keep_freed_memory), so
                    # that the floor does not page-fault its temporaries back in every step where ember does not
                    from ember._backend import MALLOC_MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD
                    env.update(MALLOC_MMAP_THRESHOLD_=str(MALLOC_MMAP_THRESHOLD),
                               MALLOC_TRIM_THRESHOLD_=str(MALLOC_TRIM_THRESHOLD))
                out = subprocess.run([sys.executable, __file__, "--child", name, lib] + (["--cpu"] if cpu else []),
                                     capture_output=True, text=True, check=True, env=env)
                runs[lib].append(json.loads(out.stdout.strip().splitlines()[-1]))
        torch_median = statistics.median(r["seconds"] for r in runs["torch"]) if "torch" in runs else None
        for lib in libraries:
            times = [r["seconds"] for r in runs[lib]]
            median = statistics.median(times)
            rows.append({
                "workload": name, "what": spec["what"], "unit": spec["unit"], "library": lib,
                "median": median, "min": min(times), "max": max(times),
                "ratio": median / torch_median if torch_median else None,
                "result": runs[lib][-1]["result"], "rss_mib": max(r["rss_mib"] for r in runs[lib]),
            })
    return rows


def _scale(seconds, unit):
    return seconds * {"us": 1e6, "ms": 1e3, "s": 1.0}[unit]


def table(rows):
    lines = ["| workload | library | median | min - max | ratio to torch | result | peak RSS |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        u = r["unit"]
        ratio = f"**{r['ratio']:.2f}x**" if r["library"] == "ember" and r["ratio"] else (
            f"{r['ratio']:.2f}x" if r["ratio"] else "-")
        lines.append(f"| {r['workload']}: {r['what']} | {r['library']} | {_scale(r['median'], u):.1f} {u} | "
                     f"{_scale(r['min'], u):.1f} - {_scale(r['max'], u):.1f} | {ratio} | {r['result']} | "
                     f"{r['rss_mib']:.0f} MiB |")
    return "\n".join(lines)


def write_readme(rows, cpu=False):
    """Put the rows into benchmarks/README.md's table: workloads measured now replace their old rows."""
    path = os.path.join(HERE, "README.md")
    with open(path) as f:
        readme = f.read()
    start, end = ("<!-- cpu-results:start -->", "<!-- cpu-results:end -->") if cpu else (
        "<!-- results:start -->", "<!-- results:end -->")
    head, rest = readme.split(start)
    old, tail = rest.split(end)
    fresh = table(rows).splitlines()
    measured = {r["workload"] for r in rows}
    order = list(workloads.WORKLOADS)
    kept = [line for line in old.splitlines() if line.startswith("| ") and line.split(":")[0][2:] in order]
    kept = [line for line in kept if line.split(":")[0][2:] not in measured]  # (rows of every workload, R1 too)
    body = sorted(kept + fresh[2:], key=lambda line: order.index(line.split(":")[0][2:]))
    stamp = time.strftime("%Y-%m-%d")
    with open(path, "w") as f:
        command = "python benchmarks/run.py" + (" --cpu" if cpu else "")
        f.write(f"{head}{start}\nMeasured {stamp} on this 2-core machine (`{command}`; rows of "
                f"workloads run with --only are refreshed alone):\n\n" + "\n".join(fresh[:2] + body) + f"\n{end}{tail}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated workload names, e.g. W1,W2")
    parser.add_argument("-r", "--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="refresh the table in benchmarks/README.md")
    parser.add_argument("--cpu", action="store_true", help="time CPU seconds (time.process_time) with one thread "
                        "per library: what the work costs, whatever else the machine is running")
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "LIBRARY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child, cpu=args.cpu)
    names = args.only.split(",") if args.only else list(workloads.WORKLOADS)
    unknown = [n for n in names if n not in workloads.WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(workloads.WORKLOADS)}")
    rows = measure(names, args.rounds, args.cpu)
    print(table(rows))
    if args.write:
        write_readme(rows, args.cpu)


if __name__ == "__main__":
    main()
