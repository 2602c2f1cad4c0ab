"""Ops that losses need beyond composition: where PyTorch's gradient is not the chain rule of the pieces."""
import numpy as np

from .._backend import as_array, get_array_module

from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import _wrap
from .elementwise import Mul, Sub
from .reduction import Softmax
from .shape import IndexAdd


class BinaryCrossEntropy(Op):
    """-(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does, so p = 0 or 1 stays finite."""

    @staticmethod
    def forward(ctx, p, y):
        ctx.save_for_backward(p, y)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        return -(y * log_p + (1 - y) * log_1mp)

    @staticmethod
    def backward(ctx, grad):  # d/dp = (p - y) / max(p (1 - p), 1e-12); d/dy = log(1 - p) - log(p)
        p, y = ctx.saved_tensors
        need_p, need_y = ctx.needs_input_grad
        grad_p = grad * (p - y) / (p * (1 - p)).clamp(min=1e-12) if need_p else None
        grad_y = grad * ((1 - p).log() - p.log()) if need_y else None  # unclamped, as in PyTorch: inf at 0 and 1
        return grad_p, grad_y


def class_weights(target, weight, ignore_index, dtype):
    """Row indices, targets safe to index with, and each sample's weight (0 where target == ignore_index).

    The weights are None when every sample counts once (no class weights, nothing ignored): the usual case.
    """
    rows = get_array_module(target).arange(len(target))
    on_host = type(target) is np.ndarray  # on a GPU, "is any target ignored?" would wait for the GPU: not asked
    if weight is None and on_host and (ignore_index < 0 and (len(target) == 0 or target.min() >= 0)):
        return (rows, target), None
    valid = target != ignore_index
    safe = np.where(valid, target, 0) if not on_host or not valid.all() else target
    w = valid.astype(dtype) if weight is None else weight[safe] * valid
    return (rows, safe), w


def weighted_reduction(losses, w, reduction, dtype):
    """(the reduced loss, d(loss)/d(per-sample loss)): the mean divides by the total weight, as in PyTorch."""
    if w is None:
        w = get_array_module(losses).ones(len(losses), dtype)
    else:
        losses = losses * w
    if reduction == "none":
        return losses, w
    total = w.sum() if reduction == "mean" else 1
    return as_array(losses.sum() / total, dtype), w / total


class NLLLoss(Op):
    """-logp[i, target[i]], weighted by weight[target[i]]; ignored targets count nothing; mean, sum or none.

    logp is (N, C) and target (N,) here: nll_loss folds any extra dims into N first.
    """

    _name = "NllLoss"

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        ctx.index, w = class_weights(target, weight, ignore_index, logp.dtype)
        out, ctx.scale = weighted_reduction(-logp[ctx.index], w, reduction, logp.dtype)
        ctx.shape = logp.shape
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dlogp[i, c] = -w_i (/ total for mean) where c = target_i, else 0
        # one target per row: the positions are unique, so IndexAdd can assign instead of np.add.at
        return IndexAdd.apply(grad * _wrap(-ctx.scale), ctx.shape, ctx.index, True), None, None, None, None


class CrossEntropy(Op):
    """log_softmax and NLL in one node (the common case: class indices, no label smoothing)."""

    _name = "NllLoss"  # PyTorch's last node for cross_entropy

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        ctx.index, w = class_weights(target, weight, ignore_index, x.dtype)
        out, ctx.scale = weighted_reduction(-logp[ctx.index], w, reduction, x.dtype)
        ctx.save_for_backward(x)
        ctx.logp = logp
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dx_ic = (softmax(x)_ic - [c == target_i]) * w_i (/ total for mean)
        (x,) = ctx.saved_tensors
        per_sample = grad.reshape(-1, 1) if grad.ndim else grad  # reduction="none": one upstream value per row
        if not STATE.enabled:  # a plain backward: on arrays, softmax = exp(forward's log-probabilities), as torch
            d = get_array_module(ctx.logp).exp(ctx.logp)
            d[ctx.index] -= 1
            d *= per_sample._data * ctx.scale[:, None]
            return _wrap(d), None, None, None, None
        onehot = get_array_module(x._data).zeros(x._data.shape, x._data.dtype)
        onehot[ctx.index] = 1
        p = Softmax.apply(x, 1)  # recomputed as an op, so that a second derivative sees through it
        coef = Mul.apply(per_sample, _wrap(ctx.scale[:, None]))  # ops applied directly: one dtype throughout
        return Mul.apply(Sub.apply(p, _wrap(onehot)), coef), None, None, None, None
