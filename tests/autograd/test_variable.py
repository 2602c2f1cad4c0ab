"""torch.autograd.Variable, as PyTorch >= 0.4 keeps it: a constructor that returns a Tensor."""
import warnings

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_variable_is_a_detached_alias_with_the_flag(lib):
    t = lib.tensor([1.0, 2.0])
    v = lib.autograd.Variable(t, requires_grad=True)
    assert type(v) is lib.Tensor and v.requires_grad and v.is_leaf and v is not t
    t[0] = 5.0                              # shares memory with the tensor it wraps
    assert v[0].item() == 5.0
    assert isinstance(t, lib.autograd.Variable) and not isinstance(np.ones(1), lib.autograd.Variable)
    assert not lib.autograd.Variable(t).requires_grad
    assert lib.autograd.Variable(t, True).requires_grad  # positional, as course code writes it
    computed = lib.autograd.Variable(v * 2)  # a fresh leaf: the history is cut
    assert computed.grad_fn is None and not computed.requires_grad
    assert tuple(lib.autograd.Variable().shape) == (0,)


def test_variable_trains_as_torch():
    results = []
    for lib in (ember, torch):
        x = lib.autograd.Variable(lib.tensor([[1.0], [2.0], [3.0]]))
        w = lib.autograd.Variable(lib.tensor([[0.5]]), requires_grad=True)
        loss = ((x @ w - 2 * x) ** 2).mean()
        loss.backward()
        results.append((loss.item(), w.grad.item(), w.data.numpy().copy()))
    assert results[0][:2] == pytest.approx(results[1][:2], rel=1e-6)


def test_volatile_warns_as_torch_and_is_ignored():
    caught = {}
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            v = lib.autograd.Variable(lib.ones(2), volatile=True)
        caught[lib] = [(x.category, str(x.message)) for x in w]
        assert not v.requires_grad
    assert caught[ember] == caught[torch] and len(caught[torch]) == 1


def test_bad_data_is_torchs_type_error():
    for lib in (ember, torch):
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.autograd.Variable([1.0, 2.0])
        with pytest.raises(RuntimeError):
            lib.autograd.Variable(lib.tensor([1, 2]), requires_grad=True)  # integers cannot require grad
