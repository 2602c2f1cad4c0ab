"""Memory layout as PyTorch's: every op's result has torch's strides, contiguity and storage offset.

So that ``.view()`` succeeds and fails exactly where torch's does (the course CNN's ``x.view(batch, -1)``).
"""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 3, 4)).astype(np.float32)
M = RNG.normal(size=(3, 4)).astype(np.float32)


def inputs(lib):
    """A contiguous tensor, a transposed one, a sliced one and a permuted one."""
    a = lib.tensor(A)
    m = lib.tensor(M)
    return {"a": a, "m": m, "mt": m.t(), "sl": a[:, 1:, ::2], "perm": a.permute(2, 0, 1)}


OPS = {
    # elementwise: the result follows the input's layout (TensorIterator's rule)
    "neg": lambda x: -x["mt"],
    "exp": lambda x: x["perm"].exp(),
    "add_scalar": lambda x: x["mt"] + 1,
    "add_same": lambda x: x["mt"] + x["mt"],
    "add_mixed": lambda x: x["m"] + x["mt"].t(),
    # inputs whose layouts disagree: the first input that tells two dimensions apart decides (NumPy: row-major)
    "mul_transposed_first": lambda x: x["mt"] * x["m"].t().contiguous(),
    "mul_contiguous_first": lambda x: x["m"].t().contiguous() * x["mt"],
    "sub_permuted_first": lambda x: x["perm"] - x["perm"].contiguous(),
    "div_broadcast_row": lambda x: x["mt"] / x["m"][:, 0],
    "maximum_permuted": lambda x: ember_or_torch(x).maximum(x["perm"], x["perm"].contiguous()),
    "pow_permuted": lambda x: x["perm"].abs() ** x["perm"].contiguous(),
    "where_condition_decides": lambda x: ember_or_torch(x).where(x["mt"] > 0, x["m"].t().contiguous(), x["mt"]),
    "compare_transposed": lambda x: x["mt"] > x["m"].t().contiguous(),
    "add_3d_broadcast": lambda x: x["mt"].unsqueeze(0) + x["a"][:, :1, :1].permute(1, 2, 0).contiguous()[..., :1],
    "mul_broadcast": lambda x: x["a"] * x["m"][0],
    "relu_sliced": lambda x: x["sl"].relu(),
    "where": lambda x: ember_or_torch(x).where(x["m"] > 0, x["m"], 0.0),
    "clamp": lambda x: x["mt"].clamp(-0.5, 0.5),
    "sigmoid": lambda x: x["perm"].sigmoid(),
    "to_double": lambda x: x["mt"].double(),
    "clone": lambda x: x["perm"].clone(),
    "clone_expanded": lambda x: x["m"][:, :1].expand(3, 4).clone(),  # stride-0 dims stay in row-major place
    "clone_expanded_row": lambda x: x["m"][0].expand(3, 4).clone(),
    "clone_expanded_permuted": lambda x: x["perm"][:, :1].expand(4, 3, 3).clone(),
    "contiguous": lambda x: x["perm"].contiguous(),
    "cumsum_permuted": lambda x: x["perm"].cumsum(0),  # torch: contiguous (NumPy keeps the input's layout)
    "cumprod_permuted": lambda x: x["perm"].cumprod(1),
    # reductions, matrices
    "sum_dim": lambda x: x["perm"].sum(0),
    "sum_keepdim": lambda x: x["a"].sum(1, keepdim=True),
    # indexing with arrays: laid out from the tensor's strides (its indexed dims aside) and the index arrays'
    "index_rows_of_permuted": lambda x: x["perm"][[0, 2]],
    "index_middle_of_permuted": lambda x: x["perm"][:, [0, 1]],
    "index_last_of_permuted": lambda x: x["perm"][:, :, [0, 2]],
    "index_transposed_swapped": lambda x: x["a"].transpose(2, 0)[[0, 1]],
    "index_apart": lambda x: x["perm"][[0, 1], :, [1, 0]],
    "index_ellipsis_sliced": lambda x: x["perm"][1:, ::2, [0, 1]],
    "index_broadcast_arrays": lambda x: x["mt"][[[0], [1]], [0, 2]],
    # a reduction's result is contiguous whatever the input's layout (NumPy's follows the input)
    "sum_permuted": lambda x: x["perm"].sum(1),
    "mean_permuted_keepdim": lambda x: x["perm"].mean(1, keepdim=True),
    "amax_transposed": lambda x: x["mt"].unsqueeze(-2).amax(1),
    "var_permuted": lambda x: x["perm"].var(1),
    "norm_permuted": lambda x: x["perm"].norm(dim=1),
    "any_permuted": lambda x: (x["perm"] > 0).any(1),
    "mean": lambda x: x["mt"].mean(1),
    "prod_dim": lambda x: x["perm"].prod(2),
    "logsumexp_dim": lambda x: x["a"].transpose(1, 2).logsumexp(0),
    "max_dim": lambda x: x["a"].max(2)[0],
    "softmax": lambda x: x["a"].softmax(1),
    "log_softmax": lambda x: x["mt"].log_softmax(1),
    "cumsum": lambda x: x["a"].cumsum(1),
    "matmul": lambda x: x["m"] @ x["mt"],
    "matmul_t": lambda x: x["mt"] @ x["m"],
    "bmm": lambda x: x["a"] @ x["a"].transpose(1, 2),
    "linear": lambda x: F(x).linear(x["a"], x["m"]),
    # views
    "t": lambda x: x["m"].t(),
    "transpose": lambda x: x["a"].transpose(0, 2),
    "permute": lambda x: x["perm"],
    "view": lambda x: x["a"].view(6, 4),
    "reshape_view": lambda x: x["a"].reshape(2, 12),
    "reshape_copy": lambda x: x["mt"].reshape(12),
    "flatten_copy": lambda x: x["perm"].flatten(1),
    "unsqueeze0": lambda x: x["m"].unsqueeze(0),
    "unsqueeze1": lambda x: x["mt"].unsqueeze(1),
    "unsqueeze_end": lambda x: x["m"][0].unsqueeze(1),
    "none_index": lambda x: x["m"][:, None],
    "none_index_front": lambda x: x["mt"][None],
    "squeeze": lambda x: x["a"][:, :1].squeeze(1),
    "expand": lambda x: x["m"][:, :1].expand(3, 5),
    "expand_new": lambda x: x["m"].expand(2, 3, 4),
    "slice": lambda x: x["a"][1:, ::2],
    "select": lambda x: x["a"][:, 1],
    "narrow": lambda x: x["a"].narrow(2, 1, 2),
    "diagonal": lambda x: x["m"].diagonal(),
    "unbind": lambda x: x["a"].unbind(1)[1],
    "split": lambda x: x["a"].split(2, dim=2)[1],
    "chunk": lambda x: x["mt"].chunk(2)[1],
    "mT": lambda x: x["a"].mT,
    "movedim": lambda x: x["a"].movedim(0, 2),
    # copies
    "flip": lambda x: x["mt"].flip(0),
    "cat": lambda x: ember_or_torch(x).cat([x["mt"], x["mt"]], 1),
    "stack": lambda x: ember_or_torch(x).stack([x["m"], x["m"]], 1),
    "repeat": lambda x: x["mt"].repeat(2, 1),
    "index_select": lambda x: x["mt"].index_select(0, ember_or_torch(x).tensor([0, 2])),
    "advanced_index": lambda x: x["a"][:, [0, 2]],
    "gather": lambda x: x["m"].gather(1, ember_or_torch(x).tensor([[0], [1], [2]])),
    "masked_fill": lambda x: x["mt"].masked_fill(x["mt"] > 0, 0.0),
    "tril": lambda x: x["mt"].tril(),
    "pad": lambda x: F(x).pad(x["a"], (1, 1)),
    "sort": lambda x: x["m"].sort(1)[0],
    "topk": lambda x: x["a"].topk(2, dim=1)[0],
    # layers
    "max_pool2d": lambda x: F(x).max_pool2d(x["a"][None], 2),
    "avg_pool2d": lambda x: F(x).avg_pool2d(x["a"][None], 2),
    "batch_norm": lambda x: F(x).batch_norm(x["a"], None, None, training=True),
    "layer_norm": lambda x: F(x).layer_norm(x["a"], (4,)),
    "dropout_eval": lambda x: F(x).dropout(x["mt"], 0.5, training=False),
    "embedding": lambda x: F(x).embedding(ember_or_torch(x).tensor([[0, 2], [1, 1]]), x["m"]),
    "cross_entropy_none": lambda x: F(x).cross_entropy(x["m"], ember_or_torch(x).tensor([0, 1, 2]),
                                                       reduction="none"),
}


def ember_or_torch(x):
    return ember if isinstance(x["m"], ember.Tensor) else torch


def F(x):
    return ember_or_torch(x).nn.functional


def layout(t):
    return t.shape, t.stride(), t.is_contiguous(), t.storage_offset()


@pytest.mark.parametrize("name", sorted(OPS))
def test_layout_matches_torch(name):
    got, want = OPS[name](inputs(ember)), OPS[name](inputs(torch))
    assert tuple(got.shape) == tuple(want.shape)
    assert got.stride() == want.stride(), (got.stride(), want.stride())
    assert got.is_contiguous() == want.is_contiguous()
    assert got.storage_offset() == want.storage_offset()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(3, 4).t().view(12),
    lambda lib: lib.zeros(3, 4).t().view(4, 3),
    lambda lib: lib.zeros(2, 3, 4).permute(0, 2, 1).view(2, 12),
    lambda lib: lib.zeros(2, 3, 4).permute(1, 0, 2).view(3, 8),
    lambda lib: lib.zeros(2, 3, 4)[:, 1:].view(2, 8),
    lambda lib: lib.zeros(2, 3, 4)[:, :, 1:].view(6, 3),
    lambda lib: lib.zeros(4, 1).expand(4, 3).view(12),
    lambda lib: lib.zeros(4, 1).expand(4, 3).view(2, 2, 3),
])
def test_view_succeeds_and_fails_where_torch_does(make):
    results = []
    for lib in (ember, torch):
        try:
            t = make(lib)
            results.append((tuple(t.shape), t.stride()))
        except RuntimeError:
            results.append("refused")
    assert results[0] == results[1]


def _random_index_case(rng):
    """A tensor of random shape (size-1 dims included) and layout, and a key mixing arrays, slices and ints."""
    shape = tuple(int(s) for s in rng.integers(1, 4, rng.integers(1, 5)))
    data = rng.normal(size=shape).astype(np.float32)
    order = [int(i) for i in rng.permutation(len(shape))] if rng.random() < 0.4 else list(range(len(shape)))
    key = []
    for size in shape:
        kind = rng.integers(0, 5)
        if kind == 0:
            key.append(slice(None))
        elif kind == 1:
            key.append(slice(int(rng.integers(0, 2)), None, int(rng.integers(1, 3))))
        elif kind == 2:
            key.append(int(rng.integers(0, size)))
        else:
            key.append(rng.integers(0, size, (2,) if kind == 3 else (1, 2)))
    if not any(isinstance(k, np.ndarray) for k in key):
        key[0] = np.zeros(2, np.int64)
    return data, order, tuple(key)


def test_indexing_with_arrays_lays_out_as_torch_on_random_cases():
    # the rule behind the index_* cases above, on random shapes and keys: a contiguous tensor without size-1
    # dims gives a contiguous result (ember's shortcut); size-1 dims and other layouts follow torch's strides
    rng = np.random.default_rng(7)
    for case in range(400):
        data, order, key = _random_index_case(rng)
        results = []
        for lib in (ember, torch):
            inverse = list(np.argsort(order))
            t = lib.tensor(data.transpose(order).copy()).permute(*inverse)  # data's values, in another layout
            k = tuple(lib.tensor(i) if isinstance(i, np.ndarray) else i for i in key)
            out = t[k]
            # (a size-1 dim's stride never addresses anything, nor do an empty tensor's, and torch's own ops
            # disagree on them)
            strides = tuple(st for st, n in zip(out.stride(), out.shape) if n != 1) if out.numel() else ()
            results.append((tuple(out.shape), strides, out.is_contiguous(), out.detach().numpy().tolist()))
        assert results[0] == results[1], (case, data.shape, order, key)
