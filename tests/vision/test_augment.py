"""ember.vision.transforms' data augmentation (colour, rotation/affine, RandomResizedCrop, RandomErasing,
GaussianBlur, RandomApply/Choice/Order, ConvertImageDtype, Five/TenCrop) against torchvision 0.28 itself.

Both libraries are seeded alike (torch.manual_seed(s) / ember.manual_seed(s), and Python's random for
RandomOrder/RandomChoice) and must give the same pixels: exactly for PIL images and integer tensors; for float
tensors to float32 rounding where torch's result depends on its summation order (the mean in adjust_contrast, the
convolution in gaussian_blur, the grid arithmetic of rotate/affine), exactly elsewhere. A torch.rand(1) after each
transform checks that the random streams are still in step.

torchvision's PyPI wheel is built for CUDA: its compiled ops fail to load beside the CPU torch, and its
_meta_registrations module then raises on import (it registers fake kernels for ops that do not exist). The
transforms never use those ops, so a stand-in empty module is installed for it before the import."""
import random
import sys
import types

import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.vision import transforms as ET
from ember.vision.transforms import functional as EF

sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
torchvision = pytest.importorskip("torchvision")
TT = torchvision.transforms
TF = torchvision.transforms.functional

RNG = np.random.default_rng(2024)
RGB = RNG.integers(0, 256, (13, 17, 3), dtype=np.uint8)  # odd sizes: H=13, W=17
FLOATS = RNG.random((2, 3, 11, 9), dtype=np.float32)


def images(kinds=("rgb", "L", "u8", "f32", "u8_batch", "f32_batch")):
    """(name, ember input, torchvision input) for each kind of image."""
    out = []
    for kind in kinds:
        if kind == "rgb":
            out.append((kind, Image.fromarray(RGB), Image.fromarray(RGB)))
        elif kind == "L":
            out.append((kind, Image.fromarray(RGB).convert("L"), Image.fromarray(RGB).convert("L")))
        else:
            array = {"u8": RGB.transpose(2, 0, 1), "f32": FLOATS[0], "u8_batch": np.stack([RGB.transpose(2, 0, 1),
                     RGB[::-1].transpose(2, 0, 1)]), "f32_batch": FLOATS, "u8_gray": RGB[None, :, :, 0]}[kind]
            array = np.ascontiguousarray(array)
            out.append((kind, ember.tensor(array.copy()), torch.from_numpy(array.copy())))
    return out


def mode(enum, name):
    return getattr(enum, name)


def assert_same(ours, theirs, exact=True, uint8_off_by_one=False):
    """Same pixels: PIL images equal in mode, size and bytes; tensors equal in dtype and shape, and in values
    (to float32 rounding for float tensors when not exact; integer tensors by at most 1 with uint8_off_by_one)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t, exact, uint8_off_by_one)
        return
    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image)
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        return
    assert isinstance(ours, ember.Tensor)
    assert str(ours.dtype)[6:] == str(theirs.dtype)[6:] and tuple(ours.shape) == tuple(theirs.shape)
    if uint8_off_by_one and not theirs.is_floating_point():
        assert np.abs(ours.numpy().astype(np.int64) - theirs.numpy().astype(np.int64)).max() <= 1
    elif exact or not theirs.is_floating_point():
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:
        # float32 rounding, scaled to the values' size (a fill of 200 multiplies a rounding of the sampled mask)
        scale = max(1.0, float(np.abs(theirs.numpy()).max()))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5 * scale)


def seeded(seed):
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    random.seed(seed)


def assert_streams_in_step():
    assert ember.rand(1).item() == torch.rand(1).item()


# ---- regressions in the existing transforms found on the way ------------------------------------------
@pytest.mark.parametrize("size", [[5, 7], [26, 34], [13, 9], [40, 11], 6])
@pytest.mark.parametrize("kind,ours,theirs", images(("u8", "f32", "u8_batch")),
                         ids=lambda x: x if isinstance(x, str) else "")
def test_resize_nearest_tensor_is_torchs_nearest(size, kind, ours, theirs):
    """torch's "nearest" reads source pixel floor(i * in / out) (a float32 scale); PIL's NEAREST reads the pixel
    under the centre, which is torch's "nearest-exact": tensors must follow torch."""
    assert_same(EF.resize(ours, size, EF.InterpolationMode.NEAREST),
                TF.resize(theirs, size, TF.InterpolationMode.NEAREST))
    assert_same(EF.resize(ours, size, EF.InterpolationMode.NEAREST_EXACT),
                TF.resize(theirs, size, TF.InterpolationMode.NEAREST_EXACT))
