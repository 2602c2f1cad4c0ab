"""The graph a learner prints is PyTorch's graph: walking grad_fn breadth-first gives torch's node names.

Every case below runs the same code under ember and under torch and compares the names met when walking
``grad_fn.next_functions`` breadth-first from the result (the walk PyTorch's tutorials teach). Recurrent layers
keep ember's single recurrence node and embedding is checked elsewhere, so neither is listed here.
"""
import re

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
A23, B34, C23, V3 = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4)), RNG.normal(size=(2, 3)), RNG.normal(size=3)
A234, B245 = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
P23 = RNG.uniform(0.1, 0.9, size=(2, 3))
X4 = RNG.normal(size=(4, 3, 5, 5))


def names(out):
    """The node names met walking breadth-first from out.grad_fn, each node once (None edges skipped)."""
    seen, order, queue = set(), [], [out.grad_fn]
    while queue:
        node = queue.pop(0)
        key = id(getattr(node, "variable", node))
        if key in seen:
            continue
        seen.add(key)
        order.append(node.name().replace("torch::autograd::", ""))  # torch spells its leaf node so
        queue.extend(f for f, _ in node.next_functions if f is not None)
    return order


def leaf(lib, array):
    return lib.tensor(array, requires_grad=True)


def layer(lib, make, *inputs):
    """Build the same nn layer under lib (seeded), run it on the given arrays."""
    lib.manual_seed(0)
    return make(lib.nn)(*[lib.tensor(a, dtype=lib.float32) for a in inputs])


TARGET = np.array([0, 2])
CASES = {
    # elementwise and reductions
    "mul_sum": lambda t: (leaf(t, A23) * leaf(t, C23)).sum(),
    "add_broadcast": lambda t: leaf(t, A23) + leaf(t, V3),
    "sub_scalar": lambda t: leaf(t, A23) - 2,
    "div": lambda t: leaf(t, A23) / leaf(t, P23),
    "pow": lambda t: leaf(t, A23) ** 2,
    "exp_log": lambda t: leaf(t, P23).exp().log(),
    "tanh_sigmoid": lambda t: leaf(t, A23).tanh().sigmoid(),
    "relu": lambda t: leaf(t, A23).relu(),
    "abs_sqrt": lambda t: leaf(t, A23).abs().sqrt(),
    "clamp_min": lambda t: leaf(t, A23).clamp(min=0),
    "clamp_max": lambda t: leaf(t, A23).clamp(max=0),
    "clamp_both": lambda t: leaf(t, A23).clamp(-0.5, 0.5),
    "sum": lambda t: leaf(t, A23).sum(),
    "sum_dim": lambda t: leaf(t, A23).sum(1),
    "sum_dim_keepdim": lambda t: leaf(t, A23).sum(dim=0, keepdim=True),
    "mean": lambda t: leaf(t, A23).mean(),
    "mean_dim": lambda t: leaf(t, A23).mean(dim=1),
    "max_all": lambda t: leaf(t, A23).max(),
    "max_dim": lambda t: leaf(t, A23).max(dim=1)[0],
    "min_dim": lambda t: leaf(t, A23).min(dim=1).values,
    "argmax_free_max": lambda t: t.max(leaf(t, A23), leaf(t, C23)),
    "var": lambda t: leaf(t, A23).var(),
    "std_dim": lambda t: leaf(t, A23).std(dim=0),
    "norm": lambda t: leaf(t, A23).norm(),
    "logsumexp": lambda t: leaf(t, A23).logsumexp(dim=1),
    "cumsum": lambda t: leaf(t, A23).cumsum(dim=1),
    "prod": lambda t: leaf(t, P23).prod(),
    "where": lambda t: t.where(leaf(t, A23) > 0, leaf(t, A23), leaf(t, C23)),
    # views and indexing
    "select": lambda t: leaf(t, A23)[0],
    "select_col": lambda t: leaf(t, A23)[:, 1],
    "slice": lambda t: leaf(t, A23)[1:],
    "slice_step": lambda t: leaf(t, A234)[:, ::2],
    "index_tensor": lambda t: leaf(t, A23)[t.tensor([1, 0, 1])],
    "index_mask": lambda t: (lambda x: x[x > 0])(leaf(t, A23)),
    "view": lambda t: leaf(t, A23).view(3, 2),
    "view_infer": lambda t: leaf(t, A234).view(-1, 4),
    "reshape_contiguous": lambda t: leaf(t, A23).reshape(6),
    "reshape_copy": lambda t: leaf(t, A23).t().reshape(6),
    "flatten": lambda t: leaf(t, A234).flatten(1),
    "unsqueeze": lambda t: leaf(t, A23).unsqueeze(0),
    "squeeze_all": lambda t: leaf(t, A23).unsqueeze(1).squeeze(),
    "squeeze_dim": lambda t: leaf(t, A23).unsqueeze(1).squeeze(1),
    "t": lambda t: leaf(t, A23).t(),
    "T": lambda t: leaf(t, A23).T,
    "mT": lambda t: leaf(t, A234).mT,
    "transpose": lambda t: leaf(t, A234).transpose(0, 2),
    "permute": lambda t: leaf(t, A234).permute(2, 0, 1),
    "expand": lambda t: leaf(t, V3).expand(2, 3),
    "narrow": lambda t: leaf(t, A23).narrow(1, 0, 2),
    "contiguous": lambda t: leaf(t, A23).t().contiguous(),
    "clone": lambda t: leaf(t, A23).clone(),
    "cat": lambda t: t.cat([leaf(t, A23), leaf(t, C23)]),
    "stack": lambda t: t.stack([leaf(t, A23), leaf(t, C23)], dim=1),
    "split": lambda t: leaf(t, A23).split(1, dim=1)[0],
    "chunk": lambda t: leaf(t, A23).chunk(3, dim=1)[2],
    "unbind": lambda t: leaf(t, A23).unbind(0)[1],
    "repeat": lambda t: leaf(t, A23).repeat(2, 1),
    "flip": lambda t: leaf(t, A23).flip(0),
    "gather": lambda t: leaf(t, A23).gather(1, t.tensor([[0], [2]])),
    # products and layers
    "mm": lambda t: leaf(t, A23).mm(leaf(t, B34)),
    "matmul_2d": lambda t: leaf(t, A23) @ leaf(t, B34),
    "matmul_mv": lambda t: leaf(t, A23) @ leaf(t, V3),
    "matmul_dot": lambda t: leaf(t, V3) @ leaf(t, V3),
    "bmm": lambda t: leaf(t, A234).bmm(leaf(t, B245)),
    "matmul_3d": lambda t: leaf(t, A234) @ leaf(t, B245),
    "linear": lambda t: layer(t, lambda nn: nn.Linear(3, 4), A23),
    "linear_no_bias": lambda t: layer(t, lambda nn: nn.Linear(3, 4, bias=False), A23),
    "linear_3d": lambda t: layer(t, lambda nn: nn.Linear(4, 2), A234),
    "mlp": lambda t: layer(t, lambda nn: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), A23).sum(),
    "F_linear_leaf_input": lambda t: t.nn.functional.linear(leaf(t, A23), leaf(t, B34.T)),
    # activations and normalisation
    "softmax": lambda t: leaf(t, A23).softmax(dim=1),
    "log_softmax": lambda t: t.nn.functional.log_softmax(leaf(t, A23), dim=1),
    "leaky_relu": lambda t: t.nn.functional.leaky_relu(leaf(t, A23), 0.1),
    "gelu": lambda t: t.nn.functional.gelu(leaf(t, A23)),
    "elu": lambda t: t.nn.functional.elu(leaf(t, A23)),
    "silu": lambda t: t.nn.functional.silu(leaf(t, A23)),
    "softplus": lambda t: t.nn.functional.softplus(leaf(t, A23)),
    "lgamma": lambda t: leaf(t, P23).lgamma().digamma(),
    "polygamma": lambda t: t.polygamma(2, leaf(t, P23)) + leaf(t, P23).polygamma(1),
    "mvlgamma": lambda t: t.special.multigammaln(leaf(t, P23) + 1, 3),
    "erfinv_i0": lambda t: t.erfinv(leaf(t, P23)).i0(),
    "bessel_scaled": lambda t: t.special.i0e(leaf(t, A23)) * t.special.i1(leaf(t, A23)) + t.special.i1e(leaf(t, A23)),
    "layer_norm": lambda t: layer(t, lambda nn: nn.LayerNorm(3), A23),
    "F_layer_norm_no_affine": lambda t: t.nn.functional.layer_norm(leaf(t, A234), (4,)),
    "batch_norm_train": lambda t: layer(t, lambda nn: nn.BatchNorm1d(3), A23),
    "batch_norm_2d": lambda t: layer(t, lambda nn: nn.BatchNorm2d(3), X4),
    "batch_norm_eval": lambda t: layer(t, lambda nn: nn.BatchNorm1d(3).eval(), A23),
    # losses
    "mse": lambda t: t.nn.functional.mse_loss(leaf(t, A23), t.tensor(C23)),
    "mse_sum": lambda t: t.nn.functional.mse_loss(leaf(t, A23), t.tensor(C23), reduction="sum"),
    "mse_module": lambda t: t.nn.MSELoss()(leaf(t, A23), t.tensor(C23)),
    "l1": lambda t: t.nn.functional.l1_loss(leaf(t, A23), t.tensor(C23)),
    "smooth_l1": lambda t: t.nn.functional.smooth_l1_loss(leaf(t, A23), t.tensor(C23)),
    "huber": lambda t: t.nn.functional.huber_loss(leaf(t, A23), t.tensor(C23), delta=0.5),
    "bce": lambda t: t.nn.functional.binary_cross_entropy(leaf(t, P23), t.tensor((C23 > 0) * 1.0)),
    "bce_module": lambda t: t.nn.BCELoss()(leaf(t, A23).sigmoid(), t.tensor((C23 > 0) * 1.0)),
    "bce_logits": lambda t: t.nn.functional.binary_cross_entropy_with_logits(leaf(t, A23), t.tensor((C23 > 0) * 1.0)),
    "bce_logits_module": lambda t: t.nn.BCEWithLogitsLoss()(leaf(t, A23), t.tensor((C23 > 0) * 1.0)),
    "cross_entropy": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(TARGET)),
    "cross_entropy_module": lambda t: t.nn.CrossEntropyLoss()(leaf(t, A23), t.tensor(TARGET)),
    "cross_entropy_none": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(TARGET), reduction="none"),
    "cross_entropy_probs": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(P23)),
    "cross_entropy_smoothing": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(TARGET),
                                                                      label_smoothing=0.1),
    "nll": lambda t: t.nn.functional.nll_loss(t.nn.functional.log_softmax(leaf(t, A23), 1), t.tensor(TARGET)),
    "kl_div": lambda t: t.nn.functional.kl_div(leaf(t, A23), t.tensor(P23), reduction="batchmean"),
    # more shapes of the same rules
    "index_two_ints": lambda t: leaf(t, A234)[0, 1],
    "slice_then_select": lambda t: leaf(t, A234)[1:, 0],
    "int_and_array": lambda t: leaf(t, A234)[0, [0, 2]],
    "int_array_slice": lambda t: leaf(t, A234)[:, t.tensor([1, 0]), 1:3],
    "array_then_int": lambda t: leaf(t, A234)[[1, 0], 2],
    "none_index": lambda t: leaf(t, A23)[:, None],
    "ellipsis_select": lambda t: leaf(t, A234)[..., 1],
    "full_slice": lambda t: leaf(t, A23)[:],
    "select_method": lambda t: leaf(t, A234).select(1, 0),
    "split_sizes": lambda t: leaf(t, A23).split([1, 2], dim=1)[1],
    "squeeze_dims": lambda t: leaf(t, A23).unsqueeze(0).squeeze((0,)),
    "swapaxes": lambda t: leaf(t, A234).swapaxes(0, 1),
    "movedim": lambda t: leaf(t, A234).movedim(0, 2),
    "expand_same": lambda t: leaf(t, A23).expand(2, 3),
    "expand_as": lambda t: leaf(t, V3).expand_as(t.zeros(4, 2, 3)),
    "reshape_alias": lambda t: leaf(t, A234)[..., 0].reshape(6),
    "view_of_view": lambda t: leaf(t, A234).view(6, 4).view(24),
    "flatten_after_select": lambda t: leaf(t, A234)[0].flatten(),
    "amax": lambda t: leaf(t, A234).amax(1),
    "amin": lambda t: leaf(t, A234).amin(1),
    "min_all": lambda t: leaf(t, A23).min(),
    "max_keepdim": lambda t: leaf(t, A234).max(2, keepdim=True).values,
    "kthvalue": lambda t: leaf(t, A234).kthvalue(2, 1).values,
    "median_dim": lambda t: leaf(t, A234).median(1).values,
    "mode": lambda t: leaf(t, A234).mode(1).values,
    "cummax": lambda t: leaf(t, A234).cummax(1).values,
    "std_all": lambda t: leaf(t, A234).std(),
    "std_correction": lambda t: leaf(t, A234).std(1, correction=0),
    "var_dim": lambda t: leaf(t, A234).var(1),
    "norm_dim": lambda t: leaf(t, A234).norm(dim=1),
    "clip": lambda t: t.clip(leaf(t, A23), -0.1, 0.1),
    "mv_vector_left": lambda t: leaf(t, V3[:2]) @ leaf(t, A23),
    "matmul_3d_2d": lambda t: leaf(t, A234) @ leaf(t, B245[0]),
    "matmul_3d_vector": lambda t: leaf(t, A234) @ leaf(t, B245[0, :, 0]),
    "matmul_3d_2d_transposed": lambda t: leaf(t, A234).transpose(1, 2) @ leaf(t, A23.T),
    "bmm_transposed": lambda t: leaf(t, A234).bmm(leaf(t, A234).mT),
    "matmul_t": lambda t: leaf(t, A23).t() @ leaf(t, A23),
    "linear_1d_input": lambda t: t.nn.functional.linear(leaf(t, V3), leaf(t, B34.T), leaf(t, B34[0])),
    "linear_1d_no_bias": lambda t: t.nn.functional.linear(leaf(t, V3), leaf(t, B34.T)),
    "linear_3d_grad_input": lambda t: t.nn.functional.linear(leaf(t, A234), leaf(t, B245[0].T), leaf(t, B245[0, 0])),
    "linear_3d_no_bias": lambda t: t.nn.functional.linear(leaf(t, A234), leaf(t, B245[0].T)),
    "linear_3d_transposed": lambda t: t.nn.functional.linear(leaf(t, A234).transpose(0, 1), leaf(t, B245[0].T),
                                                             leaf(t, B245[0, 0])),
    "linear_frozen_weight": lambda t: t.nn.functional.linear(leaf(t, A23), t.tensor(B34.T), leaf(t, B34[0])),
    "linear_4d": lambda t: layer(t, lambda nn: nn.Linear(5, 2), X4),
    "softmin": lambda t: t.nn.functional.softmin(leaf(t, A23), 1),
    "logsigmoid": lambda t: t.nn.functional.logsigmoid(leaf(t, A23)),
    "hardtanh": lambda t: t.nn.functional.hardtanh(leaf(t, A23)),
    "relu6": lambda t: t.nn.functional.relu6(leaf(t, A23)),
    "mish": lambda t: t.nn.functional.mish(leaf(t, A23)),
    "selu": lambda t: t.nn.functional.selu(leaf(t, A23)),
    "glu": lambda t: t.nn.functional.glu(leaf(t, A234), 1) if False else t.nn.functional.glu(leaf(t, A23)[:, :2], 1),
    "pad": lambda t: t.nn.functional.pad(leaf(t, A23), (1, 1)),
    "group_norm": lambda t: t.nn.functional.group_norm(leaf(t, X4), 1),
    "group_norm_module": lambda t: layer(t, lambda nn: nn.GroupNorm(3, 3), X4),
    "instance_norm": lambda t: t.nn.functional.instance_norm(leaf(t, A234)),
    "instance_norm_affine": lambda t: layer(t, lambda nn: nn.InstanceNorm1d(3, affine=True), A234),
    "norm_p1": lambda t: leaf(t, A23).norm(p=1),
    "norm_inf_dim": lambda t: leaf(t, A23).norm(p=float("inf"), dim=1),
    "norm_p3": lambda t: leaf(t, A23).norm(p=3),
    "sort": lambda t: leaf(t, A23).sort(1).values,
    "topk": lambda t: leaf(t, A23).topk(2, 1).values,
    "prod_dim": lambda t: leaf(t, P23).prod(1),
    "index_select": lambda t: leaf(t, A23).index_select(1, t.tensor([0, 2])),
    "tril": lambda t: leaf(t, A23).tril(),
    "triu": lambda t: leaf(t, A23).triu(1),
    "roll": lambda t: leaf(t, A23).roll(1, 1),
    "outer": lambda t: t.outer(leaf(t, V3), leaf(t, V3)),
    "layer_norm_two_dims": lambda t: layer(t, lambda nn: nn.LayerNorm((3, 4)), A234),
    "batch_norm_3d_input": lambda t: layer(t, lambda nn: nn.BatchNorm1d(3), A234),
    "cnn_head": lambda t: layer(t, lambda nn: nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                                                            nn.Linear(75, 4)), X4),
    "transformer_style": lambda t: layer(t, lambda nn: nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 8), nn.GELU(),
                                                                     nn.Linear(8, 4)), A234).sum(),
    "mse_none": lambda t: t.nn.functional.mse_loss(leaf(t, A23), t.tensor(C23), reduction="none"),
    "mse_both_require_grad": lambda t: t.nn.functional.mse_loss(leaf(t, A23), leaf(t, C23)),
    "l1_sum": lambda t: t.nn.functional.l1_loss(leaf(t, A23), t.tensor(C23), reduction="sum"),
    "smooth_l1_beta0": lambda t: t.nn.functional.smooth_l1_loss(leaf(t, A23), t.tensor(C23), beta=0.0),
    "huber_module": lambda t: t.nn.HuberLoss()(leaf(t, A23), t.tensor(C23)),
    "smooth_l1_module": lambda t: t.nn.SmoothL1Loss()(leaf(t, A23), t.tensor(C23)),
    "bce_weight": lambda t: t.nn.functional.binary_cross_entropy(leaf(t, P23), t.tensor((C23 > 0) * 1.0),
                                                                 weight=t.tensor(V3)),
    "bce_logits_pos_weight": lambda t: t.nn.BCEWithLogitsLoss(pos_weight=t.tensor(P23[0]))(
        leaf(t, A23), t.tensor((C23 > 0) * 1.0)),
    "cross_entropy_weight": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(TARGET),
                                                                    weight=t.tensor(P23[0])),
    "cross_entropy_probs_sum": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(P23), reduction="sum"),
    "cross_entropy_probs_none": lambda t: t.nn.functional.cross_entropy(leaf(t, A23), t.tensor(P23),
                                                                       reduction="none"),
    "cross_entropy_smoothing_weight": lambda t: t.nn.functional.cross_entropy(
        leaf(t, A23), t.tensor(TARGET), weight=t.tensor(P23[0]), label_smoothing=0.2),
    "kl_div_log_target": lambda t: t.nn.functional.kl_div(leaf(t, A23), t.tensor(C23), log_target=True,
                                                          reduction="sum"),
    "mlp_mse_step": lambda t: t.nn.functional.mse_loss(
        layer(t, lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)), A23),
        t.tensor(C23, dtype=t.float32)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_names_match_torch(case):
    make = CASES[case]
    assert names(make(ember)) == names(make(torch))


def _saved_input_changed(t, x):
    y = x * 2
    loss = (y * y).sum()
    y.add_(1)
    return loss


def _saved_output_changed(t, x):
    y = x.sigmoid()
    loss = y.sum()
    y.mul_(2)
    return loss


def _linear_input_changed(t, x):
    y = x * 1
    w = t.ones(2, 3, dtype=t.float64, requires_grad=True)
    loss = t.nn.functional.linear(y, w, t.zeros(2, dtype=t.float64)).sum()
    y.mul_(2)
    return loss


def _leaf_changed(t, x):
    w = t.ones(3, dtype=t.float64, requires_grad=True)
    loss = (x * w).sum()
    with t.no_grad():
        w.mul_(2)
    return loss


@pytest.mark.parametrize("make", [_saved_input_changed, _saved_output_changed, _linear_input_changed, _leaf_changed])
def test_in_place_error_names_the_changed_tensor_as_torch_does(make):
    """torch names the changed tensor by its node, without the Backward suffix ("output 0 of Mul"); a leaf by none."""
    found = []
    for lib in (ember, torch):
        loss = make(lib, lib.tensor(A23, requires_grad=True))
        with pytest.raises(RuntimeError) as error:
            loss.backward()
        found.append(re.search(r"\](.*?) is at version (\d+); expected version (\d+)", str(error.value)).groups())
    assert found[0] == found[1]


# ---- in-place ops -----------------------------------------------------------------------------------------------
# torch records an in-place op as one node whose edge for self goes straight to self's history: the value from
# before the write, which the op may need for backward, is kept as a saved copy ("original self"), not as a node.
# Through a view, the base's new node is CopySlices, which holds the op's node: its edges are the base's old history
# and the op's other inputs. Each case takes the leaves a=A23, c=C23, v=V3, p=P23 (float64) and returns the result.
def _ip(t, lv):
    return {k: t.tensor(a, dtype=t.float64, requires_grad=True) for k, a in lv.items()}


def _then(y, *writes):
    """Run the writes (each a function of y) for their effect, give back y."""
    for w in writes:
        w(y)
    return y


def _seeded_dropout(t, y, module):
    t.manual_seed(0)
    return t.nn.Dropout(0.5, inplace=True)(y) if module else t.nn.functional.dropout(y, 0.5, True, True)


MASK = A23 > 0
INPLACE = {
    "sin_": lambda t, L: L["a"].clone().sin_(),
    "exp_saves_output": lambda t, L: L["a"].clone().exp_(),
    "sigmoid_": lambda t, L: L["a"].clone().sigmoid_(),
    "tanh_": lambda t, L: (L["a"] * 2).tanh_(),
    "sqrt_": lambda t, L: L["p"].clone().sqrt_(),
    "abs_neg_": lambda t, L: L["a"].clone().abs_().neg_(),
    "mul_scalar_": lambda t, L: L["a"].clone().mul_(2),
    "mul_tensor_": lambda t, L: L["a"].clone().mul_(L["c"]),
    "add_alpha_": lambda t, L: L["a"].clone().add_(L["c"], alpha=2),
    "sub_broadcast_": lambda t, L: L["a"].clone().sub_(L["v"]),
    "div_tensor_": lambda t, L: L["a"].clone().div_(L["p"]),
    "pow_tensor_": lambda t, L: L["p"].clone().pow_(L["c"]),
    "iadd": lambda t, L: _then(L["a"].clone(), lambda y: y.__iadd__(L["c"])),
    "isub_scalar": lambda t, L: _then(L["a"].clone(), lambda y: y.__isub__(1.5)),
    "imul_itruediv": lambda t, L: _then(L["a"] * 1, lambda y: y.__imul__(L["c"]), lambda y: y.__itruediv__(L["p"])),
    "ipow": lambda t, L: _then(L["a"].clone(), lambda y: y.__ipow__(2)),
    "chain": lambda t, L: (L["a"] * 2).sin_().mul_(3).add_(1),
    "relu_": lambda t, L: L["a"].clone().relu_(),
    "clamp_": lambda t, L: L["a"].clone().clamp_(-0.5, 0.5),
    "clamp_min_": lambda t, L: L["a"].clone().clamp_(min=0),
    "addcmul_": lambda t, L: L["a"].clone().addcmul_(L["c"], L["p"], value=0.5),
    "addcdiv_": lambda t, L: L["a"].clone().addcdiv_(L["c"], L["p"], value=0.5),
    "lerp_": lambda t, L: L["a"].clone().lerp_(L["c"], 0.3),
    "scatter_": lambda t, L: L["a"].clone().scatter_(1, t.tensor([[0], [2]]), L["c"][:, :1]),
    "scatter_add_": lambda t, L: L["a"].clone().scatter_add_(1, t.tensor([[0], [2]]), L["c"][:, :1]),
    "index_add_": lambda t, L: L["a"].clone().index_add_(1, t.tensor([0, 2]), L["c"][:, :2]),
    "setitem_index": lambda t, L: _then(L["a"].clone(), lambda y: y.__setitem__(t.tensor([1, 0]), L["v"])),
    "setitem_mask": lambda t, L: _then(L["a"].clone(), lambda y: y.__setitem__(t.tensor(MASK), 0.0)),
    "setitem_basic": lambda t, L: _then(L["a"].clone(), lambda y: y.__setitem__(0, L["v"])),
    "setitem_scalar": lambda t, L: _then(L["a"].clone(), lambda y: y.__setitem__((0, 1), 5.0)),
    "setitem_slice": lambda t, L: _then(L["a"] * 1, lambda y: y.__setitem__((slice(None), slice(1, None)),
                                                                            L["c"][:, :2])),
    "F_relu_inplace": lambda t, L: t.nn.functional.relu(L["a"].clone(), inplace=True),
    "nn_ReLU_inplace": lambda t, L: t.nn.ReLU(inplace=True)(L["a"] * 1),
    "leaky_relu_inplace": lambda t, L: t.nn.functional.leaky_relu(L["a"].clone(), 0.1, inplace=True),
    "elu_inplace": lambda t, L: t.nn.functional.elu(L["a"].clone(), inplace=True),
    "hardtanh_inplace": lambda t, L: t.nn.functional.hardtanh(L["a"].clone(), inplace=True),
    "dropout_inplace": lambda t, L: _seeded_dropout(t, L["a"].clone(), False),
    "dropout_module_inplace": lambda t, L: _seeded_dropout(t, L["a"] * 1, True),
    "mlp_relu_inplace": lambda t, L: t.nn.ReLU(inplace=True)(L["a"] @ L["c"].t()).sum(),
    # through views: the base's node is CopySlices, holding the op's node
    "view_select_mul_": lambda t, L: _then(L["a"].clone(), lambda y: y[0].mul_(2)),
    "view_select_mul_tensor": lambda t, L: _then(L["a"].clone(), lambda y: y[0].mul_(L["v"])),
    "view_t_add_": lambda t, L: _then(L["a"].clone(), lambda y: y.t().add_(1)),
    "view_of_view_sin_": lambda t, L: _then(L["a"].clone(), lambda y: y[1:][:, 1:].sin_()),
    "view_view_sigmoid_": lambda t, L: _then(L["a"] * 1, lambda y: y.view(3, 2).sigmoid_()),
    "view_column_relu_": lambda t, L: _then(L["a"].clone(), lambda y: y[:, 1].relu_()),
    "view_twice": lambda t, L: _then(L["a"].clone(), lambda y: y[0].mul_(L["v"]), lambda y: y[:, 2].exp_()),
    "view_iadd": lambda t, L: _then(L["a"].clone(), lambda y: y[1].__iadd__(L["v"])),
    "view_F_relu_inplace": lambda t, L: _then(L["a"].clone(), lambda y: t.nn.functional.relu(y[0], inplace=True)),
    "view_zero_": lambda t, L: _then(L["a"].clone(), lambda y: y[0].zero_()),
    "view_copy_": lambda t, L: _then(L["a"].clone(), lambda y: y[:, 1].copy_(L["c"][:, 0])),
    "view_then_whole": lambda t, L: _then(L["a"].clone(), lambda y: y[0].mul_(2), lambda y: y.sin_()),
    "view_of_nonleaf_base": lambda t, L: _then(L["a"] * L["c"], lambda y: y.t()[1].add_(L["v"][:2])),
}


def _inplace_case(name, lib):
    leaves = _ip(lib, {"a": A23, "c": C23, "v": V3, "p": P23})
    return INPLACE[name](lib, leaves), leaves


@pytest.mark.parametrize("case", sorted(INPLACE))
def test_in_place_graph_names_match_torch(case):
    """No node for the copy of self an in-place op keeps: the op's edge for self goes to self's history."""
    assert names(_inplace_case(case, ember)[0]) == names(_inplace_case(case, torch)[0])


@pytest.mark.parametrize("case", sorted(INPLACE))
def test_in_place_gradients_match_torch_twice(case):
    """The same gradients as torch's, and the same second derivatives (create_graph through the in-place nodes)."""
    found = []
    for lib in (ember, torch):
        out, leaves = _inplace_case(case, lib)
        weight = lib.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape)), dtype=lib.float64)
        loss = (out * out * weight).sum()
        inputs = list(leaves.values())
        grads = lib.autograd.grad(loss, inputs, create_graph=True, allow_unused=True)
        used = [(x, g) for x, g in zip(inputs, grads) if g is not None]
        second = lib.autograd.grad(sum((g * g).sum() for _, g in used), [x for x, _ in used], allow_unused=True)
        found.append(([g.detach().numpy() for _, g in used],
                      [None if s is None else s.numpy() for s in second]))
    for (e, t) in zip(found[0], found[1]):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _mul_self(t, x):
    y = x * 1
    return y.mul_(y).sum()  # mul_ saved its other input, y, before writing into it


def _saved_output_then_changed(t, x):
    y = x.clone().exp_()  # exp_ saves its result: y
    y.add_(1)
    return y.sum()


def _view_saved_output_then_base_changed(t, x):
    y = x.clone()
    y[0].sigmoid_()  # sigmoid_ saves its result: a view of y
    loss = y.sum()
    y.mul_(2)
    return loss


def _view_saved_input_then_changed(t, x):
    y = x * 1
    z = y[0] * y[1]  # saves both views
    y[1].add_(1)
    return z.sum()


@pytest.mark.parametrize("make", [_mul_self, _saved_output_then_changed, _view_saved_output_then_base_changed,
                                  _view_saved_input_then_changed])
def test_in_place_after_in_place_raises_as_torch_does(make):
    """What an in-place op saves is checked as torch checks it: the value of self it keeps is its own copy (never
    changed), its other inputs and its result are watched."""
    found = []
    for lib in (ember, torch):
        loss = make(lib, lib.tensor(A23, requires_grad=True))
        with pytest.raises(RuntimeError) as error:
            loss.backward()
        found.append(re.search(r"\](.*?) is at version (\d+); expected version (\d+)", str(error.value)).groups())
    if make is _view_saved_input_then_changed:
        # the changed tensor is the view y[1], whose node was made again after its base changed: torch makes it an
        # as_strided of the base (AsStridedBackward0), ember replays the view's own ops on the base (Select)
        assert found[0][1:] == found[1][1:] and "of Select," in found[0][0] and "of AsStrided," in found[1][0]
        return
    assert found[0] == found[1]


def test_in_place_keeps_no_node_and_still_no_error_for_self():
    """sin_ keeps the old value of y for its backward as a copy, so changing y afterwards through an op that does
    not need the sine's saved value... still leaves what sin_ saved intact: torch's original-self copy."""
    for lib in (ember, torch):
        x = lib.tensor(A23, requires_grad=True)
        y = x.clone()
        y.sin_()
        z = y * 3
        z.sum().backward()
        assert x.grad is not None
