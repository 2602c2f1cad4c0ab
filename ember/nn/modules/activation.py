"""Activation layers: each is F.<name> with its settings kept on the module."""
import warnings

from ... import creation
from ..._backend import ArgumentError, bool_
from ...autograd.grad_mode import is_grad_enabled
from .. import functional as F, init

_init = init  # (PReLU's init argument shadows the module inside its __init__)
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module


def _inplace_repr(module):
    return ", inplace=True" if module.inplace else ""


class ReLU(Module):
    """max(x, 0), element by element."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.relu(input, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return "inplace=True" if self.inplace else ""


class ReLU6(Module):
    """min(max(x, 0), 6), element by element."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.relu6(input, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + exp(-x)), element by element."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.sigmoid(input)


class Tanh(Module):
    """The hyperbolic tangent, element by element."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.tanh(input)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x."""
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"negative_slope={self.negative_slope}{_inplace_repr(self)}"


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"alpha={self.alpha}{_inplace_repr(self)}"


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF."""
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.gelu(input, self.approximate)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"approximate='{self.approximate}'"


class SiLU(Module):
    """x * sigmoid(x)."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.silu(input, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth relu."""
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x limited to [min_val, max_val]."""
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:  # torch's old names, still taken with its warning
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        if max_val <= min_val:
            raise ArgumentError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self)}"


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.logsigmoid(input)


class SELU(Module):
    """scale * elu(x, alpha) with SELU's self-normalising constants."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.selu(input, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return "inplace=True" if self.inplace else ""


class CELU(Module):
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"alpha={self.alpha}{_inplace_repr(self)}"


class Mish(Module):
    """x * tanh(softplus(x))."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.mish(input, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return "inplace=True" if self.inplace else ""


class Hardswish(Module):
    """x * hardsigmoid(x). (torch prints no settings for it, inplace included.)"""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.hardswish(input, self.inplace)


class Hardsigmoid(Module):
    """min(max(x + 3, 0), 6) / 6. (torch prints no settings for it, inplace included.)"""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.hardsigmoid(input, self.inplace)


class Softsign(Module):
    """x / (1 + |x|)."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x)."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.tanhshrink(input)


class Softshrink(Module):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return str(self.lambd)


class Hardshrink(Module):
    """0 for x in [-lambd, lambd], else x."""
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return str(self.lambd)


class Threshold(Module):
    """value where x <= threshold, else x."""
    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"threshold={self.threshold}, value={self.value}{_inplace_repr(self)}"


class GLU(Module):
    """The gated linear unit: halves a, b of x along dim; a * sigmoid(b)."""
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.glu(input, self.dim)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"dim={self.dim}"


class PReLU(Module):
    """x where x > 0, else a * x with a learnable slope a: one for all channels, or one per channel (dim 1)."""
    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, dtype=dtype))
        self.reset_parameters()
        if device is not None:  # made on the CPU, then moved
            self.to(device)

    def reset_parameters(self):
        """Set every slope back to init."""
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.prelu(input, self.weight)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky relu: in training a slope drawn from U(lower, upper) for each x <= 0, in eval mode
    (lower + upper) / 2."""
    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"lower={self.lower}, upper={self.upper}{_inplace_repr(self)}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along dim."""
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.softmax(input, self.dim)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along dim, computed stably."""
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"dim={self.dim}"


class MultiheadAttention(Module):
    """Attention with num_heads heads: each head attends in its own embed_dim / num_heads slice of the
    projected queries, keys and values; the heads' outputs are joined and projected back."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ArgumentError(f"embed_dim must be divisible by num_heads (got embed_dim={embed_dim}, "
                                f"num_heads={num_heads}): each head gets embed_dim / num_heads features")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.head_dim = embed_dim // num_heads
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        if self._qkv_same_embed_dim:  # one (3 E, E) matrix holds the query, key and value projections
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:  # one learned key and value position appended to every sequence
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        if query.shape[-1] != self.embed_dim:
            raise ArgumentError(f"was expecting embedding dimension of {self.embed_dim}, but got {query.shape[-1]}: "
                                "the query's last dimension must equal embed_dim")
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                               "module method `generate_square_subsequent_mask` to create this mask.")
        # a query that sees no key (its scores all -inf): F.multi_head_attention_forward gives it 0 without weights,
        # NaN with them; torch's fused path (its rule below) gives NaN when a mask is bool, 0 when it is float
        plain_softmax = need_weights or self._torch_fast_path(query, key, value) and any(
            m is not None and m.dtype == bool_ for m in (attn_mask, key_padding_mask))
        if self.batch_first and query.ndim == 3:  # the computation runs on (length, batch, embed)
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias, self.training,
            key_padding_mask, plain_softmax, attn_mask, not self._qkv_same_embed_dim, self.q_proj_weight,
            self.k_proj_weight, self.v_proj_weight, average_attn_weights=average_attn_weights)
        if self.batch_first and query.ndim == 3:
            out = out.transpose(0, 1)
        return out, weights if need_weights else None

    def _torch_fast_path(self, query, key, value):
        """Whether torch's MultiheadAttention.forward takes its fused path (_native_multi_head_attention)."""
        tensors = (query, key, value, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                   self.out_proj.bias)
        return (query.ndim == 3 and query is key and key is value and not self.training and self.batch_first and
                self.num_heads % 2 == 0 and self.in_proj_bias is not None and self._qkv_same_embed_dim and
                query.dtype == self.in_proj_weight.dtype and getattr(self, "bias_k", None) is None and
                getattr(self, "bias_v", None) is None and not getattr(self, "add_zero_attn", False) and
                not (is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)))


class Softmin(Module):
    """softmax(-x) along dim: the smallest entries get the largest weights."""
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.softmin(input, self.dim)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels of each pixel of a (C, H, W) or (N, C, H, W) input."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3)
