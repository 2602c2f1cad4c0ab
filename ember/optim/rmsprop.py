"""RMSprop, optionally centred and with momentum (PyTorch's formulas)."""
import numpy as np

from ..ops.elementwise import addcdiv_, addcmul_arrays, lerp_arrays, torch_fma, with_number_
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
            grad = torch_fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        square_avg = buffer(state, "square_avg", param)
        # rounded as torch's square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha), lerp_, addcdiv_
        with_number_(np.multiply, square_avg, alpha)
        addcmul_arrays(square_avg, grad, grad, 1 - alpha, out=square_avg)
        if group["centered"]:
            grad_avg = buffer(state, "grad_avg", param)
            lerp_arrays(grad_avg, grad, 1 - alpha, out=grad_avg)
            avg = np.sqrt(addcmul_arrays(square_avg, grad_avg, grad_avg, -1)) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0:
            buf = buffer(state, "momentum_buffer", param)
            with_number_(np.multiply, buf, momentum)
            addcdiv_(buf, grad, avg, 1)
            torch_fma(buf, -lr, param, param)
        else:
            addcdiv_(param, grad, avg, -lr)
