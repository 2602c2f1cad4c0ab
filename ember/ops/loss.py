"""Losses as torch records them: one node each (MseLossBackward0, HuberLossBackward0, NllLossBackward0, ...).

Each op takes the reduction ('mean', 'sum' or 'none') and reduces inside its forward, as torch's kernels do; the
backward spreads the upstream gradient back over the elements (divided by their number for 'mean') and is
written in ember ops, so a second derivative sees through it.
"""
import numpy as np

from .._backend import as_array, get_array_module, silently
from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import _wrap
from .elementwise import Div, Mul, MulScalar, Neg, Sigmoid, Sub, Where, where
from .shape import IndexAdd


def reduced(losses, reduction):
    """The elementwise losses reduced: their mean (NaN for none, as in torch), sum, or themselves."""
    if reduction == "none":
        return losses
    if reduction == "sum" or losses.size:
        return as_array(losses.sum() if reduction == "sum" else losses.mean(), losses.dtype)
    return as_array(losses.sum() * np.nan, losses.dtype)


def _elementwise(ctx, losses, reduction):
    ctx.reduction, ctx.count = reduction, losses.size
    return reduced(losses, reduction)


def _norm(ctx):
    """torch's factor for the mean: 1 / N (N elements), else 1."""
    return 1 / ctx.count if ctx.reduction == "mean" and ctx.count else 1


def _finish(g, ctx, weight=None):
    """torch's last steps of a loss's gradient: times the weight (an array, or None), divided by N for the mean."""
    if weight is not None:
        g = Mul.apply(g, _wrap(weight))
    return g / ctx.count if ctx.reduction == "mean" and ctx.count else g


class MseLoss(Op):
    """(x - y)^2 per element (x and y broadcast), reduced."""

    @staticmethod
    def forward(ctx, x, y, reduction):
        ctx.save_for_backward(x, y)
        d = x - y
        return _elementwise(ctx, d * d, reduction)

    @staticmethod
    def backward(ctx, grad):  # d/dx = 2 (x - y), d/dy = -2 (x - y); torch's order: (2 / N) (x - y) grad
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        g = Mul.apply(MulScalar.apply(Sub.apply(x, y), 2 * _norm(ctx)), grad)
        return (g if need_x else None), (Neg.apply(g) if need_y else None), None


class SmoothL1Loss(Op):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = x - y, beta > 0), reduced."""

    @staticmethod
    def forward(ctx, x, y, beta, reduction):
        ctx.save_for_backward(x, y)
        ctx.beta = beta
        d = x - y
        a = np.abs(d)
        return _elementwise(ctx, np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta), reduction)

    @staticmethod
    def backward(ctx, grad):  # d/dx = d / beta inside [-beta, beta], sign(d) outside; d/dy the opposite
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        d, norm, beta = Sub.apply(x, y), _norm(ctx), ctx.beta
        inside = _wrap(np.abs(d._data) <= beta)  # (torch's kernel: x < -beta, x > beta, else the middle formula)
        g = where(inside, Mul.apply(MulScalar.apply(d, norm), grad) / beta,
                  Mul.apply(MulScalar.apply(d.sign(), norm), grad))
        return (g if need_x else None), (Neg.apply(g) if need_y else None), None, None


class HuberLoss(Op):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = x - y, delta > 0), reduced."""

    @staticmethod
    def forward(ctx, x, y, delta, reduction):
        ctx.save_for_backward(x, y)
        ctx.delta = delta
        d = x - y
        a = np.abs(d)
        return _elementwise(ctx, np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)

    @staticmethod
    def backward(ctx, grad):  # d/dx = d inside [-delta, delta], delta sign(d) outside; d/dy the opposite
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        d, norm, delta = Sub.apply(x, y), _norm(ctx), ctx.delta
        inside = _wrap(np.abs(d._data) <= delta)
        g = where(inside, Mul.apply(MulScalar.apply(d, norm), grad),
                  MulScalar.apply(Mul.apply(MulScalar.apply(d.sign(), norm), grad), delta))
        return (g if need_x else None), (Neg.apply(g) if need_y else None), None, None


def _log_clamped(p):
    with silently(divide="ignore"):
        return np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)


class BinaryCrossEntropy(Op):
    """-w (y log p + (1 - y) log(1 - p)), each log clamped at -100 as torch does (p = 0 or 1 stays finite),
    reduced; w the optional weight (an array that broadcasts to p's shape)."""

    @staticmethod
    def forward(ctx, p, y, weight, reduction):
        ctx.save_for_backward(p, y)
        ctx.weight = weight
        log_p, log_1mp = _log_clamped(p)
        losses = -(y * log_p + (1 - y) * log_1mp)
        return _elementwise(ctx, losses if weight is None else losses * weight, reduction)

    @staticmethod
    def backward(ctx, grad):  # d/dp = w (p - y) / max(p (1 - p), 1e-12); d/dy = w (log(1 - p) - log(p))
        p, y = ctx.saved_tensors
        need_p, need_y = ctx.needs_input_grad[:2]
        grad_p = grad_y = None
        if need_p:
            grad_p = _finish(grad * (p - y) / ((1 - p) * p).clamp(min=1e-12), ctx, ctx.weight)
        if need_y:  # unclamped, as in torch: inf at 0 and 1
            grad_y = _finish(((1 - p).log() - p.log()) * grad, ctx, ctx.weight)
        return grad_p, grad_y, None, None


class BinaryCrossEntropyWithLogits(Op):
    """(1 - y) x + (1 + (pw - 1) y) log(1 + e^-x) per element: -(pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
    computed stably for any x; times the weight w, reduced. w and pw (pos_weight) are arrays or None."""

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.pos_weight = weight, pos_weight
        softplus = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)  # log(1 + e^-x) without overflow
        losses = (1 - y) * x + (softplus if pos_weight is None else ((pos_weight - 1) * y + 1) * softplus)
        return _elementwise(ctx, losses if weight is None else losses * weight, reduction)

    @staticmethod
    def backward(ctx, grad):
        """d/dx = sigmoid(x) - y, with pos_weight (pw y + 1 - y) sigmoid(x) - pw y (torch's order);
        d/dy = -x, with pos_weight (pw - 1) log(1 + e^-x) - x."""
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        pw = None if ctx.pos_weight is None else _wrap(ctx.pos_weight)
        grad_x = grad_y = None
        if need_x:
            s = Sigmoid.apply(x)
            if pw is None:
                slope = s - y
            else:
                t = pw * y
                slope = (t + 1 - y) * s - t
            grad_x = _finish(slope * grad, ctx, ctx.weight)
        if need_y:
            grad_y = _finish((-x if pw is None else (pw - 1) * (-x).exp().log1p() - x) * grad, ctx, ctx.weight)
        return grad_x, grad_y, None, None, None


def class_weights(target, weight, ignore_index, dtype):
    """Row indices, targets safe to index with, each sample's weight (0 where target == ignore_index) and
    which samples count (None: all of them).

    The weights are None when every sample counts once (no class weights, nothing ignored): the usual case.
    """
    rows = get_array_module(target).arange(len(target))
    on_host = type(target) is np.ndarray  # on a GPU, "is any target ignored?" would wait for the GPU: not asked
    if weight is None and on_host and (ignore_index < 0 and (len(target) == 0 or target.min() >= 0)):
        return (rows, target), None, None
    valid = target != ignore_index
    safe = np.where(valid, target, 0) if not on_host or not valid.all() else target
    w = valid.astype(dtype) if weight is None else weight[safe] * valid
    return (rows, safe), w, valid


def weighted_reduction(losses, w, valid, reduction, dtype):
    """(the reduced loss, d(loss)/d(per-sample loss)): the mean divides by the total weight, as in torch.

    An ignored sample gets no gradient at all: 0 even where the total weight is 0 (every target ignored: the
    loss is 0/0 = NaN, as in torch, but the gradient stays 0); a counted sample of weight 0 in a total of 0
    gets 0/0 = NaN, as in torch.
    """
    if w is None:
        w = get_array_module(losses).ones(len(losses), dtype)
    else:
        losses = losses * w
    if reduction == "none":
        return losses, w
    if reduction == "sum":
        return as_array(losses.sum(), dtype), w
    total = w.sum()
    if isinstance(total, np.generic) and total == 0:  # (asked on the host only: a GPU would have to wait)
        with silently(invalid="ignore", divide="ignore"):
            loss, scale = losses.sum() / total, w / total
    else:
        loss, scale = losses.sum() / total, w / total
    if valid is not None:
        scale = np.where(valid, scale, 0)
    return as_array(loss, dtype), scale


class NLLLoss(Op):
    """-logp[i, target[i]], weighted by weight[target[i]]; ignored targets count nothing; mean, sum or none.

    logp is (N, C) and target (N,) here: nll_loss folds any extra dims into N first.
    """

    _name = "NllLoss"
    _torch_saves_tensors = True  # (the target and the total weight)

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        ctx.index, w, valid = class_weights(target, weight, ignore_index, logp.dtype)
        out, ctx.scale = weighted_reduction(-logp[ctx.index], w, valid, reduction, logp.dtype)
        ctx.shape = logp.shape
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dlogp[i, c] = -w_i (/ total for mean) where c = target_i, else 0
        if not STATE.enabled:  # a plain backward (every training step): on arrays
            d = get_array_module(ctx.scale).zeros(ctx.shape, ctx.scale.dtype)
            d[ctx.index] = -ctx.scale * grad._data
            return _wrap(d), None, None, None, None
        # one target per row: the positions are unique, so IndexAdd can assign instead of np.add.at
        return IndexAdd.apply(grad * _wrap(-ctx.scale), ctx.shape, ctx.index, True), None, None, None, None


class MulNumber(MulScalar):  # a * k inside torch's C++ losses: MulBackward1 (Python's x * 2 is MulBackward0)
    _overload = 1
    _torch_saves_tensors = False  # (k stays a number there)


class DivNumber(Div):  # a / k inside torch's C++ losses: DivBackward1
    _name, _overload = "Div", 1


class MaskedFill(Where):  # where(mask, value, a): a.masked_fill(mask, value) inside torch's C++ losses
    pass
