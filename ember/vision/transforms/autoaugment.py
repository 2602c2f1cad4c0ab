"""Learned and random augmentation policies, torchvision's: AutoAugment (the policies of Cubuk et al. 2019 for
ImageNet, CIFAR-10 and SVHN), RandAugment and TrivialAugmentWide. Each picks image operations and their
strengths with torch's random calls in torchvision's order, so a seeded program gets torchvision's images."""
import enum
import math

from ... import random as _random
from . import functional
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide"]


class AutoAugmentPolicy(enum.Enum):
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


def _apply_op(img, op_name, magnitude, interpolation, fill):
    """One named operation at a signed strength (a shear's tangent, pixels, degrees, a factor's change, bits,
    a threshold)."""
    F = functional
    if op_name == "ShearX":  # shears are about the top-left corner
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    factor_ops = {"Brightness": F.adjust_brightness, "Color": F.adjust_saturation, "Contrast": F.adjust_contrast,
                  "Sharpness": F.adjust_sharpness}
    if op_name in factor_ops:
        return factor_ops[op_name](img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    plain_ops = {"AutoContrast": F.autocontrast, "Equalize": F.equalize, "Invert": F.invert,
                 "Identity": lambda image: image}
    if op_name in plain_ops:
        return plain_ops[op_name](img)
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _tensor_fill(fill, img):
    channels, _, _ = functional.get_dimensions(img)
    if not isinstance(img, functional.Tensor) or fill is None:
        return fill
    return [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]


def _magnitude_space(num_bins, shear, translate_x, translate_y, rotate, factor, posterize_steps, identity, invert):
    """{operation: (its num_bins strengths as a float32 tensor, or a 0-d tensor when it has none; whether the
    strength is signed)}, in torchvision's order (which the random index follows)."""
    from ... import arange, linspace, tensor
    none = tensor(0.0)
    space = {"Identity": (none, False)} if identity else {}
    space.update({
        "ShearX": (linspace(0.0, shear, num_bins), True),
        "ShearY": (linspace(0.0, shear, num_bins), True),
        "TranslateX": (linspace(0.0, translate_x, num_bins), True),
        "TranslateY": (linspace(0.0, translate_y, num_bins), True),
        "Rotate": (linspace(0.0, rotate, num_bins), True),
        "Brightness": (linspace(0.0, factor, num_bins), True),
        "Color": (linspace(0.0, factor, num_bins), True),
        "Contrast": (linspace(0.0, factor, num_bins), True),
        "Sharpness": (linspace(0.0, factor, num_bins), True),
        "Posterize": (8 - (arange(num_bins) / ((num_bins - 1) / posterize_steps)).round().int(), False),
        "Solarize": (linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (none, False),
        "Equalize": (none, False),
    })
    if invert:
        space["Invert"] = (none, False)
    return space


# Each policy: two (operation, probability, strength bin out of 10) steps. From the AutoAugment paper, as
# torchvision lists them.
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: """
        Posterize 0.4 8, Rotate 0.6 9 | Solarize 0.6 5, AutoContrast 0.6 - | Equalize 0.8 -, Equalize 0.6 -
        Posterize 0.6 7, Posterize 0.6 6 | Equalize 0.4 -, Solarize 0.2 4 | Equalize 0.4 -, Rotate 0.8 8
        Solarize 0.6 3, Equalize 0.6 - | Posterize 0.8 5, Equalize 1.0 - | Rotate 0.2 3, Solarize 0.6 8
        Equalize 0.6 -, Posterize 0.4 6 | Rotate 0.8 8, Color 0.4 0 | Rotate 0.4 9, Equalize 0.6 -
        Equalize 0.0 -, Equalize 0.8 - | Invert 0.6 -, Equalize 1.0 - | Color 0.6 4, Contrast 1.0 8
        Rotate 0.8 8, Color 1.0 2 | Color 0.8 8, Solarize 0.8 7 | Sharpness 0.4 7, Invert 0.6 -
        ShearX 0.6 5, Equalize 1.0 - | Color 0.4 0, Equalize 0.6 - | Equalize 0.4 -, Solarize 0.2 4
        Solarize 0.6 5, AutoContrast 0.6 - | Invert 0.6 -, Equalize 1.0 - | Color 0.6 4, Contrast 1.0 8
        Equalize 0.8 -, Equalize 0.6 -""",
    AutoAugmentPolicy.CIFAR10: """
        Invert 0.1 -, Contrast 0.2 6 | Rotate 0.7 2, TranslateX 0.3 9 | Sharpness 0.8 1, Sharpness 0.9 3
        ShearY 0.5 8, TranslateY 0.7 9 | AutoContrast 0.5 -, Equalize 0.9 - | ShearY 0.2 7, Posterize 0.3 7
        Color 0.4 3, Brightness 0.6 7 | Sharpness 0.3 9, Brightness 0.7 9 | Equalize 0.6 -, Equalize 0.5 -
        Contrast 0.6 7, Sharpness 0.6 5 | Color 0.7 7, TranslateX 0.5 8 | Equalize 0.3 -, AutoContrast 0.4 -
        TranslateY 0.4 3, Sharpness 0.2 6 | Brightness 0.9 6, Color 0.2 8 | Solarize 0.5 2, Invert 0.0 -
        Equalize 0.2 -, AutoContrast 0.6 - | Equalize 0.2 -, Equalize 0.6 - | Color 0.9 9, Equalize 0.6 -
        AutoContrast 0.8 -, Solarize 0.2 8 | Brightness 0.1 3, Color 0.7 0 | Solarize 0.4 5, AutoContrast 0.9 -
        TranslateY 0.9 9, TranslateY 0.7 9 | AutoContrast 0.9 -, Solarize 0.8 3 | Equalize 0.8 -, Invert 0.1 -
        TranslateY 0.7 9, AutoContrast 0.9 -""",
    AutoAugmentPolicy.SVHN: """
        ShearX 0.9 4, Invert 0.2 - | ShearY 0.9 8, Invert 0.7 - | Equalize 0.6 -, Solarize 0.6 6
        Invert 0.9 -, Equalize 0.6 - | Equalize 0.6 -, Rotate 0.9 3 | ShearX 0.9 4, AutoContrast 0.8 -
        ShearY 0.9 8, Invert 0.4 - | ShearY 0.9 5, Solarize 0.2 6 | Invert 0.9 -, AutoContrast 0.8 -
        Equalize 0.6 -, Rotate 0.9 3 | ShearX 0.9 4, Solarize 0.3 3 | ShearY 0.8 8, Invert 0.7 -
        Equalize 0.9 -, TranslateY 0.6 6 | Invert 0.9 -, Equalize 0.6 - | Contrast 0.3 3, Rotate 0.8 4
        Invert 0.8 -, TranslateY 0.0 2 | ShearY 0.7 6, Solarize 0.4 8 | Invert 0.6 -, Rotate 0.8 4
        ShearY 0.3 7, TranslateX 0.9 3 | ShearX 0.1 6, Invert 0.6 - | Solarize 0.7 2, TranslateY 0.6 7
        ShearY 0.8 4, Invert 0.8 - | ShearX 0.7 9, TranslateY 0.8 3 | ShearY 0.8 5, AutoContrast 0.7 -
        ShearX 0.7 2, Invert 0.1 -""",
}


def _parse_policies(text):
    """"Op p bin, Op p bin | ..." -> [((op, p, bin or None), (op, p, bin or None)), ...]."""
    policies = []
    for pair in text.replace("\n", "|").split("|"):
        if pair.strip():
            steps = []
            for step in pair.split(","):
                name, p, magnitude = step.split()
                steps.append((name, float(p), None if magnitude == "-" else int(magnitude)))
            policies.append(tuple(steps))
    return policies


class AutoAugment:
    """One of the policy's 25 sub-policies, chosen at random; each of its two steps applied with its
    probability, its strength's sign random. Draws: randint for the sub-policy, rand(2), randint(2, (2,))."""

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None):
        self.policy, self.interpolation, self.fill = policy, interpolation, fill
        self.policies = self._get_policies(policy)

    @staticmethod
    def _get_policies(policy):
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return _parse_policies(_POLICIES[policy])

    def _augmentation_space(self, num_bins, image_size):
        height, width = image_size
        return _magnitude_space(num_bins, 0.3, 150.0 / 331.0 * width, 150.0 / 331.0 * height, 30.0, 0.9, 4,
                                identity=False, invert=True)

    @staticmethod
    def get_params(transform_num):
        """(sub-policy index, the two steps' probabilities, the two steps' signs (0: negative))."""
        policy_id = int(_random.randint(transform_num, (1,)).item())
        return policy_id, _random.rand((2,)), _random.randint(2, (2,))

    def __call__(self, img):
        _, height, width = functional.get_dimensions(img)
        fill = _tensor_fill(self.fill, img)
        policy_id, probs, signs = self.get_params(len(self.policies))
        space = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[policy_id]):
            if probs[i] <= p:
                magnitudes, signed = space[op_name]
                magnitude = float(magnitudes[magnitude_id].item()) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment:
    """num_ops operations chosen at random (randint each), all at strength bin magnitude of num_magnitude_bins,
    each sign random (one more randint when the operation has a sign)."""

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        self.num_ops, self.magnitude, self.num_magnitude_bins = num_ops, magnitude, num_magnitude_bins
        self.interpolation, self.fill = interpolation, fill

    def _augmentation_space(self, num_bins, image_size):
        height, width = image_size
        return _magnitude_space(num_bins, 0.3, 150.0 / 331.0 * width, 150.0 / 331.0 * height, 30.0, 0.9, 4,
                                identity=True, invert=False)

    def __call__(self, img):
        _, height, width = functional.get_dimensions(img)
        fill = _tensor_fill(self.fill, img)
        space = self._augmentation_space(self.num_magnitude_bins, (height, width))
        names = list(space)
        for _ in range(self.num_ops):
            op_name = names[int(_random.randint(len(space), (1,)).item())]
            magnitudes, signed = space[op_name]
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            if signed and _random.randint(2, (1,)).item():
                magnitude = -magnitude
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


class TrivialAugmentWide:
    """One operation chosen at random, at a random strength bin, with a random sign (randint each)."""

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        self.num_magnitude_bins, self.interpolation, self.fill = num_magnitude_bins, interpolation, fill

    def _augmentation_space(self, num_bins):
        return _magnitude_space(num_bins, 0.99, 32.0, 32.0, 135.0, 0.99, 6, identity=True, invert=False)

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        space = self._augmentation_space(self.num_magnitude_bins)
        op_name = list(space)[int(_random.randint(len(space), (1,)).item())]
        magnitudes, signed = space[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[_random.randint(len(magnitudes), (1,))].item())
        if signed and _random.randint(2, (1,)).item():
            magnitude = -magnitude
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self):
        return (f"{type(self).__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
