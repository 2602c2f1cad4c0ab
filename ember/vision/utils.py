"""make_grid and save_image: a batch of images as one picture, torchvision's layout."""
import math

import numpy as np
from PIL import Image

from ..ops.shape import stack
from ..tensor import Tensor, _wrap


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """(B, C, H, W) images (or a list of (C, H, W)) -> one (3 or C, H', W') image: nrow per row, padding pixels of
    pad_value around each; normalize=True rescales to [0, 1] by value_range or the min and max (per image with
    scale_each). One-channel images are repeated to three channels, as torchvision does."""
    if isinstance(tensor, (list, tuple)):
        tensor = stack(list(tensor), 0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    images = np.array(tensor.detach()._data)  # a copy: normalisation works on it in place
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = (np.concatenate([images] * 3, 0) if images.shape[0] == 1 else images)[None]
    if images.ndim == 4 and images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def rescale(x):
            low, high = value_range if value_range is not None else (float(x.min()), float(x.max()))
            np.clip(x, low, high, out=x)
            x -= low
            x /= max(high - low, 1e-5)
        for x in (images if scale_each else [images]):
            rescale(x)
    if images.shape[0] == 1:
        return _wrap(images[0])
    count = images.shape[0]
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    height, width = images.shape[2] + padding, images.shape[3] + padding
    grid = np.full((images.shape[1], height * rows + padding, width * columns + padding), pad_value, images.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = images[k]
    return _wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """make_grid(tensor, **kwargs), scaled from [0, 1] to bytes (rounded, clamped) and written by Pillow."""
    grid = make_grid(tensor, **kwargs)._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(pixels).save(fp, format=format)
