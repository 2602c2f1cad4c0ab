"""Losses recorded as one node each, as torch records them: values, gradients (of both input and target where
torch gives them) against torch, finite differences, second derivatives, and the empty-weight reductions."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_parity

RNG = np.random.default_rng(5)
X, Y = RNG.normal(size=(4, 5)), RNG.normal(size=(4, 5))
ODD = RNG.normal(size=(3, 1, 7)), RNG.normal(size=(3, 1, 7))
P, T01 = RNG.uniform(0.05, 0.95, size=(4, 5)), RNG.uniform(0, 1, size=(4, 5))
W5 = RNG.uniform(0.2, 2.0, size=5)


def F(lib):
    return lib.nn.functional


REDUCTIONS = ("mean", "sum", "none")
CASES = []
for r in REDUCTIONS:
    CASES += [
        (f"mse-{r}", lambda lib, x, y, r=r: F(lib).mse_loss(x, y, reduction=r), (X, Y)),
        (f"mse-odd-{r}", lambda lib, x, y, r=r: F(lib).mse_loss(x, y, reduction=r), ODD),
        (f"smooth_l1-{r}", lambda lib, x, y, r=r: F(lib).smooth_l1_loss(x, y, reduction=r, beta=0.7), (X, Y)),
        (f"smooth_l1-beta1-{r}", lambda lib, x, y, r=r: F(lib).smooth_l1_loss(x, y, reduction=r), ODD),
        (f"huber-{r}", lambda lib, x, y, r=r: F(lib).huber_loss(x, y, reduction=r, delta=0.6), (X, Y)),
        (f"huber-delta2-{r}", lambda lib, x, y, r=r: F(lib).huber_loss(x, y, reduction=r, delta=2.0), ODD),
        (f"bce-{r}", lambda lib, p, y, r=r: F(lib).binary_cross_entropy(p, y, reduction=r), (P, T01)),
        (f"bce-weight-{r}", lambda lib, p, y, r=r: F(lib).binary_cross_entropy(
            p, y, weight=lib.tensor(W5), reduction=r), (P, T01)),
        (f"bce_logits-{r}", lambda lib, x, y, r=r: F(lib).binary_cross_entropy_with_logits(x, y, reduction=r),
         (X * 3, T01)),
        (f"bce_logits-weights-{r}", lambda lib, x, y, r=r: F(lib).binary_cross_entropy_with_logits(
            x, y, weight=lib.tensor(W5), pos_weight=lib.tensor(W5[::-1].copy()), reduction=r), (X * 3, T01)),
        (f"cross_entropy-{r}", lambda lib, x, r=r: F(lib).cross_entropy(x, lib.tensor([0, 4, 2, 2]), reduction=r),
         (X,)),
        (f"cross_entropy-weight-ignore-{r}", lambda lib, x, r=r: F(lib).cross_entropy(
            x, lib.tensor([0, -100, 2, 3]), weight=lib.tensor(W5, dtype=x.dtype), reduction=r), (X,)),
        (f"nll-weight-ignore-{r}", lambda lib, x, r=r: F(lib).nll_loss(
            x, lib.tensor([1, 4, 7, 1]), weight=lib.tensor(W5, dtype=x.dtype), ignore_index=7, reduction=r), (X,)),
    ]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_fused_loss_matches_torch_and_finite_differences(name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (broadcast targets warn, in both libraries)
        check_parity(fn, arrays)
        check_parity(fn, [a.astype(np.float32) for a in arrays], atol=1e-5, rtol=1e-5)
        inputs = [ember.tensor(a.copy(), requires_grad=True) for a in arrays]
        if name.startswith("bce-"):  # torch gives the target of binary_cross_entropy a gradient too, but finite
            inputs[1].requires_grad_(False)  # differences need the probabilities alone to move (p stays in (0, 1))
        f = lambda *xs: fn(ember, *xs)  # noqa: E731
        assert ember.autograd.gradcheck(f, inputs)
        assert ember.autograd.gradgradcheck(f, inputs)


@pytest.mark.parametrize("name", ["mse", "smooth_l1", "huber", "bce", "bce_logits", "cross_entropy"])
def test_fused_loss_is_one_node(name):
    x = ember.tensor(P, requires_grad=True)
    loss = {"mse": lambda: F(ember).mse_loss(x, ember.tensor(Y)),
            "smooth_l1": lambda: F(ember).smooth_l1_loss(x, ember.tensor(Y)),
            "huber": lambda: F(ember).huber_loss(x, ember.tensor(Y)),
            "bce": lambda: F(ember).binary_cross_entropy(x, ember.tensor(T01)),
            "bce_logits": lambda: F(ember).binary_cross_entropy_with_logits(x, ember.tensor(T01)),
            "cross_entropy": lambda: F(ember).cross_entropy(x, ember.tensor([1, 2, 3, 4]))}[name]()
    torch_names = {"mse": "MseLoss", "smooth_l1": "SmoothL1Loss", "huber": "HuberLoss", "bce": "BinaryCrossEntropy",
                   "bce_logits": "BinaryCrossEntropyWithLogits", "cross_entropy": "NllLoss"}
    assert loss.grad_fn.name() == torch_names[name] + "Backward0"


# reductions where the weights sum to nothing: torch's loss is 0/0 = NaN; an ignored sample gets no gradient at
# all (so a batch of only ignored targets leaves the model alone), a counted sample of weight 0 gets NaN
EMPTY_WEIGHT = {
    "ce-all-ignored-mean": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4)),
    "ce-all-ignored-sum": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4), reduction="sum"),
    "ce-all-ignored-none": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4), reduction="none"),
    "ce-all-ignored-custom-index": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([3] * 4), ignore_index=3),
    "ce-all-ignored-weight": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4),
                                                                 weight=lib.tensor(W5)),
    "ce-zero-weights": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([1, 1, 2, 1]),
                                                           weight=lib.tensor([1.0, 0, 0, 1, 1], dtype=lib.float64)),
    "ce-zero-weights-sum": lambda lib, x: F(lib).cross_entropy(
        x, lib.tensor([1, 1, 2, 1]), weight=lib.tensor([1.0, 0, 0, 1, 1], dtype=lib.float64), reduction="sum"),
    "ce-some-ignored-zero-weights": lambda lib, x: F(lib).cross_entropy(
        x, lib.tensor([1, -100, 2, 1]), weight=lib.tensor([1.0, 0, 0, 1, 1], dtype=lib.float64)),
    "ce-smoothing-all-ignored": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4), label_smoothing=0.2),
    "ce-smoothing-all-ignored-sum": lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4),
                                                                        label_smoothing=0.2, reduction="sum"),
    "ce-smoothing-all-ignored-weight": lambda lib, x: F(lib).cross_entropy(
        x, lib.tensor([-100] * 4), weight=lib.tensor(W5), label_smoothing=0.2),
    "ce-smoothing-zero-weights": lambda lib, x: F(lib).cross_entropy(
        x, lib.tensor([1, 1, 2, 1]), weight=lib.tensor([1.0, 0, 0, 1, 1], dtype=lib.float64), label_smoothing=0.2),
    "ce-3d-all-ignored": lambda lib, x: F(lib).cross_entropy(x.reshape(2, 5, 2), lib.tensor([[-100] * 2] * 2)),
    "ce-empty-batch": lambda lib, x: F(lib).cross_entropy(x[:0], lib.tensor([], dtype=lib.int64)),
    "ce-empty-batch-sum": lambda lib, x: F(lib).cross_entropy(x[:0], lib.tensor([], dtype=lib.int64),
                                                              reduction="sum"),
    "ce-probs-empty-batch": lambda lib, x: F(lib).cross_entropy(x[:0], lib.zeros(0, 5, dtype=lib.float64)),
    "ce-probs-zero-weight": lambda lib, x: F(lib).cross_entropy(x, lib.tensor(T01), weight=lib.zeros(5).double()),
    "nll-all-ignored": lambda lib, x: F(lib).nll_loss(x, lib.tensor([-100] * 4)),
    "nll-all-ignored-weight": lambda lib, x: F(lib).nll_loss(x, lib.tensor([-100] * 4), weight=lib.tensor(W5)),
    "nll-zero-weights": lambda lib, x: F(lib).nll_loss(x, lib.tensor([1, 1, 2, 1]),
                                                       weight=lib.tensor([1.0, 0, 0, 1, 1], dtype=lib.float64)),
}


@pytest.mark.parametrize("case", sorted(EMPTY_WEIGHT))
def test_empty_weight_reductions_match_torch(case):
    fn = EMPTY_WEIGHT[case]
    results = []
    for lib in (ember, torch):
        x = lib.tensor(X.copy(), requires_grad=True)
        loss = fn(lib, x)
        loss.sum().backward()
        results.append((loss, x.grad))
    (e_loss, e_grad), (t_loss, t_grad) = results
    assert_same(e_loss, t_loss)
    assert_same(e_grad, t_grad, what="gradient")
