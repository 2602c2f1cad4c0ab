"""Reductions against torch: every dim form (None, int, negative, tuple), keepdim, ties, gradcheck."""
import numpy as np
import pytest

import ember
from helpers import check_gradcheck, check_parity, sample

REDUCTIONS = {
    "sum": (lambda lib, a: a.sum(), "any"),
    "sum_dim": (lambda lib, a: a.sum(dim=1), "any"),
    "sum_neg_keepdim": (lambda lib, a: a.sum(-1, keepdim=True), "any"),
    "sum_tuple": (lambda lib, a: a.sum(dim=(0, 2)), "any"),
    "mean": (lambda lib, a: a.mean(), "any"),
    "mean_dim": (lambda lib, a: a.mean(0, keepdim=True), "any"),
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
