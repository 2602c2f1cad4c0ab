"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay (PyTorch's SGD)."""
import numpy as np

from ..ops.elementwise import torch_fma, with_number_
from ..tensor import _wrap
from .optimizer import Optimizer, _check


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay."""
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0), "Nesterov momentum requires a momentum and zero "
                                                                  "dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update(self, param, grad, state, group):
        if group["weight_decay"]:
            grad = torch_fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        momentum = group["momentum"]
        if momentum:
            if state.get("momentum_buffer") is None:
                state["momentum_buffer"] = _wrap(grad.copy())  # the first step: the buffer is the gradient
                buf = state["momentum_buffer"]._data
            else:
                buf = state["momentum_buffer"]._data
                with_number_(np.multiply, buf, momentum)
                torch_fma(grad, 1 - group["dampening"], buf, buf)  # (torch's add_ with alpha: one rounding)
            grad = torch_fma(buf, momentum, grad) if group["nesterov"] else buf
        torch_fma(grad, -group["lr"], param, param)  # param.add_(grad, alpha=-lr)
