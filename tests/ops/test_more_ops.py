"""einsum, sorting, rolls, diagonals, grids and friends: values and gradients against torch, and finite differences."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity, sample

NON_FINITE = np.zeros((3, 4, 5))
NON_FINITE[0, 1, 2], NON_FINITE[1, 2, 3], NON_FINITE[2, 3, 4] = np.nan, np.inf, -np.inf

ONE_INPUT = {  # each on a (3, 4, 5) float64 tensor with distinct values (sorting has no ties to break)
    "sort": lambda lib, a: a.sort(dim=1).values,
    "sort_descending": lambda lib, a: lib.sort(a, 0, descending=True)[0],
    "topk": lambda lib, a: a.topk(2).values,
    "topk_smallest": lambda lib, a: lib.topk(a, 3, dim=1, largest=False).values,
    "roll": lambda lib, a: a.roll(2, 1),
    "roll_two_dims": lambda lib, a: lib.roll(a, (1, -3), (0, 2)),
    "roll_flat": lambda lib, a: a.roll(7),
    "movedim": lambda lib, a: a.movedim(0, -1),
    "movedim_two": lambda lib, a: lib.movedim(a, (0, 1), (2, 0)),
    "moveaxis": lambda lib, a: lib.moveaxis(a, 2, 0),
    "diagonal": lambda lib, a: a.diagonal(),
    "diagonal_offset_dims": lambda lib, a: lib.diagonal(a, -1, 2, 1),
    "diag_of_matrix": lambda lib, a: a[0].diag(1),
    "diag_of_vector": lambda lib, a: lib.diag(a[0, 0], -2),
    "trace": lambda lib, a: a[1].trace(),
    "tile": lambda lib, a: a[0].tile((2, 1, 2)),
    "repeat_interleave": lambda lib, a: a.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda lib, a: lib.repeat_interleave(a[0, 0], 3),
    "repeat_interleave_counts": lambda lib, a: a.repeat_interleave(lib.tensor([1, 0, 2]), dim=0),
    "diff": lambda lib, a: a.diff(),
    "diff_twice": lambda lib, a: lib.diff(a, 2, dim=0),
    "broadcast_to": lambda lib, a: lib.broadcast_to(a[:, :1], (2, 3, 4, 5)),
    "cumprod": lambda lib, a: a.cumprod(1),
    "cumprod_through_zeros": lambda lib, a: lib.cumprod(a.relu(), -1),  # zeros: the no-division path
    "kthvalue": lambda lib, a: a.kthvalue(2, dim=1).values,
    "kthvalue_keepdim": lambda lib, a: lib.kthvalue(a, 5, 2, keepdim=True)[0],
    "median_dim": lambda lib, a: a.median(0).values,  # even count: the lower middle value
    "median_dim_odd": lambda lib, a: lib.median(a, -1, keepdim=True).values,
    "median_all": lambda lib, a: a.median(),
    "atan2": lambda lib, a: a.atan2(a.flip(0) * 2),
    "atan2_broadcast": lambda lib, a: lib.atan2(a[0], a[:, :1, :] - 0.5),
    "hypot": lambda lib, a: a.hypot(a.flip(2) + 0.1),
    "hypot_broadcast": lambda lib, a: lib.hypot(a[0, 0], a),
    "nan_to_num": lambda lib, a: (a + lib.tensor(NON_FINITE)).nan_to_num(0.5, 3.0, -2.0) + a.nan_to_num(),
    "tensordot": lambda lib, a: lib.tensordot(a, a.exp(), dims=([1, 2], [1, 2])),
    "tensordot_int": lambda lib, a: lib.tensordot(a[0], a[1].T, 1),
    "tensordot_zero": lambda lib, a: lib.tensordot(a[0, 0], a[1, 1], 0),
    "kron": lambda lib, a: lib.kron(a[0], a[1, :2, :3]),
    "kron_mixed_dims": lambda lib, a: a[0, 0].contiguous().kron(a[1].contiguous()),  # (torch's kron fails on
    # some non-contiguous views: "view size is not compatible")
    "cross": lambda lib, a: lib.cross(a[..., :3], a[..., 2:], dim=-1),
    "cross_default_dim": lambda lib, a: a.cross(a.flip(0) * 2),
    "cummax": lambda lib, a: a.cummax(1).values,
    "cummin": lambda lib, a: lib.cummin(a, -1)[0],
    "square": lambda lib, a: a.square(),
    "log2": lambda lib, a: (a * a + 1).log2(),
    "log10": lambda lib, a: lib.log10(a * a + 1),
    "lerp_scalar": lambda lib, a: a.lerp(a.exp(), 0.3),
    "lerp_far_weight": lambda lib, a: lib.lerp(a, a * a, 0.8),
    "lerp_tensor_weight": lambda lib, a: a.lerp(a.sin(), a.sigmoid()),
    "var_mean": lambda lib, a: lib.cat(lib.var_mean(a, 1)),
    "std_mean": lambda lib, a: lib.stack(lib.std_mean(a, (0, 2), keepdim=True)),
    "hstack": lambda lib, a: lib.hstack([a[0], a[1] * 2]),
    "vstack": lambda lib, a: lib.vstack([a[0, 0], a[1]]),
    "meshgrid_ij": lambda lib, a: lib.stack(lib.meshgrid(a[0, 0], a[1, :, 0], indexing="ij")),
    "meshgrid_xy": lambda lib, a: lib.stack(lib.meshgrid(a[0, 0], a[1, :, 0], a[2, 1, :2], indexing="xy")),
}


@pytest.mark.parametrize("name", ONE_INPUT)
def test_op_parity_and_gradcheck(name):
    data = sample((3, 4, 5), "distinct") / 10
    check_parity(ONE_INPUT[name], [data])
    check_parity(ONE_INPUT[name], [data], noncontiguous=True)
    check_gradcheck(ONE_INPUT[name], [data])


EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
           ("ij->", [(2, 3)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("i,j->ij", [(3,), (4,)]),
           ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # batch dims broadcast under the ellipsis
           ("ij,ij->ij", [(1, 3), (2, 3)]),  # a size-1 dim broadcasts
           ("ijk->kji", [(2, 3, 4)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("i,i->", [(4,), (4,)]),
           ("iij->j", [(3, 3, 2)]), ("iji->ij", [(3, 2, 3)]), ("ab,cd->", [(2, 3), (4, 5)]), ("ji", [(2, 3)]),
           ("...i,...i", [(2, 3), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("Ab,ab", [(2, 3), (2, 3)]),
           (" i j , j k -> i k ", [(2, 3), (3, 2)])]


@pytest.mark.parametrize("equation,shapes", EINSUMS)
def test_einsum_parity_and_gradcheck(equation, shapes):
    arrays = [sample(s) for s in shapes]
    fn = lambda lib, *xs: lib.einsum(equation, *xs)  # noqa: E731
    check_parity(fn, arrays)
    check_gradcheck(fn, arrays)


def test_einsum_second_derivatives_match_torch():
    a, b = sample((2, 3)), sample((3, 3))
    grads = []
    for lib in (torch, ember):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.einsum("ij,jj->i", x * x, y).sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        (gy,) = lib.autograd.grad(gx.sum(), y)
        grads.append((gx, gy))
    for e, t in zip(grads[1], grads[0]):
        assert_same(e, t)


def test_einsum_takes_a_list_of_operands():
    a, b = ember.ones(2, 3), ember.ones(3)
    assert ember.einsum("ij,j->i", [a, b]).tolist() == [3.0, 3.0]


@pytest.mark.parametrize("call,error,message", [
    (lambda: ember.einsum("ij,jk", ember.ones(2, 3), ember.ones(4, 3)), RuntimeError, "subscript j has sizes"),
    (lambda: ember.einsum("ij", ember.ones(2, 3), ember.ones(2)), RuntimeError, "more operands"),
    (lambda: ember.einsum("ij,j", ember.ones(2, 3)), RuntimeError, "fewer operands"),
    (lambda: ember.einsum("ijk", ember.ones(2, 3)), RuntimeError, "number of subscripts"),
    (lambda: ember.einsum("i1", ember.ones(2, 3)), RuntimeError, "invalid subscript"),
    (lambda: ember.einsum("i,i", ember.ones(2), ember.ones(2, dtype=ember.float64)), RuntimeError, "same dtype"),
    (lambda: ember.einsum("i", [1.0, 2.0]), TypeError, "must be a Tensor"),
    (lambda: ember.ones(3).topk(4), RuntimeError, "k out of range"),
    (lambda: ember.ones(3).trace(), RuntimeError, "expected a matrix"),
    (lambda: ember.ones(2, 3).movedim((0, 0), (0, 1)), RuntimeError, "repeated dim"),
    (lambda: ember.ones(2, 2).cross(ember.ones(2, 2)), RuntimeError, "no dimension of size 3"),
    (lambda: ember.ones(3, 2).cross(ember.ones(3, 2), dim=1), RuntimeError, "must have length 3"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3), dims=-1), RuntimeError, "dims >= 0"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3), dims=([1], [0, 0])), RuntimeError, "same length"),
    (lambda: ember.ones(3).hypot(2.0), TypeError, "must be Tensor"),
    (lambda: ember.nn.functional.pixel_unshuffle(ember.ones(1, 1, 3, 4), 2), RuntimeError, "divisible"),
    (lambda: ember.ones(2, 2, 2).diag(), RuntimeError, "1D or 2D"),
    (lambda: ember.ones(2, 3).diagonal(0, 1, 1), RuntimeError, "cannot be identical"),
    (lambda: ember.ones(2, 3).roll((1, 2), 0), RuntimeError, "shifts and dimensions must align"),
    (lambda: ember.ones(2, 3).movedim((0, 1), 0), RuntimeError, "same number of dims"),
    (lambda: ember.meshgrid(ember.ones(2), indexing="yx"), RuntimeError, "indexing must be one of"),
    (lambda: ember.bincount(ember.tensor([1, -1])), RuntimeError, "non-negative integral"),
    (lambda: ember.bincount(ember.ones(2)), RuntimeError, "non-negative integral"),
])
def test_bad_input_gets_torchs_exception_type(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sort_orders_ties_and_nan_like_torch():
    data = np.array([[2.0, np.nan, 1.0, 2.0, -0.5, 1.0], [0.0, 0.0, 3.0, -1.0, np.nan, 3.0]])
    for descending in (False, True):
        e = ember.tensor(data).sort(descending=descending, stable=True)
        t = torch.tensor(data).sort(descending=descending, stable=True)
        assert_same(e.values, t.values)
        assert e.indices.tolist() == t.indices.tolist()
    ints = np.array([3, 1, 3, 0, 1, 3])
    assert ember.tensor(ints).argsort(descending=True).tolist() == torch.tensor(ints).argsort(
        descending=True, stable=True).tolist()
    assert type(ember.ones(3).sort()).__name__ == "sort" and type(ember.ones(3).topk(1)).__name__ == "topk"
    assert ember.tensor(2.0).topk(1).indices.item() == 0


def test_topk_indices_match_torch():
    data = sample((4, 6), "distinct")
    for largest in (True, False):
        e = ember.tensor(data).topk(3, dim=0, largest=largest)
        t = torch.tensor(data).topk(3, dim=0, largest=largest)
        assert e.indices.tolist() == t.indices.tolist()


PICKS = {  # ops whose values are picked along a dim by an index array: value, indices and gradient
    "max": lambda lib, a, d: lib.max(a, d),
    "min_keepdim": lambda lib, a, d: a.min(d, keepdim=True),
    "sort": lambda lib, a, d: a.sort(dim=d, stable=True),
    "sort_descending": lambda lib, a, d: lib.sort(a, dim=d, descending=True, stable=True),
    "topk": lambda lib, a, d: a.topk(2, d),
    "topk_smallest": lambda lib, a, d: a.topk(3, d, largest=False),
    "topk_none": lambda lib, a, d: a.topk(0, d),
    "kthvalue": lambda lib, a, d: a.kthvalue(2, d),
    "median": lambda lib, a, d: a.median(d),
    "cummax": lambda lib, a, d: a.cummax(d),
}


@pytest.mark.parametrize("name", PICKS)
@pytest.mark.parametrize("layout", ["plain", "transposed", "nan", "ints"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_picks_along_either_dim_of_a_matrix_match_torch(name, layout, dim):
    """2-D inputs take a direct index (max(scores, 1) in every evaluation loop); ties, NaN, views and ints too.
    topk and kthvalue get distinct values: torch breaks their ties by its selection algorithm's order, which
    ember does not model."""
    selects = name.startswith(("topk", "kthvalue"))
    data = sample((5, 4), "distinct") if selects else np.round(sample((5, 4)) * 2) / 2  # (ties, where modelled)
    if layout == "transposed":
        data = np.ascontiguousarray(data.T).T  # (a non-contiguous view in both libraries)
    if layout == "nan":
        data[1, 2] = np.nan
        if not selects:
            data[3, 0] = np.nan
    if layout == "ints":
        data = np.argsort(data.ravel()).reshape(data.shape) if selects else (data * 2).astype(np.int64)
    results = []
    for lib in (ember, torch):
        a = lib.tensor(data, requires_grad=layout != "ints")
        values, indices = PICKS[name](lib, a, dim)
        grad = None
        if layout != "ints" and values.numel():
            values.backward(lib.tensor(np.arange(values.numel(), dtype=np.float64).reshape(tuple(values.shape))))
            grad = a.grad
        results.append((values, indices, grad))
    (ev, ei, eg), (tv, ti, tg) = results
    assert_same(ev, tv)
    assert ei.tolist() == ti.tolist() and tuple(ei.shape) == tuple(ti.shape)
    if tg is not None:
        assert_same(eg, tg)


def test_unique_and_bincount_match_torch():
    data = np.array([[3, 1, 2], [1, 3, 3]])
    e, t = ember.tensor(data), torch.tensor(data)
    for kwargs in ({}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}, {"dim": 0}, {"dim": 1, "return_inverse": True}):
        got, want = e.unique(**kwargs), t.unique(**kwargs)
        for g, w in zip(got if isinstance(got, tuple) else [got], want if isinstance(want, tuple) else [want]):
            assert g.tolist() == w.tolist() and g.dtype.name == str(w.dtype).split(".")[1]
    flat = np.array([0, 3, 3, 1])
    assert ember.bincount(ember.tensor(flat)).tolist() == torch.bincount(torch.tensor(flat)).tolist()
    weights = np.array([0.5, 1.0, 2.0, 0.25])
    assert_same(ember.tensor(flat).bincount(ember.tensor(weights), minlength=6),
                torch.tensor(flat).bincount(torch.tensor(weights), minlength=6))


def test_cumprod_second_derivatives_and_integer_inputs_match_torch():
    data = np.array([[1.5, 0.0, -2.0, 0.5], [0.3, -1.2, 2.0, 0.0]])
    grads = []
    for lib in (torch, ember):
        x = lib.tensor(data, requires_grad=True)
        (g,) = lib.autograd.grad((x.cumprod(1) ** 2).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        grads.append((g, gg))
    for t, e in zip(*grads):
        assert_same(e, t)
    ints = np.array([2, 3, 0, 4])
    assert ember.tensor(ints).cumprod(0).tolist() == torch.tensor(ints).cumprod(0).tolist()
    assert ember.tensor(ints).cumprod(0).dtype == ember.int64


def test_median_and_kthvalue_indices_and_nan_match_torch():
    data = np.array([[3.0, np.nan, 1.0, 2.0, np.nan], [4.0, 1.0, 2.0, 0.0, 5.0]])
    for fn in (lambda lib, x: x.median(1), lambda lib, x: x.kthvalue(2, 1), lambda lib, x: x.median(0),
               lambda lib, x: lib.median(x[1:], 1, keepdim=True)):
        e, t = fn(ember, ember.tensor(data)), fn(torch, torch.tensor(data))
        assert_same(e.values, t.values)
        assert e.indices.tolist() == t.indices.tolist()
    assert np.isnan(ember.tensor(data).median().item()) and ember.tensor(data[1]).median().item() == 2.0
    assert type(ember.ones(3).median(0)).__name__ == "median"
    with pytest.raises(RuntimeError, match="out of range"):
        ember.ones(3).kthvalue(4)
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.ones(3).atan2(1.0)


def test_cummax_and_cummin_indices_ties_and_nan_match_torch():
    rows = [[1.0, 3, 3, 2, 5, 5], [3.0, 1, 1, 2, 0, 0], [1.0, np.nan, 3, np.nan, 0, 4]]
    for data in [np.array(rows), np.array(rows).T, np.array([[2, 1, 2, 2]])]:
        for name in ("cummax", "cummin"):
            e = getattr(ember.tensor(data), name)(-1)
            t = getattr(torch.tensor(data), name)(-1)
            assert_same(e.values, t.values)
            assert e.indices.tolist() == t.indices.tolist() and type(e).__name__ == name


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index_like_torch():
    data = np.array([[3.0, 1, 3, 1, 2], [5, 5, 4, 4, 4], [7, 8, 9, 6, 0]])
    for fn in (lambda x: x.mode(1), lambda x: x.mode(0, keepdim=True), lambda x: x[0].mode(), lambda x: x.T.mode()):
        e, t = fn(ember.tensor(data)), fn(torch.tensor(data))
        assert_same(e.values, t.values)
        assert e.indices.tolist() == t.indices.tolist() and type(e).__name__ == "mode"
    x = ember.tensor(data, requires_grad=True)
    x.mode(1).values.sum().backward()  # the gradient goes to the chosen occurrence
    assert x.grad.tolist() == [[0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1]]


def test_diff_of_bools_is_a_change_marker():
    data = np.array([True, True, False, True])
    assert ember.tensor(data).diff().tolist() == torch.tensor(data).diff().tolist()


def test_roll_and_movedim_keep_odd_shapes():
    for shape in [(0, 3), (1,), (4, 1, 2)]:
        data = sample(shape)
        assert ember.tensor(data).roll(1, 0).tolist() == torch.tensor(data).roll(1, 0).tolist()
        assert ember.tensor(data).movedim(0, -1).shape == torch.tensor(data).movedim(0, -1).shape
    assert ember.tensor(5.0).movedim(0, 0).item() == 5.0


def test_nan_to_num_defaults_are_the_dtypes_extremes_like_torch():
    for dtype in (np.float32, np.float64):
        x = np.array([np.nan, np.inf, -np.inf, 1.5], dtype=dtype)
        assert ember.tensor(x).nan_to_num().tolist() == torch.tensor(x).nan_to_num().tolist()
    assert ember.tensor([1, 2]).nan_to_num().tolist() == [1, 2]
