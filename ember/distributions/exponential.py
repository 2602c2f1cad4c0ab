"""Exponential(rate): the waiting time of a Poisson process."""

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution


class Exponential(Distribution):
    """Density rate * exp(-rate * x) on x >= 0."""
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        self._init_params(validate_args, rate=rate)

    def expand(self, batch_shape, _instance=None):
        """The same rates broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("rate",))

    @property
    def mean(self):
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def mode(self):
        """0."""
        return ember.zeros_like(self.rate)

    @property
    def stddev(self):
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def variance(self):
        """1 / rate^2."""
        return self.rate.pow(-2)

    def rsample(self, sample_shape=Size()):
        """Exp(1) draws from ``exponential_`` (torch's kernel, bit for bit) divided by rate."""
        shape = self._extended_shape(sample_shape)
        return self.rate.new_empty(shape).exponential_() / self.rate

    def log_prob(self, value):
        """log(rate) - rate * value."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        """1 - exp(-rate * value)."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - ember.exp(-self.rate * value)

    def icdf(self, value):
        """-log(1 - value) / rate."""
        return -ember.log1p(-value) / self.rate

    def entropy(self):
        """1 - log(rate)."""
        return 1.0 - ember.log(self.rate)
