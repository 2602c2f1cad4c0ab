"""Batch, layer and group norm as one node each (torch's NativeBatchNormBackward0, NativeLayerNormBackward0,
NativeGroupNormBackward0):
values, gradients of input, weight and bias, and running statistics against torch; finite differences and
second derivatives."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same

RNG = np.random.default_rng(11)
F_CASES = {
    "batch_norm-2d-train": ((6, 3), lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=True)),
    "batch_norm-3d-train": ((4, 3, 5), lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, True, 0.3, 1e-3)),
    "batch_norm-4d-train": ((2, 3, 2, 3), lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=True)),
    "batch_norm-train-no-affine": ((5, 3, 2), lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, training=True)),
    "batch_norm-train-no-running": ((5, 3), lambda F, x, w, b, rm, rv: F.batch_norm(x, None, None, w, b, True)),
    "batch_norm-eval": ((4, 3, 5), lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=False)),
    "batch_norm-eval-no-affine": ((2, 3, 2, 2), lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv)),
    "layer_norm-last": ((4, 3), lambda F, x, w, b, rm, rv: F.layer_norm(x, (3,), w, b)),
    "layer_norm-3d": ((2, 4, 3), lambda F, x, w, b, rm, rv: F.layer_norm(x, (3,), w, b, 1e-3)),
    "layer_norm-two-dims": ((2, 3, 4), lambda F, x, w, b, rm, rv: F.layer_norm(x, (3, 4), _grid(w), _grid(b))),
    "layer_norm-whole": ((3,), lambda F, x, w, b, rm, rv: F.layer_norm(x, (3,), w, b)),
    "layer_norm-no-affine": ((2, 5, 3), lambda F, x, w, b, rm, rv: F.layer_norm(x, (5, 3))),
    "layer_norm-weight-only": ((4, 3), lambda F, x, w, b, rm, rv: F.layer_norm(x, (3,), w)),
    "instance_norm": ((2, 3, 4), lambda F, x, w, b, rm, rv: F.instance_norm(x, rm, rv, w, b)),
    "instance_norm-running": ((2, 3, 4), lambda F, x, w, b, rm, rv: F.instance_norm(x, rm, rv, w, b,
                                                                                    use_input_stats=False)),
    "group_norm-one-group": ((2, 3, 4), lambda F, x, w, b, rm, rv: F.group_norm(x, 1, w, b)),
    "group_norm-per-channel": ((2, 3, 2, 2), lambda F, x, w, b, rm, rv: F.group_norm(x, 3, w, b, 1e-3)),
    "group_norm-2d": ((4, 3), lambda F, x, w, b, rm, rv: F.group_norm(x, 1, w, b)),
    "group_norm-no-affine": ((2, 3, 5), lambda F, x, w, b, rm, rv: F.group_norm(x, 1)),
}


def _grid(p):
    """A (3, 4) parameter made from a (3,) one (differentiably, so its gradient reaches the leaf)."""
    return p.reshape(3, 1).expand(3, 4) * 1.0


def _run(lib, case, dtype, arrays):
    shape, fn = F_CASES[case]
    x, w, b, rm, rv = (lib.tensor(a.astype(dtype), requires_grad=i < 3) for i, a in enumerate(arrays))
    out = fn(lib.nn.functional, x, w, b, rm, rv)
    return out, (x, w, b), (rm, rv)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(F_CASES))
def test_norm_matches_torch(case, dtype):
    shape = F_CASES[case][0]
    arrays = [RNG.normal(size=shape) * 2 + 0.5, RNG.uniform(0.5, 1.5, 3), RNG.normal(size=3),
              RNG.normal(size=3), RNG.uniform(0.5, 2, 3)]
    seed = RNG.normal(size=shape)
    tol = dict(atol=1e-9, rtol=1e-7) if dtype == np.float64 else dict(atol=1e-5, rtol=1e-4)
    results = {}
    for lib in (ember, torch):
        out, leaves, stats = _run(lib, case, dtype, arrays)
        out.backward(lib.tensor(seed.astype(dtype)))
        results[lib] = out, leaves, stats
    (e_out, e_leaves, e_stats), (t_out, t_leaves, t_stats) = results[ember], results[torch]
    assert e_out.grad_fn.name() == t_out.grad_fn.name()
    assert_same(e_out, t_out, **tol)
    for name, e, t in zip(("input", "weight", "bias"), e_leaves, t_leaves):
        if t.grad is None:
            assert e.grad is None, name
        else:
            assert_same(e.grad, t.grad, what=f"{name} gradient", **tol)
    for name, e, t in zip(("running_mean", "running_var"), e_stats, t_stats):
        assert_same(e, t, what=name, **tol)


@pytest.mark.parametrize("case", sorted(F_CASES))
def test_norm_gradcheck_and_gradgradcheck(case):
    shape, fn = F_CASES[case]
    x = ember.tensor(RNG.normal(size=shape), requires_grad=True)
    w = ember.tensor(RNG.uniform(0.5, 1.5, 3), requires_grad=True)
    b = ember.tensor(RNG.normal(size=3), requires_grad=True)
    rm, rv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    f = lambda x, w, b: fn(ember.nn.functional, x, w, b, rm.clone(), rv.clone())  # noqa: E731
    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


@pytest.mark.parametrize("make", [lambda nn: nn.BatchNorm1d(3), lambda nn: nn.BatchNorm2d(3),
                                  lambda nn: nn.LayerNorm(4), lambda nn: nn.LayerNorm((3, 4), bias=False),
                                  lambda nn: nn.GroupNorm(1, 3)],
                         ids=["bn1d", "bn2d", "ln", "ln-no-bias", "gn"])
def test_norm_layers_are_one_node_over_the_parameters(make):
    x = RNG.normal(size=(2, 3, 4, 4) if "2d" in repr(make(torch.nn)) else (5, 3, 4))
    names = []
    for lib in (ember, torch):
        out = make(lib.nn)(lib.tensor(x, dtype=lib.float32, requires_grad=True))
        names.append([out.grad_fn.name()] + [f.name().split("::")[-1] for f, _ in out.grad_fn.next_functions
                                             if f is not None])
    assert names[0] == names[1]


@pytest.mark.parametrize("call", [
    lambda F, t: F.group_norm(t.randn(2, 6, 3), 2, t.ones(4)),
    lambda F, t: F.group_norm(t.randn(2, 6, 3), 2, None, t.ones(4)),
    lambda F, t: F.batch_norm(t.randn(2, 6, 3), None, None, t.ones(4), training=True),
    lambda F, t: F.batch_norm(t.randn(2, 6, 3), None, None, None, t.ones(4), training=True),
    lambda F, t: F.batch_norm(t.randn(2, 6, 3), t.zeros(4), t.ones(4)),
    lambda F, t: F.layer_norm(t.randn(2, 6, 3), (3,), t.ones(4)),
    lambda F, t: F.layer_norm(t.randn(2, 6, 3), (3,), None, t.ones(4)),
    lambda F, t: F.instance_norm(t.randn(2, 6, 3), weight=t.ones(4)),
], ids=["gn-weight", "gn-bias", "bn-weight", "bn-bias", "bn-running", "ln-weight", "ln-bias", "in-weight"])
def test_parameters_of_the_wrong_size_are_refused_as_torch_refuses_them(call):
    errors = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as error:
            call(lib.nn.functional, lib)
        errors.append(error.value)
    assert type(errors[0]) is type(errors[1]) and str(errors[0]).split(" of shape")[0] == str(errors[1]).split(
        " of shape")[0]


EMPTY_CASES = {
    "instance_norm-empty-batch": ((0, 3, 4), lambda F, t, x, rm, rv: F.instance_norm(x, rm, rv)),
    "instance_norm-2d-empty-batch": ((0, 3, 4, 4), lambda F, t, x, rm, rv: F.instance_norm(x)),
    "instance_norm-no-channels": ((2, 0, 4), lambda F, t, x, rm, rv: F.instance_norm(x)),
    "instance_norm-no-positions": ((2, 3, 0), lambda F, t, x, rm, rv: F.instance_norm(x, rm, rv)),
    "instance_norm-module-eval": ((0, 3, 4), lambda F, t, x, rm, rv: t.nn.InstanceNorm1d(
        3, track_running_stats=True).eval()(x)),
    "instance_norm-module": ((0, 3, 4, 2), lambda F, t, x, rm, rv: t.nn.InstanceNorm2d(3)(x)),
    "batch_norm-empty-batch": ((0, 3), lambda F, t, x, rm, rv: F.batch_norm(x, rm, rv, training=True)),
    "batch_norm-3d-empty-batch": ((0, 3, 4), lambda F, t, x, rm, rv: F.batch_norm(
        x, rm, rv, t.ones(3, requires_grad=True), t.zeros(3), training=True)),
    "batch_norm-no-positions": ((2, 3, 0), lambda F, t, x, rm, rv: F.batch_norm(x, rm, rv, training=True)),
    "batch_norm-no-channels": ((2, 0, 4), lambda F, t, x, rm, rv: F.batch_norm(x, None, None, training=True)),
    "batch_norm-module": ((0, 3), lambda F, t, x, rm, rv: t.nn.BatchNorm1d(3)(x)),
    "group_norm-empty-batch": ((0, 4, 3), lambda F, t, x, rm, rv: F.group_norm(x, 2)),
    "layer_norm-empty-batch": ((0, 4), lambda F, t, x, rm, rv: F.layer_norm(x, (4,))),
    "rms_norm-empty-batch": ((0, 4), lambda F, t, x, rm, rv: F.rms_norm(x, (4,))),
    "local_response_norm-empty-batch": ((0, 4, 3), lambda F, t, x, rm, rv: F.local_response_norm(x, 2)),
}


@pytest.mark.parametrize("case", EMPTY_CASES)
def test_norms_of_empty_input_are_empty_as_torch_s(case):
    """torch normalises an empty batch (or no channels, or no positions) to an empty output, its running statistics
    untouched by batch norm and the mean over no samples (nan) for instance norm."""
    shape, call = EMPTY_CASES[case]
    results = []
    for lib in (ember, torch):
        x = lib.zeros(shape, requires_grad=True)
        rm, rv = lib.zeros(3) + 0.5, lib.ones(3) * 2
        with np.errstate(all="ignore"):
            out = call(lib.nn.functional, lib, x, rm, rv)
            out.sum().backward()
        results.append((out, x.grad, rm, rv))
    (out, grad, rm, rv), (t_out, t_grad, t_rm, t_rv) = results
    assert tuple(out.shape) == tuple(t_out.shape) and tuple(grad.shape) == tuple(t_grad.shape)
    assert_same(rm, t_rm)
    assert_same(rv, t_rv)


@pytest.mark.parametrize("call", [
    lambda F, t: F.instance_norm(t.randn(2, 3, 1)),
    lambda F, t: F.instance_norm(t.randn(2, 3, 1, 1)),
    lambda F, t: F.batch_norm(t.randn(1, 0), None, None, training=True),
    lambda F, t: F.batch_norm(t.randn(1, 3, 1), None, None, training=True),
], ids=["in-one-position", "in-2d-one-position", "bn-no-channels-one-value", "bn-one-value"])
def test_one_value_to_normalise_over_is_refused_as_torch_refuses_it(call):
    errors = []
    for lib in (ember, torch):
        with pytest.raises(ValueError) as error:
            call(lib.nn.functional, lib)
        errors.append(str(error.value).split(" got input size")[0])
    assert errors[0] == errors[1]
