"""Ops that losses need beyond composition: where PyTorch's gradient is not the chain rule of the pieces."""
import numpy as np

from ..autograd.function import Op
from ..tensor import _wrap
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


class NLLLoss(Op):
    """-logp[i, target[i]], weighted by weight[target[i]]; ignored targets count nothing; mean, sum or none.

    logp is (N, C) and target (N,) here: nll_loss folds any extra dims into N first.
    """

    _name = "NllLoss"

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        rows = np.arange(len(target))
        valid = target != ignore_index
        safe = np.where(valid, target, 0) if not valid.all() else target
        w = valid.astype(logp.dtype) if weight is None else weight[safe] * valid
        losses = -logp[rows, safe] * w
        ctx.shape, ctx.index = logp.shape, (rows, safe)
        if reduction == "none":
            ctx.scale = -w
            return losses
        total = w.sum() if reduction == "mean" else 1
        ctx.scale = -w / total
        return np.asarray(losses.sum() / total, logp.dtype)

    @staticmethod
    def backward(ctx, grad):  # d/dlogp[i, c] = -w_i (/ total for mean) where c = target_i, else 0
        return IndexAdd.apply(grad * _wrap(ctx.scale), ctx.shape, ctx.index), None, None, None, None
