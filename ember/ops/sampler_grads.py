"""The reparameterised gradients of torch's gamma and Dirichlet draws (torch._standard_gamma_grad,
torch._dirichlet_grad) and the ops that carry them: a draw x made by _samplers.py (below the graph) is passed
to an op as a constant, whose backward is d x / d alpha at fixed cdf, -(d cdf / d alpha) / pdf, in torch's
approximations (a Taylor series, a saddle point expansion, rational fits), computed in double."""
import math

import numpy as np

from .._samplers import standard_gamma_array
from ..autograd.function import Op
from ..tensor import _wrap

_f32 = np.float32


def _digamma_one(x):
    """Cephes' digamma in double, as the gamma gradient's kernel computes it (x > 0 here)."""
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + 2.25175258906672110764
    coefs = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
             -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
             8.33333333333333333333E-2)
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        poly = 0.0
        for a in coefs:
            poly = poly * z + a
        y = z * poly
    return result + math.log(x) - (0.5 / x) - y


_COEF_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
            (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
             -0.00058392623),
            (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
             0.00085092367, -1.5247877e-07))


def _gamma_grad_one(alpha, x):
    """d x / d alpha for a Gamma(alpha, 1) draw x at fixed cdf: -(d cdf/d alpha) / pdf, approximated."""
    if x < 0.8:  # Taylor series of the cdf for small x
        numer, denom = 1.0, alpha
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            series1 += numer / denom
            series2 += numer / (denom * denom)
        pow_x_alpha = math.pow(x, alpha)
        pdf = math.pow(x, alpha - 1) * math.exp(-x)
        cdf = pow_x_alpha * series1
        cdf_alpha = (math.log(x) - _digamma_one(alpha)) * cdf - pow_x_alpha * series2
        with np.errstate(all="ignore"):
            result = float(np.float64(-cdf_alpha) / np.float64(pdf))
        return 0.0 if math.isnan(result) else result
    if alpha > 8.0:  # Rice's saddle point expansion for large alpha
        if float(_f32(0.9)) * alpha <= x <= float(_f32(1.1)) * alpha:
            numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
            numer_2 = (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
                       + alpha * (107 + 3600 * x))
            denom = 1244160 * (alpha * alpha) * (alpha * alpha)
            return numer_1 * numer_2 / denom
        denom = math.sqrt(8 * alpha)
        term2 = denom / (alpha - x)
        term3 = math.pow(x - alpha - alpha * math.log(x / alpha), -1.5)
        term23 = term2 - term3 if x < alpha else term2 + term3
        term1 = math.log(x / alpha) * term23 - math.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x))
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        return -stirling * (x * term1) / denom
    u, v = math.log(x / alpha), math.log(alpha)  # a bivariate rational fit elsewhere
    coef = [_COEF_UV[0][i] + u * (_COEF_UV[1][i] + u * _COEF_UV[2][i]) for i in range(8)]
    p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
    q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
    return math.exp(p / q)


def standard_gamma_grad_array(alpha, x):
    """torch._standard_gamma_grad: the reparameterised d x / d alpha, elementwise (computed in double)."""
    alpha, x = np.broadcast_arrays(alpha, x)
    out = [_gamma_grad_one(float(a), float(s)) for a, s in zip(alpha.ravel(), x.ravel())]
    return np.array(out, dtype=np.float64).astype(x.dtype).reshape(x.shape)


class StandardGamma(Op):
    """A Gamma(alpha, 1) draw (made before, passed in) as a function of alpha, for its gradient."""

    @staticmethod
    def forward(ctx, alpha, sample):
        ctx.save_for_backward(alpha, sample)
        return sample

    @staticmethod
    def backward(ctx, grad):
        alpha, sample = ctx.saved_tensors
        return grad * _wrap(standard_gamma_grad_array(alpha._data, sample._data)), None


def _standard_gamma(alpha, generator=None):
    """torch._standard_gamma: Gamma(alpha, 1) draws, differentiable in alpha (implicit reparameterisation)."""
    sample = standard_gamma_array(alpha.detach()._data, generator)
    return StandardGamma.apply(alpha, sample)


def _standard_gamma_grad(alpha, x):
    return _wrap(standard_gamma_grad_array(alpha._data, x._data))


# ---- the Dirichlet's reparameterised gradient -----------------------------------------------------------
def _beta_grad_alpha_small(x, alpha, beta):
    """d x / d alpha of a Beta(alpha, beta) draw x near 0: a Taylor series."""
    factor = _digamma_one(alpha) - _digamma_one(alpha + beta) - math.log(x)
    numer = 1.0
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer *= (i - beta) * x / i
        denom = alpha + i
        series += numer / denom * (factor + 1 / denom)
    result = x * math.pow(1 - x, -beta) * series
    return 0.0 if math.isnan(result) else result


def _beta_grad_beta_small(x, alpha, beta):
    """d x / d beta of a Beta(alpha, beta) draw x near 0: a Taylor series."""
    factor = _digamma_one(alpha + beta) - _digamma_one(beta)
    numer, betas, dbetas, series = 1.0, 1.0, 0.0, factor / alpha
    for i in range(1, 9):
        numer *= -x / i
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series += numer / (alpha + i) * (dbetas + factor * betas)
    result = -math.pow(1 - x, 1 - beta) * series
    return 0.0 if math.isnan(result) else result


def _beta_grad_alpha_mid(x, alpha, beta):
    """d x / d alpha for large alpha and beta: Rice's saddle point expansion."""
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x <= mean + 0.1 * std:  # the expansion is singular at the mean: a polynomial there
        poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (8 * (1 - x) * (135 * beta - 11)))))
        prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1 = term1_num / (math.sqrt(2 * alpha / beta) * math.pow(total, 1.5) * axbx * axbx)
    term2 = 0.5 * math.log(alpha / (total * x))
    term3 = math.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4 = math.pow(beta * math.log(beta / (total * (1 - x))) + alpha * math.log(alpha / (total * x)), -1.5)
    return stirling * prefactor * (term1 + term2 * (term3 + (term4 if x < mean else -term4)))


_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))))


def _dirichlet_grad_one(x, alpha, total):
    """-(d cdf / d alpha) / pdf / (1 - x) for x ~ Beta(alpha, total - alpha), by the approximation that
    fits where x lies (torch's choice of four)."""
    beta = total - alpha
    boundary = total * x * (1 - x)
    if x <= 0.5 and boundary < 2.5:
        return _beta_grad_alpha_small(x, alpha, beta)
    if x >= 0.5 and boundary < 0.75:
        return -_beta_grad_beta_small(1 - x, beta, alpha)
    if alpha > 6 and beta > 6:
        return _beta_grad_alpha_mid(x, alpha, beta)
    u = math.log(x)  # a rational correction to an analytic approximation
    a = math.log(alpha) - u
    b = math.log(total) - a
    pow_u, pow_a = (1, u, u * u), (1, a, a * a)
    p = q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            cp, cq = _DIRICHLET_C[0][i][j], _DIRICHLET_C[1][i][j]
            p += ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q += ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (_digamma_one(total) - _digamma_one(alpha)) / beta
    return p / q * approx


def dirichlet_grad_array(x, alpha, total):
    """torch._dirichlet_grad, elementwise; computed in double (torch rounds some float32 steps in float32,
    so float32 results can differ from torch's in the last bits)."""
    x, alpha, total = np.broadcast_arrays(x, alpha, total)
    out = [_dirichlet_grad_one(float(a), float(b), float(c))
           for a, b, c in zip(x.ravel(), alpha.ravel(), total.ravel())]
    return np.array(out, dtype=np.float64).astype(x.dtype).reshape(x.shape)


def _dirichlet_grad(x, alpha, total):
    return _wrap(dirichlet_grad_array(x._data, alpha._data, total._data))


class Dirichlet(Op):
    """A Dirichlet draw (made before, passed in) as a function of its concentration, for the gradient."""

    @staticmethod
    def forward(ctx, concentration, sample):
        ctx.save_for_backward(concentration, sample)
        return sample

    @staticmethod
    def backward(ctx, grad):
        concentration, x = ctx.saved_tensors
        total = concentration.sum(-1, True).expand_as(concentration)
        dx = _wrap(dirichlet_grad_array(x._data, concentration._data, total._data))
        return dx * (grad - (x * grad).sum(-1, True)), None
