"""Convolution, pooling, padding, resizing and their layers against torch: values and gradients, float64."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_module_parity, check_parity, copy_module, sample

CONV_LAYERS = {
    "conv2d": (lambda lib: lib.nn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    "conv2d_stride_pad": (lambda lib: lib.nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 6)),
    "conv2d_big_pad": (lambda lib: lib.nn.Conv2d(2, 3, 3, padding=2, bias=False), (1, 2, 5, 4)),
    "conv2d_rect_kernel": (lambda lib: lib.nn.Conv2d(2, 3, (2, 4), stride=(1, 2)), (2, 2, 6, 9)),
    "conv2d_dilation": (lambda lib: lib.nn.Conv2d(2, 4, 3, dilation=2, padding=1), (2, 2, 8, 7)),
    "conv2d_groups": (lambda lib: lib.nn.Conv2d(4, 6, 3, groups=2), (2, 4, 5, 5)),
    "conv2d_depthwise": (lambda lib: lib.nn.Conv2d(3, 3, 3, groups=3, padding=1), (2, 3, 4, 5)),
    "conv2d_same": (lambda lib: lib.nn.Conv2d(2, 3, 4, padding="same"), (2, 2, 6, 5)),
    "conv2d_same_dilated": (lambda lib: lib.nn.Conv2d(2, 3, 3, padding="same", dilation=2), (1, 2, 7, 7)),
    "conv2d_valid": (lambda lib: lib.nn.Conv2d(2, 3, 3, padding="valid"), (2, 2, 5, 5)),
    "conv2d_kernel_smaller_than_stride": (lambda lib: lib.nn.Conv2d(2, 2, 2, stride=3), (2, 2, 8, 7)),
    "conv2d_unbatched": (lambda lib: lib.nn.Conv2d(2, 3, 3), (2, 5, 5)),
    "conv1d": (lambda lib: lib.nn.Conv1d(3, 4, 3), (2, 3, 9)),
    "conv1d_all": (lambda lib: lib.nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), (2, 4, 11)),
    "conv1d_same": (lambda lib: lib.nn.Conv1d(2, 2, 4, padding="same"), (3, 2, 7)),
    "conv_transpose2d": (lambda lib: lib.nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 5)),
    "conv_transpose2d_stride": (lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                                (2, 3, 4, 4)),
    "conv_transpose2d_groups_dilation": (lambda lib: lib.nn.ConvTranspose2d(4, 6, (2, 3), stride=(2, 1), groups=2,
                                                                            dilation=2, bias=False), (1, 4, 3, 5)),
    "conv_transpose1d": (lambda lib: lib.nn.ConvTranspose1d(3, 2, 3), (2, 3, 6)),
    "conv_transpose1d_stride": (lambda lib: lib.nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1),
                                (2, 3, 5)),
    "conv_transpose1d_groups_dilation": (lambda lib: lib.nn.ConvTranspose1d(4, 6, 2, stride=3, padding=(2,), groups=2,
                                                                            dilation=2, bias=False), (2, 4, 5)),
    "conv_transpose1d_output_padding_past_stride": (lambda lib: lib.nn.ConvTranspose1d(2, 3, 2, output_padding=1,
                                                                                       dilation=2), (2, 2, 4)),
    "conv_transpose1d_unbatched": (lambda lib: lib.nn.ConvTranspose1d(2, 3, 3, stride=2), (2, 5)),
    "maxpool2d": (lambda lib: lib.nn.MaxPool2d(2), (2, 3, 6, 7)),
    "maxpool2d_stride_pad": (lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    "maxpool2d_ceil": (lambda lib: lib.nn.MaxPool2d(3, stride=2, ceil_mode=True), (1, 2, 8, 7)),
    "maxpool2d_dilation": (lambda lib: lib.nn.MaxPool2d(2, stride=1, dilation=2), (1, 2, 6, 6)),
    "maxpool1d": (lambda lib: lib.nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    "avgpool2d": (lambda lib: lib.nn.AvgPool2d(2), (2, 3, 6, 7)),
    "avgpool2d_pad": (lambda lib: lib.nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    "avgpool2d_pad_exclude": (lambda lib: lib.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                              (2, 2, 7, 6)),
    "avgpool2d_ceil": (lambda lib: lib.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (1, 2, 8, 8)),
    "avgpool2d_divisor": (lambda lib: lib.nn.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
    "avgpool1d": (lambda lib: lib.nn.AvgPool1d(3, stride=2, padding=1), (2, 3, 10)),
    "adaptive_avg": (lambda lib: lib.nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    "adaptive_avg_1": (lambda lib: lib.nn.AdaptiveAvgPool2d(1), (2, 3, 4, 6)),
    "adaptive_avg_none": (lambda lib: lib.nn.AdaptiveAvgPool2d((None, 3)), (1, 2, 4, 7)),
    "adaptive_max": (lambda lib: lib.nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 7, 5)),
    "adaptive_max_regular": (lambda lib: lib.nn.AdaptiveMaxPool2d(2), (2, 3, 6, 4)),
    "batchnorm2d": (lambda lib: lib.nn.BatchNorm2d(3), (4, 3, 5, 2)),
    "groupnorm": (lambda lib: lib.nn.GroupNorm(2, 4), (3, 4, 3, 5)),
    "groupnorm_3d": (lambda lib: lib.nn.GroupNorm(3, 6, affine=False), (2, 6, 7)),
    "upsample_nearest": (lambda lib: lib.nn.Upsample(scale_factor=2), (1, 2, 3, 4)),
    "upsample_nearest_size": (lambda lib: lib.nn.Upsample(size=(5, 7)), (1, 2, 3, 4)),
    "upsample_bilinear": (lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 4)),
    "upsample_bilinear_corners": (lambda lib: lib.nn.Upsample(size=(5, 6), mode="bilinear", align_corners=True),
                                  (2, 1, 3, 4)),
}


@pytest.mark.parametrize("name", CONV_LAYERS)
def test_conv_and_pool_layers_match_torch(name):
    make, shape = CONV_LAYERS[name]
    data = sample(shape, "distinct") if "max" in name else sample(shape)
    check_module_parity(make, [data])


def test_maxpool_return_indices_match_torch():
    data = sample((2, 3, 7, 6), "distinct")
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}):
        check_parity(lambda lib, x: tuple(lib.nn.functional.max_pool2d(x, return_indices=True, **kwargs)), [data],
                     grad=False)
    check_parity(lambda lib, x: tuple(lib.nn.functional.max_pool1d(x, 3, return_indices=True)),
                 [sample((2, 2, 9), "distinct")], grad=False)
    check_parity(lambda lib, x: tuple(lib.nn.functional.adaptive_max_pool2d(x, (2, 3), return_indices=True)),
                 [sample((1, 2, 5, 7), "distinct")], grad=False)


@pytest.mark.parametrize("mode,widths", [("constant", (1, 2)), ("constant", (1, 0, 2, 1)), ("constant", (-1, 2, 0, -1)),
                                         ("reflect", (2, 1, 1, 2)), ("replicate", (1, 3, 2, 0)),
                                         ("circular", (2, 1, 1, 1))])
def test_pad_modes_match_torch(mode, widths):
    check_parity(lambda lib, x: lib.nn.functional.pad(x, widths, mode=mode), [sample((2, 2, 4, 5))])
    if mode == "constant":
        check_parity(lambda lib, x: lib.nn.functional.pad(x, widths, value=1.5), [sample((2, 4, 5))])


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(size=(5, 3)), dict(scale_factor=1.5),
                                    dict(scale_factor=2, mode="bilinear"), dict(size=(7, 2), mode="bilinear"),
                                    dict(scale_factor=0.5, mode="bilinear", align_corners=True),
                                    dict(size=(4, 9), mode="bilinear", align_corners=False)])
def test_interpolate_matches_torch(kwargs):
    check_parity(lambda lib, x: lib.nn.functional.interpolate(x, **kwargs), [sample((2, 3, 4, 6))])


def test_dropout2d_zeroes_whole_channels():
    ember.manual_seed(0)
    out = ember.nn.Dropout2d(0.5)(ember.ones(8, 16, 3, 3))
    per_channel = out.sum(dim=(2, 3)).numpy()
    assert set(np.unique(per_channel)) <= {0.0, 18.0}
    assert ember.nn.Dropout2d(0.5).eval()(ember.ones(2, 2, 2, 2)).sum().item() == 16


def test_conv_gradcheck():
    x = ember.tensor(sample((1, 2, 5, 4)), requires_grad=True)
    w = ember.tensor(sample((3, 2, 2, 3)), requires_grad=True)
    b = ember.tensor(sample((3,)), requires_grad=True)
    fn = lambda x, w, b: ember.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=1)  # noqa: E731
    assert ember.autograd.gradcheck(fn, [x, w, b])
    fn_t = lambda x, w, b: ember.nn.functional.conv_transpose2d(x, w.transpose(0, 1), b, stride=2)  # noqa: E731
    assert ember.autograd.gradcheck(fn_t, [x, w, b])
    assert ember.autograd.gradcheck(lambda x: ember.nn.functional.max_pool2d(x, 2, 1), [x])
    assert ember.autograd.gradcheck(lambda x: ember.nn.functional.avg_pool2d(x, 2, padding=1), [x])



@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2), dict(groups=2)])
def test_conv_second_derivatives_match_torch(kwargs):
    from helpers import assert_same
    groups = kwargs.get("groups", 1)
    x, w, w_transposed = sample((2, 2, 6, 5)), sample((4, 2 // groups, 3, 3)), sample((2, 3, 3, 2))
    results = []
    for lib in (ember, torch):
        xt, wt = lib.tensor(x.copy(), requires_grad=True), lib.tensor(w.copy(), requires_grad=True)
        out = lib.nn.functional.conv2d(xt, wt, **kwargs)
        gx, gw = lib.autograd.grad((out.tanh() ** 2).sum(), [xt, wt], create_graph=True)
        gx2, gw2 = lib.autograd.grad((gx ** 2).sum() + (gw ** 3).sum(), [xt, wt])
        wt_t = lib.tensor(w_transposed.copy(), requires_grad=True)
        t_out = lib.nn.functional.conv_transpose2d(xt, wt_t, stride=kwargs.get("stride", 1),
                                                   dilation=kwargs.get("dilation", 1))
        gt, gwt = lib.autograd.grad((t_out ** 2).sum(), [xt, wt_t], create_graph=True)
        gt2, gwt2 = lib.autograd.grad((gt ** 2).sum() + (gwt ** 2).sum(), [xt, wt_t])
        results.append((gx, gw, gx2, gw2, gt, gwt, gt2, gwt2))
    for e, t in zip(*results):
        assert_same(e, t, atol=1e-8)
    xs = ember.tensor(sample((1, 2, 4, 4)), requires_grad=True)
    ws = ember.tensor(sample((2, 2 // groups, 2, 2)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a, b: ember.nn.functional.conv2d(a, b, **kwargs), [xs, ws])


BAD_INPUTS = {
    "conv wrong rank": lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.randn(3, 5)),
    "conv wrong channels": lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.randn(2, 2, 5, 5)),
    "conv kernel larger than input": lambda lib: lib.nn.Conv2d(1, 1, 5)(lib.randn(1, 1, 3, 3)),
    "functional conv channels": lambda lib: lib.nn.functional.conv2d(lib.randn(1, 3, 5, 5), lib.randn(2, 2, 3, 3)),
    "conv1d wrong rank": lambda lib: lib.nn.Conv1d(2, 2, 3)(lib.randn(1, 2, 3, 4)),
    "pool pad too large": lambda lib: lib.nn.MaxPool2d(2, padding=2)(lib.randn(1, 1, 5, 5)),
    "rnn feature size": lambda lib: lib.nn.RNN(4, 3)(lib.randn(5, 2, 6)),
    "lstm hidden shape": lambda lib: lib.nn.LSTM(4, 3)(lib.randn(5, 2, 4), (lib.zeros(1, 3, 3), lib.zeros(1, 3, 3))),
    "gru hidden shape": lambda lib: lib.nn.GRU(4, 3, num_layers=2)(lib.randn(5, 2, 4), lib.zeros(1, 2, 3)),
    "rnncell input size": lambda lib: lib.nn.RNNCell(4, 3)(lib.randn(2, 5)),
    "groupnorm groups": lambda lib: lib.nn.functional.group_norm(lib.randn(2, 5, 3), 2),
    "batchnorm2d channels": lambda lib: lib.nn.BatchNorm2d(3)(lib.randn(2, 4, 3, 3)),
    "conv_transpose1d wrong rank": lambda lib: lib.nn.ConvTranspose1d(2, 2, 3)(lib.randn(1, 2, 3, 4)),
    "conv_transpose1d wrong channels": lambda lib: lib.nn.functional.conv_transpose1d(lib.randn(2, 4, 5),
                                                                                     lib.randn(3, 3, 3)),
    "conv_transpose1d groups": lambda lib: lib.nn.functional.conv_transpose1d(lib.randn(2, 4, 5), lib.randn(4, 3, 3),
                                                                              groups=3),
    "conv_transpose1d bias size": lambda lib: lib.nn.functional.conv_transpose1d(lib.randn(2, 4, 5),
                                                                                 lib.randn(4, 3, 3), lib.randn(4)),
    "conv_transpose1d output_padding": lambda lib: lib.nn.functional.conv_transpose1d(
        lib.randn(2, 4, 5), lib.randn(4, 3, 3), stride=2, output_padding=2),
    "conv_transpose1d two strides": lambda lib: lib.nn.functional.conv_transpose1d(lib.randn(2, 4, 5),
                                                                                   lib.randn(4, 3, 3), stride=(1, 2)),
    "conv_transpose1d stride 0": lambda lib: lib.nn.functional.conv_transpose1d(lib.randn(2, 4, 5),
                                                                                lib.randn(4, 3, 3), stride=0),
    "conv_transpose1d dtypes": lambda lib: lib.nn.functional.conv_transpose1d(lib.randn(2, 4, 5).double(),
                                                                              lib.randn(4, 3, 3)),
    "conv_transpose1d output_size": lambda lib: lib.nn.ConvTranspose1d(4, 3, 3, stride=2)(lib.randn(2, 4, 5),
                                                                                           output_size=[13]),
    "conv_transpose1d output_size length": lambda lib: lib.nn.ConvTranspose1d(4, 3, 3, stride=2)(
        lib.randn(2, 4, 5), output_size=[1, 12]),
    "conv_transpose2d groups": lambda lib: lib.nn.functional.conv_transpose2d(lib.randn(2, 4, 5, 5),
                                                                              lib.randn(4, 3, 3, 3), groups=3),
    "conv_transpose2d bias size": lambda lib: lib.nn.functional.conv_transpose2d(lib.randn(2, 4, 5, 5),
                                                                                 lib.randn(4, 3, 3, 3), lib.randn(4)),
    "conv_transpose2d output_size": lambda lib: lib.nn.ConvTranspose2d(4, 3, 3, stride=2)(lib.randn(1, 4, 5, 5),
                                                                                           output_size=[13, 12]),
    "conv_transpose2d output_size length": lambda lib: lib.nn.ConvTranspose2d(4, 3, 3, stride=2)(
        lib.randn(1, 4, 5, 5), output_size=[1, 12, 12]),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_inputs_raise_torchs_exception_type(name):
    with pytest.raises(Exception) as expected:
        BAD_INPUTS[name](torch)
    with pytest.raises(expected.type) as got:
        BAD_INPUTS[name](ember)
    message = str(got.value)
    assert any(ch.isdigit() for ch in message), f"{name}: the message should name the shapes: {message}"


STRIDE_LAYERS = ["conv2d", "conv2d_stride_pad", "conv2d_groups", "conv2d_dilation", "conv1d", "conv1d_all",
                 "conv_transpose2d", "conv_transpose2d_stride", "conv_transpose1d_stride", "maxpool2d", "maxpool2d_stride_pad", "maxpool1d",
                 "avgpool2d_pad", "avgpool1d", "adaptive_avg", "adaptive_max"]


@pytest.mark.parametrize("name", STRIDE_LAYERS)
def test_conv_and_pool_outputs_have_torchs_layout(name):
    """Contiguous (N, C, H, W) results, as torch's: so x.view(batch, -1) after a conv works; gradients too."""
    make, shape = CONV_LAYERS[name]
    data = sample(shape, "distinct")
    torch.manual_seed(0)
    t_layer = make(torch).double()
    e_layer = make(ember).double()
    t_x, e_x = torch.tensor(data, requires_grad=True), ember.tensor(data, requires_grad=True)
    t_out, e_out = t_layer(t_x), e_layer(e_x)
    assert e_out.stride() == t_out.stride() and e_out.is_contiguous()
    e_out.view(e_out.shape[0], -1).sum().backward()
    t_out.sum().backward()
    assert e_x.grad.stride() == t_x.grad.stride()


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=2, padding=1), dict(kernel_size=3, stride=3),
                                    dict(kernel_size=2, stride=1), dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_maxpool_gradient_with_ties_goes_to_the_first_maximum_as_torch(kwargs):
    data = np.random.default_rng(3).integers(0, 3, (2, 3, 7, 6)).astype(np.float64)  # many ties
    check_parity(lambda lib, x: lib.nn.functional.max_pool2d(x, **kwargs), [data])


def test_maxpool_double_backward_matches_torch():
    data = sample((2, 2, 6, 5), "distinct")
    results = []
    for lib in (ember, torch):
        x = lib.tensor(data, requires_grad=True)
        out = lib.nn.functional.max_pool2d(x, 2, padding=1)
        (g,) = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        (g * g).sum().backward()
        results.append(x.grad)
    np.testing.assert_allclose(results[0].numpy(), results[1].numpy())


@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 1), (3, 2)])
def test_max_pool_sends_a_nan_gradient_to_the_maximum_only(kernel, stride):
    """The gradient is masked, not multiplied by the mask: NaN * 0 would spread NaN over the whole window."""
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 6))
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    g = np.random.default_rng(1).normal(size=torch.nn.functional.max_pool2d(xt, kernel, stride).shape)
    g[0, 0, 0, 0] = np.nan
    torch.nn.functional.max_pool2d(xt, kernel, stride).backward(torch.tensor(g))
    ember.nn.functional.max_pool2d(xe, kernel, stride).backward(ember.tensor(g))
    np.testing.assert_array_equal(np.isnan(xe.grad.numpy()), np.isnan(xt.grad.numpy()))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12, equal_nan=True)


def test_max_pool_picks_a_nan_as_torch_does():
    """torch's window maximum: a NaN wins, and of several NaNs the last; the gradient goes to that position."""
    x = np.random.default_rng(2).normal(size=(2, 2, 6, 6))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[1, 1, 3, 3] = np.nan
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        out, idx = lib.nn.functional.max_pool2d(t, 2, return_indices=True)
        out.sum().backward()
        if lib is torch:
            want = (out.detach().numpy(), idx.numpy(), t.grad.numpy())
        else:
            got = (out.detach().numpy(), idx.numpy(), t.grad.numpy())
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_max_pool_matches_torch_on_random_windows_with_nan_and_ties():
    # values, gradients and indices, over kernels, strides, padding, dilation and ceil_mode, with NaN in some
    # windows (ember looks for NaN in the maxima, then rescans) and rounded inputs (ties: the first maximum wins)
    rng = np.random.default_rng(5)
    checked = 0
    for case in range(200):
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(3, 9)), int(rng.integers(3, 9)))
        kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        padding = (int(rng.integers(0, kernel[0] // 2 + 1)), int(rng.integers(0, kernel[1] // 2 + 1)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        ceil_mode = bool(rng.integers(0, 2))
        x = rng.standard_normal(shape)
        if rng.random() < 0.5:
            x[rng.random(shape) < 0.15] = np.nan
        if rng.random() < 0.3:
            x = np.round(x)
        args = (kernel, stride, padding, dilation)
        try:
            xt = torch.tensor(x, requires_grad=True)
            yt, it = torch.nn.functional.max_pool2d(xt, *args, ceil_mode=ceil_mode, return_indices=True)
        except RuntimeError:  # a window larger than the padded input: torch refuses (and so does ember, tested above)
            continue
        xe = ember.tensor(x, requires_grad=True)
        ye, ie = ember.nn.functional.max_pool2d(xe, *args, ceil_mode=ceil_mode, return_indices=True)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        ye.backward(ember.tensor(g))
        np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy(), err_msg=f"case {case}")
        np.testing.assert_array_equal(ie.numpy(), it.numpy(), err_msg=f"case {case}")
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12, err_msg=f"case {case}")
        checked += 1
    assert checked > 150


def test_conv_transpose2d_output_padding_past_stride_matches_torch():
    """torch allows output_padding >= stride when dilation > output_padding; the backward must take the windows at
    the input's positions only (it raised a ValueError: the windows of the gradient outnumbered the input)."""
    for kwargs in (dict(stride=1, padding=1, output_padding=1, dilation=2), dict(stride=2, padding=0,
                                                                                 output_padding=2, dilation=3)):
        check_module_parity(lambda lib: lib.nn.ConvTranspose2d(3, 2, 2, **kwargs), [sample((2, 3, 4, 5))])


def _random_conv_case(rng):
    groups = int(rng.choice([1, 1, 2, 3]))
    c, o = groups * int(rng.integers(1, 12)), groups * int(rng.integers(1, 5))
    k = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    stride = (int(rng.choice([1, 1, 1, 2, 3])), int(rng.choice([1, 1, 2])))
    dilation = (int(rng.choice([1, 1, 1, 2])), int(rng.choice([1, 1, 2])))
    padding = (int(rng.integers(0, k[0] + 1)), int(rng.integers(0, k[1] + 1)))
    size = [int(rng.integers(max(1, d * (kk - 1) + 1 - 2 * p), 13)) for kk, d, p in zip(k, dilation, padding)]
    return dict(n=int(rng.integers(1, 7)), c=c, o=o, k=k, stride=stride, padding=padding, dilation=dilation,
                groups=groups, size=size, bias=bool(rng.integers(0, 2)))


@pytest.mark.parametrize("seed", range(4))
def test_convolution_routes_match_torch_on_random_shapes(seed, monkeypatch):
    """Every route of the convolution (im2col, the flipped-kernel input gradient, col2im, several batch chunks)
    against torch in float64: output, and the gradients of input, weight and bias; the transposed convolution too."""
    from ember.ops import conv
    rng = np.random.default_rng(seed)
    for case in range(40):
        monkeypatch.setattr(conv, "CHUNK_BYTES", int(rng.choice([1, 4096, 2 ** 21])))  # 1: an image per chunk
        p = _random_conv_case(rng)
        x = rng.normal(size=(p["n"], p["c"], *p["size"]))
        w = rng.normal(size=(p["o"], p["c"] // p["groups"], *p["k"]))
        b = rng.normal(size=p["o"]) if p["bias"] else None
        args = dict(stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"])
        results = []
        for lib in (torch, ember):
            tensors = [lib.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
            y = lib.nn.functional.conv2d(*tensors, **args)
            g = lib.tensor(np.random.default_rng(case).normal(size=tuple(y.shape)))
            y.backward(g)
            results.append([y.detach().numpy()] + [t.grad.numpy() for t in tensors if t is not None])
        for got, want in zip(results[1], results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=str(p))


@pytest.mark.parametrize("seed", range(2))
def test_transposed_convolution_matches_torch_on_random_shapes(seed, monkeypatch):
    from ember.ops import conv
    rng = np.random.default_rng(100 + seed)
    for case in range(30):
        monkeypatch.setattr(conv, "CHUNK_BYTES", int(rng.choice([1, 4096, 2 ** 21])))
        p = _random_conv_case(rng)
        # output_padding must be smaller than stride or dilation (torch's rule)
        op = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(p["stride"], p["dilation"]))
        x = rng.normal(size=(p["n"], p["o"], *p["size"]))
        w = rng.normal(size=(p["o"], p["c"] // p["groups"], *p["k"]))
        args = dict(stride=p["stride"], padding=p["padding"], output_padding=op, dilation=p["dilation"],
                    groups=p["groups"])
        results = []
        for lib in (torch, ember):
            try:
                xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
                y = lib.nn.functional.conv_transpose2d(xt, wt, **args)
            except RuntimeError:
                results.append(None)
                continue
            y.backward(lib.tensor(np.random.default_rng(case).normal(size=tuple(y.shape))))
            results.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()])
        assert (results[0] is None) == (results[1] is None), p
        for got, want in zip(results[1] or [], results[0] or []):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=str(p))


@pytest.mark.parametrize("seed", range(2))
def test_avg_pool_matches_torch_on_random_windows(seed):
    """avg_pool2d (an op of its own: window sums of shifted views) against torch in float64 on random windows,
    padding, ceil_mode, count_include_pad and divisor_override: values, gradients and second derivatives."""
    rng = np.random.default_rng(200 + seed)
    for case in range(40):
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        kwargs = dict(kernel_size=k, stride=s, padding=p, ceil_mode=bool(rng.integers(0, 2)),
                      count_include_pad=bool(rng.integers(0, 2)), divisor_override=[None, None, 3][rng.integers(0, 3)])
        x = rng.normal(size=(int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(k[0], 9)),
                             int(rng.integers(k[1], 9))))
        results = []
        for lib in (torch, ember):
            xt = lib.tensor(x, requires_grad=True)
            y = lib.nn.functional.avg_pool2d(xt, **kwargs)
            (gx,) = lib.autograd.grad((y ** 2).sum(), [xt], create_graph=True)
            (gx2,) = lib.autograd.grad((gx ** 3).sum(), [xt])
            results.append([y.detach().numpy(), gx.detach().numpy(), gx2.numpy()])
        for got, want in zip(results[1], results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=str(kwargs))
    x = ember.tensor(sample((1, 2, 5, 4)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: ember.nn.functional.avg_pool2d(a, 3, 2, 1, ceil_mode=True), [x])
    assert ember.nn.functional.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"


def test_conv_backward_twice_through_a_retained_graph_matches_torch():
    """The forward's window matrices serve the first backward and are freed with it; a second backward through a
    retained graph reads the windows again and gets the same gradient."""
    x, w = sample((3, 4, 6, 5)), sample((2, 4, 3, 3))
    grads = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=1)
        y.sum().backward(retain_graph=True)
        if lib is ember:
            assert y.grad_fn.windows is None  # freed by the first backward
        y.sum().backward()
        grads.append((xt.grad.numpy(), wt.grad.numpy()))
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(2))
def test_transposed_1d_convolution_matches_torch_on_random_shapes(seed):
    """F.conv_transpose1d (a 2-d one on a height-1 map) against torch in float64 and float32: output and the
    gradients of input, weight and bias, for any stride, padding, output_padding, dilation and groups."""
    rng = np.random.default_rng(200 + seed)
    for case in range(30):
        groups = int(rng.choice([1, 1, 2, 3]))
        c, o, k = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 4)), int(rng.integers(1, 5))
        stride, dilation = int(rng.choice([1, 2, 3])), int(rng.choice([1, 1, 2]))
        args = dict(stride=stride, padding=int(rng.integers(0, k + 1)), dilation=dilation, groups=groups,
                    output_padding=int(rng.integers(0, max(stride, dilation))))
        x = rng.normal(size=(int(rng.integers(1, 4)), c, int(rng.integers(1, 9))))
        w, b = rng.normal(size=(c, o // groups, k)), rng.normal(size=o) if rng.integers(0, 2) else None
        if (x.shape[2] - 1) * stride - 2 * args["padding"] + dilation * (k - 1) + args["output_padding"] < 0:
            continue  # an empty output (torch's, of length 0, ember refuses) or none at all
        for dtype, tol in (("float64", 1e-10), ("float32", 1e-4)):
            results = []
            for lib in (torch, ember):
                tensors = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) if a is not None else None
                           for a in (x, w, b)]
                y = lib.nn.functional.conv_transpose1d(*tensors, **args)
                y.backward(lib.tensor(np.random.default_rng(case).normal(size=tuple(y.shape)),
                                      dtype=getattr(lib, dtype)))
                results.append([y] + [t.grad for t in tensors if t is not None])
            for got, want in zip(results[1], results[0]):
                assert got.dtype.name == dtype
                np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=tol, atol=tol,
                                           err_msg=str(args))


def test_conv_transpose1d_gradcheck_and_gradgradcheck():
    x, w, b = (ember.tensor(sample(s), requires_grad=True) for s in ((2, 4, 5), (4, 3, 3), (6,)))
    fn = lambda x, w, b: ember.nn.functional.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1,  # noqa: E731
                                                              groups=2, dilation=2)
    assert ember.autograd.gradcheck(fn, [x, w, b])
    assert ember.autograd.gradgradcheck(fn, [x, w, b])


@pytest.mark.parametrize("output_size", [[11], [12], [2, 3, 12]])
def test_conv_transpose1d_output_size_picks_torchs_output_padding(output_size):
    data = sample((2, 4, 5))
    torch.manual_seed(0)
    t_layer = torch.nn.ConvTranspose1d(4, 3, 3, stride=2).double()
    e_layer = copy_module(t_layer, ember.nn.ConvTranspose1d(4, 3, 3, stride=2).double())
    t_x, e_x = torch.tensor(data, requires_grad=True), ember.tensor(data, requires_grad=True)
    t_out, e_out = t_layer(t_x, output_size=output_size), e_layer(e_x, output_size=output_size)
    assert_same(e_out, t_out)
    t_out.sum().backward()
    e_out.sum().backward()
    assert_same(e_x.grad, t_x.grad)
    assert_same(e_layer.weight.grad, t_layer.weight.grad)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False,
                                                 dilation=2), dict(kernel_size=(2,), stride=(3,), padding=(0,))])
def test_conv_transpose1d_repr_state_dict_and_initialisation_match_torch(kwargs):
    kwargs = dict(dict(in_channels=4, out_channels=6, kernel_size=3), **kwargs)
    torch.manual_seed(0)
    t_layer = torch.nn.ConvTranspose1d(**kwargs)
    ember.manual_seed(0)
    e_layer = ember.nn.ConvTranspose1d(**kwargs)
    assert repr(e_layer) == repr(t_layer)
    t_state, e_state = t_layer.state_dict(), e_layer.state_dict()
    assert list(e_state) == list(t_state)
    for key in t_state:
        assert_same(e_state[key], t_state[key], atol=0, rtol=0)  # torch's draws, in torch's order
    e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_state.items()})


@pytest.mark.parametrize("kwargs", [dict(padding_mode="reflect"), dict(groups=2), dict(groups=0)])
def test_conv_transpose1d_constructor_errors_are_torchs(kwargs):
    with pytest.raises(Exception) as expected:
        torch.nn.ConvTranspose1d(4, 3, 3, **kwargs)
    with pytest.raises(expected.type, match=str(expected.value).replace("(", r"\(").replace(")", r"\)")):
        ember.nn.ConvTranspose1d(4, 3, 3, **kwargs)


@pytest.mark.parametrize("call", [lambda lib: lib.nn.functional.conv2d(lib.randn(1, 2, 5, 5), lib.randn(3, 2, 3, 3),
                                                                       padding="same", stride=(1, 2)),
                                  lambda lib: lib.nn.functional.conv1d(lib.randn(1, 2, 5), lib.randn(3, 2, 3),
                                                                       padding="same", stride=2)])
def test_functional_same_padding_with_stride_is_torchs_runtime_error(call):
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        call(torch)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        call(ember)


@pytest.mark.parametrize("name,wshape,kwargs", [
    ("conv2d", (4, 1, 3, 3), dict(groups=2, padding=1)), ("conv_transpose2d", (2, 3, 3, 3), dict(stride=2)),
    ("conv1d", (3, 2, 3), dict(stride=2)), ("conv_transpose1d", (2, 3, 3), dict()),
    ("conv3d", (3, 2, 2, 2, 2), dict(padding=1))])
def test_convolutions_of_an_empty_batch_match_torch(name, wshape, kwargs):
    """A batch of none gives an empty output and zero weight and bias gradients, as torch (an IndexError before:
    the batch was cut into no chunks); the gradients' own graph too."""
    results = []
    for lib in (torch, ember):
        x = lib.zeros((0, 2) + (5,) * (len(wshape) - 2), dtype=lib.float64, requires_grad=True)
        w = lib.tensor(sample(wshape), requires_grad=True)
        b = lib.ones(3 if "transpose" in name else wshape[0], dtype=lib.float64, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, w, b, **kwargs)
        gx, gw = lib.autograd.grad((y ** 2).sum(), [x, w], create_graph=True)
        y.sum().backward()
        results.append((y, gx, gw, w.grad, b.grad))
    for e, t in zip(results[1], results[0]):
        assert_same(e, t)
