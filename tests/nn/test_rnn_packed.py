"""RNN/LSTM/GRU over a PackedSequence as torch runs them: step t on the batch_sizes[t] sequences still running,
inter-layer dropout over the packed rows (seeded: the same masks as torch), final states from each sequence's
last real step; against torch from the same seed: outputs, h_n/c_n and every gradient, float64 and float32,
enforce_sorted True/False, bidirectional, several layers, an initial state or none."""
import itertools

import numpy as np
import pytest
import torch

import ember

CASES = list(itertools.product(["RNN", "LSTM", "GRU"], [False, True], [1, 2, 3], [0.0, 0.4], [False, True]))


def _run(lib, kind, bidirectional, layers, dropout, enforce_sorted, lengths, x, h0, dtype, seed=0):
    lib.manual_seed(seed)
    layer = getattr(lib.nn, kind)(3, 4, num_layers=layers, dropout=dropout, bidirectional=bidirectional,
                                  dtype=getattr(lib, dtype))
    xt = lib.tensor(x, requires_grad=True)
    packed = lib.nn.utils.rnn.pack_padded_sequence(xt, lib.tensor(lengths), enforce_sorted=enforce_sorted)
    states = None
    leaves = []
    if h0 is not None:
        leaves = [lib.tensor(a, requires_grad=True) for a in h0]
        states = tuple(leaves) if kind == "LSTM" else leaves[0]
    out, finals = layer(packed, states)
    finals = finals if kind == "LSTM" else (finals,)
    padded, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(out)
    weights = lib.tensor(np.linspace(-1, 1, padded.numel()).reshape(tuple(padded.shape)).astype(dtype))
    loss = (padded * weights).sum() + sum((f * f).sum() for f in finals)
    loss.backward()
    return ([out.data.detach().numpy(), padded.detach().numpy(), out_lengths.numpy()]
            + [f.detach().numpy() for f in finals] + [xt.grad.numpy()] + [t.grad.numpy() for t in leaves]
            + [p.grad.numpy() for p in layer.parameters()])


@pytest.mark.filterwarnings("ignore:dropout option adds dropout")
@pytest.mark.parametrize("kind, bidirectional, layers, dropout, enforce_sorted", CASES)
def test_packed_recurrence_as_torch(kind, bidirectional, layers, dropout, enforce_sorted):
    rng = np.random.default_rng(layers * 10 + int(bidirectional))
    lengths = [5, 3, 3, 1] if enforce_sorted else [2, 5, 1, 3]
    x = rng.normal(size=(5, 4, 3))
    directions = 2 if bidirectional else 1
    h0 = None
    if layers != 2:  # an initial state too
        h0 = [rng.normal(size=(layers * directions, 4, 4)) for _ in range(2 if kind == "LSTM" else 1)]
    e, t = (_run(lib, kind, bidirectional, layers, dropout, enforce_sorted, lengths, x, h0, "float64")
            for lib in (ember, torch))
    assert len(e) == len(t)
    for i, (a, b) in enumerate(zip(e, t)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_packed_float32_and_batch_first_lengths(kind):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(7, 6, 3)).astype(np.float32)
    lengths = [7, 1, 4, 4, 2, 6]
    e, t = (_run(lib, kind, True, 2, 0.3, False, lengths, x, None, "float32", seed=5) for lib in (ember, torch))
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_padding_does_not_enter_the_computation():
    """What the padded positions hold cannot change anything: they are never read."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3, 3))
    lengths = [5, 2, 1]
    garbage = x.copy()
    garbage[2:, 1] = 1e300
    garbage[1:, 2] = np.nan
    results = [_run(ember, "LSTM", True, 2, 0.0, True, lengths, a, None, "float64") for a in (x, garbage)]
    for a, b in zip(results[0][:4], results[1][:4]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_double_backward_matches_torch(kind):
    """create_graph=True through a packed, bidirectional two-layer net: a gradient penalty equals torch's."""
    x = np.random.default_rng(6).normal(size=(4, 3, 3))
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        layer = getattr(lib.nn, kind)(3, 4, num_layers=2, bidirectional=True, dtype=lib.float64)
        xs = lib.tensor(x, requires_grad=True)
        packed = lib.nn.utils.rnn.pack_padded_sequence(xs, [4, 2, 3], enforce_sorted=False)
        out, _ = layer(packed)
        (gx,) = lib.autograd.grad((out.data * out.data).sum(), xs, create_graph=True)
        (gx * gx).sum().backward()
        results.append([xs.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()])
    for e, t in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-11)
