"""ember: PyTorch's API on NumPy, small enough to read.

``import ember as torch`` and tensor-level PyTorch programs run unchanged.
Everything a user reaches is re-exported here by name.
"""
import functools as _functools
import sys as _sys

from . import _backend
from ._backend import dtype, device, get_default_dtype, set_default_dtype, get_default_device, set_default_device
from .tensor import Tensor, Size
from .autograd import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,
                       is_inference_mode_enabled, is_anomaly_enabled, is_anomaly_check_nan_enabled,
                       set_anomaly_enabled)
from . import autograd
from .creation import (tensor, as_tensor, from_numpy, scalar_tensor, zeros, ones, empty, full, eye, arange, linspace,
                       logspace, zeros_like, ones_like, empty_like, full_like)
from .random import (Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state, default_generator,
                     rand, randn, randint, randperm, normal, bernoulli, multinomial, rand_like, randn_like,
                     randint_like)
from ._samplers import poisson, binomial, _sample_dirichlet
from .ops.sampler_grads import _standard_gamma, _standard_gamma_grad, _dirichlet_grad
from .ops import elementwise as _ew, reduction as _rd, shape as _sh, linalg as _la, composite as _cp
from .ops import special_functions as _sf
from . import nn, optim, utils, viz, distributed, cuda, backends, onnx, accelerator, linalg, _out, multiprocessing
from . import distributions
from . import func
from .func import vmap
from . import amp, cpu
from .amp import autocast
from .amp.autocast_mode import (is_autocast_enabled, set_autocast_enabled, get_autocast_dtype, set_autocast_dtype,
                                is_autocast_cpu_enabled, set_autocast_cpu_enabled, get_autocast_cpu_dtype,
                                set_autocast_cpu_dtype, get_autocast_gpu_dtype, set_autocast_gpu_dtype,
                                autocast_increment_nesting, autocast_decrement_nesting, is_autocast_cache_enabled,
                                set_autocast_cache_enabled, clear_autocast_cache)
from . import special
from . import fft
from . import profiler
from .serialization import save, load
from ._compile import compile
from . import testing, compiler
from ._tensor_str import set_printoptions
from ._threads import set_num_threads, get_num_threads, set_num_interop_threads, get_num_interop_threads
from .backends import (use_deterministic_algorithms, are_deterministic_algorithms_enabled,
                       is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode,
                       get_deterministic_debug_mode)
from ._legacy_types import (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
                            ByteTensor, BoolTensor, set_default_tensor_type)

__version__ = "0.1.0"


def _takes_tensor(fn, name=None):
    """The public form of an op: a clear TypeError when the first argument is not a Tensor; out= (ember/_out.py)."""
    name = name or fn.__name__

    @_functools.wraps(fn)
    def public(input, *args, out=None, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        if out is None:
            return fn(input, *args, **kwargs)
        return _out.into(fn, name, (input, *args), kwargs, out)

    public.__name__ = name
    return public


def _either_tensor(fn):
    """Binary ops accept a number on either side, as long as one operand is a Tensor; out= (ember/_out.py)."""
    @_functools.wraps(fn)
    def public(input, other, *args, out=None, **kwargs):
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"{fn.__name__}(): expected at least one Tensor argument, got "
                            f"{type(input).__name__} and {type(other).__name__}")
        if out is None:
            return fn(input, other, *args, **kwargs)
        return _out.into(fn, fn.__name__, (input, other, *args), kwargs, out)
    return public


# elementwise
add, sub, mul, div, remainder, floor_divide, pow, maximum, minimum = map(
    _either_tensor, (_ew.add, _ew.sub, _ew.mul, _ew.div, _ew.remainder, _ew.floor_divide, _ew.pow, _ew.maximum,
                     _ew.minimum))
subtract, multiply, divide, true_divide = sub, mul, div, div
eq, ne, lt, le, gt, ge = map(_either_tensor, (_ew.eq, _ew.ne, _ew.lt, _ew.le, _ew.gt, _ew.ge))
(neg, exp, expm1, log, log1p, sqrt, rsqrt, reciprocal, abs, sign, sin, cos, tanh, sigmoid, relu, floor, ceil, round,
 trunc, clamp, masked_fill, isnan, isinf, isfinite, logical_not, logical_and, logical_or, equal, allclose,
 isclose) = map(_takes_tensor, (
    _ew.neg, _ew.exp, _ew.expm1, _ew.log, _ew.log1p, _ew.sqrt, _ew.rsqrt, _ew.reciprocal, _ew.abs, _ew.sign,
    _ew.sin, _ew.cos, _ew.tanh, _ew.sigmoid, _ew.relu, _ew.floor, _ew.ceil, _ew.round, _ew.trunc, _ew.clamp,
    _ew.masked_fill, _ew.isnan, _ew.isinf, _ew.isfinite, _ew.logical_not, _ew.logical_and, _ew.logical_or,
    _ew.equal, _ew.allclose, _ew.isclose))
log2, log10, square = map(_takes_tensor, (_ew.log2, _ew.log10, _ew.square))
atan2 = arctan2 = _takes_tensor(_ew.atan2, "atan2")
hypot, nan_to_num = _takes_tensor(_ew.hypot, "hypot"), _takes_tensor(_ew.nan_to_num, "nan_to_num")
(tan, atan, asin, acos, sinh, cosh, asinh, acosh, atanh, exp2, sinc, logit, deg2rad, rad2deg, frac, copysign,
 nextafter, logaddexp2, fmod, heaviside, sgn, signbit, positive, conj, real, imag, angle) = map(_takes_tensor, (
    _ew.tan, _ew.atan, _ew.asin, _ew.acos, _ew.sinh, _ew.cosh, _ew.asinh, _ew.acosh, _ew.atanh, _ew.exp2, _ew.sinc,
    _ew.logit, _ew.deg2rad, _ew.rad2deg, _ew.frac, _ew.copysign, _ew.nextafter, _ew.logaddexp2, _ew.fmod,
    _ew.heaviside, _ew.sgn, _ew.signbit, _ew.positive, _ew.conj, _ew.real, _ew.imag, _ew.angle))
arctan, arcsin, arccos, arcsinh, arccosh, arctanh, fix = atan, asin, acos, asinh, acosh, atanh, trunc
float_power = _either_tensor(_ew.float_power)
erf, erfc = _takes_tensor(_ew.erf, "erf"), _takes_tensor(_ew.erfc, "erfc")
lgamma, digamma, erfinv, i0 = map(_takes_tensor, (_sf.lgamma, _sf.digamma, _sf.erfinv, _sf.i0))
mvlgamma = _takes_tensor(_sf.mvlgamma, "mvlgamma")


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma of each element (n >= 0); out= (ember/_out.py)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma(): argument 'input' (position 2) must be Tensor, not {type(input).__name__}")
    if out is None:
        return _sf.polygamma(n, input)
    return _out.into(_sf.polygamma, "polygamma", (n, input), {}, out)

lerp = _takes_tensor(_ew.lerp, "lerp")
addcmul, addcdiv = _takes_tensor(_ew.addcmul, "addcmul"), _takes_tensor(_ew.addcdiv, "addcdiv")
negative, absolute, clip = neg, abs, clamp
where = _ew.where

# more elementwise and indexing functions
fmax, fmin, logical_xor, gcd, lcm, ldexp, clamp_min, clamp_max, isposinf, isneginf, frexp = map(_takes_tensor, (
    _ew.fmax, _ew.fmin, _ew.logical_xor, _ew.gcd, _ew.lcm, _ew.ldexp, _ew.clamp_min, _ew.clamp_max, _ew.isposinf,
    _ew.isneginf, _ew.frexp))
bitwise_left_shift, bitwise_right_shift = _either_tensor(_ew.bitwise_left_shift), _either_tensor(_ew.bitwise_right_shift)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
take, index_add = _takes_tensor(_sh.take_flat, "take"), _takes_tensor(_sh.index_add, "index_add")


def rsub(input, other, *, alpha=1):
    """other - alpha * input (torch takes no out= here)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _ew.rsub(input, other, alpha)


def isreal(input):
    """Which elements are real: all of them for ember's real tensors (torch takes no out= here)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"isreal(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _ew.isreal(input)


# reductions
(sum, mean, prod, var, std, max, min, amax, amin, argmax, argmin, logsumexp, cumsum, norm, any, all,
 count_nonzero) = map(_takes_tensor, (
    _rd.sum, _rd.mean, _rd.prod, _rd.var, _rd.std, _rd.max, _rd.min, _rd.amax, _rd.amin, _rd.argmax, _rd.argmin,
    _rd.logsumexp, _rd.cumsum, _rd.norm, _rd.any, _rd.all, _rd.count_nonzero))
softmax, log_softmax = _takes_tensor(_rd.softmax_over, "softmax"), _takes_tensor(_rd.log_softmax_over, "log_softmax")

sort, argsort, topk, kthvalue, median, mode, var_mean, std_mean, cumprod, cummax, cummin = map(_takes_tensor, (
    _rd.sort, _rd.argsort, _rd.topk, _rd.kthvalue, _rd.median, _rd.mode, _rd.var_mean, _rd.std_mean, _rd.cumprod,
    _rd.cummax, _rd.cummin))

# matrices
matmul, mm, bmm, mv, dot, outer, trace = map(_takes_tensor, (_la.matmul, _la.mm, _la.bmm, _la.mv, _la.dot,
                                                             _la.outer, _la.trace))
einsum = _la.einsum
cosine_similarity, pairwise_distance, cdist = map(_takes_tensor, (_la.cosine_similarity, _la.pairwise_distance,
                                                               _la.cdist))
addmm, addmv, baddbmm, addbmm, addr = map(_takes_tensor, (_cp.addmm, _cp.addmv, _cp.baddbmm, _cp.addbmm, _cp.addr))
logaddexp, xlogy = _takes_tensor(_cp.logaddexp, "logaddexp"), _either_tensor(_cp.xlogy)
nansum, nanmean = _takes_tensor(_cp.nansum, "nansum"), _takes_tensor(_cp.nanmean, "nanmean")
dist = _cp.dist  # (torch's dist, det and matrix_exp take no out=)
matrix_exp, det = linalg.matrix_exp, linalg.det
fliplr, flipud, rot90, take_along_dim = map(_takes_tensor, (_cp.fliplr, _cp.flipud, _cp.rot90, _cp.take_along_dim))
channel_shuffle, pdist = _takes_tensor(_cp.channel_shuffle, "channel_shuffle"), _takes_tensor(_la.pdist, "pdist")
atleast_1d, atleast_2d, atleast_3d = _cp.atleast_1d, _cp.atleast_2d, _cp.atleast_3d
cartesian_prod, tril_indices, triu_indices = _cp.cartesian_prod, _cp.tril_indices, _cp.triu_indices
searchsorted, bucketize = _cp.searchsorted, _cp.bucketize
tensordot, kron, cross = map(_takes_tensor, (_la.tensordot, _la.kron, _la.cross))

# shape
(reshape, flatten, unflatten, squeeze, unsqueeze, transpose, t, permute, split, chunk, unbind, narrow, flip, gather,
 scatter, scatter_add, index_select, masked_select, nonzero, clone, tril, triu) = map(_takes_tensor, (
    _sh.reshape, _sh.flatten, _sh.unflatten, _sh.squeeze, _sh.unsqueeze, _sh.transpose, _sh.t, _sh.permute,
    _sh.split, _sh.chunk, _sh.unbind, _sh.narrow, _sh.flip, _sh.gather, _sh.scatter, _sh.scatter_add,
    _sh.index_select, _sh.masked_select, _sh.nonzero, _sh.clone, _sh.tril, _sh.triu))
(movedim, roll, diagonal, select, diag, tile, repeat_interleave, diff, unique, bincount) = map(_takes_tensor, (
    _sh.movedim, _sh.roll, _sh.diagonal, _sh.select, _sh.diag, _sh.tile, _sh.repeat_interleave, _sh.diff, _sh.unique,
    _sh.bincount))
swapaxes = transpose
moveaxis = movedim
broadcast_to = _takes_tensor(_sh.expand, "broadcast_to")
meshgrid = _sh.meshgrid
cat, stack = _sh.cat, _sh.stack
concat = concatenate = cat


def _printed_as(module):
    """Name the library `module` in printed output: dtypes (torch.float32), Size, return types, classes
    (<class 'torch.Tensor'>). ember run calls _printed_as("torch") once, before the program runs: it imported torch."""
    _backend.printed_as(module)
    for cls in (Tensor, Size):
        cls.__module__ = module
    nn.Parameter.__module__ = module + ".nn.parameter"


_printed_as("ember")


def detach(input):
    """The same data, cut from the graph: no grad_fn, requires_grad False."""
    return input.detach()


def is_tensor(obj):
    """True if obj is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True for a floating-point dtype."""
    return input.is_floating_point()


def numel(input):
    """The number of elements."""
    return input.numel()


def broadcast_shapes(*shapes):
    """The shape that the given shapes broadcast to."""
    import numpy
    try:
        return Size(numpy.broadcast_shapes(*shapes))
    except ValueError:
        raise _backend.broadcast_error(shapes[0], shapes[1]) from None


def hstack(tensors):
    """Tensors joined along the columns (dim 1; dim 0 for vectors)."""
    tensors = [x.reshape(1) if x.ndim == 0 else x for x in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Tensors stacked as rows (along dim 0, vectors as rows)."""
    return cat([x.reshape(1, -1) if x.ndim < 2 else x for x in tensors], 0)


row_stack = vstack


def broadcast_tensors(*tensors):
    """The tensors expanded (as views) to their common broadcast shape."""
    shape = broadcast_shapes(*(x.shape for x in tensors))
    return tuple(x.expand(shape) for x in tensors)


# out= for every function torch gives it (ember/_out.py): the ones above take it already, the rest are wrapped here
for _name in _out.TAKES_OUT:
    globals()[_name] = _out.takes_out(globals()[_name], _name)
del _name

# dtypes under PyTorch's names (defined last: they shadow the builtins float, int and bool in this module)
float32 = float = _backend.float32
float64 = double = _backend.float64
float16 = half = _backend.float16
int64 = long = _backend.int64
int32 = int = _backend.int32
int16 = short = _backend.int16
int8 = _backend.int8
uint8 = _backend.uint8
bool = _backend.bool_


# While a profiler records, these are timed as torch times them: one range each (aten::ones; aten::matmul around
# the product it runs). Nothing is wrapped while no profiler runs (ember.autograd.profiler).
autograd.profiler.time_as(_sys.modules[__name__], {
    name: "aten::" + name for name in ("ones", "zeros", "empty", "full", "rand", "randn", "randint", "randperm",
                                       "arange", "linspace", "eye", "ones_like", "zeros_like", "empty_like",
                                       "full_like", "rand_like", "randn_like", "matmul", "flatten", "nonzero",
                                       "argmax", "argmin", "masked_select", "eq", "ne", "lt", "le", "gt", "ge")})
autograd.profiler.time_as(Tensor, {
    "matmul": "aten::matmul", "__matmul__": "aten::matmul", "flatten": "aten::flatten", "nonzero": "aten::nonzero",
    "argmax": "aten::argmax", "argmin": "aten::argmin", "masked_select": "aten::masked_select", "item": "aten::item",
    **{f"__{name}__": "aten::" + name for name in ("eq", "ne", "lt", "le", "gt", "ge")},
    **{name: "aten::" + name for name in ("eq", "ne", "lt", "le", "gt", "ge")}})

__all__ = [
    "Tensor", "Size", "dtype", "device", "autograd", "func", "vmap", "nn", "optim", "utils", "viz", "distributed", "save", "load",
    "cuda", "backends", "onnx", "accelerator", "linalg", "get_default_device", "set_default_device",
    "compile", "testing", "compiler", "amp", "cpu", "autocast", "is_autocast_enabled", "set_autocast_enabled",
    "get_autocast_dtype", "set_autocast_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
    "get_autocast_cpu_dtype", "set_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_gpu_dtype",
    "autocast_increment_nesting", "autocast_decrement_nesting", "is_autocast_cache_enabled",
    "set_autocast_cache_enabled", "clear_autocast_cache",
    "set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads",
    "get_default_dtype", "set_default_dtype", "set_printoptions",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled",
    "tensor", "as_tensor", "from_numpy", "scalar_tensor", "zeros", "ones", "empty", "full", "eye", "arange",
    "linspace", "logspace",
    "zeros_like", "ones_like", "empty_like", "full_like",
    "Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "default_generator",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
    "randint_like", "poisson", "binomial",
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "remainder", "floor_divide", "pow",
    "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "neg", "negative", "exp", "expm1", "log", "log1p",
    "sqrt", "rsqrt", "reciprocal", "abs", "absolute", "sign", "sin", "cos", "tanh", "sigmoid", "relu", "floor",
    "ceil", "round", "trunc", "clamp", "clip", "masked_fill", "where", "isnan", "isinf", "isfinite", "logical_not",
    "logical_and", "logical_or", "equal", "allclose", "isclose",
    "sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp", "softmax",
    "log_softmax", "cumsum", "norm", "any", "all", "count_nonzero",
    "matmul", "mm", "bmm", "mv", "dot", "outer", "cosine_similarity", "pairwise_distance", "cdist",
    "addmm", "addmv", "baddbmm", "addbmm", "addr", "logaddexp", "xlogy", "nansum", "nanmean", "dist", "matrix_exp", "det", "fliplr", "flipud",
    "rot90", "atleast_1d", "atleast_2d", "atleast_3d", "tril_indices", "triu_indices", "cartesian_prod",
    "searchsorted", "bucketize", "take_along_dim", "channel_shuffle", "pdist",
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes", "t", "permute", "split",
    "chunk", "unbind", "narrow", "select", "flip", "gather", "scatter", "scatter_add", "index_select", "masked_select",
    "nonzero", "clone", "tril", "triu", "cat", "concat", "concatenate", "stack", "detach",
    "is_tensor", "is_floating_point", "numel", "broadcast_shapes", "broadcast_tensors",
    "float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int", "int16", "short",
    "int8", "uint8", "bool",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
    "BoolTensor", "set_default_tensor_type",
]
