"""Distribution: the base class, with PyTorch's shapes, sampling entry points and argument validation."""
import numbers
import warnings

import ember
from ..tensor import Size
from .utils import broadcast_all, lazy_property


def _all_true(mask):
    return bool(mask.all().item())


class Distribution:
    """A batch of probability distributions of the same family.

    ``batch_shape`` is the shape of the batch of independent distributions, ``event_shape`` the shape of one
    draw from one of them; a sample of ``sample_shape`` has shape ``sample_shape + batch_shape + event_shape``.
    With validation on (PyTorch's default, off under ``python -O``), parameters outside their constraints
    raise ValueError at construction and values outside the support raise ValueError in log_prob.
    """
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        """Turn argument validation on or off for distributions made without ``validate_args``."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for name, constraint in self.arg_constraints.items():
            # probs made from logits (or the reverse) are not checked: they are not computed yet
            if name not in self.__dict__ and isinstance(getattr(type(self), name), lazy_property):
                continue
            value = getattr(self, name)
            if not _all_true(constraint.check(value)):
                raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                                 f"but found invalid values:\n{value}")

    def _init_params(self, validate_args, **params):
        """Set the parameters (numbers or tensors), broadcast together, then the base: the batch shape is theirs,
        or () when every one was a number (the __init__ of the families with only real-valued parameters)."""
        values = broadcast_all(*params.values())
        for name, value in zip(params, values):
            setattr(self, name, value)
        all_numbers = all(isinstance(v, numbers.Number) for v in params.values())
        Distribution.__init__(self, Size() if all_numbers else values[0].size(), validate_args=validate_args)

    @property
    def batch_shape(self):
        """The shape over which the parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of one draw from one distribution of the batch."""
        return self._event_shape

    @property
    def arg_constraints(self):
        """Each parameter's name and the constraint it must satisfy."""
        raise NotImplementedError

    @property
    def support(self):
        """The constraint every sample satisfies."""
        raise NotImplementedError

    @property
    def mean(self):
        """The mean of each distribution of the batch."""
        raise NotImplementedError

    @property
    def variance(self):
        """The variance of each distribution of the batch."""
        raise NotImplementedError

    @property
    def stddev(self):
        """The standard deviation: the square root of the variance."""
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        """A draw of shape ``sample_shape + batch_shape + event_shape``, outside the autograd graph."""
        with ember.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        """A reparameterised draw: a differentiable function of the parameters and of parameter-free noise."""
        raise NotImplementedError

    def log_prob(self, value):
        """The log of the density (or of the mass) at ``value``."""
        raise NotImplementedError

    def entropy(self):
        """The entropy of each distribution of the batch (shape ``batch_shape``)."""
        raise NotImplementedError

    @property
    def mode(self):
        """The most likely value of each distribution of the batch."""
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    def cdf(self, value):
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError

    def icdf(self, value):
        """The inverse of the cumulative distribution function: the quantile at probability ``value``."""
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        """Every value of a discrete support, along a new leftmost dim."""
        raise NotImplementedError

    def sample_n(self, n):
        """n draws: ``sample((n,))`` (torch's deprecated spelling, with its FutureWarning)."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning)
        return self.sample(Size((n,)))

    def perplexity(self):
        """exp(entropy)."""
        return ember.exp(self.entropy())

    def expand(self, batch_shape, _instance=None):
        """The same distributions broadcast to a larger ``batch_shape`` (parameters expanded, not copied)."""
        raise NotImplementedError

    def _expanded(self, batch_shape, names):
        """A copy of self whose parameters ``names`` (those present) are expanded to ``batch_shape``; no
        validation is repeated, as PyTorch. ``_param`` (the parameter a distribution was made from) follows."""
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        for name in names:
            if name in self.__dict__:
                value = self.__dict__[name]
                tail = tuple(value.shape[len(self._batch_shape):])  # a Categorical's event count stays
                new.__dict__[name] = value.expand(tuple(batch_shape) + tail)
                if self.__dict__.get("_param") is value:
                    new._param = new.__dict__[name]
        new._batch_shape = batch_shape
        return new

    def _extended_shape(self, sample_shape=Size()):
        """sample_shape + batch_shape + event_shape."""
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        """ValueError unless ``value`` is a tensor that broadcasts with the batch and lies in the support."""
        if not isinstance(value, ember.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        start = len(shape) - len(self._event_shape)
        if Size(shape[start:]) != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{value.size()} vs {Size(expected)}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample validation. Please "
                          "initialize the distribution with `validate_args=False` to turn off validation.",
                          stacklevel=2)
            return
        if not _all_true(support.check(value)):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) "
                             f"to be within the support ({support!r}) of the distribution {self!r}, "
                             f"but found invalid values:\n{value}")

    def __repr__(self):
        shown = []
        for name in self.arg_constraints:
            if name in self.__dict__:
                value = self.__dict__[name]
                shown.append(f"{name}: {value if value.numel() == 1 else value.size()}")
        return f"{type(self).__name__}({', '.join(shown)})"
