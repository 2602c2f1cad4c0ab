"""Parity with PyTorch: run the same function on ember and on torch, compare values and every gradient."""
import numpy as np
import torch

import ember

RNG = np.random.default_rng(0)


def sample(shape, domain="any", rng=RNG):
    """float64 test data; the domain keeps the op away from where it is undefined or not differentiable."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "nonzero":
        return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "distinct":  # no ties (max/min/sort-like ops), well apart for finite differences
        n = int(np.prod(shape))
        return (rng.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(np.float64)
    return rng.normal(size=shape)


def _noncontiguous(lib, array, requires_grad):
    """The same values, as a transposed view (a non-contiguous tensor); the leaf is returned for gradients."""
    leaf = lib.tensor(np.ascontiguousarray(array.T), requires_grad=requires_grad)
    view = leaf.permute(*reversed(range(array.ndim))) if array.ndim > 1 else leaf
    return leaf, view


def check_parity(fn, arrays, noncontiguous=False, grad=True, atol=1e-9, rtol=1e-7, extra=()):
    """fn(lib, *tensors, *extra) on ember and torch: same values, same dtype, same gradients."""
    results = {}
    for lib in (ember, torch):
        leaves, inputs = [], []
        for a in arrays:
            requires = grad and a.dtype.kind == "f"
            if noncontiguous and a.ndim > 1:
                leaf, view = _noncontiguous(lib, a, requires)
            else:
                leaf = view = lib.tensor(a.copy(), requires_grad=requires)
            leaves.append(leaf)
            inputs.append(view)
        out = fn(lib, *inputs, *extra)
        results[lib] = (leaves, out)
    (e_leaves, e_out), (t_leaves, t_out) = results[ember], results[torch]
    assert_same(e_out, t_out, atol, rtol)
    if not grad or not t_out.requires_grad:
        assert not grad or not e_out.requires_grad, "ember's result requires grad, torch's does not"
        return
    seed = RNG.normal(size=tuple(t_out.shape))
    e_out.backward(ember.tensor(seed, dtype=e_out.dtype))
    t_out.backward(torch.tensor(seed, dtype=t_out.dtype))
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves)):
        if t.grad is None:
            assert e.grad is None, f"input {i}: torch has no gradient, ember has one"
        else:
            assert e.grad is not None, f"input {i}: ember has no gradient, torch has one"
            assert_same(e.grad, t.grad, atol, rtol, what=f"gradient of input {i}")


def assert_same(e, t, atol=1e-9, rtol=1e-7, what="value"):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b, atol, rtol, what)
        return
    if not isinstance(t, torch.Tensor):
        assert e == t or np.isclose(e, t, atol=atol, rtol=rtol), f"{what}: {e} != {t}"
        return
    assert isinstance(e, ember.Tensor), f"{what}: ember returned {type(e).__name__}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != torch {tuple(t.shape)}"
    assert e.dtype.name == str(t.dtype).replace("torch.", ""), f"{what}: dtype {e.dtype} != torch {t.dtype}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=atol, rtol=rtol, err_msg=what,
                               equal_nan=True)


def check_gradcheck(fn, arrays, extra=()):
    """ember's own float64 finite-difference check, independent of torch."""
    inputs = [ember.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs, *extra), inputs)


def copy_module(torch_module, ember_module):
    """Give the ember module the torch module's exact weights and buffers (float64 for parity tests)."""
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in torch_module.state_dict().items()}
    ember_module.load_state_dict(state)
    return ember_module


def check_module_parity(make, inputs, train=True, atol=1e-9, rtol=1e-7, int_inputs=()):
    """The same layer in both libraries, same weights: same output, same input and parameter gradients."""
    torch.manual_seed(0)
    t_mod = make(torch).double()
    e_mod = copy_module(t_mod, make(ember).double())
    t_mod.train(train)
    e_mod.train(train)
    t_in = [torch.tensor(a, requires_grad=i not in int_inputs) for i, a in enumerate(inputs)]
    e_in = [ember.tensor(a, requires_grad=i not in int_inputs) for i, a in enumerate(inputs)]
    t_out, e_out = t_mod(*t_in), e_mod(*e_in)
    assert_same(e_out, t_out, atol, rtol)
    seed = RNG.normal(size=tuple(t_out.shape))
    t_out.backward(torch.tensor(seed))
    e_out.backward(ember.tensor(seed))
    for i in range(len(inputs)):
        if i not in int_inputs:
            assert_same(e_in[i].grad, t_in[i].grad, atol, rtol, what=f"input {i} gradient")
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        if t_params[name].grad is None:
            assert p.grad is None, name
        else:
            assert_same(p.grad, t_params[name].grad, atol, rtol, what=f"{name} gradient")
    for (name, b), (_, tb) in zip(e_mod.named_buffers(), t_mod.named_buffers()):
        assert_same(b, tb, atol, rtol, what=f"buffer {name}")
    return e_mod, t_mod
