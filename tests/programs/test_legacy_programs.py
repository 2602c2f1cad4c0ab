"""Course programs of the PyTorch 0.3-1.x era, unchanged, under `ember run` and under PyTorch: the same output."""
import gzip
import os

import numpy as np


def test_variable_linear_regression(programs):
    # float32 sums of squares: the losses may differ by a float32 rounding (1e-7 of the squares summed)
    lines = programs.check("variable_linear_regression.py", rtol=1e-6, atol=1e-6)
    assert lines[-1] == "True True False" and lines[-3].startswith("predict (after training) 4 7.9")


def test_variable_char_rnn(programs):
    lines = programs.check("variable_char_rnn.py")
    assert lines[-1] == "Learning finished!" and lines[-2].startswith("predicted string: ihel")


def test_bce_logistic_regression_with_size_average(programs):
    lines = programs.check("bce_logistic_regression.py")
    assert lines[-5].endswith("False") and "predict 7.0" in lines[-4] and lines[-4].endswith("True")


def test_lbfgs_asgd_sgd_fit(programs):
    lines = programs.check("lbfgs_fit.py", rtol=1e-7)
    finals = {line.split()[0]: float(line.split()[-1]) for line in lines if "final" in line}
    assert finals["LBFGS"] < finals["ASGD"] and finals["LBFGS"] < 1e-3


def test_legacy_tensor_types(programs):
    lines = programs.check("legacy_tensor_types.py")
    assert "a float tensor" in lines


def write_mnist(root, n_train=48, n_test=16, seed=0):
    """Small MNIST-format files (28x28 uint8 images, gzipped IDX): each digit a bright block at its own place over
    dim noise, so a small CNN can learn them."""
    rng = np.random.default_rng(seed)
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels):
            row, col = divmod(int(label), 5)
            image[4 + 12 * row:12 + 12 * row, 2 + 5 * col:6 + 5 * col] = 255
        for kind, array, code in (("images-idx3", images, 3), ("labels-idx1", labels, 1)):
            header = bytes([0, 0, 8, code]) + np.array(array.shape, ">u4").tobytes()
            with gzip.open(os.path.join(raw, f"{prefix}-{kind}-ubyte.gz"), "wb") as f:
                f.write(header + array.tobytes())


def test_mnist_cnn_with_torchvision(programs):
    write_mnist(programs.cwd)
    # float32 convolutions summed in a different order: the printed losses agree to their 6th decimal place
    lines = programs.check("mnist_cnn.py", ".", twin="torchvision_twin.py", atol=2e-6)
    accuracy = [line for line in lines if line.startswith("Test set")]
    assert len(accuracy) == 5 and "Accuracy: 15/16" in accuracy[-1]  # it learns the blocks


# PyTorch's tutorials of today (issue #22), unchanged under `ember run`
def test_tensors_tutorial_with_out_default_device_and_torch_names(programs):
    lines = programs.check("tutorial_tensors.py")
    assert "Datatype of tensor: torch.float32" in lines and "Shape of tensor: torch.Size([3, 4])" in lines
    assert "torch.return_types.max_out(" in lines and "exporting: False" in lines


def test_polynomial_fitted_four_ways(programs):
    # float32 sums of 2000 squares: the losses differ by float32 roundings; RMSprop's a and c wander near 0
    lines = programs.check("polynomial_fit.py", "1200", rtol=1e-4, atol=1e-4)
    fits = [line for line in lines if " x^3" in line]
    assert [line.split(":")[0] for line in fits] == ["tensors", "autograd", "nn", "optim"]


def test_autograd_tutorial_with_a_custom_function(programs):
    lines = programs.check("autograd_tutorial.py", "1200", rtol=1e-5, atol=1e-6)
    assert lines[-1] == "gradcheck: True" and lines[-2] == "AddBackward0 MulBackward0 LegendrePolynomial3Backward"
