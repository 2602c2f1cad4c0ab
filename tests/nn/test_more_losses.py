"""MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss, CosineEmbeddingLoss, TripletMarginLoss, PoissonNLLLoss,
GaussianNLLLoss and MultiLabelSoftMarginLoss: modules and functional forms against PyTorch (values and gradients,
float64 and float32, every reduction and the legacy flags), finite differences, printed forms and refusals."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

RNG = np.random.default_rng(31)
SIGNS = RNG.choice([-1.0, 1.0], (5, 3))
SIGNS1 = RNG.choice([-1.0, 1.0], 5)
COUNTS = RNG.integers(0, 6, (5, 3)).astype(np.float64)
LABELS = RNG.integers(0, 2, (5, 3)).astype(np.float64)

# name -> (functional(lib, *tensors, **kw), module(lib, **kw), float inputs, constant inputs (arrays))
LOSSES = {
    "margin_ranking": (lambda lib, a, b, y, **kw: lib.nn.functional.margin_ranking_loss(a, b, y, margin=0.3, **kw),
                       lambda lib, **kw: lib.nn.MarginRankingLoss(margin=0.3, **kw), [(5,), (5,)], [SIGNS1]),
    "hinge_embedding": (lambda lib, x, y, **kw: lib.nn.functional.hinge_embedding_loss(x, y, margin=0.5, **kw),
                        lambda lib, **kw: lib.nn.HingeEmbeddingLoss(margin=0.5, **kw), [(5, 3)], [SIGNS]),
    "soft_margin": (lambda lib, x, y, **kw: lib.nn.functional.soft_margin_loss(x, y, **kw),
                    lambda lib, **kw: lib.nn.SoftMarginLoss(**kw), [(5, 3)], [SIGNS]),
    "cosine_embedding": (lambda lib, a, b, y, **kw: lib.nn.functional.cosine_embedding_loss(a, b, y, margin=0.1,
                                                                                            **kw),
                         lambda lib, **kw: lib.nn.CosineEmbeddingLoss(margin=0.1, **kw), [(5, 3), (5, 3)],
                         [SIGNS1]),
    "triplet_margin": (lambda lib, a, p, n, **kw: lib.nn.functional.triplet_margin_loss(a, p, n, margin=2.0, **kw),
                       lambda lib, **kw: lib.nn.TripletMarginLoss(margin=2.0, **kw), [(5, 3)] * 3, []),
    "triplet_margin_swap_p1": (
        lambda lib, a, p, n, **kw: lib.nn.functional.triplet_margin_loss(a, p, n, p=1, swap=True, margin=2.0, **kw),
        lambda lib, **kw: lib.nn.TripletMarginLoss(p=1, swap=True, margin=2.0, **kw), [(5, 3)] * 3, []),
    "poisson_nll": (lambda lib, x, y, **kw: lib.nn.functional.poisson_nll_loss(x, y, **kw),
                    lambda lib, **kw: lib.nn.PoissonNLLLoss(**kw), [(5, 3)], [COUNTS]),
    "poisson_nll_full_rate": (
        lambda lib, x, y, **kw: lib.nn.functional.poisson_nll_loss(x.abs() + 0.1, y, log_input=False, full=True,
                                                                   **kw),
        None, [(5, 3)], [COUNTS]),
    "multilabel_soft_margin": (lambda lib, x, y, **kw: lib.nn.functional.multilabel_soft_margin_loss(x, y, **kw),
                               lambda lib, **kw: lib.nn.MultiLabelSoftMarginLoss(**kw), [(5, 3)], [LABELS]),
    "multilabel_soft_margin_weight": (
        lambda lib, x, y, **kw: lib.nn.functional.multilabel_soft_margin_loss(
            x, y, weight=lib.tensor([0.5, 1.0, 2.0], dtype=x.dtype), **kw),
        lambda lib, **kw: lib.nn.MultiLabelSoftMarginLoss(weight=lib.tensor([0.5, 1.0, 2.0]), **kw), [(5, 3)],
        [LABELS]),
}
REDUCTIONS = ["mean", "sum", "none"]


def _call(fn, n_float, constants, kw):
    def call(lib, *xs):
        floats = xs[:n_float]
        consts = [lib.tensor(c, dtype=floats[0].dtype) for c in constants]
        return fn(lib, *floats, *consts, **kw)
    return call


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSSES)
def test_functional_matches_torch(name, reduction):
    fn, _, shapes, constants = LOSSES[name]
    arrays = [RNG.normal(size=s) for s in shapes]
    check_parity(_call(fn, len(shapes), constants, dict(reduction=reduction)), arrays)
    check_parity(_call(fn, len(shapes), constants, dict(reduction=reduction)),
                 [a.astype(np.float32) for a in arrays], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", [n for n in LOSSES if LOSSES[n][1] is not None])
def test_modules_match_torch(name, reduction):
    _, make, shapes, constants = LOSSES[name]
    arrays = [RNG.normal(size=s) for s in shapes]

    def call(lib, *xs):
        module = make(lib, reduction=reduction)
        if xs[0].dtype in (torch.float64, ember.float64):
            module = module.double()
        return module(*xs, *[lib.tensor(c, dtype=xs[0].dtype) for c in constants])
    check_parity(call, arrays)
    e, t = make(ember, reduction=reduction), make(torch, reduction=reduction)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("name", LOSSES)
def test_finite_differences(name):
    fn, _, shapes, constants = LOSSES[name]
    check_gradcheck(_call(fn, len(shapes), constants, {}), [RNG.normal(size=s) for s in shapes])


FLAGS = [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)]


@pytest.mark.parametrize("flags", FLAGS, ids=str)
@pytest.mark.parametrize("name", [n for n in LOSSES if n != "poisson_nll_full_rate"])
def test_legacy_flags_match_torch(name, flags):
    fn, make, shapes, constants = LOSSES[name]
    arrays = [RNG.normal(size=s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(_call(fn, len(shapes), constants, flags), arrays)

        def call(lib, *xs):
            module = make(lib, **flags).double()
            return module(*xs, *[lib.tensor(c, dtype=xs[0].dtype) for c in constants])
        check_parity(call, arrays)


def test_broadcast_and_odd_shapes():
    check_parity(lambda lib, a, b: lib.nn.functional.margin_ranking_loss(a, b, lib.tensor([[1.0], [-1.0]])),
                 [RNG.normal(size=(2, 3)), RNG.normal(size=(1, 3))])
    check_parity(lambda lib, a, p, n: lib.nn.functional.triplet_margin_loss(a, p, n),  # unbatched vectors
                 [RNG.normal(size=4), RNG.normal(size=4), RNG.normal(size=4)])
    check_parity(lambda lib, a, b: lib.nn.functional.cosine_embedding_loss(a, b, lib.tensor(-1.0)),  # 0-d target
                 [RNG.normal(size=4), RNG.normal(size=4)])
    check_parity(lambda lib, x: lib.nn.functional.hinge_embedding_loss(x, lib.tensor([1.0, -1.0, 1.0])),
                 [RNG.normal(size=(2, 3))])
    check_parity(lambda lib, x: lib.nn.functional.soft_margin_loss(x, lib.ones(())), [RNG.normal(size=())])
    check_parity(lambda lib, x: lib.nn.functional.multilabel_soft_margin_loss(x, lib.ones(4, dtype=x.dtype)),
                 [RNG.normal(size=4)])


GAUSSIAN = {
    "same_shape": ((4, 3), (4, 3)),
    "one_short": ((4, 3), (4,)),
    "one_dim_of_1": ((4, 3, 2), (4, 1, 2)),
}


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", GAUSSIAN)
def test_gaussian_nll_loss_matches_torch(case, reduction, full):
    shape, var_shape = GAUSSIAN[case]
    x, y, var = RNG.normal(size=shape), RNG.normal(size=shape), RNG.uniform(0.1, 2.0, var_shape)
    var[0] = 1e-9  # held at eps, outside the graph
    check_parity(lambda lib, a, b, v: lib.nn.functional.gaussian_nll_loss(a, b, v, full=full, reduction=reduction),
                 [x, y, var])
    check_parity(lambda lib, a, b, v: lib.nn.GaussianNLLLoss(full=full, reduction=reduction)(a, b, v),
                 [x.astype(np.float32), y.astype(np.float32), var.astype(np.float32)], atol=1e-5, rtol=1e-5)
    check_parity(lambda lib, a, b: lib.nn.functional.gaussian_nll_loss(a, b, 0.5, full=full, reduction=reduction),
                 [x, y])


def test_gaussian_nll_loss_finite_differences():
    check_gradcheck(lambda lib, a, b, v: lib.nn.functional.gaussian_nll_loss(a, b, v),
                    [RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3)), RNG.uniform(0.5, 2.0, (4, 1))])


def test_reprs_match_torch():
    for make in (lambda lib: lib.nn.GaussianNLLLoss(full=True), lambda lib: lib.nn.PoissonNLLLoss(log_input=False),
                 lambda lib: lib.nn.TripletMarginLoss(p=1), lambda lib: lib.nn.MultiLabelSoftMarginLoss()):
        assert repr(make(ember)) == repr(make(torch))


def _raises_like_torch(call):
    with pytest.raises(Exception) as t_error:
        call(torch)
    with pytest.raises(type(t_error.value)):
        call(ember)


REFUSALS = {
    "margin_ranking_dims": lambda lib: lib.nn.functional.margin_ranking_loss(lib.ones(3), lib.ones(3),
                                                                             lib.ones(1, 3)),
    "cosine_embedding_2d_target": lambda lib: lib.nn.functional.cosine_embedding_loss(lib.ones(2, 3), lib.ones(2, 3),
                                                                                      lib.ones(2, 1)),
    "cosine_embedding_1d_inputs": lambda lib: lib.nn.functional.cosine_embedding_loss(lib.ones(3), lib.ones(3),
                                                                                      lib.ones(3)),
    "cosine_embedding_0d_target": lambda lib: lib.nn.functional.cosine_embedding_loss(lib.ones(2, 3), lib.ones(2, 3),
                                                                                      lib.ones(())),
    "triplet_margin_zero": lambda lib: lib.nn.functional.triplet_margin_loss(lib.ones(2, 3), lib.ones(2, 3),
                                                                             lib.ones(2, 3), margin=0),
    "triplet_module_margin": lambda lib: lib.nn.TripletMarginLoss(margin=-1.0),
    "triplet_dims": lambda lib: lib.nn.functional.triplet_margin_loss(lib.ones(2, 3), lib.ones(3), lib.ones(2, 3)),
    "poisson_reduction": lambda lib: lib.nn.functional.poisson_nll_loss(lib.ones(2), lib.ones(2), reduction="avg"),
    "gaussian_negative_var": lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(2), lib.ones(2),
                                                                             -lib.ones(2)),
    "gaussian_negative_float": lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(2), lib.ones(2), -1.0),
    "gaussian_var_shape": lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(4, 3), lib.ones(4, 3),
                                                                          lib.ones(2, 2)),
    "gaussian_reduction": lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(2), lib.ones(2), lib.ones(2),
                                                                          reduction="avg"),
    "multilabel_reduction": lambda lib: lib.nn.functional.multilabel_soft_margin_loss(lib.ones(2, 3),
                                                                                      lib.ones(2, 3),
                                                                                      reduction="avg"),
    "soft_margin_reduction": lambda lib: lib.nn.functional.soft_margin_loss(lib.ones(2), lib.ones(2),
                                                                            reduction="avg"),
    "hinge_module_reduction": lambda lib: lib.nn.HingeEmbeddingLoss(reduction="avg")(lib.ones(2), lib.ones(2)),
    "soft_margin_target_requires_grad": lambda lib: lib.nn.functional.soft_margin_loss(
        lib.ones(2), lib.ones(2, requires_grad=True)),
    "soft_margin_long_input": lambda lib: lib.nn.functional.soft_margin_loss(lib.tensor([1, -1]), lib.ones(2)),
    "gaussian_int_var": lambda lib: lib.nn.functional.gaussian_nll_loss(lib.ones(3), lib.zeros(3), 2),
    "multilabel_0d": lambda lib: lib.nn.functional.multilabel_soft_margin_loss(lib.tensor(1.0), lib.tensor(1.0)),
    "margin_ranking_shapes": lambda lib: lib.nn.functional.margin_ranking_loss(lib.ones(3), lib.ones(4),
                                                                               lib.ones(3)),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception_type(name):
    _raises_like_torch(REFUSALS[name])


def test_gradients_reach_the_targets_where_torch_sends_them():
    # the compositions give the target (and var) a gradient where torch's do; soft_margin_loss refuses (above)
    y = np.abs(RNG.normal(size=(3, 3))) + 2.0
    for call in (lambda lib, x, t: lib.nn.functional.margin_ranking_loss(x, x * 2, t),
                 lambda lib, x, t: lib.nn.functional.poisson_nll_loss(x, t, full=True),
                 lambda lib, x, t: lib.nn.functional.gaussian_nll_loss(x, x * 0.5, t),
                 lambda lib, x, t: lib.nn.functional.multilabel_soft_margin_loss(x, t),
                 lambda lib, x, t: lib.nn.functional.triplet_margin_loss(x, t, x * 2)):
        check_parity(call, [RNG.normal(size=(3, 3)), y])
    with ember.no_grad():
        ember.nn.functional.soft_margin_loss(ember.ones(2), ember.ones(2, requires_grad=True))


@pytest.mark.parametrize("name", [n for n in LOSSES if n != "poisson_nll_full_rate"])
def test_legacy_flags_warn_as_torch(name):
    fn, make, shapes, constants = LOSSES[name]
    arrays = [RNG.normal(size=s) for s in shapes]
    seen = {}
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _call(fn, len(shapes), constants, dict(size_average=False))(lib, *[lib.tensor(a) for a in arrays])
            make(lib, reduce=False)
        seen[lib] = [str(w.message) for w in caught]
    assert seen[ember] == seen[torch] and len(seen[ember]) == 2


def test_loss_modules_cross_between_torch_and_ember(tmp_path):
    originals = torch.nn.ModuleList([torch.nn.MarginRankingLoss(0.5), torch.nn.HingeEmbeddingLoss(2.0),
                                     torch.nn.SoftMarginLoss(reduction="sum"), torch.nn.CosineEmbeddingLoss(0.1),
                                     torch.nn.TripletMarginLoss(p=1, swap=True), torch.nn.PoissonNLLLoss(full=True),
                                     torch.nn.GaussianNLLLoss(eps=1e-3),
                                     torch.nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 2.0, 3.0]))])
    torch.save(originals, tmp_path / "torch.pt")
    mine = ember.load(tmp_path / "torch.pt", weights_only=False)
    assert [type(m).__name__ for m in mine] == [type(m).__name__ for m in originals]
    assert list(mine.state_dict()) == list(originals.state_dict())
    assert mine[4].swap and mine[4].p == 1 and mine[5].full and mine[6].eps == 1e-3
    ember.save(mine, tmp_path / "ember.pt")
    theirs = torch.load(tmp_path / "ember.pt", weights_only=False)
    x, y = torch.randn(4, 3), torch.rand(4, 3).round()
    for a, b in zip(theirs, originals):
        args = {"MarginRankingLoss": (x, y, y * 2 - 1), "CosineEmbeddingLoss": (x, y, torch.ones(4)),
                "TripletMarginLoss": (x, y, x * 2), "GaussianNLLLoss": (x, y, torch.ones(4, 3))}.get(
            type(b).__name__, (x, y))
        assert torch.equal(a(*args), b(*args))
