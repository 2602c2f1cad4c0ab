"""The graph a learner prints is PyTorch's graph: walking grad_fn breadth-first gives torch's node names.

Every case below runs the same code under ember and under torch and compares the names met when walking
``grad_fn.next_functions`` breadth-first from the result (the walk PyTorch's tutorials teach). Recurrent layers
keep ember's single recurrence node and embedding is checked elsewhere, so neither is listed here.
"""
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
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_names_match_torch(case):
    make = CASES[case]
    assert names(make(ember)) == names(make(torch))
