"""The recurrence of RNN, LSTM and GRU layers as one graph node: forward through time, then back.

A recurrent layer computes, for t = 1..T,

    h_t = cell(x_t, h_{t-1})

The input's share of every step, x_t W_ih^T + b_ih, does not depend on h, so the
op computes it for all time steps in one matrix product first (gi below, time-major
rows (T * N, gates*H)). What is left is the recurrence itself, which must walk over
time. Written op by op it leaves ~10 graph nodes per step; here it is one node per
layer and direction: forward loops over time on arrays, and backward runs
backpropagation through time (BPTT) on arrays. Batch-first x (N, T, features) comes
in and its outputs go out in that order; only the loop inside is time-major.

BPTT, step by step. The loss depends on h_t in two ways: through the output at t
(the gradient arriving from above, grad[t]) and through h_{t+1}, which was
computed from h_t. So, walking back from the last step:

    dh_t   = grad[t] + (the part of dh_{t+1} that flows into h_t)
    dgates = dh_t x (the cell's local derivatives at step t)     # needs what forward saved
    dh_{t-1} gets dgates W_hh                                   # h_{t-1} entered through h W_hh^T

and every step used the same W_hh and b_hh, so their gradients are sums over steps:

    dW_hh = sum_t dgates_t^T h_{t-1},   db_hh = sum_t dgates_t

Those sums need no loop: stack the dgates of all steps and the h_{t-1} of all
steps and one matrix product does it. dgi is the stack of dgates itself, and the
input projection's own backward (a matrix product again) turns it into the
gradients of x, W_ih and b_ih. The final states h_n (and the LSTM's c_n) are
outputs too: their gradients start the walk.

Each cell's local derivatives are written out beside its forward below. The
forward and the backward are written once, over a small set of maths (`_ON_ARRAYS`
or `_ON_TENSORS`): on arrays for speed, and, when backward itself must be
differentiable (create_graph=True), the same code runs on Tensors, with the forward
replayed from the saved inputs so that every quantity is a function of them.

Packed sequences (sequences of different lengths, sorted longest first) run as torch runs them: x holds only
the real steps, time-major (packed data), and step t updates the first batch_sizes[t] rows of the state, the
sequences still running; the others keep theirs. So padding costs nothing, each sequence's final state is the
one at its own last step, and a reverse pass starts every sequence from h0 at its own last step (its rows join
the loop when it starts). A plain batch is the case batch_sizes[t] = N for every t.
"""
from functools import cache
from itertools import accumulate, repeat

import numpy as np

from .._backend import get_array_module
from .._threads import spread, threads_for
from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import Tensor, _wrap


def _sigmoid(a, out=None):
    s = np.multiply(a, 0.5, out=out)  # = 1 / (1 + e^-a) as tanh(a / 2) / 2 + 1 / 2: never overflows, and four
    np.tanh(s, out=s)  # array ops instead of five (in place: s is new, or out)
    s *= 0.5
    s += 0.5
    return s


class _ON_ARRAYS:
    tanh, add, mul, matmul = np.tanh, np.add, np.multiply, np.matmul  # (ufuncs themselves: no call in between)
    sigmoid = staticmethod(_sigmoid)
    relu = staticmethod(lambda a, out=None: np.maximum(a, 0, out=out))
    t = staticmethod(lambda a: a.T)
    swap01 = staticmethod(lambda a: a.swapaxes(0, 1))
    copy = staticmethod(lambda a: a.copy())
    cat = np.concatenate  # (as the ufuncs, it hands GPU arrays to their own module: __array_function__)
    stack = staticmethod(lambda arrays, axis=0: get_array_module(*arrays).stack(arrays, axis))
    constant = staticmethod(lambda a: a)
    data = staticmethod(lambda a: a)
    contiguous = staticmethod(lambda a: get_array_module(a).ascontiguousarray(a))


class _ON_TENSORS:  # (out= is for arrays: a Tensor result is new, and its steps are stacked by a cat)
    tanh = staticmethod(lambda a, out=None: a.tanh())
    sigmoid = staticmethod(lambda a, out=None: a.sigmoid())
    relu = staticmethod(lambda a, out=None: a.relu())
    add = staticmethod(lambda a, b, out=None: a + b)
    mul = staticmethod(lambda a, b, out=None: a * b)
    matmul = staticmethod(lambda a, b, out=None: a @ b)
    t = staticmethod(lambda a: a.transpose(1, 0))
    swap01 = staticmethod(lambda a: a.transpose(0, 1))
    copy = staticmethod(lambda a: a.clone())
    cat = staticmethod(lambda parts, axis=0: _shape().cat(parts, axis))
    stack = staticmethod(lambda parts: _shape().stack(parts))
    constant = staticmethod(_wrap)
    data = staticmethod(lambda t: t._data)
    contiguous = staticmethod(lambda t: t.contiguous())


class _Stacks:
    """Values of every step stacked as packed rows (total, width), one stack per width: on arrays each step
    writes its rows in place (out=, see each_step), which saves a cat of all the steps afterwards; on Tensors
    (where nothing is written in place) the steps are kept and stacked by one cat each at the end."""

    def __init__(self, m, like, total, widths):
        self.arrays = m is _ON_ARRAYS
        if self.arrays:
            xp = get_array_module(like)
            self.stacks = [xp.empty((total, w), like.dtype) for w in widths]
        else:
            self.steps, self.count = {}, len(widths)

    def each_step(self, rows):
        """Where each step's values go, for the steps' rows in the loop's order: views of the stacks' rows
        (arrays), or Nones (Tensors: their results are new)."""
        if not self.arrays or not self.stacks:
            return repeat((None,) * (0 if self.arrays else self.count))
        return _each_step(self.stacks, rows)

    def keep(self, t, values):  # (Tensors only)
        self.steps[t] = values

    def stacked(self):
        if self.arrays:
            return self.stacks
        return [_ON_TENSORS.cat(list(x)) for x in zip(*(self.steps[t] for t in sorted(self.steps)))]


def _shape():
    from . import shape
    return shape


def _each_step(arrays, rows):
    """Each step's rows of these arrays (or Tensors), a tuple a step, for the steps' rows in the loop's order:
    made by map and zip as the loop asks for them, with no Python code a step."""
    return zip(*[map(a.__getitem__, rows) for a in arrays])


# ---- the cells ------------------------------------------------------------------------------------------
# Each cell has three parts, the widths of what it keeps and the columns it reads:
#   forward(m, gi_t, h, c, w_t, b_hh, mode, cols, out) -> (new h, new c, what backward needs from this step);
#       cols are _columns(mode, hidden), out where this step's values go (see _Stacks.each_step): one row block
#       per width in saved_widths, then the new h
#   local(m, saved, outputs, previous, c_previous, mode) -> the cell's local derivatives for all steps at once,
#       from the stacks of saved values, outputs, h_{t-1} and (LSTM) c_{t-1}, as packed rows: a few array ops in
#       total instead of a few per step, so the backward loop is left with only what must be sequential
#   back(m, dh, dc, local, w_hh, out) -> (d gi_t, d gh_t (the h W_hh^T product's gradient), the gradient
#       flowing into h_{t-1}, the gradient flowing into c_{t-1}), from the gradients of the new state; local is
#       step t's rows of the local derivatives, out where d gi_t (and the GRU's d gh_t) go
#   saved_widths(hidden): the widths of the stacks forward writes
#   _columns(mode, hidden): the index tuples [:, a hidden:b hidden] the cell's steps pick gates by, made once a
#       size (a slice built in the step would cost more Python than the ufunc call that uses it)

def _rnn_forward(m, gi_t, h, c, w_t, b_hh, mode, cols, out):
    a = gi_t + h @ w_t  # (b_hh was folded into gi)
    h_new = m.tanh(a, out=out[0]) if mode == "RNN_TANH" else m.relu(a, out=out[0])
    return h_new, None, ()


def _rnn_local(m, saved, outputs, previous, c_previous, mode):
    h = outputs
    return (1 - h * h,) if mode == "RNN_TANH" else (h > 0,)  # tanh' = 1 - tanh^2; relu' = 1 where positive


def _rnn_back(m, dh, dc, local, w_hh, out):
    da = m.mul(dh, local[0], out=out[0])
    return da, da, da @ w_hh, None  # h_{t-1} entered the step as h_{t-1} W_hh^T


def _lstm_halves(gi):
    """(4H,): 0.5 for the i, f, o quarters, 1 for g. sigmoid(a) = tanh(a / 2) / 2 + 1 / 2, so with the i, f, o
    pre-activations halved once before the loop (exact: a power of two), one tanh per step serves all four gates."""
    hidden = gi.shape[-1] // 4
    half = get_array_module(gi).full(4 * hidden, 0.5, gi.dtype)
    half[2 * hidden:3 * hidden] = 1
    return half


def _lstm_forward(m, gi_t, h, c, w_t, b_hh, mode, cols, out):
    t_out, s_out, c_out, tc_out, h_out = out
    i_cols, f_cols, g_cols, o_cols = cols
    a = gi_t + h @ w_t  # i, f, g, o side by side (b_hh folded into gi; i, f, o halved: see _lstm_halves)
    t = m.tanh(a, out=t_out)
    # sigmoid of i, f, o (g's quarter is wasted: one call beats three on small arrays); g is t's quarter
    s = m.add(m.mul(t, 0.5, out=s_out), 0.5, out=s_out)
    c_new = m.add(s[f_cols] * c, s[i_cols] * t[g_cols], out=c_out)
    tc = m.tanh(c_new, out=tc_out)
    return m.mul(s[o_cols], tc, out=h_out), c_new, (t, s, c_new, tc)


def _lstm_local(m, saved, outputs, previous, c_prev, mode):
    t, s, _, tc = saved
    hidden = tc.shape[-1]
    i, f, o, g = s[..., :hidden], s[..., hidden:2 * hidden], s[..., 3 * hidden:], t[..., 2 * hidden:3 * hidden]
    # h = o tanh(c): dc gets dh o (1 - tanh^2 c). c = f c_prev + i g, and each gate has its own nonlinearity
    # (sigmoid' = s (1 - s), tanh' = 1 - t^2): d gates = [dc, dc, dc, dh] x these factors
    factors = m.cat([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], -1)
    return o * (1 - tc * tc), factors, f


def _lstm_back(m, dh, dc, local, w_hh, out):
    dc_from_h, factors, f = local
    dc = dc + dh * dc_from_h
    da = m.mul(m.cat([dc, dc, dc, dh], 1), factors, out=out[0])
    return da, da, da @ w_hh, dc * f  # h_{t-1} entered as h_{t-1} W_hh^T, c_prev entered c as f c_prev


def _gru_forward(m, gi_t, h, c, w_t, b_hh, mode, cols, out):
    rz_out, n_out, gh_out, h_out = out
    rz_cols, n_cols, r_cols, z_cols = cols
    gh = m.matmul(h, w_t, out=gh_out)
    if b_hh is not None:
        gh = m.add(gh, b_hh, out=gh_out)
    rz = m.sigmoid(gi_t[rz_cols] + gh[rz_cols], out=rz_out)  # reset and update gates
    r, z = rz[r_cols], rz[z_cols]
    n = m.tanh(gi_t[n_cols] + r * gh[n_cols], out=n_out)  # the candidate
    return m.add(n, z * (h - n), out=h_out), None, (rz, n, gh)  # h' = (1 - z) n + z h


def _gru_local(m, saved, outputs, previous, c_previous, mode):
    rz, n, gh = saved
    hidden = n.shape[-1]
    r, z, gh_n = rz[..., :hidden], rz[..., hidden:], gh[..., 2 * hidden:]
    dn = (1 - z) * (1 - n * n)  # h' = (1-z) n + z h, then n = tanh(pre_n): d pre_n = dh dn
    dr = dn * gh_n * r * (1 - r)  # pre_n holds r gh_n, and r = sigmoid(pre_r)
    dz = (previous - n) * z * (1 - z)
    # gi's n-part enters pre_n directly; gh's n-part is multiplied by r first
    return m.cat([dr, dz, dn], -1), m.cat([dr, dz, dn * r], -1), z


def _gru_back(m, dh, dc, local, w_hh, out):
    to_gi, to_gh, z = local
    dh3 = m.cat([dh, dh, dh], 1)
    d_gi, d_gh = m.mul(dh3, to_gi, out=out[0]), m.mul(dh3, to_gh, out=out[1])
    # h_{t-1} entered the step twice: as h_{t-1} W_hh^T, and directly in h' = (1 - z) n + z h
    return d_gi, d_gh, d_gh @ w_hh + dh * z, None


_CELLS = {"RNN_TANH": (_rnn_forward, _rnn_local, _rnn_back), "RNN_RELU": (_rnn_forward, _rnn_local, _rnn_back),
          "LSTM": (_lstm_forward, _lstm_local, _lstm_back), "GRU": (_gru_forward, _gru_local, _gru_back)}
_SAVED_WIDTHS = {"RNN_TANH": lambda hidden: (), "RNN_RELU": lambda hidden: (),
                 "LSTM": lambda hidden: (4 * hidden, 4 * hidden, hidden, hidden),
                 "GRU": lambda hidden: (2 * hidden, hidden, 3 * hidden)}


_SPANS = {"LSTM": ((0, 1), (1, 2), (2, 3), (3, 4)),  # i, f, g, o (in hidden-wide blocks)
          "GRU": ((0, 2), (2, 3), (0, 1), (1, 2))}  # r and z, n (of the 3 gates); r, z (of rz's 2)


@cache
def _columns(mode, hidden):
    """The cell's columns: [:, a hidden:b hidden] for each (a, b) of its spans, as index tuples."""
    return tuple((slice(None), slice(a * hidden, b * hidden)) for a, b in _SPANS.get(mode, ()))


def _steps(batch_sizes, reverse):
    """The order the forward loop visits the steps in, as three lists: the steps t, the slices of their rows in
    the packed gi, and the numbers of sequences running at them. Made once by forward and kept for BPTT, which
    walks them backwards; built by map, no Python code a step. batch_sizes is a list of Python ints (the callers
    make it one), so nothing here needs converting."""
    offsets = list(accumulate(batch_sizes, initial=0))  # (a NumPy cumsum of a short list costs more)
    order = [list(range(len(batch_sizes))), list(map(slice, offsets, offsets[1:])), list(batch_sizes)]
    return [part[::-1] for part in order] if reverse else order


def _running(m, state, n, start, done):
    """The state rows of the n sequences running at this step. Sequences only stop (forward in time: the rows
    that stopped are set aside in done, in row order from the back) or only start (backward in time: their
    rows come from start, h0 or the final states' gradient)."""
    have = state.shape[0]
    if have > n:
        done.append(state[n:])
        return state[:n]
    return m.cat([state, start[have:n]]) if have < n else state


def _all_rows(m, state, done):
    """The rows still running followed by those set aside: the state of every sequence."""
    return m.cat([state] + done[::-1]) if done else state


def _run(m, x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, w_hr=None):
    """The forward loop over packed (time-major) rows x: returns (the outputs' stack, final h, final c, the
    stacks of the saved values, each step's previous h rows, each step's previous c rows (LSTM)). With w_hr (an
    LSTM's proj_size), the h carried on and output is the projection (o tanh c) W_hr^T."""
    step = _CELLS[mode][0]
    hidden = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1)
    threads_for(x.shape[0] * w_ih.shape[0] * w_ih.shape[1])
    gi = m.matmul(x, m.t(w_ih))  # every step's input share x_t W_ih^T + b_ih, in one product (new: changed in
    for b in (b_ih, b_hh if mode != "GRU" else None):  # place below). Only the GRU needs b_hh apart (it sits
        if b is not None:  # inside r * (h W_hn^T + b_hn))
            gi = m.add(gi, b, out=gi)
    if mode == "LSTM":
        half = m.constant(_lstm_halves(m.data(gi)))
        gi, w_hh = m.mul(gi, half, out=gi), w_hh * half.reshape(-1, 1)
    w_t = m.contiguous(w_hh.transpose(1, 0))  # (h @ w_t with w_t a transposed view: each step ~40% slower)
    w_hr_t = None if w_hr is None else m.contiguous(w_hr.transpose(1, 0))
    threads_for(batch_sizes[0] * w_hh.shape[0] * w_hh.shape[1])  # the largest step's product
    order = ts, step_rows, sizes = _steps(batch_sizes, reverse)
    first = sizes[0] if sizes else 0
    h, c = h0[:first], (None if c0 is None else c0[:first])
    h_done, c_done = [], []
    total, steps = int(sum(batch_sizes)), len(batch_sizes)
    # what backward needs of each step, then the outputs: the h carried on
    stacks = _Stacks(m, gi, total, _SAVED_WIDTHS[mode](hidden) + (hidden if w_hr is None else w_hr.shape[0],))
    replay, ragged = m is _ON_TENSORS, len(set(sizes)) > 1  # (ragged: packed sequences that start or stop)
    cols = _columns(mode, hidden)
    previous, c_previous = [None] * steps, [None] * steps
    for t, n, gi_t, out in zip(ts, sizes, map(gi.__getitem__, step_rows), stacks.each_step(step_rows)):
        if ragged and h.shape[0] != n:  # some sequences start or stop here
            h = _running(m, h, n, h0, h_done)
            c = None if c is None else _running(m, c, n, c0, c_done)
        previous[t], c_previous[t] = h, c
        h, c, kept = step(m, gi_t, h, c, w_t, b_hh, mode, cols, out if w_hr_t is None else out[:-1] + (None,))
        if w_hr_t is not None:
            h = m.matmul(h, w_hr_t, out=out[-1])
        if replay:
            stacks.keep(t, kept + (h,))
    *saved, outputs = stacks.stacked()
    return (outputs, _all_rows(m, h, h_done), (None if c0 is None else _all_rows(m, c, c_done)), saved, previous,
            (None if c0 is None else c_previous), order)


def _bptt(m, grad_out, grad_h, grad_c, x, w_ih, b_ih, w_hh, b_hh, batch_sizes, mode, outputs, saved, previous,
          c_previous, order, w_hr=None, need_x=True):
    """Backpropagation through time: (dx, dW_ih, db_ih, dh0, dc0, dW_hh, db_hh, dW_hr) from the gradients of the
    packed output rows and of the final states."""
    _, local_of, back = _CELLS[mode]
    threads_for(batch_sizes[0] * w_hh.shape[0] * w_hh.shape[1])  # the largest step's product
    previous = m.cat(previous)  # h_{t-1} of every step's running rows, packed
    local = local_of(m, saved, outputs, previous, None if c_previous is None else m.cat(c_previous), mode)
    ts, step_rows, sizes = (part[::-1] for part in order)  # (the forward loop's order, walked backwards)
    first = sizes[0] if sizes else 0
    dh, dc = grad_h[:first], (None if grad_c is None else grad_c[:first])
    dh_done, dc_done = [], []
    # the gates' gradients, stacked as the steps write them: d gh, and the GRU's d gi apart (else the same)
    d_gates = _Stacks(m, grad_out, int(sum(batch_sizes)), (w_hh.shape[0],) * (2 if mode == "GRU" else 1))
    replay, ragged = m is _ON_TENSORS, len(set(sizes)) > 1
    dh_out = [None] * len(batch_sizes)
    for t, n, grad_t, local_t, out in zip(ts, sizes, map(grad_out.__getitem__, step_rows), _each_step(local, step_rows),
                                          d_gates.each_step(step_rows)):
        if ragged and dh.shape[0] != n:  # (only in packed sequences)
            dh = _running(m, dh, n, grad_h, dh_done)
            dc = None if dc is None else _running(m, dc, n, grad_c, dc_done)
        dh = dh + grad_t
        if w_hr is not None:  # h = (o tanh c) W_hr^T: the cell's own output gets dh W_hr
            dh_out[t], dh = dh, dh @ w_hr
        d_gi, d_gh, dh, dc = back(m, dh, dc, local_t, w_hh, out)
        if replay:
            d_gates.keep(t, (d_gi, d_gh) if mode == "GRU" else (d_gh,))
    # every step shares W_hh and b_hh: their gradients are sums over steps, one matrix product each
    stacks = d_gates.stacked()
    dgi_all, dgh_all = stacks[0], stacks[-1]
    dw_hh = m.t(dgh_all) @ previous
    db_hh = dgh_all.sum(0) if b_hh is not None else None
    # and the input projection gi = x W_ih^T + b_ih: the same products as a linear layer's backward
    threads_for(x.shape[0] * w_ih.shape[0] * w_ih.shape[1])
    dx, dw_ih = (dgi_all @ w_ih if need_x else None), m.t(dgi_all) @ x
    db_ih = None if b_ih is None else m.copy(db_hh) if dgi_all is dgh_all and b_hh is not None else dgi_all.sum(0)
    dw_hr = None
    if w_hr is not None:  # summed over steps too: dW_hr = sum_t dh_t^T (o_t tanh c_t)
        s, tc = saved[1], saved[3]
        dw_hr = m.cat(dh_out).transpose(1, 0) @ (s[:, 3 * tc.shape[1]:] * tc)
    dc = None if grad_c is None else _all_rows(m, dc, dc_done)
    return [dx, dw_ih, db_ih, _all_rows(m, dh, dh_done), dc, dw_hh, db_hh, dw_hr]


def _forward(state, x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, batch_first, w_hr):
    """One layer and direction over x, on arrays: (its outputs in x's order ((N, T, width) with batch_first, else
    rows), h_n, c_n or None). state (the op's ctx, or one direction's part of it) keeps what _backward needs."""
    xp = get_array_module(x)
    shape, batch_first = x.shape, batch_first and batch_sizes is None  # (packed rows are time-major)
    if batch_sizes is None:  # a plain batch: every sequence runs every step
        x = x.swapaxes(0, 1) if batch_first else x  # time-major inside: step t's rows side by side
        batch_sizes = [x.shape[1]] * x.shape[0]
    x = x.reshape(-1, x.shape[-1])  # (a copy of batch-first x)
    batch = int(batch_sizes[0]) if len(batch_sizes) else 0
    if h0 is None:
        h0 = xp.zeros((batch, w_hh.shape[1]), x.dtype)
    if c0 is None and mode == "LSTM":
        c0 = xp.zeros((batch, w_hh.shape[0] // 4), h0.dtype)
    outputs, h, c, *kept = _run(_ON_ARRAYS, x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, w_hr)
    state.mode, state.reverse, state.batch_sizes, state.batch_first = mode, reverse, batch_sizes, batch_first
    state.arrays = (x, h0, c0, outputs, *kept)  # (kept: the saved stacks, previous h and c, the order: see _run)
    if batch_first:  # the outputs' rows back in x's order (batch-first)
        outputs = outputs.reshape(shape[1], shape[0], outputs.shape[-1]).swapaxes(0, 1)
    return outputs, h, c


def _backward(state, saved, grad_out, grad_h, grad_c, need, on_tensors):
    """One layer and direction's gradients [x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr] (None where need says so)
    from those of its outputs (rows in x's order), h_n and c_n: arrays, or Tensors when on_tensors (create_graph:
    the forward is replayed on Tensors from the saved inputs and BPTT runs on them, so that backward is itself
    differentiable). saved: the Tensors the forward had, in that order."""
    x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr = saved
    mode, reverse, batch_sizes, batch_first = state.mode, state.reverse, state.batch_sizes, state.batch_first
    x_rows, h0_array, c0_array, *kept = state.arrays
    shape = x.shape
    if on_tensors:
        m = _ON_TENSORS
        h0 = h0 if h0 is not None else _wrap(h0_array)
        c0 = c0 if c0 is not None or mode != "LSTM" else _wrap(c0_array)
        x_rows = (x.transpose(0, 1) if batch_first else x).reshape(-1, shape[-1])
        outputs, _, _, *rest = _run(m, x_rows, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, w_hr)
        kept = [outputs, *rest]
    else:
        m = _ON_ARRAYS
        w_ih, w_hh, w_hr = w_ih._data, w_hh._data, None if w_hr is None else w_hr._data
        b_ih, b_hh = None if b_ih is None else b_ih._data, None if b_hh is None else b_hh._data
    if batch_first:  # the output rows' gradients in time-major order, as the loop walks them
        total, width = int(sum(batch_sizes)), grad_out.shape[-1]  # (sizes spelled out: with a batch of 0, a -1
        grad_out = m.swap01(grad_out.reshape(shape[0], shape[1], width)).reshape(total, width)  # is ambiguous)
    grads = _bptt(m, grad_out, grad_h, grad_c, x_rows, w_ih, b_ih, w_hh, b_hh, batch_sizes, mode, *kept, w_hr,
                  need[0])
    if need[0]:  # x's gradient in x's shape and order
        grads[0] = m.swap01(grads[0].reshape(shape[1], shape[0], shape[2])) if batch_first else \
            grads[0].reshape(shape)
    return [g if wanted else None for g, wanted in zip(grads, need)]


def _tensors(grads):
    return [g if g is None or isinstance(g, Tensor) else _wrap(g) for g in grads]


class Recurrence(Op):
    """One layer and direction of RNN/LSTM/GRU over a whole sequence x: (T, N, features) for a plain batch
    (batch_sizes None), (N, T, features) with batch_first, or packed (sum of lengths, features) with batch_sizes.
    The input projection gi = x W_ih^T + b_ih of every step is part of the op (one matrix product; in backward
    its gradients come from the stacked gates' gradients, as a linear layer's would).

    Returns one array of rows: the outputs (T * N or sum of lengths, packed; in x's order: batch-first rows with
    batch_first), then h_n (N rows), then (LSTM) c_n. An LSTM with proj_size passes w_hr (proj_size, hidden): its
    outputs and h_n are proj_size wide and c_n hidden wide, so the three come flattened into one 1-d array
    instead, in the same order.
    """

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, batch_first, w_hr=None):
        ctx.save_for_backward(x, w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr)
        outputs, h, c = _forward(ctx, x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, reverse, batch_first,
                                 w_hr)
        xp, ends = get_array_module(h), [h] if c is None else [h, c]
        if w_hr is not None:
            return xp.concatenate([r.reshape(-1) for r in [outputs] + ends])
        if outputs.ndim == 2:
            return _ON_ARRAYS.cat([outputs] + ends)
        total = outputs.shape[0] * outputs.shape[1]  # batch-first outputs (N, T, width)
        result = xp.empty((total + h.shape[0] * len(ends), h.shape[1]), h.dtype)
        result[:total].reshape(outputs.shape)[...] = outputs  # (written once: no copy to cat)
        result[total:] = _ON_ARRAYS.cat(ends)
        return result

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        w_hr, batch = saved[7], ctx.arrays[1].shape[0]
        total, lstm, on_tensors = int(sum(ctx.batch_sizes)), ctx.mode == "LSTM", STATE.enabled
        grad = grad if on_tensors else grad._data
        if w_hr is None:
            grad_out, grad_h, grad_c = grad[:total], grad[total:total + batch], grad[total + batch:] if lstm else None
        else:  # the flat layout (see the class): outputs and h_n proj_size wide, c_n hidden wide
            width, hidden = w_hr.shape
            grad_out, grad_h = grad[:total * width].reshape(total, width), grad[total * width:(total + batch) *
                                                                                 width].reshape(batch, width)
            grad_c = grad[(total + batch) * width:].reshape(batch, hidden)
        need = ctx.needs_input_grad
        dx, dw_ih, db_ih, dh0, dc0, dw_hh, db_hh, dw_hr = _tensors(_backward(
            ctx, saved, grad_out, grad_h, grad_c, need[:7] + (len(need) > 11 and need[11],), on_tensors))
        return (dx, dw_ih, db_ih, dh0, dc0, dw_hh, db_hh, None, None, None, None) + ((dw_hr,) if len(need) > 11
                                                                                    else ())


class _Direction:
    """One direction's part of a BidirectionalRecurrence node: what _forward keeps for _backward."""


# The two directions share the cores from this many gate values a step (batch x gates x hidden) up. Below it NumPy
# keeps the GIL through its calls on such small arrays, so two threads only take turns, and lose: measured on a
# 2-core machine, a GRU layer's forward and backward both ways, two threads against one (batch x hidden): 4 x 16
# 1.4x, 16 x 32 1.45x, 32 x 64 0.83-1.07x, 48 x 64 0.92x, 24 x 128 0.69x, 64 x 64 0.62x, 256 x 100 0.55-0.66x.
TOGETHER_FROM = 2 ** 13


def _both_directions(work, together):
    """[work(0), work(1)]: forward in time and reverse, at once (spread) if together, else one after the other."""
    return spread(work, [0, 1]) if together else [work(0), work(1)]


class BidirectionalRecurrence(Op):
    """Both directions of one bidirectional layer as one node. They share only their input, so the forward-in-time
    pass and the reverse pass run at the same time when a core is idle, one of them on a helper thread
    (_threads.spread: NumPy releases the GIL inside its calls, and each thread runs its products on one BLAS
    thread), and so do their backpropagations through time. The numbers are those of the two passes one after
    the other: each is the same code on the same arrays, and x's gradient is the sum of the two.

    Takes x, then each direction's (w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr), then batch_sizes, mode, batch_first (x
    as Recurrence takes it). Returns one flat array: the outputs of the two directions side by side (x's rows,
    2 x width wide), then h_n of each (2, N, width), then (LSTM) c_n of each (2, N, hidden).
    """

    @staticmethod
    def forward(ctx, x, *args):
        *weights, batch_sizes, mode, batch_first = args
        ctx.save_for_backward(x, *weights)
        ctx.directions = _Direction(), _Direction()

        def run(d):
            w_ih, b_ih, h0, c0, w_hh, b_hh, w_hr = weights[7 * d:7 * d + 7]
            return _forward(ctx.directions[d], x, w_ih, b_ih, h0, c0, w_hh, b_hh, batch_sizes, mode, d == 1,
                            batch_first, w_hr)

        batch = (x.shape[0 if batch_first else 1] if batch_sizes is None else batch_sizes[0] if len(batch_sizes)
                 else 0)
        ctx.together = batch * weights[4].shape[0] >= TOGETHER_FROM  # (weights[4]: w_hh, (gates x hidden, ...))
        (out_f, h_f, c_f), (out_r, h_r, c_r) = _both_directions(run, ctx.together)
        xp, ends = get_array_module(h_f), [h_f, h_r] + ([] if c_f is None else [c_f, c_r])
        result = xp.empty(2 * out_f.size + sum(a.size for a in ends), h_f.dtype)
        width = out_f.shape[-1]
        both = result[:2 * out_f.size].reshape(out_f.shape[:-1] + (2 * width,))
        both[..., :width], both[..., width:] = out_f, out_r  # the outputs side by side (written once: no cat)
        result[2 * out_f.size:] = xp.concatenate([a.reshape(-1) for a in ends])  # then the final states
        ctx.width, ctx.hidden = h_f.shape[-1], None if c_f is None else c_f.shape[-1]
        return result

    @staticmethod
    def backward(ctx, grad):
        saved, need, on_tensors = ctx.saved_tensors, ctx.needs_input_grad, STATE.enabled
        grad = grad if on_tensors else grad._data
        state = ctx.directions[0]
        total, batch, width = int(sum(state.batch_sizes)), state.arrays[1].shape[0], ctx.width
        outs = grad[:total * 2 * width].reshape(total, 2 * width)  # (x's rows, whatever x's layout)
        h_end = 2 * (total + batch) * width
        grad_h = grad[total * 2 * width:h_end].reshape(2, batch, width)
        grad_c = None if ctx.hidden is None else grad[h_end:].reshape(2, batch, ctx.hidden)

        def back(d):
            return _backward(ctx.directions[d], (saved[0],) + saved[1 + 7 * d:8 + 7 * d],
                             outs[:, d * width:(d + 1) * width], grad_h[d], None if grad_c is None else grad_c[d],
                             (need[0],) + need[1 + 7 * d:8 + 7 * d], on_tensors)

        # (building a graph, create_graph, stays on this thread: grad mode and the graph are per thread)
        forward, reverse = _both_directions(back, ctx.together and not on_tensors)
        dx = None if not need[0] else forward[0] + reverse[0]
        return tuple(_tensors([dx] + forward[1:] + reverse[1:])) + (None, None, None)
