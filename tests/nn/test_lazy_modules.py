"""The lazy convolutions and norms against torch: printed forms before and after the first forward, the in-size
read from the first input (unbatched too), the same random draws as torch's under one seed (bit for bit), the
class they become, UninitializedBuffer in state_dict, loading a state_dict first, an optimizer made first, the
errors torch raises; and LazyModuleMixin shared by all (LazyLinear included)."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(7)

CONVS = [("LazyConv1d", (4, 3), {}, (2, 6, 9)),
         ("LazyConv1d", (4, 3), {"groups": 2, "bias": False}, (6, 9)),  # (unbatched: channels at dim 0)
         ("LazyConv2d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 7, 7)),
         ("LazyConv2d", (6, (2, 3)), {"groups": 3, "padding_mode": "reflect", "padding": 1}, (3, 6, 6)),
         ("LazyConv3d", (2, 2), {"dilation": 2}, (1, 3, 5, 5, 5)),
         ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 5, 6)),
         ("LazyConvTranspose2d", (4, 2), {"groups": 2}, (2, 6, 4, 4)),
         ("LazyConvTranspose2d", (3, 3), {"bias": False}, (5, 4, 4))]

NORMS = [("LazyBatchNorm1d", {}, (4, 3)), ("LazyBatchNorm1d", {"momentum": None}, (4, 3, 5)),
         ("LazyBatchNorm2d", {"affine": False}, (2, 3, 4, 4)), ("LazyBatchNorm3d", {"bias": False}, (2, 2, 3, 3, 3)),
         ("LazyInstanceNorm1d", {}, (2, 3, 6)), ("LazyInstanceNorm2d", {"track_running_stats": False}, (2, 3, 4, 4)),
         ("LazyInstanceNorm3d", {"affine": False}, (2, 2, 3, 3, 3))]


def _both(name, args, kwargs):
    return getattr(ember.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _assert_same(e, t, exact=True):
    e, t = e.detach().numpy(), t.detach().numpy()
    assert e.shape == t.shape and e.dtype == t.dtype
    if exact:
        np.testing.assert_array_equal(e, t)
    else:
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,args,kwargs,shape", CONVS)
def test_lazy_convolutions_draw_torchs_weights(name, args, kwargs, shape):
    x = RNG.normal(size=shape).astype(np.float32)
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = _both(name, args, kwargs)
    assert repr(e) == repr(t) and e.in_channels == t.in_channels == 0
    assert e.has_uninitialized_params() and t.has_uninitialized_params()
    assert list(e.state_dict()) == list(t.state_dict()) and repr(e.weight) == repr(t.weight)
    assert isinstance(e, ember.nn.modules.lazy.LazyModuleMixin)
    becomes = e.cls_to_become
    out_e, out_t = e(ember.tensor(x)), t(torch.tensor(x))
    assert type(e).__name__ == type(t).__name__ == name[4:] and type(e) is becomes
    assert repr(e) == repr(t) and e.in_channels == t.in_channels
    assert not e._forward_pre_hooks  # (the hook is gone)
    _assert_same(e.weight, t.weight)  # (the same draws, in the same order)
    if t.bias is not None:
        _assert_same(e.bias, t.bias)
    else:
        assert e.bias is None
    _assert_same(out_e, out_t, exact=False)
    assert ember.rand(3).tolist() == torch.rand(3).tolist()  # (and the generators left in the same place)


@pytest.mark.parametrize("name,kwargs,shape", NORMS)
def test_lazy_norms_as_torch(name, kwargs, shape):
    x = RNG.normal(size=shape).astype(np.float32)
    e, t = _both(name, (), kwargs)
    assert repr(e) == repr(t)
    e_state, t_state = e.state_dict(), t.state_dict()
    assert list(e_state) == list(t_state) and [repr(v) for v in e_state.values()] == [repr(v) for v in t_state.values()]
    for _ in range(2):  # (the second call is the eager layer's)
        _assert_same(e(ember.tensor(x)), t(torch.tensor(x)), exact=False)
    assert type(e).__name__ == type(t).__name__ == name[4:] and repr(e) == repr(t)
    e_state, t_state = e.state_dict(), t.state_dict()
    assert list(e_state) == list(t_state)
    for k in t_state:
        _assert_same(e_state[k], t_state[k], exact=False)
        assert type(e_state[k]) is ember.Tensor
    e.eval(), t.eval()
    _assert_same(e(ember.tensor(x)), t(torch.tensor(x)), exact=False)


def test_uninitialized_buffer():
    for lib in (ember, torch):
        b = lib.nn.parameter.UninitializedBuffer()
        assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad and isinstance(b, lib.Tensor)
        assert lib.nn.UninitializedBuffer is lib.nn.parameter.UninitializedBuffer
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
            b.shape
        with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized parameter or buffer"):
            b.share_memory_()
        m = lib.nn.Module()
        m.kept = lib.nn.parameter.UninitializedBuffer()
        m.not_kept = lib.nn.parameter.UninitializedBuffer(persistent=False)
        assert [n for n, _ in m.named_buffers()] == ["kept", "not_kept"] and repr(m.not_kept) == "<UninitializedBuffer>"
        if lib is torch:  # (torch's plain Module cannot save one: its state_dict calls detach on it)
            assert m._non_persistent_buffers_set == {"not_kept"}
        else:  # (ember's lists it as itself, as a lazy module's state_dict does)
            assert list(m.state_dict()) == ["kept"] and repr(m.state_dict()["kept"]) == "<UninitializedBuffer>"
    b = ember.nn.parameter.UninitializedBuffer()  # (torch's own fails here, in its detach: a lazy module's works)
    b.materialize((3,), dtype=ember.float64)
    assert type(b) is ember.Tensor and tuple(b.shape) == (3,) and b.dtype == ember.float64


def test_the_errors_torch_raises():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv1d(4, 3, groups=2)(lib.ones(1, 3, 6))
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, "
                                               r"but got input of size: (torch|ember)\.Size\(\[3, 3\]\)"):
            lib.nn.LazyConv2d(4, 3)(lib.ones(3, 3))
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            lib.nn.LazyBatchNorm1d()(lib.ones(2, 3, 4, 4))
        # an unbatched instance norm input: torch reads dim 1 as the features, then finds dim 0 does not match
        with pytest.raises(ValueError, match=r"expected input's size at dim=0 to match num_features \(5\), but got: 3"):
            lib.nn.LazyInstanceNorm1d()(lib.ones(3, 5))
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in <method 'numel'"):
            sum(p.numel() for p in lib.nn.LazyConv2d(4, 3).parameters())
        with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented for Plain"):
            type("Plain", (lib.nn.modules.lazy.LazyModuleMixin, lib.nn.Linear), {})(2, 3)(lib.ones(3, 2))


@pytest.mark.parametrize("make_optimizer", [lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
                                            lambda lib, p: lib.optim.Adam(p, lr=0.01)], ids=["SGD", "Adam"])
def test_an_optimizer_made_before_the_first_forward_trains_the_model(make_optimizer):
    x = RNG.normal(size=(4, 2, 8, 8)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        nn = lib.nn
        # (no bias before the norm: its gradient is rounding noise, which Adam would blow up to whole steps)
        model = nn.Sequential(nn.LazyConv2d(4, 3, padding=1, bias=False), nn.LazyBatchNorm2d(), nn.ReLU(),
                              nn.LazyConvTranspose2d(2, 2, stride=2), nn.Flatten(), nn.LazyLinear(3))
        optimizer = make_optimizer(lib, model.parameters())
        for _ in range(3):
            optimizer.zero_grad()
            loss = model(lib.tensor(x)).pow(2).mean()
            loss.backward()
            optimizer.step()
        results.append((repr(model).replace(lib.__name__ + ".", ""), model.state_dict(), loss.item()))
    (e_text, e_state, e_loss), (t_text, t_state, t_loss) = results
    assert e_text == t_text and list(e_state) == list(t_state)
    for k in t_state:
        np.testing.assert_allclose(e_state[k].numpy(), t_state[k].numpy(), rtol=2e-4, atol=1e-5, err_msg=k)
    assert e_loss == pytest.approx(t_loss, rel=1e-4)


@pytest.mark.parametrize("name,args,make", [("LazyConv2d", (4, 3), lambda nn: nn.Conv2d(6, 4, 3, groups=2)),
                                            ("LazyConvTranspose1d", (4, 3), lambda nn: nn.ConvTranspose1d(5, 4, 3)),
                                            ("LazyBatchNorm2d", (), lambda nn: nn.BatchNorm2d(3))])
def test_loading_a_state_dict_before_the_first_forward(name, args, make):
    torch.manual_seed(1)
    source = make(torch.nn)
    if name == "LazyBatchNorm2d":
        source(torch.randn(4, 3, 2, 2))  # (running statistics worth loading)
    kwargs = {"groups": 2} if name == "LazyConv2d" else {}
    e, t = _both(name, args, kwargs)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in source.state_dict().items()})
    t.load_state_dict(source.state_dict())
    assert not e.has_uninitialized_params() and type(e).__name__ == name  # (lazy until the first forward, as torch)
    for k, v in t.state_dict().items():
        _assert_same(e.state_dict()[k], v)
    x = RNG.normal(size={"LazyConv2d": (2, 6, 5, 5), "LazyConvTranspose1d": (2, 5, 4),
                         "LazyBatchNorm2d": (2, 3, 2, 2)}[name]).astype(np.float32)
    e.eval(), t.eval()
    _assert_same(e(ember.tensor(x)), t(torch.tensor(x)), exact=False)
    assert type(e).__name__ == type(t).__name__ == name[4:]
    # torch keeps in-size 0 after a load (its layers never read it again); ember's layers check the input
    # against it, so ember takes it from the loaded weight
    assert repr(e).replace(f"({e.weight.shape[1] * 2 if name == 'LazyConv2d' else e.weight.shape[0]},", "(0,") \
        == repr(t)


def test_lazy_linear_rides_the_shared_mixin():
    e = ember.nn.LazyLinear(3)
    assert isinstance(e, ember.nn.modules.lazy.LazyModuleMixin) and e.cls_to_become is ember.nn.Linear
    assert e(ember.ones(2, 5)).shape == (2, 3) and type(e) is ember.nn.Linear and not e._forward_pre_hooks
    assert issubclass(ember.nn.LazyConv2d, ember.nn.modules.lazy.LazyModuleMixin)
    assert issubclass(ember.nn.LazyInstanceNorm3d, ember.nn.modules.lazy.LazyModuleMixin)


def test_batchnorm_reset_parameters_as_torch():
    for lib in (ember, torch):
        bn = lib.nn.BatchNorm1d(3)
        bn(lib.randn(4, 3) * 3 + 1)
        with lib.no_grad():
            bn.weight.mul_(2)
        bn.reset_parameters()
        assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
        assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3 and bn.num_batches_tracked.item() == 0


def test_using_an_uninitialized_parameter_is_torchs_value_error():
    message = "Attempted to use an uninitialized parameter in <method '{}' of 'torch._C.TensorBase' objects>"
    for lib in (ember, torch):
        conv = lib.nn.LazyConv2d(4, 3)
        for name, use in [("add", lambda w: w + 1), ("sum", lambda w: w.sum()), ("dim", lambda w: w.dim()),
                          ("mul", lambda w: w * 2)]:
            with pytest.raises(ValueError, match=message.format(name).replace("(", r"\(").replace(")", r"\)")):
                use(conv.weight)
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in <built-in "
                                             "(function|method) conv2d"):  # (torch's F.conv2d is a method)
            lib.nn.functional.conv2d(lib.ones(1, 2, 5, 5), conv.weight)
        with pytest.raises(ValueError, match="manipulating `torch.nn.parameter.UninitializedBuffer` objects"):
            lib.nn.LazyBatchNorm1d().running_mean.sum()
        # what torch allows: dtype, device, size(), .data, casting and moving with the module
        w = conv.weight
        assert tuple(w.size()) == (0,) and w.data.tolist() == [] and str(w.device) == "cpu"
        assert w.dtype == lib.float32 and w.is_floating_point() and w.requires_grad
        conv.double()
        assert conv.weight.dtype == lib.float64 and repr(conv.weight) == "<UninitializedParameter>"
        conv(lib.ones(1, 2, 5, 5, dtype=lib.float64))
        assert conv.weight.dtype == lib.float64 and conv.weight.sum().item() != 0


def test_copying_and_pickling_a_lazy_model_before_its_first_forward():
    import copy
    import pickle
    model = ember.nn.Sequential(ember.nn.LazyConv1d(3, 2), ember.nn.LazyBatchNorm1d(), ember.nn.LazyLinear(2)).double()
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert repr(other) == repr(model) and other[0].weight is not model[0].weight
        assert [repr(v) for v in other.state_dict().values()] == [repr(v) for v in model.state_dict().values()]
        other(ember.ones(2, 4, 6, dtype=ember.float64))
        assert type(other[1]) is ember.nn.BatchNorm1d and other[0].weight.dtype == ember.float64
        assert other[1].running_mean.dtype == ember.float64
    assert type(model[0].weight) is ember.nn.UninitializedParameter  # (the original still waits)
