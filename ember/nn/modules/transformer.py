"""The Transformer: an encoder (self-attention and a feed-forward block) and a decoder (self-attention, attention
over the encoder's output, a feed-forward block), each block wrapped in a residual connection and a LayerNorm
(after the block, as in the original paper, or before it with norm_first=True). Built, initialised and computed
as PyTorch's torch/nn/modules/transformer.py, so seeded weights, state_dict keys and numbers are the same."""
import copy
import warnings

from ... import creation
from ...autograd.grad_mode import is_grad_enabled
from .. import functional as F
from .. import init
from .activation import GELU, MultiheadAttention, ReLU
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


def _activation(name_or_fn):
    if callable(name_or_fn):
        return name_or_fn
    if name_or_fn == "relu":
        return F.relu
    if name_or_fn == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {name_or_fn}")


def generate_square_subsequent_mask(sz, device=None, dtype=None):
    """The causal mask: 0 on and below the diagonal, -inf above it (position i sees positions 0..i)."""
    return creation.full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(1)


def _is_causal(mask, is_causal, size):
    """torch's _detect_is_causal_mask: the hint if given, else whether mask is the causal mask of that size."""
    if is_causal is not None or mask is None:
        return is_causal is True
    causal = generate_square_subsequent_mask(size if size is not None else mask.shape[-2], device=mask.device,
                                             dtype=mask.dtype)
    return tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())


def _seq_len(x, batch_first):
    return x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]


class Transformer(Module):
    """An encoder of num_encoder_layers layers and a decoder of num_decoder_layers layers, each ending in a
    LayerNorm (or custom_encoder / custom_decoder); every weight matrix starts from xavier_uniform_."""

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                      bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*layer_args, dtype=dtype), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*layer_args, dtype=dtype), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """Encode src, then decode tgt attending to the encoding (call the module itself, model(src, tgt))."""
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch] != tgt.shape[batch]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each with a residual connection and layer norm."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)
        self.activation_relu_or_gelu = (1 if self.activation is F.relu or isinstance(self.activation, ReLU) else
                                        2 if self.activation is F.gelu or isinstance(self.activation, GELU) else 0)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        # torch's fused layer (_torch_fast_path) attends with a plain softmax: a query that sees no key gives NaN;
        # its other path hands float masks (as here) to self-attention, which gives such a query 0
        plain_softmax = self._torch_fast_path(src)
        src_mask, src_key_padding_mask = (F._additive_mask(m, src.dtype, blocked_when=True)
                                          for m in (src_mask, src_key_padding_mask))
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal, plain_softmax)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal, plain_softmax))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x, mask, key_padding_mask, is_causal, plain_softmax=False):
        out = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask, need_weights=plain_softmax,
                             is_causal=is_causal)[0]
        return self.dropout1(out)

    def _torch_fast_path(self, src):
        """Whether torch's TransformerEncoderLayer.forward takes its fused path (_transformer_encoder_layer_fwd)."""
        attn = self.self_attn
        tensors = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                   self.norm1.weight, self.norm1.bias, self.norm2.weight, self.norm2.bias, self.linear1.weight,
                   self.linear1.bias, self.linear2.weight, self.linear2.bias)
        return (src.ndim == 3 and not self.training and attn.batch_first and attn.in_proj_bias is not None and
                attn._qkv_same_embed_dim and bool(self.activation_relu_or_gelu) and
                self.norm1.eps == self.norm2.eps and attn.num_heads % 2 == 0 and
                not any(m._forward_hooks or m._forward_pre_hooks for m in self.modules()) and
                not (is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)))

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention over the target, attention over the encoder's output (memory), and a feed-forward network,
    each with a residual connection and layer norm."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """Apply the layer to the target and the encoder's output (call the module itself, so that hooks run)."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x, mask, key_padding_mask, is_causal):
        out = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                             need_weights=False)[0]
        return self.dropout1(out)

    def _mha_block(self, x, memory, mask, key_padding_mask, is_causal):
        out = self.multihead_attn(x, memory, memory, attn_mask=mask, key_padding_mask=key_padding_mask,
                                  is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(out)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _why_no_nested_tensor(layer):
    """Why PyTorch's encoder built on this layer cannot take its nested-tensor path ('' when it can)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    attn = layer.self_attn
    return ("encoder_layer.norm_first was True" if layer.norm_first else
            "encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)"
            if not attn.batch_first else
            "encoder_layer.self_attn._qkv_same_embed_dim was not True" if not attn._qkv_same_embed_dim else
            "encoder_layer.self_attn was passed bias=False" if attn.in_proj_bias is None else
            "encoder_layer.activation_relu_or_gelu was not True" if not layer.activation_relu_or_gelu else
            "encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps" if layer.norm1.eps != layer.norm2.eps
            else "encoder_layer.self_attn.num_heads is odd" if attn.num_heads % 2 else "")


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer, one after another (each copy has its own weights).

    PyTorch runs the stack on a nested tensor (only the positions src_key_padding_mask keeps) when it can: in eval
    mode, with no gradient to record, a batched src, a key padding mask and no attention mask, on a layer fit for it
    (enable_nested_tensor and the checks of _why_no_nested_tensor). Its output is then 0 at the padded positions
    before the final norm. ember computes the same numbers (see _nested_lengths)."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor = self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_no_nested_tensor(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """Apply the layers to src (call the module itself, module(x), so that hooks run)."""
        first = self.layers[0]
        nested_padding = self._nested_padding(src, mask, src_key_padding_mask)
        if nested_padding is not None:
            src_key_padding_mask = nested_padding
        is_causal = _is_causal(mask, is_causal, _seq_len(src, first.self_attn.batch_first))
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        if nested_padding is not None:
            x = x.masked_fill(nested_padding.unsqueeze(-1), 0.0)
        return x if self.norm is None else self.norm(x)

    def _nested_padding(self, src, mask, key_padding_mask):
        """Where PyTorch would take its nested path, the positions its nested tensor leaves out (a bool mask of
        src's batch and sequence), else None. The nested tensor holds, of each sequence, as many leading positions
        as key_padding_mask keeps: those very positions when the mask is left-aligned (what mask_check makes
        sure of), the leading ones all the same when mask_check=False."""
        first = self.layers[0]
        if not self.use_nested_tensor or first.training or src.ndim != 3 or key_padding_mask is None or \
                mask is not None:
            return None
        attn = first.self_attn
        weights = (attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                   first.norm1.weight, first.norm1.bias, first.norm2.weight, first.norm2.bias, first.linear1.weight,
                   first.linear1.bias, first.linear2.weight, first.linear2.bias)
        if is_grad_enabled() and (src.requires_grad or any(w is not None and w.requires_grad for w in weights)):
            return None
        kept = key_padding_mask == 0  # False (or 0.0) keeps a position, True (or -inf) pads it
        padding = creation.arange(kept.shape[1], device=src.device) >= kept.sum(1, keepdim=True)
        if self.mask_check and not bool((kept != padding).all()):
            return None
        return padding


class TransformerDecoder(Module):
    """num_layers copies of decoder_layer, one after another, each attending to the same memory."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """Apply the layers to tgt and memory (call the module itself, module(tgt, memory), so that hooks run)."""
        tgt_is_causal = _is_causal(tgt_mask, tgt_is_causal, _seq_len(tgt, self.layers[0].self_attn.batch_first))
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                      memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)
