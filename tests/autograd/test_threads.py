"""Autograd and threads: grad mode and inference mode are per thread, independent graphs run backward concurrently."""
import sys
import threading
import warnings

import numpy as np
import pytest
import torch
from torch.autograd import Variable

import ember
from ember.autograd import engine
from ember.autograd.grad_mode import GRAD_OFF, INFERENCE_ON
from tests import stress_threads

LIBS = [ember, torch]


def in_thread(fn, *args):
    """fn(*args) run in a new thread; its result (or its exception, re-raised here)."""
    box = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as error:  # noqa: BLE001 (handed to the caller)
            box["error"] = error
    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.parametrize("lib", LIBS, ids=["ember", "torch"])
def test_serving_under_no_grad_leaves_another_thread_recording(lib):
    """The issue's program, ordered by events instead of sleeps: training runs while the server is inside no_grad."""
    inside, trained, seen = threading.Event(), threading.Event(), {}

    def serve():
        with lib.no_grad():
            inside.set()
            trained.wait(10)
            seen["serving"] = lib.is_grad_enabled()

    def train():
        inside.wait(10)
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        seen["requires_grad"] = y.requires_grad
        y.sum().backward()
        seen["grad"] = x.grad.tolist()
        trained.set()
    threads = [threading.Thread(target=serve), threading.Thread(target=train)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"serving": False, "requires_grad": True, "grad": [2.0, 2.0]}


@pytest.mark.parametrize("lib", LIBS, ids=["ember", "torch"])
def test_a_new_thread_starts_with_grad_on_outside_inference_mode(lib):
    def look():
        x = lib.ones(2, requires_grad=True)
        y = x * 3
        return lib.is_grad_enabled(), lib.is_inference_mode_enabled(), y.requires_grad, y.is_inference()
    with lib.no_grad():
        assert in_thread(look) == (True, False, True, False)
    with lib.inference_mode():
        assert in_thread(look) == (True, False, True, False)
        assert lib.is_inference_mode_enabled() and lib.ones(1).is_inference()


@pytest.mark.parametrize("lib", LIBS, ids=["ember", "torch"])
def test_switches_made_in_a_thread_stay_in_it(lib):
    def switch_off():
        lib.set_grad_enabled(False)  # a plain call, never undone: the thread ends with grad off
        return lib.is_grad_enabled(), (lib.ones(1, requires_grad=True) * 2).requires_grad
    assert in_thread(switch_off) == (False, False)
    assert lib.is_grad_enabled()
    assert (lib.ones(1, requires_grad=True) * 2).requires_grad
    assert not lib.ones(1).is_inference()


def test_the_hot_paths_fast_flags_follow_every_switch():
    """GRAD_OFF / INFERENCE_ON let Op.apply and Tensor creation skip the thread-local read: they must be empty
    only when no thread has the switch on."""
    assert GRAD_OFF == [] and INFERENCE_ON == []
    with ember.no_grad():
        assert len(GRAD_OFF) == 1
        with ember.enable_grad():
            assert GRAD_OFF == []
        with ember.inference_mode():
            assert len(INFERENCE_ON) == 1
            with ember.inference_mode(False):
                assert INFERENCE_ON == [] and GRAD_OFF == []
        assert INFERENCE_ON == []
    assert GRAD_OFF == []
    w = ember.ones(2, requires_grad=True)
    (w * 2).sum().backward()  # the engine turns grad off for the pass, and back on
    assert GRAD_OFF == []
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError
    assert GRAD_OFF == []


def test_a_thread_that_ends_with_a_switch_on_gives_its_token_back():
    def leave_switched():
        ember.set_grad_enabled(False)
        ember.inference_mode().__enter__()  # never exited
        return len(GRAD_OFF), len(INFERENCE_ON)
    assert in_thread(leave_switched) == (1, 1)
    assert GRAD_OFF == [] and INFERENCE_ON == []


def test_a_thread_in_no_grad_makes_others_read_their_own_state():
    """While one thread has grad off, the others take the slow path, and it gives their own answer."""
    inside, done = threading.Event(), threading.Event()

    def hold():
        with ember.no_grad(), ember.inference_mode():
            inside.set()
            done.wait(10)
    t = threading.Thread(target=hold)
    t.start()
    inside.wait(10)
    try:
        assert GRAD_OFF and INFERENCE_ON
        x = ember.ones(2, requires_grad=True)
        y = x * 2
        assert y.requires_grad and not y.is_inference()
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
    finally:
        done.set()
        t.join()
    assert GRAD_OFF == [] and INFERENCE_ON == []


@pytest.mark.parametrize("lib,queue", [(ember, engine.queue_callback),
                                       (torch, Variable._execution_engine.queue_callback)], ids=["ember", "torch"])
def test_final_callbacks_belong_to_the_thread_running_the_backward(lib, queue):
    """A thread started by a hook is not inside the backward pass: it may not queue a callback to it."""
    seen = []

    def other_thread():
        with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass"):
            queue(lambda: None)
        return "refused"

    def hook(grad):
        seen.append(in_thread(other_thread))
        queue(lambda: seen.append("callback"))
    w = lib.ones(2, requires_grad=True)
    y = w * 2
    y.register_hook(hook)
    y.sum().backward()
    assert seen == ["refused", "callback"]


@pytest.mark.parametrize("lib", LIBS, ids=["ember", "torch"])
def test_concurrent_backward_on_independent_graphs(lib):
    """Eight threads, each its own graph with shared-weight-free leaves, backward at the same moment (torch's
    documented guarantee): each gets exactly the gradients it gets alone."""
    n = 8
    barrier = threading.Barrier(n)
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((6, 4)) for _ in range(n)]

    def work(i):
        x = lib.tensor(data[i], requires_grad=True)
        w = lib.tensor(data[(i + 1) % n].T.copy(), requires_grad=True)
        loss = (lib.tanh(x @ w) * x.sum(1, keepdim=True)).pow(2).mean()
        barrier.wait()
        loss.backward()
        return x.grad.numpy().copy(), w.grad.numpy().copy()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        results = [None] * n
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, work(i))) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    barrier = threading.Barrier(1)
    for i in range(n):
        alone = work(i)
        assert np.array_equal(results[i][0], alone[0]) and np.array_equal(results[i][1], alone[1])


def test_four_threads_training_four_models_equal_the_sequential_run_and_torch():
    """A CI-sized sample of tests/stress_threads.py (run it as a script for 1,000 repetitions)."""
    assert stress_threads.stress(ember, 3) == []
    ours, theirs = stress_threads.sequential(ember), stress_threads.sequential(torch)
    for (w, losses), (tw, tlosses) in zip(ours, theirs):
        np.testing.assert_allclose(losses, tlosses, rtol=1e-12)
        for a, b in zip(w, tw):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert stress_threads.stress(torch, 1) == []


def test_threads_drawing_from_the_shared_generator_lose_and_repeat_nothing():
    """The default generator is shared, as in torch: concurrent draws take every number exactly once. Small
    normals (torch's scalar path) come from one sequence of Box-Muller values however the calls split it, the
    odd one cached between calls; so the threads' draws together are the sequential draws, in some order."""
    n_threads, calls, size = 6, 40, 3
    ember.manual_seed(3)
    expected = np.concatenate([ember.randn(size, dtype=ember.float64).numpy() for _ in range(n_threads * calls)])
    ember.manual_seed(3)
    parts = [[] for _ in range(n_threads)]

    def draw(i):
        for _ in range(calls):
            parts[i].append(ember.randn(size, dtype=ember.float64).numpy())
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=draw, args=(i,)) for i in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    drawn = np.concatenate([a for p in parts for a in p])
    assert sorted(drawn.tolist()) == sorted(expected.tolist())


def _specials(lib):
    """Ops that compute inf and nan on purpose, as torch does: division by zero, log of 0 and of a negative,
    exp and sigmoid far out, 0 ** -1, a mean of nothing, logsumexp of -inf."""
    x = lib.tensor([-1000.0, -1.0, 0.0, 1000.0])
    empty = lib.zeros(0)
    values = [x / 0, lib.log(x), lib.exp(x), lib.sigmoid(x), x ** -1.0, x ** 0.5, lib.log1p(x - 1), empty.mean(),
              lib.logsumexp(lib.full((3,), float("-inf")), 0), lib.nn.functional.softplus(x, beta=0.0)]
    return [v.tolist() for v in values]


def test_ops_that_make_infs_and_nans_are_silent_in_every_thread():
    """NumPy keeps its error state per thread (a new thread starts warning): ember's specials stay silent in the
    thread that imported ember and in any other, with torch's values."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        here, there = _specials(ember), in_thread(_specials, ember)
        other = in_thread(lambda: (np.geterr()["divide"], _specials(ember)))
    expected = _specials(torch)
    assert other[0] == "warn"  # (the new thread does start with NumPy's defaults)
    for ours in (here, there, other[1]):
        for a, b in zip(ours, expected):  # (exp rounds an ulp apart from torch's in float32)
            np.testing.assert_allclose(np.array(a, float), np.array(b, float), rtol=1e-6)
