"""MultiMarginLoss, MultiLabelMarginLoss and TripletMarginWithDistanceLoss: modules and functional forms against
PyTorch (values and gradients, float64 and float32, every reduction and the legacy flags, one sample, duplicate
labels, distance functions), finite differences, printed forms, state_dicts, torch's files and refusals."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity

RNG = np.random.default_rng(37)
CLASSES = np.array([0, 3, 1, 2, 3])
LISTS = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 3], [3, 3, -1, 0], [2, -1, -1, -1]])  # -1 ends a list
WEIGHT = np.array([0.5, 1.0, 2.0, 3.0])


def _l1(a, b):
    return (a - b).abs().sum(-1)


# name -> (functional(lib, *floats, **kw), module(lib, **kw) or None, float input shapes, integer targets)
LOSSES = {
    "multi_margin": (lambda lib, x, y, **kw: lib.nn.functional.multi_margin_loss(x, y, **kw),
                     lambda lib, **kw: lib.nn.MultiMarginLoss(**kw), [(5, 4)], CLASSES),
    "multi_margin_p2_margin": (lambda lib, x, y, **kw: lib.nn.functional.multi_margin_loss(x, y, p=2, margin=0.7, **kw),
                               lambda lib, **kw: lib.nn.MultiMarginLoss(p=2, margin=0.7, **kw), [(5, 4)], CLASSES),
    "multi_margin_weight": (
        lambda lib, x, y, **kw: lib.nn.functional.multi_margin_loss(x, y, weight=lib.tensor(WEIGHT, dtype=x.dtype),
                                                                    **kw),
        lambda lib, **kw: lib.nn.MultiMarginLoss(weight=lib.tensor(WEIGHT), **kw), [(5, 4)], CLASSES),
    "multi_margin_one_sample": (lambda lib, x, y, **kw: lib.nn.functional.multi_margin_loss(x, y, p=2, **kw), None,
                                [(4,)], np.array(2)),
    "multi_margin_one_sample_1": (lambda lib, x, y, **kw: lib.nn.functional.multi_margin_loss(x, y, **kw), None,
                                  [(4,)], np.array([1])),
    "multilabel_margin": (lambda lib, x, y, **kw: lib.nn.functional.multilabel_margin_loss(x, y, **kw),
                          lambda lib, **kw: lib.nn.MultiLabelMarginLoss(**kw), [(5, 4)], LISTS),
    "multilabel_margin_one_sample": (lambda lib, x, y, **kw: lib.nn.functional.multilabel_margin_loss(x, y, **kw),
                                     None, [(4,)], LISTS[0]),
}
REDUCTIONS = ["mean", "sum", "none"]


def _call(fn, target, kw):
    return lambda lib, x: fn(lib, x, lib.tensor(target), **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSSES)
def test_functional_matches_torch(name, reduction):
    fn, _, shapes, target = LOSSES[name]
    x = RNG.normal(size=shapes[0])
    check_parity(_call(fn, target, dict(reduction=reduction)), [x])
    check_parity(_call(fn, target, dict(reduction=reduction)), [x.astype(np.float32)], atol=1e-5, rtol=1e-5)
    check_parity(_call(fn, target, dict(reduction=reduction)), [x], noncontiguous=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", [n for n in LOSSES if LOSSES[n][1] is not None])
def test_modules_match_torch(name, reduction):
    _, make, shapes, target = LOSSES[name]

    def call(lib, x):
        module = make(lib, reduction=reduction)
        return (module.double() if x.dtype in (torch.float64, ember.float64) else module)(x, lib.tensor(target))
    check_parity(call, [RNG.normal(size=shapes[0])])
    e, t = make(ember, reduction=reduction), make(torch, reduction=reduction)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("name", LOSSES)
def test_finite_differences(name):
    fn, _, shapes, target = LOSSES[name]
    check_gradcheck(_call(fn, target, {}), [RNG.normal(size=shapes[0])])


FLAGS = [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)]


@pytest.mark.parametrize("flags", FLAGS, ids=str)
@pytest.mark.parametrize("name", ["multi_margin_weight", "multilabel_margin"])
def test_legacy_flags_match_torch_and_warn_as_torch(name, flags):
    fn, make, shapes, target = LOSSES[name]
    x = RNG.normal(size=shapes[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(_call(fn, target, flags), [x])
        check_parity(lambda lib, x: make(lib, **flags).double()(x, lib.tensor(target)), [x])
    seen = {}
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _call(fn, target, flags)(lib, lib.tensor(x))
        seen[lib] = [str(w.message) for w in caught]
    assert seen[ember] == seen[torch] and len(seen[ember]) == 1


def test_zero_dim_scores_as_torch():
    for fn in (lambda lib, x: lib.nn.functional.multi_margin_loss(x, lib.tensor(0)),
               lambda lib, x: lib.nn.functional.multilabel_margin_loss(x, lib.tensor(0), reduction="none")):
        check_parity(fn, [np.array(0.3)])


def test_ties_at_the_margin_get_torchs_zero_gradient():
    x = np.array([[0.0, 1.0, 0.0], [2.0, 1.0, 1.0]])  # z = margin - x[y] + x[j] = 0 exactly
    check_parity(lambda lib, x: lib.nn.functional.multi_margin_loss(x, lib.tensor([1, 0]), margin=1.0), [x])
    check_parity(lambda lib, x: lib.nn.functional.multilabel_margin_loss(x, lib.tensor([[1, -1, 0], [0, -1, 0]])),
                 [x])


TRIPLETS = {
    "default": dict(),
    "swap_margin": dict(swap=True, margin=2.5),
    "l1_function": dict(distance_function=_l1, swap=True),
    "cosine_module": dict(distance_function="cosine"),
}


def _triplet_kwargs(lib, kw):
    kw = dict(kw)
    if kw.get("distance_function") == "cosine":  # a module as the distance: 1 - cosine similarity
        similarity = lib.nn.CosineSimilarity()
        kw["distance_function"] = lambda a, b: 1.0 - similarity(a, b)
    return kw


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", TRIPLETS)
def test_triplet_margin_with_distance_matches_torch(name, reduction):
    arrays = [RNG.normal(size=(5, 3)) for _ in range(3)]

    def functional(lib, a, p, n):
        return lib.nn.functional.triplet_margin_with_distance_loss(a, p, n, reduction=reduction,
                                                                   **_triplet_kwargs(lib, TRIPLETS[name]))

    def module(lib, a, p, n):
        loss = lib.nn.TripletMarginWithDistanceLoss(reduction=reduction, **_triplet_kwargs(lib, TRIPLETS[name]))
        return loss(a, p, n)
    for fn in (functional, module):
        check_parity(fn, arrays)
        check_parity(fn, [a.astype(np.float32) for a in arrays], atol=1e-5, rtol=1e-5)
    check_gradcheck(functional, arrays)


def test_triplet_margin_with_distance_prints_and_saves_as_torch():
    for make in (lambda lib: lib.nn.TripletMarginWithDistanceLoss(),
                 lambda lib: lib.nn.TripletMarginWithDistanceLoss(distance_function=_l1, swap=True),
                 lambda lib: lib.nn.TripletMarginWithDistanceLoss(distance_function=lib.nn.PairwiseDistance(p=1)),
                 lambda lib: lib.nn.TripletMarginWithDistanceLoss(reduction="batchmean")):
        e, t = make(ember), make(torch)
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict()) == []
        assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]


def test_loss_modules_load_from_torch_files(tmp_path):
    originals = torch.nn.ModuleList([torch.nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor(WEIGHT)),
                                     torch.nn.MultiLabelMarginLoss(reduction="sum"),
                                     torch.nn.TripletMarginWithDistanceLoss(margin=2.0, swap=True)]).double()
    torch.save(originals, tmp_path / "torch.pt")
    mine = ember.load(tmp_path / "torch.pt", weights_only=False)
    assert repr(mine) == repr(originals) and list(mine.state_dict()) == list(originals.state_dict())
    x = RNG.normal(size=(5, 4))
    for e, t, target in zip(mine[:2], originals[:2], (CLASSES, LISTS)):
        assert e(ember.tensor(x), ember.tensor(target)).item() == t(torch.tensor(x), torch.tensor(target)).item()
    a, p, n = (RNG.normal(size=(5, 3)) for _ in range(3))
    assert_same(mine[2](*map(ember.tensor, (a, p, n))), originals[2](*map(torch.tensor, (a, p, n))))


def _raises_like_torch(call):
    with pytest.raises(Exception) as t_error:
        call(torch)
    with pytest.raises(type(t_error.value)):
        call(ember)


REFUSALS = {
    "multi_margin_p3": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, 1, 2]), p=3),
    "multi_margin_module_p3": lambda lib: lib.nn.MultiMarginLoss(p=3),
    "multi_margin_module_weight_2d": lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
    "multi_margin_out_of_range": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4),
                                                                                 lib.tensor([0, 4, 1])),
    "multi_margin_negative": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, -1, 1])),
    "multi_margin_float_target": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4),
                                                                                 lib.tensor([0.0, 1, 1])),
    "multi_margin_int32_target": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(3, 4), lib.tensor([0, 1, 1], dtype=lib.int32)),
    "multi_margin_target_size": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, 1])),
    "multi_margin_target_2d": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4),
                                                                              lib.tensor([[0], [1], [1]])),
    "multi_margin_3d": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(2, 3, 4), lib.tensor([0, 1])),
    "multi_margin_no_classes": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(2, 0), lib.tensor([0, 0])),
    "multi_margin_weight_2d": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, 1, 2]),
                                                                              weight=lib.ones(1, 4)),
    "multi_margin_weight_length": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(3)),
    "multi_margin_weight_dtype": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(4, dtype=lib.float64)),
    "multi_margin_weight_requires_grad": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(4, requires_grad=True)),
    "multi_margin_long_scores": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4, dtype=lib.long),
                                                                                lib.tensor([0, 1, 2])),
    "multi_margin_reduction": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(3, 4), lib.tensor([0, 1, 2]),
                                                                              reduction="avg"),
    "multi_margin_one_sample_two_targets": lambda lib: lib.nn.functional.multi_margin_loss(lib.ones(4),
                                                                                           lib.tensor([0, 1])),
    "multilabel_out_of_range": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 4), lib.tensor([[4, 0, -1, 1], [1, 2, 3, 0]])),
    "multilabel_out_of_range_after_the_end": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 4), lib.tensor([[0, -1, 7, 1], [1, 2, 3, 0]])),
    "multilabel_below_minus_one": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 4), lib.tensor([[-2, 0, -1, 1], [1, 2, 3, 0]])),
    "multilabel_target_shape": lambda lib: lib.nn.functional.multilabel_margin_loss(lib.ones(2, 4),
                                                                                    lib.zeros(2, 3, dtype=lib.long)),
    "multilabel_float_target": lambda lib: lib.nn.functional.multilabel_margin_loss(lib.ones(2, 4), lib.zeros(2, 4)),
    "multilabel_3d": lambda lib: lib.nn.functional.multilabel_margin_loss(lib.ones(2, 3, 4),
                                                                          lib.zeros(2, 3, 4, dtype=lib.long)),
    "multilabel_long_scores": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 4, dtype=lib.long), lib.zeros(2, 4, dtype=lib.long)),
    "multilabel_module_reduction": lambda lib: lib.nn.MultiLabelMarginLoss(reduction="avg")(
        lib.ones(2, 4), lib.zeros(2, 4, dtype=lib.long)),
    "triplet_distance_margin": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), margin=0),
    "triplet_distance_module_margin": lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1),
    "triplet_distance_reduction": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), reduction="batchmean"),
    "triplet_distance_positional": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), None),
    "triplet_distance_dims": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(3), lib.ones(2, 3)),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception_type(name):
    _raises_like_torch(REFUSALS[name])
