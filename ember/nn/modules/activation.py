"""Activation layers: each is F.<name> with its settings kept on the module."""
from ... import creation
from .. import functional as F, init
from ..parameter import Parameter
from .linear import Linear
from .module import Module


class ReLU(Module):
    """max(x, 0), element by element."""
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return input.relu_() if self.inplace else F.relu(input)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return "inplace=True" if self.inplace else ""


class ReLU6(Module):
    """min(max(x, 0), 6), element by element."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.relu6(input)


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

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.elu(input, self.alpha)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"alpha={self.alpha}"


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

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.silu(input)


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
    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"min_val={self.min_val}, max_val={self.max_val}"


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.logsigmoid(input)


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
            raise AssertionError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("ember's MultiheadAttention has no add_bias_kv / add_zero_attn")
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
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                               "module method `generate_square_subsequent_mask` to create this mask.")
        if self.batch_first and query.ndim == 3:  # the computation runs on (length, batch, embed)
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
            self.out_proj.bias, self.training, key_padding_mask, need_weights, attn_mask, self.dropout,
            average_attn_weights, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        if self.batch_first and query.ndim == 3:
            out = out.transpose(0, 1)
        return out, weights
