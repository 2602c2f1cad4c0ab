"""Survey: ember's float16 results against torch's, bit for bit, forward and backward.

Run: PYTHONPATH=. python scripts/half_survey.py [substring ...]
Each case is a function of a module (torch or ember) and three float16 tensors x, y (any size, with zeros,
subnormals, infinities and NaN among them) and z (in [0.5, 2]). The backward sends a random float16 gradient
and compares the leaves' gradients.
"""
import sys

import numpy as np
import torch

import ember

rng = np.random.default_rng(0)
N = 100_000
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6e-8, -6e-8, 1e-5, 65504, -65504, 1.0, -1.0, 0.5],
                   np.float16)


def sample(n):
    v = (rng.normal(size=n) * 10.0 ** rng.integers(-4, 4, n)).astype(np.float16)
    v[:SPECIAL.size] = SPECIAL
    return v


A, B = sample(N), sample(N)
B[:SPECIAL.size] = SPECIAL[::-1]
C = rng.uniform(0.5, 2, size=N).astype(np.float16)
G = (rng.normal(size=N) * 10.0 ** rng.integers(-2, 2, N)).astype(np.float16)
P = rng.uniform(0.02, 0.98, size=N).astype(np.float16)


def F(L):
    return L.nn.functional


CASES = {
    'mul scalar': lambda L, x, y, z: x * 0.1,
    'rmul scalar': lambda L, x, y, z: 0.1 * x,
    'div scalar': lambda L, x, y, z: x / 0.3,
    'rdiv scalar': lambda L, x, y, z: 0.3 / x,
    'add scalar': lambda L, x, y, z: x + 0.1,
    'sub scalar': lambda L, x, y, z: x - 0.1,
    'rsub scalar': lambda L, x, y, z: 0.1 - x,
    'rsub alpha': lambda L, x, y, z: L.rsub(x, 0.1, alpha=0.37),
    'mul int': lambda L, x, y, z: x * 3,
    'div int': lambda L, x, y, z: x / 3,
    'true_divide': lambda L, x, y, z: L.true_divide(x, 0.3),
    'mul': lambda L, x, y, z: x * y,
    'div': lambda L, x, y, z: x / z,
    'add': lambda L, x, y, z: x + y,
    'add alpha': lambda L, x, y, z: L.add(x, y, alpha=0.37),
    'sub alpha': lambda L, x, y, z: L.sub(x, y, alpha=0.37),
    'add scalar alpha': lambda L, x, y, z: L.add(x, 0.1, alpha=0.37),
    'remainder scalar': lambda L, x, y, z: L.remainder(x, 0.3),
    'fmod scalar': lambda L, x, y, z: L.fmod(x, 0.3),
    'remainder': lambda L, x, y, z: L.remainder(x, z),
    'pow2': lambda L, x, y, z: x ** 2,
    'pow 0.3': lambda L, x, y, z: z ** 0.3,
    'pow -1.5': lambda L, x, y, z: z ** -1.5,
    'pow 3': lambda L, x, y, z: x ** 3,
    'rpow': lambda L, x, y, z: 2 ** z,
    'rpow 1.3': lambda L, x, y, z: 1.3 ** x,
    'pow tensor': lambda L, x, y, z: z ** y.clamp(-3, 3),
    'clamp': lambda L, x, y, z: L.clamp(x, -0.3, 0.3),
    'lt': lambda L, x, y, z: x < 0.1,
    'le': lambda L, x, y, z: x <= 0.1,
    'gt': lambda L, x, y, z: x > 0.1,
    'ge': lambda L, x, y, z: x >= 0.1,
    'eq': lambda L, x, y, z: x == 0.1,
    'ne': lambda L, x, y, z: x != 0.1,
    'where scalar': lambda L, x, y, z: L.where(y > 0, x, 0.1),
    'addcmul': lambda L, x, y, z: L.addcmul(x, y, z, value=0.3),
    'addcmul 1': lambda L, x, y, z: L.addcmul(x, y, z),
    'addcdiv': lambda L, x, y, z: L.addcdiv(x, y, z, value=0.3),
    'addcdiv 1': lambda L, x, y, z: L.addcdiv(x, y, z),
    'lerp': lambda L, x, y, z: L.lerp(x, y, 0.3),
    'lerp big': lambda L, x, y, z: L.lerp(x, y, 0.7),
    'lerp tensor': lambda L, x, y, z: L.lerp(x, y, z * 0.5),
    'sigmoid': lambda L, x, y, z: L.sigmoid(x),
    'logsigmoid': lambda L, x, y, z: F(L).logsigmoid(x),
    'silu': lambda L, x, y, z: F(L).silu(x),
    'gelu': lambda L, x, y, z: F(L).gelu(x),
    'gelu tanh': lambda L, x, y, z: F(L).gelu(x, approximate='tanh'),
    'softplus': lambda L, x, y, z: F(L).softplus(x),
    'softplus beta': lambda L, x, y, z: F(L).softplus(x, beta=0.7, threshold=5),
    'elu': lambda L, x, y, z: F(L).elu(x, alpha=0.3),
    'selu': lambda L, x, y, z: F(L).selu(x),
    'celu': lambda L, x, y, z: F(L).celu(x, alpha=0.3),
    'leaky_relu': lambda L, x, y, z: F(L).leaky_relu(x, 0.1),
    'hardtanh': lambda L, x, y, z: F(L).hardtanh(x, -0.3, 0.3),
    'hardsigmoid': lambda L, x, y, z: F(L).hardsigmoid(x),
    'hardswish': lambda L, x, y, z: F(L).hardswish(x),
    'mish': lambda L, x, y, z: F(L).mish(x),
    'relu': lambda L, x, y, z: L.relu(x),
    'relu6': lambda L, x, y, z: F(L).relu6(x),
    'softsign': lambda L, x, y, z: F(L).softsign(x),
    'tanhshrink': lambda L, x, y, z: F(L).tanhshrink(x),
    'log1p': lambda L, x, y, z: L.log1p(z),
    'expm1': lambda L, x, y, z: L.expm1(x),
    'erf': lambda L, x, y, z: L.erf(x),
    'rsqrt': lambda L, x, y, z: L.rsqrt(z),
    'reciprocal': lambda L, x, y, z: L.reciprocal(x),
    'sqrt': lambda L, x, y, z: L.sqrt(z),
    'exp': lambda L, x, y, z: L.exp(z),
    'log': lambda L, x, y, z: L.log(z),
    'tanh': lambda L, x, y, z: L.tanh(x),
    'sin': lambda L, x, y, z: L.sin(x),
    'hypot': lambda L, x, y, z: L.hypot(x, y),
    'softmax': lambda L, x, y, z: L.softmax(z.reshape(-1, 100) * 3, 1),
    'log_softmax': lambda L, x, y, z: L.log_softmax(z.reshape(-1, 100) * 3, 1),
    'normalize': lambda L, x, y, z: F(L).normalize(z.reshape(-1, 100), dim=1),
    'mse_loss none': lambda L, x, y, z: F(L).mse_loss(z, z.flip(0), reduction='none'),
    'mse_loss': lambda L, x, y, z: F(L).mse_loss(z, z.flip(0)),
    'l1_loss': lambda L, x, y, z: F(L).l1_loss(z, z.flip(0)),
    'smooth_l1': lambda L, x, y, z: F(L).smooth_l1_loss(z * 2, z.flip(0), reduction='none'),
    'huber': lambda L, x, y, z: F(L).huber_loss(z * 2, z.flip(0), reduction='none', delta=0.3),
    'bce': lambda L, x, y, z: F(L).binary_cross_entropy(z * 0.45, z.flip(0) * 0.45, reduction='none'),
    'bce logits': lambda L, x, y, z: F(L).binary_cross_entropy_with_logits(x, z.flip(0) * 0.45, reduction='none'),
    'mean': lambda L, x, y, z: z.reshape(-1, 100).mean(1),
    'sum': lambda L, x, y, z: z.reshape(-1, 100).sum(1),
}

INPLACE = {
    'mul_ scalar': lambda L, x, y, z: x.mul_(0.1),
    'div_ scalar': lambda L, x, y, z: x.div_(0.3),
    'imul scalar': lambda L, x, y, z: x.__imul__(0.1),
    'itruediv scalar': lambda L, x, y, z: x.__itruediv__(0.3),
    'iadd scalar': lambda L, x, y, z: x.__iadd__(0.1),
    'add_ alpha': lambda L, x, y, z: x.add_(y, alpha=0.37),
    'sub_ alpha': lambda L, x, y, z: x.sub_(y, alpha=0.37),
    'lerp_': lambda L, x, y, z: x.lerp_(y, 0.3),
    'lerp_ big': lambda L, x, y, z: x.lerp_(y, 0.7),
    'addcmul_': lambda L, x, y, z: x.addcmul_(y, z, value=0.3),
    'addcdiv_': lambda L, x, y, z: x.addcdiv_(y, z, value=0.3),
    'sigmoid_': lambda L, x, y, z: x.sigmoid_(),
    'clamp_': lambda L, x, y, z: x.clamp_(-0.3, 0.3),
    'pow_': lambda L, x, y, z: z.pow_(0.3),
}


def mismatches(e, t):
    e, t = np.asarray(e), np.asarray(t)
    if e.shape != t.shape or e.dtype != t.dtype:
        return f'{e.dtype}{e.shape} vs {t.dtype}{t.shape}'
    if e.dtype.kind == 'f':
        bad = (e.view(np.uint16) != t.view(np.uint16)) & ~(np.isnan(e) & np.isnan(t))
    else:
        bad = e != t
    return int(bad.sum())


def run(L, fn, grad):
    leaves = [L.tensor(v.copy(), requires_grad=grad and v is not C) for v in (A, B, C)]
    if grad:
        leaves[2].requires_grad_(True)
    out = fn(L, *leaves)
    if not grad:
        return out.detach().numpy(), None
    if not out.dtype.is_floating_point:
        return out.numpy(), None
    g = L.tensor(G[:out.numel()].reshape(out.shape)) if out.dim() else L.tensor(G[0])
    out.backward(g)
    return out.detach().numpy(), [None if v.grad is None else v.grad.numpy() for v in leaves]


def case(name, fn, grad=True):
    try:
        te, tg = run(torch, fn, grad)
    except Exception as ex:
        return f'{name:18s} torch raised {type(ex).__name__}'
    try:
        ee, eg = run(ember, fn, grad)
    except Exception as ex:
        return f'{name:18s} ember raised {type(ex).__name__}: {str(ex)[:80]}'
    fw = mismatches(ee, te)
    bw = '-' if tg is None else ' '.join('.' if t is None else str(mismatches(e, t)) for e, t in zip(eg, tg))
    return f'{name:18s} fwd {str(fw):>7s}   bwd x y z: {bw}   of {np.asarray(te).size}'


if __name__ == '__main__':
    want = sys.argv[1:]
    for name, fn in CASES.items():
        if not want or any(w in name for w in want):
            print(case(name, fn), flush=True)
    for name, fn in INPLACE.items():
        if not want or any(w in name for w in want):
            print(case(name, fn, grad=False), flush=True)
