"""Arrays, dtypes and devices: the one place that knows NumPy (and, later, CuPy).

Ops call NumPy functions directly. CuPy arrays implement NumPy's
``__array_ufunc__`` / ``__array_function__`` protocols, so the same op code
runs on a GPU array; only array *creation* needs the device's module, which
``array_module(device)`` gives.
"""
import builtins
import ctypes
import functools
import os
import sys

import numpy as np


# ----------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------
class dtype:
    """An ember dtype: a name PyTorch users know, wrapping a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_kind")

    def __init__(self, name, np_dtype, kind):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating: torch's promotion categories
        self.is_floating_point = kind == 2
        self.is_signed = kind == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):  # dtypes are singletons
        return self.name


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL_DTYPES}
_FROM_PY = {builtins.float: float64, builtins.int: int64, builtins.bool: bool_}
_NAMES = {d.name: d for d in ALL_DTYPES}
_NAMES.update(float="float32", double="float64", half="float16", long="int64", int="int32", short="int16")


class _Defaults:
    float_dtype = float32


DEFAULTS = _Defaults()


def get_default_dtype():
    """The dtype of new floating-point tensors (float32 unless set)."""
    return DEFAULTS.float_dtype


def set_default_dtype(d):
    """Set the dtype of new floating-point tensors (float32 or float64)."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    DEFAULTS.float_dtype = d


def to_dtype(d):
    """Any accepted dtype spelling (ember dtype, NumPy dtype, Python type, name) -> ember dtype."""
    if type(d) is dtype:
        return d
    if d in _FROM_PY:
        return _FROM_PY[d]
    if isinstance(d, str):
        name = _NAMES.get(d.replace("torch.", "").replace("ember.", ""))
        if name is not None:
            return _NAMES[name] if isinstance(name, str) else name
    else:
        try:
            return _FROM_NP[np.dtype(d)]
        except (TypeError, KeyError):
            pass
    supported = ", ".join(x.name for x in ALL_DTYPES)
    raise TypeError(f"ember does not support dtype {d!r}; supported dtypes are: {supported}")


def dtype_of(array):
    """The ember dtype of an array; TypeError for arrays ember cannot hold (complex, strings, objects)."""
    try:
        return _FROM_NP[array.dtype]
    except KeyError:
        raise TypeError(
            f"ember does not support arrays of dtype {array.dtype}; "
            "convert it first, e.g. with .astype(numpy.float32)"
        ) from None


def promote_types(a, b):
    """PyTorch's pairwise rule: across categories the higher category's dtype wins (int32 + float16 is
    float16, where NumPy says float64); within a category, the type that holds both."""
    if a is b:
        return a
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def result_type(*operands):
    """PyTorch's type promotion for tensors, 0-d tensors and Python scalars.

    Operands are arrays (from Tensors) or Python numbers. Dimensioned tensors
    decide the dtype unless a 0-d tensor or a Python scalar is of a higher
    category (bool < integer < floating); Python scalars are "weak": a float
    scalar lifts an integer tensor to the default float dtype, not to float64.
    """
    tiers = ([], [], [])  # dimensioned tensors, 0-d tensors, Python scalars (as categories)
    for x in operands:
        if isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__"):
            tiers[0 if x.ndim else 1].append(_FROM_NP[x.dtype])
        elif isinstance(x, builtins.bool):
            tiers[2].append(0)
        elif isinstance(x, builtins.int):
            tiers[2].append(1)
        else:
            tiers[2].append(2)
    result = None
    for level, members in enumerate(tiers):
        if not members:
            continue
        if level < 2:
            candidate = functools.reduce(promote_types, members)
        else:
            candidate = (bool_, int64, DEFAULTS.float_dtype)[max(members)]
        if result is None or candidate._kind > result._kind:
            result = candidate
    return result


# ----------------------------------------------------------------------------
# devices
# ----------------------------------------------------------------------------
class device:
    """Where a tensor's array lives: 'cpu' (NumPy) or 'cuda[:N]' (CuPy, when installed)."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index
        if not isinstance(spec, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {spec}")
        self.type = kind
        self.index = int(idx) if idx else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def array_module(dev):
    """numpy for the CPU, cupy for CUDA (imported only when first asked for)."""
    if dev is None or dev.type == "cpu":
        return np
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            "ember was asked for a CUDA device, but CuPy is not installed; "
            "install cupy for your CUDA version or use device='cpu'"
        ) from None
    return cupy


def device_of(array):
    return CPU if isinstance(array, np.ndarray) else device("cuda", getattr(array.device, "id", 0))


# ----------------------------------------------------------------------------
# error messages shared by ops
# ----------------------------------------------------------------------------
def broadcast_error(shape_a, shape_b):
    """PyTorch's message for shapes that do not broadcast, naming the first clash."""
    a, b = tuple(shape_a), tuple(shape_b)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                f"at non-singleton dimension {i}: shapes {list(a)} and {list(b)} do not broadcast"
            )
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast together")


def normalize_dim(dim, ndim):
    """A possibly negative dim -> 0..ndim-1, with PyTorch's IndexError when out of range."""
    n = ndim if ndim else 1  # a 0-d tensor accepts dim 0 and -1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim else 0


# ----------------------------------------------------------------------------
# memory: keep NumPy's freed temporaries for reuse
# ----------------------------------------------------------------------------
def keep_freed_memory():
    """Stop glibc from handing freed memory back to the OS after every training step.

    NumPy allocates its large temporaries with malloc. By default glibc returns
    memory at the top of the heap to the OS as soon as more than ~128 KiB is
    free there, so the next step page-faults every page back in: a small CNN
    step here took 4,900 page faults and twice the time. Raising malloc's trim
    and mmap thresholds once keeps freed memory for the next step; peak memory
    is unchanged. Linux with glibc only; set EMBER_MALLOC_TUNING=0 to leave
    malloc alone.
    """
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_MALLOC_TUNING", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, ...): nothing to tune
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024) and
                libc.mallopt(m_trim_threshold, 512 * 1024 * 1024))


MALLOC_TUNED = keep_freed_memory()
