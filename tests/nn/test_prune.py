"""nn.utils.prune against torch: the masks chosen (seeded random ones bit for bit), weight_orig / weight_mask /
the pre-hook, gradients through the mask, pruning again (PruningContainer), global pruning, remove, errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401 (torch does not import it with torch.nn.utils)

import ember
from helpers import assert_same

DTYPES = ["float32", "float64"]


class Both:
    """One model built in each library, ember's holding torch's weights; both generators seeded alike."""

    def __init__(self, make, dtype="float32", seed=0):
        torch.manual_seed(seed)
        self.t = make(torch).to(getattr(torch, dtype))
        self.e = make(ember).to(getattr(ember, dtype))
        self.e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in self.t.state_dict().items()})
        torch.manual_seed(seed + 1)
        ember.manual_seed(seed + 1)

    def do(self, f):
        """f(lib, model) in both; returns (ember's result, torch's)."""
        return f(ember, self.e), f(torch, self.t)

    def same_state(self):
        t_state, e_state = self.t.state_dict(), self.e.state_dict()
        assert list(e_state) == list(t_state)
        for key in t_state:
            assert_same(e_state[key], t_state[key], atol=0, rtol=0, what=key)  # (masks and weights: exactly)
        for (name, e), (t_name, t) in zip(self.e.named_modules(), self.t.named_modules()):
            assert name == t_name
            assert [n for n, _ in e.named_parameters(recurse=False)] == \
                [n for n, _ in t.named_parameters(recurse=False)]
            assert [n for n, _ in e.named_buffers(recurse=False)] == [n for n, _ in t.named_buffers(recurse=False)]
            assert [type(h).__name__ for h in e._forward_pre_hooks.values()] == \
                [type(h).__name__ for h in t._forward_pre_hooks.values()]


def lenet(lib):
    nn = lib.nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            F = lib.nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, int(x.nelement() / x.shape[0]))
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return LeNet()


def prune_of(lib):
    return lib.nn.utils.prune


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_pruning_tutorial_like_torch(dtype):
    both = Both(lenet, dtype)
    m = both.do(lambda lib, model: prune_of(lib).random_unstructured(model.conv1, name="weight", amount=0.3))
    assert m[0] is both.e.conv1 and isinstance(m[0].weight, ember.Tensor)
    assert not isinstance(both.e.conv1.weight, ember.nn.Parameter)
    assert [n for n, _ in both.e.conv1.named_parameters()] == ["bias", "weight_orig"]
    both.same_state()
    both.do(lambda lib, model: prune_of(lib).l1_unstructured(model.conv1, name="bias", amount=3))
    both.same_state()
    both.do(lambda lib, model: prune_of(lib).ln_structured(model.conv1, name="weight", amount=0.5, n=2, dim=0))
    both.same_state()
    hooks = [h for h in both.e.conv1._forward_pre_hooks.values() if h._tensor_name == "weight"]
    assert [type(h).__name__ for h in hooks[0]] == ["RandomUnstructured", "LnStructured"]
    assert_same(*both.do(lambda lib, model: model.conv1.weight), atol=0, rtol=0)
    x = np.random.default_rng(0).normal(size=(2, 1, 28, 28)).astype(dtype)
    out = both.do(lambda lib, model: model(lib.tensor(x)))
    assert_same(*out, atol=1e-5)
    for o in out:
        o.pow(2).sum().backward()
    grads = both.do(lambda lib, model: model.conv1.weight_orig.grad)
    assert_same(*grads, atol=1e-5)
    assert (grads[0][both.e.conv1.weight_mask == 0] == 0).all()  # (a pruned entry gets no gradient)
    both.do(lambda lib, model: prune_of(lib).remove(model.conv1, "weight"))
    assert isinstance(both.e.conv1.weight, ember.nn.Parameter)
    both.same_state()
    assert both.do(lambda lib, model: prune_of(lib).is_pruned(model)) == (True, True)
    both.do(lambda lib, model: prune_of(lib).remove(model.conv1, "bias"))
    assert both.do(lambda lib, model: prune_of(lib).is_pruned(model)) == (False, False)
    both.same_state()


@pytest.mark.parametrize("dtype", DTYPES)
def test_pruning_every_layer_and_global_pruning_like_torch(dtype):
    both = Both(lenet, dtype, seed=3)

    def per_layer(lib, model):
        for module in model.modules():
            if isinstance(module, lib.nn.Conv2d):
                prune_of(lib).l1_unstructured(module, name="weight", amount=0.2)
            elif isinstance(module, lib.nn.Linear):
                prune_of(lib).random_unstructured(module, name="weight", amount=0.4)
    both.do(per_layer)
    both.same_state()

    def global_prune(lib, model):
        names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
        prune_of(lib).global_unstructured([(getattr(model, n), "weight") for n in names],
                                          pruning_method=prune_of(lib).L1Unstructured, amount=0.3)
        prune_of(lib).global_unstructured([(model.fc3, "bias"), (model.fc2, "bias")],
                                          pruning_method=prune_of(lib).RandomUnstructured, amount=17)
        return [float((getattr(model, n).weight == 0).sum()) / getattr(model, n).weight.nelement() for n in names]
    sparsity = both.do(global_prune)
    assert sparsity[0] == sparsity[1]
    both.same_state()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("n", [1, 2, 3, float("inf"), float("-inf")])  # ('fro' is refused over 3 dims, in torch too)
def test_structured_pruning_like_torch(dtype, dim, n):
    both = Both(lambda lib: lib.nn.Conv2d(4, 6, 3), dtype, seed=5)
    both.do(lambda lib, m: prune_of(lib).ln_structured(m, "weight", amount=0.34, n=n, dim=dim))
    both.same_state()
    both.do(lambda lib, m: prune_of(lib).random_structured(m, "weight", amount=1, dim=dim))
    both.same_state()
    both.do(lambda lib, m: prune_of(lib).random_structured(m, "weight", amount=0.25, dim=(dim + 1) % 4))
    both.same_state()
    both.do(lambda lib, m: prune_of(lib).random_unstructured(m, "weight", amount=0.5))
    both.same_state()


def test_importance_scores_custom_masks_and_identity_like_torch():
    both = Both(lambda lib: lib.nn.Linear(6, 5), "float64", seed=8)
    scores = np.random.default_rng(1).normal(size=(5, 6))
    both.do(lambda lib, m: prune_of(lib).l1_unstructured(m, "weight", amount=7, importance_scores=lib.tensor(scores)))
    both.same_state()
    both.do(lambda lib, m: prune_of(lib).ln_structured(m, "weight", amount=1, n=1, dim=0,
                                                       importance_scores=lib.tensor(scores)))
    both.same_state()
    mask = (np.arange(5) % 2).astype(np.float64)
    both.do(lambda lib, m: prune_of(lib).custom_from_mask(m, "bias", mask=lib.tensor(mask)))
    both.do(lambda lib, m: prune_of(lib).identity(m, "bias"))
    both.same_state()
    pruned = both.do(lambda lib, m: prune_of(lib).L1Unstructured(amount=0.5).prune(lib.tensor(scores)))
    assert_same(*pruned, atol=0, rtol=0)


def test_a_custom_pruning_method_like_torch():
    def run(lib):
        class FooBarPruningMethod(prune_of(lib).BasePruningMethod):
            """Prune every other entry in a tensor."""
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask
        model = lenet(lib)
        FooBarPruningMethod.apply(model.fc3, "bias")
        FooBarPruningMethod.apply(model.fc3, "bias")  # (again: among the entries still kept)
        return model.fc3.bias_mask, type(model.fc3._forward_pre_hooks[next(iter(model.fc3._forward_pre_hooks))])
    (e_mask, e_hook), (t_mask, t_hook) = run(ember), run(torch)
    assert_same(e_mask, t_mask, atol=0, rtol=0)
    assert e_hook.__name__ == t_hook.__name__ == "PruningContainer"


def test_errors_like_torch():
    def errors(lib):
        P, nn = prune_of(lib), lib.nn
        m = nn.Linear(4, 3)
        out = []
        for case in [lambda: P.random_unstructured(m, "weight", amount=1.5),
                     lambda: P.random_unstructured(m, "weight", amount=-1),
                     lambda: P.random_unstructured(m, "weight", amount="half"),
                     lambda: P.l1_unstructured(m, "weight", amount=13),
                     lambda: P.ln_structured(m, "bias", amount=1, n=2, dim=0),
                     lambda: P.random_structured(m, "weight", amount=1, dim=2),
                     lambda: P.remove(m, "weight"),
                     lambda: P.global_unstructured([(m, "weight")], pruning_method=P.RandomStructured, amount=1),
                     lambda: P.global_unstructured(3, pruning_method=P.L1Unstructured, amount=1),
                     lambda: P.l1_unstructured(m, "weight", amount=1, importance_scores=lib.ones(2))]:
            with pytest.raises(Exception) as info:
                case()
            out.append((type(info.value).__name__, str(info.value).replace("ember.", "torch.")))
        # a failed pruning leaves the module as it was
        out.append([n for n, _ in m.named_parameters()] + [n for n, _ in m.named_buffers()])
        return out
    assert errors(ember) == errors(torch)


def test_global_pruning_takes_a_generator_of_pairs():
    # (torch walks `parameters` three times, so a generator is spent after the first walk; ember lists it once)
    model = lenet(ember)
    ember.nn.utils.prune.global_unstructured(((m, "weight") for m in (model.fc1, model.fc2)),
                                             pruning_method=ember.nn.utils.prune.L1Unstructured, amount=100)
    assert int((model.fc1.weight_mask == 0).sum() + (model.fc2.weight_mask == 0).sum()) == 100
