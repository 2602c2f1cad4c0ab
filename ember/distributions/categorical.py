"""Categorical(probs=None, logits=None): one of K classes, drawn with given probabilities."""
import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import finfo_min, lazy_property, logits_to_probs, probs_to_logits


class Categorical(Distribution):
    """A class index in {0, ..., K-1}, K = the size of the last dim of ``probs`` or ``logits`` (give one).

    ``probs`` are normalised to sum to 1 along the last dim; ``logits`` (unnormalised log-probabilities) are
    normalised by subtracting their logsumexp. The leading dims of the parameter are the batch.
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """The same categoricals broadcast to ``batch_shape``."""
        return self._expanded(batch_shape, ("probs", "logits"))

    @lazy_property
    def logits(self):
        """Normalised log-probabilities (log of the clamped probs when made from probs)."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        """Normalised probabilities (softmax of the logits when made from logits)."""
        return logits_to_probs(self.logits)

    @property
    def support(self):
        """The integers 0 .. K-1."""
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self):
        """The shape of the parameter: batch_shape + (K,)."""
        return self._param.size()

    @property
    def mean(self):
        """NaN: class indices have no meaningful mean (as PyTorch)."""
        return ember.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def variance(self):
        """NaN, as the mean."""
        return ember.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        """The most probable class."""
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape=Size()):
        """Class indices of shape sample_shape + batch_shape.

        As PyTorch: one ``multinomial`` call with replacement on the probs viewed as (batch, K), drawing all
        the samples of one batch row together, then transposed and reshaped."""
        sample_shape = Size(sample_shape)
        probs_2d = self.probs.reshape(-1, self._num_events)
        samples_2d = ember.multinomial(probs_2d, sample_shape.numel(), True).T
        return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        """The normalised logit of each class index in ``value`` (broadcast against the batch)."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = ember.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        """-sum p log p over the classes (logits of zero-probability classes clamped to stay finite)."""
        logits = ember.clamp(self.logits, min=finfo_min(self.logits.dtype))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        """All class indices along dim 0, broadcast over the batch when ``expand``."""
        values = ember.arange(self._num_events, dtype=ember.long)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
