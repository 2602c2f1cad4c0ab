"""Normal(loc, scale): the Gaussian."""
import math

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import _standard_normal


class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale`` (numbers or tensors,
    broadcast together)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self._init_params(validate_args, loc=loc, scale=scale)

    def expand(self, batch_shape, _instance=None):
        """The same normals broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("loc", "scale"))

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def stddev(self):
        """scale."""
        return self.scale

    @property
    def variance(self):
        """scale ** 2."""
        return self.stddev.pow(2)

    def sample(self, sample_shape=Size()):
        """Draws with ``torch.normal(loc, scale)`` on the parameters expanded to the sample's shape."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=Size()):
        """loc + eps * scale with eps ~ N(0, 1): differentiable in loc and scale (the reparameterisation)."""
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        """-(value - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi))."""
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        """(1 + erf((value - loc) / (scale sqrt 2))) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ember.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        """loc + scale sqrt(2) erfinv(2 value - 1)."""
        return self.loc + self.scale * ember.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        """1/2 + log(2 pi)/2 + log(scale)."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + ember.log(self.scale)
