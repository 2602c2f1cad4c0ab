"""RMSprop, optionally centred and with momentum (PyTorch's formulas)."""
import numpy as np

from ..ops.elementwise import fma, lerp_arrays
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
            grad = fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        square_avg = buffer(state, "square_avg", param)
        # rounded as torch's square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha), lerp_, addcdiv_
        dt = param.dtype.type
        square_avg *= alpha
        fma(grad * dt(1 - alpha), grad, square_avg, square_avg)
        if group["centered"]:
            grad_avg = buffer(state, "grad_avg", param)
            lerp_arrays(grad_avg, grad, 1 - alpha, out=grad_avg)
            avg = np.sqrt(fma(-grad_avg, grad_avg, square_avg)) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0:
            buf = buffer(state, "momentum_buffer", param)
            buf *= momentum
            buf += grad / avg
            fma(buf, -lr, param, param)
        else:
            param += (grad * dt(-lr)) / avg
