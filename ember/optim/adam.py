"""Adam and AdamW (decoupled weight decay), with amsgrad (PyTorch's formulas, step by step)."""
import math

import numpy as np

from ..ops.elementwise import addcdiv_, addcmul_arrays, lerp_arrays, torch_fma, with_number_
from .optimizer import Optimizer, _check, buffer, count_step


def check_adam_like(lr, betas, eps, weight_decay):
    _check(lr >= 0.0, f"Invalid learning rate: {lr}")
    _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")


def moments(state, param, grad, beta1, beta2):
    """Adam's running averages of the gradient and of its square, updated in place."""
    exp_avg = buffer(state, "exp_avg", param)
    exp_avg_sq = buffer(state, "exp_avg_sq", param)
    # rounded as torch's exp_avg.lerp_(grad, 1 - beta1) and exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    lerp_arrays(exp_avg, grad, 1 - beta1, out=exp_avg)  # m = beta1 m + (1 - beta1) g
    with_number_(np.multiply, exp_avg_sq, beta2)
    addcmul_arrays(exp_avg_sq, grad, grad, 1 - beta2, out=exp_avg_sq)  # v = beta2 v + (1 - beta2) g^2
    return exp_avg, exp_avg_sq


class Adam(Optimizer):
    """Adam: steps from running means of the gradient and of its square, bias-corrected."""
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None):
        check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        step = count_step(state)
        if decay:
            if self._decoupled:
                with_number_(np.multiply, param, 1 - lr * decay)  # AdamW: shrink the weights directly
            else:
                grad = torch_fma(param, decay, grad)  # Adam: L2 penalty folded into the gradient
        exp_avg, exp_avg_sq = moments(state, param, grad, beta1, beta2)
        step_size = lr / (1 - beta1 ** step)
        correction2_sqrt = math.sqrt(1 - beta2 ** step)
        if group["amsgrad"]:
            max_sq = buffer(state, "max_exp_avg_sq", param)
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = np.sqrt(max_sq)
        else:
            denom = np.sqrt(exp_avg_sq)
        with_number_(np.true_divide, denom, correction2_sqrt)  # (in place: sqrt(v) / c + eps's roundings)
        denom += eps
        addcdiv_(param, exp_avg, denom, -step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (the weights shrink directly, not through the gradient)."""
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, **kwargs):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **kwargs)
