"""Every activation of nn.functional and nn against torch: values, gradients and second derivatives in float64
(at the kinks too), finite differences, the in-place variants, what a later in-place change refuses, float32,
the modules' printed forms and torch's errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_module_parity, check_parity

# name: (call(F, x, **inplace), the inputs where its derivative jumps, does it take inplace=)
ACTS = {
    "relu": (lambda F, x, **k: F.relu(x, **k), [0.0], True),
    "relu6": (lambda F, x, **k: F.relu6(x, **k), [0.0, 6.0], True),
    "hardtanh": (lambda F, x, **k: F.hardtanh(x, **k), [-1.0, 1.0], True),
    "hardtanh_args": (lambda F, x, **k: F.hardtanh(x, -0.5, 2.0, **k), [-0.5, 2.0], True),
    "leaky_relu": (lambda F, x, **k: F.leaky_relu(x, 0.2, **k), [0.0], True),
    "elu": (lambda F, x, **k: F.elu(x, **k), [0.0], True),
    "elu_alpha": (lambda F, x, **k: F.elu(x, 0.7, **k), [0.0], True),
    "elu_negative_alpha": (lambda F, x, **k: F.elu(x, -0.5), [0.0], False),
    "selu": (lambda F, x, **k: F.selu(x, **k), [0.0], True),
    "celu": (lambda F, x, **k: F.celu(x, **k), [0.0], True),
    "celu_alpha": (lambda F, x, **k: F.celu(x, 0.6, **k), [0.0], True),
    "gelu": (lambda F, x, **k: F.gelu(x), [], False),
    "gelu_tanh": (lambda F, x, **k: F.gelu(x, approximate="tanh"), [], False),
    "silu": (lambda F, x, **k: F.silu(x, **k), [], True),
    "mish": (lambda F, x, **k: F.mish(x, **k), [], True),
    "hardswish": (lambda F, x, **k: F.hardswish(x, **k), [-3.0, 3.0], True),
    "hardsigmoid": (lambda F, x, **k: F.hardsigmoid(x, **k), [-3.0, 3.0], True),
    "softplus": (lambda F, x, **k: F.softplus(x), [20.0], False),
    "softplus_beta": (lambda F, x, **k: F.softplus(x, 2.0, 3.0), [1.5], False),
    "softplus_beta_below_one": (lambda F, x, **k: F.softplus(x, 0.5, 1.0), [2.0], False),
    "logsigmoid": (lambda F, x, **k: F.logsigmoid(x), [], False),
    "sigmoid": (lambda F, x, **k: F.sigmoid(x), [], False),
    "tanh": (lambda F, x, **k: F.tanh(x), [], False),
    "softsign": (lambda F, x, **k: F.softsign(x), [0.0], False),
    "tanhshrink": (lambda F, x, **k: F.tanhshrink(x), [], False),
    "softshrink": (lambda F, x, **k: F.softshrink(x), [-0.5, 0.5], False),
    "softshrink_lambd": (lambda F, x, **k: F.softshrink(x, 1.25), [-1.25, 1.25], False),
    "hardshrink": (lambda F, x, **k: F.hardshrink(x), [-0.5, 0.5], False),
    "hardshrink_lambd": (lambda F, x, **k: F.hardshrink(x, 1.25), [-1.25, 1.25], False),
    "threshold": (lambda F, x, **k: F.threshold(x, 0.25, -2.0, **k), [0.25], True),
    "rrelu_eval": (lambda F, x, **k: F.rrelu(x, **k), [0.0], True),
    "rrelu_eval_bounds": (lambda F, x, **k: F.rrelu(x, 0.2, 0.5, **k), [0.0], True),
    "glu": (lambda F, x, **k: F.glu(x), [], False),
    "glu_dim0": (lambda F, x, **k: F.glu(x[:2], 0), [], False),
    "prelu": (lambda F, x, **k: F.prelu(x, _lib(x).tensor([0.25], dtype=x.dtype, device=x.device)), [0.0], False),
    "prelu_channels": (lambda F, x, **k: F.prelu(x, _lib(x).tensor(np.linspace(-0.3, 2.0, x.shape[1]), dtype=x.dtype,
                                                                    device=x.device)), [0.0], False),
    "softmax": (lambda F, x, **k: F.softmax(x, 1), [], False),
    "log_softmax": (lambda F, x, **k: F.log_softmax(x, -1), [], False),
}
# torch's in-place functions: name -> (call, the out-of-place form it matches)
IN_PLACE_FUNCTIONS = {
    "relu_": lambda F, x: F.relu_(x), "hardtanh_": lambda F, x: F.hardtanh_(x, -0.5, 2.0),
    "leaky_relu_": lambda F, x: F.leaky_relu_(x, 0.2), "elu_": lambda F, x: F.elu_(x, 0.7),
    "selu_": lambda F, x: F.selu_(x), "celu_": lambda F, x: F.celu_(x, 0.6),
    "rrelu_": lambda F, x: F.rrelu_(x, 0.2, 0.5), "threshold_": lambda F, x: F.threshold_(x, 0.25, -2.0),
}


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else torch


def _inputs(kinks, shape=(3, 5, 4), seed=0):
    """An odd shape of normal values times 3, with the kinks, 0, -0.0 and both signs planted at the front."""
    x = np.random.default_rng(seed).normal(size=shape) * 3
    planted = kinks + [0.0, -0.0, 1e-3, -1e-3, 25.0, -25.0]
    n = min(len(planted), x.size)
    x.reshape(-1)[:n] = planted[:n]
    return x


def _call(name, lib, x, **kwargs):
    return ACTS[name][0](lib.nn.functional, x, **kwargs)


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("noncontiguous", [False, True])
def test_values_and_gradients(name, noncontiguous):
    check_parity(lambda lib, x: _call(name, lib, x), [_inputs(ACTS[name][1], (3, 5, 4))], noncontiguous)


@pytest.mark.parametrize("name", [n for n in ACTS if not n.startswith(("glu", "prelu_channels", "softmax"))])
def test_zero_dimensional_input(name):
    """A 0-d tensor: NumPy hands such results back as scalars, not arrays (gelu once took them for GPU arrays)."""
    check_parity(lambda lib, x: _call(name, lib, x), [np.array(0.7)])


@pytest.mark.parametrize("name", ACTS)
def test_extremes_without_warnings(name):
    x = np.array([[-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0, 2.5]] * 2)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check_parity(lambda lib, x: _call(name, lib, x), [x])


@pytest.mark.parametrize("name", ACTS)
def test_infinities_and_nan(name):
    # (a NaN's gradient is left out: torch's own differs between its vectorised and its scalar loops)
    x = np.array([[np.inf, -np.inf, 1.0, -1.0, 0.5, 3.0]] * 2)
    with np.errstate(all="ignore"):
        check_parity(lambda lib, x: _call(name, lib, x), [x])
        x[:, 2] = np.nan
        check_parity(lambda lib, x: _call(name, lib, x), [x], grad=False)


@pytest.mark.parametrize("name", ACTS)
def test_second_derivatives(name):
    """d/dx of (d f/dx . v), create_graph=True, at the kinks too: as torch, where torch has them."""
    x0 = _inputs(ACTS[name][1], (4, 6))
    results = []
    for lib in (torch, ember):
        x = lib.tensor(x0, requires_grad=True)
        out = _call(name, lib, x)
        v = lib.tensor(np.random.default_rng(1).normal(size=tuple(out.shape)))
        (g,) = lib.autograd.grad(out, x, v, create_graph=True)
        w = lib.tensor(np.random.default_rng(2).normal(size=x0.shape))
        try:
            gg = lib.autograd.grad(g, x, w, allow_unused=True)[0] if g.requires_grad else None
        except RuntimeError as e:
            assert lib is torch and "not implemented" in str(e)
            pytest.skip(f"torch has no second derivative: {e}")
        results.append((g, np.zeros(x0.shape) if gg is None else gg.detach().numpy()))
    (t_g, t_gg), (e_g, e_gg) = results
    assert_same(e_g, t_g)
    np.testing.assert_allclose(e_gg, t_gg, atol=1e-9, rtol=1e-7, err_msg="second derivative")


def _away_from_kinks(kinks, shape, seed=3):
    x = np.random.default_rng(seed).normal(size=shape) * 3
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
    return x


@pytest.mark.parametrize("name", ACTS)
def test_finite_differences(name):
    x = ember.tensor(_away_from_kinks(ACTS[name][1], (3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: _call(name, ember, x), [x])
    assert ember.autograd.gradgradcheck(lambda x: _call(name, ember, x), [x])


def _refused(lib, name, where, inplace, seed=0):
    """After out = f(y), change y (or out) in place: does backward refuse? 'ok' or the error's type."""
    lib.manual_seed(seed)
    x = lib.tensor(_inputs(ACTS[name][1], (2, 6)), requires_grad=True)
    y = x * 1.0
    out = _call(name, lib, y, **({"inplace": True} if inplace else {}))
    (y if where == "input" else out).mul_(2)
    try:
        out.sum().backward()
        return "ok"
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e), e
        return "RuntimeError"


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("where", ["input", "output"])
@pytest.mark.parametrize("inplace", [False, True])
def test_a_later_in_place_change_is_refused_as_torch_refuses_it(name, where, inplace):
    if inplace and not ACTS[name][2]:
        pytest.skip("no inplace= form")
    assert _refused(ember, name, where, inplace) == _refused(torch, name, where, inplace)


def test_rrelu_training_refuses_as_torch():
    def run(lib, where, inplace):
        lib.manual_seed(0)
        y = lib.tensor(_inputs([0.0], (2, 6)), requires_grad=True) * 1.0
        out = lib.nn.functional.rrelu(y, 0.1, 0.3, training=True, inplace=inplace)
        (y if where == "input" else out).mul_(2)
        try:
            out.sum().backward()
            return "ok"
        except RuntimeError:
            return "RuntimeError"
    for where in ("input", "output"):
        for inplace in (False, True):
            assert run(ember, where, inplace) == run(torch, where, inplace), (where, inplace)


@pytest.mark.parametrize("name", [n for n in ACTS if ACTS[n][2]])
def test_inplace_true(name):
    """inplace=True writes into its input, which takes the op's node: values, gradients and grad_fn as torch."""
    x0 = _inputs(ACTS[name][1], (3, 5))
    seed = np.random.default_rng(4).normal(size=x0.shape)
    results = []
    for lib in (ember, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * 1.0
        version = y._version
        out = _call(name, lib, y, inplace=True)
        assert out is y and y._version > version
        name_of_node = type(out.grad_fn).__name__ if lib is torch else out.grad_fn.name()
        out.backward(lib.tensor(seed))
        results.append((out, x.grad, name_of_node))
    (e_out, e_grad, e_node), (t_out, t_grad, t_node) = results
    assert_same(e_out, t_out)
    assert_same(e_grad, t_grad)
    assert e_node == t_node


@pytest.mark.parametrize("name", IN_PLACE_FUNCTIONS)
def test_in_place_functions(name):
    x0 = _inputs([0.0, 0.25, -0.5, 2.0], (3, 5))
    seed = np.random.default_rng(4).normal(size=x0.shape)
    results = []
    for lib in (ember, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * 1.0
        out = IN_PLACE_FUNCTIONS[name](lib.nn.functional, y)
        assert out is y
        out.backward(lib.tensor(seed))
        results.append((out, x.grad))
        with pytest.raises(RuntimeError, match="leaf"):  # a leaf that requires grad refuses, as in torch
            IN_PLACE_FUNCTIONS[name](lib.nn.functional, lib.tensor(x0, requires_grad=True))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


@pytest.mark.parametrize("name", [n for n in ACTS if ACTS[n][2]])
def test_inplace_through_a_view_reaches_the_base(name):
    x0 = _inputs(ACTS[name][1], (4, 6))
    results = []
    for lib in (ember, torch):
        x = lib.tensor(x0, requires_grad=True)
        base = x * 1.0
        _call(name, lib, base[1:3, ::2], inplace=True)
        (base * base).sum().backward()
        results.append((base, x.grad))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


def test_inplace_without_grad_writes_the_same_memory():
    x = ember.tensor([-1.0, 0.5, 7.0])
    data = x._data
    for name in [n for n in ACTS if ACTS[n][2]]:
        _call(name, ember, x, inplace=True)
        assert x._data is data


@pytest.mark.parametrize("name", ["elu", "celu", "leaky_relu", "rrelu"])
def test_in_place_with_a_negative_slope_refuses_backward_as_torch(name):
    calls = {"elu": lambda F, y: F.elu(y, -0.5, inplace=True), "celu": lambda F, y: F.celu(y, -0.5, inplace=True),
             "leaky_relu": lambda F, y: F.leaky_relu(y, -0.5, inplace=True),
             "rrelu": lambda F, y: F.rrelu(y, -0.5, -0.1, inplace=True)}
    for lib in (ember, torch):
        y = lib.tensor([0.5, -1.0, 2.0], requires_grad=True) * 1
        out = calls[name](lib.nn.functional, y)
        with pytest.raises(RuntimeError, match="In-place .* negative slope"):
            out.sum().backward()


@pytest.mark.parametrize("name", ACTS)
def test_float32_is_kept(name):
    x0 = _inputs(ACTS[name][1], (3, 4))
    results = []
    for lib in (ember, torch):
        x = lib.tensor(x0, dtype=lib.float32, requires_grad=True)
        out = _call(name, lib, x)
        out.backward(lib.tensor(np.random.default_rng(5).normal(size=tuple(out.shape)), dtype=lib.float32))
        results.append((out, x.grad))
    assert_same(results[0][0], results[1][0], atol=1e-6, rtol=1e-5)
    assert_same(results[0][1], results[1][1], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", ACTS)
def test_grad_fn_is_torchs(name):
    names = []
    for lib in (ember, torch):
        out = _call(name, lib, lib.tensor(_inputs([], (2, 4)), requires_grad=True))
        names.append(out.grad_fn.name() if lib is ember else type(out.grad_fn).__name__)
    assert names[0] == names[1]


def test_prelu_weight_gradients_broadcast_over_channels():
    for shape, weight in [((2, 3, 4, 5), [0.1, -0.2, 0.3]), ((6, 3), [0.25, 0.5, 1.0]), ((2, 3, 4), [0.2]),
                          ((7,), [0.3]), ((), [0.3])]:
        x = _inputs([0.0], (int(np.prod(shape)),)).reshape(shape)
        check_parity(lambda lib, x, w: lib.nn.functional.prelu(x, w), [x, np.array(weight)])
    check_parity(lambda lib, x, w: lib.nn.functional.prelu(x, w), [_inputs([0.0], (3, 4)), np.array(0.3)])


def test_prelu_second_derivatives_in_both_inputs():
    results = []
    for lib in (ember, torch):
        x = lib.tensor(_inputs([0.0], (3, 4)), requires_grad=True)
        w = lib.tensor([0.1, -0.2, 0.3, 0.4], dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.prelu(x, w)
        gx, gw = lib.autograd.grad((out * out).sum(), [x, w], create_graph=True)
        results.append(lib.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, w]))
    assert_same(results[0], results[1])
    x = ember.tensor(_away_from_kinks([0.0], (3, 4)), requires_grad=True)
    w = ember.tensor([0.1, -0.2, 0.3, 0.4], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(ember.nn.functional.prelu, [x, w])
    assert ember.autograd.gradgradcheck(ember.nn.functional.prelu, [x, w])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("noncontiguous", [False, True])
def test_rrelu_training_draws_torchs_slopes_bit_for_bit(dtype, noncontiguous):
    x0 = _inputs([0.0], (5, 7))
    seed = np.random.default_rng(6).normal(size=x0.shape)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(11)
        x = lib.tensor(x0.T.copy() if noncontiguous else x0, dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.nn.functional.rrelu(x.t() if noncontiguous else x, 0.1, 0.4, training=True)
        out.backward(lib.tensor(seed, dtype=out.dtype))
        after = lib.rand(3, dtype=lib.float64)  # the stream moved on by the same draws
        results.append((out.detach().numpy(), x.grad.numpy(), after.numpy()))
    for e, t in zip(*results):
        np.testing.assert_array_equal(e, t)


def test_rrelu_module_train_and_eval():
    def make(lib):
        lib.manual_seed(3)
        return lib.nn.RReLU(0.1, 0.3)
    for train in (True, False):
        check_module_parity(make, [_inputs([0.0], (4, 5))], train=train)


# every module, with its defaults and with each setting changed
MODULES = {
    "SELU": [(), (True,)], "CELU": [(), (0.5, True)], "Mish": [(), (True,)], "Hardswish": [(), (True,)],
    "Hardsigmoid": [(), (True,)], "Softsign": [()], "Tanhshrink": [()], "Softshrink": [(), (0.25,)],
    "Hardshrink": [(), (1,)], "Threshold": [(0.1, 20), (0.1, 20.0, True)], "GLU": [(), (1,)],
    "PReLU": [(), (5, 0.1)], "RReLU": [(), (0.1, 0.3, True)], "ReLU": [(), (True,)], "ReLU6": [(), (True,)],
    "Sigmoid": [()], "Tanh": [()], "LeakyReLU": [(), (0.2, True)], "ELU": [(), (0.5, True)],
    "GELU": [(), ("tanh",)], "SiLU": [(), (True,)], "Softplus": [(), (2, 5)],
    "Hardtanh": [(), (-2, 2, True), (-2.0, 2.5)], "LogSigmoid": [()], "Softmax": [(), (1,)], "LogSoftmax": [(1,)],
}


@pytest.mark.parametrize("name", MODULES)
def test_module_prints_as_torchs(name):
    for args in MODULES[name]:
        e, t = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(e) == repr(t)
        assert repr(ember.nn.Sequential(e)) == repr(torch.nn.Sequential(t))


@pytest.mark.parametrize("name", MODULES)
def test_module_values_and_gradients(name):
    def make(lib):
        lib.manual_seed(0)  # (RReLU draws its slopes in training)
        return getattr(lib.nn, name)(*args)
    for args in MODULES[name]:
        if name in ("Softmax", "LogSoftmax") and not args or True in args:
            continue  # (torch warns about the implicit dim; inplace on a leaf is refused: test_inplace_true)
        shape = (2, 5, 3) if name != "GLU" else (2, 4, 6)
        check_module_parity(make, [_inputs([0.0, 0.25, 3.0, -3.0], shape)])


def test_prelu_module():
    m = ember.nn.PReLU(3, init=0.1, dtype=ember.float64)
    assert [p.shape for p in m.parameters()] == [(3,)] and m.weight.dtype == ember.float64
    assert np.allclose(m.weight.detach().numpy(), 0.1) and m.weight.requires_grad
    assert list(m.state_dict()) == list(torch.nn.PReLU(3).state_dict())


ERRORS = {
    "softshrink negative lambd": lambda F, lib: F.softshrink(lib.ones(3, dtype=lib.float64), -1.0),
    "softshrink float32 negative lambd": lambda F, lib: F.softshrink(lib.ones(3), -0.5),
    "Softshrink module negative lambd": lambda F, lib: lib.nn.Softshrink(-1)(lib.ones(3)),
    "glu odd": lambda F, lib: F.glu(lib.ones(2, 3)),
    "glu scalar": lambda F, lib: F.glu(lib.tensor(1.0)),
    "glu dim": lambda F, lib: F.glu(lib.ones(2, 4), 5),
    "glu int": lambda F, lib: F.glu(lib.ones(2, 4, dtype=lib.int64)),
    "prelu channels": lambda F, lib: F.prelu(lib.ones(2, 4), lib.ones(3)),
    "prelu 2-d weight": lambda F, lib: F.prelu(lib.ones(2, 4), lib.ones(4, 1)),
    "prelu dtypes": lambda F, lib: F.prelu(lib.ones(2, 4), lib.ones(4, dtype=lib.float64)),
    "prelu 1-d input": lambda F, lib: F.prelu(lib.ones(4), lib.ones(4)),
    "prelu int": lambda F, lib: F.prelu(lib.ones(2, 4, dtype=lib.int64), lib.ones(1)),
    "prelu number": lambda F, lib: F.prelu(lib.ones(2, 4), 0.25),
    "PReLU module channels": lambda F, lib: lib.nn.PReLU(3)(lib.ones(2, 4)),
    "rrelu bounds": lambda F, lib: F.rrelu(lib.ones(3), 0.5, 0.1),
    "rrelu bounds training": lambda F, lib: F.rrelu(lib.ones(3), 0.5, 0.1, training=True),
    "celu alpha 0": lambda F, lib: F.celu(lib.ones(3), 0.0),
    "celu_ alpha 0": lambda F, lib: F.celu_(lib.ones(3), 0.0),
    "threshold bool": lambda F, lib: F.threshold(lib.ones(3, dtype=lib.bool), 0.5, 1),
    "Threshold without arguments": lambda F, lib: lib.nn.Threshold(),
    "GLU module dim": lambda F, lib: lib.nn.GLU(5)(lib.ones(2, 4)),
    "glu inplace": lambda F, lib: F.glu(lib.ones(2, 4), inplace=True),
    "hardtanh min > max": lambda F, lib: F.hardtanh(lib.ones(3), 1.0, -1.0),
    "gelu approximate": lambda F, lib: F.gelu(lib.ones(3), approximate="fast"),
    "elu_ on a leaf": lambda F, lib: F.elu_(lib.ones(3, requires_grad=True)),
    "selu inplace on a leaf": lambda F, lib: F.selu(lib.ones(3, requires_grad=True), inplace=True),
}
for _name in ["selu", "celu", "mish", "hardswish", "hardsigmoid", "softshrink", "hardshrink", "elu", "gelu", "silu",
              "logsigmoid", "softplus", "leaky_relu", "rrelu"]:
    ERRORS[f"{_name} of int"] = lambda F, lib, n=_name: getattr(F, n)(lib.tensor([[-2, 0, 3, 1]]))


@pytest.mark.parametrize("case", ERRORS)
def test_errors_are_torchs(case):
    with pytest.raises(Exception) as t_error:
        ERRORS[case](torch.nn.functional, torch)
    with pytest.raises(Exception) as e_error:
        ERRORS[case](ember.nn.functional, ember)
    e, t = str(e_error.value), str(t_error.value)
    assert issubclass(e_error.type, t_error.type), f"ember {e!r}, torch {t!r}"
    if e_error.type is NotImplementedError:  # torch names its kernel (elu_cpu), ember the function
        dtype = t.split(" not implemented for ")[1].split("'")[1]
        assert f"not implemented for '{dtype}'" in e, f"ember {e}, torch {t}"
    elif t_error.type is not TypeError:  # (Python's own wording for a bad call)
        assert t.split(". Hint")[0].rstrip(".")[:60] in e or e.split(":")[0] in t, f"ember {e}, torch {t}"


@pytest.mark.parametrize("name", ["threshold", "relu", "relu6", "hardtanh", "softsign", "tanhshrink"])
def test_integer_inputs_as_torch(name):
    calls = {"threshold": lambda F, x: F.threshold(x, 0.5, 7.9)}
    call = calls.get(name, lambda F, x: getattr(F, name)(x))
    e = call(ember.nn.functional, ember.tensor([[-2, 0, 3, 1, 7]]))
    t = call(torch.nn.functional, torch.tensor([[-2, 0, 3, 1, 7]]))
    assert_same(e, t)
    if name in ("threshold", "relu", "relu6", "hardtanh"):
        e, t = ember.tensor([[-2, 0, 3, 1, 7]]), torch.tensor([[-2, 0, 3, 1, 7]])
        call_inplace = {"threshold": lambda F, x: F.threshold(x, 0.5, 7.9, inplace=True)}.get(
            name, lambda F, x: getattr(F, name)(x, inplace=True))
        assert call_inplace(ember.nn.functional, e) is e
        call_inplace(torch.nn.functional, t)
        assert_same(e, t)


@pytest.mark.parametrize("name", [n for n in ACTS if not n.startswith("softmax") and n != "log_softmax"])
def test_on_the_stand_in_gpu(name):
    from test_device_catalogue import check_on_device, strict_gpu  # noqa: F401 (the fixture, by hand below)
    from ember import _backend
    from strict_cuda import StrictRuntime
    previous = _backend.use_cuda_runtime(StrictRuntime())
    try:
        check_on_device(lambda lib, x: _call(name, lib, x), [_inputs(ACTS[name][1], (3, 4))], double=True)
        check_on_device(lambda lib, x: (ember.manual_seed(0), lib.nn.functional.rrelu(x, 0.1, 0.3, training=True))[1],
                        [_inputs([], (3, 4))])
    finally:
        _backend.use_cuda_runtime(previous)
