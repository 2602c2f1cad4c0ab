"""Trigonometric, hyperbolic and other elementwise maths against torch 2.13: values (float64 and float32), gradients,
finite differences, double backward, integer inputs, special values, in-place forms, node names and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity, sample

NAMES = ("tan atan asin acos sinh cosh asinh acosh atanh arctan arcsin arccos arcsinh arccosh arctanh exp2 sinc logit "
         "deg2rad rad2deg frac fix copysign nextafter logaddexp2 float_power fmod heaviside sgn signbit positive conj "
         "real imag angle").split()
INPLACE = [n + "_" for n in NAMES if hasattr(torch.Tensor, n + "_")]


@pytest.mark.parametrize("name", NAMES)
def test_exists_on_module_and_tensor(name):
    assert hasattr(ember, name) and hasattr(ember.Tensor, name)


def test_inplace_forms_are_those_torch_has():
    assert len(INPLACE) == 28  # (torch has none for logaddexp2, signbit, positive, conj, real, imag, angle)
    assert [n for n in INPLACE if not hasattr(ember.Tensor, n)] == []


UNARY = {
    "tan": (lambda lib, a: a.tan(), "unit"),
    "atan": (lambda lib, a: lib.atan(a), "any"),
    "asin": (lambda lib, a: a.asin(), "unit"),
    "acos": (lambda lib, a: lib.acos(a), "unit"),
    "sinh": (lambda lib, a: a.sinh(), "any"),
    "cosh": (lambda lib, a: lib.cosh(a), "any"),
    "asinh": (lambda lib, a: a.asinh(), "any"),
    "acosh": (lambda lib, a: lib.acosh(a + 1), "positive"),
    "atanh": (lambda lib, a: a.atanh(), "unit"),
    "arctan": (lambda lib, a: lib.arctan(a) + a.arcsinh(), "any"),
    "arcsin": (lambda lib, a: lib.arcsin(a) * a.arccos() + lib.arctanh(a), "unit"),
    "arccosh": (lambda lib, a: (a + 1).arccosh(), "positive"),
    "exp2": (lambda lib, a: lib.exp2(a), "any"),
    "sinc": (lambda lib, a: a.sinc(), "any"),
    "logit": (lambda lib, a: lib.logit(a * 0.5 + 0.5), "unit"),
    "logit_eps": (lambda lib, a: (a * 0.6 + 0.5).logit(eps=0.1), "unit"),
    "deg2rad": (lambda lib, a: a.deg2rad(), "any"),
    "rad2deg": (lambda lib, a: lib.rad2deg(a), "any"),
    "frac": (lambda lib, a: (a * 3).frac(), "any"),
    "fix": (lambda lib, a: lib.fix(a * 3) + a.fix() * a, "any"),
    "sgn": (lambda lib, a: a.sgn() * a + lib.sgn(a), "nonzero"),
    "angle": (lambda lib, a: lib.angle(a) + a.angle() * a, "nonzero"),
    "positive": (lambda lib, a: lib.positive(a) * a.positive(), "any"),
    "conj": (lambda lib, a: lib.conj(a) * a.conj(), "any"),
    "real": (lambda lib, a: lib.real(a) * a.real, "any"),
}


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (0, 3)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_parity(name, shape):
    fn, domain = UNARY[name]
    check_parity(fn, [sample(shape, domain)])


@pytest.mark.parametrize("name", UNARY)
def test_unary_noncontiguous_float32_and_gradcheck(name):
    fn, domain = UNARY[name]
    check_parity(fn, [sample((3, 4), domain)], noncontiguous=True)
    check_parity(fn, [sample((3, 4), domain).astype(np.float32)], atol=1e-5, rtol=1e-5)
    check_gradcheck(fn, [sample((2, 3), domain)])


BINARY = {
    "copysign": (lambda lib, a, b: lib.copysign(a, b), "any", "any"),
    "nextafter": (lambda lib, a, b: lib.nextafter(a, b) * a, "any", "any"),
    "logaddexp2": (lambda lib, a, b: a.logaddexp2(b), "any", "any"),
    "float_power": (lambda lib, a, b: lib.float_power(a, b), "positive", "any"),
    "fmod": (lambda lib, a, b: a.fmod(b), "any", "nonzero"),
}
SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), ()), ((2, 1), (1, 3)), ((), ()), ((4, 1, 3), (2, 1)),
          ((3, 0), (3, 1))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_parity_and_broadcasting(name, shapes):
    fn, da, db = BINARY[name]
    check_parity(fn, [sample(shapes[0], da), sample(shapes[1], db) * 0.7])


@pytest.mark.parametrize("name", BINARY)
def test_binary_noncontiguous_float32_and_gradcheck(name):
    fn, da, db = BINARY[name]
    check_parity(fn, [sample((3, 4), da), sample((3, 4), db) * 0.7], noncontiguous=True)
    check_parity(fn, [sample((3, 4), da).astype(np.float32), (sample((4,), db) * 0.7).astype(np.float32)],
                 atol=1e-5, rtol=1e-5)
    if name != "nextafter":  # (one ulp away: finite differences see the identity's slope, not torch's 0 for other)
        check_gradcheck(fn, [sample((2, 3), da), sample((3,), db) * 0.7])


SCALAR_FORMS = {
    "copysign_neg": lambda lib, a: lib.copysign(a, -1.5),
    "copysign_pos": lambda lib, a: a.copysign(2),
    "fmod_float": lambda lib, a: lib.fmod(a, 0.7),
    "fmod_neg": lambda lib, a: a.fmod(-0.3),
    "float_power_int": lambda lib, a: lib.float_power(a, 2),
    "float_power_half": lambda lib, a: a.float_power(0.5),
    "float_power_base": lambda lib, a: lib.float_power(2, a),
}


@pytest.mark.parametrize("name", SCALAR_FORMS)
def test_scalar_operands(name):
    check_parity(SCALAR_FORMS[name], [sample((2, 3), "positive")])
    check_parity(SCALAR_FORMS[name], [sample((2, 3), "positive").astype(np.float32)], atol=1e-5, rtol=1e-5)
    check_gradcheck(SCALAR_FORMS[name], [sample((2, 3), "positive")])


def test_float_power_computes_in_float64():
    a32, b32 = sample((3,), "positive").astype(np.float32), sample((3,)).astype(np.float32)
    check_parity(lambda lib, a, b: lib.float_power(a, b), [a32, b32])
    check_parity(lambda lib, a, b: lib.float_power(a, b), [np.array([1, 2, 3]), np.array([2, -1, 0])])
    assert ember.float_power(ember.tensor([1.0, 2.0]), 3).dtype == ember.float64


def test_heaviside_values_broadcasting_and_special_values():
    x = np.array([[-1.5, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf]])
    check_parity(lambda lib, a, v: lib.heaviside(a, v), [x, np.array(0.5)], grad=False)
    check_parity(lambda lib, a, v: a.heaviside(v), [x.T, np.array([0.25, 0.75])], grad=False)
    check_parity(lambda lib, a, v: lib.heaviside(a, v), [np.array([-2, 0, 3]), np.array([7])], grad=False)


SPECIAL = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, -1.0, 2.5, -2.5, 1e-300, 0.5])


@pytest.mark.parametrize("fn", [
    lambda lib, a: lib.sinc(a), lambda lib, a: lib.angle(a), lambda lib, a: lib.sgn(a), lambda lib, a: lib.signbit(a),
    lambda lib, a: lib.frac(a), lambda lib, a: lib.logit(a), lambda lib, a: lib.logit(a, 0.25),
    lambda lib, a: lib.copysign(lib.ones_like(a), a), lambda lib, a: lib.fmod(a, 0.0), lambda lib, a: lib.fmod(a, -2.0),
    lambda lib, a: lib.atanh(a), lambda lib, a: lib.acosh(a), lambda lib, a: lib.asin(a), lambda lib, a: lib.exp2(a),
    lambda lib, a: lib.nextafter(a, lib.zeros_like(a)), lambda lib, a: lib.logaddexp2(a, a),
    lambda lib, a: lib.tan(a), lambda lib, a: lib.cosh(a),
], ids=["sinc", "angle", "sgn", "signbit", "frac", "logit", "logit_eps", "copysign", "fmod0", "fmod", "atanh",
        "acosh", "asin", "exp2", "nextafter", "logaddexp2", "tan", "cosh"])
def test_special_values(fn):
    check_parity(fn, [SPECIAL], grad=False)


@pytest.mark.parametrize("fn", [
    lambda lib, a: lib.logit(a), lambda lib, a: lib.logit(a, eps=0.1), lambda lib, a: lib.sinc(a),
    lambda lib, a: lib.copysign(a, -a - 0.5), lambda lib, a: lib.angle(a), lambda lib, a: lib.acosh(a + 1),
    lambda lib, a: lib.atanh(a), lambda lib, a: lib.asin(a),
], ids=["logit", "logit_eps", "sinc", "copysign", "angle", "acosh", "atanh", "asin"])
def test_gradients_at_the_edges(fn):
    """torch's gradients outside and on the edges of each domain: NaN or 0 for logit, 0 for sinc at 0, ..."""
    check_parity(fn, [np.array([-0.5, -0.0, 0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0, 1.5])])


INT_UNARY = ["tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "sinc", "logit",
             "deg2rad", "rad2deg", "fix", "sgn", "signbit", "positive", "conj", "real", "angle"]


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("name", INT_UNARY + ["trunc", "floor", "ceil", "round", "frac"])
def test_integer_and_bool_inputs(name, dtype):
    data = np.array([1, 0, 3, 2]).astype(dtype) if dtype in (np.uint8, np.bool_) else np.array([1, -2, 0, 3], dtype)
    outcomes = []
    for lib in (torch, ember):
        try:
            outcomes.append(getattr(lib, name)(lib.tensor(data)))
        except Exception as e:
            outcomes.append(type(e))
    if isinstance(outcomes[0], type):  # torch's NotImplementedError is ember's (Python's) NotImplementedError
        assert isinstance(outcomes[1], type) and outcomes[1].__name__ == outcomes[0].__name__, outcomes
    else:
        assert_same(outcomes[1], outcomes[0], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: lib.copysign(a, b), lambda lib, a, b: lib.fmod(a, b), lambda lib, a, b: lib.float_power(a, b),
    lambda lib, a, b: lib.heaviside(a, b), lambda lib, a, b: lib.copysign(a, 2), lambda lib, a, b: lib.fmod(a, 2),
    lambda lib, a, b: lib.fmod(a, 2.5), lambda lib, a, b: lib.copysign(a, b.double()),
    lambda lib, a, b: lib.fmod(a.float(), b), lambda lib, a, b: lib.nextafter(a.float(), b.double()),
], ids=["copysign", "fmod", "float_power", "heaviside", "copysign_int", "fmod_int", "fmod_float", "copysign_mixed",
        "fmod_mixed", "nextafter_mixed"])
def test_integer_binary_dtypes(fn):
    check_parity(fn, [np.array([5, -7, 0, 3]), np.array([3, 2, -2, -1])], grad=False)


@pytest.mark.parametrize("fn,error,match", [
    (lambda lib, x: lib.frac(x.long()), NotImplementedError, "frac_cpu"),
    (lambda lib, x: lib.nextafter(x.long(), x.long()), NotImplementedError, "nextafter_cpu"),
    (lambda lib, x: lib.logaddexp2(x.long(), x.long()), NotImplementedError, "logaddexp2_cpu"),
    (lambda lib, x: lib.nextafter(x, 2.0), TypeError, "must be Tensor"),
    (lambda lib, x: lib.logaddexp2(x, 2.0), TypeError, "must be Tensor"),
    (lambda lib, x: lib.heaviside(x, 0.5), TypeError, "must be Tensor"),
    (lambda lib, x: lib.heaviside(x, x.float()), RuntimeError, "different dtypes"),
    (lambda lib, x: lib.fmod(x.long(), 0), RuntimeError, "ZeroDivisionError"),
    (lambda lib, x: lib.imag(x), RuntimeError, "imag is not implemented for tensors with non-complex dtypes"),
    (lambda lib, x: x.imag, RuntimeError, "imag is not implemented for tensors with non-complex dtypes"),
    (lambda lib, x: lib.positive(x > 0), RuntimeError, "on a bool tensor is not supported"),
    (lambda lib, x: x.long().atan_(), RuntimeError, "result type Float can't be cast to the desired output type Long"),
    (lambda lib, x: x.float().float_power_(2), RuntimeError, "float_power_ has dtype Float"),
], ids=["frac_int", "nextafter_int", "logaddexp2_int", "nextafter_number", "logaddexp2_number", "heaviside_number",
        "heaviside_dtypes", "fmod_int_zero", "imag", "imag_attr", "positive_bool", "atan__int", "float_power__f32"])
def test_errors_as_torch(fn, error, match):
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64)
        with pytest.raises(error, match=match):
            fn(lib, x)


def test_real_and_conj_of_a_real_tensor_are_the_tensor_itself():
    for lib in (torch, ember):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        assert lib.conj(x) is x and x.conj() is x and lib.real(x) is x and x.real is x and lib.positive(x) is x


def test_not_differentiable_as_torch():
    for lib in (torch, ember):
        x = lib.tensor([-1.0, 0.0, 2.0], dtype=lib.float64, requires_grad=True)
        assert not lib.signbit(x).requires_grad and lib.signbit(x).dtype == lib.bool
        out = lib.heaviside(x, lib.tensor(0.5, dtype=lib.float64))
        assert out.requires_grad and out.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
            out.sum().backward()
        y = x * 1
        y.heaviside_(lib.tensor(0.5, dtype=lib.float64))
        with pytest.raises(RuntimeError, match="derivative for aten::heaviside_ is not implemented"):
            y.sum().backward()


GRAPH = {
    "tan": lambda lib, x, y: x.tan(), "atan": lambda lib, x, y: x.atan(), "asin": lambda lib, x, y: x.asin(),
    "acos": lambda lib, x, y: x.acos(), "sinh": lambda lib, x, y: x.sinh(), "cosh": lambda lib, x, y: x.cosh(),
    "asinh": lambda lib, x, y: x.asinh(), "acosh": lambda lib, x, y: (x + 2).acosh(),
    "atanh": lambda lib, x, y: x.atanh(), "exp2": lambda lib, x, y: x.exp2(), "sinc": lambda lib, x, y: x.sinc(),
    "logit": lambda lib, x, y: x.logit(), "logit_eps": lambda lib, x, y: x.logit(0.1),
    "deg2rad": lambda lib, x, y: x.deg2rad(), "rad2deg": lambda lib, x, y: x.rad2deg(),
    "frac": lambda lib, x, y: x.frac(), "sgn": lambda lib, x, y: x.sgn(), "angle": lambda lib, x, y: x.angle(),
    "copysign": lambda lib, x, y: x.copysign(y), "copysign_scalar": lambda lib, x, y: x.copysign(-1.0),
    "nextafter": lambda lib, x, y: x.nextafter(y), "logaddexp2": lambda lib, x, y: x.logaddexp2(y),
    "fmod": lambda lib, x, y: x.fmod(y), "fmod_scalar": lambda lib, x, y: x.fmod(0.3),
    "float_power": lambda lib, x, y: x.float_power(y), "float_power_scalar": lambda lib, x, y: x.float_power(2),
    "float_power_base": lambda lib, x, y: lib.float_power(2.0, y),
    "float_power_f32": lambda lib, x, y: x.float().float_power(2),
    "fix": lambda lib, x, y: x.fix(), "trunc": lambda lib, x, y: lib.trunc(x), "floor": lambda lib, x, y: x.floor(),
    "ceil": lambda lib, x, y: x.ceil(), "round": lambda lib, x, y: x.round(), "sign": lambda lib, x, y: x.sign(),
    "round_decimals": lambda lib, x, y: x.round(decimals=1), "pow_tensor": lambda lib, x, y: x ** y,
    "pow_number_base": lambda lib, x, y: 2 ** x,
}


def _names(out):
    seen, order, queue = set(), [], [out.grad_fn]
    while queue:
        node = queue.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node.name().replace("torch::autograd::", ""))
        queue.extend(f for f, _ in node.next_functions if f is not None)
    return order


@pytest.mark.parametrize("name", GRAPH)
def test_node_names_as_torch(name):
    got = []
    for lib in (torch, ember):
        x = lib.tensor([0.3, -0.2, 0.6], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([0.5, 1.5, -2.0], dtype=lib.float64, requires_grad=True)
        got.append(_names(GRAPH[name](lib, x, y)))
    assert got[1] == got[0]


DOUBLE = {
    "tan": lambda lib, a: a.tan(), "atan": lambda lib, a: a.atan(), "asin": lambda lib, a: a.asin(),
    "acos": lambda lib, a: a.acos(), "sinh": lambda lib, a: a.sinh(), "cosh": lambda lib, a: a.cosh(),
    "asinh": lambda lib, a: a.asinh(), "acosh": lambda lib, a: (a + 1.5).acosh(), "atanh": lambda lib, a: a.atanh(),
    "exp2": lambda lib, a: a.exp2(), "sinc": lambda lib, a: a.sinc(), "logit": lambda lib, a: (a * 0.5 + 0.5).logit(),
    "copysign": lambda lib, a: a.copysign(a - 0.1) ** 2, "fmod": lambda lib, a: (a * a).fmod(a - 2.0),
    "logaddexp2": lambda lib, a: a.logaddexp2(a * a), "float_power": lambda lib, a: a.float_power(a + 2),
}


@pytest.mark.parametrize("name", DOUBLE)
def test_double_backward(name):
    fn = DOUBLE[name]
    check_parity(lambda lib, a: lib.autograd.grad(fn(lib, a).sum(), a, create_graph=True)[0], [sample((2, 3), "unit")])


def test_sinc_second_derivative_at_zero_as_torch():
    check_parity(lambda lib, a: lib.autograd.grad(lib.sinc(a).sum(), a, create_graph=True)[0],
                 [np.array([0.0, 0.5, -1.0])])


INPLACE_CASES = {
    "tan_": (lambda t: t.tan_(), "unit"), "atan_": (lambda t: t.atan_(), "any"), "asin_": (lambda t: t.asin_(), "unit"),
    "acos_": (lambda t: t.acos_(), "unit"), "sinh_": (lambda t: t.sinh_(), "any"),
    "cosh_": (lambda t: t.cosh_(), "any"), "asinh_": (lambda t: t.asinh_(), "any"),
    "acosh_": (lambda t: t.add_(1.5).acosh_(), "positive"), "atanh_": (lambda t: t.atanh_(), "unit"),
    "arctan_": (lambda t: t.arctan_(), "any"), "arcsin_": (lambda t: t.arcsin_(), "unit"),
    "arccos_": (lambda t: t.arccos_(), "unit"), "arcsinh_": (lambda t: t.arcsinh_(), "any"),
    "arccosh_": (lambda t: t.add_(1.5).arccosh_(), "positive"), "arctanh_": (lambda t: t.arctanh_(), "unit"),
    "exp2_": (lambda t: t.exp2_(), "any"), "sinc_": (lambda t: t.sinc_(), "any"),
    "logit_": (lambda t: t.mul_(0.5).add_(0.5).logit_(), "unit"), "logit_eps": (lambda t: t.logit_(0.2), "unit"),
    "deg2rad_": (lambda t: t.deg2rad_(), "any"), "rad2deg_": (lambda t: t.rad2deg_(), "any"),
    "frac_": (lambda t: t.mul_(3).frac_(), "any"), "fix_": (lambda t: t.mul_(3).fix_(), "any"),
    "sgn_": (lambda t: t.sgn_(), "nonzero"),
    "copysign_": (lambda t: t.copysign_(t.new_tensor([-1.0, 2.0, -0.0])), "any"),
    "copysign_scalar": (lambda t: t.copysign_(-2.0), "any"),
    "nextafter_": (lambda t: t.nextafter_(t.new_tensor([0.0, 5.0, -5.0])), "any"),
    "fmod_": (lambda t: t.fmod_(t.new_tensor([0.3, -0.7, 1.1])), "any"),
    "fmod_scalar": (lambda t: t.fmod_(0.4), "any"), "float_power_": (lambda t: t.float_power_(3), "positive"),
    "float_power_tensor": (lambda t: t.float_power_(t.new_tensor([0.5, 2.0, -1.0])), "positive"),
    "heaviside_": (lambda t: t.heaviside_(t.new_tensor(0.5)), "any"),
}
NO_INPLACE_DERIVATIVE = ("asinh_", "acosh_", "atanh_", "arcsinh_", "arccosh_", "arctanh_")


@pytest.mark.parametrize("name", INPLACE_CASES)
def test_inplace_values_version_and_autograd(name):
    op, domain = INPLACE_CASES[name]
    data = sample((2, 3), domain)
    data[0, 1] = 0.0 if name in ("heaviside_", "sinc_") else data[0, 1]
    results = []
    for lib in (torch, ember):
        leaf = lib.tensor(data.copy(), requires_grad=True)
        with lib.no_grad():  # no history: the op writes into the tensor itself
            plain = leaf.detach().clone()
            v = plain._version
            assert op(plain) is plain and plain._version > v
        y = leaf * 1.0
        out = op(y)
        assert out is y
        grad = None
        if name in NO_INPLACE_DERIVATIVE:  # torch has no derivative for these in-place forms
            with pytest.raises(NotImplementedError, match=f"inplace version of {name.replace('arc', 'a')[:-1]}"):
                out.sum().backward()
        elif name != "heaviside_":  # (not differentiable: test_not_differentiable_as_torch)
            out.backward(lib.tensor(seed_for(name)))
            grad = leaf.grad if lib is ember else torch.tensor(leaf.grad.numpy(force=True))  # (sgn_: a ZeroTensor)
        results.append((plain, out, grad, y.grad_fn.name()))
    (tp, to, tg, tn), (ep, eo, eg, en) = results
    assert_same(ep, tp)
    assert_same(eo, to)
    if tg is not None:
        assert_same(eg, tg, what="gradient through the in-place op")
    assert en == tn


def seed_for(name):
    return np.random.default_rng(len(name)).normal(size=(2, 3))


def test_inplace_on_a_leaf_that_requires_grad_refuses_as_torch():
    for lib in (torch, ember):
        x = lib.tensor([0.1, 0.2], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.atan_()


def test_inplace_on_a_view_writes_the_base():
    bases = []
    for lib in (torch, ember):
        base = lib.tensor(np.arange(6.0).reshape(2, 3) / 10)
        base.t()[1].sinh_()
        bases.append(base)
    assert_same(bases[1], bases[0])


def test_saved_input_modified_in_place_is_caught():
    for lib in (torch, ember):
        x = lib.tensor([0.1, 0.2], requires_grad=True)
        y = x * 1
        z = y.atan()
        y.sinh_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


# ---- found by the scan of dir(torch): erf/erfc as functions and methods, in-place forms of existing unary ops ----
@pytest.mark.parametrize("fn", [lambda lib, a: lib.erf(a), lambda lib, a: a.erf(), lambda lib, a: lib.erfc(a),
                                lambda lib, a: a.erfc() * 3],
                         ids=["erf", "erf_method", "erfc", "erfc_method"])
def test_erf_and_erfc(fn):
    check_parity(fn, [sample((2, 3))])
    check_parity(fn, [sample((3, 4))], noncontiguous=True)
    check_parity(fn, [np.array([-6.0, -1.0, 0.0, 4.0, 9.0, 27.0])], rtol=1e-12, atol=1e-300)  # erfc's tail, not 1 - erf
    check_parity(fn, [np.array([1, -2, 0])])
    check_gradcheck(fn, [sample((2, 3))])
    check_parity(lambda lib, a: lib.autograd.grad(fn(lib, a).sum(), a, create_graph=True)[0], [sample((2, 3))])


MORE_INPLACE = {
    "erf_": (lambda t: t.erf_(), "any"), "erfc_": (lambda t: t.erfc_(), "any"), "sin_": (lambda t: t.sin_(), "any"),
    "cos_": (lambda t: t.cos_(), "any"), "log_": (lambda t: t.log_(), "positive"),
    "log2_": (lambda t: t.log2_(), "positive"), "log10_": (lambda t: t.log10_(), "positive"),
    "log1p_": (lambda t: t.log1p_(), "positive"), "expm1_": (lambda t: t.expm1_(), "any"),
    "rsqrt_": (lambda t: t.rsqrt_(), "positive"), "reciprocal_": (lambda t: t.reciprocal_(), "nonzero"),
    "floor_": (lambda t: t.mul_(3).floor_(), "any"), "ceil_": (lambda t: t.mul_(3).ceil_(), "any"),
    "trunc_": (lambda t: t.mul_(3).trunc_(), "any"), "round_": (lambda t: t.mul_(3).round_(), "any"),
    "round_decimals": (lambda t: t.round_(decimals=1), "any"), "sign_": (lambda t: t.sign_(), "nonzero"),
    "square_": (lambda t: t.square_(), "any"),
    "atan2_": (lambda t: t.atan2_(t.new_tensor([0.5, -1.0, 2.0])), "any"),
    "arctan2_": (lambda t: t.arctan2_(t.new_tensor([0.5, -1.0, 2.0])), "any"),
    "hypot_": (lambda t: t.hypot_(t.new_tensor([0.5, -1.0, 2.0])), "any"),
}


@pytest.mark.parametrize("name", MORE_INPLACE)
def test_more_inplace_forms(name):
    op, domain = MORE_INPLACE[name]
    data = sample((2, 3), domain)
    results = []
    for lib in (torch, ember):
        leaf = lib.tensor(data.copy(), requires_grad=True)
        with lib.no_grad():
            plain = leaf.detach().clone()
            v = plain._version
            assert op(plain) is plain and plain._version > v
        y = leaf * 1.0
        assert op(y) is y
        y.backward(lib.tensor(seed_for(name)))
        results.append((plain, y, leaf.grad, y.grad_fn.name()))
    (tp, to, tg, tn), (ep, eo, eg, en) = results
    assert_same(ep, tp)
    assert_same(eo, to)
    assert_same(eg, tg, what="gradient through the in-place op")
    assert en == tn
