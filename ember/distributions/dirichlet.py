"""Dirichlet(concentration) and Beta(concentration1, concentration0): distributions over probability vectors."""
import numbers

import ember
import ember.nn.functional as F
from .. import _samplers
from ..ops import sampler_grads
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class Dirichlet(Distribution):
    """Probability vectors of K entries (K = the last dim of ``concentration``, the event), density
    proportional to prod x_i^(a_i - 1)."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """The same Dirichlets broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("concentration",))

    def rsample(self, sample_shape=Size()):
        """``torch._sample_dirichlet`` (torch's sampler, bit for bit: gammas normalised), differentiable in the
        concentration through torch's implicit reparameterisation gradient."""
        concentration = self.concentration.expand(self._extended_shape(sample_shape))
        sample = _samplers._sample_dirichlet(concentration)
        return sampler_grads.Dirichlet.apply(concentration, sample._data)

    def log_prob(self, value):
        """sum (a_i - 1) log x_i + lgamma(sum a_i) - sum lgamma(a_i)."""
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration - 1.0, value).sum(-1) + ember.lgamma(self.concentration.sum(-1))
                - ember.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        """a / sum a."""
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        """(a - 1) / sum (a - 1) with a - 1 clamped at 0; where every a < 1, the corner of the largest."""
        am1 = (self.concentration - 1).clamp(min=0.0)
        mode = am1 / am1.sum(-1, True)
        mask = (self.concentration < 1).all(-1, keepdim=True)
        corner = F.one_hot(mode.argmax(-1), am1.shape[-1]).to(mode.dtype)
        return ember.where(mask, corner, mode)

    @property
    def variance(self):
        """a_i (a0 - a_i) / (a0^2 (a0 + 1)), a0 = sum a."""
        a0 = self.concentration.sum(-1, True)
        return self.concentration * (a0 - self.concentration) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        """log B(a) + (a0 - K) digamma(a0) - sum (a_i - 1) digamma(a_i)."""
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (ember.lgamma(self.concentration).sum(-1) - ember.lgamma(a0) - (k - a0) * ember.digamma(a0)
                - ((self.concentration - 1.0) * ember.digamma(self.concentration)).sum(-1))


class Beta(Distribution):
    """Density x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1], a = ``concentration1``, b = ``concentration0``: the
    first entry of a Dirichlet((a, b)), which it samples and scores with."""
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Real) and isinstance(concentration0, numbers.Real):
            both = ember.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = ember.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """The same Betas broadcast to ``batch_shape``."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        new._batch_shape = Size(batch_shape)
        return new

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        """a / (a + b)."""
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """The Dirichlet's mode's first entry."""
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        """a b / ((a + b)^2 (a + b + 1))."""
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        """The Dirichlet's draw's first entry."""
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        """The Dirichlet's log_prob of (value, 1 - value)."""
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(ember.stack([value, 1.0 - value], -1))

    def entropy(self):
        """The Dirichlet's entropy."""
        return self._dirichlet.entropy()
