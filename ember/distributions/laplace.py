"""Laplace(loc, scale): the double exponential."""

import numpy as np

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution


class Laplace(Distribution):
    """Density exp(-|x - loc| / scale) / (2 scale)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self._init_params(validate_args, loc=loc, scale=scale)

    def expand(self, batch_shape, _instance=None):
        """The same Laplaces broadcast to ``batch_shape``."""
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
    def variance(self):
        """2 scale^2."""
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        """sqrt(2) scale."""
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=Size()):
        """Inverse cdf of u ~ U(eps - 1, 1) (``uniform_``, as PyTorch): loc - scale sign(u) log(1 - |u|)."""
        shape = self._extended_shape(sample_shape)
        eps = float(np.finfo(self.loc.dtype.np).eps)
        u = self.loc.new_empty(shape).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * ember.log1p(-u.abs())

    def log_prob(self, value):
        """-log(2 scale) - |value - loc| / scale."""
        if self._validate_args:
            self._validate_sample(value)
        return -ember.log(2 * self.scale) - ember.abs(value - self.loc) / self.scale

    def cdf(self, value):
        """1/2 - sign(value - loc) expm1(-|value - loc| / scale) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * ember.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        """loc - scale sign(value - 1/2) log(1 - 2 |value - 1/2|)."""
        term = value - 0.5
        return self.loc - self.scale * term.sign() * ember.log1p(-2 * term.abs())

    def entropy(self):
        """1 + log(2 scale)."""
        return 1 + ember.log(2 * self.scale)
