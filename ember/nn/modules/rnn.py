"""Recurrent layers: RNNCell, LSTMCell, GRUCell, and multi-layer, bidirectional RNN, LSTM, GRU.

The layers project the whole input sequence in one matrix product per layer and
direction; only the recurrence h_t = f(x_t, h_{t-1}) walks over time. Both happen
inside one graph node per layer (ember/ops/recurrent.py: the cells' maths on
arrays, with backpropagation through time written out); a bidirectional layer's
node runs its two directions at once when a core is idle. A cell module is the
same for one step. Layers also take a
PackedSequence (nn.utils.rnn) of sequences of different lengths.
"""
import math
import warnings

from ... import creation
from ...ops.linalg import _same_dtype
from ...ops.recurrent import BidirectionalRecurrence, Recurrence
from ...ops.shape import cat
from .. import functional as F, init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _uniform_reset(module):
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


# ----------------------------------------------------------------------------
# cells: one time step
# ----------------------------------------------------------------------------
class RNNCellBase(Module):
    """What RNNCell, LSTMCell and GRUCell share (one step: the mode says which cell); isinstance checks name it."""

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

    def _step(self, input, hx):
        """One step: the input projection, then the recurrence for T = 1 (one graph node, as in the layers)."""
        x, states, batched = self._prepare(input, hx)
        if x._data.dtype != self.weight_ih._data.dtype:
            _same_dtype(x, self.weight_ih)  # (torch's error of the input projection's product)
        c0 = states[1] if self._mode == "LSTM" else None
        rows = Recurrence.apply(x.unsqueeze(0), self.weight_ih, self.bias_ih, states[0], c0, self.weight_hh,
                                self.bias_hh, None, self._mode, False, False)
        n = x.shape[0]  # rows: output, h', (c'), n rows each
        new = (rows[n:2 * n], rows[2 * n:]) if self._mode == "LSTM" else (rows[n:],)
        return new if batched else tuple(s[0] for s in new)

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
                h = creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
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


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        # op by op: four nodes, cheaper here than the fused step (which wins for the gated cells)
        x, (h,), batched = self._prepare(input, hx)
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        h = pre.tanh() if self.nonlinearity == "tanh" else pre.relu()
        return h if batched else h[0]


class LSTMCell(RNNCellBase):
    """(h', c') from gates i, f, g, o: c' = f c + i g, h' = o tanh(c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, dtype)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return self._step(input, hx if hx is not None else (None, None))


class GRUCell(RNNCellBase):
    """h' = (1 - z) n + z h with reset gate r, update gate z and candidate n."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, dtype)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def forward(self, input, hx=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return self._step(input, hx)[0]


# ----------------------------------------------------------------------------
# layers: whole sequences, stacked and bidirectional
# ----------------------------------------------------------------------------
class RNNBase(Module):
    """What RNN, LSTM and GRU share (a whole sequence, layers and directions: the mode says which cell)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None, proj_size=0):
        super().__init__()
        self._mode = mode
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if num_layers < 1:
            raise ValueError("num_layers must be greater than or equal to 1")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be greater than zero, got {hidden_size!r}")
        if not isinstance(proj_size, int) or isinstance(proj_size, bool):
            raise TypeError(f"proj_size should be of type int, got: {type(proj_size).__name__}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=3)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        self.proj_size = proj_size  # (LSTM: h is projected to proj_size by weight_hr before it is used or output)
        directions = 2 if bidirectional else 1
        gates = _GATES[self._mode] * hidden_size
        state_size = proj_size or hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else state_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + suffix, Parameter(creation.empty(gates, layer_input, dtype=dtype)))
                setattr(self, "weight_hh" + suffix, Parameter(creation.empty(gates, state_size, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(creation.empty(gates, dtype=dtype)))
                    setattr(self, "bias_hh" + suffix, Parameter(creation.empty(gates, dtype=dtype)))
                if proj_size:
                    setattr(self, "weight_hr" + suffix, Parameter(creation.empty(proj_size, hidden_size, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise the parameters again, as the constructor did."""
        _uniform_reset(self)

    def flatten_parameters(self):
        """A no-op, for PyTorch programs that call it (it arranges cuDNN's memory there)."""

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda name: getattr(self, name + suffix) if name.startswith("weight") or self.bias else None  # noqa
        return (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                get("weight_hr") if self.proj_size else None)

    def _initial_states(self, hx, batch, dtype, batched):
        """The zero state, or the caller's (checked): (num_layers * directions, N, hidden) per state (h is
        proj_size wide in an LSTM with projections)."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        n_states = 2 if self._mode == "LSTM" else 1
        if hx is None:
            return []  # the recurrence starts from zeros
        states = list(hx) if self._mode == "LSTM" else [hx]
        if len(states) != n_states:
            raise RuntimeError(f"{type(self).__name__} expects its hidden state as {'(h_0, c_0)' if n_states == 2 else 'h_0'}")
        checked = []
        for s, size in zip(states, (self.proj_size or self.hidden_size, self.hidden_size)):
            expected = (layers, batch, size)
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
        packed = isinstance(input, PackedSequence)
        if packed:  # run on the packed data: step t on the first batch_sizes[t] (still running) sequences
            batch_sizes = [int(n) for n in input.batch_sizes.numpy()]
            x, batched = input.data, True
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
            batched, batch_sizes = input.ndim == 3, None
            x = input if batched else input.unsqueeze(1)  # (batch-first x stays so: see _layers)
        if x._data.dtype != self.weight_ih_l0._data.dtype:
            raise ValueError(f"RNN input dtype ({x.dtype}) does not match weight dtype ({self.weight_ih_l0.dtype}). "
                             f"Convert input: input.to({self.weight_ih_l0.dtype}), or convert model: "
                             f"model.to({x.dtype})")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {x.shape[-1]}")
        batch_first = batched and self.batch_first and not packed
        states = self._initial_states(hx, batch_sizes[0] if packed else x.shape[0 if batch_first else 1], x.dtype,
                                      batched)
        if packed and input.sorted_indices is not None and hx is not None:
            states = [s.index_select(1, input.sorted_indices) for s in states]  # the caller's order -> sorted
        x, finals = self._layers(x, states, batch_sizes, batch_first)
        if packed:
            output = input._with_data(x)
            if input.unsorted_indices is not None:
                finals = [f.index_select(1, input.unsorted_indices) for f in finals]
        else:
            output = x
            if not batched:
                output, finals = output.squeeze(1), [f.squeeze(1) for f in finals]
        return output, (tuple(finals) if self._mode == "LSTM" else finals[0])

    def _layers(self, x, states, batch_sizes, batch_first):
        """Every layer and direction over time-major x (T, N, F), batch-first x (N, T, F), or packed data (sum of
        lengths, F) with its batch_sizes: (last layer's output, shaped as x, [h_n(, c_n)] stacked). Each layer's
        op takes and gives x's layout, so batch-first x is never transposed here."""
        directions = 2 if self.bidirectional else 1
        lstm = self._mode == "LSTM"
        total = x.shape[0] * x.shape[1] if batch_sizes is None else sum(batch_sizes)
        batch = batch_sizes[0] if batch_sizes is not None else x.shape[0] if batch_first else x.shape[1]
        finals = [[], []] if lstm else [[]]
        for layer in range(self.num_layers):
            args = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                index = layer * directions + direction
                h0 = states[0][index] if states else None
                c0 = (states[1][index] if states else None) if lstm else None
                args.append((w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr))
            if directions == 2:  # both directions as one node (they run at once: see BidirectionalRecurrence)
                flat = BidirectionalRecurrence.apply(x, *args[0], *args[1], batch_sizes, self._mode, batch_first)
                width = self.proj_size or self.hidden_size
                rows, h_end = total * 2 * width, 2 * (total + batch) * width
                out = flat[:rows].view(*((total,) if batch_sizes is not None else x.shape[:2]), 2 * width)
                ends = [flat[rows:h_end].view(2, batch, width)] + ([flat[h_end:].view(2, batch, self.hidden_size)]
                                                                   if lstm else [])
            else:
                w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr = args[0]
                plain = (x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, self._mode, False, batch_first)
                if w_hr is None:
                    rows = Recurrence.apply(*plain)
                    out, ends = rows[:total], [rows[total:total + batch]] + ([rows[total + batch:]] if lstm else [])
                else:  # one flat array (see Recurrence): outputs and h_n proj_size wide, c_n hidden wide
                    flat = Recurrence.apply(*plain, w_hr)
                    p, rows = self.proj_size, total + batch
                    out, ends = flat[:total * p].reshape(total, p), [flat[total * p:rows * p].reshape(batch, p),
                                                                     flat[rows * p:].reshape(batch, -1)]
                ends = [end.unsqueeze(0) for end in ends]  # (1, N, H): the layers' are stacked by a cat
                # (sizes spelled out, not -1: with a batch of 0 the -1 would be ambiguous)
                out = out if batch_sizes is not None else out.reshape(x.shape[0], x.shape[1], out.shape[-1])
            x = out
            for keep, end in zip(finals, ends):
                keep.append(end)
            if self.dropout and self.training and layer < self.num_layers - 1:
                # torch draws the mask over the time-major output (and over the packed rows, for packed input)
                x = F.dropout(x.transpose(0, 1).contiguous(), self.dropout, True).transpose(0, 1) if batch_first else \
                    F.dropout(x, self.dropout, True)
        return x, [f[0] if len(f) == 1 else cat(f) for f in finals]

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
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


def _no_projection(module, options):
    """torch's refusal of proj_size (any value) for RNN and GRU; any other unknown keyword is a TypeError."""
    if "proj_size" in options:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if options:
        raise TypeError(f"{type(module).__name__}.__init__() got an unexpected keyword argument '{next(iter(options))}'")


class RNN(RNNBase):
    """A multi-layer Elman RNN with tanh or relu, over a whole sequence."""
    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **options):
        _no_projection(self, options)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """A multi-layer long short-term memory network, over a whole sequence (proj_size > 0: each step's h is
    (o tanh c) projected by weight_hr to proj_size, and that is what the next step, the next layer and the output
    see)."""
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
                         proj_size)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)


class GRU(RNNBase):
    """A multi-layer gated recurrent unit network, over a whole sequence."""
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, **options):
        _no_projection(self, options)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)
