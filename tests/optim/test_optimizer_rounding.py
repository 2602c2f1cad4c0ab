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


@pytest.mark.parametrize("name, kwargs", [("Adam", dict(lr=1e-2)), ("AdamW", dict(lr=1e-2, amsgrad=True)),
                                          ("RMSprop", dict(lr=1e-2, centered=True)),
                                          ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.0))])
def test_moments_bit_exact_on_large_parameters(name, kwargs):
    """Moments of a parameter larger than fma's block: lerp_'s single branch, addcmul_'s g * g and momentum's
    add_(grad) (alpha 1: a plain sum) run a block at a time or without a float64 temporary, and must round as torch."""
    rng = np.random.default_rng(12)
    shape = (2 * 2 ** 16 + 77,)
    p0 = (rng.normal(size=shape) * rng.choice([1e-3, 1.0, 1e3], shape)).astype(np.float32)
    grads = [(rng.normal(size=shape) * rng.choice([1e-4, 1.0, 1e2], shape)).astype(np.float32) for _ in range(3)]
    (ep, es), (tp, ts) = (_run(lib, name, kwargs, p0, grads) for lib in (ember, torch))
    for key in ts:
        np.testing.assert_array_equal(es[key], ts[key])
    eps = np.finfo(np.float32).eps  # (the parameter: within ulps of its update, which passes through torch's sqrt)
    np.testing.assert_allclose(ep, tp, rtol=4 * eps, atol=4 * eps * np.abs(tp - p0).max())


def test_fma_with_an_array_factor_in_blocks():
    """fma(x, y, z) with y an array alike (Adam's g * g): blocked, whole and general routes give the same bits."""
    from ember.ops.elementwise import _BLOCK, fma
    rng = np.random.default_rng(13)
    for dtype in (np.float32, np.float16):
        n = 2 * _BLOCK + 5
        x, y, z = (rng.normal(size=n).astype(dtype) for _ in range(3))
        want = (x.astype(np.float64) * y.astype(np.float64) + z).astype(dtype)
        np.testing.assert_array_equal(fma(x, y, z), want)
        out = z.copy()
        assert fma(x, y, out, out) is out
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(fma(x[:100], y[:100], z[:100]), want[:100])  # below a block
        # y overlapping out shifted by one value: computed from y as it was
        base = np.concatenate([y, y[-1:]])
        out = base[1:]
        fma(x, base[:-1], z, out)
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fma_by_one_is_the_plain_sum(dtype):
    """x * (+-1) + z: the product is exact, so the plain sum is the fused result, signed zeros, inf and NaN too."""
    from ember.ops.elementwise import fma
    values = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-30, 3e4], dtype)
    x, z = np.repeat(values, values.size), np.tile(values, values.size)
    for alpha in (1, -1, 1.0, -1.0):
        got = fma(x, alpha, z)
        with np.errstate(invalid="ignore"):
            want = (x.astype(np.float64) * alpha + z.astype(np.float64)).astype(dtype)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        out = z.copy()
        assert fma(x, alpha, out, out) is out
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("weight", [0.1, 0.49, 0.5, 0.9, -0.3, 1.7])
def test_lerp_with_a_number_weight_matches_torch(weight):
    """lerp with one weight computes only its branch (|w| < 1/2: start + w (end - start), else the other form)."""
    rng = np.random.default_rng(14)
    start, end = (rng.normal(size=(3, 40_000)).astype(np.float32) for _ in range(2))
    want = torch.lerp(torch.tensor(start), torch.tensor(end), weight).numpy()
    np.testing.assert_array_equal(ember.lerp(ember.tensor(start), ember.tensor(end), weight).numpy(), want)
    t = torch.tensor(start)
    t.lerp_(torch.tensor(end), torch.tensor(weight))  # a 0-d weight tensor: the same rounding
    np.testing.assert_array_equal(ember.lerp(ember.tensor(start), ember.tensor(end), ember.tensor(weight)).numpy(),
                                  t.numpy())
