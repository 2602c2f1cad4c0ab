"""The preprocessing that pretrained classifiers expect (what ``weights.transforms()`` gives): resize the shorter
side, crop the centre, scale to floats in [0, 1] and normalise per channel."""
from ...nn import Module
from . import functional as F
from .functional import InterpolationMode

__all__ = ["ImageClassification"]


class ImageClassification(Module):
    """A PIL image or a (..., C, H, W) Tensor -> the normalised float Tensor a classifier was trained on."""

    def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        from ... import float32
        from ...tensor import Tensor
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, float32)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self):
        lines = [f"    crop_size={self.crop_size}", f"    resize_size={self.resize_size}", f"    mean={self.mean}",
                 f"    std={self.std}", f"    interpolation={self.interpolation}"]
        return self.__class__.__name__ + "(\n" + "\n".join(lines) + "\n)"
