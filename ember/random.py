"""Random numbers: PyTorch's CPU generator and its sampling kernels, so seeded programs print torch's numbers.

PyTorch's CPU ``Generator`` is a 32-bit Mersenne Twister seeded the classic way (``init_genrand`` with the low 32
bits of the seed). NumPy's ``MT19937`` with its legacy seeding is the same engine, so ``random_raw`` hands us
torch's raw 32-bit words; everything else here is how ATen turns words into numbers, written with NumPy arrays:

- a 32-bit draw is one word; a 64-bit draw is two words, the first the high half;
- a uniform float keeps the low ``digits`` bits of a draw (24 of a 32-bit word for float32, 53 of a 64-bit draw
  for float64) times 2**-digits, then ``x * (to - from) + from`` as one fused multiply-add;
- ``normal_`` has three paths: small or non-contiguous tensors take Box-Muller pairs in float64, caching the second
  value in the generator; contiguous tensors of 16 or more transform blocks of 16 uniforms (8 cosines, 8 sines),
  float32 with torch's AVX2 polynomial log/sincos (emulated op for op below), float64 with libm;
- integers take ``word % range + low`` (64-bit draws when the range needs more than 32 bits);
- ``randperm`` is a Fisher-Yates shuffle with ``word % (n - i)``; ``multinomial`` without replacement is the
  exponential race ``argmax/topk(p / Exp(1))``, with replacement an inverse-CDF binary search per draw.

Reference: torch 2.13.0 on an x86-64 CPU (AVX2/AVX-512, AMD). What is not torch's:
- ``bernoulli_(p)`` with a number p (so dropout masks) on an *Intel* CPU: torch's MKL build seeds MKL's own
  MCG31 stream from one draw there; ember always takes torch's portable path (the one torch takes on AMD).
- float32 fused multiply-adds are emulated in float64: one double-rounding tie in about 2**29 operations could
  differ by an ulp; float64 ones use an exact product split (the same rare tie). Float32 results computed
  through float64 libm (exponential_, the small-tensor normal path) can differ only at float32 rounding ties.
- ``trunc_normal_``'s narrow-window sampler compares ``log(u)`` in float32: NumPy's log and torch's SLEEF log
  can differ by an ulp at the acceptance boundary; ``orthogonal_`` takes torch's draws through NumPy's LAPACK QR.
- ``randperm(n)`` for n >= 2**32 / 20 (torch switches algorithm there); bfloat16 (ember has no bfloat16).
"""
import contextlib
import math
import os
import threading

import numpy as np

from . import _backend
from ._backend import DEFAULTS, int_arg, new_size, require_float, silently, size_args, to_dtype
from .tensor import Tensor, _overwrite, _wrap

_DEFAULT_SEED = 67280421310721  # torch's default CPU seed
_STATE_BYTES = 5056             # torch's CPUGeneratorImplState: seed, left, seeded, next, 624 words, normal cache
_N = 624                        # Mersenne Twister words per state
_U64 = np.uint64


class _DrawWatch(threading.local):
    """Per thread: a function called with the generator before every draw, or None (ember.func.vmap sets it)."""
    hook = None


_DRAW_WATCH = _DrawWatch()


class Generator:
    """A stream of random numbers; ``generator=g`` makes a draw use it instead of the global one.

    ``Generator().manual_seed(s)`` gives the numbers ``torch.Generator().manual_seed(s)`` gives.
    """

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Reseed this generator (torch's seeding: the same seed gives torch's stream); returns it."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed expected an int seed, got {type(seed).__name__}")
        seed = int(seed)
        if not -2 ** 63 <= seed < 2 ** 64:
            raise RuntimeError(f"Overflow when unpacking long: seed {seed} does not fit in 64 bits")
        self._seed = seed & (2 ** 64 - 1)
        if getattr(self, "_mt", None) is None:  # made once (90 us: NumPy seeds it from the OS first); reseeding is 1 us
            self._mt = np.random.MT19937()
        self._mt._legacy_seeding(self._seed & 0xFFFFFFFF)
        self._fresh = True           # torch's "left = 1, next = 0" right after seeding
        self._normal = None          # the cached second Box-Muller value (float64)
        self._float_normal = b"\0" * 8  # torch's float cache, unused on CPU: kept only to round-trip states
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator started from."""
        return self._seed

    # ---- raw draws --------------------------------------------------------------------------
    def _words32(self, n):
        """n 32-bit draws (as uint64)."""
        watch = _DRAW_WATCH.hook
        if watch is not None:  # ember.func.vmap's randomness modes see every draw (refuse it, or replay it)
            watch(self)
        if n <= 0:
            return np.zeros(0, _U64)
        self._fresh = False
        return self._mt.random_raw(n)

    def _words64(self, n):
        """n 64-bit draws: two words each, the first one the high half."""
        w = self._words32(2 * n)
        return (w[0::2] << _U64(32)) | w[1::2]

    # ---- state: torch's 5056-byte layout ----------------------------------------------------
    def get_state(self):
        """The state as torch lays it out (a uint8 tensor of 5056 bytes); ``set_state`` restores it."""
        st = self._mt.state["state"]
        pos = int(st["pos"])
        left, nxt = (1, 0) if self._fresh else (1, _N) if pos == _N else (_N + 1 - pos, pos)
        cached = self._normal is not None
        head = np.array([self._seed], "<u8").tobytes() + np.array([left, 1], "<i4").tobytes()
        head += np.array([nxt], "<u8").tobytes() + np.asarray(st["key"], "<u8").tobytes()
        tail = np.array([0.0, self._normal or 0.0, 0.0], "<f8").tobytes() + np.array([cached, 0], "<i4").tobytes()
        raw = head + tail + self._float_normal
        return _wrap(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from get_state() (or from torch's get_state()); returns the generator."""
        if not isinstance(new_state, Tensor) or new_state.dtype.np != np.uint8:
            raise TypeError("set_state expects a torch.ByteTensor (a uint8 tensor from get_state())")
        raw = np.ascontiguousarray(new_state._data).tobytes()
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Expected either a CPUGeneratorImplState of size {_STATE_BYTES} but found the "
                               f"input RNG state size to be {len(raw)}: pass a state from get_state()")
        seed = int(np.frombuffer(raw, "<u8", 1)[0])
        left, _ = np.frombuffer(raw, "<i4", 2, 8)
        nxt = int(np.frombuffer(raw, "<u8", 1, 16)[0])
        key = np.frombuffer(raw, "<u8", _N, 24).astype(np.uint32)
        normal_y = float(np.frombuffer(raw, "<f8", 1, 24 + 8 * _N + 8)[0])
        valid = int(np.frombuffer(raw, "<i4", 1, 24 + 8 * _N + 24)[0])
        if not 1 <= left <= _N or nxt > _N:
            raise RuntimeError("The input RNG state must be a valid Mersenne Twister state (left, next out of range)")
        self._seed = seed
        if getattr(self, "_mt", None) is None:
            self._mt = np.random.MT19937()
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N if left == 1 else nxt}}
        self._fresh = left == 1 and nxt == 0
        self._normal = normal_y if valid else None
        self._float_normal = raw[-8:]
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the global generator: every later draw without generator= is repeatable, and equal to torch's (the
    GPU's generator is seeded too)."""
    _backend.seed_gpu(seed)
    return default_generator.manual_seed(int(seed))


def seed():
    """Seed the default generator from the operating system's randomness; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, to restore with set_rng_state."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the global generator from get_rng_state() (torch's 5056-byte states work too)."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cpu"):
    """Run a block with the global generator's state saved before and restored after it."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def _gen(generator):
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an ember.Generator, got {type(generator).__name__}")
    return generator


# ----------------------------------------------------------------------------
# float arithmetic as torch's kernels round it
# ----------------------------------------------------------------------------
def _fma32(a, b, c):
    """float32 a*b + c rounded once (the compiler fuses these in torch's kernels); exact in float64 but for a
    double-rounding tie (about one case in 2**29). Where a*b is exact in float32 (a power of two, or few bits times
    few bits), a plain float32 a * b + c rounds once too, and costs a fifth of this."""
    fused = np.asarray(a).astype(np.float64)
    fused *= b  # exact: 24 + 24 bits fit in 53
    fused += c
    return fused.astype(np.float32)


def _fma64(a, b, c):
    """float64 a*b + c rounded once: the product split exactly (Dekker), then added with its error terms."""
    a, b, c = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64)
    p = a * b

    def split(x):
        big = x * 134217729.0  # 2**27 + 1
        hi = big - (big - x)
        return hi, x - hi

    a_hi, a_lo = split(a)
    b_hi, b_lo = split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo  # p + e == a*b exactly
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)  # s + t == p + c exactly
    with silently(invalid="ignore"):
        out = s + (t + e)
    return np.where(np.isfinite(p) & np.isfinite(s), out, p + c)


def _libm(func, x):
    """float64 math as libm (glibc) computes it: NumPy's own log/log1p differ in the last bit now and then."""
    return np.frompyfunc(func, 1, 1)(x).astype(np.float64) if x.size else x.astype(np.float64)


_DIGITS = {np.dtype(np.float16): 11, np.dtype(np.float32): 24, np.dtype(np.float64): 53}  # mantissa bits


def _uniform01(gen, n, dtype):
    """n uniforms in [0, 1) as torch draws them for dtype (float64 values, exact in the acc type)."""
    digits = 53 if np.dtype(dtype) == np.float64 else 24  # half draws as float does
    words = gen._words64(n) if digits == 53 else gen._words32(n)
    return (words & _U64((1 << digits) - 1)).astype(np.float64) * 2.0 ** -digits


# Large draws are made in blocks of this many values. Each block's dozen (uniform) to forty (normal) passes then run
# over temporaries that stay in the cache and in memory malloc already holds. Drawn whole, a first draw of 16M
# values faults every temporary's pages in from the OS, and that costs several times the arithmetic. The values
# are the same either way: the generator's words come out in the same order, and each value depends on its own
# words (a normal on its block of 16).
_BLOCK = 1 << 16


def _in_blocks(out, draw):
    """out (one-dimensional) filled block by block with draw(count), in order: at most _BLOCK values a call."""
    for start in range(0, out.size, _BLOCK):
        stop = min(start + _BLOCK, out.size)
        out[start:stop] = draw(stop - start)
    return out


def _uniform(gen, n, dtype, low, high):
    """torch's uniform_ kernel: x * (to - from) + from, fused, with from/to in the tensor's dtype."""
    if n <= _BLOCK:
        return _uniform_block(gen, n, dtype, low, high)
    return _in_blocks(np.empty(n, dtype), lambda count: _uniform_block(gen, count, dtype, low, high))


def _uniform_block(gen, n, dtype, low, high):
    x = _uniform01(gen, n, dtype)
    if np.dtype(dtype) == np.float64:
        values = _fma64(x, high - low, low)
    else:
        lo, hi = np.float32(low), np.float32(high)  # half too: its bounds and arithmetic are float's
        values = _fma32(x, hi - lo, lo).astype(dtype)
    # torch's range is [from, to): a value that rounds up to `to` in the tensor's dtype is `from` instead
    np.copyto(values, values.dtype.type(low), where=values == values.dtype.type(high))
    return values


# ---- normal: torch's three paths ----------------------------------------------------------------
# Threads share a generator as in torch: each raw draw is atomic (NumPy's bit generator locks), and this lock keeps
# the normal cached between calls from being taken twice or lost when two threads draw at once.
_CACHE_LOCK = threading.Lock()


def _normal_pairs(gen, n, mean, std):
    """The scalar path: Box-Muller in float64, one pair per two draws, the sine cached for the next call."""
    out = np.empty(n, np.float64)
    start = 0
    with _CACHE_LOCK:
        if n and gen._normal is not None:
            out[0], gen._normal, start = gen._normal, None, 1
        pairs = (n - start + 1) // 2
        if pairs:
            u = _uniform01(gen, 2 * pairs, np.float64)
            u1, u2 = u[0::2], u[1::2]
            radius = np.sqrt(-2.0 * _libm(math.log1p, -u2))
            theta = 2.0 * math.pi * u1
            values = np.empty(2 * pairs)
            values[0::2], values[1::2] = radius * np.cos(theta), radius * np.sin(theta)
            out[start:] = values[:n - start]
            if (n - start) % 2:
                gen._normal = values[-1]
    return _fma64(out, std, mean)


_LOG_P = (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
          -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)


def _log_avx(x):
    """float32 log as torch's AVX2 kernel computes it (Cephes' polynomial; the fused steps as GCC fuses them)."""
    f32 = np.float32
    bits = np.maximum(x, f32(1.17549435e-38)).view(np.int32)
    e = ((bits >> 23) - 127).astype(f32) + f32(1)
    m = ((bits & ~0x7f800000) | 0x3f000000).view(f32)  # mantissa in [0.5, 1)
    small = m < f32(0.707106781186547524)
    x = (m - f32(1)) + m * small  # (m where small, else 0: exact)
    e = e - small.astype(f32)
    z = x * x
    y = _fma32(x, f32(_LOG_P[0]), f32(_LOG_P[1]))
    for p in _LOG_P[2:]:
        y = _fma32(y, x, f32(p))
    y = _fma32(y * x, z, e * f32(-2.12194440e-4))
    y = y - z * f32(0.5)  # fma(z, -0.5, y): the product is exact
    return e * f32(0.693359375) + (x + y)  # fma: e, an exponent (8 bits), times 355/512 is exact


def _sincos_avx(x):
    """float32 sin and cos of x >= 0 as torch's AVX2 kernel computes them (Cephes' sincosf)."""
    f32 = np.float32
    j = (x * f32(1.27323954473516)).astype(np.int32)  # x / (pi/4)
    j = (j + 1) & ~1
    y = j.astype(f32)
    # x - j * pi/4 in three pieces, each an fma; j <= 8 (x < 2 pi), so the first two products, of constants with
    # 8 and 12 bits, are exact and a plain multiply-add rounds as the fma does
    x = y * f32(-0.78515625) + x
    x = y * f32(-2.4187564849853515625e-4) + x
    x = _fma32(y, f32(-3.77489497744594108e-8), x)
    z = x * x
    yc = _fma32(_fma32(z, f32(2.443315711809948E-005), f32(-1.388731625493765E-003)), z, f32(4.166664568298827E-002))
    yc = _fma32(yc * z, z, z * f32(-0.5)) + f32(1)
    ys = _fma32(_fma32(z, f32(-1.9515295891E-4), f32(8.3321608736E-3)), z, f32(-1.6666654611E-1))
    ys = _fma32(ys * z, x, x)
    # which polynomial is the sine, and the signs, chosen on the bits (exact, and without np.where's branches):
    # octants with j & 2 swap the two; j & 4 flips the sine's sign, (j - 2) & 4 == 0 the cosine's
    swap = -((j >> 1) & 1)  # all ones where swapped
    ys_bits, yc_bits = ys.view(np.int32), yc.view(np.int32)
    sin = (ys_bits & ~swap) | (yc_bits & swap)
    cos = (yc_bits & ~swap) | (ys_bits & swap)
    sin ^= (j & 4) << 29  # the sign bit
    cos ^= (~(j - 2) & 4) << 29
    return sin.view(f32), cos.view(f32)


def _box_muller_16(u, dtype, mean, std):
    """Blocks of 16 uniforms -> 8 cosines then 8 sines each (torch's normal_fill_16)."""
    u = u.reshape(-1, 16)
    if dtype == np.float32:
        # each half made contiguous once: the thirty-odd passes below then run over plain arrays
        first, second = (np.ascontiguousarray(u[:, half], np.float32) for half in (slice(0, 8), slice(8, 16)))
        radius = np.sqrt(np.float32(-2) * _log_avx(np.float32(1) - first))
        sin, cos = _sincos_avx(np.float32(2 * math.pi) * second)
        m, s = np.float32(mean), np.float32(std)
        out = np.empty(u.shape, np.float32)
        if mean == 0 and std == 1:  # fma(v, 1, 0) is v
            np.multiply(radius, cos, out=out[:, :8]), np.multiply(radius, sin, out=out[:, 8:])
        else:
            out[:, :8], out[:, 8:] = _fma32(radius * cos, s, m), _fma32(radius * sin, s, m)
        return out.ravel()
    radius = np.sqrt(-2.0 * _libm(math.log, 1.0 - u[:, :8]))
    theta = 2.0 * math.pi * u[:, 8:]
    return np.concatenate([_fma64(radius * np.cos(theta), std, mean),
                           _fma64(radius * np.sin(theta), std, mean)], 1).ravel()


def _normal(gen, n, dtype, mean, std, contiguous=True):
    """torch's normal_ kernel: n values for a tensor of dtype."""
    dtype = np.dtype(dtype)
    if n < 16 or not contiguous:
        return _normal_pairs(gen, n, mean, std).astype(dtype)
    full = n - n % 16
    # half goes through the float32 kernel, drawing only the whole blocks before the last 16
    kernel = np.dtype(np.float32) if dtype == np.float16 else dtype
    out = np.empty(n, dtype)
    _in_blocks(out[:full], lambda count: _box_muller_16(_uniform01(gen, count, dtype), kernel, mean, std))
    if dtype != np.float16 and n % 16:  # torch draws n uniforms; those past the last whole block go unused
        _uniform01(gen, n % 16, dtype)
    if n % 16:  # torch redraws 16 fresh uniforms for the last 16 places
        out[n - 16:] = _box_muller_16(_uniform01(gen, 16, dtype), kernel, mean, std)
    return out


# ---- integers -------------------------------------------------------------------------------------
def _int_range(gen, n, low, high):
    """random_(low, high): word % (high - low) + low, 64-bit draws when the range needs them."""
    span = high - low
    words = gen._words64(n) if span >= 2 ** 32 else gen._words32(n)
    return (words % _U64(span)).astype(np.int64) + np.int64(low)


def _int_full(gen, n, dtype):
    """random_() with no bounds: [0, max] of an integer dtype, [0, 2**digits] of a float one."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return gen._words32(n) & _U64(1)
    if dtype.kind == "f":
        words = gen._words64(n) if dtype == np.float64 else gen._words32(n)
        return words % _U64((1 << _DIGITS[dtype]) + 1)
    words = gen._words64(n) if dtype == np.int64 else gen._words32(n)
    return words % _U64(int(np.iinfo(dtype).max) + 1)


def _randperm(gen, n):
    """torch's shuffle, r[i] <-> r[i + word_i % (n - i)] for i = 0..n-2, without a loop over i.

    Place i is final after step i, holding what place target_i held just before step i. That is target_i's
    first value, unless an earlier step s also swapped with target_i: then it holds what place s held just
    before step s, and so on back: a chain through earlier steps, followed for all places at once by pointer
    jumping.
    """
    if n < 2:
        return np.arange(n, dtype=np.int64)
    steps = np.arange(n - 1)
    target = steps + (gen._words32(n - 1) % (n - steps).astype(_U64)).astype(np.int64)
    order = np.lexsort((steps, target))  # by target, then step
    same = target[order[1:]] == target[order[:-1]]
    previous = np.full(n - 1, -1)  # the latest earlier step with the same target
    previous[order[1:][same]] = order[:-1][same]
    # latest earlier step that swapped into each place (a no-op swap of a place with itself does not count)
    moves = order[target[order] != order]
    last = moves[np.append(target[moves[1:]] != target[moves[:-1]], True)] if moves.size else moves
    chain = np.arange(n)
    chain[target[last]] = last
    while True:  # root of each chain = the first value found at its end
        jumped = chain[chain]
        if np.array_equal(jumped, chain):
            break
        chain = jumped
    out = np.empty(n, np.int64)
    out[:-1] = np.where(previous >= 0, chain[np.maximum(previous, 0)], target)
    out[-1] = chain[n - 1]
    return out


# ----------------------------------------------------------------------------
# filling tensors (Tensor.uniform_, normal_, ... and nn.init)
# ----------------------------------------------------------------------------
def _memory_axes(a):
    """The axes of a from the largest stride to the smallest: torch's kernels fill elements in memory order."""
    return tuple(np.argsort([-abs(s) for s in a.strides], kind="stable"))


def _memory_order(a):
    """A view of a whose C order is its memory order."""
    return a if a.flags.c_contiguous else a.transpose(_memory_axes(a))


def _fill(t, values):
    """Write freshly drawn values (in memory order) into t in place, as torch's in-place fills do (tensor.py's
    _overwrite: the old values get no gradient)."""
    if type(t._data) is np.ndarray and t._data.flags.c_contiguous and type(values) is np.ndarray and \
            values.size == t._data.size:  # memory order is C order: the values go straight in (one copy, not two)
        return _overwrite(t, values.reshape(t._data.shape))
    host = t._data if isinstance(t._data, np.ndarray) else _backend.move(t._data, _backend.CPU)
    drawn = np.empty_like(host)
    view = _memory_order(drawn)
    view[...] = np.asarray(values).reshape(view.shape)
    return _overwrite(t, _backend.like(drawn, t._data))  # drawn on the host for every device: a GPU run sees the
    # CPU's numbers


def _float_tensor(t, what):
    if not t.dtype.is_floating_point:
        raise RuntimeError(f"{what} is only implemented for floating point types, got {t.dtype}")
    return t._data.dtype


def fill_uniform(t, a, b, generator):
    dtype = _float_tensor(t, "uniform_")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _fill(t, _uniform(_gen(generator), t._data.size, dtype, float(a), float(b)))


def fill_normal(t, mean, std, generator):
    dtype = _float_tensor(t, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    contiguous = t._data.flags.c_contiguous
    return _fill(t, _normal(_gen(generator), t._data.size, dtype, float(mean), float(std), contiguous))


def fill_bernoulli(t, p, generator):
    gen, n = _gen(generator), t._data.size
    if isinstance(p, Tensor):  # per-element probabilities: float32 draws against float p, 53-bit against double
        probs = np.broadcast_to(p._data, t._data.shape)
        probs = np.ravel(probs if t._data.flags.c_contiguous else probs.transpose(_memory_axes(t._data)))
        if p._data.dtype == np.float64:
            keep = _uniform01(gen, n, np.float64) < probs
        else:
            keep = _uniform01(gen, n, np.float32).astype(np.float32) < probs.astype(np.float32)
        return _fill(t, keep)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(t, _uniform01(gen, n, np.float64) < p)


def fill_integers(t, low, high, generator):
    gen, n = _gen(generator), t._data.size
    if high is None and low is None:
        return _fill(t, _int_full(gen, n, t._data.dtype))
    if high is None:
        low, high = 0, low
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if t._data.dtype.kind == "f":
        low, high = _float_bounds(low, high, t._data.dtype)
    return _fill(t, _int_range(gen, n, low, high))


def _float_bounds(low, high, dtype):
    """torch moves bounds a float dtype cannot hold inward, to the nearest integers it can."""
    digits, as_float = _DIGITS[np.dtype(dtype)], lambda v: int(np.dtype(dtype).type(v))
    largest = int(np.finfo(dtype).max)
    if not -largest <= low <= largest:
        raise RuntimeError(f"from is out of bounds for {np.dtype(dtype)}: {low} is not a finite {np.dtype(dtype)}")
    if not -largest <= high - 1 <= largest:
        raise RuntimeError(f"to - 1 is out of bounds for {np.dtype(dtype)}: {high - 1} is not a finite "
                           f"{np.dtype(dtype)}")
    if as_float(low + 1) < low:
        low = as_float(low + 1) + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    if as_float(high - 1) >= high:
        high = as_float(high - 1) - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    return low, high


def fill_exponential(t, lambd, generator):
    _float_tensor(t, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _uniform01(_gen(generator), t._data.size, np.float64)
    return _fill(t, -1.0 / lambd * _libm(math.log1p, -u))


def fill_geometric(t, p, generator):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), got p={p}")
    u = _uniform01(_gen(generator), t._data.size, np.float64)
    return _fill(t, np.ceil(_libm(math.log, u) / math.log(1.0 - p)))


def fill_cauchy(t, median, sigma, generator):
    _float_tensor(t, "cauchy_")
    u = _uniform01(_gen(generator), t._data.size, np.float64)
    return _fill(t, median + sigma * _libm(math.tan, math.pi * (u - 0.5)))


def fill_log_normal(t, mean, std, generator):
    _float_tensor(t, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    # always the float64 Box-Muller pairs (sharing the generator's cached normal), then exp
    return _fill(t, _libm(math.exp, _normal_pairs(_gen(generator), t._data.size, mean, std)))


# ----------------------------------------------------------------------------
# factories: each one is torch's "empty, then fill in place"
# ----------------------------------------------------------------------------
def _float_dtype(dtype, kernel="check_uniform_bounds"):
    dt = to_dtype(dtype) if dtype is not None else DEFAULTS.float_dtype
    if not dt.is_floating_point:
        require_float(kernel, dt.np)  # torch's NotImplementedError, naming its kernel
    return dt.np


def _empty(shape, dtype):
    return _wrap(np.empty(shape, dtype))


def _done(t, requires_grad, device=None):
    """Every device draws from the host generator, so a GPU run sees the numbers a CPU run sees; then moved."""
    if device is not None or DEFAULTS.device is not None:  # (asked for, or set as the default)
        from .creation import _finish
        return _finish(t._data, requires_grad, device)
    return t.requires_grad_(True) if requires_grad else t


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1): torch's numbers for the same seed."""
    new_size(size, "rand")
    t = _empty(size_args(size), _float_dtype(dtype))
    return _done(fill_uniform(t, 0.0, 1.0, generator), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal: torch's numbers for the same seed."""
    new_size(size, "randn")
    t = _empty(size_args(size), _float_dtype(dtype, "normal_kernel_cpu"))
    return _done(fill_normal(t, 0.0, 1.0, generator), requires_grad, device)


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers in [low, high): randint(high, size) or randint(low, high, size)."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size' (a tuple such as (3,))")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be a tuple of ints, not {type(size).__name__}; "
                        f"write randint({low}, {high}, ({size!r},))")
    int_arg(low, "randint", "low and high"), int_arg(high, "randint", "low and high")
    new_size((size,), "randint")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = to_dtype(dtype).np if dtype is not None else np.int64
    return _done(fill_integers(_empty(size_args((size,)), dt), low, high, generator), False, device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1: torch's for the same seed."""
    n = new_size((n,), "randperm")[0]
    dt = to_dtype(dtype).np if dtype is not None else np.int64
    return _done(_wrap(_randperm(_gen(generator), int(n)).astype(dt)), False, device)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """normal(mean, std, size) with numbers, or elementwise with a Tensor of means and/or of stds."""
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if std_t and (std._data < 0).any():
        raise RuntimeError(f"normal expects all elements of std >= 0.0, got {std._data.min()}")
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal(mean, std) with numbers needs size=, e.g. normal(0.0, 1.0, size=(3,))")
        t = _empty(size_args((size,)), _float_dtype(dtype))
        return _done(fill_normal(t, mean, std, generator), requires_grad, device)
    shape = np.broadcast_shapes(np.shape(mean._data) if mean_t else (), np.shape(std._data) if std_t else ())
    dt = np.result_type(*[x._data.dtype for x in (mean, std) if isinstance(x, Tensor)])
    like = (mean if mean_t else std)._data
    xp = _backend.get_array_module(like)
    if mean_t and not std_t:  # torch: normal_(0, std), then add the means
        drawn = fill_normal(_empty(shape, dt), 0.0, std, generator)._data
        out = xp.add(_backend.like(drawn, like), mean._data)
    else:  # torch: normal_(0, 1), times the stds, plus the means
        drawn = _backend.like(fill_normal(_empty(shape, dt), 0.0, 1.0, generator)._data, like)
        out = xp.multiply(drawn, std._data)
        out += mean._data if mean_t else dt.type(mean)
    out = _wrap(_backend.as_array(out.astype(dt, copy=False)))
    inputs = [x for x in (mean, std) if isinstance(x, Tensor) and x.requires_grad]
    if inputs:  # a sample's gradient to its mean and std is zero in torch (recorded only where grad mode is on)
        out = out.where(_wrap(_backend.like(np.ones(shape, bool), like)), sum(x * 0 for x in inputs))
    return out


def bernoulli(input, p=None, generator=None):
    """0/1 draws: with probability input (a Tensor of probabilities), or with a number p for every element."""
    require_float("bernoulli_tensor_cpu_p_", input._data)
    if p is None and not ((input._data >= 0) & (input._data <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false: bernoulli's probabilities "
                           "must lie in [0, 1]; squash scores first, e.g. with sigmoid()")
    out = _empty(input._data.shape, input._data.dtype)
    device = None if isinstance(input._data, np.ndarray) else input.device
    if p is None and device is not None:
        input = input.cpu()  # drawn on the host, as every device's draws are, then moved
    return _done(fill_bernoulli(out, input if p is None else p, generator), False, device)


def multinomial(input, num_samples, replacement=False, generator=None):
    """Draw category indices with the given (unnormalised) weights, row by row, as torch does."""
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got a {probs.ndim}-d tensor")
    if not np.issubdtype(probs.dtype, np.floating):
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples, got {num_samples}")
    rows = probs.reshape(-1, probs.shape[-1])
    categories = rows.shape[1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and ((rows > 0).sum(1) < num_samples).any():
        raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough non-negative "
                           "category to sample)")
    gen = _gen(generator)
    if not replacement or num_samples == 1:
        # the exponential race: the largest p / Exp(1) wins, the top num_samples are a draw without replacement
        q = (-_libm(math.log1p, -_uniform01(gen, rows.size, np.float64))).astype(rows.dtype).reshape(rows.shape)
        with silently(divide="ignore"):
            keys = rows / q
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        out = np.empty((rows.shape[0], num_samples), np.int64)
        for i, row in enumerate(rows):  # inverse CDF: the first cumulative weight >= u
            cum = np.cumsum(row.astype(np.float32) if row.dtype == np.float16 else row)  # half sums in float
            cum = cum / cum[-1]
            cum[-1] = 1
            out[i] = np.searchsorted(cum.astype(np.float64), _uniform01(gen, num_samples, np.float64), "left")
    return _wrap(out.reshape(probs.shape[:-1] + (num_samples,)).astype(np.int64))


def rand_like(input, dtype=None, device=None, requires_grad=False, generator=None):
    """rand with input's shape (and dtype and device, unless given)."""
    return rand(input._data.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)


def randn_like(input, dtype=None, device=None, requires_grad=False, generator=None):
    """randn with input's shape (and dtype and device, unless given)."""
    return randn(input._data.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, dtype=None, device=None, generator=None):
    """randint with input's shape (and dtype and device, unless given)."""
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype, device=device or input.device,
                   generator=generator)
