"""ember.autograd.forward_ad against torch's forward-mode AD: tangents, levels, errors, custom Functions."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import forward_ad as fwAD
from ember.autograd.function import Function, Op
from torch.autograd import forward_ad as tfwAD

RNG = np.random.default_rng(7)


def both(arrays):
    return [ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def tangents_of(lib, ad, fn, primals, tangents):
    with ad.dual_level():
        duals = [ad.make_dual(p, t) for p, t in zip(primals, tangents)]
        out = fn(lib, *duals)
        primal, tangent = ad.unpack_dual(out)
        return primal.detach().numpy().copy(), None if tangent is None else tangent.detach().numpy().copy()


def check(fn, shapes, dtype=np.float64, positive=False, rtol=1e-10, atol=1e-12):
    primals = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    if positive:
        primals = [np.abs(p) + 0.5 for p in primals]
    tangents = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    ep, tp = both(primals)
    et, tt = both(tangents)
    e_value, e_tangent = tangents_of(ember, fwAD, fn, ep, et)
    t_value, t_tangent = tangents_of(torch, tfwAD, fn, tp, tt)
    np.testing.assert_allclose(e_value, t_value, rtol=rtol, atol=atol)
    assert e_tangent.dtype == t_tangent.dtype and e_tangent.shape == t_tangent.shape
    np.testing.assert_allclose(e_tangent, t_tangent, rtol=rtol, atol=atol)


CASES = {
    "mul_add": (lambda L, x, y: x * y + x, [(3, 4), (3, 4)], False),
    "broadcast": (lambda L, x, y: x * y - y / 3, [(3, 4), (4,)], False),
    "exp_sin": (lambda L, x: L.exp(x).sin() * x.cos(), [(5,)], False),
    "log_sqrt": (lambda L, x: L.log(x) + x.sqrt() + x ** 2.5, [(2, 3)], True),
    "div_pow": (lambda L, x, y: x / y + y ** x, [(4,), (4,)], True),
    "tanh_sigmoid": (lambda L, x: L.tanh(x) * L.sigmoid(x), [(6,)], False),
    "sum": (lambda L, x: x.sum(), [(3, 4)], False),
    "mean_dim": (lambda L, x: x.mean(1, keepdim=True) * x.std(0), [(3, 4)], False),
    "max_dim": (lambda L, x: x.max(1).values + x.amax(0).sum(), [(3, 4)], False),
    "norm_logsumexp": (lambda L, x: x.norm() + L.logsumexp(x, 1).sum(), [(3, 4)], False),
    "softmax": (lambda L, x: L.softmax(x, -1) * L.log_softmax(x, 0), [(3, 4)], False),
    "matmul": (lambda L, a, b: a @ b, [(3, 4), (4, 2)], False),
    "bmm": (lambda L, a, b: L.bmm(a, b).relu(), [(2, 3, 4), (2, 4, 5)], False),
    "mv_dot": (lambda L, a, v: (a @ v).dot(v[:3]), [(3, 4), (4,)], False),
    "views": (lambda L, x: x.t()[1:, :2].reshape(-1).unsqueeze(0).expand(2, 6) * 2, [(3, 4)], False),
    "index_cat": (lambda L, x, y: L.cat([x[[0, 2]], y.flip(0)], 0).cumsum(1), [(3, 4), (2, 4)], False),
    "where_clamp": (lambda L, x: L.where(x > 0, x, -x * 2).clamp(-1, 0.8), [(10,)], False),
    "linear": (lambda L, x, w, b: L.nn.functional.linear(x, w, b).tanh(), [(5, 3), (2, 3), (2,)], False),
    "conv2d": (lambda L, x, w: L.nn.functional.conv2d(x, w, padding=1).relu().sum((2, 3)),
               [(2, 3, 5, 5), (4, 3, 3, 3)], False),
    "mse": (lambda L, x, y: L.nn.functional.mse_loss(x, y), [(4, 3), (4, 3)], False),
    "cross_entropy": (lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 2, 1])), [(3, 4)], False),
    "layer_norm": (lambda L, x, w: L.nn.functional.layer_norm(x, (4,), w), [(3, 4), (4,)], False),
    "composition": (lambda L, x, y: ((x @ y.T).sigmoid() * 3 - x.sum(1, keepdim=True)).pow(2).mean(),
                    [(3, 4), (5, 4)], False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_tangents_as_torch_float64(name):
    fn, shapes, positive = CASES[name]
    check(fn, shapes, positive=positive)


@pytest.mark.parametrize("name", ["mul_add", "broadcast", "exp_sin", "softmax", "matmul", "linear", "composition"])
def test_tangents_as_torch_float32(name):
    fn, shapes, positive = CASES[name]
    check(fn, shapes, np.float32, positive=positive, rtol=1e-5, atol=1e-6)


def test_several_duals_and_plain_inputs_sum_their_products():
    x, y, z = (ember.randn(3, dtype=ember.float64) for _ in range(3))
    tx, ty = ember.randn(3, dtype=ember.float64), ember.randn(3, dtype=ember.float64)
    with fwAD.dual_level():
        out = fwAD.make_dual(x, tx) * fwAD.make_dual(y, ty) * z
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.numpy(), (tx * y * z + x * ty * z).numpy(), rtol=1e-12)


def test_the_dual_and_its_tangent_are_torchs():
    x, t = ember.randn(3, 4), ember.randn(3, 4)
    with fwAD.dual_level() as level:
        assert level == 0
        dual = fwAD.make_dual(x, t)
        assert fwAD.unpack_dual(dual).tangent is t          # the same layout: kept as it is
        alt = fwAD.make_dual(x, ember.randn(4, 3).T)          # another layout: copied into the primal's
        assert fwAD.unpack_dual(alt).tangent.stride() == x.stride()
        y = dual * 2
        first = fwAD.unpack_dual(y)
        assert type(first).__name__ == "UnpackedDualTensor" and first._fields == ("primal", "tangent")
        assert first.tangent is fwAD.unpack_dual(y).tangent  # cached, as torch keeps it
        assert fwAD.unpack_dual(first.primal).tangent is None
        assert fwAD.unpack_dual(first.tangent).tangent is None
        assert fwAD.unpack_dual(dual.detach()).tangent is None
        assert fwAD.unpack_dual(dual.argmax()).tangent is None
        plain = ember.ones(2)
        assert fwAD.unpack_dual(plain) == (plain, None)
        np.testing.assert_array_equal(first.primal.numpy(), (x * 2).numpy())
    assert fwAD.unpack_dual(y).tangent is None  # the level is gone: plain again
    with fwAD.dual_level():
        assert fwAD.unpack_dual(y).tangent is None  # a later level does not see the old one's duals


def test_output_independent_of_the_dual_has_no_tangent_but_zero_dependence_has_zeros():
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.ones(3), ember.ones(3))
        assert fwAD.unpack_dual(ember.ones(3) * 2).tangent is None
        np.testing.assert_array_equal(fwAD.unpack_dual(d * 0).tangent.numpy(), np.zeros(3))


def test_backward_still_reaches_a_primal_that_requires_grad():
    results = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with ad.dual_level():
            d = ad.make_dual(x, lib.ones(3))
            y = (d ** 2).sum()
            tangent = ad.unpack_dual(y).tangent
            y.backward()
        results.append((tangent.item(), x.grad.tolist()))
    assert results[0] == results[1]


def _inplace_and_no_grad(lib, ad):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
    t = lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64)
    w = lib.tensor([0.3, 0.2, 0.1], dtype=lib.float64, requires_grad=True)
    out = []
    with ad.dual_level():
        d = ad.make_dual(x, t)
        a = d.clone()
        a.mul_(3)
        a[1:].mul_(a[:2].detach().clone())
        out.append(ad.unpack_dual(a).tangent)
        b = x.clone()
        b.add_(d * d)
        out.append(ad.unpack_dual(b).tangent)
        with lib.no_grad():
            c = (d.exp() * w).sin()
            e = d.clone()
            e.mul_(w)
            f = x * w    # nothing dual: no tangent
        out += [ad.unpack_dual(c).tangent, ad.unpack_dual(e).tangent]
        assert ad.unpack_dual(f).tangent is None
        assert not f.requires_grad
    return [o.detach().numpy() for o in out]


def test_inplace_views_and_no_grad_as_torch():
    for ours, theirs in zip(_inplace_and_no_grad(ember, fwAD), _inplace_and_no_grad(torch, tfwAD)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_no_grad_level_restores_the_hot_path():
    applies = (Op.__dict__["apply"], Function.__dict__["apply"])
    with fwAD.dual_level():
        assert Op.__dict__["apply"] is not applies[0]
    assert (Op.__dict__["apply"], Function.__dict__["apply"]) == applies


def test_modules_with_dual_parameters_as_torch():
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    emodel = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh(), ember.nn.Linear(3, 2))
    emodel.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tmodel.state_dict().items()})
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    tangents = {k: RNG.standard_normal(tuple(v.shape)).astype(np.float32) for k, v in tmodel.state_dict().items()}
    found = []
    for lib, ad, model in ((ember, fwAD, emodel), (torch, tfwAD, tmodel)):
        params = dict(model.named_parameters())
        with ad.dual_level():
            duals = {k: ad.make_dual(p, lib.tensor(tangents[k])) for k, p in params.items()}
            out = lib.func.functional_call(model, duals, (lib.tensor(x),))
            found.append(ad.unpack_dual(out).tangent.detach().numpy())
    np.testing.assert_allclose(found[0], found[1], rtol=1e-5, atol=1e-6)


class _Exp(Function):
    @staticmethod
    def forward(ctx, x, scale):
        result = x.exp() * scale
        ctx.save_for_forward(result)
        ctx.scale = scale
        return result

    @staticmethod
    def jvp(ctx, tx, tscale):
        (result,) = ctx.saved_tensors
        assert tscale is None
        return tx * result


class _Twice(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_custom_function_jvp_and_its_absence():
    x, t = ember.randn(4, dtype=ember.float64), ember.randn(4, dtype=ember.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        tangent = fwAD.unpack_dual(_Exp.apply(d, 3.0).sin()).tangent
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            fwAD.unpack_dual(_Twice.apply(d))
    expected = (x.exp() * 3).cos() * t * x.exp() * 3
    np.testing.assert_allclose(tangent.numpy(), expected.numpy(), rtol=1e-12)


def test_gradcheck_checks_forward_ad():
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: _Exp.apply(a, 2.0), (x,), check_forward_ad=True,
                                    check_backward_ad=False)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the type and message are compared)
        return type(e).__name__, str(e).replace("ember.", "torch.")
    return None


@pytest.mark.parametrize("case", [
    lambda L, ad: ad.make_dual(L.ones(3), L.ones(3)),
    lambda L, ad: ad.exit_dual_level(),
    lambda L, ad: [ad.enter_dual_level(), ad.enter_dual_level()],
    lambda L, ad: [ad.enter_dual_level(), ad.make_dual(L.arange(3), L.ones(3))],
    lambda L, ad: [ad.enter_dual_level(), ad.make_dual(L.ones(3), L.arange(3))],
    lambda L, ad: [ad.enter_dual_level(), ad.make_dual(L.ones(3), L.ones(4))],
    lambda L, ad: [ad.enter_dual_level(), ad.make_dual(L.ones(3), L.ones(3), level=4)],
    lambda L, ad: [ad.enter_dual_level(), ad.unpack_dual(L.ones(3), level=4)],
    lambda L, ad: [ad.enter_dual_level(), ad.exit_dual_level(level=2)],
    lambda L, ad: [ad.enter_dual_level(), ad.make_dual(ad.make_dual(L.ones(3), L.ones(3)) * 2, L.ones(3))],
])
def test_errors_as_torch(case):
    found = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        try:
            found.append(_error(lambda: case(lib, ad)))
        finally:
            while ad._current_level >= 0 if ad is tfwAD else fwAD._LEVELS:
                ad.exit_dual_level()
    assert found[0] == found[1]


def test_unpack_without_level_and_the_decorator():
    x = ember.ones(2)
    assert fwAD.unpack_dual(x) == (x, None)

    @fwAD.dual_level()
    def inside():
        return fwAD.unpack_dual(fwAD.make_dual(x, ember.ones(2)) * 3).tangent

    assert inside().tolist() == [3.0, 3.0]
    assert not fwAD._LEVELS


def test_the_tangent_of_a_view_is_that_view_of_the_tangent():
    x, t = ember.randn(3, 4, dtype=ember.float64), ember.randn(3, 4, dtype=ember.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        for view in (d[1], d.t(), d.view(2, 6), d[:, 1:3], d.transpose(0, 1)[2], d.unsqueeze(0).expand(2, 3, 4)):
            tangent = fwAD.unpack_dual(view).tangent
            assert tangent._base is t                      # as torch: a view of the dual's tangent
            assert tangent.shape == view.shape
        np.testing.assert_array_equal(fwAD.unpack_dual(d.t()[1:, 0]).tangent.numpy(), t.numpy().T[1:, 0])
        y = d * 2                                           # a view of a computed dual: a view of its tangent
        ty = fwAD.unpack_dual(y).tangent
        assert fwAD.unpack_dual(y[0]).tangent._base is ty


def _overwritten_after_use(lib, ad):
    """In-place ops that overwrite values earlier ops saved: torch's tangents are pushed as each op runs."""
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=lib.float64)
    t = lib.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]], dtype=lib.float64)
    w = lib.tensor([0.3, 0.2, 0.1], dtype=lib.float64, requires_grad=True)
    out = []
    with ad.dual_level():
        d = ad.make_dual(x.clone(), t)
        a = d * 1
        a.relu_()
        a.sigmoid_()                       # overwrites what relu_ saved
        out.append(ad.unpack_dual(a).tangent)
        b = d * 1
        c = b * w
        b.zero_()                          # overwrites what c's product saved
        out.append(ad.unpack_dual(c).tangent)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(inplace=True), lib.nn.Linear(4, 2))
        for p in model.parameters():
            p.requires_grad_(False)
            p.copy_(lib.arange(p.numel(), dtype=lib.float32).reshape(p.shape) / 10 - 0.3)
        out.append(ad.unpack_dual(model(d.float())).tangent)
    return [o.detach().numpy() for o in out]


def test_inplace_ops_that_overwrite_saved_values_as_torch():
    for ours, theirs in zip(_overwritten_after_use(ember, fwAD), _overwritten_after_use(torch, tfwAD)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_a_view_squared_in_place_has_the_product_rules_tangent():
    """v.mul_(v): ember gives 2 v t; torch 2.13 gives t v + (t v) v (its in-place formula reads the tangent it has
    just updated), which finite differences refute."""
    x = ember.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=ember.float64)
    t = ember.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]], dtype=ember.float64)

    def square_row(a):
        e = a * 1
        v = e[1:]
        v.mul_(v)  # the product saves v, then writes into it
        return e

    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(square_row(fwAD.make_dual(x, t))).tangent
    eps = 1e-7
    numeric = (square_row(x + eps * t) - square_row(x - eps * t)) / (2 * eps)
    np.testing.assert_allclose(tangent.numpy(), numeric.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(tangent.numpy()[1], (2 * x * t).numpy()[1])


def test_a_function_without_jvp_fails_when_applied_to_a_dual():
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.ones(3), ember.ones(3))
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            _Twice.apply(d)


def _views_changed_under_no_grad(lib, ad):
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=lib.float64)
    t = lib.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]], dtype=lib.float64)
    with ad.dual_level():
        d = ad.make_dual(x.clone(), t)
        with lib.no_grad():
            a = x.clone()
            a[:, 1:] += d[:, :2] * 3      # a view of a plain tensor, changed by a dual
            e = d * 1
            v = e[1:]                      # a view made under no_grad, changed in place there
            v.mul_(2)
        return [ad.unpack_dual(a).tangent.numpy(), ad.unpack_dual(e).tangent.numpy()]


def test_views_changed_in_place_under_no_grad_as_torch():
    for ours, theirs in zip(_views_changed_under_no_grad(ember, fwAD), _views_changed_under_no_grad(torch, tfwAD)):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["composition", "softmax", "conv2d", "cross_entropy", "index_cat", "linear"])
def test_forward_ad_agrees_with_func_jvp_and_jacfwd(name):
    fn, shapes, positive = CASES[name]
    primals = [ember.tensor(RNG.standard_normal(s)) for s in shapes]
    tangents = [ember.tensor(RNG.standard_normal(s)) for s in shapes]
    with fwAD.dual_level():
        ours = fwAD.unpack_dual(fn(ember, *[fwAD.make_dual(p, t) for p, t in zip(primals, tangents)])).tangent
    _, theirs = ember.func.jvp(lambda *a: fn(ember, *a), tuple(primals), tuple(tangents))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    jacobian = ember.func.jacfwd(lambda a: fn(ember, a, *primals[1:]), 0)(primals[0])
    flat = jacobian.numpy().reshape(ours.numel(), -1)
    with fwAD.dual_level():
        alone = fwAD.unpack_dual(fn(ember, fwAD.make_dual(primals[0], tangents[0]), *primals[1:])).tangent
    np.testing.assert_allclose(alone.numpy().reshape(-1), flat @ tangents[0].numpy().reshape(-1), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("name", ["mul_add", "log_sqrt", "mean_dim", "views", "where_clamp", "conv2d",
                                  "cross_entropy", "layer_norm"])
def test_forward_ad_against_finite_differences(name):
    fn, shapes, positive = CASES[name]
    arrays = [RNG.standard_normal(s) for s in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    inputs = tuple(ember.tensor(a, requires_grad=True) for a in arrays)
    assert ember.autograd.gradcheck(lambda *a: fn(ember, *a), inputs, check_forward_ad=True, check_backward_ad=False)


def test_gradcheck_with_forward_ad_finds_a_wrong_jvp():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x)
            return x.exp()

        @staticmethod
        def jvp(ctx, t):
            return t * 2

    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):  # (torch's GradcheckError is one too)
        ember.autograd.gradcheck(Wrong.apply, (x,), check_forward_ad=True, check_backward_ad=False)
