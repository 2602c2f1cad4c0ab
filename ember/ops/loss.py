"""Ops that losses need beyond composition: where PyTorch's gradient is not the chain rule of the pieces."""
import numpy as np

from ..autograd.function import Op


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
