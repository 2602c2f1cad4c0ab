"""Recurrent layers: RNNCell, LSTMCell, GRUCell, and multi-layer, bidirectional RNN, LSTM, GRU.

Each cell's step is one small function below, shared by the cell modules and
the full layers. The full layers project the whole input sequence in one
matrix product per layer and direction; only the recurrence h_t = f(x_t, h_{t-1})
walks over time. Autograd handles the rest: backpropagation through time is
just backward through the unrolled graph.
"""
import math

from ... import creation
from ...ops.shape import cat, stack
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module


def rnn_step(gi, h, w_hh, b_hh, nonlinearity):
    pre = gi + F.linear(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def lstm_step(gi, state, w_hh, b_hh):
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, -1)  # input, forget, cell, output gates
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_step(gi, h, w_hh, b_hh):
    gh = F.linear(h, w_hh, b_hh)
    r_i, z_i, n_i = gi.chunk(3, -1)
    r_h, z_h, n_h = gh.chunk(3, -1)
    r, z = (r_i + r_h).sigmoid(), (z_i + z_h).sigmoid()  # reset and update gates
    n = (n_i + r * n_h).tanh()
    return (1 - z) * n + z * h


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _uniform_reset(module):
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


# ----------------------------------------------------------------------------
# cells: one time step
# ----------------------------------------------------------------------------
class _CellBase(Module):
    def __init__(self, mode, input_size, hidden_size, bias=True, dtype=None):
        super().__init__()
        self._mode = mode
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = _GATES[self._mode] * hidden_size
        self.weight_ih = Parameter(creation.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise the parameters again, as the constructor did."""
        _uniform_reset(self)

    def _prepare(self, input, hx):
        """Check shapes before computing; accept unbatched (features,) inputs as PyTorch does."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        states = hx if isinstance(hx, tuple) else (hx,)
        checked = []
        for i, h in enumerate(states):
            if h is None:
                h = creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            else:
                if not batched:
                    h = h.unsqueeze(0)
                if tuple(h.shape) != (input.shape[0], self.hidden_size):
                    raise RuntimeError(f"hidden{i} has inconsistent shape: expected {[input.shape[0], self.hidden_size]}"
                                       f", got {list(h.shape) if batched else list(h.shape[1:])}")
            checked.append(h)
        return input, checked, batched

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(_CellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH", input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        x, (h,), batched = self._prepare(input, hx)
        h = rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h[0]


class LSTMCell(_CellBase):
    """(h', c') from gates i, f, g, o: c' = f c + i g, h' = o tanh(c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, dtype)

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        x, (h, c), batched = self._prepare(input, hx if hx is not None else (None, None))
        h, c = lstm_step(F.linear(x, self.weight_ih, self.bias_ih), (h, c), self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h[0], c[0])


class GRUCell(_CellBase):
    """h' = (1 - z) n + z h with reset gate r, update gate z and candidate n."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, dtype)

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        x, (h,), batched = self._prepare(input, hx)
        h = gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h[0]


# ----------------------------------------------------------------------------
# layers: whole sequences, stacked and bidirectional
# ----------------------------------------------------------------------------
class _RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__()
        self._mode = mode
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if num_layers < 1:
            raise ValueError("num_layers must be greater than or equal to 1")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        directions = 2 if bidirectional else 1
        gates = _GATES[self._mode] * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + suffix, Parameter(creation.empty(gates, layer_input, dtype=dtype)))
                setattr(self, "weight_hh" + suffix, Parameter(creation.empty(gates, hidden_size, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(creation.empty(gates, dtype=dtype)))
                    setattr(self, "bias_hh" + suffix, Parameter(creation.empty(gates, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise the parameters again, as the constructor did."""
        _uniform_reset(self)

    def flatten_parameters(self):
        """A no-op, for PyTorch programs that call it (it arranges cuDNN's memory there)."""

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda name: getattr(self, name + suffix) if name.startswith("weight") or self.bias else None  # noqa
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _step(self, gi, state, w_hh, b_hh):
        return rnn_step(gi, state, w_hh, b_hh, "relu" if self._mode == "RNN_RELU" else "tanh")

    def _initial_states(self, hx, batch, dtype, batched):
        """The zero state, or the caller's (checked): (num_layers * directions, N, hidden) per state."""
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        n_states = 2 if self._mode == "LSTM" else 1
        if hx is None:
            return [creation.zeros(*expected, dtype=dtype) for _ in range(n_states)]
        states = list(hx) if self._mode == "LSTM" else [hx]
        if len(states) != n_states:
            raise RuntimeError(f"{type(self).__name__} expects its hidden state as {'(h_0, c_0)' if n_states == 2 else 'h_0'}")
        checked = []
        for s in states:
            if not batched:
                if s.ndim != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {s.ndim}-D tensor")
                s = s.unsqueeze(1)
            if tuple(s.shape) != expected:
                raise RuntimeError(f"Expected hidden size {expected}, got {list(s.shape if batched else s.shape[::2])}")
            checked.append(s)
        return checked

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # time first inside
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {x.shape[-1]}")
        states = self._initial_states(hx, x.shape[1], x.dtype, batched)
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                index = layer * directions + direction
                state = tuple(s[index] for s in states) if self._mode == "LSTM" else states[0][index]
                projected = F.linear(x, w_ih, b_ih)  # every time step's input, in one matrix product
                steps = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
                hs = [None] * x.shape[0]
                for t in steps:
                    state = self._step(projected[t], state, w_hh, b_hh)
                    hs[t] = state[0] if self._mode == "LSTM" else state
                outputs.append(stack(hs))
                for keep, final in zip(finals, state if self._mode == "LSTM" else (state,)):
                    keep.append(final)
            x = cat(outputs, 2) if directions == 2 else outputs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if batched and self.batch_first else x
        finals = [stack(f) for f in finals]
        if not batched:
            output, finals = output.squeeze(1), [f.squeeze(1) for f in finals]
        return output, (tuple(finals) if self._mode == "LSTM" else finals[0])

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """A multi-layer Elman RNN with tanh or relu, over a whole sequence."""
    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTM(_RNNBase):
    """A multi-layer long short-term memory network, over a whole sequence."""
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)

    def _step(self, gi, state, w_hh, b_hh):
        return lstm_step(gi, state, w_hh, b_hh)


class GRU(_RNNBase):
    """A multi-layer gated recurrent unit network, over a whole sequence."""
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)

    def _step(self, gi, state, w_hh, b_hh):
        return gru_step(gi, state, w_hh, b_hh)
