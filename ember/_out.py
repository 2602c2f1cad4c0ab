"""``out=``: a public function's result written into a tensor the caller gives, as torch's ``out=`` arguments.

Every function torch gives ``out=`` is named in ``TAKES_OUT``; ember/__init__.py's input-checking wrappers take
``out=`` and hand it to ``into``, and a loop there wraps the remaining names with ``takes_out``. The function computes
as usual; its result is then written into ``out``, which is returned. torch's rules, each checked against torch in
tests/test_out.py:

- an ``out`` of another shape is resized (with torch's deprecation warning unless it was empty);
- no autograd through ``out=``: refused when grad mode is on and ``out`` or a differentiable input requires grad;
- dtypes: most functions cast the result into ``out``'s dtype when torch's casting allows it (not float to
  integer, nothing but bool to bool); some want exactly the result's dtype (``SAME``); reductions compute in
  ``out``'s dtype (``REDUCE_IN_OUT``); factories make ``out``'s dtype (``FACTORIES``);
- the write lands in ``out``'s memory (a view's base sees it) and bumps its version counter.

Without ``out`` nothing of this runs: the call goes straight to the function.
"""
import functools
import warnings

from ._backend import PRINTED, device_of, dtype, get_array_module, torch_scalar_name
from ._tensor_str import return_type
from .autograd.grad_mode import STATE
from .tensor import Tensor, _bump_version, _INFERENCE_INPLACE, _SHARED_MEMORY

CAST = "result type {r} can't be cast to the desired output type {o}"
SAME = "Expected out tensor to have dtype {rc}, but got {oc} instead"
FOUND = "Found dtype {o} but expected {r}"
CAT = "{module}.cat(): input types can't be cast to the desired output type {o}"
RESIZED = ("An output with one or more elements was resized since it had shape {old}, which does not match the "
           "required output shape {new}. This behavior is deprecated, and in a future PyTorch release outputs will "
           "not be resized unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
           "inplace, to zero elements with t.resize_(0).")
NO_AUTOGRAD = ("{name}(): functions with out=... arguments don't support automatic differentiation, but one of the "
               "arguments requires grad.")

# functions that cast their result into out's dtype where torch's casting allows (the message when it does not)
CASTS = dict.fromkeys((
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "remainder", "floor_divide", "pow",
    "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt",
    "reciprocal", "sin", "cos", "tanh", "sigmoid", "logical_not", "logical_and", "logical_or", "log2", "log10",
    "square", "atan2", "arctan2", "hypot", "lerp", "addcmul", "addcdiv", "outer", "kron", "diff", "max", "min"), CAST)
CASTS["bernoulli"] = None  # draws of 0 and 1 go into any dtype
CASTS.update(dict.fromkeys(("cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack"), CAT))
# functions whose out must have the result's dtype exactly (torch's message for each; SAME where none is given)
SAME_DTYPE = dict.fromkeys(("matmul", "mm", "bmm", "mv", "cross", "gather", "scatter", "scatter_add", "tril", "triu",
                            "diag", "softmax", "log_softmax", "norm", "sort", "topk", "argmax", "argmin"), SAME)
SAME_DTYPE.update(dict.fromkeys(("neg", "negative", "abs", "absolute", "sign", "floor", "ceil", "round", "trunc",
                                 "clamp", "clip"), FOUND))
SAME_DTYPE.update({
    "where": "Expected out type to be {r} but got {o}",
    "amax": "Expected the dtype for input and out to match, but got {r} for input's dtype and {o} for out's dtype.",
    "amin": "Expected the dtype for input and out to match, but got {r} for input's dtype and {o} for out's dtype.",
    "kthvalue": "output values must be of same type as input",
    "median": "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type "
              "torch.{o}Tensor does not equal torch.{r}Tensor (while checking arguments for median)",
    "mode": "expected scalar type '{r}' but got '{o}' for values output",
    "cummax": "expected scalar_type {r} but found {o}", "cummin": "expected scalar_type {r} but found {o}",
    "dot": "result dtype {o} does not match input dtype {r}",
    "tensordot": "tensordot: Expected the output tensor to have dtype {r}, but got an output tensor with dtype {o}",
    "index_select": "index_select(): self and result must have the same scalar type",
    "masked_select": "masked_select(): self and result must have the same scalar type",
    "nonzero": "nonzero: Expected out tensor to have scalar type {r} but got scalar type{o}",
    "nan_to_num": "nan_to_num: dtype of out: {o} should be same as input: {r}",
    "any": "any only supports bool tensor for result, got: {o}",
    "all": "all only supports bool tensor for result, got: {o}",
    "multinomial": "multinomial expects Long tensor out, got: {o}",
})
SAME_DTYPE.update(dict.fromkeys(("addmm", "addmv", "baddbmm", "take_along_dim"), SAME))
SAME_DTYPE["addbmm"] = "self and mat2 must have the same dtype, but got {o} and {r}"
_SORTED = ("torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or Long(int64) depending "
           "on whether out_int32 flag is True, but we got output tensor's dtype {o} and out_int32 flag is {flag}")
SAME_DTYPE.update(dict.fromkeys(("searchsorted", "bucketize"), _SORTED))
CASTS.update(dict.fromkeys(("addr", "logaddexp", "xlogy"), CAST))
CASTS.update(dict.fromkeys((
    "tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "arctan", "arcsin", "arccos", "arcsinh",
    "arccosh", "arctanh", "exp2", "sinc", "logit", "deg2rad", "rad2deg", "angle", "erf", "erfc", "copysign",
    "nextafter", "logaddexp2", "fmod"), CAST))
CASTS.update(dict.fromkeys(("lgamma", "digamma", "polygamma", "erfinv", "i0"), CAST))
CASTS["mvlgamma"] = "mvlgamma: result type {r} can't be cast to the desired output type {r}"  # (torch's words)
SAME_DTYPE.update(dict.fromkeys(("frac", "fix", "sgn"), FOUND))
SAME_DTYPE.update({
    "signbit": "signbit does not support non-boolean outputs.",
    "float_power": "the output given to float_power has dtype {o} but the operation's result requires dtype {r}",
    "heaviside": "heaviside is not yet implemented for tensors with different dtypes.",
})
ALSO_ACCEPTED = {"any": "uint8", "all": "uint8"}  # the one other dtype these write (torch's legacy byte masks)
UNCASTABLE = {"diag": "diag: result type {r} can't be cast to the desired out= type {o}"}  # before SAME's message
# reductions that compute in out's dtype (the input converted first; None: any dtype)
FLOATS_ONLY = "logsumexp(): Expected floating point type for result tensor, but got: {o}"
NOT_BOOL = '"{name}_out_cpu" not implemented for \'{o}\''
NAN_FLOATS = '"nansum_cpu" not implemented for \'{o}\''
REDUCE_IN_OUT = {"mean": CAST, "var": CAST, "std": CAST, "logsumexp": FLOATS_ONLY, "sum": None, "prod": None,
                 "cumsum": NOT_BOOL, "cumprod": NOT_BOOL, "nansum": NAN_FLOATS, "nanmean": NAN_FLOATS}
# factories: out's dtype is the dtype they make
FACTORIES = ("zeros", "ones", "empty", "full", "eye", "arange", "linspace", "logspace", "rand", "randn", "randint",
             "randperm", "normal")
# torch resizes their out without a warning
RESIZE_SILENTLY = ("zeros", "ones", "empty", "full", "eye", "linspace", "logspace", "rand", "randn", "randint",
                   "randperm", "normal", "bernoulli", "multinomial", "addbmm")
RANGE_RESIZED = ("The number of elements in the out tensor of shape {old} is {old_n} which does not match the "
                 "computed number of elements {new_n}. Note that this may occur as a result of rounding error. The "
                 "out tensor will be resized to a tensor of shape {new_tuple}.")  # arange's own warning
TAKES_OUT = tuple(CASTS) + tuple(SAME_DTYPE) + tuple(REDUCE_IN_OUT) + FACTORIES
# functions outside ember's own namespace that take out= (torch.special's, under torch's names for them): as CASTS
ELSEWHERE = dict.fromkeys(("special_i0e", "special_i1", "special_i1e", "_fft_c2r", "_fftfreq", "_rfftfreq"), CAST)

_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
        "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def takes_out(fn, name):
    """fn with torch's ``out=`` keyword (see the module's docstring); fn itself when it has one (ember/__init__.py's
    wrappers that check their input handle out= in the same call, through into)."""
    code = getattr(fn, "__code__", None)
    if code is not None and "out" in code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]:
        return fn

    @functools.wraps(fn)
    def public(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return into(fn, name, args, kwargs, out)
    return public


def into(fn, name, args, kwargs, out):
    """fn(*args, **kwargs) written into out (a Tensor, or a tuple of them for (values, indices)); returns out."""
    if name not in TAKES_OUT and name not in ELSEWHERE:
        raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
    outs = out if isinstance(out, (tuple, list)) else (out,)
    bad = next((o for o in outs if not isinstance(o, Tensor)), None if outs else out)
    if bad is not None or not outs:
        raise TypeError(f"{name}(): argument 'out' must be Tensor (a tuple of Tensors where the function returns "
                        f"several), not {type(bad).__name__}")
    if STATE.enabled and any(o._requires_grad for o in outs):
        raise RuntimeError(NO_AUTOGRAD.format(name=name))
    if not STATE.inference and any(o._inference for o in outs):
        raise RuntimeError(_INFERENCE_INPLACE)
    first = outs[0]
    if name in FACTORIES:
        result = _factory(fn, args, kwargs, first)
    elif name in REDUCE_IN_OUT and type(kwargs.get("dtype")) is dtype and kwargs["dtype"] is not first.dtype:
        raise RuntimeError(_message(SAME, kwargs["dtype"], first.dtype))  # dtype= and out= must agree
    elif name in REDUCE_IN_OUT and isinstance(args[0], Tensor) and args[0].dtype is not first.dtype:
        if REDUCE_IN_OUT[name]:
            _check_cast(fn(*args, **kwargs).dtype, first.dtype, REDUCE_IN_OUT[name], name)
        result = fn(args[0].to(first.dtype), *args[1:], **kwargs)  # computed in out's dtype, as torch
    else:
        result = fn(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if not isinstance(result, tuple) and outs is out:
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if len(results) != len(outs):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(outs)}: this call of {name}() "
                        f"returns {len(results)} tensors, so out= takes a tuple of that many")
    if STATE.enabled and any(r._requires_grad for r in results):
        raise RuntimeError(NO_AUTOGRAD.format(name=name))
    if len(results) > 1:  # (values, indices): each exactly its result's dtype
        for i, (o, r) in enumerate(zip(outs, results)):
            if r.dtype is not o.dtype:
                raise RuntimeError(_message(SAME_DTYPE.get(name, SAME) if i == 0 else SAME, r.dtype, o.dtype))
    elif name in SAME_DTYPE:
        r, o = result.dtype, first.dtype
        if r is not o and ALSO_ACCEPTED.get(name) != o.name:
            raise RuntimeError(_message(UNCASTABLE[name] if name in UNCASTABLE and not _can_cast(r, o) else
                                        SAME_DTYPE[name], r, o))
    elif name in CASTS or name in ELSEWHERE:
        _check_cast(result.dtype, first.dtype, CASTS[name] if name in CASTS else ELSEWHERE[name], name)
    for o, r in zip(outs, results):
        _write(o, r, None if name in RESIZE_SILENTLY else RANGE_RESIZED if name == "arange" else RESIZED)
    if not isinstance(result, tuple):
        return out
    return _out_type(type(result))(*outs) if hasattr(result, "_fields") else tuple(outs)


@functools.lru_cache(maxsize=None)
def _out_type(cls):
    """torch.return_types.max_out for an out= call of max: the same fields under the name torch prints."""
    return return_type(cls.__name__ + "_out", cls._fields)


def _factory(fn, args, kwargs, out):
    """A factory makes out's dtype, on out's device; a different dtype= is torch's error."""
    asked = kwargs.get("dtype")
    if asked is not None and asked is not out.dtype:
        raise RuntimeError(f"dtype {torch_scalar_name(asked.np)} does not match dtype of out parameter "
                           f"({torch_scalar_name(out.dtype.np)})")
    requires_grad = kwargs.pop("requires_grad", False)
    result = fn(*args, **{"device": out.device, **kwargs, "dtype": out.dtype})
    if requires_grad:
        out.requires_grad_(True)
    return result


def _can_cast(r, o):
    """torch's canCast: never down a category (floating to integer or bool, integer to bool)."""
    return r._kind <= o._kind


def _check_cast(r, o, message, name):
    """Refuse writing a result of dtype r into out's dtype o (logsumexp: floats only; cumsum: not bool)."""
    if message is None:
        return
    if message is FLOATS_ONLY or message is NAN_FLOATS:
        allowed = o.is_floating_point
    elif message is NOT_BOOL:
        allowed = o._kind != 0
    else:
        allowed = _can_cast(r, o)
    if not allowed:
        error = TypeError if message is CAT else NotImplementedError if message in (NOT_BOOL, NAN_FLOATS) else \
            RuntimeError
        raise error(_message(message, r, o, name))


def _message(template, r, o, name=""):
    return template.format(r=torch_scalar_name(r.np), o=torch_scalar_name(o.np), rc=_CPP[r.name], oc=_CPP[o.name],
                           name=name, module=PRINTED.module, flag=r.name == "int32")


def _write(out, result, warning):
    """result's values into out's own memory (resized first when its shape differs, with torch's warning unless
    out was empty), as a new version of out."""
    data = result._data
    if type(data) is not type(out._data) or device_of(data) != device_of(out._data):
        raise RuntimeError(f"Expected out tensor to have device {device_of(data)}, but got {device_of(out._data)} "
                           "instead; make out on the device the inputs are on")
    if out._data.shape != data.shape:
        if out._data.size and warning and not (warning is RANGE_RESIZED and out._data.size == data.size):
            warnings.warn(warning.format(old=list(out._data.shape), new=list(data.shape), old_n=out._data.size,
                                         new_n=data.size, new_tuple=tuple(data.shape)), UserWarning, stacklevel=4)
        if out._view is not None:
            raise RuntimeError(f"out= is a view of another tensor with shape {list(out._data.shape)}, and the result "
                               f"has shape {list(data.shape)}: ember cannot resize a view; give out= the result's "
                               "shape, or a tensor of its own")
        if out._data.size >= data.size and out._data.flags.c_contiguous:  # shrinking keeps the memory, as torch's
            out._data = out._data.reshape(-1)[:data.size].reshape(data.shape)  # storage does (views of out see it)
        else:
            out._data = get_array_module(out._data).empty(data.shape, out._data.dtype)
    elif out._data.size > 1 and 0 in out._data.strides and any(st == 0 and n > 1 for n, st in
                                                                zip(out._data.shape, out._data.strides)):
        raise RuntimeError(_SHARED_MEMORY)
    out._data[...] = data
    _bump_version(out)
CASTS.update(dict.fromkeys((
    "fmax", "fmin", "logical_xor", "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift", "greater",
    "greater_equal", "less", "less_equal", "not_equal"), CAST))
SAME_DTYPE.update(dict.fromkeys(("clamp_min", "clamp_max"), FOUND))
SAME_DTYPE.update({
    "isposinf": "isposinf does not support non-boolean outputs.",
    "isneginf": "isneginf does not support non-boolean outputs.",
    "take": "take(): self and out expected to have the same dtype, but got self.dtype = {r} and out.dtype = {o}",
    "index_add": SAME,
    "frexp": "torch.frexp() expects mantissa to have dtype {rc} but got {oc}",
    "ldexp": "ldexp can't be cast to the desired output type {o}",  # (other floating outs: torch's internal assert)
})
TAKES_OUT = tuple(CASTS) + tuple(SAME_DTYPE) + tuple(REDUCE_IN_OUT) + FACTORIES
# functions outside ember's own namespace that take out= (torch.special's, under torch's names for them): as CASTS
ELSEWHERE = dict.fromkeys(("special_i0e", "special_i1", "special_i1e", "_fft_c2r", "_fftfreq", "_rfftfreq"), CAST)
