"""Optimizer steps rounded as torch's single-tensor CPU steps: grad.add(param, alpha=decay) and
param.add_(grad, alpha=-lr) are one fused multiply-add each, lerp_/addcmul_ moments likewise. SGD is bit-exact
over many steps; Adam's moment buffers are bit-exact (its parameter also passes through torch's sqrt, which on
this CPU is not correctly rounded, so the parameter may differ by an ulp)."""
import numpy as np
import pytest
import torch

import ember


def _run(lib, name, kwargs, p0, grads):
    p = lib.tensor(p0.copy(), requires_grad=True)
    opt = getattr(lib.optim, name)([p], **kwargs)
    for g in grads:
        p.grad = lib.tensor(g)
        opt.step()
    return p.detach().numpy(), {k: v.numpy() for k, v in opt.state[p].items() if k != "step" and v is not None}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [dict(lr=0.1, weight_decay=0.01), dict(lr=0.05, momentum=0.9, weight_decay=0.1),
                                    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.03),
                                    dict(lr=0.05, momentum=0.8, dampening=0.3)])
def test_sgd_bit_exact(dtype, kwargs):
    rng = np.random.default_rng(7)
    p0, grads = rng.normal(size=(30, 17)).astype(dtype), [rng.normal(size=(30, 17)).astype(dtype) for _ in range(15)]
    (ep, es), (tp, ts) = (_run(lib, "SGD", kwargs, p0, grads) for lib in (ember, torch))
    np.testing.assert_array_equal(ep, tp)
    for key in ts:
        np.testing.assert_array_equal(es[key], ts[key])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam"])
def test_adam_moments_bit_exact(dtype, name):
    rng = np.random.default_rng(8)
    p0, grads = rng.normal(size=(30, 17)).astype(dtype), [rng.normal(size=(30, 17)).astype(dtype) for _ in range(10)]
    (ep, es), (tp, ts) = (_run(lib, name, dict(lr=1e-2), p0, grads) for lib in (ember, torch))
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(es[key], ts[key])
    np.testing.assert_allclose(ep, tp, rtol=0, atol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weight_decay_gradient_rounds_once(dtype):
    """One Adam step with weight decay: the first moment is (1 - beta1) (grad + decay param), rounded as torch."""
    rng = np.random.default_rng(9)
    p0, grads = rng.normal(size=(64, 33)).astype(dtype), [rng.normal(size=(64, 33)).astype(dtype)]
    (_, es), (_, ts) = (_run(lib, "Adam", dict(lr=1e-2, weight_decay=0.37), p0, grads) for lib in (ember, torch))
    np.testing.assert_array_equal(es["exp_avg"], ts["exp_avg"])
    np.testing.assert_array_equal(es["exp_avg_sq"], ts["exp_avg_sq"])


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.05, momentum=0.9, weight_decay=0.01)])
def test_sgd_bit_exact_on_large_parameters(kwargs):
    """A parameter of more values than fma's block (2**16): its float32 update runs a block at a time (see
    ops/elementwise._fma_in_blocks), and must round exactly as the whole-array route and torch do; the size is not
    a multiple of the block, so the last block is partial."""
    rng = np.random.default_rng(10)
    shape = (3 * 2 ** 16 + 123,)
    p0 = (rng.normal(size=shape) * rng.choice([1e-3, 1.0, 1e3], shape)).astype(np.float32)
    grads = [rng.normal(size=shape).astype(np.float32) for _ in range(3)]
    (ep, es), (tp, ts) = (_run(lib, "SGD", kwargs, p0, grads) for lib in (ember, torch))
    np.testing.assert_array_equal(ep, tp)
    for key in ts:
        np.testing.assert_array_equal(es[key], ts[key])


def test_blocked_fma_matches_the_whole_array_route():
    """fma a block at a time (large contiguous float32/float16 arrays) gives the whole-array route's bits; where out
    overlaps an input only in part, or an input is not contiguous, the whole-array route runs."""
    from ember.ops.elementwise import _BLOCK, fma
    rng = np.random.default_rng(11)
    for dtype in (np.float32, np.float16):
        n = 2 * _BLOCK + 7
        x, z = rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)
        want = (x.astype(np.float64) * np.float64(dtype(-0.37)) + z).astype(dtype)
        out = z.copy()
        assert fma(x, -0.37, out, out) is out
        np.testing.assert_array_equal(out, want)  # in place into z, as an optimizer's update
        fresh = np.empty_like(z)
        fma(x, -0.37, z, fresh)
        np.testing.assert_array_equal(fresh, want)  # into a separate array
        np.testing.assert_array_equal(fma(x, -0.37, z), want)  # no out
    # out overlapping z shifted by one value: every value computed from z as it was, as the whole-array route does
    base = rng.normal(size=2 * _BLOCK + 9).astype(np.float32)
    x = rng.normal(size=2 * _BLOCK + 8).astype(np.float32)
    z, out = base[:-1], base[1:]
    want = (x.astype(np.float64) * np.float64(np.float32(0.5)) + z).astype(np.float32)
    fma(x, 0.5, z, out)
    np.testing.assert_array_equal(base[1:], want)
    # a transposed (non-contiguous) input
    x2 = rng.normal(size=(300, 500)).astype(np.float32).T
    z2 = rng.normal(size=(500, 300)).astype(np.float32)
    want2 = (x2.astype(np.float64) * np.float64(np.float32(0.25)) + z2).astype(np.float32)
    fma(x2, 0.25, z2, z2)
    np.testing.assert_array_equal(z2, want2)
