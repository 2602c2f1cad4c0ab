"""ember.vision.transforms and utils against torchvision's documented maths, written with torch ops and PIL here,
and against hand-computed values (the data augmentation is tested against torchvision itself, in
test_augment.py)."""
import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.vision import transforms as T, utils
from ember.vision.transforms import functional as TF

RNG = np.random.default_rng(9)
RGB = RNG.integers(0, 256, (7, 10, 3), dtype=np.uint8)  # H=7, W=10


def rgb():
    return Image.fromarray(RGB)


# ---- ToTensor ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "1", "I", "F"])
def test_to_tensor_pil_matches_torch_maths(mode):
    image = rgb().convert(mode)
    out = T.ToTensor()(image)
    array = np.array(image)
    if mode == "1":
        array = array.astype(np.uint8) * 255
    t = torch.from_numpy(array.reshape(image.height, image.width, -1)).permute(2, 0, 1)
    expected = t.float().div(255) if t.dtype == torch.uint8 else t  # uint8 scaled in float32, others kept
    assert tuple(out.shape) == tuple(expected.shape) and out.dtype.name == str(expected.dtype)[6:]
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_to_tensor_ndarray_and_errors():
    np.testing.assert_array_equal(T.ToTensor()(RGB).numpy(),
                                  torch.from_numpy(RGB).permute(2, 0, 1).float().div(255).numpy())
    floats = RNG.normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(T.ToTensor()(floats).numpy(), floats[None])  # not scaled
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        T.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        T.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))


def test_default_dtype_is_followed():
    ember.set_default_dtype(ember.float64)
    try:
        assert T.ToTensor()(rgb()).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


# ---- Normalize -----------------------------------------------------------------------------------------
def test_normalize_matches_torch_float32_maths():
    x = T.ToTensor()(rgb())
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = T.Normalize(mean, std)(x)
    tx = torch.from_numpy(x.numpy().copy())
    expected = (tx - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert not np.shares_memory(out.numpy(), x.numpy())
    same = T.Normalize(mean, std, inplace=True)(x)
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    assert same is x


def test_normalize_differentiable_and_errors():
    x = ember.rand(2, 3, 4, dtype=ember.float64, requires_grad=True)
    T.Normalize((0.5, 0.5), (0.25, 2.0))(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0, 0], [4.0, 0.5])
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.5,), (0.5,))(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.5,), (0.0,))(ember.zeros(1, 2, 2))
    with pytest.raises(ValueError, match=r"\(..., C, H, W\)"):
        T.Normalize((0.5,), (0.5,))(ember.zeros(2, 2))


# ---- Resize --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size, expected_hw", [(5, (5, 7)), ([5], (5, 7)), ((4, 6), (4, 6)), (14, (14, 20))])
def test_resize_pil_sizes_and_pixels(size, expected_hw):
    out = T.Resize(size)(rgb())
    h, w = expected_hw  # the shorter side (height 7) to size, the width int(size * 10 / 7)
    assert out.size == (w, h)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(rgb().resize((w, h), Image.Resampling.BILINEAR)))


def test_resize_max_size_and_interpolation():
    assert T.Resize(5, max_size=6)(rgb()).size == (6, 4)  # the longer side capped at 6: int(6 * 5 / 7) = 4
    with pytest.raises(ValueError, match="max_size"):
        T.Resize(5, max_size=5)(rgb())
    nearest = T.Resize((3, 4), interpolation=T.InterpolationMode.NEAREST)(rgb())
    np.testing.assert_array_equal(np.asarray(nearest), np.asarray(rgb().resize((4, 3), Image.Resampling.NEAREST)))
    assert T.Resize((3, 4), interpolation=Image.BICUBIC).interpolation is T.InterpolationMode.BICUBIC
    with pytest.raises(TypeError):
        T.Resize("big")


@pytest.mark.parametrize("size", [(4, 6), (12, 15), (7, 3)])
def test_resize_tensor_is_torch_antialiased_bilinear(size):
    x = RNG.uniform(size=(2, 3, 7, 10)).astype(np.float32)
    out = T.Resize(size)(ember.tensor(x))
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bilinear",
                                               align_corners=False, antialias=True)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=2e-6)


# ---- crops and flips -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [4, (3, 6), (7, 10), (9, 12), (5, 13)])
def test_center_crop_offsets(size):
    th, tw = (size, size) if isinstance(size, int) else size
    out = np.asarray(T.CenterCrop(size)(rgb()))
    tensor_out = T.CenterCrop(size)(ember.tensor(RGB.transpose(2, 0, 1).copy())).numpy().transpose(1, 2, 0)
    # torchvision: pad evenly (the extra pixel on the right/bottom) when too small, then top = round((H - th) / 2)
    pad_t, pad_l = max(th - 7, 0) // 2, max(tw - 10, 0) // 2
    padded = np.pad(RGB, [(pad_t, max(th - 7, 0) - pad_t), (pad_l, max(tw - 10, 0) - pad_l), (0, 0)])
    top, left = int(round((padded.shape[0] - th) / 2.0)), int(round((padded.shape[1] - tw) / 2.0))
    expected = padded[top:top + th, left:left + tw]
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(tensor_out, expected)


def test_random_crop_draws_as_torchvision():
    ember.manual_seed(3)
    i, j, h, w = T.RandomCrop.get_params(rgb(), (4, 5))
    ember.manual_seed(3)  # torchvision: randint(0, H - h + 1) for the top, then randint(0, W - w + 1) for the left
    assert (i, j, h, w) == (ember.randint(0, 4, (1,)).item(), ember.randint(0, 6, (1,)).item(), 4, 5)
    ember.manual_seed(3)
    np.testing.assert_array_equal(np.asarray(T.RandomCrop((4, 5))(rgb())), RGB[i:i + 4, j:j + 5])
    ember.manual_seed(3)
    out = T.RandomCrop((4, 5))(ember.tensor(RGB.transpose(2, 0, 1).copy()))
    np.testing.assert_array_equal(out.numpy(), RGB.transpose(2, 0, 1)[:, i:i + 4, j:j + 5])
    ember.manual_seed(0)
    seen = {T.RandomCrop.get_params(rgb(), (4, 5))[:2] for _ in range(400)}
    assert seen == {(a, b) for a in range(4) for b in range(6)}  # every position, none outside
    assert T.RandomCrop.get_params(rgb(), (7, 10)) == (0, 0, 7, 10)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop((8, 10))(rgb())


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_padding_modes(mode):
    ember.manual_seed(0)
    out = np.asarray(T.RandomCrop(10, padding=2, fill=7, padding_mode=mode)(rgb()))
    kwargs = {"constant_values": 7} if mode == "constant" else {}
    padded = np.pad(RGB, [(2, 2), (2, 2), (0, 0)], mode, **kwargs)
    ember.manual_seed(0)
    i, j, _, _ = T.RandomCrop.get_params(Image.fromarray(padded), (10, 10))
    np.testing.assert_array_equal(out, padded[i:i + 10, j:j + 10])
    grown = T.RandomCrop((9, 12), pad_if_needed=True)(rgb())
    assert grown.size == (12, 9)


def test_horizontal_flip_and_lambda_and_compose():
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(rgb())), RGB[:, ::-1])
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(p=0.0)(rgb())), RGB)
    x = ember.tensor(RGB.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(), RGB.transpose(2, 0, 1)[:, :, ::-1])
    flips = []
    for seed in range(40):
        ember.manual_seed(seed)
        expected = ember.rand(1).item() < 0.5  # torchvision flips when rand(1) < p
        ember.manual_seed(seed)
        flips.append((np.asarray(T.RandomHorizontalFlip()(rgb()))[0, 0] == RGB[0, -1]).all() == expected or
                     (RGB[0, 0] == RGB[0, -1]).all())
    assert all(flips)
    pipeline = T.Compose([T.CenterCrop(6), T.ToTensor(), T.Lambda(lambda t: t * 2)])
    np.testing.assert_allclose(pipeline(rgb()).numpy(), RGB[0:6, 2:8].transpose(2, 0, 1) / np.float32(255) * 2,
                               rtol=1e-6)
    assert repr(pipeline).startswith("Compose(\n    CenterCrop(size=(6, 6))\n    ToTensor()\n")
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_to_pil_image_round_trip():
    back = TF.to_pil_image(T.ToTensor()(rgb()))
    assert back.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(back), RGB)
    gray = TF.to_pil_image(ember.tensor([[[0.0, 0.5], [1.0, 0.25]]]))
    assert gray.mode == "L" and np.asarray(gray).tolist() == [[0, 127], [255, 63]]  # x * 255, truncated


# ---- make_grid and save_image --------------------------------------------------------------------------
def test_make_grid_layout_by_hand():
    images = ember.tensor(np.arange(1, 6, dtype=np.float32).reshape(5, 1, 1, 1) * np.ones((5, 1, 2, 3), np.float32))
    grid = utils.make_grid(images, nrow=2, padding=1, pad_value=0.5).numpy()
    # 5 images of 2x3 in rows of 2: 3 rows; each cell 3x4 with its padding, plus 1 at the far edges
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)
    for k in range(5):
        y, x = divmod(k, 2)
        np.testing.assert_array_equal(grid[:, 1 + 3 * y:3 + 3 * y, 1 + 4 * x:4 + 4 * x], k + 1)
    assert (grid[:, 7:9, 5:8] == 0.5).all() and (grid[:, 0, :] == 0.5).all()  # the empty cell and the border
    assert tuple(utils.make_grid(images[0]).shape) == (3, 2, 3)  # one image: no padding, three channels


def test_make_grid_normalize():
    x = ember.tensor(RNG.normal(size=(2, 3, 2, 2)).astype(np.float32))
    data = x.numpy()
    grid = utils.make_grid(x, normalize=True, padding=0).numpy()
    scaled = (data - data.min()) / (data.max() - data.min())
    np.testing.assert_allclose(grid, np.concatenate([scaled[0], scaled[1]], axis=2), rtol=1e-6)
    each = utils.make_grid(x, normalize=True, scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(each[:, :, :2], (data[0] - data[0].min()) / np.ptp(data[0]), rtol=1e-6)
    ranged = utils.make_grid(x, normalize=True, value_range=(-1.0, 1.0), padding=0).numpy()
    np.testing.assert_allclose(ranged[:, :, 2:], (np.clip(data[1], -1, 1) + 1) / 2, rtol=1e-6)
    np.testing.assert_array_equal(x.numpy(), data)  # the input is left alone
    with pytest.raises(TypeError, match="value_range"):
        utils.make_grid(x, normalize=True, value_range=[0, 1])


def test_save_image_writes_rounded_bytes(tmp_path):
    x = ember.tensor(RNG.uniform(-0.1, 1.1, (2, 3, 4, 5)).astype(np.float32))
    utils.save_image(x, tmp_path / "grid.png", nrow=1, padding=1)
    saved = np.asarray(Image.open(tmp_path / "grid.png"))
    grid = utils.make_grid(x, nrow=1, padding=1).numpy()
    expected = torch.from_numpy(grid).mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    np.testing.assert_array_equal(saved, expected)


def test_pad_fill_per_channel_and_sides():
    out = np.asarray(T.Pad([1, 2], fill=(1, 2, 3))(rgb()))  # left/right 1, top/bottom 2
    assert out.shape == (11, 12, 3)
    np.testing.assert_array_equal(out[2:9, 1:11], RGB)
    assert (out[:2] == (1, 2, 3)).all() and (out[:, 0] == (1, 2, 3)).all() and (out[-2:] == (1, 2, 3)).all()
    padded = T.Pad((1, 0, 2, 3), padding_mode="edge")(ember.tensor(RGB.transpose(2, 0, 1).copy()))
    np.testing.assert_array_equal(padded.numpy(), np.pad(RGB.transpose(2, 0, 1), [(0, 0), (0, 3), (1, 2)], "edge"))
    with pytest.raises(ValueError, match="Padding mode"):
        T.Pad(1, padding_mode="wrap")(rgb())
