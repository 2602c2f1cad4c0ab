"""Bernoulli(probs=None, logits=None): 1 with probability p, else 0."""
import numbers

import ember
import ember.nn.functional as F
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import BinaryProbs, broadcast_all


class Bernoulli(BinaryProbs, Distribution):
    """A coin: 1 with probability ``probs`` (or sigmoid(``logits``), the log-odds), else 0. Give one of them."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_number = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
        else:
            is_number = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(Size() if is_number else self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """The same coins broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("probs", "logits"))

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        """p."""
        return self.probs

    @property
    def variance(self):
        """p (1 - p)."""
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        """0./1. draws with ``torch.bernoulli`` on the probs expanded to the sample's shape."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        """value log p + (1 - value) log(1 - p), computed from the logits as minus the BCE-with-logits."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        """-p log p - (1 - p) log(1 - p): the BCE of the coin with its own probability."""
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        """0. and 1. along dim 0, broadcast over the batch when ``expand``."""
        values = ember.arange(2, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
