"""F.max_unpool1d / F.max_unpool2d and nn.MaxUnpool1d / nn.MaxUnpool2d against PyTorch: the round trip through
max pooling's indices (values and gradients, float32 and float64, strides, padding, overlapping windows,
ceil_mode, unbatched, output_size in every form), finite differences, printed forms, and torch's refusals."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

RNG = np.random.default_rng(23)
F32 = dict(atol=1e-6, rtol=1e-6)


def _distinct(shape):
    """No ties, so that both libraries pick the same maximum in each window."""
    n = int(np.prod(shape))
    return (RNG.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(np.float64)


# (pool arguments, unpool arguments, output_size, input shape)
CASES = {
    "2d_k2": ((2,), (2,), None, (2, 3, 6, 4)),
    "2d_k3_s2_p1": ((3, 2, 1), (3, 2, 1), None, (2, 2, 7, 7)),
    "2d_pairs": (((2, 3), (1, 2)), ((2, 3), (1, 2)), None, (1, 2, 5, 7)),
    "2d_overlapping": ((2, 1), (2, 1), None, (2, 2, 5, 5)),  # a maximum found twice has one index twice
    "2d_odd_size": ((2,), (2,), (5, 7), (1, 3, 5, 7)),
    "2d_size_with_batch": ((2,), (2,), (1, 3, 5, 7), (1, 3, 5, 7)),
    "2d_ceil_mode": ((2, 2, 0, 1, True), (2,), (5, 5), (2, 1, 5, 5)),
    "2d_unbatched": ((2,), (2,), None, (3, 4, 6)),
    "1d_k2": ((2,), (2,), None, (2, 3, 8)),
    "1d_k3_s2_p1": ((3, 2, 1), (3, 2, 1), None, (2, 2, 9)),
    "1d_odd_size": ((2,), (2,), [7], (2, 3, 7)),
    "1d_size_with_batch": ((3,), (3,), (2, 3, 8), (2, 3, 8)),
    "1d_overlapping": ((3, 1), (3, 1), None, (1, 2, 9)),
    "1d_unbatched": ((2,), (2,), None, (3, 8)),
}


def _round_trip(name):
    pool_args, unpool_args, size, _ = CASES[name]
    kind = name[:2]

    def fn(lib, x):
        F = lib.nn.functional
        out, indices = getattr(F, f"max_pool{kind}")(x, *pool_args, return_indices=True)
        return getattr(F, f"max_unpool{kind}")(out, indices, *unpool_args, output_size=size)
    return fn


@pytest.mark.parametrize("name", CASES)
def test_round_trip_matches_torch(name):
    x = _distinct(CASES[name][3])
    check_parity(_round_trip(name), [x])
    check_parity(_round_trip(name), [x.astype(np.float32)], **F32)


@pytest.mark.parametrize("name", ["2d_k2", "2d_k3_s2_p1", "2d_overlapping", "1d_k3_s2_p1", "2d_unbatched"])
def test_unpool_alone_matches_torch(name):
    """The gradient of what is unpooled (the input, not the pooled image) and of any values at the indices."""
    pool_args, unpool_args, size, shape = CASES[name]
    kind = name[:2]
    _, indices = getattr(torch.nn.functional, f"max_pool{kind}")(torch.tensor(_distinct(shape)), *pool_args,
                                                                  return_indices=True)
    values = RNG.normal(size=tuple(indices.shape))
    fn = lambda lib, v, i: getattr(lib.nn.functional, f"max_unpool{kind}")(v, i, *unpool_args,  # noqa: E731
                                                                          output_size=size)
    check_parity(fn, [values, indices.numpy()])
    check_parity(fn, [values.astype(np.float32), indices.numpy()], **F32)
    planes = indices.reshape(-1, indices.shape[-1] * (indices.shape[-2] if kind == "2d" else 1)).numpy()
    if all(len(np.unique(p)) == len(p) for p in planes):  # (a repeated index keeps one write: torch's gradient
        check_gradcheck(fn, [values, indices.numpy()])     # gathers to both, which finite differences do not see)


@pytest.mark.parametrize("name", ["2d_k2", "2d_odd_size", "1d_k2", "2d_unbatched"])  # (windows apart)
def test_finite_differences(name):
    check_gradcheck(_round_trip(name), [_distinct(CASES[name][3])])


def test_second_derivatives_flow():
    def fn(lib, x):
        F = lib.nn.functional
        out, indices = F.max_pool2d(x * x, 2, return_indices=True)
        y = F.max_unpool2d(out, indices, 2)
        grad, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return grad
    check_parity(fn, [_distinct((1, 2, 4, 4))])


def test_output_size_as_a_size_and_empty_batch():
    for lib_fn in (lambda lib, x: lib.nn.functional.max_unpool2d(
                       *lib.nn.functional.max_pool2d(x, 2, return_indices=True), 2, output_size=x.size()),
                   lambda lib, x: lib.nn.functional.max_unpool2d(
                       *lib.nn.functional.max_pool2d(x[:0], 2, return_indices=True), 2)):
        check_parity(lib_fn, [_distinct((2, 3, 5, 4))])


@pytest.mark.parametrize("make, shape, size", [
    (lambda lib: lib.nn.MaxUnpool2d(2), (2, 3, 4, 6), None),
    (lambda lib: lib.nn.MaxUnpool2d((3, 2), stride=(2, 1), padding=(1, 0)), (2, 2, 7, 6), (7, 6)),
    (lambda lib: lib.nn.MaxUnpool1d(3, 2, 1), (2, 2, 9), [9]),
    (lambda lib: lib.nn.MaxUnpool1d(2), (3, 8), None),
])
def test_modules_round_trip_and_print_as_torch(make, shape, size):
    def fn(lib, x):
        unpool = make(lib)
        pool = (lib.nn.MaxPool1d if len(unpool.kernel_size) == 1 else lib.nn.MaxPool2d)(
            unpool.kernel_size, unpool.stride, unpool.padding, return_indices=True)
        return unpool(*pool(x), output_size=size)
    check_parity(fn, [_distinct(shape)])
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t)
    assert (e.kernel_size, e.stride, e.padding) == (t.kernel_size, t.stride, t.padding)
    assert list(e.state_dict()) == list(t.state_dict()) == []


IMAGES = {shape: _distinct(shape) for shape in [(1, 2, 4, 4), (1, 2, 5, 5)]}


def _pooled(lib, shape=(1, 2, 4, 4)):
    x = lib.tensor(IMAGES[shape])
    return lib.nn.functional.max_pool2d(x, 2, return_indices=True)


def _one_bad(lib):
    indices = _pooled(lib)[1].numpy().copy()
    indices[0, 1, 0, 1] = 16
    return lib.tensor(indices)


REFUSALS = {
    "size_out_of_range": lambda lib: lib.nn.functional.max_unpool2d(*_pooled(lib), 2, output_size=(6, 4)),
    "size_length": lambda lib: lib.nn.functional.max_unpool2d(*_pooled(lib), 2, output_size=(4,)),
    "size_1d_out_of_range": lambda lib: lib.nn.functional.max_unpool1d(*[t[0] for t in _pooled(lib)], 2,
                                                                       output_size=[9]),
    "negative_size": lambda lib: lib.nn.functional.max_unpool2d(*_pooled(lib), -1),
    "padding_too_big": lambda lib: lib.nn.functional.max_unpool2d(*_pooled(lib), 2, 2, 5),
    "int32_indices": lambda lib: lib.nn.functional.max_unpool2d(_pooled(lib)[0], _pooled(lib)[1].int(), 2),
    "indices_shape": lambda lib: lib.nn.functional.max_unpool2d(_pooled(lib)[0], _pooled(lib)[1][..., :1], 2),
    "index_too_big": lambda lib: lib.nn.functional.max_unpool2d(_pooled(lib)[0], _pooled(lib)[1] + 100, 2),
    "index_negative": lambda lib: lib.nn.functional.max_unpool2d(_pooled(lib)[0], _pooled(lib)[1] - 100, 2),
    "pooled_from_a_bigger_image": lambda lib: lib.nn.functional.max_unpool2d(*_pooled(lib, (1, 2, 5, 5)), 2),
    "one_bad_index": lambda lib: lib.nn.functional.max_unpool2d(_pooled(lib)[0], _one_bad(lib), 2),
    "2d_input": lambda lib: lib.nn.functional.max_unpool2d(*[t[0, 0] for t in _pooled(lib)], 2),
    "5d_input": lambda lib: lib.nn.functional.max_unpool2d(*[t[None] for t in _pooled(lib)], 2),
    "1d_of_1d_input": lambda lib: lib.nn.functional.max_unpool1d(*[t[0, 0, 0] for t in _pooled(lib)], 2),
    "no_channels": lambda lib: lib.nn.functional.max_unpool2d(*[t[:, :0] for t in _pooled(lib)], 2),
    "long_input": lambda lib: lib.nn.functional.max_unpool2d(_pooled(lib)[0].long(), _pooled(lib)[1], 2),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_are_torchs(name):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # (of several bad indices torch names the last its threads met: on one, the last)
    try:
        with pytest.raises(Exception) as t_error:
            REFUSALS[name](torch)
    finally:
        torch.set_num_threads(threads)
    with pytest.raises(type(t_error.value)) as e_error:
        REFUSALS[name](ember)
    assert str(e_error.value).startswith(str(t_error.value)), (str(e_error.value), str(t_error.value))


def test_a_kernel_of_zero_gives_torchs_empty_planes():
    for lib in (ember, torch):
        out = lib.nn.functional.max_unpool2d(*_pooled(lib), 0)
        assert tuple(out.shape) == (1, 2, 0, 0)
