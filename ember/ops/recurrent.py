"""The recurrence of RNN, LSTM and GRU layers as one graph node: forward through time, then back.

A recurrent layer computes, for t = 1..T,

    h_t = cell(x_t, h_{t-1})

The input's share of every step, x_t W_ih^T + b_ih, does not depend on h, so the
layer computes it for all time steps in one matrix product before this op (gi
below, shape (T, N, gates*H)). What is left is the recurrence itself, which must
walk over time. Written op by op it leaves ~10 graph nodes per step; here it is
one node per layer and direction: forward loops over time on arrays, and backward
runs backpropagation through time (BPTT) on arrays.

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

Packed sequences (sequences of different lengths) come in padded, with a mask
m_t (N, 1) that is 1 while a sequence is still running. A finished sequence keeps
its state: h_t = h_{t-1} + m_t (cell(x_t, h_{t-1}) - h_{t-1}), so after the loop
the state is each sequence's state at its own last step, in either direction.
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import _wrap


def _sigmoid(a):
    e = np.exp(-np.abs(a))  # never overflows: 1/(1+e^-a) for a >= 0, e^a/(1+e^a) below
    return np.where(a >= 0, 1, e) / (1 + e)


class _ON_ARRAYS:
    tanh = staticmethod(np.tanh)
    sigmoid = staticmethod(_sigmoid)
    relu = staticmethod(lambda a: np.maximum(a, 0))
    cat = staticmethod(lambda parts: np.concatenate(parts, axis=1))
    stack = staticmethod(np.stack)
    constant = staticmethod(lambda a: a)


class _ON_TENSORS:
    tanh = staticmethod(lambda a: a.tanh())
    sigmoid = staticmethod(lambda a: a.sigmoid())
    relu = staticmethod(lambda a: a.relu())
    cat = staticmethod(lambda parts: _shape().cat(parts, 1))
    stack = staticmethod(lambda parts: _shape().stack(parts))
    constant = staticmethod(_wrap)


def _shape():
    from . import shape
    return shape


# ---- the cells: forward (new state, and what backward needs) and backward (local derivatives) -----------
# Each backward takes the gradient of the new h (and c) and returns (dgates for gi, dgates for the h W_hh^T
# product, the gradient flowing into h_{t-1} other than through W_hh, and for the LSTM into c_{t-1}).

def _rnn_forward(m, gi_t, h, c, w_t, b_hh, mode):
    a = gi_t + h @ w_t  # (b_hh was folded into gi)
    h_new = m.tanh(a) if mode == "RNN_TANH" else m.relu(a)
    return h_new, None, h_new


def _rnn_backward(m, dh, dc, saved, mode):
    h_new = saved
    # tanh' = 1 - tanh^2; relu' = 1 where the output is positive
    da = dh * (1 - h_new * h_new) if mode == "RNN_TANH" else dh * (h_new > 0)
    return da, da, None, None


def _lstm_forward(m, gi_t, h, c, w_t, b_hh, mode):
    a = gi_t + h @ w_t  # (b_hh was folded into gi): i, f, g, o side by side
    hidden = h.shape[-1]
    s = m.sigmoid(a)  # (g's quarter is wasted: one call beats three on small arrays)
    i, f, o = s[:, :hidden], s[:, hidden:2 * hidden], s[:, 3 * hidden:]
    g = m.tanh(a[:, 2 * hidden:3 * hidden])
    c_new = f * c + i * g
    tc = m.tanh(c_new)
    return o * tc, c_new, (i, f, g, o, c, tc)


def _lstm_backward(m, dh, dc, saved, mode):
    i, f, g, o, c_prev, tc = saved
    dc = dc + dh * o * (1 - tc * tc)  # h = o tanh(c): c's gradient from h, plus from c_{t+1}
    # c = f c_prev + i g, h = o tanh(c); then through each gate's own nonlinearity (sigmoid' = s(1-s), tanh' = 1-t^2)
    da = m.cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)])
    return da, da, None, dc * f


def _gru_forward(m, gi_t, h, c, w_t, b_hh, mode):
    gh = h @ w_t
    if b_hh is not None:
        gh = gh + b_hh
    hidden = h.shape[-1]
    rz = m.sigmoid(gi_t[:, :2 * hidden] + gh[:, :2 * hidden])  # reset and update gates
    r, z = rz[:, :hidden], rz[:, hidden:]
    gh_n = gh[:, 2 * hidden:]
    n = m.tanh(gi_t[:, 2 * hidden:] + r * gh_n)  # the candidate
    return n + z * (h - n), None, (r, z, n, gh_n, h)  # h' = (1 - z) n + z h


def _gru_backward(m, dh, dc, saved, mode):
    r, z, n, gh_n, h = saved
    dn = dh * (1 - z) * (1 - n * n)  # through h' = (1-z) n + z h, then n = tanh(...)
    dz = dh * (h - n)
    drz = m.cat([dn * gh_n * r * (1 - r), dz * z * (1 - z)])  # n's pre-activation holds r * gh_n
    # gi's n-part enters n directly; gh's n-part is multiplied by r first
    return m.cat([drz, dn]), m.cat([drz, dn * r]), dh * z, None


_CELLS = {"RNN_TANH": (_rnn_forward, _rnn_backward), "RNN_RELU": (_rnn_forward, _rnn_backward),
          "LSTM": (_lstm_forward, _lstm_backward), "GRU": (_gru_forward, _gru_backward)}


def _run(m, gi, h0, c0, w_hh, b_hh, mask, mode, reverse):
    """The forward loop: returns (output rows in time order, final h, final c, each step's saved values)."""
    step, _ = _CELLS[mode]
    if b_hh is not None and mode != "GRU":
        gi = gi + b_hh  # only the GRU needs b_hh apart (it sits inside r * (h W_hn^T + b_hn))
    w_t = w_hh.transpose(1, 0)
    h, c = h0, c0
    steps = len(gi)
    outputs, saved = [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h_new, c_new, saved[t] = step(m, gi[t], h, c, w_t, b_hh, mode)
        if mask is not None:  # finished sequences keep their state
            h_new = h + mask[t] * (h_new - h)
            if c is not None:
                c_new = c + mask[t] * (c_new - c)
        outputs[t], h, c = h_new, h_new, c_new
    return outputs, h, c, saved


def _bptt(m, grad, h0, w_hh, b_hh, mask, mode, reverse, outputs, saved):
    """Backpropagation through time: (dgi, dh0, dc0, dW_hh, db_hh) from the gradient of the output rows."""
    _, step_back = _CELLS[mode]
    steps = len(outputs)
    dh = grad[steps]
    dc = grad[steps + 1] if mode == "LSTM" else None
    dgi, dgh = [None] * steps, [None] * steps
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        dh = dh + grad[t]
        if mask is not None:  # a finished sequence's state passed straight through this step
            keep_h, dh = dh - mask[t] * dh, mask[t] * dh
            if dc is not None:
                keep_c, dc = dc - mask[t] * dc, mask[t] * dc
        dgi[t], dgh[t], dh_direct, dc = step_back(m, dh, dc, saved[t], mode)
        dh_prev = dgh[t] @ w_hh  # h_{t-1} entered the step as h_{t-1} W_hh^T
        dh = dh_prev if dh_direct is None else dh_prev + dh_direct
        if mask is not None:
            dh = dh + keep_h
            if dc is not None:
                dc = dc + keep_c
    # every step shares W_hh and b_hh: their gradients are sums over steps, one matrix product each
    previous = [h0] + outputs[:-1] if not reverse else outputs[1:] + [h0]
    dgh_all = m.stack(dgh)
    gates = dgh_all.shape[-1]
    flat = dgh_all.reshape(-1, gates)
    dw_hh = flat.transpose(1, 0) @ m.stack(previous).reshape(-1, h0.shape[-1])
    db_hh = flat.sum(0) if b_hh is not None else None
    return (dgh_all if mode != "GRU" else m.stack(dgi)), dh, dc, dw_hh, db_hh


class Recurrence(Op):
    """One layer and direction of RNN/LSTM/GRU over a whole sequence, given gi = x W_ih^T + b_ih for every step.

    Returns one array of rows: the T outputs, then h_n, then (LSTM) c_n: (T + 1 or 2, N, H).
    """

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, b_hh, mask, mode, reverse):
        if h0 is None:
            h0 = np.zeros((gi.shape[1], w_hh.shape[1]), gi.dtype)
        if c0 is None and mode == "LSTM":
            c0 = np.zeros_like(h0)
        outputs, h, c, saved = _run(_ON_ARRAYS, gi, h0, c0, w_hh, b_hh, mask, mode, reverse)
        ctx.mode, ctx.reverse = mode, reverse
        ctx.save_for_backward(gi, h0, c0, w_hh, b_hh, mask, (outputs, saved))
        return np.stack(outputs + [h] + ([c] if mode == "LSTM" else []))

    @staticmethod
    def backward(ctx, grad):
        gi, h0, c0, w_hh, b_hh, mask, (outputs, saved) = ctx.saved_tensors
        mode, reverse = ctx.mode, ctx.reverse
        if STATE.enabled:  # create_graph=True: replay the forward on Tensors, and run BPTT on Tensors too
            m = _ON_TENSORS
            mask = m.constant(mask._data) if mask is not None else None
            outputs, _, _, saved = _run(m, gi, h0, c0, w_hh, b_hh, mask, mode, reverse)
            grads = _bptt(m, grad, h0, w_hh, b_hh, mask, mode, reverse, outputs, saved)
        else:
            grads = _bptt(_ON_ARRAYS, grad._data, h0._data, w_hh._data, None if b_hh is None else b_hh._data,
                          None if mask is None else mask._data, mode, reverse, outputs, saved)
            grads = [None if g is None else _wrap(g) for g in grads]
        dgi, dh0, dc0, dw_hh, db_hh = grads
        need = ctx.needs_input_grad
        return (dgi if need[0] else None, dh0 if need[1] else None, dc0 if need[2] else None,
                dw_hh if need[3] else None, db_hh if need[4] else None, None, None, None)
