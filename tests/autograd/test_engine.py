"""The engine: shared nodes, diamonds, deep chains, accumulation, retain/create graph, freeing, grad modes."""
import gc
import weakref

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_parity, sample


def test_shared_subexpression_accumulates():
    # b = a + a; c = b * b  ->  dc/da = 2b * 2 = 8a
    a = ember.tensor(3.0, requires_grad=True)
    b = a + a
    c = b * b
    c.backward()
    assert a.grad.item() == 24.0


def test_diamond_graph_matches_torch():
    def fn(lib, x, w):
        h = x * w
        left, right = h.sigmoid(), h.tanh() * 2
        return (left * right + h).sum()
    check_parity(fn, [sample((3, 4)), sample((4,))])


def test_deep_chain_of_100k_nodes_has_no_recursion_error():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_gradients_accumulate_across_backward_calls_and_zero_resets():
    w = ember.tensor([2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * 4).sum().backward()
    assert w.grad.tolist() == [7.0]
    grad_tensor = w.grad
    w.grad.data.zero_()
    (w * 5).sum().backward()
    assert w.grad is grad_tensor and w.grad.tolist() == [5.0]  # the same .grad tensor, accumulated in place


def test_gradient_arrays_are_never_shared_between_leaves():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 1).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [1.0, 1.0]


def test_second_backward_through_freed_graph_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_graph_is_freed_after_backward():
    x = ember.tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    saved_ref = weakref.ref(node._value)  # the output array that exp saved for its backward
    z = (y * 2).sum()
    z.backward()
    assert node._saved is None
    del y, z, node
    gc.collect()
    assert saved_ref() is None  # the exp output held for backward is gone


def test_graph_is_released_when_outputs_are_dropped():
    x = ember.tensor(np.ones(10), requires_grad=True)
    y = (x * 2).exp().sum()
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None  # no reference cycles: plain reference counting frees the graph


def test_no_grad_records_nothing_and_works_as_decorator():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad

    @ember.no_grad()
    def f(t):
        return t * 2
    assert f(x).grad_fn is None
    assert ember.is_grad_enabled()
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not ember.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad


def test_create_graph_gives_higher_order_derivatives():
    x = ember.tensor(2.0, requires_grad=True)
    y = x ** 3
    (dy,) = ember.autograd.grad(y, x, create_graph=True)
    (d2y,) = ember.autograd.grad(dy, x, create_graph=True)
    (d3y,) = ember.autograd.grad(d2y, x)
    assert (dy.item(), d2y.item(), d3y.item()) == (12.0, 12.0, 6.0)  # 3x^2, 6x, 6


@pytest.mark.parametrize("fn", [
    lambda lib, a: (a.sigmoid() * a.tanh()).sum(), lambda lib, a: (a.exp() / (1 + a * a)).sum(),
    lambda lib, a: a.softmax(1).pow(2).sum(), lambda lib, a: (a @ a.T).logsumexp(0).sum(),
    lambda lib, a: a.norm() * a.var(), lambda lib, a: (a.log_softmax(0) * a).sum(),
])
def test_second_derivatives_match_torch(fn):
    data = sample((3, 3), "positive")
    results = []
    for lib in (ember, torch):
        x = lib.tensor(data.copy(), requires_grad=True)
        (g,) = lib.autograd.grad(fn(lib, x), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g, gg))
    assert_same(results[0][0], results[1][0], what="first derivative")
    assert_same(results[0][1], results[1][1], what="second derivative")


@pytest.mark.parametrize("fn", [lambda x: (x ** 3).sum(), lambda x: (x.sigmoid() * x).sum(),
                                lambda x: (x @ x).sum(), lambda x: x.softmax(0).max()])
def test_gradgradcheck(fn):
    x = ember.tensor(sample((3, 3), "positive"), requires_grad=True)
    assert ember.autograd.gradgradcheck(fn, [x])


def test_autograd_grad_does_not_touch_dot_grad_and_checks_unused():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    z = ember.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = ember.autograd.grad(y, x, retain_graph=True)
    assert g.tolist() == [2.0, 4.0] and x.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None


def test_autograd_grad_of_a_non_leaf():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = ember.autograd.grad(y, h)
    assert gh.tolist() == [6.0, 12.0]


def test_backward_with_inputs_only_fills_those():
    a = ember.tensor(1.0, requires_grad=True)
    b = ember.tensor(2.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_retain_grad_on_non_leaf_and_none_otherwise():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = h + 1
    h.retain_grad()
    (k * k).sum().backward()
    assert h.grad.tolist() == [6.0, 10.0] and k.grad is None and h.retains_grad and not k.retains_grad


def test_non_scalar_backward_with_gradient_argument():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(ember.tensor([1.0, 0.1, 0.01]))
    assert np.allclose(x.grad.numpy(), [2.0, 0.4, 0.06])


def test_is_leaf_and_grad_fn_names_match_torch():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).sum()
        assert x.is_leaf and not y.is_leaf and lib.tensor([1.0]).is_leaf
    e = (ember.tensor([1.0], requires_grad=True) * 2).exp().sum()
    t = (torch.tensor([1.0], requires_grad=True) * 2).exp().sum()
    names = []
    for node in (e.grad_fn, t.grad_fn):
        chain = []
        while node is not None and hasattr(node, "next_functions") and node.next_functions:
            chain.append(node.name())
            node = node.next_functions[0][0]
        chain.append(node.name().replace("torch::autograd::", ""))
        names.append(chain)
    assert names[0] == names[1] == ["SumBackward0", "ExpBackward0", "MulBackward0", "AccumulateGrad"]


class Cube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class ScaledAdd(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, scale):
        ctx.scale = scale
        assert ctx.needs_input_grad == (True, False, False)
        return x + y * scale

    @staticmethod
    def backward(ctx, grad):
        return grad, grad * ctx.scale, None


def test_custom_function_like_torch():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    assert y.grad_fn.name() == "CubeBackward"
    (g,) = ember.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    assert gg.tolist() == [6.0, 12.0]
    z = ScaledAdd.apply(x, ember.tensor([1.0, 1.0]), 3.0)
    assert z.tolist() == [4.0, 5.0]
    assert ember.autograd.gradcheck(Cube.apply, [ember.tensor(sample((3,)), requires_grad=True)])


def test_custom_function_saving_its_output():
    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out

    x = ember.tensor([0.0, 1.0], requires_grad=True)
    Exp.apply(x).sum().backward()
    assert np.allclose(x.grad.numpy(), np.exp([0.0, 1.0]))


def test_custom_function_that_saved_nothing_reads_an_empty_saved_tensors():
    # torch gives () (and () again after ctx.save_for_backward() with no tensors); ember raised AttributeError
    seen = {}
    for lib in (ember, torch):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, save):
                if save:
                    ctx.save_for_backward()
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                seen.setdefault(lib.__name__, []).append(ctx.saved_tensors)
                return grad * 2, None

        for save in (False, True):
            x = lib.ones(3, requires_grad=True)
            Double.apply(x, save).sum().backward()
            assert x.grad.tolist() == [2.0, 2.0, 2.0]
    assert seen["ember"] == seen["torch"] == [(), ()]


def test_custom_function_returning_wrong_number_of_grads():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_inplace_ops_in_the_graph_match_torch():
    def fn(lib, a, b):
        h = a * 2
        h.add_(b)
        h.mul_(b)
        h[0] = 1.0
        h.exp_()
        return h.sum()
    check_parity(fn, [sample((3,)) * 0.1, sample((3,)) * 0.1])


def test_detach_and_requires_grad_flags():
    x = ember.tensor([1.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = x * 2
    y.detach_()
    assert y.is_leaf and not y.requires_grad
    with pytest.raises(RuntimeError, match="leaf variables"):
        (x * 2).requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()


def test_register_hook_sees_and_replaces_gradients_like_torch():
    seen = {}
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        record = []
        h.register_hook(lambda g: record.append(g.tolist()))
        handle = x.register_hook(lambda g: g * 10)  # a leaf hook replaces what accumulates
        (h * h).sum().backward()
        first = x.grad.tolist()
        handle.remove()
        x.grad = None
        (x * 3 * (x * 3)).sum().backward()  # a fresh graph, after the leaf hook was removed
        seen[lib] = (record, first, x.grad.tolist())
    assert seen[ember] == seen[torch]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)
