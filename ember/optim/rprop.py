"""Rprop: resilient backpropagation, which uses only the sign of each gradient (PyTorch's single-tensor rule)."""
import numpy as np

from .optimizer import Optimizer, _check, buffer, count_step


class Rprop(Optimizer):
    """Resilient backprop: only the gradient's sign is used; each weight's step grows by etas[1] while the sign
    holds and shrinks by etas[0] when it flips (then that step is skipped)."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update(self, param, grad, state, group):
        (shrink, grow), (smallest, largest) = group["etas"], group["step_sizes"]
        count_step(state)
        prev = buffer(state, "prev", param)
        step_size = buffer(state, "step_size", param, group["lr"])
        agreement = np.sign(grad * prev)
        step_size *= np.where(agreement > 0, grow, np.where(agreement < 0, shrink, 1.0))
        np.clip(step_size, smallest, largest, out=step_size)
        grad = np.where(agreement < 0, 0.0, grad)  # after a sign flip, wait a step
        param -= np.sign(grad) * step_size
        prev[...] = grad
