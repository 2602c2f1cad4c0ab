"""The rest of torch.distributions against torch 2.13: seeded samples bit for bit (every sampler here is torch's),
log_prob / entropy / moments / cdf / icdf values and gradients (float64 to 1e-9, float32 at torch's default
tolerances), rsample gradients, shapes, expand, support, validation errors, repr and KL pairs."""
import math

import numpy as np
import pytest
import torch

import ember


def lib_tensor(lib, array, dtype="float64", grad=False):
    return lib.tensor(np.asarray(array), dtype=getattr(lib, dtype), requires_grad=grad)


def as_np(x):
    return x.detach().numpy() if isinstance(x, (torch.Tensor, ember.Tensor)) else np.asarray(x)


def assert_close(e, t, what, dtype="float64"):
    e, t = as_np(e), as_np(t)
    assert e.shape == t.shape, f"{what}: shape {e.shape} vs torch {t.shape}"
    tol = dict(atol=1e-10, rtol=1e-9) if dtype == "float64" else dict(atol=1e-5, rtol=1.3e-6)
    np.testing.assert_allclose(e, t, err_msg=what, equal_nan=True, **tol)


def seeded_both(fn, seed=3):
    """fn(ember) and fn(torch), each right after manual_seed(seed); the streams must go on in step."""
    torch.manual_seed(seed)
    t = fn(torch)
    ember.manual_seed(seed)
    e = fn(ember)
    assert ember.rand(4).tolist() == torch.rand(4).tolist(), "the random streams went out of step"
    # a short randn takes the scalar Box-Muller path, which reads the generator's cached second normal
    assert ember.randn(3).tolist() == torch.randn(3).tolist(), "the cached normal went out of step"
    assert ember.randn(3, dtype=ember.float64).tolist() == torch.randn(3, dtype=torch.float64).tolist()
    return e, t


def assert_same_sample(e, t):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert np.array_equal(as_np(e), as_np(t), equal_nan=True), f"samples differ:\n{e}\n{t}"


@pytest.fixture(autouse=True)
def _torch_validates():
    torch.distributions.Distribution.set_default_validate_args(True)
    ember.distributions.Distribution.set_default_validate_args(True)


def params(shape, kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "real":
        return rng.normal(size=shape)
    if kind == "positive":
        return rng.uniform(0.3, 2.0, size=shape)
    if kind == "conc":  # concentrations on both sides of 1, and large ones (every gamma/beta gradient branch)
        return rng.choice([0.2, 0.7, 1.5, 3.0, 9.0, 30.0], size=shape) * rng.uniform(0.9, 1.1, size=shape)
    if kind == "prob":
        return rng.uniform(0.05, 0.95, size=shape)
    if kind == "count":
        return rng.integers(1, 30, size=shape).astype(float)
    raise ValueError(kind)


def spd(batch, n, seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=tuple(batch) + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def make(name, lib, dtype, batch, grad=False, seed=0):
    """(distribution, its parameter leaves) for one family, with fixed parameters of batch shape ``batch``."""
    D, T = lib.distributions, lib.distributions.transforms
    t = lambda kind, shape=batch, s=0: lib_tensor(lib, params(shape, kind, seed + s), dtype, grad)  # noqa: E731
    if name == "exponential":
        r = t("positive")
        return D.Exponential(r), [r]
    if name in ("laplace", "cauchy", "lognormal"):
        a, b = t("real"), t("positive", s=1)
        return {"laplace": D.Laplace, "cauchy": D.Cauchy, "lognormal": D.LogNormal}[name](a, b), [a, b]
    if name == "geometric_probs":
        p = t("prob")
        return D.Geometric(probs=p), [p]
    if name == "geometric_logits":
        p = t("real")
        return D.Geometric(logits=p), [p]
    if name == "poisson":
        r = lib_tensor(lib, params(batch, "positive", seed) * 8, dtype, grad)  # rates on both sides of 10
        return D.Poisson(r), [r]
    if name == "binomial":
        p = t("prob", s=1)
        return D.Binomial(lib_tensor(lib, np.full(batch, 12.0), dtype), probs=p), [p]
    if name == "binomial_logits":
        p = t("real", s=1)
        return D.Binomial(lib_tensor(lib, params(batch, "count", seed), dtype), logits=p), [p]
    if name == "gamma":
        a, b = t("conc"), t("positive", s=1)
        return D.Gamma(a, b), [a, b]
    if name == "chi2":
        a = t("conc")
        return D.Chi2(a), [a]
    if name == "beta":
        a, b = t("conc"), t("conc", s=1)
        return D.Beta(a, b), [a, b]
    if name == "dirichlet":
        a = t("conc", tuple(batch) + (3,))
        return D.Dirichlet(a), [a]
    if name == "studentT":
        df, loc, scale = t("conc"), t("real", s=1), t("positive", s=2)
        return D.StudentT(df, loc, scale), [df, loc, scale]
    if name == "onehot":
        p = t("real", tuple(batch) + (4,))
        return D.OneHotCategorical(logits=p), [p]
    if name == "independent":
        a, b = t("real", tuple(batch) + (3,)), t("positive", tuple(batch) + (3,), s=1)
        return D.Independent(D.Normal(a, b), 1), [a, b]
    if name == "tanh_normal":  # a squashed Gaussian policy (SAC): Normal, tanh, then scaled and shifted
        a, b = t("real"), t("positive", s=1)
        return D.TransformedDistribution(D.Normal(a, b), [T.TanhTransform(), T.AffineTransform(1.0, 2.0)]), [a, b]
    if name == "sigmoid_normal":
        a, b = t("real"), t("positive", s=1)
        return D.TransformedDistribution(D.Normal(a, b), T.SigmoidTransform()), [a, b]
    if name.startswith("mvn"):
        loc = t("real", tuple(batch) + (3,))
        m = lib_tensor(lib, spd(batch, 3, seed + 1), dtype)
        if name == "mvn_cov":
            m.requires_grad_(grad)
            return D.MultivariateNormal(loc, covariance_matrix=m), [loc, m]
        if name == "mvn_prec":
            m.requires_grad_(grad)
            return D.MultivariateNormal(loc, precision_matrix=m), [loc, m]
        L = lib_tensor(lib, np.linalg.cholesky(spd(batch, 3, seed + 1)), dtype, grad)
        return D.MultivariateNormal(loc, scale_tril=L), [loc, L]
    raise ValueError(name)


NAMES = ["exponential", "laplace", "cauchy", "lognormal", "geometric_probs", "geometric_logits", "poisson",
         "binomial", "binomial_logits", "gamma", "chi2", "beta", "dirichlet", "studentT", "onehot", "independent",
         "tanh_normal", "sigmoid_normal", "mvn_cov", "mvn_prec", "mvn_tril"]
RSAMPLED = ["exponential", "laplace", "cauchy", "lognormal", "gamma", "chi2", "beta", "dirichlet", "studentT",
            "independent", "tanh_normal", "sigmoid_normal", "mvn_cov", "mvn_prec", "mvn_tril"]
MVN = ("mvn_cov", "mvn_prec", "mvn_tril")
# bit-equal draws pushed through ember's elementwise log1p / exp / tanh / sigmoid, which are NumPy's and differ
# from torch's (SLEEF, vectorised) by an ulp on some inputs
ULP = ("laplace", "lognormal", "tanh_normal", "sigmoid_normal")


def assert_sample_matches(name, e, t, dtype):
    if name in MVN:  # the same normal draws; L eps is a matrix product, equal within its rounding
        assert_close(e, t, "mvn sample", dtype)
    elif name in ULP:
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        assert_close(e, t, "sample through elementwise functions", dtype)
    else:
        assert_same_sample(e, t)
BATCHES = [(), (3,), (2, 3)]


def value_for(name, lib, batch, dtype="float64", seed=5):
    """Three points of the support per distribution of the batch (shape (3,) + batch + event)."""
    shape = (3,) + tuple(batch)
    rng = np.random.default_rng(seed)
    if name in ("exponential", "lognormal", "gamma", "chi2"):
        v = rng.uniform(0.1, 4.0, size=shape)
    elif name.startswith("geometric") or name == "poisson":
        v = rng.integers(0, 15, size=shape).astype(float)
    elif name.startswith("binomial"):
        v = rng.integers(0, 2, size=shape).astype(float)  # within every total_count
    elif name in ("beta", "sigmoid_normal"):
        v = rng.uniform(0.05, 0.95, size=shape)
    elif name == "tanh_normal":
        v = rng.uniform(-0.9, 2.9, size=shape)
    elif name == "dirichlet":
        v = rng.dirichlet([1.0, 2.0, 3.0], size=shape)
    elif name == "onehot":
        v = np.eye(4)[rng.integers(0, 4, size=shape)]
    elif name == "independent" or name.startswith("mvn"):
        v = rng.normal(size=shape + (3,))
    else:
        v = rng.normal(size=shape)
    return lib_tensor(lib, v, dtype)


# -- samples -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 3)])
def test_sample_equals_torch(name, dtype, batch, sample_shape):
    e, t = seeded_both(lambda lib: make(name, lib, dtype, batch)[0].sample(sample_shape))
    assert_sample_matches(name, e, t, dtype)
    assert not e.requires_grad


@pytest.mark.parametrize("name", RSAMPLED)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rsample_values_and_gradients(name, dtype):
    def run(lib):
        d, leaves = make(name, lib, dtype, (2, 3), grad=True)
        x = d.rsample((4,))
        w = lib_tensor(lib, params(tuple(x.shape), "real", 9), dtype)
        return x, lib.autograd.grad((x * w).sum(), leaves)
    (xe, ge), (xt, gt) = seeded_both(run)
    assert_sample_matches(name, xe, xt, dtype)
    for a, b in zip(ge, gt):
        if dtype == "float32" and name in ("beta", "dirichlet"):
            # torch rounds some steps of its float32 Beta-gradient approximation in float32; ember's are in double
            np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-4, atol=1e-5)
        else:
            assert_close(a, b, f"{name} rsample gradient", dtype)


def test_samplers_consume_the_stream_as_torch():
    """Rejection samplers draw as many numbers as torch's do, with a generator too, and the gamma's normals share
    the generator's cached Box-Muller value with torch.normal's scalar path."""
    def run(lib):
        g = lib.Generator().manual_seed(11)
        rates = lib.tensor([0.0, 0.5, 9.99, 10.0, 250.0])
        counts, probs = lib.tensor([0.0, 3.0, 40.0, 40.0, 1e5]), lib.tensor([0.3, 1.0, 0.2, 0.9, 0.5])
        alpha = lib.tensor([[0.01, 1.0, 4.0], [0.5, 0.5, 80.0]], dtype=lib.float64)
        return [lib.poisson(rates, generator=g), lib.binomial(counts, probs, generator=g),
                lib._standard_gamma(alpha, generator=g), lib.normal(0.0, 1.0, (1,), generator=g),
                lib._sample_dirichlet(alpha, generator=g), lib.rand(3, generator=g),
                lib._standard_gamma(alpha), lib.normal(lib.zeros(3), 1.0)]
    for e, t in zip(*seeded_both(run)):
        assert_same_sample(e, t)


# -- scores and moments --------------------------------------------------------------------------------------

SCORES = ["log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf"]


def has(name, what):
    d = make(name, torch, "float64", ())[0]
    try:
        out = value_for(name, torch, ()) if what in ("log_prob", "cdf") else None
        if what == "icdf":
            out = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
        getattr(d, what)(out) if what in ("log_prob", "cdf", "icdf") else getattr(d, what)
        if what == "entropy":
            d.entropy()
        return True
    except NotImplementedError:
        return False


# what torch computes and ember does not: Gamma.cdf is torch.special.gammainc, which ember lacks
MISSING = [("gamma", "cdf"), ("chi2", "cdf")]
CASES = [(n, w) for n in NAMES for w in SCORES if has(n, w) and (n, w) not in MISSING]


@pytest.mark.parametrize("name,what", MISSING)
def test_missing_scores_raise_not_implemented(name, what):
    with pytest.raises(NotImplementedError):
        score(make(name, ember, "float64", (2,))[0], what, ember, name, (2,), "float64")


def score(d, what, lib, name, batch, dtype):
    if what in ("log_prob", "cdf"):
        return getattr(d, what)(value_for(name, lib, batch, dtype))
    if what == "icdf":
        u = np.random.default_rng(8).uniform(0.05, 0.95, size=(3,) + tuple(batch))
        return d.icdf(lib_tensor(lib, u, dtype))
    out = getattr(d, what)
    return out() if callable(out) else out


@pytest.mark.parametrize("name,what", CASES)
@pytest.mark.parametrize("batch", [(), (2, 3)])
def test_scores_values_and_gradients(name, what, batch):
    out = {}
    for lib in (torch, ember):
        d, leaves = make(name, lib, "float64", batch, grad=True)
        if lib is ember and out[torch] is None:
            with pytest.raises(NotImplementedError):
                score(d, what, lib, name, batch, "float64")
            return
        try:
            y = score(d, what, lib, name, batch, "float64")
        except NotImplementedError:  # (a binomial's entropy with different total counts)
            out[lib] = None
            continue
        if not y.requires_grad:  # (a constant: mode of a geometric, Cauchy's NaN mean)
            out[lib] = (y, [])
            continue
        w = lib_tensor(lib, params(tuple(y.shape), "real", 11))
        finite = lib.isfinite(y)
        grads = lib.autograd.grad((lib.where(finite, y, 0.0) * w).sum(), leaves, allow_unused=True)
        out[lib] = (y, grads)
    (ye, ge), (yt, gt) = out[ember], out[torch]
    assert_close(ye, yt, f"{name}.{what}")
    assert len(ge) == len(gt)
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None), f"{name}.{what}: which parameters get a gradient"
        if b is not None:
            assert_close(a, b, f"{name}.{what} gradient")


@pytest.mark.parametrize("name,what", CASES)
def test_scores_float32(name, what):
    if name == "binomial_logits" and what == "entropy":
        return  # (different total counts: NotImplementedError, tested above)
    ye = score(make(name, ember, "float32", (2, 3))[0], what, ember, name, (2, 3), "float32")
    yt = score(make(name, torch, "float32", (2, 3))[0], what, torch, name, (2, 3), "float32")
    assert str(ye.dtype).split(".")[1] == str(yt.dtype).split(".")[1]
    if what in ("entropy",) and name in ("beta", "dirichlet", "studentT", "binomial", "binomial_logits"):
        # sums of lgamma/digamma terms that cancel: float32 rounding of the terms is amplified
        np.testing.assert_allclose(as_np(ye), as_np(yt), rtol=1e-4, atol=1e-4)
    else:
        assert_close(ye, yt, f"{name}.{what} float32", "float32")


# -- shapes, expand, attributes --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batch", BATCHES)
def test_shapes_expand_and_attributes(name, batch):
    de, dt = make(name, ember, "float64", batch)[0], make(name, torch, "float64", batch)[0]
    assert tuple(de.batch_shape) == tuple(dt.batch_shape)
    assert tuple(de.event_shape) == tuple(dt.event_shape)
    assert isinstance(de.batch_shape, ember.Size) and isinstance(de.event_shape, ember.Size)
    assert de.has_rsample == dt.has_rsample
    assert de.has_enumerate_support == dt.has_enumerate_support
    assert repr(de.support).replace("ember.", "torch.") == repr(dt.support)
    assert {k: repr(v) for k, v in de.arg_constraints.items()} == {k: repr(v) for k, v in dt.arg_constraints.items()}
    assert repr(de).replace("ember.", "torch.") == repr(dt)
    big = (4,) + tuple(batch)
    ee, et = seeded_both(lambda lib: make(name, lib, "float64", batch)[0].expand(big).sample((2,)))
    assert_sample_matches(name, ee, et, "float64")
    xe, xt = de.expand(big), dt.expand(big)
    assert tuple(xe.batch_shape) == big and type(xe) is type(de)
    assert_close(xe.log_prob(value_for(name, ember, big)), xt.log_prob(value_for(name, torch, big)), "expanded")
    for expand in (True, False):
        try:
            support = dt.enumerate_support(expand)
        except NotImplementedError:  # (no discrete support, or a binomial's total counts differ)
            with pytest.raises(NotImplementedError):
                de.enumerate_support(expand)
            continue
        assert_close(de.enumerate_support(expand), support, f"enumerate_support({expand})")


def test_number_parameters():
    for lib in (ember, torch):
        D = lib.distributions
        for d in (D.Exponential(2.0), D.Laplace(0.0, 1.0), D.Cauchy(0.0, 1.0), D.Gamma(2.0, 3.0), D.Chi2(3.0),
                  D.Beta(2.0, 3.0), D.Poisson(4.0), D.Geometric(0.3), D.LogNormal(0.0, 1.0), D.StudentT(3.0),
                  D.Binomial(10, 0.3)):
            assert tuple(d.batch_shape) == () and str(d.sample().dtype).endswith("float32"), d
    e, t = seeded_both(lambda lib: [lib.distributions.Beta(2.0, 3.0).sample((3,)),
                                    lib.distributions.StudentT(3.0).rsample((2,)),
                                    lib.distributions.Binomial(10, lib.tensor([0.2, 0.7])).sample()])
    for a, b in zip(e, t):
        assert_same_sample(a, b)


def test_precision_and_covariance_attributes_of_multivariate_normal():
    for kw in ("covariance_matrix", "precision_matrix", "scale_tril"):
        out = []
        for lib in (ember, torch):
            m = spd((2,), 3, 4)
            arg = np.linalg.cholesky(m) if kw == "scale_tril" else m
            d = lib.distributions.MultivariateNormal(lib_tensor(lib, params((3,), "real", 1)), **{kw: lib_tensor(lib, arg)})
            out.append([d.covariance_matrix, d.precision_matrix, d.scale_tril, d.variance, d.stddev])
            assert tuple(d.batch_shape) == (2,)
        for a, b in zip(*out):
            np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-9, atol=1e-12)


# -- transforms ----------------------------------------------------------------------------------------------

TRANSFORMS = {
    "exp": lambda T, lib: T.ExpTransform(),
    "affine": lambda T, lib: T.AffineTransform(lib_tensor(lib, [0.5, -1.0, 2.0]), lib_tensor(lib, [2.0, -0.5, 3.0])),
    "affine_number": lambda T, lib: T.AffineTransform(1.0, -3.0),
    "affine_event": lambda T, lib: T.AffineTransform(0.0, lib_tensor(lib, [2.0, 0.5, 3.0]), event_dim=1),
    "sigmoid": lambda T, lib: T.SigmoidTransform(),
    "tanh": lambda T, lib: T.TanhTransform(),
    "compose": lambda T, lib: T.ComposeTransform([T.AffineTransform(0.0, 0.5), T.TanhTransform(),
                                                  T.AffineTransform(1.0, 2.0)]),
    "inverse": lambda T, lib: T.ExpTransform().inv,
}


@pytest.mark.parametrize("key", list(TRANSFORMS))
def test_transforms_match_torch(key):
    out = {}
    for lib in (ember, torch):
        T = lib.distributions.transforms
        t = TRANSFORMS[key](T, lib)
        x = lib_tensor(lib, np.abs(params((2, 3), "real", 3)) + 0.1, grad=True)
        y = t(x)
        back = t.inv(y)
        lad = t.log_abs_det_jacobian(x, y)
        grads = lib.autograd.grad(y.sum() + lad.sum(), [x])
        out[lib] = [y, back, lad, grads[0], repr(t), repr(t.domain), repr(t.codomain), t.bijective,
                    t.forward_shape(lib.Size([2, 3])), t.inverse_shape(lib.Size([2, 3]))]
    for a, b in zip(out[ember], out[torch]):
        if isinstance(a, (ember.Tensor, torch.Tensor)):
            assert_close(a, b, key)
        else:
            assert a == b or tuple(a) == tuple(b), (a, b)


def test_transform_cache_and_sign():
    T = ember.distributions.transforms
    t = T.TanhTransform(cache_size=1)
    x = ember.tensor([0.5, 30.0])
    y = t(x)
    assert t.inv(y) is x and t(x) is y  # the cached pair: tanh(30) rounds to 1, whose atanh is inf
    assert T.ExpTransform().sign == 1 and T.AffineTransform(0.0, -2.0).sign == -1
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform().inv.inv == T.ExpTransform()
    with pytest.raises(ValueError):
        T.ExpTransform(cache_size=2)


def test_transformed_distribution_cdf_icdf_and_kl():
    out = {}
    for lib in (ember, torch):
        D, T = lib.distributions, lib.distributions.transforms
        base = D.Normal(lib_tensor(lib, [0.1, -0.3]), lib_tensor(lib, [1.0, 2.0]))
        d = D.TransformedDistribution(base, [T.AffineTransform(1.0, -2.0), T.ExpTransform()])
        v = lib_tensor(lib, [0.5, 3.0])
        q = D.TransformedDistribution(D.Normal(lib_tensor(lib, [0.0, 0.0]), 1.0), [T.AffineTransform(1.0, -2.0),
                                                                                  T.ExpTransform()])
        out[lib] = [d.cdf(v), d.icdf(lib_tensor(lib, [0.2, 0.7])), d.log_prob(v), D.kl_divergence(d, q),
                    D.LogNormal(0.0, 1.0).cdf(v), D.LogNormal(0.0, 1.0).icdf(lib_tensor(lib, [0.2, 0.7]))]
    for a, b in zip(out[ember], out[torch]):
        assert_close(a, b, "transformed")


def test_transformed_distribution_reshapes_its_base():
    for lib in (ember, torch):
        D, T = lib.distributions, lib.distributions.transforms
        d = D.TransformedDistribution(D.Normal(lib.zeros(3), 1.0), T.AffineTransform(0.0, lib.ones(2, 3)))
        assert tuple(d.batch_shape) == (2, 3)
        d = D.TransformedDistribution(D.Normal(lib.zeros(2, 3), 1.0), T.AffineTransform(0.0, 1.0, event_dim=1))
        assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
        assert type(d.base_dist).__name__ == "Independent"
        with pytest.raises(ValueError):
            D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")


# -- KL --------------------------------------------------------------------------------------------------------

KL_PAIRS = [("exponential", "exponential"), ("laplace", "laplace"), ("cauchy", "cauchy"), ("poisson", "poisson"),
            ("geometric_probs", "geometric_logits"), ("binomial", "binomial"), ("gamma", "gamma"), ("chi2", "gamma"),
            ("beta", "beta"), ("dirichlet", "dirichlet"), ("onehot", "onehot"), ("independent", "independent"),
            ("lognormal", "lognormal"), ("mvn_cov", "mvn_tril"), ("mvn_prec", "mvn_cov")]


@pytest.mark.parametrize("p_name,q_name", KL_PAIRS)
def test_kl_divergence_values_and_gradients(p_name, q_name):
    out = {}
    for lib in (ember, torch):
        p, lp = make(p_name, lib, "float64", (2, 3), grad=True)
        q, lq = make(q_name, lib, "float64", (2, 3), grad=True, seed=7)
        kl = lib.distributions.kl_divergence(p, q)
        w = lib_tensor(lib, params(tuple(kl.shape), "real", 40))
        out[lib] = (kl, lib.autograd.grad((kl * w).sum(), lp + lq, allow_unused=True))
    (ke, ge), (kt, gt) = out[ember], out[torch]
    assert_close(ke, kt, f"KL({p_name}, {q_name})")
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if b is not None:
            assert_close(a, b, f"KL({p_name}, {q_name}) gradient")


def test_kl_binomial_edge_cases():
    for lib in (ember, torch):
        D = lib.distributions
        kl = D.kl_divergence(D.Binomial(lib.tensor([5.0, 3.0]), probs=lib.tensor([0.3, 0.3])),
                             D.Binomial(lib.tensor([5.0, 2.0]), probs=lib.tensor([0.4, 0.4])))
        assert kl.tolist()[1] == float("inf")
        with pytest.raises(NotImplementedError):
            D.kl_divergence(D.Binomial(2, probs=lib.tensor([0.3])), D.Binomial(5, probs=lib.tensor([0.3])))
        with pytest.raises(NotImplementedError):
            D.kl_divergence(D.Independent(D.Normal(lib.zeros(2, 3), 1.0), 1),
                            D.Independent(D.Normal(lib.zeros(2, 3), 1.0), 2))


# -- validation ----------------------------------------------------------------------------------------------

BAD = [
    lambda lib: lib.distributions.Exponential(-1.0),
    lambda lib: lib.distributions.Exponential(1.0).log_prob(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Laplace(0.0, lib.tensor([0.0])),
    lambda lib: lib.distributions.Cauchy(lib.tensor([float("nan")]), 1.0),
    lambda lib: lib.distributions.Geometric(lib.tensor([0.0, 0.5])),
    lambda lib: lib.distributions.Geometric(lib.tensor([1.5])),
    lambda lib: lib.distributions.Geometric(),
    lambda lib: lib.distributions.Geometric(0.5).log_prob(lib.tensor([1.5])),
    lambda lib: lib.distributions.Poisson(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Poisson(2.0).log_prob(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Binomial(lib.tensor([2.5]), lib.tensor([0.5])),
    lambda lib: lib.distributions.Binomial(3, lib.tensor([0.5])).log_prob(lib.tensor([4.0])),
    lambda lib: lib.distributions.Binomial(3),
    lambda lib: lib.distributions.Gamma(lib.tensor([0.0]), 1.0),
    lambda lib: lib.distributions.Gamma(1.0, 1.0).log_prob(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Beta(lib.tensor([1.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.Beta(1.0, 1.0).log_prob(lib.tensor([1.5])),
    lambda lib: lib.distributions.Dirichlet(lib.tensor(1.0)),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, -1.0])),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, 1.0])).log_prob(lib.tensor([0.5, 0.6])),
    lambda lib: lib.distributions.Chi2(lib.tensor([-1.0])),
    lambda lib: lib.distributions.StudentT(lib.tensor([0.0])),
    lambda lib: lib.distributions.OneHotCategorical(probs=lib.tensor([0.5, -0.5, 1.0])),
    lambda lib: lib.distributions.OneHotCategorical(logits=lib.zeros(3)).log_prob(lib.tensor([1.0, 1.0, 0.0])),
    lambda lib: lib.distributions.LogNormal(0.0, -1.0),
    lambda lib: lib.distributions.LogNormal(0.0, 1.0).log_prob(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Independent(lib.distributions.Normal(0.0, 1.0), 1),
    lambda lib: lib.distributions.Independent(lib.distributions.Normal(lib.zeros(3), 1.0), 1).log_prob(
        lib.zeros(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 0.5], [0.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.5], [0.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[-1.0, 0.0], [0.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2), scale_tril=lib.eye(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.tensor(0.0), lib.eye(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.ones(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2)).log_prob(lib.zeros(3)),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_validation_errors_match_torch(i):
    with pytest.raises(Exception) as expected:
        BAD[i](torch)
    with pytest.raises(expected.type if expected.type.__module__ == "builtins" else Exception) as got:
        BAD[i](ember)
    if expected.type.__module__ == "builtins":
        assert type(got.value) is expected.type
    message = str(expected.value).replace("torch.", "ember.")
    if "of distribution" in message:
        assert str(got.value).split(" of distribution")[0] == message.split(" of distribution")[0]
    else:
        assert str(got.value).split("\n")[0] == message.split("\n")[0]


# -- linear algebra the multivariate normal needs ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_and_solve_triangular_values_and_gradients(dtype):
    a_np, b_np, w = spd((2,), 3, 1), params((2, 3, 4), "real", 2), params((2, 3, 3), "real", 3)
    out = {}
    for lib in (ember, torch):
        a, b = lib_tensor(lib, a_np, dtype, True), lib_tensor(lib, b_np, dtype, True)
        L = lib.linalg.cholesky(a)
        U = lib.linalg.cholesky(a, upper=True)
        x = lib.linalg.solve_triangular(L, b, upper=False)
        y = lib.linalg.solve_triangular(U, b, upper=True)
        z = lib.linalg.solve_triangular(L, b.mT, upper=False, left=False)
        u = lib.linalg.solve_triangular(L, b, upper=False, unitriangular=True)
        s = (L * lib_tensor(lib, w, dtype)).sum() + x.pow(2).sum() + y.sin().sum() + z.cos().sum() + u.sum()
        out[lib] = [L, U, x, y, z, u] + list(lib.autograd.grad(s, [a, b]))
    for e, t in zip(out[ember], out[torch]):
        np.testing.assert_allclose(as_np(e), as_np(t), rtol=1e-4 if dtype == "float32" else 1e-10,
                                   atol=1e-5 if dtype == "float32" else 1e-12)


def test_cholesky_and_solve_triangular_gradients_by_finite_differences():
    """float64 gradcheck and gradgradcheck of both ops (the matrix made positive definite inside the function)."""
    rng = np.random.default_rng(5)
    m = ember.tensor(rng.normal(size=(2, 3, 3)), dtype=ember.float64, requires_grad=True)
    b = ember.tensor(rng.normal(size=(2, 3, 2)), dtype=ember.float64, requires_grad=True)
    eye = ember.eye(3, dtype=ember.float64)

    def chol(m):
        return ember.linalg.cholesky(m @ m.mT + 3 * eye)

    def solve(m, b):
        L = chol(m)
        return (ember.linalg.solve_triangular(L, b, upper=False), ember.linalg.solve_triangular(L.mT, b, upper=True),
                ember.linalg.solve_triangular(L, b.mT, upper=False, left=False))

    for fn, inputs in ((chol, (m,)), (solve, (m, b))):
        assert ember.autograd.gradcheck(fn, inputs)
        assert ember.autograd.gradgradcheck(fn, inputs)


def test_cholesky_error_names_the_minor():
    for m in ([[1.0, 2.0], [2.0, 1.0]], [[[1.0, 0.0], [0.0, 1.0]], [[4.0, 2.0], [2.0, 1.0]]]):
        with pytest.raises(torch.linalg.LinAlgError) as t:
            torch.linalg.cholesky(torch.tensor(m))
        with pytest.raises(ember.linalg.LinAlgError) as e:
            ember.linalg.cholesky(ember.tensor(m))
        assert str(e.value) == str(t.value)


# -- a VAE with a Beta prior and a SAC-style squashed policy: whole steps -------------------------------------------

def test_squashed_gaussian_policy_step():
    def run(lib):
        D, T = lib.distributions, lib.distributions.transforms
        mu = lib_tensor(lib, params((5, 2), "real", 1), grad=True)
        log_std = lib_tensor(lib, params((5, 2), "real", 2) * 0.3, grad=True)
        pi = D.TransformedDistribution(D.Normal(mu, log_std.exp()), [T.TanhTransform(cache_size=1)])
        a = pi.rsample()
        loss = (pi.log_prob(a).sum(-1) - a.pow(2).sum(-1)).mean()
        return [a, loss] + list(lib.autograd.grad(loss, [mu, log_std]))
    for e, t in zip(*seeded_both(run)):
        assert_close(e, t, "policy step")


def test_constraint_reprs_match_torch():
    for name in ("real", "real_vector", "positive", "nonnegative", "nonnegative_integer", "positive_integer",
                 "unit_interval", "simplex", "one_hot", "lower_cholesky", "positive_definite", "boolean"):
        assert repr(getattr(ember.distributions.constraints, name)) == repr(getattr(torch.distributions.constraints,
                                                                                   name)), name
        assert getattr(ember.distributions.constraints, name).event_dim == \
            getattr(torch.distributions.constraints, name).event_dim, name


def test_methods_a_family_lacks_raise_not_implemented_as_torch():
    """torch's Distribution has cdf, icdf, mode and enumerate_support for every family: NotImplementedError where
    the family has none (so a program can catch it), never an AttributeError."""
    for lib in (ember, torch):
        d = lib.distributions.Gamma(lib.tensor([2.0]), lib.tensor([1.0]))
        for call in (lambda: d.icdf(lib.tensor([0.5])), lambda: d.enumerate_support(),
                     lambda: lib.distributions.Cauchy(0.0, 1.0).enumerate_support()):
            with pytest.raises(NotImplementedError):
                call()
        class Bare(lib.distributions.Distribution):
            arg_constraints = {}
        for what in ("mode", "cdf"):
            with pytest.raises(NotImplementedError, match="does not implement" if what == "mode" else ""):
                getattr(Bare(), what) if what == "mode" else Bare().cdf(lib.tensor(0.0))
    with pytest.warns(FutureWarning):
        e, t = seeded_both(lambda lib: lib.distributions.Normal(lib.zeros(2), 1.0).sample_n(3))
    assert_same_sample(e, t)


def test_samplers_work_below_the_graph():
    """random.py and _samplers.py draw on arrays: neither imports ops or autograd (nor anything that does)."""
    import ast
    import pathlib
    root = pathlib.Path(ember.__file__).parent
    for name in ("random.py", "_samplers.py"):
        tree = ast.parse((root / name).read_text())
        imported = {("." * n.level) + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.startswith((".ops", ".autograd", "ember"))}, (name, imported)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reparameterisation_gradient_kernels_match_torch(dtype):
    """torch._standard_gamma_grad and torch._dirichlet_grad on every branch of their approximations."""
    alpha = np.array([0.05, 0.3, 0.9, 1.0, 2.5, 7.9, 8.5, 20.0, 150.0, 1e3])
    x = np.array([1e-3, 0.05, 0.5, 0.79, 0.81, 2.0, 5.0, 9.0, 20.0, 140.0, 1000.0, 1200.0])
    a, s = np.meshgrid(alpha, x)
    p = np.array([1e-4, 0.01, 0.2, 0.5, 0.8, 0.99, 0.9999])
    pa, pb, px = np.meshgrid(alpha, alpha[:7], p)
    out = {}
    for lib in (ember, torch):
        g = lib._standard_gamma_grad(lib_tensor(lib, a, dtype), lib_tensor(lib, s, dtype))
        d = lib._dirichlet_grad(lib_tensor(lib, px, dtype), lib_tensor(lib, pa, dtype), lib_tensor(lib, pa + pb, dtype))
        out[lib] = (g, d)
    for e, t in zip(out[ember], out[torch]):
        if dtype == "float64":
            np.testing.assert_allclose(as_np(e), as_np(t), rtol=1e-12, atol=0)
        else:  # torch rounds some float32 steps in float32, ember computes them in double: the gamma's agree to
            # float32 rounding, the Dirichlet's by 1.3e-3 at worst (concentrations far apart, 0.05 against 1000)
            np.testing.assert_allclose(as_np(e), as_np(t), rtol=2e-4 if e is out[ember][0] else 1.5e-3, atol=1e-30)
