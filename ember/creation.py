"""Making tensors: from data (``tensor``, ``from_numpy``) and from shapes (``zeros``, ``arange``, ...)."""
import numbers
import warnings

import numpy as np

from . import _backend
from ._backend import DEFAULTS, dtype_arg, dtype_of, int_arg, new_size
from .tensor import Tensor, _wrap


def array_from(data, dtype=None):
    """Python data (nested lists of numbers or Tensors) or an array -> a NumPy array, PyTorch's rules.

    Without ``dtype``, arrays keep theirs; Python floats become the default float dtype, Python ints int64,
    Python bools bool. With ``dtype``, Python numbers are converted straight to it (0.7 as float64 is
    float64(0.7), never a float32 widened), and a value the dtype cannot hold is an error, as in PyTorch.
    """
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data)
        dtype_of(array)
    else:
        array = _from_python(data, dtype)
        if dtype is None:
            return array.astype(DEFAULTS.float_dtype.np, copy=False) if array.dtype.kind == "f" else array
        _check_fits(array, dtype)
    return array if dtype is None else array.astype(dtype.np, copy=False)


_NUMBERS, _SEQUENCES = {int, float, bool}, {list, tuple}


def _plain(data):
    """Whether nested lists hold Python numbers only: NumPy then takes them as they are (one-element Tensors
    inside need unwrapping first, as NumPy would read a Tensor of shape (1,) as a row)."""
    types = set(map(type, data))
    return types <= _NUMBERS or types <= _SEQUENCES and all(map(_plain, data))


def _from_python(data, dtype):
    """Nested Python numbers -> an exact NumPy array (float64 / int64 / bool), or PyTorch's error."""
    if isinstance(data, (list, tuple)) and not _plain(data):
        data = _unwrap_nested(data)
    try:
        array = np.array(data)
    except (ValueError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in "biuf" or (array.dtype.kind == "u" and
                                                           not (dtype and dtype.is_floating_point)):
        _diagnose(data, dtype)
        if dtype is not None and dtype.is_floating_point:  # integers beyond int64, wanted as floats
            return np.array(data, dtype=np.float64)
        raise TypeError(f"can't convert {_short(data)} to a tensor: only numbers, bools and nested lists of them "
                        "are supported")
    return array


def _diagnose(data, dtype):
    """Raise PyTorch's error for data NumPy could not turn into a number array (walked as torch walks it)."""
    shape, x = [], data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    if shape and isinstance(x, str):
        raise ValueError(f"too many dimensions 'str': {_short(data)} holds strings; tensors hold numbers, so "
                         "convert them first (e.g. map labels to class indices)")

    def walk(x, dim):
        if dim < len(shape):
            if not isinstance(x, (list, tuple)):
                raise TypeError(f"not a sequence: expected a list of length {shape[dim]} at dim {dim}, got {x!r}; "
                                "every row of nested data must have the same length")
            if len(x) != shape[dim]:
                raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)}); every row "
                                 "of nested data must have the same length")
            for item in x:
                walk(item, dim + 1)
        elif isinstance(x, (list, tuple)):
            raise TypeError(f"not a number: {_short(x)} is a sequence where a number was expected at dim {dim}; "
                            "every row of nested data must have the same depth")
        elif isinstance(x, str):
            raise TypeError(f"new(): invalid data type 'str' ({x!r}); tensors hold numbers: convert strings first, "
                            "e.g. float(s), or map labels to class indices")
        elif not isinstance(x, numbers.Number):
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}: tensors hold numbers, bools or "
                               f"nested lists of them, got {_short(x)}")
        elif isinstance(x, numbers.Integral) and not -2 ** 63 <= x < 2 ** 63 and not (dtype and
                                                                                     dtype.is_floating_point):
            raise ValueError(f"Overflow when unpacking long long: {x} does not fit in int64; use a float "
                             "(e.g. float(x)) or dtype=ember.float64")

    walk(data, 0)


def _check_fits(array, dtype):
    """Python numbers given an integer dtype must fit it (PyTorch refuses to wrap 300 to uint8's 44)."""
    if array.dtype.kind in "iuf" and dtype.np.kind in "iu" and array.size and array.dtype != dtype.np:
        info = np.iinfo(dtype.np)
        low, high = array.min(), array.max()
        if dtype.np == np.uint8 and array.dtype.kind == "i":  # PyTorch lets negative ints wrap into uint8
            low = max(low, 0)
        if not (info.min <= low and high <= info.max):  # NaN compares False: it fits no integer type either
            bad = low if not info.min <= low else high
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow: {bad} is outside "
                               f"[{info.min}, {info.max}]; choose a wider dtype or change the value")


def _unwrap_nested(data):
    out = []
    for x in data:
        if isinstance(x, Tensor):
            if x._data.size != 1:
                raise ValueError(f"only one element tensors can be converted to Python scalars (got a tensor of "
                                 f"shape {list(x.shape)} inside a list); use ember.stack([...]) to join tensors")
            out.append(x.item())
        elif isinstance(x, (list, tuple)):
            out.append(_unwrap_nested(x))
        else:
            out.append(x)
    return out


def _short(data):
    text = repr(data)
    return text if len(text) < 60 else text[:57] + "..."


def _finish(array, requires_grad, device=None, pin_memory=False):
    """A new tensor around a freshly made host array, moved to ``device`` (any spelling; None: the default device)."""
    if device is None:
        device = DEFAULTS.device
    if device is not None:
        dev = _backend.to_device(device)  # torch's AssertionError where CUDA is missing
        if dev.type != "cpu":
            array = _backend.move(array, dev)
    if pin_memory and _backend.cuda_runtime_or_none() is None:
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
                           f"allocator is available on this system. {_backend.CUDA_HOW}")
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than ember.tensor("
                      "sourceTensor).", UserWarning, stacklevel=2)
    array = array_from(data, dtype_arg(dtype, "tensor"))
    return _finish(array, requires_grad, device, pin_memory)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array or Tensor when no conversion is needed."""
    dtype = dtype_arg(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype) and device is None:
        return from_numpy(data)
    return _finish(array_from(data, dtype), False, device)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding the number ``s`` (the default float dtype unless ``dtype`` says otherwise)."""
    if not isinstance(s, numbers.Number):
        raise TypeError(f"scalar_tensor(): argument 's' must be a number, not {type(s).__name__}; "
                        "for other data use ember.tensor(...)")
    return _finish(array_from(s, dtype_arg(dtype, "scalar_tensor") or DEFAULTS.float_dtype), requires_grad, device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtype_of(array)
    return _wrap(array)


def _dtype(dtype, name, default=None):
    return (dtype_arg(dtype, name) or default or DEFAULTS.float_dtype).np


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of zeros of the given size."""
    return _finish(np.zeros(new_size(sizes if size is None else (size,), "zeros"), _dtype(dtype, "zeros")), requires_grad,
                   device, pin_memory)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of ones of the given size."""
    return _finish(np.ones(new_size(sizes if size is None else (size,), "ones"), _dtype(dtype, "ones")), requires_grad,
                   device, pin_memory)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of the given size whose values are not set."""
    return _finish(np.zeros(new_size(sizes if size is None else (size,), "empty"), _dtype(dtype, "empty")), requires_grad,
                   device, pin_memory)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size filled with fill_value."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' must be a tuple of ints, not {type(size).__name__}; "
                        f"write full(({size!r},), {fill_value!r})")
    if not isinstance(fill_value, numbers.Number) and not (isinstance(fill_value, Tensor) and
                                                           fill_value._data.size == 1):
        raise TypeError(f"full(): argument 'fill_value' must be a number, not {type(fill_value).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = dtype_arg(dtype, "full")
    if dtype is None:  # the fill value decides, as in PyTorch
        dtype = _backend.bool_ if isinstance(fill_value, bool) else \
            _backend.int64 if isinstance(fill_value, numbers.Integral) else DEFAULTS.float_dtype
    value = array_from(fill_value, dtype)  # exact, and checked to fit
    return _finish(np.full(new_size((size,), "full"), value, dtype.np), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """An identity matrix (n x m)."""
    n, m = new_size((n, n if m is None else m), "eye")
    return _finish(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """The numbers start, start + step, ... below end."""
    for name, v in (("start", start), ("end", end), ("step", step)):
        if not isinstance(v, numbers.Real) and not (v is None and name == "end"):
            raise TypeError(f"arange(): argument '{name}' must be a number, not {type(v).__name__}")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign: arange({start}, {end}, {step})"
                           "; for a decreasing range give a negative step")
    dtype = dtype_arg(dtype, "arange")
    if dtype is None:
        whole = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = _backend.int64 if whole else DEFAULTS.float_dtype
    _not_bool(dtype, "arange_cpu")
    n = int(np.ceil((end - start) / step))
    if not dtype.is_floating_point and not all(isinstance(v, numbers.Integral) for v in (start, end, step)):
        # torch's integer kernels step from the truncated start by the truncated step; int64's counts with them too
        if dtype is _backend.int64:
            if int(step) == 0:
                raise ValueError("step must be nonzero: a fractional step truncates to 0 for an integer dtype; "
                                 "give a whole step or a floating dtype")
            n = int(np.ceil((int(end) - int(start)) / int(step)))
        start, step = int(start), int(step)
    if dtype.is_floating_point:  # PyTorch's kernel: start + i * step as one fused multiply-add in double
        values = _fma(np.float64(step), np.arange(n, dtype=np.float64), np.float64(start))
    else:
        values = start + step * np.arange(n, dtype=np.int64)
    return _finish(values.astype(dtype.np), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """steps numbers evenly spaced from start to end, both included."""
    steps = int_arg(steps, "linspace", "steps")
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    dtype = _not_bool(dtype_arg(dtype, "linspace") or DEFAULTS.float_dtype, "linspace_cpu")
    # PyTorch's kernel, bit for bit: the first half counts up from start, the second half down from end,
    # in the dtype itself for floats (double for integer results)
    work = dtype.np if dtype.is_floating_point else np.dtype(np.float64)
    first, last = work.type(start), work.type(end)
    step = (last - first) / work.type(max(steps - 1, 1))
    index = np.arange(steps, dtype=np.float64)
    up = _fma(np.float64(step), index, np.float64(first))
    down = _fma(-np.float64(step), steps - 1 - index, np.float64(last))
    values = np.where((index < steps // 2) | (steps == 1), up, down).astype(work)
    return _finish(values.astype(dtype.np), requires_grad, device)


def _fma(a, b, c):
    """a * b + c rounded once (a fused multiply-add, as PyTorch's range kernels compute), on float64 arrays.

    Dekker's exact product p + e = a * b and Knuth's exact sum s + t = p + c, then one final rounding;
    float32 inputs are exact in float64, so their result is rounded once more, to float32, by the caller."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s = p + c
    v = s - p
    t = (p - (s - v)) + (c - v)
    return s + (t + e)


def _split(x):
    """x = hi + lo with each half holding 26 bits, so products of halves are exact (Dekker)."""
    scaled = 134217729.0 * x  # 2**27 + 1
    hi = scaled - (scaled - x)
    return hi, x - hi


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """steps numbers evenly spaced on a log scale from base^start to base^end."""
    steps = int_arg(steps, "logspace", "steps")
    if steps < 0:
        raise RuntimeError(f"logspace(): number of steps must be non-negative, got {steps}")
    values = np.logspace(start, end, steps, base=base)
    return _finish(values.astype(_not_bool(dtype_arg(dtype, "logspace") or DEFAULTS.float_dtype, "logspace_cpu").np),
                   requires_grad, device)


def _not_bool(dtype, kernel):
    """Range kernels have no bool version in torch: its NotImplementedError, naming the kernel."""
    if dtype is _backend.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\': give a numeric dtype, e.g. '
                                  "dtype=ember.float32")
    return dtype


def _like(t, device):
    return t.device if device is None else device  # a *_like tensor lives where t lives, unless asked


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    """Zeros with input's shape (and dtype, and device)."""
    return zeros(t._data.shape, dtype=dtype or t.dtype, device=_like(t, device), requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    """Ones with input's shape (and dtype, and device)."""
    return ones(t._data.shape, dtype=dtype or t.dtype, device=_like(t, device), requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    """An unset tensor with input's shape (and dtype, and device)."""
    return zeros(t._data.shape, dtype=dtype or t.dtype, device=_like(t, device), requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """fill_value with input's shape (and dtype, and device)."""
    return full(t._data.shape, fill_value, dtype=dtype or t.dtype, device=_like(t, device),
                requires_grad=requires_grad)
