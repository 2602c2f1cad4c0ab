"""Seeded draws equal torch's, bit for bit: the generator, every sampling function, and everything that draws
(initialisers, layers' default init, dropout, samplers, DataLoader shuffling), in torch's order of draws."""
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch

import ember

SIZES = [1, 2, 15, 16, 17, 31, 33, 1000, (3, 5, 7), (0,)]
FLOATS = ["float32", "float64", "float16"]


def both(fn, seed=7):
    """fn(torch) after torch.manual_seed(seed) and fn(ember) after ember.manual_seed(seed), as NumPy values;
    also checks that the two streams go on equal afterwards (same number of words consumed)."""
    torch.manual_seed(seed)
    expected = fn(torch)
    ember.manual_seed(seed)
    actual = fn(ember)
    assert ember.rand(3).tolist() == torch.rand(3).tolist(), "the streams went out of step"
    return to_numpy(actual), to_numpy(expected)


def to_numpy(x):
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return x.detach().numpy()
    if isinstance(x, (list, tuple)):
        return [to_numpy(v) for v in x]
    return x


def assert_same(actual, expected):
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual == expected


def shape_of(size):
    return size if isinstance(size, tuple) else (size,)


# ----------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------
def test_first_draws_are_torchs():
    torch.manual_seed(0)
    ember.manual_seed(0)
    np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())  # [0.4963, 0.7682, 0.0885]


@pytest.mark.parametrize("seed", [0, 1, 42, 2 ** 32 + 5, 2 ** 64 - 1, -1, -(2 ** 63)])
def test_seeds_and_initial_seed(seed):
    assert ember.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()
    assert ember.initial_seed() == torch.initial_seed()
    np.testing.assert_array_equal(ember.rand(5).numpy(), torch.rand(5).numpy())
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()


@pytest.mark.parametrize("draws", [[], [("randn", 1)], [("randn", 3)], [("rand", 623)], [("rand", 624)],
                                   [("rand", 625)], [("rand", 1249)], [("randn", 1), ("rand", 5)],
                                   [("rand", 1, "float64")]])
def test_state_bytes_are_torchs_and_restore_the_stream(draws):
    for lib in (torch, ember):
        lib.manual_seed(3)
        for name, n, *dtype in draws:
            getattr(lib, name)(n, dtype=getattr(lib, dtype[0]) if dtype else None)
    state = ember.get_rng_state()
    assert state.dtype == ember.uint8 and state.shape == (5056,)
    np.testing.assert_array_equal(state.numpy(), torch.get_rng_state().numpy())
    ahead = ember.randn(7).numpy()
    ember.set_rng_state(state)  # round trip, cached normal included
    np.testing.assert_array_equal(ember.randn(7).numpy(), ahead)
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))  # and torch's state works in ember
    np.testing.assert_array_equal(ember.randn(7).numpy(), torch.randn(7).numpy())


def test_generator_objects():
    g, tg = ember.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    np.testing.assert_array_equal(ember.randn(20, generator=g).numpy(), torch.randn(20, generator=tg).numpy())
    np.testing.assert_array_equal(g.get_state().numpy(), tg.get_state().numpy())
    state = g.get_state()
    first = ember.rand(7, generator=g).numpy()
    assert g.set_state(state) is g
    np.testing.assert_array_equal(ember.rand(7, generator=g).numpy(), first)
    ember.manual_seed(5)
    torch.manual_seed(5)
    ember.rand(3, generator=g)  # a generator= draw leaves the global stream alone
    np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())
    seed = g.seed()
    assert g.initial_seed() == seed and 0 <= seed < 2 ** 64


def test_fork_rng_restores_the_global_stream():
    for lib in (torch, ember):
        lib.manual_seed(1)
        with lib.random.fork_rng():
            lib.randn(5)
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())


def test_generator_errors():
    with pytest.raises(RuntimeError, match="5056"):
        ember.set_rng_state(ember.zeros(48, dtype=ember.uint8))
    with pytest.raises(TypeError):
        ember.Generator().manual_seed(1.5)
    with pytest.raises(RuntimeError, match="Overflow"):
        ember.manual_seed(2 ** 64)
    with pytest.raises(TypeError, match="generator"):
        ember.rand(2, generator=np.random.default_rng(0))


# ----------------------------------------------------------------------------
# draws
# ----------------------------------------------------------------------------
DRAWS = {
    "rand": lambda m, s, dt: m.rand(*s, dtype=dt),
    "randn": lambda m, s, dt: m.randn(*s, dtype=dt),
    "randn twice": lambda m, s, dt: [m.randn(*s, dtype=dt), m.randn(*s, dtype=dt)],  # the cached normal
    "normal_": lambda m, s, dt: m.empty(*s, dtype=dt).normal_(0.5, 3.7),
    "uniform_": lambda m, s, dt: m.empty(*s, dtype=dt).uniform_(-0.37796447, 0.37796447),
    "exponential_": lambda m, s, dt: m.empty(*s, dtype=dt).exponential_(2.5),
    "geometric_": lambda m, s, dt: m.empty(*s, dtype=dt).geometric_(0.2),
    "bernoulli_": lambda m, s, dt: m.empty(*s, dtype=dt).bernoulli_(0.3),
    "cauchy_": lambda m, s, dt: m.empty(*s, dtype=dt).cauchy_(0.5, 2.0),
    "log_normal_": lambda m, s, dt: [m.randn(1, dtype=dt), m.empty(*s, dtype=dt).log_normal_(0.5, 0.7)],
    "random_": lambda m, s, dt: m.empty(*s, dtype=dt).random_(),
    "random_(to)": lambda m, s, dt: m.empty(*s, dtype=dt).random_(10),
    "random_(from, to)": lambda m, s, dt: m.empty(*s, dtype=dt).random_(-4, 2 ** 40),
    "random_(from, to) beyond float": lambda m, s, dt: m.empty(*s, dtype=dt).random_(-2 ** 60 - 7, 2 ** 60 + 3),
    "rand_like": lambda m, s, dt: m.rand_like(m.zeros(*s, dtype=dt)),
    "randn_like": lambda m, s, dt: m.randn_like(m.zeros(*s, dtype=dt)),
    "randint_like": lambda m, s, dt: m.randint_like(m.zeros(*s, dtype=dt), 3, 9),
    "normal(float, float, size)": lambda m, s, dt: m.normal(0.3, 2.0, size=s, dtype=dt),
}


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(DRAWS))
def test_float_draws_equal_torchs(name, dtype, size):
    if dtype == "float16" and name.startswith("random_(from, to)"):  # bounds beyond half's range
        for lib in (torch, ember):
            with pytest.raises(RuntimeError, match="out of bounds"):
                DRAWS[name](lib, shape_of(size), getattr(lib, dtype))
        return
    actual, expected = both(lambda m: DRAWS[name](m, shape_of(size), getattr(m, dtype)))
    for a, e in zip(actual, expected) if isinstance(expected, list) else [(actual, expected)]:
        assert_same(a, e)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bounds", [(0, 1), (2, 3), (-1, 1), (100, 101), (2 ** 50, 2 ** 50 + 1)], ids=str)
def test_uniform_never_gives_its_upper_bound(bounds, dtype):
    """A draw that rounds up to `to` in the tensor's dtype is `from` in torch (its range is [from, to))."""
    low, high = bounds
    if dtype == "float16" and high > 65504:
        return  # (beyond half's range: torch refuses those bounds, tested with the errors)
    actual, expected = both(lambda m: m.empty(20000, dtype=getattr(m, dtype)).uniform_(low, high))
    assert_same(actual, expected)
    top = np.asarray(high, actual.dtype)
    assert top == np.asarray(low, actual.dtype) or not (actual == top).any()


@pytest.mark.parametrize("size", [1 << 16, (1 << 16) + 16, (1 << 16) + 17, (2 << 16) + 37], ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["rand", "randn", "randn twice", "uniform_", "normal_", "normal(float, float, size)"])
def test_large_draws_made_in_blocks_are_torchs(name, dtype, size):
    """Above random._BLOCK values a draw is made block by block: the same values, the stream in step after it."""
    from ember import random as ember_random
    assert ember_random._BLOCK == 1 << 16  # (the sizes above straddle it)
    actual, expected = both(lambda m: DRAWS[name](m, shape_of(size), getattr(m, dtype)))
    for a, e in zip(actual, expected) if isinstance(expected, list) else [(actual, expected)]:
        assert_same(a, e)


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("call", ["randint(-3, 100)", "randint(2**40)", "int32", "random_ int64", "random_ int32",
                                  "random_ uint8", "random_ bool", "random_(to) int16"])
def test_integer_draws_equal_torchs(call, size):
    s = shape_of(size)
    calls = {"randint(-3, 100)": lambda m: m.randint(-3, 100, s),
             "randint(2**40)": lambda m: m.randint(2 ** 40, s),
             "int32": lambda m: m.randint(10, s, dtype=m.int32),
             "random_ int64": lambda m: m.empty(*s, dtype=m.int64).random_(),
             "random_ int32": lambda m: m.empty(*s, dtype=m.int32).random_(),
             "random_ uint8": lambda m: m.empty(*s, dtype=m.uint8).random_(),
             "random_ bool": lambda m: m.empty(*s, dtype=m.bool).random_(),
             "random_(to) int16": lambda m: m.empty(*s, dtype=m.int16).random_(7)}
    assert_same(*both(calls[call]))


def plain_fisher_yates(words, n):
    """torch's shuffle written as the loop it is (the reference for ember's loop-free version)."""
    r = list(range(n))
    for i in range(n - 1):
        z = int(words[i]) % (n - i)
        r[i], r[i + z] = r[i + z], r[i]
    return r


@pytest.mark.parametrize("n", [0, 1, 2, 3, 15, 16, 17, 100, 1000, 54321])
def test_randperm(n):
    assert_same(*both(lambda m: m.randperm(n)))
    assert_same(*both(lambda m: m.randperm(n, dtype=m.int32, generator=m.Generator().manual_seed(n))))
    gen = np.random.MT19937()
    gen._legacy_seeding(n)
    ember.manual_seed(n)
    assert ember.randperm(n).tolist() == plain_fisher_yates(gen.random_raw(max(n - 1, 0)), n)


def test_randperm_many_small_shuffles_against_the_loop():
    gen = np.random.MT19937()
    gen._legacy_seeding(123)
    ember.manual_seed(123)
    for n in list(range(2, 60)) * 5:
        assert ember.randperm(n).tolist() == plain_fisher_yates(gen.random_raw(n - 1), n)


@pytest.mark.parametrize("dtype", FLOATS)
def test_bernoulli(dtype):
    p = torch.rand(4, 37, dtype=getattr(torch, dtype))
    probs = lambda m: ember.tensor(p.numpy()) if m is ember else p
    assert_same(*both(lambda m: m.bernoulli(probs(m))))  # per-element probabilities
    assert_same(*both(lambda m: m.bernoulli(probs(m), 0.25)))  # one probability
    assert_same(*both(lambda m: m.zeros(4, 37).bernoulli_(probs(m))))
    assert_same(*both(lambda m: m.zeros(37, 4).t().bernoulli_(probs(m))))  # filled in memory order
    assert_same(*both(lambda m: m.zeros(1, 37, dtype=m.int64).bernoulli_(probs(m)[:1])))
    assert_same(*both(lambda m: probs(m).bernoulli()))  # the method


def test_non_contiguous_fills_go_in_memory_order():
    assert_same(*both(lambda m: m.zeros(20, 30).t().normal_()))
    assert_same(*both(lambda m: m.zeros(20, 30).t().uniform_(-1, 2)))
    assert_same(*both(lambda m: m.zeros(4, 5, 6).permute(2, 0, 1).random_(100)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("num_samples, replacement", [(1, False), (1, True), (10, False), (40, False), (7, True),
                                                      (100, True)])
def test_multinomial(dtype, num_samples, replacement):
    w = torch.rand(3, 50, dtype=getattr(torch, dtype))
    w[0, :10] = 0
    weights = lambda m: ember.tensor(w.numpy()) if m is ember else w
    assert_same(*both(lambda m: m.multinomial(weights(m), num_samples, replacement)))
    assert_same(*both(lambda m: m.multinomial(weights(m)[1], num_samples, replacement)))
    assert_same(*both(lambda m: weights(m).multinomial(num_samples, replacement)))  # the method


def test_multinomial_errors():
    with pytest.raises(RuntimeError, match="without replacement"):
        ember.multinomial(ember.ones(3), 4)
    with pytest.raises(RuntimeError, match="element < 0"):
        ember.multinomial(ember.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        ember.multinomial(ember.zeros(3), 1, True)


@pytest.mark.parametrize("size", [(5,), (3, 17)], ids=str)
def test_normal_overloads(size):
    mean, std = torch.randn(*size), torch.rand(*size)
    as_lib = lambda m, x: ember.tensor(x.numpy()) if m is ember else x
    assert_same(*both(lambda m: m.normal(as_lib(m, mean), as_lib(m, std))))
    assert_same(*both(lambda m: m.normal(as_lib(m, mean), 2.5)))
    assert_same(*both(lambda m: m.normal(0.3, as_lib(m, std))))
    assert_same(*both(lambda m: m.normal(as_lib(m, mean).double(), as_lib(m, std).double())))


def test_normal_gives_its_mean_and_std_zero_gradients():
    grads = []
    for lib in (torch, ember):
        mean, std = lib.zeros(2, 3, requires_grad=True), lib.ones(3, requires_grad=True)
        sample = lib.normal(mean, std)
        assert sample.requires_grad
        (sample.sum() + lib.normal(mean, 2.0).sum()).backward()
        grads.append([mean.grad.numpy(), std.grad.numpy()])
    for a, e in zip(*grads):
        assert_same(a, e)


def test_fill_errors():
    with pytest.raises(RuntimeError, match="std >= 0"):
        ember.empty(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match="from=5"):
        ember.empty(3).uniform_(5, 1)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.empty(3, dtype=ember.int64).normal_()
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        ember.empty(3).bernoulli_(1.5)


# ----------------------------------------------------------------------------
# what draws: initialisers, layers, dropout, data
# ----------------------------------------------------------------------------
INITS = {
    "uniform_": lambda I, x: I.uniform_(x, -0.3, 0.9),
    "normal_": lambda I, x: I.normal_(x, 0.1, 0.02),
    "xavier_uniform_": lambda I, x: I.xavier_uniform_(x, gain=1.7),
    "xavier_normal_": lambda I, x: I.xavier_normal_(x),
    "kaiming_uniform_": lambda I, x: I.kaiming_uniform_(x, a=5 ** 0.5),
    "kaiming_normal_": lambda I, x: I.kaiming_normal_(x, mode="fan_out", nonlinearity="relu"),
    "trunc_normal_": lambda I, x: I.trunc_normal_(x, std=0.02),
    "trunc_normal_ (narrow window)": lambda I, x: I.trunc_normal_(x, mean=0.0, std=1.0, a=2.0, b=2.5),
}


@pytest.mark.parametrize("shape", [(5, 7), (16, 3), (64, 33), (3, 4, 5, 5), (1000, 1)], ids=str)
@pytest.mark.parametrize("name", list(INITS))
def test_init(name, shape):
    assert_same(*both(lambda m: INITS[name](m.nn.init, m.empty(*shape))))


@pytest.mark.parametrize("shape", [(5, 7), (7, 5), (3, 4, 5, 5)], ids=str)
def test_orthogonal_init(shape):
    actual, expected = both(lambda m: m.nn.init.orthogonal_(m.empty(*shape), gain=2.0))
    # the same normal draws; the QR is LAPACK's (OpenBLAS here, MKL in torch): equal to float32 rounding
    np.testing.assert_allclose(actual, expected, rtol=0, atol=2e-6)


LAYERS = {
    "Linear": lambda nn: nn.Linear(7, 5),
    "Linear no bias": lambda nn: nn.Linear(7, 5, bias=False),
    "Bilinear": lambda nn: nn.Bilinear(3, 4, 5),
    "Conv1d": lambda nn: nn.Conv1d(3, 4, 5),
    "Conv2d": lambda nn: nn.Conv2d(3, 8, 3),
    "Conv2d groups": lambda nn: nn.Conv2d(4, 8, 3, groups=2),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(4, 6, 3, groups=2),
    "Embedding": lambda nn: nn.Embedding(10, 3),
    "Embedding padding_idx": lambda nn: nn.Embedding(10, 3, padding_idx=2),
    "RNN": lambda nn: nn.RNN(3, 5),
    "LSTM 2 layers bidirectional": lambda nn: nn.LSTM(3, 5, num_layers=2, bidirectional=True),
    "GRU": lambda nn: nn.GRU(3, 5, num_layers=2),
    "RNNCell": lambda nn: nn.RNNCell(3, 5),
    "LSTMCell": lambda nn: nn.LSTMCell(3, 5),
    "GRUCell": lambda nn: nn.GRUCell(3, 5),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(8, 2),
    "MultiheadAttention kdim vdim": lambda nn: nn.MultiheadAttention(8, 2, kdim=3, vdim=5),
    "TransformerEncoderLayer": lambda nn: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16),
    "TransformerEncoder": lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 2),
    "Sequential MLP": lambda nn: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_default_init_of_layers(name):
    def weights(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {k: v for k, v in LAYERS[name](m.nn).state_dict().items()}
    actual, expected = both(weights)
    assert list(actual) == list(expected)
    for key in expected:
        assert_same(to_numpy(actual[key]), to_numpy(expected[key]))


X = np.random.default_rng(0).standard_normal((4, 6, 5, 3)).astype(np.float32)
DROPOUTS = {
    "F.dropout": lambda m, x: m.nn.functional.dropout(x, 0.3),
    "F.dropout float64": lambda m, x: m.nn.functional.dropout(x.double(), 0.2),
    "F.dropout inplace": lambda m, x: m.nn.functional.dropout(x, 0.3, inplace=True),
    "Dropout": lambda m, x: m.nn.Dropout(0.5)(x),
    "Dropout eval (no draws)": lambda m, x: m.nn.Dropout(0.5).eval()(x),
    "Dropout p=1 (no draws)": lambda m, x: m.nn.Dropout(1.0)(x),
    "Dropout2d": lambda m, x: m.nn.Dropout2d(0.4)(x),
    "F.dropout2d on (N, C, L)": lambda m, x: m.nn.functional.dropout2d(x[0], 0.4),
}


@pytest.mark.parametrize("name", list(DROPOUTS))
def test_dropout_masks(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(*both(lambda m: DROPOUTS[name](m, m.tensor(X))))


def test_dropout_gradient_is_the_mask():
    def grad(m):
        x = m.tensor(X, requires_grad=True)
        m.nn.functional.dropout(x, 0.3).sum().backward()
        return x.grad
    assert_same(*both(grad))


@pytest.mark.parametrize("name", ["attention", "MultiheadAttention", "LSTM", "TransformerEncoderLayer"])
def test_dropout_inside_layers_draws_torchs_masks(name):
    x = X[0]
    calls = {
        "attention": lambda m: m.nn.functional.scaled_dot_product_attention(m.tensor(X), m.tensor(X), m.tensor(X),
                                                                            dropout_p=0.3),
        "MultiheadAttention": lambda m: m.nn.MultiheadAttention(3, 1, dropout=0.3)(*[m.tensor(x)] * 3)[0],
        "LSTM": lambda m: m.nn.LSTM(3, 4, num_layers=2, dropout=0.3)(m.tensor(x))[0],
        "TransformerEncoderLayer": lambda m: m.nn.TransformerEncoderLayer(3, 1, 8, dropout=0.3)(m.tensor(x)),
    }
    actual, expected = both(calls[name])  # the streams stay in step: the same number of draws
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def dataset(m, n=23):
    return m.utils.data.TensorDataset(m.arange(n))


def epochs(m, **kwargs):
    loader = m.utils.data.DataLoader(dataset(m), batch_size=5, **kwargs)
    return [[batch[0].tolist() for batch in loader] for _ in range(3)]


DATA = {
    "DataLoader shuffle": lambda m: epochs(m, shuffle=True),
    "DataLoader shuffle drop_last": lambda m: epochs(m, shuffle=True, drop_last=True),
    "DataLoader shuffle generator": lambda m: epochs(m, shuffle=True, generator=m.Generator().manual_seed(4)),
    "DataLoader in order (draws a seed all the same)": lambda m: epochs(m),
    "iter(), then a draw, then next()": lambda m: (lambda it: (m.rand(2).tolist(), next(it)[0].tolist()))(
        iter(m.utils.data.DataLoader(dataset(m, 8), batch_size=3, shuffle=True))),
    "RandomSampler": lambda m: list(m.utils.data.RandomSampler(range(10))),
    "RandomSampler num_samples": lambda m: list(m.utils.data.RandomSampler(range(10), num_samples=25)),
    "RandomSampler replacement": lambda m: list(m.utils.data.RandomSampler(range(10), True, num_samples=70)),
    "RandomSampler generator": lambda m: list(m.utils.data.RandomSampler(range(10),
                                                                         generator=m.Generator().manual_seed(1))),
    "SubsetRandomSampler": lambda m: list(m.utils.data.SubsetRandomSampler([5, 7, 9, 11, 2])),
    "WeightedRandomSampler": lambda m: list(m.utils.data.WeightedRandomSampler([0.1, 0.5, 2.0, 0.0, 1.0], 12)),
    "WeightedRandomSampler no replacement": lambda m: list(
        m.utils.data.WeightedRandomSampler([0.1, 0.5, 2.0, 0.3, 1.0], 4, replacement=False)),
    "random_split fractions": lambda m: [list(s.indices) for s in m.utils.data.random_split(range(30),
                                                                                           [0.5, 0.3, 0.2])],
    "random_split generator": lambda m: [list(s.indices) for s in m.utils.data.random_split(
        range(30), [10, 20], generator=m.Generator().manual_seed(42))],
}


@pytest.mark.parametrize("name", list(DATA))
def test_data_order(name):
    assert_same(*both(DATA[name]))


def test_distributed_style_reseeding():
    """torch.Generator().manual_seed(seed + epoch) and randperm, as a DistributedSampler uses them."""
    for epoch in range(3):
        g, tg = ember.Generator(), torch.Generator()
        g.manual_seed(10 + epoch)
        tg.manual_seed(10 + epoch)
        assert ember.randperm(100, generator=g).tolist() == torch.randperm(100, generator=tg).tolist()


# ----------------------------------------------------------------------------
# a whole seeded program
# ----------------------------------------------------------------------------
PROGRAM = textwrap.dedent("""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    x = torch.randn(200, 10)
    y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 1).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(4):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            print(f"{loss.item():.9g}")
    model.eval()
    print(f"{F.cross_entropy(model(x), y).item():.9g}")
""")


def test_a_seeded_program_prints_torchs_losses(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(PROGRAM)
    outputs = []
    for command in ([sys.executable, str(script)], [sys.executable, "-m", "ember.cli", "run", str(script)]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append([float(line) for line in done.stdout.split()])
    under_torch, under_ember = outputs
    assert len(under_ember) == len(under_torch) == 4 * 7 + 1
    # the same draws everywhere; what is left is float32 rounding of the arithmetic
    np.testing.assert_allclose(under_ember, under_torch, rtol=2e-5, atol=1e-6)


def test_fills_inside_a_graph_cut_the_old_values_gradient():
    grads = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        leaf = lib.ones(3, 4, requires_grad=True)
        x = leaf * 2
        x.normal_()
        y = leaf.clone()
        y[0].uniform_()  # through a view
        (x.sum() + y.sum()).backward()
        grads.append(leaf.grad.numpy())
        with pytest.raises(RuntimeError, match="leaf Variable"):
            lib.ones(2, requires_grad=True).normal_()
    np.testing.assert_array_equal(*grads)


def test_the_generator_is_below_the_graph():
    """random.py draws on arrays and wraps once: it imports neither ops nor autograd (a sampler is no op)."""
    import ast
    import pathlib
    source = pathlib.Path(ember.random.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
            imported.update(alias.name.split(".")[0] for alias in node.names if not node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert not imported & {"ops", "autograd"}, imported
