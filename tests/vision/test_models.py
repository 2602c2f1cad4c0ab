"""ember.vision.models against torchvision 0.28's models.

For each family: the same module tree (print(model), state_dict keys, shapes and order, named_modules), the same
parameters and buffers bit for bit after torch.manual_seed(s) / ember.manual_seed(s) (the layers' default
inits and the families' re-initialisations draw the random stream in the same order), the same outputs in eval
and train mode (float32 to rounding; float64 much tighter), gradients through resnet18, and torchvision's
state_dicts loading with strict=True. The weights API (enums, pretrained=, the error without a cached file) is
checked against torchvision's enums.

ember's generator reproduces torch's float rounding and is slow for 100M+ draws, so the largest builders (VGG's
25088x4096 Linear, ResNet-101/152, the wide and 101-layer ResNeXts) are checked for structure with the
initialisers switched off in ember and on torch's meta device; their families' init and forward are checked on
the smaller members (and VGG with its 4096-wide Linears narrowed in both libraries alike).

See test_augment.py for why torchvision needs a stand-in _meta_registrations module."""
import sys
import types
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.vision.models as EM

sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
torchvision = pytest.importorskip("torchvision")
TM = torchvision.models

RNG = np.random.default_rng(7)
X64 = RNG.standard_normal((2, 3, 64, 64)).astype(np.float32)
X32 = RNG.standard_normal((2, 3, 32, 32)).astype(np.float32)


@pytest.fixture(scope="module", autouse=True)
def torch_on_one_thread():
    """torch on one thread: on a small, busy machine its second thread waits on the first at every op (a
    DenseNet forward takes seconds instead of 60 ms)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(name, seed=0, **kwargs):
    """(torchvision's model, ember's) built after the same seed."""
    torch.manual_seed(seed)
    theirs = getattr(TM, name)(**kwargs)
    ember.manual_seed(seed)
    ours = getattr(EM, name)(**kwargs)
    return theirs, ours


def assert_same_tree(theirs, ours):
    assert str(ours) == str(theirs)
    ts, es = theirs.state_dict(), ours.state_dict()
    assert list(es) == list(ts)
    assert [tuple(v.shape) for v in es.values()] == [tuple(v.shape) for v in ts.values()]
    assert [(n, type(m).__name__) for n, m in ours.named_modules()] == \
        [(n, type(m).__name__) for n, m in theirs.named_modules()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def assert_same_values(theirs, ours):
    ts, es = theirs.state_dict(), ours.state_dict()
    for key in ts:
        t, e = ts[key].detach().numpy(), es[key].detach().numpy()
        assert e.dtype == t.dtype, key
        np.testing.assert_array_equal(e, t, err_msg=key)


def outputs(theirs, ours, x, train, seed=1):
    theirs.train(train)
    ours.train(train)
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    a = theirs(torch.from_numpy(x.copy()))
    b = ours(ember.tensor(x.copy()))
    return a.detach().numpy(), b.detach().numpy()


def assert_close(ours, theirs, rtol):
    """Equal to within rtol of the output's scale (rounding differs where the sums run in another order)."""
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    scale = max(np.abs(theirs).max(), 1e-30)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)


def load_from_torch(theirs, ours):
    """torchvision's state_dict, converted through numpy, loaded strictly; afterwards ours equals theirs."""
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert_same_values(theirs, ours)


# ----------------------------------------------------------------------------
# the families, whole: tree, init, forward (eval and train)
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def resnet18_pair():
    return build("resnet18")


@pytest.fixture(scope="module")
def resnet50_pair():
    return build("resnet50")


def test_resnet18_tree_init_forward(resnet18_pair):
    theirs, ours = resnet18_pair
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    for train in (False, True):
        a, b = outputs(theirs, ours, X64, train)
        assert_close(b, a, 1e-5)
    # the running statistics moved alike in train mode
    assert_close(ours.layer4[1].bn2.running_var.numpy(), theirs.layer4[1].bn2.running_var.numpy(), 1e-5)
    assert int(ours.bn1.num_batches_tracked) == int(theirs.bn1.num_batches_tracked) == 1


def test_resnet50_tree_init_forward(resnet50_pair):
    theirs, ours = resnet50_pair
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    a, b = outputs(theirs, ours, X64[:1], train=False)
    assert_close(b, a, 1e-5)
    # train mode: batch norm over layer4's 2x2 maps (8 values a channel) magnifies float32 rounding
    a, b = outputs(theirs, ours, X64, train=True)
    assert_close(b, a, 3e-4)


def test_resnet18_float64_and_gradients(resnet18_pair):
    theirs, ours = resnet18_pair
    load_from_torch(theirs, ours)  # the first test's train step moved the running stats alike; start level
    theirs, ours = theirs.double(), ours.double()
    try:
        x = RNG.standard_normal((2, 3, 32, 32))
        for train in (False,):
            a, b = outputs(theirs, ours, x, train)
            assert_close(b, a, 1e-10)
        theirs.train()
        ours.train()
        xt = torch.from_numpy(x.copy()).requires_grad_()
        xe = ember.tensor(x.copy(), requires_grad=True)
        target = np.arange(2) * 7
        torch.nn.functional.cross_entropy(theirs(xt), torch.from_numpy(target)).backward()
        ember.nn.functional.cross_entropy(ours(xe), ember.tensor(target)).backward()
        assert_close(xe.grad.numpy(), xt.grad.numpy(), 1e-9)
        tp, ep = dict(theirs.named_parameters()), dict(ours.named_parameters())
        for name in tp:
            assert_close(ep[name].grad.numpy(), tp[name].grad.numpy(), 1e-8)
    finally:
        theirs.float()
        ours.float()
        theirs.zero_grad()
        ours.zero_grad()


def test_resnet18_float32_gradients(resnet18_pair):
    theirs, ours = resnet18_pair
    load_from_torch(theirs, ours)
    theirs.train()
    ours.train()
    xt = torch.from_numpy(X64.copy())  # 64x64: layer4's batch norms see 2x2 maps (at 1x1 float32 is too unstable)
    xe = ember.tensor(X64.copy())
    theirs(xt).square().mean().backward()
    ours(xe).square().mean().backward()
    tp, ep = dict(theirs.named_parameters()), dict(ours.named_parameters())
    for name in tp:
        assert_close(ep[name].grad.numpy(), tp[name].grad.numpy(), 1e-4)
    theirs.zero_grad()
    ours.zero_grad()


def test_state_dicts_load_both_ways(resnet18_pair):
    theirs, ours = resnet18_pair
    torch.manual_seed(3)
    other = TM.resnet18()
    load_from_torch(other, ours)
    # and back: ember's state_dict loads into torchvision's model
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)
    assert_same_values(theirs, ours)
    with pytest.raises(RuntimeError, match="Missing key"):
        ours.load_state_dict({k: v for k, v in ours.state_dict().items() if k != "fc.bias"}, strict=True)


@pytest.mark.parametrize("name, kwargs", [
    ("resnet18", {"num_classes": 10, "zero_init_residual": True}),
    ("alexnet", {"num_classes": 17}),
    ("squeezenet1_0", {}),
    ("squeezenet1_1", {"num_classes": 7}),
    ("mobilenet_v2", {}),
    ("densenet121", {}),
])
def test_family_tree_init_forward(name, kwargs):
    with _Narrow(torch.nn), _Narrow(ember.nn):  # AlexNet's 4096-wide Linears narrowed alike (see _Narrow)
        theirs, ours = build(name, **kwargs)
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    size = 32 if name != "alexnet" else 64  # AlexNet's stride-4 stem needs at least 63 pixels
    x = RNG.standard_normal((2, 3, size, size))
    a, b = outputs(theirs, ours, x.astype(np.float32), train=False)
    assert_close(b, a, 1e-5)
    # train mode (dropout draws from the stream as torch's does). At 32x32 the last batch norms see 1x1 maps, 2
    # values a channel, which magnifies float32 rounding past any useful tolerance: float64 there, or (MobileNetV2,
    # whose depthwise float64 convolutions take torch half a minute) float32 on 64x64
    if name == "mobilenet_v2":
        a, b = outputs(theirs, ours, RNG.standard_normal((2, 3, 64, 64)).astype(np.float32), train=True)
        assert_close(b, a, 1e-4)
    else:
        theirs.double()
        ours.double()
        a, b = outputs(theirs, ours, x, train=True)
        assert_close(b, a, 1e-7)
        theirs.float()
        ours.float()
    load_from_torch(theirs, ours)


@pytest.mark.parametrize("name, kwargs", [
    ("mobilenet_v2", {"width_mult": 0.5, "num_classes": 5}),
    ("mobilenet_v2", {"width_mult": 1.4, "round_nearest": 4}),
    ("resnet34", {}),
])
def test_family_tree_init(name, kwargs):
    theirs, ours = build(name, **kwargs)
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)


@pytest.mark.parametrize("kwargs", [
    {"groups": 32, "width_per_group": 4},                                 # resnext50_32x4d's blocks
    {"width_per_group": 128},                                             # wide_resnet50_2's blocks
    {"replace_stride_with_dilation": [False, True, True]},                # segmentation backbones
    {"zero_init_residual": True, "num_classes": 3},
    {"norm_layer": "groupnorm"},
])
def test_resnet_options(kwargs):
    """The ResNet class itself with one Bottleneck a stage (the larger builders' blocks, small)."""
    kwargs = dict(kwargs)
    tkw, ekw = dict(kwargs), dict(kwargs)
    if kwargs.get("norm_layer") == "groupnorm":
        tkw["norm_layer"] = lambda c: torch.nn.GroupNorm(8, c)
        ekw["norm_layer"] = lambda c: ember.nn.GroupNorm(8, c)
    torch.manual_seed(5)
    theirs = TM.resnet.ResNet(TM.resnet.Bottleneck, [1, 1, 1, 1], **tkw)
    ember.manual_seed(5)
    ours = EM.ResNet(EM.resnet.Bottleneck, [1, 1, 1, 1], **ekw)
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    for train in (False, True):
        a, b = outputs(theirs, ours, X32, train)
        assert_close(b, a, 1e-5 if not train else 3e-4)


def test_resnet_argument_errors():
    with pytest.raises(ValueError, match="replace_stride_with_dilation"):
        EM.ResNet(EM.resnet.BasicBlock, [1, 1, 1, 1], replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        EM.ResNet(EM.resnet.BasicBlock, [1, 1, 1, 1], groups=2)
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported in BasicBlock"):
        EM.ResNet(EM.resnet.BasicBlock, [1, 1, 1, 2], replace_stride_with_dilation=[False, False, True])
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version"):
        EM.SqueezeNet("1_2")
    with pytest.raises(ValueError, match="stride should be 1 or 2"):
        EM.mobilenetv2.InvertedResidual(8, 8, 3, 1)


@pytest.mark.parametrize("kwargs", [{"init_weights": True}, {"aux_logits": False, "transform_input": True,
                                                              "init_weights": True, "num_classes": 10}])
def test_googlenet(kwargs):
    theirs, ours = build("googlenet", **kwargs)
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    x = RNG.standard_normal((2, 3, 64, 64))
    a, b = outputs(theirs, ours, x.astype(np.float32), train=False)
    assert_close(b, a, 1e-5)
    theirs.double()
    ours.double()
    theirs.train()
    ours.train()
    torch.manual_seed(4)
    ember.manual_seed(4)
    a, b = theirs(torch.from_numpy(x)), ours(ember.tensor(x))
    if kwargs.get("aux_logits", True):  # training with the auxiliary classifiers: (logits, aux2, aux1)
        assert type(b).__name__ == "GoogLeNetOutputs" and b._fields == a._fields
    else:
        a, b = [a], [b]
    for t, e in zip(a, b):
        assert_close(e.detach().numpy(), t.detach().numpy(), 1e-7)


def test_googlenet_default_init_warns():
    with pytest.warns(FutureWarning, match="default weight initialization of GoogleNet"):
        EM.googlenet(aux_logits=False)


@pytest.fixture(scope="module")
def inception_pair():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # init_weights left as None: torchvision's warning
        return build("inception_v3", aux_logits=False)


def test_inception_v3(inception_pair):
    theirs, ours = inception_pair
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    x = RNG.standard_normal((2, 3, 80, 80))  # at least 75x75
    a, b = outputs(theirs, ours, x.astype(np.float32), train=False)
    assert_close(b, a, 1e-5)
    theirs.double()
    ours.double()
    try:
        a, b = outputs(theirs, ours, x, train=True)
        assert_close(b, a, 1e-7)
    finally:
        theirs.float()
        ours.float()


def test_inception_v3_aux_logits_and_transform_input():
    """The auxiliary classifier (it needs 17x17 maps: 299x299 inputs) checked alone, and the whole model's
    tree with it and with transform_input."""
    torch.manual_seed(8)
    theirs = TM.inception.InceptionAux(768, 10)
    ember.manual_seed(8)
    ours = EM.inception.InceptionAux(768, 10)
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    x = RNG.standard_normal((2, 768, 17, 17)).astype(np.float32)
    a, b = outputs(theirs, ours, x, train=False)
    assert_close(b, a, 1e-5)
    with pytest.warns(FutureWarning, match="default weight initialization of inception_v3"):
        EM.Inception3(num_classes=3, aux_logits=False)
    ours = EM.Inception3(num_classes=3, transform_input=True, init_weights=False)
    with torch.device("meta"):
        theirs = TM.Inception3(num_classes=3, transform_input=True, init_weights=False)
    assert_same_tree(theirs, ours)
    ours.eval()
    assert tuple(ours(ember.zeros(1, 3, 75, 75)).shape) == (1, 3)
    with pytest.raises(ValueError, match="length of inception_blocks should be 7"):
        EM.Inception3(inception_blocks=[EM.inception.BasicConv2d], init_weights=False)


class _Narrow:
    """Linear(in, 4096) and Linear(4096, out) narrowed to 16 units in a library, keeping the name Linear: VGG's
    classifier made cheap alike in both, so that the whole model can be compared."""

    def __init__(self, nn):
        base = nn.Linear

        class Linear(base):
            def __init__(self, in_features, out_features, *args, **kwargs):
                super().__init__(16 if in_features == 4096 else in_features,
                                 16 if out_features == 4096 else out_features, *args, **kwargs)
        self.nn, self.base, self.narrow = nn, base, Linear

    def __enter__(self):
        self.nn.Linear = self.narrow

    def __exit__(self, *exc):
        self.nn.Linear = self.base


@pytest.mark.parametrize("name", ["vgg11", "vgg13_bn"])
def test_vgg_init_forward_with_narrow_classifier(name):
    with _Narrow(torch.nn), _Narrow(ember.nn):
        theirs, ours = build(name, num_classes=10)
    assert_same_tree(theirs, ours)
    assert_same_values(theirs, ours)
    x = RNG.standard_normal((2, 3, 32, 32)).astype(np.float32)
    for train in (False, True):
        a, b = outputs(theirs, ours, x, train)
        assert_close(b, a, 1e-5 if not train else 1e-4)
    load_from_torch(theirs, ours)


@pytest.fixture
def no_init(monkeypatch):
    """ember's layers and initialisers drawing nothing (the parameters stay uninitialised): builds the largest
    models in moments, for their structure only."""
    nothing = lambda *args, **kwargs: None  # noqa: E731
    monkeypatch.setattr(ember.nn.modules.conv._ConvNd, "reset_parameters", nothing)
    monkeypatch.setattr(ember.nn.Linear, "reset_parameters", nothing)
    for name in ("kaiming_normal_", "kaiming_uniform_", "normal_"):
        monkeypatch.setattr(ember.nn.init, name, nothing)


@pytest.mark.parametrize("name", ["resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
                                  "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2", "vgg11_bn", "vgg16",
                                  "vgg16_bn", "vgg19", "vgg19_bn", "densenet161", "densenet169", "densenet201"])
def test_large_builders_tree(name, no_init):
    with torch.device("meta"):
        theirs = getattr(TM, name)()
    ours = getattr(EM, name)()
    assert_same_tree(theirs, ours)
    assert sum(p.numel() for p in ours.parameters()) == EM.get_model_weights(name).DEFAULT.meta["num_params"]


# ----------------------------------------------------------------------------
# the weights API
# ----------------------------------------------------------------------------
ENUMS = [name for name in dir(EM) if name.endswith("_Weights")]


def test_builders_and_enums_match_torchvision():
    for name in EM.list_models():
        assert name in TM.list_models()
        assert EM.get_model_weights(name).__name__ == TM.get_model_weights(name).__name__
    assert {"resnet18", "resnet50", "vgg16_bn", "alexnet", "mobilenet_v2", "squeezenet1_1",
            "densenet121"} <= set(EM.list_models())
    for name in ENUMS:
        ours, theirs = getattr(EM, name), getattr(TM, name)
        assert list(ours.__members__) == list(theirs.__members__), name
        assert ours.DEFAULT.name == theirs.DEFAULT.name
        for member in ours:
            other = theirs[member.name]
            assert repr(member) == repr(other) and str(member) == str(other)
            assert member.url == other.url
            assert member.meta["num_params"] == other.meta["num_params"]
            assert member.meta["min_size"] == other.meta["min_size"]
            assert repr(member.transforms()) == repr(other.transforms())
    assert EM.get_weight("ResNet50_Weights.IMAGENET1K_V2") is EM.ResNet50_Weights.IMAGENET1K_V2
    assert EM.ResNet18_Weights.verify("DEFAULT") is EM.ResNet18_Weights.IMAGENET1K_V1
    assert isinstance(EM.get_model("squeezenet1_1", num_classes=4), EM.SqueezeNet)


def test_pretrained_weights_say_how_to_load_a_local_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    for call in (lambda: EM.resnet18(weights=EM.ResNet18_Weights.DEFAULT),
                 lambda: EM.resnet18(weights="IMAGENET1K_V1"),
                 lambda: EM.vgg16(weights=EM.VGG16_Weights.IMAGENET1K_V1)):
        with pytest.raises(RuntimeError, match=r"cannot download.*weights=None.*load_state_dict\(torch.load"):
            call()
    with pytest.warns(UserWarning) as caught, pytest.raises(RuntimeError, match="resnet50-0676ba61.pth"):  # pretrained=True is V1, as torchvision
        EM.resnet50(pretrained=True)
    assert "'pretrained' is deprecated" in str(caught[0].message)
    assert "equivalent to passing `weights=ResNet50_Weights.IMAGENET1K_V1`" in str(caught[1].message)
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        model = EM.squeezenet1_1(pretrained=False)
    assert isinstance(model, EM.SqueezeNet)
    with pytest.raises(ValueError, match="num_classes"):
        EM.resnet18(weights=EM.ResNet18_Weights.DEFAULT, num_classes=10)
    with pytest.raises(TypeError, match="expected ResNet18_Weights"):
        EM.resnet18(weights=EM.ResNet34_Weights.DEFAULT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EM.squeezenet1_1(weights=None)


def test_pretrained_weights_from_the_hub_cache(tmp_path, monkeypatch):
    """A checkpoint where torch.hub would have cached it is loaded (read by ember.load's allowlist)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    torch.manual_seed(11)
    theirs = TM.squeezenet1_1()
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(theirs.state_dict(), tmp_path / "hub" / "checkpoints" / "squeezenet1_1-b8a52dc0.pth")
    ours = EM.squeezenet1_1(weights=EM.SqueezeNet1_1_Weights.DEFAULT)
    assert_same_values(theirs, ours)


def test_densenet_legacy_checkpoint_names(tmp_path, monkeypatch):
    """torchvision's published DenseNet files name a dense layer's modules norm.1, conv.2, ...: renamed on load."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ember.manual_seed(2)
    source = EM.densenet121()
    state = {}
    for key, value in source.state_dict().items():
        for part in ("norm1", "norm2", "conv1", "conv2"):
            key = key.replace(f".{part}.", f".{part[:-1]}.{part[-1]}.")
        state[key] = torch.from_numpy(value.numpy().copy())
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(state, tmp_path / "hub" / "checkpoints" / "densenet121-a639ec97.pth")
    loaded = EM.densenet121(weights="DEFAULT")
    for (k, a), (_, b) in zip(source.state_dict().items(), loaded.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_weights_transforms_match_torchvision():
    from PIL import Image
    image = Image.fromarray(RNG.integers(0, 256, (40, 50, 3), dtype=np.uint8))
    ours = EM.ResNet50_Weights.IMAGENET1K_V2.transforms()
    theirs = TM.ResNet50_Weights.IMAGENET1K_V2.transforms()
    ours.crop_size, ours.resize_size = [24], [28]
    theirs.crop_size, theirs.resize_size = [24], [28]
    a, b = theirs(image), ours(image)
    assert tuple(b.shape) == tuple(a.shape) == (3, 24, 24)
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-5)
