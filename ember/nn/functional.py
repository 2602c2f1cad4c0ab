"""ember.nn.functional (``import ember.nn.functional as F``): the stateless forms of the layers and losses.

Thin on purpose: each function composes ops from ``ember.ops``; where a
gradient would come out wrong by composition (softplus at 0, BCE at p = 0 or 1)
there is a dedicated op.
"""
import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops import elementwise as _ew, loss as _loss, reduction as _rd
from ..ops.elementwise import where
from ..ops.linalg import linear
from ..random import rand
from ..tensor import _wrap

__all__ = ["linear", "bilinear", "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh",
           "hardtanh", "logsigmoid", "softmax", "log_softmax", "dropout", "batch_norm", "layer_norm", "embedding",
           "one_hot", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div"]


# ----------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------
def bilinear(input1, input2, weight, bias=None):
    """y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j] + bias[o]."""
    out_features, in1, in2 = weight.shape
    mixed = (input1 @ weight.permute(1, 0, 2).reshape(in1, out_features * in2))
    y = (mixed.reshape(*input1.shape[:-1], out_features, in2) * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p), so the expectation is unchanged."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (rand(input.shape, dtype=input.dtype) >= p).to(input.dtype) / (1.0 - p)
    return input.mul_(keep) if inplace else input * keep


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by its batch statistics (training) or its running ones (eval)."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm expected 2D or more input (got {input.ndim}D input)")
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        mean = input.mean(axes)
        var = input.var(axes, unbiased=False)
        if running_mean is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean * momentum)
                running_var.mul_(1 - momentum).add_(var * (momentum * count / (count - 1)))  # unbiased
    else:
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims of each sample."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(input.shape)}")
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean = input.mean(axes, keepdim=True)
    var = input.var(axes, unbiased=False, keepdim=True)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input, weight, padding_idx=None):
    """Rows of weight picked by the integer input; the padding row gets no gradient."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead")
    n = weight.shape[0]
    if input.numel() and (input._data.max() >= n or input._data.min() < -n):
        raise IndexError(f"index out of range in self: embedding indices must be in [0, {n - 1}], "
                         f"got {int(input._data.max())}")
    rows = weight[input]
    if padding_idx is not None:
        padding_idx = padding_idx % n
        rows = where((input == padding_idx).unsqueeze(-1), rows.detach(), rows)
    return rows


def one_hot(tensor, num_classes=-1):
    if tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    n = int(tensor._data.max()) + 1 if num_classes == -1 else num_classes
    if tensor.numel() and (tensor._data.min() < 0 or tensor._data.max() >= n):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap(np.eye(n, dtype=np.int64)[tensor._data])


# ----------------------------------------------------------------------------
# activations
# ----------------------------------------------------------------------------
relu = _ew.relu
sigmoid = _ew.sigmoid
tanh = _ew.tanh
softmax = _rd.softmax
log_softmax = _rd.log_softmax


def relu6(input):
    return hardtanh(input, 0.0, 6.0)


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """clamp's values, but PyTorch's gradient: 1 strictly inside (min, max), 0 at the bounds (clamp passes it)."""
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.clamp(min_val, max_val).detach())


def leaky_relu(input, negative_slope=0.01):
    return where(input > 0, input, input * negative_slope)


def elu(input, alpha=1.0):
    return where(input > 0, input, alpha * _ew.expm1(input.clamp(max=0)))  # clamp: no exp of large x


def gelu(input, approximate="none"):
    if approximate == "tanh":
        return 0.5 * input * (1 + (math.sqrt(2 / math.pi) * (input + 0.044715 * input ** 3)).tanh())
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return 0.5 * input * (1 + _ew.erf(input * (1 / math.sqrt(2))))


def silu(input):
    return input * input.sigmoid()


def softplus(input, beta=1.0, threshold=20.0):
    scaled = input * beta if beta != 1 else input
    smooth = _ew.softplus(scaled) if beta == 1 else _ew.softplus(scaled) / beta
    return where(scaled > threshold, input, smooth)  # linear above the threshold, as in PyTorch


def logsigmoid(input):
    return -_ew.softplus(-input)


# ----------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------
def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction: use 'mean', 'sum' or 'none'")


def _check_sizes(input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def mse_loss(input, target, reduction="mean"):
    _check_sizes(input, target)
    return _reduce((input - target) ** 2, reduction)


def l1_loss(input, target, reduction="mean"):
    _check_sizes(input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    _check_sizes(input, target)
    if beta == 0:
        return l1_loss(input, target, reduction)
    diff = (input - target).abs()
    return _reduce(where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    _check_sizes(input, target)
    diff = (input - target).abs()
    return _reduce(where(diff < delta, 0.5 * diff * diff, delta * (diff - 0.5 * delta)), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    data = input._data
    if data.size and (data.min() < 0 or data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1: BCELoss takes probabilities; "
                           "use BCEWithLogitsLoss for raw scores")
    loss = _loss.BinaryCrossEntropy.apply(input, target.to(input.dtype))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-(pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), stable for any x."""
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * _ew.softplus(-input)
    return _reduce(loss if weight is None else loss * weight, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-input[i, target[i]] (the log-probability of the right class), weighted, skipping ignore_index."""
    if input.ndim == 1:  # one sample: (C,) scores and a 0-d target
        loss = nll_loss(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index, reduction)
        return loss[0] if reduction == "none" else loss
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}: class-index targets must be "
                           "integers (use target.long())")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction: use 'mean', 'sum' or 'none'")
    n_classes = input.shape[1]
    if target._data.shape != (input.shape[0],) + tuple(input.shape[2:]):
        raise ValueError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, got {list(target.shape)}")
    labels = target._data
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):  # out of range, or ignore_index
        used = labels[labels != ignore_index]
        bad = used[(used < 0) | (used >= n_classes)]
        if bad.size:
            raise IndexError(f"Target {int(bad[0])} is out of bounds: targets must be in [0, {n_classes - 1}]")
    if input.ndim > 2:  # (N, C, d1, ...): fold the extra dims into the batch
        flat = input.permute(0, *range(2, input.ndim), 1).reshape(-1, n_classes)
        loss = nll_loss(flat, _wrap(labels.reshape(-1)), weight, ignore_index, reduction)
        return loss.reshape(labels.shape) if reduction == "none" else loss
    return _loss.NLLLoss.apply(input, labels, None if weight is None else weight._data, ignore_index, reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """log_softmax then NLL, for class indices; or -sum(p log q) for class probabilities."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    log_probs = log_softmax(input, class_dim)
    weight_shape = [1] * input.ndim
    weight_shape[class_dim] = n_classes
    if target.is_floating_point():  # probabilities per class
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected target of the same shape as the input {list(input.shape)} for class "
                               f"probabilities, got {list(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = log_probs * target if weight is None else log_probs * target * weight.reshape(weight_shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // n_classes) if input.numel() else loss.sum() * float("nan")
        return _reduce(loss, reduction)
    nll = nll_loss(log_probs, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    terms = log_probs if weight is None else log_probs * weight.reshape(weight_shape)
    smooth = -terms.sum(class_dim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = target._data[~ignored._data]
            smooth = smooth.sum() / weight[_wrap(kept)].sum()
        else:
            smooth = smooth.sum() / float((~ignored._data).sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target || input) pointwise, input given as log-probabilities."""
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        loss = target * where(positive, target, 1.0).log() - target * input  # 0 log 0 = 0
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
                      stacklevel=2)
    return _reduce(loss, reduction)

