"""Uniform(low, high): every value of [low, high) equally likely."""

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution


class Uniform(Distribution):
    """The uniform distribution on the half-open interval [low, high) (numbers or tensors, broadcast)."""
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self._init_params(validate_args, low=low, high=high)

    @property
    def arg_constraints(self):
        """low < high, stated from both sides as PyTorch does."""
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        """The closed interval [low, high] (PyTorch checks samples against it closed)."""
        return constraints.interval(self.low, self.high)

    def expand(self, batch_shape, _instance=None):
        """The same intervals broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("low", "high"))

    @property
    def mean(self):
        """(low + high) / 2."""
        return (self.high + self.low) / 2

    @property
    def stddev(self):
        """(high - low) / sqrt(12)."""
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        """(high - low)^2 / 12."""
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=Size()):
        """low + u (high - low) with u ~ U[0, 1) from ``torch.rand``: differentiable in low and high."""
        shape = self._extended_shape(sample_shape)
        u = ember.rand(shape, dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        """-log(high - low) inside [low, high), -inf outside."""
        if self._validate_args:
            self._validate_sample(value)
        inside = self.low.le(value).type_as(self.low) * self.high.gt(value).type_as(self.low)
        return ember.log(inside) - ember.log(self.high - self.low)

    def cdf(self, value):
        """(value - low) / (high - low), clamped to [0, 1]."""
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        """low + value (high - low)."""
        return value * (self.high - self.low) + self.low

    def entropy(self):
        """log(high - low)."""
        return ember.log(self.high - self.low)
