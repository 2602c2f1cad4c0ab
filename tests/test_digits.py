"""End to end: the digits examples, plain PyTorch programs, train on ember to 97% (MLP) and 98% (CNN) test accuracy.

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


def test_digits_cnn_reaches_98_percent():
    import digits_cnn
    assert digits_cnn.torch.__name__ == "ember"
    accuracy, _ = digits_cnn.main()
    assert accuracy >= 0.98, f"test accuracy {accuracy:.4f}"
