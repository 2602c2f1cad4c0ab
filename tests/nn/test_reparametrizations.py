"""nn.utils.weight_norm / spectral_norm and their remove_*: the hook-based reparametrisations, against torch.

Each test builds the same module in torch and in ember (ember gets torch's weights), applies the
reparametrisation in both, and compares what a learner sees: forward outputs, the gradients of
the new parameters, the u/v buffers, parameters() and state_dict(), and the errors.
"""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(atol=1e-5, rtol=1e-5), "float64": dict(atol=1e-10, rtol=1e-9)}


def make(lib, kind, dtype):
    """A small layer of the given kind, and an input for it."""
    layers = {"linear": lambda: lib.nn.Linear(5, 4),
              "conv2d": lambda: lib.nn.Conv2d(3, 4, 3),
              "convtranspose2d": lambda: lib.nn.ConvTranspose2d(3, 4, 3, stride=2),
              "lstm": lambda: lib.nn.LSTM(3, 4)}
    shapes = {"linear": (6, 5), "conv2d": (2, 3, 6, 6), "convtranspose2d": (2, 3, 4, 4), "lstm": (5, 2, 3)}
    return layers[kind]().to(getattr(lib, dtype)), shapes[kind]


def pair(kind, dtype):
    """(torch layer, ember layer with torch's weights)."""
    torch.manual_seed(0)
    t, _ = make(torch, kind, dtype)
    e, _ = make(ember, kind, dtype)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t, e


def x_for(kind, dtype, seed=1):
    _, shape = make(torch, kind, dtype)
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def run(layer, lib, x):
    out = layer(lib.tensor(x))
    return out[0] if isinstance(out, tuple) else out


def loss_of(out):
    return (out * out.detach().sin()).sum()  # (a loss whose gradient is not all ones)


def weight_norm_quiet(lib, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return lib.nn.utils.weight_norm(*args, **kwargs)


def same_state(e_module, t_module, tol):
    t_state, e_state = t_module.state_dict(), e_module.state_dict()
    assert list(e_state) == list(t_state)
    for key in t_state:
        assert_same(e_state[key], t_state[key], **tol, what=key)


def same_params(e_module, t_module, tol, grads=False):
    t_named, e_named = list(t_module.named_parameters()), list(e_module.named_parameters())
    assert [n for n, _ in e_named] == [n for n, _ in t_named]
    for (name, e), (_, t) in zip(e_named, t_named):
        assert isinstance(e, ember.nn.Parameter)
        assert_same(e, t, **tol, what=name)
        if grads:
            assert_same(e.grad, t.grad, **tol, what=name + ".grad")


# ---- weight_norm ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["linear", "conv2d", "convtranspose2d"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_forward_gradients_and_state_like_torch(kind, dtype, dim):
    t, e = pair(kind, dtype)
    weight_norm_quiet(torch, t, dim=dim)
    weight_norm_quiet(ember, e, dim=dim)
    tol = TOL[dtype]
    same_state(e, t, tol)  # bias, weight_g, weight_v: torch's keys, in torch's order
    x = x_for(kind, dtype)
    for _ in range(2):  # (the hook rebuilds the weight on every call)
        outs = [run(m, lib, x) for m, lib in ((t, torch), (e, ember))]
        assert_same(outs[1], outs[0], **tol)
        for out in outs:
            loss_of(out).backward()
    same_params(e, t, tol, grads=True)
    assert not isinstance(e.weight, ember.nn.Parameter)
    assert_same(e.weight, t.weight, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_on_an_lstm_hidden_weight_like_torch(dtype, dim):
    t, e = pair("lstm", dtype)
    weight_norm_quiet(torch, t, name="weight_hh_l0", dim=dim)
    weight_norm_quiet(ember, e, name="weight_hh_l0", dim=dim)
    tol = TOL[dtype]
    same_state(e, t, tol)
    x = x_for("lstm", dtype)
    outs = [run(m, lib, x) for m, lib in ((t, torch), (e, ember))]
    assert_same(outs[1], outs[0], **tol)
    for out in outs:
        loss_of(out).backward()
    same_params(e, t, tol, grads=True)


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1, -2, -4, None])
def test_weight_norm_dims_follow_torch_norm_except_dim(dim):
    """-1 (and None) norms the whole tensor, to a scalar g; any other dim keeps one norm per index."""
    t, e = pair("conv2d", "float64")
    weight_norm_quiet(torch, t, dim=dim)
    weight_norm_quiet(ember, e, dim=dim)
    assert_same(e.weight_g, t.weight_g)
    assert_same(e.weight, t.weight)


def test_weight_norm_warns_as_torch_does():
    caught = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            lib.nn.utils.weight_norm(lib.nn.Linear(2, 3))
        caught.append([(w.category, str(w.message)) for w in log])
    assert caught[1] == caught[0] and caught[0][0][0] is FutureWarning


@pytest.mark.parametrize("dtype", DTYPES)
def test_remove_weight_norm_restores_a_plain_parameter_with_the_current_weight(dtype):
    t, e = pair("conv2d", dtype)
    x = x_for("conv2d", dtype)
    for m, lib in ((t, torch), (e, ember)):
        weight_norm_quiet(lib, m)
        with lib.no_grad():
            m.weight_g.mul_(1.5)  # (a trained g: the restored weight must be v * (g / ||v||) with this g)
        lib.nn.utils.remove_weight_norm(m)
    same_params(e, t, TOL[dtype])  # bias, then weight: torch's order after removal
    assert not e._forward_pre_hooks
    assert_same(run(e, ember, x), run(t, torch, x), **TOL[dtype])


# ---- spectral_norm -------------------------------------------------------------------------------
def spectral_pair(kind, dtype, **kwargs):
    t, e = pair(kind, dtype)
    for m, lib in ((t, torch), (e, ember)):
        lib.manual_seed(7)  # (u and v are random draws: the same seed must give torch's)
        lib.nn.utils.spectral_norm(m, **kwargs)
    return t, e


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["linear", "conv2d", "convtranspose2d"])
@pytest.mark.parametrize("iterations", [1, 3])
def test_spectral_norm_training_forwards_like_torch(kind, dtype, iterations):
    t, e = spectral_pair(kind, dtype, n_power_iterations=iterations)
    tol = TOL[dtype]
    same_state(e, t, tol)  # bias, weight_orig, weight_u, weight_v, with torch's freshly drawn u and v
    x = x_for(kind, dtype)
    for _ in range(4):  # power iteration refines u and v on every training forward
        outs = [run(m, lib, x) for m, lib in ((t, torch), (e, ember))]
        assert_same(outs[1], outs[0], **tol)
        for out in outs:
            loss_of(out).backward()
        same_state(e, t, tol)
    same_params(e, t, tol, grads=True)  # gradients of bias and weight_orig, summed over the forwards
    assert_same(e.weight, t.weight, **tol)


def test_spectral_norm_dim_defaults_to_one_for_transposed_convolutions():
    t, e = spectral_pair("convtranspose2d", "float64")
    assert e.weight_u.shape == t.weight_u.shape == (4,)  # (weight is (in=3, out=4, 3, 3): rows are outputs)
    t, e = spectral_pair("convtranspose2d", "float64", dim=0)
    assert e.weight_u.shape == t.weight_u.shape == (3,)


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_norm_eval_mode_does_no_power_iteration(dtype):
    t, e = spectral_pair("conv2d", dtype)
    x = x_for("conv2d", dtype)
    for m, lib in ((t, torch), (e, ember)):
        run(m, lib, x)  # (one training forward first)
        m.eval()
    u_before = e.weight_u.clone()
    for _ in range(2):
        assert_same(run(e, ember, x), run(t, torch, x), **TOL[dtype])
    np.testing.assert_array_equal(e.weight_u.numpy(), u_before.numpy())
    same_state(e, t, TOL[dtype])


def test_spectral_norm_backward_through_two_forwards_like_a_gan_discriminator():
    """D(real) and D(fake) in one loss: the second forward's in-place u/v update must not break the first."""
    t, e = spectral_pair("linear", "float64")
    real, fake = x_for("linear", "float64", 1), x_for("linear", "float64", 2)
    for m, lib in ((t, torch), (e, ember)):
        (run(m, lib, real).mean() - run(m, lib, fake).mean()).backward()
    same_params(e, t, TOL["float64"], grads=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_norm_state_dict_loads_both_ways(dtype):
    t, e = spectral_pair("conv2d", dtype)
    x = x_for("conv2d", dtype)
    for _ in range(2):
        run(t, torch, x), run(e, ember, x)
    # ember's own state_dict loads back into a fresh spectral-normed module ...
    fresh = spectral_pair("conv2d", dtype)[1]
    fresh.load_state_dict(e.state_dict())
    np.testing.assert_array_equal(run(fresh, ember, x).detach().numpy(), run(e, ember, x).detach().numpy())
    # ... into torch (which reads it as the current layout: weight_orig, weight_u, weight_v) ...
    t_fresh = spectral_pair("conv2d", dtype)[0]
    t_fresh.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in e.state_dict().items()})
    same_state(e, t_fresh, TOL[dtype])
    # ... and torch's loads into ember
    e_fresh = spectral_pair("conv2d", dtype)[1]
    e_fresh.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    same_state(e_fresh, t, TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_remove_spectral_norm_restores_a_plain_parameter_with_the_current_weight(dtype):
    t, e = spectral_pair("linear", dtype)
    x = x_for("linear", dtype)
    for m, lib in ((t, torch), (e, ember)):
        run(m, lib, x)
        lib.nn.utils.remove_spectral_norm(m)
    same_params(e, t, TOL[dtype])
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert not e._forward_pre_hooks
    assert_same(run(e, ember, x), run(t, torch, x), **TOL[dtype])


def spectral_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.utils.spectral_norm(nn.Conv2d(2, 3, 3)), nn.LeakyReLU(0.2), nn.Flatten(),
                         nn.utils.spectral_norm(nn.Linear(3 * 4 * 4, 5)), nn.Tanh(), nn.Linear(5, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_steps_with_spectral_norm_give_torch_parameters(dtype):
    models = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        model = spectral_model(lib).to(getattr(lib, dtype))
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        rng = np.random.default_rng(5)
        for _ in range(5):
            x = lib.tensor(rng.normal(size=(4, 2, 6, 6)).astype(dtype))
            target = lib.tensor(rng.normal(size=(4, 1)).astype(dtype))
            opt.zero_grad()
            lib.nn.functional.mse_loss(model(x), target).backward()
            opt.step()
        models.append(model)
    tol = TOL[dtype]
    same_params(models[1], models[0], tol)
    same_state(models[1], models[0], tol)


# ---- errors: torch's exception types and words --------------------------------------------------
def same_error(build):
    """build(lib) raises in both libraries: the same exception type and message."""
    raised = []
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(Exception) as info:
                build(lib)
        raised.append(info.value)
    assert type(raised[1]) is type(raised[0])
    assert str(raised[1]) == str(raised[0])


def with_buffer(lib):
    m = lib.nn.Linear(2, 3)
    m.register_buffer("b", lib.ones(2))
    return m


ERRORS = {
    "weight_norm twice": lambda lib: lib.nn.utils.weight_norm(lib.nn.utils.weight_norm(lib.nn.Linear(2, 3))),
    "weight_norm missing name": lambda lib: lib.nn.utils.weight_norm(lib.nn.Linear(2, 3), name="foo"),
    "weight_norm on a buffer": lambda lib: lib.nn.utils.weight_norm(with_buffer(lib), name="b"),
    "weight_norm on a None bias": lambda lib: lib.nn.utils.weight_norm(lib.nn.Linear(2, 3, bias=False), "bias"),
    "weight_norm dim out of range": lambda lib: lib.nn.utils.weight_norm(lib.nn.Linear(2, 3), dim=2),
    "weight_norm lazy": lambda lib: lib.nn.utils.weight_norm(lib.nn.LazyLinear(3)),
    "remove_weight_norm never applied": lambda lib: lib.nn.utils.remove_weight_norm(lib.nn.Linear(2, 3)),
    "remove_weight_norm other name": lambda lib: lib.nn.utils.remove_weight_norm(
        lib.nn.utils.weight_norm(lib.nn.Linear(2, 3)), name="bias"),
    "remove_weight_norm of spectral_norm": lambda lib: lib.nn.utils.remove_weight_norm(
        lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3))),
    "spectral_norm twice": lambda lib: lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3))),
    "spectral_norm missing name": lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3), name="foo"),
    "spectral_norm on a None bias": lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3, bias=False), "bias"),
    "spectral_norm zero iterations": lambda lib: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3),
                                                                            n_power_iterations=0),
    "spectral_norm lazy": lambda lib: lib.nn.utils.spectral_norm(lib.nn.LazyLinear(3)),
    "remove_spectral_norm never applied": lambda lib: lib.nn.utils.remove_spectral_norm(lib.nn.Linear(2, 3)),
    "remove_spectral_norm other name": lambda lib: lib.nn.utils.remove_spectral_norm(
        lib.nn.utils.spectral_norm(lib.nn.Linear(2, 3)), name="bias"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_like_torch(case):
    same_error(ERRORS[case])


def test_weight_norm_and_spectral_norm_on_different_parameters_of_one_module():
    results = []
    for lib in (torch, ember):
        torch.manual_seed(0)
        m = lib.nn.Linear(3, 3).double()
        with lib.no_grad():
            m.weight.copy_(lib.tensor(np.arange(9.0).reshape(3, 3) / 5 - 0.7))
            m.bias.copy_(lib.tensor([0.3, -0.1, 0.2]))
        lib.manual_seed(2)
        lib.nn.utils.spectral_norm(m)
        weight_norm_quiet(lib, m, name="bias")
        out = m(lib.tensor(np.ones((2, 3))))
        out.sum().backward()
        results.append((m, out))
    assert_same(results[1][1], results[0][1])
    same_params(results[1][0], results[0][0], TOL["float64"], grads=True)
    same_state(results[1][0], results[0][0], TOL["float64"])


def gan_losses_and_models(lib):
    """A few steps of a tiny GAN: a spectral-normed critic, a generator with weight_norm and a transposed conv."""
    nn = lib.nn
    lib.manual_seed(0)
    critic = nn.Sequential(nn.utils.spectral_norm(nn.Conv2d(1, 4, 3, 2, 1)), nn.LeakyReLU(0.2), nn.Flatten(),
                           nn.utils.spectral_norm(nn.Linear(4 * 4 * 4, 1)))
    generator = nn.Sequential(weight_norm_quiet(lib, nn.Linear(8, 16)), nn.ReLU(), nn.Unflatten(1, (1, 4, 4)),
                              nn.utils.spectral_norm(nn.ConvTranspose2d(1, 1, 4, 2, 1)), nn.Tanh())
    opt_c = lib.optim.Adam(critic.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_g = lib.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(3):
        real = lib.randn(4, 1, 8, 8)
        fake = generator(lib.randn(4, 8))
        loss_c = bce(critic(real), lib.ones(4, 1)) + bce(critic(fake.detach()), lib.zeros(4, 1))
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
        loss_g = bce(critic(fake), lib.ones(4, 1))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        losses += [loss_c, loss_g]
    return losses, critic, generator


def test_a_seeded_gan_loop_gives_torch_losses_parameters_and_buffers():
    """Everything from one seed: layer init, the u/v draws, the data; float32 as a course program runs it."""
    (t_losses, *t_models), (e_losses, *e_models) = gan_losses_and_models(torch), gan_losses_and_models(ember)
    tol = TOL["float32"]
    for e, t in zip(e_losses, t_losses):
        assert_same(e, t, **tol)
    for e, t in zip(e_models, t_models):
        same_params(e, t, tol)
        same_state(e, t, tol)


def test_a_plain_state_dict_does_not_load_into_a_spectral_normed_module():
    """(torch lists some missing keys twice, from its version hook; ember lists each once)"""
    for lib in (torch, ember):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 2))
        with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "weight"'):
            m.load_state_dict(lib.nn.Linear(3, 2).state_dict())


def test_the_weights_before_and_after_share_memory_as_in_torch():
    """Initialising module.weight before the first forward sets weight_orig (one memory, as in torch);
    weight_v is the old weight parameter's memory."""
    for lib in (torch, ember):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 2))
        lib.nn.init.constant_(m.weight, 0.5)
        np.testing.assert_array_equal(m.weight_orig.detach().numpy(), np.full((2, 3), 0.5))
        layer = lib.nn.Linear(3, 2)
        old = layer.weight
        weight_norm_quiet(lib, layer)
        with lib.no_grad():
            old.fill_(2.0)
        np.testing.assert_array_equal(layer.weight_v.detach().numpy(), np.full((2, 3), 2.0))
