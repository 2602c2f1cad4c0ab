"""Recurrent layers against torch from the same weights; and they learn."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_module_parity, copy_module, sample

RNN_LAYERS = {
    "rnncell": (lambda lib: lib.nn.RNNCell(4, 3), [(2, 4), (2, 3)]),
    "rnncell_relu_nobias": (lambda lib: lib.nn.RNNCell(4, 3, bias=False, nonlinearity="relu"), [(2, 4)]),
    "rnncell_unbatched": (lambda lib: lib.nn.RNNCell(4, 3), [(4,)]),
    "grucell": (lambda lib: lib.nn.GRUCell(4, 3), [(2, 4), (2, 3)]),
    "grucell_no_state_no_bias": (lambda lib: lib.nn.GRUCell(4, 3, bias=False), [(2, 4)]),
    "grucell_unbatched": (lambda lib: lib.nn.GRUCell(4, 3), [(4,), (3,)]),
    "lstmcell_no_state": (lambda lib: lib.nn.LSTMCell(4, 3), [(2, 4)]),
    "lstmcell_unbatched_no_bias": (lambda lib: lib.nn.LSTMCell(4, 3, bias=False), [(4,)]),
    "rnn": (lambda lib: lib.nn.RNN(4, 3), [(5, 2, 4)]),
    "rnn_relu_2layers": (lambda lib: lib.nn.RNN(4, 3, num_layers=2, nonlinearity="relu"), [(5, 2, 4), (2, 2, 3)]),
    "rnn_batch_first_bidirectional": (lambda lib: lib.nn.RNN(4, 3, batch_first=True, bidirectional=True),
                                      [(2, 5, 4)]),
    "rnn_unbatched": (lambda lib: lib.nn.RNN(4, 3, num_layers=2), [(5, 4)]),
    "gru": (lambda lib: lib.nn.GRU(4, 3, num_layers=2), [(6, 2, 4)]),
    "gru_bidirectional_h0": (lambda lib: lib.nn.GRU(4, 3, bidirectional=True, batch_first=True), [(2, 5, 4),
                                                                                                    (2, 2, 3)]),
}


@pytest.mark.parametrize("name", RNN_LAYERS)
def test_rnn_layers_match_torch(name):
    make, shapes = RNN_LAYERS[name]

    def wrapped(lib):
        class Output(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = make(lib)

            def forward(self, *args):
                out = self.inner(*args)
                if isinstance(out, tuple):  # RNN/GRU: (output, h_n); LSTM: (output, (h_n, c_n))
                    output, hidden = out
                    return lib.cat([output.flatten(), hidden.flatten()])
                return out
        return Output()
    check_module_parity(wrapped, [sample(s) for s in shapes])


@pytest.mark.parametrize("options", [dict(), dict(num_layers=2), dict(bidirectional=True, batch_first=True),
                                     dict(num_layers=2, bidirectional=True, bias=False)])
def test_lstm_matches_torch_with_and_without_initial_state(options):
    for with_state in (False, True):
        def wrapped(lib):
            class Output(lib.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.inner = lib.nn.LSTM(4, 3, **options)

                def forward(self, x, *state):
                    out, (h, c) = self.inner(x, tuple(state) if state else None)
                    return lib.cat([out.flatten(), h.flatten(), c.flatten()])
            return Output()
        layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
        x_shape = (2, 5, 4) if options.get("batch_first") else (5, 2, 4)
        shapes = [x_shape] + ([(layers, 2, 3)] * 2 if with_state else [])
        check_module_parity(wrapped, [sample(s) for s in shapes])


def test_lstmcell_matches_torch():
    def wrapped(lib):
        class Output(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = lib.nn.LSTMCell(4, 3)

            def forward(self, x, h, c):
                h2, c2 = self.inner(x, (h, c))
                return lib.cat([h2.flatten(), c2.flatten()])
        return Output()
    check_module_parity(wrapped, [sample((2, 4)), sample((2, 3)), sample((2, 3))])


def test_parameter_names_and_shapes_match_torch():
    for make in (lambda lib: lib.nn.LSTM(5, 4, num_layers=2, bidirectional=True),
                 lambda lib: lib.nn.GRU(3, 2, bias=False), lambda lib: lib.nn.GRUCell(3, 6)):
        e = [(n, tuple(p.shape)) for n, p in make(ember).named_parameters()]
        t = [(n, tuple(p.shape)) for n, p in make(torch).named_parameters()]
        assert e == t


def test_hello_to_ohlol_rnn_learns_the_mapping():
    """The course exercise: read 'hello' one character at a time and output 'ohlol'."""
    ember.manual_seed(2)  # PyTorch's stream: from seed 0 (or 1) PyTorch's RNN settles on 'ohlll' too
    chars = ["e", "h", "l", "o"]
    x = ember.nn.functional.one_hot(ember.tensor([chars.index(c) for c in "hello"]), 4).float().unsqueeze(1)
    y = ember.tensor([chars.index(c) for c in "ohlol"])
    rnn = ember.nn.RNN(input_size=4, hidden_size=4, num_layers=1)
    optimizer = ember.optim.Adam(rnn.parameters(), lr=0.1)
    for _ in range(300):  # the hidden state is the output, as in the course: tanh caps the logits, so be patient
        optimizer.zero_grad()
        out, _ = rnn(x)
        loss = ember.nn.functional.cross_entropy(out.view(-1, 4), y)
        loss.backward()
        optimizer.step()
    out, _ = rnn(x)
    assert "".join(chars[i] for i in out.view(-1, 4).argmax(1).tolist()) == "ohlol"


@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
def test_lstm_and_gru_learn_to_add_a_sequence(layer):
    """A small sequence task: predict the running sum of the inputs (needs memory)."""
    ember.manual_seed(1)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (64, 8, 1)).astype(np.float32)
    y = np.cumsum(x, axis=1)
    model = getattr(ember.nn, layer)(1, 16, batch_first=True)
    head = ember.nn.Linear(16, 1)
    optimizer = ember.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=0.02)
    xs, ys = ember.tensor(x), ember.tensor(y)
    first = None
    for _ in range(150):
        optimizer.zero_grad()
        out, _ = model(xs)
        loss = ember.nn.functional.mse_loss(head(out), ys)
        loss.backward()
        optimizer.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.05 * first and loss.item() < 0.02


def test_rnn_dropout_between_layers_trains_and_is_inert_in_eval():
    from helpers import copy_module
    torch.manual_seed(0)
    t_lstm = torch.nn.LSTM(4, 6, num_layers=3, dropout=0.5).double()
    e_lstm = copy_module(t_lstm, ember.nn.LSTM(4, 6, num_layers=3, dropout=0.5).double())
    x = sample((5, 2, 4))
    e_lstm.eval(), t_lstm.eval()
    np.testing.assert_allclose(e_lstm(ember.tensor(x))[0].detach().numpy(), t_lstm(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-9)
    e_lstm.train()
    ember.manual_seed(3)
    trained = e_lstm(ember.tensor(x))[0]
    assert not np.allclose(trained.detach().numpy(), e_lstm.eval()(ember.tensor(x))[0].detach().numpy())


# ---- the fused recurrence: every configuration against torch, finite differences, double backward ----------
def _layer_parity(kind, options, with_state, steps=5, batch=3, size=4, hidden=3, atol=1e-9):
    """Output, h_n (and c_n) and every gradient (input, h0, c0, each weight and bias) equal torch's."""
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, kind)(size, hidden, **options).double()
    e_layer = copy_module(t_layer, getattr(ember.nn, kind)(size, hidden, **options).double())
    states = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    x = sample((batch, steps, size) if options.get("batch_first") else (steps, batch, size))
    hx = [sample((states, batch, hidden)) for _ in range(2 if kind == "LSTM" else 1)] if with_state else []
    results = []
    for lib, layer in ((ember, e_layer), (torch, t_layer)):
        inputs = [lib.tensor(a, requires_grad=True) for a in [x] + hx]
        state = None if not hx else (tuple(inputs[1:]) if kind == "LSTM" else inputs[1])
        out, h_n = layer(inputs[0], state)
        finals = list(h_n) if kind == "LSTM" else [h_n]
        rng = np.random.default_rng(5)
        loss = sum((t * lib.tensor(rng.normal(size=tuple(t.shape)))).sum() for t in [out] + finals)
        loss.backward()
        results.append(([out] + finals, [t.grad for t in inputs], dict(layer.named_parameters())))
    (e_vals, e_grads, e_params), (t_vals, t_grads, t_params) = results
    for e, t in zip(e_vals, t_vals):
        assert_same(e, t, atol=atol)
    for i, (e, t) in enumerate(zip(e_grads, t_grads)):
        assert_same(e, t, atol=atol, what=f"gradient of input {i}")
    for name, p in e_params.items():
        assert_same(p.grad, t_params[name].grad, atol=atol, what=f"{name} gradient")


CONFIGURATIONS = [dict(), dict(num_layers=2), dict(bidirectional=True), dict(batch_first=True),
                  dict(num_layers=3, bidirectional=True, batch_first=True), dict(bias=False),
                  dict(num_layers=2, bidirectional=True, bias=False)]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("options", CONFIGURATIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
def test_recurrent_layers_values_states_and_every_gradient_match_torch(kind, options, with_state):
    _layer_parity(kind, options, with_state)


@pytest.mark.parametrize("options", [dict(), dict(num_layers=2, bidirectional=True)])
def test_relu_rnn_and_single_step_and_long_sequences_match_torch(options):
    _layer_parity("RNN", dict(options, nonlinearity="relu"), True)
    for kind in ("LSTM", "GRU"):
        _layer_parity(kind, options, True, steps=1)
        _layer_parity(kind, options, False, steps=40, batch=1, atol=1e-8)


def test_recurrent_layers_float32_match_torch():
    torch.manual_seed(0)
    t_layer = torch.nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    e_layer = copy_module(t_layer, ember.nn.LSTM(4, 5, num_layers=2, bidirectional=True))
    x = sample((6, 2, 4)).astype(np.float32)
    e_out, (e_h, e_c) = e_layer(ember.tensor(x))
    t_out, (t_h, t_c) = t_layer(torch.tensor(x))
    assert e_out.dtype == ember.float32
    for e, t in ((e_out, t_out), (e_h, t_h), (e_c, t_c)):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=1e-6)


def _recurrence(mode, reverse, masked, lstm_state=True, batch_first=False):
    """The fused op alone, on float64 leaves: x, w_ih, b_ih, h0, (c0), w_hh, b_hh; masked: packed x, lengths 4, 2,
    1; batch_first: x (batch, steps, features)."""
    from ember.ops.recurrent import Recurrence
    gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode] * 3
    rng = np.random.default_rng(2)
    steps, batch, hidden, features = 4, 3, 3, 2
    batch_sizes = [3, 2, 1, 1] if masked else None  # lengths 4, 2, 1 (sorted, as packing makes them)
    x_shape = (sum(batch_sizes), features) if masked else (batch, steps, features) if batch_first else (
        steps, batch, features)
    arrays = [rng.normal(size=x_shape), rng.normal(size=(gates, features)), rng.normal(size=gates),
              rng.normal(size=(batch, hidden))]
    arrays += [rng.normal(size=(batch, hidden))] if mode == "LSTM" and lstm_state else []
    arrays += [rng.normal(size=(gates, hidden)) * 0.5, rng.normal(size=gates)]
    if mode == "RNN_RELU":
        arrays[2] += 0.3  # keep pre-activations away from relu's kink for finite differences
    leaves = [ember.tensor(a, requires_grad=True) for a in arrays]

    def run(*xs):
        x, w_ih, b_ih, h0, *rest = xs
        c0 = rest.pop(0) if mode == "LSTM" and lstm_state else None
        w_hh, b_hh = rest
        return Recurrence.apply(x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, batch_first)
    return run, leaves


MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_recurrence_gradcheck(mode, reverse, masked):
    run, leaves = _recurrence(mode, reverse, masked)
    assert ember.autograd.gradcheck(run, leaves)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_batch_first_gradcheck(mode, reverse):
    """Batch-first x goes in and its outputs come out in x's order; the loop inside is time-major."""
    run, leaves = _recurrence(mode, reverse, False, batch_first=True)
    assert ember.autograd.gradcheck(run, leaves)
    assert ember.autograd.gradgradcheck(run, leaves)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("masked", [False, True])
def test_recurrence_double_backward_gradgradcheck(mode, masked):
    run, leaves = _recurrence(mode, True, masked)
    assert ember.autograd.gradgradcheck(run, leaves)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_double_backward_through_a_layer_matches_torch(kind):
    """create_graph=True: the gradient's own gradient (a gradient penalty) equals torch's."""
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True).double()
    e_layer = copy_module(t_layer, getattr(ember.nn, kind)(3, 4, num_layers=2, bidirectional=True).double())
    x = sample((5, 2, 3))
    results = []
    for lib, layer in ((ember, e_layer), (torch, t_layer)):
        xs = lib.tensor(x, requires_grad=True)
        out, _ = layer(xs)
        (gx,) = lib.autograd.grad((out * out).sum(), xs, create_graph=True)
        (gx * gx).sum().backward()
        results.append([xs.grad] + [p.grad for p in layer.parameters()])
    for e, t in zip(*results):
        assert_same(e, t, atol=1e-8)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layer_graph_is_one_node_per_layer(bidirectional):
    """One node per layer and direction; a bidirectional layer's two directions are one node (they run at once)."""
    lstm = ember.nn.LSTM(3, 4, num_layers=2, bidirectional=bidirectional)
    out, _ = lstm(ember.randn(7, 2, 3))
    names, stack_ = [], [out.grad_fn]
    seen = set()
    while stack_:
        node = stack_.pop()
        if node is None or id(node) in seen or isinstance(node, ember.Tensor):
            continue
        seen.add(id(node))
        names.append(node.name())
        stack_.extend(e for e in node._next)
    name = "BidirectionalRecurrenceBackward0" if bidirectional else "RecurrenceBackward0"
    assert names.count(name) == 2 and len(set(names) & {"RecurrenceBackward0", "BidirectionalRecurrenceBackward0"}) == 1
    assert len(names) < 30  # not ~10 nodes per time step


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_empty_batch_gives_torch_shapes(kind, batch_first):
    """A batch of no sequences: outputs and final states of batch size 0, as torch's."""
    t_layer = getattr(torch.nn, kind)(3, 4, batch_first=batch_first)
    e_layer = getattr(ember.nn, kind)(3, 4, batch_first=batch_first)
    x = np.zeros((0, 5, 3) if batch_first else (5, 0, 3), np.float32)
    t_out, t_h = t_layer(torch.tensor(x))
    e_out, e_h = e_layer(ember.tensor(x))
    assert tuple(e_out.shape) == tuple(t_out.shape)
    for e, t in zip(e_h if kind == "LSTM" else [e_h], t_h if kind == "LSTM" else [t_h]):
        assert tuple(e.shape) == tuple(t.shape)


def test_recurrent_layer_errors_match_torch():
    lstm = ember.nn.LSTM(4, 3, num_layers=2)
    with pytest.raises(RuntimeError, match="input_size"):
        lstm(ember.randn(5, 2, 3))
    with pytest.raises(RuntimeError, match="hidden size"):
        lstm(ember.randn(5, 2, 4), (ember.zeros(1, 2, 3), ember.zeros(1, 2, 3)))
    with pytest.raises(ValueError, match="2D or 3D"):
        ember.nn.GRU(4, 3)(ember.randn(4))


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_in_a_loop_match_torch_with_double_backward(kind):
    """A cell stepped by hand over a sequence (the lectures' pattern); create_graph through every step."""
    torch.manual_seed(0)
    t_cell = getattr(torch.nn, kind)(3, 4).double()
    e_cell = copy_module(t_cell, getattr(ember.nn, kind)(3, 4).double())
    x, h0 = sample((5, 2, 3)), sample((2, 4))
    results = []
    for lib, cell in ((ember, e_cell), (torch, t_cell)):
        xs, h = lib.tensor(x, requires_grad=True), lib.tensor(h0, requires_grad=True)
        state = (h, h * 0.5) if kind == "LSTMCell" else h
        total = 0
        for t in range(5):
            state = cell(xs[t], state)
            total = total + ((state[0] * state[1]) if kind == "LSTMCell" else state * state).sum()
        (gx,) = lib.autograd.grad(total, xs, create_graph=True)
        (gx * gx).sum().backward()
        results.append([total, h.grad] + [p.grad for p in cell.parameters()])
    for e, t in zip(*results):
        assert_same(e, t, atol=1e-8)


@pytest.mark.parametrize("name", ["RNN", "GRU"])
@pytest.mark.parametrize("proj_size", [0, 5, -1])
def test_rnn_and_gru_refuse_proj_size_as_torch(name, proj_size):
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
            getattr(lib.nn, name)(10, 20, proj_size=proj_size)
        with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
            getattr(lib.nn, name)(10, 20, colour=1)


def test_recurrent_layers_and_cells_are_instances_of_torchs_bases():
    for lib in (ember, torch):
        assert all(isinstance(layer, lib.nn.RNNBase) for layer in (lib.nn.RNN(2, 3), lib.nn.LSTM(2, 3), lib.nn.GRU(2, 3)))
        assert all(isinstance(cell, lib.nn.RNNCellBase)
                   for cell in (lib.nn.RNNCell(2, 3), lib.nn.LSTMCell(2, 3), lib.nn.GRUCell(2, 3)))
        assert not isinstance(lib.nn.Linear(2, 3), (lib.nn.RNNBase, lib.nn.RNNCellBase))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_dropout_between_layers_draws_torchs_mask_in_either_layout(name, batch_first):
    # the rule: torch draws the inter-layer dropout over the time-major output (T, N, features), whatever the
    # input's layout, so a batch-first layer must draw it in that order too
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(7)
        layer = getattr(lib.nn, name)(3, 4, num_layers=3, dropout=0.5, batch_first=batch_first,
                                      bidirectional=True).double()
        x = lib.randn(2, 5, 3, dtype=lib.float64)
        out = layer(x)[0]
        out.sum().backward()
        outs.append((out.detach().numpy(), layer.weight_ih_l0.grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-10, atol=1e-12)
