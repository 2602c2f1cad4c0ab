"""Adagrad: per-element learning rates from the running sum of squared gradients (PyTorch's formulas)."""
import numpy as np

from ..nn.parameter import UninitializedParameter, uninitialized_error
from ..ops.elementwise import addcdiv_, addcmul_arrays, torch_fma
from ..tensor import _wrap
from .optimizer import Optimizer, _check, buffer, count_step


class Adagrad(Optimizer):
    """Adagrad: steps scaled by the root of each parameter's sum of squared gradients."""
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(initial_accumulator_value >= 0.0, f"Invalid initial_accumulator_value value: "
                                                 f"{initial_accumulator_value}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        for group in self.param_groups:  # PyTorch creates Adagrad's state up front
            for p in group["params"]:
                if isinstance(p, UninitializedParameter):  # (its shape comes with a lazy module's first forward)
                    raise uninitialized_error("Adagrad's state, which is made with the optimizer")
                state = self.state[p]
                state["step"] = _wrap(np.zeros((), np.float32))
                buffer(state, "sum", p._data, group["initial_accumulator_value"])

    def _update(self, param, grad, state, group):
        step = count_step(state)
        if group["weight_decay"]:
            grad = torch_fma(param, group["weight_decay"], grad)  # grad.add(param, alpha=decay): one rounding
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = buffer(state, "sum", param, group["initial_accumulator_value"])
        addcmul_arrays(total, grad, grad, 1, out=total)  # torch's addcmul_ and addcdiv_: rounded as they round
        addcdiv_(param, grad, np.sqrt(total) + group["eps"], -clr)
