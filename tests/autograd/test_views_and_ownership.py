"""Views, in-place ops through them, and who may write into a gradient: each program runs under torch and ember."""
import numpy as np
import pytest
import torch

import ember


def _np(x):
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return np.array(x.detach().tolist(), dtype=float)
    return x


def same(program):
    """Run program(ember) and program(torch); both must return the same numbers or raise the same error type."""
    results = []
    for lib in (ember, torch):
        try:
            results.append(("ok", program(lib)))
        except Exception as e:  # noqa: BLE001 - compared with torch's below
            results.append(("raised", type(e)))
    (kind_e, got), (kind_t, want) = results
    assert kind_e == kind_t, f"ember {kind_e} {got}, torch {kind_t} {want}"
    if kind_e == "raised":
        assert got is want, (got, want)
        return
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w is None or isinstance(w, (bool, str)):
            assert g == w
        else:
            np.testing.assert_allclose(_np(g), _np(w), rtol=1e-12, atol=1e-12)


def f64(lib, values, requires_grad=False):
    return lib.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ---- one owner per gradient array ----------------------------------------------------------------------------
def test_a_gradient_handed_to_two_inputs_is_not_changed_by_the_leaf_that_keeps_it():
    def program(lib):
        a = f64(lib, [0.7], True)
        out = (a / 2.0 + 1.5 * a) + a
        (out * out).sum().backward()
        return a.grad  # 18 * 0.7

    same(program)


def test_a_hook_keeps_the_gradient_it_was_shown_unchanged():
    def program(lib):
        x = f64(lib, [1.0, 2.0], True)
        shown = []
        y = x * 1.0
        y.register_hook(lambda g: shown.append(g))
        (y * 2 + y).sum().backward()
        (x * 5).sum().backward()
        return shown[0], x.grad

    same(program)


def test_leaf_hooks_see_the_sum_of_all_contributions_once():
    def program(lib):
        x = f64(lib, [1.0, 2.0], True)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        (x * 2 + x * 3 + x).sum().backward()
        return len(seen), seen[0], x.grad

    same(program)


def test_a_retained_gradient_is_not_changed_by_later_accumulation():
    def program(lib):
        x = f64(lib, [1.0, 2.0], True)
        y = x.clone()
        y.retain_grad()
        (y + 3 * x).sum().backward()
        (x * 2).sum().backward()
        return y.grad, x.grad

    same(program)


def test_the_callers_gradient_is_not_changed():
    def program(lib):
        x = f64(lib, [1.0, 2.0], True)
        g = f64(lib, [1.0, 1.0])
        x.clone().backward(g)
        x.clone().backward(g)
        return g, x.grad

    same(program)


def test_a_user_function_that_returns_its_grad_twice():
    def program(lib):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, grad):
                return grad, grad

        a = f64(lib, [1.0, 2.0], True)
        Twice.apply(a, a * 2).sum().backward()
        return a.grad

    same(program)


def test_captured_grad_results_are_not_changed_by_a_later_backward():
    def program(lib):
        x = f64(lib, [1.0, 2.0], True)
        y = x * 3
        (gx,) = lib.autograd.grad(y.sum(), x, retain_graph=True)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return gx, x.grad

    same(program)


def test_backward_inputs_accumulates_once_per_call():
    def program(lib):
        a = f64(lib, [1.0, 2.0], True)
        b = f64(lib, [3.0, 4.0], True)
        out = (a * b + a).sum()
        out.backward(inputs=[a], retain_graph=True)
        out.backward(inputs=[a, b])
        return a.grad, b.grad

    same(program)


def test_create_graph_grads_of_two_leaves_are_separate_tensors():
    def program(lib):
        a = f64(lib, [1.0, 2.0], True)
        b = f64(lib, [3.0, 4.0], True)
        (a + b).sum().backward(create_graph=True)
        with lib.no_grad():
            a.grad.zero_()
        return a.grad, b.grad

    same(program)


def test_gradient_accumulation_over_two_backwards_keeps_the_first_grad_tensor():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    (a * 2).sum().backward()
    first = a.grad
    (a * 3).sum().backward()
    assert a.grad is first
    np.testing.assert_array_equal(first.numpy(), [5.0, 5.0])


# ---- views and in-place ops ----------------------------------------------------------------------------------
def test_in_place_on_a_slice_of_a_non_leaf_goes_through_to_the_gradient():
    def program(lib):
        a = f64(lib, [1.0, 2.0, 3.0], True)
        y = a * 2
        y[1:].mul_(3)
        y.sum().backward()
        return y, a.grad

    same(program)


def test_in_place_on_an_element_changes_the_base():
    def program(lib):
        a = f64(lib, [1.0, 2.0, 3.0], True)
        y = a * 2
        y[0].mul_(3)
        y.sum().backward()
        return y, a.grad

    same(program)


def test_in_place_on_an_element_of_a_plain_tensor():
    same(lambda lib: lib.zeros(3).__getitem__(0).add_(5) and None)

    def program(lib):
        x = lib.zeros(3)
        x[0].add_(5)
        x[1:].mul_(2).add_(1)
        return x

    same(program)


@pytest.mark.parametrize("make_view", [
    lambda y: y[1:3],
    lambda y: y[:, 1],
    lambda y: y[0],
    lambda y: y[None, 1:, ::2],
    lambda y: y.t(),
    lambda y: y.T,
    lambda y: y.mT,
    lambda y: y.transpose(0, 1),
    lambda y: y.permute(1, 0),
    lambda y: y.view(12),
    lambda y: y.view(2, 6),
    lambda y: y.reshape(3, 2, 2),
    lambda y: y.flatten(),
    lambda y: y.unsqueeze(1),
    lambda y: y[0:1].squeeze(0),
    lambda y: y.narrow(1, 1, 2),
    lambda y: y.select(1, 2),
    lambda y: y.diagonal(),
    lambda y: y.diagonal(1),
    lambda y: y.movedim(0, 1),
    lambda y: y.unflatten(1, (2, 2)),
    lambda y: y[1:].t()[1:, ::2],
    lambda y: y.view(4, 3)[::2].t(),
    lambda y: y.unfold(1, 2, 2),  # (windows that do not overlap: torch writes overlapping ones element by element)
    lambda y: y.unfold(0, 2, 1)[1],
], ids=lambda f: f.__code__.co_consts[-1] if False else None)
def test_in_place_through_every_view_op(make_view):
    def program(lib):
        a = lib.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        w = lib.tensor(np.linspace(0.5, 2.0, 12).reshape(3, 4))
        y = a * 1.5
        v = make_view(y)
        assert v._is_view() and v._base is y
        v.mul_(2.0).add_(1.0)
        loss = (y * w).sum() + (v * v).sum()
        loss.backward()
        return y, v, a.grad

    same(program)


def test_views_are_views_of_the_root_and_share_the_version():
    for lib in (ember, torch):
        x = lib.zeros(3, 4)
        v = x[1:]
        vv = v.t()[0]
        assert v._base is x and vv._base is x
        before = x._version
        vv.add_(1)
        assert x._version == v._version == vv._version == before + 1
        assert not x.detach()._is_view() and x.detach()._version == x._version
        assert not x.clone()._is_view() and not (x + 0)._is_view()


def test_a_sibling_view_made_before_an_in_place_change_sees_the_new_history():
    def program(lib):
        a = f64(lib, [1.0, 2.0, 3.0, 4.0], True)
        y = a * 1.0
        left, right = y[:2], y[1:]
        left.mul_(10)  # y[1] changes: right must see it, in values and in gradient
        (right * f64(lib, [1.0, 2.0, 3.0])).sum().backward()
        return right, a.grad

    same(program)


def test_a_view_used_after_its_base_changed_in_place():
    def program(lib):
        a = f64(lib, [1.0, 2.0, 3.0], True)
        y = a * 2
        v = y[1:]
        y.mul_(a)
        (v * v).sum().backward()
        return v, a.grad

    same(program)


def test_a_plain_tensor_gains_history_through_a_view():
    def program(lib):
        w = f64(lib, [2.0, 3.0], True)
        x = lib.zeros(4, dtype=lib.float64)
        x[1:3].add_(w)
        x[0] = w[0] * w[1]
        (x * x).sum().backward()
        return x, w.grad

    same(program)


def test_chained_in_place_ops_and_double_backward_through_copy_slices():
    def program(lib):
        a = f64(lib, [0.5, -1.0, 2.0], True)
        y = a.exp()
        y[1:].mul_(a[:2])
        y[:2].pow_(2)
        (g,) = lib.autograd.grad(y.sum(), a, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), a)
        return y, g, gg

    same(program)


@pytest.mark.parametrize("program", [
    lambda lib: f64(lib, [1.0, 2.0], True)[0].mul_(2),  # a view of a leaf that requires grad
    lambda lib: (f64(lib, [1.0, 2.0], True) * 1).unbind()[0].mul_(2),
    lambda lib: (f64(lib, [1.0, 2.0], True) * 1).split(1)[1].add_(1),
    lambda lib: (f64(lib, [1.0, 2.0], True) * 1).chunk(2)[0].add_(1),
    lambda lib: lib.zeros(3, 1).expand(3, 4).add_(1),
])
def test_in_place_refusals_as_torch(program):
    same(program)


def test_a_view_made_in_no_grad_cannot_be_changed_with_grad():
    def program(lib):
        y = f64(lib, [1.0, 2.0], True) * 1
        with lib.no_grad():
            v = y[0]
        v.mul_(2)

    same(program)

    def allowed(lib):
        y = f64(lib, [1.0, 2.0], True) * 1
        with lib.no_grad():
            v = y[0]
            v.mul_(2)
        return y

    same(allowed)


def test_setitem_through_views_and_into_views():
    def program(lib):
        a = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = a * 1
        y[0][1:] = a[1, :2] * 3
        y.t()[2, 1] = 7.0
        (y * y).sum().backward()
        return y, a.grad

    same(program)


def test_gradcheck_through_in_place_view_ops():
    def f(a, b):
        y = a * 1
        y[1:].mul_(b)
        y.t()[0].add_(b[0])
        return y

    a = ember.tensor(np.random.default_rng(0).normal(size=(3, 2)), requires_grad=True)
    b = ember.tensor(np.random.default_rng(1).normal(size=(2,)), requires_grad=True)
    assert ember.autograd.gradcheck(f, (a, b))
    assert ember.autograd.gradgradcheck(f, (a, b))


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 2, 2), (1, 3, 1), (-1, 1, 3)])
def test_unfold_values_strides_and_gradients(dim, size, step):
    def program(lib):
        a = lib.tensor(np.arange(12.0).reshape(3, 4) / 7, requires_grad=True)
        u = a.unfold(dim, size, step)
        assert u._is_view()
        (g,) = lib.autograd.grad((u * u).sum(), a, create_graph=True)
        (gg,) = lib.autograd.grad((g * g * a).sum(), a)
        return u, lib.tensor(u.stride()), g, gg

    same(program)


def test_maximum_and_minimum_send_a_nan_gradient_to_both_sides_as_torch():
    def program(lib):
        a = lib.tensor(np.array([float("nan"), 1.0, 2.0]), requires_grad=True)
        b = lib.tensor(np.array([0.5, 1.0, 3.0]), requires_grad=True)
        (lib.maximum(a, b) * 2 + lib.minimum(a, b) * 3).sum().backward()
        return a.grad, b.grad

    same(program)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_through_zeros_has_a_second_derivative_as_torch(dim):
    """Found by the random programs: prod's gradient where an input is 0 was computed on arrays, so it had no graph."""
    def program(lib):
        a = lib.tensor(np.array([[0.0, 2.0, -1.5], [1.2, 0.0, 0.0], [0.5, 3.0, 2.0]]), requires_grad=True)
        out = a.prod() if dim is None else a.prod(dim)
        (g,) = lib.autograd.grad(out.sum(), a, create_graph=True)
        (g * g).sum().backward()
        return g, a.grad

    same(program)


# ---- found by the random programs (tests/fuzz.py), second round ------------------------------------------------
def test_setitem_writes_only_its_region_of_an_expanded_tensor():
    """torch's setitem is a view then copy_: an expand may be written where the region has no repeats."""
    def program(lib):
        a = f64(lib, [[0.5, 2.0]], requires_grad=True)
        base = a * 3.0
        wide = base.expand(2, 1, 2)
        wide[1:] = 1.25  # the region is one row of the memory: no element written twice
        other = base.expand(3, 2)
        other[1] = f64(lib, [3.0, 4.0]) * a[0]
        (base * f64(lib, [[1.0, -2.0]])).sum().backward()
        return base, wide, a.grad
    same(program)


def test_a_view_made_before_its_base_required_grad_is_a_leaf_to_an_in_place_op():
    """torch gives such a view its history when it is next used; an in-place op before that refuses it."""
    def untouched(lib):
        w = f64(lib, [1.0, 2.0], requires_grad=True)
        x = lib.zeros(3, 4, dtype=lib.float64)
        row = x[0]
        x[1] = w.sum()
        row.mul_(2)
        return row

    def used_first(lib):
        w = f64(lib, [1.0, 2.0], requires_grad=True)
        x = lib.zeros(3, 4, dtype=lib.float64)
        row = x[0]
        x[1] = w.sum()
        doubled = row * 2  # the view is used: it gets the base's history
        row.add_(1)
        (x * doubled.sum()).sum().backward()
        return x, w.grad

    same(untouched)
    same(used_first)


def test_flatten_of_a_one_dimensional_range_is_the_tensor_itself():
    """torch's flatten returns the tensor, not a view, when start_dim == end_dim; so no view check runs."""
    def program(lib):
        a = f64(lib, [1.0, 2.0], requires_grad=True)
        y = a * 2
        piece = y.split(1)[1]
        y[0::2] = 1.25
        flat = piece.flatten()
        return flat is piece, y
    same(program)
    x = ember.zeros(2, 3)
    assert x.flatten(1, 1) is x and x.flatten(0, -1) is not x


def test_an_in_place_op_reads_requires_grad_of_a_view_whose_base_now_requires_it():
    """A view of a tensor that was written with a value requiring grad requires grad too, before it is used."""
    def program(lib):
        w = f64(lib, 2.0, requires_grad=True)
        x = lib.zeros(2, 1, dtype=lib.float64)
        flat = x.reshape(2)
        flat[0:] = w * 1.0  # x (and flat) now require grad
        y = f64(lib, [[[1.0, 2.0]]])
        y.mul_(flat)  # so y must be recorded
        y.sum().backward()
        return y.requires_grad, y, w.grad
    same(program)


def test_the_gradient_through_a_written_view_may_arrive_in_another_layout():
    """CopySlices replays the view on the gradient: it is first laid out as the base (a view() must apply)."""
    def program(lib):
        a = f64(lib, np.linspace(-1, 1, 12).reshape(2, 3, 2), requires_grad=True)
        t = -a.tanh()
        t.view(3, 4).clamp_(-0.5, 0.2)
        out = t.permute(1, 0, 2)  # the gradient reaching t is permuted
        (out * f64(lib, np.arange(12.0).reshape(3, 2, 2))).sum().backward()
        return t, a.grad
    same(program)


@pytest.mark.parametrize("make_a", [
    lambda base: base.expand(2, 2, 3),  # batch dims that cannot merge: torch reshapes into a copy
    lambda base: base.expand(2, 2, 3).contiguous(),  # they merge: torch's reshape is a view
    lambda base: base.expand(2, 2, 3).permute(1, 0, 2),
    lambda base: base.reshape(2, 3),  # 2-D: saved as it is
])
@pytest.mark.parametrize("w_requires_grad", [True, False])
@pytest.mark.parametrize("a_first", [True, False])
def test_matmul_refuses_a_changed_operand_exactly_when_torch_saved_a_view_of_it(make_a, w_requires_grad, a_first):
    """torch's matmul saves its operands reshaped to matrices: views of them, or copies nothing can change."""
    def program(lib):
        leaf = f64(lib, np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        base = leaf * 2.0
        a = make_a(base)
        w = f64(lib, np.linspace(0.5, 1.5, 6).reshape(3, 2) if a_first else np.linspace(0.5, 1.5, 4).reshape(2, 2),
                requires_grad=w_requires_grad)
        out = a @ w if a_first else w @ a.mT.mT.transpose(-1, -2)
        base.mul_(3.0)  # changes a's memory after the product
        out.sum().backward()
        return leaf.grad, (w.grad if w_requires_grad else None)
    same(program)


def test_backward_through_a_write_into_a_detached_expand_refuses_as_torch():
    """The base's elements repeat in memory: torch's CopySlices lays its gradient out like it, and refuses."""
    def program(lib):
        leaf = f64(lib, [[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        wide = leaf.expand(2, 2, 2).detach()
        wide[-2, 1:, 0:] = leaf.sum()  # the region has no repeats: the write itself is allowed
        (wide * 2.0).sum().backward()
        return leaf.grad
    same(program)


def test_setitem_of_the_whole_tensor_writes_into_the_tensor_itself():
    """x[:] = v and x[...] = v are x.copy_(v) in torch (no view in between): x gets its history at once."""
    def program(lib):
        w = f64(lib, 0.5, requires_grad=True)
        base = lib.zeros(3, 2, dtype=lib.float64)
        rows = base.narrow(0, 0, 2)
        rows[0:, ...] = w * 3.0
        rows.mul_(0.5)  # torch: rows already has a grad_fn, so this is no leaf's in-place op
        (base * f64(lib, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
        return base, w.grad
    same(program)
