"""The image operations behind the transforms, on PIL images and on (..., C, H, W) Tensors, as torchvision's
``transforms.functional`` defines them (sizes are (height, width); PIL's own are (width, height))."""
import enum
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
    planes go through PIL's float mode, which is the same maths as torch's interpolate(antialias=True)."""
    _check_image(img)
    mode = interpolation_mode(interpolation)
    _, height, width = get_dimensions(img)
    new_h, new_w = resized_size(height, width, size, max_size)
    if (new_h, new_w) == (height, width):
        return img
    if isinstance(img, Image.Image):
        return img.resize((new_w, new_h), _PIL_FILTERS[mode])
    return _on_planes(img, lambda plane: plane.resize((new_w, new_h), _PIL_FILTERS[mode]))


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
