"""Random numbers: a seeded ``Generator`` (NumPy's PCG64 underneath) and the sampling functions.

ember draws from the same distributions as PyTorch, not the same stream:
``manual_seed(0)`` makes ember repeatable, not equal to PyTorch's numbers.
"""
import numpy as np

from ._backend import DEFAULTS, to_dtype
from .ops.shape import size_args
from .tensor import Tensor, _wrap

_FIRST_SEED = 67280421310721  # PyTorch's default seed, for the look of it


class Generator:
    """A source of random numbers; pass ``generator=g`` to make a draw independent of the global one."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_FIRST_SEED)

    def manual_seed(self, seed):
        """Reseed this generator; returns it."""
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & (2 ** 64 - 1)))
        return self

    def seed(self):
        """Reseed this generator from the operating system's randomness; returns the seed."""
        seed = int(np.random.SeedSequence().entropy) & (2 ** 63 - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator started from."""
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (restore it with set_state)."""
        state = self._rng.bit_generator.state["state"]
        words = [state["state"], state["inc"], self._seed & (2 ** 64 - 1)]
        raw = b"".join(w.to_bytes(16, "little") for w in words)
        return _wrap(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from get_state()."""
        raw = bytes(np.asarray(new_state._data, np.uint8))
        if len(raw) != 48:
            raise RuntimeError("Generator.set_state: expected a state from Generator.get_state()")
        s, inc, seed = (int.from_bytes(raw[i:i + 16], "little") for i in (0, 16, 32))
        bit = np.random.PCG64()
        bit.state = {"bit_generator": "PCG64", "state": {"state": s, "inc": inc}, "has_uint32": 0, "uinteger": 0}
        self._rng = np.random.Generator(bit)
        self._seed = seed
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the global generator: every later draw without generator= is repeatable."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator from the operating system's randomness; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, to restore with set_rng_state."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore the default generator's state."""
    default_generator.set_state(state)


def _rng(generator):
    return (generator or default_generator)._rng


def _float_dtype(dtype):
    dt = to_dtype(dtype) if dtype is not None else DEFAULTS.float_dtype
    if not dt.is_floating_point:
        raise RuntimeError(f"this random function needs a floating point dtype, got {dt}")
    return dt.np


def _make(array, requires_grad):
    t = _wrap(array)
    return t.requires_grad_(True) if requires_grad else t


def _sample_float(draw, size, dtype):
    # NumPy samples float32 and float64 natively; float16 goes through float32
    native = dtype if dtype in (np.float32, np.float64) else np.float32
    return draw(size, dtype=native).astype(dtype, copy=False)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1) of the given size."""
    dt = _float_dtype(dtype)
    return _make(_sample_float(_rng(generator).random, size_args(size), dt), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples of the given size."""
    dt = _float_dtype(dtype)
    return _make(_sample_float(_rng(generator).standard_normal, size_args(size), dt), requires_grad)


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers from [low, high) of the given size."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size' (a tuple such as (3,))")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = to_dtype(dtype).np if dtype is not None else np.int64
    return _wrap(_rng(generator).integers(low, high, size=size_args((size,)), dtype=np.int64).astype(dt))


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    dt = to_dtype(dtype).np if dtype is not None else np.int64
    return _wrap(_rng(generator).permutation(n).astype(dt))


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, requires_grad=False):
    """normal(mean, std, size) with numbers, or elementwise with Tensors of means and/or stds."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(s)}")
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        size = size_args((size,))
    dt = _float_dtype(dtype) if dtype is not None else (
        m.dtype if isinstance(mean, Tensor) else s.dtype if isinstance(std, Tensor) else DEFAULTS.float_dtype.np)
    values = m + s * _sample_float(_rng(generator).standard_normal, size, dt)
    return _make(np.asarray(values, dt), requires_grad)


def bernoulli(p, generator=None):
    """0/1 samples that are 1 with the probabilities in input."""
    probs = p._data
    return _wrap((_rng(generator).random(probs.shape) < probs).astype(probs.dtype))


def multinomial(probs, num_samples, replacement=False, generator=None):
    """Draw category indices with the given (unnormalised) weights, row by row."""
    weights = np.asarray(probs._data, np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    out = np.stack([rng.choice(len(r), num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return _wrap(out.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


def rand_like(t, dtype=None, requires_grad=False):
    """Uniform samples from [0, 1) with input's shape."""
    return rand(t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    """Standard normal samples with input's shape."""
    return randn(t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randint_like(t, low=0, high=None, dtype=None):
    """Random integers from [low, high) with input's shape."""
    return randint(low, high, t._data.shape, dtype=dtype or t.dtype)


# in-place fills used by Tensor.uniform_ / normal_ / ... (and nn.init)
def _fill(t, values):
    from .autograd.grad_mode import STATE
    from .tensor import _LEAF_INPLACE, _bump_version
    if STATE.enabled and t._requires_grad and t.grad_fn is None:
        raise RuntimeError(_LEAF_INPLACE + " Fill parameters inside `with ember.no_grad():` (nn.init does).")
    t._data[...] = values
    _bump_version(t)
    return t


def fill_uniform(t, a, b, generator):
    return _fill(t, _rng(generator).uniform(a, b, t._data.shape))


def fill_normal(t, mean, std, generator):
    return _fill(t, _rng(generator).normal(mean, std, t._data.shape))


def fill_bernoulli(t, p, generator):
    p = p._data if isinstance(p, Tensor) else p
    return _fill(t, _rng(generator).random(t._data.shape) < p)


def fill_integers(t, low, high, generator):
    if high is None:
        low, high = 0, low if low else 2 ** 24
    return _fill(t, _rng(generator).integers(low, high, t._data.shape))
