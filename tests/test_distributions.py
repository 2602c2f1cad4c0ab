"""torch.distributions against torch 2.13: seeded samples equal bit for bit, scores and KLs (values and
gradients), shapes, attributes, validation errors, and a REINFORCE and a VAE training step."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)


def lib_tensor(lib, array, dtype="float64", grad=False):
    return lib.tensor(np.asarray(array), dtype=getattr(lib, dtype), requires_grad=grad)


def as_np(x):
    return x.detach().numpy() if isinstance(x, (torch.Tensor, ember.Tensor)) else np.asarray(x)


def assert_close(e, t, what, atol=1e-10, rtol=1e-9):
    e, t = as_np(e), as_np(t)
    assert e.shape == t.shape, f"{what}: shape {e.shape} vs torch {t.shape}"
    np.testing.assert_allclose(e, t, atol=atol, rtol=rtol, err_msg=what)


def seeded_both(fn, seed=3):
    """fn(ember) and fn(torch), each right after manual_seed(seed); the streams must go on in step."""
    torch.manual_seed(seed)
    t = fn(torch)
    ember.manual_seed(seed)
    e = fn(ember)
    assert ember.rand(4).tolist() == torch.rand(4).tolist(), "the random streams went out of step"
    return e, t


def assert_same_sample(e, t):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert np.array_equal(as_np(e), as_np(t)), f"samples differ:\n{e}\n{t}"


# -- makers: (ember or torch, dtype, batch_shape) -> a distribution with fixed parameters -------------------

def params(shape, kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "real":
        return rng.normal(size=shape)
    if kind == "positive":
        return rng.uniform(0.3, 2.0, size=shape)
    if kind == "prob":
        return rng.uniform(0.05, 0.95, size=shape)
    raise ValueError(kind)


def make(name, lib, dtype, batch, grad=False, seed=0):
    D = lib.distributions
    t = lambda kind, shape=batch, s=0: lib_tensor(lib, params(shape, kind, seed + s), dtype, grad)  # noqa: E731
    if name == "normal":
        return D.Normal(t("real"), t("positive", s=1))
    if name == "categorical_logits":
        return D.Categorical(logits=t("real", tuple(batch) + (5,)))
    if name == "categorical_probs":
        return D.Categorical(probs=t("positive", tuple(batch) + (4,)))
    if name == "bernoulli_probs":
        return D.Bernoulli(probs=t("prob"))
    if name == "bernoulli_logits":
        return D.Bernoulli(logits=t("real"))
    if name == "uniform":
        low = t("real")
        return D.Uniform(low, low + t("positive", s=1)) if not grad else D.Uniform(low, t("real", s=1) + 5)
    raise ValueError(name)


NAMES = ["normal", "categorical_logits", "categorical_probs", "bernoulli_probs", "bernoulli_logits", "uniform"]
BATCHES = [(), (3,), (2, 3)]
SAMPLE_SHAPES = [(), (1,), (4,), (2, 5)]

@pytest.fixture(autouse=True)
def _torch_validates():
    """torch validates arguments by default, but importing torch._dynamo (torch.compile, in another test file)
    turns that off for the whole process: put torch's default back for every test here."""
    torch.distributions.Distribution.set_default_validate_args(True)
    ember.distributions.Distribution.set_default_validate_args(True)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("sample_shape", SAMPLE_SHAPES)



def test_sample_equals_torch(name, dtype, batch, sample_shape):
    e, t = seeded_both(lambda lib: make(name, lib, dtype, batch).sample(sample_shape))
    assert_same_sample(e, t)
    assert not e.requires_grad


@pytest.mark.parametrize("name", ["normal", "uniform"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("sample_shape", SAMPLE_SHAPES)
def test_rsample_equals_torch(name, dtype, batch, sample_shape):
    e, t = seeded_both(lambda lib: make(name, lib, dtype, batch).rsample(sample_shape))
    assert_same_sample(e, t)


def test_sample_with_a_list_shape_and_number_parameters():
    e, t = seeded_both(lambda lib: (lib.distributions.Normal(0.0, 1.0).sample([3, 2]),
                                    lib.distributions.Bernoulli(0.25).sample([7]),
                                    lib.distributions.Uniform(-1.0, 2.0).rsample((2,)),
                                    lib.distributions.Normal(lib.zeros(2), 1.0).rsample()))
    for a, b in zip(e, t):
        assert_same_sample(a, b)


@pytest.mark.parametrize("name", ["normal", "uniform"])
def test_rsample_gradients(name):
    def run(lib):
        a = lib_tensor(lib, params((2, 3), "real", 0), grad=True)
        b = lib_tensor(lib, params((2, 3), "positive", 1), grad=True)
        d = lib.distributions.Normal(a, b) if name == "normal" else lib.distributions.Uniform(a, a.detach() + b)
        x = d.rsample((4,))
        weights = lib_tensor(lib, params(x.shape, "real", 9))
        (x * weights).sum().backward()
        return x, [a.grad, b.grad]
    (xe, ge), (xt, gt) = seeded_both(run)
    assert_close(xe, xt, "rsample")
    for a, b in zip(ge, gt):
        assert a is not None
        assert_close(a, b, "rsample grad")


def leaves_of(name, d):
    if name == "normal":
        return [d.loc, d.scale]
    if name == "uniform":
        return [d.low, d.high]
    return [d._param]


def value_for(name, lib, batch, seed=5):
    rng = np.random.default_rng(seed)
    shape = (3,) + tuple(batch)
    if name.startswith("categorical"):
        k = 5 if name.endswith("logits") else 4
        return lib.tensor(rng.integers(0, k, size=shape))
    if name.startswith("bernoulli"):
        return lib_tensor(lib, rng.integers(0, 2, size=shape).astype(float))
    if name == "uniform":
        return lib_tensor(lib, rng.uniform(0, 1, size=shape)) * 0.2 + lib_tensor(lib, params(batch, "real", 0))
    return lib_tensor(lib, rng.normal(size=shape))


SCORES = [(n, w) for n in NAMES for w in ("log_prob", "entropy", "mean", "variance", "stddev")
          if not (n.startswith("categorical") and w in ("mean", "variance", "stddev"))]  # NaN: see below


@pytest.mark.parametrize("name,what", SCORES)
@pytest.mark.parametrize("batch", [(), (2, 3)])
def test_scores_and_moments_with_gradients(name, batch, what):
    out = {}
    for lib in (ember, torch):
        d = make(name, lib, "float64", batch, grad=True)
        if name == "uniform" and what == "log_prob":
            d = lib.distributions.Uniform(d.low, d.low.detach() + 1.0)  # values inside, gradient w.r.t. low
        y = d.log_prob(value_for(name, lib, batch)) if what == "log_prob" else getattr(d, what)
        y = y() if callable(y) else y
        leaves = [p for p in leaves_of(name, d) if p.requires_grad]
        if what == "mean" and name == "normal":
            leaves = leaves[:1]
        grads = lib.autograd.grad((y * lib_tensor(lib, params(y.shape, "real", 11))).sum(), leaves,
                                  allow_unused=True)
        out[lib] = (y, grads)
    (ye, ge), (yt, gt) = out[ember], out[torch]
    assert_close(ye, yt, f"{name}.{what}")
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if b is not None:
            assert_close(a, b, f"{name}.{what} gradient")


def test_uniform_log_prob_outside_is_minus_inf():
    for lib in (ember, torch):
        d = lib.distributions.Uniform(0.0, 1.0, validate_args=False)
        out = d.log_prob(lib.tensor([-0.5, 0.0, 0.5, 1.0]))
        assert out.tolist()[0] == -float("inf") and out.tolist()[3] == -float("inf") and out.tolist()[1] == 0.0


# -- KL ---------------------------------------------------------------------------------------------------

KL_PAIRS = {
    "normal": lambda lib, d, g: (lib.distributions.Normal(*d[0], validate_args=False),
                                 lib.distributions.Normal(*d[1], validate_args=False)),
    "categorical": lambda lib, d, g: (lib.distributions.Categorical(logits=d[0][0]),
                                      lib.distributions.Categorical(probs=d[1][1])),
    "bernoulli": lambda lib, d, g: (lib.distributions.Bernoulli(logits=d[0][0]),
                                    lib.distributions.Bernoulli(probs=d[1][1])),
    "uniform": lambda lib, d, g: (lib.distributions.Uniform(d[0][0], d[0][0] + d[0][1]),
                                  lib.distributions.Uniform(d[1][0] - 3, d[1][0] + 3)),
}


@pytest.mark.parametrize("pair", list(KL_PAIRS))
def test_kl_divergence_values_and_gradients(pair):
    shape = (2, 3, 4) if pair == "categorical" else (2, 3)
    out = {}
    for lib in (ember, torch):
        raw = [(lib_tensor(lib, params(shape, "real", 20 + i), grad=True),
                lib_tensor(lib, params(shape, "positive" if pair != "bernoulli" else "prob", 30 + i), grad=True))
               for i in range(2)]
        if pair == "categorical":
            raw[1] = (raw[1][0], raw[1][1])
        p, q = KL_PAIRS[pair](lib, raw, True)
        kl = lib.distributions.kl_divergence(p, q)
        leaves = [t for two in raw for t in two]
        grads = lib.autograd.grad((kl * lib_tensor(lib, params(kl.shape, "real", 40))).sum(), leaves,
                                  allow_unused=True)
        out[lib] = (kl, grads)
    (ke, ge), (kt, gt) = out[ember], out[torch]
    assert_close(ke, kt, f"KL {pair}")
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if b is not None:
            assert_close(a, b, f"KL {pair} gradient")


def test_kl_edge_cases_infinite_and_zero():
    def run(lib):
        D = lib.distributions
        c = D.kl_divergence(D.Categorical(probs=lib.tensor([[0.5, 0.5, 0.0], [0.5, 0.25, 0.25]])),
                            D.Categorical(probs=lib.tensor([[0.5, 0.0, 0.5], [0.0, 0.5, 0.5]])))
        b = D.kl_divergence(D.Bernoulli(lib.tensor([0.0, 1.0, 0.5, 0.5, 0.3])),
                            D.Bernoulli(lib.tensor([0.5, 0.5, 0.0, 1.0, 0.3])))
        u = D.kl_divergence(D.Uniform(lib.tensor([0.0, 0.0, -1.0]), lib.tensor([1.0, 1.0, 3.0])),
                            D.Uniform(lib.tensor([0.5, -1.0, -2.0]), lib.tensor([2.0, 0.5, 4.0])))
        return [x.tolist() for x in (c, b, u)]
    e, t = run(ember), run(torch)
    for a, b in zip(e, t):  # close, not equal: torch's float32 log may be 1 ulp off the rounded value
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert float("inf") in e[0] and float("inf") in e[1] and float("inf") in e[2]


def test_kl_not_registered_and_register_kl():
    for lib in (ember, torch):
        D = lib.distributions
        with pytest.raises(NotImplementedError):
            D.kl_divergence(D.Categorical(logits=lib.zeros(3)), D.Normal(0.0, 1.0))

        class MyNormal(D.Normal):
            pass

        # subclasses use their base's KL until a more specific one is registered
        p, q = MyNormal(0.5, 2.0), D.Normal(0.0, 1.0)
        assert D.kl_divergence(p, q).item() == pytest.approx(D.kl_divergence(D.Normal(0.5, 2.0), q).item())
        D.register_kl(MyNormal, D.Normal)(lambda p, q: lib.tensor(42.0))
        assert D.kl_divergence(p, q).item() == 42.0
        assert D.kl_divergence(q, p).item() != 42.0
        with pytest.raises(TypeError):
            D.register_kl(3, D.Normal)


# -- Categorical, Bernoulli parameterisations ----------------------------------------------------------

def test_categorical_probs_and_logits_are_normalised_as_torch():
    raw_probs = params((2, 3, 4), "positive", 50)
    raw_logits = params((2, 3, 4), "real", 51)
    for dtype in ("float32", "float64"):
        for kw, raw in (("probs", raw_probs), ("logits", raw_logits)):
            de = ember.distributions.Categorical(**{kw: lib_tensor(ember, raw, dtype)})
            dt = torch.distributions.Categorical(**{kw: lib_tensor(torch, raw, dtype)})
            tol = dict(atol=1e-6, rtol=1e-6) if dtype == "float32" else {}
            assert_close(de.probs, dt.probs, f"probs from {kw}", **tol)
            assert_close(de.logits, dt.logits, f"logits from {kw}", **tol)
            assert str(de.probs.dtype).endswith(dtype)
            assert tuple(de.batch_shape) == (2, 3) and tuple(de.event_shape) == ()
            assert tuple(de.param_shape) == (2, 3, 4)
            assert de.enumerate_support().tolist() == dt.enumerate_support().tolist()


def test_categorical_attributes():
    for lib in (ember, torch):
        d = lib.distributions.Categorical(probs=lib.tensor([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]))
        assert np.isnan(as_np(d.mean)).all() and tuple(d.mean.shape) == (2,)
        assert np.isnan(as_np(d.variance)).all()
        assert d.mode.tolist() == [1, 0]
        assert tuple(lib.distributions.Categorical(logits=lib.zeros(4)).batch_shape) == ()


def test_bernoulli_probs_and_logits_attributes():
    for dtype in ("float32", "float64"):
        p = params((3,), "prob", 60)
        de, dt = ember.distributions.Bernoulli(lib_tensor(ember, p, dtype)), \
            torch.distributions.Bernoulli(lib_tensor(torch, p, dtype))
        assert_close(de.logits, dt.logits, "bernoulli logits", atol=1e-6, rtol=1e-6)
        de = ember.distributions.Bernoulli(logits=lib_tensor(ember, p, dtype))
        dt = torch.distributions.Bernoulli(logits=lib_tensor(torch, p, dtype))
        assert_close(de.probs, dt.probs, "bernoulli probs", atol=1e-6, rtol=1e-6)
    # a number parameter: a 0-d tensor of the default dtype, batch_shape ()
    for lib in (ember, torch):
        d = lib.distributions.Bernoulli(logits=0.5)
        assert tuple(d.batch_shape) == () and str(d.logits.dtype).endswith("float32")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batch", BATCHES)
def test_shapes_and_expand(name, batch):
    de, dt = make(name, ember, "float64", batch), make(name, torch, "float64", batch)
    assert tuple(de.batch_shape) == tuple(dt.batch_shape) and tuple(de.event_shape) == tuple(dt.event_shape)
    assert isinstance(de.batch_shape, ember.Size)
    assert de.has_rsample == dt.has_rsample
    big = (4,) + tuple(batch)
    ee, et = seeded_both(lambda lib: make(name, lib, "float64", batch).expand(big).sample((2,)))
    assert_same_sample(ee, et)
    assert tuple(de.expand(big).batch_shape) == big


def test_broadcasting_numbers_with_tensors():
    for lib in (ember, torch):
        d = lib.distributions.Normal(lib.zeros(2, 3, dtype=lib.float64), 1.0)
        assert tuple(d.batch_shape) == (2, 3) and d.scale.dtype == lib.float64
        assert tuple(lib.distributions.Normal(0.0, 1.0).batch_shape) == ()
        assert tuple(lib.distributions.Uniform(lib.zeros(3, 1), lib.ones(4)).batch_shape) == (3, 4)


# -- validation ----------------------------------------------------------------------------------------

BAD = [
    lambda lib: lib.distributions.Normal(0.0, -1.0),
    lambda lib: lib.distributions.Normal(lib.tensor([0.0, float("nan")]), 1.0),
    lambda lib: lib.distributions.Normal(lib.zeros(2), lib.tensor([1.0, 0.0])),
    lambda lib: lib.distributions.Categorical(probs=lib.tensor([0.5, -0.1, 0.6])),
    lambda lib: lib.distributions.Categorical(logits=lib.tensor([0.0, float("nan")])),
    lambda lib: lib.distributions.Categorical(probs=lib.tensor(0.5)),
    lambda lib: lib.distributions.Categorical(),
    lambda lib: lib.distributions.Categorical(probs=lib.ones(2), logits=lib.ones(2)),
    lambda lib: lib.distributions.Bernoulli(1.5),
    lambda lib: lib.distributions.Bernoulli(),
    lambda lib: lib.distributions.Uniform(1.0, 1.0),
    lambda lib: lib.distributions.Uniform(lib.tensor([0.0, 2.0]), 1.0),
    lambda lib: lib.distributions.Normal("a", 1.0),
    lambda lib: lib.distributions.Normal(0.0, 1.0).log_prob(0.5),
    lambda lib: lib.distributions.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda lib: lib.distributions.Categorical(logits=lib.zeros(3)).log_prob(lib.tensor([3])),
    lambda lib: lib.distributions.Categorical(logits=lib.zeros(3)).log_prob(lib.tensor([0.5])),
    lambda lib: lib.distributions.Bernoulli(0.5).log_prob(lib.tensor([0.5])),
    lambda lib: lib.distributions.Uniform(0.0, 1.0).log_prob(lib.tensor([2.0])),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_validation_errors_match_torch(i):
    with pytest.raises(Exception) as expected:
        BAD[i](torch)
    with pytest.raises(expected.type) as got:
        BAD[i](ember)
    assert type(got.value) is expected.type
    if "Expected parameter" in str(expected.value):
        assert str(got.value).split(" of distribution")[0] == str(expected.value).split(" of distribution")[0]


def test_validation_can_be_turned_off():
    for lib in (ember, torch):
        D = lib.distributions
        assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
        D.Distribution.set_default_validate_args(False)
        try:
            assert D.Bernoulli(1.5).probs.item() == 1.5
            with pytest.raises(ValueError):
                D.Bernoulli(1.5, validate_args=True)
        finally:
            D.Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            D.Bernoulli(1.5)
        with pytest.raises(ValueError):
            D.Distribution.set_default_validate_args("yes")


# -- learners' programs ------------------------------------------------------------------------------------

def copy_weights(src, dst):
    for (_, a), (_, b) in zip(src.named_parameters(), dst.named_parameters()):
        with ember.no_grad():
            b.copy_(ember.tensor(a.detach().numpy()))


def grads_close(me, mt, what):
    for (n, a), (_, b) in zip(me.named_parameters(), mt.named_parameters()):
        assert_close(a.grad, b.grad, f"{what}: {n}.grad", atol=1e-5, rtol=1e-4)


def test_reinforce_step():
    """Policy net -> Categorical(logits) -> sample -> -log_prob * return (+ entropy bonus) -> backward."""
    def policy(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.Tanh(), lib.nn.Linear(16, 3))
    torch.manual_seed(1)
    nt = policy(torch)
    ne = policy(ember)
    copy_weights(nt, ne)
    states = params((10, 4), "real", 70).astype(np.float32)
    returns = params((10,), "real", 71).astype(np.float32)

    def step(lib, net):
        lib.manual_seed(123)
        dist = lib.distributions.Categorical(logits=net(lib.tensor(states)))
        actions = dist.sample()
        loss = (-dist.log_prob(actions) * lib.tensor(returns)).mean() - 0.01 * dist.entropy().mean()
        loss.backward()
        return actions, loss
    ae, le = step(ember, ne)
    at, lt = step(torch, nt)
    assert ae.tolist() == at.tolist()
    assert_close(le, lt, "REINFORCE loss", atol=1e-6, rtol=1e-5)
    grads_close(ne, nt, "REINFORCE")


def test_vae_step():
    """Encoder -> Normal(mu, sigma).rsample() -> decoder -> reconstruction + KL to Normal(0, 1) -> backward."""
    def nets(lib):
        return (lib.nn.Linear(6, 4), lib.nn.Linear(2, 6))
    torch.manual_seed(2)
    enc_t, dec_t = nets(torch)
    enc_e, dec_e = nets(ember)
    copy_weights(enc_t, enc_e)
    copy_weights(dec_t, dec_e)
    x = params((5, 6), "real", 80).astype(np.float32)

    def step(lib, enc, dec):
        lib.manual_seed(9)
        D = lib.distributions
        h = enc(lib.tensor(x))
        mu, log_sigma = h[:, :2], h[:, 2:]
        q = D.Normal(mu, log_sigma.exp())
        z = q.rsample()
        recon = ((dec(z) - lib.tensor(x)) ** 2).sum(-1)
        kl = D.kl_divergence(q, D.Normal(lib.zeros_like(mu), lib.ones_like(mu))).sum(-1)
        loss = (recon + kl).mean()
        loss.backward()
        return z, loss
    ze, le = step(ember, enc_e, dec_e)
    zt, lt = step(torch, enc_t, dec_t)
    assert_close(ze, zt, "VAE z", atol=1e-6, rtol=1e-5)
    assert_close(le, lt, "VAE loss", atol=1e-5, rtol=1e-5)
    grads_close(enc_e, enc_t, "VAE encoder")
    grads_close(dec_e, dec_t, "VAE decoder")
