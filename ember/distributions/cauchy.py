"""Cauchy(loc, scale): the ratio of two independent normals, shifted and scaled."""
import math

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution


class Cauchy(Distribution):
    """Density 1 / (pi scale (1 + ((x - loc) / scale)^2)); it has no mean or variance."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self._init_params(validate_args, loc=loc, scale=scale)

    def expand(self, batch_shape, _instance=None):
        """The same Cauchys broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("loc", "scale"))

    @property
    def mean(self):
        """NaN (undefined), as PyTorch."""
        return ember.full(self._extended_shape(), float("nan"), dtype=self.loc.dtype)

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def variance(self):
        """inf, as PyTorch."""
        return ember.full(self._extended_shape(), float("inf"), dtype=self.loc.dtype)

    def rsample(self, sample_shape=Size()):
        """loc + eps * scale with eps from ``cauchy_`` (torch's kernel, bit for bit)."""
        shape = self._extended_shape(sample_shape)
        eps = self.loc.new_empty(shape).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        """-log(pi) - log(scale) - log1p(((value - loc) / scale)^2)."""
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        """atan((value - loc) / scale) / pi + 1/2."""
        if self._validate_args:
            self._validate_sample(value)
        return ember.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        """tan(pi (value - 1/2)) scale + loc."""
        return ember.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        """log(4 pi) + log(scale)."""
        return math.log(4 * math.pi) + self.scale.log()
