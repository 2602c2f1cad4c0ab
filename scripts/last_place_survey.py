"""Survey: ember's float32 and float64 results against torch's, bit for bit, forward and gradient (the last place).

Run: PYTHONPATH=. python scripts/last_place_survey.py [op ...]
Prints each op whose forward or gradient differs from torch's anywhere on 20,000 normal values, with the counts.
What differs on 2026-12-07 is mostly the transcendental functions (torch's vectorised exp, tanh, erf, sin ... are
not NumPy's), torch's fused multiply-adds inside backward formulas (tanh's is grad * fma(-y, y, 1)), and the
order of torch's sums (softmax, norms); see docs/design.md.
"""
import sys

import numpy as np
import torch

import ember

torch.set_num_threads(1)
F = lambda L: L.nn.functional
OPS = {
 'tanh': lambda L, t: t.tanh(), 'sigmoid': lambda L, t: t.sigmoid(), 'exp': lambda L, t: t.exp(),
 'log': lambda L, t: t.abs().log(), 'log1p': lambda L, t: t.abs().log1p(), 'expm1': lambda L, t: t.expm1(),
 'sqrt': lambda L, t: t.abs().sqrt(), 'rsqrt': lambda L, t: t.abs().rsqrt(), 'reciprocal': lambda L, t: t.reciprocal(),
 'sin': lambda L, t: t.sin(), 'cos': lambda L, t: t.cos(), 'tan': lambda L, t: t.tan(), 'atan': lambda L, t: t.atan(),
 'asin': lambda L, t: (t * 0.3).asin(), 'acos': lambda L, t: (t * 0.3).acos(), 'sinh': lambda L, t: t.sinh(),
 'cosh': lambda L, t: t.cosh(), 'asinh': lambda L, t: t.asinh(), 'atanh': lambda L, t: (t * 0.3).atanh(),
 'erf': lambda L, t: t.erf(), 'erfc': lambda L, t: t.erfc(), 'relu': lambda L, t: t.relu(),
 'gelu': lambda L, t: F(L).gelu(t), 'gelu_tanh': lambda L, t: F(L).gelu(t, approximate='tanh'),
 'silu': lambda L, t: F(L).silu(t), 'mish': lambda L, t: F(L).mish(t), 'softplus': lambda L, t: F(L).softplus(t),
 'elu': lambda L, t: F(L).elu(t), 'selu': lambda L, t: F(L).selu(t), 'celu': lambda L, t: F(L).celu(t, 0.7),
 'leaky_relu': lambda L, t: F(L).leaky_relu(t, 0.1), 'hardtanh': lambda L, t: F(L).hardtanh(t),
 'hardsigmoid': lambda L, t: F(L).hardsigmoid(t), 'hardswish': lambda L, t: F(L).hardswish(t),
 'logsigmoid': lambda L, t: F(L).logsigmoid(t), 'softsign': lambda L, t: F(L).softsign(t),
 'tanhshrink': lambda L, t: F(L).tanhshrink(t), 'square': lambda L, t: t.square(), 'pow3': lambda L, t: t ** 3,
 'pow_half': lambda L, t: t.abs() ** 0.5, 'pow_m15': lambda L, t: (t.abs() + 0.1) ** -1.5,
 'mul_k': lambda L, t: t * 0.3, 'div_k': lambda L, t: t / 0.3, 'rdiv_k': lambda L, t: 0.3 / t,
 'div_self': lambda L, t: t / (t.abs() + 1), 'mul_self': lambda L, t: t * t.exp(),
 'atan2': lambda L, t: L.atan2(t, t.exp()), 'hypot': lambda L, t: L.hypot(t, t.exp()),
 'lerp': lambda L, t: L.lerp(t, t.exp(), 0.3), 'addcmul': lambda L, t: L.addcmul(t, t, t.exp(), value=0.3),
 'addcdiv': lambda L, t: L.addcdiv(t, t, t.exp(), value=0.3), 'softmax': lambda L, t: t.reshape(-1, 10).softmax(1),
 'log_softmax': lambda L, t: t.reshape(-1, 10).log_softmax(1), 'mse': lambda L, t: F(L).mse_loss(t, t.exp()),
 'bce_logits': lambda L, t: F(L).binary_cross_entropy_with_logits(t, t.sigmoid().detach()),
 'sub_alpha': lambda L, t: L.sub(t, t.exp(), alpha=0.3), 'xlogy': lambda L, t: L.xlogy(t.abs(), t.abs() + 1),
 'clamp': lambda L, t: t.clamp(-0.5, 0.5), 'abs': lambda L, t: t.abs(), 'neg_exp': lambda L, t: (-t).exp(),
 'sinc': lambda L, t: t.sinc(), 'logit': lambda L, t: t.sigmoid().logit(), 'norm': lambda L, t: t.reshape(-1, 10).norm(dim=1),
}
rng = np.random.default_rng(0)
n = 20000
only = sys.argv[1:]
for dt in (np.float32, np.float64):
    x = rng.normal(size=n).astype(dt); g = rng.normal(size=n).astype(dt)
    for name, f in OPS.items():
        if only and name not in only: continue
        res = []
        try:
            for L in (ember, torch):
                t = L.tensor(x, requires_grad=True); y = f(L, t)
                y.backward(L.tensor(g[:y.numel()].reshape(tuple(y.shape))))
                res.append((y.detach().numpy(), t.grad.numpy()))
            fw = int((~((res[0][0] == res[1][0]) | (np.isnan(res[0][0]) & np.isnan(res[1][0])))).sum())
            bw = int((~((res[0][1] == res[1][1]) | (np.isnan(res[0][1]) & np.isnan(res[1][1])))).sum())
            if fw or bw: print(f'{dt.__name__:8s} {name:12s} forward {fw:6d} grad {bw:6d}  of {res[0][1].size}')
        except Exception as e:
            print(dt.__name__, name, 'ERR', type(e).__name__, str(e)[:80])
