"""Misuse gets PyTorch's exception type with a message that says what was wrong; never a NumPy traceback."""
import traceback

import numpy as np
import pytest
import torch

import ember

CASES = {
    "backward of non-scalar without gradient": (
        lambda lib: (lib.tensor([1.0, 2.0], requires_grad=True) * 2).backward(), "implicitly created only for scalar"),
    "backward twice": (
        lambda lib: [y.backward() for y in [(lib.tensor([1.0], requires_grad=True).exp()).sum()] * 2],
        "second time"),
    "backward without requires_grad": (lambda lib: lib.tensor([1.0]).sum().backward(), "does not require grad"),
    "in-place on a saved value": (
        lambda lib: _modify_saved(lib), "modified by an inplace operation"),
    "in-place on a leaf that requires grad": (
        lambda lib: lib.tensor([1.0], requires_grad=True).add_(1), "leaf Variable that requires grad"),
    "broadcast mismatch": (lambda lib: lib.ones(2, 3) + lib.ones(4), "must match the size"),
    "view of incompatible shape": (lambda lib: lib.ones(2, 3).view(4, 2), "invalid for input of size 6"),
    "view of non-contiguous": (lambda lib: lib.ones(2, 3).t().view(6), "view size is not compatible"),
    "item of many elements": (lambda lib: lib.ones(3).item(), "elements cannot be converted to Scalar"),
    "numpy of requires_grad": (lambda lib: lib.ones(2, requires_grad=True).numpy(), "requires grad"),
    "matmul mismatch": (lambda lib: lib.ones(2, 3) @ lib.ones(4, 5), "cannot be multiplied \\(2x3 and 4x5\\)"),
    "index out of range": (lambda lib: lib.ones(3)[5], "out of bounds"),
    "dim out of range": (lambda lib: lib.ones(3).sum(dim=2), "Dimension out of range"),
    "in-place float into int": (lambda lib: lib.ones(3, dtype=lib.int64).add_(0.5), "can't be cast"),
    "in-place result shape": (lambda lib: lib.ones(3).add_(lib.ones(2, 3)), "doesn't match the broadcast shape"),
    "cat mismatch": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]), "Sizes of tensors must match"),
    "stack mismatch": (lambda lib: lib.stack([lib.ones(2), lib.ones(3)]), "stack expects each tensor"),
    "expand mismatch": (lambda lib: lib.ones(2, 3).expand(4, 3), "must match the existing size"),
    "requires_grad on int": (lambda lib: lib.tensor([1, 2], requires_grad=True), "floating point"),
    "bool of many elements": (lambda lib: bool(lib.ones(2)), "ambiguous"),
    "len of 0-d": (lambda lib: len(lib.tensor(1.0)), "0-d tensor"),
    "ragged data": (lambda lib: lib.tensor([[1.0, 2.0], [3.0]]), ""),
    "mm of 1-D": (lambda lib: lib.mm(lib.ones(3), lib.ones(3)), ""),
    "mean of integers": (lambda lib: lib.tensor([1, 2]).mean(), "mean\\(\\)"),
    "reshape -1 twice": (lambda lib: lib.ones(4).reshape(-1, -1), "only one dimension can be inferred"),
    "gather index dtype": (lambda lib: lib.ones(3).gather(0, lib.tensor([0.0])), ""),
}


def _modify_saved(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h.exp()  # exp saves its output
    y.mul_(2)
    y.sum().backward()


@pytest.mark.parametrize("name", CASES)
def test_same_exception_type_as_torch(name):
    fn, message = CASES[name]
    with pytest.raises(Exception) as torch_error:
        fn(torch)
    with pytest.raises(Exception) as ember_error:
        fn(ember)
    expected = torch_error.type
    got = ember_error.type
    assert issubclass(got, expected) or (expected is RuntimeError and issubclass(got, RuntimeError)), \
        f"{name}: torch raises {expected.__name__}, ember raises {got.__name__}: {ember_error.value}"
    if message:
        assert ember_error.match(message)
    # the error comes from ember's own code, not from deep inside NumPy
    frames = traceback.extract_tb(ember_error.tb)
    assert "numpy" not in frames[-1].filename, f"{name}: a NumPy traceback reached the user:\n{ember_error.value}"


def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError) as e:
        ember.ones(2, 3) * ember.ones(4, 5)
    assert "[2, 3]" in str(e.value) and "[4, 5]" in str(e.value)


def test_unsupported_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="must be an ember dtype"):  # as torch: a dtype, never a string
        ember.zeros(2, dtype="complex64")
    with pytest.raises(TypeError, match="does not support"):
        ember.from_numpy(np.array(["a"]))
