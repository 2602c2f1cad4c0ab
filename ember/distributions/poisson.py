"""Poisson(rate): counts of events at a given rate."""

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class Poisson(Distribution):
    """P(k) = rate^k e^(-rate) / k! for k = 0, 1, 2, ..."""
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        self._init_params(validate_args, rate=rate)

    def expand(self, batch_shape, _instance=None):
        """The same rates broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("rate",))

    @property
    def mean(self):
        """rate."""
        return self.rate

    @property
    def mode(self):
        """floor(rate)."""
        return self.rate.floor()

    @property
    def variance(self):
        """rate."""
        return self.rate

    def sample(self, sample_shape=Size()):
        """``torch.poisson`` on the rates expanded to the sample's shape (torch's sampler, bit for bit)."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.poisson(self.rate.expand(shape))

    def log_prob(self, value):
        """value log(rate) - rate - lgamma(value + 1)."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
