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
