"""End to end: the digits MLP example, a plain PyTorch program, trains to at least 97% test accuracy on ember.

(Its time, a few seconds here, is measured by benchmarks/, not asserted in a test.)"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))


def test_digits_mlp_reaches_97_percent():
    import digits_mlp
    assert digits_mlp.torch.__name__ == "ember"
    accuracy, _ = digits_mlp.main()
    assert accuracy >= 0.97, f"test accuracy {accuracy:.4f}"
