"""ember.nn.functional (``import ember.nn.functional as F``): the stateless forms of the layers and losses.

Thin on purpose: each function composes ops from ``ember.ops``; where a
gradient would come out wrong by composition (softplus at 0, BCE at p = 0 or 1)
there is a dedicated op.
"""
import math
import sys as _sys
import warnings

import numpy as np

from .. import _backend, creation
from .._backend import bool_, int_arg, require_float, torch_scalar_name
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled, no_grad
from ..ops import conv as _conv, elementwise as _ew, loss as _loss, reduction as _rd, shape as _sh
from ..ops import normalization as _norm, sampling as _sampling
from ..ops.elementwise import where
from ..ops.composite import channel_shuffle
from ..ops.linalg import cosine_similarity, linear, pairwise_distance, pdist
from ..random import _gen, _uniform01
from ..tensor import Tensor, _broadcastable, _inplace, _wrap

__all__ = ["linear", "bilinear", "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh",
           "hardtanh", "logsigmoid", "selu", "celu", "mish", "hardswish", "hardsigmoid", "softsign", "tanhshrink",
           "softshrink", "hardshrink", "threshold", "glu", "prelu", "rrelu", "relu_", "hardtanh_", "leaky_relu_",
           "elu_", "selu_", "celu_", "rrelu_", "threshold_", "softmax", "log_softmax", "dropout",
           "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "batch_norm",
           "instance_norm", "layer_norm", "embedding_bag",
           "embedding", "one_hot", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div", "pixel_shuffle",
           "pixel_unshuffle", "scaled_dot_product_attention", "multi_head_attention_forward",
           "softmin", "normalize", "cosine_similarity", "pairwise_distance", "rms_norm", "local_response_norm",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "margin_ranking_loss", "hinge_embedding_loss",
           "soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "multilabel_soft_margin_loss", "unfold", "fold",
           "lp_pool1d", "lp_pool2d", "channel_shuffle", "pdist", "max_unpool1d", "max_unpool2d",
           "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


# ----------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------
def bilinear(input1, input2, weight, bias=None):
    """y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j] + bias[o]."""
    out_features, in1, in2 = weight.shape
    mixed = (input1 @ weight.permute(1, 0, 2).reshape(in1, out_features * in2))
    y = (mixed.reshape(*input1.shape[:-1], out_features, in2) * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


def _dropout(input, p, training, inplace, feature=False, alpha=False):
    """Zero each element (each channel, for feature dropout) with probability p and scale the rest by 1/(1-p);
    alpha dropout sets the dropped ones to SELU's negative saturation instead and keeps mean and variance.

    As torch: the noise is bernoulli_(1 - p) drawn in the input's dtype over empty_like(input) (see
    _dropout_noise), then scaled, so a seeded program drops the same elements as under PyTorch.
    """
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if input._data.dtype.kind != "f":  # (torch's noise is scaled in place by a float: its error, for ints too)
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_scalar_name(input._data.dtype)}")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    noise = _dropout_noise(input._data, shape, 1.0 - p, layout=not feature)
    dt = noise.dtype.type
    if not alpha:
        noise = _wrap(noise / dt(1.0 - p))
        return input.mul_(noise) if inplace else input * noise
    # torch's constants: a keeps the variance, b moves the dropped elements to -alpha' and keeps the mean
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALE ** 2 * p + 1) * (1 - p))
    b = _wrap((noise - dt(1)) * dt(_SELU_ALPHA_SCALE * a) + dt(_SELU_ALPHA_SCALE * a * p))
    noise = _wrap(noise * dt(a))
    return (input.mul_(noise) if inplace else input * noise).add_(b)


_SELU_ALPHA_SCALE = 1.7580993408473766  # SELU's scale * alpha: selu(x) tends to -this for x -> -inf


def _dropout_noise(data, shape, keep, layout):
    """0/1 in data's dtype, drawn as torch's bernoulli_(keep): one draw per element in memory order. With layout
    the noise is torch's empty_like(input), laid out in the order of the input's strides (a transposed or
    permuted input, sliced or not); feature noise (N, C, 1, ...) is row-major."""
    axes = _empty_like_axes(data.shape, data.strides) if layout else list(range(len(shape)))
    drawn = _uniform01(_gen(None), math.prod(shape), np.float64) < keep
    drawn = drawn.astype(data.dtype).reshape([shape[d] for d in axes]).transpose(np.argsort(axes))
    return _backend.like(np.ascontiguousarray(drawn), data)


def _empty_like_axes(shape, strides):
    """The axes, outermost first, of torch's empty_like (infer_dense_strides: TensorIterator's order of one input)."""
    return _backend.torch_dim_order(shape, [strides])


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p)."""
    return _dropout(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped elements become -1.758..., and an affine map keeps mean and variance."""
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels: each (n, c) map is kept or dropped together."""
    return _dropout(input, p, training, inplace, feature=True, alpha=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Dropout of whole channels of (N, C, L) (or unbatched (C, L)) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched_feature_dropout(input, input.ndim == 2, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Dropout of whole channels: (N, C, H, W) keeps or zeroes each (n, c) map (3D input is read as (N, C, L),
    as torch still does, with its warning)."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(_feature_rank_warning("dropout2d", input.ndim, 2), stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Dropout of whole channels of (N, C, D, H, W) (or unbatched (C, D, H, W)) input."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(_feature_rank_warning("dropout3d", input.ndim, 3), stacklevel=2)
    return _unbatched_feature_dropout(input, input.ndim != 5, p, training, inplace)


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _feature_rank_warning(name, ndim, spatial):
    return (f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error in a "
            f"future release. To retain the behavior and silence this warning, please use dropout instead. Note "
            f"that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial dimensions, a "
            f"channel dimension, and an optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).")


def _unbatched_feature_dropout(input, unbatched, p, training, inplace):
    """Feature dropout with a batch of one added to unbatched input, as torch's dropout1d/3d do."""
    if not unbatched:
        return _dropout(input, p, training, inplace, feature=True)
    out = _dropout(input.unsqueeze(0), p, training, inplace, feature=True)
    return input if inplace else out.squeeze(0)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by its batch statistics (training) or its running ones (eval)."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm expected 2D or more input (got {input.ndim}D input)")
    _norm_dtypes("batch_norm", input, running_mean, running_var, weight, bias)
    channels = input.shape[1]
    for name, p in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if p is not None and p.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {p.numel()}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, channels) + (1,) * (input.ndim - 2)
    data = input._data
    if training or running_mean is None:
        count = math.prod([input.shape[a] for a in axes])  # torch's size_prods: 1 refused, 0 an empty output
        if training and count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        if count == 0:  # no values: nothing to normalise, the running statistics stay as they are
            mean, rstd = np.zeros(shape, data.dtype), np.ones(shape, data.dtype)
        else:
            mean, var, rstd = _norm.statistics(data, axes, eps)
        if training and running_mean is not None and count:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(_wrap(mean.reshape(channels) * momentum))
                running_var.mul_(1 - momentum).add_(_wrap(var.reshape(channels) * (momentum * count / (count - 1))))
    else:
        mean = running_mean._data.reshape(shape)
        rstd = 1 / np.sqrt(running_var._data.reshape(shape) + eps)
    return _norm.NativeBatchNorm.apply(input, weight, bias, mean, rstd, training or running_mean is None, eps, axes,
                                       shape[1:], axes)


def _norm_dtypes(name, input, *params):
    """Normalisation runs on floats, in one dtype: PyTorch refuses integer inputs and mixed dtypes."""
    require_float(name, input._data)
    for p in params:
        if p is not None and p._data.dtype != input._data.dtype:
            raise RuntimeError(f"mixed dtype (CPU): all inputs must share same datatype: {name} got an input of "
                               f"{input.dtype} and parameters of {p.dtype}; convert the input, e.g. "
                               f"x.to({p.dtype}), or the layer, e.g. layer.to({input.dtype})")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Each (sample, channel) pair normalised over its own positions: batch_norm with the samples folded into
    the channels, as PyTorch computes it. Running statistics are the average over the samples."""
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    n, c = input.shape[:2]
    folded = input.contiguous().view(1, n * c, *input.shape[2:])
    mean, var = (None, None) if running_mean is None else (running_mean.repeat(n), running_var.repeat(n))
    weight, bias = (None if p is None else p.repeat(n) for p in (weight, bias))
    out = batch_norm(folded, mean, var, weight, bias, training=use_input_stats, momentum=momentum, eps=eps)
    if running_mean is not None and use_input_stats:
        with no_grad():
            running_mean.copy_(mean.reshape(n, c).mean(0))
            running_var.copy_(var.reshape(n, c).mean(0))
    return out.view(input.shape)


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): channels become r x r blocks of pixels (sub-pixel upsampling)."""
    r = upscale_factor
    *lead, channels, h, w = input.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    x = input.reshape(*lead, channels // (r * r), r, r, h, w)
    k = len(lead)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (..., C, H, r, W, r)
    return x.reshape(*lead, channels // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of pixel_shuffle: (*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = downscale_factor
    *lead, channels, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
                           f"got height={h} and width={w} for downscale_factor={r}")
    x = input.reshape(*lead, channels, h // r, r, w // r, r)
    k = len(lead)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (..., C, r, r, H, W)
    return x.reshape(*lead, channels * r * r, h // r, w // r)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims of each sample."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _norm_dtypes("layer_norm", input, weight, bias)
    if tuple(input.shape[input.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(input.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(p.shape)} and normalized_shape = {list(normalized_shape)}")
    lead = input.ndim - len(normalized_shape)
    axes = tuple(range(lead, input.ndim))
    mean, _, rstd = _norm.statistics(input._data, axes, eps)
    return _norm.NativeLayerNorm.apply(input, weight, bias, mean, rstd, True, eps, axes, normalized_shape,
                                       tuple(range(lead)))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times weight; eps=None is the
    machine epsilon of input's dtype (torch.finfo(dtype).eps). torch's formula, as ember ops."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if tuple(input.shape[max(input.ndim - len(normalized_shape), 0):]) != normalized_shape or \
            len(normalized_shape) > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}")
    require_float("rms_norm", input._data)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    out = input * ((input ** 2).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Each value divided by (k + alpha * mean of the squares of `size` neighbouring channels)^beta (torch's
    formula; its 3-d average pool over (size, 1, 1) is the 2-d one over the flattened spatial dims)."""
    dim = input.ndim
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input * input
    sizes = tuple(input.shape)
    div = div.reshape(sizes[0], 1, sizes[1], -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).reshape(sizes)
    div = (div * alpha + k) ** beta
    return input / div


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of weight picked by the integer input (one op, EmbeddingBackward0). The padding row gets no gradient;
    max_norm first rescales, in place, each looked-up row whose norm_type-norm exceeds it (torch's
    embedding_renorm_); scale_grad_by_freq divides each row's gradient by its index's count in the batch.
    sparse=True is accepted: ember's gradients are dense (optim.SparseAdam reads the rows looked up from them)."""
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a {weight.ndim}-D tensor: an embedding table is "
                           "(num_embeddings, embedding_dim)")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if input.numel() and (input._data.max() >= n or input._data.min() < 0):
        bad = int(input._data.min()) if input._data.min() < 0 else int(input._data.max())
        raise IndexError(f"index out of range in self: embedding indices must be in [0, {n - 1}], got {bad}")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    from ..ops.embedding import Embedding
    return Embedding.apply(weight, input._data, padding_idx, bool(scale_grad_by_freq))


def _embedding_renorm_(weight, input, max_norm, norm_type):
    """torch's embedding_renorm_: each distinct looked-up row whose norm exceeds max_norm is scaled, in place and
    unrecorded, by max_norm / (norm + 1e-7)."""
    rows = np.unique(input.detach().cpu()._data)
    with no_grad():
        picked = weight[creation.tensor(rows, device=weight.device)]
        norms = picked.norm(norm_type, dim=1).cpu()._data.astype(np.float64)
        over = norms > max_norm
        if over.any():  # (the scale is a double, rounded to the weight's dtype as torch's row *= scale)
            scale = creation.tensor((max_norm / (norms[over] + 1e-7))[:, None], dtype=weight.dtype,
                                    device=weight.device)
            weight[creation.tensor(rows[over], device=weight.device)] = picked[creation.tensor(over)] * scale


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of each bag of embedding rows, without the (bags, length, dim) tensor in between: a 2-d
    input is one bag per row; a 1-d input is cut into bags where offsets say (offsets[i] starts bag i; with
    include_last_offset the last offset ends the last bag). Entries equal to padding_idx are left out (a mean
    divides by the others), an empty bag gives zeros; per_sample_weights (mode='sum') weigh each entry.

    A composition: the looked-up rows (the embedding op, so max_norm, padding_idx and the frequency scaling act as
    in embedding), added into their bags with one scatter_add, or for 'max' laid out (bags, longest, dim) and
    reduced; the gradients are the ops' own."""
    if weight._data.dtype.kind in "iu" and input._data.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        if input.shape[1] == 0:
            raise RuntimeError("step must be nonzero")  # (torch's arange of the offsets, in steps of the length)
        offsets = creation.arange(0, input.numel(), input.shape[1], dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    for name, t in (("indices", input), ("offsets", offsets)):
        if t._data.dtype not in (np.int64, np.int32):
            raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                               f"Long, Int; but got {t.type()} instead (while checking arguments for embedding_bag)")
    if weight._data.dtype.kind != "f":
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have one of the following scalar types: "
                           f"Half, BFloat16, Float, Double; but got {weight.type()} instead (while checking arguments "
                           "for embedding_bag)")
    n, rows = input.shape[0], weight.shape[0]
    flat = input.detach().cpu()._data.astype(np.int64)
    starts = offsets.detach().cpu()._data.astype(np.int64)
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if per_sample_weights is not None and per_sample_weights._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {weight.type()} does not equal {per_sample_weights.type()} "
                           "(while checking arguments for embedding_bag)")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-rows} through {rows - 1}, "
                               f"but got {padding_idx}")
        padding_idx %= rows
    if include_last_offset and not len(starts):
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if len(starts) and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {starts[0]}")
    if len(starts) and starts[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{starts[-1]}")
    if len(starts) and starts.min() < 0:
        raise IndexError("index out of range in self")
    # (torch's float32/float16 sum and mean without padding_idx run fbgemm's kernel, with its own messages; its
    # other kernels do not check the order of the offsets at all and read bags of a negative length: refused here)
    fbgemm = weight._data.dtype in (np.float32, np.float16) and mode != "max" and padding_idx is None
    if len(starts) and (np.diff(starts) < 0).any():
        raise RuntimeError("Your input appears to be incorrect: the last offset value should be the size of the "
                           "indices tensor, but it seems not to be the case." if include_last_offset else
                           "Expected i < index_size to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    bad = np.flatnonzero((flat < 0) | (flat >= rows))
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {flat[bad[0]]} which is not in the valid range "
                           f"[0, {rows})" if fbgemm else "embedding_bag: Expected idx >= 0 && idx < num_embeddings "
                           f"but found idx to be {flat[bad[0]]}")
    bags = len(starts) - 1 if include_last_offset else len(starts)
    end = (starts[-1] if include_last_offset else n) if bags else 0  # where the last bag ends
    bag_of = np.searchsorted(starts[:bags], np.arange(n), side="right") - 1  # each entry's bag (the last start wins)
    keep = (bag_of >= 0) & (np.arange(n) < end)
    if padding_idx is not None:
        keep &= flat != padding_idx
    keep = np.flatnonzero(keep)
    divisors = False
    if scale_grad_by_freq:  # torch's CPU kernel divides the gradients of the i-th distinct index (in sorted order)
        counts = np.bincount(flat, minlength=rows)  # by the count of the i-th smallest entry: so do we
        distinct, rank = np.unique(flat, return_inverse=True)
        divisors = _backend.like(counts[np.sort(flat)[:len(distinct)]][rank][keep].astype(np.float64), weight._data)
    on = lambda array: _wrap(_backend.like(np.ascontiguousarray(array), weight._data))  # noqa: E731
    from ..ops.embedding import Embedding
    picked = Embedding.apply(weight, on(flat[keep])._data, None, divisors)  # (kept entries, dim)
    dim, bag_of = weight.shape[1], bag_of[keep]
    if mode == "max":
        sizes = np.bincount(bag_of, minlength=bags)
        place = np.arange(len(keep)) - np.searchsorted(bag_of, bag_of)  # the entry's place in its bag
        width = int(np.max(sizes, initial=1))  # (at least one slot: an empty bag's -inf becomes its 0)
        slots = np.full((bags, width), len(keep))  # (one past the entries: a row of -inf)
        slots[bag_of, place] = np.arange(len(keep))
        padded = _sh.cat([picked, creation.full((1, dim), -math.inf, dtype=weight.dtype, device=weight.device)])
        # (max, not amax: of tied rows the first gets the gradient, as torch's kernel keeps the first maximum)
        return where(on(sizes == 0)[:, None], 0.0, padded[on(slots)].max(1).values)
    if per_sample_weights is not None:
        picked = picked * per_sample_weights[on(keep)][:, None]
    index = on(np.broadcast_to(bag_of[:, None], (len(keep), dim)))
    out = creation.zeros(bags, dim, dtype=weight.dtype, device=weight.device).scatter_add(0, index, picked)
    if mode == "mean":  # (an empty bag divides its zeros by 1)
        out = out / on(np.maximum(np.bincount(bag_of, minlength=bags), 1).astype(weight._data.dtype)[:, None])
    return out


def one_hot(tensor, num_classes=-1):
    """Integer class labels as one-hot rows of length num_classes."""
    if tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    n = int(tensor._data.max()) + 1 if num_classes == -1 else num_classes
    if tensor.numel() and (tensor._data.min() < 0 or tensor._data.max() >= n):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap(_backend.get_array_module(tensor._data).eye(n, dtype=np.int64)[tensor._data])


# ----------------------------------------------------------------------------
# activations
# ----------------------------------------------------------------------------
sigmoid = _ew.sigmoid
tanh = _ew.tanh
softmax = _rd.softmax
log_softmax = _rd.log_softmax


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax of -input: the smallest entries get the largest weights."""
    return softmax(-input, _rd._implicit_dim(dim, input, "softmin", _stacklevel), dtype=dtype)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample from the Gumbel-softmax (Concrete) distribution, torch's formula and torch's draws: Gumbel noise
    -log(Exponential(1)) added to the logits, divided by tau, softmax. hard=True returns the one-hot of each
    sample's largest entry in the forward pass and the soft sample's gradient (straight-through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -creation.empty_like(logits).exponential_().log()  # ~Gumbel(0, 1), from the global generator
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft

def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input divided by its p-norm along dim (held at eps or more): unit vectors along dim."""
    denom = _rd.norm(input, p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    if out is None:
        return input / denom
    from .. import _out
    return _out.into(_ew.div, "div", (input, denom), {}, out)  # torch.div(input, denom, out=out)


def _apply(input, compute, inplace):
    """compute(input); inplace=True writes it into input with autograd's in-place rules, as Tensor.relu_ does
    (the op runs on a clone, and input takes the op's node as its history)."""
    return _inplace(input, compute) if inplace else compute(input)


def relu(input, inplace=False):
    """max(x, 0) for each element."""
    return _apply(input, _ew.relu, inplace)


def relu_(input):
    """relu in place."""
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) for each element."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x limited to [min_val, max_val]; the gradient is 1 strictly inside, 0 at the bounds (clamp passes it)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype.kind in "iu":  # integers stay integers, as in PyTorch
        return _apply(input, lambda x: x.clamp(math.ceil(min_val), math.floor(max_val)), inplace)
    return _apply(input, lambda x: _ew.Hardtanh.apply(x, min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x."""
    require_float("leaky_relu", input._data)
    # in place, torch saves the output (LeakyReluBackward1): a later change to it is refused
    return _apply(input, lambda x: _ew.LeakyRelu.apply(x, negative_slope, inplace), inplace)


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu in place."""
    return leaky_relu(input, negative_slope, inplace=True)


def _elu(op, input, alpha, scale, input_scale, inplace):
    return _apply(input, lambda x: op.apply(x, alpha, scale, input_scale, inplace), inplace)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    require_float("elu", input._data)
    return _elu(_ew.Elu, input, alpha, 1.0, 1.0, inplace)


def elu_(input, alpha=1.0):
    """elu in place."""
    return elu(input, alpha, inplace=True)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with SELU's self-normalising constants (alpha 1.6733, scale 1.0507)."""
    require_float("selu", input._data)
    return _elu(_ew.Elu, input, SELU_ALPHA, SELU_SCALE, 1.0, inplace)


def selu_(input):
    """selu in place."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    require_float("celu", input._data)
    return _elu(_ew.Celu, input, alpha, 1.0, 1.0 / alpha, inplace)


def celu_(input, alpha=1.0):
    """celu in place."""
    return celu(input, alpha, inplace=True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky relu: in training each x <= 0 gets its own slope drawn from U(lower, upper), in eval
    mode the mean slope (lower + upper) / 2."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    require_float("rrelu", input._data)
    noise = _rrelu_noise(input, lower, upper) if training else None
    return _apply(input, lambda x: _ew.RreluWithNoise.apply(x, noise, lower, upper, training, inplace), inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu in place."""
    return rrelu(input, lower, upper, training, inplace=True)


def _rrelu_noise(input, lower, upper):
    """torch's draws: one 64-bit uniform per element x <= 0 in memory order, r = u * (upper - lower) + lower in
    double (lower and upper first rounded to the input's dtype), then rounded to the dtype; 1 elsewhere."""
    data = input._data
    dt = data.dtype.type
    lower, upper = float(dt(lower)), float(dt(upper))
    flat = input.detach().cpu()._data.reshape(-1)  # (the draws are made on the CPU, as ember's random stream)
    negative = ~(flat > 0) & ~np.isnan(flat)  # x <= 0
    noise = np.ones(flat.shape, data.dtype)
    noise[negative] = _uniform01(_gen(None), int(negative.sum()), np.float64) * (upper - lower) + lower
    return _backend.like(noise.reshape(data.shape), data)


def threshold(input, threshold, value, inplace=False):
    """value where x <= threshold, else x."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    """threshold in place."""
    return _threshold(input, threshold, value, True)


def _threshold(input, threshold, value, inplace):  # (inside threshold(), the name threshold is the number)
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    return _apply(input, lambda x: _ew.Threshold.apply(x, threshold, value, inplace), inplace)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (approximate='tanh' for the tanh formula)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    require_float("gelu", input._data)
    return _ew.Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    require_float("silu", input._data)
    return _apply(input, _ew.Silu.apply, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    require_float("mish", input._data)
    return _apply(input, _ew.Mish.apply, inplace)


def hardsigmoid(input, inplace=False):
    """A piecewise-linear sigmoid: min(max(x + 3, 0), 6) / 6."""
    require_float("hardsigmoid", input._data)
    return _apply(input, _ew.Hardsigmoid.apply, inplace)


def hardswish(input, inplace=False):
    """x * hardsigmoid(x): 0 below -3, x above 3, x (x + 3) / 6 between."""
    require_float("hardswish", input._data)
    return _apply(input, _ew.Hardswish.apply, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, a smooth relu (x itself where beta * x > threshold)."""
    require_float("softplus", input._data)
    return _ew.Softplus.apply(input, beta, threshold)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably."""
    require_float("log_sigmoid", input._data)
    return _ew.LogSigmoid.apply(input)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)  # torch's own composition: the same nodes, the same saved tensors


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()  # torch's own composition


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    require_float("softshrink", input._data)
    if not lambd >= 0:
        limit = np.finfo(input._data.dtype).max
        raise RuntimeError(f"lambda must be in range [0, {limit:g}] for input dtype "
                           f"{torch_scalar_name(input._data.dtype)}, but found {lambd:g}")
    return _ew.Softshrink.apply(input, lambd)


def hardshrink(input, lambd=0.5):
    """0 for x in [-lambd, lambd], else x."""
    require_float("hardshrink", input._data)
    return _ew.Hardshrink.apply(input, lambd)


def glu(input, dim=-1):
    """The gated linear unit: split x in two halves a, b along dim; a * sigmoid(b)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = _backend.normalize_dim(dim, input.ndim)
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    require_float("glu", input._data)
    return _ew.Glu.apply(input, dim)


def prelu(input, weight):
    """x where x > 0, else weight * x, with one learnable slope (weight of size 1) or one per channel (dim 1)."""
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {torch_scalar_name(input._data.dtype)} and "
                           f"{torch_scalar_name(weight._data.dtype)}")
    require_float("prelu", input._data)
    if weight.numel() == 1:
        weight = weight.reshape(())
    else:
        channels = input.shape[1] if input.ndim > 1 else 1
        if channels != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
        weight = weight.reshape((1, channels) + (1,) * (input.ndim - 2))  # one slope per channel, broadcast
    return _ew.PreluKernel.apply(input, weight)


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


def legacy_reduction(size_average, reduce, reduction):
    """The reduction, from PyTorch's pre-1.0 flags when either is given (size_average=False meant 'sum',
    reduce=False meant 'none'), with PyTorch's deprecation warning (torch's _Reduction.legacy_get_string)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _check_sizes(input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def _regression_dtypes(name, input, target):
    """Regression losses compute in the prediction's float dtype: integer predictions are refused as in PyTorch."""
    if input._data.dtype.kind != "f":
        if target._data.dtype.kind != "f":
            require_float(name, input._data)
        if name != "huber_loss":  # (mse, l1 and smooth_l1 promote integer predictions, as PyTorch does)
            return
        raise RuntimeError(f"result type {torch_scalar_name(target._data.dtype)} can't be cast to the desired "
                           f"output type {torch_scalar_name(input._data.dtype)}: {name} needs floating point "
                           "predictions; convert them, e.g. pred.float()")


def _same_dtype_pair(input, target):
    """input and target in the dtype torch's promotion gives them (the loss ops compute on arrays)."""
    if input._data.dtype == target._data.dtype:
        return input, target
    dt = _backend.result_type(input._data, target._data)
    return input.to(dt), target.to(dt)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The mean (or sum) of squared differences between input and target."""
    _check_sizes(input, target)
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    _regression_dtypes("mse_loss", input, target)
    return _loss.MseLoss.apply(*_same_dtype_pair(input, target), reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The mean (or sum) of absolute differences between input and target."""
    _check_sizes(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    _regression_dtypes("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error below beta, absolute error above it (scaled by beta)."""
    _check_sizes(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    _regression_dtypes("smooth_l1_loss", input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta}); use beta >= 0")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _loss.SmoothL1Loss.apply(*_same_dtype_pair(input, target), beta, _reduction(reduction))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Squared error below delta, absolute error above it (scaled by delta)."""
    _check_sizes(input, target)
    _regression_dtypes("huber_loss", input, target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta}); use delta > 0")
    return _loss.HuberLoss.apply(*_same_dtype_pair(input, target), delta, _reduction(reduction))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(y log p + (1 - y) log(1 - p)) for probabilities p, averaged."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {torch_scalar_name(target._data.dtype)} but expected "
                           f"{torch_scalar_name(input._data.dtype)}: binary_cross_entropy's target must have the "
                           "input's dtype; convert it, e.g. target.float()")
    if weight is not None and not _broadcastable(weight.shape, input.shape):
        raise RuntimeError(f"weight of shape {list(weight.shape)} does not broadcast to the input's shape "
                           f"{list(input.shape)}")
    data = input._data
    if data.size and (data.min() < 0 or data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1: BCELoss takes probabilities; "
                           "use BCEWithLogitsLoss for raw scores")
    if target._data.size and (target._data.min() < 0 or target._data.max() > 1):
        raise RuntimeError("all elements of target should be between 0 and 1: BCELoss's targets are probabilities "
                           "(0 or 1 for hard labels)")
    weight = None if weight is None else weight.to(input.dtype)._data  # input's dtype, as torch
    return _loss.BinaryCrossEntropy.apply(input, target, weight, _reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """-(pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), stable for any x."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    require_float("log_sigmoid_cpu", input._data)
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_scalar_name(target._data.dtype)}: binary_cross_entropy_with_logits needs "
                           "floating point targets; convert them, e.g. target.float()")
    weight, pos_weight = (None if w is None else w.to(input.dtype)._data for w in (weight, pos_weight))  # as torch
    return _loss.BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), weight, pos_weight,
                                                    _reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): target 1 wants input1 ranked higher, -1 input2."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where target is 1, max(0, margin - x) where it is -1 (input: a distance)."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    zeros = creation.zeros_like(input)
    margin_clamp = (margin - input).clamp(min=0)
    output = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _reduce(output, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)): the logistic loss of +1/-1 labels."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_scalar_name(input._data.dtype)}: soft_margin_loss needs floating point scores; "
                           "convert them, e.g. input.float()")
    if target.requires_grad and _grad_enabled():  # torch's kernel has no derivative for the labels
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. "
                           "This input cannot have requires_grad True.")
    return _reduce((-input * target).exp().log1p(), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1 (torch's formula, its
    squared norms each plus 1e-12)."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    targ_dim = target.ndim
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if targ_dim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + 1e-12
    mag_square2 = (input2 * input2).sum(targ_dim) + 1e-12
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = creation.zeros_like(cos)
    output = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(output, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the pairwise p-distance; swap takes the
    smaller of d(anchor, negative) and d(positive, negative)."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _ew.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + dist_pos - dist_neg).clamp(min=0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(x) - target * x for a log-rate x (log_input), else x - target * log(x + eps); full adds Stirling's
    approximation of log(target!) where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(var) + (input - target)^2 / var), var held at eps or more outside the graph (torch's
    formula); var may be one number, input's shape, or input's shape with one dim of size 1 or dropped."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * creation.ones_like(input)
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): var must be a Tensor or a float, not {type(var).__name__}")
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """The binary logistic loss of each class, averaged over the classes (the last dim) of each sample."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) for any distance d (a function of two tensors;
    default the pairwise Euclidean distance); swap takes the smaller of d(anchor, negative) and
    d(positive, negative)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos, dist_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        dist_neg = _ew.minimum(dist_neg, distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp(min=0), reduction)


def _margin_scores(name, kernel, input, target):
    """The scores of the class-margin losses as (N, C) (one sample: (C,) or a 0-d score, a row of one) and their
    int64 targets as an array, after torch's checks of both."""
    if input.ndim > 2 or (input.ndim and 0 in input.shape[-1:]):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_scalar_name(target._data.dtype)}: {name}'s "
                           "targets are class indices; convert them, e.g. target.long()")
    require_float(kernel, input._data)
    classes = input.shape[-1] if input.ndim else 1
    return input.reshape(-1, classes), target.detach().cpu()._data, classes


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """The multi-class hinge loss: for each sample, the sum over the wrong classes j of
    max(0, margin - x[y] + x[j])^p (times weight[y]), divided by the number of classes (torch's formula)."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    scores, labels, classes = _margin_scores("multi_margin_loss", "multi_margin_loss_cpu_kernel", input, target)
    if (input.ndim == 2 and (target.ndim > 1 or labels.size != input.shape[0])) or \
            (input.ndim < 2 and labels.size != 1):
        expected = [input.shape[0]] if input.ndim == 2 else [1]
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size {expected}, but got {list(target.shape)}. "
                           f"Input has shape {list(input.shape)}.")
    if weight is not None:
        if weight.numel() != classes:
            raise RuntimeError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {torch_scalar_name(input._data.dtype)} but found "
                               f"{torch_scalar_name(weight._data.dtype)}: the class weights must have the scores' "
                               f"dtype; convert them, e.g. weight.to({input.dtype})")
        if weight.requires_grad and _grad_enabled():  # torch's kernel has no derivative for the weights
            raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect to argument "
                               "'weight'. This input cannot have requires_grad True.")
    labels = labels.reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise RuntimeError(f"target out of range: class indices must be in [0, {classes - 1}]")
    rows = _wrap(_backend.like(labels, scores._data))
    z = (margin - scores.gather(1, rows.unsqueeze(1))) + scores
    hinge = z.relu() if p == 1 else z.relu() * z.relu()
    if weight is not None:
        hinge = hinge * weight[rows].unsqueeze(1)
    own = _wrap(_backend.like(labels[:, None] == np.arange(classes), scores._data))  # the sample's own class
    loss = hinge.masked_fill(own, 0.0).sum(1) / classes
    if input.ndim < 2:  # one sample: the target's shape (0-d or one element)
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss: target lists each sample's classes (its first -1 ends the list); the sum over
    those classes j and the other classes k of max(0, 1 - (x[j] - x[k])), divided by the number of classes."""
    reduction = _reduction(legacy_reduction(size_average, reduce, reduction))
    scores, labels, classes = _margin_scores("multilabel_margin_loss", "multilabel_margin_loss_forward_out_frame",
                                             input, target)
    if (input.ndim == 2 and tuple(target.shape) != tuple(input.shape)) or \
            (input.ndim < 2 and (target.ndim > 1 or labels.size != classes)):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    if labels.size and (labels.min() < -1 or labels.max() >= classes):
        raise RuntimeError(f"argument #2 'target' is out of range: class indices must be in [0, {classes - 1}], or -1 "
                           "to end a sample's list")
    labels = labels.reshape(-1, classes)
    listed = np.cumprod(labels != -1, axis=1).astype(bool)  # the entries before the first -1
    is_target = np.zeros(labels.shape, bool)
    is_target[np.nonzero(listed)[0], labels[listed]] = True
    picked = scores.gather(1, _wrap(_backend.like(np.where(listed, labels, 0), scores._data)))  # x[j] of each entry
    z = (1 - picked.unsqueeze(2)) + scores.unsqueeze(1)  # (N, entry j, class k)
    counted = _wrap(_backend.like(~(listed[:, :, None] & ~is_target[:, None, :]), scores._data))
    loss = z.relu().masked_fill(counted, 0.0).sum((1, 2)) / classes
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction: use 'mean', 'sum' or 'none'")
    return reduction


def _check_targets(labels, n_classes, ignore_index):
    """Class indices must lie in [0, C) (or equal ignore_index): PyTorch's IndexError otherwise."""
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):  # out of range, or ignore_index
        used = labels[labels != ignore_index]
        bad = used[(used < 0) | (used >= n_classes)]
        if bad.size:
            raise IndexError(f"Target {int(bad[0])} is out of bounds: targets must be in [0, {n_classes - 1}]")


def _check_class_targets(input, target, weight):
    """Class-index losses: PyTorch's checks of the target's dtype and batch size and the weight's length."""
    shape, target_shape, target_dtype = input._data.shape, target._data.shape, target._data.dtype
    if not shape:
        raise RuntimeError("cross_entropy/nll_loss expect scores of shape (C,) or (N, C, ...), got a 0-d tensor")
    if target_dtype.kind == "f":
        raise RuntimeError(f"expected scalar type Long but found {torch_scalar_name(target_dtype)}: "
                           "class-index targets must be int64; convert them, e.g. target.long()")
    if target_dtype != np.int64 and target_dtype != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{torch_scalar_name(target_dtype)}; convert it, e.g. target.long()")
    if len(shape) >= 2 and target_shape and target_shape[0] != shape[0]:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size "
                         f"({target_shape[0]}): one class index per row of scores")
    n_classes = shape[0 if len(shape) == 1 else 1]
    if weight is not None:
        if weight.ndim != 1 or weight.shape[0] != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                               f"got weight tensor of shape: {list(weight.shape)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {torch_scalar_name(input._data.dtype)} but found "
                               f"{torch_scalar_name(weight._data.dtype)}: the class weights must have the scores' "
                               f"dtype; convert them, e.g. weight.to({input.dtype})")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-input[i, target[i]] (the log-probability of the right class), weighted, skipping ignore_index."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    require_float("nll_loss_out_frame", input._data)
    _check_class_targets(input, target, weight)
    if input.ndim == 1:  # one sample: (C,) scores and a 0-d (or one-element) target
        loss = nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index=ignore_index, reduction=reduction)
        return loss[0] if reduction == "none" and target.ndim == 0 else loss
    _reduction(reduction)
    n_classes = input.shape[1]
    if target._data.shape != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, got "
                           f"{list(target.shape)}")
    labels = target._data
    _check_targets(labels, n_classes, ignore_index)
    if input.ndim > 2:  # (N, C, d1, ...): fold the extra dims into the batch
        flat = input.permute(0, *range(2, input.ndim), 1).reshape(-1, n_classes)
        loss = nll_loss(flat, _wrap(labels.reshape(-1)), weight, ignore_index=ignore_index, reduction=reduction)
        return loss.reshape(labels.shape) if reduction == "none" else loss
    return _loss.NLLLoss.apply(input, labels, None if weight is None else weight._data, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax then NLL, for class indices; or -sum(p log q) for class probabilities."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    require_float("log_softmax_lastdim_kernel_impl", input._data)
    shape, target_shape = input._data.shape, target._data.shape
    if not shape or target._data.dtype.kind != "f" or target_shape != shape:
        _check_class_targets(input, target, weight)  # class indices (floats of another shape are indices too)
    class_dim = 0 if len(shape) == 1 else 1
    n_classes = shape[class_dim]
    log_probs = _rd.LogSoftmax.apply(input, class_dim)  # torch's two nodes: NllLoss over LogSoftmax
    if label_smoothing == 0 and len(shape) == 2 and len(target_shape) == 1 and target._data.dtype.kind in "iu":
        _check_targets(target._data, n_classes, ignore_index)  # the common case, checked once
        return _loss.NLLLoss.apply(log_probs, target._data, None if weight is None else weight._data,
                                   ignore_index, _reduction(reduction))
    weight_shape = [1] * input.ndim
    weight_shape[class_dim] = n_classes
    if target.is_floating_point():  # probabilities per class (the steps of torch's graph, one by one)
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected target of the same shape as the input {list(input.shape)} for class "
                               f"probabilities, got {list(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = log_probs * target if weight is None else log_probs * target * weight.view(weight_shape)
        if _reduction(reduction) == "none":
            return -terms.sum(class_dim)
        total = -terms.sum()
        if reduction == "sum":
            return total
        count = input.numel() // n_classes if input.numel() else float("nan")
        return _loss.DivNumber.apply(total, _wrap(np.asarray(count, input._data.dtype)))
    if label_smoothing == 0:
        return nll_loss(log_probs, target, weight, ignore_index=ignore_index, reduction=reduction)
    nll = nll_loss(log_probs, target, weight, ignore_index=ignore_index, reduction=reduction)
    terms = log_probs if weight is None else log_probs * weight.view(weight_shape)
    smooth = -terms.sum(class_dim)
    ignored = target == ignore_index
    smooth = _loss.MaskedFill.apply(ignored, _wrap(np.zeros((), smooth._data.dtype)), smooth)
    if reduction == "mean":
        if weight is not None:
            kept = target._data[~ignored._data]
            smooth = smooth.sum() / weight[_wrap(kept)].sum()
        else:
            smooth = smooth.sum() / float((~ignored._data).sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return _loss.MulNumber.apply(nll, 1 - label_smoothing) + _loss.MulNumber.apply(smooth, label_smoothing / n_classes)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || input) pointwise, input given as log-probabilities."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
                      stacklevel=2)
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported; give log-probabilities and probabilities as "
                           "floating point tensors")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        loss = target * where(positive, target, 1.0).log() - target * input  # 0 log 0 = 0
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)



# ----------------------------------------------------------------------------
# convolution, pooling, padding, resizing
# ----------------------------------------------------------------------------
def _ntuple(value, n):
    """torch's _single/_pair as the unpooling functions use them: a sequence as given, else n copies (no checks:
    a kernel of 0 or a negative size meets the output-size check, as in torch)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _pair(value, name="argument"):
    """An int or a pair of ints for a window argument, checked as PyTorch checks it: strides, dilations and
    kernel sizes positive, paddings not negative (a stride of 0 would otherwise divide by zero deep inside)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
        pair = tuple(int_arg(v, name, "window sizes") for v in value)
    else:
        pair = (int_arg(value, name, "window sizes"),) * 2
    if name == "padding" and min(pair) < 0:
        raise RuntimeError(f"negative padding is not supported (padding={list(pair)}); use 0 or more")
    if name in ("stride", "dilation", "kernel_size") and min(pair) <= 0:
        raise RuntimeError(f"non-positive {name} is not supported: {name} should be greater than zero, but got "
                           f"{list(pair)}")
    return pair


def _same_dtype(name, input, weight):
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) should be the same: {name} "
                           f"computes in the layer's dtype; convert the input, e.g. x.to({weight.dtype}), or the "
                           f"layer, e.g. layer.to({input.dtype})")


def _batched(input, name, spatial):
    """Accept (C, *spatial) as well as (N, C, *spatial); say clearly what else was expected."""
    if input.ndim == spatial + 1:
        return input.unsqueeze(0), True
    if input.ndim != spatial + 2:
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return input, False


def _same_padding(input, weight_shape, dilation, stride):
    """padding='same': PyTorch pads the extra pixel of an even kernel on the right/bottom."""
    if any(s != 1 for s in stride):  # (the layers refuse it when made, with a ValueError)
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    widths = []
    for k, d in reversed(list(zip(weight_shape, dilation))):
        total = d * (k - 1)
        widths += [total // 2, total - total // 2]
    return pad(input, widths), (0, 0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) of a batch of images with the given filters."""
    x, unbatched = _batched(input, "conv2d", 2)
    _same_dtype("conv2d", x, weight)
    stride, padding, dilation = _conv_lengths(2, stride=stride, padding=padding, dilation=dilation)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d expects a 4D weight (out_channels, in_channels/groups, kH, kW), got "
                           f"{list(weight.shape)}")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if padding == "same":
        x, padding = _same_padding(x, weight.shape[2:], dilation, stride)
    else:
        padding = (0, 0) if padding == "valid" else _pair(padding, "padding")
    padded = [s + 2 * p for s, p in zip(x.shape[2:], padding)]
    effective = [d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation)]
    if any(e > p for e, p in zip(effective, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, effective))}). Kernel size can't be greater than actual input size")
    out = _conv.Conv2d.apply(x, weight, bias, stride, padding, dilation, groups)
    return out[0] if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A 1-D convolution is a 2-D one on images of height 1."""
    x, unbatched = _batched(input, "conv1d", 1)
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d expects a 3D weight (out_channels, in_channels/groups, kW), got {list(weight.shape)}")
    stride, padding, dilation = _conv_lengths(1, stride=stride, padding=padding, dilation=dilation)
    padding = padding if isinstance(padding, str) else (0, padding)
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), padding, (1, dilation), groups).squeeze(2)
    return out[0] if unbatched else out


def _triple(value, name):
    """conv3d's int or three ints (lengths already checked by _conv_lengths), checked as torch checks them."""
    if isinstance(value, (tuple, list)):
        triple = tuple(int_arg(v, "conv3d", "window sizes") for v in value)
    else:
        triple = (int_arg(value, "conv3d", "window sizes"),) * 3
    if name == "padding" and min(triple) < 0:
        raise RuntimeError(f"negative padding is not supported (padding={list(triple)}); use 0 or more")
    if name != "padding" and min(triple) <= 0:
        raise RuntimeError(f"non-positive {name} is not supported: {name} should be greater than zero, but got "
                           f"{list(triple)}")
    return triple


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of (N, C, D, H, W) volumes, composed of 2-d ones: output depth slice od is the sum over the
    kernel's depth kd of conv2d(input depth slice od * stride + kd * dilation, weight[:, :, kd]). Slicing and
    conv2d are differentiable, so the gradients (and second derivatives) are theirs. Correct first: kD conv2d
    calls, each over all N * D_out slices at once; not torch's single fused kernel (speed later)."""
    x, unbatched = _batched(input, "conv3d", 3)
    _same_dtype("conv3d", x, weight)
    if weight.ndim != 5:
        raise RuntimeError(f"conv3d expects a 5D weight (out_channels, in_channels/groups, kD, kH, kW), got "
                           f"{list(weight.shape)}")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if bias is not None and list(bias.shape) != [weight.shape[0]]:
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    stride, padding, dilation = _conv_lengths(3, stride=stride, padding=padding, dilation=dilation)
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    if padding == "same":  # the whole padding up front (the extra one of an even kernel after), as conv2d's
        (x, _), padding = _same_padding(x, weight.shape[2:], dilation, stride), (0, 0, 0)
    else:
        padding = (0, 0, 0) if padding == "valid" else _triple(padding, "padding")
    padded = [s + 2 * p for s, p in zip(x.shape[2:], padding)]
    effective = [d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation)]
    if any(e > p for e, p in zip(effective, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, effective))}). Kernel size can't be greater than actual input size")
    x = pad(x, (0, 0, 0, 0, padding[0], padding[0]))  # depth padded here; height and width by conv2d
    n, c, o = x.shape[0], x.shape[1], weight.shape[0]
    depth = (padded[0] - effective[0]) // stride[0] + 1
    out = None
    for kd in range(weight.shape[2]):  # the depth slices kernel slice kd meets, folded into the batch
        start = kd * dilation[0]
        slices = x[:, :, start:start + (depth - 1) * stride[0] + 1:stride[0]]  # (N, C, D_out, H, W)
        flat = slices.transpose(1, 2).reshape(n * depth, c, *x.shape[3:])
        term = conv2d(flat, weight[:, :, kd], None, stride[1:], padding[1:], dilation[1:], groups)
        out = term if out is None else out + term
    out = out.reshape(n, depth, o, *out.shape[2:]).transpose(1, 2)
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1, 1)
    out = out.contiguous()
    return out[0] if unbatched else out


def _check_transposed(x, weight, bias, groups):
    """The shapes a transposed convolution needs, torch's errors (x batched, in the caller's own dimensions)."""
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[0]} channels, but got {x.shape[1]} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if bias is not None and list(bias.shape) != [weight.shape[1] * groups]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution: the gradient of conv2d with respect to its input."""
    x, unbatched = _batched(input, "conv_transpose2d", 2)
    _same_dtype("conv_transpose2d", x, weight)
    _check_transposed(x, weight, bias, groups)
    stride, padding, output_padding, dilation = _conv_lengths(2, stride=stride, padding=padding,
                                                              output_padding=output_padding, dilation=dilation)
    stride, padding, dilation = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    output_padding = _pair(output_padding, "output_padding")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(output_padding)}, stride={list(stride)}, dilation={list(dilation)}")
    out = _conv.ConvTranspose2d.apply(x, weight, bias, stride, padding, output_padding, dilation, groups)
    return out[0] if unbatched else out


def _conv_lengths(dims, **values):
    """Each window argument of a dims-d convolution as an int (1-d) or a tuple of dims (a list of one spread over
    them), refused as torch refuses a list of another length (an int or a string padding is left as it is)."""
    out = []
    for name, value in values.items():
        if isinstance(value, (tuple, list)):
            if len(value) not in (1, dims):
                raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} values to match "
                                   f"the convolution dimensions, but got {name}={list(value)}")
            value = value[0] if dims == 1 else tuple(value) * (dims // len(value))
        out.append(value)
    return out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """A 1-D transposed convolution is a 2-D one on images of height 1 (as conv1d)."""
    x, unbatched = _batched(input, "conv_transpose1d", 1)
    if weight.ndim != 3:
        raise RuntimeError(f"conv_transpose1d expects a 3D weight (in_channels, out_channels/groups, kW), got "
                           f"{list(weight.shape)}")
    _same_dtype("conv_transpose1d", x, weight)
    _check_transposed(x, weight, bias, groups)
    stride, padding, output_padding, dilation = _conv_lengths(1, stride=stride, padding=padding,
                                                              output_padding=output_padding, dilation=dilation)
    out = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), (0, padding), (0, output_padding),
                           groups, (1, dilation)).squeeze(2)
    return out[0] if unbatched else out


def _window_args(name, **values):
    """unfold/fold's int-or-pair arguments, checked in torch's order with torch's errors (im2col's shape check)."""
    pairs = {}
    for key, value in values.items():
        if isinstance(value, (tuple, list)) and len(value) != 2:
            raise RuntimeError(f"It is expected {key} equals to 2, but got size {len(value)}")
        pairs[key] = tuple(int_arg(v, name, f"argument '{key}'") for v in value) if isinstance(value, (tuple, list)) \
            else (int_arg(value, name, f"argument '{key}'"),) * 2
    for key, words, bad in (("kernel_size", "kernel size", lambda v: v <= 0), ("stride", "stride", lambda v: v <= 0),
                            ("dilation", "dilation", lambda v: v <= 0), ("padding", "padding", lambda v: v < 0)):
        if key in pairs and any(bad(v) for v in pairs[key]):
            short = key.split("_")[0]
            rule = "non-negative" if key == "padding" else "greater than zero"
            raise RuntimeError(f"{words} should be {rule}, but got {short}_height: {pairs[key][0]} "
                               f"{short}_width: {pairs[key][1]}")
    return pairs


def _windows(size, kernel, dilation, padding, stride):
    """The flat positions, in the padded image, that unfold reads: (kh * kw, number of windows), torch's order
    (kernel rows, then kernel columns; windows row by row); and the number of windows along each axis."""
    blocks = [(s + 2 * p - (d * (k - 1) + 1)) // st + 1 for s, k, d, p, st in zip(size, kernel, dilation, padding,
                                                                                   stride)]
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(size)}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, calculated shape of the array of sliding blocks as {tuple(blocks)}, "
                           "but its components must be at least one.")
    width = size[1] + 2 * padding[1]
    rows = (np.arange(kernel[0]) * dilation[0])[:, None, None, None] + (np.arange(blocks[0]) * stride[0])[:, None]
    cols = (np.arange(kernel[1]) * dilation[1])[:, None, None] + np.arange(blocks[1]) * stride[1]
    return (rows * width + cols).reshape(kernel[0] * kernel[1], -1), blocks


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Each sliding kernel_size window of a (N, C, H, W) input as a column: (N, C * kh * kw, windows), im2col.
    One gather from the padded image, so the gradient adds each column back where it was read."""
    args = _window_args("im2col", kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    if input.ndim < 3:  # (torch reads dims that are not there)
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input.ndim, 1)}, "
                         f"{max(input.ndim, 1) - 1}], but got {input.ndim}): unfold expects 3D (C, H, W) or 4D "
                         f"(N, C, H, W) input, got size {list(input.shape)}")
    if input.ndim > 4 or 0 in input.shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    require_float("im2col_out_cpu", input._data)
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)
    kernel, dilation, padding, stride = (args[k] for k in ("kernel_size", "dilation", "padding", "stride"))
    positions, _ = _windows(x.shape[2:], kernel, dilation, padding, stride)
    n, c = x.shape[:2]
    padded = pad(x, (padding[1], padding[1], padding[0], padding[0]))
    padded = padded.reshape(n, c, padded.shape[2] * padded.shape[3])  # (not -1: the batch may be empty)
    columns = _sh.indices_not_kept(padded[:, :, _wrap(_backend.like(positions, x._data))])  # (N, C, kh * kw, windows)
    out = columns.reshape(n, c * positions.shape[0], positions.shape[1])
    return out[0] if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse arrangement of unfold, col2im: columns (N, C * kh * kw, windows) added into a (N, C, *output_size)
    image, overlapping windows summed (one scatter_add into the padded image, then the padding cut off)."""
    args = _window_args("col2im", output_size=output_size, kernel_size=kernel_size, dilation=dilation,
                        padding=padding, stride=stride)
    size, kernel, dilation, padding, stride = (args[k] for k in ("output_size", "kernel_size", "dilation", "padding",
                                                                  "stride"))
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    require_float("col2im_out_cpu", input._data)
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    count = kernel[0] * kernel[1]
    if x.shape[1] % count:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={x.shape[1]} and kernel_size={kernel}.")
    positions, blocks = _windows(size, kernel, dilation, padding, stride)
    if x.shape[2] != positions.shape[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                           f"stride={stride}, expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {positions.shape[1]}, but got "
                           f"input.size(2)={x.shape[2]}.")
    n, c = x.shape[0], x.shape[1] // count
    h, w = size[0] + 2 * padding[0], size[1] + 2 * padding[1]
    index = _wrap(_backend.like(np.broadcast_to(positions.reshape(-1), (n, c, positions.size)).copy(), x._data))
    image = creation.zeros(n, c, h * w, dtype=x.dtype, device=x.device)
    image = image.scatter_add(2, index, x.reshape(n, c, count * positions.shape[1])).reshape(n, c, h, w)
    out = image[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]].contiguous()  # (as torch's)
    return out[0] if unbatched else out


def _pool_output_size(x, kernel, stride, padding, dilation, ceil_mode, planes=None):
    """The output's spatial size for a batched x (N, C, *spatial), refused as torch's shape check refuses it when any
    dim would be less than 1: the input and output sizes as (C x spatial), planes the C torch names (default x's)."""
    if min(kernel + stride + dilation) < 1:  # (refused later, with the pool's own words)
        return None
    spatial = tuple(x.shape[2:])
    out = tuple(_conv.out_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in
                zip(spatial, kernel, stride, padding, dilation))
    if min(out) < 1:
        planes = x.shape[1] if planes is None else planes
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (planes,) + spatial))}). Calculated output size: "
                           f"({'x'.join(map(str, (planes,) + out))}). Output size is too small")
    return out


_POOL_RULES = {"kernel_size": "must either be a single int", "stride": "must either be omitted, a single int",
               "padding": "must either be a single int", "dilation": "must be either a single int"}


def _pool_lengths(pool, dims, **values):
    """A pool's window arguments, each an int or a list of one or dims ints (an empty stride: omitted), refused as
    torch refuses another length: with the 2-d pools' words, or the argument parser's for the 1-d ones (and
    max_pool1d's own words without indices). Returned as given, a list of one spread over the dims."""
    out = []
    for name, value in values.items():
        if isinstance(value, (tuple, list)):
            if name == "stride" and not value:
                value = None
            elif len(value) not in ((1,) if dims == 1 else (1, dims)):
                if pool == "max_pool1d()":
                    rule = {"stride": "must be None, an int, list of ints, or", "padding": "must be an int, list of "
                            "ints, or"}.get(name, "must be an int, list of ints or")
                    raise RuntimeError(f"max_pool1d() {name} {rule} tuple of ints of size 1 but got size {len(value)}")
                if dims == 1:
                    raise RuntimeError(f"{pool}() argument '{name}' should contain one int (got {len(value)})")
                raise RuntimeError(f"{pool}: {name} {_POOL_RULES[name]}, or a tuple of two ints")
            else:
                value = value[0] if dims == 1 else tuple(value) * (dims // len(value))
        out.append(value)
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each 2-d window."""
    x, unbatched = _batched(input, "max_pool2d", 2)
    kernel_size, stride, padding, dilation = _pool_lengths("max_pool2d", 2, kernel_size=kernel_size, stride=stride,
                                                           padding=padding, dilation=dilation)
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    for p, k, d in zip(padding, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                               f"and dilation={d}")
    _pool_output_size(x, kernel, stride, padding, dilation, ceil_mode)
    out = _conv.MaxPool2d.apply(x, kernel, stride, padding, dilation, ceil_mode)
    if unbatched:
        out = out[0]
    if not return_indices:
        return out
    _, indices = _conv.max_pool(x._data, kernel, stride, padding, dilation, ceil_mode)
    return out, _wrap(indices[0] if unbatched else indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each 1-d window."""
    x, unbatched = _batched(input, "max_pool1d", 1)
    kernel_size, stride, padding, dilation = _pool_lengths(
        "max_pool1d" if return_indices else "max_pool1d()", 1, kernel_size=kernel_size, stride=stride,
        padding=padding, dilation=dilation)
    require_float("max_pool1d_impl", x._data)
    window = (kernel_size, kernel_size if stride is None else stride, dilation)
    if not return_indices and all(isinstance(v, int) and v > 0 for v in window):  # (torch's max_pool1d has its
        # own check, after those of the window's sizes; with indices it is max_pool2d's)
        width = _conv.out_size(x.shape[2], window[0], window[1], padding, window[2], ceil_mode)
        if width < 1:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {width}")
    result = max_pool2d(x.unsqueeze(2), (1, kernel_size), None if stride is None else (1, stride), (0, padding),
                        (1, dilation), ceil_mode, return_indices)
    if return_indices:
        out, indices = result
        out, indices = out.squeeze(2), indices.squeeze(2)
        return (out[0], indices[0]) if unbatched else (out, indices)
    out = result.squeeze(2)
    return out[0] if unbatched else out


_TRIPLE_RULES = {  # torch's words for a window argument of the wrong length, by pool
    "max_pool3d": {"kernel_size": "must either be a single int", "stride": "must either be omitted, a single int",
                   "padding": "must either be a single int", "dilation": "must be either a single int"},
    "avg_pool3d": {"kernel_size": "must be a single int", "stride": "must be omitted, a single int",
                   "padding": "must be a single int"}}


def _pool_triple(value, name, pool):
    """An int, or one or three ints, for a 3-d window argument (each then checked by the 2-d pools)."""
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 3):
            raise RuntimeError(f"{pool}: {name} {_TRIPLE_RULES[pool][name]}, or a tuple of three ints")
        return tuple(value) * (3 // len(value))
    return (value,) * 3


def _pool3d_args(input, name, kernel_size, stride, padding, dilation):
    x, unbatched = _batched(input, name, 3)
    if 0 in input.shape[-4:]:  # (torch names dimension 0, whichever is empty)
        where = "max_pool3d_with_indices_out_cpu_template" if name == "max_pool3d" else name
        raise RuntimeError(f"{where}(): Expected input's non-batch dimensions to have positive length, but input has "
                           f"a shape of {list(input.shape)} and non-batch dimension 0 has length zero!")
    kernel = _pool_triple(kernel_size, "kernel_size", name)
    stride = kernel if stride is None or stride == [] else _pool_triple(stride, "stride", name)
    padding, dilation = _pool_triple(padding, "padding", name), _pool_triple(dilation, "dilation", name)
    return x, unbatched, kernel, stride, padding, dilation


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each 3-d window, as two passes (the maximum of maxima): max_pool2d over (H, W) with the
    depth slices as channels, then a (1, kd) max_pool2d over depth. Each pass keeps the first maximum in its
    order (the last NaN), so the element chosen, and given the gradient, is torch's: the first in (d, h, w) order.
    Correct rather than fast: the windows are read twice."""
    x, unbatched, kernel, stride, padding, dilation = _pool3d_args(input, "max_pool3d", kernel_size, stride, padding,
                                                                   dilation)
    if all(p <= (d * (k - 1) + 1) // 2 for p, k, d in zip(padding, kernel, dilation)):  # (torch checks those first)
        _pool_output_size(x, kernel, stride, padding, dilation, ceil_mode)
    n, c, d, h, w = x.shape
    planes = x.reshape(n * c, d, h, w)
    over_hw = max_pool2d(planes, kernel[1:], stride[1:], padding[1:], dilation[1:], ceil_mode, return_indices)
    if return_indices:
        over_hw, hw_index = over_hw
    oh, ow = over_hw.shape[2:]
    depth_last = over_hw.reshape(n * c, d, oh * ow).mT.unsqueeze(2)  # (N C, oh ow, 1, D)
    over_d = max_pool2d(depth_last, (1, kernel[0]), (1, stride[0]), (0, padding[0]), (1, dilation[0]), ceil_mode,
                        return_indices)
    if return_indices:
        over_d, d_index = over_d
    od = over_d.shape[-1]
    out = over_d.squeeze(2).mT.reshape(n, c, od, oh, ow)
    if return_indices:  # the depth each maximum came from, then its (h, w) in that slice: torch's flat d H W index
        depth = d_index._data.reshape(n * c, oh * ow, od).transpose(0, 2, 1)  # (N C, od, oh ow)
        within = np.take_along_axis(hw_index._data.reshape(n * c, d, oh * ow), depth, axis=1)
        indices = _wrap((depth * (h * w) + within).reshape(n, c, od, oh, ow))
    if unbatched:
        out = out[0]
        if return_indices:
            indices = indices[0]
    return (out, indices) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each 3-d window, as two passes: avg_pool2d over (H, W) with the depth slices as channels, then a
    (1, kd) avg_pool2d over depth. The window's count is the product of its counts along each dim (torch's, with
    or without the padding), so the two means make the one; divisor_override sums both passes and divides once.
    Correct rather than fast (and the division is done twice, so the last digit may differ from torch's)."""
    x, unbatched, kernel, stride, padding, _ = _pool3d_args(input, "avg_pool3d", kernel_size, stride, padding, 1)
    n, c, d, h, w = x.shape
    if d < kernel[0] or h < kernel[1] or w < kernel[2]:
        raise RuntimeError(f"input image (T: {d} H: {h} W: {w}) smaller than kernel size (kT: {kernel[0]} "
                           f"kH: {kernel[1]} kW: {kernel[2]})")
    if x._data.dtype.kind != "f":  # torch averages integers as integers: the window's sum, divided and truncated
        total = avg_pool3d(x.double(), kernel, stride, padding, ceil_mode, count_include_pad, 1)
        if divisor_override:
            count = divisor_override
        else:
            counts = []
            for size, k, st, p, o in zip((d, h, w), kernel, stride, padding, total.shape[2:]):
                start = np.arange(o) * st - p
                end = np.minimum(start + k, size + p)  # (as _window_count)
                if not count_include_pad:
                    start, end = np.maximum(start, 0), np.minimum(end, size)
                counts.append(end - start)
            count = counts[0][:, None, None] * counts[1][:, None] * counts[2]
        out = _wrap(np.trunc(total._data / count).astype(x._data.dtype))
        return out[0] if unbatched else out
    planes = x.reshape(n * c, d, h, w)
    over_hw = avg_pool2d(planes, kernel[1:], stride[1:], padding[1:], ceil_mode, count_include_pad,
                         1 if divisor_override else None)
    oh, ow = over_hw.shape[2:]
    depth_last = over_hw.reshape(n * c, d, oh * ow).mT.unsqueeze(2)  # (N C, oh ow, 1, D)
    over_d = avg_pool2d(depth_last, (1, kernel[0]), (1, stride[0]), (0, padding[0]), ceil_mode, count_include_pad,
                        divisor_override)
    out = over_d.squeeze(2).mT.reshape(n, c, over_d.shape[-1], oh, ow)
    return out[0] if unbatched else out

def _unpool_output_size(input, kernel, stride, padding, output_size):
    """torch's: by default the size max pooling came from, (in - 1) * stride + kernel - 2 * padding; a given size
    (with or without N and C) must lie within one stride of it, since pooling maps that many sizes to one."""
    default = [(input.shape[-len(kernel) + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(len(kernel))]
    if output_size is None:
        size = default
    else:
        if len(output_size) == len(kernel) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel):
            raise ValueError(f"output_size should be a sequence containing {len(kernel)} or {len(kernel) + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(len(kernel)):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
        size = output_size
    for d in range(len(kernel)):
        if size[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={size[d]}")
    return list(size)


def _max_unpool(input, indices, size):
    """aten's max_unpool2d: each value written at its flat index into a zero (h, w) plane of its channel. One
    scatter into the flattened planes, so the gradient is the gather of those positions, as torch's."""
    if indices._data.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{torch_scalar_name(indices._data.dtype)}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with {input.ndim} "
                           "dimensions.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    for d in range(1, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"max_unpooling2d_forward_out_cpu(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {list(input.shape)} with dimension {d} being empty.")
    require_float("max_unpool2d", input._data)
    h, w = size
    planes = tuple(input.shape[:-2])
    count = input.shape[-2] * input.shape[-1]
    flat_input, flat_indices = input.reshape(*planes, count), indices.reshape(*planes, count)
    if h * w and flat_indices.numel():
        bad = flat_indices._data[(flat_indices._data < 0) | (flat_indices._data >= h * w)]
        if bad.size:  # (torch names the last one it met: on one thread, the last in order)
            raise RuntimeError(f"Found an invalid max index: {int(bad[-1])} (output volumes are of size {h}x{w})")
    out = creation.zeros(*planes, h * w, dtype=input.dtype, device=input.device)
    if h * w:  # (an empty plane takes nothing: torch writes no value, and checks no index)
        out = out.scatter(-1, flat_indices, flat_input)
    return out.reshape(*planes, h, w)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: each maximum put back where max_pool2d(return_indices=True) found it,
    zeros everywhere else."""
    kernel = _ntuple(kernel_size, 2)
    stride = kernel if stride is None else _ntuple(stride, 2)
    size = _unpool_output_size(input, kernel, stride, _ntuple(padding, 2), output_size)
    return _max_unpool(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: each maximum put back where max_pool1d(return_indices=True) found it,
    zeros everywhere else (max_unpool2d of a trailing dim of 1, as torch computes it)."""
    kernel = _ntuple(kernel_size, 1)
    stride = kernel if stride is None else _ntuple(stride, 1)
    size = _unpool_output_size(input, kernel, stride, _ntuple(padding, 1), output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1]).squeeze(-1)


pad = _sh.pad


def _window_count(size_hw, kernel, stride, padding, ceil_mode, count_include_pad, out_hw):
    """How many positions each average-pooling window divides by (PyTorch's rules for padding and ceil_mode)."""
    counts = []
    for size, k, s, p, o in zip(size_hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)  # a ceil_mode window stops at the padding's end
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.outer(*counts)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window: its sum (kh x kw shifted views added) divided by the window's count."""
    x, unbatched = _batched(input, "avg_pool2d", 2)
    if x._data.dtype.kind != "f":  # PyTorch averages integers as integers (the sum divided, truncated)
        out = avg_pool2d(x.double(), kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        out = _wrap(np.trunc(out._data).astype(x._data.dtype))
        return out[0] if unbatched else out
    kernel_size, stride, padding = _pool_lengths("avg_pool2d", 2, kernel_size=kernel_size, stride=stride,
                                                 padding=padding)
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    for p, k in zip(padding, kernel):
        if p > k // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation=1")
    size_hw = tuple(x.shape[2:])
    out_hw = _pool_output_size(x, kernel, stride, padding, (1, 1), ceil_mode)
    extra = [max(0, (o - 1) * st + k - (s + 2 * p)) for o, st, k, s, p in zip(out_hw, stride, kernel, size_hw, padding)]
    pads = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
    if divisor_override:
        divisor = x._data.dtype.type(divisor_override)
    else:
        count = _window_count(size_hw, kernel, stride, padding, ceil_mode, count_include_pad, out_hw)
        divisor = _backend.like(count.astype(x._data.dtype), x._data)
    out = _conv.AvgPool2d.apply(x, kernel, stride, pads, out_hw, divisor)
    return out[0] if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean over each 1-d window."""
    x, unbatched = _batched(input, "avg_pool1d", 1)
    kernel_size, stride, padding = _pool_lengths("avg_pool1d", 1, kernel_size=kernel_size, stride=stride,
                                                 padding=padding)
    out = avg_pool2d(x.unsqueeze(2), (1, kernel_size), None if stride is None else (1, stride), (0, padding),
                     ceil_mode, count_include_pad).squeeze(2)
    return out[0] if unbatched else out


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool, avg_pool, window):
    """torch's formula: (sum of x^p over each window)^(1/p), the sum as the window's mean times its size, a negative
    sum (odd p) held at 0 by sign(s) * relu(|s|); p = +-inf is the largest (smallest) |x| of each window."""
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each 1-d window: (sum x^p)^(1/p) (p = 1 sums, p = inf takes the largest |x|)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool1d, avg_pool1d, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each 2-d window: (sum x^p)^(1/p) (p = 1 sums, p = inf takes the largest |x|)."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size  # (as torch unpacks it)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool2d, avg_pool2d, kh * kw)


def _adaptive_bins(size, out):
    """PyTorch's adaptive bins: bin i covers [floor(i*size/out), ceil((i+1)*size/out))."""
    starts = [(i * size) // out for i in range(out)]
    ends = [-(-((i + 1) * size) // out) for i in range(out)]
    return starts, ends


def _adaptive_size(input, output_size):
    """output_size as (h, w); None keeps the input's size along that axis."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    return tuple(s if o is None else int(o) for o, s in zip(sizes, input.shape[-2:]))


def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins, as two small averaging matrices: P_h @ x @ P_w^T."""
    x, unbatched = _batched(input, "adaptive_avg_pool2d", 2)
    require_float("adaptive_avg_pool2d", x._data)  # (torch's NotImplementedError for integer maps)
    out_hw = _adaptive_size(x, output_size)
    mats = []
    for size, out in zip(x.shape[2:], out_hw):
        m = np.zeros((out, size), x._data.dtype)
        for i, (a, b) in enumerate(zip(*_adaptive_bins(size, out))):
            m[i, a:b] = 1.0 / (b - a)
        mats.append(_wrap(_backend.like(m, x._data)))
    out = mats[0] @ x @ mats[1].mT
    return out[0] if unbatched else out


def adaptive_avg_pool3d(input, output_size):
    """Average over PyTorch's adaptive bins of (D, H, W): adaptive_avg_pool2d over (H, W) with the depth slices as
    channels, then a small averaging matrix over depth (correct rather than fast: two passes)."""
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    if isinstance(output_size, (tuple, list)) and len(output_size) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    x, unbatched = _batched(input, "adaptive_avg_pool3d", 3)
    if x._data.dtype.kind != "f":  # (torch's mean refuses integer volumes)
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {torch_scalar_name(x._data.dtype)}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    n, c, d, h, w = x.shape
    od = d if sizes[0] is None else int(sizes[0])
    planes = adaptive_avg_pool2d(x.reshape(n * c, d, h, w), sizes[1:])  # (N C, D, oh, ow)
    oh, ow = planes.shape[2:]
    m = np.zeros((od, d), x._data.dtype)
    for i, (a, b) in enumerate(zip(*_adaptive_bins(d, od))):
        m[i, a:b] = 1.0 / (b - a)
    out = (_wrap(_backend.like(m, x._data)) @ planes.reshape(n * c, d, oh * ow)).reshape(n, c, od, oh, ow)
    return out[0] if unbatched else out

def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum over PyTorch's adaptive bins (regular bins go through max_pool2d)."""
    x, unbatched = _batched(input, "adaptive_max_pool2d", 2)
    require_float("adaptive_max_pool2d", x._data)
    (h, w), (oh, ow) = x.shape[2:], _adaptive_size(x, output_size)
    if h % oh == 0 and w % ow == 0:
        result = max_pool2d(x, (h // oh, w // ow), return_indices=return_indices)
    else:
        rows, cols = _adaptive_bins(h, oh), _adaptive_bins(w, ow)
        picks = [[x[:, :, r0:r1, c0:c1].flatten(2).argmax(-1) for c0, c1 in zip(*cols)] for r0, r1 in zip(*rows)]
        local = np.stack([np.stack([p._data for p in row], -1) for row in picks], -2)  # (N, C, oh, ow)
        bin_w = _backend.like(np.array([c1 - c0 for c0, c1 in zip(*cols)]), local)
        row_idx = _backend.like(np.array(rows[0]), local)[:, None] + local // bin_w[None, :]
        col_idx = _backend.like(np.array(cols[0]), local)[None, :] + local % bin_w[None, :]
        indices = row_idx * w + col_idx
        out = x.flatten(2).gather(2, _wrap(indices.reshape(*x.shape[:2], -1))).reshape(indices.shape)
        result = (out, _wrap(indices)) if return_indices else out
    if unbatched:
        return (result[0][0], result[1][0]) if return_indices else result[0]
    return result


def _one(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def _check_pool1d(input, name, output_size):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{name}(): Expected 2D or 3D tensor, but got: {list(input.shape)}")
    if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
        raise RuntimeError(f"{name}(): argument 'output_size' should contain one int (got {len(output_size)})")


def adaptive_avg_pool1d(input, output_size):
    """Average over PyTorch's adaptive bins along the last dim: the 2-d pool of a map of height 1."""
    _check_pool1d(input, "adaptive_avg_pool1d", output_size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _one(output_size))).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum over PyTorch's adaptive bins along the last dim: the 2-d pool of a map of height 1."""
    _check_pool1d(input, "adaptive_max_pool1d", output_size)
    result = adaptive_max_pool2d(input.unsqueeze(-2), (1, _one(output_size)), return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)



# torch's names for the pools' return_indices=True forms (what their boolean dispatch calls): always
# (output, indices), whatever return_indices says
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool1d(..., return_indices=True): the maxima and where each was (flat indices within the length)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool2d(..., return_indices=True): the maxima and where each was (flat indices within each plane)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool3d(..., return_indices=True): the maxima and where each was (flat indices within each volume)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool1d(..., return_indices=True): the maxima and where each was."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool2d(..., return_indices=True): the maxima and where each was."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)

_INTERPOLATING = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # mode -> its spatial dims


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims: 'nearest' (and 'nearest-exact') picks source pixels, 'linear' / 'bilinear' /
    'trilinear' blend the two around each point along each dim, 'bicubic' the four (Keys' cubic, a = -0.75, as
    torch), 'area' averages PyTorch's adaptive bins. Separable: one dim after another, the last first (the order
    in which torch sums, so float32 rounds alike)."""
    spatial = input.ndim - 2
    needs = _INTERPOLATING.get(mode)
    if needs is not None and needs != spatial and mode != "bicubic" and 1 <= spatial <= 3:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {needs + 2}D input")
    if mode not in ("nearest", "nearest-exact", "area") + tuple(_INTERPOLATING) or not 1 <= spatial <= 3 or (
            mode == "bicubic" and spatial != 2):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if align_corners is not None and needs is None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True): ember resizes without the antialiasing filter; "
                                  "leave antialias=False")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = list(input.shape[2:])
    if size is not None:
        out_sizes = [int(s) for s in (size if isinstance(size, (tuple, list)) else [size] * spatial)]
        scales = [i / o for i, o in zip(in_sizes, out_sizes)]
    else:
        factors = scale_factor if isinstance(scale_factor, (tuple, list)) else [scale_factor] * spatial
        out_sizes = [int(np.floor(i * f)) for i, f in zip(in_sizes, factors)]
        scales = [1.0 / f if not recompute_scale_factor else i / o for f, i, o in zip(factors, in_sizes, out_sizes)]
    if mode == "area":  # torch's area is the adaptive average pool
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[spatial - 1](input, out_sizes)
    out = input
    for axis in reversed(range(spatial)):
        i, o, scale = in_sizes[axis], out_sizes[axis], scales[axis]
        dim, positions = 2 + axis, np.arange(o)
        if mode in ("nearest", "nearest-exact"):  # the source pixel: floor(dst * scale), or of the centre (exact)
            index = np.floor((positions + (0.5 if mode == "nearest-exact" else 0.0)) * scale).astype(np.int64)
            out = _sh.indices_not_kept(out.index_select(dim, _wrap(np.minimum(index, i - 1))))
            continue
        if align_corners:
            src = positions * ((i - 1) / (o - 1) if o > 1 else 0.0)
        else:  # pixel centres; linear modes clamp at the first pixel, cubic reads the border pixel again instead
            src = (positions + 0.5) * scale - 0.5
            if mode != "bicubic":
                src = np.maximum(src, 0.0)
        low = np.floor(src).astype(np.int64)
        t = src - low
        if mode == "bicubic":
            taps, weights = [low - 1, low, low + 1, low + 2], _cubic_weights(t)
        else:
            low = np.minimum(low, i - 1)
            taps, weights = [low, low + 1], [1 - t, t]
        shape = [1] * input.ndim
        shape[dim] = o
        terms = [out.index_select(dim, _wrap(np.clip(tap, 0, i - 1))) *
                 _wrap(_backend.like(w.astype(input._data.dtype).reshape(shape), input._data))
                 for tap, w in zip(taps, weights)]
        out = terms[0]
        for term in terms[1:]:
            out = out + term
    return out


def _cubic_weights(t, a=-0.75):
    """The weights of the four pixels around each point (at distances 1 + t, t, 1 - t, 2 - t): Keys' cubic
    convolution kernel, a = -0.75 as torch's."""
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731 (|x| <= 1)
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731 (1 < |x| < 2)
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated (before PyTorch 0.4.1): interpolate."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


_ALIGN_CORNERS_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                          "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                          "documentation of grid_sample for details.")


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps: theta (N, 2, 3) and size (N, C, H, W) give the (N, H, W, 2)
    points theta @ (x, y, 1) of the output's pixel centres (normalised to [-1, 1]); theta (N, 3, 4) and size
    (N, C, D, H, W) give (N, D, H, W, 3). Feed it to grid_sample."""
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = tuple(int(s) for s in size[-2:])
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
        spatial = tuple(int(s) for s in size[-3:])
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if int(size[0]) != theta.shape[0]:  # (torch's bmm of the base grid, expanded to size[0], with theta)
        k = len(spatial)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{int(size[0])}, "
                           f"{k + 1}] but got: [{theta.shape[0]}, {k + 1}].")
    return _sampling.AffineGridGenerator.apply(theta, spatial, bool(align_corners))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """input (N, C, H, W) read at the points grid (N, Ho, Wo, 2), each (x, y) in [-1, 1] (x along the width):
    out (N, C, Ho, Wo). mode: 'bilinear' (the four pixels around the point), 'nearest' or 'bicubic' (4 x 4,
    Keys' cubic); padding_mode: what a point outside reads, 'zeros', 'border' (the nearest edge pixel) or
    'reflection' (the image mirrored at its edges); align_corners: whether -1 and 1 are the centres of the corner
    pixels (True) or their outer edges (False). Differentiable w.r.t. input and grid (nearest: grid's gradient 0).
    Volumetric (5-D) input is not implemented in ember."""
    if mode not in _sampling.MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _sampling.PADDINGS:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    in_shape, grid_shape = list(input.shape), list(grid.shape)
    if input.ndim < 1 or grid.ndim < 1 or in_shape[0] != grid_shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {in_shape} and grid with sizes {grid_shape}")
    if grid_shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {grid_shape}")
    for dim in range(2, input.ndim):
        if in_shape[dim] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {in_shape} with dimension {dim} being empty")
    rank = 4 if input.ndim == 4 else 5
    if input.ndim != rank or grid.ndim != rank:
        raise RuntimeError(f"grid_sampler(): expected {rank}D input and grid with same number of dimensions, but got "
                           f"input with sizes {in_shape} and grid with sizes {grid_shape}")
    if mode == "bicubic" and rank == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    require_float("grid_sampler_2d_cpu_kernel_impl" if rank == 4 else "grid_sampler_3d_cpu", input._data)
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {torch_scalar_name(input._data.dtype)} but found "
                           f"{torch_scalar_name(grid._data.dtype)}")
    if rank == 5:
        raise NotImplementedError("grid_sample of 5-D (volumetric) input is not implemented in ember: only 4-D "
                                  "input (N, C, H, W) with a grid (N, H_out, W_out, 2)")
    return _sampling.GridSampler2D.apply(input, grid, _sampling.MODES[mode], _sampling.PADDINGS[padding_mode],
                                         bool(align_corners))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over groups of channels (and all their positions)."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}: group_norm "
                           "normalises (N, C, ...) input")
    _norm_dtypes("group_norm", input, weight, bias)
    n, c = input.shape[:2]
    size = [n * c // num_groups, num_groups] + list(input.shape[2:])  # torch's check (not the group's size)
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
                           f"{list(input.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, but "
                               f"got {name} of shape {list(p.shape)} and input of shape {list(input.shape)}")
    grouped = (n, num_groups, input.numel() // (n * num_groups) if n else 0)
    mean, _, rstd = _norm.statistics(input._data.reshape(grouped), (2,), eps)
    others = (0,) + tuple(range(2, input.ndim))
    return _norm.NativeGroupNorm.apply(input, weight, bias, mean, rstd, True, eps, (2,),
                                       (c,) + (1,) * (input.ndim - 2), others, grouped)


# ----------------------------------------------------------------------------
# attention
# ----------------------------------------------------------------------------
def _additive_mask(mask, dtype, blocked_when):
    """A mask as numbers to add to the scores: 0 where attention may go, -inf where it may not.

    A bool mask says where attention is blocked (blocked_when=True, nn.MultiheadAttention's convention) or
    where it is allowed (blocked_when=False, scaled_dot_product_attention's); a float mask is added as it is.
    """
    if mask is None or mask.dtype != bool_:
        return mask
    blocked = mask if blocked_when else mask.logical_not()
    return creation.zeros(mask.shape, dtype=dtype).masked_fill(blocked, float("-inf"))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over the last two dims; scale defaults to 1/sqrt(head size)."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:  # position i may look at positions 0..i only
        attn_mask = creation.ones(length, source, dtype=bool_).tril()
    mask = _additive_mask(attn_mask, scores.dtype, blocked_when=False)
    if mask is not None:
        scores = scores + mask
    weights = _dropout(scores.softmax(-1) if mask is None else _safe_softmax(scores), dropout_p, True, False)
    return weights @ value


def _safe_softmax(scores):
    """softmax over the last dim, except that a row of scores all -inf (a query that may see no key) gives weights
    0, not NaN: torch's attention (scaled_dot_product_attention, MultiheadAttention with need_weights=False)."""
    blocked = (scores == float("-inf")).all(-1, keepdim=True)
    if not bool(blocked.any()):
        return scores.softmax(-1)
    return scores.masked_fill(blocked, 0.0).softmax(-1).masked_fill(blocked, 0.0)  # no NaN, forward or backward


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """nn.MultiheadAttention's computation on (length, batch, embed) inputs (torch's signature): project, split
    into heads, attend, join the heads, project back. bias_k/bias_v append one learned key and value position,
    add_zero_attn one of zeros (masks grow by an unblocked column for each). Returns (output, weights averaged
    over heads or per head, or None)."""
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    batched = query.ndim == 3
    if not batched:  # (length, embed): a batch of one
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
    length, batch, embed = query.shape
    if embed != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed}")
    head = embed // num_heads
    if head * num_heads != embed:
        raise AssertionError(f"embed_dim {embed} not divisible by num_heads {num_heads}")
    if not use_separate_proj_weight:
        q_w, k_w, v_w = in_proj_weight.chunk(3)
    else:
        q_w, k_w, v_w = q_proj_weight, k_proj_weight, v_proj_weight
    q_b, k_b, v_b = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
    q, k, v = linear(query, q_w, q_b), linear(key, k_w, k_b), linear(value, v_w, v_b)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must be given together")
    if bias_k is not None:  # one more key and value position, the same for every batch element
        k = _sh.cat([k, bias_k.repeat(1, batch, 1)])
        v = _sh.cat([v, bias_v.repeat(1, batch, 1)])
        attn_mask, key_padding_mask = _one_more_key(attn_mask), _one_more_key(key_padding_mask)
    # heads become part of the batch: (batch * heads, length, head size)
    q = q.reshape(length, batch * num_heads, head).transpose(0, 1)
    k = (k.reshape(k.shape[0], batch * num_heads, head).transpose(0, 1) if static_k is None else
         _static("static_k", static_k, batch * num_heads, head))
    v = (v.reshape(v.shape[0], batch * num_heads, head).transpose(0, 1) if static_v is None else
         _static("static_v", static_v, batch * num_heads, head))
    if add_zero_attn:  # a key and value of zeros: attention may rest there
        zeros = creation.zeros(batch * num_heads, 1, head, dtype=k.dtype, device=k.device)
        k, v = _sh.cat([k, zeros], 1), _sh.cat([v, zeros], 1)
        attn_mask, key_padding_mask = _one_more_key(attn_mask), _one_more_key(key_padding_mask)
    source = k.shape[1]
    mask = _additive_mask(attn_mask, q.dtype, blocked_when=True)
    if mask is not None and mask.ndim == 2:
        mask = mask.unsqueeze(0)
    if key_padding_mask is not None:  # (batch, source): padded keys get no attention from any head
        padding = _additive_mask(key_padding_mask, q.dtype, blocked_when=True)
        padding = padding.reshape(batch, 1, 1, source).expand(-1, num_heads, -1, -1).reshape(batch * num_heads, 1,
                                                                                              source)
        mask = padding if mask is None else mask + padding
    scores = (q * math.sqrt(1.0 / head)) @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores + mask
    # torch attends by scaled_dot_product_attention when it returns no weights: a query that sees no key gives 0
    weights = dropout(scores.softmax(-1) if need_weights or mask is None else _safe_softmax(scores), dropout_p,
                      training)
    out = (weights @ v).transpose(0, 1).reshape(length * batch, embed)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(length, batch, embed)
    if not need_weights:
        weights = None
    else:
        weights = weights.reshape(batch, num_heads, length, source)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
    return (out if batched else out.squeeze(1)), weights


def _one_more_key(mask):
    """A mask with one more key column that blocks nothing (False, or 0 for an additive mask), as torch pads it."""
    return None if mask is None else pad(mask, (0, 1))


def _static(name, given, rows, head):
    if given.shape[0] != rows or given.shape[2] != head:
        raise AssertionError(f"expecting {name}.size(0) of {rows} and {name}.size(2) of {head}, but got "
                             f"{list(given.shape)}")
    return given


# While a profiler records, these functions are timed as torch times them: one range around the ops they run
# (aten::linear around aten::t and aten::addmm). Nothing is wrapped while no profiler runs.
from ..autograd.profiler import time_as as _time_as  # noqa: E402
_time_as(_sys.modules[__name__], {
    "linear": "aten::linear", "conv1d": "aten::conv1d", "conv2d": "aten::conv2d",
    "conv_transpose2d": "aten::conv_transpose2d", "max_pool2d": "aten::max_pool2d",
    "adaptive_avg_pool2d": "aten::adaptive_avg_pool2d", "dropout": "aten::dropout",
    "batch_norm": "aten::batch_norm", "layer_norm": "aten::layer_norm", "cross_entropy": "aten::cross_entropy_loss",
})
