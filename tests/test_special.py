"""ember.special (torch.special) against torch: values in float64 and float32, float64 gradients, edge values."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(0)
WIDE = RNG.uniform(-4, 4, 40)
PROB = RNG.uniform(0.02, 0.98, 40)
POS = RNG.uniform(0.1, 4, 40)
MAT = RNG.normal(size=(4, 5)) * 3

# name, arrays of inputs, extra args (args after the inputs, then keywords)
UNARY = [("expit", WIDE), ("logit", PROB), ("erf", WIDE), ("erfc", WIDE), ("exp2", WIDE), ("expm1", WIDE),
         ("log1p", POS), ("sinc", WIDE), ("entr", POS), ("ndtr", WIDE), ("log_ndtr", WIDE * 5)]
BINARY = [("xlogy", WIDE, POS), ("xlog1py", WIDE, POS - 0.9)]
REDUCING = [("softmax", (1,), {}), ("log_softmax", (0,), {}), ("logsumexp", (1,), {}),
            ("logsumexp", (0,), {"keepdim": True})]
CASES = ([(n, (a,), (), {}) for n, a in UNARY] + [(n, (a, b), (), {}) for n, a, b in BINARY]
         + [(n, (MAT,), args, kw) for n, args, kw in REDUCING] + [("logit", (PROB,), (0.1,), {})])
IDS = [c[0] for c in CASES]


def both(name, arrays, args, kwargs, dtype, grad=False):
    """(torch result, ember result, torch grads, ember grads) of name on arrays."""
    ts = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=grad) for a in arrays]
    es = [ember.tensor(a, dtype=getattr(ember, dtype), requires_grad=grad) for a in arrays]
    t = getattr(torch.special, name)(*ts, *args, **kwargs)
    e = getattr(ember.special, name)(*es, *args, **kwargs)
    if not grad:
        return t, e, None, None
    weights = RNG.normal(size=t.shape)
    (t * torch.tensor(weights)).sum().backward()
    (e * ember.tensor(weights)).sum().backward()
    return t, e, [x.grad for x in ts], [x.grad for x in es]


def close(t, e, **tol):
    assert e.dtype is getattr(ember, str(t.dtype).split(".")[1])
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)


@pytest.mark.parametrize("name, arrays, args, kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-13), ("float32", 2e-6)])
def test_values_match_torch(name, arrays, args, kwargs, dtype, rtol):
    t, e, _, _ = both(name, arrays, args, kwargs, dtype)
    close(t, e, rtol=rtol, atol=rtol * 1e-3)


@pytest.mark.parametrize("name, arrays, args, kwargs", CASES, ids=IDS)
def test_float64_gradients_match_torch_autograd(name, arrays, args, kwargs):
    _, _, tg, eg = both(name, arrays, args, kwargs, "float64", grad=True)
    for t, e in zip(tg, eg):
        assert e is not None
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-15)


def test_round_with_decimals():
    x = np.array([1.2345, -2.5, 0.5, 3.14159, 2.675])
    t, e, _, _ = both("round", (x,), (), {"decimals": 2}, "float64")
    close(t, e, rtol=0, atol=0)
    t, e, _, _ = both("round", (x,), (), {}, "float64")
    close(t, e, rtol=0, atol=0)


def test_softmax_dtype_keyword():
    x = MAT.astype(np.float32)
    t = torch.special.softmax(torch.tensor(x), 1, dtype=torch.float64)
    e = ember.special.softmax(ember.tensor(x), 1, dtype=ember.float64)
    close(t, e, rtol=1e-13)


EDGES = [
    ("entr", (np.array([0.0, -0.0, -1.0, -1e-300, np.inf, np.nan, 1e-300, 1.0]),)),
    ("xlogy", (np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0]), np.array([0.0, -1.0, np.inf, np.nan, 3.0, 0.0, -1.0]))),
    ("xlog1py", (np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0]),
                 np.array([-1.0, -2.0, np.inf, np.nan, 3.0, 1e-10, -1.0, -2.0, 1e-10]))),
    ("ndtr", (np.array([-40.0, -10.0, -8.0, -5.0, 0.0, 5.0, 8.0, 10.0, 40.0, np.inf, -np.inf, np.nan]),)),
    ("log_ndtr", (np.array([-30.0, -10.0, -1.0, 0.0, 1.0, 8.0, 10.0, 30.0, np.inf, -np.inf, np.nan]),)),
    ("expit", (np.array([-800.0, -40.0, 0.0, 40.0, 800.0, np.inf, -np.inf]),)),
    ("logit", (np.array([0.0, 1.0, 0.5, -0.1, 1.1]),)),
    ("sinc", (np.array([0.0, 1.0, -2.0, 1e-20]),)),
]


@pytest.mark.parametrize("name, arrays", EDGES, ids=[e[0] for e in EDGES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_edge_values_match_torch(name, arrays, dtype):
    with np.errstate(all="ignore"):
        t, e, _, _ = both(name, arrays, (), {}, dtype)
    close(t, e, rtol=1e-13 if dtype == "float64" else 2e-6, atol=0, equal_nan=True)


def test_edge_values_are_what_torch_defines():
    """The defined values themselves, not only agreement: a wrong edge in torch and ember alike still fails."""
    x = ember.tensor([0.0, -1.0, 2.0], dtype=ember.float64)
    assert ember.special.entr(x).tolist() == [0.0, -np.inf, -2 * np.log(2)]
    assert not np.signbit(ember.special.entr(x)[0].item())  # +0, as torch
    zero = ember.zeros(3, dtype=ember.float64)
    assert ember.special.xlog1py(zero, ember.tensor([-2.0, np.inf, 1.0])).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(ember.special.xlog1py(zero[:1], ember.tensor([np.nan])).item())
    assert ember.special.ndtr(ember.tensor([-np.inf, 0.0, np.inf])).tolist() == [0.0, 0.5, 1.0]


def test_integer_inputs_give_the_default_float():
    for name in ("expit", "entr", "ndtr", "log_ndtr", "erf"):
        t = getattr(torch.special, name)(torch.tensor([0, 1, 2]))
        e = getattr(ember.special, name)(ember.tensor([0, 1, 2]))
        close(t, e, rtol=1e-6)
    t = torch.special.xlog1py(torch.tensor([0, 1, 2]), 3)
    e = ember.special.xlog1py(ember.tensor([0, 1, 2]), 3)
    close(t, e, rtol=1e-6)


@pytest.mark.parametrize("name", ["expit", "erf", "erfc", "exp2", "expm1", "log1p", "sinc", "logit", "round"])
def test_out_keyword_of_ember_functions(name):
    out = ember.empty(5, dtype=ember.float64)
    x = PROB[:5]
    result = getattr(ember.special, name)(ember.tensor(x), out=out)
    assert result is out
    close(getattr(torch.special, name)(torch.tensor(x)), out, rtol=1e-13)


def test_xlogy_and_logsumexp_out():
    out = ember.empty(3, dtype=ember.float64)
    assert ember.special.xlogy(ember.tensor(POS[:3]), ember.tensor(POS[3:6]), out=out) is out
    close(torch.special.xlogy(torch.tensor(POS[:3]), torch.tensor(POS[3:6])), out, rtol=1e-13)
    out = ember.empty(4, dtype=ember.float64)
    assert ember.special.logsumexp(ember.tensor(MAT), 1, out=out) is out
    close(torch.special.logsumexp(torch.tensor(MAT), 1), out, rtol=1e-13)


def test_every_function_is_torch_special_function():
    for name in ember.special.__all__:
        assert callable(getattr(torch.special, name)), name
        assert callable(getattr(ember.special, name)), name
    assert ember.special is ember.special.expit.__globals__["_e"].special


def test_ember_run_imports_torch_special(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text("import torch.special\nimport torch\nfrom torch.special import ndtr\n"
                       "x = torch.tensor([0.0, 2.0])\n"
                       "print(type(torch).__name__, torch.__name__, torch.special.expit(x).tolist(), "
                       "ndtr(x)[0].item(), torch.special.entr(x)[0].item())\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[1] == "ember"
    assert "[0.5, 0.8807970" in r.stdout and " 0.5 0.0" in r.stdout


def test_entr_gradient_at_zero_and_below_is_torchs():
    # torch differentiates entr by its formula, -(1 + log x), everywhere: inf at 0, NaN below (ember gave 0 there)
    x = np.array([0.0, -1.0, 0.5, 2.0])
    _, _, tg, eg = both("entr", (x,), (), {}, "float64", grad=True)
    np.testing.assert_array_equal(eg[0].numpy(), tg[0].numpy())


def test_entr_node_is_torchs():
    names = [lib.special.entr(lib.tensor([0.5], requires_grad=True)).grad_fn.name() for lib in (ember, torch)]
    assert names[0] == names[1] == "SpecialEntrBackward0"
