"""ASGD, LBFGS and SparseAdam: trajectories equal PyTorch's from the same weights (float64), every option, and a
state_dict round trip that resumes exactly."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(7)
W0, B0 = RNG.normal(size=(3, 4)), RNG.normal(size=3)
X, Y = RNG.normal(size=(8, 4)), RNG.normal(size=(8, 3))


def _loss(lib, w, b):
    x, y = lib.tensor(X), lib.tensor(Y)
    return ((x @ w.T + b - y) ** 2).mean() + 0.1 * w.sin().sum()


def _params(lib):
    return lib.nn.Parameter(lib.tensor(W0.copy())), lib.nn.Parameter(lib.tensor(B0.copy()))


def _run(lib, opt, w, b, steps):
    losses = []
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = _loss(lib, w, b)
            loss.backward()
            return loss
        losses.append(opt.step(closure).item())
    return losses


def _train(lib, make, steps=50, groups=False):
    w, b = _params(lib)
    opt = make(lib, [{"params": [w]}, {"params": [b], "lr": 0.02}] if groups else [w, b])
    return w, b, opt, _run(lib, opt, w, b, steps)


OPTIMIZERS = {
    "asgd": lambda lib, p: lib.optim.ASGD(p, lr=0.05),
    "asgd_averaging": lambda lib, p: lib.optim.ASGD(p, lr=0.05, lambd=1e-2, alpha=0.6, t0=10),
    "asgd_decay_maximize": lambda lib, p: lib.optim.ASGD(p, lr=0.01, t0=5, weight_decay=0.1, maximize=True),
    "lbfgs": lambda lib, p: lib.optim.LBFGS(p, lr=0.1, max_iter=5),
    "lbfgs_defaults": lambda lib, p: lib.optim.LBFGS(p, lr=0.05),
    "lbfgs_history": lambda lib, p: lib.optim.LBFGS(p, lr=0.2, max_iter=7, history_size=2),
    "lbfgs_wolfe": lambda lib, p: lib.optim.LBFGS(p, line_search_fn="strong_wolfe"),
    "lbfgs_wolfe_small": lambda lib, p: lib.optim.LBFGS(p, max_iter=4, max_eval=6, history_size=3,
                                                        line_search_fn="strong_wolfe"),
    "lbfgs_tolerances": lambda lib, p: lib.optim.LBFGS(p, line_search_fn="strong_wolfe", tolerance_grad=1e-3,
                                                       tolerance_change=1e-4),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fifty_steps_match_torch(name):
    e_w, e_b, e_opt, e_losses = _train(ember, OPTIMIZERS[name])
    t_w, t_b, t_opt, t_losses = _train(torch, OPTIMIZERS[name])
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(e_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(e_b.detach().numpy(), t_b.detach().numpy(), rtol=1e-6, atol=1e-9)
    e_state, t_state = e_opt.state[e_w], t_opt.state[t_w]
    if name.startswith("asgd"):  # the averaged iterate is ASGD's answer
        np.testing.assert_allclose(e_state["ax"].numpy(), t_state["ax"].numpy(), rtol=1e-6, atol=1e-9)
        assert float(e_state["eta"]) == float(t_state["eta"]) and float(e_state["mu"]) == float(t_state["mu"])
    else:  # the same number of iterations and closure calls
        assert (e_state["n_iter"], e_state["func_evals"]) == (t_state["n_iter"], t_state["func_evals"])
    assert sorted(e_state) == sorted(k for k in t_state if k != "al")  # 'al' is LBFGS's scratch space


def test_asgd_groups_match_torch():
    e_w, e_b, _, _ = _train(ember, OPTIMIZERS["asgd_averaging"], groups=True)
    t_w, t_b, _, _ = _train(torch, OPTIMIZERS["asgd_averaging"], groups=True)
    np.testing.assert_allclose(e_b.detach().numpy(), t_b.detach().numpy(), rtol=1e-6, atol=1e-9)


def _resumed(lib, name, tmp_path):
    """6 steps, a state_dict (through ember.save for ember), a new optimizer that loads it, 6 more steps."""
    w, b, opt, _ = _train(lib, OPTIMIZERS[name], steps=6)
    saved = {"w": w.detach(), "b": b.detach(), "opt": opt.state_dict()}
    if lib is ember:
        ember.save(saved, tmp_path / "ck.safetensors")
        saved = ember.load(tmp_path / "ck.safetensors")
    w2, b2 = lib.nn.Parameter(saved["w"].clone()), lib.nn.Parameter(saved["b"].clone())
    opt2 = OPTIMIZERS[name](lib, [w2, b2])
    opt2.load_state_dict(saved["opt"])
    return w2, _run(lib, opt2, w2, b2, 6)


@pytest.mark.parametrize("name", ["asgd_averaging", "lbfgs", "lbfgs_wolfe_small"])
def test_state_dict_resume_as_torch(name, tmp_path):
    e_w, e_losses = _resumed(ember, name, tmp_path)
    t_w, t_losses = _resumed(torch, name, tmp_path)
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-6)
    np.testing.assert_allclose(e_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-6, atol=1e-9)
    # LBFGS resumes exactly; ASGD's float32 eta and mu are cast to the weights' dtype on loading, in PyTorch too,
    # so its resumed run differs from an uninterrupted one in the 9th digit
    if name.startswith("lbfgs"):
        straight_w, _, _, straight_losses = _train(ember, OPTIMIZERS[name], steps=12)
        np.testing.assert_allclose(e_losses, straight_losses[6:], rtol=1e-12)
        np.testing.assert_allclose(e_w.detach().numpy(), straight_w.detach().numpy(), rtol=1e-12)


def test_lbfgs_rules_as_torch():
    for lib in (ember, torch):
        w, b = _params(lib)
        with pytest.raises(ValueError, match="parameter groups"):
            lib.optim.LBFGS([{"params": [w]}, {"params": [b]}])
        with pytest.raises(ValueError):
            lib.optim.LBFGS([w], lr=-1)
        opt = lib.optim.LBFGS([w], line_search_fn="backtracking")
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(lambda: (opt.zero_grad(), _loss(lib, w, b).backward(), _loss(lib, w, b))[-1])
        with pytest.raises(TypeError):
            opt.step()  # the closure is required
        with pytest.raises(TypeError):
            opt.step(None)


def test_lbfgs_stops_at_an_optimum_as_torch():
    """A quadratic that LBFGS solves: the result and the evaluation count are torch's."""
    results = []
    for lib in (ember, torch):
        x = lib.nn.Parameter(lib.zeros(3, dtype=lib.float64))
        a = lib.tensor([[3.0, 0.5, 0.0], [0.5, 2.0, 0.1], [0.0, 0.1, 1.0]], dtype=lib.float64)
        target = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)
        opt = lib.optim.LBFGS([x], line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = 0.5 * x @ a @ x - target @ x
            loss.backward()
            return loss
        opt.step(closure)
        opt.step(closure)  # already optimal: returns after one evaluation
        results.append((x.detach().numpy().copy(), opt.state[x]["func_evals"], opt.state[x]["n_iter"]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)  # near the optimum: last digits are noise
    np.testing.assert_allclose(results[0][0], np.linalg.solve([[3.0, 0.5, 0.0], [0.5, 2.0, 0.1], [0.0, 0.1, 1.0]],
                                                              [1.0, -2.0, 0.5]), rtol=1e-4)
    assert results[0][1:] == results[1][1:]


# ---- SparseAdam: against PyTorch's on an Embedding(sparse=True) ----------------------------------------
TABLE = RNG.normal(size=(10, 3))
BATCHES = [RNG.integers(0, 10, size=4) for _ in range(50)]  # a few rows of the table per step, repeats included
TARGETS = [RNG.normal(size=(4, 3)) for _ in range(50)]


def _sparse_train(lib, steps=50, opt_state=None, weight=TABLE, start=0, **options):
    emb = lib.nn.Embedding(10, 3, sparse=True, dtype=lib.float64)
    with lib.no_grad():
        emb.weight.copy_(lib.tensor(weight))
    opt = lib.optim.SparseAdam(list(emb.parameters()), **options)
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    for idx, target in zip(BATCHES[start:start + steps], TARGETS[start:start + steps]):
        opt.zero_grad()
        ((emb(lib.tensor(idx)) - lib.tensor(target)) ** 2).sum().backward()
        opt.step()
    return emb.weight, opt


@pytest.mark.parametrize("options", [{}, dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6), dict(lr=0.02, maximize=True)],
                         ids=["defaults", "options", "maximize"])
def test_sparse_adam_matches_torch_on_sparse_embeddings(options):
    e_w, e_opt = _sparse_train(ember, **options)
    t_w, t_opt = _sparse_train(torch, **options)
    np.testing.assert_allclose(e_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-6, atol=1e-9)
    e_state, t_state = e_opt.state[e_w], t_opt.state[t_w]
    assert e_state["step"] == t_state["step"] == 50
    np.testing.assert_allclose(e_state["exp_avg_sq"].numpy(), t_state["exp_avg_sq"].numpy(), rtol=1e-6, atol=1e-12)


def test_sparse_adam_leaves_rows_not_looked_up():
    emb = ember.nn.Embedding(10, 3, sparse=True)
    before = emb.weight.detach().numpy().copy()
    opt = ember.optim.SparseAdam(list(emb.parameters()), lr=0.1)
    emb(ember.tensor([2, 7, 2])).sum().backward()
    opt.step()
    after = emb.weight.detach().numpy()
    untouched = [r for r in range(10) if r not in (2, 7)]
    np.testing.assert_array_equal(after[untouched], before[untouched])
    assert (after[[2, 7]] != before[[2, 7]]).all()


def test_sparse_adam_state_dict_resume():
    straight, _ = _sparse_train(ember, steps=20, lr=0.05)
    w, opt = _sparse_train(ember, steps=10, lr=0.05)
    resumed, _ = _sparse_train(ember, steps=10, opt_state=opt.state_dict(), weight=w.detach().numpy(), start=10,
                               lr=0.05)
    np.testing.assert_allclose(resumed.detach().numpy(), straight.detach().numpy(), rtol=1e-12)


def test_bad_hyperparameters_as_torch():
    for lib in (ember, torch):
        for options in (dict(lr=0.0), dict(eps=0.0), dict(betas=(1.0, 0.9)), dict(betas=(0.9, -0.1))):
            with pytest.raises(ValueError):
                lib.optim.SparseAdam([lib.nn.Parameter(lib.zeros(2))], **options)
        for options in (dict(lr=-0.1), dict(weight_decay=-1)):
            with pytest.raises(ValueError):
                lib.optim.ASGD([lib.nn.Parameter(lib.zeros(2))], **options)
