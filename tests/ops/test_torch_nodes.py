"""The ops that give ember torch's graph nodes (Mm, Bmm, Mv, Dot, Addmm with T on the weight, Std, max(dim) and
the other picks, sort, topk, tril/triu, roll, index_select): values and gradients against torch (float64 and float32, contiguous or not), finite differences
and second derivatives."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers import check_parity

RNG = np.random.default_rng(23)


def r(*shape):
    return RNG.normal(size=shape)


PRODUCTS = {
    "mm": (lambda t, a, b: a.mm(b), (r(2, 3), r(3, 4))),
    "matmul-2d": (lambda t, a, b: a @ b, (r(3, 1), r(1, 5))),
    "mv": (lambda t, a, v: a @ v, (r(4, 3), r(3))),
    "vector-matrix": (lambda t, v, a: v @ a, (r(3), r(3, 4))),
    "dot": (lambda t, u, v: u @ v, (r(5), r(5))),
    "torch.dot": (lambda t, u, v: t.dot(u, v), (r(3), r(3))),
    "mv-method": (lambda t, a, v: t.mv(a, v), (r(2, 3), r(3))),
    "3d-2d": (lambda t, a, b: a @ b, (r(2, 3, 4), r(4, 5))),
    "3d-vector": (lambda t, a, v: a @ v, (r(2, 3, 4), r(4))),
    "2d-3d": (lambda t, a, b: a @ b, (r(3, 4), r(2, 4, 5))),
    "vector-3d": (lambda t, v, b: v @ b, (r(4), r(2, 4, 5))),
    "bmm": (lambda t, a, b: a.bmm(b), (r(2, 3, 4), r(2, 4, 2))),
    "3d-3d-broadcast": (lambda t, a, b: a @ b, (r(1, 3, 4), r(2, 4, 2))),
    "4d-3d": (lambda t, a, b: a @ b, (r(2, 1, 3, 4), r(3, 4, 2))),
    "linear": (lambda t, x, w, b: t.nn.functional.linear(x, w, b), (r(5, 3), r(4, 3), r(4))),
    "linear-no-bias": (lambda t, x, w: t.nn.functional.linear(x, w), (r(5, 3), r(4, 3))),
    "linear-1d": (lambda t, x, w, b: t.nn.functional.linear(x, w, b), (r(3), r(4, 3), r(4))),
    "linear-3d": (lambda t, x, w, b: t.nn.functional.linear(x, w, b), (r(2, 5, 3), r(4, 3), r(4))),
    "linear-3d-no-bias": (lambda t, x, w: t.nn.functional.linear(x, w), (r(2, 5, 3), r(4, 3))),
    "linear-3d-strided": (lambda t, x, w, b: t.nn.functional.linear(x.transpose(0, 1), w, b),
                          (r(5, 2, 3), r(4, 3), r(4))),
    "linear-bias-row": (lambda t, x, w, b: t.nn.functional.linear(x, w, b.reshape(1, 4)), (r(5, 3), r(4, 3), r(4))),
    "linear-single-output": (lambda t, x, w, b: t.nn.functional.linear(x, w, b), (r(5, 3), r(1, 3), r(1))),
}
PICKS = {
    "std": (lambda t, a: a.std(), (r(3, 4),)),
    "std-dim": (lambda t, a: a.std(1), (r(3, 4),)),
    "std-dims-keepdim": (lambda t, a: a.std((0, 2), keepdim=True, correction=0), (r(2, 3, 4),)),
    "std-equal-values": (lambda t, a: a.std(1), (np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]),)),
    "max-dim": (lambda t, a: a.max(1).values, (r(3, 4),)),
    "max-dim-keepdim": (lambda t, a: a.max(0, keepdim=True)[0], (r(3, 4, 2),)),
    "min-dim": (lambda t, a: a.min(-1).values, (r(3, 4),)),
    "max-0d": (lambda t, a: a.max(0).values, (np.array(0.3),)),
    "max-all": (lambda t, a: a.max(), (r(3, 4),)),
    "min-all": (lambda t, a: a.min(), (r(3, 4),)),
    "amax-ties": (lambda t, a: a.amax(1), (np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]),)),
    "kthvalue": (lambda t, a: a.kthvalue(2, 0).values, (r(4, 3),)),
    "median-dim": (lambda t, a: a.median(1).values, (r(3, 5),)),
    "mode": (lambda t, a: a.mode(1).values, (np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 1.0]]),)),
    "cummax": (lambda t, a: a.cummax(1).values, (r(3, 5),)),
    "cummin": (lambda t, a: a.cummin(0).values, (r(4, 2),)),
    "norm-p1": (lambda t, a: a.norm(p=1), (r(3, 4),)),
    "norm-p3-dim": (lambda t, a: a.norm(p=3, dim=1), (r(3, 4),)),
    "norm-p1.5-keepdim": (lambda t, a: a.norm(p=1.5, dim=0, keepdim=True), (r(3, 4),)),
    "norm-inf": (lambda t, a: a.norm(p=float("inf"), dim=1), (r(3, 4),)),
    "norm-minus-inf": (lambda t, a: a.norm(p=float("-inf")), (r(3, 4),)),
    "norm-inf-ties": (lambda t, a: a.norm(p=float("inf"), dim=1), (np.array([[1.0, -3.0, 3.0], [2.0, 0.0, -1.0]]),)),
    "norm-p0": (lambda t, a: a.norm(p=0, dim=1), (np.array([[1.0, 0.0, 3.0], [2.0, 0.0, 0.0]]),)),
    "norm-p3-zero-row": (lambda t, a: a.norm(p=3, dim=1), (np.array([[0.0, 0.0], [1.0, -2.0]]),)),
    "sort": (lambda t, a: a.sort(1).values, (r(3, 5),)),
    "sort-descending": (lambda t, a: a.sort(0, descending=True)[0], (r(3, 5),)),
    "topk": (lambda t, a: a.topk(2, 1).values, (r(3, 5),)),
    "topk-smallest": (lambda t, a: a.topk(3, 0, largest=False).values, (r(4, 2),)),
    "prod-dim": (lambda t, a: a.prod(1), (r(3, 4),)),
    "tril": (lambda t, a: a.tril(), (r(3, 4),)),
    "triu-offset": (lambda t, a: a.triu(1), (r(2, 3, 3),)),
    "roll": (lambda t, a: a.roll(1, 1), (r(3, 4),)),
    "roll-flat": (lambda t, a: a.roll(2), (r(3, 4),)),
    "roll-two-dims": (lambda t, a: t.roll(a, (1, -3), (0, 2)), (r(2, 3, 4),)),
    "index_select": (lambda t, a: a.index_select(1, t.tensor([2, 0, 2])), (r(3, 4),)),
    "outer": (lambda t, u, v: t.outer(u, v), (r(3), r(4))),
    "index-int-then-array": (lambda t, a: a[1, [2, 0, 2]], (r(2, 3, 4),)),
    "index-slice-then-array": (lambda t, a: a[:, t.tensor([2, 0]), 1:3], (r(2, 3, 4),)),
    "index-mask-and-int": (lambda t, a: a[t.tensor([[True, False, True], [False, True, False]]), 0], (r(2, 3, 4),)),
    "index-mask-and-slice": (lambda t, a: a[t.tensor([[True, False, True], [False, True, True]]), 1:], (r(2, 3, 4),)),
    "index-two-ints": (lambda t, a: a[0, -1], (r(2, 3, 4),)),
    "index-ellipsis-slice-int": (lambda t, a: a[..., 1:, 0], (r(2, 3, 4),)),
}
CASES = {**PRODUCTS, **PICKS}
NAMED_OTHERWISE = {"3d-3d-broadcast"}  # torch squeezes the batch of one and folds it; ember expands it (same numbers)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case):
    fn, arrays = CASES[case]
    check_parity(fn, arrays)
    check_parity(fn, arrays, noncontiguous=True)
    check_parity(fn, [a.astype(np.float32) for a in arrays], atol=1e-5, rtol=1e-5)
    e = fn(ember, *[ember.tensor(a, requires_grad=True) for a in arrays])
    t = fn(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    if case not in NAMED_OTHERWISE:
        assert e.grad_fn.name() == t.grad_fn.name().split("::")[-1]


@pytest.mark.parametrize("case", sorted(c for c in CASES if c not in ("std-equal-values", "amax-ties", "mode", "norm-inf-ties",
                                                                   "norm-p0", "norm-p3-zero-row")))
def test_finite_differences_and_second_derivatives(case):
    fn, arrays = CASES[case]
    inputs = [ember.tensor(a.copy(), requires_grad=True) for a in arrays]
    f = lambda *xs: fn(ember, *xs)  # noqa: E731
    assert ember.autograd.gradcheck(f, inputs)
    assert ember.autograd.gradgradcheck(f, inputs)


def test_linear_weight_gradient_keeps_the_weights_layout():
    layer = ember.nn.Linear(3, 4)
    layer(ember.randn(5, 3)).sum().backward()
    assert layer.weight.grad.is_contiguous() and layer.weight.grad.stride() == (3, 1)
