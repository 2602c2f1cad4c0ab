"""Geometric(probs=None, logits=None): the number of failures before the first success."""
import numbers

import numpy as np

import ember
import ember.nn.functional as F
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import BinaryProbs, broadcast_all


class Geometric(BinaryProbs, Distribution):
    """P(k) = (1 - p)^k p for k = 0, 1, 2, ...: failures before the first success of a ``probs`` coin
    (or sigmoid(``logits``)). Give one of them."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        given = probs if probs is not None else logits
        super().__init__(Size() if isinstance(given, numbers.Number) else given.size(),
                         validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0  # p = 0 never succeeds: beyond the unit interval's check
            if not bool(valid.all()):
                raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                                 f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but "
                                 f"found invalid values:\n{self.probs.data[~valid]}")

    def expand(self, batch_shape, _instance=None):
        """The same coins broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("probs", "logits"))

    @property
    def mean(self):
        """1/p - 1."""
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        """0."""
        return ember.zeros_like(self.probs)

    @property
    def variance(self):
        """(1/p - 1) / p."""
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()):
        """floor(log(u) / log(1 - p)) with u ~ U(tiny, 1) from ``uniform_`` (as PyTorch: bit for bit)."""
        shape = self._extended_shape(sample_shape)
        tiny = float(np.finfo(self.probs.dtype.np).tiny)
        with ember.no_grad():
            u = self.probs.new_empty(shape).uniform_(tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        """value log(1 - p) + log(p) (0 at value 0 when p is 1)."""
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = probs.masked_fill((probs == 1) & (value == 0), 0)  # so that 0 * log(0) is not NaN
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        """The coin's entropy divided by p."""
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
