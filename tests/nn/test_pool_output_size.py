"""Pooling an input too small for its window: torch refuses an output size below 1 in any dim (with ceil_mode,
padding and dilation counted), naming the input and output sizes; every pool refuses as torch does."""
import re

import pytest
import torch

import ember

TOO_SMALL = {
    "avg_pool2d": lambda F, t: F.avg_pool2d(t.ones(1, 1, 2, 2), 3),
    "avg_pool2d-unbatched": lambda F, t: F.avg_pool2d(t.ones(1, 2, 2), 3),
    "avg_pool2d-one-dim": lambda F, t: F.avg_pool2d(t.ones(1, 1, 2, 5), 3),
    "avg_pool2d-stride": lambda F, t: F.avg_pool2d(t.ones(1, 1, 2, 5), (3, 2), (2, 2)),
    "avg_pool2d-empty-batch": lambda F, t: F.avg_pool2d(t.ones(0, 1, 2, 2), 3),
    "avg_pool2d-integers": lambda F, t: F.avg_pool2d(t.ones(1, 1, 2, 2, dtype=t.int64), 3),
    "avg_pool2d-stride-past": lambda F, t: F.avg_pool2d(t.ones(3, 1, 1), (1, 2), stride=3),
    "avg_pool1d": lambda F, t: F.avg_pool1d(t.ones(1, 1, 2), 3),
    "avg_pool1d-unbatched": lambda F, t: F.avg_pool1d(t.ones(1, 2), 3),
    "AvgPool2d": lambda F, t: t.nn.AvgPool2d(4, padding=1)(t.ones(2, 3, 1, 1)),
    "max_pool2d": lambda F, t: F.max_pool2d(t.ones(1, 1, 2, 2), 3),
    "max_pool2d-unbatched": lambda F, t: F.max_pool2d(t.ones(1, 2, 2), 3),
    "max_pool2d-dilation": lambda F, t: F.max_pool2d(t.ones(1, 1, 4, 4), 2, dilation=4),
    "max_pool2d-negative": lambda F, t: F.max_pool2d(t.ones(1, 1, 1, 1), 2, dilation=4),
    "max_pool2d-indices": lambda F, t: F.max_pool2d(t.ones(1, 1, 2, 2), 3, return_indices=True),
    "max_pool1d": lambda F, t: F.max_pool1d(t.ones(1, 1, 2), 3),
    "max_pool1d-unbatched": lambda F, t: F.max_pool1d(t.ones(1, 2), 3),
    "max_pool1d-negative": lambda F, t: F.max_pool1d(t.ones(1, 1, 1), 2, dilation=4),
    "max_pool1d-requires-grad": lambda F, t: F.max_pool1d(t.ones(1, 1, 2, requires_grad=True), 3),
    "max_pool1d-indices": lambda F, t: F.max_pool1d(t.ones(1, 1, 2), 3, return_indices=True),
    "max_pool3d": lambda F, t: F.max_pool3d(t.ones(1, 1, 2, 2, 2), 3),
    "max_pool3d-one-dim": lambda F, t: F.max_pool3d(t.ones(3, 2, 1, 1, 1), (1, 1, 2)),
    "max_pool3d-indices": lambda F, t: F.max_pool3d(t.ones(1, 1, 2, 2, 2), 3, return_indices=True),
    "lp_pool1d": lambda F, t: F.lp_pool1d(t.ones(1, 1, 2), 2, 3),
    "lp_pool2d": lambda F, t: F.lp_pool2d(t.ones(1, 1, 2, 2), 2, 3),
    "lp_pool1d-inf": lambda F, t: F.lp_pool1d(t.ones(1, 1, 2), float("inf"), 3),
    "lp_pool2d-inf": lambda F, t: F.lp_pool2d(t.ones(1, 1, 2, 2), float("inf"), 3),
}

JUST_FITS = {  # ceil_mode, padding and dilation counted as torch counts them: one window
    "avg_pool2d-ceil": lambda F, t: F.avg_pool2d(t.ones(1, 1, 2, 2), 3, ceil_mode=True),
    "avg_pool2d-padding": lambda F, t: F.avg_pool2d(t.ones(1, 1, 1, 1), 3, padding=1),
    "avg_pool1d-ceil": lambda F, t: F.avg_pool1d(t.ones(1, 1, 2), 3, ceil_mode=True),
    "max_pool2d-ceil": lambda F, t: F.max_pool2d(t.ones(1, 1, 2, 2), 3, ceil_mode=True),
    "max_pool2d-padding": lambda F, t: F.max_pool2d(t.ones(1, 1, 1, 1), 3, padding=1),
    "max_pool1d-ceil": lambda F, t: F.max_pool1d(t.ones(1, 1, 2), 3, ceil_mode=True),
    "max_pool3d-padding": lambda F, t: F.max_pool3d(t.ones(1, 1, 1, 1, 1), 3, padding=1),
    "lp_pool2d-ceil": lambda F, t: F.lp_pool2d(t.ones(1, 1, 2, 2), 2, 3, ceil_mode=True),
}


@pytest.mark.parametrize("name", TOO_SMALL)
def test_an_output_below_one_is_refused_with_torchs_error(name):
    with pytest.raises(RuntimeError) as expected:
        TOO_SMALL[name](torch.nn.functional, torch)
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value)) + "$"):
        TOO_SMALL[name](ember.nn.functional, ember)


@pytest.mark.parametrize("name", JUST_FITS)
def test_a_window_that_fits_with_ceil_mode_or_padding_is_pooled(name):
    out, expected = JUST_FITS[name](ember.nn.functional, ember), JUST_FITS[name](torch.nn.functional, torch)
    assert tuple(out.shape) == tuple(expected.shape)
    assert out.tolist() == expected.tolist()
