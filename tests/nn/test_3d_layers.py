"""Layers over (N, C, D, H, W) volumes against torch: values, gradients, running statistics, errors, printing."""
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
