"""nn.LazyLinear against torch: UninitializedParameters (and in_features=0) until the first forward, which
shapes them from the input, initialises them as Linear (same draws), and turns the module into a Linear;
printed forms, state_dict, isinstance, an optimizer made before or after the first forward, dtypes, loading a
state_dict before the first forward, and the error for asking an uninitialized parameter's shape."""
import numpy as np
import pytest
import torch

import ember

X = np.random.default_rng(41).normal(size=(4, 3, 7))


def _printed(lib, module):
    return repr(module).replace(f"{lib.__name__}.", "")


def test_before_the_first_forward_as_torch():
    for bias in (True, False):
        e, t = ember.nn.LazyLinear(5, bias=bias), torch.nn.LazyLinear(5, bias=bias)
        assert repr(e) == repr(t) and repr(e.weight) == repr(t.weight) == "<UninitializedParameter>"
        assert isinstance(e, ember.nn.Linear) and type(e).__name__ == "LazyLinear" and e.in_features == 0
        assert isinstance(e.weight, ember.nn.UninitializedParameter) and e.weight.requires_grad
        assert list(e.state_dict()) == list(t.state_dict())
        assert [repr(v) for v in e.state_dict().values()] == [repr(v) for v in t.state_dict().values()]
        assert e.has_uninitialized_params() and t.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        ember.nn.LazyLinear(5).weight.shape
    for lib in (ember, torch):  # (counting the parameters, or making Adagrad's state, before the first forward)
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in <method 'numel'"):
            sum(p.numel() for p in lib.nn.LazyLinear(5).parameters())
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in "):
            lib.optim.Adagrad(lib.nn.LazyLinear(5).parameters())


@pytest.mark.parametrize("optimizer_first", [False, True])
@pytest.mark.parametrize("make_optimizer", [lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
                                            lambda lib, p: lib.optim.Adam(p, lr=0.01)], ids=["SGD", "Adam"])
def test_the_course_usage_matches_torch(make_optimizer, optimizer_first):
    """Build the model, run a batch (or make the optimizer first), then train: same numbers as torch."""
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.LazyLinear(6), lib.nn.ReLU(), lib.nn.LazyLinear(2)).double()
        optimizer = make_optimizer(lib, model.parameters()) if optimizer_first else None
        x = lib.tensor(X)
        model(x)
        if optimizer is None:
            optimizer = make_optimizer(lib, model.parameters())
        for _ in range(3):
            optimizer.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            optimizer.step()
        results.append(([type(m).__name__ for m in model], _printed(lib, model), list(model.state_dict()),
                        [p.detach().numpy() for p in model.parameters()], loss.item()))
    (e_types, e_text, e_keys, e_params, e_loss), (t_types, t_text, t_keys, t_params, t_loss) = results
    assert e_types == t_types == ["Linear", "ReLU", "Linear"]
    assert e_text == t_text and e_keys == t_keys
    for a, b in zip(e_params, t_params):
        assert a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert e_loss == pytest.approx(t_loss, rel=1e-12)


def test_the_first_forward_draws_what_linear_draws():
    for lib in (ember, torch):
        lib.manual_seed(0)
    e, t = ember.nn.LazyLinear(3, dtype=ember.float32), torch.nn.LazyLinear(3, dtype=torch.float32)
    x = X[0].astype(np.float32)
    ember.manual_seed(5)
    torch.manual_seed(5)
    e_out, t_out = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    np.testing.assert_array_equal(e.bias.detach().numpy(), t.bias.detach().numpy())
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6)
    assert type(e) is ember.nn.Linear and e.in_features == 7 and repr(e) == repr(t)
    assert not e._forward_pre_hooks  # (the hook is gone: later calls are a plain Linear's)


def test_loading_a_state_dict_before_the_first_forward():
    source = torch.nn.Linear(7, 3)  # (a lazy parameter takes the checkpoint's shape, in its own dtype)
    state = {k: ember.tensor(v.detach().numpy()) for k, v in source.state_dict().items()}
    e, t = ember.nn.LazyLinear(3), torch.nn.LazyLinear(3)
    e.load_state_dict(state)
    t.load_state_dict(source.state_dict())
    assert repr(e) == repr(t) and tuple(e.weight.shape) == tuple(t.weight.shape) == (3, 7)
    x = X.astype(np.float32)
    out_e, out_t = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert repr(e) == repr(t) == "Linear(in_features=7, out_features=3, bias=True)"
    with pytest.raises(RuntimeError, match="Missing key"):
        ember.nn.LazyLinear(3).load_state_dict({"weight": ember.ones(3, 7)})
