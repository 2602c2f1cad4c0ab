"""lgamma, digamma, polygamma, mvlgamma, erfinv and the modified Bessel functions against torch 2.13: the bits (the
share of elements equal to torch's and the largest distance in units in the last place, per dtype), special values,
gradients (torch's and finite differences, twice), integer inputs, in-place forms, node names and errors."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(7)
N = 4000
WIDE = np.concatenate([RNG.uniform(-20, 20, N), RNG.uniform(0, 3, N), RNG.uniform(0.9, 1.1, N // 4),
                       RNG.uniform(1.9, 2.1, N // 4), np.exp(RNG.uniform(-30, 30, N)) * RNG.choice([-1, 1], N)])
POLY = np.concatenate([RNG.uniform(-50, 50, N), RNG.uniform(0, 3, N), np.exp(RNG.uniform(-30, 30, N))])
UNIT = np.concatenate([RNG.uniform(-1, 1, N), 1 - np.exp(RNG.uniform(-36, -1, N)), RNG.uniform(-1e-6, 1e-6, N // 4)])
BESSEL = np.concatenate([RNG.uniform(-10, 10, N), RNG.uniform(-100, 100, N), RNG.uniform(-700, 700, N)])
SPECIAL = np.array([0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, 0.5, 1e-300, -1e-300, 1e300, np.inf, -np.inf, np.nan])

# name, ember's and torch's function, inputs, and per dtype (least share of bit-equal elements, largest ulp distance)
# as measured on this machine (glibc 2.36, x86-64); see ember/ops/special_functions.py for why each differs
CASES = [
    ("digamma", lambda l, x: l.digamma(x), WIDE, {"float64": (1.0, 0), "float32": (0.999, 16)}),
    ("trigamma", lambda l, x: l.polygamma(1, x), WIDE, {"float64": (0.9997, 2), "float32": (0.99, 8)}),
    ("polygamma2", lambda l, x: l.polygamma(2, x), POLY, {"float64": (1.0, 0), "float32": (0.9, 32)}),
    ("polygamma5", lambda l, x: l.polygamma(5, x), POLY, {"float64": (1.0, 0), "float32": (0.89, 64)}),
    ("lgamma", lambda l, x: l.lgamma(x), WIDE, {"float64": (0.975, 8), "float32": (0.93, 16)}),
    ("erfinv", lambda l, x: l.erfinv(x), UNIT, {"float64": (0.85, 1), "float32": (0.999, 1)}),
    ("i0", lambda l, x: l.i0(x), BESSEL, {"float64": (1.0, 0), "float32": (0.999, 2)}),
    ("i0e", lambda l, x: l.special.i0e(x), BESSEL, {"float64": (1.0, 0), "float32": (0.9999, 1)}),
    ("i1", lambda l, x: l.special.i1(x), BESSEL, {"float64": (1.0, 0), "float32": (0.999, 2)}),
    ("i1e", lambda l, x: l.special.i1e(x), BESSEL, {"float64": (1.0, 0), "float32": (0.9999, 2)}),
]
IDS = [c[0] for c in CASES]


def agreement(e, t):
    """(share of elements with torch's bits, NaN for NaN; the largest ulp distance among finite pairs)."""
    same = ((e == t) & (np.signbit(e) == np.signbit(t))) | (np.isnan(e) & np.isnan(t))
    as_int = np.int64 if e.dtype == np.float64 else np.int32
    finite = np.isfinite(e) & np.isfinite(t)
    ulps = np.abs(e.view(as_int).astype(np.int64) - t.view(as_int).astype(np.int64))[finite]
    assert (np.isfinite(e) == np.isfinite(t)).all()
    return same.mean(), int(ulps.max(initial=0))


@pytest.mark.parametrize("name, fn, x, bounds", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bits_against_torch(name, fn, x, bounds, dtype):
    x = x.astype(dtype)
    e = fn(ember, ember.tensor(x)).numpy()
    t = fn(torch, torch.from_numpy(x)).numpy()
    assert e.dtype == t.dtype
    share, ulps = agreement(e, t)
    least, most = bounds[dtype]
    assert share >= least and ulps <= most, (share, ulps)


@pytest.mark.parametrize("name, fn, x, bounds", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_special_values_are_torchs(name, fn, x, bounds, dtype):
    x = (SPECIAL if name not in ("erfinv",) else np.array([0.0, -0.0, 1.0, -1.0, 1.5, -2, 0.5, np.inf, np.nan]))
    x = x.astype(dtype)
    with np.errstate(all="ignore"):
        e = fn(ember, ember.tensor(x)).numpy()
    t = fn(torch, torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
    np.testing.assert_array_equal(np.isinf(e), np.isinf(t))
    finite = np.isfinite(t)
    np.testing.assert_array_equal(np.signbit(e[~np.isnan(t)]), np.signbit(t[~np.isnan(t)]))
    np.testing.assert_allclose(e[finite], t[finite], rtol=1e-5 if dtype == "float32" else 1e-13)


def test_digamma_signs_at_zero_and_poles():
    x = ember.tensor([0.0, -0.0, -1.0, -np.inf, np.inf])
    assert ember.digamma(x).tolist()[:2] == [-np.inf, np.inf]
    assert np.isnan(ember.digamma(x).numpy()[2:4]).all() and ember.digamma(x)[4].item() == np.inf
    assert ember.lgamma(ember.tensor([0.0, -0.0, -3.0, np.inf, -np.inf])).tolist() == [np.inf] * 5


def test_lgamma_near_its_roots_is_exact_enough():
    # 1 and 2 are roots: relative accuracy there comes from the series about 1 (no cancellation)
    x = np.array([1 + 1e-10, 1 - 1e-12, 2 + 1e-9, 2 - 1e-15, 1.0, 2.0])
    e, t = ember.lgamma(ember.tensor(x)).numpy(), torch.lgamma(torch.tensor(x)).numpy()
    np.testing.assert_allclose(e, t, rtol=3e-16, atol=0)


MAKERS = {
    "lgamma": (lambda l, a: l.lgamma(a), "any"),
    "digamma": (lambda l, a: a.digamma(), "any"),
    "polygamma3": (lambda l, a: l.polygamma(3, a), "any"),
    "mvlgamma": (lambda l, a: l.mvlgamma(a + 3, 3), "any"),
    "gammaln": (lambda l, a: l.special.gammaln(a), "positive"),
    "multigammaln": (lambda l, a: l.special.multigammaln(a + 2, 2), "positive"),
    "psi": (lambda l, a: l.special.psi(a), "positive"),
    "erfinv": (lambda l, a: a.erfinv(), "unit"),
    "i0": (lambda l, a: a.i0(), "any"),
    "i0e": (lambda l, a: l.special.i0e(a), "any"),
    "i1": (lambda l, a: l.special.i1(a), "any"),
    "i1e": (lambda l, a: l.special.i1e(a), "any"),
}


def _data(domain, shape=(3, 4)):
    if domain == "unit":
        return RNG.uniform(-0.95, 0.95, shape)
    if domain == "positive":
        return RNG.uniform(0.3, 4, shape)
    return RNG.uniform(-3.7, 3.7, shape) + 0.05  # (away from the poles of the gamma family)


@pytest.mark.parametrize("name", list(MAKERS))
def test_gradients_match_torch_twice(name):
    fn, domain = MAKERS[name]
    x = _data(domain)
    results = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True)
        y = fn(lib, a)
        (g,) = lib.autograd.grad(y.sum(), a, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), a)
        results.append((y.detach().numpy(), g.detach().numpy(), gg.numpy(), y.grad_fn.name()))
    (ey, eg, egg, en), (ty, tg, tgg, tn) = results
    assert en == tn
    np.testing.assert_allclose(ey, ty, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(eg, tg, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(egg, tgg, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("name", list(MAKERS))
def test_gradients_against_finite_differences(name):
    fn, domain = MAKERS[name]
    a = ember.tensor(_data(domain, (2, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: fn(ember, x), (a,))
    assert ember.autograd.gradgradcheck(lambda x: fn(ember, x), (a,))


def test_i1_gradient_at_zero_is_a_half():
    for name in ("i1", "i1e"):
        grads = []
        for lib in (ember, torch):
            a = lib.tensor([0.0, -0.0, 1e-20, 1.0], requires_grad=True)
            getattr(lib.special, name)(a).sum().backward()
            grads.append(a.grad.numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-14)
        assert grads[0][0] == 0.5


@pytest.mark.parametrize("call", ["lgamma", "digamma", "erfinv", "i0", "polygamma", "mvlgamma", "i0e", "i1", "i1e"])
def test_integer_and_bool_inputs_give_the_default_float(call):
    def run(lib, x):
        if call == "polygamma":
            return lib.polygamma(2, x)
        if call == "mvlgamma":
            return lib.mvlgamma(x + 2, 2)
        return getattr(lib.special if call.startswith("i1") or call == "i0e" else lib, call)(x)
    for data in ([0, 1, 2, 3], [True, False]):
        e, t = run(ember, ember.tensor(data)), run(torch, torch.tensor(data))
        assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("method, args", [("lgamma_", ()), ("digamma_", ()), ("polygamma_", (2,)),
                                          ("mvlgamma_", (2,)), ("erfinv_", ()), ("i0_", ())])
def test_in_place_forms_on_views_with_torchs_nodes(method, args):
    x = RNG.uniform(0.6, 0.9, (3, 4))
    out = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True)
        b = a * 1.5
        getattr(b[1], method)(*args)
        b.sum().backward()
        out.append((b.detach().numpy(), a.grad.numpy(), b.grad_fn.name(), getattr(b[1], "grad_fn").name()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-13)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12)
    node = getattr(lib.tensor(x, requires_grad=True).clone(), method)(*args).grad_fn.name()
    assert getattr(ember.tensor(x, requires_grad=True).clone(), method)(*args).grad_fn.name() == node


def test_in_place_on_an_integer_tensor_is_refused_as_in_torch():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.tensor([1, 2]).lgamma_()


def test_errors_are_torchs():
    x = ember.tensor([1.5])
    with pytest.raises(RuntimeError, match=r"polygamma\(n, x\) does not support negative n."):
        ember.polygamma(-1, x)
    with pytest.raises(RuntimeError, match="does not support negative n"):
        x.polygamma(-2)
    with pytest.raises(TypeError, match="must be int, not float"):
        ember.polygamma(2.0, x)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        ember.mvlgamma(x, 0)
    with pytest.raises(TypeError):
        ember.lgamma([1.0])
    assert ember.polygamma(ember.tensor(2), x).item() == torch.polygamma(2, torch.tensor([1.5])).item()


def test_mvlgamma_takes_any_x_as_torch_now_does():
    x = np.array([0.4, 0.9, 3.0])
    np.testing.assert_allclose(ember.mvlgamma(ember.tensor(x), 3).numpy(), torch.mvlgamma(torch.tensor(x), 3).numpy(),
                               rtol=1e-14)


@pytest.mark.parametrize("name", ["gammaln", "digamma", "psi", "erfinv", "i0", "i0e", "i1", "i1e"])
def test_special_out(name):
    x = RNG.uniform(0.1, 0.9, 5)
    for lib in (ember, torch):
        out = lib.empty(0, dtype=lib.float64)
        assert getattr(lib.special, name)(lib.tensor(x), out=out) is out
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            getattr(lib.special, name)(lib.tensor(x), out=lib.empty(0, dtype=lib.long))
        if lib is ember:
            e = out.numpy()
    np.testing.assert_allclose(e, out.numpy(), rtol=1e-14)
    for lib in (ember, torch):
        out = lib.empty(3)
        lib.special.polygamma(2, lib.tensor([1.0, 2.0, 3.0]), out=out)
        lib.special.multigammaln(lib.tensor([1.0, 2.0, 3.0]), 2, out=out)


def test_special_out_refuses_autograd():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="special_i0e\\(\\): functions with out=... arguments don't support"):
            lib.special.i0e(lib.tensor([1.0], requires_grad=True), out=lib.empty(1))


def test_broadcast_and_noncontiguous_inputs():
    x = RNG.uniform(0.2, 3, (4, 5))
    for f in (lambda l, a: l.lgamma(a.t()), lambda l, a: l.polygamma(2, a[:, ::2]), lambda l, a: l.i0(a.t()[1:])):
        np.testing.assert_allclose(f(ember, ember.tensor(x)).numpy(), f(torch, torch.tensor(x)).numpy(), rtol=1e-15)
