"""The legacy tensor types: ``FloatTensor``, ``LongTensor``, ... as PyTorch still keeps them.

Before PyTorch 0.4 every dtype had its own tensor class; course code still writes ``torch.FloatTensor(x)``,
``isinstance(x, torch.FloatTensor)``, ``x.type(torch.LongTensor)`` and ``x.type() == 'torch.FloatTensor'``.
Here each type is a small class whose metaclass makes it act as PyTorch's does: calling it builds a Tensor of
its dtype, and ``isinstance`` asks whether a Tensor has that dtype (on the CPU). No Tensor is ever an instance of
these classes' own type: there is one Tensor class, as in PyTorch.

Type names are spelled ``'torch.FloatTensor'`` in ember too: the name exists to be compared with, and the code
that compares it was written for PyTorch (``x.type() == 'torch.FloatTensor'``), whether it runs through
``import ember as torch`` or ``ember run``. ``x.type('ember.FloatTensor')`` is accepted as well.
"""
import builtins
import warnings

import numpy as np

from . import _backend
from .tensor import Size, Tensor


class _LegacyType(type):
    """The metaclass: ``FloatTensor(...)`` constructs, ``isinstance(x, FloatTensor)`` checks the dtype."""

    def __instancecheck__(cls, other):
        return isinstance(other, Tensor) and other.dtype is cls.dtype and other.is_cuda == cls.is_cuda

    def __call__(cls, *args, device=None):
        """FloatTensor(data) (a list, NumPy array or Tensor of this dtype), FloatTensor(*sizes) (zeros where
        PyTorch leaves memory uninitialised), FloatTensor() (empty)."""
        kind = "cuda" if cls.is_cuda else "cpu"
        if device is not None and _backend.device(device).type != kind:
            raise RuntimeError(f"legacy constructor expects device type: {kind} but device type: "
                               f"{_backend.device(device).type} was passed: use torch.tensor(data, device=...)")
        made = cls._construct(*args)
        return made if device is None and not cls.is_cuda else made.to(device or kind)

    def _construct(cls, *args):
        from .creation import tensor, zeros
        if not args:
            return zeros(0, dtype=cls.dtype)
        first = args[0]
        if len(args) == 1 and isinstance(first, Tensor):
            if first.dtype is not cls.dtype:
                raise TypeError(f"{cls.__name__}() got a Tensor of dtype {first.dtype}, expected {cls.dtype}: "
                                f"convert it with x.to({cls.dtype})")
            return first.view_as(first)  # an alias, as in PyTorch
        if len(args) == 1 and not isinstance(first, (builtins.int, np.integer, Size)):
            if isinstance(first, (builtins.float, builtins.bool, np.floating)):
                raise TypeError(f"new(): data must be a sequence (got {type(first).__name__}): write "
                                f"{cls.__name__}([{first!r}]) for one value")
            return tensor(first, dtype=cls.dtype)
        sizes = tuple(first) if len(args) == 1 and isinstance(first, Size) else args
        if any(not isinstance(s, (builtins.int, np.integer)) for s in sizes):
            raise TypeError(f"{cls.__name__}(): sizes must be ints, got {sizes}")
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
        return zeros(sizes, dtype=cls.dtype)

    def __repr__(cls):
        return f"<class 'torch.{'cuda.' if cls.is_cuda else ''}{cls.__name__}'>"


def _legacy_type(name, dtype, is_cuda=False):
    return _LegacyType(name, (), {"dtype": dtype, "is_cuda": is_cuda, "is_sparse": False,
                                  "__module__": "ember.cuda" if is_cuda else "ember",
                                  "__doc__": f"The legacy type of {dtype} tensors: {name}(data) or {name}(*sizes)."})


FloatTensor = _legacy_type("FloatTensor", _backend.float32)
DoubleTensor = _legacy_type("DoubleTensor", _backend.float64)
HalfTensor = _legacy_type("HalfTensor", _backend.float16)
LongTensor = _legacy_type("LongTensor", _backend.int64)
IntTensor = _legacy_type("IntTensor", _backend.int32)
ShortTensor = _legacy_type("ShortTensor", _backend.int16)
CharTensor = _legacy_type("CharTensor", _backend.int8)
ByteTensor = _legacy_type("ByteTensor", _backend.uint8)
BoolTensor = _legacy_type("BoolTensor", _backend.bool_)

LEGACY_TYPES = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor,
                BoolTensor)
# the GPU's types, torch.cuda.FloatTensor & co, for ember.cuda to export
CUDA_TYPES = tuple(_legacy_type(t.__name__, t.dtype, is_cuda=True) for t in LEGACY_TYPES)
_BY_DTYPE = {(t.dtype, t.is_cuda): t for t in LEGACY_TYPES + CUDA_TYPES}
_BY_NAME = {t.__name__: t for t in LEGACY_TYPES}


def type_of(x):
    """The legacy type of a tensor: FloatTensor for float32 on the CPU, cuda.FloatTensor on a GPU, ..."""
    return _BY_DTYPE[x.dtype, x.is_cuda]


def type_name(x):
    """'torch.FloatTensor' for a float32 CPU tensor ('torch.cuda.FloatTensor' on a GPU), as PyTorch names it."""
    return ("torch.cuda." if x.is_cuda else "torch.") + type_of(x).__name__


def convert(x, to):
    """x.type(to): to is a legacy type, its name ('torch.LongTensor', 'torch.cuda.FloatTensor') or a dtype."""
    if isinstance(to, _backend.dtype):
        return x.to(to)
    if isinstance(to, _LegacyType):
        return x.to("cuda" if to.is_cuda else "cpu", to.dtype)
    if isinstance(to, str):
        module, _, name = to.rpartition(".")
        if module in ("torch", "ember", "torch.cuda", "ember.cuda") and name in _BY_NAME:
            return x.to("cuda" if module.endswith("cuda") else "cpu", _BY_NAME[name].dtype)
    shown = to if isinstance(to, str) else (f"{getattr(to, '__module__', type(to).__module__)}."
                                            f"{getattr(to, '__name__', type(to).__name__)}")
    raise ValueError(f"invalid type: '{shown.replace('builtins.', '')}': give a dtype (torch.float32), a legacy type "
                     f"(torch.FloatTensor) or its name ('torch.FloatTensor')")


def set_default_tensor_type(t):
    """The legacy spelling of set_default_dtype: set_default_tensor_type(torch.DoubleTensor) or its name."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", stacklevel=2)
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module not in ("torch", "ember") or name not in _BY_NAME:
            raise TypeError(f"invalid type: '{t}': give a legacy type such as torch.DoubleTensor or its name")
        t = _BY_NAME[name]
    if not isinstance(t, _LegacyType):
        raise TypeError(f"invalid type: {t!r}: give a legacy type such as torch.DoubleTensor")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _backend.set_default_dtype(t.dtype)
