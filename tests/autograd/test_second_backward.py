"""A second backward through a graph that was freed: torch refuses it exactly when some node on the way had saved
tensors for its backward (SavedVariables: an input, an output, indices, a wrapped number), and allows it through
nodes that saved none. Every op below is run under both libraries and the outcome compared.

Known differences, kept as strict xfails: ember builds lerp with a number weight, triu, adaptive average pooling and
linear interpolation from ops that save constants, so it refuses where torch's own nodes, which save nothing, allow.
"""
import numpy as np
import pytest
import torch

import ember

KNOWN = {"lerp", "triu", "adaptive_avg", "interp_lin"}


def _programs(torch):
    F = torch.nn.functional

    def X(*shape):
        return torch.tensor(np.random.default_rng(0).normal(size=shape).astype(np.float32), requires_grad=True)

    ops = {
     "dropout": lambda: F.dropout(X(4, 5), 0.5, True), "embedding": lambda: F.embedding(torch.tensor([0, 2]), X(3, 4)),
     "max_pool2d": lambda: F.max_pool2d(X(1, 1, 4, 4), 2), "avg_pool2d": lambda: F.avg_pool2d(X(1, 1, 4, 4), 2),
     "adaptive_avg": lambda: F.adaptive_avg_pool2d(X(1, 1, 4, 4), 1), "adaptive_max": lambda: F.adaptive_max_pool2d(X(1, 1, 4, 4), 1),
     "conv2d": lambda: F.conv2d(X(1, 1, 4, 4), torch.ones(1, 1, 2, 2)), "conv2d_w": lambda: F.conv2d(torch.ones(1, 1, 4, 4), X(1, 1, 2, 2)),
     "batch_norm": lambda: F.batch_norm(X(4, 3), None, None, training=True), "layer_norm": lambda: F.layer_norm(X(4, 3), (3,)),
     "cross_entropy": lambda: F.cross_entropy(X(4, 3), torch.tensor([0, 1, 2, 0])), "nll": lambda: F.nll_loss(X(4, 3), torch.tensor([0, 1, 2, 0])),
     "mse": lambda: F.mse_loss(X(4), torch.zeros(4)), "bce_logits": lambda: F.binary_cross_entropy_with_logits(X(4), torch.ones(4)),
     "linear": lambda: F.linear(X(2, 3), torch.ones(4, 3)), "linear_w": lambda: F.linear(torch.ones(2, 3), X(4, 3)),
     "gather": lambda: X(3, 4).gather(1, torch.tensor([[0], [1], [2]])), "scatter": lambda: torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), X(3, 1)),
     "index_select": lambda: X(3, 4).index_select(0, torch.tensor([0, 2])), "masked_select": lambda: X(3, 4).masked_select(torch.ones(3, 4) > 0),
     "x[mask]": lambda: (lambda x: x[x > 0])(X(3, 4)), "x[idx]": lambda: X(3, 4)[torch.tensor([0, 2])], "x[[0,2]]": lambda: X(3, 4)[[0, 2]],
     "x[:,idx]": lambda: X(3, 4)[:, torch.tensor([0, 2])], "x[1:,0]": lambda: X(3, 4)[1:, 0],
     "repeat_interleave": lambda: X(3).repeat_interleave(2), "roll": lambda: X(3).roll(1), "narrow": lambda: X(3, 4).narrow(1, 0, 2),
     "chunk": lambda: X(4).chunk(2)[0], "unbind": lambda: X(3, 2).unbind(0)[0], "split": lambda: X(4).split(2)[1],
     "sort": lambda: X(5).sort()[0], "topk": lambda: X(5).topk(2)[0], "max_dim": lambda: X(3, 4).max(1)[0], "min_dim": lambda: X(3, 4).min(1)[0],
     "median": lambda: X(5).median(), "kthvalue": lambda: X(5).kthvalue(2)[0], "cummax": lambda: X(5).cummax(0)[0],
     "argsort_take": lambda: (lambda x: x[x.argsort()])(X(5)),
     "x*2": lambda: X(3) * 2, "x.mul_(2)": lambda: X(3).clone().mul_(2), "x.mean()*3": lambda: X(3).mean() * 3,
     "x*torch.tensor(2.)": lambda: X(3) * torch.tensor(2.0), "x.div(2)": lambda: X(3).div(2), "lerp": lambda: torch.lerp(X(3), torch.zeros(3), 0.3),
     "lerp_t": lambda: torch.lerp(X(3), torch.zeros(3), torch.full((3,), 0.3)), "clamp_t": lambda: X(3).clamp(torch.zeros(3), torch.ones(3)),
     "pad_reflect": lambda: F.pad(X(1, 1, 4), (1, 1), mode="reflect"), "interp": lambda: F.interpolate(X(1, 1, 4), scale_factor=2),
     "interp_lin": lambda: F.interpolate(X(1, 1, 4), scale_factor=2, mode="linear"), "softmax": lambda: F.softmax(X(3), 0),
     "gelu": lambda: F.gelu(X(3)), "silu": lambda: F.silu(X(3)), "leaky": lambda: F.leaky_relu(X(3), 0.2), "hardswish": lambda: F.hardswish(X(3)),
     "lstm": lambda: torch.nn.LSTM(2, 3)(X(4, 1, 2))[0], "gru": lambda: torch.nn.GRU(2, 3)(X(4, 1, 2))[0], "rnn": lambda: torch.nn.RNN(2, 3)(X(4, 1, 2))[0],
     "embedding_mod": lambda: torch.nn.Embedding(3, 2)(torch.tensor([0, 1])), "cumsum": lambda: X(3).cumsum(0), "cumprod": lambda: X(3).cumprod(0),
     "flip": lambda: X(3).flip(0), "expand": lambda: X(3, 1).expand(3, 2), "permute": lambda: X(2, 3).permute(1, 0), "where": lambda: torch.where(torch.tensor([True, False, True]), X(3), 0.0),
     "x.float": lambda: X(3).double(), "masked_fill": lambda: X(3).masked_fill(torch.tensor([True, False, True]), 0.0),
     "unfold": lambda: F.unfold(X(1, 1, 4, 4), 2), "pixel_shuffle": lambda: F.pixel_shuffle(X(1, 4, 2, 2), 2),
     "einsum": lambda: torch.einsum("ij,j->i", X(2, 3), torch.ones(3)), "bmm": lambda: torch.bmm(X(2, 2, 3), torch.ones(2, 3, 2)),
     "norm_dim": lambda: X(2, 3).norm(dim=1), "std_dim": lambda: X(2, 3).std(1), "prod_dim": lambda: X(2, 3).prod(1), "amax": lambda: X(2, 3).amax(1),
     "logsumexp": lambda: X(2, 3).logsumexp(1), "cosine_sim": lambda: F.cosine_similarity(X(2, 3), torch.ones(2, 3)),
     "group_norm": lambda: F.group_norm(X(2, 4, 3), 2), "instance_norm": lambda: F.instance_norm(X(2, 3, 4)),
     "smooth_l1": lambda: F.smooth_l1_loss(X(4), torch.zeros(4)), "huber": lambda: F.huber_loss(X(4), torch.zeros(4)),
     "kl_div": lambda: F.kl_div(X(4), torch.full((4,), 0.25), reduction="batchmean"), "softplus": lambda: F.softplus(X(3)),
     "elu": lambda: F.elu(X(3)), "selu": lambda: F.selu(X(3)), "prelu": lambda: F.prelu(X(3), torch.tensor([0.25])),
     "glu": lambda: F.glu(X(4)), "logsigmoid": lambda: F.logsigmoid(X(3)), "hardsigmoid": lambda: F.hardsigmoid(X(3)),
     "triu": lambda: X(3, 3).triu(), "diag": lambda: X(3, 3).diag(), "trace": lambda: X(3, 3).trace(), "outer": lambda: torch.outer(X(2), torch.ones(3)),
     "cdist": lambda: torch.cdist(X(2, 3), torch.ones(2, 3)), "take": lambda: X(3).take(torch.tensor([0, 2])),
     "index_add": lambda: torch.zeros(3).index_add(0, torch.tensor([0, 2]), X(2)), "stack": lambda: torch.stack([X(2), X(2)]),
     "cat": lambda: torch.cat([X(2), X(2)]), "x/2.0": lambda: X(3) / 2.0, "2/x": lambda: 2 / X(3), "x**2": lambda: X(3) ** 2,
    }
    return ops


def _second_backward(lib, name):
    lib.manual_seed(0)
    y = _programs(lib)[name]().sum()
    y.backward()
    try:
        y.backward()
    except RuntimeError as error:
        assert "second time" in str(error), str(error)
        return "refused"
    return "allowed"


NAMES = list(_programs(torch))


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="ember saves "
                                                                           "constants here")) if n in KNOWN else n
                                  for n in NAMES])
def test_a_second_backward_is_refused_exactly_where_torch_refuses_it(name):
    assert _second_backward(ember, name) == _second_backward(torch, name)


def test_the_classic_mistake_backward_twice_through_a_product_with_a_number():
    x = ember.ones(3, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]  # the refused pass added nothing
    y = (x * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [6.0, 6.0, 6.0]
