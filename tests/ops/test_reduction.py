"""Reductions against torch: every dim form (None, int, negative, tuple), keepdim, ties, gradcheck."""
import math
import warnings

import numpy as np
import pytest

import ember
import torch
from helpers import assert_same, check_gradcheck, check_parity, sample

REDUCTIONS = {
    "sum": (lambda lib, a: a.sum(), "any"),
    "sum_dim": (lambda lib, a: a.sum(dim=1), "any"),
    "sum_neg_keepdim": (lambda lib, a: a.sum(-1, keepdim=True), "any"),
    "sum_tuple": (lambda lib, a: a.sum(dim=(0, 2)), "any"),
    "mean": (lambda lib, a: a.mean(), "any"),
    "mean_dim": (lambda lib, a: a.mean(0, keepdim=True), "any"),
    "sum_axis": (lambda lib, a: a.sum(axis=1), "any"),  # torch takes NumPy's axis= for dim= (a recipe writes it)
    "mean_axis_function": (lambda lib, a: lib.mean(a, axis=(0, 2), keepdim=True), "any"),
    "prod": (lambda lib, a: a.prod(), "nonzero"),
    "prod_dim": (lambda lib, a: a.prod(1), "nonzero"),
    "var": (lambda lib, a: a.var(), "any"),
    "var_dim_biased": (lambda lib, a: a.var(1, unbiased=False), "any"),
    "var_correction": (lambda lib, a: lib.var(a, dim=(0, 1), correction=0, keepdim=True), "any"),
    "std": (lambda lib, a: a.std(), "any"),
    "std_dim": (lambda lib, a: a.std(dim=-1, keepdim=True), "any"),
    "max": (lambda lib, a: a.max(), "distinct"),
    "min": (lambda lib, a: a.min(), "distinct"),
    "max_dim_values": (lambda lib, a: a.max(dim=1).values, "distinct"),
    "min_dim_keepdim": (lambda lib, a: a.min(dim=-1, keepdim=True)[0], "distinct"),
    "amax": (lambda lib, a: a.amax(dim=(0, 1)), "distinct"),
    "amin": (lambda lib, a: lib.amin(a, 1, keepdim=True), "distinct"),
    "logsumexp": (lambda lib, a: a.logsumexp(dim=1), "any"),
    "logsumexp_tuple": (lambda lib, a: lib.logsumexp(a, dim=(0, 2), keepdim=True), "any"),
    "softmax": (lambda lib, a: a.softmax(dim=1), "any"),
    "softmax_last": (lambda lib, a: lib.softmax(a, -1), "any"),
    "log_softmax": (lambda lib, a: a.log_softmax(dim=0), "any"),
    "cumsum": (lambda lib, a: a.cumsum(dim=1), "any"),
    "norm": (lambda lib, a: a.norm(), "any"),
    "norm_dim": (lambda lib, a: a.norm(dim=1), "any"),
    "norm_p1": (lambda lib, a: a.norm(p=1, dim=-1), "nonzero"),
    "norm_p3": (lambda lib, a: lib.norm(a, p=3), "nonzero"),
    "norm_inf": (lambda lib, a: a.norm(p=float("inf")), "distinct"),
}


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 5, 1), (3, 1, 2)], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_parity(name, shape):
    fn, domain = REDUCTIONS[name]
    check_parity(fn, [sample(shape, domain)])


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_noncontiguous_and_gradcheck(name):
    fn, domain = REDUCTIONS[name]
    check_parity(fn, [sample((4, 3, 2), domain)], noncontiguous=True)
    check_gradcheck(fn, [sample((2, 3, 2), domain)])


@pytest.mark.parametrize("fn", [
    lambda lib, a: a.sum(), lambda lib, a: a.mean(), lambda lib, a: a.max(), lambda lib, a: a.sum(0),
    lambda lib, a: a.softmax(0), lambda lib, a: a.cumsum(0), lambda lib, a: a.logsumexp(0), lambda lib, a: a.prod(),
])
def test_reductions_of_0d(fn):
    check_parity(fn, [np.array(1.5)])


def test_ties_share_the_gradient_like_torch():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for fn in (lambda lib, a: a.max(), lambda lib, a: a.amax(dim=1), lambda lib, a: a.min(dim=1).values,
               lambda lib, a: lib.maximum(a, a.flip(1)), lambda lib, a: a.clamp(1.0, 2.0)):
        check_parity(fn, [data])


def test_prod_with_zeros_has_the_right_gradient():
    data = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    check_parity(lambda lib, a: a.prod(dim=1), [data])
    check_parity(lambda lib, a: a.prod(), [data[2:]])
    check_parity(lambda lib, a: a.prod(), [data[:1]])


def test_logsumexp_and_softmax_are_stable():
    data = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf]])
    check_parity(lambda lib, a: a.logsumexp(dim=1), [data], grad=False)
    check_parity(lambda lib, a: a.softmax(dim=1), [data[:1]])
    check_parity(lambda lib, a: a.log_softmax(dim=1), [data[:1]])


def test_max_with_dim_returns_values_and_indices():
    check_parity(lambda lib, a: tuple(a.max(dim=1)), [sample((3, 4), "distinct")], grad=False)
    check_parity(lambda lib, a: tuple(lib.min(a, 0, keepdim=True)), [sample((3, 4), "distinct")], grad=False)
    result = ember.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    assert result.indices.tolist() == [1, 0] and result.values.tolist() == [5.0, 7.0]


@pytest.mark.parametrize("fn", [
    lambda lib, a: a.argmax(), lambda lib, a: a.argmin(dim=1), lambda lib, a: a.argmax(dim=-1, keepdim=True),
    lambda lib, a: lib.count_nonzero(a > 0), lambda lib, a: (a > 0).sum(), lambda lib, a: (a > 0).sum(dim=1),
    lambda lib, a: a.long().sum(), lambda lib, a: a.int().cumsum(0), lambda lib, a: a.int().prod(),
])
def test_integer_results(fn):
    check_parity(fn, [sample((3, 4), "distinct")], grad=False)


def test_mean_of_integers_is_an_error_like_torch():
    with pytest.raises(RuntimeError, match="mean"):
        ember.tensor([1, 2, 3]).mean()


def test_max_of_empty_without_dim_is_an_error():
    with pytest.raises(RuntimeError, match="numel"):
        ember.zeros(0).max()


# Norms at zeros and ties: torch's norm_backward is written per range of p (p < 1, 1 < p < 2, p > 2, +-inf, 1,
# 0), so that an element equal to 0 (or a norm equal to 0) gives a gradient of 0, not 0 * inf = NaN.
NORM_PS = [0, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, math.inf, -math.inf, -0.5, -1, -2]
NORM_INPUTS = {
    "zeros_among": np.array([[0.0, 1.5, -2.0, 0.0], [0.7, -1.3, 2.9, 0.1]]),
    "all_zero_row": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, -1.0], [3.0, 0.0, -3.0]]),
    "ties": np.array([[2.0, -2.0, 1.0, 0.0], [-1.0, 1.0, 1.0, -1.0]]),
    "all_zero": np.zeros((2, 3)),
}


def _norm_and_grads(lib, data, dtype, p, dim, keepdim):
    """The norm, its gradient for a seed, and (float64) the gradient of that gradient, for one library."""
    x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
    out = lib.linalg.vector_norm(x, p, dim, keepdim) if lib is torch else lib.norm(x, p, dim, keepdim)
    seed = lib.tensor(np.arange(1.0, out.numel() + 1).reshape(tuple(out.shape)), dtype=out.dtype)
    grad, = lib.autograd.grad(out, x, seed, create_graph=True, allow_unused=True)
    if grad is None or not grad.requires_grad or dtype != "float64":
        return out, grad, None
    weights = lib.tensor(np.linspace(1.0, 2.0, data.size).reshape(data.shape))
    grad2, = lib.autograd.grad((grad * weights).sum(), x, allow_unused=True)
    return out, grad, None if grad2 is None else grad2 + 0  # (+ 0: torch's zero gradient is a ZeroTensor)


@pytest.mark.parametrize("dim, keepdim", [(None, False), (-1, False), (1, True), ((0, 1), False)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("inputs", NORM_INPUTS)
@pytest.mark.parametrize("p", NORM_PS, ids=str)
def test_norm_gradient_at_zeros_and_ties_is_torchs(p, inputs, dtype, dim, keepdim):
    data = NORM_INPUTS[inputs]
    tol = dict(atol=1e-6, rtol=1e-5) if dtype == "float32" else dict(atol=1e-12, rtol=1e-12)
    mine = _norm_and_grads(ember, data, dtype, p, dim, keepdim)
    theirs = _norm_and_grads(torch, data, dtype, p, dim, keepdim)
    for what, e, t in zip(["norm", "gradient", "second derivative"], mine, theirs):
        if t is None:
            assert e is None, f"{what}: torch has none, ember has one"
        else:  # NaN exactly where torch has NaN (second derivatives at zeros; p = 2 at a zero norm)
            assert_same(e, t, what=what, **tol)


@pytest.mark.parametrize("p", [0.3, 0.5, 1.5, 2.5, 3, -1])
def test_norm_gradcheck_away_from_its_kinks(p):
    check_gradcheck(lambda lib, a: lib.norm(a, p, 1), [sample((3, 4), "nonzero")])
    if 1 < p < 2:  # |x|^p is differentiable at 0 there, and the gradient is 0
        check_gradcheck(lambda lib, a: lib.norm(a, p), [np.array([0.0, 1.5, -2.0, 0.0])])


@pytest.mark.parametrize("dim", [(0, 0), (2, -1), (0, -3, 1), [2, 0, -1]], ids=str)
def test_a_dim_given_twice_is_named_as_torch_names_it(dim):
    messages = []
    for lib in (ember, torch):
        for reduce in (lambda x: x.sum(dim), lambda x: x.mean(dim), lambda x: lib.norm(x, 2, dim),
                       lambda x: x.amax(dim)):
            with pytest.raises(RuntimeError) as error:
                reduce(lib.ones(2, 3, 4))
            messages.append(str(error.value))
    assert messages[:4] == messages[4:]


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_dim_and_axis_together_are_a_type_error_like_torch(name):
    for lib in (ember, torch):
        x = lib.ones(2, 3)
        for call in (lambda: getattr(x, name)(1, axis=1), lambda: getattr(x, name)(dim=1, axis=0),
                     lambda: getattr(lib, name)(x, 0, axis=1)):
            with pytest.raises(TypeError):
                call()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape, dim, keepdim", [((7,), None, False), ((64, 10), 1, False), ((64, 10), 0, True),
                                                 ((3, 4, 5), (0, 2), False), ((3, 4, 5), (0, 1, 2), True),
                                                 ((), None, False), ((2, 0, 3), 1, False)])
def test_mean_is_numpys_mean_bit_for_bit(dtype, shape, dim, keepdim):
    """Mean's forward skips np.mean's Python wrapper (the sum, divided by an intp count): the same bits as NumPy's
    mean, whose float32 result torch's agrees with to rounding (its sum runs in another order)."""
    data = (np.random.default_rng(5).normal(size=shape) * 100).astype(dtype)
    x = ember.tensor(data)
    got = (x.mean() if dim is None else x.mean(dim, keepdim=keepdim)).numpy()
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy warns about the mean of nothing; ember does not)
        want = np.asarray(data.mean(axis=dim if dim is None or isinstance(dim, tuple) else (dim,), keepdims=keepdim))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
