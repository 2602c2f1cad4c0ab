"""Property-based: random expressions over random broadcastable shapes, compared with torch."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import ember
from helpers import assert_same

UNARY = [lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x.exp() * 0.1, lambda x: (x * x + 1).log(),
         lambda x: x.relu(), lambda x: (x * x + 1).sqrt(), lambda x: -x, lambda x: x.abs() + 1, lambda x: x.sin()]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1),
          lambda a, b: a.maximum(b), lambda a, b: a * 2.5 - b]


@st.composite
def expressions(draw):
    shapes, other = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1,
                                                       max_side=4)).input_shapes
    steps = draw(st.lists(st.tuples(st.integers(0, len(UNARY) - 1), st.integers(0, len(BINARY) - 1),
                                    st.integers(0, 2)), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2 ** 31))
    return shapes, other, steps, seed


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_random_expressions_match_torch(expression):
    shape_a, shape_b, steps, seed = expression
    rng = np.random.default_rng(seed)
    data = [rng.normal(size=shape_a), rng.normal(size=shape_b)]
    results = []
    for lib in (ember, torch):
        a, b = (lib.tensor(d.copy(), requires_grad=True) for d in data)
        values = [a, b]
        for unary, binary, pick in steps:
            x = UNARY[unary](values[pick % len(values)])
            values.append(BINARY[binary](x, values[(pick + 1) % len(values)]))
        out = values[-1].sum() + values[-2].mean()
        out.backward()
        results.append((out, a.grad, b.grad))
    for e, t in zip(*results):
        if t is None:
            assert e is None
        else:
            assert_same(e, t, atol=1e-8, rtol=1e-6)


REDUCTIONS = [lambda t, d, k: t.sum(d, keepdim=k), lambda t, d, k: t.mean(d, keepdim=k),
              lambda t, d, k: t.amax(d, keepdim=k), lambda t, d, k: t.logsumexp(d, keepdim=k),
              lambda t, d, k: t.var(d, keepdim=k), lambda t, d, k: t.softmax(d[0] if d else 0) * 1.0,
              lambda t, d, k: t.norm(dim=d, keepdim=k)]


@st.composite
def reductions(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape), unique_by=lambda
                         d: d % len(shape)))
    return shape, tuple(dims), draw(st.booleans()), draw(st.integers(0, len(REDUCTIONS) - 1)), draw(st.integers(0, 99))


@settings(max_examples=120, deadline=None)
@given(reductions())
def test_random_reductions_match_torch(case):
    shape, dims, keepdim, which, seed = case
    data = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.1 + 0.05  # no ties
    results = []
    for lib in (torch, ember):
        x = lib.tensor(data.copy(), requires_grad=True)
        try:
            out = REDUCTIONS[which](x, dims, keepdim)
        except Exception as error:  # noqa: BLE001 (where torch refuses, ember must refuse alike)
            if lib is ember:
                raise
            with pytest.raises(type(error)):
                REDUCTIONS[which](ember.tensor(data.copy()), dims, keepdim)
            return
        (out * out).sum().backward()
        results.append((out, x.grad))
    for t, e in zip(*results):
        assert_same(e, t, atol=1e-9, rtol=1e-7)


@settings(max_examples=80, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3),
       st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 99))
def test_random_batched_matmul_matches_torch(batch, n, k, m, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=batch.input_shapes[0] + (n, k)), rng.normal(size=batch.input_shapes[1] + (k, m))
    results = []
    for lib in (ember, torch):
        x, y = lib.tensor(a.copy(), requires_grad=True), lib.tensor(b.copy(), requires_grad=True)
        out = x @ y
        out.sum().backward()
        results.append((out, x.grad, y.grad))
    for e, t in zip(*results):
        assert_same(e, t, atol=1e-9, rtol=1e-7)


@st.composite
def index_keys(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    parts, dim = [], 0
    for _ in range(draw(st.integers(1, len(shape) + 1))):
        kind = draw(st.sampled_from(["int", "slice", "none", "list", "ellipsis"] if dim < len(shape) else ["none"]))
        if kind == "int":
            parts.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        elif kind == "slice":
            parts.append(slice(draw(st.one_of(st.none(), st.integers(-6, 6))),
                               draw(st.one_of(st.none(), st.integers(-6, 6))), draw(st.sampled_from([None, 1, 2, 3]))))
            dim += 1
        elif kind == "list":
            parts.append(draw(st.lists(st.integers(-shape[dim], shape[dim] - 1), min_size=1, max_size=4)))
            dim += 1
        elif kind == "ellipsis" and Ellipsis not in parts:
            parts.append(Ellipsis)
            dim = len(shape)
        else:
            parts.append(None)
    if sum(isinstance(p, list) for p in parts) > 1:  # several index lists must broadcast: keep one
        first = next(i for i, p in enumerate(parts) if isinstance(p, list))
        parts = [p if not isinstance(p, list) or i == first else slice(None) for i, p in enumerate(parts)]
    return shape, tuple(parts), draw(st.integers(0, 99))


@settings(max_examples=200, deadline=None)
@given(index_keys())
def test_random_indexing_matches_torch(case):
    shape, key, seed = case
    data = np.random.default_rng(seed).normal(size=shape)
    outcome = []
    for lib in (torch, ember):
        x = lib.tensor(data.copy(), requires_grad=True)
        try:
            out = x[key]
        except Exception as error:  # noqa: BLE001 (where torch refuses, ember must refuse alike)
            if lib is ember:
                raise
            with pytest.raises(type(error)):
                ember.tensor(data.copy())[key]
            return
        (out * out).sum().backward()
        outcome.append((out, x.grad))
    for t, e in zip(*outcome):
        assert_same(e, t)


@settings(max_examples=150, deadline=None)
@given(index_keys(), st.booleans())
def test_random_index_assignment_matches_torch(case, scalar_value):
    shape, key, seed = case
    rng = np.random.default_rng(seed)
    data = rng.normal(size=shape)
    target_shape = tuple(torch.zeros(shape)[key].shape)
    value = rng.normal(size=() if scalar_value else target_shape)
    outcome = []
    for lib in (torch, ember):
        x = lib.tensor(data.copy(), requires_grad=True)
        v = lib.tensor(value.copy(), requires_grad=True)
        y = x * 1
        y[key] = v
        (y * y * lib.arange(y.numel(), dtype=lib.float64).reshape(y.shape)).sum().backward()
        outcome.append((y, x.grad, v.grad))
    for t, e in zip(*outcome):
        if t is None:
            assert e is None
        else:
            assert_same(e, t)


SHAPE_STEPS = {
    "permute": lambda t, r: t.permute(*r.permutation(t.ndim).tolist()) if t.ndim else t,
    "transpose": lambda t, r: t.transpose(int(r.integers(t.ndim)), int(r.integers(t.ndim))) if t.ndim else t,
    "reshape": lambda t, r: t.reshape(-1, *t.shape[2:]) if t.ndim > 1 else t.reshape(1, -1),
    "view_contiguous": lambda t, r: t.contiguous().view(*reversed(t.shape)),
    "flip": lambda t, r: t.flip(int(r.integers(t.ndim))) if t.ndim else t,
    "unsqueeze_expand": lambda t, r: t.unsqueeze(0).expand(2, *t.shape),
    "squeeze": lambda t, r: t.squeeze(),
    "flatten": lambda t, r: t.flatten(),
    "narrow": lambda t, r: t.narrow(0, 0, max(1, t.shape[0] // 2)) if t.ndim else t,
    "repeat": lambda t, r: t.repeat(*([2] + [1] * (t.ndim - 1))) if t.ndim else t,
    "mT": lambda t, r: t.mT if t.ndim >= 2 else t,
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.lists(st.sampled_from(sorted(SHAPE_STEPS)),
                                                                     min_size=1, max_size=6), st.integers(0, 99))
def test_random_shape_chains_match_torch(shape, steps, seed):
    data = np.random.default_rng(seed).normal(size=shape)
    outcome = []
    for lib in (torch, ember):
        r = np.random.default_rng(seed)  # the same choices in both libraries
        x = lib.tensor(data.copy(), requires_grad=True)
        y = x
        for step in steps:
            y = SHAPE_STEPS[step](y if y.ndim else y.unsqueeze(0), r)  # (0-d: torch's view()/permute() want args)
        weights = lib.arange(y.numel(), dtype=lib.float64).reshape(y.shape)
        (y * weights).sum().backward()
        outcome.append((y, x.grad))
    for t, e in zip(*outcome):
        assert_same(e, t)


@st.composite
def joins(draw):
    """Random shape, dim and split sizes for pulling a tensor apart and putting it back together."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    size = draw(st.integers(1, max(1, shape[dim])))
    return tuple(shape), dim, size, draw(st.integers(0, 99))


@settings(max_examples=120, deadline=None)
@given(joins())
def test_random_split_cat_stack_gather_match_torch(case):
    shape, dim, size, seed = case
    rng = np.random.default_rng(seed)
    data = rng.normal(size=shape)
    index = rng.integers(0, shape[dim], size=shape)
    outcome = []
    for lib in (torch, ember):
        x = lib.tensor(data.copy(), requires_grad=True)
        pieces = x.split(size, dim)
        joined = lib.cat([p * (i + 1) for i, p in enumerate(reversed(pieces))], dim)
        stacked = lib.stack(x.unbind(dim), dim=-1)
        picked = x.gather(dim, lib.tensor(index))
        spread = lib.zeros(shape, dtype=lib.float64).scatter_add(dim, lib.tensor(index), x * x)
        chunks = x.chunk(size, dim)
        parts = [joined, stacked, picked, spread, chunks[-1]]
        weights = [lib.arange(p.numel(), dtype=lib.float64).reshape(p.shape) for p in parts]
        sum((p * w).sum() for p, w in zip(parts, weights)).backward()
        outcome.append((*parts, x.grad))
    for t, e in zip(*outcome):
        assert_same(e, t)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(-2, 2), st.integers(0, 99))
def test_random_masks_and_running_sums_match_torch(shape, diagonal, seed):
    rng = np.random.default_rng(seed)
    data, mask = rng.normal(size=shape), rng.random(size=shape[-1:]) < 0.5  # the mask broadcasts
    outcome = []
    for lib in (torch, ember):
        x = lib.tensor(data.copy(), requires_grad=True)
        m = lib.tensor(mask)
        parts = [x.tril(diagonal), x.triu(diagonal), lib.where(m, x, x * x), x.masked_fill(m, 0.5),
                 x.cumsum(len(shape) - 1 - seed % len(shape))]
        weights = [lib.arange(p.numel(), dtype=lib.float64).reshape(p.shape) for p in parts]
        sum((p * w).sum() for p, w in zip(parts, weights)).backward()
        outcome.append((*parts, x.grad))
    for t, e in zip(*outcome):
        assert_same(e, t)
