"""nn.UpsamplingNearest2d and nn.UpsamplingBilinear2d (torch's Upsample subclasses; bilinear with align_corners=True)
against PyTorch: values and gradients (float64 and float32), finite differences, printed forms, and Upsample keeping
its scale factor as torch keeps it."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

RNG = np.random.default_rng(13)
F32 = dict(atol=1e-5, rtol=1e-5)

LAYERS = {
    "nearest_scale": (lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 3, 4)),
    "nearest_size": (lambda lib: lib.nn.UpsamplingNearest2d(size=(5, 7)), (1, 2, 3, 4)),
    "nearest_int_size": (lambda lib: lib.nn.UpsamplingNearest2d(6), (1, 2, 3, 4)),
    "nearest_scale_pair": (lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=(2, 3)), (1, 2, 3, 2)),
    "bilinear_scale": (lambda lib: lib.nn.UpsamplingBilinear2d(scale_factor=2), (2, 3, 3, 4)),
    "bilinear_size": (lambda lib: lib.nn.UpsamplingBilinear2d(size=(5, 7)), (1, 2, 3, 4)),
    "bilinear_fraction": (lambda lib: lib.nn.UpsamplingBilinear2d(scale_factor=1.5), (2, 1, 4, 5)),
    "bilinear_down": (lambda lib: lib.nn.UpsamplingBilinear2d(size=(2, 3)), (1, 2, 5, 6)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layers_match_torch(name):
    make, shape = LAYERS[name]
    x = RNG.normal(size=shape)
    check_parity(lambda lib, x: make(lib)(x), [x])
    check_parity(lambda lib, x: make(lib)(x), [x.astype(np.float32)], **F32)
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t)
    assert isinstance(e, ember.nn.Upsample) and (e.mode, e.align_corners) == (t.mode, t.align_corners)
    assert list(e.state_dict()) == list(t.state_dict()) == []


@pytest.mark.parametrize("name", ["nearest_size", "bilinear_scale", "bilinear_fraction"])
def test_finite_differences(name):
    make, shape = LAYERS[name]
    check_gradcheck(lambda lib, x: make(lib)(x), [RNG.normal(size=shape)])


@pytest.mark.parametrize("scale_factor", [2, 2.5, (2, 3), (1.5, 2.0), None, 0])
def test_upsample_keeps_the_scale_factor_as_torch(scale_factor):
    size = (4, 4) if not scale_factor else None
    e = ember.nn.Upsample(size=size, scale_factor=scale_factor)
    t = torch.nn.Upsample(size=size, scale_factor=scale_factor)
    assert e.scale_factor == t.scale_factor and type(e.scale_factor) is type(t.scale_factor)
    assert repr(e) == repr(t)
    assert repr(ember.nn.UpsamplingNearest2d(size, scale_factor)) == repr(torch.nn.UpsamplingNearest2d(size,
                                                                                                       scale_factor))


def test_both_size_and_scale_factor_are_refused_as_torch():
    for lib in (torch, ember):
        with pytest.raises(ValueError):
            lib.nn.UpsamplingBilinear2d(size=(4, 4), scale_factor=2)(lib.ones(1, 1, 2, 2))
