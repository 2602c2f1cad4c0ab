"""Module hooks: forward pre-hooks, forward hooks and full backward hooks, against torch."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same


def hooked_linear(lib, log):
    layer = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 7))
        layer.bias.copy_(lib.tensor([0.1, -0.2]))
    layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    layer.register_forward_hook(lambda m, args, out: out + 1)

    def backward_hook(module, grad_input, grad_output):
        log.append((grad_input, grad_output))
        return None if grad_input[0] is None else (grad_input[0] * 3,)
    layer.register_full_backward_hook(backward_hook)
    return layer


def test_hooks_change_inputs_outputs_and_input_gradients_like_torch():
    results = []
    for lib in (torch, ember):
        log = []
        layer = hooked_linear(lib, log)
        x = lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)
        y = layer(x)
        (y * y).sum().backward()
        (grad_input,), (grad_output,) = log[0]
        results.append((y, x.grad, grad_input, grad_output, layer.weight.grad))
    for t, e in zip(*results):
        assert_same(e, t)


def test_backward_hook_fires_on_output_gradients_when_no_input_needs_one():
    seen = []
    for lib in (torch, ember):
        log = []
        layer = hooked_linear(lib, log)
        layer(lib.ones(5, 3, dtype=lib.float64)).sum().backward()
        (grad_input, (grad_output,)), = log
        seen.append((grad_input, grad_output))
    assert seen[1][0] == seen[0][0] == (None,)
    assert_same(seen[1][1], seen[0][1])


def test_forward_hooks_capture_activations_and_remove_cleanly():
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
    activations = {}
    handles = [m.register_forward_hook(lambda m, args, out, name=name: activations.__setitem__(name, out))
               for name, m in model.named_children()]
    x = ember.randn(2, 4)
    out = model(x)
    assert set(activations) == {"0", "1", "2"} and activations["2"] is out
    assert (activations["1"] >= 0).all() and activations["1"].shape == (2, 3)
    for h in handles:
        h.remove()
    activations.clear()
    model(x)
    assert activations == {}


def test_hook_order_prepend_kwargs_and_context_manager():
    layer = ember.nn.Identity()
    order = []
    layer.register_forward_hook(lambda m, a, o: order.append("second"))
    layer.register_forward_hook(lambda m, a, o: order.append("first"), prepend=True)
    layer.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True)
    with layer.register_forward_hook(lambda m, a, o: o * 10):
        assert layer(ember.tensor(1.0)).item() == 20.0
    assert layer(ember.tensor(1.0)).item() == 2.0
    assert order == ["first", "second"] * 2


def test_backward_hook_sees_every_input_and_refuses_to_replace_several():
    class Add(ember.nn.Module):
        def forward(self, a, b):
            return a * b

    module = Add()
    log = []
    handle = module.register_full_backward_hook(lambda m, gi, go: log.append(gi))
    a, b = ember.tensor([1.0, 2.0], requires_grad=True), ember.tensor([3.0, 4.0], requires_grad=True)
    module(a, b).sum().backward()
    (grad_a, grad_b), = log
    assert grad_a.tolist() == [3.0, 4.0] and grad_b.tolist() == [1.0, 2.0]
    handle.remove()
    module.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[1]))
    with pytest.raises(RuntimeError, match="one input"):
        module(a, b).sum().backward()


def test_no_backward_hook_bookkeeping_without_grad_and_old_hook_is_refused():
    layer = ember.nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: None)
    with ember.no_grad():
        assert layer(ember.ones(1, 2)).grad_fn is None
    assert layer(ember.ones(1, 2)).grad_fn.name() == "BackwardHookFunctionBackward"
    with pytest.raises(RuntimeError, match="register_full_backward_hook"):
        layer.register_backward_hook(lambda m, gi, go: None)


def test_hook_dicts_hold_the_hooks_themselves_like_torch():
    # torch.nn.utils.prune walks module._forward_pre_hooks.values() and finds its pruning objects there.
    for lib in (torch, ember):
        layer = lib.nn.Linear(2, 2)

        def pre(m, args):
            return None

        def post(m, args, kwargs, out):
            return None
        h1 = layer.register_forward_pre_hook(pre)
        h2 = layer.register_forward_hook(post, with_kwargs=True)
        assert list(layer._forward_pre_hooks.values()) == [pre]
        assert list(layer._forward_hooks.values()) == [post]
        assert h2.id in layer._forward_hooks_with_kwargs and h1.id not in layer._forward_pre_hooks_with_kwargs
        assert layer(lib.ones(1, 2)).shape == (1, 2)
        h1.remove()
        h2.remove()
        assert not layer._forward_pre_hooks and not layer._forward_hooks and not layer._forward_hooks_with_kwargs
