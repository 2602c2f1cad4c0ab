"""Whole course programs, process start to exit: `python prog.py` under PyTorch against `ember run prog.py`.

    python benchmarks/programs.py              # every program in benchmarks/programs/, 3 alternating rounds
    python benchmarks/programs.py --only lecture10_cnn -r 5
    python benchmarks/programs.py --write      # also refresh the table in benchmarks/README.md

The programs (benchmarks/programs/lecture*.py) are written as the course's lectures 8-13 write them, with data
made in the program (no download): the Dataset/DataLoader lecture, the CNN, the inception and residual nets, the
name classifier. Each is timed twice, with one thread (OMP/OpenBLAS/MKL at 1: the work itself) and with each
library's default threads. Both libraries must print the same lines (a seeded program gives torch's numbers).
"""
import argparse
import glob
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS = os.path.join(HERE, "programs")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_once(program, library, threads):
    env = dict(os.environ, PYTHONPATH=ROOT)
    if threads == "1":
        env.update(ONE_THREAD)
    command = [sys.executable, program] if library == "torch" else [sys.executable, "-m", "ember.cli", "run", program]
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROGRAMS)
    seconds = time.perf_counter() - start
    if out.returncode:
        raise SystemExit(f"{library} failed on {os.path.basename(program)}:\n{out.stderr[-2000:]}")
    return seconds, out.stdout


def compile_ember():
    """Write ember's bytecode once, as installing a package writes it (torch's came with pip). Where
    PYTHONDONTWRITEBYTECODE is set (this project's machines set it), every `ember run` would otherwise compile all
    of ember from source again: 1.3-1.5 s to import instead of 0.7 s, a cost no installed library pays."""
    import compileall
    compileall.compile_dir(os.path.join(ROOT, "ember"), quiet=1)


def measure(names, rounds):
    rows = []
    for name in names:
        program = os.path.join(PROGRAMS, name + ".py")
        for threads in ("1", "default"):
            times, outputs = {"torch": [], "ember": []}, {}
            for _ in range(rounds):
                for library in ("torch", "ember"):
                    seconds, outputs[library] = run_once(program, library, threads)
                    times[library].append(seconds)
            same = outputs["torch"] == outputs["ember"]
            t, e = statistics.median(times["torch"]), statistics.median(times["ember"])
            rows.append((name, threads, t, e, min(times["torch"]), min(times["ember"]), same,
                         outputs["ember"].strip().splitlines()[-1]))
    return rows


def table(rows):
    lines = ["| program | threads | torch | ember | ratio (medians) | ratio (minimums) | same output | last line |",
             "|---|---|---|---|---|---|---|---|"]
    for name, threads, t, e, t_min, e_min, same, last in rows:
        lines.append(f"| {name} | {threads} | {t:.2f} s | {e:.2f} s | **{e / t:.2f}x** | {e_min / t_min:.2f}x | "
                     f"{'yes' if same else 'NO'} | {last} |")
    return "\n".join(lines)


def write_readme(rows, rounds):
    path = os.path.join(HERE, "README.md")
    with open(path) as f:
        readme = f.read()
    start, end = "<!-- programs:start -->", "<!-- programs:end -->"
    head, rest = readme.split(start)
    _, tail = rest.split(end)
    stamp = time.strftime("%Y-%m-%d")
    with open(path, "w") as f:
        f.write(f"{head}{start}\nMeasured {stamp} on this 2-core machine (`python benchmarks/programs.py -r {rounds}`):"
                f"\n\n{table(rows)}\n{end}{tail}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated program names (without .py)")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="refresh the table in benchmarks/README.md")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else sorted(
        os.path.basename(p)[:-3] for p in glob.glob(os.path.join(PROGRAMS, "lecture*.py")))
    compile_ember()
    rows = measure(names, args.rounds)
    print(table(rows))
    if args.write:
        write_readme(rows, args.rounds)
    if not all(row[6] for row in rows):
        sys.exit("the libraries printed different output: see the table")


if __name__ == "__main__":
    main()
