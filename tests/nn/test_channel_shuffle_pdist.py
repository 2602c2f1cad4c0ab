"""channel_shuffle (F, torch's namespace, nn.ChannelShuffle) and pdist (F and torch's namespace) against PyTorch:
values and gradients (float64 and float32), torch's gradient where the norm's is not (ties of p = inf, equal
coordinates with p < 1, equal rows), finite differences, graph names, refusals, printed forms."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

RNG = np.random.default_rng(19)
F32 = dict(atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape, groups", [((2, 6, 3), 3), ((2, 6, 3), 2), ((1, 4, 2, 3), 4), ((3, 6, 2, 2, 2), 2),
                                           ((2, 5, 3), 1), ((0, 6, 3), 2)])
def test_channel_shuffle_matches_torch(shape, groups):
    x = RNG.normal(size=shape)
    for fn in (lambda lib, x: lib.nn.functional.channel_shuffle(x, groups),
               lambda lib, x: lib.channel_shuffle(x, groups),
               lambda lib, x: lib.nn.ChannelShuffle(groups)(x)):
        check_parity(fn, [x])
        check_parity(fn, [x.astype(np.float32)], **F32)
        check_parity(fn, [x], noncontiguous=True)
    check_parity(lambda lib, x: lib.channel_shuffle(x, groups), [RNG.integers(0, 9, size=shape)])


def test_channel_shuffle_output_is_a_contiguous_copy_and_differentiable():
    e = ember.channel_shuffle(ember.ones(3, 6, 2).transpose(0, 2), 2)
    t = torch.channel_shuffle(torch.ones(3, 6, 2).transpose(0, 2), 2)
    assert e.stride() == t.stride()
    check_gradcheck(lambda lib, x: lib.nn.functional.channel_shuffle(x, 3), [RNG.normal(size=(2, 6, 2))])


def test_channel_shuffle_module_prints_as_torch():
    e, t = ember.nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict()) == []


P_VALUES = [2, 1, 0, 3, 0.5, 1.5, float("inf")]


@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_matches_torch(p):
    x = RNG.normal(size=(6, 4))
    for fn in (lambda lib, x: lib.pdist(x, p), lambda lib, x: lib.nn.functional.pdist(x, p)):
        check_parity(fn, [x])
        check_parity(fn, [x.astype(np.float32)], **F32)
        check_parity(fn, [x], noncontiguous=True)
    out = ember.pdist(ember.tensor(x, requires_grad=True), p)
    assert out.grad_fn.name() == type(torch.pdist(torch.tensor(x, requires_grad=True), p).grad_fn).__name__


@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_gradient_where_the_norms_differs_is_torchs(p):
    # equal rows (distance 0), equal coordinates, and |1| = |-1| ties of the largest coordinate
    x = np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [0.0, 3.0, 0.0], [2.0, 0.0, 1.0]])
    check_parity(lambda lib, x: lib.pdist(x, p), [x])


@pytest.mark.parametrize("shape", [(1, 3), (0, 3), (3, 0), (2, 1)])
def test_pdist_of_few_rows_or_no_columns(shape):
    for p in (2, float("inf"), 0.5):  # (torch's backward of no rows at all crashes the process: values only)
        check_parity(lambda lib, x: lib.pdist(x, p), [RNG.normal(size=shape)], grad=shape[0] > 0)


@pytest.mark.parametrize("p", [2, 1, 3, 0.7, float("inf")])
def test_pdist_finite_differences(p):
    check_gradcheck(lambda lib, x: lib.pdist(x, p), [RNG.normal(size=(5, 3))])


REFUSALS = {
    "channel_shuffle_2d": lambda lib: lib.channel_shuffle(lib.ones(2, 6), 3),
    "channel_shuffle_indivisible": lambda lib: lib.nn.functional.channel_shuffle(lib.ones(2, 5, 3), 3),
    "channel_shuffle_zero_groups": lambda lib: lib.channel_shuffle(lib.ones(2, 6, 3), 0),
    "channel_shuffle_negative_groups": lambda lib: lib.nn.ChannelShuffle(-2)(lib.ones(2, 6, 3)),
    "channel_shuffle_float_groups": lambda lib: lib.channel_shuffle(lib.ones(2, 6, 3), 2.0),
    "channel_shuffle_list": lambda lib: lib.channel_shuffle([[1.0]], 1),
    "pdist_3d": lambda lib: lib.pdist(lib.ones(2, 4, 3)),
    "pdist_1d": lambda lib: lib.nn.functional.pdist(lib.ones(4)),
    "pdist_negative_p": lambda lib: lib.pdist(lib.ones(4, 3), -1),
    "pdist_long": lambda lib: lib.pdist(lib.ones(4, 3, dtype=lib.long)),
    "pdist_list": lambda lib: lib.pdist([[1.0, 2.0]]),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception_type(name):
    with pytest.raises(Exception) as t_error:
        REFUSALS[name](torch)
    with pytest.raises(type(t_error.value)):
        REFUSALS[name](ember)
