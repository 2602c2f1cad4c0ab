"""A strict stand-in GPU, so that CI (which has no GPU) proves ember's device seam.

``StrictArray`` behaves as a CuPy array does towards NumPy, and no more kindly:

- NumPy ufuncs and functions on it run (through ``__array_ufunc__`` /
  ``__array_function__``, as CuPy's do) and give StrictArrays back; reductions
  give 0-d arrays, never NumPy scalars;
- it refuses to be mixed with a NumPy array (in a ufunc, a NumPy function, an
  index, an assignment): TypeError, as CuPy raises;
- ``np.asarray(a)`` raises TypeError (CuPy: "Implicit conversion to a NumPy
  array is not allowed"); ``a.get()`` is the explicit copy to the host;
- ufunc methods (``np.add.at`` and friends) are refused: CuPy has none of them.

``StrictRuntime`` is the runtime ``ember._backend`` talks to (the same
interface as ember/cuda/_cupy.py's ``CupyRuntime``); installing it with
``ember._backend.use_cuda_runtime`` gives ember one "cuda:0" device made of
StrictArrays. Any place in ember that would hand a GPU array to NumPy, or build
a host array and mix it into device data, fails under it.
"""
import numbers
import warnings

import numpy as np

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array "
            "explicitly.")


def _refuse(x):
    raise TypeError(f"Unsupported type {type(x)} (a host NumPy array mixed into GPU data)")


def _unwrap(x):
    """StrictArray -> its array; NumPy arrays refused; scalars, dtypes, slices, containers pass."""
    if type(x) is StrictArray:
        return x._a
    if isinstance(x, np.ndarray):
        _refuse(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    """Arrays and NumPy scalars a computation returned -> StrictArrays (CuPy returns 0-d arrays, not scalars)."""
    if isinstance(x, np.ndarray):
        return StrictArray(x)
    if isinstance(x, np.generic):
        return StrictArray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


class _Device:
    id = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def use(self):
        pass

    def synchronize(self):
        pass


_DEVICE = _Device()


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, flags):
        self.c_contiguous, self.f_contiguous, self.owndata = flags.c_contiguous, flags.f_contiguous, flags.owndata


class StrictArray:
    """A GPU array stand-in: NumPy underneath, CuPy's manners on top."""

    __slots__ = ("_a", "__weakref__")

    def __init__(self, array):
        assert type(array) is np.ndarray, type(array)
        if not array.flags.writeable:  # GPU arrays have no read-only views (NumPy's diagonals are read-only)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    array.flags.writeable = True
            except ValueError:
                pass
        self._a = array

    # ---- what makes it a "GPU" array -------------------------------------------------------------
    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "data": (0, False), "version": 3}

    device = _DEVICE

    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT)

    def get(self):
        return self._a.copy()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            raise TypeError(f"CuPy's ufuncs have no method '{method}' (np.{ufunc.__name__}.{method}); "
                            "use the device's own routine")
        out = kwargs.get("out")
        if out is not None:
            for o in out:
                if type(o) is not StrictArray:
                    _refuse(o)
        result = ufunc(*_unwrap(inputs), **_unwrap(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in NOT_IN_CUPY:
            raise TypeError(f"np.{func.__name__} has no CuPy counterpart")
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # ---- plain attributes --------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))  # CuPy's flags: no writeable (GPU arrays always are)
    T = property(lambda self: StrictArray(self._a.T))
    mT = property(lambda self: StrictArray(self._a.mT))

    @property
    def base(self):
        return None if self._a.base is None else StrictArray(np.asarray(self._a.base))

    def __getattr__(self, name):  # methods: arguments unwrapped (NumPy arrays refused), results wrapped
        if name.startswith("__"):  # no __array_interface__ / __array_struct__: NumPy must not see the data
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        if not callable(attribute):
            return _wrap(attribute)

        def method(*args, **kwargs):
            return _wrap(attribute(*_unwrap(args), **_unwrap(kwargs)))
        return method

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (StrictArray(np.asarray(row)) for row in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __complex__(self):
        return complex(self._a)

    def __repr__(self):
        return "strict_" + repr(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    __hash__ = None


def _binary(ufunc):
    return lambda self, other: ufunc(self, other)


def _reflected(ufunc):
    return lambda self, other: ufunc(other, self)


def _inplace(ufunc):
    def op(self, other):
        ufunc(self, other, out=(self,))
        return self
    return op


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                      ("floordiv", np.floor_divide), ("mod", np.remainder), ("pow", np.power),
                      ("matmul", np.matmul), ("and", np.bitwise_and), ("or", np.bitwise_or),
                      ("xor", np.bitwise_xor), ("lshift", np.left_shift), ("rshift", np.right_shift)]:
    setattr(StrictArray, f"__{_name}__", _binary(_ufunc))
    setattr(StrictArray, f"__r{_name}__", _reflected(_ufunc))
    setattr(StrictArray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                      ("gt", np.greater), ("ge", np.greater_equal)]:
    setattr(StrictArray, f"__{_name}__", _binary(_ufunc))
StrictArray.__neg__ = lambda self: np.negative(self)
StrictArray.__pos__ = lambda self: np.positive(self)
StrictArray.__abs__ = lambda self: np.absolute(self)
StrictArray.__invert__ = lambda self: np.invert(self)

# NumPy functions ember must not use on device data, because CuPy lacks them (extend when CuPy does)
NOT_IN_CUPY = frozenset()

# functions that make device arrays from host data (an explicit transfer, which CuPy allows)
CREATION = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray", "zeros", "ones", "empty", "full",
                      "arange", "eye", "identity", "linspace", "logspace", "tri", "indices"})


class StrictModule:
    """The stand-in for the ``cupy`` module: NumPy's names, producing and accepting StrictArrays only."""

    ndarray = StrictArray

    def __init__(self, namespace=np):
        self._np = namespace

    def __getattr__(self, name):
        obj = getattr(self._np, name)
        if isinstance(obj, type) or not callable(obj):
            return StrictModule(obj) if type(obj) is type(np) else obj
        if isinstance(obj, np.ufunc):
            return _StrictUfunc(obj)
        creation = name in CREATION

        def function(*args, **kwargs):
            if creation:  # host data may come in: it is copied to the "device"
                host = [a for a in args if isinstance(a, np.ndarray)]
                result = obj(*(a._a if type(a) is StrictArray else a for a in args), **kwargs)
                if isinstance(result, np.ndarray) and any(np.may_share_memory(result, h) for h in host):
                    result = result.copy()
                return _wrap(result)
            return _wrap(obj(*_unwrap(args), **_unwrap(kwargs)))
        function.__name__ = name
        return function

    @staticmethod
    def asnumpy(a):
        return a.get() if type(a) is StrictArray else np.asarray(a)

    @staticmethod
    def get_array_module(*arrays):
        return STRICT if any(type(a) is StrictArray for a in arrays) else np


class _StrictUfunc:
    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        for a in args:
            if isinstance(a, np.ndarray):
                _refuse(a)
        if not any(type(a) is StrictArray for a in args):
            return _wrap(self._ufunc(*args, **kwargs))  # numbers only
        return self._ufunc(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._ufunc, name)


STRICT = StrictModule()


class StrictRuntime:
    """ember's CUDA runtime interface, served by StrictArrays on one pretend GPU."""

    name = "strict stand-in"
    xp = STRICT

    def __init__(self):
        self.seed = None
        self.synchronized = 0

    def device_count(self):
        return 1

    def current_device(self):
        return 0

    def set_device(self, index):
        if index != 0:
            raise RuntimeError(f"CUDA error: invalid device ordinal {index}")

    def device_scope(self, index):
        return _DEVICE

    def properties(self, index):
        return {"name": b"Strict stand-in GPU", "totalGlobalMem": 2 ** 30, "major": 9, "minor": 0,
                "multiProcessorCount": 1}

    def synchronize(self, index):
        self.synchronized += 1

    def to_gpu(self, array, index):
        if type(array) is StrictArray:
            return array
        if isinstance(array, (np.ndarray, np.generic, numbers.Number)):
            return StrictArray(np.array(array))
        raise TypeError(f"cannot move {type(array).__name__} to the GPU")

    def to_host(self, array):
        return array.get()

    def erf(self, a):
        import math
        return StrictArray(np.vectorize(math.erf, otypes=[np.float64])(a._a).astype(a.dtype))

    def scatter_add(self, out, key, value):
        np.add.at(out._a, _unwrap(key), _unwrap(value))

    def memory_allocated(self, index):
        return 0

    max_memory_allocated = memory_reserved = memory_allocated

    def reset_peak_memory_stats(self, index):
        pass

    def empty_cache(self):
        pass

    def event(self, enable_timing):
        return _Event()

    def elapsed_ms(self, start, end):
        return 0.0

    def manual_seed(self, seed):
        self.seed = seed


class _Event:
    done = True

    def record(self):
        pass

    def synchronize(self):
        pass
