"""torch.special: the special functions ember can give from its own ops.

Most are torch.special's names for functions ember already has (``expit`` is ``sigmoid``); ``xlog1py``, ``ndtr``
and ``log_ndtr`` are composites of ember's differentiable ops, so their gradients come from autograd; ``entr`` is
an op of its own (ember/ops/elementwise.py), whose gradient is torch's formula.
Each is checked against torch in tests/test_special.py.

``out=``: the functions that are ember's own (``expit``, ``logit``, ``erf``, ``erfc``, ``exp2``, ``expm1``,
``log1p``, ``sinc``, ``xlogy``, ``round``, ``logsumexp``) take it as ember's do (ember/_out.py). The composites
(``xlog1py``, ``entr``, ``ndtr``, ``log_ndtr``) do not take ``out=``: assign the result instead. ``softmax`` and
``log_softmax`` take none, as in torch.

Where they differ from torch: ``log_ndtr`` matches torch on moderate inputs (|x| up to about 30) and is -inf below
about -38, where torch stays finite (it uses erfcx, which NumPy lacks).

The gamma family (``gammaln``, ``digamma``/``psi``, ``polygamma``, ``multigammaln``), ``erfinv`` and the modified
Bessel functions ``i0``, ``i0e``, ``i1``, ``i1e`` are ops of their own (ember/ops/special_functions.py, which says how
closely each gives torch's bits); all take ``out=``.

Not available (they need special-function libraries NumPy lacks): ``gammainc``, ``gammaincc``, ``erfcx``,
``ndtri``, ``bessel_j0``, ``bessel_j1``, ``bessel_y0``, ``bessel_y1``, ``modified_bessel_*``,
``scaled_modified_bessel_*``, ``spherical_bessel_j0``, ``airy_ai``, ``zeta``, and the orthogonal polynomials
(``chebyshev_polynomial_*``, ``shifted_chebyshev_polynomial_*``, ``hermite_polynomial_*``,
``laguerre_polynomial_l``, ``legendre_polynomial_p``).
"""
import math

import ember as _e
from .ops.composite import _tensors
from .ops import elementwise as _ew
from .ops.elementwise import _floating
from .ops import special_functions as _sf
from . import _out

__all__ = ["expit", "logit", "erf", "erfc", "exp2", "expm1", "log1p", "sinc", "xlogy", "xlog1py", "round",
           "softmax", "log_softmax", "logsumexp", "entr", "ndtr", "log_ndtr", "gammaln", "digamma", "psi",
           "polygamma", "multigammaln", "erfinv", "i0", "i0e", "i1", "i1e"]

# torch.special's names for ember's functions. Wrappers, not aliases: ember/__init__.py imports this module before
# it defines (and wraps with out=) its own functions, so each looks ember's up when called.
def expit(input, *, out=None):
    """The logistic sigmoid, 1 / (1 + exp(-x))."""
    return _e.sigmoid(input, out=out)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)); with eps, p is first clamped to [eps, 1 - eps]."""
    return _e.logit(input, eps, out=out)


def erf(input, *, out=None):
    """The error function."""
    return _e.erf(input, out=out)


def erfc(input, *, out=None):
    """The complementary error function, 1 - erf(x), accurate in the tail."""
    return _e.erfc(input, out=out)


def exp2(input, *, out=None):
    """2 to the power of each element."""
    return _e.exp2(input, out=out)


def expm1(input, *, out=None):
    """exp(x) - 1, accurate near 0."""
    return _e.expm1(input, out=out)


def log1p(input, *, out=None):
    """log(1 + x), accurate near 0."""
    return _e.log1p(input, out=out)


def sinc(input, *, out=None):
    """The normalized sinc, sin(pi x) / (pi x), 1 at 0."""
    return _e.sinc(input, out=out)


def xlogy(input, other, *, out=None):
    """input * log(other), 0 where input is 0 (unless other is nan)."""
    return _e.xlogy(input, other, out=out)


def round(input, *, decimals=0, out=None):
    """Round half to even, to decimals places."""
    return _e.round(input, decimals=decimals, out=out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(x))) along dim, computed stably."""
    return _e.logsumexp(input, dim, keepdim, out=out)


def softmax(input, dim, *, dtype=None):
    """softmax along dim (torch.special's takes dim as required, and no out=)."""
    return _e.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log of softmax along dim, computed stably."""
    return _e.log_softmax(input, dim, dtype=dtype)


def xlog1py(input, other):
    """input * log1p(other), 0 where input is 0 (unless other is nan). The gradient is torch's: log1p(other) for
    input (0 where input is 0 and other <= -1), input / (1 + other) for other."""
    a, b = _tensors("xlog1py", input, other)
    unsafe = (a == 0) & ~_e.isnan(b) & ~((b > -1) & _e.isfinite(b))  # 0 * log1p(other) would be nan, torch has 0
    return a * _e.where(unsafe, 0.0, b).log1p()


def entr(input):
    """Elementwise entropy: -x log x for x > 0, 0 at 0, -inf for x < 0 (nan stays nan); its gradient is torch's
    -(1 + log x) everywhere (inf at 0)."""
    return _ew.Entr.apply(_floating(input))


def ndtr(input):
    """The standard normal CDF, 0.5 * (1 + erf(x / sqrt 2)): torch's formula, so its lower tail is torch's too
    (0 below about -8.3, where 1 + erf rounds to 0; log_ndtr keeps that tail)."""
    x = _floating(input)
    return 0.5 * (1 + _e.erf(x * math.sqrt(0.5)))


def log_ndtr(input):
    """log of the standard normal CDF: log(erfc(-x / sqrt 2) / 2) below 0 (in float64, so float32's tail does not
    underflow), log1p(-erfc(x / sqrt 2) / 2) from 0 up (so the upper tail is not lost to 1 - tiny). Each branch sees
    only its own half of x, so neither gives the other a nan gradient."""
    x = _floating(input)
    low = x < 0
    lower = (0.5 * _e.erfc(-_e.where(low, x, 0.0).double() * math.sqrt(0.5))).log().to(x.dtype)
    upper = (-0.5 * _e.erfc(_e.where(low, 0.0, x) * math.sqrt(0.5))).log1p()
    return _e.where(low, lower, upper)


def gammaln(input, *, out=None):
    """log |Gamma(x)| (torch.lgamma)."""
    return _e.lgamma(input, out=out)


def digamma(input, *, out=None):
    """Gamma'(x) / Gamma(x) (torch.digamma)."""
    return _e.digamma(input, out=out)


psi = digamma


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (torch.polygamma)."""
    return _e.polygamma(n, input, out=out)


def multigammaln(input, p, *, out=None):
    """The multivariate log-gamma function of dimension p (torch.mvlgamma)."""
    return _e.mvlgamma(input, p, out=out)


def erfinv(input, *, out=None):
    """The inverse error function (torch.erfinv)."""
    return _e.erfinv(input, out=out)


def i0(input, *, out=None):
    """The modified Bessel function of the first kind, order 0 (torch.i0)."""
    return _e.i0(input, out=out)


def _own(fn, name, input, out):
    """torch.special's functions that have no torch.* name: out= through ember/_out.py under torch's name."""
    if not isinstance(input, _e.Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return fn(input) if out is None else _out.into(fn, name, (input,), {}, out)


def i0e(input, *, out=None):
    """exp(-|x|) I0(x), I0 without its exponential growth."""
    return _own(_sf.i0e, "special_i0e", input, out)


def i1(input, *, out=None):
    """The modified Bessel function of the first kind, order 1."""
    return _own(_sf.i1, "special_i1", input, out)


def i1e(input, *, out=None):
    """exp(-|x|) I1(x)."""
    return _own(_sf.i1e, "special_i1e", input, out)
