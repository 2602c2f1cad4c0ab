"""Transforms for images, torchvision's: each is a callable object holding its settings; the maths is in
``transforms.functional``. Random transforms draw from ember's global generator as torchvision draws from
torch's (``RandomCrop``: two ``randint``; ``RandomHorizontalFlip``: one ``rand``; ``ColorJitter``: a ``randperm(4)``
then one ``uniform_`` per factor in use). ``RandomOrder`` and ``RandomChoice`` draw from Python's ``random`` module,
as torchvision's do."""
import math
import numbers
import random as _py_random
import warnings
from collections.abc import Sequence

from ... import random as _random
from . import functional
from .autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .functional import InterpolationMode

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize", "CenterCrop", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Lambda", "InterpolationMode", "functional",
           "Grayscale", "RandomGrayscale", "ColorJitter", "RandomRotation", "RandomAffine", "RandomResizedCrop",
           "RandomErasing", "GaussianBlur", "RandomApply", "RandomChoice", "RandomOrder", "ConvertImageDtype",
           "FiveCrop", "TenCrop", "RandomPerspective", "RandomInvert", "RandomPosterize", "RandomSolarize",
           "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize", "AutoAugment", "AutoAugmentPolicy",
           "RandAugment", "TrivialAugmentWide"]


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


# ----------------------------------------------------------------------------
# helpers for checking arguments (torchvision's messages)
# ----------------------------------------------------------------------------
def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence(x, name, req_sizes):
    lengths = " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {lengths}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {lengths}.")


def _setup_angle(x, name, req_sizes=(2,)):
    """A number d -> [-d, d]; a sequence is checked for its length; floats either way."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence(x, name, req_sizes)
    return [float(d) for d in x]


def _uniform(low, high):
    """One number drawn as torchvision draws it: torch.empty(1).uniform_(low, high)."""
    from ... import empty
    return empty(1).uniform_(low, high).item()


def _check_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _tensor_fill(fill, img, channels):
    """For a tensor torchvision passes fill as one float per channel."""
    if not isinstance(img, functional.Tensor):
        return fill
    return [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]


# ----------------------------------------------------------------------------
# applying transforms at random
# ----------------------------------------------------------------------------
class RandomApply(_Transform):
    """All the transforms, in order, with probability p (one torch.rand(1) draw); otherwise none."""

    def __init__(self, transforms, p=0.5):
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < _random.rand(1):  # compared in float32, as torch compares p with a float32 tensor
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(\n    p={self.p}" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class _RandomTransforms(_Transform):
    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self):
        return f"{type(self).__name__}(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class RandomOrder(_RandomTransforms):
    """All the transforms in an order shuffled by Python's random.shuffle."""

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        _py_random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(_RandomTransforms):
    """One of the transforms, picked by Python's random.choices with weights p (default: equal)."""

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        return _py_random.choices(self.transforms, weights=self.p)[0](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


# ----------------------------------------------------------------------------
# colour
# ----------------------------------------------------------------------------
class ConvertImageDtype(_Transform):
    """A tensor image to another dtype, values rescaled (uint8 0..255 <-> float 0..1)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        return functional.convert_image_dtype(image, self.dtype)


class Grayscale(_Transform):
    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return functional.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def extra_repr(self):
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(_Transform):
    """Grayscale with probability p (one torch.rand(1) draw), keeping the number of channels."""

    def __init__(self, p=0.1):
        self.p = p

    def __call__(self, img):
        channels, _, _ = functional.get_dimensions(img)
        if _random.rand(1) < self.p:
            return functional.rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def extra_repr(self):
        return f"p={self.p}"


class ColorJitter(_Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order. Each argument is a
    number x (factors drawn from [max(0, 1 - x), 1 + x]; for hue, shifts from [-x, x], x <= 0.5) or a (min, max)
    pair."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        return None if value[0] == value[1] == center else tuple(value)  # None: leave that property alone

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order, b, c, s, h): a randperm(4) of the four adjustments, then a factor for each one in use."""
        order = _random.randperm(4)
        factors = [None if r is None else float(_uniform(r[0], r[1]))
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def __call__(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (functional.adjust_brightness, functional.adjust_contrast, functional.adjust_saturation,
                  functional.adjust_hue)
        for i in order.tolist():
            if factors[i] is not None:
                img = adjust[i](img, factors[i])
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


# ----------------------------------------------------------------------------
# geometry
# ----------------------------------------------------------------------------
class RandomRotation(_Transform):
    """Rotate by an angle drawn uniformly from degrees ((-d, d) for a number d)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        if isinstance(interpolation, int):
            interpolation = functional.interpolation_mode(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence(center, "center", req_sizes=(2,))
        self.center, self.interpolation, self.expand = center, interpolation, expand
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(degrees):
        return float(_uniform(float(degrees[0]), float(degrees[1])))

    def __call__(self, img):
        channels, _, _ = functional.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        angle = self.get_params(self.degrees)
        return functional.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        s = f"{type(self).__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}, " \
            f"expand={self.expand}"
        s += f", center={self.center}" if self.center is not None else ""
        return s + (f", fill={self.fill}" if self.fill is not None else "") + ")"


class RandomAffine(_Transform):
    """A random affine map about the centre: angle from degrees, a translation up to translate = (fx, fy) of the
    width and height, a scale from scale = (min, max), shear angles from shear (x only for a number or a pair;
    (xmin, xmax, ymin, ymax) for both). Drawn in that order, each with torch.empty(1).uniform_."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        if isinstance(interpolation, int):
            interpolation = functional.interpolation_mode(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not 0.0 <= t <= 1.0:
                    raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            _check_sequence(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.translate, self.scale = translate, scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else None
        self.interpolation = interpolation
        self.fill = _check_fill(fill)
        if center is not None:
            _check_sequence(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear_x, shear_y)); img_size is (width, height)."""
        angle = float(_uniform(float(degrees[0]), float(degrees[1])))
        translations = (0, 0)
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        scale = 1.0 if scale_ranges is None else float(_uniform(scale_ranges[0], scale_ranges[1]))
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(_uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(_uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        channels, height, width = functional.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return functional.affine(img, *params, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self):
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomPerspective(_Transform):
    """With probability p, move each corner inwards by a random amount (up to distortion_scale x half the
    width/height) and warp the image to match."""

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0):
        if isinstance(interpolation, int):
            interpolation = functional.interpolation_mode(interpolation)
        self.p, self.interpolation, self.distortion_scale = p, interpolation, distortion_scale
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(width, height, distortion_scale):
        """(startpoints, endpoints): the image corners, and where they go, drawn corner by corner (top-left,
        top-right, bottom-right, bottom-left), x then y, each with one randint."""
        dx, dy = int(distortion_scale * (width // 2)), int(distortion_scale * (height // 2))

        def draw(low, high):
            return int(_random.randint(low, high, size=(1,)).item())

        near_x, far_x = (lambda: draw(0, dx + 1)), (lambda: draw(width - dx - 1, width))
        near_y, far_y = (lambda: draw(0, dy + 1)), (lambda: draw(height - dy - 1, height))
        top_left = [near_x(), near_y()]
        top_right = [far_x(), near_y()]
        bottom_right = [far_x(), far_y()]
        bottom_left = [near_x(), far_y()]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [top_left, top_right, bottom_right, bottom_left]

    def __call__(self, img):
        channels, height, width = functional.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        if _random.rand(1) < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return functional.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def extra_repr(self):
        return f"p={self.p}"


class RandomResizedCrop(_Transform):
    """A random crop, of area scale x the image's and aspect ratio in ratio (drawn on a log scale), resized to
    size. Up to 10 tries draw (area, log ratio), then randint for top and left; if none fits, a centre crop."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if isinstance(interpolation, int):
            interpolation = functional.interpolation_mode(interpolation)
        self.interpolation, self.antialias, self.scale, self.ratio = interpolation, antialias, scale, ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, height, width) of the crop."""
        from ... import empty, log, tensor
        _, height, width = functional.get_dimensions(img)
        area = height * width
        log_ratio = log(tensor(ratio))  # float32, as torch.log(torch.tensor(ratio))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item()).exp().item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _random.randint(0, height - h + 1, size=(1,)).item()
                j = _random.randint(0, width - w + 1, size=(1,)).item()
                return i, j, h, w
        in_ratio = float(width) / float(height)  # fallback: the centre crop of the nearest allowed ratio
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return functional.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class FiveCrop(_Transform):
    """The four corners and the centre, as a tuple of five images."""

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        return functional.five_crop(img, self.size)

    def extra_repr(self):
        return f"size={self.size}"


class TenCrop(_Transform):
    """FiveCrop of the image and of its mirror image (left-right, or top-bottom with vertical_flip)."""

    def __init__(self, size, vertical_flip=False):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        return functional.ten_crop(img, self.size, self.vertical_flip)

    def extra_repr(self):
        return f"size={self.size}, vertical_flip={self.vertical_flip}"


class GaussianBlur(_Transform):
    """Gaussian blur with a sigma drawn uniformly from sigma = (min, max) (a number: that sigma)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for k in self.kernel_size:
            if k <= 0 or k % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return functional.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"


class RandomErasing(_Transform):
    """With probability p, set a random rectangle of a tensor image (area scale x the image's, aspect ratio in
    ratio) to value: a number, one per channel, or "random" (normal noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(top, left, height, width, values); values is normal noise when value is None. After 10 tries that do
        not fit, the whole image and the image itself (nothing changes)."""
        from ... import empty, float32, log, tensor
        channels, img_h, img_w = (int(s) for s in img.shape[-3:])
        area = img_h * img_w
        log_ratio = log(tensor(ratio))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item()).exp().item()
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = empty([channels, h, w], dtype=float32).normal_()
            else:
                v = tensor(value)[:, None, None]
            i = _random.randint(0, img_h - h + 1, size=(1,)).item()
            j = _random.randint(0, img_w - w + 1, size=(1,)).item()
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if _random.rand(1) < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError("If value is a sequence, it should have either a single value or "
                                 f"{img.shape[-3]} (number of input channels)")
            i, j, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return functional.erase(img, i, j, h, w, v, self.inplace)
        return img

    def extra_repr(self):
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, inplace={self.inplace}"


# ----------------------------------------------------------------------------
# tone changes applied with probability p (one torch.rand(1) each)
# ----------------------------------------------------------------------------
class _WithProbability(_Transform):
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return self.apply(img) if _random.rand(1).item() < self.p else img

    def extra_repr(self):
        return f"p={self.p}"


class RandomInvert(_WithProbability):
    def apply(self, img):
        return functional.invert(img)


class RandomAutocontrast(_WithProbability):
    def apply(self, img):
        return functional.autocontrast(img)


class RandomEqualize(_WithProbability):
    def apply(self, img):
        return functional.equalize(img)


class RandomPosterize(_WithProbability):
    def __init__(self, bits, p=0.5):
        super().__init__(p)
        self.bits = bits

    def apply(self, img):
        return functional.posterize(img, self.bits)

    def extra_repr(self):
        return f"bits={self.bits},p={self.p}"


class RandomSolarize(_WithProbability):
    def __init__(self, threshold, p=0.5):
        super().__init__(p)
        self.threshold = threshold

    def apply(self, img):
        return functional.solarize(img, self.threshold)

    def extra_repr(self):
        return f"threshold={self.threshold},p={self.p}"


class RandomAdjustSharpness(_WithProbability):
    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def apply(self, img):
        return functional.adjust_sharpness(img, self.sharpness_factor)

    def extra_repr(self):
        return f"sharpness_factor={self.sharpness_factor},p={self.p}"
