"""Course-style programs run the way a user runs them, `ember run prog.py` and `python prog.py` (PyTorch), with
their printed output compared.

Adding a program: put ``prog.py`` in this folder (a plain PyTorch script: ``import torch``, nothing about ember)
and a test that uses the ``programs`` fixture::

    def test_prog(programs):
        programs.check("prog.py", "arg1")            # ember run and python print the same lines
        programs.check("prog.py", rtol=1e-5)         # or the same text with numbers within a tolerance
        programs.check("prog.py", twin="torchvision_twin.py")  # PyTorch runs `python twin prog.py`: the twin
                                                               # provides what PyTorch lacks here (torchvision)

Programs run in a fresh temporary folder (``programs.cwd``; files a test writes there are the program's data),
with one BLAS/OpenMP thread so that PyTorch's own sums come out the same on every run.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


class Programs:
    def __init__(self, cwd):
        self.cwd = str(cwd)

    def _run(self, command, extra_path, returncode):
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (extra_path, env.get("PYTHONPATH")) if p)
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.cwd, timeout=600)
        assert result.returncode == returncode, (f"{' '.join(command)} exited with {result.returncode}, expected "
                                                 f"{returncode}:\n{result.stderr[-3000:]}")
        return result

    def run_ember(self, name, *args, returncode=0):
        """`ember run name args` with this repository's ember (a CompletedProcess: stdout, stderr, returncode)."""
        return self._run([sys.executable, "-m", "ember.cli", "run", os.path.join(HERE, name), *args], ROOT,
                         returncode)

    def run_torch(self, name, *args, returncode=0):
        """`python name args`: PyTorch, with no ember on the path."""
        return self._run([sys.executable, os.path.join(HERE, name), *args], None, returncode)

    def check(self, name, *args, twin=None, rtol=0.0, atol=0.0, returncode=0):
        """Run under both (each must exit with returncode) and compare stdout line by line; returns ember's
        lines."""
        ours = self.run_ember(name, *args, returncode=returncode).stdout
        theirs = (self.run_torch(twin, name, *args, returncode=returncode) if twin else
                  self.run_torch(name, *args, returncode=returncode)).stdout
        assert_same_output(ours, theirs, rtol, atol)
        return ours.splitlines()


def assert_same_output(ours, theirs, rtol=0.0, atol=0.0):
    """The same lines; with a tolerance, the text between numbers equal and the numbers close."""
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    assert len(ours_lines) == len(theirs_lines), (f"ember printed {len(ours_lines)} lines, PyTorch "
                                                  f"{len(theirs_lines)}:\n{ours[-2000:]}\n---\n{theirs[-2000:]}")
    for i, (a, b) in enumerate(zip(ours_lines, theirs_lines)):
        if a == b:
            continue
        assert rtol or atol, f"line {i + 1} differs:\n  ember:   {a}\n  PyTorch: {b}"
        assert NUMBER.split(a) == NUMBER.split(b), f"line {i + 1} differs in text:\n  ember:   {a}\n  PyTorch: {b}"
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert abs(float(x) - float(y)) <= atol + rtol * abs(float(y)), \
                f"line {i + 1}: {x} vs PyTorch's {y}\n  ember:   {a}\n  PyTorch: {b}"


@pytest.fixture
def programs(tmp_path):
    return Programs(tmp_path)
