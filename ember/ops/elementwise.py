"""Elementwise ops: arithmetic, powers, exponentials, activations, comparisons.

Each op: ``forward`` on arrays (NumPy broadcasts), ``backward`` on Tensors
giving the gradient in the broadcast shape; the engine sums it back to each
input's shape.
"""
import math
import numbers

import numpy as np

from .._backend import (DEFAULTS, as_array, broadcast_error, cuda_runtime, dtype_of, get_array_module, is_host,
                       require_float, result_type, silently, to_dtype, torch_layout, torch_scalar_name)
from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import Tensor, _wrap


# ----------------------------------------------------------------------------
# operands: PyTorch's dtype rules before NumPy sees them
# ----------------------------------------------------------------------------
def operands(a, b):
    """Bring a binary op's operands to PyTorch's result dtype.

    Same-dtype tensors, and a float tensor with a Python number, go straight
    through (NumPy 2 already treats Python scalars as weak, like PyTorch).
    Otherwise the lower operand is cast with a differentiable cast.
    """
    tensor_first = isinstance(a, Tensor)
    if tensor_first:
        if isinstance(b, Tensor):
            if a._data.dtype == b._data.dtype:
                return a, b
            dt = result_type(a._data, b._data)
            return _cast_to(a, dt), _cast_to(b, dt)
        tensor, other = a, b
    else:
        tensor, other = b, a
    if type(other) is bool and tensor._data.dtype.kind != "b":
        other = int(other)  # a bool scalar counts as the number 0 or 1 for a number tensor, as in torch
        a, b = (tensor, other) if tensor_first else (other, tensor)
    if type(other) is float or type(other) is int:
        if tensor._data.dtype.kind == "f":
            return a, b  # the hot path: float tensor and Python number
    else:
        other = scalar_or_tensor(other)
        if isinstance(other, Tensor):
            return operands(tensor, other) if tensor_first else operands(other, tensor)
    if _category(other) > _category(tensor._data):
        tensor = _cast_to(tensor, result_type(tensor._data, other))
    elif type(other) is int:
        other = wrap_int(other, tensor._data.dtype)
    return (tensor, other) if tensor_first else (other, tensor)


def wrap_int(value, dtype):
    """A Python int that does not fit an integer tensor's dtype wraps around, as in PyTorch (NumPy raises)."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            return np.array(value).astype(dtype)[()]
    return value


def scalar_or_tensor(x):
    """A NumPy scalar becomes a Python number (weak, as PyTorch treats it); an array becomes a Tensor."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return Tensor._from_array(x)
    if isinstance(x, bool):
        return x
    if isinstance(x, numbers.Number) and not isinstance(x, complex):
        return float(x) if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) else int(x)
    raise TypeError(f"unsupported operand type for a Tensor op: {type(x).__name__}; use a Tensor or a number")


def _category(x):
    """PyTorch's promotion categories: 0 bool, 1 integer, 2 floating."""
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, (int, float)):
        return 2 if isinstance(x, float) else 1
    return _KIND_CATEGORY[x.dtype.kind]


_KIND_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _cast_to(t, dt):
    return t if t._data.dtype == dt.np else Cast.apply(t, dt.np)


def float_operands(a, b):
    """Operands for true division and other ops whose result is always floating."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):  # tensor and number: go floating first, then divide
        a = _floating(a) if isinstance(a, Tensor) else a
        b = _floating(b) if isinstance(b, Tensor) else b
    a, b = operands(a, b)
    x = a if isinstance(a, Tensor) else b
    if x._data.dtype.kind not in "fc":
        dt = DEFAULTS.float_dtype
        a = _cast_to(a, dt) if isinstance(a, Tensor) else a
        b = _cast_to(b, dt) if isinstance(b, Tensor) else b
    return a, b


# ----------------------------------------------------------------------------
# float16: torch's kernels compute it in float32 and round once
# ----------------------------------------------------------------------------
HALF = np.dtype(np.float16)


def in_float32(compute, *args):
    """compute(*args) as torch's CPU kernels compute a float16 op ("opmath"): the float16 arrays widened to
    float32 (exactly), each Python number as float32 (the number as the kernel sees it: not rounded to float16
    first), the whole formula in float32, and one rounding to float16 at the end. Other arguments pass as they are.
    """
    with silently(over="ignore"):  # (a number beyond float32's range is inf there, as in torch)
        wide = [a.astype(np.float32) if getattr(a, "dtype", None) == HALF else
                np.float32(a) if type(a) is float or type(a) is int else a for a in args]
        return compute(*wide).astype(HALF)


def with_number_(ufunc, a, k):
    """a = ufunc(a, k) in place for a Python number k (x.mul_(k), x /= k, an optimizer's buf.mul_(momentum)), rounded
    as torch's kernel rounds it (float16: in_float32)."""
    if a.dtype == HALF:
        a[...] = in_float32(ufunc, a, k)
    else:
        ufunc(a, k, out=a)
    return a


def addcmul_arrays(a, t1, t2, value, out=None):
    """a + value * t1 * t2 on arrays, into out if given (an optimizer's moment: out=a), rounded as torch's addcmul."""
    if a.dtype == HALF:
        return written(in_float32(_addcmul_of, a, t1, t2, value), out)
    return _addcmul_of(a, t1, t2, value, out)


def addcdiv_(a, t1, t2, value):
    """a += value * t1 / t2 in place on arrays (an optimizer's step), rounded as torch's addcdiv_."""
    if a.dtype == HALF:
        a[...] = in_float32(_addcdiv_of, a, t1, t2, value)
        return a
    update = t1 * t1.dtype.type(value)  # (one new array, then in place: the same roundings as _addcdiv_of)
    update /= t2
    a += update
    return a


def grad_in_float32(formula, grad, *saved):
    """formula(grad, *saved), a backward's formula on Tensors, as torch's backward kernels compute a float16
    gradient: in float32, rounded once to float16 (each step in float16 would round after each)."""
    if grad._data.dtype != HALF:
        return formula(grad, *saved)
    return formula(grad.float(), *(t.float() for t in saved)).half()


def written(result, out):
    """result, or result written into out when one is given."""
    if out is None:
        return result
    out[...] = result
    return out


# ----------------------------------------------------------------------------
# arithmetic
# ----------------------------------------------------------------------------
class Cast(Op):
    _name = "ToCopy"

    @staticmethod
    def forward(ctx, a, np_dtype):
        ctx.dtype = a.dtype
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):  # the identity, back in the input's dtype
        return (grad if grad._data.dtype == ctx.dtype else Cast.apply(grad, ctx.dtype)), None


class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        return torch_layout(np.add(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # d(a+b)/da = 1, d(a+b)/db = 1
        return grad, grad


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        return torch_layout(np.subtract(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # d(a-b)/da = 1, d(a-b)/db = -1
        if not ctx.needs_input_grad[1]:
            return grad, None
        return grad, (_wrap(as_array(np.negative(grad._data))) if not STATE.enabled else -grad)  # (plain: on arrays)


def fma(x, y, z, out=None):
    """x * y + z rounded once in the result's dtype, as torch's CPU kernels compute a + alpha * b (add, sub),
    lerp and addcmul (one fused multiply-add). Below float64 the product is exact in float64 and one rounding
    of the sum is as good; float64 splits the product into an exact pair (Dekker), and where that overflows
    (|x y| near float64's limit) or meets inf/NaN it falls back to x * y + z. With out (which may be z itself:
    an optimizer's param.add_(grad, alpha=-lr)), the result is written there."""
    # an optimizer's update: float arrays alike, and y a number (or an array alike: the moments' g * g)
    if type(x) is np.ndarray and type(z) is np.ndarray and x.dtype == z.dtype and x.shape == z.shape \
            and x.dtype.kind == "f" and (type(y) is float or type(y) is int or _alike_factor(x, y)):
        xp, dt = np, x.dtype
        if type(y) is not np.ndarray:
            if (y == 1 or y == -1) and (out is None or out.dtype == dt):
                # x * (+-1) is exact, so the plain sum (momentum's add_(grad)) rounds once too
                return (np.add if y == 1 else np.subtract)(z, x, out=np.empty(x.shape, dt) if out is None else out)
            y = dt.type(y)  # (a Python alpha is first rounded to the dtype, as torch)
        if dt != np.float64:  # the product and the sum in float64 (one array, in place), rounded once
            if x.size > _BLOCK and _blockable(x, y, z, out):
                return _fma_in_blocks(x, y, z, np.empty(x.shape, dt) if out is None else out)  # (a large parameter)
            result = x.astype(np.float64)
            result *= y
            result += z
            if out is None:
                return result.astype(dt)
            out[...] = result
            return out
    else:
        xp = get_array_module(x, y, z)
        dt = np.result_type(*(v.dtype for v in (x, y, z) if hasattr(v, "dtype")))
        if dt.kind == "f":
            x, y, z = (xp.asarray(v, dt) for v in (x, y, z))  # (alpha is rounded to the dtype here too)
    if dt.kind != "f":
        result = x * y + z
    elif dt != np.float64:
        result = (x.astype(np.float64) * y.astype(np.float64) + z).astype(dt)
    else:
        with silently(over="ignore", invalid="ignore"):
            p, e = _exact_product(x, y)
            total = p + z
            back = total - p
            exact = total + (e + ((p - (total - back)) + (z - back)))  # the sum's rounding error (Knuth's two-sum)
            # the plain sum where the product is zero (it keeps the sign of -0 + -0, which the error terms lose)
            result = xp.where(xp.isfinite(exact) & (p != 0), exact, x * y + z)
    if out is None:
        return result
    out[...] = result
    return out


def torch_fma(x, y, z, out=None):
    """fma as torch's kernels round x * y + z (add and sub with alpha, the optimizers' updates): float16 operands,
    a number among them (alpha) rounded to float16 too, computed in float32, one fused multiply-add, and rounded
    once to float16 (fma's one rounding from float64 straight to float16 differs now and then); other dtypes are
    fma's."""
    if getattr(x, "dtype", None) == HALF or getattr(z, "dtype", None) == HALF:
        x, y, z = (v if hasattr(v, "dtype") else np.float16(v) for v in (x, y, z))
        return written(in_float32(fma, x, y, z), out)
    return fma(x, y, z, out)


def _alike_factor(x, y):
    """Whether y, not a Python number, suits fma's route for float arrays alike: a NumPy number of x's dtype, or an
    array of x's dtype and shape (a NumPy number of another dtype promotes the result, as in the general route)."""
    return (isinstance(y, np.generic) or type(y) is np.ndarray and y.shape == x.shape) and y.dtype == x.dtype


_BLOCK = 1 << 16  # values a block of _fma_in_blocks: its float64 temporary (512 KiB) stays in the cache


def _blockable(x, y, z, out):
    """Can fma's result go into out a block at a time? When the arrays are contiguous, and out (None: a new array)
    is alike and either an input itself or shares no memory with them (so no block is read after out's writes
    changed it)."""
    arrays = (x, y, z) if type(y) is np.ndarray else (x, z)
    if not all(a.flags.c_contiguous for a in arrays):
        return False
    return out is None or (out.shape == x.shape and out.dtype == x.dtype and out.flags.c_contiguous and
                           all(a is out or not np.may_share_memory(a, out) for a in arrays))


def _fma_in_blocks(x, y, z, out):
    """fma's float64 route for large contiguous arrays (x, z, out alike; y a number of their dtype or an array
    alike), a block at a time: the same operations on each value, but the float64 temporary is one cache-sized
    block instead of an array twice the size of the parameter, which on a 1.9M-value update halved its time
    (6.4-8.7 ms -> 3.3-4.3)."""
    xf, zf, of = x.reshape(-1), z.reshape(-1), out.reshape(-1)  # (views: all are contiguous)
    yf = y.reshape(-1) if type(y) is np.ndarray else None
    block = np.empty(_BLOCK, np.float64)
    for start in range(0, xf.size, _BLOCK):
        stop = min(start + _BLOCK, xf.size)
        b = block[:stop - start]
        np.copyto(b, xf[start:stop])  # (exact)
        b *= y if yf is None else yf[start:stop]  # exact: a product of two 24-bit (or 11-bit) significands
        b += zf[start:stop]  # the one rounding in float64...
        of[start:stop] = b  # ...and the one into the dtype (the inputs' block is read before out's is written)
    return out


def _exact_product(x, y):
    """(p, e) with p = fl(x y) and p + e = x y exactly (Veltkamp's split of each factor into 26-bit halves)."""
    def split(v):
        scaled = v * 134217729.0  # 2^27 + 1
        high = scaled - (scaled - v)
        return high, v - high
    xh, xl = split(x)
    yh, yl = split(y)
    p = x * y
    return p, ((xh * yh - p) + xh * yl + xl * yh) + xl * yl


def scaled_add(alpha):
    """A ufunc-like (a, b, out=None) -> a + alpha * b rounded once: the in-place add_/sub_ with alpha."""
    def compute(a, b, out=None):
        return torch_fma(b, alpha, a, out)
    return compute


class AddScaled(Op):
    """a + alpha * b (add with alpha), rounded once as torch's kernel rounds it (see fma)."""

    _name = "Add"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return torch_layout(torch_fma(b, alpha, a), a, b)

    @staticmethod
    def backward(ctx, grad):  # d/da = 1, d/db = alpha
        return grad, (scalar_product(grad, ctx.alpha) if ctx.needs_input_grad[1] else None), None


class SubScaled(AddScaled):
    """a - alpha * b (sub with alpha): AddScaled's maths under torch's name."""

    _name = "Sub"


def _each_others(needs):
    """What torch saves for a product: b if a needs a gradient, a if b does."""
    return ((1,) if needs[0] else ()) + ((0,) if needs[1] else ())


def _product(a, b):
    return torch_layout(np.multiply(a, b), a, b)


class Mul(Op):
    _torch_saves = staticmethod(_each_others)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):  # d(ab)/da = b, d(ab)/db = a
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if not STATE.enabled:  # a plain backward (the notes' loop, every step): the same products, on arrays
            g = grad._data
            return ((_wrap(as_array(_product(g, b._data))) if need_a else None),
                    (_wrap(as_array(_product(g, a._data))) if need_b else None))
        # Op.apply directly: a node's inputs and gradient share its dtype, so the operator's promotion step
        # has nothing to do, and skipping it is measurable on the notes' scalar loop
        return (Mul.apply(grad, b) if need_a else None), (Mul.apply(grad, a) if need_b else None)


class MulScalar(Op):
    """a * k for a Python number k: nothing to save, k is a constant."""

    _name = "Mul"
    _torch_saves_tensors = True  # (torch wraps k in a tensor and saves it)

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return a * k

    @staticmethod
    def backward(ctx, grad):  # d(ak)/da = k
        if not STATE.enabled:  # a plain backward: forward's product, on the array
            return _wrap(as_array(grad._data * ctx.k)), None
        return MulScalar.apply(grad, ctx.k), None  # (Op.apply directly, as in Mul.backward)

    def detail(self):
        return f"× {self.k:g}"


class HalfMulScalar(MulScalar):
    """MulScalar on float16: torch multiplies by the number in float32 and rounds once (NumPy would round the
    number to float16 first). A class of its own, picked by scalar_product, so float32's MulScalar, on the hot
    path, tests no dtype."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return in_float32(np.multiply, a, k)

    @staticmethod
    def backward(ctx, grad):  # d(ak)/da = k, rounded as the forward
        if not STATE.enabled:
            return _wrap(as_array(in_float32(np.multiply, grad._data, ctx.k))), None
        return HalfMulScalar.apply(grad, ctx.k), None


def scalar_product(a, k):
    """Tensor a times a Python number k, as torch's kernel rounds it."""
    return (HalfMulScalar if a._data.dtype == HALF else MulScalar).apply(a, k)


class Div(Op):
    # torch saves b for either gradient, and a only for b's
    _torch_saves = staticmethod(lambda needs: ((1,) if needs[0] or needs[1] else ()) + ((0,) if needs[1] else ()))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with silently(divide="ignore", invalid="ignore"):  # x / 0 = inf and 0 / 0 = nan, silently, as in PyTorch
            if (type(b) is float or type(b) is int) and a.dtype == HALF:  # torch: in float32 (see in_float32)
                return in_float32(np.true_divide, a, b)
            return torch_layout(np.true_divide(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # the divisor's as torch rounds it: -grad * ((a / b) / b)
        return (grad / b if need_a else None), (-grad * (a / b / b) if need_b else None)


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad):  # d(-a)/da = -1
        return -grad


# the powers torch's float kernel computes by hand, rounding as these do (NumPy's power differs in the last place)
_BY_HAND = {3: lambda a: a * a * a, -2: lambda a: 1 / (a * a), -0.5: lambda a: 1 / np.sqrt(a)}


class PowScalar(Op):
    """a ** b for a number b (the common case: x ** 2)."""

    _name = "Pow"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, int) and b < 0 and a.dtype.kind in "iub":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save_for_backward(a)
        ctx.exponent = b
        if b in _BY_HAND and a.dtype.char in "fd":  # (float16 computes in float32 and rounds once: NumPy's power)
            with silently(divide="ignore", invalid="ignore"):
                return _BY_HAND[b](a)
        if type(b) is int and b >= 0 or b >= 0 and b == int(b):
            return a ** b  # the operator, not np.power: NumPy squares twice as fast this way
        with silently(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf, (-1) ** 0.5 = nan, as in PyTorch
            return a ** b

    @staticmethod
    def backward(ctx, grad):  # d(a^b)/da = b a^(b-1)
        (a,) = ctx.saved_tensors
        b = ctx.exponent
        if b == 0:
            return keep_where(grad, False), None  # PyTorch: exactly 0 (not 0 * a^-1, nan at a = 0)
        # in torch's order, grad * (b a^(b-1)): it rounds as grad * b * a^(b-1) but where grad a under- or overflows
        if b == 2:
            if not STATE.enabled:  # a plain backward: the two products below, on arrays
                return _wrap(as_array(_product(grad._data, a._data * 2))), None
            return Mul.apply(grad, MulScalar.apply(a, 2)), None  # grad * (2 a) (Op.apply directly, as in Mul)
        return grad * (a ** (b - 1) * b), None

    def detail(self):
        return f"** {self.exponent:g}"


def _integer_power(a, b):
    """Integer ** integer as PyTorch computes it: a negative exponent gives 1 / a ** -b truncated (1, -1 or 0)."""
    negative = np.asarray(b) < 0
    if not negative.any():
        return np.power(a, b)
    out = np.power(a, np.where(negative, 0, b))
    a = np.broadcast_to(a, out.shape)
    flipped = np.where(a == 1, 1, np.where(a == -1, np.where(np.asarray(b) % 2 == 0, 1, -1), 0))
    return np.where(negative, flipped, out).astype(out.dtype)


class Pow(Op):
    """a ** b where the exponent is a Tensor (or the base is a number: 2 ** x)."""

    @staticmethod
    def forward(ctx, a, b):
        out = _integer_power(a, b) if np.result_type(a, b).kind in "iu" else np.power(a, b)
        out = torch_layout(out, a, b)
        ctx.save_for_backward(a, b, out)
        ctx.number_base = not hasattr(a, "dtype")
        return out

    @staticmethod
    def backward(ctx, grad):  # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            grad_a = where(b == 0, 0.0, grad * b * a ** (b - 1))  # PyTorch: exponent 0 gives 0, not 0 * inf
        if need_b:
            if isinstance(a, Tensor):
                grad_b = grad * where(out == 0, 0.0, out * a.log())  # 0^b: PyTorch takes 0, not 0 * -inf
            else:
                grad_b = grad * out * float(np.log(a))
        return grad_a, grad_b


    def name(self):  # torch: tensor ** tensor is PowBackward1, number ** tensor PowBackward2
        return "PowBackward2" if self.number_base else "PowBackward1"

class Remainder(Op):
    @staticmethod
    def forward(ctx, a, b):
        check_integer_divisor(a, b)
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):  # a mod b = a - b floor(a/b): d/da = 1, d/db = -floor(a/b)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-grad * (a / b).floor() if need_b else None)


# ----------------------------------------------------------------------------
# unary maths
# ----------------------------------------------------------------------------
class Exp(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(e^a)/da = e^a
        (out,) = ctx.saved_tensors
        return grad * out


class Expm1(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(e^a - 1)/da = e^a
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Log(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan, as in PyTorch
            return np.log(a)

    @staticmethod
    def backward(ctx, grad):  # d(ln a)/da = 1/a
        (a,) = ctx.saved_tensors
        return grad / a


class LogBase(Op):
    """log2 and log10 (torch's Log2/Log10 nodes): the natural log's derivative over ln(base)."""

    LOGS = {2: np.log2, 10: np.log10}

    @staticmethod
    def forward(ctx, a, base):
        ctx.base = base
        ctx.save_for_backward(a)
        with silently(divide="ignore", invalid="ignore"):
            return LogBase.LOGS[base](a)

    @staticmethod
    def backward(ctx, grad):  # d(log_b a)/da = 1/(a ln b)
        (a,) = ctx.saved_tensors
        return grad / (a * math.log(ctx.base)), None

    def name(self):
        return f"Log{self.base}Backward0"


class Log1p(Op):
    _name = "Log1P"  # torch's spelling: Log1PBackward0

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(divide="ignore", invalid="ignore"):
            return np.log1p(a)

    @staticmethod
    def backward(ctx, grad):  # d(ln(1+a))/da = 1/(1+a)
        (a,) = ctx.saved_tensors
        return grad / (a + 1)


class Sqrt(Op):
    @staticmethod
    def forward(ctx, a):
        with silently(invalid="ignore"):
            out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(sqrt a)/da = 1/(2 sqrt a)
        (out,) = ctx.saved_tensors
        return grad / (out * 2)


class Rsqrt(Op):
    @staticmethod
    def forward(ctx, a):
        with silently(divide="ignore", invalid="ignore"):
            out = 1 / np.sqrt(a) if a.dtype != HALF else in_float32(lambda a: 1 / np.sqrt(a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(a^-1/2)/da = -1/2 a^-3/2
        (out,) = ctx.saved_tensors
        return grad * -0.5 * out ** 3  # (torch's order: -0.5 grad first; the cube as PowScalar computes it)


class Reciprocal(Op):
    @staticmethod
    def forward(ctx, a):
        with silently(divide="ignore"):
            out = np.reciprocal(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(1/a)/da = -1/a^2 = -out^2 (torch's order: -grad * (out * out))
        (out,) = ctx.saved_tensors
        return -grad * (out * out)


class Abs(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):  # d|a|/da = sign(a) (0 at 0, as in PyTorch)
        (a,) = ctx.saved_tensors
        return grad * a.sign()


class Sin(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx, grad):  # d(sin a)/da = cos a
        (a,) = ctx.saved_tensors
        return grad * a.cos()


class Cos(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx, grad):  # d(cos a)/da = -sin a
        (a,) = ctx.saved_tensors
        return -grad * a.sin()


class Tanh(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(tanh a)/da = 1 - tanh^2 a
        return grad_in_float32(lambda grad, out: grad * (1 - out * out), grad, *ctx.saved_tensors)


# ---- trigonometric, hyperbolic and other unary maths (torch's derivatives.yaml formulas) --------------------
class Tan(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.tan(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(tan a)/da = 1 + tan^2 a
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1)


class Atan(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(a)

    @staticmethod
    def backward(ctx, grad):  # d(atan a)/da = 1 / (1 + a^2)
        (a,) = ctx.saved_tensors
        return grad / (a * a + 1)


class Asin(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(invalid="ignore"):  # outside [-1, 1]: NaN, as in PyTorch
            return np.arcsin(a)

    @staticmethod
    def backward(ctx, grad):  # d(asin a)/da = 1 / sqrt(1 - a^2)
        (a,) = ctx.saved_tensors
        return grad * (1 - a * a).rsqrt()


class Acos(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(invalid="ignore"):
            return np.arccos(a)

    @staticmethod
    def backward(ctx, grad):  # d(acos a)/da = -1 / sqrt(1 - a^2)
        (a,) = ctx.saved_tensors
        return grad * -(1 - a * a).rsqrt()


class Sinh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(a)

    @staticmethod
    def backward(ctx, grad):  # d(sinh a)/da = cosh a
        (a,) = ctx.saved_tensors
        return grad * cosh(a)


class Cosh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(a)

    @staticmethod
    def backward(ctx, grad):  # d(cosh a)/da = sinh a
        (a,) = ctx.saved_tensors
        return grad * sinh(a)


class Asinh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsinh(a)

    @staticmethod
    def backward(ctx, grad):  # d(asinh a)/da = 1 / sqrt(a^2 + 1)
        (a,) = ctx.saved_tensors
        return grad * (a * a + 1).rsqrt()


class Acosh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(invalid="ignore"):  # below 1: NaN
            return np.arccosh(a)

    @staticmethod
    def backward(ctx, grad):  # d(acosh a)/da = 1 / sqrt(a^2 - 1)
        (a,) = ctx.saved_tensors
        return grad * (a * a - 1).rsqrt()


class Atanh(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(divide="ignore", invalid="ignore"):  # atanh(+-1) = +-inf, outside: NaN
            return np.arctanh(a)

    @staticmethod
    def backward(ctx, grad):  # d(atanh a)/da = 1 / (1 - a^2)
        (a,) = ctx.saved_tensors
        return grad / (1 - a * a)


class Exp2(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.exp2(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(2^a)/da = 2^a ln 2
        (out,) = ctx.saved_tensors
        return grad * out * math.log(2)


class Entr(Op):
    """-x log x (entropy's term): 0 at 0, -inf below 0, as torch.special.entr."""

    _name = "SpecialEntr"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with silently(divide="ignore", invalid="ignore"):
            out = -a * np.log(a)
        return np.where(a > 0, out, np.where(a == 0, a.dtype.type(0), np.where(a < 0, -np.inf, a)))

    @staticmethod
    def backward(ctx, grad):  # d(-x log x)/dx = -(1 + log x): torch's formula everywhere (inf at 0, NaN below)
        (a,) = ctx.saved_tensors
        return grad * -(a.log() + 1)


class Sinc(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        xp = get_array_module(a)
        pix = a * math.pi
        with silently(divide="ignore", invalid="ignore"):
            out = xp.asarray(xp.sin(pix) / pix)
        out[a == 0] = 1  # sin(pi x) / (pi x) is 1 at 0
        return out

    @staticmethod
    def backward(ctx, grad):  # (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0 (torch's sinc_backward)
        (a,) = ctx.saved_tensors
        pix = a * math.pi
        slope = (pix * pix.cos() - pix.sin()) / (pix * a)
        return grad * where(a == 0, 0.0, slope)


class Logit(Op):
    @staticmethod
    def forward(ctx, a, eps):
        ctx.save_for_backward(a)
        ctx.eps = eps
        if eps is not None:
            a = np.clip(a, eps, 1 - eps)
        with silently(divide="ignore", invalid="ignore"):
            return np.log(a / (1 - a))

    @staticmethod
    def backward(ctx, grad):  # 1 / (x (1 - x)); outside [eps, 1 - eps] 0, or without eps outside [0, 1] NaN
        (a,) = ctx.saved_tensors
        lo, hi, fill = (0, 1, math.nan) if ctx.eps is None else (ctx.eps, 1 - ctx.eps, 0.0)
        outside = _wrap((a._data < lo) | (a._data > hi))
        return where(outside, fill, grad / (a * (1 - a))), None


class Deg2Rad(Op):
    SCALE = math.pi / 180

    @staticmethod
    def forward(ctx, a):
        return a * Deg2Rad.SCALE

    @staticmethod
    def backward(ctx, grad):  # a constant factor
        return grad * Deg2Rad.SCALE


class Rad2Deg(Op):
    SCALE = 180 / math.pi

    @staticmethod
    def forward(ctx, a):
        return a * Rad2Deg.SCALE

    @staticmethod
    def backward(ctx, grad):
        return grad * Rad2Deg.SCALE


class Frac(Op):
    @staticmethod
    def forward(ctx, a):
        return a - np.trunc(a)

    @staticmethod
    def backward(ctx, grad):  # x - trunc(x): the truncation's derivative is 0
        return grad


class Angle(Op):
    """The angle of a real number: 0 for x >= 0 (-0 included), pi for x < 0, NaN for NaN; its gradient is 0."""

    @staticmethod
    def forward(ctx, a):
        xp = get_array_module(a)
        out = xp.asarray(xp.where(a < 0, math.pi, 0.0).astype(a.dtype))
        out[a != a] = math.nan
        return out

    @staticmethod
    def backward(ctx, grad):
        return keep_where(grad, False)


class Sgn(Op):
    """sgn of a real tensor: its sign (0 for NaN), with torch's SgnBackward0 node and a zero gradient."""

    @staticmethod
    def forward(ctx, a):
        return _sign(a)

    @staticmethod
    def backward(ctx, grad):
        return keep_where(grad, False)


class Copysign(Op):
    @staticmethod
    def forward(ctx, a, b):
        out = torch_layout(np.copysign(a, b), a, b)
        ctx.save_for_backward(a, out)
        ctx.scalar = not hasattr(b, "dtype")
        return out

    @staticmethod
    def backward(ctx, grad):  # d/da = out / a (the sign flip), 0 at a = 0; d/db = 0
        a, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad * where(a == 0, 0.0, out / a) if need_a else None
        return grad_a, (keep_where(grad, False) if need_b else None)

    def name(self):
        return f"CopysignBackward{int(self.scalar)}"


class Nextafter(Op):
    @staticmethod
    def forward(ctx, a, b):
        return torch_layout(np.nextafter(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # as torch 2.13: the gradient passes to self, 0 to other
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (keep_where(grad, False) if need_b else None)


class Logaddexp2(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch_layout(np.logaddexp2(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # d/da = 1 / (1 + 2^(b - a)), d/db = 1 / (1 + 2^(a - b))
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad / (exp2(b - a) + 1) if need_a else None), (grad / (exp2(a - b) + 1) if need_b else None)


class Fmod(Op):
    @staticmethod
    def forward(ctx, a, b):
        check_integer_divisor(a, b)
        ctx.save_for_backward(a, b)
        ctx.scalar = not hasattr(b, "dtype")
        with silently(divide="ignore", invalid="ignore"):  # fmod(x, 0.) = NaN, as in PyTorch
            return torch_layout(np.fmod(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # a - b trunc(a / b): d/da = 1, d/db = -trunc(a / b)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-grad * (a / b).trunc() if need_b else None)

    def name(self):
        return "FmodBackward0" if self.scalar else "FmodBackward1"


class Heaviside(Op):
    """0 where x < 0, values where x == 0, 1 where x > 0 (and 0 for NaN, as torch); not differentiable."""

    @staticmethod
    def forward(ctx, a, values, which):
        ctx.which = which
        xp = get_array_module(a)
        return torch_layout(xp.where(a == 0, values, a > 0).astype(a.dtype, copy=False), a, values)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.which} is not implemented")

    def name(self):
        return "torch::autograd::NotImplemented"


class Erfc(Op):
    _erfc = np.vectorize(math.erfc, otypes=[np.float64])  # NumPy has no erfc; math.erfc keeps the tail's accuracy

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        if type(a) is not np.ndarray:
            return 1 - cuda_runtime().erf(a)
        return Erfc._erfc(a).astype(a.dtype) if a.size else a.copy()

    @staticmethod
    def backward(ctx, grad):  # d(erfc a)/da = -2/sqrt(pi) e^(-a^2)
        (a,) = ctx.saved_tensors
        return grad * (-(a * a)).exp() * (-2 / math.sqrt(math.pi))

class InplaceWithoutDerivative(Op):
    """asinh_, acosh_, atanh_ with autograd recording: torch computes them but has no derivative for the in-place
    form (AsinhBackward1, ...), and backward through them raises its NotImplementedError."""

    @staticmethod
    def forward(ctx, a, ufunc, which):
        ctx.which = which
        with silently(divide="ignore", invalid="ignore"):
            return ufunc(a)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(f"the derivative for 'inplace version of {ctx.which}' is not implemented.")

    def name(self):
        return f"{self.which.capitalize()}Backward1"

class Sigmoid(Op):
    @staticmethod
    def forward(ctx, a):
        out = in_float32(_sigmoid_of, a) if a.dtype == HALF else _sigmoid_of(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(sigmoid a)/da = sigmoid(a) (1 - sigmoid(a)), multiplied in torch's order
        (out,) = ctx.saved_tensors
        if not STATE.enabled:  # a plain backward: the same three steps, on arrays
            o = out._data
            return _wrap(as_array(_product(_product(grad._data, o.dtype.type(1) - o), o)))
        return grad * (1 - out) * out


_SAME_SIZE_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def masked(array, keep, out=None):
    """array where keep, else 0 (keep: bools that broadcast to array's shape); into out if given.

    For floats, without a branch per element: the bits of each value ANDed with all ones (kept) or all zeros
    (+0.0). The same numbers as np.where(keep, array, 0), which on a random mask mispredicts its branch at every
    other element: 20x slower on a ReLU's (256, 1024) gradient.
    """
    ints = _SAME_SIZE_INT.get(array.dtype.itemsize) if type(array) is np.ndarray else None
    if ints is not None and array.dtype.kind == "f":
        bits = np.bitwise_and(array.view(ints), np.negative(keep, dtype=ints), out=None if out is None else
                              out.view(ints))
        return bits.view(array.dtype)
    xp = get_array_module(array)
    result = xp.where(keep, array, xp.zeros((), array.dtype))
    if out is None:
        return result
    out[...] = result
    return out


class KeepWhere(Op):
    """A gradient masked: grad where keep, else exactly 0 (ReLU, clamp, max, where, ...).

    Not grad * mask: a NaN or inf outside the mask must stay out (NaN * 0 is NaN), as in torch's select.
    """

    _name = "Where"

    @staticmethod
    def forward(ctx, grad, keep):
        ctx.keep = keep
        return masked(grad, keep)

    @staticmethod
    def backward(ctx, grad):  # linear in grad: the same mask
        return KeepWhere.apply(grad, ctx.keep), None


def keep_where(grad, keep):
    """grad where keep (an array of bools, or one bool), else 0; differentiable in grad."""
    if not grad._requires_grad and grad._view is None and type(grad._data) is np.ndarray:
        return _wrap(as_array(masked(grad._data, keep)))  # (nothing to record: KeepWhere's forward, no Op.apply)
    return KeepWhere.apply(grad, keep)


class Relu(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(max(a,0))/da = 1 where a > 0, else 0
        (out,) = ctx.saved_tensors
        return keep_where(grad, ~(out._data <= 0))  # (as torch's threshold_backward: a NaN passes its gradient)


class LeakyRelu(Op):
    """result=True (leaky_relu_, in place): saves the output instead of the input, as torch's LeakyReluBackward1."""

    @staticmethod
    def forward(ctx, a, slope, result=False):
        out = np.where(a > 0, a, a * slope if a.dtype != HALF else in_float32(np.multiply, a, slope))
        ctx.save_for_backward(out if result else a)  # the output's sign is the input's while slope >= 0
        ctx.slope, ctx.result = slope, result
        return out

    @staticmethod
    def backward(ctx, grad):  # 1 where a > 0, else the slope
        (a,) = ctx.saved_tensors
        if ctx.result and ctx.slope < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_IN_PLACE.format("leaky_relu"))
        return where(_wrap(a._data > 0), grad, grad * ctx.slope), None, None

    def name(self):
        return f"LeakyReluBackward{int(self.result)}"

    def detail(self):
        return f"slope {self.slope:g}"


_NEGATIVE_SLOPE_IN_PLACE = ("In-place {0} backward calculation is triggered with a negative slope which is not "
                            "supported: the output of an in-place {0} with a negative slope does not tell which "
                            "inputs were negative; call the out-of-place version instead.")


def leaky_relu(a, negative_slope=0.01):
    return LeakyRelu.apply(a, negative_slope)


def _softplus_of(a, beta, threshold):
    z = a * beta if beta != 1 else a
    out = np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0)  # log(1 + e^z) without overflow
    if beta != 1:
        with silently(divide="ignore", invalid="ignore"):  # beta = 0 gives inf, as in PyTorch
            out = out / beta
    return out if threshold is None else np.where(z > threshold, a, out)


class Softplus(Op):
    """log(1 + e^(beta a)) / beta; with a threshold (F.softplus's), a itself where beta a > threshold."""

    @staticmethod
    def forward(ctx, a, beta=1, threshold=None):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        return in_float32(_softplus_of, a, beta, threshold) if a.dtype == HALF else _softplus_of(a, beta, threshold)

    @staticmethod
    def backward(ctx, grad):  # d(log(1 + e^(beta a)) / beta)/da = sigmoid(beta a): smooth everywhere, also at 0
        return grad_in_float32(lambda g, a: Softplus.gradient(g, a, ctx.beta, ctx.threshold), grad,
                               *ctx.saved_tensors), None, None

    @staticmethod
    def gradient(grad, a, beta, threshold):
        z = a * beta if beta != 1 else a
        if threshold is None:
            return grad * z.sigmoid()
        # 1 above the threshold; torch's second derivative is 0 from the threshold on (z < threshold is strict)
        below = ~(z._data >= threshold)  # (a NaN counts as below: its second derivative is NaN, as torch's)
        smooth = grad * where(_wrap(below), z, z.detach()).sigmoid()
        return where(_wrap(z._data > threshold), grad, smooth)


class Erf(Op):
    _erf = np.vectorize(math.erf, otypes=[np.float64])  # NumPy has no erf; math.erf is exact

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        if type(a) is not np.ndarray:
            return cuda_runtime().erf(a)
        return Erf._erf(a).astype(a.dtype) if a.size else a.copy()

    @staticmethod
    def backward(ctx, grad):  # d(erf a)/da = 2/sqrt(pi) e^(-a^2)
        (a,) = ctx.saved_tensors
        return (-(a * a)).exp() * (2 / math.sqrt(math.pi)) * grad  # (in torch's order: it rounds differently)


class ZeroGrad(Op):
    """floor, ceil, round, trunc, sign: piecewise constant, so their derivative is 0 (as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, fn):
        ctx.fn = fn
        return fn(a)

    @staticmethod
    def backward(ctx, grad):  # d(step function)/da = 0
        return keep_where(grad, False), None

    def name(self):  # torch's node for each step function; round(decimals=) (a lambda here) is RoundBackward1
        names = {np.floor: "Floor", np.ceil: "Ceil", np.trunc: "Trunc", np.round: "Round", _sign: "Sign"}
        return f"{names[self.fn]}Backward0" if self.fn in names else "RoundBackward1"


class Clamp(Op):
    _overload = 1  # clamp with number bounds is torch's ClampBackward1 (tensor bounds are ClampBackward0)

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, grad):  # 1 inside [lo, hi] (inclusive, as in PyTorch), 0 outside
        (a,) = ctx.saved_tensors
        inside = True
        if ctx.lo is not None:
            inside = a >= ctx.lo
        if ctx.hi is not None:
            inside = (a <= ctx.hi) if inside is True else inside & (a <= ctx.hi)
        return keep_where(grad, inside._data if isinstance(inside, Tensor) else inside), None, None


class Maximum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch_layout(np.maximum(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # the larger input gets the gradient; a tie splits it in half
        a, b = ctx.saved_tensors
        tie = a._data == b._data
        half = where(_wrap(tie), grad * 0.5, grad)
        # masked where the other side won, as torch: with a NaN neither side "lost", and both get the gradient
        return keep_where(half, ~(a._data < b._data)), keep_where(half, ~(a._data > b._data))


class Atan2(Op):
    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):  # the angle of (x, y): d/dy = x / r^2, d/dx = -y / r^2
        y, x = ctx.saved_tensors
        recip = (y * y + x * x).reciprocal()  # (torch's formula, rounded as torch rounds it)
        return grad * x * recip, grad * -y * recip


class Hypot(Op):
    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)  # sqrt(a^2 + b^2) without overflowing in the squares
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/da = a / out, d/db = b / out
        a, b, out = ctx.saved_tensors
        return grad * a / out, grad * b / out  # (torch's order: it rounds differently from (grad / out) * a)


class NanToNum(Op):
    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.save_for_backward(a)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):  # replaced entries are constants: only finite inputs pass their gradient on
        (a,) = ctx.saved_tensors
        return grad * isfinite(a), None, None, None


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch_layout(np.minimum(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # the smaller input gets the gradient; a tie splits it in half
        a, b = ctx.saved_tensors
        tie = a._data == b._data
        half = where(_wrap(tie), grad * 0.5, grad)
        return keep_where(half, ~(a._data > b._data)), keep_where(half, ~(a._data < b._data))


class Where(Op):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return torch_layout(np.where(cond, a, b), cond, a, b)

    @staticmethod
    def backward(ctx, grad):  # the gradient goes to whichever input was chosen
        (cond,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[1:]
        chosen = cond._data  # masked, not grad * cond: a NaN the other input got must not leak here
        return None, (keep_where(grad, chosen) if need_a else None), (keep_where(grad, ~chosen) if need_b else None)


# ----------------------------------------------------------------------------
# activations: one op each, saving for backward what torch saves, so that an
# in-place change afterwards is refused exactly when torch refuses it
# (nn.functional calls them; Relu, LeakyRelu, Softplus, Sigmoid, Tanh are above)
# ----------------------------------------------------------------------------
def _sigmoid_of(a):
    """1 / (1 + e^-a) on an array, as torch computes it (e^-a may overflow to inf: the result is then 0, exactly).

    (e^-|a| with a np.where for each sign never overflows, but rounds differently from torch, and the branch per
    element costs more than the exp.)
    """
    with silently(over="ignore"):  # the overflow is expected: no warning
        if not a.ndim:  # (NumPy gives 0-d results as scalars, which cannot be written into)
            return 1 / (1 + np.exp(-a))
        out = np.negative(a)  # then in place, in the same order: one array instead of four
        np.exp(out, out=out)
        np.add(out, out.dtype.type(1), out=out)  # (a Python 1 costs NumPy a conversion: 0.7 us on a small array)
        return np.reciprocal(out, out=out)  # (1 / x, correctly rounded, as divide(1, x))


def _erf_of(a):
    """erf on an array or a NumPy scalar (Erf.forward's computation, without saving anything)."""
    if not is_host(a):
        return cuda_runtime().erf(a)
    return Erf._erf(a).astype(a.dtype) if a.size else a.copy()


def _elu_of(a, alpha, scale, input_scale):
    # (np.where, not np.minimum(a, 0), which makes -0 of -0: torch's elu(-0) is -0)
    return np.where(a > 0, a * scale, np.expm1(np.where(a > 0, 0, a) * input_scale) * (alpha * scale))


class Elu(Op):
    """scale * a where a > 0, else scale * alpha * (e^(input_scale a) - 1): elu, selu (and celu, below).

    result=True (the in-place forms): saves the output instead of the input, as torch's EluBackward1.
    """

    celu = False

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale, result):
        ctx.neg_coef, ctx.scale, ctx.input_scale, ctx.result = alpha * scale, scale, input_scale, result
        if a.dtype != np.float64:  # torch's backward rounds its constants to the dtype (float16's: float32) first
            dt = np.float32 if a.dtype == HALF else a.dtype.type
            ctx.neg_coef = float(dt(alpha) * dt(scale))
        if ctx.celu:  # torch's celu backward takes 1 / alpha with alpha rounded to float32 first
            ctx.input_scale = 1.0 / float(np.float32(alpha))
        with silently(over="ignore"):  # (a negative alpha makes input_scale negative: e^big is inf, as torch)
            if a.dtype == HALF:
                out = in_float32(_elu_of, a, alpha, scale, input_scale)
            else:
                out = _elu_of(a, alpha, scale, input_scale)
        ctx.save_for_backward(out if result else a)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d/da = scale where a > 0, else neg_coef * input_scale * e^(input_scale a) = input_scale * (out + neg_coef)
        # (torch: a <= 0 takes the exponential side; its second derivative there is strict, 0 at a = 0: keep_where)
        if ctx.result and ctx.neg_coef < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_IN_PLACE.format("elu"))
        return grad_in_float32(lambda g, saved: Elu.gradient(ctx, g, saved), grad, *ctx.saved_tensors), \
            None, None, None, None

    @staticmethod
    def gradient(ctx, grad, saved):
        k, s = ctx.neg_coef, ctx.input_scale
        negative = saved._data <= 0
        # (in torch's order of products: (grad s) k e^(s a), (grad s)(out + k); they round differently)
        if ctx.result:
            on_negative = grad * s * (keep_where(saved, saved._data < 0) + k)
        else:
            on_negative = grad * s * k * (keep_where(saved, saved._data < 0) * s).exp()
        return where(_wrap(negative), on_negative, grad * ctx.scale)

    def name(self):
        return f"{type(self).__name__}Backward{int(self.result)}"


class Celu(Elu):
    """celu(a, alpha) = elu(a, alpha, scale 1, input_scale 1 / alpha): the same op under torch's name."""

    celu = True


class Hardtanh(Op):
    """a clipped to [lo, hi] (hardtanh, relu6)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, grad):  # 1 strictly inside (lo, hi), 0 at and beyond the bounds
        (a,) = ctx.saved_tensors
        return keep_where(grad, (a._data > ctx.lo) & (a._data < ctx.hi)), None, None


class Threshold(Op):
    """value where a <= threshold, else a. inplace only names the node (torch's ThresholdBackward1)."""

    @staticmethod
    def forward(ctx, a, threshold, value, inplace):
        ctx.save_for_backward(a)
        ctx.threshold, ctx.inplace = a.dtype.type(threshold), inplace  # compared in a's dtype, as torch
        return np.where(a <= ctx.threshold, a.dtype.type(value), a)

    @staticmethod
    def backward(ctx, grad):  # 0 where a <= threshold (replaced by a constant), else 1
        (a,) = ctx.saved_tensors
        return keep_where(grad, ~(a._data <= ctx.threshold)), None, None, None

    def name(self):
        return f"ThresholdBackward{int(self.inplace)}"


class RreluWithNoise(Op):
    """rrelu: a * noise in training (noise: 1 where a > 0, else drawn from U(lower, upper)); in eval mode a
    leaky_relu with the mean slope. result=True (rrelu_): saves the output, as torch's RreluWithNoiseBackward1."""

    @staticmethod
    def forward(ctx, a, noise, lower, upper, training, result):
        ctx.slope, ctx.result = (lower + upper) / 2, result
        ctx.noise = noise if training and upper - lower > 1e-6 else None  # (torch's test for a random slope)
        out = a * noise if training else np.where(a > 0, a, a * ctx.slope)
        ctx.save_for_backward(out if result else a)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/da = noise in training, else 1 where a > 0 and the mean slope elsewhere
        (saved,) = ctx.saved_tensors
        if ctx.noise is not None:
            return grad * _wrap(ctx.noise), None, None, None, None, None
        if ctx.result and ctx.slope < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_IN_PLACE.format("leaky_relu"))
        return where(_wrap(saved._data > 0), grad, grad * ctx.slope), None, None, None, None, None

    def name(self):
        return f"RreluWithNoiseBackward{int(self.result)}"


def _gelu_of(a, approximate):
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(Gelu.TANH_C * (a + Gelu.KAPPA * (a * a * a))))
    return a * 0.5 * (1 + _erf_of(a * Gelu.SQRT1_2))


class Gelu(Op):
    """a * Phi(a), Phi the standard normal CDF; approximate='tanh': Phi(a) ~ (1 + tanh(c (a + 0.044715 a^3))) / 2."""

    SQRT1_2, PDF = math.sqrt(0.5), 1 / math.sqrt(2 * math.pi)
    TANH_C, KAPPA = math.sqrt(2 / math.pi), 0.044715

    @staticmethod
    def forward(ctx, a, approximate):
        ctx.save_for_backward(a)
        ctx.approximate = approximate
        return in_float32(_gelu_of, a, approximate) if a.dtype == HALF else _gelu_of(a, approximate)

    @staticmethod
    def backward(ctx, grad):
        return grad_in_float32(lambda g, a: Gelu.gradient(g, a, ctx.approximate), grad, *ctx.saved_tensors), None

    @staticmethod
    def gradient(grad, a, approximate):
        if approximate == "tanh":
            # d/da = (1 + t) / 2 + a / 2 * (1 - t^2) * c (1 + 3 kappa a^2), t = tanh(c (a + kappa a^3))
            t = ((a + a * a * a * Gelu.KAPPA) * Gelu.TANH_C).tanh()
            inner = (a * a * (3 * Gelu.KAPPA) + 1) * Gelu.TANH_C
            return grad * ((t + 1) * 0.5 + a * 0.5 * (1 - t * t) * inner)
        # d/da = Phi(a) + a phi(a), phi(a) = e^(-a^2 / 2) / sqrt(2 pi)
        cdf = (Erf.apply(a * Gelu.SQRT1_2) + 1) * 0.5
        pdf = (a * a * -0.5).exp() * Gelu.PDF
        return grad * (cdf + a * pdf)


def _silu_of(a):
    return a * _sigmoid_of(a)


class Silu(Op):
    """a * sigmoid(a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return in_float32(_silu_of, a) if a.dtype == HALF else _silu_of(a)

    @staticmethod
    def backward(ctx, grad):  # d/da = s + a s (1 - s) = s (1 + a (1 - s)), s = sigmoid(a)
        (a,) = ctx.saved_tensors
        return grad_in_float32(_silu_grad, grad, a)


def _silu_grad(grad, a):
    s = a.sigmoid()
    return grad * s * (1 + a * (1 - s))


def _mish_of(a):
    return a * np.tanh(np.log1p(np.exp(-np.abs(a))) + np.maximum(a, 0))  # softplus without overflow


class Mish(Op):
    """a * tanh(softplus(a))."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return in_float32(_mish_of, a) if a.dtype == HALF else _mish_of(a)

    @staticmethod
    def backward(ctx, grad):  # d/da = t + a sigmoid(a) (1 - t^2), t = tanh(softplus(a))
        return grad_in_float32(_mish_grad, grad, *ctx.saved_tensors)


def _mish_grad(grad, a):
    t = Softplus.apply(a).tanh()
    return grad * (t + a * a.sigmoid() * (1 - t * t))


def _logsigmoid_of(a):
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


class LogSigmoid(Op):
    """log(sigmoid(a)) = min(a, 0) - log(1 + e^-|a|), without overflow."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return in_float32(_logsigmoid_of, a) if a.dtype == HALF else _logsigmoid_of(a)

    @staticmethod
    def backward(ctx, grad):  # d/da log(sigmoid(a)) = 1 - sigmoid(a) = sigmoid(-a)
        return grad_in_float32(lambda grad, a: grad * (-a).sigmoid(), grad, *ctx.saved_tensors)


def _hardsigmoid_of(a):
    return np.minimum(np.maximum(a + 3, 0), 6) / 6


def _hardswish_of(a):
    return a * np.minimum(np.maximum(a + 3, 0), 6) / 6


class Hardsigmoid(Op):
    """min(max(a + 3, 0), 6) / 6."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return in_float32(_hardsigmoid_of, a) if a.dtype == HALF else _hardsigmoid_of(a)

    @staticmethod
    def backward(ctx, grad):  # 1/6 strictly inside (-3, 3), else 0 (torch's 1/6 is a float32's, in every dtype)
        (a,) = ctx.saved_tensors
        return keep_where(grad, (a._data > -3) & (a._data < 3)) * _FLOAT32_SIXTH


_FLOAT32_SIXTH = float(np.float32(1 / 6))


class Hardswish(Op):
    """a * hardsigmoid(a) = a * min(max(a + 3, 0), 6) / 6."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return in_float32(_hardswish_of, a) if a.dtype == HALF else _hardswish_of(a)

    @staticmethod
    def backward(ctx, grad):
        # d/da = 0 up to -3, a/3 + 1/2 strictly inside (-3, 3), 1 from 3 on (torch's sides); its derivative, 1/3,
        # is carried by a/3 inside only, so the second derivative is torch's too
        return grad_in_float32(Hardswish.gradient, grad, *ctx.saved_tensors)

    @staticmethod
    def gradient(grad, a):
        x = a._data
        inside = (x > -3) & (x < 3)
        constant = np.where(inside, 0.5, np.where(x <= -3, 0.0, 1.0))  # (a NaN gets 1, as in torch)
        return grad * (keep_where(a, inside) / 3 + _wrap(constant.astype(x.dtype)))


def _shrink_backward(ctx, grad):  # softshrink's and hardshrink's: 1 outside [-lambd, lambd], 0 inside
    (a,) = ctx.saved_tensors
    return keep_where(grad, (a._data < -ctx.lambd) | (a._data > ctx.lambd)), None


class Softshrink(Op):
    """a - lambd above lambd, a + lambd below -lambd, 0 between."""

    @staticmethod
    def forward(ctx, a, lambd):
        ctx.save_for_backward(a)
        ctx.lambd = lambd
        return np.where(a > lambd, a - lambd, np.where(a < -lambd, a + lambd, a * 0))  # (a * 0 keeps a NaN)

    backward = staticmethod(_shrink_backward)


class Hardshrink(Op):
    """a outside [-lambd, lambd], 0 inside."""

    @staticmethod
    def forward(ctx, a, lambd):
        ctx.save_for_backward(a)
        ctx.lambd = lambd
        return np.where((a >= -lambd) & (a <= lambd), 0, a)

    backward = staticmethod(_shrink_backward)


class Glu(Op):
    """The gated linear unit: a's first half along dim times sigmoid of its second half."""

    @staticmethod
    def forward(ctx, a, dim):
        ctx.save_for_backward(a)
        ctx.dim = dim
        first, second = np.split(a, 2, axis=dim)
        return first * _sigmoid_of(second)

    @staticmethod
    def backward(ctx, grad):  # d/d first = s, d/d second = first * s (1 - s), s = sigmoid(second)
        from .shape import cat
        (a,) = ctx.saved_tensors
        first, second = a.chunk(2, ctx.dim)
        s = second.sigmoid()
        return cat([grad * s, grad * first * s * (1 - s)], ctx.dim), None


class PreluKernel(Op):
    """a where a > 0, else weight * a (the weight already shaped to broadcast along the channels)."""

    @staticmethod
    def forward(ctx, a, weight):
        ctx.save_for_backward(a, weight)
        return np.where(a > 0, a, weight * a)

    @staticmethod
    def backward(ctx, grad):  # d/da = 1 where a > 0, else weight; d/dweight = a where a <= 0, else 0
        a, weight = ctx.saved_tensors
        need_a, need_weight = ctx.needs_input_grad
        positive = a._data > 0
        grad_a = where(_wrap(positive), grad, grad * weight) if need_a else None
        grad_weight = keep_where(grad * a, ~positive) if need_weight else None  # the engine sums it to weight's shape
        return grad_a, grad_weight


# ----------------------------------------------------------------------------
# functions with PyTorch's signatures
# ----------------------------------------------------------------------------
def _check_alpha(a, b, alpha):
    if isinstance(alpha, float) and all(not isinstance(x, Tensor) or x._data.dtype.kind in "iub" for x in (a, b)):
        raise RuntimeError(f"For integral input tensors, argument alpha must not be a floating point number "
                           f"(got {alpha}); convert the tensors to float first, e.g. x.float()")


def add(a, b, alpha=1):
    """Elementwise sum self + alpha * other, broadcasting."""
    if alpha != 1:
        _check_alpha(a, b, alpha)
    a, b = operands(a, b)
    if alpha != 1 and _scalable(a, b):
        return AddScaled.apply(a, b, alpha)
    return Add.apply(a, b if alpha == 1 else b * alpha)


def _scalable(a, b):
    """Whether a + alpha * b goes to one fused op: two float tensors (else the product is exact or a constant); or
    a float16 tensor and a number, which torch rounds to float16 with alpha, then computes in float32 (fma)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a._data.dtype.kind == "f"
    return (a if isinstance(a, Tensor) else b)._data.dtype == HALF


def sub(a, b, alpha=1):
    """Elementwise difference self - alpha * other, broadcasting."""
    if alpha != 1:
        _check_alpha(a, b, alpha)
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    a, b = operands(a, b)
    if alpha != 1 and _scalable(a, b):
        return SubScaled.apply(a, b, -alpha)
    return Sub.apply(a, b if alpha == 1 else b * alpha)


def mul(a, b):
    """Elementwise product, broadcasting."""
    a, b = operands(a, b)
    if type(b) is float or type(b) is int:
        return scalar_product(a, b)
    if type(a) is float or type(a) is int:
        return scalar_product(b, a)  # k * a == a * k exactly
    return Mul.apply(a, b)


def div(a, b, rounding_mode=None):
    """Elementwise quotient (rounding_mode 'trunc' or 'floor' for integer-style division)."""
    if rounding_mode is None:
        return Div.apply(*float_operands(a, b))
    a, b = operands(a, b)
    check_integer_divisor(a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b)
    if rounding_mode == "floor":
        return ZeroGrad.apply(Div.apply(a, b), np.floor).to(_dtype_of_operands(a, b))
    if rounding_mode == "trunc":
        return ZeroGrad.apply(Div.apply(a, b), np.trunc).to(_dtype_of_operands(a, b))
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def _dtype_of_operands(a, b):
    return dtype_of((a if isinstance(a, Tensor) else b)._data)


def check_integer_divisor(a, b):
    """Integer // and % by zero: PyTorch's RuntimeError, where NumPy would return 0."""
    if np.result_type(a, b).kind in "iub" and not np.all(b):
        raise RuntimeError("ZeroDivisionError: integer division or modulo by zero; make the divisor nonzero, or "
                           "divide floats instead (x.float() // 0 gives inf)")


class FloorDivide(Op):
    @staticmethod
    def forward(ctx, a, b):
        check_integer_divisor(a, b)
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):  # as in PyTorch: a step function's "derivative" is refused rather than made up
        raise RuntimeError("derivative for floor_divide is not implemented; use torch.div(a, b, "
                           "rounding_mode='floor') if you want a zero gradient")


def _is_bool(x):
    """A bool tensor or a Python bool (torch refuses both in a subtraction)."""
    return type(x) is bool or isinstance(x, Tensor) and x._data.dtype.kind == "b"


def _no_bools(a, b, kernel):
    """torch has no floor division or remainder of bools (NumPy would give int8)."""
    if _is_bool(a) and _is_bool(b):
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def floor_divide(a, b):
    """Division rounded down (Python's //)."""
    _no_bools(a, b, "div_floor_cpu")
    return FloorDivide.apply(*operands(a, b))


def remainder(a, b):
    """The remainder of division, with the divisor's sign (Python's %)."""
    _no_bools(a, b, "remainder_cpu")
    return Remainder.apply(*operands(a, b))


def pow(a, b):
    """Each element raised to exponent."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        b = scalar_or_tensor(b) if not isinstance(b, (int, float)) else b
        kind = a._data.dtype.kind
        if kind in "iub" and type(b) is int and b < 0:  # checked before the exponent is cast to a's dtype
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if kind == "b" and type(b) is bool:  # bool ** bool stays bool in PyTorch (NumPy says int8)
            return _wrap(a._data.copy() if b else get_array_module(a._data).ones(a._data.shape, np.bool_))
        if kind != "f":
            a, b = operands(a, b)
        return PowScalar.apply(a, b)
    return Pow.apply(*operands(a, b))



def neg(a):
    """Each element negated."""
    if a._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(a)


def _floating(a):
    """Unary maths on an integer tensor gives the default float dtype, as in PyTorch."""
    return a if a._data.dtype.kind == "f" else Cast.apply(a, DEFAULTS.float_dtype.np)


def exp(a):
    """e to the power of each element."""
    return Exp.apply(_floating(a))


def expm1(a):
    """exp(x) - 1, accurate for small x."""
    return Expm1.apply(_floating(a))


def log(a):
    """The natural logarithm of each element."""
    return Log.apply(_floating(a))


def log2(a):
    """The base-2 logarithm of each element."""
    return LogBase.apply(_floating(a), 2)


def log10(a):
    """The base-10 logarithm of each element."""
    return LogBase.apply(_floating(a), 10)


def square(a):
    """Each element squared."""
    return pow(a, 2)


def lerp(start, end, weight):
    """start + weight * (end - start), computed from the nearer end as PyTorch does (exact at weight 0 and 1)."""
    require_float("lerp_kernel_scalar", start._data)
    start, end = operands(start, end)
    return Lerp.apply(start, end, weight)


def lerp_arrays(start, end, weight, out=None):
    """torch's lerp kernel on arrays: weight rounded to the dtype, then start + w (end - start) where |w| < 1/2,
    else end - (end - start)(1 - w), each one fused multiply-add (see fma). A single weight computes only its own
    branch (into out, when given: an optimizer's moment)."""
    if start.dtype == HALF:  # torch: the difference and the weight (not rounded to float16) in float32
        return written(in_float32(lerp_arrays, start, end, weight), out)
    dt = start.dtype.type
    w = weight.astype(start.dtype, copy=False) if hasattr(weight, "dtype") else dt(weight)
    diff = end - start
    if w.ndim == 0:
        w = w[()]  # (a NumPy number of the dtype: fma's route for arrays alike)
        return fma(diff, w, start, out) if np.abs(w) < 0.5 else fma(-diff, dt(1) - w, end, out)
    result = get_array_module(start).where(np.abs(w) < 0.5, fma(w, diff, start), fma(-diff, dt(1) - w, end))
    if out is None:
        return result
    out[...] = result
    return out


def addcmul(a, t1, t2, value=1):
    """a + value * t1 * t2, broadcasting; rounded as torch's kernel: (value t1) t2 + a as one fused multiply-add."""
    a, t1, t2 = _common(a, t1, t2)
    return Addcmul.apply(a, t1, t2, value)


def addcdiv(a, t1, t2, value=1):
    """a + value * t1 / t2, broadcasting (in torch's order: (value t1) / t2, then the sum)."""
    a, t1, t2 = _common(a, t1, t2)
    if a._data.dtype.kind in "iub" and t1._data.dtype.kind in "iub" and t2._data.dtype.kind in "iub":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                           "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    return Addcdiv.apply(a, t1, t2, value)


def _common(*tensors):
    """Tensors brought to their common dtype (torch's promotion), with differentiable casts."""
    dt = to_dtype(np.result_type(*(t._data.dtype for t in tensors)))
    return [_cast_to(t, dt) for t in tensors]


def _addcmul_of(a, t1, t2, value, out=None):  # torch's order: (value t1) t2 + a, one fused multiply-add
    return fma(t1 if value == 1 else t1 * t1.dtype.type(value), t2, a, out)


def _addcdiv_of(a, t1, t2, value):  # torch's order: (value t1) / t2, then the sum
    return a + (t1 * t1.dtype.type(value)) / t2


class Addcmul(Op):
    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1, t2)
        out = in_float32(_addcmul_of, a, t1, t2, value) if a.dtype == HALF else _addcmul_of(a, t1, t2, value)
        return torch_layout(out.astype(a.dtype, copy=False), a, t1, t2)

    @staticmethod
    def backward(ctx, grad):  # d/da = 1, d/dt1 = value t2, d/dt2 = value t1
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (grad, grad * (t2 * ctx.value) if need[1] else None, grad * (t1 * ctx.value) if need[2] else None,
                None)


class Addcdiv(Op):
    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1, t2)
        out = in_float32(_addcdiv_of, a, t1, t2, value) if a.dtype == HALF else _addcdiv_of(a, t1, t2, value)
        return torch_layout(out, a, t1, t2)

    @staticmethod
    def backward(ctx, grad):  # d/da = 1, d/dt1 = value / t2, d/dt2 = -value t1 / t2^2
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (grad, grad * div(ctx.value, t2) if need[1] else None,  # (C++'s value / t2: one division)
                -grad * (ctx.value * t1 / (t2 * t2)) if need[2] else None, None)


class Lerp(Op):
    """start + weight (end - start), rounded as torch's kernel (lerp_arrays)."""

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        ctx.tensor_weight = hasattr(weight, "dtype")
        return torch_layout(lerp_arrays(start, end, weight).astype(start.dtype, copy=False), start, end)

    @staticmethod
    def backward(ctx, grad):  # d/dstart = 1 - w, d/dend = w, d/dw = end - start
        start, end, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        if not ctx.tensor_weight:
            return (scalar_product(grad, 1 - weight) if need[0] else None,
                    scalar_product(grad, weight) if need[1] else None, None)
        return (grad * (1 - weight) if need[0] else None, grad * weight if need[1] else None,
                grad * (end - start) if need[2] else None)

    def name(self):
        return "LerpBackward1" if self.tensor_weight else "LerpBackward0"


def log1p(a):
    """log(1 + x), accurate for small x."""
    return Log1p.apply(_floating(a))


def sqrt(a):
    """The square root of each element."""
    return Sqrt.apply(_floating(a))


def rsqrt(a):
    """1 / sqrt(x) for each element."""
    return Rsqrt.apply(_floating(a))


def reciprocal(a):
    """1 / x for each element."""
    return Reciprocal.apply(_floating(a))


def sin(a):
    """The sine of each element."""
    return Sin.apply(_floating(a))


def cos(a):
    """The cosine of each element."""
    return Cos.apply(_floating(a))


def tanh(a):
    """The hyperbolic tangent of each element."""
    return Tanh.apply(_floating(a))


def sigmoid(a):
    """1 / (1 + exp(-x)) for each element."""
    return Sigmoid.apply(_floating(a))


def relu(a):
    """max(x, 0) for each element."""
    if a._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu; convert first, e.g. x.float()")
    return Relu.apply(a)


def softplus(a):
    return Softplus.apply(_floating(a))


def erf(a):
    """The error function of each element."""
    return Erf.apply(_floating(a))


def abs(a):
    """The absolute value of each element."""
    if a._data.dtype == np.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool': abs of a bool tensor is itself; "
                                  "convert first if you meant numbers, e.g. x.long()")
    return Abs.apply(a)


def _sign(x):
    """torch's sign on an array: NumPy's, except that NaN's sign is 0 (so abs' gradient at NaN is 0, as torch's)."""
    xp = get_array_module(x)
    out = xp.asarray(xp.sign(x))  # (an array also for a 0-d input, which NumPy answers with a scalar)
    if out.dtype.kind == "f":
        out[out != out] = 0
    return out


def sign(a):
    """-1, 0 or 1: the sign of each element (0 for NaN, as in torch)."""
    return a.clone() if a._data.dtype == np.bool_ else ZeroGrad.apply(a, _sign)  # a bool's sign is itself


def _no_bool(a, name):
    if a._data.dtype == np.bool_:  # torch's kernels refuse bools (NumPy would answer with float16)
        raise NotImplementedError(f"\"{name}_vml_cpu\" not implemented for 'Bool': convert first, e.g. x.float()")


def floor(a):
    """Each element rounded down."""
    _no_bool(a, "floor")
    return ZeroGrad.apply(a, np.floor)


def ceil(a):
    """Each element rounded up."""
    _no_bool(a, "ceil")
    return ZeroGrad.apply(a, np.ceil)


def trunc(a):
    """Each element rounded towards zero."""
    _no_bool(a, "trunc")
    return ZeroGrad.apply(a, np.trunc)


def round(a, decimals=0):
    """Each element rounded to the nearest integer (halves to even), or to decimals places."""
    _no_bool(a, "round")
    return ZeroGrad.apply(a, np.round if decimals == 0 else (lambda x: np.round(x, decimals)))


def clamp(a, min=None, max=None):
    """Each element limited to [min, max]."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = a
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if a._data.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
        a = _floating(a)
    return Clamp.apply(a, min, max)


def atan2(a, b):
    """The angle of the point (other, self): arctan(self / other) in the right quadrant."""
    if not isinstance(b, Tensor):
        raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    return Atan2.apply(*float_operands(a, b))


def tan(a):
    """The tangent of each element."""
    return Tan.apply(_floating(a))


def atan(a):
    """The arctangent of each element."""
    return Atan.apply(_floating(a))


def asin(a):
    """The arcsine of each element (NaN outside [-1, 1])."""
    return Asin.apply(_floating(a))


def acos(a):
    """The arccosine of each element (NaN outside [-1, 1])."""
    return Acos.apply(_floating(a))


def sinh(a):
    """The hyperbolic sine of each element."""
    return Sinh.apply(_floating(a))


def cosh(a):
    """The hyperbolic cosine of each element."""
    return Cosh.apply(_floating(a))


def asinh(a):
    """The inverse hyperbolic sine of each element."""
    return Asinh.apply(_floating(a))


def acosh(a):
    """The inverse hyperbolic cosine of each element (NaN below 1)."""
    return Acosh.apply(_floating(a))


def atanh(a):
    """The inverse hyperbolic tangent of each element (NaN outside [-1, 1])."""
    return Atanh.apply(_floating(a))


def erfc(a):
    """1 - erf(x), accurate where erf is close to 1."""
    return Erfc.apply(_floating(a))

def inplace_without_derivative(a, which):
    """The value of asinh/acosh/atanh for their in-place forms, which torch does not differentiate."""
    return InplaceWithoutDerivative.apply(_floating(a), {"asinh": np.arcsinh, "acosh": np.arccosh,
                                                         "atanh": np.arctanh}[which], which)

arctan, arcsin, arccos, arcsinh, arccosh, arctanh = atan, asin, acos, asinh, acosh, atanh


def exp2(a):
    """2 to the power of each element."""
    return Exp2.apply(_floating(a))


def sinc(a):
    """The normalized sinc, sin(pi x) / (pi x), 1 at 0."""
    return Sinc.apply(_floating(a))


def logit(a, eps=None):
    """log(p / (1 - p)); with eps, p is first clamped to [eps, 1 - eps]."""
    return Logit.apply(_floating(a), eps)


def deg2rad(a):
    """Degrees to radians."""
    return Deg2Rad.apply(_floating(a))


def rad2deg(a):
    """Radians to degrees."""
    return Rad2Deg.apply(_floating(a))


def frac(a):
    """The fractional part of each element, x - trunc(x) (with the sign of x)."""
    require_float("frac_cpu", a._data)
    return Frac.apply(a)


fix = trunc


def copysign(a, b):
    """The magnitude of self with the sign of other (-0.0 counts as negative); always floating."""
    return Copysign.apply(*float_operands(a, b))


def _other_tensor(name, b):
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")


def nextafter(a, b):
    """The next floating point value after self towards other."""
    _other_tensor("nextafter", b)
    a, b = operands(a, b)
    require_float("nextafter_cpu", a._data)
    return Nextafter.apply(a, b)


def logaddexp2(a, b):
    """log2(2^self + 2^other), without overflow."""
    _other_tensor("logaddexp2", b)
    a, b = operands(a, b)
    require_float("logaddexp2_cpu", a._data)
    return Logaddexp2.apply(a, b)


def float_power(a, b):
    """self ** other computed in float64, whatever the inputs' dtypes (torch's rule)."""
    double = to_dtype(np.float64)
    a = _cast_to(a, double) if isinstance(a, Tensor) else float(a)
    b = _cast_to(b, double) if isinstance(b, Tensor) else b
    return pow(a, b)


def fmod(a, b):
    """The remainder of division with the sign of the dividend (C's fmod), unlike remainder."""
    return Fmod.apply(*operands(a, b))


def heaviside(a, values, _which="heaviside"):
    """The step function: 0 where x < 0, values where x == 0, 1 where x > 0."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if a._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return Heaviside.apply(a, values, _which)


def sgn(a):
    """The sign of each element (for real tensors the same as sign)."""
    return a.clone() if a._data.dtype == np.bool_ else Sgn.apply(a)


def signbit(a):
    """True where the sign bit is set (negative numbers and -0.0); not differentiable."""
    xp = get_array_module(a._data)
    if a._data.dtype == np.bool_:
        return _wrap(xp.zeros(a._data.shape, np.bool_))
    return _wrap(xp.asarray(xp.signbit(a._data)))


def positive(a):
    """The tensor itself (unary +)."""
    if a._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return a


def conj(a):
    """The complex conjugate: a real tensor is its own conjugate, returned as is (as torch does)."""
    return a


def real(a):
    """The real part: a real tensor itself."""
    return a


def imag(a):
    """The imaginary part: ember's tensors are real, which torch refuses."""
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def angle(a):
    """The angle of each element as a complex number: 0 for x >= 0, pi for x < 0 (NaN for NaN)."""
    return Angle.apply(_floating(a))

def hypot(a, b):
    """sqrt(self^2 + other^2) for each pair of elements."""
    if not isinstance(b, Tensor):
        raise TypeError(f"hypot(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    return Hypot.apply(*float_operands(a, b))


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    """NaN becomes nan, +inf posinf and -inf neginf (by default the dtype's largest and smallest values)."""
    if a._data.dtype.kind != "f":
        return a.clone()
    return NanToNum.apply(a, nan, posinf, neginf)


def maximum(a, b):
    """The larger of each pair of elements."""
    return Maximum.apply(*operands(a, b))


def minimum(a, b):
    """The smaller of each pair of elements."""
    return Minimum.apply(*operands(a, b))


def where(cond, a=None, b=None):
    """Elements of input where condition is True, else of other."""
    if a is None and b is None:
        from .shape import nonzero
        return nonzero(cond, as_tuple=True)
    if not isinstance(cond, Tensor):
        raise TypeError(f"where(): argument 'condition' must be a Tensor, not {type(cond).__name__}")
    if cond._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{dtype_of(cond._data)}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = _wrap(as_array(a, result_type(a, b).np))
    a, b = operands(a, b)
    try:
        return Where.apply(cond, a, b)
    except ValueError:
        raise broadcast_error(cond.shape, np.broadcast_shapes(np.shape(a._data if isinstance(a, Tensor) else a),
                                                              np.shape(b._data if isinstance(b, Tensor) else b)))


def masked_fill(a, mask, value):
    """A copy with value wherever mask is True."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        value = value.to(dtype_of(a._data))
    else:
        value = scalar_or_tensor(value)
        if a._data.dtype.kind in "iub" and isinstance(value, float):
            value = int(value) if a._data.dtype.kind != "b" else bool(value)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {dtype_of(mask._data)}")
    out = where(mask, value if isinstance(value, Tensor) else _wrap(as_array(value, a._data.dtype)), a)
    return out if out._data.flags.c_contiguous else out.contiguous()  # torch fills a contiguous clone


# ----------------------------------------------------------------------------
# comparisons and tests: bool results, no gradient
# ----------------------------------------------------------------------------
def _compare(fn, a, b):
    tensors = (a, b)
    if isinstance(b, Tensor):
        b = b._data
    elif not isinstance(b, (int, float)):
        b = scalar_or_tensor(b)
        b = b._data if isinstance(b, Tensor) else b
    elif type(b) is int and isinstance(a, Tensor):
        b = wrap_int(b, a._data.dtype)
    a = a._data if isinstance(a, Tensor) else a
    try:
        return _wrap(torch_layout(as_array(fn(a, b)), a, b))
    except ValueError:
        raise broadcast_error(np.shape(a), np.shape(b)) from None
    except TypeError:  # two devices: a 0-d CPU tensor joins a GPU one, other mixes raise torch's error
        from .device import mixed_devices
        moved = mixed_devices(tensors)
        if moved is None:
            raise
        return _compare(fn, *moved)


def eq(a, b):
    """Elementwise ==, as a bool tensor."""
    return _compare(np.equal, a, b)


def ne(a, b):
    """Elementwise !=, as a bool tensor."""
    return _compare(np.not_equal, a, b)


def lt(a, b):
    """Elementwise <, as a bool tensor."""
    return _compare(np.less, a, b)


def le(a, b):
    """Elementwise <=, as a bool tensor."""
    return _compare(np.less_equal, a, b)


def gt(a, b):
    """Elementwise >, as a bool tensor."""
    return _compare(np.greater, a, b)


def ge(a, b):
    """Elementwise >=, as a bool tensor."""
    return _compare(np.greater_equal, a, b)


def _logical(fn, a, b):
    a, b = operands(a, b)
    a = a._data if isinstance(a, Tensor) else a
    b = b._data if isinstance(b, Tensor) else b
    if np.result_type(a, b).kind not in "biu":
        raise NotImplementedError("bitwise and logical operators (&, |, ^) need bool or integer tensors, "
                        f"got {np.result_type(a, b)}; compare first, e.g. (x > 0) & (x < 1)")
    try:
        return _wrap(torch_layout(as_array(fn(a, b)), a, b))
    except ValueError:
        raise broadcast_error(np.shape(a), np.shape(b)) from None


def bitwise_and(a, b):
    return _logical(np.bitwise_and, a, b)


def bitwise_or(a, b):
    return _logical(np.bitwise_or, a, b)


def bitwise_xor(a, b):
    return _logical(np.bitwise_xor, a, b)


def bitwise_not(a):
    if a._data.dtype.kind not in "biu":
        raise TypeError(f"~ (bitwise_not) needs a bool or integer tensor, got {dtype_of(a._data)}")
    return _wrap(as_array(np.invert(a._data)))


def logical_not(a):
    """Elementwise not, as a bool tensor."""
    return _wrap(as_array(np.logical_not(a._data)))


def logical_and(a, b):
    """Elementwise and, as a bool tensor."""
    return _wrap(as_array(np.logical_and(a._data, b._data if isinstance(b, Tensor) else b)))


def logical_or(a, b):
    """Elementwise or, as a bool tensor."""
    return _wrap(as_array(np.logical_or(a._data, b._data if isinstance(b, Tensor) else b)))


def isnan(a):
    """Which elements are NaN."""
    return _wrap(as_array(np.isnan(a._data)))


def isinf(a):
    """Which elements are +inf or -inf."""
    return _wrap(as_array(np.isinf(a._data)))


def isfinite(a):
    """Which elements are neither infinite nor NaN."""
    return _wrap(as_array(np.isfinite(a._data)))


def equal(a, b):
    """True when both have the same shape and the same values."""
    return a._data.shape == b._data.shape and bool(np.array_equal(a._data, b._data))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if every element is close to other's: |a - b| <= atol + rtol * |b|."""
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """PyTorch compares tensors of one dtype only (a float32 result is never 'close' to a float64 one by accident)."""
    b_data = b._data if isinstance(b, Tensor) else b
    if isinstance(b, Tensor) and b_data.dtype != a._data.dtype:
        raise RuntimeError(f"{torch_scalar_name(a._data.dtype)} did not match {torch_scalar_name(b_data.dtype)}: "
                           f"isclose/allclose compare tensors of one dtype; convert one, e.g. b.to({a.dtype})")
    try:
        np.broadcast_shapes(a._data.shape, np.shape(b_data))
    except ValueError:
        raise broadcast_error(a._data.shape, np.shape(b_data)) from None
    return _wrap(as_array(np.isclose(a._data, b_data, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def to_dtype_op(a, dt):
    """``a.to(dtype)``: a differentiable cast (the same Tensor when nothing changes)."""
    dt = to_dtype(dt)
    if not dt.is_floating_point and a._data.dtype != dt.np:  # integer and bool results carry no gradient
        return _wrap(a._data.astype(dt.np))
    return _cast_to(a, dt)


# ----------------------------------------------------------------------------
# more of torch's elementwise functions: NaN-ignoring max/min, one-sided clamps, rsub, integer and bit maths
# ----------------------------------------------------------------------------
class Fmax(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch_layout(np.fmax(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # as torch: self gets it where self >= other or other is NaN (ties too), other elsewhere
        a, b = ctx.saved_tensors
        to_self = (a._data >= b._data) | np.isnan(b._data)
        return keep_where(grad, to_self), keep_where(grad, ~to_self)


class Fmin(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch_layout(np.fmin(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):  # as fmax, with <=
        a, b = ctx.saved_tensors
        to_self = (a._data <= b._data) | np.isnan(b._data)
        return keep_where(grad, to_self), keep_where(grad, ~to_self)


def _tensor_other(name, b, what="other"):
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument '{what}' (position 2) must be Tensor, not {type(b).__name__}")


def fmax(a, b):
    """The larger of each pair of elements; where one is NaN, the other (NaN only where both are)."""
    _tensor_other("fmax", b)
    return Fmax.apply(*operands(a, b))


def fmin(a, b):
    """The smaller of each pair of elements; where one is NaN, the other (NaN only where both are)."""
    _tensor_other("fmin", b)
    return Fmin.apply(*operands(a, b))


class ClampMin(Op):
    """max(self, min) with torch's clamp_min gradient: self where self >= min, min (a tensor) elsewhere."""

    @staticmethod
    def forward(ctx, a, bound):
        ctx.save_for_backward(a, bound)
        ctx.tensor = hasattr(bound, "dtype")
        with silently(invalid="ignore"):
            return torch_layout(np.maximum(a, bound), a, bound) if ctx.tensor else np.maximum(a, bound)

    @staticmethod
    def backward(ctx, grad):
        a, bound = ctx.saved_tensors
        bound = bound._data if isinstance(bound, Tensor) else bound
        keep = a._data >= bound
        return keep_where(grad, keep), (keep_where(grad, a._data < bound) if ctx.tensor else None)

    def name(self):
        return f"{type(self).__name__}Backward{int(self.tensor)}"


class ClampMax(ClampMin):
    @staticmethod
    def forward(ctx, a, bound):
        ctx.save_for_backward(a, bound)
        ctx.tensor = hasattr(bound, "dtype")
        with silently(invalid="ignore"):
            return torch_layout(np.minimum(a, bound), a, bound) if ctx.tensor else np.minimum(a, bound)

    @staticmethod
    def backward(ctx, grad):
        a, bound = ctx.saved_tensors
        bound = bound._data if isinstance(bound, Tensor) else bound
        return keep_where(grad, a._data <= bound), (keep_where(grad, a._data > bound) if ctx.tensor else None)


def _one_sided(op, a, bound):
    if isinstance(bound, Tensor):
        return op.apply(*operands(a, bound))
    bound = scalar_or_tensor(bound)
    if a._data.dtype.kind != "f" and isinstance(bound, float):
        a = _floating(a)
    elif type(bound) is int:
        bound = wrap_int(bound, a._data.dtype)
    return op.apply(a, bound)


def clamp_min(a, min):
    """Each element raised to at least min (a number or a tensor)."""
    return _one_sided(ClampMin, a, min)


def clamp_max(a, max):
    """Each element lowered to at most max (a number or a tensor)."""
    return _one_sided(ClampMax, a, max)


def _rsub_node(out, b):
    if out.grad_fn is not None:
        out.grad_fn._name, out.grad_fn._overload = "Rsub", int(not isinstance(b, Tensor))
    return out


def rsub(a, b, alpha=1):
    """other - alpha * self (sub with its operands swapped)."""
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if alpha != 1:
        _check_alpha(a, b, alpha)
    return _rsub_node(sub(b, a, alpha), b)


def logical_xor(a, b):
    """Elementwise exclusive or, as a bool tensor."""
    _tensor_other("logical_xor", b)
    try:
        return _wrap(torch_layout(as_array(np.logical_xor(a._data, b._data)), a._data, b._data))
    except ValueError:
        raise broadcast_error(a._data.shape, b._data.shape) from None


def isposinf(a):
    """Which elements are +inf."""
    return _wrap(as_array(np.isposinf(a._data) if a._data.dtype.kind == "f" else np.zeros(a._data.shape, bool)))


def isneginf(a):
    """Which elements are -inf."""
    return _wrap(as_array(np.isneginf(a._data) if a._data.dtype.kind == "f" else np.zeros(a._data.shape, bool)))


def isreal(a):
    """Which elements have no imaginary part: all of them, as ember's tensors are real."""
    return _wrap(get_array_module(a._data).ones(a._data.shape, np.bool_))


def _integer_only(name, kernel, a, b, scalar_ok=False):
    """Integer maths: both operands brought to one integer dtype; torch's NotImplementedError for others."""
    if not scalar_ok:
        _tensor_other(name, b)
    a, b = operands(a, b)
    kind = np.result_type(*(x._data if isinstance(x, Tensor) else x for x in (a, b))).kind
    if kind not in "iu":
        which = a if isinstance(a, Tensor) else b
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_scalar_name(which._data.dtype)}\'')
    return a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b


def _binary_result(fn, a, b):
    try:
        return _wrap(torch_layout(as_array(fn(a, b)), a, b))
    except ValueError:
        raise broadcast_error(np.shape(a), np.shape(b)) from None


def gcd(a, b):
    """The greatest common divisor of each pair of integers (never negative)."""
    return _binary_result(np.gcd, *_integer_only("gcd", "gcd_cpu", a, b))


def lcm(a, b):
    """The least common multiple of each pair of integers (never negative)."""
    return _binary_result(np.lcm, *_integer_only("lcm", "lcm_cpu", a, b))


def _shift_amount(a, b):
    a, b = (x if isinstance(x, Tensor) else scalar_or_tensor(x) for x in (a, b))
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a, b
    return (a, b) if isinstance(a, Tensor) else (b._data.dtype.type(a), b)


def bitwise_left_shift(a, b):
    """Each integer shifted left by other bits (self * 2**other)."""
    x, y = _integer_only("bitwise_left_shift", "lshift_cpu", *_shift_amount(a, b), scalar_ok=True)
    return _binary_result(np.left_shift, x, y)


def bitwise_right_shift(a, b):
    """Each integer shifted right by other bits (arithmetic: the sign is kept)."""
    x, y = _integer_only("bitwise_right_shift", "rshift_cpu", *_shift_amount(a, b), scalar_ok=True)
    return _binary_result(np.right_shift, x, y)


class Ldexp(Op):
    @staticmethod
    def forward(ctx, a, e):
        ctx.save_for_backward(a, e)
        return torch_layout(a * np.exp2(e).astype(a.dtype, copy=False), a, e)

    @staticmethod
    def backward(ctx, grad):  # self * 2^other: d/dself = 2^other, d/dother = self * 2^other * ln 2
        a, e = ctx.saved_tensors
        need_a, need_e = ctx.needs_input_grad
        scale = _wrap(np.exp2(e._data).astype(grad._data.dtype, copy=False))
        if e._data.dtype.kind != "f":  # as torch 2.13: an integer exponent's 2^other is an integer power, 0 below 0
            scale = keep_where(scale, e._data >= 0)
        return (grad * scale if need_a else None), (grad * a * scale * math.log(2.0) if need_e else None)


def ldexp(a, b):
    """self * 2**other, in floating point."""
    _tensor_other("ldexp", b)
    a = _floating(a)
    if b._data.dtype.kind == "f":
        a, b = operands(a, b)
    return Ldexp.apply(a, b)


def frexp(a):
    """(mantissa, exponent): self = mantissa * 2**exponent with 0.5 <= |mantissa| < 1; exponent int32."""
    if a._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    exponent = np.frexp(a._data)[1].astype(np.int32)
    return FrexpResult(Frexp.apply(a, exponent), _wrap(as_array(exponent)))


class Frexp(Op):
    @staticmethod
    def forward(ctx, a, exponent):
        ctx.exponent = exponent
        return np.frexp(a)[0]

    @staticmethod
    def backward(ctx, grad):  # mantissa = self / 2^exponent, the exponent held fixed
        return grad * _wrap(np.exp2(-ctx.exponent.astype(grad._data.dtype))), None


def _frexp_result():
    from .._tensor_str import return_type
    return return_type("frexp", ("mantissa", "exponent"))


FrexpResult = _frexp_result()


class CompareInPlace(Op):
    """x.eq_(other) and the other comparisons in place: 1 or 0 in self's dtype, a zero gradient, torch's node."""

    @staticmethod
    def forward(ctx, a, b, fn, which):
        ctx.which, ctx.tensor = which, hasattr(b, "dtype")
        return torch_layout(as_array(fn(a, b)), a, b).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return keep_where(grad, False), (keep_where(grad, False) if ctx.tensor else None), None, None

    def name(self):
        return f"{self.which}Backward{int(self.tensor)}"


_COMPARISONS = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
                "ge": np.greater_equal}


def compare_in_place(a, b, which):
    """The out-of-place value of a comparison, for x.eq_(other) etc. (the in-place write is ember/tensor.py's)."""
    if not isinstance(b, Tensor):
        b = scalar_or_tensor(b)
        if type(b) is int:
            b = wrap_int(b, a._data.dtype)
    return CompareInPlace.apply(a, b, _COMPARISONS[which], which.capitalize())
