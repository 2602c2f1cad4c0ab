"""addmm, addmv, baddbmm, addbmm, addr, logaddexp, xlogy, nansum, nanmean, fliplr, flipud, rot90, atleast_Nd,
tril_indices, triu_indices, cartesian_prod, searchsorted, bucketize and take_along_dim (functions and Tensor
methods) against PyTorch: values, dtypes, gradients (float64 and float32), finite differences, refusals."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity

RNG = np.random.default_rng(41)
F32 = dict(atol=1e-5, rtol=1e-5)
NAN_AT = RNG.normal(size=(3, 4))
NAN_AT[0, 1] = NAN_AT[2, 3] = np.nan

FUNCTIONS = {
    "addmm": (lambda lib, i, a, b: lib.addmm(i, a, b), [(4,), (3, 2), (2, 4)]),
    "addmm_full_input": (lambda lib, i, a, b: lib.addmm(i, a, b), [(3, 4), (3, 2), (2, 4)]),
    "addmm_beta_alpha": (lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=-2.0), [(3, 1), (3, 2), (2, 4)]),
    "addmm_method": (lambda lib, i, a, b: i.addmm(a, b, alpha=3), [(), (3, 2), (2, 4)]),
    "addmv": (lambda lib, i, a, v: lib.addmv(i, a, v), [(3,), (3, 2), (2,)]),
    "addmv_beta_alpha": (lambda lib, i, a, v: i.addmv(a, v, beta=2, alpha=0.5), [(1,), (3, 2), (2,)]),
    "baddbmm": (lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=0.3, alpha=1.5), [(2, 3, 4), (2, 3, 5), (2, 5, 4)]),
    "baddbmm_broadcast": (lambda lib, i, a, b: i.baddbmm(a, b), [(3, 1), (2, 3, 5), (2, 5, 4)]),
    "addbmm": (lambda lib, i, a, b: lib.addbmm(i, a, b, beta=2.0, alpha=0.5), [(3, 4), (2, 3, 5), (2, 5, 4)]),
    "addbmm_method": (lambda lib, i, a, b: i.addbmm(a, b), [(4,), (2, 3, 5), (2, 5, 4)]),
    "addr": (lambda lib, i, a, b: lib.addr(i, a, b), [(3, 4), (3,), (4,)]),
    "addr_beta_alpha": (lambda lib, i, a, b: i.addr(a, b, beta=-1, alpha=2), [(4,), (3,), (4,)]),
    "logaddexp": (lambda lib, a, b: lib.logaddexp(a, b), [(3, 4), (4,)]),
    "logaddexp_method": (lambda lib, a, b: a.logaddexp(b * 30), [(3, 1), (1, 4)]),
    "xlogy": (lambda lib, a, b: lib.xlogy(a, b.abs() + 0.1), [(3, 4), (3, 4)]),
    "xlogy_method_broadcast": (lambda lib, a, b: a.xlogy(b.abs() + 0.1), [(3, 1), (4,)]),
    "xlogy_scalar_other": (lambda lib, a: lib.xlogy(a, 3.0), [(3, 4)]),
    "xlogy_scalar_input": (lambda lib, b: lib.xlogy(2, b.abs()), [(3, 4)]),
    "nansum": (lambda lib, x: lib.nansum(x), [NAN_AT]),
    "nansum_dim": (lambda lib, x: x.nansum(1, keepdim=True), [NAN_AT]),
    "nanmean": (lambda lib, x: lib.nanmean(x), [NAN_AT]),
    "nanmean_dim": (lambda lib, x: x.nanmean(dim=(0,)), [NAN_AT]),
    "nanmean_dtype": (lambda lib, x: lib.nanmean(x, 1, dtype=lib.float64), [NAN_AT]),
    "fliplr": (lambda lib, x: lib.fliplr(x), [(3, 4, 2)]),
    "flipud": (lambda lib, x: x.flipud(), [(3,)]),
    "rot90": (lambda lib, x: lib.rot90(x), [(3, 4)]),
    "rot90_k2": (lambda lib, x: x.rot90(2, [1, 2]), [(2, 3, 4)]),
    "rot90_k3_negative_dims": (lambda lib, x: lib.rot90(x, -1, (-1, 0)), [(2, 3, 4)]),
    "rot90_k0": (lambda lib, x: lib.rot90(x, 4), [(3, 4)]),
    "atleast_1d": (lambda lib, x: lib.atleast_1d(x), [()]),
    "atleast_2d": (lambda lib, x, y: lib.atleast_2d(x, y)[1], [(), (3,)]),
    "atleast_2d_0d": (lambda lib, x, y: lib.atleast_2d(x, y)[0], [(), (3,)]),
    "atleast_3d_0d": (lambda lib, x, y, z: lib.atleast_3d([x, y, z])[0], [(), (3,), (2, 3)]),
    "atleast_3d_1d": (lambda lib, x, y, z: lib.atleast_3d([x, y, z])[1], [(), (3,), (2, 3)]),
    "atleast_3d_2d": (lambda lib, x, y, z: lib.atleast_3d([x, y, z])[2], [(), (3,), (2, 3)]),
    "atleast_3d_4d": (lambda lib, x: lib.atleast_3d(x), [(1, 2, 3, 4)]),
    "cartesian_prod": (lambda lib, a, b, c: lib.cartesian_prod(a, b, c), [(2,), (3,), (1,)]),
    "cartesian_prod_one": (lambda lib, a: lib.cartesian_prod(a), [(3,)]),
    "take_along_dim": (lambda lib, x: lib.take_along_dim(x, lib.tensor([[0, 2], [1, 1], [3, 0]]), 1), [(3, 4)]),
    "take_along_dim_broadcast": (lambda lib, x: x.take_along_dim(lib.tensor([[[1]], [[0]]]), dim=0), [(2, 3, 4)]),
    "take_along_dim_flat": (lambda lib, x: lib.take_along_dim(x, lib.tensor([0, 5, 11, 5])), [(3, 4)]),
    "take_along_dim_argsort": (lambda lib, x: lib.take_along_dim(x, x.argsort(-1), -1), [(3, 4)]),
}


def _arrays(shapes):
    return [s.copy() if isinstance(s, np.ndarray) else RNG.normal(size=s) for s in shapes]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_match_torch(name):
    fn, shapes = FUNCTIONS[name]
    arrays = _arrays(shapes)
    check_parity(fn, arrays)
    check_parity(fn, [a.astype(np.float32) for a in arrays], **F32)
    if name.startswith(("rot90", "fliplr", "addmm", "take_along_dim")) and name != "take_along_dim_flat":
        # (torch's take_along_dim without dim views the input flat: a non-contiguous one is refused there)
        check_parity(fn, arrays, noncontiguous=True)


@pytest.mark.parametrize("name", ["addmm", "addmm_beta_alpha", "addmv", "baddbmm_broadcast", "addbmm",
                                  "addr_beta_alpha", "logaddexp", "xlogy_method_broadcast", "nansum_dim",
                                  "nanmean_dim", "fliplr", "rot90_k3_negative_dims", "atleast_3d_1d",
                                  "cartesian_prod", "take_along_dim_broadcast"])
def test_finite_differences(name):
    fn, shapes = FUNCTIONS[name]
    if name.startswith("nan"):  # the nan positions stay nan in every perturbed input: differentiate around them
        nan_at = ember.tensor(np.isnan(NAN_AT))
        check_gradcheck(lambda lib, x: fn(lib, lib.where(nan_at, float("nan"), x)), [np.nan_to_num(NAN_AT)])
        return
    check_gradcheck(fn, _arrays(shapes))


def test_addmm_is_torchs_node_and_double_backward():
    check_parity(lambda lib, i, a, b: lib.autograd.grad((lib.addmm(i, a, b) ** 2).sum(), a, create_graph=True)[0],
                 _arrays([(4,), (3, 2), (2, 4)]))
    out = ember.addmm(ember.zeros(4, requires_grad=True), ember.ones(3, 2), ember.ones(2, 4))
    assert out.grad_fn.name() == "AddmmBackward0"


def test_beta_zero_ignores_nan_in_input():
    i = np.full((3, 4), np.nan)
    for name in ("addmm", "baddbmm", "addr"):
        fn, shapes = FUNCTIONS[name]
        check_parity(lambda lib, x, a, b: getattr(lib, name)(x, a, b, beta=0), [np.full(shapes[0], np.nan),
                                                                               *_arrays(shapes[1:])])
    del i


def test_integer_products_keep_their_dtype():
    ints = [np.arange(4).reshape(2, 2), np.arange(4).reshape(2, 2) - 1]
    for beta, alpha in ((1, 1), (0, 1), (2, 3)):
        check_parity(lambda lib, a, b: lib.addmm(a[0], a, b, beta=beta, alpha=alpha), ints, grad=False)
        check_parity(lambda lib, a, b: lib.addr(a, a[0], b[1], beta=beta, alpha=alpha), ints, grad=False)


def test_logaddexp_and_xlogy_specials_match_torch():
    inf = np.inf
    a = np.array([-inf, inf, -inf, 0.0, 1000.0, np.nan])
    b = np.array([-inf, inf, 1.0, -inf, 1000.0, 1.0])
    check_parity(lambda lib, x, y: lib.logaddexp(x, y), [a, b], grad=False)
    x = np.array([0.0, 0.0, 2.0, 0.0, 3.0])
    y = np.array([0.0, np.nan, 0.0, 5.0, inf])
    check_parity(lambda lib, p, q: lib.xlogy(p, q), [x, y], grad=False)
    check_parity(lambda lib, p: lib.xlogy(p, lib.tensor([0.0, 2.0, 3.0, 0.5, 1.0])), [x])  # gradient at x == 0
    check_parity(lambda lib: lib.xlogy(lib.tensor([0, 1, 2]), lib.tensor([1, 2, 3])), [], grad=False)


def test_nan_reductions_of_an_all_nan_slice_match_torch():
    x = np.full((2, 3), np.nan)
    x[1, 0] = 1.0
    check_parity(lambda lib, t: lib.nanmean(t, 1), [x])  # nan, and torch's nan gradient (inf * 0) there
    check_parity(lambda lib, t: lib.nansum(t), [x])
    check_parity(lambda lib, t: lib.autograd.grad(lib.nansum(t ** 2), t, create_graph=True)[0], [x])
    check_parity(lambda lib: lib.nansum(lib.tensor([[1, 2], [3, 4]]), 1), [], grad=False)
    check_parity(lambda lib: lib.nansum(lib.tensor([True, True])), [], grad=False)


def test_logaddexp_of_equal_arguments_splits_the_gradient_as_torch():
    x = RNG.normal(size=3)
    check_parity(lambda lib, a, b: lib.logaddexp(a, b), [x, x.copy()])


def test_in_place_methods_match_torch():
    for method, shapes in (("addmm_", [(3, 4), (3, 2), (2, 4)]), ("addmv_", [(3,), (3, 2), (2,)]),
                           ("baddbmm_", [(2, 3, 4), (2, 3, 5), (2, 5, 4)]), ("addbmm_", [(3, 4), (2, 3, 5), (2, 5, 4)]),
                           ("addr_", [(3, 4), (3,), (4,)])):
        arrays = _arrays(shapes)
        check_parity(lambda lib, i, a, b: getattr(i * 1.0, method)(a, b, beta=0.5, alpha=2), arrays)
    check_parity(lambda lib, a, b: (a * 1.0).xlogy_(b.abs()), _arrays([(3, 4), (4,)]))


def test_index_valued_functions_match_torch():
    for lib_fn in (lambda lib: lib.tril_indices(3, 4), lambda lib: lib.tril_indices(4, 3, -1),
                   lambda lib: lib.triu_indices(3, 4, 1), lambda lib: lib.triu_indices(3, 3, dtype=lib.int32),
                   lambda lib: lib.tril_indices(0, 3), lambda lib: lib.triu_indices(5, 2, -10)):
        assert_same(lib_fn(ember), lib_fn(torch))
    seq = np.array([[1.0, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    vals = np.array([[3.0, 6, 9], [3, 6, 9]])
    calls = [
        lambda lib, s, v: lib.searchsorted(s, v),
        lambda lib, s, v: lib.searchsorted(s, v, right=True),
        lambda lib, s, v: lib.searchsorted(s, v, side="right", out_int32=True),
        lambda lib, s, v: lib.searchsorted(s[0], v),
        lambda lib, s, v: lib.searchsorted(s[1], 6.0),
        lambda lib, s, v: lib.searchsorted(s[0].flip(0), v, sorter=lib.tensor([4, 3, 2, 1, 0])),
        lambda lib, s, v: lib.bucketize(v, s[0]),
        lambda lib, s, v: lib.bucketize(v, s[0], right=True, out_int32=True),
        lambda lib, s, v: lib.bucketize(v.long(), s[0].long()),
        lambda lib, s, v: lib.bucketize(v[0, 0], s[0]),
    ]
    for call in calls:
        assert_same(call(ember, ember.tensor(seq), ember.tensor(vals)), call(torch, torch.tensor(seq),
                                                                            torch.tensor(vals)))


def test_atleast_returns_the_same_tensor_and_tuples_as_torch():
    x = ember.ones(2, 3)
    assert ember.atleast_2d(x) is x
    assert isinstance(ember.atleast_1d(ember.ones(()), ember.ones(2)), tuple)
    assert isinstance(ember.atleast_1d([ember.ones(())]), tuple)
    assert ember.atleast_3d(ember.ones(3)).shape == torch.atleast_3d(torch.ones(3)).shape


def _raises_like_torch(call):
    with pytest.raises(Exception) as t_error:
        call(torch)
    with pytest.raises(type(t_error.value)):
        call(ember)


REFUSALS = {
    "addmm_mat1_1d": lambda lib: lib.addmm(lib.ones(4), lib.ones(3), lib.ones(3, 4)),
    "addmm_shapes": lambda lib: lib.addmm(lib.ones(4), lib.ones(2, 3), lib.ones(2, 4)),
    "addmm_input_too_big": lambda lib: lib.addmm(lib.ones(3, 4), lib.ones(2, 3), lib.ones(3, 4)),
    "addmm_dtypes": lambda lib: lib.addmm(lib.ones(4), lib.ones(2, 3).double(), lib.ones(3, 4)),
    "addmm_not_tensor": lambda lib: lib.addmm([1.0], lib.ones(2, 3), lib.ones(3, 4)),
    "addmv_shapes": lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 3), lib.ones(2)),
    "addmv_vec_2d": lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 3), lib.ones(3, 1)),
    "baddbmm_2d": lambda lib: lib.baddbmm(lib.ones(3, 4), lib.ones(3, 5), lib.ones(5, 4)),
    "baddbmm_batches": lambda lib: lib.baddbmm(lib.ones(3, 4), lib.ones(2, 3, 5), lib.ones(3, 5, 4)),
    "addbmm_inner": lambda lib: lib.addbmm(lib.ones(3, 4), lib.ones(2, 3, 5), lib.ones(2, 4, 4)),
    "addr_2d": lambda lib: lib.addr(lib.ones(3, 4), lib.ones(3, 1), lib.ones(4)),
    "addr_input": lambda lib: lib.addr(lib.ones(4, 3), lib.ones(3), lib.ones(4)),
    "logaddexp_long": lambda lib: lib.logaddexp(lib.ones(2).long(), lib.ones(2).long()),
    "logaddexp_shapes": lambda lib: lib.logaddexp(lib.ones(2), lib.ones(3)),
    "xlogy_numbers": lambda lib: lib.xlogy(2.0, 3.0),
    "nanmean_long": lambda lib: lib.nanmean(lib.ones(2).long()),
    "fliplr_1d": lambda lib: lib.fliplr(lib.ones(3)),
    "flipud_0d": lambda lib: lib.flipud(lib.ones(())),
    "rot90_one_dim": lambda lib: lib.rot90(lib.ones(2, 3), 1, [0]),
    "rot90_1d": lambda lib: lib.rot90(lib.ones(3)),
    "rot90_same_dims": lambda lib: lib.rot90(lib.ones(2, 3), 1, [1, -1]),
    "rot90_range": lambda lib: lib.rot90(lib.ones(2, 3), 1, [0, 2]),
    "cartesian_prod_2d": lambda lib: lib.cartesian_prod(lib.ones(2), lib.ones(2, 2)),
    "take_along_dim_int32": lambda lib: lib.take_along_dim(lib.ones(2, 3), lib.zeros(2, 1, dtype=lib.int32), 1),
    "take_along_dim_ndim": lambda lib: lib.take_along_dim(lib.ones(2, 3), lib.zeros(2, dtype=lib.long), 1),
    "logaddexp_number": lambda lib: lib.logaddexp(lib.ones(2), 2.0),
    "searchsorted_0d_boundaries": lambda lib: lib.searchsorted(lib.tensor(1.0), lib.tensor([1.5])),
    "searchsorted_sorter_int32": lambda lib: lib.searchsorted(lib.tensor([3.0, 1.0]), lib.tensor([1.5]),
                                                              sorter=lib.tensor([1, 0], dtype=lib.int32)),
    "searchsorted_side": lambda lib: lib.searchsorted(lib.tensor([1.0, 2.0]), lib.tensor([1.5]), side="middle"),
    "cartesian_prod_nothing": lambda lib: lib.cartesian_prod(),
    "addmv_list": lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 2), [1.0, 2.0]),
    "addr_list": lambda lib: lib.addr(lib.ones(2, 2), lib.ones(2), [1.0, 2.0]),
    "baddbmm_number": lambda lib: lib.baddbmm(lib.ones(2), lib.ones(1, 2, 2), 3),
    "take_along_dim_list": lambda lib: lib.take_along_dim(lib.ones(2), [0]),
    "searchsorted_list": lambda lib: lib.searchsorted([1.0, 2.0], lib.ones(2)),
    "bucketize_list": lambda lib: lib.bucketize(lib.ones(2), [1.0, 2.0]),
    "cartesian_prod_list": lambda lib: lib.cartesian_prod(lib.ones(2), [1.0]),
    "searchsorted_dims": lambda lib: lib.searchsorted(lib.ones(2, 3), lib.ones(3, 3)),
    "searchsorted_sides": lambda lib: lib.searchsorted(lib.ones(3), lib.ones(2), right=True, side="left"),
    "searchsorted_scalar_nd": lambda lib: lib.searchsorted(lib.ones(2, 3), 1.0),
    "bucketize_2d": lambda lib: lib.bucketize(lib.ones(2), lib.ones(2, 2)),
    "tril_indices_negative": lambda lib: lib.tril_indices(-1, 3),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception_type(name):
    _raises_like_torch(REFUSALS[name])


def test_take_along_dim_refuses_an_index_out_of_range():
    # torch 2.13 reads past the end here when the index is broadcast (no error, arbitrary values); ember refuses
    with pytest.raises(RuntimeError, match="out of bounds"):
        ember.take_along_dim(ember.ones(2, 3), ember.tensor([[3]]), 1)
