"""Layers over (N, C, D, H, W) volumes against torch: values, gradients, running statistics, errors, printing."""
import re

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_module_parity, sample

BATCHNORM3D = {
    "default": lambda lib: lib.nn.BatchNorm3d(3),
    "momentum": lambda lib: lib.nn.BatchNorm3d(3, momentum=0.3, eps=1e-3),
    "cumulative": lambda lib: lib.nn.BatchNorm3d(3, momentum=None),
    "no_affine": lambda lib: lib.nn.BatchNorm3d(3, affine=False),
    "no_bias": lambda lib: lib.nn.BatchNorm3d(3, bias=False),
    "no_running_stats": lambda lib: lib.nn.BatchNorm3d(3, track_running_stats=False),
}


@pytest.mark.parametrize("name", BATCHNORM3D)
def test_batchnorm3d_trains_and_evaluates_as_torch(name):
    make = BATCHNORM3D[name]
    e_mod, t_mod = check_module_parity(make, [sample((2, 3, 4, 3, 5))], train=True)  # batch statistics, running ones
    x = sample((2, 3, 2, 3, 2))  # a second step: momentum=None's average of two
    assert_same(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))
    x = sample((2, 3, 2, 4, 3))
    e_mod.eval(), t_mod.eval()
    assert_same(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))
    for (key, e), (_, t) in zip(e_mod.state_dict().items(), t_mod.state_dict().items()):
        assert_same(e, t, what=key)


def test_batchnorm3d_float32_and_its_one_node_match_torch():
    x = sample((3, 2, 3, 4, 2))
    results = []
    for lib in (ember, torch):
        layer = lib.nn.BatchNorm3d(2)
        xt = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        out = layer(xt)
        out.backward(lib.tensor(x[:, ::-1].copy(), dtype=lib.float32))
        results.append((out, xt.grad, layer.weight.grad, layer.running_var, out.grad_fn.name()))
    for e, t in zip(results[0][:4], results[1][:4]):
        assert_same(e, t, atol=1e-5, rtol=1e-5)
    assert results[0][4] == results[1][4]


def test_batchnorm3d_gradcheck():
    x, w, b = (ember.tensor(sample(s), requires_grad=True) for s in ((2, 2, 2, 3, 2), (2,), (2,)))
    layer = ember.nn.BatchNorm3d(2).double()
    assert ember.autograd.gradcheck(lambda x, w, b: ember.nn.functional.batch_norm(
        x, None, None, w, b, training=True), [x, w, b])
    assert ember.autograd.gradcheck(lambda x: layer.train()(x), [x])


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (3, 4, 4, 4), (1, 2, 3, 4, 4, 4), (2, 4, 2, 2, 2)])
def test_batchnorm3d_errors_are_torchs(shape):
    with pytest.raises(Exception) as expected:
        torch.nn.BatchNorm3d(3)(torch.randn(*shape))
    with pytest.raises(expected.type) as got:
        ember.nn.BatchNorm3d(3)(ember.randn(*shape))
    if expected.type is ValueError:
        assert str(got.value) == str(expected.value)


def test_batchnorm3d_repr_and_state_dict_match_torch():
    for kwargs in ({}, dict(eps=1e-3, momentum=None, affine=False), dict(track_running_stats=False, bias=False)):
        t_layer, e_layer = torch.nn.BatchNorm3d(5, **kwargs), ember.nn.BatchNorm3d(5, **kwargs)
        assert repr(e_layer) == repr(t_layer)
        assert list(e_layer.state_dict()) == list(t_layer.state_dict())
        e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_layer.state_dict().items()})


CONV3D = {
    "default": (lambda lib: lib.nn.Conv3d(3, 4, 3), (2, 3, 5, 6, 4)),
    "stride_padding": (lambda lib: lib.nn.Conv3d(3, 4, (2, 3, 2), stride=2, padding=1), (2, 3, 6, 5, 7)),
    "per_dim": (lambda lib: lib.nn.Conv3d(2, 3, (3, 2, 2), stride=(1, 2, 3), padding=(2, 0, 1), dilation=(2, 1, 2)),
                (1, 2, 5, 6, 7)),
    "groups_no_bias": (lambda lib: lib.nn.Conv3d(4, 6, 2, groups=2, bias=False), (2, 4, 3, 4, 3)),
    "depthwise": (lambda lib: lib.nn.Conv3d(3, 3, 3, groups=3, padding=1), (1, 3, 3, 4, 4)),
    "same": (lambda lib: lib.nn.Conv3d(2, 3, (2, 3, 4), padding="same", dilation=(2, 1, 1)), (2, 2, 5, 4, 6)),
    "valid": (lambda lib: lib.nn.Conv3d(2, 3, 2, padding="valid"), (1, 2, 3, 3, 3)),
    "kernel_1": (lambda lib: lib.nn.Conv3d(2, 3, 1), (2, 2, 3, 2, 4)),
    "unbatched": (lambda lib: lib.nn.Conv3d(2, 3, 2, stride=(2, 1, 1)), (2, 5, 3, 4)),
    "reflect": (lambda lib: lib.nn.Conv3d(2, 3, 3, padding=1, padding_mode="reflect"), (1, 2, 4, 5, 3)),
    "circular": (lambda lib: lib.nn.Conv3d(2, 2, 3, padding=(1, 2, 1), padding_mode="circular"), (2, 2, 3, 4, 5)),
    "replicate": (lambda lib: lib.nn.Conv3d(2, 2, 2, padding=1, padding_mode="replicate", stride=2), (1, 2, 3, 4, 5)),
}


@pytest.mark.parametrize("name", CONV3D)
def test_conv3d_layers_match_torch(name):
    make, shape = CONV3D[name]
    e_mod, t_mod = check_module_parity(make, [sample(shape)])
    out = e_mod(ember.tensor(sample(shape)))
    assert out.is_contiguous() and out.stride() == t_mod(torch.tensor(sample(shape))).stride()


@pytest.mark.parametrize("seed", range(2))
def test_conv3d_matches_torch_on_random_shapes_in_float32_and_float64(seed):
    rng = np.random.default_rng(300 + seed)
    for case in range(15):
        groups = int(rng.choice([1, 1, 2]))
        c, o = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 4, 3))
        args = dict(stride=tuple(int(v) for v in rng.choice([1, 1, 2, 3], 3)),
                    dilation=tuple(int(v) for v in rng.choice([1, 1, 2], 3)),
                    padding=tuple(int(rng.integers(0, kk + 1)) for kk in k), groups=groups)
        size = [int(rng.integers(max(1, d * (kk - 1) + 1 - 2 * p), 7)) for kk, d, p in
                zip(k, args["dilation"], args["padding"])]
        x, w = rng.normal(size=(int(rng.integers(1, 3)), c, *size)), rng.normal(size=(o, c // groups, *k))
        b = rng.normal(size=o) if rng.integers(0, 2) else None
        for dtype, tol in (("float64", 1e-10), ("float32", 1e-4)):
            results = []
            for lib in (torch, ember):
                tensors = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) if a is not None else None
                           for a in (x, w, b)]
                y = lib.nn.functional.conv3d(*tensors, **args)
                y.backward(lib.tensor(np.random.default_rng(case).normal(size=tuple(y.shape)),
                                      dtype=getattr(lib, dtype)))
                results.append([y] + [t.grad for t in tensors if t is not None])
            for got, want in zip(*results[::-1]):
                assert got.dtype.name == dtype
                np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=tol, atol=tol,
                                           err_msg=str(args))


def test_conv3d_gradcheck_and_gradgradcheck():
    x, w, b = (ember.tensor(sample(s), requires_grad=True) for s in ((1, 2, 3, 4, 3), (2, 1, 2, 2, 2), (2,)))
    fn = lambda x, w, b: ember.nn.functional.conv3d(x, w, b, stride=(1, 2, 1), padding=1, dilation=(2, 1, 1),  # noqa: E731
                                                    groups=2)
    assert ember.autograd.gradcheck(fn, [x, w, b])
    assert ember.autograd.gradgradcheck(fn, [x, w, b])


CONV3D_ERRORS = {
    "rank": lambda lib: lib.nn.functional.conv3d(lib.randn(2, 3, 4), lib.randn(2, 3, 1, 1, 1)),
    "layer rank": lambda lib: lib.nn.Conv3d(2, 2, 1)(lib.randn(1, 2, 3, 3, 3, 3)),
    "channels": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 3, 4, 4, 4), lib.randn(2, 2, 3, 3, 3)),
    "layer channels": lambda lib: lib.nn.Conv3d(3, 2, 1)(lib.randn(1, 2, 3, 3, 3)),
    "kernel larger": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 1, 2, 5, 5), lib.randn(1, 1, 3, 3, 3)),
    "weight groups": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 4, 3, 3, 3), lib.randn(3, 2, 1, 1, 1),
                                                          groups=2),
    "bias size": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 2, 3, 3, 3), lib.randn(3, 2, 1, 1, 1),
                                                      lib.randn(2)),
    "two strides": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 2, 3, 3, 3), lib.randn(3, 2, 1, 1, 1),
                                                        stride=(1, 2)),
    "stride 0": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 2, 3, 3, 3), lib.randn(3, 2, 1, 1, 1), stride=0),
    "negative padding": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 2, 3, 3, 3), lib.randn(3, 2, 1, 1, 1),
                                                             padding=(0, -1, 0)),
    "same strided": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 2, 3, 3, 3), lib.randn(3, 2, 1, 1, 1),
                                                         padding="same", stride=2),
    "dtypes": lambda lib: lib.nn.functional.conv3d(lib.randn(1, 2, 3, 3, 3).double(), lib.randn(3, 2, 1, 1, 1)),
    "layer groups": lambda lib: lib.nn.Conv3d(3, 4, 2, groups=2),
    "layer padding_mode": lambda lib: lib.nn.Conv3d(3, 4, 2, padding_mode="mirror"),
    "layer same strided": lambda lib: lib.nn.Conv3d(3, 4, 2, padding="same", stride=(1, 2, 1)),
}


@pytest.mark.parametrize("name", CONV3D_ERRORS)
def test_conv3d_errors_are_torchs_types(name):
    with pytest.raises(Exception) as expected:
        CONV3D_ERRORS[name](torch)
    with pytest.raises(expected.type):
        CONV3D_ERRORS[name](ember)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, groups=2, bias=False, dilation=(1, 2, 1)),
                                    dict(kernel_size=(1, 2, 3), padding="same", padding_mode="circular")])
def test_conv3d_repr_state_dict_and_initialisation_match_torch(kwargs):
    kwargs = dict(dict(in_channels=4, out_channels=6, kernel_size=3), **kwargs)
    torch.manual_seed(0)
    t_layer = torch.nn.Conv3d(**kwargs)
    ember.manual_seed(0)
    e_layer = ember.nn.Conv3d(**kwargs)
    assert repr(e_layer) == repr(t_layer)
    t_state, e_state = t_layer.state_dict(), e_layer.state_dict()
    assert list(e_state) == list(t_state)
    for key in t_state:
        assert_same(e_state[key], t_state[key], atol=0, rtol=0)  # torch's draws, in torch's order
    e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_state.items()})


INSTANCENORM3D = {
    "default": (lambda lib: lib.nn.InstanceNorm3d(3), (2, 3, 3, 4, 2)),
    "affine": (lambda lib: lib.nn.InstanceNorm3d(3, affine=True, eps=1e-3), (2, 3, 2, 3, 4)),
    "running": (lambda lib: lib.nn.InstanceNorm3d(3, affine=True, track_running_stats=True, momentum=0.3),
                (2, 3, 3, 2, 3)),
    "no_bias": (lambda lib: lib.nn.InstanceNorm3d(2, affine=True, bias=False), (3, 2, 2, 2, 3)),
    "unbatched": (lambda lib: lib.nn.InstanceNorm3d(2, affine=True), (2, 3, 2, 4)),
}


@pytest.mark.parametrize("name", INSTANCENORM3D)
def test_instancenorm3d_trains_and_evaluates_as_torch(name):
    make, shape = INSTANCENORM3D[name]
    e_mod, t_mod = check_module_parity(make, [sample(shape)], train=True)
    e_mod.eval(), t_mod.eval()  # the running statistics where tracked, the input's own otherwise
    x = sample(shape)
    assert_same(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))
    for (key, e), (_, t) in zip(e_mod.state_dict().items(), t_mod.state_dict().items()):
        assert_same(e, t, what=key)


def test_instancenorm3d_float32_and_gradcheck():
    x = sample((2, 3, 2, 3, 4))
    results = []
    for lib in (ember, torch):
        xt = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        out = lib.nn.InstanceNorm3d(3)(xt)
        out.backward(lib.tensor(x[:, ::-1].copy(), dtype=lib.float32))
        results.append((out, xt.grad))
    for e, t in zip(*results):
        assert_same(e, t, atol=1e-5, rtol=1e-5)
    layer = ember.nn.InstanceNorm3d(2, affine=True).double()
    assert ember.autograd.gradcheck(lambda x: layer(x), [ember.tensor(sample((2, 2, 2, 3, 2)), requires_grad=True)])


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 2, 3, 4, 4, 4), (2, 4, 2, 2, 2)])
def test_instancenorm3d_errors_are_torchs(shape):
    with pytest.raises(Exception) as expected:
        torch.nn.InstanceNorm3d(3, affine=True)(torch.randn(*shape))
    with pytest.raises(expected.type) as got:
        ember.nn.InstanceNorm3d(3, affine=True)(ember.randn(*shape))
    assert str(got.value) == str(expected.value)


def test_instancenorm3d_warns_as_torch_on_the_wrong_channels_without_affine():
    with pytest.warns(UserWarning, match="does not match num_features"):
        torch.nn.InstanceNorm3d(3)(torch.randn(1, 2, 2, 2, 2))
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm3d(3)(ember.randn(1, 2, 2, 2, 2))


def test_instancenorm3d_repr_and_state_dict_match_torch():
    for kwargs in ({}, dict(eps=1e-3, affine=True), dict(track_running_stats=True, momentum=None)):
        t_layer, e_layer = torch.nn.InstanceNorm3d(5, **kwargs), ember.nn.InstanceNorm3d(5, **kwargs)
        assert repr(e_layer) == repr(t_layer)
        assert list(e_layer.state_dict()) == list(t_layer.state_dict())
        e_layer.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_layer.state_dict().items()})


POOL3D = {
    "max": (lambda lib: lib.nn.MaxPool3d(2), (2, 3, 4, 5, 4)),
    "max_stride_padding": (lambda lib: lib.nn.MaxPool3d((3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0)),
                           (1, 2, 5, 4, 6)),
    "max_dilation": (lambda lib: lib.nn.MaxPool3d(2, stride=1, dilation=(2, 1, 2)), (2, 2, 4, 3, 5)),
    "max_ceil": (lambda lib: lib.nn.MaxPool3d(2, ceil_mode=True), (1, 2, 5, 3, 5)),
    "max_ceil_padding": (lambda lib: lib.nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), (2, 1, 6, 5, 4)),
    "max_unbatched": (lambda lib: lib.nn.MaxPool3d((1, 2, 2)), (3, 2, 4, 4)),
    "avg": (lambda lib: lib.nn.AvgPool3d(2), (2, 3, 4, 5, 4)),
    "avg_stride_padding": (lambda lib: lib.nn.AvgPool3d((3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0)),
                           (1, 2, 5, 4, 6)),
    "avg_exclude_pad": (lambda lib: lib.nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False), (2, 2, 5, 4, 6)),
    "avg_ceil": (lambda lib: lib.nn.AvgPool3d(2, ceil_mode=True), (1, 2, 5, 3, 5)),
    "avg_ceil_padding": (lambda lib: lib.nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True), (2, 1, 6, 5, 4)),
    "avg_ceil_exclude": (lambda lib: lib.nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True,
                                                      count_include_pad=False), (1, 2, 6, 5, 4)),
    "avg_divisor": (lambda lib: lib.nn.AvgPool3d(2, stride=1, padding=1, divisor_override=3), (1, 2, 3, 4, 3)),
    "avg_unbatched": (lambda lib: lib.nn.AvgPool3d((1, 2, 2)), (3, 2, 4, 4)),
}


@pytest.mark.parametrize("name", POOL3D)
def test_pool3d_layers_match_torch(name):
    make, shape = POOL3D[name]
    check_module_parity(make, [sample(shape)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pool3d_functions_match_torch_on_random_shapes(dtype):
    rng = np.random.default_rng(310)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for case in range(20):
        k = tuple(int(v) for v in rng.integers(1, 4, 3))
        stride = tuple(int(v) for v in rng.integers(1, 4, 3))
        dilation = tuple(int(v) for v in rng.choice([1, 1, 2], 3))
        padding = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        ceil_mode, include = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
        size = [int(rng.integers(d * (kk - 1) + 1, 7)) for kk, d in zip(k, dilation)]
        x = rng.normal(size=(int(rng.integers(1, 3)), 2, *size))
        for fn, kwargs in (("max_pool3d", dict(dilation=dilation, ceil_mode=ceil_mode)),
                           ("avg_pool3d", dict(ceil_mode=ceil_mode, count_include_pad=include))):
            if fn == "avg_pool3d":
                size = [int(rng.integers(kk, 7)) for kk in k]
                x = rng.normal(size=(1, 2, *size))
            results = []
            for lib in (torch, ember):
                xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
                y = getattr(lib.nn.functional, fn)(xt, k, stride, padding, **kwargs)
                y.backward(lib.tensor(np.random.default_rng(case).normal(size=tuple(y.shape)),
                                      dtype=getattr(lib, dtype)))
                results.append((y, xt.grad))
            for got, want in zip(*results[::-1]):
                assert got.dtype.name == dtype
                np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=tol, atol=tol,
                                           err_msg=f"{fn} {k} {stride} {padding} {kwargs}")


def test_max_pool3d_ties_and_nans_pick_torchs_element():
    x = np.zeros((1, 1, 4, 4, 4))  # every window all ties
    x[0, 0, 1, 1, 1] = x[0, 0, 0, 2, 3] = x[0, 0, 1, 0, 2] = 5.0  # ties of a larger value across depth and rows
    x[0, 0, 2:, 2:, :2] = np.nan
    x[0, 0, 3, 3, 0] = 7.0
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=(2, 4, 4))):
        results = []
        for lib in (torch, ember):
            xt = lib.tensor(x, requires_grad=True)
            y, indices = lib.nn.functional.max_pool3d(xt, return_indices=True, **kwargs)
            y.backward(lib.ones_like(y))
            results.append((y, xt.grad, indices))
        for got, want in zip(*results[::-1]):
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy(), err_msg=str(kwargs))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=(3, 2, 2), stride=(1, 2, 1), padding=1,
                                                              dilation=(1, 2, 1), ceil_mode=True)])
def test_max_pool3d_return_indices_match_torch(kwargs):
    x = sample((2, 3, 5, 6, 4))
    for unbatched in (False, True):
        got = ember.nn.MaxPool3d(return_indices=True, **kwargs)(ember.tensor(x[0] if unbatched else x))
        want = torch.nn.MaxPool3d(return_indices=True, **kwargs)(torch.tensor(x[0] if unbatched else x))
        assert_same(got[0], want[0])
        assert got[1].dtype == ember.int64
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())


def test_pool3d_of_an_empty_batch_is_empty_as_torch():
    for fn in ("max_pool3d", "avg_pool3d", "adaptive_avg_pool3d"):
        got = getattr(ember.nn.functional, fn)(ember.randn(0, 3, 4, 4, 4), 2)
        assert tuple(got.shape) == tuple(getattr(torch.nn.functional, fn)(torch.randn(0, 3, 4, 4, 4), 2).shape)


def test_pool3d_one_element_tuples_mean_every_dim_as_torch():
    x = sample((1, 2, 4, 3, 5))
    for fn in ("max_pool3d", "avg_pool3d"):
        assert_same(getattr(ember.nn.functional, fn)(ember.tensor(x), (2,), (1,), (1,)),
                    getattr(torch.nn.functional, fn)(torch.tensor(x), (2,), (1,), (1,)))


def test_pool3d_gradcheck():
    x = ember.tensor(sample((1, 2, 4, 3, 5)), requires_grad=True)
    F = ember.nn.functional
    assert ember.autograd.gradcheck(lambda x: F.max_pool3d(x, 2, stride=1, padding=1, dilation=(1, 2, 1)), [x])
    assert ember.autograd.gradcheck(lambda x: F.avg_pool3d(x, 3, stride=2, padding=1, ceil_mode=True,
                                                           count_include_pad=False), [x])
    assert ember.autograd.gradcheck(lambda x: F.avg_pool3d(x, 2, divisor_override=5), [x])


POOL3D_ERRORS = {
    "max rank": lambda lib: lib.nn.functional.max_pool3d(lib.randn(2, 3, 4), 2),
    "max rank 6": lambda lib: lib.nn.MaxPool3d(2)(lib.randn(1, 2, 3, 3, 3, 3)),
    "max too small": lambda lib: lib.nn.functional.max_pool3d(lib.randn(1, 1, 1, 4, 4), 2),
    "max padding": lambda lib: lib.nn.functional.max_pool3d(lib.randn(1, 1, 4, 4, 4), 2, padding=(0, 2, 0)),
    "max stride 0": lambda lib: lib.nn.functional.max_pool3d(lib.randn(1, 1, 4, 4, 4), 2, stride=0),
    "max kernel pair": lambda lib: lib.nn.functional.max_pool3d(lib.randn(1, 1, 4, 4, 4), (2, 2)),
    "avg rank": lambda lib: lib.nn.functional.avg_pool3d(lib.randn(2, 3, 4), 2),
    "avg too small": lambda lib: lib.nn.functional.avg_pool3d(lib.randn(1, 1, 4, 1, 4), 2),
    "avg padding": lambda lib: lib.nn.functional.avg_pool3d(lib.randn(1, 1, 4, 4, 4), 2, padding=(2, 0, 0)),
    "avg kernel four": lambda lib: lib.nn.functional.avg_pool3d(lib.randn(1, 1, 4, 4, 4), (2, 2, 2, 2)),
}


@pytest.mark.parametrize("name", POOL3D_ERRORS)
def test_pool3d_errors_are_torchs_types(name):
    with pytest.raises(Exception) as expected:
        POOL3D_ERRORS[name](torch)
    with pytest.raises(expected.type):
        POOL3D_ERRORS[name](ember)


def test_pool3d_error_messages_are_torchs():
    x = np.ones((1, 1, 4, 4, 4))
    for fn in (lambda lib: lib.nn.functional.max_pool3d(lib.tensor(x), (2, 2)),
               lambda lib: lib.nn.functional.max_pool3d(lib.tensor(x), 2, (1, 1)),
               lambda lib: lib.nn.functional.max_pool3d(lib.tensor(x), 2, 1, (1, 1)),
               lambda lib: lib.nn.functional.max_pool3d(lib.tensor(x), 2, 1, 1, (1, 1)),
               lambda lib: lib.nn.functional.avg_pool3d(lib.tensor(x), (2, 2)),
               lambda lib: lib.nn.functional.avg_pool3d(lib.tensor(x), 2, (1, 1)),
               lambda lib: lib.nn.functional.avg_pool3d(lib.tensor(x), 2, 1, (1, 1)),
               lambda lib: lib.nn.functional.avg_pool3d(lib.randn(1, 1, 4, 1, 4), 2),
               lambda lib: lib.nn.functional.max_pool3d(lib.randn(1, 0, 4, 4, 4), 2),
               lambda lib: lib.nn.functional.max_pool3d(lib.randn(3, 4, 0, 4), 1),
               lambda lib: lib.nn.functional.avg_pool3d(lib.randn(2, 3, 4, 0, 4), 2)):
        with pytest.raises(RuntimeError) as expected:
            fn(torch)
        with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
            fn(ember)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=2, divisor_override=3),
                                    dict(kernel_size=(2, 3, 2), stride=1, padding=1),
                                    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)])
def test_avg_pool3d_of_integers_is_torchs_truncated_mean(kwargs):
    x = np.random.default_rng(5).integers(-50, 50, size=(2, 2, 4, 5, 4))
    got = ember.nn.functional.avg_pool3d(ember.tensor(x), **kwargs)
    want = torch.nn.functional.avg_pool3d(torch.tensor(x), **kwargs)
    assert got.dtype == ember.int64
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("make", [lambda lib: lib.nn.MaxPool3d(2), lambda lib: lib.nn.MaxPool3d(
    (1, 2, 3), stride=2, padding=(0, 1, 1), dilation=2, return_indices=True, ceil_mode=True),
    lambda lib: lib.nn.AvgPool3d(3), lambda lib: lib.nn.AvgPool3d(
        (2, 3, 2), stride=1, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=2)])
def test_pool3d_repr_matches_torch(make):
    assert repr(make(ember)) == repr(make(torch))
    assert list(make(ember).state_dict()) == []


ADAPTIVE3D = {
    "down": (lambda lib: lib.nn.AdaptiveAvgPool3d((2, 3, 2)), (2, 3, 5, 7, 4)),
    "uneven": (lambda lib: lib.nn.AdaptiveAvgPool3d(3), (1, 2, 7, 5, 8)),
    "up": (lambda lib: lib.nn.AdaptiveAvgPool3d((5, 4, 6)), (1, 2, 3, 2, 4)),
    "none": (lambda lib: lib.nn.AdaptiveAvgPool3d((None, 2, None)), (2, 2, 3, 5, 4)),
    "one": (lambda lib: lib.nn.AdaptiveAvgPool3d(1), (2, 3, 4, 3, 5)),
    "unbatched": (lambda lib: lib.nn.AdaptiveAvgPool3d((2, 1, 3)), (3, 5, 4, 7)),
}


@pytest.mark.parametrize("name", ADAPTIVE3D)
def test_adaptive_avg_pool3d_layers_match_torch(name):
    make, shape = ADAPTIVE3D[name]
    check_module_parity(make, [sample(shape)])
    assert repr(make(ember)) == repr(make(torch))


def test_adaptive_avg_pool3d_float32_and_gradcheck():
    x = sample((2, 2, 5, 3, 4))
    got = ember.nn.functional.adaptive_avg_pool3d(ember.tensor(x, dtype=ember.float32), (3, 2, 3))
    want = torch.nn.functional.adaptive_avg_pool3d(torch.tensor(x, dtype=torch.float32), (3, 2, 3))
    assert got.dtype == ember.float32
    assert_same(got, want, atol=1e-6, rtol=1e-6)
    xt = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: ember.nn.functional.adaptive_avg_pool3d(x, (3, 2, 3)), [xt])


ADAPTIVE3D_ERRORS = {
    "rank": lambda lib: lib.nn.functional.adaptive_avg_pool3d(lib.randn(2, 3, 4), 2),
    "rank 6": lambda lib: lib.nn.AdaptiveAvgPool3d(2)(lib.randn(1, 1, 2, 2, 2, 2)),
    "two sizes": lambda lib: lib.nn.functional.adaptive_avg_pool3d(lib.randn(1, 1, 4, 4, 4), (2, 2)),
    "integer": lambda lib: lib.nn.functional.adaptive_avg_pool3d(lib.ones(1, 1, 2, 2, 2, dtype=lib.int64), 1),
}


@pytest.mark.parametrize("name", ADAPTIVE3D_ERRORS)
def test_adaptive_avg_pool3d_errors_are_torchs(name):
    with pytest.raises(Exception) as expected:
        ADAPTIVE3D_ERRORS[name](torch)
    with pytest.raises(expected.type) as got:
        ADAPTIVE3D_ERRORS[name](ember)
    assert str(got.value) == str(expected.value)
