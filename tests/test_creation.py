"""Construction keeps the dtype's precision: every dtype is built straight from Python numbers, bit for bit
as torch builds it (0.7 as float64 is float64(0.7), not a float32 widened; large ints stay exact in int64)."""
import numpy as np
import pytest
import torch

import ember

FLOATS = [0.7, 0.1, 1 / 3, -2.5e-8, 1e300, 123456789.123456789, 2.0 ** -1074]
INTS = [2 ** 62 + 1, -2 ** 63, 2 ** 63 - 1, 3, -7]

CASES = {
    "tensor float64": lambda lib: lib.tensor(FLOATS, dtype=lib.float64),
    "tensor float64 0-d": lambda lib: lib.tensor(0.7, dtype=lib.float64),
    "tensor float64 nested": lambda lib: lib.tensor([[0.1, 0.2], [0.3, 1 / 3]], dtype=lib.float64),
    "tensor float32": lambda lib: lib.tensor(FLOATS[:-1]),
    "tensor float16": lambda lib: lib.tensor([0.7, 0.1, 1 / 3], dtype=lib.float16),
    "tensor int64 exact": lambda lib: lib.tensor(INTS),
    "tensor int64 to float64": lambda lib: lib.tensor([2 ** 53 + 1, 2 ** 62 + 1], dtype=lib.float64),
    "tensor ints as int64 dtype": lambda lib: lib.tensor(INTS, dtype=lib.int64),
    "as_tensor float64": lambda lib: lib.as_tensor([0.7, 0.1], dtype=lib.float64),
    "Tensor float32": lambda lib: lib.Tensor([0.7, 1 / 3]),
    "full float64": lambda lib: lib.full((3,), 0.7, dtype=lib.float64),
    "full int64": lambda lib: lib.full((2,), 2 ** 62 + 1),
    "arange float64": lambda lib: lib.arange(0, 1, 0.1, dtype=lib.float64),
    "arange float64 odd": lambda lib: lib.arange(-3.3, 7.1, 0.37, dtype=lib.float64),
    "arange float32": lambda lib: lib.arange(0, 1, 0.1),
    "arange large int": lambda lib: lib.arange(2 ** 60, 2 ** 60 + 5),
    "linspace float64": lambda lib: lib.linspace(0.1, 0.7, 7, dtype=lib.float64),
    "linspace float64 long": lambda lib: lib.linspace(-1.3, 2.9, 101, dtype=lib.float64),
    "linspace float32": lambda lib: lib.linspace(-1.3, 2.9, 33),
    "linspace one step": lambda lib: lib.linspace(0.3, 5.0, 1, dtype=lib.float64),
    "linspace int": lambda lib: lib.linspace(0, 10, 4, dtype=lib.int64),
}


@pytest.mark.parametrize("name", CASES)
def test_construction_is_bit_exact(name):
    e, t = CASES[name](ember), CASES[name](torch)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    # bytes, not values: a float32 widened to float64 is "close" to float64(0.7), never equal
    assert e.numpy().tobytes() == t.numpy().tobytes(), f"{e.numpy()!r} != {t.numpy()!r}"


def test_float64_point_seven_is_exact():
    assert ember.tensor([0.7], dtype=ember.float64).item() == 0.7


@pytest.mark.parametrize("args", [(0, 5, 1.5), (0.5, 5, 2), (0, 1, 0.25), (-2.7, 3, 0.9), (1, 7.9, 2)])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8"])
def test_arange_with_an_integer_dtype_truncates_as_torch(args, dtype):
    """torch's integer kernels step from the truncated start by the truncated step (int64 also counts with them)."""
    try:
        expected = torch.arange(*args, dtype=getattr(torch, dtype)).tolist()
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error)):
            ember.arange(*args, dtype=getattr(ember, dtype))
        return
    assert ember.arange(*args, dtype=getattr(ember, dtype)).tolist() == expected


@pytest.mark.parametrize("make", [lambda lib: lib.arange(3, dtype=lib.bool),
                                  lambda lib: lib.linspace(0, 1, 3, dtype=lib.bool),
                                  lambda lib: lib.logspace(0, 1, 3, dtype=lib.bool)])
def test_range_factories_refuse_bool_as_torch(make):
    with pytest.raises(NotImplementedError) as expected:
        make(torch)
    with pytest.raises(NotImplementedError, match=str(expected.value).replace("'", "'")):
        make(ember)


def test_as_tensor_of_an_array_with_a_dtype_matches_torch():
    """as_tensor(array, dtype=...) shares the array's memory when the dtype matches and converts otherwise (it
    raised a NameError whenever a dtype was given with an array)."""
    import torch
    for dtype_name in ("float64", "float32", "int64"):
        array = np.arange(3.0)
        e, t = ember.as_tensor(array, dtype=getattr(ember, dtype_name)), torch.as_tensor(array,
                                                                                      dtype=getattr(torch, dtype_name))
        assert e.tolist() == t.tolist() and str(e.dtype).split(".")[-1] == dtype_name
        array[0] = 7
        assert e.tolist()[0] == t.tolist()[0]  # shared exactly when torch shares
