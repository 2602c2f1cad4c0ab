"""Optimizers and schedulers: 50 steps from the same weights give PyTorch's parameters (float64), every option."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(7)
W0, B0 = RNG.normal(size=(3, 4)), RNG.normal(size=3)
X, Y = RNG.normal(size=(8, 4)), RNG.normal(size=(8, 3))


def _train(lib, make_optimizer, steps=50, groups=False):
    w = lib.nn.Parameter(lib.tensor(W0.copy()))
    b = lib.nn.Parameter(lib.tensor(B0.copy()))
    params = [{"params": [w]}, {"params": [b], "lr": 0.05}] if groups else [w, b]
    opt = make_optimizer(lib, params)
    x, y = lib.tensor(X), lib.tensor(Y)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w.T + b - y) ** 2).mean() + 0.1 * w.sin().sum()
        loss.backward()
        opt.step()
    return w, b, opt


OPTIMIZERS = {
    "sgd": lambda lib, p: lib.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_dampening": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3),
    "sgd_nesterov": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    "sgd_weight_decay": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.1),
    "sgd_maximize": lambda lib, p: lib.optim.SGD(p, lr=0.01, momentum=0.5, maximize=True),
    "adam": lambda lib, p: lib.optim.Adam(p, lr=0.05),
    "adam_betas_eps": lambda lib, p: lib.optim.Adam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-6),
    "adam_amsgrad": lambda lib, p: lib.optim.Adam(p, lr=0.05, amsgrad=True),
    "adam_weight_decay": lambda lib, p: lib.optim.Adam(p, lr=0.05, weight_decay=0.1),
    "adam_maximize": lambda lib, p: lib.optim.Adam(p, lr=0.01, maximize=True),
    "adamw": lambda lib, p: lib.optim.AdamW(p, lr=0.05),
    "adamw_amsgrad_decay": lambda lib, p: lib.optim.AdamW(p, lr=0.05, weight_decay=0.3, amsgrad=True),
    "rmsprop": lambda lib, p: lib.optim.RMSprop(p, lr=0.01),
    "rmsprop_centered": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, centered=True),
    "rmsprop_momentum": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.9, alpha=0.9),
    "rmsprop_all": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1,
                                                    maximize=True),
    "adagrad": lambda lib, p: lib.optim.Adagrad(p, lr=0.1),
    "adagrad_decay": lambda lib, p: lib.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                                      initial_accumulator_value=0.5),
    "adagrad_maximize_eps": lambda lib, p: lib.optim.Adagrad(p, lr=0.05, eps=1e-3, maximize=True),
    "nadam": lambda lib, p: lib.optim.NAdam(p, lr=0.05),
    "nadam_decay": lambda lib, p: lib.optim.NAdam(p, lr=0.05, weight_decay=0.1, momentum_decay=0.01),
    "nadam_decoupled": lambda lib, p: lib.optim.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True,
                                                      maximize=True),
    "radam": lambda lib, p: lib.optim.RAdam(p, lr=0.05),  # rho passes 5 at step 6: both branches run
    "radam_decay": lambda lib, p: lib.optim.RAdam(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
    "radam_decoupled": lambda lib, p: lib.optim.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "adamax": lambda lib, p: lib.optim.Adamax(p, lr=0.05),
    "adamax_decay": lambda lib, p: lib.optim.Adamax(p, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, maximize=True),
    "adadelta": lambda lib, p: lib.optim.Adadelta(p),
    "rprop": lambda lib, p: lib.optim.Rprop(p),
    "rprop_options": lambda lib, p: lib.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2),
                                                    maximize=True),
    "adadelta_options": lambda lib, p: lib.optim.Adadelta(p, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1),
}


@pytest.mark.parametrize("groups", [False, True], ids=["one group", "two groups"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fifty_steps_match_torch(name, groups):
    e_w, e_b, _ = _train(ember, OPTIMIZERS[name], groups=groups)
    t_w, t_b, _ = _train(torch, OPTIMIZERS[name], groups=groups)
    np.testing.assert_allclose(e_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(e_b.detach().numpy(), t_b.detach().numpy(), rtol=1e-6, atol=1e-9)


# (not NAdam: loading casts its float32 mu_product to the weights' dtype, in PyTorch too, so a resumed run
# differs from an uninterrupted one in the 12th digit)
@pytest.mark.parametrize("name", ["sgd_momentum", "adam_amsgrad", "rmsprop_all", "adagrad_decay", "radam",
                                  "adamax", "adadelta", "rprop"])
def test_state_dict_resume_equals_uninterrupted(name, tmp_path):
    straight_w, _, _ = _train(ember, OPTIMIZERS[name], steps=20)
    w, b, opt = _train(ember, OPTIMIZERS[name], steps=10)
    ember.save({"w": w, "b": b, "opt": opt.state_dict()}, tmp_path / "ck.safetensors")
    ck = ember.load(tmp_path / "ck.safetensors")
    w2, b2 = ck["w"], ck["b"]
    opt2 = OPTIMIZERS[name](ember, [w2, b2])
    opt2.load_state_dict(ck["opt"])
    x, y = ember.tensor(X), ember.tensor(Y)
    for _ in range(10):
        opt2.zero_grad()
        (((x @ w2.T + b2 - y) ** 2).mean() + 0.1 * w2.sin().sum()).backward()
        opt2.step()
    np.testing.assert_allclose(w2.detach().numpy(), straight_w.detach().numpy(), rtol=1e-12)


def test_state_dict_layout_matches_torch():
    _, _, e_opt = _train(ember, OPTIMIZERS["adam"], steps=2, groups=True)
    _, _, t_opt = _train(torch, OPTIMIZERS["adam"], steps=2, groups=True)
    e, t = e_opt.state_dict(), t_opt.state_dict()
    assert list(e["state"]) == list(t["state"]) == [0, 1]
    assert sorted(e["state"][0]) == sorted(t["state"][0])
    assert [g["params"] for g in e["param_groups"]] == [g["params"] for g in t["param_groups"]]
    assert e["param_groups"][1]["lr"] == t["param_groups"][1]["lr"] == 0.05


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD(p, lr=-1), lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, nesterov=True), lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.Adam(p, eps=-1), lambda lib, p: lib.optim.RMSprop(p, alpha=-1),
    lambda lib, p: lib.optim.Adagrad(p, lr_decay=-1), lambda lib, p: lib.optim.SGD([], lr=0.1),
    lambda lib, p: lib.optim.NAdam(p, momentum_decay=-1), lambda lib, p: lib.optim.RAdam(p, betas=(0.9, 1.0)),
    lambda lib, p: lib.optim.Adamax(p, eps=-1), lambda lib, p: lib.optim.Adadelta(p, rho=1.5),
    lambda lib, p: lib.optim.Rprop(p, etas=(1.2, 0.5)),
])
def test_bad_hyperparameters_are_value_errors(make):
    for lib in (ember, torch):
        with pytest.raises(ValueError):
            make(lib, [lib.nn.Parameter(lib.zeros(2))])


def test_closure_and_zero_grad():
    w = ember.nn.Parameter(ember.tensor([1.0]))
    opt = ember.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 1.0 and abs(w.item() - 0.8) < 1e-7
    opt.zero_grad(set_to_none=False)
    assert w.grad.item() == 0.0


SCHEDULERS = {
    "step": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
    "multistep": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "exponential": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.93),
    "cosine": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=15, eta_min=0.001),
    "lambda": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "onecycle_cos": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=60),
    "onecycle_linear_3phase": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=[0.5, 0.8], epochs=6, steps_per_epoch=10, anneal_strategy="linear", three_phase=True,
        pct_start=0.25),
    "warm_restarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=0.01),
    "warm_restarts_growing": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3, T_mult=2),
    "constant": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=0.25, total_iters=9),
    "linear": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20),
    "polynomial": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, total_iters=30, power=2.0),
    "cyclic": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=7, step_size_down=4),
    "cyclic_triangular2": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, [0.01, 0.02], 0.1, 5,
                                                                         mode="triangular2"),
    "cyclic_exp_range": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.2, 6, mode="exp_range",
                                                                       gamma=0.97, base_momentum=0.7),
    "cyclic_custom": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, 4, scale_fn=lambda x: 0.9 ** x,
                                                                    scale_mode="iterations", cycle_momentum=False),
    "chained": lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(o, 0.1, total_iters=3), lib.optim.lr_scheduler.ExponentialLR(o, 0.9)]),
    "warmup_then_cosine": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, 0.01, total_iters=8),
            lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20),
            lib.optim.lr_scheduler.ExponentialLR(o, 0.9)], milestones=[8, 30]),
}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_lr_sequence_matches_torch(name, optimizer):
    sequences = []
    for lib in (ember, torch):
        params = [{"params": [lib.nn.Parameter(lib.zeros(2))]}, {"params": [lib.nn.Parameter(lib.zeros(2))],
                                                                 "lr": 0.2}]
        opt = lib.optim.SGD(params, lr=0.1, momentum=0.9) if optimizer == "sgd" else lib.optim.Adam(params, lr=0.1)
        sched = SCHEDULERS[name](lib, opt)
        seq = []
        for _ in range(50):
            opt.step()
            sched.step()
            group = opt.param_groups[0]
            seq.append((*sched.get_last_lr(), group.get("momentum", group.get("betas", (0,))[0])))
        sequences.append(seq)
    np.testing.assert_allclose(np.array(sequences[0], float), np.array(sequences[1], float), rtol=1e-12, atol=1e-15)


CLOSED_FORMS = {
    "step": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.3),
    "exponential": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
    "cosine": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6),
    "constant": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, total_iters=4),
    "linear": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, total_iters=4),
    "polynomial": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, total_iters=7, power=0.5),
    "warm_restarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=3),
}


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_scheduler_stepped_to_an_epoch_matches_torch(name):
    """step(epoch) jumps with the closed form (or, for warm restarts, to a fractional epoch within a period)."""
    epochs = [1, 4, 2, 9, 3, 3, 0, 12] if name != "warm_restarts" else [0.5, 1.25, 7.0, 2.5, 30.0, 9.75]
    lrs = []
    for lib in (ember, torch):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.5)
        sched = CLOSED_FORMS[name](lib, opt)
        seq = []
        for epoch in epochs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch warns that the epoch argument is deprecated
                sched.step(epoch)
            sched.step()
            seq.append(sched.get_last_lr()[0])
        lrs.append(seq)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-13, atol=0)


def test_sequential_lr_checks_its_arguments():
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.5)
    other = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.5)
    sched = ember.optim.lr_scheduler
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.StepLR(other, 3)], milestones=[4])
    with pytest.raises(ValueError, match="at least one scheduler"):
        sched.ChainedScheduler([])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.ChainedScheduler([sched.StepLR(opt, 2), sched.StepLR(other, 3)])
    with pytest.raises(ValueError, match="positive integer T_0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        sched.LinearLR(opt, start_factor=0)


@pytest.mark.parametrize("kind", ["SequentialLR", "ChainedScheduler"])
def test_schedulers_of_schedulers_resume_from_their_state_dict(kind):
    def build():
        opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.5)
        parts = [ember.optim.lr_scheduler.LinearLR(opt, 0.2, total_iters=4),
                 ember.optim.lr_scheduler.ExponentialLR(opt, 0.8)]
        if kind == "SequentialLR":
            return opt, ember.optim.lr_scheduler.SequentialLR(opt, parts, milestones=[4])
        return opt, ember.optim.lr_scheduler.ChainedScheduler(parts)

    opt, straight = build()
    for _ in range(9):
        straight.step()
    opt_a, first = build()
    for _ in range(5):
        first.step()
    opt_b, resumed = build()
    resumed.load_state_dict(first.state_dict())
    opt_b.param_groups[0]["lr"] = opt_a.param_groups[0]["lr"]  # (the optimizer's own state travels separately)
    for _ in range(4):
        resumed.step()
    assert math.isclose(resumed.get_last_lr()[0], straight.get_last_lr()[0], rel_tol=1e-12)


def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.91, 0.92, 0.93, 0.95, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6] * 3
    lrs = []
    for lib in (ember, torch):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=1.0)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
        seq = []
        for m in metrics:
            sched.step(m)
            seq.append(opt.param_groups[0]["lr"])
        lrs.append(seq)
    assert lrs[0] == lrs[1]


def test_scheduler_state_dict_round_trip():
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    sched = ember.optim.lr_scheduler.StepLR(opt, 3)
    for _ in range(4):
        sched.step()
    state = sched.state_dict()
    opt2 = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    sched2 = ember.optim.lr_scheduler.StepLR(opt2, 3)
    sched2.load_state_dict(state)
    assert sched2.last_epoch == 4 and math.isclose(sched2.get_last_lr()[0], sched.get_last_lr()[0])
