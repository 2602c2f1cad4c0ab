"""The image operations behind the transforms, on PIL images and on (..., C, H, W) Tensors, as torchvision's
``transforms.functional`` defines them (sizes are (height, width); PIL's own are (width, height))."""
import enum
import math
import numbers

import numpy as np
from PIL import Image

from ... import _backend
from ...tensor import Tensor, _wrap


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {InterpolationMode.NEAREST: Image.Resampling.NEAREST,
                InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
                InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
                InterpolationMode.BICUBIC: Image.Resampling.BICUBIC, InterpolationMode.BOX: Image.Resampling.BOX,
                InterpolationMode.HAMMING: Image.Resampling.HAMMING,
                InterpolationMode.LANCZOS: Image.Resampling.LANCZOS}


def interpolation_mode(mode):
    """An InterpolationMode from itself or from a PIL filter constant (the older spelling)."""
    if isinstance(mode, InterpolationMode):
        return mode
    for m, pil in _PIL_FILTERS.items():
        if isinstance(mode, numbers.Integral) and int(mode) == int(pil) and m is not InterpolationMode.NEAREST_EXACT:
            return m
    raise TypeError(f"interpolation should be an InterpolationMode (e.g. InterpolationMode.BILINEAR), got {mode!r}")


def _check_image(img):
    if not isinstance(img, (Image.Image, Tensor)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def get_dimensions(img):
    """[channels, height, width]."""
    _check_image(img)
    if isinstance(img, Tensor):
        return [1 if img.ndim == 2 else int(img.shape[-3]), int(img.shape[-2]), int(img.shape[-1])]
    return [len(img.getbands()), img.height, img.width]


# ----------------------------------------------------------------------------
# conversions
# ----------------------------------------------------------------------------
_PIL_ARRAY_TYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def to_tensor(pic):
    """A PIL image or an HxW(xC) ndarray -> a CxHxW Tensor; uint8 data is scaled to [0, 1] in the default float
    dtype, other dtypes are kept as they are."""
    if isinstance(pic, Image.Image):
        array = np.array(pic, _PIL_ARRAY_TYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
        array = array.reshape(pic.height, pic.width, len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = np.ascontiguousarray(array.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        float_dtype = _backend.get_default_dtype().np
        return _wrap(chw.astype(float_dtype) / float_dtype.type(255))
    return Tensor._from_array(chw)


def pil_to_tensor(pic):
    """A PIL image -> a CxHxW Tensor of its own dtype (uint8 for 8-bit images), unscaled."""
    if not isinstance(pic, Image.Image):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, _PIL_ARRAY_TYPES.get(pic.mode, np.uint8), copy=True)
    return _wrap(np.ascontiguousarray(array.reshape(pic.height, pic.width, -1).transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """A CxHxW Tensor (floats in [0, 1] are scaled by 255 and truncated) or an HxWxC ndarray -> a PIL image."""
    if isinstance(pic, Tensor):
        array = pic.detach()._data
        if array.ndim == 2:
            array = array[None]
        if array.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {array.ndim} dimensions.")
        if array.dtype.kind == "f" and mode != "F":
            array = (array * 255).astype(np.uint8)
        array = array.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    image = Image.fromarray(np.ascontiguousarray(array[:, :, 0] if array.shape[2] == 1 else array))
    return image if mode is None else image.convert(mode)


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean) / std per channel, with mean and std in the tensor's dtype (so float32 maths for float32)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(tensor.shape)}")
    mean = np.asarray(mean, tensor._data.dtype)
    std = np.asarray(std, tensor._data.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    mean, std = (a.reshape(-1, 1, 1) if a.ndim == 1 else a for a in (mean, std))
    if inplace:
        return tensor.sub_(_wrap(mean)).div_(_wrap(std))
    return (tensor - _wrap(mean)) / _wrap(std)


# ----------------------------------------------------------------------------
# geometry
# ----------------------------------------------------------------------------
def _on_planes(img, fn):
    """Apply fn to every HxW plane of a (..., H, W) Tensor through PIL's float mode, keeping the dtype."""
    data = img.detach()._data
    planes = data.reshape(-1, *data.shape[-2:]).astype(np.float32)
    out = np.stack([np.asarray(fn(Image.fromarray(p)), np.float32) for p in planes])  # float32 planes: mode "F"
    if data.dtype.kind in "iub":
        info = np.iinfo(data.dtype) if data.dtype.kind != "b" else None
        out = np.clip(np.round(out), info.min, info.max) if info else out > 0.5
    return _wrap(out.astype(data.dtype).reshape(*data.shape[:-2], *out.shape[-2:]))


def resized_size(height, width, size, max_size=None):
    """torchvision's output size: (h, w) as given, or the shorter side scaled to size keeping the aspect ratio."""
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    requested = size if isinstance(size, numbers.Integral) else size[0]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                             f"smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize with PIL's filters (bilinear by default, antialiased when shrinking, as PIL always does); a Tensor's
    planes go through PIL's float mode, which is the same maths as torch's interpolate(antialias=True). A Tensor
    with antialias=False (or None) is resized by interpolate without antialiasing, and NEAREST is torch's
    "nearest" (PIL's is torch's "nearest-exact"), as in torchvision."""
    _check_image(img)
    mode = interpolation_mode(interpolation)
    _, height, width = get_dimensions(img)
    new_h, new_w = resized_size(height, width, size, max_size)
    if (new_h, new_w) == (height, width):
        return img
    if isinstance(img, Image.Image):
        return img.resize((new_w, new_h), _PIL_FILTERS[mode])
    if mode is InterpolationMode.NEAREST:  # torch's "nearest" is not PIL's (which is torch's "nearest-exact")
        rows, cols = _nearest_sources(height, new_h), _nearest_sources(width, new_w)
        return _wrap(np.ascontiguousarray(img.detach()._data[..., rows[:, None], cols]))
    if not antialias and mode in (InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
        return _interpolate(img, new_h, new_w, mode)
    return _on_planes(img, lambda plane: plane.resize((new_w, new_h), _PIL_FILTERS[mode]))


def _interpolate(img, new_h, new_w, mode):
    """A tensor resized without antialiasing, as torch's interpolate (align_corners=False) does it: integer images
    in float32, rounded back (bicubic's overshoot clamped to 0..255 for uint8)."""
    from ... import float32, uint8
    from ...nn.functional import interpolate
    x = img if img.dtype.is_floating_point else img.to(float32)
    batch = x.reshape(-1, *x.shape[-3:]) if x.ndim >= 4 else x.unsqueeze(0)
    out = interpolate(batch, size=[new_h, new_w], mode=mode.value, align_corners=False)
    out = out.reshape(*x.shape[:-2], new_h, new_w)
    if mode is InterpolationMode.BICUBIC and img.dtype == uint8:
        out = out.clamp(min=0, max=255)
    return out if img.dtype.is_floating_point else out.round().to(img.dtype)


def _nearest_sources(in_size, out_size):
    """The source index of each output index for torch's "nearest": floor(i * scale), with the float32 scale
    in_size / out_size, at most in_size - 1."""
    scale = np.float32(in_size) / np.float32(out_size)
    return np.minimum(np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64), in_size - 1)


def _padding_ltrb(padding):
    if isinstance(padding, numbers.Integral):
        return [int(padding)] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the sides: an int (all four), (left/right, top/bottom) or (left, top, right, bottom); modes constant
    (with fill), edge, reflect, symmetric (NumPy's meanings, which are torchvision's)."""
    _check_image(img)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _padding_ltrb(padding)
    if isinstance(img, Image.Image):
        array = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
        out = np.pad(array, widths, padding_mode)
        if padding_mode == "constant":  # fill: a number, or one per channel
            h, w = out.shape[:2]
            for region in (np.s_[:top], np.s_[h - bottom:], np.s_[:, :left], np.s_[:, w - right:]):
                out[region] = fill
        image = Image.fromarray(out)
        if img.mode == "P":
            image.putpalette(img.getpalette())
        return image
    data = img.detach()._data
    widths = [(0, 0)] * (data.ndim - 2) + [(top, bottom), (left, right)]
    kwargs = {"constant_values": fill} if padding_mode == "constant" else {}
    return _wrap(np.pad(data, widths, padding_mode, **kwargs))


def crop(img, top, left, height, width):
    """The region at (top, left) of the given size; outside the image it is zero, as in torchvision."""
    _check_image(img)
    if isinstance(img, Image.Image):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        img = pad(img, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)])
        top, left = max(top, 0), max(left, 0)
    return img[..., top:top + height, left:left + width]


def _size_pair(size, name="size"):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"Please provide only two dimensions (h, w) for {name}, got {size!r}")


def center_crop(img, output_size):
    """The centre (height, width) region; an image smaller than that is zero-padded around first."""
    crop_h, crop_w = _size_pair(output_size)
    _, height, width = get_dimensions(img)
    if crop_w > width or crop_h > height:
        img = pad(img, [(crop_w - width) // 2 if crop_w > width else 0, (crop_h - height) // 2 if crop_h > height
                        else 0, (crop_w - width + 1) // 2 if crop_w > width else 0,
                        (crop_h - height + 1) // 2 if crop_h > height else 0])
        _, height, width = get_dimensions(img)
        if crop_w == width and crop_h == height:
            return img
    top, left = int(round((height - crop_h) / 2.0)), int(round((width - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def hflip(img):
    _check_image(img)
    if isinstance(img, Image.Image):
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img):
    _check_image(img)
    if isinstance(img, Image.Image):
        return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return img.flip(-2)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """crop, then resize to size (RandomResizedCrop's two steps)."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _crop_size(size):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return tuple(size)


def five_crop(img, size):
    """The four corner crops and the centre crop: (top-left, top-right, bottom-left, bottom-right, centre)."""
    crop_h, crop_w = _crop_size(size)
    _, height, width = get_dimensions(img)
    if crop_w > width or crop_h > height:
        raise ValueError(f"Requested crop size {(crop_h, crop_w)} is bigger than input size {(height, width)}")
    bottom, right = height - crop_h, width - crop_w
    return (crop(img, 0, 0, crop_h, crop_w), crop(img, 0, right, crop_h, crop_w),
            crop(img, bottom, 0, crop_h, crop_w), crop(img, bottom, right, crop_h, crop_w),
            center_crop(img, [crop_h, crop_w]))


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image, then five_crop of its mirror image (flipped left-right, or top-bottom)."""
    size = _crop_size(size)
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


# ----------------------------------------------------------------------------
# dtypes and colour
# ----------------------------------------------------------------------------
def _max_value(dtype):
    """The value that means full intensity: 1 for floats, the largest integer for integer dtypes."""
    np_dtype = dtype.np if hasattr(dtype, "np") else np.dtype(dtype)
    return 1 if np_dtype.kind in "fb" else int(np.iinfo(np_dtype).max)


def convert_image_dtype(image, dtype=None):
    """Change a Tensor image's dtype rescaling its values: integers 0..max <-> floats 0..1 (float -> integer
    multiplies by max + 1 - 0.001 and truncates); between integer dtypes by a power of two."""
    from ... import float32
    dtype = float32 if dtype is None else dtype
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    to_float = dtype.is_floating_point
    if image.is_floating_point():
        if to_float:
            return image.to(dtype)
        from ... import float64, int32, int64
        if (image.dtype == float32 and dtype in (int32, int64)) or (image.dtype == float64 and dtype == int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = float(_max_value(image.dtype))
    if to_float:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return image.div(factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def _check_tensor_image(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _check_channels(img, permitted):
    channels = get_dimensions(img)[0]
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {channels}")


def _blend(img1, img2, ratio):
    """ratio * img1 + (1 - ratio) * img2, clamped to the dtype's range and cast back to img1's dtype."""
    ratio = float(ratio)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, _max_value(img1.dtype)).to(img1.dtype)


def _pil_only(img):
    if not isinstance(img, Image.Image):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma L = 0.2989 R + 0.587 G + 0.114 B (PIL: convert("L"), which uses 0.299/0.587/0.114 in fixed point);
    with num_output_channels=3 the gray plane is repeated three times."""
    if not isinstance(img, Tensor):
        return to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _check_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


def to_grayscale(img, num_output_channels=1):
    """A PIL image in mode L (num_output_channels=1) or RGB with three equal channels (3)."""
    if not isinstance(img, Image.Image):
        raise TypeError("Input should be PIL Image")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    return gray if num_output_channels == 1 else Image.merge("RGB", (gray, gray, gray))


def adjust_brightness(img, brightness_factor):
    """Multiply the intensities by brightness_factor (a blend with black); PIL: ImageEnhance.Brightness."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageEnhance
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    return _blend(img, img.new_zeros(img.shape), brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blend with the image's mean gray level; PIL: ImageEnhance.Contrast."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageEnhance
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    from ... import float32
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _check_tensor_image(img)
    _check_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else float32
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blend with the gray image: 0 gives gray, 1 the image, 2 doubles the saturation; PIL: ImageEnhance.Color."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageEnhance
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # nothing to desaturate, as in PIL
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb_to_hsv(rgb):
    """float (..., 3, H, W) ndarray RGB in [0, 1] -> HSV in [0, 1], the formulas of PIL's RGB -> HSV."""
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    gray = maxc == minc  # no hue and no saturation; divide by 1 there instead of 0
    spread = maxc - minc
    one = np.ones_like(maxc)
    s = spread / np.where(gray, one, maxc)
    divisor = np.where(gray, one, spread)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    h = ((maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
         + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)).astype(rgb.dtype)
    h = np.fmod(h / rgb.dtype.type(6.0) + rgb.dtype.type(1.0), rgb.dtype.type(1.0))
    return np.stack((h, s, maxc), axis=-3)


def _hsv_to_rgb(hsv):
    """The inverse of _rgb_to_hsv: the hue's sextant i picks which of v, p, q, t each channel is."""
    one = hsv.dtype.type(1.0)
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    sextant = np.floor(h * hsv.dtype.type(6.0))
    f = h * hsv.dtype.type(6.0) - sextant
    sextant = sextant.astype(np.int32) % 6
    p = np.clip(v * (one - s), 0.0, 1.0)
    q = np.clip(v * (one - s * f), 0.0, 1.0)
    t = np.clip(v * (one - s * (one - f)), 0.0, 1.0)
    table = [(v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q)]  # R, G, B for sextants 0..5
    return np.stack([np.choose(sextant, channel) for channel in table], axis=-3)


def adjust_hue(img, hue_factor):
    """Turn the hue by hue_factor (in [-0.5, 0.5], a fraction of the colour circle) in HSV space. PIL: through
    PIL's HSV mode, adding int(hue_factor * 255) to the 8-bit hue with wrap-around."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        _pil_only(img)
        if img.mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        hue = np.array(h, dtype=np.uint8)
        hue += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around modulo 256, as intended
        return Image.merge("HSV", (Image.fromarray(hue, "L"), s, v)).convert(img.mode)
    from ... import float32
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    hsv = _rgb_to_hsv(convert_image_dtype(img, float32).detach()._data)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return convert_image_dtype(_wrap(_hsv_to_rgb(hsv)), img.dtype)


# ----------------------------------------------------------------------------
# rotations, affine maps, blur, erasing
# ----------------------------------------------------------------------------
def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """The 2x3 matrix (row-major, 6 numbers) that maps an output pixel back to where it is read in the input, for
    the forward map: rotate by angle and shear (degrees) about center, scale, then translate."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # forward linear part [[a, b], [c, d]] = rotation @ shear (without the scale)
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # its inverse (the determinant is 1), divided by the scale; then the translation that undoes the centring
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx  # added apart, so that the rounding is torchvision's
    m[5] += cy
    return m


def _pil_fill(fill, img):
    """fill as Image.transform's fillcolor wants it: one number per band, integers unless the mode is F."""
    channels = get_dimensions(img)[0]
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and channels > 1:
        fill = (fill,) * channels
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def _check_interpolation(interpolation):
    if isinstance(interpolation, numbers.Integral) and not isinstance(interpolation, InterpolationMode):
        return interpolation_mode(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    return interpolation


def _check_grid_inputs(img, interpolation, fill):
    _check_tensor_image(img)
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of the "
                         f"image ({len(fill)} != {channels})")
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")


def _pixel_centres(ow, oh, x0, y0, dtype):
    """x and y (each (oh, ow)) of the output pixel centres, the first at (x0, y0), one apart."""
    from ... import linspace
    xs = linspace(x0, x0 + ow - 1.0, steps=ow, dtype=dtype)
    ys = linspace(y0, y0 + oh - 1.0, steps=oh, dtype=dtype)
    return xs.expand(oh, ow), ys.unsqueeze(-1).expand(oh, ow)


def _dot(x, y, row):
    """row[0] x + row[1] y + row[2], summed in that order in the tensors' dtype (as torch's bmm does for three
    terms; ember's bmm sums otherwise)."""
    return x * row[0] + y * row[1] + row[2]


def _affine_grid(theta, w, h, ow, oh):
    """Sampling points for grid_sample, (1, oh, ow, 2) in [-1, 1]: each output pixel centre, measured from the
    output's centre, mapped by theta (2 x 3) and divided by the input's half sizes."""
    from ... import stack, tensor
    x, y = _pixel_centres(ow, oh, -ow * 0.5 + 0.5, -oh * 0.5 + 0.5, theta.dtype)
    rows = theta.reshape(2, 3) / tensor([[0.5 * w], [0.5 * h]], dtype=theta.dtype)
    return stack([_dot(x, y, rows[0]), _dot(x, y, rows[1])], dim=-1).unsqueeze(0)


def _grid_transform(img, matrix, interpolation, fill, out_w, out_h):
    """img (..., C, H, W) read at the affine grid of matrix."""
    from ... import float32, tensor
    dtype = img.dtype if img.is_floating_point() else float32
    theta = tensor(matrix, dtype=dtype).reshape(1, 2, 3)
    return _sample(img, _affine_grid(theta, int(img.shape[-1]), int(img.shape[-2]), out_w, out_h), interpolation,
                   fill)


def _sample(img, grid, interpolation, fill):
    """Read img (..., C, H, W) at grid (1, oh, ow, 2) with grid_sample (zeros outside), then paint fill where the
    grid fell outside the image (a ones channel sampled alongside tells where); integer images are computed in
    float32 and rounded back."""
    from ... import cat, float32, ones, tensor
    from ...nn.functional import grid_sample
    dtype = grid.dtype
    out_h, out_w = int(grid.shape[1]), int(grid.shape[2])
    x = (img.unsqueeze(0) if img.ndim < 4 else img).to(dtype)  # (N, C, H, W), as grid_sample wants it
    grid = grid.expand(x.shape[0], out_h, out_w, 2)
    if fill is not None:
        x = cat((x, ones((x.shape[0], 1, x.shape[2], x.shape[3]), dtype=dtype)), dim=1)
    if interpolation == InterpolationMode.BILINEAR and x.dtype == float32 and x.ndim == 4:
        out = _wrap(_bilinear_sample_float32(x.detach()._data, grid.detach()._data))
    else:
        out = grid_sample(x, grid, mode=interpolation.value, padding_mode="zeros", align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        mask = mask.expand(out.shape)
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = tensor(values, dtype=dtype).view(1, len(values), 1, 1).expand(out.shape)
        if interpolation == InterpolationMode.NEAREST:
            outside = mask < 0.5
            out = out.clone()
            out[outside] = fill_img[outside]
        else:
            out = out * mask + (1.0 - mask) * fill_img
    if img.ndim < 4:
        out = out.squeeze(0)
    if not img.is_floating_point():
        out = out.round().to(img.dtype)
    return out


def _fma32(a, b, c):
    """a * b + c for float32 arrays with one rounding, as a fused multiply-add (the float32 product is exact in
    float64; the float64 sum is then rounded to float32)."""
    return (a.astype(np.float64) * b + c).astype(np.float32)


def _bilinear_sample_float32(x, grid):
    """grid_sample(x, grid, "bilinear", padding "zeros", align_corners=False) for float32 ndarrays, rounded as
    torch's CPU kernel rounds it (fused multiply-adds for the source position and for the weighted sum of the
    four neighbours; ember's grid_sample rounds otherwise, which can move a uint8 image's result by one).
    x (N, C, H, W), grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo)."""
    n, _, h, w = x.shape
    gx, gy = grid[..., 0], grid[..., 1]
    ix = _fma32(gx + np.float32(1), np.float32(w / 2), np.float32(-0.5))  # -1 -> -0.5 (left edge), 1 -> w - 0.5
    iy = _fma32(gy + np.float32(1), np.float32(h / 2), np.float32(-0.5))
    x0, y0 = np.floor(ix), np.floor(iy)
    east, south = ix - x0, iy - y0
    west, north = np.float32(1) - east, np.float32(1) - south
    batch = np.arange(n)[:, None, None]
    out = None
    for weight, dx, dy in ((west * north, 0, 0), (east * north, 1, 0), (west * south, 0, 1), (east * south, 1, 1)):
        xi, yi = (x0 + dx).astype(np.int64), (y0 + dy).astype(np.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        values = x[batch, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, Ho, Wo, C)
        values = np.where(inside[..., None], values, np.float32(0)).transpose(0, 3, 1, 2)
        out = weight[:, None] * values if out is None else _fma32(weight[:, None], values, out)
    return out


def _expanded_size(matrix, w, h):
    """(width, height) that holds the whole rotated image, computed as torchvision does (float32 corners, then
    ceil/floor after truncating to 1e-4 so that 1e-15 noise does not add a pixel)."""
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, -0.5 * h, 1.0]], np.float32)
    mapped = corners @ np.array(matrix, np.float32).reshape(2, 3).T
    centre = np.array([w * 0.5, h * 0.5], np.float32)
    low, high = mapped.min(axis=0) + centre, mapped.max(axis=0) + centre
    tol = np.float32(1e-4)
    size = np.ceil(np.trunc(high / tol) * tol) - np.floor(np.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


def _centre_offset(center, img):
    """A centre given in pixels -> measured from the image centre, as the tensor maths wants it."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate counter-clockwise by angle degrees about center (default: the image centre); expand enlarges the
    output to hold the whole rotated image; fill paints the area outside. PIL: Image.rotate."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_image(img)
    if isinstance(img, Image.Image):
        return img.rotate(angle, _PIL_FILTERS[interpolation], expand, center, fillcolor=_pil_fill(fill, img))
    matrix = _inverse_affine_matrix(_centre_offset(center, img), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    _check_grid_inputs(img, interpolation, fill)
    w, h = int(img.shape[-1]), int(img.shape[-2])
    out_w, out_h = _expanded_size(matrix, w, h) if expand else (w, h)
    return _grid_transform(img, matrix, interpolation, fill, out_w, out_h)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate by angle, translate by (tx, ty) pixels, scale and shear (degrees along x, and y) about center,
    keeping the size. PIL: Image.transform(AFFINE) with the inverse matrix."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, height, width = get_dimensions(img)
    if isinstance(img, Image.Image):
        centre = [width * 0.5, height * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(centre, float(angle), list(translate), scale, shear)
        return img.transform(img.size, Image.Transform.AFFINE, matrix, _PIL_FILTERS[interpolation],
                             fillcolor=_pil_fill(fill, img))
    matrix = _inverse_affine_matrix(_centre_offset(center, img), float(angle), [1.0 * t for t in translate],
                                    scale, shear)
    _check_grid_inputs(img, interpolation, fill)
    return _grid_transform(img, matrix, interpolation, fill, width, height)


def _gaussian_kernel1d(size, sigma, dtype):
    from ... import linspace
    x = linspace(-(size - 1) * 0.5, (size - 1) * 0.5, steps=size, dtype=dtype)
    pdf = (-0.5 * (x / sigma).pow(2)).exp()
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a (kx, ky) Gaussian kernel of standard deviations sigma = (sx, sy) (default 0.3 * ((k - 1) / 2
    - 1) + 0.8, i.e. k * 0.15 + 0.35), reflecting the image at its edges. A PIL image goes through a uint8
    tensor and back, as in torchvision."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if isinstance(img, Image.Image):
        return to_pil_image(gaussian_blur(pil_to_tensor(img), kernel_size, sigma), mode=img.mode)
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    from ... import float32
    from ...nn.functional import conv2d, pad as tensor_pad
    _check_tensor_image(img)
    dtype = img.dtype if img.is_floating_point() else float32
    kx, ky = (_gaussian_kernel1d(k, s, dtype) for k, s in zip(kernel_size, sigma))
    kernel = ky[:, None].mm(kx[None, :])
    channels = int(img.shape[-3])
    kernel = kernel.expand(channels, 1, *kernel.shape)
    x = img.unsqueeze(0) if img.ndim < 4 else img
    x = tensor_pad(x.to(dtype), [kernel_size[0] // 2] * 2 + [kernel_size[1] // 2] * 2, mode="reflect")
    out = conv2d(x, kernel, groups=channels)
    if img.ndim < 4:
        out = out.squeeze(0)
    if not img.is_floating_point():
        out = out.round().to(img.dtype)
    return out


def erase(img, i, j, h, w, v, inplace=False):
    """The (h, w) region at (i, j) set to v (a Tensor that broadcasts to (..., C, h, w))."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    _check_tensor_image(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


def _perspective_coeffs(startpoints, endpoints):
    """The 8 coefficients (a, b, c, d, e, f, g, h) of the map from an output pixel (x, y) to where it is read,
    ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1)), that takes each end point to its start
    point: an 8 x 8 linear system solved in float64, rounded to float32 as torchvision rounds it."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
                         f"{len(endpoints)} endpoints.")
    rows = []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, np.float64), np.array(startpoints, np.float64).reshape(8))
    return solution.astype(np.float32).tolist()


def _perspective_grid(coeffs, ow, oh, dtype):
    """grid_sample's points for the perspective map: numerator and denominator from the pixel centres, as
    torchvision computes them."""
    from ... import stack, tensor
    x, y = _pixel_centres(ow, oh, 0.5, 0.5, dtype)
    numerator = tensor([coeffs[0:3], coeffs[3:6]], dtype=dtype) / tensor([[0.5 * ow], [0.5 * oh]], dtype=dtype)
    denominator = _dot(x, y, tensor([coeffs[6], coeffs[7], 1.0], dtype=dtype))
    return (stack([_dot(x, y, numerator[0]), _dot(x, y, numerator[1])], dim=-1)
            / denominator.unsqueeze(-1) - 1.0).unsqueeze(0)


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Warp the image so that the four startpoints (corners, [x, y]) move to the endpoints. PIL:
    Image.transform(PERSPECTIVE)."""
    coeffs = _perspective_coeffs(startpoints, endpoints)
    interpolation = _check_interpolation(interpolation)
    _check_image(img)
    if isinstance(img, Image.Image):
        return img.transform(img.size, Image.Transform.PERSPECTIVE, coeffs, _PIL_FILTERS[interpolation],
                             fillcolor=_pil_fill(fill, img))
    from ... import float32
    _check_grid_inputs(img, interpolation, fill)
    dtype = img.dtype if img.is_floating_point() else float32
    return _sample(img, _perspective_grid(coeffs, int(img.shape[-1]), int(img.shape[-2]), dtype), interpolation,
                   fill)


# ----------------------------------------------------------------------------
# tone: invert, posterize, solarize, sharpness, autocontrast, equalize, gamma (PIL: ImageOps/ImageEnhance)
# ----------------------------------------------------------------------------
def _check_3d_image(img):
    _check_tensor_image(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _check_channels(img, [1, 3])


def invert(img):
    """max - img (255 - img for uint8, 1 - img for floats); PIL: ImageOps.invert."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageOps
        return ImageOps.invert(img)
    _check_3d_image(img)
    return _max_value(img.dtype) - img


def posterize(img, bits):
    """Keep the top bits of each uint8 value (the others set to 0); PIL: ImageOps.posterize."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageOps
        return ImageOps.posterize(img, bits)
    from ... import uint8
    _check_tensor_image(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    if img.dtype != uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _check_channels(img, [1, 3])
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return _wrap(img.detach()._data & mask)


def solarize(img, threshold):
    """Invert the values at or above threshold; PIL: ImageOps.solarize."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageOps
        return ImageOps.solarize(img, threshold)
    from ... import where
    _check_3d_image(img)
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return where(img >= threshold, invert(img), img)


def adjust_sharpness(img, sharpness_factor):
    """Blend with a smoothed copy (3 x 3 kernel, 5 in the middle and 1 around, over 13; the border pixels kept):
    0 smooths, 1 keeps, 2 sharpens. PIL: ImageEnhance.Sharpness."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageEnhance
        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _check_tensor_image(img)
    _check_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    from ... import float32, ones
    from ...nn.functional import conv2d
    dtype = img.dtype if img.is_floating_point() else float32
    kernel = ones((3, 3), dtype=dtype)
    kernel[1, 1] = 5.0
    kernel = kernel / kernel.sum()
    channels = int(img.shape[-3])
    x = img.unsqueeze(0) if img.ndim < 4 else img
    smooth = conv2d(x.to(dtype), kernel.expand(channels, 1, 3, 3), groups=channels)
    if img.ndim < 4:
        smooth = smooth.squeeze(0)
    if not img.is_floating_point():
        smooth = smooth.round().to(img.dtype)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = smooth
    return _blend(img, degenerate, sharpness_factor)


def autocontrast(img):
    """Stretch each channel so that its darkest value becomes 0 and its brightest the maximum (a flat channel is
    left alone); PIL: ImageOps.autocontrast."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageOps
        return ImageOps.autocontrast(img)
    from ... import float32
    _check_3d_image(img)
    bound = _max_value(img.dtype)
    dtype = img.dtype if img.is_floating_point() else float32
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    scale = bound / (maximum - minimum)
    flat = scale.isfinite().logical_not()
    minimum[flat] = 0
    scale[flat] = 1
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def _equalize_plane(plane):
    """One uint8 channel through its cumulative histogram, spread over 0..255 (PIL's and torchvision's rule)."""
    hist = np.bincount(plane.reshape(-1), minlength=256).astype(np.int64)
    step = hist[hist != 0][:-1].sum() // 255
    if step == 0:
        return plane
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[plane].astype(np.uint8)


def equalize(img):
    """Equalize each channel's histogram; PIL: ImageOps.equalize."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        from PIL import ImageOps
        return ImageOps.equalize(img)
    from ... import uint8
    _check_tensor_image(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _check_channels(img, [1, 3])
    data = img.detach()._data
    planes = data.reshape(-1, *data.shape[-2:])
    return _wrap(np.stack([_equalize_plane(p) for p in planes]).reshape(data.shape))


def adjust_gamma(img, gamma, gain=1):
    """gain * img ** gamma on intensities in [0, 1], clamped. PIL: a lookup table through RGB,
    int(255.999 * gain * (v / 255) ** gamma)."""
    if not isinstance(img, Tensor):
        _pil_only(img)
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")
        table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
        return img.convert("RGB").point(table).convert(img.mode)
    from ... import float32
    _check_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    result = img if img.is_floating_point() else convert_image_dtype(img, float32)
    result = (gain * result.pow(gamma)).clamp(0, 1)
    return convert_image_dtype(result, img.dtype)
