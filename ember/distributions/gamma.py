"""Gamma(concentration, rate) and Chi2(df) = Gamma(df / 2, 1 / 2)."""

import numpy as np

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution


class Gamma(Distribution):
    """Density rate^a x^(a-1) e^(-rate x) / Gamma(a) on x >= 0, a = ``concentration``."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self._init_params(validate_args, concentration=concentration, rate=rate)

    def expand(self, batch_shape, _instance=None):
        """The same gammas broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("concentration", "rate"))

    @property
    def mean(self):
        """concentration / rate."""
        return self.concentration / self.rate

    @property
    def mode(self):
        """(concentration - 1) / rate, or 0 when concentration < 1."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        """concentration / rate^2."""
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        """``torch._standard_gamma`` draws (torch's sampler, bit for bit) divided by rate; differentiable in
        both parameters (implicitly reparameterised in the concentration, torch's gradient)."""
        shape = self._extended_shape(sample_shape)
        value = ember._standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=float(np.finfo(value.dtype.np).tiny))  # no draw rounds to 0 (as PyTorch)
        return value

    def log_prob(self, value):
        """a log(rate) + (a - 1) log(value) - rate value - lgamma(a)."""
        value = ember.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate) + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def entropy(self):
        """a - log(rate) + lgamma(a) + (1 - a) digamma(a)."""
        return (self.concentration - ember.log(self.rate) + ember.lgamma(self.concentration)
                + (1.0 - self.concentration) * ember.digamma(self.concentration))


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2)."""
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self):
        """2 concentration."""
        return self.concentration * 2
