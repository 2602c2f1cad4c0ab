"""Starting the processes: the mpiexec command line that `ember run --nproc N` hands over to."""
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

