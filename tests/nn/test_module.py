"""Module behaviour as in PyTorch: registration, names, state_dict, strict loading, train/eval, printing."""
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same


def _net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Dropout(0.1))
            self.norm = lib.nn.BatchNorm1d(8)
            self.heads = lib.nn.ModuleList([lib.nn.Linear(8, 2), lib.nn.Linear(8, 3)])
            self.extra = lib.nn.ModuleDict({"scale": lib.nn.Linear(2, 2, bias=False)})
            self.temperature = lib.nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)
            self.shared = self.heads[0]  # the same module twice: named once
            self.plain_list = [lib.nn.Linear(1, 1)]  # a plain list hides its modules, as in PyTorch

        def forward(self, x):
            h = self.norm(self.features(x))
            return self.extra["scale"](self.heads[0](h)) * self.temperature, self.heads[1](h)
    return Net()


def test_names_and_counts_match_torch():
    e, t = _net(ember), _net(torch)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert len(list(e.parameters())) == len(list(t.parameters())) == 10


def test_repr_matches_torch():
    assert repr(_net(ember)) == repr(_net(torch))
    for make in (lambda lib: lib.nn.Linear(3, 4, bias=False), lambda lib: lib.nn.Softmax(dim=1),
                 lambda lib: lib.nn.Embedding(10, 3, padding_idx=1), lambda lib: lib.nn.LayerNorm(5), lambda lib: lib.nn.LayerNorm(5, elementwise_affine=False),
                 lambda lib: lib.nn.BatchNorm1d(4, bias=False),
                 lambda lib: lib.nn.BatchNorm1d(4), lambda lib: lib.nn.CrossEntropyLoss(), lambda lib: lib.nn.ELU(),
                 lambda lib: lib.nn.GELU(), lambda lib: lib.nn.Flatten(), lambda lib: lib.nn.ReLU(inplace=True)):
        assert repr(make(ember)) == repr(make(torch))


def test_state_dict_round_trip_and_memory_sharing():
    a, b = _net(ember), _net(ember)
    b.load_state_dict(a.state_dict())
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ember.equal(pa, pb), name
    state = a.state_dict()
    state["heads.1.bias"][0] = 42.0  # state_dict tensors share memory with the module
    assert a.heads[1].bias[0].item() == 42.0
    assert not state["heads.1.bias"].requires_grad


def test_strict_loading_names_the_problem_keys():
    net = _net(ember)
    state = net.state_dict()
    state["surprise"] = ember.zeros(1)
    del state["norm.running_mean"]
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    assert 'Missing key(s) in state_dict: "norm.running_mean"' in str(error.value)
    assert 'Unexpected key(s) in state_dict: "surprise"' in str(error.value)
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["norm.running_mean"] and result.unexpected_keys == ["surprise"]
    state = net.state_dict()
    state["heads.0.weight"] = ember.zeros(3, 3)
    with pytest.raises(RuntimeError, match="size mismatch for heads.0.weight"):
        net.load_state_dict(state)


def test_train_eval_switches_every_submodule():
    net = _net(ember)
    assert net.training and net.features[2].training
    net.eval()
    assert not any(m.training for m in net.modules())
    x = ember.randn(5, 4)
    first, _ = net(x)
    again, _ = net(x)
    assert ember.equal(first, again)  # no dropout, running statistics: deterministic
    net.train()
    assert all(m.training for m in net.modules())


def test_unknown_attribute_and_assignment_errors():
    net = _net(ember)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope
    with pytest.raises(TypeError, match="cannot assign"):
        net.temperature = ember.ones(1)  # a plain tensor where a Parameter is registered
    net.temperature = None
    assert "temperature" not in dict(net.named_parameters())

    class Broken(ember.nn.Module):
        def __init__(self):
            self.layer = ember.nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_zero_grad_requires_grad_apply_and_dtype_moves():
    net = ember.nn.Linear(3, 2)
    net(ember.randn(4, 3)).sum().backward()
    assert net.weight.grad is not None
    net.zero_grad()
    assert net.weight.grad is None
    net(ember.randn(4, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.weight.grad.abs().sum().item() == 0.0
    net.requires_grad_(False)
    assert not net.weight.requires_grad
    seen = []
    ember.nn.Sequential(net, ember.nn.ReLU()).apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]
    weight = net.weight
    net.double()
    assert net.weight is weight and net.weight.dtype == ember.float64
    net.to(ember.float32)
    assert net.weight.dtype == ember.float32


def test_sequential_indexing_slicing_and_append():
    seq = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
    assert isinstance(seq[0], ember.nn.Linear) and isinstance(seq[-1], ember.nn.Linear)
    assert len(seq[1:]) == 2 and isinstance(seq[1:], ember.nn.Sequential)
    seq.append(ember.nn.Sigmoid())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    named = ember.nn.Sequential(OrderedDict([("fc", ember.nn.Linear(2, 2)), ("act", ember.nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    with pytest.raises(IndexError):
        seq[10]


def test_parameter_repr_and_identity():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]))).replace("torch.", "ember.")
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert isinstance(p * 2, ember.Tensor) and not isinstance(p * 2, ember.nn.Parameter)


def test_default_initialisation_has_torchs_distribution():
    ember.manual_seed(0)
    layer = ember.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.002
    assert abs(layer.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("name,args", [
    ("xavier_uniform_", ()), ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
    ("kaiming_normal_", (0, "fan_out", "relu")), ("uniform_", (-2.0, 3.0)), ("normal_", (1.0, 0.5)),
])
def test_initialisers_match_torchs_statistics(name, args):
    e = ember.empty(500, 400)
    t = torch.empty(500, 400)
    getattr(ember.nn.init, name)(e, *args)
    getattr(torch.nn.init, name)(t, *args)
    assert abs(e.mean().item() - t.mean().item()) < 0.01
    assert abs(e.std().item() - t.std().item()) < 0.01 * max(1.0, t.std().item())


def test_init_helpers():
    for nonlinearity, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("sigmoid", None),
                                ("linear", None), ("selu", None)]:
        assert math.isclose(ember.nn.init.calculate_gain(nonlinearity, param),
                            torch.nn.init.calculate_gain(nonlinearity, param))
    e = ember.nn.init.constant_(ember.empty(2, 3), 0.5)
    assert e.tolist() == [[0.5] * 3] * 2
    assert_same(ember.nn.init.eye_(ember.empty(2, 3)), torch.nn.init.eye_(torch.empty(2, 3)))
    t = ember.nn.init.trunc_normal_(ember.empty(10000), std=1.0, a=-0.5, b=0.5)
    assert t.min().item() >= -0.5 and t.max().item() <= 0.5
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        ember.nn.init.xavier_uniform_(ember.empty(3))


def test_clip_grad_norm_and_value_match_torch():
    grads = [np.random.default_rng(i).normal(size=(3, 4)) for i in range(2)]
    results = []
    for lib in (ember, torch):
        params = [lib.nn.Parameter(lib.zeros(3, 4, dtype=lib.float64)) for _ in grads]
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g)
        norm = lib.nn.utils.clip_grad_norm_(params, 1.5)
        results.append((norm, [p.grad.clone() for p in params]))
        lib.nn.utils.clip_grad_value_(params, 0.1)
        results.append((None, [p.grad.clone() for p in params]))
    assert abs(results[0][0].item() - results[2][0].item()) < 1e-9
    for a, b in zip(results[0][1] + results[1][1], results[2][1] + results[3][1]):
        assert_same(a, b)
