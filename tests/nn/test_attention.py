"""Attention: F.scaled_dot_product_attention and nn.MultiheadAttention against torch (values and gradients)."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity, copy_module, sample

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "bool"}, {"mask": "float"}])
def test_scaled_dot_product_attention_matches_torch(kwargs):
    q, k, v = sample((2, 3, 4, 5)), sample((2, 3, 6, 5)), sample((2, 3, 6, 7))
    mask = {"bool": RNG.random((4, 6)) < 0.7, "float": RNG.normal(size=(3, 4, 6))}.get(kwargs.get("mask"))
    if mask is not None and mask.dtype == bool:
        mask[:, 0] = True  # every query sees at least one key (a row of -inf would be NaN in both libraries)
    extra = {k: v for k, v in kwargs.items() if k != "mask"}
    if extra.get("is_causal"):
        k, v = sample((2, 3, 4, 5)), sample((2, 3, 4, 7))

    def fn(lib, q, k, v):
        m = None if mask is None else lib.tensor(mask)
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **extra)
    check_parity(fn, [q, k, v], atol=1e-12, rtol=1e-10)
    check_gradcheck(fn, [q, k, v])


def attention_pair(**kwargs):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(**kwargs).double()
    e = copy_module(t, ember.nn.MultiheadAttention(**kwargs).double())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    return e, t


CASES = {
    "self_attention": (dict(embed_dim=8, num_heads=2), [(5, 3, 8)] * 3, {}),
    "cross_batch_first_masks": (dict(embed_dim=6, num_heads=3, batch_first=True), [(2, 4, 6), (2, 7, 6), (2, 7, 6)],
                                {"attn_mask": "bool", "key_padding_mask": True, "average_attn_weights": False}),
    "kdim_vdim_float_mask": (dict(embed_dim=4, num_heads=2, kdim=3, vdim=5), [(3, 2, 4), (6, 2, 3), (6, 2, 5)],
                             {"attn_mask": "float3d"}),
    "no_bias": (dict(embed_dim=4, num_heads=1, bias=False), [(3, 2, 4)] * 3, {}),
    "unbatched": (dict(embed_dim=6, num_heads=2), [(4, 6), (5, 6), (5, 6)], {}),
    "no_weights": (dict(embed_dim=8, num_heads=4), [(5, 2, 8)] * 3, {"need_weights": False}),
}


@pytest.mark.parametrize("name", CASES)
def test_multihead_attention_matches_torch(name):
    config, shapes, options = CASES[name]
    e_mod, t_mod = attention_pair(**config)
    arrays = [RNG.normal(size=s) for s in shapes]
    if name == "self_attention":
        arrays = [arrays[0]] * 3
    batch_first = config.get("batch_first", False)
    length, source = (shapes[0][1], shapes[1][1]) if batch_first else (shapes[0][0], shapes[1][0])
    batch = shapes[0][0] if batch_first else shapes[0][1] if len(shapes[0]) == 3 else None
    results = []
    for lib, mod in ((torch, t_mod), (ember, e_mod)):
        kwargs = dict(options)
        if kwargs.get("attn_mask") == "bool":
            blocked = np.zeros((length, source), bool)
            blocked[:, 3:5] = True
            kwargs["attn_mask"] = lib.tensor(blocked)
        elif kwargs.get("attn_mask") == "float3d":
            kwargs["attn_mask"] = lib.tensor(np.linspace(-1, 1, batch * config["num_heads"] * length * source)
                                             .reshape(batch * config["num_heads"], length, source))
        if kwargs.get("key_padding_mask"):
            padded = np.zeros((batch, source), bool)
            padded[0, -2:] = True
            kwargs["key_padding_mask"] = lib.tensor(padded)
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out, weights = mod(*inputs, **kwargs)
        loss = (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))).sum()
        if weights is not None:
            loss = loss + (weights * lib.tensor(np.sin(np.arange(weights.numel())).reshape(tuple(weights.shape)))).sum()
        loss.backward()
        grads = [x.grad for x in inputs] + [p.grad for _, p in mod.named_parameters()]
        results.append((out, weights, grads))
    (t_out, t_w, t_grads), (e_out, e_w, e_grads) = results
    assert_same(e_out, t_out, atol=1e-12, rtol=1e-10)
    assert (e_w is None) == (t_w is None)
    if t_w is not None:
        assert_same(e_w, t_w, atol=1e-12, rtol=1e-10)
    for e, t in zip(e_grads, t_grads):
        assert_same(e, t, atol=1e-12, rtol=1e-10)


def test_multihead_attention_checks_its_arguments():
    with pytest.raises(AssertionError, match="divisible"):
        ember.nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="greater than 0"):
        ember.nn.MultiheadAttention(0, 1)
    mha = ember.nn.MultiheadAttention(4, 2)
    x = ember.randn(3, 1, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="is_causal"):
        ember.nn.functional.scaled_dot_product_attention(x, x, x, attn_mask=ember.ones(3, 3), is_causal=True)


def test_attention_dropout_is_off_in_eval_mode():
    mha = ember.nn.MultiheadAttention(4, 2, dropout=0.9)
    x = ember.randn(3, 2, 4)
    mha.eval()
    first, _ = mha(x, x, x)
    second, _ = mha(x, x, x)
    assert ember.equal(first, second)
    mha.train()
    assert not ember.equal(mha(x, x, x)[0], first)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", [False, True])
def test_transformer_encoder_matches_torch(norm_first, masks):
    from ember.nn.modules.transformer import generate_square_subsequent_mask
    kwargs = dict(d_model=6, nhead=2, dim_feedforward=10, dropout=0.0, batch_first=True, norm_first=norm_first,
                  activation="gelu" if norm_first else "relu")
    torch.manual_seed(0)
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kwargs), num_layers=2,
                                        norm=torch.nn.LayerNorm(6), enable_nested_tensor=False).double()
    e_enc = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(**kwargs), num_layers=2,
                                        norm=ember.nn.LayerNorm(6))
    copy_module(t_enc, e_enc.double())
    assert [n for n, _ in e_enc.named_parameters()] == [n for n, _ in t_enc.named_parameters()]
    x = RNG.normal(size=(3, 5, 6))
    padded = np.zeros((3, 5), bool)
    padded[1, -2:] = True
    results = []
    for lib, enc in ((torch, t_enc), (ember, e_enc)):
        src = lib.tensor(x, requires_grad=True)
        options = {}
        if masks:
            options = {"mask": lib.tensor(generate_square_subsequent_mask(5, dtype=ember.float64).numpy()),
                       "src_key_padding_mask": lib.tensor(padded)}
        out = enc(src, **options)
        (out * lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))).sum().backward()
        results.append([out, src.grad] + [p.grad for _, p in enc.named_parameters()])
    for t, e in zip(*results):
        assert_same(e, t, atol=1e-11, rtol=1e-9)
    causal = generate_square_subsequent_mask(3)
    assert causal.tolist() == torch.nn.Transformer.generate_square_subsequent_mask(3).tolist()
