"""Layers, activations and losses against torch from the same weights: values and gradients, float64."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_module_parity, check_parity, sample

LAYERS = {
    "linear": (lambda lib: lib.nn.Linear(4, 3), [(5, 4)]),
    "linear_nobias_3d": (lambda lib: lib.nn.Linear(4, 2, bias=False), [(2, 5, 4)]),
    "linear_1d_input": (lambda lib: lib.nn.Linear(4, 3), [(4,)]),
    "bilinear": (lambda lib: lib.nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    "layernorm": (lambda lib: lib.nn.LayerNorm(4), [(3, 4)]),
    "layernorm_2d_shape": (lambda lib: lib.nn.LayerNorm([3, 4]), [(2, 3, 4)]),
    "layernorm_no_affine": (lambda lib: lib.nn.LayerNorm(4, elementwise_affine=False), [(3, 4)]),
    "batchnorm_train": (lambda lib: lib.nn.BatchNorm1d(4), [(6, 4)]),
    "batchnorm_train_3d": (lambda lib: lib.nn.BatchNorm1d(3, momentum=0.3), [(4, 3, 5)]),
    "batchnorm_cumulative": (lambda lib: lib.nn.BatchNorm1d(4, momentum=None), [(6, 4)]),
    "batchnorm_no_affine": (lambda lib: lib.nn.BatchNorm1d(4, affine=False), [(6, 4)]),
    "batchnorm_no_stats": (lambda lib: lib.nn.BatchNorm1d(4, track_running_stats=False), [(6, 4)]),
    "flatten": (lambda lib: lib.nn.Flatten(), [(2, 3, 4)]),
    "unflatten": (lambda lib: lib.nn.Unflatten(1, (2, 2)), [(3, 4)]),
    "identity": (lambda lib: lib.nn.Identity(), [(3,)]),
    "sequential": (lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2),
                                                  lib.nn.Sigmoid()), [(5, 4)]),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_parity_train(name):
    make, shapes = LAYERS[name]
    check_module_parity(make, [sample(s) for s in shapes], train=True)


def test_batchnorm_eval_uses_running_statistics():
    def make(lib):
        return lib.nn.BatchNorm1d(3)
    e_mod, t_mod = check_module_parity(make, [sample((8, 3))], train=True)  # updates running stats
    x = sample((4, 3))
    e_mod.eval(), t_mod.eval()
    assert_same(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))
    assert e_mod.num_batches_tracked.item() == 1


def test_batchnorm_with_batch_of_one_is_an_error():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        ember.nn.BatchNorm1d(3)(ember.randn(1, 3))


@pytest.mark.parametrize("shape, groups", [((1, 2, 1, 1), 2), ((1, 2), 2), ((2, 2, 1), 2), ((1, 4, 1), 2),
                                           ((1, 2), 1)])
def test_group_norm_refuses_one_value_per_group_as_torch(shape, groups):
    """torch checks (N C / groups) x the spatial sizes, in training or not (found by tests/model_fuzz.py, 11:2609)."""
    outcomes = []
    for lib in (ember, torch):
        try:
            lib.nn.functional.group_norm(lib.ones(*shape), groups)
            outcomes.append(None)
        except ValueError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


def test_embedding_with_padding_idx():
    def make(lib):
        return lib.nn.Embedding(10, 3, padding_idx=0)
    idx = np.array([[0, 2, 4], [4, 3, 0]])
    torch.manual_seed(0)
    t_mod = make(torch).double()
    from helpers import copy_module
    e_mod = copy_module(t_mod, make(ember).double())
    assert float(e_mod.weight[0].abs().sum()) == 0.0
    t_out, e_out = t_mod(torch.tensor(idx)), e_mod(ember.tensor(idx))
    assert_same(e_out, t_out)
    seed = np.random.default_rng(1).normal(size=t_out.shape)
    t_out.backward(torch.tensor(seed)), e_out.backward(ember.tensor(seed))
    assert_same(e_mod.weight.grad, t_mod.weight.grad)
    assert float(e_mod.weight.grad[0].abs().sum()) == 0.0


def test_dropout_train_and_eval():
    ember.manual_seed(0)
    drop = ember.nn.Dropout(0.25)
    x = ember.ones(10000)
    y = drop(x)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.75) < 0.02 and np.allclose(y[y != 0].numpy(), 1 / 0.75)
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        ember.nn.Dropout(1.5)


ACTIVATIONS = {
    "sigmoid": lambda lib: lib.nn.Sigmoid(), "tanh": lambda lib: lib.nn.Tanh(), "relu": lambda lib: lib.nn.ReLU(),
    "leaky_relu": lambda lib: lib.nn.LeakyReLU(0.2), "elu": lambda lib: lib.nn.ELU(0.7),
    "gelu": lambda lib: lib.nn.GELU(), "gelu_tanh": lambda lib: lib.nn.GELU(approximate="tanh"),
    "silu": lambda lib: lib.nn.SiLU(), "softplus": lambda lib: lib.nn.Softplus(),
    "softplus_beta": lambda lib: lib.nn.Softplus(beta=2, threshold=5), "softmax": lambda lib: lib.nn.Softmax(dim=1),
    "log_softmax": lambda lib: lib.nn.LogSoftmax(dim=-1), "logsigmoid": lambda lib: lib.nn.LogSigmoid(),
    "hardtanh": lambda lib: lib.nn.Hardtanh(), "relu6": lambda lib: lib.nn.ReLU6(),
}
HARD = np.array([[-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0], [-2.5, -0.5, 0.5, 2.5, 7.0, -7.0, 0.25]])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_parity_including_extremes(name):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check_module_parity(ACTIVATIONS[name], [HARD])
    check_module_parity(ACTIVATIONS[name], [sample((3, 5))])


@pytest.mark.parametrize("name", ["gelu", "softplus", "elu", "silu", "leaky_relu", "logsigmoid"])
def test_activation_gradcheck(name):
    module = ACTIVATIONS[name](ember).double()
    x = ember.tensor(sample((2, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(module, [x])


def _targets(kind, shape, rng=np.random.default_rng(3)):
    if kind == "probabilities":
        return rng.uniform(0.05, 0.95, shape)
    return rng.normal(size=shape)


F_LOSSES = {
    "mse": (lambda lib, a, b: lib.nn.MSELoss()(a, b), "real"),
    "mse_sum": (lambda lib, a, b: lib.nn.MSELoss(reduction="sum")(a, b), "real"),
    "l1": (lambda lib, a, b: lib.nn.L1Loss()(a, b), "real"),
    "l1_none": (lambda lib, a, b: lib.nn.L1Loss(reduction="none")(a, b), "real"),
    "smooth_l1": (lambda lib, a, b: lib.nn.SmoothL1Loss(beta=0.5)(a * 2, b), "real"),
    "huber": (lambda lib, a, b: lib.nn.HuberLoss(delta=0.7)(a * 2, b), "real"),
    "bce": (lambda lib, a, b: lib.nn.BCELoss()(a.sigmoid(), b), "probabilities"),
    "bce_weight_sum": (lambda lib, a, b: lib.nn.BCELoss(weight=lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64),
                                                        reduction="sum")(a.sigmoid(), b), "probabilities"),
    "bce_logits": (lambda lib, a, b: lib.nn.BCEWithLogitsLoss()(a, b), "probabilities"),
    "bce_logits_pos_weight": (lambda lib, a, b: lib.nn.BCEWithLogitsLoss(
        pos_weight=lib.tensor([1.0, 3.0, 0.5], dtype=lib.float64), reduction="none")(a, b), "probabilities"),
    "kl_div_batchmean": (lambda lib, a, b: lib.nn.KLDivLoss(reduction="batchmean")(a.log_softmax(1),
                                                                                   b.softmax(1)), "real"),
    "kl_div_log_target": (lambda lib, a, b: lib.nn.KLDivLoss(reduction="sum", log_target=True)(
        a.log_softmax(1), b.log_softmax(1)), "real"),
    "ce_probabilities": (lambda lib, a, b: lib.nn.CrossEntropyLoss()(a, b.softmax(1)), "real"),
    "ce_probabilities_smoothing": (lambda lib, a, b: lib.nn.CrossEntropyLoss(label_smoothing=0.2)(a, b.softmax(1)),
                                   "real"),
}


@pytest.mark.parametrize("name", F_LOSSES)
def test_loss_parity(name):
    fn, kind = F_LOSSES[name]
    check_parity(fn, [sample((4, 3)), _targets(kind, (4, 3))])


CLASS_LOSSES = {
    "ce": lambda lib, x, t: lib.nn.CrossEntropyLoss()(x, t),
    "ce_weight": lambda lib, x, t: lib.nn.CrossEntropyLoss(weight=lib.tensor([1.0, 2.0, 0.5, 1.5],
                                                                             dtype=lib.float64))(x, t),
    "ce_ignore": lambda lib, x, t: lib.nn.CrossEntropyLoss(ignore_index=2)(x, t),
    "ce_smoothing": lambda lib, x, t: lib.nn.CrossEntropyLoss(label_smoothing=0.1)(x, t),
    "ce_smoothing_weight_ignore": lambda lib, x, t: lib.nn.CrossEntropyLoss(
        weight=lib.tensor([1.0, 2.0, 0.5, 1.5], dtype=lib.float64), ignore_index=1, label_smoothing=0.3)(x, t),
    "ce_sum": lambda lib, x, t: lib.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)(x, t),
    "ce_none": lambda lib, x, t: lib.nn.CrossEntropyLoss(reduction="none")(x, t),
    "nll": lambda lib, x, t: lib.nn.NLLLoss()(x.log_softmax(1), t),
    "nll_weight_none": lambda lib, x, t: lib.nn.NLLLoss(weight=lib.tensor([1.0, 2.0, 0.5, 1.5], dtype=lib.float64),
                                                        reduction="none")(x.log_softmax(1), t),
    "functional_ce": lambda lib, x, t: lib.nn.functional.cross_entropy(x, t),
}


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_class_index_losses(name):
    x = sample((6, 4))
    t = np.array([0, 3, 2, 1, 2, 3])
    check_parity(lambda lib, a: CLASS_LOSSES[name](lib, a, lib.tensor(t)), [x])


def test_cross_entropy_spatial_and_1d():
    check_parity(lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor([[0, 2], [1, 1]])), [sample((2, 3, 2))])
    check_parity(lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor(2)), [sample((3,))])


def test_losses_at_numerically_hard_inputs():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.5]])
    targets = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check_parity(lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(a, b), [logits, targets])
        check_parity(lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor([0, 0])), [logits])
    probabilities = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])
    check_parity(lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a, b), [probabilities, targets])
    check_parity(lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a, b, reduction="none"),
                 [probabilities, targets])


def test_loss_errors_match_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))
        with pytest.raises(IndexError):
            lib.nn.functional.cross_entropy(lib.randn(2, 3), lib.tensor([0, 3]))
        with pytest.raises(ValueError):
            lib.nn.functional.binary_cross_entropy_with_logits(lib.randn(2, 3), lib.rand(2))


def test_fused_cross_entropy_second_derivatives_match_torch():
    """cross_entropy is one node in ember; create_graph must still see through it exactly."""
    from helpers import assert_same
    x = sample((5, 4))
    target = [0, 3, 1, 1, 2]
    results = []
    for lib in (ember, torch):
        t = lib.tensor(x.copy(), requires_grad=True)
        weight = lib.tensor([1.0, 2.0, 0.5, 1.5], dtype=lib.float64)
        loss = lib.nn.functional.cross_entropy(t * t, lib.tensor(target), weight=weight)
        (g,) = lib.autograd.grad(loss, t, create_graph=True)
        (gg,) = lib.autograd.grad((g ** 3).sum(), t)
        results.append((loss, g, gg))
    for e, t in zip(*results):
        assert_same(e, t)
    assert ember.autograd.gradgradcheck(lambda t: ember.nn.functional.cross_entropy(t, ember.tensor(target)),
                                        [ember.tensor(x.copy(), requires_grad=True)])


GRADCHECKED = {
    "linear": (lambda x, w, b: ember.nn.functional.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
    "linear_3d": (lambda x, w: ember.nn.functional.linear(x, w), [(2, 3, 4), (2, 4)]),
    "bce": (lambda p, y: ember.nn.functional.binary_cross_entropy(p.sigmoid(), y.sigmoid()), [(3, 2), (3, 2)]),
    "bce_logits": (lambda x, y: ember.nn.functional.binary_cross_entropy_with_logits(x, y.sigmoid()),
                   [(3, 2), (3, 2)]),
    "nll": (lambda x: ember.nn.functional.nll_loss(x.log_softmax(1), ember.tensor([0, 2, 1])), [(3, 3)]),
    "cross_entropy_probs": (lambda x, t: ember.nn.functional.cross_entropy(x, t.softmax(1), label_smoothing=0.1),
                            [(3, 4), (3, 4)]),
    "pad_constant": (lambda x: ember.nn.functional.pad(x, (1, 2, 0, 1), value=0.5), [(2, 3, 3)]),
    "pad_reflect": (lambda x: ember.nn.functional.pad(x, (2, 1), mode="reflect"), [(2, 2, 4)]),
    "interpolate_bilinear": (lambda x: ember.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
                             [(1, 1, 2, 3)]),
    "group_norm": (lambda x, w, b: ember.nn.functional.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    "layer_norm": (lambda x, w: ember.nn.functional.layer_norm(x, (3,), w), [(2, 3), (3,)]),
    "batch_norm_train": (lambda x, w: ember.nn.functional.batch_norm(x, None, None, w, None, True), [(4, 3), (3,)]),
    "kl_div": (lambda x, y: ember.nn.functional.kl_div(x.log_softmax(1), y.softmax(1), reduction="batchmean"),
               [(3, 4), (3, 4)]),
    # (with padding_idx the padding row gets no gradient by PyTorch's rule, so finite differences disagree on it:
    # that case has its own parity test above)
    "embedding": (lambda w: ember.nn.functional.embedding(ember.tensor([[0, 2], [1, 0]]), w), [(3, 2)]),
}


@pytest.mark.parametrize("name", GRADCHECKED)
def test_functional_gradcheck(name):
    fn, shapes = GRADCHECKED[name]
    inputs = [ember.tensor(sample(s), requires_grad=True) for s in shapes]
    assert ember.autograd.gradcheck(fn, inputs)


@pytest.mark.parametrize("make,shape", [
    (lambda lib: lib.nn.InstanceNorm1d(3), (4, 3, 5)),
    (lambda lib: lib.nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 5)),
    (lambda lib: lib.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3), (2, 3, 4, 5)),
    (lambda lib: lib.nn.InstanceNorm1d(2, eps=1e-3), (2, 6)),  # unbatched
    (lambda lib: lib.nn.PixelShuffle(2), (2, 12, 3, 4)),
    (lambda lib: lib.nn.PixelShuffle(3), (9, 2, 2)),
    (lambda lib: lib.nn.PixelUnshuffle(2), (2, 3, 4, 6)),
])
def test_instance_norm_and_pixel_shuffle_match_torch(make, shape):
    check_module_parity(make, [sample(shape)])  # the buffers (running statistics) are compared too
    e_mod, t_mod = check_module_parity(make, [sample(shape)], train=False)
    assert repr(e_mod) == repr(t_mod)


def test_instance_norm_uses_running_statistics_in_eval_only_when_tracking():
    x = sample((2, 3, 5))
    outputs = []
    for lib in (ember, torch):
        norm = lib.nn.InstanceNorm1d(3, track_running_stats=True).double()
        norm(lib.tensor(x))
        norm.eval()
        outputs.append(norm(lib.tensor(x * 2 + 1)))
    assert_same(*outputs)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        ember.nn.InstanceNorm1d(3)(ember.ones(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="divisible"):
        ember.nn.PixelShuffle(2)(ember.ones(1, 3, 2, 2))


@pytest.mark.parametrize("name", ["bce_weight_sum", "bce_logits_pos_weight"])
def test_float32_losses_with_float64_weights_keep_the_input_dtype_like_torch(name):
    fn, kind = F_LOSSES[name]
    check_parity(fn, [sample((4, 3)).astype(np.float32), _targets(kind, (4, 3)).astype(np.float32)], atol=1e-6,
                 rtol=1e-5)
