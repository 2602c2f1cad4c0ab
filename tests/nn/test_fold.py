"""F.unfold / F.fold and nn.Unfold / nn.Fold (im2col and col2im) against PyTorch: values and gradients (float64 and
float32, batched and unbatched, kernel/dilation/padding/stride as ints and pairs), finite differences, torch's
refusals, printed forms and state_dicts."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

RNG = np.random.default_rng(11)
F32 = dict(atol=1e-5, rtol=1e-5)

# (kernel_size, dilation, padding, stride), input (N, C, H, W)
SETTINGS = {
    "kernel": ((2, 2), 1, 0, 1, (2, 3, 4, 5)),
    "int_args": (3, 2, 1, 2, (2, 2, 7, 6)),
    "pairs": ((2, 3), (2, 1), (1, 0), (1, 2), (1, 3, 5, 7)),
    "overlap_stride": ((3, 2), 1, (2, 1), (2, 1), (2, 2, 5, 4)),
    "lists": ([1, 2], [1, 3], [0, 2], [3, 1], (2, 1, 6, 5)),
    "unbatched": (2, 1, 1, 1, (3, 4, 4)),
    "whole_image": ((4, 5), 1, 0, 1, (2, 2, 4, 5)),
}


def _unfold(kernel, dilation, padding, stride):
    return lambda lib, x: lib.nn.functional.unfold(x, kernel, dilation, padding, stride)


def _fold_args(kernel, dilation, padding, stride, shape):
    """fold's input (the columns unfold makes of an image of that shape) and output_size."""
    columns = torch.nn.functional.unfold(torch.zeros(shape), kernel, dilation, padding, stride).shape
    return columns, tuple(shape[-2:])


@pytest.mark.parametrize("name", SETTINGS)
def test_unfold_matches_torch(name):
    *args, shape = SETTINGS[name]
    x = RNG.normal(size=shape)
    check_parity(_unfold(*args), [x])
    check_parity(_unfold(*args), [x.astype(np.float32)], **F32)
    check_parity(_unfold(*args), [x], noncontiguous=True)


@pytest.mark.parametrize("name", SETTINGS)
def test_fold_matches_torch(name):
    *args, shape = SETTINGS[name]
    columns, size = _fold_args(*args, shape)
    fn = lambda lib, c: lib.nn.functional.fold(c, size, *args)  # noqa: E731
    x = RNG.normal(size=columns)
    check_parity(fn, [x])
    check_parity(fn, [x.astype(np.float32)], **F32)
    check_parity(fn, [x], noncontiguous=True)


def test_fold_of_unfold_counts_each_pixels_windows_as_torch():
    x = RNG.normal(size=(2, 3, 6, 5))
    fn = lambda lib, x: lib.nn.functional.fold(lib.nn.functional.unfold(x, 3, padding=1), (6, 5), 3, padding=1)
    check_parity(fn, [x])


@pytest.mark.parametrize("name", ["int_args", "pairs", "unbatched"])
def test_finite_differences(name):
    *args, shape = SETTINGS[name]
    check_gradcheck(_unfold(*args), [RNG.normal(size=shape)])
    columns, size = _fold_args(*args, shape)
    check_gradcheck(lambda lib, c: lib.nn.functional.fold(c, size, *args), [RNG.normal(size=columns)])


def test_second_derivatives_flow():
    # both are linear: the gradient of the gradient with respect to the input is zero, and torch agrees
    def fn(lib, x):
        y = lib.nn.functional.unfold(x, 2, padding=1)
        g, = lib.autograd.grad((y ** 3).sum(), x, create_graph=True)
        return g
    check_parity(fn, [RNG.normal(size=(1, 2, 3, 4))])


def test_empty_batch():
    check_parity(_unfold(2, 1, 0, 1), [np.zeros((0, 2, 3, 3))])
    check_parity(lambda lib, c: lib.nn.functional.fold(c, (3, 3), 2), [np.zeros((0, 8, 4))])


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.nn.Unfold(2, dilation=2, padding=1, stride=(1, 2)), (2, 3, 5, 6)),
    (lambda lib: lib.nn.Unfold((2, 3)), (3, 4, 5)),
    (lambda lib: lib.nn.Fold((4, 5), 2), (2, 12, 12)),
    (lambda lib: lib.nn.Fold(output_size=(5, 4), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=2),
     (6, 6)),
])
def test_modules_match_torch(make, shape):
    check_parity(lambda lib, x: make(lib)(x), [RNG.normal(size=shape)])
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict()) == []


def test_output_layout_is_torchs():
    for lib_fn in (lambda lib: lib.nn.functional.unfold(lib.ones(2, 3, 5, 4), 2, padding=1, stride=2),
                   lambda lib: lib.nn.functional.fold(lib.ones(2, 12, 9), (5, 5), 2, padding=1, stride=2)):
        e, t = lib_fn(ember), lib_fn(torch)
        assert e.stride() == t.stride() and e.is_contiguous() == t.is_contiguous()


REFUSALS = {
    "unfold_2d": lambda lib: lib.nn.functional.unfold(lib.ones(3, 4), 2),
    "unfold_1d": lambda lib: lib.nn.functional.unfold(lib.ones(3), 2),
    "unfold_5d": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 3, 4, 5), 2),
    "unfold_no_channels": lambda lib: lib.nn.functional.unfold(lib.ones(1, 0, 3, 3), 2),
    "unfold_kernel_too_big": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), 7),
    "unfold_stride_0": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), 2, stride=0),
    "unfold_kernel_0": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), 0),
    "unfold_dilation_0": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), 2, dilation=0),
    "unfold_negative_padding": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), 2, padding=-1),
    "unfold_three_sizes": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), (2, 2, 2)),
    "unfold_float_kernel": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 5, 6), 2.0),
    "unfold_long": lambda lib: lib.nn.functional.unfold(lib.ones(1, 1, 3, 3, dtype=lib.long), 2),
    "fold_1d": lambda lib: lib.nn.functional.fold(lib.ones(12), (5, 6), 2),
    "fold_4d": lambda lib: lib.nn.functional.fold(lib.ones(2, 12, 20, 1), (5, 6), 2),
    "fold_blocks": lambda lib: lib.nn.functional.fold(lib.ones(2, 12, 19), (5, 6), 2),
    "fold_channels": lambda lib: lib.nn.functional.fold(lib.ones(2, 13, 20), (5, 6), 2),
    "fold_output_three": lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 4), (3, 3, 3), 2),
    "fold_kernel_0": lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 4), (3, 3), 0),
    "fold_long": lambda lib: lib.nn.functional.fold(lib.ones(1, 4, 4, dtype=lib.long), 3, 2),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception_type(name):
    with pytest.raises(Exception) as t_error:
        REFUSALS[name](torch)
    with pytest.raises(type(t_error.value)):
        REFUSALS[name](ember)
