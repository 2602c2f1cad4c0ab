"""nn.Transformer, TransformerDecoderLayer/Decoder and the encoder's nested-tensor rule against torch: seeded
initial weights, state_dict keys, forward values and gradients under every kind of mask, float64."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, copy_module

RNG = np.random.default_rng(22)


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the enable_nested_tensor notice, tested on its own below
        return fn()


def seeded_pair(make, seed=3):
    """make(lib) in both libraries after the same seed: torch's module and ember's."""
    torch.manual_seed(seed)
    t = quiet(lambda: make(torch))
    ember.manual_seed(seed)
    e = quiet(lambda: make(ember))
    return e, t


INITS = {
    "Transformer": lambda lib: lib.nn.Transformer(8, 2, 2, 1, 12, dropout=0.0),
    "Transformer norm_first batch_first gelu": lambda lib: lib.nn.Transformer(
        6, 3, 1, 2, 10, activation="gelu", batch_first=True, norm_first=True),
    "Transformer no bias": lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8, bias=False),
    "TransformerDecoderLayer": lambda lib: lib.nn.TransformerDecoderLayer(8, 4, 16),
    "TransformerDecoder": lambda lib: lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16), 3,
                                                                norm=lib.nn.LayerNorm(8)),
}


@pytest.mark.parametrize("name", INITS)
def test_seeded_initial_weights_and_names_equal_torchs(name):
    e, t = seeded_pair(INITS[name])
    expected, actual = t.state_dict(), e.state_dict()
    assert list(actual) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(actual[key].numpy(), expected[key].numpy(), err_msg=key)
    assert ember.rand(4).tolist() == torch.rand(4).tolist(), "the random streams went out of step"


def masks(length, source, batch, kind):
    """tgt_mask, memory_mask and key padding masks of one kind (bool, float, or the causal float mask), as arrays."""
    if kind == "none":
        return {}
    if kind == "causal":
        return {"tgt_mask": np.triu(np.full((length, length), -np.inf), 1)}
    tgt_mask = RNG.random((length, length)) < 0.3
    np.fill_diagonal(tgt_mask, False)  # every query sees itself (a row of -inf is NaN in both libraries)
    memory_mask = RNG.random((length, source)) < 0.3
    memory_mask[:, 0] = False
    src_padding = np.zeros((batch, source), bool)
    src_padding[-1, -2:] = True
    tgt_padding = np.zeros((batch, length), bool)
    tgt_padding[0, -1] = True
    result = {"tgt_mask": tgt_mask, "memory_mask": memory_mask, "src_key_padding_mask": src_padding,
              "tgt_key_padding_mask": tgt_padding, "memory_key_padding_mask": src_padding}
    if kind == "float":
        result = {k: np.where(v, -np.inf, 0.0) if k.endswith("_mask") else v for k, v in result.items()}
        result["tgt_mask"] = np.where(tgt_mask, -1e9, RNG.normal(size=tgt_mask.shape))
    return result


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
def test_transformer_forward_and_gradients_match_torch(batch_first, norm_first, kind):
    config = dict(d_model=6, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=10, dropout=0.0,
                  batch_first=batch_first, norm_first=norm_first, activation="gelu" if norm_first else "relu")
    torch.manual_seed(0)
    t_model = quiet(lambda: torch.nn.Transformer(**config)).double()
    e_model = copy_module(t_model, quiet(lambda: ember.nn.Transformer(**config)).double())
    batch, source, length = 3, 5, 4
    src = RNG.normal(size=(batch, source, 6) if batch_first else (source, batch, 6))
    tgt = RNG.normal(size=(batch, length, 6) if batch_first else (length, batch, 6))
    weights = RNG.normal(size=tgt.shape)
    arrays = masks(length, source, batch, kind)
    results = []
    for lib, model in ((torch, t_model), (ember, e_model)):
        s, t = lib.tensor(src, requires_grad=True), lib.tensor(tgt, requires_grad=True)
        out = model(s, t, **{k: lib.tensor(v) for k, v in arrays.items()}, tgt_is_causal=kind == "causal" or None)
        (out * lib.tensor(weights)).sum().backward()
        results.append([out, s.grad, t.grad] + [p.grad for _, p in model.named_parameters()])
    names = ["output", "src grad", "tgt grad"] + [n for n, _ in t_model.named_parameters()]
    for name, t, e in zip(names, *results):
        assert_same(e, t, atol=1e-10, rtol=1e-8, what=name)


def test_unbatched_decoder_and_callable_activation_match_torch():
    def make(lib):
        layer = lib.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, activation=lib.nn.functional.tanh)
        return lib.nn.TransformerDecoder(layer, 2)
    e, t = seeded_pair(make)
    e, t = e.double(), t.double()
    tgt, memory = RNG.normal(size=(3, 4)), RNG.normal(size=(5, 4))
    outs = [m(lib.tensor(tgt), lib.tensor(memory)) for lib, m in ((torch, t), (ember, e))]
    assert_same(outs[1], outs[0], atol=1e-12)


def test_custom_encoder_and_decoder_are_used():
    def make(lib):
        encoder = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 1)
        decoder = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 1)
        return lib.nn.Transformer(4, 2, custom_encoder=encoder, custom_decoder=decoder)
    e, t = seeded_pair(make)
    assert list(e.state_dict()) == list(t.state_dict())  # no encoder.norm: the custom stacks have none
    for key, value in t.state_dict().items():  # _reset_parameters reached the custom stacks too
        np.testing.assert_array_equal(e.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    src, tgt = RNG.normal(size=(5, 2, 4)), RNG.normal(size=(3, 2, 4))
    outs = [m.double()(lib.tensor(src), lib.tensor(tgt)) for lib, m in ((torch, t), (ember, e))]
    assert_same(outs[1], outs[0], atol=1e-12)


def test_transformer_checks_batch_and_feature_sizes():
    model = quiet(lambda: ember.nn.Transformer(4, 2, 1, 1, 8))
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        model(ember.randn(5, 2, 4), ember.randn(3, 3, 4))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to d_model"):
        model(ember.randn(5, 2, 4), ember.randn(3, 2, 6))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ember.nn.TransformerDecoderLayer(4, 2, activation="tanh")


def test_generate_square_subsequent_mask_is_a_static_method():
    for sz in (1, 4):
        assert ember.nn.Transformer.generate_square_subsequent_mask(sz).tolist() == \
            torch.nn.Transformer.generate_square_subsequent_mask(sz).tolist()
    model = quiet(lambda: ember.nn.Transformer(4, 2, 1, 1, 8))
    assert model.generate_square_subsequent_mask(2, dtype=ember.float64).dtype == ember.float64


# --- the encoder's nested-tensor path ----------------------------------------------------------------------------
PADDINGS = {
    "left-aligned": [[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]],
    "not left-aligned": [[0, 1, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]],
    "a sequence all padding": [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]],
}
ENCODERS = {
    "fit": dict(layer={}, encoder={}),
    "with a norm": dict(layer={}, encoder={"norm": True}),
    "mask_check off": dict(layer={}, encoder={"mask_check": False}),
    "nested off": dict(layer={}, encoder={"enable_nested_tensor": False}),
    "norm_first": dict(layer={"norm_first": True}, encoder={}),
    "sequence first": dict(layer={"batch_first": False}, encoder={}),
    "odd heads": dict(layer={"nhead": 1}, encoder={}),
    "tanh": dict(layer={"activation": "tanh"}, encoder={}),
}


def encoder_pair(layer, encoder):
    config = dict(dict(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True), **layer)
    activation = config.pop("activation", None)

    def make(lib):
        extra = {"activation": lib.nn.functional.tanh} if activation else {}
        options = dict(encoder, norm=lib.nn.LayerNorm(4)) if encoder.get("norm") else encoder
        return lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(**config, **extra), 2, **options)
    e, t = seeded_pair(make)
    return e.double(), t.double()


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("mode", ["eval no_grad", "eval float mask", "eval with grad", "train no_grad",
                                  "eval attention mask"])
def test_encoder_padded_positions_follow_torchs_nested_tensor_rule(padding, encoder, mode):
    e, t = encoder_pair(**ENCODERS[encoder])
    pad = np.array(PADDINGS[padding], bool)
    x = RNG.normal(size=(3, 5, 4))
    if ENCODERS[encoder]["layer"].get("batch_first") is False:
        x = x.transpose(1, 0, 2)
    outs = []
    for lib, model in ((torch, t), (ember, e)):
        model.train(mode.startswith("train"))
        mask = lib.tensor(np.where(pad, -np.inf, 0.0) if "float" in mode else pad)
        options = {"mask": lib.zeros(5, 5, dtype=lib.float64)} if "attention" in mode else {}
        if mode.endswith("with grad"):
            outs.append(model(lib.tensor(x), src_key_padding_mask=mask, **options).detach())
        else:
            with lib.no_grad():
                outs.append(model(lib.tensor(x), src_key_padding_mask=mask, **options))
    assert_same(outs[1], outs[0], atol=1e-12, rtol=1e-10)


def test_encoder_warns_why_it_cannot_use_nested_tensors():
    layer = ember.nn.TransformerEncoderLayer(4, 2, 8)
    with pytest.warns(UserWarning, match="self.use_nested_tensor is False because encoder_layer.self_attn."
                                         "batch_first was not True"):
        encoder = ember.nn.TransformerEncoder(layer, 1)
    assert encoder.use_nested_tensor is False and encoder.enable_nested_tensor is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        assert ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(4, 2, 8, batch_first=True),
                                           1).use_nested_tensor


def test_decoder_layer_gradients_match_finite_differences():
    ember.manual_seed(0)
    layer = ember.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, batch_first=True, norm_first=True).double()
    mask = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    padding = ember.tensor([[False, False, True, False], [False] * 4])
    tgt = ember.tensor(RNG.normal(size=(2, 3, 4)), requires_grad=True)
    memory = ember.tensor(RNG.normal(size=(2, 4, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda t, m: layer(t, m, tgt_mask=mask, memory_key_padding_mask=padding, tgt_is_causal=True), [tgt, memory])


def test_dtype_argument_makes_every_parameter_of_that_dtype():
    model = quiet(lambda: ember.nn.Transformer(4, 2, 1, 1, 8, dtype=ember.float64))
    reference = quiet(lambda: torch.nn.Transformer(4, 2, 1, 1, 8, dtype=torch.float64))
    assert {p.dtype.name for p in model.parameters()} == {"float64"}
    assert [(n, tuple(p.shape)) for n, p in model.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in reference.named_parameters()]


def test_printed_models_read_as_torchs():
    for make in INITS.values():
        e, t = seeded_pair(make)
        assert repr(e) == repr(t)


def test_a_module_list_prints_runs_of_equal_children_as_torch():
    def make(lib):
        nn = lib.nn
        return [nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)]), nn.ModuleList(),
                nn.ModuleList([nn.Sequential(nn.Tanh())] * 3), nn.ModuleList([nn.ReLU(), nn.Tanh()])]
    for e, t in zip(make(ember), make(torch)):
        assert repr(e) == repr(t)


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("float_masks", [False, True])
@pytest.mark.parametrize("mode", ["train", "eval", "eval no_grad", "eval no_grad sequence first", "eval no_grad odd"])
def test_a_query_that_sees_no_key_as_in_torch(need_weights, float_masks, mode):
    """A query whose keys are all masked: torch gives it 0 where it attends by scaled_dot_product_attention (no
    weights asked for), NaN with weights or on its fused path (eval, no gradient, batch_first, even heads) when a
    mask is bool; ember follows that rule (so a padded sequence trains on rather than turning the loss NaN)."""
    batch_first, heads = "sequence first" not in mode, 1 if "odd" in mode else 2
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(4, heads, batch_first=batch_first).double()
    e = copy_module(t, ember.nn.MultiheadAttention(4, heads, batch_first=batch_first).double())
    x = RNG.normal(size=(2, 3, 4))
    padding = np.array([[True, True, True], [False, True, False]])
    blocked = np.triu(np.ones((3, 3), bool), 1)
    blocked[0] = True  # the first query of every sequence sees no key
    masks = dict(key_padding_mask=padding, attn_mask=blocked)
    if float_masks:
        masks = {k: np.where(v, -np.inf, 0.0) for k, v in masks.items()}
    results = []
    for lib, module in ((torch, t), (ember, e)):
        module.train(mode == "train")
        inputs = lib.tensor(x if batch_first else x.transpose(1, 0, 2), requires_grad=mode != "eval no_grad")
        with lib.set_grad_enabled("no_grad" not in mode):
            for kind in ("key_padding_mask", "attn_mask"):
                mask = {kind: lib.tensor(masks[kind])}
                out, weights = module(inputs, inputs, inputs, need_weights=need_weights, **mask)
                results.append(out.detach())
        q = lib.tensor(x)  # scaled_dot_product_attention: True (or 0.0) lets a query see a key
        allowed = lib.tensor(~blocked if not float_masks else np.where(blocked, -np.inf, 0.0))
        results.append(lib.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=allowed))
    half = len(results) // 2
    for t_value, e_value in zip(results[:half], results[half:]):
        assert_same(e_value, t_value, atol=1e-12)


@pytest.mark.parametrize("float_masks", [False, True])
@pytest.mark.parametrize("mode", ["train", "eval no_grad"])
def test_decoder_with_a_sequence_of_padding_only_as_in_torch(float_masks, mode):
    def make(lib):
        layer = lib.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
        return lib.nn.TransformerDecoder(layer, 2)
    e, t = seeded_pair(make)
    e, t = e.double(), t.double()
    tgt, memory = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 5, 4))
    padding = np.array([[False, False, True], [True, True, True]])
    memory_padding = np.array([[False] * 5, [True] * 5])
    if float_masks:
        padding, memory_padding = (np.where(m, -np.inf, 0.0) for m in (padding, memory_padding))
    outs = []
    for lib, model in ((torch, t), (ember, e)):
        model.train(mode == "train")
        with lib.set_grad_enabled(mode == "train"):
            outs.append(model(lib.tensor(tgt), lib.tensor(memory), tgt_key_padding_mask=lib.tensor(padding),
                              memory_key_padding_mask=lib.tensor(memory_padding)).detach())
    assert_same(outs[1], outs[0], atol=1e-12)


def test_seeded_training_step_with_dropout_matches_torch():
    """Defaults (dropout 0.1, relu, sequence first), seeded: the same weights, dropout masks, output and gradients,
    and the random stream left where torch leaves it."""
    src, tgt = RNG.normal(size=(5, 2, 8)).astype(np.float32), RNG.normal(size=(4, 2, 8)).astype(np.float32)
    padding = [[False] * 5, [False, False, False, True, True]]
    results = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        model = quiet(lambda: lib.nn.Transformer(8, 2, 2, 2, 16))
        source = lib.tensor(src, requires_grad=True)
        out = model(source, lib.tensor(tgt), tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4),
                    src_key_padding_mask=lib.tensor(padding))
        out.sum().backward()
        results.append([out, source.grad, model.decoder.layers[1].linear1.weight.grad, lib.rand(3)])
    for name, t, e in zip(["output", "src grad", "weight grad", "next draws"], *results):
        assert_same(e, t, atol=2e-6, rtol=1e-5, what=name)
