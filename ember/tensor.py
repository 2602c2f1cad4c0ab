"""The Tensor: an array (``.data``), its gradient (``.grad``), and the node that made it (``.grad_fn``).

This file is deliberately thin: state, properties and Python's operators.
Every method is one call into ``ember.ops``, where the maths lives.
"""
import math
import numbers
import warnings
from _thread import get_ident as _get_ident

import numpy as np

from . import _backend
from ._backend import DEFAULTS, dtype_of

_new = object.__new__


def _wrap(data, requires_grad=False, grad_fn=None):
    """The internal constructor: no checks, no copies (the hot path of every op)."""
    t = _new(Tensor)
    t._data = data
    t._grad = None
    t.grad_fn = grad_fn
    t._requires_grad = requires_grad
    t._vc = None
    t._inference = STATE.inference if INFERENCE_ON else False  # (grad_mode: the cheap read first)
    t._view = None
    return t


def _bump_version(t):
    """Record an in-place change (autograd checks saved tensors against this)."""
    if t._vc is None:
        t._vc = [1]
    else:
        t._vc[0] += 1


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's."""

    def __repr__(self):
        return f"{_backend.PRINTED.module}.Size({list(self)})"

    def numel(self):
        """The number of elements of a tensor of this shape."""
        return math.prod(self)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    ``Tensor([1.0, 2.0])`` builds a float32 tensor from data (as PyTorch's
    legacy constructor does); ``Tensor(2, 3)`` an uninitialised 2x3 one.
    Prefer ``ember.tensor(data, dtype=..., requires_grad=...)``.
    """

    # _vc: the version counter (a one-element list, shared with views); _view: how this tensor views its base
    # (an autograd.views.ViewInfo), or None; _inference: made inside inference_mode
    __slots__ = ("_data", "_grad", "grad_fn", "_requires_grad", "_vc", "_view", "_inference", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor -> Tensor's reflected operator

    def __init__(self, *args, device=None):
        default = DEFAULTS.float_dtype.np
        if len(args) == 1 and isinstance(args[0], Tensor):
            data = args[0]._data
        elif len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            from .creation import array_from
            try:
                data = array_from(args[0]).astype(default, copy=False)  # the legacy constructor is float
            except RuntimeError as error:  # (PyTorch's legacy constructor says TypeError for None and objects)
                raise TypeError(str(error)) from None
        elif len(args) == 1 and isinstance(args[0], (float, bool, str)):
            raise TypeError(f"Tensor(): data must be a sequence (got {type(args[0]).__name__}); for a number "
                            f"write ember.tensor({args[0]!r})")
        else:
            from ._backend import new_size
            data = np.zeros(new_size(args, "Tensor") if args else (0,), default)
        self._data = data if device is None else _backend.move(data, _backend.to_device(device))
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._vc = None
        self._inference = STATE.inference if INFERENCE_ON else False
        self._view = None

    @staticmethod
    def _from_array(array):
        """A Tensor around a NumPy array of a dtype ember supports (TypeError otherwise)."""
        dtype_of(array)
        return _wrap(array)

    # ---- autograd state ------------------------------------------------------------------------
    @property
    def data(self):
        """The same memory, detached from autograd (with its own version counter, as in PyTorch)."""
        return _wrap(self._data.view())  # a new array object: ops tell their inputs apart by array identity

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def grad(self):
        """The gradient accumulated by backward (leaves, and non-leaves that called retain_grad())."""
        if self._grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype {value.dtype} to a tensor with dtype "
                                   f"{self.dtype}; the gradient must match the tensor's dtype: convert it, e.g. "
                                   "g.to(t.dtype)")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                                   f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                                   "the same size")
        self._grad = value

    def is_inference(self):
        """Was this tensor made inside inference_mode (and so can never join autograd)?"""
        return self._inference

    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded so that backward can reach it."""
        view = self._view  # a view of a tensor that requires grad requires grad too (its history is replayed)
        return self._requires_grad or (view is not None and view.base._requires_grad)

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, bool):
            raise RuntimeError(f"requires_grad must be a bool, got {value!r}; write t.requires_grad = True")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (default True) and return self."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and self._inference and not STATE.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed; "
                               "make a normal tensor first with .clone()")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only Tensors of floating point and complex dtype can require gradients "
                               f"(this one is {self.dtype}); convert it first, e.g. x.float()")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def _base(self):
        """The tensor whose memory this view shares (None if this is not a view), as in PyTorch."""
        return None if self._view is None else self._view.base

    def _is_view(self):
        return self._view is not None

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (shared with its views)."""
        return self._vc[0] if self._vc else 0

    @property
    def is_leaf(self):
        """True for a tensor the user made (no grad_fn): the tensors whose .grad backward fills."""
        return self.grad_fn is None

    def retain_grad(self):
        """Keep .grad for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        engine.retain_grad(self)

    @property
    def retains_grad(self):
        """True when retain_grad() asked a non-leaf tensor to keep its .grad."""
        node = self.grad_fn
        return node is not None and node._retained is not None and any(r() is self for r in node._retained)

    def register_hook(self, hook):
        """Call hook(grad) whenever a gradient for this tensor is computed; it may return a replacement."""
        return engine.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(self) runs once this leaf's .grad holds the gradient of a backward pass (DDP starts its allreduce)."""
        return engine.register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf of the graph and add it to each leaf's .grad."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        """The same data, cut from the graph: no grad_fn, requires_grad False."""
        return _share(self, _wrap(self._data.view()))

    def detach_(self):
        """Cut this tensor from the graph in place, making it a leaf."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ---- shape, dtype, device ----------------------------------------------------------------
    @property
    def shape(self):
        """The size of each dimension, as an ember.Size (a tuple)."""
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or the size of dimension dim."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_backend.normalize_dim(dim, self._data.ndim)] if self._data.ndim else 1

    @property
    def ndim(self):
        """The number of dimensions."""
        return self._data.ndim

    def dim(self):
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim  # the name before PyTorch 0.4

    def numel(self):
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self):
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self):
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self):
        """Bytes taken by all the elements."""
        return self._data.nbytes

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension (or along dim)."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_backend.normalize_dim(dim, self._data.ndim)]

    def storage_offset(self):
        """Where this tensor starts in its base's memory, in elements (0 unless it is a view)."""
        if self._view is None:
            return 0
        start = self._view.base._data.__array_interface__["data"][0]
        return (self._data.__array_interface__["data"][0] - start) // self._data.itemsize

    def is_contiguous(self):
        """True when the elements lie in memory in row-major order with no gaps."""
        return self._data.flags.c_contiguous

    @property
    def dtype(self):
        """The element type, e.g. ember.float32."""
        return dtype_of(self._data)

    def is_floating_point(self):
        """True for a floating-point dtype."""
        return self._data.dtype.kind == "f"

    @property
    def device(self):
        """Where the data lives (ember.device('cpu') or a CUDA device)."""
        return _backend.device_of(self._data)

    @property
    def is_cuda(self):
        """True when the data is on a CUDA device."""
        return self.device.type == "cuda"

    def new(self, *args):
        """The legacy constructor of this tensor's type: x.new(data), x.new(*sizes), x.new()."""
        from . import _legacy_types
        return _legacy_types.type_of(self)(*args)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """type(): the legacy type's name, 'torch.FloatTensor' (see _legacy_types for why 'torch.');
        type(torch.LongTensor), type('torch.LongTensor'), type(torch.int64): a conversion."""
        from . import _legacy_types
        return _legacy_types.type_name(self) if dtype is None else _legacy_types.convert(self, dtype)

    def to(self, *args, **kwargs):
        """to(dtype), to(device, dtype=None), to(other); copy=True forces a copy, non_blocking is accepted."""
        dt, dev, copy = _dev.parse_to(args, kwargs)
        out = self if dev is None else _dev.to_device(self, dev)
        if dt is not None:
            out = _ew.to_dtype_op(out, dt)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self, memory_format=None):
        """This tensor on the CPU (self if it is there already)."""
        return _dev.to_device(self, _backend.CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """This tensor on a CUDA device."""
        return _dev.to_device(self, "cuda" if device is None else device)

    def get_device(self):
        """-1 on the CPU, the GPU's index on CUDA (as torch)."""
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index

    def pin_memory(self, device=None):
        """Page-locked host memory speeds up copies to a GPU in torch; ember's copies need no pinning."""
        if _backend.cuda_runtime_or_none() is None:
            raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
                               f"allocator is available on this system. {_backend.CUDA_HOW}")
        return self

    def is_pinned(self, device=None):
        """False: ember never page-locks host memory."""
        return False

    def share_memory_(self):
        """Move this tensor's memory where the processes started from here afterwards share it (torch.multiprocessing:
        a child's in-place updates are then seen here). A no-op if it is there already, or on a GPU."""
        if type(self._data) is np.ndarray and not _backend.is_shared_array(self._data):
            if self._view is not None:
                raise RuntimeError("share_memory_() on a view: share the tensor it views (before making views of "
                                   "it), so that they all live in the shared memory")
            self._data = _backend.shared_array(self._data)
        return self

    def is_shared(self):
        """Whether share_memory_() has put this tensor in memory shared between processes."""
        return _backend.is_shared_array(self._data)

    def float(self):
        """A copy as float32 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.float32)

    def double(self):
        """A copy as float64 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.float64)

    def half(self):
        """A copy as float16 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.float16)

    def long(self):
        """A copy as int64 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.int64)

    def int(self):
        """A copy as int32 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.int32)

    def short(self):
        """A copy as int16 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.int16)

    def byte(self):
        """A copy as uint8 (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.uint8)

    def bool(self):
        """A copy as bool (self, if it already is)."""
        return _ew.to_dtype_op(self, _backend.bool_)

    def type_as(self, other):
        """A copy with other's dtype."""
        return self.to(other.dtype)

    # ---- conversion to Python and NumPy ------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                               "use .tolist() for all the values, or index one element first")
        return self._data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._data.tolist()

    def numpy(self, force=False):
        """The data as a NumPy array (sharing memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy "
                                "the tensor to host memory first.")
            return _backend.move(self._data, _backend.CPU)
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        data = self._data if type(self._data) is np.ndarray else self.detach().numpy()  # a GPU tensor: TypeError
        return data if dtype is None else data.astype(dtype, copy=False)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no' if self._data.size == 0 else 'more than one'} "
                               "value is ambiguous; use .any() or .all()")
        return bool(self._data.reshape(-1)[0])

    def __float__(self):
        return float(self._one_element("float"))

    def __int__(self):
        return int(self._one_element("int"))

    def _one_element(self, name):
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars: {name}() of a tensor "
                             f"of shape {list(self.shape)}; index one element first, or use .tolist()")
        return self.item()

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0 and type(self) is Tensor:  # '{}'.format(correct) prints the number, as PyTorch
            return format(self.item(), spec)
        if self._data.size == 1 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __repr__(self):
        return _tensor_str.tensor_repr(self)

    __hash__ = object.__hash__

    # ---- operators ---------------------------------------------------------------------------
    # A float tensor with a Python number needs no dtype promotion: such operators go straight to the op (the
    # notes' loop is made of them); everything else takes the full path through ops/elementwise.py.
    def __add__(self, other):
        if (type(other) is float or type(other) is int) and self._data.dtype.kind == "f":
            return _ew.Add.apply(self, other)
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(other, self)

    def __sub__(self, other):
        if (type(other) is float or type(other) is int) and self._data.dtype.kind == "f":
            return _ew.Sub.apply(self, other)
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    # (float16 times a number takes the full path: torch computes it in float32, see elementwise.HalfMulScalar)
    def __mul__(self, other):
        if (type(other) is float or type(other) is int) and self._data.dtype.char in "fd":
            return _ew.MulScalar.apply(self, other)
        return _ew.mul(self, other)

    def __rmul__(self, other):
        if (type(other) is float or type(other) is int) and self._data.dtype.char in "fd":
            return _ew.MulScalar.apply(self, other)  # k * a == a * k exactly
        return _ew.mul(other, self)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.reciprocal(self) * other  # torch's k / x: (1 / x) * k, two nodes and two roundings

    def __floordiv__(self, other):
        return _ew.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ew.floor_divide(other, self)

    def __mod__(self, other):
        return _ew.remainder(self, other)

    def __rmod__(self, other):
        return _ew.remainder(other, self)

    def __pow__(self, other):
        if (type(other) is float or type(other) is int) and self._data.dtype.kind == "f":
            return _ew.PowScalar.apply(self, other)
        return _ew.pow(self, other)

    def __rpow__(self, other):
        return _ew.pow(other, self)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __invert__(self):
        return _ew.bitwise_not(self)

    def __and__(self, other):
        return _ew.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ew.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ew.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        try:
            return _ew.eq(self, other)
        except TypeError:  # not a number or tensor: Python's answer (tensor == "a" is False, as in PyTorch)
            return NotImplemented

    def __ne__(self, other):
        try:
            return _ew.ne(self, other)
        except TypeError:
            return NotImplemented

    def __lt__(self, other):
        return _ew.lt(self, other)

    def __le__(self, other):
        return _ew.le(self, other)

    def __gt__(self, other):
        return _ew.gt(self, other)

    def __ge__(self, other):
        return _ew.ge(self, other)

    # in place: a += b writes into a's memory
    def __iadd__(self, other):
        return _inplace_arith(self, other, np.add, _ew.add)

    def __isub__(self, other):
        return _inplace_arith(self, other, np.subtract, _ew.sub)

    def __imul__(self, other):
        return _inplace_arith(self, other, np.multiply, _ew.mul)

    def __itruediv__(self, other):
        return _inplace_arith(self, other, np.true_divide, _ew.div)

    def __ipow__(self, other):
        return _inplace_arith(self, other, np.power, _ew.pow)

    def __getitem__(self, key):
        return _sh.getitem(self, key)

    def __setitem__(self, key, value):
        _setitem(self, key, value)

    # ---- elementwise maths -------------------------------------------------------------------
    def add(self, other, alpha=1):
        """Elementwise sum self + alpha * other, broadcasting."""
        return _ew.add(self, other, alpha)

    def sub(self, other, alpha=1):
        """Elementwise difference self - alpha * other, broadcasting."""
        return _ew.sub(self, other, alpha)

    subtract = sub

    def mul(self, other):
        """Elementwise product, broadcasting."""
        return _ew.mul(self, other)

    multiply = mul

    def div(self, other, rounding_mode=None):
        """Elementwise quotient (rounding_mode 'trunc' or 'floor' for integer-style division)."""
        return _ew.div(self, other, rounding_mode)

    divide = div
    true_divide = div

    def floor_divide(self, other):
        """Division rounded down (Python's //)."""
        return _ew.floor_divide(self, other)

    def remainder(self, other):
        """The remainder of division, with the divisor's sign (Python's %)."""
        return _ew.remainder(self, other)

    def pow(self, exponent):
        """Each element raised to exponent."""
        return _ew.pow(self, exponent)

    def neg(self):
        """Each element negated."""
        return _ew.neg(self)

    negative = neg

    def exp(self):
        """e to the power of each element."""
        return _ew.exp(self)

    def expm1(self):
        """exp(x) - 1, accurate for small x."""
        return _ew.expm1(self)

    def log(self):
        """The natural logarithm of each element."""
        return _ew.log(self)

    def log1p(self):
        """log(1 + x), accurate for small x."""
        return _ew.log1p(self)

    def log2(self):
        """The base-2 logarithm of each element."""
        return _ew.log2(self)

    def log10(self):
        """The base-10 logarithm of each element."""
        return _ew.log10(self)

    def square(self):
        """Each element squared."""
        return _ew.square(self)

    def atan2(self, other):
        """The angle of the point (other, self): arctan(self / other) in the right quadrant."""
        return _ew.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        """sqrt(self^2 + other^2) for each pair of elements."""
        return _ew.hypot(self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by finite numbers."""
        return _ew.nan_to_num(self, nan, posinf, neginf)

    def lerp(self, end, weight):
        """Linear interpolation self + weight * (end - self)."""
        return _ew.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, value=1):
        """self + value * tensor1 * tensor2."""
        return _ew.addcmul(self, tensor1, tensor2, value)

    def addcdiv(self, tensor1, tensor2, value=1):
        """self + value * tensor1 / tensor2."""
        return _ew.addcdiv(self, tensor1, tensor2, value)

    def sqrt(self):
        """The square root of each element."""
        return _ew.sqrt(self)

    def rsqrt(self):
        """1 / sqrt(x) for each element."""
        return _ew.rsqrt(self)

    def reciprocal(self):
        """1 / x for each element."""
        return _ew.reciprocal(self)

    def abs(self):
        """The absolute value of each element."""
        return _ew.abs(self)

    absolute = abs

    def sign(self):
        """-1, 0 or 1: the sign of each element."""
        return _ew.sign(self)

    def sin(self):
        """The sine of each element."""
        return _ew.sin(self)

    def cos(self):
        """The cosine of each element."""
        return _ew.cos(self)

    def tanh(self):
        """The hyperbolic tangent of each element."""
        return _ew.tanh(self)

    # ---- trigonometric, hyperbolic and other unary maths, and their in-place forms ----
    def tan(self):
        """The tangent of each element."""
        return _ew.tan(self)

    def atan(self):
        """The arctangent of each element."""
        return _ew.atan(self)

    def asin(self):
        """The arcsine of each element."""
        return _ew.asin(self)

    def acos(self):
        """The arccosine of each element."""
        return _ew.acos(self)

    def sinh(self):
        """The hyperbolic sine of each element."""
        return _ew.sinh(self)

    def cosh(self):
        """The hyperbolic cosine of each element."""
        return _ew.cosh(self)

    def asinh(self):
        """The inverse hyperbolic sine of each element."""
        return _ew.asinh(self)

    def acosh(self):
        """The inverse hyperbolic cosine of each element."""
        return _ew.acosh(self)

    def atanh(self):
        """The inverse hyperbolic tangent of each element."""
        return _ew.atanh(self)

    arctan, arcsin, arccos, arcsinh, arccosh, arctanh = atan, asin, acos, asinh, acosh, atanh

    def exp2(self):
        """2 to the power of each element."""
        return _ew.exp2(self)

    def sinc(self):
        """The normalized sinc, sin(pi x) / (pi x)."""
        return _ew.sinc(self)

    def logit(self, eps=None):
        """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
        return _ew.logit(self, eps)

    def deg2rad(self):
        """Degrees to radians."""
        return _ew.deg2rad(self)

    def rad2deg(self):
        """Radians to degrees."""
        return _ew.rad2deg(self)

    def frac(self):
        """The fractional part of each element."""
        return _ew.frac(self)

    def fix(self):
        """Each element rounded towards zero (trunc)."""
        return _ew.trunc(self)

    def copysign(self, other):
        """The magnitude of self with the sign of other."""
        return _ew.copysign(self, other)

    def nextafter(self, other):
        """The next floating point value after self towards other."""
        return _ew.nextafter(self, other)

    def logaddexp2(self, other):
        """log2(2^self + 2^other), computed stably."""
        return _ew.logaddexp2(self, other)

    def float_power(self, exponent):
        """self ** exponent in float64."""
        return _ew.float_power(self, exponent)

    def fmod(self, other):
        """The remainder of division with the dividend's sign."""
        return _ew.fmod(self, other)

    def heaviside(self, values):
        """The step function, values at 0."""
        return _ew.heaviside(self, values)

    def sgn(self):
        """The sign of each element."""
        return _ew.sgn(self)

    def signbit(self):
        """True where the sign bit is set."""
        return _ew.signbit(self)

    def positive(self):
        """The tensor itself."""
        return _ew.positive(self)

    def conj(self):
        """The complex conjugate: a real tensor itself."""
        return _ew.conj(self)

    @property
    def real(self):
        """The real part: a real tensor itself."""
        return _ew.real(self)

    @property
    def imag(self):
        """The imaginary part: torch's RuntimeError for a real tensor."""
        return _ew.imag(self)

    def angle(self):
        """0 for x >= 0, pi for x < 0."""
        return _ew.angle(self)

    def erf(self):
        """The error function of each element."""
        return _ew.erf(self)

    def erfc(self):
        """1 - erf(x) for each element."""
        return _ew.erfc(self)

    def erf_(self):
        """erf in place."""
        return _inplace(self, _ew.erf)

    def erfc_(self):
        """erfc in place."""
        return _inplace(self, _ew.erfc)

    # the gamma family, erfinv and I0 (ember/ops/special_functions.py)
    def lgamma(self):
        """log |Gamma(x)| of each element."""
        return _sf.lgamma(self)

    def digamma(self):
        """Gamma'(x) / Gamma(x) of each element."""
        return _sf.digamma(self)

    def polygamma(self, n):
        """The n-th derivative of digamma."""
        return _sf.polygamma(n, self)

    def mvlgamma(self, p):
        """The multivariate log-gamma function of dimension p."""
        return _sf.mvlgamma(self, p)

    def erfinv(self):
        """The inverse error function of each element."""
        return _sf.erfinv(self)

    def i0(self):
        """The modified Bessel function I0 of each element."""
        return _sf.i0(self)

    def lgamma_(self):
        """lgamma in place."""
        return _inplace(self, _sf.lgamma)

    def digamma_(self):
        """digamma in place."""
        return _inplace(self, _sf.digamma)

    def polygamma_(self, n):
        """polygamma(n) in place."""
        return _inplace(self, lambda s: _sf.polygamma(n, s, _sf.PolygammaInplace))

    def mvlgamma_(self, p):
        """mvlgamma(p) in place."""
        return _inplace(self, lambda s: _sf.mvlgamma(s, p))

    def erfinv_(self):
        """erfinv in place."""
        return _inplace(self, _sf.erfinv)

    def i0_(self):
        """i0 in place."""
        return _inplace(self, _sf.i0)

    def sin_(self):
        """sin in place."""
        return _inplace(self, _ew.sin)

    def cos_(self):
        """cos in place."""
        return _inplace(self, _ew.cos)

    def log_(self):
        """log in place."""
        return _inplace(self, _ew.log)

    def log2_(self):
        """log2 in place."""
        return _inplace(self, _ew.log2)

    def log10_(self):
        """log10 in place."""
        return _inplace(self, _ew.log10)

    def log1p_(self):
        """log1p in place."""
        return _inplace(self, _ew.log1p)

    def expm1_(self):
        """expm1 in place."""
        return _inplace(self, _ew.expm1)

    def rsqrt_(self):
        """rsqrt in place."""
        return _inplace(self, _ew.rsqrt)

    def reciprocal_(self):
        """reciprocal in place."""
        return _inplace(self, _ew.reciprocal)

    def floor_(self):
        """floor in place."""
        return _inplace(self, _ew.floor)

    def ceil_(self):
        """ceil in place."""
        return _inplace(self, _ew.ceil)

    def trunc_(self):
        """trunc in place."""
        return _inplace(self, _ew.trunc)

    def round_(self, decimals=0):
        """round in place."""
        return _inplace(self, lambda s: _ew.round(s, decimals))

    def sign_(self):
        """sign in place."""
        return _inplace(self, _ew.sign)

    def square_(self):
        """square in place."""
        return _inplace(self, _ew.square)

    def atan2_(self, other):
        """atan2 in place."""
        return _inplace(self, lambda s: _ew.atan2(s, other), None, other)

    arctan2_ = atan2_

    def hypot_(self, other):
        """hypot in place."""
        return _inplace(self, lambda s: _ew.hypot(s, other), None, other)

    def tan_(self):
        """tan in place."""
        return _inplace(self, _ew.tan)

    def atan_(self):
        """atan in place."""
        return _inplace(self, _ew.atan)

    def asin_(self):
        """asin in place."""
        return _inplace(self, _ew.asin)

    def acos_(self):
        """acos in place."""
        return _inplace(self, _ew.acos)

    def sinh_(self):
        """sinh in place."""
        return _inplace(self, _ew.sinh)

    def cosh_(self):
        """cosh in place."""
        return _inplace(self, _ew.cosh)

    def asinh_(self):
        """asinh in place (not differentiable, as in torch)."""
        return _inplace(self, lambda s: _ew.inplace_without_derivative(s, "asinh"))

    def acosh_(self):
        """acosh in place (not differentiable, as in torch)."""
        return _inplace(self, lambda s: _ew.inplace_without_derivative(s, "acosh"))

    def atanh_(self):
        """atanh in place (not differentiable, as in torch)."""
        return _inplace(self, lambda s: _ew.inplace_without_derivative(s, "atanh"))

    arctan_, arcsin_, arccos_, arcsinh_, arccosh_, arctanh_ = atan_, asin_, acos_, asinh_, acosh_, atanh_

    def exp2_(self):
        """exp2 in place."""
        return _inplace(self, _ew.exp2)

    def sinc_(self):
        """sinc in place."""
        return _inplace(self, _ew.sinc)

    def logit_(self, eps=None):
        """logit in place."""
        return _inplace(self, lambda s: _ew.logit(s, eps))

    def deg2rad_(self):
        """deg2rad in place."""
        return _inplace(self, _ew.deg2rad)

    def rad2deg_(self):
        """rad2deg in place."""
        return _inplace(self, _ew.rad2deg)

    def frac_(self):
        """frac in place."""
        return _inplace(self, _ew.frac)

    def fix_(self):
        """trunc in place."""
        return _inplace(self, _ew.trunc)

    def sgn_(self):
        """sgn in place."""
        return _inplace(self, _ew.sgn)

    def copysign_(self, other):
        """copysign in place."""
        return _inplace(self, lambda s: _ew.copysign(s, other), None, other)

    def nextafter_(self, other):
        """nextafter in place."""
        return _inplace(self, lambda s: _ew.nextafter(s, other), None, other)

    def fmod_(self, other):
        """fmod in place."""
        return _inplace(self, lambda s: _ew.fmod(s, other), None, other)

    def heaviside_(self, values):
        """heaviside in place."""
        return _inplace(self, lambda s: _ew.heaviside(s, values, "heaviside_"), None, values)

    def float_power_(self, exponent):
        """float_power in place: self must already be float64 (torch's rule)."""
        if self._data.dtype != np.float64:
            name = _backend.torch_scalar_name(self._data.dtype)
            raise RuntimeError(f"the base given to float_power_ has dtype {name} but the operation's result requires "
                               "dtype Double")
        return _inplace(self, lambda s: _ew.float_power(s, exponent), None, exponent)

    def sigmoid(self):
        """1 / (1 + exp(-x)) for each element."""
        return _ew.sigmoid(self)

    def relu(self):
        """max(x, 0) for each element."""
        return _ew.relu(self)

    def floor(self):
        """Each element rounded down."""
        return _ew.floor(self)

    def ceil(self):
        """Each element rounded up."""
        return _ew.ceil(self)

    def round(self, decimals=0):
        """Each element rounded to the nearest integer (halves to even), or to decimals places."""
        return _ew.round(self, decimals)

    def trunc(self):
        """Each element rounded towards zero."""
        return _ew.trunc(self)

    def clamp(self, min=None, max=None):
        """Each element limited to [min, max]."""
        return _ew.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """The larger of each pair of elements."""
        return _ew.maximum(self, other)

    def minimum(self, other):
        """The smaller of each pair of elements."""
        return _ew.minimum(self, other)

    def where(self, condition, other):
        """Elements of input where condition is True, else of other."""
        return _ew.where(condition, self, other)

    def masked_fill(self, mask, value):
        """A copy with value wherever mask is True."""
        return _ew.masked_fill(self, mask, value)

    def eq(self, other):
        """Elementwise ==, as a bool tensor."""
        return _ew.eq(self, other)

    def ne(self, other):
        """Elementwise !=, as a bool tensor."""
        return _ew.ne(self, other)

    def lt(self, other):
        """Elementwise <, as a bool tensor."""
        return _ew.lt(self, other)

    def le(self, other):
        """Elementwise <=, as a bool tensor."""
        return _ew.le(self, other)

    def gt(self, other):
        """Elementwise >, as a bool tensor."""
        return _ew.gt(self, other)

    def ge(self, other):
        """Elementwise >=, as a bool tensor."""
        return _ew.ge(self, other)

    def equal(self, other):
        """True if both tensors have the same shape and the same elements."""
        return _ew.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """True if every element is close to other's: |a - b| <= atol + rtol * |b|."""
        return _ew.allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Elementwise |a - b| <= atol + rtol * |b|, as a bool tensor."""
        return _ew.isclose(self, other, rtol, atol, equal_nan)

    def isnan(self):
        """Which elements are NaN."""
        return _ew.isnan(self)

    def isinf(self):
        """Which elements are +inf or -inf."""
        return _ew.isinf(self)

    def isfinite(self):
        """Which elements are neither infinite nor NaN."""
        return _ew.isfinite(self)

    def logical_not(self):
        """Elementwise not, as a bool tensor."""
        return _ew.logical_not(self)

    def logical_and(self, other):
        """Elementwise and, as a bool tensor."""
        return _ew.logical_and(self, other)

    def logical_or(self, other):
        """Elementwise or, as a bool tensor."""
        return _ew.logical_or(self, other)

    # ---- reductions --------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None, *, axis=None):
        """The sum of all elements, or along dim (axis: NumPy's name for it, which torch takes too)."""
        if axis is None:  # (the common call stays positional: axis costs one test)
            return _rd.sum(self, dim, keepdim, dtype)
        return _rd.sum(self, dim, keepdim, dtype, axis=axis)

    def mean(self, dim=None, keepdim=False, dtype=None, *, axis=None):
        """The mean of all elements, or along dim (axis: NumPy's name for it, which torch takes too)."""
        if axis is None:  # (the common call stays positional: axis costs one test)
            return _rd.mean(self, dim, keepdim, dtype)
        return _rd.mean(self, dim, keepdim, dtype, axis=axis)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """The product of all elements, or along dim."""
        return _rd.prod(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance (correction=1: the unbiased estimate), of all elements or along dim."""
        return _rd.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation (correction=1: from the unbiased variance), of all elements or along dim."""
        return _rd.std(self, dim, unbiased, keepdim, correction)

    def max(self, dim=None, keepdim=False):
        """The largest element; along dim, (values, indices); with a tensor, the elementwise maximum."""
        return _rd.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """The smallest element; along dim, (values, indices); with a tensor, the elementwise minimum."""
        return _rd.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        """The largest elements along dim (the gradient is shared between ties)."""
        return _rd.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """The smallest elements along dim (the gradient is shared between ties)."""
        return _rd.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """The index of the largest element, overall or along dim."""
        return _rd.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """The index of the smallest element, overall or along dim."""
        return _rd.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) along dim, computed without overflow."""
        return _rd.logsumexp(self, dim, keepdim)

    def softmax(self, dim=None, dtype=None):
        """exp(x) / sum(exp(x)) along dim: non-negative values that sum to 1."""
        return _rd.softmax_over(self, dim, dtype)

    def log_softmax(self, dim=None, dtype=None):
        """log(softmax(x)) along dim, computed stably."""
        return _rd.log_softmax_over(self, dim, dtype)

    def cumsum(self, dim, dtype=None):
        """Running sums along dim."""
        return _rd.cumsum(self, dim, dtype)

    def cumprod(self, dim, dtype=None):
        """Running products along dim."""
        return _rd.cumprod(self, dim, dtype)

    def cummax(self, dim):
        """Running maxima along dim, and their indices."""
        return _rd.cummax(self, dim)

    def cummin(self, dim):
        """Running minima along dim, and their indices."""
        return _rd.cummin(self, dim)

    def sort(self, dim=-1, descending=False, stable=False):
        """The values sorted along dim, and the indices they came from."""
        return _rd.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort the values along dim."""
        return _rd.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The k largest (or smallest) values along dim, and their indices."""
        return _rd.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest value along dim, and its index."""
        return _rd.kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        """The lower median, overall or (values, indices) along dim."""
        return _rd.median(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along dim, and an index of it."""
        return _rd.mode(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm of all elements, or along dim (default: the Euclidean norm)."""
        return _rd.norm(self, p, dim, keepdim, dtype)

    def any(self, dim=None, keepdim=False):
        """True if any element (or any along dim) is non-zero."""
        return _rd.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        """True if every element (or every one along dim) is non-zero."""
        return _rd.all(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        """The number of non-zero elements, overall or along dim."""
        return _rd.count_nonzero(self, dim)

    # ---- matrices ----------------------------------------------------------------------------
    def matmul(self, other):
        """The matrix product, with NumPy's rules for vectors and batches (the @ operator)."""
        return _la.matmul(self, other)

    def mm(self, other):
        """The product of two matrices."""
        return _la.mm(self, other)

    def bmm(self, other):
        """The products of two batches of matrices."""
        return _la.bmm(self, other)

    def mv(self, other):
        """The product of a matrix and a vector."""
        return _la.mv(self, other)

    def dot(self, other):
        """The dot product of two vectors."""
        return _la.dot(self, other)

    def outer(self, other):
        """The outer product of two vectors."""
        return _la.outer(self, other)

    def trace(self):
        """The sum of a matrix's diagonal."""
        return _la.trace(self)

    def det(self):
        """The determinant of a square matrix (or of each in a batch)."""
        from .linalg import det
        return det(self)

    def matrix_exp(self):
        """e to the matrix (or each matrix in a batch): I + A + A^2/2! + ..."""
        from .linalg import matrix_exp
        return matrix_exp(self)

    def kron(self, other):
        """The Kronecker product."""
        return _la.kron(self, other)

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along dim."""
        return _la.cross(self, other, dim)

    # ---- shape -------------------------------------------------------------------------------
    def view(self, *shape):
        """The same data seen with another shape (-1: inferred); shares memory, needs a compatible layout."""
        return _sh.view(self, *shape)

    def view_as(self, other):
        """The same data seen with other's shape."""
        return _sh.view(self, other._data.shape)

    def reshape(self, *shape):
        """The data with another shape: a view when the layout allows, else a copy."""
        return _sh.reshape(self, *shape)

    def reshape_as(self, other):
        """The data with other's shape (a view when possible)."""
        return _sh.reshape(self, other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions start_dim..end_dim merged into one."""
        return _sh.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        """Dimension dim split into the given sizes."""
        return _sh.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        """Dimensions of size 1 removed (all, or the given dim)."""
        return _sh.squeeze(self, dim)

    def unsqueeze(self, dim):
        """A new dimension of size 1 inserted at dim."""
        return _sh.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        """Dimensions dim0 and dim1 swapped (a view)."""
        return _sh.transpose(self, dim0, dim1)

    swapaxes = transpose

    def t(self):
        """A matrix transposed (a 0-d or 1-d tensor unchanged)."""
        return _sh.t(self)

    @property
    def T(self):
        """The tensor with its dimensions reversed (for a matrix: the transpose)."""
        if self.ndim > 2:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                          "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
                          "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                          "dimensions of a tensor.", UserWarning, stacklevel=2)
        return _sh.permute(self, tuple(range(self.ndim - 1, -1, -1)))  # (torch's PermuteBackward0, also for a matrix)

    @property
    def mT(self):
        """The last two dimensions transposed (a batch of matrices, each transposed)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D "
                               "tensor.")
        return _sh.transpose(self, -2, -1)

    def permute(self, *dims):
        """The dimensions reordered (a view)."""
        return _sh.permute(self, *dims)

    def expand(self, *sizes):
        """A view with size-1 dimensions repeated to the given sizes, without copying."""
        return _sh.expand(self, *sizes)

    def expand_as(self, other):
        """A view expanded to other's shape."""
        return _sh.expand(self, other._data.shape)

    def repeat(self, *reps):
        """The data tiled the given number of times along each dimension (a copy)."""
        return _sh.repeat(self, *reps)

    def contiguous(self):
        """This tensor if its memory is in row-major order, else a row-major copy."""
        return _sh.contiguous(self)

    def clone(self):
        """A copy of the data; gradients flow back to the original."""
        return _sh.clone(self)

    def split(self, split_size, dim=0):
        """Pieces of the given size (or sizes) along dim."""
        return _sh.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """The tensor cut into that many nearly equal pieces along dim."""
        return _sh.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        """The slices along dim, each without that dimension."""
        return _sh.unbind(self, dim)

    def unfold(self, dimension, size, step):
        """The windows of the given size along dimension, every step elements, as a new last dimension (a view)."""
        return _sh.unfold(self, dimension, size, step)

    def select(self, dim, index):
        """The slice at index along dim, without that dimension (a view)."""
        return _sh.select(self, dim, index)

    def narrow(self, dim, start, length):
        """The slice start..start+length along dim (a view)."""
        return _sh.narrow(self, dim, start, length)

    def flip(self, *dims):
        """The elements in reverse order along the given dimensions."""
        return _sh.flip(self, *dims)

    def fliplr(self):
        """The columns in reverse order (dim 1)."""
        return _cp.fliplr(self)

    def flipud(self):
        """The rows in reverse order (dim 0)."""
        return _cp.flipud(self)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotated by 90 degrees k times, from the first of dims towards the second."""
        return _cp.rot90(self, k, dims)

    def take_along_dim(self, indices, dim=None):
        """The values at indices along dim, the other dims broadcast."""
        return _cp.take_along_dim(self, indices, dim)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2)."""
        return _cp.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta * self + alpha * (mat @ vec)."""
        return _cp.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2), one product per batch entry."""
        return _cp.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (the sum over the batch of batch1[i] @ batch2[i])."""
        return _cp.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta * self + alpha * outer(vec1, vec2)."""
        return _cp.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        """addmm in place."""
        return _inplace(self, lambda s: _cp.addmm(s, mat1, mat2, beta=beta, alpha=alpha))

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        """addmv in place."""
        return _inplace(self, lambda s: _cp.addmv(s, mat, vec, beta=beta, alpha=alpha))

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """baddbmm in place."""
        return _inplace(self, lambda s: _cp.baddbmm(s, batch1, batch2, beta=beta, alpha=alpha))

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """addbmm in place."""
        return _inplace(self, lambda s: _cp.addbmm(s, batch1, batch2, beta=beta, alpha=alpha))

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        """addr in place."""
        return _inplace(self, lambda s: _cp.addr(s, vec1, vec2, beta=beta, alpha=alpha))

    def logaddexp(self, other):
        """log(exp(self) + exp(other)), computed stably."""
        return _cp.logaddexp(self, other)

    def xlogy(self, other):
        """self * log(other), 0 where self is 0."""
        return _cp.xlogy(self, other)

    def xlogy_(self, other):
        """xlogy in place."""
        return _inplace(self, lambda s: _cp.xlogy(s, other))

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum with nan counted as 0."""
        return _cp.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the elements that are not nan."""
        return _cp.nanmean(self, dim, keepdim, dtype=dtype)

    def movedim(self, source, destination):
        """Dimensions moved from source to destination positions (a view)."""
        return _sh.movedim(self, source, destination)

    moveaxis = movedim

    def roll(self, shifts, dims=None):
        """The elements shifted along dims, wrapping around."""
        return _sh.roll(self, shifts, dims)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """A view of a diagonal (offset from the main one) of the last two chosen dimensions."""
        return _sh.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal=0):
        """The diagonal of a matrix, or a matrix with a vector on its diagonal."""
        return _sh.diag(self, diagonal)

    def tile(self, dims):
        """The data tiled (like repeat, with missing leading counts taken as 1)."""
        return _sh.tile(self, dims)

    def repeat_interleave(self, repeats, dim=None):
        """Each element repeated the given number of times along dim."""
        return _sh.repeat_interleave(self, repeats, dim)

    def diff(self, n=1, dim=-1):
        """Differences between neighbours along dim."""
        return _sh.diff(self, n, dim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with inverse indices and counts."""
        return _sh.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        """How often each non-negative integer occurs (optionally weighted)."""
        return _sh.bincount(self, weights, minlength)

    def broadcast_to(self, size):
        """A view broadcast to the given shape."""
        return _sh.expand(self, size)

    def gather(self, dim, index):
        """Values picked along dim at the positions in index."""
        return _sh.gather(self, dim, index)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """A copy with src's values written along dim at the positions in index."""
        return _sh.scatter(self, dim, index, src, value, reduce)

    def scatter_add(self, dim, index, src):
        """A copy with src's values added along dim at the positions in index."""
        return _sh.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        """The slices along dim at the given indices."""
        return _sh.index_select(self, dim, index)

    def masked_select(self, mask):
        """The elements where mask is True, as a 1-d tensor."""
        return _sh.masked_select(self, mask)

    def nonzero(self, as_tuple=False):
        """The indices of the non-zero elements."""
        return _sh.nonzero(self, as_tuple)

    def tril(self, diagonal=0):
        """The lower triangle of a matrix (the rest zero)."""
        return _sh.tril(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle of a matrix (the rest zero)."""
        return _sh.triu(self, diagonal)

    # ---- in place ----------------------------------------------------------------------------
    def add_(self, other, alpha=1):
        """Add alpha * other in place."""
        if alpha != 1 and _ew._scalable(self, other):  # rounded once, as torch
            return _inplace_arith(self, other, _ew.scaled_add(alpha), lambda s, o: _ew.add(s, o, alpha))
        return _inplace_arith(self, other if alpha == 1 else other * alpha, np.add, _ew.add)

    def sub_(self, other, alpha=1):
        """Subtract alpha * other in place."""
        if alpha != 1 and _ew._scalable(self, other):
            return _inplace_arith(self, other, _ew.scaled_add(-alpha), lambda s, o: _ew.sub(s, o, alpha))
        return _inplace_arith(self, other if alpha == 1 else other * alpha, np.subtract, _ew.sub)

    def addcmul_(self, tensor1, tensor2, value=1):
        """Add value * tensor1 * tensor2 in place."""
        return _inplace(self, lambda s: _ew.addcmul(s, tensor1, tensor2, value),
                        other=tensor1 if _needs_grad(tensor1) else tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        """Add value * tensor1 / tensor2 in place."""
        return _inplace(self, lambda s: _ew.addcdiv(s, tensor1, tensor2, value),
                        other=tensor1 if _needs_grad(tensor1) else tensor2)

    def mul_(self, other):
        """Multiply by other in place."""
        return _inplace_arith(self, other, np.multiply, _ew.mul)

    def div_(self, other):
        """Divide by other in place."""
        return _inplace_arith(self, other, np.true_divide, _ew.div)

    def pow_(self, exponent):
        """Raise each element to exponent in place."""
        return _inplace_arith(self, exponent, np.power, _ew.pow)

    def clamp_(self, min=None, max=None):
        """Limit each element to [min, max] in place."""
        return _inplace(self, lambda s: _ew.clamp(s, min, max))

    clip_ = clamp_

    def neg_(self):
        """Negate in place."""
        return _inplace(self, _ew.neg)

    def exp_(self):
        """e to the power of each element, in place."""
        return _inplace(self, _ew.exp)

    def sqrt_(self):
        """The square root of each element, in place."""
        return _inplace(self, _ew.sqrt)

    def relu_(self):
        """max(x, 0) for each element, in place."""
        return _inplace(self, _ew.relu)

    def sigmoid_(self):
        """1 / (1 + exp(-x)) for each element, in place."""
        return _inplace(self, _ew.sigmoid)

    def tanh_(self):
        """The hyperbolic tangent of each element, in place."""
        return _inplace(self, _ew.tanh)

    def abs_(self):
        """The absolute value of each element, in place."""
        return _inplace(self, _ew.abs)

    def masked_fill_(self, mask, value):
        """Write value wherever mask is True, in place."""
        return _inplace(self, lambda s: _ew.masked_fill(s, mask, value))

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        """Write src's values along dim at the positions in index, in place."""
        return _inplace(self, lambda s: _sh.scatter(s, dim, index, src, value, reduce))

    def scatter_add_(self, dim, index, src):
        """Add src's values along dim at the positions in index, in place."""
        return _inplace(self, lambda s: _sh.scatter_add(s, dim, index, src))

    def zero_(self):
        """Fill with zeros in place."""
        return self.fill_(0)

    def fill_(self, value):
        """Fill with one value in place."""
        if type(value) is int or type(value) is float:  # (the common case first: zero_() and friends)
            pass
        elif isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions; fill with value.item() or use copy_()")
            value = value.item() if not value._requires_grad else value
        elif not isinstance(value, numbers.Number):
            raise TypeError(f"fill_(): argument 'value' must be a number or a 0-d Tensor, not "
                            f"{type(value).__name__}")
        if not _records(self, value):  # (an expanded tensor may be filled: every element gets the same value)
            self._data.fill(value)
            _bump_version(self)
            return self
        # recorded as a where() that takes nothing from self: its old values get exactly 0 back (not 0 * NaN)
        never = _wrap(_backend.get_array_module(self._data).zeros((), bool))
        return _inplace(self, lambda s: _ew.where(never, s, value), None, value, True)

    def copy_(self, src, non_blocking=False):
        """Copy src's values into this tensor in place (broadcasting src)."""
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        if not _broadcastable(src._data.shape, self._data.shape) or \
                np.broadcast_shapes(src._data.shape, self._data.shape) != self._data.shape:
            raise _backend.broadcast_error(self._data.shape, src._data.shape)
        never = _wrap(_backend.get_array_module(self._data).zeros((), bool))  # copy_ may cross devices, as torch
        return _inplace(self, lambda s: _ew.where(never, s, src.to(self.device, self.dtype)),
                        lambda: np.copyto(self._data, _backend.move(src._data, self.device), casting="unsafe"), src)

    # ---- random fills (ember.random) ---------------------------------------------------------
    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill in place with samples from the uniform distribution on [a, b)."""
        return _random.fill_uniform(self, a, b, generator)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill in place with samples from a normal distribution N(mean, std^2)."""
        return _random.fill_normal(self, mean, std, generator)

    def bernoulli_(self, p=0.5, generator=None):
        """Fill in place with 0/1 samples that are 1 with probability p."""
        return _random.fill_bernoulli(self, p, generator)

    def random_(self, from_=None, to=None, generator=None):
        """Fill in place with random integers: [0, to), [from, to), or the dtype's whole range."""
        return _random.fill_integers(self, from_, to, generator)

    def exponential_(self, lambd=1.0, generator=None):
        """Fill in place with Exponential(lambd) draws."""
        return _random.fill_exponential(self, lambd, generator)

    def geometric_(self, p, generator=None):
        """Fill in place with the number of Bernoulli(p) trials up to the first success."""
        return _random.fill_geometric(self, p, generator)

    def cauchy_(self, median=0.0, sigma=1.0, generator=None):
        """Fill in place with Cauchy(median, sigma) draws."""
        return _random.fill_cauchy(self, median, sigma, generator)

    def log_normal_(self, mean=1.0, std=2.0, generator=None):
        """Fill in place with exp(Normal(mean, std)) draws."""
        return _random.fill_log_normal(self, mean, std, generator)

    def bernoulli(self, p=None, generator=None):
        """0/1 draws with probability self (or with p for every element)."""
        return _random.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, generator=None):
        """Draw category indices with self's (unnormalised) weights, row by row."""
        return _random.multinomial(self, num_samples, replacement, generator=generator)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor from data, with this tensor's dtype and device."""
        return _creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of zeros of the given size, with this tensor's dtype and device."""
        return _creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of ones of the given size, with this tensor's dtype and device."""
        return _creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """A tensor of the given size filled with fill_value, with this tensor's dtype and device."""
        return _creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of the given size, with this tensor's dtype and device."""
        return _creation.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    # more of torch's methods: NaN-ignoring max/min, one-sided clamps, integer and bit maths, indexing
    def take(self, index):
        """ember.take(self, index)."""
        return _sh.take_flat(self, index)

    def index_add(self, dim, index, source, *, alpha=1):
        """ember.index_add(self, dim, index, source, alpha=alpha)."""
        return _sh.index_add(self, dim, index, source, alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place index_add."""
        return _inplace(self, lambda s: _sh.index_add(s, dim, index, source, alpha), None, source)

    def fmax(self, other):
        """ember.fmax(self, other)."""
        return _ew.fmax(self, other)

    def fmin(self, other):
        """ember.fmin(self, other)."""
        return _ew.fmin(self, other)

    def clamp_min(self, min):
        """ember.clamp_min(self, min)."""
        return _ew.clamp_min(self, min)

    def clamp_max(self, max):
        """ember.clamp_max(self, max)."""
        return _ew.clamp_max(self, max)

    def clamp_min_(self, min):
        """In-place clamp_min."""
        return _inplace(self, lambda s: _ew.clamp_min(s, min), None, min)

    def clamp_max_(self, max):
        """In-place clamp_max."""
        return _inplace(self, lambda s: _ew.clamp_max(s, max), None, max)

    def logical_xor(self, other):
        """ember.logical_xor(self, other)."""
        return _ew.logical_xor(self, other)

    def isposinf(self):
        """ember.isposinf(self)."""
        return _ew.isposinf(self)

    def isneginf(self):
        """ember.isneginf(self)."""
        return _ew.isneginf(self)

    def isreal(self):
        """ember.isreal(self)."""
        return _ew.isreal(self)

    def gcd(self, other):
        """ember.gcd(self, other)."""
        return _ew.gcd(self, other)

    def lcm(self, other):
        """ember.lcm(self, other)."""
        return _ew.lcm(self, other)

    def ldexp(self, other):
        """ember.ldexp(self, other)."""
        return _ew.ldexp(self, other)

    def frexp(self):
        """ember.frexp(self)."""
        return _ew.frexp(self)

    def bitwise_left_shift(self, other):
        """ember.bitwise_left_shift(self, other)."""
        return _ew.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        """ember.bitwise_right_shift(self, other)."""
        return _ew.bitwise_right_shift(self, other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def gcd_(self, other):
        """In-place gcd."""
        return _inplace(self, lambda s: _ew.gcd(s, other), None, other)

    def lcm_(self, other):
        """In-place lcm."""
        return _inplace(self, lambda s: _ew.lcm(s, other), None, other)

    def ldexp_(self, other):
        """In-place ldexp."""
        return _inplace(self, lambda s: _ew.ldexp(s, other), None, other)

    def bitwise_left_shift_(self, other):
        """In-place bitwise_left_shift."""
        return _inplace(self, lambda s: _ew.bitwise_left_shift(s, other), None, other)

    def bitwise_right_shift_(self, other):
        """In-place bitwise_right_shift."""
        return _inplace(self, lambda s: _ew.bitwise_right_shift(s, other), None, other)

    def remainder_(self, other):
        """In-place remainder."""
        return _inplace(self, lambda s: _ew.remainder(s, other), None, other)

    def floor_divide_(self, other):
        """In-place floor_divide."""
        return _inplace(self, lambda s: _ew.floor_divide(s, other), None, other)

    def lerp_(self, end, weight):
        """In-place lerp."""
        return _inplace(self, lambda s: _ew.lerp(s, end, weight), None, end)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        """In-place nan_to_num."""
        return _inplace(self, lambda s: _ew.nan_to_num(s, nan, posinf, neginf))

    def true_divide_(self, other):
        """In-place true_divide (div_)."""
        return self.div_(other)

    def divide_(self, other, *, rounding_mode=None):
        """In-place divide (div_ with an optional rounding_mode)."""
        if rounding_mode is None:
            return self.div_(other)
        return _inplace(self, lambda s: _ew.div(s, other, rounding_mode), None, other)

    def multiply_(self, other):
        """In-place multiply (mul_)."""
        return self.mul_(other)

    def subtract_(self, other, *, alpha=1):
        """In-place subtract (sub_)."""
        return self.sub_(other, alpha=alpha)

    def negative_(self):
        """In-place negative (neg_)."""
        return self.neg_()

    def absolute_(self):
        """In-place absolute (abs_)."""
        return self.abs_()

    def eq_(self, other):
        """self == other in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.compare_in_place(s, other, "eq"), None, other)

    def ne_(self, other):
        """self != other in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.compare_in_place(s, other, "ne"), None, other)

    def lt_(self, other):
        """self < other in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.compare_in_place(s, other, "lt"), None, other)

    def le_(self, other):
        """self <= other in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.compare_in_place(s, other, "le"), None, other)

    def gt_(self, other):
        """self > other in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.compare_in_place(s, other, "gt"), None, other)

    def ge_(self, other):
        """self >= other in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.compare_in_place(s, other, "ge"), None, other)

    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_

    def logical_not_(self):
        """logical_not in place: 1 or 0 in self's dtype."""
        return _inplace(self, _ew.logical_not)

    def logical_and_(self, other):
        """logical_and in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.logical_and(s, other), None, other)

    def logical_or_(self, other):
        """logical_or in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.logical_or(s, other), None, other)

    def logical_xor_(self, other):
        """logical_xor in place: 1 or 0 in self's dtype."""
        return _inplace(self, lambda s: _ew.logical_xor(s, other), None, other)


# ----------------------------------------------------------------------------
# helpers for the methods above
# ----------------------------------------------------------------------------
def _share(base, out):
    """detach() shares memory and the version counter with its base, as in PyTorch."""
    if base._vc is None:
        base._vc = [0]
    out._vc = base._vc
    return out


_SHARED_MEMORY = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                  "memory location (it is an expand()ed view). Please clone() the tensor before performing the "
                  "operation.")
def _refuse_overlap(array, other=None, repeats_allowed=False):
    """PyTorch's refusals before an in-place write into ``array``: several of its elements are one memory location
    (an expand; fill_ may write those), or ``other`` (read by the op) covers part of the memory being written, but
    not exactly the same elements."""
    if not repeats_allowed and 0 in array.strides and array.size and any(st == 0 and n > 1
                                                           for n, st in zip(array.shape, array.strides)):
        raise RuntimeError(_SHARED_MEMORY)
    if not isinstance(other, Tensor):
        return
    b = other._data
    if b is array or (b.base is None and array.base is not b) or (array.base is None and b.base is not array) \
            or not np.may_share_memory(array, b):  # (a fresh array overlaps only its own views: no NumPy call)
        return
    spans = _dense_span(array), _dense_span(b)
    if None in spans:  # not both dense: torch does not try to decide either
        return
    if spans[0] == spans[1] and array.strides == b.strides:
        return  # exactly the same elements: x.add_(x) is fine
    if spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]:
        raise RuntimeError(_PARTIAL_OVERLAP)


def _dense_span(array):
    """The byte range an array covers if its elements tile it exactly (torch's non-overlapping and dense)."""
    expected = array.itemsize
    for stride, n in sorted((st, n) for n, st in zip(array.shape, array.strides) if n != 1):
        if stride != expected:
            return None
        expected *= n
    start = array.__array_interface__["data"][0]
    return start, start + array.nbytes


_PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                    "single memory location. Please clone() the tensor before performing the operation.")



_INFERENCE_INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed. You can make a clone "
                      "to get a normal tensor before doing inplace update.")
_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead.")


_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _records(t, other=None):
    """Would an in-place op on t (with other) need to be recorded by autograd? (Every in-place op asks first.)"""
    if t._inference and not STATE.inference:
        raise RuntimeError(_INFERENCE_INPLACE)
    return ((_needs_grad(t) or (isinstance(other, Tensor) and _needs_grad(other)))
            and (not GRAD_OFF or STATE.enabled))  # (the tensors first: grad mode is a thread-local read)


def _needs_grad(t):
    """t.requires_grad, from the slots: a view of a tensor that requires grad does, even before it is used again."""
    return t._requires_grad or (t._view is not None and t._view.base._requires_grad)


def _inplace_arith(self, other, ufunc, op):
    """``self op= other``: NumPy writes straight into self's memory unless autograd must record it."""
    _refuse_overlap(self._data, other)
    if _get_ident() != _backend.QUIET_THREAD:  # (as Op.apply: a thread's first op silences its NumPy errors)
        _backend.quiet_float_errors()
    if _records(self, other):
        return _inplace(self, lambda s: op(s, other), None, other)
    if isinstance(other, Tensor):
        value = other._data
    elif isinstance(other, (int, float)):
        value = other
        if self._data.dtype == _ew.HALF and (ufunc is np.multiply or ufunc is np.true_divide):
            _ew.with_number_(ufunc, self._data, other)  # (torch computes it in float32, the number as float32)
            _bump_version(self)
            return self
    else:
        value = _ew.scalar_or_tensor(other)
        value = value._data if isinstance(value, Tensor) else value
    try:
        _backend.update(ufunc, self._data, value)
    except TypeError:  # NumPy refuses e.g. float into an integer tensor; or the tensors are on two devices
        if not (isinstance(other, Tensor) and type(value) is not type(self._data)):
            raise _cast_error(self, value) from None
        ufunc(self._data, _dev.same_device_data(self, other), out=self._data)
    except ValueError:
        if not getattr(self._data.flags, "writeable", True):  # (GPU arrays have no read-only flag)
            raise RuntimeError(_SHARED_MEMORY) from None
        raise _inplace_shape_error(self, np.shape(value)) from None
    _bump_version(self)
    return self


def _overwrite(self, values):
    """Write values (an array of self's shape, on self's device) into self in place, as torch's in-place fills
    (uniform_, normal_, ... in random.py) do: the old values get no gradient."""
    def recorded(old):  # (autograd records the fill: a where() that takes none of the old values)
        never = _backend.like(np.zeros(values.shape, bool), self._data)
        return _ew.where(_wrap(never), old, _wrap(values))

    return _inplace(self, recorded, lambda: self._data.__setitem__(Ellipsis, values.astype(self._data.dtype,
                                                                                            copy=False)))


def _inplace(self, compute, direct=None, other=None, repeats_allowed=False):
    """Compute out of place, then write the result into self and let self carry the new history.

    When autograd records, the op runs on ``_before(self)``: a private copy of self's values that carries self's
    history (its grad_fn) without being a node of its own. What the op saves for backward is then the value from
    before the write (torch's "original self"), and the op's edge for self goes straight to self's history, so the
    graph is torch's: ``x.clone().sin_()`` is SinBackward0 -> CloneBackward0. When self is a view, the write lands in
    its base too, and the base's history is rewritten (ember/autograd/views.py).
    """
    view = self._view
    _refuse_overlap(self._data, other, repeats_allowed)
    if not _records(self, other):
        if direct is not None:
            direct()
            _bump_version(self)
            return self
        out = compute(self)
    elif view is not None:
        _views.check_inplace(self)
        before = _before(_views.current(self))  # history: the view replayed on the base's history
        replayed = before.grad_fn
        out = compute(before)
        # torch's CopySlices holds the op's node (the last one, whose value is written) when that node took the view
        # directly: its edge for the view becomes the region of the base's gradient. That is right whatever other
        # nodes the op made: any of them that also took the view keeps its edge to `replayed`, the view's nodes over
        # the base's old history, where the gradient goes into the same region. (Two edges of the node to the view:
        # the plain CopySlices below, as before.)
        single = replayed is not None and out.grad_fn is not None and out.grad_fn._next.count(replayed) == 1
    else:
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError(_LEAF_INPLACE + " Wrap the update in `with ember.no_grad():`, or work on a clone().")
        out = compute(_before(self))
    if out._data.shape != self._data.shape:
        raise _inplace_shape_error(self, out._data.shape)
    if out._data.dtype != self._data.dtype and not np.can_cast(out._data.dtype, self._data.dtype, "same_kind"):
        raise _cast_error(self, out._data)
    try:
        self._data[...] = out._data
    except ValueError:
        raise RuntimeError(_SHARED_MEMORY) from None
    _bump_version(self)
    node = out.grad_fn
    if node is not None:
        if getattr(node, "_out_vc", None) is not None:  # the node saved its output: that output is now self
            node._value, node._out_vc = self._data, self._vc
            node._versions = [self._vc[0] if s is _OUTPUT else v for s, v in zip(node._saved, node._versions)]
        if view is not None:
            _views.rebase_history(self, out, replayed if single else None)
        else:
            self.grad_fn = node
            self._requires_grad = True
    return self


def _before(t):
    """What an in-place op on t computes from when autograd records: t's values, copied (in t's layout, as clone),
    with t's history. It is nobody's output, so it adds no node to the graph, and nothing else can see or change its
    array, so what the op saves from it stays the value from before the write (torch's "original self" copy)."""
    return _wrap(_sh.Clone.forward(None, t._data), t._requires_grad, t.grad_fn)


def _setitem(self, key, value):
    if not isinstance(value, (Tensor, numbers.Number, np.ndarray, np.generic)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.dtype} tensor; assign a number or a "
                        "Tensor")
    from .ops.shape import IndexPut, index_key, put, take
    key = index_key(key, self._data.shape)
    if isinstance(value, Tensor):
        value_data = value._data
        if type(value_data) is not type(self._data):  # another device: torch's rule decides
            value_data = _dev.same_device_data(self, value)
    else:
        value_data = value
    if isinstance(key, tuple) and all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key):
        _refuse_overlap(take(self._data, key + (Ellipsis,) if Ellipsis not in key else key), value)
    if not _records(self, value):
        try:
            put(self._data, key, value_data)
        except IndexError as e:
            raise IndexError(f"{e} (indexing a tensor of shape {list(self._data.shape)})"
                             .replace("axis", "dimension")) from None
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(value_data))} cannot be "
                               f"broadcast to indexing result of shape {list(take(self._data, key).shape)}") from None
        _bump_version(self)
        return
    if isinstance(key, tuple) and all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key):
        # torch's setitem with a basic key: take the view, then copy into it. The write lands in the region only
        # (an expanded tensor may be written where the region has no repeated elements), and the base's history
        # gets a CopySlices node for exactly that region.
        region = self if _whole(key, self._data.shape) else self[key]
        if isinstance(value, Tensor):
            region.copy_(value)
        elif isinstance(value, np.ndarray):
            region.copy_(Tensor(value))
        else:
            region.fill_(value)
        return
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        value = value.to(self.dtype)
    _inplace(self, lambda s: IndexPut.apply(s, value, key), None, value)


def _whole(key, shape):
    """Does a basic key select the whole tensor (x[:], x[...], x[0:n])? torch's setitem then writes into the
    tensor itself, not into a view of it."""
    if any(k is not Ellipsis and type(k) is not slice for k in key):
        return False  # an integer or None
    at = next((i for i, k in enumerate(key) if k is Ellipsis), len(key))
    front, back = key[:at], key[at + 1:]  # slices for the leading dims, and for the trailing ones
    if len(front) + len(back) > len(shape):
        return False
    sizes = shape[:len(front)] + shape[len(shape) - len(back):]
    return all(k.indices(n) == (0, n, 1) for k, n in zip(front + back, sizes))


def _cast_error(self, value):
    other = dtype_of(_backend.as_array(value)) if not isinstance(value, float) else _backend.float32
    return RuntimeError(f"result type {_backend.torch_scalar_name(other.np)} can't be cast to the desired output "
                        f"type {_backend.torch_scalar_name(self._data.dtype)}: an in-place op keeps the dtype of the "
                        "tensor it writes to")


def _inplace_shape_error(self, shape):
    return RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                        f"{list(np.broadcast_shapes(self._data.shape, tuple(shape)))}"
                        if _broadcastable(self._data.shape, shape) else
                        f"The size of tensor a ({list(self._data.shape)}) must match the size of tensor b "
                        f"({list(shape)}): shapes do not broadcast")


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return True
    except ValueError:
        return False


# the op modules import Tensor from here, so they are imported after the class exists
from . import _tensor_str, creation as _creation, random as _random  # noqa: E402
from .autograd import engine, views as _views  # noqa: E402
from .autograd.grad_mode import GRAD_OFF, INFERENCE_ON, STATE  # noqa: E402
from .autograd.function import _OUTPUT  # noqa: E402
from .ops import elementwise as _ew, linalg as _la, reduction as _rd, shape as _sh, device as _dev  # noqa: E402
from .ops import composite as _cp  # noqa: E402
from .ops import special_functions as _sf  # noqa: E402
