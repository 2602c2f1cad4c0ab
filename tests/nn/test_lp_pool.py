"""F.lp_pool1d / F.lp_pool2d and nn.LPPool1d / nn.LPPool2d against PyTorch: values and gradients (float64 and
float32, integer and fractional p, +-inf, strides, ceil_mode, unbatched), finite differences, printed forms."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

RNG = np.random.default_rng(17)
F32 = dict(atol=1e-5, rtol=1e-5)
INF = float("inf")

# (function, arguments after the input, input shape); fractional p on positive inputs (x^p is nan below 0 in both)
CASES = {
    "1d_p2": ("lp_pool1d", (2, 3), (2, 3, 9)),
    "1d_p1_stride": ("lp_pool1d", (1, 3, 2), (2, 2, 8)),
    "1d_p3_ceil": ("lp_pool1d", (3, 2, 2, True), (1, 3, 7)),
    "1d_inf": ("lp_pool1d", (INF, 2), (2, 3, 8)),
    "1d_minus_inf_ceil": ("lp_pool1d", (-INF, 3, 2, True), (2, 3, 8)),
    "1d_unbatched": ("lp_pool1d", (2, 2), (3, 6)),
    "1d_fraction": ("lp_pool1d", (1.5, 3), (2, 2, 9)),
    "2d_p2": ("lp_pool2d", (2, 2), (2, 3, 6, 4)),
    "2d_p1_pairs": ("lp_pool2d", (1, (3, 2), (2, 1)), (2, 2, 7, 5)),
    "2d_p3_ceil": ("lp_pool2d", (3, 3, 2, True), (1, 2, 8, 7)),
    "2d_inf": ("lp_pool2d", (INF, (2, 3)), (2, 2, 6, 6)),
    "2d_minus_inf": ("lp_pool2d", (-INF, 2, 1), (1, 2, 4, 5)),
    "2d_unbatched": ("lp_pool2d", (2, 2, 1), (3, 4, 5)),
    "2d_fraction_ceil": ("lp_pool2d", (2.5, 2, 2, True), (2, 2, 5, 5)),
}


def _data(name, shape):
    if "fraction" in name or "p3" in name:  # the p-th power of a negative sum is nan (torch's too)
        return RNG.uniform(0.5, 2.0, shape)
    if "inf" in name:  # distinct |x|: the largest of a window is one element
        n = int(np.prod(shape))
        return (RNG.permutation(n).reshape(shape) * 0.37 + 0.1) * RNG.choice([-1.0, 1.0], shape)
    return RNG.normal(size=shape)


def _call(name):
    function, args, _ = CASES[name]
    return lambda lib, x: getattr(lib.nn.functional, function)(x, *args)


@pytest.mark.parametrize("name", CASES)
def test_functions_match_torch(name):
    x = _data(name, CASES[name][2])
    check_parity(_call(name), [x])
    check_parity(_call(name), [x.astype(np.float32)], **F32)


def test_negative_sums_and_odd_powers_give_torchs_zeros_and_nans():
    x = RNG.normal(size=(2, 3, 6, 6))
    for p in (1, 3, 1.5):
        check_parity(lambda lib, x: lib.nn.functional.lp_pool2d(x, p, 2), [x])


@pytest.mark.parametrize("name", ["1d_p2", "1d_p3_ceil", "2d_p1_pairs", "2d_fraction_ceil", "2d_inf"])
def test_finite_differences(name):
    check_gradcheck(_call(name), [_data(name, CASES[name][2])])


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.nn.LPPool1d(2, 3), (2, 3, 9)),
    (lambda lib: lib.nn.LPPool1d(1.5, 2, stride=1, ceil_mode=True), (2, 2, 7)),
    (lambda lib: lib.nn.LPPool2d(2, (2, 3), stride=1), (1, 2, 5, 6)),
    (lambda lib: lib.nn.LPPool2d(3, 2, ceil_mode=True), (2, 2, 5, 5)),
])
def test_modules_match_torch(make, shape):
    x = RNG.uniform(0.5, 2.0, shape)
    check_parity(lambda lib, x: make(lib)(x), [x])
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict()) == []


def test_integer_input_gives_torchs_floats():
    x = RNG.integers(-3, 4, size=(1, 2, 4, 6))
    for p in (1, 2, 3):
        check_parity(lambda lib, x: lib.nn.functional.lp_pool2d(x, p, 2), [x])
        check_parity(lambda lib, x: lib.nn.functional.lp_pool1d(x, p, 3, 2, True), [x[0]])
