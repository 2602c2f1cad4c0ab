"""Losses as torch records them: one node each (MseLossBackward0, HuberLossBackward0, NllLossBackward0, ...).

Each op takes the reduction ('mean', 'sum' or 'none') and reduces inside its forward, as torch's kernels do; the
backward spreads the upstream gradient back over the elements (divided by their number for 'mean') and is
written in ember ops, so a second derivative sees through it.
"""
import numpy as np

from .._backend import as_array, get_array_module
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


def per_element(grad, ctx):
    """The upstream gradient of each elementwise loss: grad / N for 'mean' (N elements), else grad itself."""
    return grad / ctx.count if ctx.reduction == "mean" and ctx.count else grad


def _elementwise(ctx, losses, reduction):
    ctx.reduction, ctx.count = reduction, losses.size
    return reduced(losses, reduction)


class MseLoss(Op):
    """(x - y)^2 per element (x and y broadcast), reduced."""

    @staticmethod
    def forward(ctx, x, y, reduction):
        ctx.save_for_backward(x, y)
        d = x - y
        return _elementwise(ctx, d * d, reduction)

    @staticmethod
    def backward(ctx, grad):  # d/dx = 2 (x - y), d/dy = -2 (x - y)
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        g = Mul.apply(Sub.apply(x, y), per_element(grad, ctx) * 2)
        return (g if need_x else None), (Neg.apply(g) if need_y else None), None


class SmoothL1Loss(Op):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = x - y, beta > 0), reduced.

    huber_loss is the same curve times beta (there called delta): HuberLoss below.
    """

    _scaled = False  # huber: the loss times beta

    @staticmethod
    def forward(ctx, x, y, beta, reduction):
        ctx.save_for_backward(x, y)
        ctx.beta = beta
        d = x - y
        a = np.abs(d)
        losses = np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
        return _elementwise(ctx, losses * beta if ctx._scaled else losses, reduction)

    @staticmethod
    def backward(ctx, grad):  # d/dx = d / beta inside (-beta, beta), sign(d) outside (times beta for huber)
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        beta = ctx.beta
        d = Sub.apply(x, y)
        inside = np.abs(d._data) < beta
        slope = where(_wrap(inside), d if ctx._scaled else d / beta, d.sign() * beta if ctx._scaled else d.sign())
        g = Mul.apply(slope, per_element(grad, ctx))
        return (g if need_x else None), (Neg.apply(g) if need_y else None), None, None


class HuberLoss(SmoothL1Loss):
    _scaled = True


def _log_clamped(p):
    with np.errstate(divide="ignore"):
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
        g = per_element(grad, ctx)
        if ctx.weight is not None:
            g = g * _wrap(ctx.weight)
        grad_p = g * (p - y) / (p * (1 - p)).clamp(min=1e-12) if need_p else None
        grad_y = g * ((1 - p).log() - p.log()) if need_y else None  # unclamped, as in torch: inf at 0 and 1
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
        """d/dx = (1 - y) - (1 + (pw - 1) y) sigmoid(-x), which is sigmoid(x) - y without pos_weight;
        d/dy = -x + (pw - 1) log(1 + e^-x), which is -x without it."""
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        g = per_element(grad, ctx)
        if ctx.weight is not None:
            g = g * _wrap(ctx.weight)
        pw = None if ctx.pos_weight is None else _wrap(ctx.pos_weight)
        grad_x = grad_y = None
        if need_x:
            s = Sigmoid.apply(x)
            slope = s - y if pw is None else (1 - y) - ((pw - 1) * y + 1) * (1 - s)
            grad_x = g * slope
        if need_y:
            grad_y = g * (-x if pw is None else (pw - 1) * (-x).exp().log1p() - x)
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
        with np.errstate(invalid="ignore", divide="ignore"):
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


class DivNumber(Div):  # a / k inside torch's C++ losses: DivBackward1
    _name, _overload = "Div", 1


class MaskedFill(Where):  # where(mask, value, a): a.masked_fill(mask, value) inside torch's C++ losses
    pass
