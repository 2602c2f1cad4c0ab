"""torch.fft: the discrete Fourier transforms, on NumPy's pocketfft, as far as real tensors carry them.

ember has no complex dtypes, so what exists is what a real tensor can hold:

- the complex-to-real transforms of a real input, read as a spectrum with zero imaginary parts: ``irfft``,
  ``irfft2``, ``irfftn``, ``hfft``, ``hfft2`` and ``hfftn`` (torch accepts real input for these too, and gives the same numbers), with
  ``n``/``s``, ``dim``, ``norm`` ("backward", "ortho", "forward" or None) and ``out=``; their gradients are the
  adjoint transforms (ember/ops/fft.py), of any order;
- ``fftfreq`` and ``rfftfreq`` (the sample frequencies), ``fftshift`` and ``ifftshift`` (rolls, so their gradient is
  roll's).

Every transform whose result is complex (``fft``, ``ifft``, ``rfft``, ``fft2``, ``ifft2``, ``rfft2``, ``fftn``,
``ifftn``, ``rfftn``, ``ihfft``, ``ihfft2``, ``ihfftn``) raises NotImplementedError saying so:
a spectrum's magnitude such as ``torch.fft.rfft(x).abs()`` needs complex tensors, which ember does not have.

Where it differs from torch: the graph of ``irfft(x)`` is one ``FftC2RBackward0`` node (torch records a
``ToCopyBackward0`` under it for the real input's conversion to complex, ``ConjBackward0`` for ``hfft``, and
``ConstantPadNdBackward0``/``SliceBackward0`` when ``n`` pads or crops); float32 is computed in float64 and rounded
once, so it agrees with torch's float32 kernels to float32's rounding, not bit for bit.
"""
import numbers

import numpy as np

import ember as _e
from . import _out
from ._backend import DEFAULTS, float16, normalize_dim
from .ops.fft import DUAL, FftC2R
from .tensor import Tensor

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "hfftn", "ihfft2", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

NORMS = (None, "backward", "forward", "ortho")


def _input(x, name):
    """The tensor to transform: integers and bools become the default float dtype; half is refused (as torch's CPU)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if x.dtype is float16:
        raise RuntimeError("Unsupported dtype Half")
    if not x.dtype.is_floating_point:
        x = x.to(DEFAULTS.float_dtype)
    return x


def _check_norm(norm):
    if norm not in NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _int_arg(value, what, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"fft_{name}(): argument '{what}' must be int, not {type(value).__name__}")
    return int(value)


def _dims(x, dim, name, unique=True):
    """dim (an int or a sequence) -> a tuple of dims in 0..ndim-1, with torch's errors."""
    dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
    out = []
    for d in dims:
        d = _int_arg(d, "dim", name)
        if x.ndim == 0:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        out.append(normalize_dim(d, x.ndim))
    if unique and len(set(out)) != len(out):
        raise RuntimeError("FFT dims must be unique")
    return tuple(out)


def _length(n, name):
    """irfft's and hfft's n as a one-entry s (where -1 is no default: torch's error, as for any n < 1)."""
    if n is None:
        return None
    n = _int_arg(n, "n", name)
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return [n]


def _c2r(x, s, dim, norm, name, out):
    """irfftn's shared body: the output sizes s along dims, the last one the real signal's length."""
    x = _input(x, name)
    if s is not None:
        s = [_int_arg(n, "s", name) for n in ([s] if isinstance(s, numbers.Integral) else s)]
    if dim is None:
        if s is not None and len(s) > x.ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.ndim} dimensions.")
        dims = tuple(range(x.ndim - len(s), x.ndim)) if s is not None else tuple(range(x.ndim))
    else:
        dims = _dims(x, dim, name)
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    sizes = [x.shape[d] for d in dims]
    sizes[-1] = 2 * (sizes[-1] - 1)
    if s is not None:
        sizes = [size if n == -1 else n for n, size in zip(s, sizes)]
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    _check_norm(norm)
    if out is not None:
        return _out.into(lambda: FftC2R.apply(x, tuple(sizes), dims, norm), "_fft_c2r", (), {}, out)
    return FftC2R.apply(x, tuple(sizes), dims, norm)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of rfft: n real samples (default 2 * (size - 1)) from a one-sided spectrum along dim."""
    n = _length(n, "irfft")
    return _c2r(input, n, [_int_arg(dim, "dim", "irfft")], norm, "irfft", out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """irfftn over two dims (the last two by default)."""
    return _c2r(input, s, dim, norm, "irfft2", out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of rfftn: a real signal of sizes s from a spectrum one-sided in the last of dims."""
    return _c2r(input, s, dim, norm, "irfftn", out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The spectrum (real) of a Hermitian-symmetric signal given by its first half: irfft of the conjugate, with
    the opposite normalization ("backward", the default, leaves hfft unscaled)."""
    _check_norm(norm)
    n = _length(n, "hfft")
    return _c2r(input, n, [_int_arg(dim, "dim", "hfft")], DUAL[norm], "hfft", out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """hfftn over two dims (the last two by default)."""
    _check_norm(norm)
    return _c2r(input, s, dim, DUAL[norm], "hfft2", out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional hfft: the DFT over the other dims, conjugated, then the c2r transform over the last. For a
    real input that is irfftn with the opposite normalization."""
    _check_norm(norm)
    return _c2r(input, s, dim, DUAL[norm], "hfftn", out)


def _complex_result(name):
    def transform(input, *args, **kwargs):
        raise NotImplementedError(
            f"torch.fft.{name} returns a complex tensor, and ember has no complex dtypes (complex64, complex128), so "
            f"it is not available (nor is, e.g., torch.fft.{name}(x).abs()). The transforms with real results are: "
            "irfft, irfft2, irfftn, hfft, hfft2, hfftn, fftfreq, rfftfreq, fftshift, ifftshift.")
    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"torch.fft.{name}: refused, its result is complex (ember has no complex dtypes)."
    return transform


fft, ifft, rfft, fft2, ifft2, rfft2, fftn, ifftn, rfftn, ihfft, ihfft2, ihfftn = (
    _complex_result(name) for name in ("fft", "ifft", "rfft", "fft2", "ifft2", "rfft2", "fftn", "ifftn", "rfftn",
                                       "ihfft", "ihfft2", "ihfftn"))


def _frequencies(n, d, dtype, device, requires_grad, out, name, onesided):
    n = _int_arg(n, "n", name)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"fft_{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if dtype is not None and dtype is not out.dtype:
            raise RuntimeError(f"dtype {dtype.name} does not match dtype of out parameter ({out.dtype.name})")
        dtype, device = out.dtype, out.device
    dtype = DEFAULTS.float_dtype if dtype is None else _e._backend.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if onesided:
        k = np.arange(n // 2 + 1)
    else:
        k = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
    # torch: the integers in the dtype, times the scalar 1 / (n d) rounded to that dtype (inf for n d = 0: 0 * inf
    # is rfftfreq(0)'s one NaN, as torch's)
    scale = dtype.np.type(1.0 / (n * d) if n * d else np.inf)
    with np.errstate(invalid="ignore", over="ignore"):
        values = k.astype(dtype.np) * scale
    result = _e.tensor(values.astype(dtype.np, copy=False), dtype=dtype, device=device)
    if out is not None:
        return _out.into(lambda: result, "_" + name, (), {}, out)
    return result.requires_grad_(True) if requires_grad else result


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point DFT with sample spacing d: [0, 1, ..., -2, -1] / (n d)."""
    return _frequencies(n, d, dtype, device, requires_grad, out, "fftfreq", False)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of rfft's n // 2 + 1 bins: [0, 1, ..., n // 2] / (n d)."""
    return _frequencies(n, d, dtype, device, requires_grad, out, "rfftfreq", True)


def _shift(x, dim, name, shift):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    dims = tuple(range(x.ndim)) if dim is None else _dims(x, dim, name, unique=False)  # (a dim twice: rolled twice)
    return _e.roll(x, [shift(x.shape[d]) for d in dims], list(dims))


def fftshift(input, dim=None):
    """The zero frequency moved to the middle: a roll by size // 2 along dim (all dims by default)."""
    return _shift(input, dim, "fftshift", lambda n: n // 2)


def ifftshift(input, dim=None):
    """fftshift undone: a roll by (size + 1) // 2 along dim (all dims by default)."""
    return _shift(input, dim, "ifftshift", lambda n: (n + 1) // 2)
