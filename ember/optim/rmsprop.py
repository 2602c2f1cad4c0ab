"""RMSprop, optionally centred and with momentum (PyTorch's formulas)."""
import numpy as np

from .optimizer import Optimizer, _check, buffer, count_step


class RMSprop(Optimizer):
    """RMSprop: steps divided by the root of a running mean of squared gradients."""
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def _update(self, param, grad, state, group):
        alpha, eps, lr, momentum = group["alpha"], group["eps"], group["lr"], group["momentum"]
        count_step(state)
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square_avg = buffer(state, "square_avg", param)
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = buffer(state, "grad_avg", param)
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0:
            buf = buffer(state, "momentum_buffer", param)
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param += -lr * (grad / avg)
