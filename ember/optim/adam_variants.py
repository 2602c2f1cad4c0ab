"""Adam's relatives: NAdam (Nesterov momentum), RAdam (rectified warm-up), Adamax (infinity norm), and
Adadelta (no learning rate to tune). PyTorch's single-tensor formulas, one step each."""
import numpy as np

from .._backend import get_default_dtype
from ..ops.elementwise import torch_fma
from ..tensor import _wrap
from .adam import check_adam_like, moments
from .optimizer import Optimizer, _check, buffer, count_step


def _decay(param, grad, group):
    """Weight decay: decoupled (shrink the weights) or folded into the gradient as an L2 penalty."""
    decay = group["weight_decay"]
    if decay and group.get("decoupled_weight_decay"):
        param *= 1 - group["lr"] * decay
    elif decay:
        grad = torch_fma(param, decay, grad)
    return grad


class NAdam(Optimizer):
    """Adam with Nesterov momentum."""
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_adam_like(lr, betas, eps, weight_decay)
        _check(momentum_decay >= 0.0, f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
        if "mu_product" not in state:  # a 0-d tensor of the default dtype, as PyTorch keeps it
            state["mu_product"] = _wrap(np.ones((), get_default_dtype().np))
        step = count_step(state)
        grad = _decay(param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))  # the momentum schedule, at t and t + 1
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"]._data *= mu
        mu_product = float(state["mu_product"]._data)
        exp_avg, exp_avg_sq = moments(state, param, grad, beta1, beta2)
        denom = np.sqrt(exp_avg_sq / (1 - beta2 ** step)) + group["eps"]
        param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)  # the current gradient's share
        param += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (exp_avg / denom)  # and momentum's, looking ahead


class RAdam(Optimizer):
    """Adam with a rectified warm-up of the adaptive step."""
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable, differentiable=differentiable))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        step = count_step(state)
        grad = _decay(param, grad, group)
        exp_avg, exp_avg_sq = moments(state, param, grad, beta1, beta2)
        correction2 = 1 - beta2 ** step
        corrected_avg = exp_avg / (1 - beta1 ** step)
        # rho: how many steps the variance estimate effectively averages; under 5 it is too noisy to use
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * step * (beta2 ** step) / correction2
        if rho > 5.0:
            rect = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
            adaptive = correction2 ** 0.5 / (np.sqrt(exp_avg_sq) + group["eps"])
            param -= corrected_avg * lr * adaptive * rect
        else:  # plain momentum SGD while the variance warms up
            param -= corrected_avg * lr


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the squared gradient's mean."""
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        step = count_step(state)
        if group["weight_decay"]:
            grad = torch_fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        exp_avg = buffer(state, "exp_avg", param)
        exp_inf = buffer(state, "exp_inf", param)
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)  # u = max(beta2 u, |g| + eps)
        param += -(lr / (1 - beta1 ** step)) * (exp_avg / exp_inf)


class Adadelta(Optimizer):
    """Adadelta: steps scaled by running averages of squared gradients and squared updates."""
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      capturable=capturable, maximize=maximize, differentiable=differentiable))

    def _update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        count_step(state)
        if group["weight_decay"]:
            grad = torch_fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        square_avg = buffer(state, "square_avg", param)
        acc_delta = buffer(state, "acc_delta", param)
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        # the step has the units of the parameter: RMS of past steps over RMS of gradients, times the gradient
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param += -group["lr"] * delta

