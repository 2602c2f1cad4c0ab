"""Tensor.register_post_accumulate_grad_hook and the engine's final callbacks (queue_callback), against torch."""
import numpy as np
import pytest
import torch
from torch.autograd import Variable

import ember
from ember.autograd import engine


def _both(values):
    return (ember.tensor(values, dtype=ember.float64, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def _record(calls):
    return lambda p: calls.append(p.grad.detach().numpy().copy())


@pytest.mark.parametrize("program", [
    lambda lib, w: (w * 2).sum() + (w * 3).sum() + w.sum(),       # three edges into one leaf: one call
    lambda lib, w: (w * w).sum(),                                   # one node, both its inputs the leaf
    lambda lib, w: lib.stack([w, w.exp(), w[:2].sum().expand(3)]).sum(),
])
def test_hook_runs_once_per_backward_after_the_whole_gradient_arrived(program):
    (ew, tw), ecalls, tcalls = _both([0.5, -1.0, 2.0]), [], []
    ew.register_post_accumulate_grad_hook(_record(ecalls))
    tw.register_post_accumulate_grad_hook(_record(tcalls))
    for _ in range(2):  # the second pass sees the accumulated .grad
        program(ember, ew).backward()
        program(torch, tw).backward()
    assert len(ecalls) == len(tcalls) == 2
    for e, t in zip(ecalls, tcalls):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_hook_runs_for_backward_inputs_and_a_leaf_output_but_not_for_autograd_grad():
    for lib, w in zip((ember, torch), _both([1.0, 2.0])):
        calls = []
        w.register_post_accumulate_grad_hook(_record(calls))
        lib.autograd.grad((w * 2).sum(), w)
        assert calls == []
        (w * 2).sum().backward(inputs=[w])
        w.backward(lib.ones(2, dtype=lib.float64))
        assert len(calls) == 2 and np.array_equal(calls[-1], [3.0, 3.0])


def test_hook_not_called_for_a_leaf_the_pass_does_not_reach_and_handle_removes_it():
    for lib, (a, b) in ((ember, (_both([1.0])[0], _both([2.0])[0])), (torch, (_both([1.0])[1], _both([2.0])[1]))):
        calls = []
        handle = a.register_post_accumulate_grad_hook(lambda p: calls.append("a"))
        b.register_post_accumulate_grad_hook(lambda p: calls.append("b"))
        (b * 3).sum().backward()
        assert calls == ["b"]
        handle.remove()
        (a * b).sum().backward()
        assert calls == ["b", "b"]


def test_hook_misuse_raises_as_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="non-leaf"):
            (lib.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(lambda p: None)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            lib.ones(2).register_post_accumulate_grad_hook(lambda p: None)
        w = lib.ones(2, requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda p: lib.zeros(2))
        with pytest.raises(RuntimeError, match="should return None"):
            (w * 2).sum().backward()


def test_final_callback_runs_after_every_hook_of_the_pass():
    def run(lib, queue):
        order, w1, w2 = [], lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)

        def hook(p):
            order.append("hook")
            if len(order) == 1:
                queue(lambda: order.append("callback"))
        w1.register_post_accumulate_grad_hook(hook)
        w2.register_post_accumulate_grad_hook(hook)
        (w1 * w2).sum().backward()
        with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass"):
            queue(lambda: None)
        return order
    assert run(ember, engine.queue_callback) == run(torch, Variable._execution_engine.queue_callback) \
        == ["hook", "hook", "callback"]


def test_final_callbacks_are_dropped_when_the_pass_raises():
    ran, w = [], ember.ones(2, requires_grad=True)

    def hook(grad):
        engine.queue_callback(lambda: ran.append(1))
        raise ValueError("boom")
    y = w * 2
    y.register_hook(hook)
    with pytest.raises(ValueError, match="boom"):
        y.sum().backward()
    assert ran == [] and engine.STATE.callbacks == []
