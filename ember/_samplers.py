"""torch.poisson, torch.binomial, torch._standard_gamma's draws and torch._sample_dirichlet: ATen's CPU rejection
samplers, element by element in memory order, on PyTorch's generator. Like random.py they work on arrays, below
the graph: nothing here imports ops or autograd (the gamma's and the Dirichlet's reparameterised gradients, and
the differentiable ``_standard_gamma``, are ops/sampler_grads.py's).

Each element draws 53-bit uniforms (``uniform_real_distribution<double>``) and, for the gamma, Box-Muller
normals that share the generator's cached second value (``normal_distribution<double>``), as many as its own
rejection loop asks for; so a seeded sample is torch's, bit for bit, and leaves the stream where torch's does.
The arithmetic follows the kernels' types: for float32 tensors some intermediate values are float32, as C++'s
promotions make them (written out below with ``_f32``). These are Python loops: fine for the sizes course
programs sample, slow for millions of draws.

Gamma (after Marsaglia and Tsang 2000, as numpy's and torch's), Poisson (Hörmann's transformed rejection for
rate >= 10, products of uniforms below) and binomial (BTRS for n p >= 10, a sum of geometric gaps below) are
those kernels' algorithms."""
import math

import numpy as np

from .random import _gen, _normal_pairs, _uniform01
from .tensor import _wrap

_f32 = np.float32


def _uniform(gen):
    return float(_uniform01(gen, 1, np.float64)[0])


def _normal(gen):
    return float(_normal_pairs(gen, 1, 0.0, 1.0)[0])


def _is_f32(array):
    return array.dtype == np.float32


def _memory_order(array):
    """The elements in the order torch's serial kernel visits them (a fresh contiguous output: C order)."""
    return np.ascontiguousarray(array).ravel()


# ---- gamma ---------------------------------------------------------------------------------------
def _gamma_one(gen, alpha, single):
    """One Gamma(alpha, 1) draw; ``single``: alpha is a float32 (its boosting arithmetic is float32)."""
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        inv = float(_f32(1.0) / _f32(alpha)) if single else 1.0 / alpha
        scale *= math.pow(1.0 - _uniform(gen), inv)
        alpha = float(_f32(alpha) + _f32(1.0)) if single else alpha + 1.0
    third = float(_f32(1.0) / _f32(3.0))  # 1.0f / 3.0f: a float constant in either case
    d = float(_f32(alpha) - _f32(third)) if single else alpha - third
    c = 1.0 / math.sqrt(9.0 * d)
    k = float(_f32(0.0331))
    while True:
        while True:
            x = _normal(gen)
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1.0 - _uniform(gen)
        xx = x * x
        if u < 1.0 - k * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma_array(alpha, generator=None):
    """Gamma(alpha, 1) draws of alpha's shape and dtype, as ``torch._standard_gamma`` (floored at the
    dtype's smallest normal number)."""
    gen, single = _gen(generator), _is_f32(alpha)
    flat = _memory_order(alpha)
    out = np.array([_gamma_one(gen, float(a), single) for a in flat], dtype=np.float64)
    out = out.astype(alpha.dtype)
    return np.maximum(out, np.finfo(alpha.dtype).tiny).reshape(alpha.shape)


def _sample_dirichlet(alpha, generator=None):
    """torch._sample_dirichlet: gammas drawn in double, normalised along the last dim, cast to alpha's dtype
    and kept inside (0, 1)."""
    gen, a = _gen(generator), alpha.detach()._data
    flat = _memory_order(a).astype(np.float64)
    gammas = np.array([max(_gamma_one(gen, float(v), False), np.finfo(np.float64).tiny) for v in flat])
    gammas = gammas.reshape(a.shape)
    total = np.zeros(a.shape[:-1] + (1,))
    for i in range(a.shape[-1]):  # summed in order, as torch's kernel adds short rows
        total[..., 0] += gammas[..., i]
    out = (gammas / total).astype(a.dtype)
    top = np.nextafter(np.array(1.0, a.dtype), np.array(0.0, a.dtype))
    return _wrap(np.clip(out, np.finfo(a.dtype).tiny, top))


# ---- Poisson ---------------------------------------------------------------------------------------
def _poisson_one(gen, lam):
    if lam >= 10:  # Hörmann's transformed rejection (PTRS)
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform(gen) - 0.5
            v = _uniform(gen)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    x, prod, enlam = 0, 1.0, math.exp(-lam)  # multiply uniforms until the product drops below e^-rate
    while True:
        prod *= _uniform(gen)
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(input, generator=None):
    """Poisson draws with the rates in ``input`` (a float tensor), as torch.poisson."""
    gen, rates = _gen(generator), input.detach()._data
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = [_poisson_one(gen, float(r)) for r in _memory_order(rates)]
    return _wrap(np.array(out, dtype=np.float64).astype(rates.dtype).reshape(rates.shape))


# ---- binomial --------------------------------------------------------------------------------------
_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211,
         0.0138761288230707, 0.0118967099458917, 0.0104112652619720, 0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k):
    if k < len(_TAIL):
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_inversion(gen, count, prob, t):
    """Count geometric gaps until they pass ``count``; ``t`` is the element type (float32 or float64)."""
    logprob = float(np.log1p(t(-prob)))
    geom_sum, num = 0.0, 0
    while True:
        geom_sum += math.ceil(math.log(_uniform(gen)) / logprob)
        if geom_sum > count:
            return num
        num += 1


def _btrs(gen, count, prob, t):
    """Hörmann's BTRS transformed rejection; products of element-typed values round in that type."""
    stddev = float(np.sqrt(t(count) * t(prob) * (t(1) - t(prob))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = float(t(count) * t(prob)) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(t(prob) / (t(1) - t(prob)))
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(float((t(count) + t(1)) * t(prob)))
    while True:
        u = _uniform(gen) - 0.5
        v = _uniform(gen)
        us = 0.5 - abs(u)
        k = float(t(math.floor((2 * a / us + b) * u + c)))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        n_k1 = float(t(count) - t(k) + t(1))
        upper = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * math.log((count - m + 1) / n_k1)
                 + (k + 0.5) * math.log(r * n_k1 / float(t(k) + t(1)))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(k) - _stirling_tail(float(t(count) - t(k))))
        if v <= upper:
            return k


def _binomial_one(gen, count, prob, t):
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if float(t(count) * t(prob)) >= 10.0:
            return _btrs(gen, count, prob, t)
        return _binomial_inversion(gen, count, prob, t)
    if prob > 0.5:
        q = float(t(1.0 - prob))
        if float(t(count) * t(q)) >= 10.0:
            return float(t(count) - t(_btrs(gen, count, q, t)))
        return float(t(count) - t(_binomial_inversion(gen, count, q, t)))
    return float("nan")


def binomial(count, prob, generator=None):
    """Binomial(count, prob) draws, elementwise (tensors of one shape), as torch.binomial."""
    gen = _gen(generator)
    n, p = np.broadcast_arrays(count.detach()._data, prob.detach()._data)
    t = np.float32 if n.dtype == np.float32 else np.float64
    out = [_binomial_one(gen, float(a), float(b), t) for a, b in zip(_memory_order(n), _memory_order(p))]
    return _wrap(np.array(out, dtype=np.float64).astype(n.dtype).reshape(n.shape))
