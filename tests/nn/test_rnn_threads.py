"""A bidirectional layer's two directions run at once on an idle core (BidirectionalRecurrence over
_threads.spread): the same bits as one after the other, and torch's numbers."""
import threading
import time

import numpy as np
import pytest
import torch

import ember
from ember import _threads
from ember.ops import recurrent
from helpers import assert_same, copy_module, sample

from .test_rnn import test_double_backward_through_a_layer_matches_torch as _double_backward_parity


class _Seen(set):
    """The threads that ran a direction's forward or backward. While ``meet`` is True, each forward waits (up to a
    minute) until a second thread has run one too: the helper thread takes its direction however slowly a loaded
    machine wakes it, instead of this thread taking both first (which a fixed sleep could not rule out)."""
    meet = False

    def add_and_meet(self, forward):
        self.add(threading.get_ident())
        deadline = time.monotonic() + 60
        while forward and self.meet and len(self) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)


def _threads_used(monkeypatch):
    """Record the threads that run a direction's forward and backward (see _Seen)."""
    seen = _Seen()
    forward, backward = recurrent._forward, recurrent._backward

    def watched_forward(*args):
        seen.add_and_meet(True)
        return forward(*args)

    def watched_backward(*args):
        seen.add_and_meet(False)
        return backward(*args)

    monkeypatch.setattr(recurrent, "_forward", watched_forward)
    monkeypatch.setattr(recurrent, "_backward", watched_backward)
    return seen


def _idle_machine(monkeypatch, together_from=0):
    """As if three cores were idle, four intra-op threads allowed, and (by default) any layer large enough."""
    monkeypatch.setattr(_threads, "idle_cores", lambda: 3.0)
    monkeypatch.setattr(_threads, "_intended_threads", lambda: 4)
    monkeypatch.setattr(recurrent, "TOGETHER_FROM", together_from)


def _run(kind, options, x, hx, packed_lengths=None):
    """Outputs, final states and every gradient of a seeded bidirectional layer, as arrays."""
    ember.manual_seed(0)
    layer = getattr(ember.nn, kind)(x.shape[-1], 5, bidirectional=True, **options).to(ember.tensor(x).dtype)
    xs = ember.tensor(x, requires_grad=True)
    states = [ember.tensor(h, requires_grad=True) for h in hx]
    state = None if not states else (tuple(states) if kind == "LSTM" else states[0])
    inputs = xs if packed_lengths is None else ember.nn.utils.rnn.pack_padded_sequence(xs, packed_lengths,
                                                                                        enforce_sorted=False)
    out, h_n = layer(inputs, state)
    out = out if packed_lengths is None else ember.nn.utils.rnn.pad_packed_sequence(out)[0]
    finals = list(h_n) if kind == "LSTM" else [h_n]
    rng = np.random.default_rng(3)
    loss = sum((t * ember.tensor(rng.normal(size=tuple(t.shape)).astype(x.dtype))).sum() for t in [out] + finals)
    loss.backward()
    return [t.detach().numpy().copy() for t in [out] + finals + [xs.grad] + [s.grad for s in states] +
            [p.grad for p in layer.parameters()]]


CASES = [
    ("GRU", dict(num_layers=2), None),
    ("LSTM", dict(batch_first=True), None),
    ("RNN", dict(num_layers=2, nonlinearity="relu"), None),
    ("LSTM", dict(num_layers=2, proj_size=3), None),
    ("GRU", dict(num_layers=2), [7, 3, 5, 1]),  # packed, unsorted: sequences start and stop at different steps
    ("LSTM", dict(), [7, 3, 5, 1]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind, options, lengths", CASES)
@pytest.mark.parametrize("with_state", [False, True])
def test_two_directions_at_once_give_the_bits_of_one_after_the_other(monkeypatch, dtype, kind, options, lengths,
                                                                      with_state):
    batch_first = options.get("batch_first", False)
    x = sample((4, 7, 6) if batch_first else (7, 4, 6)).astype(dtype)
    layers = options.get("num_layers", 1)
    width = options.get("proj_size") or 5
    hx = [sample((2 * layers, 4, size)).astype(dtype) for size in ([width, 5] if kind == "LSTM" else [5])] \
        if with_state else []
    monkeypatch.setattr(_threads, "idle_cores", lambda: 0.0)
    seen = _threads_used(monkeypatch)
    alone = _run(kind, options, x, hx, lengths)
    assert len(seen) == 1
    _idle_machine(monkeypatch)
    seen.clear()
    seen.meet = True
    together = _run(kind, options, x, hx, lengths)
    # the reverse direction ran on a helper thread: two threads at least, as the pool's size (grown by earlier tests)
    # decides whether the forward's and the backward's helper are the same thread
    assert len(seen) >= 2
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_small_layers_keep_to_one_thread(monkeypatch):
    """Below TOGETHER_FROM gate values a step, two threads would only take turns (NumPy keeps the GIL)."""
    _idle_machine(monkeypatch, recurrent.TOGETHER_FROM)
    seen = _threads_used(monkeypatch)
    _run("GRU", {}, sample((7, 4, 6)).astype(np.float32), [])  # 4 x 15 gate values a step
    assert len(seen) == 1
    monkeypatch.setattr(recurrent, "TOGETHER_FROM", 4 * 15)
    seen.clear()
    seen.meet = True
    _run("GRU", {}, sample((7, 4, 6)).astype(np.float32), [])
    assert len(seen) >= 2  # (as above: the forward's and the backward's helper may be two pool threads)


def test_two_directions_at_once_match_torch(monkeypatch):
    _idle_machine(monkeypatch)
    torch.manual_seed(0)
    t_layer = torch.nn.GRU(4, 5, num_layers=2, bidirectional=True).double()
    e_layer = copy_module(t_layer, ember.nn.GRU(4, 5, num_layers=2, bidirectional=True).double())
    x = sample((6, 3, 4))
    results = []
    for lib, layer in ((ember, e_layer), (torch, t_layer)):
        xs = lib.tensor(x, requires_grad=True)
        out, h_n = layer(xs)
        ((out * out).sum() + (h_n * h_n).sum()).backward()
        results.append([out, h_n, xs.grad] + [p.grad for p in layer.parameters()])
    for e, t in zip(*results):
        assert_same(e, t, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_double_backward_through_both_directions_stays_on_the_callers_thread(monkeypatch, kind):
    """create_graph=True builds a graph, which is per thread: that backward runs both directions here, and a
    gradient penalty still equals torch's on a machine where the directions would otherwise share the cores."""
    _idle_machine(monkeypatch)
    _double_backward_parity(kind)


def test_work_spread_over_threads_keeps_one_blas_thread_each(monkeypatch):
    """A large product inside spread's work must not raise BLAS's thread count while the other thread computes."""
    _idle_machine(monkeypatch)
    blas = _threads._numpy_blas()
    counts = []

    def work(i):
        _threads.threads_for(2 ** 40)  # (a product far above SPLIT_MACS)
        counts.append(blas.num_threads if blas else 1)
        return i

    _threads.threads_for(2 ** 40)  # (from all of BLAS's threads)
    assert _threads.spread(work, [0, 1, 2, 3]) == [0, 1, 2, 3]
    assert counts == [1] * 4
    assert not _threads._Split.held
