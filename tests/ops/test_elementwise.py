"""Every elementwise op against torch (values, gradients, broadcasting, odd shapes) and gradcheck."""
import numpy as np
import pytest

import ember
from helpers import check_gradcheck, check_parity, sample

BROADCAST = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ()), ((2, 1), (1, 3)), ((), ()), ((4, 1, 3), (2, 1)),
             ((1,), (5,)), ((3, 0), (3, 1))]

BINARY = {
    "add": (lambda lib, a, b: a + b, "any"),
    "sub": (lambda lib, a, b: a - b, "any"),
    "mul": (lambda lib, a, b: a * b, "any"),
    "div": (lambda lib, a, b: a / b, "nonzero"),
    "pow": (lambda lib, a, b: a ** b, "positive"),
    "maximum": (lambda lib, a, b: lib.maximum(a, b), "distinct"),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), "distinct"),
    "add_alpha": (lambda lib, a, b: lib.add(a, b, alpha=2.5), "any"),
    "sub_alpha": (lambda lib, a, b: lib.sub(a, b, alpha=-0.5), "any"),
    "remainder": (lambda lib, a, b: lib.remainder(a, b), "positive"),
}


@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_parity(name, shapes):
    fn, domain = BINARY[name]
    arrays = [sample(s, domain) for s in shapes]
    if name in ("maximum", "minimum"):
        arrays[1] = arrays[1] + 0.11  # no ties between the operands
    check_parity(fn, arrays)


@pytest.mark.parametrize("name", BINARY)
def test_binary_noncontiguous_and_gradcheck(name):
    fn, domain = BINARY[name]
    arrays = [sample((3, 4), domain), sample((3, 4), domain) + 0.11]
    check_parity(fn, arrays, noncontiguous=True)
    check_gradcheck(fn, [sample((2, 3), domain), sample((3,), domain) + 0.11])


SCALAR_FORMS = {
    "radd": lambda lib, a: 2.5 + a, "rsub": lambda lib, a: 2.5 - a, "rmul": lambda lib, a: 3 * a,
    "rdiv": lambda lib, a: 2.0 / a, "rpow": lambda lib, a: 2.0 ** a, "pow_int": lambda lib, a: a ** 3,
    "pow_half": lambda lib, a: a ** 0.5, "pow_neg": lambda lib, a: a ** -2, "pow_zero": lambda lib, a: a ** 0,
    "sub_scalar": lambda lib, a: a - 1, "div_scalar": lambda lib, a: a / 4, "neg": lambda lib, a: -a,
    "numpy_scalar": lambda lib, a: a * np.float64(1.5) + np.int64(2),
}


@pytest.mark.parametrize("name", SCALAR_FORMS)
@pytest.mark.parametrize("shape", [(), (1,), (2, 3)], ids=str)
def test_scalar_operands(name, shape):
    check_parity(SCALAR_FORMS[name], [sample(shape, "positive")])
    check_gradcheck(SCALAR_FORMS[name], [sample(shape, "positive")])


UNARY = {
    "exp": (lambda lib, a: a.exp(), "any"),
    "expm1": (lambda lib, a: lib.expm1(a), "any"),
    "log": (lambda lib, a: a.log(), "positive"),
    "log1p": (lambda lib, a: lib.log1p(a), "positive"),
    "sqrt": (lambda lib, a: a.sqrt(), "positive"),
    "rsqrt": (lambda lib, a: a.rsqrt(), "positive"),
    "abs": (lambda lib, a: a.abs(), "nonzero"),
    "sign": (lambda lib, a: a.sign() * a, "nonzero"),
    "neg": (lambda lib, a: a.neg(), "any"),
    "reciprocal": (lambda lib, a: a.reciprocal(), "nonzero"),
    "sin": (lambda lib, a: a.sin(), "any"),
    "cos": (lambda lib, a: a.cos(), "any"),
    "tanh": (lambda lib, a: a.tanh(), "any"),
    "sigmoid": (lambda lib, a: a.sigmoid(), "any"),
    "relu": (lambda lib, a: a.relu(), "nonzero"),
    "clamp": (lambda lib, a: a.clamp(-0.5, 0.7), "any"),
    "clamp_min": (lambda lib, a: a.clamp(min=0.1), "any"),
    "clamp_max": (lambda lib, a: lib.clamp(a, max=0.1), "any"),
    "clip": (lambda lib, a: a.clip(-1, 1), "any"),
    "floor": (lambda lib, a: a.floor() + a, "any"),
    "ceil": (lambda lib, a: a.ceil() * a, "any"),
    "round": (lambda lib, a: a.round() - a, "any"),
    "trunc": (lambda lib, a: lib.trunc(a) + a, "any"),
    "where": (lambda lib, a: lib.where(a > 0, a, a * a), "nonzero"),
    "where_scalar": (lambda lib, a: lib.where(a > 0, a, 0.0), "nonzero"),
    "masked_fill": (lambda lib, a: a.masked_fill(a < 0, 2.0), "nonzero"),
    "div_floor": (lambda lib, a: lib.div(a, 0.3, rounding_mode="floor") * a, "positive"),
    "div_trunc": (lambda lib, a: lib.div(a, -0.3, rounding_mode="trunc") * a, "positive"),
}


def test_floor_divide_values_and_refused_gradient():
    check_parity(lambda lib, a: a // 0.3, [sample((2, 3), "positive")], grad=False)
    check_parity(lambda lib, a, b: lib.floor_divide(a, b), [np.arange(-4, 5).reshape(3, 3), np.array([2, 3, -2])],
                 grad=False)
    x = ember.tensor([1.5, 2.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="floor_divide"):
        (x // 0.5).sum().backward()


@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (2, 1, 4), (0, 3)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_parity(name, shape):
    fn, domain = UNARY[name]
    check_parity(fn, [sample(shape, domain)])


@pytest.mark.parametrize("name", UNARY)
def test_unary_noncontiguous_and_gradcheck(name):
    fn, domain = UNARY[name]
    check_parity(fn, [sample((3, 4), domain)], noncontiguous=True)
    check_gradcheck(fn, [sample((2, 3), domain)])


def test_where_with_two_tensor_branches_broadcasts():
    cond = sample((2, 3)) > 0
    check_parity(lambda lib, a, b: lib.where(lib.tensor(cond), a, b), [sample((2, 1)), sample((3,))])


def test_stable_sigmoid_at_extremes_has_no_warnings_or_nan():
    x = ember.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.sum().backward()
    import torch
    t = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    t.sigmoid().sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), t.sigmoid().detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


COMPARISONS = {
    "eq": lambda lib, a, b: a == b, "ne": lambda lib, a, b: a != b, "lt": lambda lib, a, b: a < b,
    "le": lambda lib, a, b: a <= b, "gt": lambda lib, a, b: a > b, "ge": lambda lib, a, b: a >= b,
    "isclose": lambda lib, a, b: lib.isclose(a, b),
}


@pytest.mark.parametrize("name", COMPARISONS)
@pytest.mark.parametrize("shapes", BROADCAST[:5], ids=str)
def test_comparisons_give_bool_without_grad(name, shapes):
    arrays = [np.round(sample(s), 0) for s in shapes]
    check_parity(COMPARISONS[name], arrays)


@pytest.mark.parametrize("fn", [
    lambda lib, a: a.isnan(), lambda lib, a: a.isinf(), lambda lib, a: lib.isfinite(a),
    lambda lib, a: (a > 0) & (a < 1), lambda lib, a: (a > 0) | (a < -1), lambda lib, a: (a > 0) ^ (a < 1),
    lambda lib, a: ~(a > 0), lambda lib, a: a.any(), lambda lib, a: (a > 0).all(dim=0), lambda lib, a: (a > 0).any(1),
])
def test_tests_and_logic(fn):
    data = np.array([[0.5, np.nan, -np.inf, 2.0], [np.inf, -0.5, 0.0, 1.5]])
    check_parity(fn, [data], grad=False)


def test_equal_and_allclose():
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-6])
    assert ember.equal(a, a.clone()) and not ember.equal(a, b) and not ember.equal(a, a[:1])
    assert ember.allclose(a, b) and not ember.allclose(a, b + 1)


def test_sigmoid_rounds_as_torch_does():
    """torch computes 1 / (1 + e^-x), gradient grad * (1 - s) * s: the same bits on nearly every input (torch's exp
    is not NumPy's, so not all), where e^-|x| / (1 + e^-|x|) for negative x rounded differently on a quarter."""
    import torch
    x = np.random.default_rng(0).normal(size=20000) * 6
    t = torch.tensor(x, requires_grad=True)
    e = ember.tensor(x, requires_grad=True)
    torch.sigmoid(t).backward(torch.full_like(t, 0.3))
    ember.sigmoid(e).backward(ember.full_like(e, 0.3))
    got, want = ember.sigmoid(e).detach().numpy(), torch.sigmoid(t).detach().numpy()
    np.testing.assert_array_max_ulp(got, want, maxulp=2)
    assert np.mean(got == want) > 0.95
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-13, atol=1e-300)  # (1 - s) cancels near 1
    assert np.mean(e.grad.numpy() == t.grad.numpy()) > 0.95


@pytest.mark.parametrize("n", [3, 64])
def test_relu_passes_a_nans_gradient_as_torch(n):
    """torch's threshold_backward zeroes where the input is <= 0; NaN is not, so its gradient passes."""
    import torch
    x = np.full(n, np.nan)
    x[0] = -1.0
    t, e = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    torch.relu(t).backward(torch.ones(n, dtype=torch.float64))
    ember.relu(e).backward(ember.ones(n, dtype=ember.float64))
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_softplus_second_derivative_at_nan_and_at_the_threshold_as_torch():
    """A NaN is not above the threshold: its derivatives stay NaN; at and above the threshold the second is 0."""
    import torch
    results = []
    for lib in (torch, ember):
        x = lib.tensor([float("nan"), 20.0, 19.0, 25.0, 0.5], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(lib.nn.functional.softplus(x * 1.0, beta=1, threshold=20).sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        results.append((g.detach().numpy(), gg.numpy()))
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_sign_of_nan_is_zero_as_torch_and_so_are_the_gradients_it_makes():
    """torch's sign (and sgn) of NaN is 0, NumPy's is NaN: abs, l1_loss and the 1-norm use it in their backward."""
    data = np.array([np.nan, -0.0, 0.0, -2.0, 3.0, np.inf, -np.inf])
    for dtype in (np.float32, np.float64):
        check_parity(lambda lib, a: a.sign(), [data.astype(dtype)], grad=False)
    check_parity(lambda lib, a: lib.sign(a) + a.abs(), [data[:5]])
    check_parity(lambda lib, a: lib.nn.functional.l1_loss(a, lib.zeros(5, dtype=a.dtype)), [data[:5]])
    check_parity(lambda lib, a: lib.norm(a, 1) + lib.norm(a, float("inf")), [np.array([1.0, np.nan, -3.0])])
    check_parity(lambda lib, a: a.sign(), [np.array([3, -1, 0])], grad=False)
