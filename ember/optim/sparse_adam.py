"""SparseAdam (PyTorch's): Adam that only touches the rows a gradient has entries for, the "lazy" Adam for
embedding tables, where one batch uses a few rows of a large table.

ember has no sparse tensors, so a gradient always arrives dense. In PyTorch the gradient SparseAdam is made for
is the sparse gradient of an ``Embedding(sparse=True)``: it holds exactly the rows the batch looked up. ember
reads that set of rows from the dense gradient as the rows (slices along the first dimension) with a nonzero
entry, and updates the moments and the weights on those rows only, with PyTorch's formulas. The one difference
from PyTorch: PyTorch refuses a dense gradient ("SparseAdam does not support dense gradients"), and ember, whose
gradients are all dense, takes every gradient this way instead (a row looked up whose gradient is exactly zero
is skipped here, where PyTorch would decay its moments).
"""
import math

import numpy as np

from .optimizer import Optimizer, _check, buffer


class SparseAdam(Optimizer):
    """Adam that updates only the rows that received a gradient (as for a sparse Embedding)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check(0.0 < lr, f"Invalid learning rate: {lr}")
        _check(0.0 < eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        state["step"] = state.get("step", 0) + 1  # a Python int, as PyTorch keeps it for SparseAdam
        exp_avg = buffer(state, "exp_avg", param)
        exp_avg_sq = buffer(state, "exp_avg_sq", param)
        if param.ndim == 0:  # one row: views, so the writes below land in the state and the parameter
            param, grad, exp_avg, exp_avg_sq = param[None], grad[None], exp_avg[None], exp_avg_sq[None]
        rows = np.flatnonzero(grad.reshape(len(grad), -1).any(axis=1))  # the rows a sparse gradient would hold
        if rows.size == 0:
            return
        g, old_avg, old_avg_sq = grad[rows], exp_avg[rows], exp_avg_sq[rows]
        avg_update = (g - old_avg) * (1 - beta1)  # m += (1 - beta1)(g - m), on those rows only
        avg_sq_update = (g * g - old_avg_sq) * (1 - beta2)
        exp_avg[rows] += avg_update
        exp_avg_sq[rows] += avg_sq_update
        numer = avg_update + old_avg
        denom = np.sqrt(avg_sq_update + old_avg_sq) + eps
        step = state["step"]
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        param[rows] += -step_size * (numer / denom)
