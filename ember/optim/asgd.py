"""Averaged SGD (PyTorch's ASGD): SGD with a decaying step size, plus a running average of the iterates in
state['ax'] (the averaged weights, which are the answer once averaging has started at step t0)."""
import numpy as np

from .._backend import float64, get_default_dtype
from ..ops.elementwise import torch_fma
from ..tensor import _wrap
from .optimizer import Optimizer, _check, buffer, count_step


def scalar_state(state, name, value):
    """A 0-d state Tensor in PyTorch's scalar dtype (float64 when that is the default dtype, else float32): its
    rounding is part of the trajectory, since PyTorch reads eta and mu back from it."""
    if name not in state:
        state[name] = _wrap(np.array(value, np.float64 if get_default_dtype() is float64 else np.float32))
    return state[name]._data


class ASGD(Optimizer):
    """Averaged SGD: SGD steps that decay, with a running average of the parameters in state['ax']."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, param, grad, state, group):
        lr, lambd = group["lr"], group["lambd"]
        step = count_step(state)
        eta = scalar_state(state, "eta", lr)
        mu = scalar_state(state, "mu", 1.0)
        ax = buffer(state, "ax", param)
        if group["weight_decay"]:
            grad = torch_fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        eta_value = float(eta)
        param *= 1 - lambd * eta_value  # decay, then the SGD step with the current step size
        param += -eta_value * grad
        if float(mu) != 1:
            ax += (param - ax) * mu  # the running average of the iterates
        else:
            ax[...] = param  # before t0 the "average" is the latest iterate
        eta[...] = lr / (1 + lambd * lr * step) ** group["alpha"]
        mu[...] = 1 / max(1, step - group["t0"])
