"""Normalisation as torch records it: one NativeBatchNormBackward0, NativeLayerNormBackward0 or
NativeGroupNormBackward0 node.

Each normalises x over some axes (group norm: of x viewed as (N, groups, the rest)), xhat = (x - mean) / sqrt(var + eps) (var without correction), then scale and
shift it by a learnt weight and bias. The backward is the derivative of that whole expression, written in ember
ops so that a second derivative sees through it:
    g = grad * weight                                       (the gradient at xhat)
    dx = rstd (g - mean(g) - xhat mean(g xhat))             (statistics of x itself, means over the axes)
    dx = rstd g                                             (fixed statistics: batch norm's running ones)
    dweight = sum(grad xhat), dbias = sum(grad)             (over the axes the parameters are broadcast along)
"""
import math

import numpy as np

from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import _wrap


def statistics(x, axes, eps):
    """The mean, the variance and 1 / sqrt(var + eps) of the array x over axes (kept as size-1 dims)."""
    if x.size == 0:  # no values (an empty batch): no statistics to take, and numpy's warnings about it
        shape = tuple(1 if a in axes else n for a, n in enumerate(x.shape))
        mean, var = np.zeros(shape, x.dtype), np.ones(shape, x.dtype)
    elif type(x) is np.ndarray and x.dtype != np.float16:
        # np.mean's and np.var's own steps, without their Python wrappers (a third of a small batch norm's time):
        # each sum divided by the count as an intp, and the mean computed once for both
        count = np.intp(math.prod([x.shape[a] for a in axes]))
        mean = x.sum(axis=axes, keepdims=True)
        np.true_divide(mean, count, out=mean, casting="unsafe")
        squares = x - mean
        np.multiply(squares, squares, out=squares)
        var = squares.sum(axis=axes, keepdims=True)
        np.true_divide(var, count, out=var, casting="unsafe")
    else:  # (a GPU array, or half, which NumPy's mean and var sum in float32)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return mean, var, 1 / np.sqrt(var + eps)


class NativeBatchNorm(Op):
    """x normalised with the given mean and rstd (arrays over the axes, kept), then weight x + bias.

    own: the statistics are x's own (training; they depend on x, with eps added to the variance), else fixed
    (running statistics). grouped: the shape x is viewed in for its statistics (None: x's own).
    weight and bias (or None) are broadcast against x in param_shape; their gradients sum over param_axes.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, mean, rstd, own, eps, axes, param_shape, param_axes, grouped=None):
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.rstd, ctx.own, ctx.eps = mean, rstd, own, eps
        ctx.axes, ctx.param_shape, ctx.param_axes, ctx.grouped = axes, param_shape, param_axes, grouped
        if grouped is None:
            out = (x - mean) * rstd
        else:
            out = ((x.reshape(grouped) - mean) * rstd).reshape(x.shape)
        if weight is not None:
            out *= weight.reshape(param_shape)
        if bias is not None:
            out += bias.reshape(param_shape)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        axes, grouped, shape = ctx.axes, ctx.grouped, x.shape
        xs = x if grouped is None else x.reshape(grouped)
        if ctx.own and STATE.enabled:  # create_graph: the statistics as functions of x, for the second derivative
            centred = xs - xs.mean(axes, keepdim=True)
            rstd = ((centred * centred).mean(axes, keepdim=True) + ctx.eps).rsqrt()
        else:
            centred, rstd = xs - _wrap(ctx.mean), _wrap(ctx.rstd)
        xhat = centred * rstd  # (in the grouped shape)
        grad_x = grad_w = grad_b = None
        if need_x:
            g = grad if weight is None else grad * weight.reshape(ctx.param_shape)
            g = g if grouped is None else g.reshape(grouped)
            if ctx.own:
                g = g - g.mean(axes, keepdim=True) - xhat * (g * xhat).mean(axes, keepdim=True)
            grad_x = g * rstd if grouped is None else (g * rstd).reshape(shape)
        if need_w:
            grad_w = _summed(grad * (xhat if grouped is None else xhat.reshape(shape)), ctx.param_axes)
        if need_b:
            grad_b = _summed(grad, ctx.param_axes)
        return (grad_x, grad_w, grad_b) + (None,) * (len(ctx.needs_input_grad) - 3)


def _summed(t, axes):
    return t.sum(axes) if axes else t


class NativeLayerNorm(NativeBatchNorm):
    pass


class NativeGroupNorm(NativeBatchNorm):
    pass
