"""Gradient clipping, in place on each parameter's .grad."""
import math
import warnings

import numpy as np

from ...tensor import Tensor, _wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most max_norm; returns the norm before."""
    grads = _grads(parameters)
    if not grads:
        return _wrap(np.asarray(0.0, np.float32))
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(float(np.abs(g._data).max()) for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g._data.astype(np.float64)) ** norm_type)) for g in grads) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g._data *= coefficient
    return _wrap(np.asarray(total, grads[0]._data.dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value]."""
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated (the name before PyTorch 0.4): use clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)
