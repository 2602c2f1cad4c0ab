"""Conv1d/Conv2d with padding_mode 'reflect', 'replicate' and 'circular' against PyTorch: values and input, weight
and bias gradients from the same weights (float64 and float32, batched and unbatched), finite differences, the
refusals PyTorch makes, printed forms, state_dicts both ways and torch-pickled whole layers."""
import numpy as np
import pytest
import torch

import ember
from ember.checkpoint_formats import LoadError
from helpers import assert_same, check_gradcheck

RNG = np.random.default_rng(7)
MODES = ["reflect", "replicate", "circular"]
TOLERANCES = {"float64": dict(atol=1e-9, rtol=1e-7), "float32": dict(atol=1e-5, rtol=1e-5)}

# (layer's arguments, input shape): int, tuple, 'same' (odd and even kernels, dilation) and 'valid' padding, strides,
# groups, no bias, unbatched inputs
LAYERS = {
    "conv2d_int": (lambda lib, mode: lib.nn.Conv2d(3, 4, 3, padding=1, padding_mode=mode), (2, 3, 6, 5)),
    "conv2d_tuple_stride": (lambda lib, mode: lib.nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(2, 1),
                                                            padding_mode=mode), (2, 2, 7, 6)),
    "conv2d_same_odd": (lambda lib, mode: lib.nn.Conv2d(2, 3, 3, padding="same", padding_mode=mode), (1, 2, 5, 6)),
    "conv2d_same_even_dilated": (lambda lib, mode: lib.nn.Conv2d(2, 2, (4, 2), padding="same", dilation=(1, 2),
                                                                 padding_mode=mode), (2, 2, 6, 7)),
    "conv2d_valid": (lambda lib, mode: lib.nn.Conv2d(2, 3, 3, padding="valid", padding_mode=mode), (1, 2, 5, 5)),
    "conv2d_groups_no_bias": (lambda lib, mode: lib.nn.Conv2d(4, 6, 3, padding=2, groups=2, bias=False,
                                                              padding_mode=mode), (2, 4, 5, 4)),
    "conv2d_dilation_stride": (lambda lib, mode: lib.nn.Conv2d(2, 2, 3, stride=2, padding=(1, 2), dilation=2,
                                                               padding_mode=mode), (1, 2, 7, 8)),
    "conv2d_unbatched": (lambda lib, mode: lib.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode), (2, 5, 4)),
    "conv2d_wide_padding": (lambda lib, mode: lib.nn.Conv2d(1, 2, 2, padding=3, padding_mode=mode), (2, 1, 4, 5)),
    "conv1d_int": (lambda lib, mode: lib.nn.Conv1d(3, 4, 3, padding=1, padding_mode=mode), (2, 3, 7)),
    "conv1d_tuple_stride": (lambda lib, mode: lib.nn.Conv1d(2, 3, 4, stride=3, padding=(2,), padding_mode=mode),
                            (2, 2, 9)),
    "conv1d_same_even": (lambda lib, mode: lib.nn.Conv1d(2, 2, 4, padding="same", padding_mode=mode), (3, 2, 7)),
    "conv1d_same_dilated": (lambda lib, mode: lib.nn.Conv1d(2, 3, 3, padding="same", dilation=3, padding_mode=mode),
                            (2, 2, 8)),
    "conv1d_groups_no_bias": (lambda lib, mode: lib.nn.Conv1d(4, 4, 3, padding=2, groups=4, bias=False,
                                                              padding_mode=mode), (2, 4, 6)),
    "conv1d_unbatched": (lambda lib, mode: lib.nn.Conv1d(2, 3, 3, padding=2, padding_mode=mode), (2, 5)),
}


def _pair(make, mode, dtype):
    """The layer in both libraries with torch's initial weights, copied through NumPy."""
    torch.manual_seed(0)
    t = make(torch, mode).to(getattr(torch, dtype))
    e = make(ember, mode).to(getattr(ember, dtype))
    e.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return e, t


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", LAYERS)
def test_layers_match_torch(name, mode, dtype):
    make, shape = LAYERS[name]
    if mode == "reflect" and name == "conv2d_wide_padding":
        pytest.skip("reflect padding must be smaller than the input (refusal tested below)")
    e, t = _pair(make, mode, dtype)
    x = RNG.normal(size=shape).astype(dtype)
    e_x, t_x = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e_out, t_out = e(e_x), t(t_x)
    assert_same(e_out, t_out, **TOLERANCES[dtype])
    seed = RNG.normal(size=tuple(t_out.shape)).astype(dtype)
    e_out.backward(ember.tensor(seed))
    t_out.backward(torch.tensor(seed))
    assert_same(e_x.grad, t_x.grad, what="input gradient", **TOLERANCES[dtype])
    t_params = dict(t.named_parameters())
    assert [n for n, _ in e.named_parameters()] == list(t_params)
    for n, p in e.named_parameters():
        assert_same(p.grad, t_params[n].grad, what=f"{n} gradient", **TOLERANCES[dtype])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["conv2d_same_even_dilated", "conv2d_groups_no_bias", "conv1d_tuple_stride",
                                  "conv1d_unbatched"])
def test_finite_differences(name, mode):
    make, shape = LAYERS[name]
    layer = make(ember, mode).double()
    check_gradcheck(lambda lib, x: layer(x), [RNG.normal(size=shape)])
    # the weight and bias: the layer's own padding, then a convolution that pads nothing
    conv = ember.nn.functional.conv2d if isinstance(layer, ember.nn.Conv2d) else ember.nn.functional.conv1d
    widths = layer._reversed_padding_repeated_twice

    def fn(lib, x, w, *b):
        padded = lib.nn.functional.pad(x, widths, mode=mode)
        return conv(padded, w, b[0] if b else None, layer.stride, 0, layer.dilation, layer.groups)
    params = [p.detach().numpy().copy() for p in layer.parameters()]
    check_gradcheck(fn, [RNG.normal(size=shape)] + params)


def test_padded_convolution_is_torchs_pad_then_conv():
    # the layer pads with F.pad and convolves with padding 0, as torch's: the graph shows it
    layer = ember.nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular")
    out = layer(ember.ones(1, 1, 4, 4, requires_grad=True))
    ref = torch.nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular")(torch.ones(1, 1, 4, 4, requires_grad=True))
    assert out.grad_fn.name() == ref.grad_fn.name()


def _raises_like_torch(call, match=None):
    with pytest.raises(Exception) as t_error:
        call(torch)
    with pytest.raises(type(t_error.value), match=match):
        call(ember)


REFUSALS = {
    "reflect_padding_as_wide_as_input": (
        lambda lib: lib.nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(lib.ones(1, 1, 3, 5)),
        "Padding size should be less than the corresponding input dimension"),
    "reflect_same_too_wide": (
        lambda lib: lib.nn.Conv1d(1, 1, 5, padding="same", dilation=2, padding_mode="reflect")(lib.ones(1, 1, 4)),
        "Padding size should be less than the corresponding input dimension"),
    "circular_wraps_twice": (
        lambda lib: lib.nn.Conv2d(1, 1, 3, padding=(1, 4), padding_mode="circular")(lib.ones(1, 1, 3, 3)),
        "Padding value causes wrapping around more than once"),
    "circular_1d_wraps_twice": (
        lambda lib: lib.nn.Conv1d(1, 1, 3, padding=3, padding_mode="circular")(lib.ones(1, 2)),
        "Padding value causes wrapping around more than once"),
    "reflect_1d_input": (lambda lib: lib.nn.Conv1d(1, 1, 3, padding=1, padding_mode="reflect")(lib.ones(5)), None),
    "replicate_5d_input": (
        lambda lib: lib.nn.Conv2d(1, 1, 3, padding=1, padding_mode="replicate")(lib.ones(1, 1, 1, 4, 4)), None),
    "circular_wrong_channels": (
        lambda lib: lib.nn.Conv2d(2, 1, 3, padding=1, padding_mode="circular")(lib.ones(1, 3, 4, 4)), None),
    "reflect_kernel_larger_than_padded": (
        lambda lib: lib.nn.Conv1d(1, 1, 7, padding=1, padding_mode="reflect")(lib.ones(1, 1, 3)), None),
    "unknown_mode": (lambda lib: lib.nn.Conv2d(1, 1, 3, padding_mode="mirror"), "padding_mode must be one of"),
    "transposed_reflect": (lambda lib: lib.nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect"),
                           '^Only "zeros" padding mode is supported for ConvTranspose2d$'),
    "transposed_unknown_mode": (lambda lib: lib.nn.ConvTranspose2d(1, 1, 3, padding_mode="mirror"),
                                '^Only "zeros" padding mode is supported for ConvTranspose2d$'),
    "same_with_stride": (lambda lib: lib.nn.Conv2d(1, 1, 3, stride=2, padding="same", padding_mode="reflect"),
                         "padding='same' is not supported for strided convolutions"),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception(name):
    call, match = REFUSALS[name]
    _raises_like_torch(call, match)


def test_circular_padding_as_wide_as_the_input_wraps_once():
    e, t = _pair(lambda lib, mode: lib.nn.Conv1d(1, 1, 3, padding=3, padding_mode=mode), "circular", "float64")
    x = RNG.normal(size=(1, 1, 3))
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)))


@pytest.mark.parametrize("mode", ["zeros"] + MODES)
@pytest.mark.parametrize("padding", [0, 1, (2, 1), "same", "valid"])
def test_printed_form_is_torchs(mode, padding):
    for kwargs in ({}, {"bias": False, "dilation": 2, "groups": 2}):
        e = ember.nn.Conv2d(2, 4, 3, padding=padding, padding_mode=mode, **kwargs)
        t = torch.nn.Conv2d(2, 4, 3, padding=padding, padding_mode=mode, **kwargs)
        assert repr(e) == repr(t)
        one = padding if not isinstance(padding, tuple) else padding[:1]
        e = ember.nn.Conv1d(2, 4, 4, padding=one, padding_mode=mode, **kwargs)
        t = torch.nn.Conv1d(2, 4, 4, padding=one, padding_mode=mode, **kwargs)
        assert repr(e) == repr(t)
        assert e._reversed_padding_repeated_twice == t._reversed_padding_repeated_twice


@pytest.mark.parametrize("mode", MODES)
def test_state_dict_round_trip_with_torch(mode):
    make = LAYERS["conv2d_groups_no_bias"][0]
    e, t = _pair(make, mode, "float64")
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    back = make(torch, mode).double()
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    x = RNG.normal(size=(1, 4, 5, 4))
    assert_same(e(ember.tensor(x)), back(torch.tensor(x)))


@pytest.mark.parametrize("mode", MODES)
def test_torch_pickled_layer_loads_and_computes_the_same(tmp_path, mode):
    t = torch.nn.Sequential(torch.nn.Conv2d(2, 3, (3, 2), padding="same", padding_mode=mode), torch.nn.ReLU(),
                            torch.nn.Conv2d(3, 1, 3, padding=(1, 2), padding_mode=mode)).double()
    torch.save(t, tmp_path / "m.pt")
    e = ember.load(tmp_path / "m.pt", weights_only=False)
    assert repr(e) == repr(t)
    x = RNG.normal(size=(2, 2, 5, 4))
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)))
    ember.save(e, tmp_path / "e.pt")  # and ember's own file of the whole layer
    again = ember.load(tmp_path / "e.pt", weights_only=False)
    assert repr(again) == repr(t)
    assert_same(again(ember.tensor(x)), t(torch.tensor(x)))


def test_unknown_padding_mode_in_a_file_is_refused(tmp_path):
    t = torch.nn.Conv2d(1, 1, 3)
    t.padding_mode = "mirror"  # no constructor would make it: a crafted file
    torch.save(t, tmp_path / "m.pt")
    with pytest.raises(LoadError, match="padding_mode='mirror'"):
        ember.load(tmp_path / "m.pt", weights_only=False)


@pytest.mark.parametrize("mode", MODES)
def test_second_derivatives_match_torch(mode):
    e, t = _pair(LAYERS["conv2d_same_even_dilated"][0], mode, "float64")
    x = RNG.normal(size=(1, 2, 5, 6))
    grads = []
    for lib, layer in ((ember, e), (torch, t)):
        xt = lib.tensor(x, requires_grad=True)
        g, = lib.autograd.grad((layer(xt) ** 2).sum(), xt, create_graph=True)
        (g ** 2).sum().backward()
        grads.append((g, xt.grad, layer.weight.grad))
    for mine, theirs in zip(*grads):
        assert_same(mine, theirs)
