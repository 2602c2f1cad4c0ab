"""Helpers the distributions share: broadcasting parameters, probs <-> logits, lazily computed attributes."""
import numbers

import numpy as np

import ember


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the first tensor's dtype
    (the default dtype when all are numbers)."""
    if not all(isinstance(v, (ember.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    dtype = next((v.dtype for v in values if isinstance(v, ember.Tensor)), ember.get_default_dtype())
    tensors = [v if isinstance(v, ember.Tensor) else ember.tensor(v, dtype=dtype) for v in values]
    return ember.broadcast_tensors(*tensors)


def _standard_normal(shape, dtype):
    """N(0, 1) draws of `shape`, taken from the generator as PyTorch's ``empty(shape).normal_()`` takes them."""
    return ember.empty(shape, dtype=dtype).normal_()


def _sum_rightmost(value, dim):
    """value summed over its ``dim`` rightmost dims (value itself when dim is 0)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def clamp_probs(probs):
    """Clamp probabilities into [eps, 1 - eps] so that their logs stay finite."""
    eps = float(np.finfo(probs.dtype.np).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits of probabilities: log-odds for a binary event, log-probabilities along the last dim otherwise."""
    p = clamp_probs(probs)
    return ember.log(p) - ember.log1p(-p) if is_binary else ember.log(p)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid of log-odds, or softmax along the last dim."""
    return ember.sigmoid(logits) if is_binary else ember.softmax(logits, dim=-1)


def finfo_min(dtype):
    """The most negative finite number of a float dtype (``torch.finfo(dtype).min``)."""
    return float(np.finfo(dtype.np).min)


class lazy_property:
    """An attribute computed on first use and then stored on the instance (``probs`` from ``logits`` and back).

    It is computed with grad enabled, so that a value first read under no_grad still carries the graph."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.__name__, value)  # the instance attribute now hides this descriptor
        return value


class BinaryProbs:
    """``probs`` and ``logits`` of a per-trial success probability (Bernoulli, Binomial, Geometric): a distribution
    is made from one of them, and the other is computed from it on first use."""

    @lazy_property
    def logits(self):
        """Log-odds log(p) - log(1 - p), of the clamped p."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        """sigmoid(logits)."""
        return logits_to_probs(self.logits, is_binary=True)
