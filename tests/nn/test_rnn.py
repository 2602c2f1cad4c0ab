"""Recurrent layers against torch from the same weights; and they learn."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_module_parity, sample

RNN_LAYERS = {
    "rnncell": (lambda lib: lib.nn.RNNCell(4, 3), [(2, 4), (2, 3)]),
    "rnncell_relu_nobias": (lambda lib: lib.nn.RNNCell(4, 3, bias=False, nonlinearity="relu"), [(2, 4)]),
    "rnncell_unbatched": (lambda lib: lib.nn.RNNCell(4, 3), [(4,)]),
    "grucell": (lambda lib: lib.nn.GRUCell(4, 3), [(2, 4), (2, 3)]),
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
