"""nn.utils.parametrize and nn.utils.parametrizations (orthogonal, weight_norm, spectral_norm), against torch.

Each test runs the same program in both libraries (ember given torch's seeded weights, or seeded
itself where ember draws torch's numbers) and compares what a learner sees: the parametrized
tensor, gradients of the originals, printed modules, state_dict keys and the errors. Also the
linear algebra the parametrizations need: linalg.solve, matrix_exp, householder_product, dist.
"""
import copy
import pickle

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(atol=1e-5, rtol=1e-5), "float64": dict(atol=1e-12, rtol=1e-10)}


def parametrize_of(lib):
    return lib.nn.utils.parametrize


def modules(lib):
    """The tutorial's parametrizations, in lib."""
    nn = lib.nn

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class Skew(nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu(1)

    class MatrixExponential(nn.Module):
        def forward(self, X):
            return lib.matrix_exp(X)

    class CayleyMap(nn.Module):
        def __init__(self, n, dtype):
            super().__init__()
            self.register_buffer("Id", lib.eye(n, dtype=dtype))

        def forward(self, X):
            return lib.linalg.solve(self.Id - X, self.Id + X)

        def right_inverse(self, A):
            return lib.linalg.solve(A + self.Id, self.Id - A)

    class Scale(nn.Module):  # two originals: right_inverse returns a tuple
        def forward(self, a, b):
            return a * b

        def right_inverse(self, w):
            return w.abs() + 1, w / (w.abs() + 1)

    return dict(Symmetric=Symmetric, Skew=Skew, MatrixExponential=MatrixExponential, CayleyMap=CayleyMap,
                Scale=Scale)


def linear_pair(dtype, n_in=3, n_out=3, seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Linear(n_in, n_out).to(getattr(torch, dtype))
    e = ember.nn.Linear(n_in, n_out).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t, e


def as_torch_text(text):
    return text.replace("ember.", "torch.")


def x_for(dtype, shape=(4, 3), seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chain", [["Symmetric"], ["Skew"], ["Skew", "MatrixExponential"], ["Symmetric", "Symmetric"],
                                   ["Skew", "CayleyMap"], ["Symmetric", "MatrixExponential"]])
def test_parametrized_weight_gradients_print_and_state_like_torch(dtype, chain):
    t, e = linear_pair(dtype)
    for lib, layer in ((torch, t), (ember, e)):
        made = modules(lib)
        for name in chain:
            p = made[name](3, getattr(lib, dtype)) if name == "CayleyMap" else made[name]()
            parametrize_of(lib).register_parametrization(layer, "weight", p)
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert parametrize_of(ember).type_before_parametrizations(e) is ember.nn.Linear
    assert isinstance(e, ember.nn.Linear) and not type(ember.nn.Linear(2, 2)).__name__.startswith("Param")
    assert as_torch_text(repr(e)) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert list(e.state_dict())[:2] == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert_same(e.parametrizations.weight.original, t.parametrizations.weight.original, **TOL[dtype])
    assert_same(e.weight, t.weight, **TOL[dtype], what="weight")
    x = x_for(dtype)
    out_t, out_e = t(torch.tensor(x)), e(ember.tensor(x))
    assert_same(out_e, out_t, **TOL[dtype], what="forward")
    (out_t * out_t.detach().sin()).sum().backward()
    (out_e * out_e.detach().sin()).sum().backward()
    assert_same(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, **TOL[dtype])
    assert_same(e.bias.grad, t.bias.grad, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_assignment_runs_right_inverse_and_keeps_the_parameter_object(dtype):
    results = []
    for lib in (torch, ember):
        made = modules(lib)
        layer = lib.nn.Linear(3, 3).to(getattr(lib, dtype))
        original = layer.weight
        parametrize_of(lib).register_parametrization(layer, "weight", made["Skew"]())
        assert layer.parametrizations.weight.original is original  # (an optimizer holding it still works)
        version = original._version
        X = lib.tensor(x_for(dtype, (3, 3)))
        X = X - X.T
        layer.weight = X
        assert original._version > version
        results.append((layer.weight, layer.parametrizations.weight.original))
    assert_same(results[1], results[0], **TOL[dtype])


def test_a_tuple_right_inverse_makes_original0_original1():
    t, e = linear_pair("float64", 4, 2)
    for lib, layer in ((torch, t), (ember, e)):
        parametrize_of(lib).register_parametrization(layer, "weight", modules(lib)["Scale"]())
    assert list(e.state_dict()) == list(t.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert not hasattr(e.parametrizations.weight, "original")
    for i in range(2):
        assert isinstance(getattr(e.parametrizations.weight, f"original{i}"), ember.nn.Parameter)
        assert_same(getattr(e.parametrizations.weight, f"original{i}"), getattr(t.parametrizations.weight,
                                                                                f"original{i}"))
    assert_same(e.weight, t.weight)
    t.weight = torch.full((2, 4), -2.0, dtype=torch.float64)
    e.weight = ember.full((2, 4), -2.0, dtype=ember.float64)
    assert_same(e.parametrizations.weight.original0, t.parametrizations.weight.original0)
    for lib, layer in ((torch, t), (ember, e)):
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            parametrize_of(lib).remove_parametrizations(layer, "weight", leave_parametrized=False)
        parametrize_of(lib).remove_parametrizations(layer, "weight")
    assert isinstance(e.weight, ember.nn.Parameter) and type(e) is ember.nn.Linear
    assert_same(e.weight, t.weight)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_like_torch(leave):
    t, e = linear_pair("float32")
    for lib, layer in ((torch, t), (ember, e)):
        original = layer.weight
        parametrize_of(lib).register_parametrization(layer, "weight", modules(lib)["Skew"]())
        parametrize_of(lib).register_parametrization(layer, "bias", lib.nn.Identity())
        assert parametrize_of(lib).is_parametrized(layer) and parametrize_of(lib).is_parametrized(layer, "bias")
        parametrize_of(lib).remove_parametrizations(layer, "weight", leave_parametrized=leave)
        assert layer.weight is original and not parametrize_of(lib).is_parametrized(layer, "weight")
        assert type(layer).__name__ == "ParametrizedLinear"
        parametrize_of(lib).remove_parametrizations(layer, "bias")
        assert type(layer) is lib.nn.Linear and not hasattr(layer, "parametrizations")
        assert not parametrize_of(lib).is_parametrized(layer)
    assert repr(e) == repr(t)
    assert_same(e.weight, t.weight, atol=1e-6)
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight", "bias"]


def test_cached_computes_each_parametrization_once():
    counts = []
    for lib in (torch, ember):
        calls = []

        class Noisy(lib.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X * 2
        layer = lib.nn.Linear(4, 4)
        parametrize_of(lib).register_parametrization(layer, "weight", Noisy())
        calls.clear()
        layer.weight + layer.weight.T
        outside = len(calls)
        with parametrize_of(lib).cached():
            a = layer.weight + layer.weight.T
            with parametrize_of(lib).cached():
                layer.weight.sum()
            layer.weight.sum()
        inside = len(calls) - outside
        layer.weight.sum()
        counts.append((outside, inside, len(calls) - outside - inside))
        assert a.shape == (4, 4)
    assert counts[0] == counts[1] == (2, 1, 1)


def test_the_module_registers_a_buffer_and_train_mode_reaches_the_parametrization():
    for lib in (torch, ember):
        bn = lib.nn.BatchNorm1d(3)
        bn.eval()
        p = lib.nn.Identity()
        parametrize_of(lib).register_parametrization(bn, "running_mean", p)
        assert not p.training
        assert "parametrizations.running_mean.original" in bn.state_dict()
        assert not isinstance(bn.parametrizations.running_mean.original, lib.nn.Parameter)
        bn.train()
        assert p.training


def test_errors_like_torch():
    def messages(lib):
        nn, P = lib.nn, parametrize_of(lib)

        class Row(nn.Module):
            def forward(self, X):
                return X[0]

        class Double(nn.Module):
            def forward(self, X):
                return X.double()

        class NoInverse(nn.Module):
            def forward(self, X):
                return X
        out = []
        cases = [lambda: P.register_parametrization(nn.Linear(3, 3), "weight", Row()),
                 lambda: P.register_parametrization(nn.Linear(3, 3), "weight", Double()),
                 lambda: P.register_parametrization(nn.Linear(3, 3), "nothing", Row()),
                 lambda: P.remove_parametrizations(nn.Linear(3, 3), "weight")]
        chained = P.register_parametrization(nn.Linear(3, 3), "weight", NoInverse())
        cases += [lambda: P.register_parametrization(chained, "weight", Row()),
                  lambda: P.register_parametrization(chained, "weight", Double()),
                  lambda: setattr(chained, "weight", lib.zeros(3, 3)),
                  lambda: pickle.dumps(chained)]
        for case in cases:
            with pytest.raises(Exception) as info:
                case()
            out.append((type(info.value).__name__, as_torch_text(str(info.value))))
        unsafe = P.register_parametrization(nn.Linear(3, 3), "weight", Row(), unsafe=True)
        out.append(tuple(unsafe.weight.shape))
        return out
    assert messages(ember) == messages(torch)


def test_deepcopy_and_transfer_like_torch():
    t, e = linear_pair("float64")
    for lib, layer in ((torch, t), (ember, e)):
        parametrize_of(lib).register_parametrization(layer, "weight", modules(lib)["Symmetric"]())
    e2 = copy.deepcopy(e)
    assert type(e2).__name__ == "ParametrizedLinear" and e2.parametrizations.weight.original is not \
        e.parametrizations.weight.original
    assert_same(e2.weight, t.weight)
    for lib, layer in ((torch, t), (ember, e)):
        target = lib.nn.Linear(3, 3).double()
        parametrize_of(lib).transfer_parametrizations_and_params(layer, target)
        assert target.parametrizations.weight.original is layer.parametrizations.weight.original
        assert type(target).__name__ == "ParametrizedLinear"
    assert_same(target.weight, t.weight)


# ---- parametrizations ----------------------------------------------------------------------------
def P_of(lib):
    return lib.nn.utils.parametrizations


def conv_pair(kind, dtype):
    torch.manual_seed(0)
    make = {"linear": lambda lib: lib.nn.Linear(5, 4), "conv2d": lambda lib: lib.nn.Conv2d(3, 4, 2),
            "convtranspose2d": lambda lib: lib.nn.ConvTranspose2d(3, 4, 2)}[kind]
    t = make(torch).to(getattr(torch, dtype))
    e = make(ember).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    shape = (2, 5) if kind == "linear" else (2, 3, 4, 4)
    return t, e, np.random.default_rng(3).normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["linear", "conv2d", "convtranspose2d"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_like_torch(kind, dtype, dim):
    t, e, x = conv_pair(kind, dtype)
    P_of(torch).weight_norm(t, dim=dim)
    P_of(ember).weight_norm(e, dim=dim)
    assert as_torch_text(repr(e)) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for i in range(2):
        assert_same(getattr(e.parametrizations.weight, f"original{i}"),
                    getattr(t.parametrizations.weight, f"original{i}"), **TOL[dtype])
    out_t, out_e = t(torch.tensor(x)), e(ember.tensor(x))
    assert_same(out_e, out_t, **TOL[dtype])
    (out_t * out_t.detach().cos()).sum().backward()
    (out_e * out_e.detach().cos()).sum().backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_same(pe.grad, pt.grad, **TOL[dtype], what=n)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["linear", "conv2d", "convtranspose2d"])
def test_spectral_norm_draws_and_iterates_like_torch(kind, dtype):
    t, e, x = conv_pair(kind, dtype)
    torch.manual_seed(7)
    ember.manual_seed(7)
    P_of(torch).spectral_norm(t, n_power_iterations=2)
    P_of(ember).spectral_norm(e, n_power_iterations=2)
    assert list(e.state_dict()) == list(t.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    assert as_torch_text(repr(e)) == repr(t)
    for step in range(3):
        out_t, out_e = t(torch.tensor(x)), e(ember.tensor(x))
        assert_same(out_e, out_t, **TOL[dtype], what=f"forward {step}")
        for buffer in ("_u", "_v"):
            assert_same(getattr(e.parametrizations.weight[0], buffer), getattr(t.parametrizations.weight[0], buffer),
                        **TOL[dtype], what=buffer)
        out_t.pow(2).sum().backward()
        out_e.pow(2).sum().backward()
        assert_same(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, **TOL[dtype])
    t.eval()
    e.eval()
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)), **TOL[dtype])


def test_spectral_norm_of_a_vector_and_errors_like_torch():
    for lib in (torch, ember):
        m = lib.nn.Linear(3, 4)
        P_of(lib).spectral_norm(m, "bias")
        assert abs(m.bias.norm().item() - 1) < 1e-6

    def errors(lib):
        out = []
        for case in [lambda: P_of(lib).spectral_norm(lib.nn.Linear(4, 4), "foo"),
                     lambda: P_of(lib).spectral_norm(lib.nn.Linear(4, 4), dim=3),
                     lambda: P_of(lib).spectral_norm(lib.nn.Linear(4, 4), n_power_iterations=0),
                     lambda: P_of(lib).orthogonal(lib.nn.Linear(4, 4), "bias"),
                     lambda: P_of(lib).orthogonal(lib.nn.Linear(4, 4), orthogonal_map="qr"),
                     lambda: setattr(P_of(lib).orthogonal(lib.nn.Linear(4, 4), orthogonal_map="cayley",
                                                          use_trivialization=False), "weight", lib.eye(4)),
                     lambda: setattr(P_of(lib).orthogonal(lib.nn.Linear(4, 4)), "weight", lib.eye(3))]:
            with pytest.raises(Exception) as info:
                case()
            out.append((type(info.value).__name__, as_torch_text(str(info.value)).split("\n")[0][:80]))
        return out
    assert errors(ember) == errors(torch)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,omap", [((3, 3), None), ((5, 3), None), ((3, 5), None), ((4, 4), "cayley"),
                                        ((4, 4), "householder"), ((5, 3), "matrix_exp"), ((3, 5), "cayley"),
                                        ((5, 3), "householder")])
def test_orthogonal_like_torch(shape, omap, dtype):
    t, e = linear_pair(dtype, shape[1], shape[0], seed=4)
    torch.manual_seed(9)  # (a non-square weight is completed to a square one with random columns)
    ember.manual_seed(9)
    P_of(torch).orthogonal(t, orthogonal_map=omap)
    P_of(ember).orthogonal(e, orthogonal_map=omap)
    assert list(e.state_dict()) == list(t.state_dict())
    assert as_torch_text(repr(e)) == repr(t)
    tol = dict(atol=1e-5, rtol=1e-4) if dtype == "float32" else dict(atol=1e-10, rtol=1e-8)
    W = e.weight
    small = W @ W.T if shape[0] < shape[1] else W.T @ W
    assert_same(small, torch.eye(min(shape), dtype=getattr(torch, dtype)), **tol)
    assert_same(W, t.weight, **tol)
    x = x_for(dtype, (2, shape[1]))
    out_t, out_e = t(torch.tensor(x)), e(ember.tensor(x))
    (out_t * out_t.detach().sin()).sum().backward()
    (out_e * out_e.detach().sin()).sum().backward()
    assert_same(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, **tol)


def test_orthogonal_householder_without_trivialization_like_torch():
    t, e = linear_pair("float64", 4, 4, seed=5)
    for lib, layer in ((torch, t), (ember, e)):
        P_of(lib).orthogonal(layer, orthogonal_map="householder", use_trivialization=False)
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert_same(e.parametrizations.weight.original, t.parametrizations.weight.original, atol=1e-12)
    assert_same(e.weight, t.weight, atol=1e-12)


# ---- the linear algebra under them ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [0.0, 0.1, 1.0, 6.0, 40.0])
def test_matrix_exp_like_torch(scale, dtype):
    a = (np.random.default_rng(2).normal(size=(2, 4, 4)) * scale).astype(dtype)
    g = np.random.default_rng(3).normal(size=(2, 4, 4)).astype(dtype)
    ta, ea = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    tt, ee = torch.matrix_exp(ta), ember.matrix_exp(ea)
    tol = dict(atol=1e-5, rtol=1e-5) if dtype == "float32" else dict(atol=1e-11, rtol=1e-12)
    scale_of = max(1.0, float(np.abs(tt.detach().numpy()).max()))
    assert_same(ee / scale_of, tt / scale_of, **tol)
    (tt * torch.tensor(g)).sum().backward()
    (ee * ember.tensor(g)).sum().backward()
    grad_scale = max(1.0, float(np.abs(ta.grad.numpy()).max()))
    assert_same(ea.grad / grad_scale, ta.grad / grad_scale, **tol)


def test_solve_det_eigvalsh_householder_product_and_dist_like_torch():
    rng = np.random.default_rng(4)
    a, b, v = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 2)), rng.normal(size=(3,))
    check_gradcheck(lambda lib, A, B: lib.linalg.solve(A, B), [a, b])
    check_gradcheck(lambda lib, A, B: lib.linalg.solve(A, B), [a[0], v])
    check_gradcheck(lambda lib, A, B: lib.linalg.solve(A, B, left=False), [a, b.transpose(0, 2, 1)])
    check_gradcheck(lambda lib, A: lib.matrix_exp(A), [a])
    h, tau = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 3))
    check_gradcheck(lambda lib, H, T: lib.linalg.householder_product(H, T), [h, tau])
    check_gradcheck(lambda lib, A, B: lib.dist(A, B, 3), [a, b[..., :1]])
    check_parity(lambda lib, A, B: lib.linalg.solve(A, B), [a, b])
    check_parity(lambda lib, A, B: lib.linalg.solve(A, B), [a[0], v])
    check_parity(lambda lib, A, B: lib.linalg.solve(A, B), [a[:1], b[1]])  # (B broadcast over A's batch)
    check_parity(lambda lib, H, T: lib.linalg.householder_product(H, T), [h, tau], atol=1e-12)
    check_parity(lambda lib, H, T: lib.linalg.householder_product(H, T), [h[0], tau[0, :2]], atol=1e-12)
    check_parity(lambda lib, A, B: lib.dist(A, B, 3), [a, b[..., :1]])
    sym = a + a.transpose(0, 2, 1)
    check_parity(lambda lib, A: lib.linalg.det(A), [a])
    check_parity(lambda lib, A: A.det(), [a[0]])
    check_parity(lambda lib, A: lib.linalg.eigvalsh(A), [sym])
    check_parity(lambda lib, A: lib.linalg.eigvalsh(A, UPLO="U"), [sym[0]])
    check_parity(lambda lib, A: lib.linalg.eigvalsh(A.tril() + A.tril(-1).mT), [a])  # (the gradient of a triangle)
    check_gradcheck(lambda lib, A: lib.linalg.det(A), [a])
    with pytest.raises(RuntimeError, match="singular") as info:
        ember.linalg.solve(ember.zeros(2, 2), ember.ones(2))
    assert isinstance(info.value, ember.linalg.LinAlgError)
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.solve(ember.zeros(2, 3), ember.ones(2))


def test_a_parameter_or_buffer_may_not_take_a_parametrized_name():
    for lib in (torch, ember):
        layer = parametrize_of(lib).register_parametrization(lib.nn.Linear(2, 2), "weight", lib.nn.Identity())
        with pytest.raises(KeyError, match="attribute 'weight' already exists"):
            layer.weight = lib.nn.Parameter(lib.ones(2, 2))
        with pytest.raises(KeyError, match="attribute 'weight' already exists"):
            layer.register_buffer("weight", lib.ones(2))
        assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
