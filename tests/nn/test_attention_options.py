"""MultiheadAttention's add_bias_kv and add_zero_attn (with masks, kdim/vdim, batch_first, unbatched input),
against torch from the same seed: parameters at init, outputs, attention weights and every gradient, float64;
F.multi_head_attention_forward takes torch's own signature."""
import itertools

import numpy as np
import pytest
import torch

import ember

CASES = [case for case in itertools.product([False, True], [False, True], ["none", "bool", "float", "padding", "both"],
                                            [dict(), dict(kdim=3, vdim=5), dict(batch_first=True), dict(bias=False)])
         if case[0] or case[1] or case[2] == "both"]  # (plain attention: tests/nn/test_attention.py)


def _masks(lib, kind, length, source, batch, extra_rng):
    attn, padding = None, None
    if kind in ("bool", "both"):
        attn = lib.tensor(extra_rng["attn"][:length, :source])
    if kind == "float":
        attn = lib.tensor(extra_rng["float"][:length, :source])
    if kind in ("padding", "both"):
        padding = lib.tensor(extra_rng["padding"][:batch, :source])
    return attn, padding


@pytest.mark.parametrize("bias_kv, zero_attn, masks, options", CASES)
def test_attention_options_as_torch(bias_kv, zero_attn, masks, options):
    rng = np.random.default_rng(11)
    length, source, batch, embed, heads = 4, 6, 3, 8, 2
    kdim, vdim = options.get("kdim", embed), options.get("vdim", embed)
    extra = {"attn": rng.random((length, source)) < 0.3, "float": rng.normal(size=(length, source)),
             "padding": np.concatenate([rng.random((batch, source - 1)) < 0.3, np.zeros((batch, 1), bool)], 1)}
    shape = (lambda n: (batch, n)) if options.get("batch_first") else (lambda n: (n, batch))
    q, k, v = rng.normal(size=shape(length) + (embed,)), rng.normal(size=shape(source) + (kdim,)), \
        rng.normal(size=shape(source) + (vdim,))
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.MultiheadAttention(embed, heads, add_bias_kv=bias_kv, add_zero_attn=zero_attn,
                                      dtype=lib.float64, **options)
        state = {name: p.detach().numpy().copy() for name, p in m.state_dict().items()}
        inputs = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        attn, padding = _masks(lib, masks, length, source, batch, extra)
        out, weights = m(*inputs, key_padding_mask=padding, attn_mask=attn, average_attn_weights=False)
        (out.sum() + (weights * weights).sum()).backward()
        grads = {name: p.grad.numpy() for name, p in m.named_parameters()}
        results.append((state, out.detach().numpy(), weights.detach().numpy(), grads,
                        [t.grad.numpy() for t in inputs], repr(m)))
    (es, eo, ew, eg, ei, er), (ts, to, tw, tg, ti, tr) = results
    assert list(es) == list(ts)
    for name in ts:
        np.testing.assert_array_equal(es[name], ts[name], err_msg=name)
    np.testing.assert_allclose(eo, to, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ew, tw, rtol=1e-10, atol=1e-12)
    assert set(eg) == set(tg)
    for name in tg:
        np.testing.assert_allclose(eg[name], tg[name], rtol=1e-9, atol=1e-11, err_msg=name)
    for e, t in zip(ei, ti):
        np.testing.assert_allclose(e, t, rtol=1e-9, atol=1e-11)
    assert er == tr


@pytest.mark.parametrize("bias_kv, zero_attn", [(True, False), (False, True), (True, True)])
def test_unbatched_attention_options(bias_kv, zero_attn):
    rng = np.random.default_rng(12)
    x = rng.normal(size=(5, 6))
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        m = lib.nn.MultiheadAttention(6, 3, add_bias_kv=bias_kv, add_zero_attn=zero_attn, dtype=lib.float64)
        t = lib.tensor(x)
        out, w = m(t, t, t)
        outs.append((out.detach().numpy(), w.detach().numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-10, atol=1e-12)


def test_functional_signature_is_torchs():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(4, 2, 6))
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(2)
        m = lib.nn.MultiheadAttention(6, 2, add_bias_kv=True, add_zero_attn=True, dtype=lib.float64)
        t = lib.tensor(x)
        out, w = lib.nn.functional.multi_head_attention_forward(
            t, t, t, 6, 2, m.in_proj_weight, m.in_proj_bias, m.bias_k, m.bias_v, True, 0.0, m.out_proj.weight,
            m.out_proj.bias, training=False)
        outs.append((out.detach().numpy(), w.detach().numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-10, atol=1e-12)

