"""The gamma family, erfinv and the modified Bessel functions: lgamma, digamma, polygamma, mvlgamma, erfinv, i0, i0e,
i1, i1e.

NumPy has none of them, so each is computed here on whole arrays, following the algorithm torch's CPU kernel runs
(so that the numbers are torch's, bit for bit where the same operations can be done in the same order):

- digamma, trigamma, polygamma, i0, i0e, i1, i1e: torch's own code (ATen's Math.h, derived from the Cephes
  library), float32 computed in float32 as torch does, each a * b + c of its polynomials fused into one rounding as
  the compiler fuses torch's (an FMA). The C library functions it calls (log, exp, sin, tan, erf)
  are NumPy's in float64, which give the C library's bits on float64; for float32 torch calls the float versions
  (logf, expf, ...), which are rounded here from float64: the correctly rounded value, which the C library's float
  functions miss now and then by one unit.
- erfinv: torch's CPU kernel is MKL's (closed, correctly rounded in all but about one case in 2000); ember computes
  it to about 1 ulp in float64 (see erfinv_array) and rounds.
- lgamma: torch's CPU kernel is SLEEF's vectorised lgamma (accurate to one unit in the last place, and correctly
  rounded about 99% of the time). ember computes lgamma to about 64 bits in NumPy's extended precision (longdouble)
  and rounds once, so it gives the correctly rounded value almost everywhere, and with it torch's bits wherever
  SLEEF's are correctly rounded. Where longdouble is only double (Windows, ARM macOS) it is good to a few units.

The ops' backwards are torch's formulas: lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n+1),
erfinv' = sqrt(pi)/2 exp(erfinv(x)^2), i0' = i1, i0e' = i1e - sgn(x) i0e, i1' = i0 - i1/x, i1e' = i0e - i1e (sgn(x)
+ 1/x) (0.5 at 0), written with ember ops so that they differentiate again.
"""
import math

import numpy as np

from .._backend import silently
from ..autograd.function import Op
from .elementwise import _floating, fma, where
from ..tensor import Tensor, _wrap


# ----------------------------------------------------------------------------
# helpers: the arithmetic of torch's kernels on arrays
# ----------------------------------------------------------------------------
def _libm(fn, x):
    """A C library function torch's kernel calls (log, exp, sin, sqrt...) on x's dtype: float64 directly (NumPy's
    float64 functions give the C library's bits), float32 computed in float64 and rounded once."""
    if x.dtype == np.float64:
        return fn(x)
    return fn(x.astype(np.float64)).astype(x.dtype)


def _fused(a, b, c):
    """a * b + c rounded once: the compiler fuses torch's polynomial steps into one multiply-add (FMA)."""
    if a.dtype == np.float64 or getattr(b, "dtype", None) == np.float64:
        return fma(a, b, c)
    dt = a.dtype
    return (a.astype(np.float64) * np.float64(b) + np.asarray(c, np.float64)).astype(dt)


def _horner(z, coefficients):
    """polevl: c[0] z^n + ... + c[n], each step one fused multiply-add, in z's dtype."""
    t = z.dtype.type
    result = np.zeros_like(z)
    for c in coefficients:
        result = _fused(result, z, t(c))
    return result


def _chebyshev(x, coefficients):
    """chbevl: the sum of c[i] T_i(x/2), Clenshaw's recurrence b0 = x b1 - b2 + c[i] (x b1 - b2 fused), in x's
    dtype; the coefficients run from the highest order down."""
    t = x.dtype.type
    b0, b1, b2 = np.full_like(x, t(coefficients[0])), np.zeros_like(x), np.zeros_like(x)
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = _fused(x, b1, -b2) + t(c)
    return t(0.5) * (b0 - b2)


# ----------------------------------------------------------------------------
# lgamma, in extended precision
# ----------------------------------------------------------------------------
_LD = np.longdouble
_LD_PI = _LD("3.14159265358979323846264338327950288")
_LD_HALF_LOG_2PI = _LD("0.918938533204672741780329736405617640")
_LD_EULER = _LD("0.577215664901532860606512090082402431")


def _zeta_values(last):
    """zeta(2), ..., zeta(last) in longdouble: the sum to 15, then the Euler-Maclaurin tail from 16."""
    bernoulli = (1 / _LD(6), -1 / _LD(30), 1 / _LD(42), -1 / _LD(30), 5 / _LD(66), -691 / _LD(2730), 7 / _LD(6))
    n = _LD(16)
    values = []
    for k in range(2, last + 1):
        s = sum(_LD(m) ** -k for m in range(1, 16))
        s += n ** (1 - k) / (k - 1) + n ** -k / 2
        rising, factorial = _LD(k), _LD(2)  # k (k+1) ... (k+2j-2) / (2j)!
        for j, b in enumerate(bernoulli, 1):
            s += b / factorial * rising * n ** (-k - 2 * j + 1)
            rising *= (k + 2 * j - 1) * (k + 2 * j)
            factorial *= (2 * j + 1) * (2 * j + 2)
        values.append(s)
    return values


# lgamma(1 + z) = -euler z + sum over k >= 2 of (-1)^k zeta(k) z^k / k, for |z| <= 1/2 (terms below 2^-70 by k = 64)
_LGAMMA1_SERIES = [(-1) ** k * zeta / k for k, zeta in enumerate(_zeta_values(64), 2)]
# Stirling's series: lgamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + sum of B_2k / (2k (2k-1) x^(2k-1)), x >= 16
_STIRLING = [_LD(b) / (2 * k * (2 * k - 1)) for k, b in enumerate(
    (1 / _LD(6), -1 / _LD(30), 1 / _LD(42), -1 / _LD(30), 5 / _LD(66), -691 / _LD(2730), 7 / _LD(6),
     -3617 / _LD(510), 43867 / _LD(798), -174611 / _LD(330)), 1)]


def _lgamma_near_one(z):
    """lgamma(1 + z) for |z| <= 1/2, by its Taylor series (no cancellation near the roots 1 and 2)."""
    total = np.zeros_like(z)
    for c in reversed(_LGAMMA1_SERIES):
        total = (total + c) * z
    return (total - _LD_EULER) * z + 0  # (+0, not -0, at z = 0: lgamma(1) = +0)


def _lgamma_positive(x):
    """lgamma of longdouble x > 0 (finite): the series about 1 and 2 on [1/2, 5/2], x brought down into [3/2, 5/2]
    with lgamma(x) = log((x-1)(x-2)...(x-n)) + lgamma(x-n) below 16, Stirling's series from 16 on, and
    lgamma(x) = lgamma(1 + x) - log x below 1/2."""
    out = np.empty_like(x)
    tiny = x < 0.5
    if tiny.any():
        out[tiny] = _lgamma_near_one(x[tiny]) - np.log(x[tiny])
    near1 = (x >= 0.5) & (x < 1.5)
    out[near1] = _lgamma_near_one(x[near1] - 1)
    mid = (x >= 1.5) & (x < 16)
    if mid.any():
        y = x[mid]
        product = np.ones_like(y)
        while True:
            high = y >= 2.5
            if not high.any():
                break
            y = np.where(high, y - 1, y)
            product = np.where(high, product * y, product)
        z = y - 2
        out[mid] = np.log(product) + np.log1p(z) + _lgamma_near_one(z)
    big = x >= 16
    if big.any():
        y = x[big]
        w = 1 / (y * y)
        series = np.zeros_like(y)
        for c in reversed(_STIRLING):
            series = series * w + c
        out[big] = (y - 0.5) * np.log(y) - y + _LD_HALF_LOG_2PI + series / y
    return out


def lgamma_array(a):
    """log |Gamma(a)| in a's dtype: +inf at 0 and the negative integers and at +-inf, NaN for NaN. Negative
    arguments by the reflection lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x), sin taken of the distance to
    the nearest integer."""
    x = a.astype(_LD)
    out = np.full(x.shape, np.inf, _LD)
    out[np.isnan(x)] = np.nan
    pole = (x <= 0) & (x == np.floor(x))
    positive = (x > 0) & np.isfinite(x)
    out[positive] = _lgamma_positive(x[positive])
    negative = (x < 0) & ~pole & np.isfinite(x)
    if negative.any():
        v = x[negative]
        r = v - np.round(v)
        out[negative] = np.log(_LD_PI / np.abs(np.sin(_LD_PI * r))) - _lgamma_positive(1 - v)
    with silently(over="ignore"):
        return out.astype(a.dtype)


# ----------------------------------------------------------------------------
# digamma, trigamma, polygamma (ATen's calc_digamma, trigamma, calc_polygamma and zeta)
# ----------------------------------------------------------------------------
_PSI_10 = 2.25175258906672110764  # digamma(10)
_DIGAMMA_ASYMPTOTIC = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                       -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                       8.33333333333333333333E-2)


def digamma_array(a):
    """digamma in a's dtype: -inf at +0 and +inf at -0, NaN at the negative integers (and -inf), the reflection
    digamma(x) = digamma(1 - x) - pi / tan(pi frac(x)) below 0 (pi / tan in float64, as torch, for float32 too),
    then x pushed up to 10 or past it (digamma(x) = digamma(x + 1) - 1/x), then the asymptotic series."""
    t = a.dtype.type
    with silently(divide="ignore", invalid="ignore", over="ignore"):
        negative = a < 0
        reflected = negative & (a != np.trunc(a))
        x = np.where(reflected, t(1) - a, np.where(negative, t(np.nan), a))  # (a negative integer: NaN)
        result = np.zeros_like(x)
        while True:
            low = x < 10
            if not low.any():
                break
            result = np.where(low, result - t(1) / x, result)
            x = np.where(low, x + t(1), x)
        z = t(1) / (x * x)
        y = np.where(x < t(1e17), z * _horner(z, _DIGAMMA_ASYMPTOTIC), t(0))
        out = np.where(x == 10, result + t(_PSI_10), result + _libm(np.log, x) - t(0.5) / x - y)
        if reflected.any():
            r = np.modf(a.astype(np.float64))[0]
            out = np.where(reflected, out - (math.pi / np.tan(math.pi * r)).astype(a.dtype), out)
        out = np.where(negative & ~reflected, t(np.nan), out)
        return np.where(a == 0, np.copysign(t(np.inf), -a), out)


def trigamma_array(a):
    """polygamma(1, x) in a's dtype: the reflection below 1/2 (-pi^2 / sin^2(pi x)), six steps up
    (1/x^2 each), then the asymptotic series."""
    t = a.dtype.type
    pi = t(math.pi)
    with silently(divide="ignore", invalid="ignore", over="ignore"):
        low = a < t(0.5)
        sin_pi_x = _libm(np.sin, pi * a)
        result = np.where(low, -(pi * pi) / (sin_pi_x * sin_pi_x), t(0))
        x = np.where(low, t(1) - a, a)
        for _ in range(6):
            result = result + t(1) / (x * x)
            x = x + t(1)
        ixx = t(1) / (x * x)
        inner = t(1) / 30 - ixx * (t(1) / 42) if t is np.float32 else 1. / 30 - ixx * (1. / 42)
        sixth = t(1) / 6 if t is np.float32 else t(1. / 6)
        result = result + (t(1) + t(1) / (t(2) * x) + ixx * (sixth - ixx * inner)) / x
        return np.where(low, -result, result)


_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17,
           -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042E-16


def zeta_array(s, q):
    """The Hurwitz zeta function zeta(s, q) = sum over k >= 0 of (q + k)^-s, for an integer s >= 2 and a float64
    array q (Cephes's algorithm, as torch's: direct sums until a term is below 2^-53 of the total, taking at least
    nine and going on while q + k <= 9, then the Euler-Maclaurin tail), each element stopping where torch's loop
    stops. +inf at q = 0 and the negative integers."""
    with silently(divide="ignore", invalid="ignore", over="ignore"):
        total = np.power(q, -s)
        a, b = q.copy(), np.zeros_like(q)
        pole = (q <= 0) & (q == np.floor(q))  # (torch returns inf there before the sums)
        looping, finished = ~pole, pole.copy()
        i = 0
        while True:
            looping &= (i < 9) | (a <= 9.0)
            if not looping.any():
                break
            i += 1
            a = np.where(looping, a + 1, a)
            b = np.where(looping, np.power(a, -s), b)
            total = np.where(looping, total + b, total)
            small = looping & (-_MACHEP * total < b) & (b < _MACHEP * total)
            finished |= small
            looping &= ~small
        w = a  # the Euler-Maclaurin tail from w on, for the elements the sums did not finish
        total = np.where(finished, total, total + b * w / (s - 1))
        total = np.where(finished, total, total - 0.5 * b)
        rising, k = 1.0, 0.0
        for A in _ZETA_A:
            rising *= s + k
            b = b / w
            term = rising * b / A
            total = np.where(finished, total, total + term)
            finished |= np.abs(term / total) < _MACHEP
            k += 1
            rising *= s + k
            b = b / w
            k += 1
        return np.where(pole, np.inf, total)


def _c_lgamma_exp(n, dtype):
    """exp(lgamma(n)) of the integer n in dtype, as torch's polygamma computes its n! (the C library's lgamma and
    exp, or lgammaf and expf for float32; Python's own lgamma where the C library cannot be loaded)."""
    import ctypes
    import ctypes.util
    single = dtype == np.float32
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        c_type = ctypes.c_float if single else ctypes.c_double
        lgamma, exp = (libm.lgammaf, libm.expf) if single else (libm.lgamma, libm.exp)
        for f in (lgamma, exp):
            f.restype, f.argtypes = c_type, [c_type]
        return dtype.type(exp(lgamma(float(n))))
    except (OSError, AttributeError, TypeError):
        value = dtype.type(math.lgamma(n))
        return dtype.type(math.exp(value))


def polygamma_array(n, a):
    """The n-th derivative of digamma in a's dtype: digamma for n = 0, trigamma for 1, else
    (-1)^(n+1) n! zeta(n + 1, x), zeta in float64 (torch's accumulation type) also for float32."""
    if n == 0:
        return digamma_array(a)
    if n == 1:
        return trigamma_array(a)
    t = a.dtype.type
    factor = t(1 if n % 2 else -1) * _c_lgamma_exp(n + 1, a.dtype)
    with silently(over="ignore", invalid="ignore"):
        return factor * zeta_array(float(t(n + 1)), a.astype(np.float64)).astype(a.dtype)


# ----------------------------------------------------------------------------
# erfinv (ATen's calc_erfinv: a rational first guess, then two Newton steps)
# ----------------------------------------------------------------------------
_ERFINV_A = (-0.140543331, 0.914624893, -1.645349621, 0.886226899)  # highest power first
_ERFINV_B = (0.012229801, -0.329097515, 1.442710462, -2.118377725, 1.0)
_ERFINV_C = (1.641345311, 3.429567803, -1.624906493, -1.970840454)
_ERFINV_D = (1.637067800, 3.543889200, 1.0)
_erf64 = np.vectorize(math.erf, otypes=[np.float64])  # the C library's erf (NumPy has none)


_erfc64 = np.vectorize(math.erfc, otypes=[np.float64])


def erfinv_array(y):
    """The inverse error function in y's dtype: NaN outside [-1, 1], +-inf at +-1.

    torch's CPU kernel is MKL's vector erfinv (closed, correctly rounded in all but about one case in 2000), not the
    Newton iteration in ATen's Math.h, which loses digits near +-1 (erf(x) - y cancels there). So ember computes
    erfinv to about 1 ulp in float64 and rounds: ATen's rational first guess, then Newton steps on erf(x) = y while
    |y| <= 1/2 and on erfc(|x|) = 1 - |y| (exact in floating point) beyond, where erfc keeps its digits."""
    with silently(divide="ignore", invalid="ignore", over="ignore"):
        v = y.astype(np.float64)
        v_abs = np.abs(v)
        z = v * v
        central = v * _horner(z, _ERFINV_A) / _horner(z, _ERFINV_B)
        w = np.sqrt(-np.log((1 - v_abs) / 2))
        tail = np.copysign(_horner(w, _ERFINV_C), v) / _horner(w, _ERFINV_D)
        x = np.where(v_abs <= 0.7, central, tail)
        inner = v_abs <= 0.5
        x = np.where(np.isfinite(x), x, 0.0)
        for _ in range(3):
            slope = (2 / math.sqrt(math.pi)) * np.exp(-x * x)
            step_inner = (_erf64(x) - v) / slope if x.size else x
            step_outer = ((1 - v_abs) - _erfc64(np.abs(x))) * np.sign(v) / slope if x.size else x
            x = x - np.where(inner, step_inner, step_outer)
        x = np.where(v_abs == 1, np.copysign(np.inf, v), x)
        return np.where(v_abs > 1, np.nan, np.where(np.isnan(v), v, x)).astype(y.dtype)


# ----------------------------------------------------------------------------
# the modified Bessel functions of the first kind (ATen's calc_i0, calc_i0e, calc_i1, calc_i1e)
# ----------------------------------------------------------------------------
# Chebyshev coefficients (Cephes): exp(-x) I0(x) on [0, 8], and exp(-x) sqrt(x) I0(x) on [8, inf) in 32/x
_I0E_A = (-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
          1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
          -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
          9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
          -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
          1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
          -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
          1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
          -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
          1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1)
_I0E_B = (-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
          3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
          1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
          -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
          7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
          -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
          3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
          2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
          8.04490411014108831608E-1)
# exp(-x) I1(x) / x on [0, 8], and exp(-x) sqrt(x) I1(x) on [8, inf); float32 uses only the last terms of each
_I1E_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
          -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
          3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
          -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
          9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
          -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
          4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
          -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
          2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
          -1.76416518357834055153E-1, 2.52587186443633654823E-1)
_I1E_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
          -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
          -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
          4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
          -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
          3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
          -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
          -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
          7.78576235018280120474E-1)
_I1E_A_FLOAT, _I1E_B_FLOAT = _I1E_A[-17:], _I1E_B[-7:]


def _bessel(a, order, scaled):
    """I0 or I1 of a (exp(-|x|) times it when scaled) in a's dtype: a Chebyshev series in x/2 - 2 up to 8, in
    32/x - 2 beyond (divided by sqrt(x)); I1 is odd, I0 even."""
    t = a.dtype.type
    single = a.dtype == np.float32
    low_coefficients, high_coefficients = ((_I0E_A, _I0E_B) if order == 0 else
                                           (_I1E_A_FLOAT, _I1E_B_FLOAT) if single else (_I1E_A, _I1E_B))
    with silently(divide="ignore", invalid="ignore", over="ignore"):
        x = np.abs(a)
        low = x <= t(8)
        series = _chebyshev(x / t(2) - t(2), low_coefficients)
        high = _chebyshev(t(32) / x - t(2), high_coefficients) / _libm(np.sqrt, x)
        if scaled:
            out = np.where(low, series if order == 0 else series * x, high)
        else:
            e = _libm(np.exp, x)  # (torch: exp(x) * chbevl, exp(x) * x * chbevl, (exp(x) * chbevl) / sqrt(x))
            high = e * _chebyshev(t(32) / x - t(2), high_coefficients) / _libm(np.sqrt, x)
            out = np.where(low, e * series if order == 0 else e * x * series, high)
        return np.where(a < 0, -out, out) if order == 1 else out


def i0_array(a):
    return _bessel(a, 0, False)


def i0e_array(a):
    return _bessel(a, 0, True)


def i1_array(a):
    return _bessel(a, 1, False)


def i1e_array(a):
    return _bessel(a, 1, True)


# ----------------------------------------------------------------------------
# the ops
# ----------------------------------------------------------------------------
class Lgamma(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return lgamma_array(a)

    @staticmethod
    def backward(ctx, grad):  # d lgamma(x)/dx = digamma(x)
        (a,) = ctx.saved_tensors
        return grad * Digamma.apply(a)


class Digamma(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return digamma_array(a)

    @staticmethod
    def backward(ctx, grad):  # d digamma(x)/dx = polygamma(1, x)
        (a,) = ctx.saved_tensors
        return grad * Polygamma.apply(a, 1)


class Polygamma(Op):
    @staticmethod
    def forward(ctx, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        return polygamma_array(n, a)

    @staticmethod
    def backward(ctx, grad):  # d polygamma(n, x)/dx = polygamma(n + 1, x)
        (a,) = ctx.saved_tensors
        return grad * Polygamma.apply(a, ctx.n + 1), None


class PolygammaInplace(Polygamma):
    """x.polygamma_(n): torch's node for the in-place form is PolygammaBackward1."""
    _name, _overload = "Polygamma", 1


def _mvlgamma_offsets(p, dtype):
    """-(p-1)/2, ..., -1/2, 0: the shifts of x whose lgammas mvlgamma adds (torch's arange, in x's dtype)."""
    return np.arange(-p * 0.5 + 0.5, 0.5, 0.5).astype(dtype)


class Mvlgamma(Op):
    @staticmethod
    def forward(ctx, a, p):
        ctx.save_for_backward(a)
        ctx.p = p
        total = lgamma_array(a[..., None] + _mvlgamma_offsets(p, a.dtype)).sum(-1)
        return total + a.dtype.type(p * (p - 1) * math.log(math.pi) * 0.25)

    @staticmethod
    def backward(ctx, grad):  # the sum of digamma(x - i/2), i = 0 ... p-1
        (a,) = ctx.saved_tensors
        shifted = a.unsqueeze(-1) + _wrap(_mvlgamma_offsets(ctx.p, a._data.dtype))
        return grad * Digamma.apply(shifted).sum(-1), None


class Erfinv(Op):
    @staticmethod
    def forward(ctx, a):
        out = erfinv_array(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d erfinv(y)/dy = sqrt(pi)/2 exp(erfinv(y)^2)
        (out,) = ctx.saved_tensors
        return 0.5 * math.sqrt(math.pi) * (out * out).exp() * grad


class I0(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return i0_array(a)

    @staticmethod
    def backward(ctx, grad):  # I0' = I1
        (a,) = ctx.saved_tensors
        return grad * I1.apply(a)


class I0e(Op):
    _name = "SpecialI0E"

    @staticmethod
    def forward(ctx, a):
        out = i0e_array(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # (exp(-|x|) I0)' = exp(-|x|) I1 - sgn(x) exp(-|x|) I0
        a, out = ctx.saved_tensors
        return grad * (I1e.apply(a) - a.sgn() * out)


def _safe_and_tiny(a):
    """(x with |x| <= eps replaced by eps, the mask of those): torch's guard for i1's and i1e's x = 0."""
    eps = float(np.finfo(a._data.dtype).eps)
    not_tiny = _wrap(np.abs(a._data) > eps)
    return where(not_tiny, a, eps), not_tiny


class I1(Op):
    _name = "SpecialI1"

    @staticmethod
    def forward(ctx, a):
        out = i1_array(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # I1' = I0 - I1 / x, 1/2 at 0 (torch's i1_backward)
        a, out = ctx.saved_tensors
        safe, not_tiny = _safe_and_tiny(a)
        return grad * where(not_tiny, I0.apply(safe) - out * safe.reciprocal(), 0.5)


class I1e(Op):
    _name = "SpecialI1E"

    @staticmethod
    def forward(ctx, a):
        out = i1e_array(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # (exp(-|x|) I1)' = exp(-|x|) I0 - exp(-|x|) I1 (sgn(x) + 1/x), 1/2 at 0
        a, out = ctx.saved_tensors
        safe, not_tiny = _safe_and_tiny(a)
        return grad * where(not_tiny, I0e.apply(safe) - out * (safe.sgn() + safe.reciprocal()), 0.5)


# ----------------------------------------------------------------------------
# the functions (integer and bool tensors give the default float dtype, as in torch)
# ----------------------------------------------------------------------------
def lgamma(a):
    """log |Gamma(x)| of each element."""
    return Lgamma.apply(_floating(a))


def digamma(a):
    """The logarithmic derivative of Gamma, Gamma'(x) / Gamma(x)."""
    return Digamma.apply(_floating(a))


def _order(n, name="polygamma"):
    if isinstance(n, Tensor):
        n = n.item()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


def polygamma(n, a, _node=Polygamma):
    """The n-th derivative of digamma (n >= 0)."""
    return _node.apply(_floating(a), _order(n))


def mvlgamma(a, p):
    """The multivariate log-gamma function of dimension p: log(pi) p(p-1)/4 + sum of lgamma(x - i/2), i < p."""
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"mvlgamma(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return Mvlgamma.apply(_floating(a), int(p))


def erfinv(a):
    """The inverse error function: NaN outside [-1, 1], +-inf at +-1."""
    return Erfinv.apply(_floating(a))


def i0(a):
    """The modified Bessel function of the first kind, order 0."""
    return I0.apply(_floating(a))


def i0e(a):
    """exp(-|x|) I0(x): I0 without its exponential growth."""
    return I0e.apply(_floating(a))


def i1(a):
    """The modified Bessel function of the first kind, order 1."""
    return I1.apply(_floating(a))


def i1e(a):
    """exp(-|x|) I1(x)."""
    return I1e.apply(_floating(a))
