"""The pre-1.0 loss flags size_average= / reduce=: mapped to reduction with PyTorch's warning, on every loss
module and functional loss that PyTorch accepts them on, values and gradients as PyTorch's."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_parity

RNG = np.random.default_rng(11)
REAL = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
PROBS = RNG.uniform(0.05, 0.95, (4, 3)), RNG.uniform(0.05, 0.95, (4, 3))
CLASSES = np.array([0, 2, 1, 2])

# name -> (module call, functional call, inputs); each takes the legacy flags as keywords
LOSSES = {
    "MSELoss": (lambda lib, kw: lib.nn.MSELoss(**kw), lambda lib, a, b, kw: lib.nn.functional.mse_loss(a, b, **kw),
                REAL),
    "L1Loss": (lambda lib, kw: lib.nn.L1Loss(**kw), lambda lib, a, b, kw: lib.nn.functional.l1_loss(a, b, **kw),
               REAL),
    "SmoothL1Loss": (lambda lib, kw: lib.nn.SmoothL1Loss(beta=0.5, **kw),
                     lambda lib, a, b, kw: lib.nn.functional.smooth_l1_loss(a, b, beta=0.5, **kw), REAL),
    "BCELoss": (lambda lib, kw: lib.nn.BCELoss(**kw),
                lambda lib, a, b, kw: lib.nn.functional.binary_cross_entropy(a, b, **kw), PROBS),
    "BCEWithLogitsLoss": (lambda lib, kw: lib.nn.BCEWithLogitsLoss(**kw),
                          lambda lib, a, b, kw: lib.nn.functional.binary_cross_entropy_with_logits(a, b, **kw),
                          PROBS),
    "KLDivLoss": (lambda lib, kw: lib.nn.KLDivLoss(**kw),
                  lambda lib, a, b, kw: lib.nn.functional.kl_div(a.log_softmax(1), b.softmax(1), **kw), REAL),
}
FLAGS = [dict(size_average=s, reduce=r) for s, r in itertools.product([None, True, False], repeat=2)
         if (s, r) != (None, None)]


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


@pytest.mark.parametrize("flags", FLAGS, ids=str)
@pytest.mark.parametrize("name", LOSSES)
def test_module_and_functional_flags_match_torch(name, flags):
    make_module, functional, (a, b) = LOSSES[name]
    if name == "KLDivLoss":
        check_parity(lambda lib, x, y: _quiet(lambda: make_module(lib, flags)(x.log_softmax(1), y.softmax(1))),
                     [a, b])
    else:
        check_parity(lambda lib, x, y: _quiet(lambda: make_module(lib, flags)(x, y)), [a, b])
    check_parity(lambda lib, x, y: _quiet(lambda: functional(lib, x, y, flags)), [a, b])


@pytest.mark.parametrize("flags", FLAGS, ids=str)
@pytest.mark.parametrize("name", ["NLLLoss", "CrossEntropyLoss"])
def test_class_index_losses_flags_match_torch(name, flags):
    weight = np.array([1.0, 2.0, 0.5])
    fn_name = {"NLLLoss": "nll_loss", "CrossEntropyLoss": "cross_entropy"}[name]

    def module(lib, x):
        loss = _quiet(lambda: getattr(lib.nn, name)(weight=lib.tensor(weight), **flags))
        return loss(x.log_softmax(1), lib.tensor(CLASSES))

    def functional(lib, x):
        fn = getattr(lib.nn.functional, fn_name)
        return _quiet(lambda: fn(x.log_softmax(1), lib.tensor(CLASSES), lib.tensor(weight), ignore_index=1, **flags))
    check_parity(module, [REAL[0]])
    check_parity(functional, [REAL[0]])


def _warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("flags", FLAGS, ids=str)
def test_warning_is_torchs(flags):
    a, b = REAL
    for make in (lambda lib: lib.nn.MSELoss(**flags),
                 lambda lib: lib.nn.functional.mse_loss(lib.tensor(a), lib.tensor(b), **flags),
                 lambda lib: lib.nn.NLLLoss(**flags), lambda lib: lib.nn.CrossEntropyLoss(**flags)):
        e, t = _warnings(lambda: make(ember)), _warnings(lambda: make(torch))
        assert e == t and len(t) == 1 and "please use reduction=" in t[0][1]


def test_no_warning_without_the_flags():
    assert _warnings(lambda: ember.nn.BCELoss(reduction="sum")) == []
    assert _warnings(lambda: ember.nn.functional.mse_loss(ember.ones(2), ember.ones(2))) == []


def test_positional_order_is_torchs():
    a, b = (np.abs(x) / 4 for x in REAL)
    # size_average is the third positional argument of the functionals and the first (after weight) of modules
    check_parity(lambda lib, x, y: _quiet(lambda: lib.nn.functional.mse_loss(x, y, False)), [a, b])
    check_parity(lambda lib, x, y: _quiet(lambda: lib.nn.functional.binary_cross_entropy(x, y, None, False)), [a, b])
    check_parity(lambda lib, x, y: _quiet(lambda: lib.nn.MSELoss(None, False)(x, y)), [a, b])
    check_parity(lambda lib, x, y: _quiet(lambda: lib.nn.BCELoss(None, False)(x, y)), [a, b])
    check_parity(lambda lib, x: _quiet(lambda: lib.nn.NLLLoss(None, None, 2, False)(x, lib.tensor(CLASSES))), [a])
    check_parity(lambda lib, x: lib.nn.CrossEntropyLoss(None, None, 2, None, "sum", 0.1)(x, lib.tensor(CLASSES)),
                 [a])
    for lib in (ember, torch):
        assert _quiet(lambda: lib.nn.BCELoss(size_average=False)).reduction == "sum"
        assert _quiet(lambda: lib.nn.KLDivLoss(reduce=False)).reduction == "none"


def test_huber_takes_no_legacy_flags():
    for lib in (ember, torch):
        with pytest.raises(TypeError):
            lib.nn.HuberLoss(size_average=False)


@pytest.mark.parametrize("name, kwargs", [("upsample", dict(scale_factor=2, mode="bilinear", align_corners=False)),
                                          ("upsample", dict(size=(5, 7))), ("upsample_nearest", dict(scale_factor=2)),
                                          ("upsample_bilinear", dict(size=(6, 5)))])
def test_deprecated_upsample_functions_as_torch(name, kwargs):
    """Not losses, but the same family: pre-0.4.1 names that older course code calls."""
    caught = {}
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(lib.nn.functional, name)(lib.zeros(1, 1, 3, 4), **kwargs)
        caught[lib] = [(x.category, str(x.message)) for x in w]
    assert caught[ember] == caught[torch] and len(caught[torch]) == 1
    check_parity(lambda lib, x: _quiet(lambda: getattr(lib.nn.functional, name)(x, **kwargs)),
                 [RNG.normal(size=(2, 3, 3, 4))])
