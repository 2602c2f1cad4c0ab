"""Transforms for images, torchvision's: each is a callable object holding its settings; the maths is in
``transforms.functional``. Random transforms draw from ember's global generator as torchvision draws from
torch's (``RandomCrop``: two ``randint``; ``RandomHorizontalFlip``: one ``rand``)."""
from ... import random as _random
from . import functional
from .functional import InterpolationMode

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize", "CenterCrop", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Lambda", "InterpolationMode", "functional"]


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t}\n" for t in self.transforms) + ")"


class _Transform:
    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self):
        return ""


class ToTensor(_Transform):
    """PIL image or HxWxC ndarray -> CxHxW float Tensor in [0, 1] (uint8 data divided by 255)."""

    def __call__(self, pic):
        return functional.to_tensor(pic)


class PILToTensor(_Transform):
    def __call__(self, pic):
        return functional.pil_to_tensor(pic)


class ToPILImage(_Transform):
    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return functional.to_pil_image(pic, self.mode)


class Normalize(_Transform):
    """(x - mean) / std per channel."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        return functional.normalize(tensor, self.mean, self.std, self.inplace)

    def extra_repr(self):
        return f"mean={self.mean}, std={self.std}"


class Resize(_Transform):
    """To (h, w), or the shorter side to size keeping the aspect ratio; bilinear by default."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, list, tuple)) or (not isinstance(size, int) and len(size) not in (1, 2)):
            raise TypeError(f"Size should be int or sequence of length 1 or 2. Got {size!r}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = functional.interpolation_mode(interpolation)

    def __call__(self, img):
        return functional.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self):
        return (f"size={self.size}, interpolation={self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias}")


class CenterCrop(_Transform):
    def __init__(self, size):
        self.size = functional._size_pair(size)

    def __call__(self, img):
        return functional.center_crop(img, self.size)

    def extra_repr(self):
        return f"size={self.size}"


class Pad(_Transform):
    def __init__(self, padding, fill=0, padding_mode="constant"):
        functional._padding_ltrb(padding)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return functional.pad(img, self.padding, self.fill, self.padding_mode)

    def extra_repr(self):
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class RandomCrop(_Transform):
    """A random (h, w) region, after optional padding (and padding up to the size if pad_if_needed)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = functional._size_pair(size)
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width), drawn as torchvision draws them: randint for the top, then the left."""
        _, h, w = functional.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _random.randint(0, h - th + 1, size=(1,)).item()
        j = _random.randint(0, w - tw + 1, size=(1,)).item()
        return i, j, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = functional.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = functional.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = functional.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = functional.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return functional.crop(img, *self.get_params(img, self.size))

    def extra_repr(self):
        return f"size={self.size}, padding={self.padding}"


class RandomHorizontalFlip(_Transform):
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return functional.hflip(img) if _random.rand(1).item() < self.p else img

    def extra_repr(self):
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    def __call__(self, img):
        return functional.vflip(img) if _random.rand(1).item() < self.p else img


class Lambda(_Transform):
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)
