"""Reductions: sum, mean, prod, var/std, max/min, logsumexp, softmax, cumsum, norm.

A reduction's backward spreads the gradient back over the reduced axes:
``grad.reshape(kept_shape).expand(input_shape)`` (kept_shape: the reduced
axes as size 1, i.e. the keepdim shape).
"""
import math
import warnings

import numpy as np

from .. import _backend
from .._backend import as_array, c_contiguous, dtype_of, get_array_module, normalize_dim, to_dtype
from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import Tensor, _wrap
from .elementwise import where, _floating
from .._backend import int_arg, require_float, silently, torch_scalar_name
from .._tensor_str import return_type
from .shape import cat

MaxResult = return_type("max")
MinResult = return_type("min")


def reduced_axes(dim, ndim):
    """dim (None, int, or a sequence) -> a sorted tuple of non-negative axes (all axes for None)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        axis = normalize_dim(int(dim), ndim)  # (a 0-d tensor takes dim 0 or -1, and reduces nothing)
        return (axis,) if ndim else ()
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"dim must be an int or a tuple of ints, not {type(dim).__name__} {dim!r}")
    axes = [normalize_dim(int_arg(d, "reduction", "dims"), ndim) for d in dim]
    for i, axis in enumerate(axes):
        if axis in axes[:i]:  # (torch names the first dim seen twice, as a non-negative dim)
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
    return tuple(sorted(axes)) if ndim else ()


def kept_shape(shape, axes):
    """The shape with the reduced axes kept as size 1."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _spread(grad, shape, axes):
    """A reduced gradient, stretched back over the reduced axes."""
    return grad.reshape(kept_shape(shape, axes)).expand(shape)


def summed(a, axes, keepdim):
    """Sum's forward on an array (also the engine's, for a broadcast gradient in a plain backward)."""
    if len(axes) == a.ndim:  # (NumPy reduces all axes the same way, but parses a tuple of them slower)
        axes = None
    return c_contiguous(a.sum(axis=axes, keepdims=keepdim))  # (torch's reductions give contiguous results)


class Sum(Op):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes = a.shape, axes
        return summed(a, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):  # d(sum a)/da_i = 1
        return _spread(grad, ctx.shape, ctx.axes), None, None


class SumDim(Sum):  # x.sum(dim): torch's second overload
    _name, _overload = "Sum", 1


class Mean(Op):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes = a.shape, axes
        ctx.count = math.prod([a.shape[i] for i in axes])
        if ctx.count == 0:  # the mean of nothing is nan, as in PyTorch (NumPy would warn "Mean of empty slice")
            return np.sum(a, axis=axes, keepdims=keepdim) * np.nan
        if type(a) is not np.ndarray or a.dtype == np.float16:  # (NumPy sums half in float32: its mean knows how)
            return c_contiguous(a.mean(axis=axes, keepdims=keepdim))
        # NumPy's mean without its Python wrapper (on small arrays that halves the time): the sum, divided by the
        # count as an intp, so in float64 and rounded once into the sum's dtype
        total = a.sum(axis=axes, keepdims=keepdim)
        if type(total) is np.ndarray:
            return c_contiguous(np.true_divide(total, np.intp(ctx.count), out=total, casting="unsafe"))
        return as_array(total.dtype.type(total / np.intp(ctx.count)))

    @staticmethod
    def backward(ctx, grad):  # d(mean a)/da_i = 1/N
        return _spread(grad, ctx.shape, ctx.axes) / ctx.count, None, None


class MeanDim(Mean):  # x.mean(dim)
    _name, _overload = "Mean", 1


class Prod(Op):
    @staticmethod
    def forward(ctx, a, axis, keepdim):
        out = c_contiguous(np.prod(a, axis=axis, keepdims=keepdim))  # torch's prod result is contiguous
        ctx.axis = axis
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(prod a)/da_i = product of all the other elements
        a, out = ctx.saved_tensors
        axes = tuple(range(a.ndim)) if ctx.axis is None else (ctx.axis,)
        grad = _spread(grad, a.shape, axes)
        if not (a._data == 0).any():
            return grad * _spread(out, a.shape, axes) / a, None, None
        # with zeros, out / a is 0/0: multiply the products before and after each element instead
        if STATE.enabled:  # create_graph: the same products from differentiable ops, so a second derivative exists
            t = a.reshape(-1) if ctx.axis is None else a
            axis = 0 if ctx.axis is None else ctx.axis
            n = t.shape[axis]
            one = t.narrow(axis, 0, 1) * 0 + 1
            before = cat([one, t.narrow(axis, 0, n - 1)], axis).cumprod(axis)  # the elements before i
            after = cat([t.narrow(axis, 1, n - 1), one], axis).flip(axis).cumprod(axis).flip(axis)  # after i
            return grad * (before * after).reshape(a.shape), None, None
        data = a._data.reshape(-1) if ctx.axis is None else a._data
        axis = 0 if ctx.axis is None else ctx.axis
        ones = np.ones_like(_slice(data, 0, 1, axis))
        before = np.cumprod(np.concatenate([ones, data], axis=axis), axis=axis)
        after = np.flip(np.cumprod(np.flip(np.concatenate([data, ones], axis=axis), axis), axis=axis), axis)
        n = data.shape[axis]
        others = _slice(before, 0, n, axis) * _slice(after, 1, n + 1, axis)
        return grad * _wrap(others.reshape(a.shape)), None, None


class ProdDim(Prod):  # x.prod(dim)
    _name, _overload = "Prod", 1


class Var(Op):
    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.axes, ctx.correction = axes, correction
        ctx.save_for_backward(a)
        return _variance(a, axes, correction, keepdim, "var")

    @staticmethod
    def backward(ctx, grad):  # d(var a)/da_i = 2 (a_i - mean) / (N - correction)
        (a,) = ctx.saved_tensors
        n = math.prod([a.shape[i] for i in ctx.axes])
        centred = a - a.mean(dim=ctx.axes, keepdim=True)
        scale = 2.0 / (n - ctx.correction) if n != ctx.correction else float("inf")  # no degrees of freedom: nan
        return _spread(grad, a.shape, ctx.axes) * centred * scale, None, None, None


def _variance(a, axes, correction, keepdim, name):
    if math.prod([a.shape[i] for i in axes]) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=6)
    with silently(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own warning about the same thing
        return c_contiguous(np.var(a, axis=axes, ddof=correction, keepdims=keepdim))


class Std(Op):
    """sqrt(var(a)) as one node, as torch's StdBackward0."""

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.axes, ctx.correction = axes, correction
        out = np.sqrt(_variance(a, axes, correction, keepdim, "std"))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(std a)/da_i = d(var a)/da_i / (2 std) = (a_i - mean) / ((N - correction) std)
        a, out = ctx.saved_tensors
        # where std is 0 (all equal) the gradient is 0, as in torch
        per_std = _spread(where(out == 0, 0.0, grad / out), a.shape, ctx.axes)
        n = math.prod([a.shape[i] for i in ctx.axes])
        scale = 1.0 / (n - ctx.correction) if n != ctx.correction else float("inf")  # no degrees of freedom: nan
        return per_std * (a - a.mean(dim=ctx.axes, keepdim=True)) * scale, None, None, None


class Amax(Op):
    """max/min over axes; ties share the gradient equally, as in PyTorch's amax and max()."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, smallest):
        if a.size == 0 and any(a.shape[i] == 0 for i in axes):
            raise IndexError(f"max(): Expected reduction dim {list(axes)} to have non-zero size; "
                             f"the input has shape {list(a.shape)}")
        ctx.axes, ctx.smallest = axes, smallest
        out = c_contiguous(a.min(axis=axes, keepdims=keepdim) if smallest else a.max(axis=axes, keepdims=keepdim))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # 1/(number of ties) at each extreme element, 0 elsewhere
        a, out = ctx.saved_tensors
        is_extreme = a == _spread(out, a.shape, ctx.axes)
        count = is_extreme.sum(dim=ctx.axes, keepdim=True)  # an integer: the share stays in grad's dtype
        return _spread(grad, a.shape, ctx.axes) / count * is_extreme, None, None, None

    def name(self):
        return "AminBackward0" if self.smallest else "AmaxBackward0"


class Extreme(Amax):  # x.max() and x.min() of all elements: torch's MaxBackward1, MinBackward1
    def name(self):
        return "MinBackward1" if self.smallest else "MaxBackward1"


class LogSumExp(Op):
    _name = "Logsumexp"

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.axes = axes
        m = np.amax(a, axis=axes, keepdims=True) if a.size else \
            get_array_module(a).zeros(kept_shape(a.shape, axes), a.dtype)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) along an axis: shift by 0, not by inf
        with silently(divide="ignore"):
            out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape) if i not in axes])
        out = c_contiguous(out)  # torch builds it in a new contiguous tensor
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(logsumexp a)/da_i = exp(a_i - logsumexp a) = softmax(a)_i
        a, out = ctx.saved_tensors
        return _spread(grad, a.shape, ctx.axes) * (a - _spread(out, a.shape, ctx.axes)).exp(), None, None


class Softmax(Op):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        e = np.exp(a - a.max(axis=axis, keepdims=True)) if a.size else a.copy()
        out = c_contiguous(e / e.sum(axis=axis, keepdims=True))  # contiguous, as torch's kernel
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # dy_i/da_j = y_i (delta_ij - y_j)
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(dim=ctx.axis, keepdim=True)), None


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        if a.size == 0:
            out = a.copy()
        else:
            shifted = a - a.max(axis=axis, keepdims=True)
            out = c_contiguous(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # dy_i/da_j = delta_ij - softmax(a)_j
        (out,) = ctx.saved_tensors
        if not STATE.enabled:  # a plain backward (cross_entropy's, every training step): on arrays
            g = grad._data
            return _wrap(as_array(g - np.exp(out._data) * g.sum(axis=ctx.axis, keepdims=True))), None
        return grad - out.exp() * grad.sum(dim=ctx.axis, keepdim=True), None


class Cumsum(Op):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return c_contiguous(np.cumsum(a, axis=axis))  # (torch's result is contiguous; NumPy's keeps a's layout)

    @staticmethod
    def backward(ctx, grad):  # a_i counts in every partial sum from i on: a reversed cumsum
        return grad.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis), None


class Cumprod(Op):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        out = c_contiguous(np.cumprod(a, axis=axis))  # (torch's result is contiguous)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """d out_k / d a_j = out_k / a_j for j <= k: a reversed cumsum of grad * out, divided by a.

        That division fails where a has zeros; there the gradient is built without dividing:
        grad_a_j = (a_0 ... a_{j-1}) * S_j, with S_j = grad_j + a_{j+1} S_{j+1} (a running sum from the end).
        """
        a, out = ctx.saved_tensors
        axis = ctx.axis
        if (a._data != 0).all():
            return (grad * out).flip(axis).cumsum(axis).flip(axis) / a, None
        from .shape import stack
        a_k, grad_k = a.unbind(axis), grad.unbind(axis)
        running = [grad_k[-1]]
        for j in range(len(a_k) - 2, -1, -1):
            running.append(grad_k[j] + a_k[j + 1] * running[-1])
        before = [a_k[0] * 0 + 1]  # the product of the elements before j (1 for the first)
        for j in range(1, len(a_k)):
            before.append(before[-1] * a_k[j - 1])
        return stack([b * s for b, s in zip(before, reversed(running))], axis), None


class Norm2(Op):
    _name = "LinalgVectorNorm"

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.axes = axes
        out = c_contiguous(np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim)))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d||a||/da = a / ||a|| (0 where the norm is 0), in torch's order of operations
        a, out = ctx.saved_tensors
        norm = _spread(out, a.shape, ctx.axes)
        return _spread(grad, a.shape, ctx.axes) * where(norm == 0, 0.0, a / norm), None, None


class VectorNorm(Op):
    """The p-norm over axes for p other than 2: max |a| (p = inf), min |a| (-inf), the count of non-zeros (0),
    else (sum |a|^p)^(1/p); one node, as torch's linalg.vector_norm."""

    _name = "LinalgVectorNorm"

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        ctx.p, ctx.axes = p, axes
        magnitude = np.abs(a)
        if p == math.inf or p == -math.inf:
            out = magnitude.max(axis=axes, keepdims=keepdim) if p > 0 else magnitude.min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        elif p == 1:
            out = magnitude.sum(axis=axes, keepdims=keepdim)
        else:
            out = (magnitude ** p).sum(axis=axes, keepdims=keepdim) ** (1 / p)
        out = c_contiguous(as_array(out, a.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """torch's norm_backward, case by case: none for p = 0; sign(a) for p = 1; sign(a), shared between the
        ties (and NaNs), at the extreme |a| for p = +-inf; else sign(a) |a|^(p - 1) / norm^(p - 1). Written per
        range of p, as torch writes it, so that an element equal to 0 gets 0 and not 0 * inf = NaN:"""
        p, axes = ctx.p, ctx.axes
        if p == 0:  # (torch hands back no gradient at all: the leaf's .grad stays None)
            return None, None, None, None
        a, out = ctx.saved_tensors
        g = _spread(grad, a.shape, axes)
        if p == 1:
            return g * a.sign(), None, None, None
        norm = _spread(out, a.shape, axes)
        if p == math.inf or p == -math.inf:
            extreme = (a.abs() == norm) | a.isnan()
            return a.sign() * (g / extreme.sum(dim=axes, keepdim=True) * extreme), None, None, None
        if p < 1:  # |a|^(p - 1) is inf at a = 0: masked; norm^(1 - p) is 0 (not 1 / 0) where the norm is 0
            scaled = a.sign() * where(a == 0, 0.0, a.abs() ** (p - 1))
            return scaled * g * norm ** (1 - p), None, None, None
        if p < 2:  # |a|^(p - 1) is 0 at a = 0, where a |a|^(p - 2) would be 0 * inf
            scaled = a.sign() * a.abs() ** (p - 1)
        else:
            scaled = a * a.abs() ** (p - 2)
        return scaled * where(norm == 0, 0.0, g / norm ** (p - 1)), None, None, None


# ----------------------------------------------------------------------------
# functions with PyTorch's signatures
# ----------------------------------------------------------------------------
def _dim_from_axis(name, dim, axis):
    """axis= given for dim= (torch's alias): both at once is torch's TypeError."""
    if dim is not None:
        raise TypeError(f"{name}() got both dim={dim!r} and axis={axis!r}: axis is another name for dim, give one")
    return axis


def sum(a, dim=None, keepdim=False, dtype=None, *, axis=None):
    """The sum of all elements, or along dim (axis: NumPy's name for it, which torch takes too)."""
    if axis is not None:
        dim = _dim_from_axis("sum", dim, axis)
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    elif a._data.dtype.kind in "bui" and a._data.dtype != np.int64:
        a = a.to(to_dtype("int64"))  # sums of bool and integer tensors are int64, as in PyTorch
    return (Sum if dim is None else SumDim).apply(a, reduced_axes(dim, a.ndim), keepdim)


def mean(a, dim=None, keepdim=False, dtype=None, *, axis=None):
    """The mean of all elements, or along dim (axis: NumPy's name for it, which torch takes too)."""
    if axis is not None:
        dim = _dim_from_axis("mean", dim, axis)
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {dtype_of(a._data).name}. Convert first, e.g. x.float().mean()"
        )
    return (Mean if dim is None else MeanDim).apply(a, reduced_axes(dim, a.ndim), keepdim)


def prod(a, dim=None, keepdim=False, dtype=None):
    """The product of all elements, or along dim."""
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    elif a._data.dtype.kind in "bui":
        a = a.to(to_dtype("int64"))
    axis = None if dim is None else reduced_axes(dim, a.ndim)[0] if a.ndim else None
    return (Prod if dim is None else ProdDim).apply(a, axis, keepdim)


def var(a, dim=None, unbiased=None, keepdim=False, correction=None):
    """The variance (correction=1: the unbiased estimate), of all elements or along dim."""
    correction = _correction(unbiased, correction)
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point and complex dtypes, got {dtype_of(a._data).name}")
    return Var.apply(a, reduced_axes(dim, a.ndim), correction, keepdim)


def std(a, dim=None, unbiased=None, keepdim=False, correction=None):
    """The standard deviation (correction=1: from the unbiased variance), of all elements or along dim."""
    correction = _correction(unbiased, correction)
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point and complex dtypes, got {dtype_of(a._data).name}")
    return Std.apply(a, reduced_axes(dim, a.ndim), correction, keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _specified_dim(a, dim, name):
    if dim in ((), None) and a._data.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")


def amax(a, dim=(), keepdim=False):
    """The largest elements along dim (the gradient is shared between ties)."""
    _specified_dim(a, dim, "amax")
    return Amax.apply(a, reduced_axes(dim if dim != () else None, a.ndim), keepdim, False)


def amin(a, dim=(), keepdim=False):
    """The smallest elements along dim (the gradient is shared between ties)."""
    _specified_dim(a, dim, "amin")
    return Amax.apply(a, reduced_axes(dim if dim != () else None, a.ndim), keepdim, True)


def max(a, dim=None, keepdim=False):
    """max(a): the largest value; max(a, dim): (values, indices); max(a, b): elementwise maximum."""
    return _extreme(a, dim, keepdim, smallest=False)


def min(a, dim=None, keepdim=False):
    """The smallest element; along dim, (values, indices); with a tensor, the elementwise minimum."""
    return _extreme(a, dim, keepdim, smallest=True)


def _extreme(a, dim, keepdim, smallest):
    if not isinstance(keepdim, bool):
        raise TypeError(f"{'min' if smallest else 'max'}(): argument 'keepdim' must be bool, not "
                        f"{type(keepdim).__name__}")
    if isinstance(dim, Tensor):
        from .elementwise import maximum, minimum
        return (minimum if smallest else maximum)(a, dim)
    if dim is None:
        if a._data.size == 0:
            raise RuntimeError(f"{'min' if smallest else 'max'}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        return Extreme.apply(a, tuple(range(a.ndim)), False, smallest)
    axis = normalize_dim(dim, a.ndim)
    position = (argmin if smallest else argmax)(a, axis, keepdim=True)._data
    return _pick(a, axis, position, keepdim, *((MinResult, MinDim) if smallest else (MaxResult, MaxDim)))


def argmax(a, dim=None, keepdim=False):
    """The index of the largest element, overall or along dim."""
    return _arg_extreme(np.argmax, a, dim, keepdim)


def argmin(a, dim=None, keepdim=False):
    """The index of the smallest element, overall or along dim."""
    return _arg_extreme(np.argmin, a, dim, keepdim)


def _arg_extreme(fn, a, dim, keepdim):
    data = a._data
    if data.size == 0 and dim is None:
        raise IndexError(f"{fn.__name__}(): Expected reduction dim to be specified for input.numel() == 0; "
                         "an empty tensor has no largest or smallest element")
    if dim is not None:
        dim = int_arg(dim, fn.__name__, "dim")
        if data.ndim and data.shape[normalize_dim(dim, data.ndim)] == 0:
            raise IndexError(f"{fn.__name__}(): Expected reduction dim {normalize_dim(dim, data.ndim)} to have "
                             f"non-zero size (input of shape {list(data.shape)})")
    if dim is None:
        out = as_array(fn(data.reshape(-1)))
        return _wrap(out.reshape((1,) * data.ndim) if keepdim else out.astype(np.int64))
    axis = normalize_dim(dim, data.ndim)
    if data.ndim == 0:
        return _wrap(get_array_module(data).zeros((), np.int64))
    return _wrap(as_array(fn(data, axis=axis, keepdims=keepdim), np.int64))


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(x))) along dim, computed without overflow."""
    return LogSumExp.apply(_floating(a), reduced_axes(dim, a.ndim), keepdim)


def softmax(a, dim=None, dtype=None):
    """F.softmax: dim may still be left out (PyTorch's deprecation warning picks one)."""
    a = a if dtype is None else a.to(to_dtype(dtype))
    require_float("softmax", a._data)
    return Softmax.apply(a, normalize_dim(_implicit_dim(dim, a), a.ndim))


def log_softmax(a, dim=None, dtype=None):
    """log(softmax(x)) along dim, computed stably."""
    a = a if dtype is None else a.to(to_dtype(dtype))
    require_float("log_softmax", a._data)
    return LogSoftmax.apply(a, normalize_dim(_implicit_dim(dim, a), a.ndim))


def softmax_over(a, dim=None, dtype=None):
    """ember.softmax and Tensor.softmax: dim is required, as in PyTorch (only F.softmax may guess it)."""
    return softmax(a, _required_dim(dim, "softmax"), dtype)


def log_softmax_over(a, dim=None, dtype=None):
    """log(softmax(x)) along dim, computed stably (ember.log_softmax: dim is required)."""
    return log_softmax(a, _required_dim(dim, "log_softmax"), dtype)


def _required_dim(dim, name):
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional argument: "dim"; say which dimension sums to 1, '
                        f"e.g. {name}(x, dim=-1) for the last")
    return dim


def _implicit_dim(dim, a, name="softmax", stacklevel=3):
    if dim is not None:
        return dim
    import warnings
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if a.ndim in (0, 1, 3) else 1


def cumsum(a, dim, dtype=None):
    """Running sums along dim."""
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    elif a._data.dtype.kind in "bui":
        a = a.to(to_dtype("int64"))
    return Cumsum.apply(a, normalize_dim(dim, a.ndim)) if a.ndim else a.clone()


def cumprod(a, dim, dtype=None):
    """Running products along dim."""
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    elif a._data.dtype.kind in "bui":
        a = a.to(to_dtype("int64"))
    axis = normalize_dim(dim, a.ndim)
    if a.ndim == 0 or a._data.shape[axis] == 0:
        return a.clone()
    return Cumprod.apply(a, axis)


def norm(a, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm of all elements, or along dim (default: the Euclidean norm)."""
    if dtype is not None:
        a = a.to(to_dtype(dtype))
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {torch_scalar_name(a._data.dtype)}")
    axes = reduced_axes(dim, a.ndim)
    if p == "fro" and dim is not None and not isinstance(dim, int) and len(axes) > 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}: the "
                           "Frobenius norm is over one or two dims; use p=2 for more")
    if p in ("fro", 2, 2.0):
        return Norm2.apply(a, axes, keepdim)
    if p in ("inf", "-inf"):
        p = float(p)
    if not isinstance(p, str):
        if p < 0 or p == math.inf:  # (a max, min or 1/sum(|a|^p) over nothing has no value)
            _check_norm_of_nothing(a, p, dim, axes)
        return VectorNorm.apply(a, p, axes, keepdim)
    if p == "nuc" and a.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions (got "
                           f"{a.ndim}); the nuclear norm is a matrix norm")
    raise NotImplementedError(f"norm p={p!r}: ember computes p='fro', 'inf', '-inf' and numeric p; for the "
                              "nuclear norm sum the singular values")


def _check_norm_of_nothing(a, p, dim, axes):
    """torch's refusal of a norm without an identity (p = inf or p < 0) over an empty tensor or dimension."""
    if dim is None and a.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because the "
                           "operation does not have an identity")
    if dim is not None:
        for d in ((dim,) if isinstance(dim, int) else dim):
            if a.shape[normalize_dim(d, a.ndim)] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the dimension "
                                   f"{normalize_dim(d, a.ndim)}because this dimension is empty and the operation does "
                                   "not have an identity")


def any(a, dim=None, keepdim=False):
    """True if any element (or any along dim) is non-zero."""
    axes = None if dim is None else reduced_axes(dim, a.ndim)
    return _wrap(c_contiguous(np.any(a._data, axis=axes, keepdims=keepdim)))


def all(a, dim=None, keepdim=False):
    """True if every element (or every one along dim) is non-zero."""
    axes = None if dim is None else reduced_axes(dim, a.ndim)
    return _wrap(c_contiguous(np.all(a._data, axis=axes, keepdims=keepdim)))


def count_nonzero(a, dim=None):
    """The number of non-zero elements, overall or along dim."""
    axes = None if dim is None else reduced_axes(dim, a.ndim)
    return _wrap(as_array(np.count_nonzero(a._data, axis=axes), np.int64))



# ----------------------------------------------------------------------------
# sorting: the order comes from NumPy, the values are picked (Pick: gradients flow back to where they came from)
# ----------------------------------------------------------------------------
def _slice(data, start, stop, axis):
    """data[start:stop] along axis (a view; np.take with a list would copy, and lists do not index GPU arrays)."""
    return data[(slice(None),) * axis + (slice(start, stop),)]


SortResult = return_type("sort")
MedianResult = return_type("median")
KthvalueResult = return_type("kthvalue")
CummaxResult = return_type("cummax")
ModeResult = return_type("mode")
CumminResult = return_type("cummin")
TopkResult = return_type("topk")


def argsort(a, dim=-1, descending=False, stable=False):
    """Indices that sort ``a`` along ``dim``; equal values keep their order (NaN counts as the largest)."""
    data = a._data
    if data.ndim == 0:
        return _wrap(get_array_module(data).zeros((), np.int64))
    axis = normalize_dim(dim, data.ndim)
    if not descending:
        return _wrap(np.argsort(data, axis=axis, kind="stable"))
    # descending and still stable: sort the reversed array, then read the result backwards
    n = data.shape[axis]
    backwards = (slice(None),) * axis + (slice(None, None, -1),)  # (np.flip's view, without its Python setup)
    return _wrap((n - 1 - np.argsort(data[backwards], axis=axis, kind="stable"))[backwards].copy())


def sort(a, dim=-1, descending=False, stable=False):
    """The values sorted along dim, and the indices they came from."""
    indices = argsort(a, dim, descending)
    return SortResult(Sort.apply(a, normalize_dim(dim, a.ndim), indices._data, True) if a.ndim else a.clone(),
                      indices)


def topk(a, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) values along dim, and their indices."""
    axis = normalize_dim(dim, a.ndim)
    n = a._data.shape[axis] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: k={k}, but dimension {axis} has size {n}")
    indices = argsort(a, axis, descending=largest)
    if a.ndim:
        indices = _wrap(_slice(indices._data, 0, k, axis))
    return TopkResult(Topk.apply(a, axis, indices._data, True) if a.ndim else a.clone(), indices)


class Pick(Op):
    """The values at positions along axis (an index array, keepdim-shaped): the values of max(dim), kthvalue,
    median(dim), mode, cummax; one node, named as torch names each (the subclasses below)."""

    _torch_saves_tensors = True  # (the indices)

    @staticmethod
    def forward(ctx, a, axis, position, keepdim):
        ctx.shape, ctx.axis, ctx.position, ctx.keepdim = a.shape, axis, position, keepdim
        if a.ndim == 0:  # a 0-d tensor is its own only row
            return a.copy()
        out = _along(a, position, axis)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx, grad):  # d/da: 1 at each picked position (repeats add up), 0 elsewhere
        if not ctx.shape:
            return grad, None, None, None
        if not ctx.keepdim:
            grad = grad.unsqueeze(ctx.axis)
        zeros = _wrap(get_array_module(grad._data).zeros(ctx.shape, grad._data.dtype))
        return zeros.scatter_add(ctx.axis, _wrap(ctx.position), grad), None, None, None


def _along(a, position, axis):
    """np.take_along_axis(a, position, axis); a 2-D array (max(scores, 1), topk) indexed directly, in a third of the
    time its general Python setup takes."""
    if a.ndim == 2 and type(a) is np.ndarray:
        return a[np.arange(a.shape[0])[:, None], position] if axis == 1 else a[position, np.arange(a.shape[1])]
    return np.take_along_axis(a, position, axis)


class MaxDim(Pick):
    _name = "Max"


class MinDim(Pick):
    _name = "Min"


class Kthvalue(Pick):
    pass


class MedianDim(Pick):
    _name, _overload = "Median", 1


class Mode(Pick):
    pass


class Cummax(Pick):
    pass


class Sort(Pick):
    pass


class Topk(Pick):
    pass


class Cummin(Pick):
    pass


def _pick(a, axis, position, keepdim, result, op):
    """The values at ``position`` (an index array, keepdim-shaped) along axis, and the indices."""
    values = op.apply(a, axis, position, keepdim)
    return result(values, _wrap(position if keepdim or position.ndim == 0 else position.squeeze(axis)))


def kthvalue(a, k, dim=-1, keepdim=False):
    """The k-th smallest value along dim (k counts from 1), and where it was."""
    if a.ndim == 0:
        a = a.reshape(1)
    axis = normalize_dim(dim, a.ndim)
    n = a._data.shape[axis]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}: k={k}, size {n}")
    order = argsort(a, axis)._data
    return _pick(a, axis, _slice(order, k - 1, k, axis), keepdim, KthvalueResult, Kthvalue)


def median(a, dim=None, keepdim=False):
    """The lower median (of an even count, the smaller middle value); NaN if the values include NaN."""
    if dim is None:
        flat = a.reshape(-1)
        if flat._data.size == 0:
            return _wrap(get_array_module(a._data).full((), np.nan, a._data.dtype))
        return median(flat, 0).values
    if a.ndim == 0:
        return MedianResult(a.clone(), _wrap(get_array_module(a._data).zeros((), np.int64)))
    axis = normalize_dim(dim, a.ndim)
    data = a._data
    n = data.shape[axis]
    position = _slice(argsort(a, axis)._data, (n - 1) // 2, (n + 1) // 2, axis)
    if data.dtype.kind == "f":  # a NaN anywhere along dim: the first NaN is the answer, as in torch
        nan = np.isnan(data)
        first_nan = np.argmax(nan, axis=axis, keepdims=True)
        position = np.where(nan.any(axis=axis, keepdims=True), first_nan, position)
    return _pick(a, axis, position, keepdim, MedianResult, MedianDim)


def mode(a, dim=-1, keepdim=False):
    """The most frequent value along dim (the smallest, on a tie) and the index of its last occurrence."""
    if a.ndim == 0:
        return ModeResult(a.clone(), _wrap(get_array_module(a._data).zeros((), np.int64)))
    axis = normalize_dim(dim, a.ndim)
    if a._data.shape[axis] == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size (input of shape "
                         f"{list(a.shape)})")
    rows = np.moveaxis(_backend.move(a._data, _backend.CPU), axis, -1)  # counted on the host
    flat = rows.reshape(-1, rows.shape[-1])
    position = np.empty(len(flat), np.int64)
    for r, row in enumerate(flat):  # one np.unique per row: mode is a counting question, not arithmetic
        values, counts = np.unique(row, return_counts=True)
        position[r] = np.flatnonzero(row == values[np.argmax(counts)])[-1]
    position = np.moveaxis(position.reshape(rows.shape[:-1] + (1,)), -1, axis)
    return _pick(a, axis, _backend.like(position, a._data), keepdim, ModeResult, Mode)


def cummax(a, dim):
    """The running maximum along dim and where it was (on ties the latest; NaN, once seen, wins)."""
    return _running_extreme(a, dim, np.greater_equal, CummaxResult, Cummax)


def cummin(a, dim):
    """Running minima along dim, and their indices."""
    return _running_extreme(a, dim, np.less_equal, CumminResult, Cummin)


def _running_extreme(a, dim, keeps_up, result, op):
    xp = get_array_module(a._data)
    if a.ndim == 0:
        return result(a.clone(), _wrap(xp.zeros((), np.int64)))
    axis = normalize_dim(dim, a.ndim)
    data = np.moveaxis(a._data, axis, 0)
    position = xp.zeros(data.shape, np.int64)
    if len(data):
        best, where = data[0].copy(), xp.zeros(data.shape[1:], np.int64)
        for k in range(len(data)):  # one vectorised step per position along dim
            with silently(invalid="ignore"):
                take = keeps_up(data[k], best) | (data[k] != data[k])  # (x != x: NaN)
            where = np.where(take, k, where)
            best = np.where(take, data[k], best)
            position[k] = where
    return _pick(a, axis, np.moveaxis(position, 0, axis), True, result, op)


def var_mean(a, dim=None, unbiased=None, keepdim=False, correction=None):
    """(variance, mean) of all elements or along dim."""
    return var(a, dim, unbiased, keepdim, correction), mean(a, dim, keepdim)


def std_mean(a, dim=None, unbiased=None, keepdim=False, correction=None):
    """(standard deviation, mean) of all elements or along dim."""
    return std(a, dim, unbiased, keepdim, correction), mean(a, dim, keepdim)
