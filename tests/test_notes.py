"""The notes' autograd program prints exactly what PyTorch prints."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", "notes_autograd.py"), *args],
                          capture_output=True, text=True, check=True, env=env).stdout


def test_notes_program_prints_torchs_numbers():
    ours, theirs = _run(), _run("torch")
    assert ours == theirs
    assert ours.count("grad:") == 300 and "predict (after training) 4 7.999998569488525" in ours
