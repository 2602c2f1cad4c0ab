"""Rounding as torch rounds: ops that scale one operand by a constant and add (add/sub with alpha, lerp) round
once, as torch's fused multiply-add kernels do, so they equal torch bit for bit; activation backwards use
torch's constants (hardsigmoid's float32 1/6, celu's 1 / float32(alpha)) in every dtype."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(24)
# same shapes (an optimizer's grad.add(param, alpha=decay)) and a broadcast row; where the broadcast operand
# repeats along the innermost dim, torch's kernel mixes fused and unfused steps by loop position (not modelled)
SHAPES = [((7, 33), (33,)), ((4, 5, 6), (4, 5, 6)), ((1000,), (1000,)), ((3,), (3,))]


def _both(fn, *arrays, grad=False):
    out = []
    for lib in (ember, torch):
        tensors = [lib.tensor(a, requires_grad=grad) for a in arrays]
        y = fn(lib, *tensors)
        if grad:
            y.backward(lib.tensor(np.linspace(-2, 2, y.numel()).reshape(tuple(y.shape)).astype(arrays[0].dtype)))
            out.append([y.detach().numpy()] + [t.grad.numpy() for t in tensors])
        else:
            out.append([y.numpy()])
    return out


def _assert_bits(e_list, t_list):
    for e, t in zip(e_list, t_list):
        assert e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("alpha", [0.1, -2.7, 1e-4, 3])
def test_add_sub_with_alpha_round_once(dtype, shapes, alpha):
    a, b = (RNG.normal(size=s).astype(dtype) for s in shapes)
    for fn in (lambda lib, x, y: lib.add(x, y, alpha=alpha), lambda lib, x, y: lib.sub(x, y, alpha=alpha),
               lambda lib, x, y: x.add(y, alpha=alpha), lambda lib, x, y: x.sub(y, alpha=alpha)):
        _assert_bits(*_both(fn, a, b))
    e, t = _both(lambda lib, x, y: lib.add(x, y, alpha=alpha) * lib.sub(x, y, alpha=alpha), a, b, grad=True)
    for eg, tg in zip(e[1:], t[1:]):  # (float32 cancels here: alpha x - alpha x; the bound is alpha |x| eps-sized)
        np.testing.assert_allclose(eg, tg, rtol=1e-5, atol=1e-5 * max(abs(alpha), 1) * np.abs(a).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [0.01, -0.3])
def test_in_place_add_sub_with_alpha_round_once(dtype, alpha):
    a, b = RNG.normal(size=(9, 40)).astype(dtype), RNG.normal(size=(40,)).astype(dtype)
    for name in ("add_", "sub_"):
        outs = []
        for lib in (ember, torch):
            x = lib.tensor(a)
            getattr(x, name)(lib.tensor(b), alpha=alpha)
            leaf = lib.tensor(a, requires_grad=True)
            y = getattr(leaf * 1, name)(lib.tensor(b), alpha=alpha)  # recorded by autograd
            outs.append([x.numpy(), y.detach().numpy()])
        _assert_bits(*outs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight", [0.0, 0.1, 0.3, 0.49, 0.5, 0.7, 0.999, 1.0, -0.4, 1.6, "tensor"])
def test_lerp_rounds_as_torch(dtype, weight):
    a, b = RNG.normal(size=(6, 50)).astype(dtype), RNG.normal(size=(50,)).astype(dtype)
    if weight == "tensor":
        w = RNG.uniform(-0.5, 1.5, size=(6, 1)).astype(dtype)
        e, t = _both(lambda lib, x, y, z: lib.lerp(x, y, z), a, b, w, grad=True)
    else:
        e, t = _both(lambda lib, x, y: lib.lerp(x, y, weight), a, b, grad=True)
    _assert_bits(e[:2], t[:2])  # the value, and start's gradient (same shape: no sum)
    for eg, tg in zip(e[2:], t[2:]):
        np.testing.assert_allclose(eg, tg, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_lerp_node_names_and_gradcheck():
    x, y, w = (ember.tensor(RNG.uniform(-1, 1, size=(3, 4)), requires_grad=True) for _ in range(3))
    assert ember.lerp(x, y, 0.3).grad_fn.name() == "LerpBackward0"
    assert ember.lerp(x, y, w).grad_fn.name() == "LerpBackward1"
    assert ember.add(x, y, alpha=2).grad_fn.name() == "AddBackward0"
    assert ember.sub(x, y, alpha=2).grad_fn.name() == "SubBackward0"
    assert ember.autograd.gradcheck(lambda a, b, c: ember.lerp(a, b, c), (x, y, w))
    assert ember.autograd.gradgradcheck(lambda a, b, c: ember.lerp(a, b, c) * ember.lerp(a, b, 0.8), (x, y, w))
    assert ember.autograd.gradgradcheck(lambda a, b: ember.add(a, b, alpha=0.3) * ember.sub(a, b, alpha=1.7), (x, y))


def test_fma_float64_is_one_rounding():
    """The float64 path against exact rational arithmetic on a sample."""
    from fractions import Fraction
    from ember.ops.elementwise import fma
    x, y, z = (RNG.normal(size=300) * 10.0 ** RNG.integers(-5, 5, 300) for _ in range(3))
    got = fma(x, y, z)
    for xi, yi, zi, gi in zip(x, y, z, got):
        assert gi == float(Fraction(xi) * Fraction(yi) + Fraction(zi))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fused_ops_keep_the_sign_of_zero(dtype):
    """A fused multiply-add whose product is a zero: -0 + alpha * -0 is -0, as the fused kernel gives, in every
    dtype (float64's exact-product route once returned +0 there). Every pair of signed zeros and small numbers."""
    values = np.array([-0.0, 0.0, 1.0, -3.0], dtype)
    a, b = np.repeat(values, 4), np.tile(values, 4)
    for alpha in (0.5, -0.25, 0.0, 1, -1, 3):
        fns = [lambda lib, x, y: lib.add(x, y, alpha=alpha), lambda lib, x, y: lib.sub(x, y, alpha=alpha),
               lambda lib, x, y: lib.addcmul(x, y, y, value=alpha)]
        if alpha != 1:  # (at weight 1 torch's lerp gives a zero's sign by loop position: its vector and scalar forms)
            fns.append(lambda lib, x, y: lib.lerp(x, y, alpha))
        for fn in fns:
            e, t = _both(fn, a, b)
            _assert_bits(e, t)
            np.testing.assert_array_equal(np.signbit(e[0]), np.signbit(t[0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hardsigmoid_backward_uses_float32_sixth(dtype):
    x = RNG.uniform(-4, 4, size=(20, 30)).astype(dtype)
    e, t = _both(lambda lib, a: lib.nn.functional.hardsigmoid(a), x, grad=True)
    _assert_bits(e, t)


@pytest.mark.parametrize("alpha", [0.7, 1.0, 2.3])
def test_celu_backward_constant_as_torch(alpha):
    x = RNG.normal(size=(40, 25)) * 3
    e, t = _both(lambda lib, a: lib.nn.functional.celu(a, alpha), x, grad=True)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(e[1], t[1], rtol=1e-15, atol=0)  # exp may differ by an ulp; the constant (4e-8 off) may not


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.3, -2.5])
def test_addcmul_addcdiv_round_as_torch(dtype, name, value):
    """addcmul: (value t1) t2 + input as one fma; addcdiv: input + (value t1) / t2 (two roundings), as torch."""
    a, b = RNG.normal(size=(5, 64)).astype(dtype), RNG.normal(size=(5, 64)).astype(dtype)
    c = (np.abs(RNG.normal(size=(64,))) + 0.5).astype(dtype)
    e, t = _both(lambda lib, x, y, z: getattr(lib, name)(x, y, z, value=value), a, b, c, grad=True)
    _assert_bits(e[:3], t[:3])  # the value and the gradients of input and tensor1 (no sums)
    np.testing.assert_allclose(e[3], t[3], rtol=1e-5 if dtype == np.float32 else 1e-12)
    outs = []
    for lib in (ember, torch):
        x = lib.tensor(a)
        getattr(x, name + "_")(lib.tensor(b), lib.tensor(c), value=value)
        leaf = lib.tensor(a, requires_grad=True)
        y = getattr(leaf * 1, name + "_")(lib.tensor(b), lib.tensor(c), value=value)
        outs.append([x.numpy(), y.detach().numpy(), getattr(y, name)(y, lib.tensor(c)).detach().numpy()])
    _assert_bits(*outs)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv_gradcheck_and_names(name):
    x, y = (ember.tensor(RNG.normal(size=(3, 4)), requires_grad=True) for _ in range(2))
    z = ember.tensor(RNG.uniform(0.5, 2, size=(4,)), requires_grad=True)
    fn = lambda a, b, c: getattr(ember, name)(a, b, c, value=0.7)  # noqa: E731
    assert fn(x, y, z).grad_fn.name() == name.capitalize() + "Backward0"
    assert ember.autograd.gradcheck(fn, (x, y, z))
    assert ember.autograd.gradgradcheck(fn, (x, y, z))


def test_addcdiv_of_integers_is_refused_as_torch():
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        torch.addcdiv(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        ember.addcdiv(ember.ones(2, dtype=ember.int64), ember.ones(2, dtype=ember.int64), ember.ones(2, dtype=ember.int64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("number", [1, 2.0, 0.3, -7, True])
def test_a_number_divided_by_a_tensor_is_its_reciprocal_times_the_number(dtype, number):
    # torch's Tensor.__rtruediv__ is reciprocal(x) * number: two roundings, and the graph MulBackward0 over
    # ReciprocalBackward0; one division (ember's DivBackward0 before) differs in the last bit
    x = RNG.uniform(0.5, 3.0, 2000).astype(dtype) * RNG.choice([-1, 1], 2000).astype(dtype)
    e_out, t_out = _both(lambda lib, t: number / t, x, grad=True)
    _assert_bits(e_out, t_out)
    names = []
    for lib in (ember, torch):
        y = number / lib.tensor(x, requires_grad=True)
        names.append([y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()])
    assert names[0] == names[1] == ["MulBackward0", "ReciprocalBackward0"]


def test_a_number_divided_by_an_integer_tensor_as_torch():
    for lib in (ember, torch):
        y = 3 / lib.tensor([1, 2, 4])
        assert str(y.dtype).endswith("float32") and y.tolist() == [3.0, 1.5, 0.75]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((1000,), (1000,)), ((40, 25), (40, 25)), ((1, 25), (25,))])
def test_division_gradients_round_as_torchs(dtype, shapes):
    """d(a/b)/db is -grad * ((a / b) / b) in torch (derivatives.yaml's div_tensor_other_backward): three roundings in
    that order, not -grad * a / (b * b), which differed from it at almost half the values. (Where b was broadcast,
    the sum back to its shape runs in another order than torch's: shapes here that sum nothing.)"""
    a, b = ((RNG.normal(size=s) * 10.0 ** RNG.integers(-2, 3, size=s)).astype(dtype) for s in shapes)
    for e, t in zip(*_both(lambda lib, x, y: x / y, a, b, grad=True)):
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [3, 3.0, -2, -0.5, -1, 2, 0.5])
def test_powers_torch_computes_by_hand_round_as_torchs(dtype, exponent):
    """torch's pow kernel computes x ** 3 as x * x * x, x ** -2 as 1 / (x * x) and x ** -0.5 as 1 / sqrt(x) (NumPy's
    power differed at a quarter of the values). The gradient, grad * (b x^(b-1)), agrees where x^(b-1) is such a
    power too (b = 3, -1, 2, 0.5); x ** 0.5 itself is torch's general pow, as are x^-3 and x^-1.5 (not compared)."""
    x = np.abs(RNG.normal(size=4000)).astype(dtype) + dtype(0.05)
    (e_out, *e_grad), (t_out, *t_grad) = _both(lambda lib, a: a ** exponent, x, grad=True)
    if exponent != 0.5:
        np.testing.assert_array_equal(e_out, t_out)
    if exponent in (3, -1, 2, 0.5):
        np.testing.assert_array_equal(e_grad[0], t_grad[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rsqrt_gradient_rounds_as_torchs(dtype):
    """rsqrt's gradient is -0.5 grad (r r r) in torch: the cube as two products, not NumPy's power."""
    x = np.abs(RNG.normal(size=4000)).astype(dtype) + dtype(0.05)
    for got, want in zip(*_both(lambda lib, a: a.rsqrt(), x, grad=True)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_atan2_and_hypot_gradients_round_as_torchs(dtype):
    """torch's formulas (derivatives.yaml): atan2's gradients are grad * x * recip and grad * -y * recip with
    recip = 1 / (y y + x x); hypot's are grad * a / out and grad * b / out. hypot's use its output, so they are compared
    where the two libraries' hypot agree (NumPy's and torch's differ in the last place now and then)."""
    y, x = RNG.normal(size=3000).astype(dtype), np.exp(RNG.normal(size=3000)).astype(dtype)
    (e_out, *e_grads), (t_out, *t_grads) = _both(lambda lib, a, b: lib.atan2(a, b), y, x, grad=True)
    for got, want in zip(e_grads, t_grads):
        np.testing.assert_array_equal(got, want)
    (e_out, *e_grads), (t_out, *t_grads) = _both(lambda lib, a, b: lib.hypot(a, b), y, x, grad=True)
    agree = e_out == t_out
    assert agree.mean() > 0.5
    for got, want in zip(e_grads, t_grads):
        np.testing.assert_array_equal(got[agree], want[agree])
