"""torch.autocast and its state: which device types autocast is on for, in which dtype, per thread.

The state is a ``threading.local`` (each thread starts with autocast off, as torch's does) read by
``is_autocast_enabled`` / ``get_autocast_dtype``. Nothing in ember's op dispatch looks at it: on this
CPU-only build autocast never changes an op's dtype (see ``autocast`` below for what an enabled region does).

What torch does here, ember does: ``autocast("cuda")`` without a GPU warns and runs the block unchanged; a dtype
CPU autocast does not support warns and disables; ``enabled=False`` nests inside an enabled region; leaving a
block (also through an exception) restores the state it found.
"""
import collections
import functools
import threading
import warnings

import numpy as np

from .. import _backend

__all__ = ["autocast_decorator", "autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

# torch's device types, in the order its device-string parser names them
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                 "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class _Bfloat16:
    """Stands for torch.bfloat16, the default autocast dtype of CPU (and hpu, xla, maia), which ember cannot hold:
    get_autocast_dtype("cpu") returns it, and an enabled autocast region in it is refused with a clear error."""
    name = "bfloat16"
    is_floating_point = True

    def __repr__(self):
        return f"{_backend.PRINTED.module}.bfloat16"

    def __reduce__(self):
        return "bfloat16"


bfloat16 = _Bfloat16()

# the device types autocast knows, with their default dtypes (torch.get_autocast_dtype in a fresh thread)
_DEFAULT_DTYPES = {"cpu": bfloat16, "cuda": _backend.float16, "mps": _backend.float16, "xpu": _backend.float16,
                   "hpu": bfloat16, "xla": bfloat16, "ipu": _backend.float16, "mtia": _backend.float16,
                   "maia": bfloat16, "privateuseone": _backend.float16}


class _State(threading.local):
    """One thread's autocast state (threading.local runs __init__ once in every thread that reads it)."""

    def __init__(self):
        self.enabled = dict.fromkeys(_DEFAULT_DTYPES, False)
        self.dtype = dict(_DEFAULT_DTYPES)
        self.nesting = 0
        self.cache_enabled = True


_STATE = _State()


def _device_type(device_type, function,
                 unknown="unknown device type for autocast in get_autocast_dispatch_key_from_device_type"):
    """torch's checks on a device_type argument: a str, naming a device type that autocast knows."""
    kind = _device_kind(device_type, function)
    if kind not in _DEFAULT_DTYPES:
        raise RuntimeError(unknown)
    return kind


def _device_kind(device_type, function):
    """The device type named by a device string (cpu, cuda:1 -> cuda), with torch's errors for anything else."""
    if not isinstance(device_type, str):
        raise TypeError(f"{function}(): argument 'device_type' (position 1) must be str, not "
                        f"{type(device_type).__name__}")
    kind = device_type.split(":", 1)[0]
    if kind not in _DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                           f"{device_type}")
    return kind


def _not_a_str(device_type):
    """torch's ValueError for a device_type that is not a str (a device prints as torch's would: torch.device)."""
    kind = type(device_type)
    shown = f"<class '{_backend.PRINTED.module}.device'>" if kind is _backend.device else str(kind)
    return ValueError(f"Expected `device_type` of type `str`, got: `{shown}`")


def _bool_arg(value, function, name, position):
    if not isinstance(value, bool):
        raise TypeError(f"{function}(): argument '{name}' (position {position}) must be bool, not "
                        f"{type(value).__name__}")
    return value


def is_autocast_available(device_type):
    """Whether autocast knows ``device_type`` (cpu, cuda, mps, xpu, ...), as torch answers it."""
    return _device_kind(device_type, "_is_autocast_available") in _DEFAULT_DTYPES


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` in this thread (no argument: for cuda, as torch)."""
    if device_type is None:
        return _STATE.enabled["cuda"]
    return _STATE.enabled[_device_type(device_type, "is_autocast_enabled")]


def set_autocast_enabled(*args):
    """``set_autocast_enabled(device_type, enabled)``, or ``set_autocast_enabled(enabled)`` for cuda."""
    if len(args) == 1:
        _STATE.enabled["cuda"] = _bool_arg(args[0], "set_autocast_enabled", "enabled", 1)
        return
    if len(args) != 2:
        raise TypeError(f"set_autocast_enabled() takes 1 or 2 arguments ({len(args)} given)")
    kind = _device_type(args[0], "set_autocast_enabled")
    _STATE.enabled[kind] = _bool_arg(args[1], "set_autocast_enabled", "enabled", 2)


def get_autocast_dtype(device_type):
    """The dtype autocast runs ``device_type``'s lower-precision ops in (cpu: bfloat16, cuda: float16)."""
    return _STATE.dtype[_device_type(device_type, "get_autocast_dtype", unknown="unsupported scalarType")]


def set_autocast_dtype(device_type, dtype):
    """Set the dtype autocast uses for ``device_type`` in this thread."""
    kind = _device_type(device_type, "set_autocast_dtype")
    if not isinstance(dtype, (_backend.dtype, _Bfloat16)):
        raise TypeError(f"set_autocast_dtype(): argument 'dtype' (position 2) must be torch.dtype, not "
                        f"{type(dtype).__name__}")
    _STATE.dtype[kind] = dtype


def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    """Deprecated for is_autocast_enabled("cpu") (with torch's DeprecationWarning)."""
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return _STATE.enabled["cpu"]


def set_autocast_cpu_enabled(enabled):
    """Deprecated for set_autocast_enabled("cpu", enabled) (with torch's DeprecationWarning)."""
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    _STATE.enabled["cpu"] = _bool_arg(enabled, "set_autocast_cpu_enabled", "enabled", 1)


def get_autocast_cpu_dtype():
    """Deprecated for get_autocast_dtype("cpu") (with torch's DeprecationWarning)."""
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return _STATE.dtype["cpu"]


def set_autocast_cpu_dtype(dtype):
    """Deprecated for set_autocast_dtype("cpu", dtype) (with torch's DeprecationWarning)."""
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    """Deprecated for get_autocast_dtype("cuda") (with torch's DeprecationWarning)."""
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return _STATE.dtype["cuda"]


def set_autocast_gpu_dtype(dtype):
    """Deprecated for set_autocast_dtype("cuda", dtype) (with torch's DeprecationWarning)."""
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def autocast_increment_nesting():
    """One autocast block deeper in this thread; returns the depth (autocast.__enter__ calls it)."""
    _STATE.nesting += 1
    return _STATE.nesting


def autocast_decrement_nesting():
    """One autocast block out; returns the depth (autocast.__exit__ calls it)."""
    _STATE.nesting -= 1
    return _STATE.nesting


def is_autocast_cache_enabled():
    """Whether autocast may cache lower-precision copies of weights (ember never makes any)."""
    return _STATE.cache_enabled


def set_autocast_cache_enabled(enabled):
    """Set autocast's weight-cache flag for this thread (kept and restored; ember caches nothing)."""
    _STATE.cache_enabled = _bool_arg(enabled, "set_autocast_cache_enabled", "enabled", 1)


def clear_autocast_cache():
    """torch empties its cache of lower-precision weight copies here; ember keeps none."""


def _cuda_definitely_not_available():
    from .. import cuda
    return not cuda.is_available()


def _refuse_cpu_autocast(dtype):
    raise RuntimeError(
        f"ember cannot run CPU autocast (here in {dtype!r}): ember has no bfloat16 dtype and does not recast ops "
        f"to lower precision on the CPU. Use autocast('cpu', enabled=False) (the ops then run in the dtypes of "
        f"their inputs), or call .half() yourself on what should be float16.")


def autocast_decorator(autocast_instance, func):
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)
    return decorate_autocast


class autocast:
    """``with torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` (or a decorator).

    Without a GPU, ``autocast("cuda")`` warns (as torch) and the block runs unchanged. ``autocast("cpu")``
    enabled is refused with a RuntimeError: torch would run matmul, linear, conv... in bfloat16 (or the float16
    asked for), and ember has no bfloat16 and no CPU autocast op lists. ``enabled=False`` works everywhere."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise _not_a_str(device_type)
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{self.device}'")
        device_supported_dtypes = [bfloat16, _backend.float16]
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        device_name = self.device.upper()
        if enabled:
            if self.device == "cuda":
                if _cuda_definitely_not_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                                  stacklevel=2)
                    enabled = False
                elif self.fast_dtype is bfloat16:
                    raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch dtype to "
                                       "float16.")
            elif self.fast_dtype not in device_supported_dtypes:
                warnings.warn(f"In {device_name} autocast, but the target dtype is not supported. Disabling "
                              f"autocast.\n{device_name} Autocast only supports dtypes of "
                              + ", ".join(map(repr, device_supported_dtypes)) + " currently.", stacklevel=2)
                enabled = False
            elif self.device == "cpu":
                _refuse_cpu_autocast(self.fast_dtype)
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, self._enabled)
        set_autocast_dtype(self.device, self.fast_dtype)
        autocast_increment_nesting()
        set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")
        return autocast_decorator(self, func)


def _cast(value, device_type, dtype):
    """Floating-point tensors (not float64) on ``device_type`` cast to ``dtype``, through lists, tuples, dicts."""
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        eligible = value.is_floating_point() and value.device.type == device_type and value.dtype is not \
            _backend.float64
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorates a custom autograd Function's ``forward``: records the autocast state for ``custom_bwd``; with
    ``cast_inputs`` and autocast on, casts floating-point tensor inputs and runs forward with autocast off."""
    if not isinstance(device_type, str):
        raise _not_a_str(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorates a custom autograd Function's ``backward``: runs it with the autocast state forward ran in."""
    if not isinstance(device_type, str):
        raise _not_a_str(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd
