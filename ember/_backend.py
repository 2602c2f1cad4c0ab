"""Arrays, dtypes and devices: the one place that knows NumPy and CuPy.

Ops call NumPy functions directly. CuPy arrays implement NumPy's
``__array_ufunc__`` / ``__array_function__`` protocols, so ``np.exp(x)`` on a
GPU array runs CuPy's ``exp`` on the GPU, and the same op code serves both
devices. What does not carry over is array *creation* (``np.zeros`` makes a
host array) and host-only tricks: op code asks ``get_array_module(x)`` for the
module that made ``x`` and creates arrays with it. See docs/devices.md.
"""
import builtins
import contextlib
import ctypes
import functools
import math
import operator
import os
import sys
import threading

import numpy as np


# ----------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------
class dtype:
    """An ember dtype: a name PyTorch users know, wrapping a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_kind", "_repr")

    def __init__(self, name, np_dtype, kind):
        self.name = name
        self._repr = "ember." + name  # "torch." + name under ember run (printed_as)
        self.np = np.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating: torch's promotion categories
        self.is_floating_point = kind == 2
        self.is_signed = kind == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return self._repr

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


class PRINTED:
    """The library's name in printed output (dtypes, Size, return types): "torch" when the program imported torch
    (ember run sets it once, through ember._printed_as), "ember" otherwise."""
    module = "ember"


def printed_as(module):
    """Print dtypes (and, through PRINTED, the rest) under this module name."""
    PRINTED.module = module
    for d in ALL_DTYPES:
        d._repr = f"{module}.{d.name}"


class _Defaults:
    float_dtype = float32
    device = None  # the device factories use without device= (None: the CPU); set_default_device sets it
    devices_entered = []  # the defaults that `with device(...):` blocks replaced, innermost last


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


def dtype_arg(d, name):
    """A ``dtype=`` argument of a public function: an ember dtype or a Python type (float, int, bool), or None.

    Strings and NumPy dtypes are refused with a TypeError, as PyTorch does, so a typo cannot pass silently."""
    if d is None or type(d) is dtype:
        return d
    if d in _FROM_PY:
        return _FROM_PY[d]
    hint = f"; write dtype=ember.{_NAMES[d] if isinstance(_NAMES.get(d), str) else d}" if isinstance(d, str) and \
        d in _NAMES else ""
    raise TypeError(f"{name}(): argument 'dtype' must be an ember dtype such as ember.float32, not "
                    f"{type(d).__name__} {d!r}{hint}")


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
# devices: which array module holds an array, and moving arrays between devices
# ----------------------------------------------------------------------------
class device:
    """Where a tensor's array lives: ``cpu`` (a NumPy array) or ``cuda[:N]`` (a CuPy array on GPU N).

    As torch: ``device("cuda:1")`` and ``device("cuda", 1)`` are the same, ``device("cuda")`` (no index)
    means the current GPU, and a device never equals a string.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            if not cuda_runtime_or_none():  # a bare number means the accelerator, as in torch
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', got {type!r}")
        kind, colon, idx = type.partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: "
                               f"{type}")
        if colon:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            if not idx.isdigit() or (idx != "0" and idx.startswith("0")):
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = builtins.int(idx)
        elif index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("a device is immutable")

    def __eq__(self, other):
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return device, (self.type, self.index)

    def __enter__(self):  # `with ember.device("cuda"):` makes it the factories' default inside the block
        DEFAULTS.devices_entered.append(DEFAULTS.device)
        DEFAULTS.device = self
        return self

    def __exit__(self, *exc):
        DEFAULTS.device = DEFAULTS.devices_entered.pop()
        return False


DEVICE_TYPES = ("cpu", "cuda", "mps", "meta")  # ember computes on cpu and cuda; the others can only be named
CPU = device("cpu")
_CUDA = [device("cuda", i) for i in range(8)]  # the devices arrays report, made once (device_of is hot)

CUDA_MISSING = "Torch not compiled with CUDA enabled"  # what a CPU-only PyTorch raises (an AssertionError)
CUDA_HOW = ("ember runs on an NVIDIA GPU through CuPy: install a CuPy wheel for your CUDA version "
            "(e.g. pip install cupy-cuda12x) on a machine with an NVIDIA GPU, or use device='cpu'")


class _Runtime:
    """The CUDA runtime ember talks to: CuPy (ember/cuda/_cupy.py) or, in tests, a stand-in."""

    module = None  # the runtime object once found; False when there is none (checked once)


def cuda_runtime_or_none():
    """The CUDA runtime, or None without CuPy or without a GPU (looked for once, on first use)."""
    if _Runtime.module is None:
        from .cuda import _cupy
        _Runtime.module = _cupy.load() or False
    return _Runtime.module or None


def cuda_runtime():
    """The CUDA runtime; torch's AssertionError (and what to install) where there is none."""
    runtime = cuda_runtime_or_none()
    if runtime is None:
        raise AssertionError(f"{CUDA_MISSING}: {CUDA_HOW}")
    return runtime


def seed_gpu(seed):
    """Seed the GPU's own generator too, when a GPU is in use (without waking CuPy up when none is)."""
    if _Runtime.module:
        _Runtime.module.manual_seed(int(seed))


def use_cuda_runtime(runtime):
    """Install a CUDA runtime (tests install a strict CPU stand-in); returns the previous one to restore."""
    previous, _Runtime.module = _Runtime.module, runtime
    return previous


def get_default_device():
    """The device factories use without device= (the CPU unless set_default_device or a `with device(...)` says)."""
    if DEFAULTS.device is None or DEFAULTS.device.type == "cpu":
        return CPU
    return to_device(DEFAULTS.device) if DEFAULTS.device.type == "cuda" else DEFAULTS.device


def set_default_device(dev):
    """Make factories (zeros, tensor, randn, the layers' parameters, ...) create on dev; None: the CPU again."""
    DEFAULTS.device = None if dev is None else dev if type(dev) is device else device(dev)


def to_device(dev):
    """Any device spelling (device, 'cuda:1', 0) -> a device with an index; CUDA must exist."""
    dev = dev if type(dev) is device else device(dev)
    if dev.type == "cpu":
        return CPU
    if dev.type == "cuda":
        runtime = cuda_runtime()
        index = runtime.current_device() if dev.index is None else dev.index
        if index >= runtime.device_count():
            raise RuntimeError(f"CUDA error: invalid device ordinal (asked for {dev}, this machine has "
                               f"{runtime.device_count()} GPU(s))")
        return _CUDA[index] if index < len(_CUDA) else device("cuda", index)
    raise RuntimeError(f"ember computes on 'cpu' and 'cuda' devices only, not on '{dev.type}'")


def device_of(array):
    """The device holding an array: NumPy arrays live on the CPU, anything else on a GPU."""
    if type(array) is np.ndarray:
        return CPU
    index = array.device.id
    return _CUDA[index] if index < len(_CUDA) else device("cuda", index)


def is_array(x):
    """An array of either device (NumPy scalars are not arrays)."""
    return isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__")


def is_host(array):
    return isinstance(array, (np.ndarray, np.generic))


def get_array_module(*arrays):
    """numpy, or the GPU array module when any argument is a GPU array (Chainer's get_array_module).

    Op code that creates arrays asks this instead of naming NumPy, so the same code runs on a GPU.
    """
    for a in arrays:
        if not (type(a) is np.ndarray or isinstance(a, (np.ndarray, np.generic, builtins.int, builtins.float,
                                                        builtins.bool, tuple, list)) or a is None):
            return cuda_runtime().xp
    return np


def move(array, dev):
    """A copy of ``array`` on device ``dev`` (a device from to_device); the array itself when already there."""
    if dev.type == "cpu":
        return array if is_host(array) else cuda_runtime().to_host(array)
    return cuda_runtime().to_gpu(array, dev.index)


def like(array, reference):
    """``array`` (host data or a number) on the device of ``reference``: for constants an op builds."""
    if type(reference) is np.ndarray or is_host(reference):
        return array
    return cuda_runtime().to_gpu(array, reference.device.id)


def add_at(out, key, value):
    """``out[key] += value`` where key may repeat a position (every repeat adds): np.add.at on the host;
    CuPy's ufuncs have no ``.at``, its cupyx.scatter_add does the same on the GPU."""
    if type(out) is np.ndarray:
        rows = key[0] if type(key) is tuple and len(key) == 1 else key
        if (type(rows) is np.ndarray and rows.dtype.kind == "i" and out.ndim > 1 and out.flags.c_contiguous
                and np.shape(value) == rows.shape + out.shape[1:]):
            # rows of a matrix picked by integer indices (an embedding's backward): np.add.at is ~8x faster
            # on a flat array, so add element by element at row * width + column. Same order, same sums.
            width = math.prod(out.shape[1:])
            flat = (rows.astype(np.intp).reshape(-1, 1) * width + np.arange(width)).reshape(-1)
            np.add.at(out.reshape(-1), flat, np.reshape(value, -1))
        else:
            np.add.at(out, key, value)
    else:
        cuda_runtime().scatter_add(out, key, value)


def update(ufunc, target, value):
    """target = ufunc(target, value), written into target's memory (x -= y and friends on arrays).

    On a one-element array (the notes' scalar w, its gradient), NumPy's in-place call costs about 0.65 us more than
    computing the result out of place and copying it back: 1.1 us against 0.45 us. Same dtypes only there, so the
    result needs no cast.
    """
    if target.size == 1 and type(target) is np.ndarray and type(value) is np.ndarray and \
            value.dtype == target.dtype and value.size == 1:
        target[...] = ufunc(target, value)
    else:
        ufunc(target, value, out=target)


def shared_array(array):
    """A copy of a CPU array in memory shared with the processes started from here afterwards (multiprocessing's
    shared heap: inherited by a forked child, handed to a spawned one with its arguments): share_memory_()."""
    from multiprocessing import sharedctypes
    root = sharedctypes.RawArray("b", max(array.nbytes, 1))
    out = np.frombuffer(root, array.dtype, count=array.size).reshape(array.shape)
    out[...] = array
    return out


def shared_root(array):
    """The shared memory block an array lives in (see shared_array), or None."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array.base if isinstance(array.base, ctypes.Array) else None


def is_shared_array(array):
    return type(array) is np.ndarray and shared_root(array) is not None


def torch_dim_order(shape, strides):
    """The dimensions of a result, outermost first, as torch's TensorIterator orders them (and so empty_like's
    infer_dense_strides): an insertion sort from the innermost dimension, where the first input whose strides tell
    two dimensions apart decides (strides: one tuple per input over the result's dimensions, 0 where that input is
    broadcast, which decides nothing); of equal strides, the larger size goes outside."""
    def should_swap(inner, outer):  # 1 if dimension `inner` belongs outside `outer`, -1 if not, 0 undecided
        for st in strides:
            if st[inner] == 0 or st[outer] == 0:
                continue  # broadcast along one of them: the next input decides
            if st[inner] != st[outer]:
                return 1 if st[inner] > st[outer] else -1
            if shape[inner] > shape[outer]:
                return 1
        return 0

    perm = list(range(len(shape) - 1, -1, -1))  # innermost dimension first
    for i in range(1, len(perm)):
        moving = i
        for j in range(i - 1, -1, -1):
            decision = should_swap(perm[j], perm[moving])
            if decision > 0:
                perm[j], perm[moving] = perm[moving], perm[j]
                moving = j
            elif decision < 0:
                break
    return perm[::-1]


def torch_layout(out, *inputs):
    """An elementwise result laid out as torch's TensorIterator lays it out (its strides, hence what .view() allows).

    Both libraries order the result's dimensions by the inputs' strides. Where the inputs disagree (x.t() * y),
    torch lets the first input that tells two dimensions apart decide; NumPy falls back to row-major. Only then is
    the result copied into torch's order: when every input is row-major there is nothing to do.
    """
    if type(out) is not np.ndarray or out.ndim < 2:
        return out
    for a in inputs:  # (a plain loop: the common case, every input row-major, costs no list or generator)
        if type(a) is np.ndarray and not a.flags.c_contiguous and a.ndim:
            break
    else:
        return out
    arrays = [a for a in inputs if type(a) is np.ndarray and a.ndim]
    shape, nd = out.shape, out.ndim
    strides = []  # each input's byte strides over the result's dimensions; 0 where it is broadcast
    for a in arrays:
        lead = nd - a.ndim
        strides.append((0,) * lead + tuple(0 if n != size else st for n, size, st in zip(a.shape, shape[lead:],
                                                                                        a.strides)))
    perm = torch_dim_order(shape, strides)[::-1]  # innermost first
    want, step = [0] * nd, out.itemsize
    for d in perm:
        want[d] = step
        step *= shape[d]
    if tuple(want) == out.strides:
        return out
    outer_first = perm[::-1]
    result = np.empty([shape[d] for d in outer_first], out.dtype).transpose(np.argsort(outer_first))
    result[...] = out
    return result


def c_contiguous(x):
    """x as a C-ordered array: itself when it already is (np.asarray(x, order="C") refuses GPU arrays)."""
    x = as_array(x)
    return x if x.flags.c_contiguous else x.copy(order="C")


def as_array(x, dtype=None):
    """NumPy turns 0-d results into scalars: make them arrays again (GPU arrays already are)."""
    if isinstance(x, np.generic) or not hasattr(x, "shape"):
        return np.asarray(x, dtype)
    return x if dtype is None or x.dtype == dtype else x.astype(dtype)


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


def int_arg(value, name, what):
    """An integer argument (a Python or NumPy int, or a one-element integer Tensor): never a float, str or bool,
    which PyTorch refuses with a TypeError rather than rounding."""
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{name}(): {what} must be ints, got {value!r} ({type(value).__name__}); "
                    f"pass whole numbers, e.g. int({value!r})" if isinstance(value, float) else
                    f"{name}(): {what} must be ints, got {value!r} ({type(value).__name__})")


class ArgumentError(ValueError, AssertionError):
    """A bad argument that PyTorch rejects with a bare ``assert``: ember says what is wrong as a ValueError that is
    also an AssertionError, so code written against PyTorch's exception still catches it."""


_TORCH_SCALAR_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                       "bool": "Bool", "float16": "Half", "float32": "Float", "float64": "Double"}


def torch_scalar_name(np_dtype):
    """PyTorch's C++ name of a dtype (Long, Float, ...), as its messages print it."""
    return _TORCH_SCALAR_NAMES.get(np.dtype(np_dtype).name, str(np_dtype))


def require_float(name, *arrays):
    """Ops PyTorch computes only on floating point tensors refuse integers and bools with its
    NotImplementedError (a RuntimeError), saying how to convert, instead of quietly promoting."""
    for a in arrays:  # arrays, or dtypes
        dt = np.dtype(getattr(a, "dtype", a))
        if a is not None and dt.kind != "f":
            raise NotImplementedError(f'"{name}" not implemented for \'{torch_scalar_name(dt)}\': {name} works on '
                                      "floating point tensors; convert the input first, e.g. x.float()")


def normalize_dim(dim, ndim):
    """A possibly negative dim -> 0..ndim-1, with PyTorch's IndexError when out of range."""
    n = ndim if ndim else 1  # a 0-d tensor accepts dim 0 and -1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim else 0


# ----------------------------------------------------------------------------
# memory: keep NumPy's freed temporaries for reuse
# ----------------------------------------------------------------------------
MALLOC_MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD = 32 * 1024 * 1024, 512 * 1024 * 1024  # bytes (benchmarks/ reads them)


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
    return bool(libc.mallopt(m_mmap_threshold, MALLOC_MMAP_THRESHOLD) and
                libc.mallopt(m_trim_threshold, MALLOC_TRIM_THRESHOLD))


MALLOC_TUNED = keep_freed_memory()


# ----------------------------------------------------------------------------
# floating-point specials: computed silently, as in PyTorch
# ----------------------------------------------------------------------------
QUIET = os.environ.get("EMBER_NUMPY_WARNINGS", "0") != "1"
QUIET_THREAD = None  # the first thread whose NumPy errors ember silenced (the importing one): checked first
_THREAD = threading.local()  # .state: NumPy's error state that ember set in this thread
_NOTHING_TO_DO = contextlib.nullcontext()
try:  # NumPy's error state, one value per thread and context: reading it costs ~20 ns, np.geterr() ~600
    from numpy._core._multiarray_umath import _extobj_contextvar as _ERRSTATE
except ImportError:  # (a NumPy that keeps it elsewhere: silently() always enters np.errstate)
    _ERRSTATE = None


def quiet_float_errors():
    """Let NumPy compute inf and nan silently in this thread (1/0, log(0), exp(1000), the mean of nothing), as
    PyTorch does; True unless EMBER_NUMPY_WARNINGS=1 asks to keep NumPy's warnings.

    PyTorch never warns about IEEE specials, and a learner comparing the two should not see RuntimeWarnings
    from deep inside NumPy. NumPy keeps its error state per thread, and a new thread starts with NumPy's
    defaults (warn), so this runs once in the importing thread and once in any other thread, at its first op
    (Op.apply asks: a comparison with QUIET_THREAD, ~40 ns, in the importing thread). Errors PyTorch does raise
    (integer division by zero) are checked by the ops themselves.
    """
    global QUIET_THREAD
    if not QUIET:
        return False
    if getattr(_THREAD, "state", None) is None:
        np.seterr(all="ignore")
        _THREAD.state = _ERRSTATE.get() if _ERRSTATE is not None else True
        if QUIET_THREAD is None:
            QUIET_THREAD = threading.get_ident()
    return True


def silently(**categories):
    """np.errstate(**categories) around an op that computes inf or nan on purpose (x / 0, exp(1000)); a shared
    no-op while the thread's error state is still the quiet one ember set (entering an errstate costs ~1.4 us,
    more than a small op: the sigmoids of a small MLP spent a third of their time there). Inside the program's
    own np.errstate (say over="raise"), or with EMBER_NUMPY_WARNINGS=1, the op's errstate is entered."""
    if _ERRSTATE is not None and _ERRSTATE.get() is getattr(_THREAD, "state", None):
        return _NOTHING_TO_DO
    return np.errstate(**categories)


quiet_float_errors()


# ----------------------------------------------------------------------------
# shapes given as arguments
# ----------------------------------------------------------------------------
def size_args(sizes, name="view"):
    """(2, 3), ((2, 3),) and ([2, 3],) all mean the shape (2, 3); every size must be an integer."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    for s in sizes:  # (Python ints, the usual case, need no conversion: a plain check is the cheapest)
        if type(s) is not int:
            return tuple(int_arg(s, name, "sizes") for s in sizes)
    return tuple(sizes)


def new_size(sizes, name):
    """The shape of a tensor about to be made: integer sizes, none negative (PyTorch's RuntimeError)."""
    shape = size_args(sizes, name)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"{name}(): Trying to create tensor with negative dimension {s}: {list(shape)}; "
                               "every size must be 0 or more")
    return shape
