"""ember.autograd.graph against torch.autograd.graph: saved tensors hooks, Node, increment_version, multi-grad hooks.

Each test runs the same program on both libraries. What ember's ops save can differ from torch's: for the ops
below (a * b, pow, exp, sin, matmul, the activations...) the pack/unpack counts are torch's, but some fused ops
save fewer tensors than torch's chain of kernels: F.cross_entropy packs 1 tensor in ember, 4 in torch (log_softmax's
result, the target, the weights' total...), F.layer_norm 1 in ember, 3 in torch (input, mean, rstd). The tests
compare only programs whose saved sets agree.
"""
import threading

import numpy as np
import pytest
import torch

import ember


def _leaves(lib, *values):
    return [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]


def _counting(log):
    """A pack/unpack pair that records each call and keeps the tensor itself (as the tutorial's first example)."""
    def pack(t):
        log.append(("pack", tuple(t.shape), t.grad_fn.name() if t.grad_fn is not None else None))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape), t.grad_fn.name() if t.grad_fn is not None else None))
        return t
    return pack, unpack


A, B = [0.5, -1.0, 2.0], [1.5, 2.0, -3.0]

PROGRAMS = {  # the tutorial's cases, and a few beside them
    "mul": lambda lib, a, b: a * b,
    "mul_nonleaf": lambda lib, a, b: a * (b * 2),
    "square_self": lambda lib, a, b: a * a,
    "pow": lambda lib, a, b: a.pow(2),
    "exp": lambda lib, a, b: a.exp(),
    "sin": lambda lib, a, b: a.sin(),
    "scalar_mul": lambda lib, a, b: a * 2.0,  # saves nothing, in torch as in ember
    "chain": lambda lib, a, b: (a.exp() * b).sin().pow(2),
    "matmul": lambda lib, a, b: a.reshape(1, 3) @ b.reshape(3, 1),
    "div": lambda lib, a, b: (a * 2) / b.exp(),
    "mul_constant": lambda lib, a, b: lib.tensor(B, dtype=lib.float64) * a,  # torch saves only the constant
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_pack_and_unpack_are_called_as_torchs(name):
    results = []
    for lib in (ember, torch):
        log = []
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            y = PROGRAMS[name](lib, a, b)
        packed = len(log)
        y.sum().backward()
        results.append((log, packed, y.detach().numpy(), a.grad.numpy(), None if b.grad is None else b.grad.numpy()))
    (elog, epacked, *evalues), (tlog, tpacked, *tvalues) = results
    assert elog == tlog and epacked == tpacked
    for e, t in zip(evalues, tvalues):
        np.testing.assert_allclose(e, t, rtol=1e-12) if t is not None else None


def test_the_tutorials_example_packs_a_leaf_and_a_non_leaf_in_torchs_order():
    logs = []
    for lib in (ember, torch):
        log = []
        a = lib.ones(5, requires_grad=True)
        b = lib.ones(5, requires_grad=True) * 2
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            y = a * b
        y.sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), [2.0] * 5)
        logs.append(log)
    # torch saves the other factor first (the one self's gradient needs), and unpacks in that order
    assert logs[0] == logs[1] == [("pack", (5,), "MulBackward0"), ("pack", (5,), None),
                                  ("unpack", (5,), "MulBackward0"), ("unpack", (5,), None)]


def _numpy_hooks(lib):
    return (lambda t: t.detach().numpy().copy()), (lambda array: lib.tensor(array))


def _scaled_tuple_hooks(lib):
    return (lambda t: ("scaled", t.detach() * 4)), (lambda packed: packed[1] / 4)


@pytest.mark.parametrize("hooks", [_numpy_hooks, _scaled_tuple_hooks])
def test_pack_may_return_anything_that_unpack_turns_back_into_the_tensor(hooks):
    grads = []
    for lib in (ember, torch):
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.saved_tensors_hooks(*hooks(lib)):
            y = PROGRAMS["chain"](lib, a, b)
        y.sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_a_double_backward_differentiates_through_unpacked_non_leaves():
    grads = []
    for lib in (ember, torch):
        (a,) = _leaves(lib, A)
        h = a.exp()
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = (h.sin() * h).sum()
        (g,) = lib.autograd.grad(y, a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        grads.append((g.detach().numpy(), gg.numpy()))
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_nested_blocks_use_the_innermost_pair_and_the_outer_one_again_after():
    logs = []
    for lib in (ember, torch):
        log = []
        outer = (lambda t: log.append("outer pack") or t), (lambda t: log.append("outer unpack") or t)
        inner = (lambda t: log.append("inner pack") or t), (lambda t: log.append("inner unpack") or t)
        (a,) = _leaves(lib, A)
        with lib.autograd.graph.saved_tensors_hooks(*outer):
            with lib.autograd.graph.saved_tensors_hooks(*inner):
                y = a.sin()
            z = y.exp()
        (z.sum() + y.sum()).backward()
        logs.append(log)
    assert logs[0] == logs[1]
    assert logs[0][:2] == ["inner pack", "outer pack"]


def _custom_function(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * x * x * y

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * 3 * x * x * y, grad * x * x * x
    return Cube


def test_a_custom_functions_save_for_backward_goes_through_the_hooks():
    results = []
    for lib in (ember, torch):
        log = []
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            y = _custom_function(lib).apply(a, b)
        y.sum().backward()
        results.append(([entry[0] for entry in log], a.grad.numpy(), b.grad.numpy()))
    assert results[0][0] == results[1][0] == ["pack", "pack", "unpack", "unpack"]
    for e, t in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_a_node_recorded_outside_the_block_keeps_no_hooks():
    logs = []
    for lib in (ember, torch):
        log = []
        (a,) = _leaves(lib, A)
        before = a.sin()
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            inside = a.exp()
        after = a.cos()
        (before + inside + after).sum().backward()
        logs.append(log)
    assert logs[0] == logs[1] == [("pack", (3,), "ExpBackward0"), ("unpack", (3,), "ExpBackward0")]


def test_pack_runs_with_grad_mode_off_so_what_it_computes_is_not_recorded():
    seen = []
    for lib in (ember, torch):
        (a,) = _leaves(lib, A)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: seen.append(lib.is_grad_enabled()) or t * 1,
                                                   lambda t: t):
            a.sin()
    assert seen == [False, False]


@pytest.mark.parametrize("switch", ["no_grad", "inference_mode"])
def test_nothing_is_packed_where_nothing_is_recorded(switch):
    for lib in (ember, torch):
        log = []
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)), getattr(lib, switch)():
            a * b
            a.exp()
        c = lib.tensor(A)  # nothing requires grad: nothing is recorded either
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            c.exp()
        assert log == []


def test_backward_with_retain_graph_unpacks_again_each_time_then_refuses_once_freed():
    counts = []
    for lib in (ember, torch):
        log = []
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            y = (a * b).exp().sum()
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
        y.backward()
        counts.append(sum(entry[0] == "unpack" for entry in log))
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
    assert counts[0] == counts[1] == 9  # three saved tensors, three passes


def test_an_unpack_hook_that_returns_no_tensor_is_refused_with_torchs_error():
    messages = []
    for lib in (ember, torch):
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda packed: 3):
            y = a * b
        with pytest.raises(TypeError) as error:
            y.sum().backward()
        messages.append(str(error.value))
    assert messages[0] == messages[1] == ("Output of saved tensor unpack_hook expected to be a Tensor but got "
                                          "result of type int")


def test_hooks_are_per_thread():
    for lib in (ember, torch):
        log = []
        (a,) = _leaves(lib, A)
        with lib.autograd.graph.saved_tensors_hooks(*_counting(log)):
            thread = threading.Thread(target=lambda: a.exp())
            thread.start()
            thread.join()
            assert log == []  # the other thread's node was recorded without them
            a.exp()
        assert len(log) == 1


def test_disable_saved_tensors_hooks_refuses_them_with_the_given_message():
    for lib in (ember, torch):
        graph = lib.autograd.graph
        with graph.disable_saved_tensors_hooks("no hooks in here"):
            with pytest.raises(RuntimeError, match="^no hooks in here$"):
                with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
            with pytest.raises(RuntimeError, match="^no hooks in here$"):
                with graph.save_on_cpu():
                    pass
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again after the block
            with pytest.raises(RuntimeError, match="^already open$"):  # and refused where hooks are open
                with graph.disable_saved_tensors_hooks("already open"):
                    pass


def test_save_on_cpu_gives_torchs_gradients():
    grads = []
    for lib in (ember, torch):
        a, b = _leaves(lib, A, B)
        with lib.autograd.graph.save_on_cpu():
            y = PROGRAMS["chain"](lib, a, b)
        y.sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-12)
    for lib in (ember, torch):
        hooks = lib.autograd.graph.save_on_cpu()
        assert isinstance(hooks, lib.autograd.graph.saved_tensors_hooks)
        t = lib.tensor(A)
        device, host = hooks.pack_hook(t)  # the device to go back to, and the tensor on the host
        assert device == t.device and host.device.type == "cpu"
        np.testing.assert_array_equal(hooks.unpack_hook((device, host)).numpy(), A)


def test_node_is_what_every_grad_fn_is():
    for lib in (ember, torch):
        Node = lib.autograd.graph.Node
        a, b = _leaves(lib, A, B)
        y = _custom_function(lib).apply(a * b, b)
        assert isinstance(y.grad_fn, Node)  # a custom Function's node
        assert isinstance((a * b).grad_fn, Node)  # a built-in op's
        assert isinstance(y.grad_fn.next_functions[1][0], Node)  # the AccumulateGrad of leaf b
        assert not isinstance(y, Node) and not isinstance(None, Node) and not isinstance(a.grad_fn, Node)


def test_increment_version_makes_a_backward_that_needs_the_old_value_fail():
    for lib in (ember, torch):
        (a,) = _leaves(lib, A)
        y = a.sin()
        assert a._version == 0
        lib.autograd.graph.increment_version(a)
        assert a._version == 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        lib.autograd.graph.increment_version([a, a])
        assert a._version == 3


def test_saved_tensors_hooks_skip_the_version_check_as_torchs_do():
    for lib in (ember, torch):
        (a,) = _leaves(lib, A)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = a.sin()
        lib.autograd.graph.increment_version(a)
        y.sum().backward()  # no error: with hooks, torch cannot follow the versions either
        np.testing.assert_allclose(a.grad.numpy(), np.cos(A), rtol=1e-12)


def _flags(calls):
    return lambda grads: calls.append([g is not None for g in grads])


def test_multi_grad_hook_all_sees_each_reached_gradient_once_per_backward():
    calls = {}
    for lib in (ember, torch):
        log = calls[lib.__name__] = []
        a, b = _leaves(lib, [[0.5, 1.0]], [[2.0, -1.0]])
        c, d = a * b, a * b
        handle = lib.autograd.graph.register_multi_grad_hook((a, b, c, d), _flags(log))
        c.sum().backward(retain_graph=True)
        (c.sum() + d.sum()).backward(retain_graph=True)
        handle.remove()
        c.sum().backward()
    assert calls["ember"] == calls["torch"] == [[True, True, True, False], [True, True, True, True]]


def test_multi_grad_hook_all_passes_the_gradients():
    grads = []
    for lib in (ember, torch):
        seen = []
        a, b = _leaves(lib, A, B)
        lib.autograd.graph.register_multi_grad_hook((a, b), seen.append)
        (a * b * b).sum().backward()
        assert len(seen) == 1 and type(seen[0]) is list  # (torch passes a list)
        grads.append([g.numpy() for g in seen[0]])
    for e, t in zip(*grads):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_multi_grad_hook_any_runs_on_the_first_gradient_only():
    calls = {}
    for lib in (ember, torch):
        log = calls[lib.__name__] = []
        a, b = _leaves(lib, A, B)
        h = a * 3
        handle = lib.autograd.graph.register_multi_grad_hook((a, h), lambda g: log.append(g.numpy().tolist()),
                                                             mode="any")
        (h * b).sum().backward(retain_graph=True)  # h's gradient (b) comes first: a's is made from it
        (h * b).sum().backward(retain_graph=True)
        handle.remove()
        (h * b).sum().backward()
    assert calls["ember"] == calls["torch"] == [B, B]


def test_multi_grad_hook_refuses_an_unknown_mode():
    for lib in (ember, torch):
        (a,) = _leaves(lib, A)
        with pytest.raises(ValueError, match=r"Expects mode to be one of \('all', 'any'\) but got some"):
            lib.autograd.graph.register_multi_grad_hook((a,), print, mode="some")


def test_a_nodes_prehook_sees_and_may_replace_its_output_gradient_until_removed():
    grads = []
    for lib in (ember, torch):
        seen = []
        (a,) = _leaves(lib, A)
        b = a.clone() * 1
        handle = b.grad_fn.register_prehook(lambda g: seen.append(len(g)) or (g[0] * 2,))
        leaf = b.grad_fn.next_functions[0][0].next_functions[0][0]  # clone's input: a's AccumulateGrad
        leaf_handle = leaf.register_prehook(lambda g: (g[0] + 1,))
        b.sum().backward(retain_graph=True)
        grads.append(a.grad.numpy().copy())
        handle.remove()
        leaf_handle.remove()
        a.grad = None
        b.sum().backward()
        grads.append(a.grad.numpy().copy())
        assert seen == [1]
    np.testing.assert_array_equal(grads[0], [3.0] * 3)
    np.testing.assert_array_equal(grads[1], [1.0] * 3)
    np.testing.assert_array_equal(grads[0], grads[2])
    np.testing.assert_array_equal(grads[1], grads[3])
