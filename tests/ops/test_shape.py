"""Shape ops against torch: views, permutes, cat/stack/split, gather/scatter, indexing, setitem."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity, sample

SHAPE_OPS = {
    "view": lambda lib, a: a.view(4, 6) * 2,
    "view_infer": lambda lib, a: a.contiguous().view(-1, 3),
    "reshape": lambda lib, a: a.reshape(6, 4),
    "reshape_tuple": lambda lib, a: lib.reshape(a, (2, -1)),
    "flatten": lambda lib, a: a.flatten(),
    "flatten_range": lambda lib, a: a.flatten(1),
    "unflatten": lambda lib, a: a.unflatten(2, (2, 2)),
    "squeeze_unsqueeze": lambda lib, a: a.unsqueeze(0).unsqueeze(-1).squeeze(),
    "squeeze_dim": lambda lib, a: a.unsqueeze(1).squeeze(1),
    "transpose": lambda lib, a: a.transpose(0, 2),
    "permute": lambda lib, a: a.permute(2, 0, 1),
    "T_2d": lambda lib, a: a[0].T,
    "mT": lambda lib, a: a.mT,
    "t": lambda lib, a: a[:, 1].t(),
    "expand": lambda lib, a: a[:, :1].expand(2, 3, 4),
    "expand_new_dims": lambda lib, a: a[0, 0].expand(5, 2, 4),
    "expand_as": lambda lib, a: a[:1].expand_as(a),
    "repeat": lambda lib, a: a.repeat(2, 1, 3),
    "repeat_more_dims": lambda lib, a: a[0].repeat(2, 2, 1),
    "cat": lambda lib, a: lib.cat([a, a * 2, a[:1]], dim=0),
    "cat_last": lambda lib, a: lib.cat((a, a[..., :1]), -1),
    "stack": lambda lib, a: lib.stack([a, a.exp()], dim=1),
    "split": lambda lib, a: lib.cat(a.split(2, dim=2)[::-1], 2),
    "split_sizes": lambda lib, a: a.split([1, 2], dim=1)[1],
    "chunk": lambda lib, a: a.chunk(3, dim=2)[1],
    "unbind": lambda lib, a: a.unbind(1)[2] * 3,
    "narrow": lambda lib, a: a.narrow(2, 1, 2),
    "flip": lambda lib, a: a.flip(0, 2),
    "contiguous": lambda lib, a: a.transpose(0, 1).contiguous(),
    "clone": lambda lib, a: a.clone() * a,
    "tril": lambda lib, a: a[0].tril(),
    "triu": lambda lib, a: a[0].triu(1),
    "index_int": lambda lib, a: a[1],
    "index_slices": lambda lib, a: a[:, 1:3, ::2],
    "index_negative": lambda lib, a: a[-1, -2:],
    "index_none_ellipsis": lambda lib, a: a[None, ..., 1],
    "index_list": lambda lib, a: a[[0, 1, 0]],
    "index_tensor": lambda lib, a: a[:, lib.tensor([2, 0, 2])],
    "index_two_tensors": lambda lib, a: a[lib.tensor([0, 1]), lib.tensor([1, 2])],
    "index_int_and_list": lambda lib, a: a[0, :, [1, 3]],  # PyTorch selects the int first (NumPy would not)
    "index_list_int_list": lambda lib, a: a[[1, 0], 0, [3, 2]],
    "index_mask": lambda lib, a: a[a > 0],
    "index_mask_rows": lambda lib, a: a[lib.tensor([True, False])],
    "index_select": lambda lib, a: a.index_select(2, lib.tensor([3, 0, 3])),
    "masked_select": lambda lib, a: a.masked_select(a < 0.5),
    "gather": lambda lib, a: a.gather(2, lib.tensor([[[0, 3], [1, 1], [2, 0]], [[3, 3], [0, 1], [2, 2]]])),
    "gather_smaller_index": lambda lib, a: lib.gather(a, 1, lib.tensor([[[0, 1, 2, 0]]])),
    "scatter": lambda lib, a: a.scatter(2, lib.tensor([[[1], [0], [3]], [[2], [2], [0]]]), 5.0),
    "scatter_src": lambda lib, a: a.scatter(2, lib.tensor([[[1, 0]], [[3, 2]]]), (a * 3)[:, :1, :2]),
    "scatter_add": lambda lib, a: a.scatter_add(2, lib.tensor([[[1, 1]], [[3, 1]]]), a.exp()[:, 1:2, 2:]),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_parity(name):
    check_parity(SHAPE_OPS[name], [sample((2, 3, 4))])


@pytest.mark.parametrize("name", [n for n in SHAPE_OPS if not n.startswith("view")])
def test_shape_op_noncontiguous_and_gradcheck(name):
    check_parity(SHAPE_OPS[name], [sample((2, 3, 4))], noncontiguous=True)
    check_gradcheck(SHAPE_OPS[name], [sample((2, 3, 4))])


def test_views_share_memory_like_torch():
    a = ember.arange(6.0)
    v = a.view(2, 3)
    v[0, 0] = 100.0
    assert a[0].item() == 100.0
    r = a.reshape(3, 2)
    r += 1
    assert a[0].item() == 101.0
    t = v.t()
    assert not t.is_contiguous() and t.stride() == (1, 3)
    n = ember.from_numpy(np.zeros(3))
    n.numpy()[1] = 7
    assert n[1].item() == 7


def test_view_of_non_contiguous_is_an_error_and_reshape_copies():
    a = ember.arange(6.0).view(2, 3).t()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        a.view(6)
    assert a.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_setitem_with_an_int_and_a_list_follows_torch():
    def fn(lib, a, b):
        c = a * 1
        c[1, :, [0, 2]] = b  # b has PyTorch's shape for this key, (3, 2)
        return c
    check_parity(fn, [sample((2, 3, 4)), sample((3, 2))])
    check_gradcheck(fn, [sample((2, 3, 4)), sample((3, 2))])


def test_setitem_parity_with_gradients():
    def fn(lib, a, b):
        c = a * 1
        c[0, 1:] = b
        c[1, lib.tensor([0, 2])] = 7.0
        c[c < -1] = 0.0
        return c
    check_parity(fn, [sample((3, 3)), sample((2,))])
    check_gradcheck(fn, [sample((3, 3)), sample((2,))])


def test_split_chunk_and_cat_round_trip():
    a = ember.arange(10.0)
    assert [p.tolist() for p in a.split(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(a.chunk(3)) == 3 and ember.cat(a.chunk(3)).tolist() == a.tolist()
    assert ember.stack(a.unbind()).tolist() == a.tolist()


@pytest.mark.parametrize("key", [0, 2, -1, slice(1, 3), slice(None, None, 2), slice(-2, None), slice(5, 9), (1, 2),
                                 (-1, slice(1, None)), (slice(None), 0), (), (slice(0, 2), slice(None, None, 3))])
def test_row_index_of_a_tensor_outside_the_graph_is_a_view_as_torch(key):
    """x[i] / x[a:b] / x[i, j] of a tensor that needs no gradient (a dataset's rows) take a short path: still
    torch's view, sharing memory and the version counter, with torch's strides, and an in-place change seen by
    both."""
    data = np.arange(24.0).reshape(4, 6)
    t, e = torch.tensor(data), ember.tensor(data)
    tv, ev = t[key], e[key]
    assert ev._base is e and tuple(ev.stride()) == tuple(tv.stride()) and tuple(ev.shape) == tuple(tv.shape)
    ev.add_(1), tv.add_(1)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e._version == t._version
    y = torch.tensor([1.0, 2.0, 3.0])
    one = key if isinstance(key, slice) else 1 if not isinstance(key, tuple) else key[:1]
    assert ember.tensor([1.0, 2.0, 3.0])[one].tolist() == y[one].tolist()


def test_row_index_out_of_range_raises_torchs_error():
    for lib in (torch, ember):
        with pytest.raises(IndexError, match="out of bounds|out of range"):
            lib.zeros(3, 2)[3]
        with pytest.raises(IndexError):
            lib.tensor(1.0)[0]


@pytest.mark.parametrize("key", [(0, None, 0, [0, 1]), (None, 0, [0, 1]), (0, None, [0, 1]),
                                 (1, None, slice(None), [0, 2]), (None, 1, None, [0, 1, 2]), (0, [0, 1], None),
                                 (slice(0, 1), None, [1, 2])])
def test_integers_and_none_mixed_with_index_arrays_as_torch(key):
    """torch selects the integers (and inserts the None dims) first, then indexes with the arrays: x[0, None, 0,
    [0, 1]] of a (2, 3, 4) tensor is (1, 2), not NumPy's (2, 1) (found by the hypothesis indexing test)."""
    data = np.arange(24.0).reshape(2, 3, 4)
    check_parity(lambda lib, x: x[key], [data])


@pytest.mark.parametrize("sizes", [(6, 4), (-1, 4), (2, -1, 3), (24,), (-1,), (-1, -1), (-2, -1, -1), (-2, 12),
                                   (-1, 0), (0, -1), (5, -1), (7, 3), (2, -3), ((2, 12),), ([3, -1],),
                                   (np.int64(4), 6), (True, 24), (2.0, 12), (4, "6")])
@pytest.mark.parametrize("method", ["view", "reshape"])
def test_view_sizes_and_their_errors_as_torch(sizes, method):
    """A view's sizes, resolved (one -1) or refused, as torch: the result's shape, or the same exception type and
    message (two -1s before a size below -1, then sizes that cannot hold the elements)."""
    outcomes = []
    for lib in (ember, torch):
        try:
            outcomes.append(tuple(getattr(lib.zeros(2, 3, 4), method)(*sizes).shape))
        except (RuntimeError, TypeError) as error:
            outcomes.append((type(error), str(error).split(",")[0] if type(error) is RuntimeError else ""))
    assert outcomes[0] == outcomes[1]

