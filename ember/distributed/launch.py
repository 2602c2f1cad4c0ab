"""Starting the processes: the mpiexec command line that `ember run --nproc N` hands over to, and its environment."""
import os
import shutil
import sys


def mpiexec_command(nproc, argv):
    """[mpiexec, -n, nproc, python, *argv]: the mpiexec installed beside this Python (the mpich wheel puts it
    there), else the first one on PATH."""
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"the number of processes must be a positive integer, got {nproc!r}")
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    if mpiexec is None:
        raise FileNotFoundError('no mpiexec found: pip install "ember[distributed]" (it brings mpich and mpiexec)')
    return [mpiexec, "-n", str(nproc), sys.executable] + list(argv)


def environment(nproc):
    """The processes' environment: unless the user chose, each process's BLAS gets its share of the cores
    (as torchrun does), since N processes each starting one BLAS thread per core oversubscribe the machine
    and make every matrix product wait for busy cores."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    return env
