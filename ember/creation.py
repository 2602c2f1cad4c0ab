"""Making tensors: from data (``tensor``, ``from_numpy``) and from shapes (``zeros``, ``arange``, ...)."""
import numbers

import numpy as np

from . import _backend
from ._backend import DEFAULTS, dtype_of, to_dtype
from .tensor import Tensor, _wrap
from .ops.shape import size_args


def array_from(data, default_float):
    """Python data (nested lists of numbers or Tensors) or an array -> a NumPy array, PyTorch's dtype rules.

    Arrays keep their dtype; Python floats become the default float dtype,
    Python ints int64, Python bools bool.
    """
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data)
        dtype_of(array)
        return array
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
    try:
        array = np.array(data)
    except ValueError:
        raise ValueError(f"expected a rectangular nested sequence of numbers, got ragged data: {_short(data)}") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"can't convert {_short(data)} to a tensor: only numbers, bools and nested lists of them "
                        "are supported")
    if array.dtype.kind == "f":
        return array.astype(default_float, copy=False)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "c":
        raise TypeError("ember does not support complex numbers")
    return array


def _unwrap_nested(data):
    out = []
    for x in data:
        if isinstance(x, Tensor):
            out.append(x._data.tolist() if x._data.ndim else x.item())
        elif isinstance(x, (list, tuple)):
            out.append(_unwrap_nested(x))
        else:
            out.append(x)
    return out


def _short(data):
    text = repr(data)
    return text if len(text) < 60 else text[:57] + "..."


def _finish(array, requires_grad, device=None):
    if device is not None and _backend.device(device).type != "cpu":
        array = _backend.array_module(_backend.device(device)).asarray(array)
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays)."""
    array = array_from(data, DEFAULTS.float_dtype.np)
    if dtype is not None:
        array = array.astype(to_dtype(dtype).np, copy=False)
    return _finish(array, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array or Tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or to_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtype_of(array)
    return _wrap(array)


def _dtype(dtype, default=None):
    return (to_dtype(dtype) if dtype is not None else (default or DEFAULTS.float_dtype)).np


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size."""
    return _finish(np.zeros(size_args(size), _dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of the given size."""
    return _finish(np.ones(size_args(size), _dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size whose values are not set."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size filled with fill_value."""
    if dtype is None:  # the fill value decides, as in PyTorch
        dtype = _backend.bool_ if isinstance(fill_value, bool) else \
            _backend.int64 if isinstance(fill_value, numbers.Integral) else DEFAULTS.float_dtype
    return _finish(np.full(size_args((size,)), fill_value, _dtype(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """An identity matrix (n x m)."""
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """The numbers start, start + step, ... below end."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign: arange({start}, {end}, {step})")
    if dtype is None:
        whole = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = _backend.int64 if whole else DEFAULTS.float_dtype
    dt = to_dtype(dtype)
    n = int(np.ceil((end - start) / step))
    values = start + step * np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64)
    return _finish(values.astype(dt.np), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """steps numbers evenly spaced from start to end, both included."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps, dtype=np.float64).astype(_dtype(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """steps numbers evenly spaced on a log scale from base^start to base^end."""
    return _finish(np.logspace(start, end, steps, base=base).astype(_dtype(dtype)), requires_grad, device)


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros with input's shape (and dtype)."""
    return zeros(t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones with input's shape (and dtype)."""
    return ones(t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def empty_like(t, dtype=None, requires_grad=False):
    """An unset tensor with input's shape (and dtype)."""
    return zeros(t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    """fill_value with input's shape (and dtype)."""
    return full(t._data.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)
