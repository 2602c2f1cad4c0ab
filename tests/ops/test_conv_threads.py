"""A convolution's chunks shared among threads on idle cores (_threads.spread): the same bits as one thread."""
import multiprocessing
import threading
import time

import numpy as np
import pytest

import ember
from ember import _threads


@pytest.fixture
def idle_machine(monkeypatch):
    """As if three cores were idle and four intra-op threads allowed: spread always shares."""
    monkeypatch.setattr(_threads, "idle_cores", lambda: 3.0)
    monkeypatch.setattr(_threads, "_intended_threads", lambda: 4)


def test_spread_keeps_the_order_and_uses_several_threads(idle_machine):
    seen = set()

    def work(i):
        seen.add(threading.get_ident())
        time.sleep(0.002 * (i % 3))  # (out of order finishing)
        return i * i

    assert _threads.spread(work, list(range(40))) == [i * i for i in range(40)]
    assert len(seen) > 1


def test_spread_raises_what_a_helper_raised(idle_machine):
    def work(i):
        if i == 7:
            raise ValueError("chunk 7")
        time.sleep(0.001)
        return i

    with pytest.raises(ValueError, match="chunk 7"):
        _threads.spread(work, list(range(20)))
    assert _threads.spread(lambda i: i, [1, 2, 3]) == [1, 2, 3]  # (the pool still works)


def _conv_run(x_data, groups, padding, stride):
    x = ember.tensor(x_data, requires_grad=True)
    ember.manual_seed(0)
    conv = ember.nn.Conv2d(x_data.shape[1], 12, 5, padding=padding, stride=stride, groups=groups).to(x.dtype)
    y = conv(x)
    (y * y).sum().backward()
    return [y.detach().numpy().copy(), x.grad.numpy().copy(), conv.weight.grad.numpy().copy()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups, padding, stride", [(1, 2, 1), (2, 0, 1), (1, 1, 2), (3, 0, 1)])
def test_conv_on_several_threads_gives_one_threads_bits(monkeypatch, dtype, groups, padding, stride):
    """Forward, input gradient (both routes) and weight gradient (summed over the chunks in their order)."""
    x = np.random.default_rng(1).standard_normal((96, 6, 14, 14)).astype(dtype)
    monkeypatch.setattr(ember.ops.conv, "CHUNK_BYTES", 2 ** 15)  # many chunks
    alone = _conv_run(x, groups, padding, stride)
    monkeypatch.setattr(_threads, "idle_cores", lambda: 3.0)
    monkeypatch.setattr(_threads, "_intended_threads", lambda: 4)
    shared = _conv_run(x, groups, padding, stride)
    for a, b in zip(alone, shared):
        assert a.tobytes() == b.tobytes()


def test_idle_cores_counts_other_processes_only(monkeypatch):
    """Busy seconds of the machine minus this process's own, over the window: what other processes take."""
    load = _threads._Load
    monkeypatch.setattr(load, "at", time.monotonic() - 1.0)
    monkeypatch.setattr(load, "busy", 100.0)
    monkeypatch.setattr(load, "own", 10.0)
    monkeypatch.setattr(_threads, "_busy_seconds", lambda: 101.5)  # 1.5 core-seconds in ~1 s ...
    monkeypatch.setattr(_threads.time, "process_time", lambda: 11.0)  # ... 1.0 of them this process's
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(_threads, "_cores", lambda: 4)
    idle = _threads.idle_cores()
    assert 2.4 < idle < 2.6  # 4 cores - 0.5 taken by others - this thread's own


def _child_conv(queue):
    try:
        x = np.random.default_rng(2).standard_normal((32, 4, 10, 10)).astype(np.float32)
        _threads.idle_cores = lambda: 3.0
        _threads._intended_threads = lambda: 2
        ember.ops.conv.CHUNK_BYTES = 2 ** 14
        queue.put([a.sum() for a in _conv_run(x, 1, 1, 1)])
    except BaseException as error:  # noqa: BLE001 (reported to the parent)
        queue.put(repr(error))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_forked_child_makes_its_own_threads(idle_machine, monkeypatch):
    """A child forked after the pool exists has its memory but not its threads: it must not wait on them."""
    monkeypatch.setattr(ember.ops.conv, "CHUNK_BYTES", 2 ** 14)
    _threads.spread(lambda i: i, list(range(8)))  # the pool exists now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_conv, args=(queue,))
    child.start()
    result = queue.get(timeout=60)
    child.join(10)
    assert not isinstance(result, str), result
    assert child.exitcode == 0
