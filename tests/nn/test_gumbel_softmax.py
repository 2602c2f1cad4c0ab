"""F.gumbel_softmax against torch: the same noise from the same seed (exponential_'s stream is torch's), soft and
hard (straight-through) samples, gradients, dims, tau, float32/float64, the eps warning and errors."""
import numpy as np
import pytest
import torch

import ember


def test_exponential_draws_are_torchs_bit_for_bit():
    for dtype in ("float32", "float64"):
        torch.manual_seed(11)
        ember.manual_seed(11)
        want = torch.empty(4, 7, dtype=getattr(torch, dtype)).exponential_()
        got = ember.empty(4, 7, dtype=getattr(ember, dtype)).exponential_()
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def run(lib, logits, dtype, seed, **kwargs):
    lib.manual_seed(seed)
    x = lib.tensor(logits, dtype=getattr(lib, dtype), requires_grad=True)
    y = lib.nn.functional.gumbel_softmax(x, **kwargs)
    weights = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)), dtype=getattr(lib, dtype))
    (y * weights).sum().backward()
    after = lib.rand(3, dtype=getattr(lib, dtype))  # the generator moved on as torch's did
    return y.detach().numpy(), x.grad.numpy(), after.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [dict(), dict(tau=0.3), dict(tau=2.0, dim=0), dict(hard=True),
                                    dict(hard=True, tau=0.5, dim=1), dict(hard=True, dim=-2)])
def test_gumbel_softmax_draws_and_differentiates_as_torch(kwargs, dtype):
    logits = np.random.default_rng(1).normal(size=(3, 4, 5))
    tol = 1e-6 if dtype == "float32" else 1e-14  # (softmax's last digit: ember's exp is not torch's vectorised one)
    for seed in range(3):
        got, want = run(ember, logits, dtype, seed, **kwargs), run(torch, logits, dtype, seed, **kwargs)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
        if kwargs.get("hard"):
            np.testing.assert_array_equal(got[0], want[0])  # exactly one-hot, at torch's index
            assert set(np.unique(got[0])) <= {0.0, 1.0}


def test_gumbel_softmax_is_a_distribution_and_hard_passes_the_soft_gradient_straight_through():
    x = ember.tensor(np.random.default_rng(2).normal(size=(4, 6)), requires_grad=True)
    ember.manual_seed(5)
    soft = ember.nn.functional.gumbel_softmax(x, tau=0.7)
    ember.manual_seed(5)
    hard = ember.nn.functional.gumbel_softmax(x, tau=0.7, hard=True)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(hard.argmax(-1).numpy(), soft.argmax(-1).numpy())
    w = ember.tensor(np.random.default_rng(3).normal(size=(4, 6)))
    g_soft = ember.autograd.grad((soft * w).sum(), x)[0]
    g_hard = ember.autograd.grad((hard * w).sum(), x)[0]
    np.testing.assert_allclose(g_hard.numpy(), g_soft.numpy(), rtol=1e-12, atol=1e-14)


def test_gumbel_softmax_gradcheck_on_a_fixed_draw():
    x = ember.tensor(np.random.default_rng(4).normal(size=(2, 5)), requires_grad=True)

    def fn(x):
        ember.manual_seed(9)  # the same noise on every call
        return ember.nn.functional.gumbel_softmax(x, tau=0.8, dim=1)
    assert ember.autograd.gradcheck(fn, [x])


def test_gumbel_softmax_eps_warning_is_torchs():
    with pytest.warns(UserWarning) as expected:
        torch.nn.functional.gumbel_softmax(torch.zeros(2, 3), eps=1e-3)
    with pytest.warns(UserWarning) as got:
        ember.nn.functional.gumbel_softmax(ember.zeros(2, 3), eps=1e-3)
    assert str(got[0].message) == str(expected[0].message)


@pytest.mark.parametrize("make", [lambda lib: lib.nn.functional.gumbel_softmax(lib.zeros(2, 3, dtype=lib.int64)),
                                  lambda lib: lib.nn.functional.gumbel_softmax(lib.zeros(2, 3), dim=2)])
def test_gumbel_softmax_errors_are_torchs_types(make):
    with pytest.raises(Exception) as expected:
        make(torch)
    with pytest.raises(expected.type):
        make(ember)
