"""LSTM(proj_size=P) against torch: h is (o tanh c) W_hr^T, P wide, fed back, output and passed to the next layer;
c stays hidden_size wide. Values, every gradient, packed and padded batches, directions, layers, states, repr,
parameters and torch's refusals; finite differences and double backward of the fused op."""
import numpy as np
import pytest
import torch

import ember
from ember.ops.recurrent import Recurrence

CONFIGS = [dict(num_layers=1), dict(num_layers=2), dict(num_layers=1, bidirectional=True),
           dict(num_layers=2, bidirectional=True, batch_first=True), dict(num_layers=2, bias=False)]


def _both(config, proj=2, hidden=5, features=3, dtype="float64"):
    t = torch.nn.LSTM(features, hidden, proj_size=proj, **config).to(getattr(torch, dtype))
    e = ember.nn.LSTM(features, hidden, proj_size=proj, **config).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


def _compare(got, want, tol):
    for g, w in zip(got, want):
        if g is None or w is None:
            assert g is None and w is None
            continue
        g = g.detach().numpy() if hasattr(g, "detach") else g
        w = w.detach().numpy() if hasattr(w, "detach") else w
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-6)])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_padded_batch(config, with_state, dtype, tol):
    e, t = _both(config, dtype=dtype)
    rng = np.random.default_rng(0)
    first = config.get("batch_first", False)
    x = rng.normal(size=(2, 4, 3) if first else (4, 2, 3))
    layers = config["num_layers"] * (2 if config.get("bidirectional") else 1)
    states = (rng.normal(size=(layers, 2, 2)), rng.normal(size=(layers, 2, 5)))
    results = []
    for lib, m in ((ember, e), (torch, t)):
        xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        hx = tuple(lib.tensor(s, dtype=getattr(lib, dtype), requires_grad=True) for s in states) if with_state \
            else None
        out, (h, c) = m(xt, hx)
        loss = (out * lib.cos(lib.arange(out.numel(), dtype=out.dtype)).reshape(out.shape)).sum() + \
            (h ** 2).sum() + (c * 0.5).sum()
        loss.backward()
        results.append([out, h, c, xt.grad] + ([s.grad for s in hx] if hx else []) +
                       [p.grad for p in m.parameters()])
    _compare(*results, tol)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_batch(bidirectional):
    e, t = _both(dict(num_layers=2, bidirectional=bidirectional))
    rng = np.random.default_rng(1)
    lengths = [5, 3, 2]
    x = rng.normal(size=(5, 3, 3))
    results = []
    for lib, m in ((ember, e), (torch, t)):
        xt = lib.tensor(x, requires_grad=True)
        packed = lib.nn.utils.rnn.pack_padded_sequence(xt, lengths)
        out, (h, c) = m(packed)
        padded, _ = lib.nn.utils.rnn.pad_packed_sequence(out)
        ((padded ** 2).sum() + h.sum() * 2 + (c ** 3).sum()).backward()
        results.append([padded, h, c, xt.grad] + [p.grad for p in m.parameters()])
    _compare(*results, 1e-12)


def test_unbatched_input_and_dropout_free_eval():
    e, t = _both(dict(num_layers=2, dropout=0.5))
    e.eval(), t.eval()
    x = np.random.default_rng(2).normal(size=(4, 3))
    _compare(e(ember.tensor(x))[0:1] + e(ember.tensor(x))[1], t(torch.tensor(x))[0:1] + t(torch.tensor(x))[1], 1e-12)


def test_parameters_printing_and_seeded_init_are_torchs():
    for lib in (ember, torch):
        lib.manual_seed(0)
    e = ember.nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True)
    t = torch.nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True)
    assert repr(e) == repr(t) == "LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)"
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    for (_, a), (_, b) in zip(e.named_parameters(), t.named_parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("kwargs", [dict(proj_size=-1), dict(proj_size=5), dict(proj_size=7)])
def test_refusals_as_torch(kwargs):
    for lib in (ember, torch):
        with pytest.raises(ValueError) as caught:
            lib.nn.LSTM(3, 5, **kwargs)
        if lib is ember:
            message = str(caught.value)
        else:
            assert str(caught.value) == message


def test_wrong_state_sizes_are_refused():
    e = ember.nn.LSTM(3, 5, proj_size=2)
    x = ember.zeros(4, 2, 3)
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        e(x, (ember.zeros(1, 2, 5), ember.zeros(1, 2, 5)))  # h must be proj_size wide
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        e(x, (ember.zeros(1, 2, 2), ember.zeros(1, 2, 2)))  # c stays hidden_size wide


@pytest.mark.parametrize("layout", ["time-major", "batch-first", "packed"])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_op_gradcheck_and_double_backward(layout, reverse):
    rng = np.random.default_rng(3)
    hidden, proj, batch, features = 3, 2, 3, 2
    batch_sizes = [3, 2, 1, 1] if layout == "packed" else None
    x_shape = {"packed": (7, features), "time-major": (4, batch, features), "batch-first": (batch, 4, features)}
    arrays = [rng.normal(size=x_shape[layout]), rng.normal(size=(4 * hidden, features)),
              rng.normal(size=4 * hidden), rng.normal(size=(batch, proj)), rng.normal(size=(batch, hidden)),
              rng.normal(size=(4 * hidden, proj)) * 0.5, rng.normal(size=4 * hidden), rng.normal(size=(proj, hidden))]
    leaves = [ember.tensor(a, requires_grad=True) for a in arrays]

    def run(x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr):
        return Recurrence.apply(x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, "LSTM", reverse,
                                layout == "batch-first", w_hr)
    assert ember.autograd.gradcheck(run, leaves)
    assert ember.autograd.gradgradcheck(run, leaves)
