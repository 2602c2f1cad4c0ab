"""out=: every public function that takes it in torch takes it in ember, with torch's results, warnings and refusals.

The battery runs each call under torch and under ember with outs of every kind (empty, the right shape, a wrong
shape, other dtypes) and compares what happens: the same values written into out, the same warning, or the same
error. Which functions take out= at all is compared too (a function torch refuses out= for refuses it here).
"""
import types
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import _out


def cases(lib):
    """name -> argument tuples, the same data for both libraries."""
    g = np.random.default_rng(0)

    def T(*shape):
        return lib.tensor(g.standard_normal(shape).astype("float32"))

    x, y, v = T(3, 4), T(3, 4), T(4)
    p = lib.tensor(g.uniform(0.5, 2, (3, 4)).astype("float32"))
    i = lib.tensor(g.integers(0, 4, (3, 4)))
    m = lib.tensor(g.uniform(size=(3, 4)) > 0.5)
    return {
        "add": [(x, y), (x, 2), (i, 3), (x, v)], "sub": [(x, y)], "subtract": [(x, 1.5)], "mul": [(x, y), (i, 2.5)],
        "multiply": [(x, y)], "div": [(x, p), (i, 2)], "divide": [(x, p)], "true_divide": [(i, 2)],
        "remainder": [(x, p)], "floor_divide": [(x, p)], "pow": [(p, 2), (p, y)], "maximum": [(x, y)],
        "minimum": [(x, y)], "eq": [(x, y)], "ne": [(x, y)], "lt": [(x, y)], "le": [(x, y)], "gt": [(x, 0)],
        "ge": [(x, y)], "neg": [(x,)], "negative": [(x,)], "exp": [(x,), (i,)], "expm1": [(x,)], "log": [(p,)],
        "log1p": [(p,)], "sqrt": [(p,)], "rsqrt": [(p,)], "reciprocal": [(p,)], "abs": [(x,)], "absolute": [(i,)],
        "sign": [(x,)], "sin": [(x,)], "cos": [(x,)], "tanh": [(x,)], "sigmoid": [(x,)], "relu": [(x,)],
        "floor": [(x,)], "ceil": [(x,)], "round": [(x,)], "trunc": [(x,)], "clamp": [(x, -0.5, 0.5)],
        "clip": [(x, 0.0)], "masked_fill": [(x, m, 0.0)], "isnan": [(x,)], "isinf": [(x,)], "isfinite": [(x,)],
        "logical_not": [(x,)], "logical_and": [(x, y)], "logical_or": [(x, m)], "log2": [(p,)], "log10": [(p,)],
        "square": [(x,)], "atan2": [(x, y)], "arctan2": [(x, y)], "hypot": [(x, y)], "nan_to_num": [(x,)],
        "lerp": [(x, y, 0.3)], "addcmul": [(x, y, v)], "addcdiv": [(x, y, p)], "where": [(m, x, y)],
        "sum": [(x, 0), (x, (0, 1)), (i, 1)], "mean": [(x, 1)], "prod": [(x, 0)], "var": [(x, 0)], "std": [(x, 1)],
        "max": [(x, 1), (x, y), (x,)], "min": [(x, 0), (x, y)], "amax": [(x, 0)], "amin": [(x, 1)],
        "argmax": [(x, 0)], "argmin": [(x, 1)], "logsumexp": [(x, 1)], "softmax": [(x, 1)],
        "log_softmax": [(x, 1)], "cumsum": [(x, 1)], "norm": [(x,)], "any": [(x, 0)], "all": [(x, 1)],
        "count_nonzero": [(x, 0)], "sort": [(x, 1)], "argsort": [(x, 1)], "topk": [(x, 2)], "kthvalue": [(x, 2)],
        "median": [(x, 1)], "mode": [(i, 1)], "var_mean": [(x, 1)], "std_mean": [(x, 0)], "cumprod": [(x, 1)],
        "cummax": [(x, 1)], "cummin": [(x, 0)],
        "matmul": [(x, y.t()), (x, v)], "mm": [(x, y.t())], "bmm": [(x[None], y.t()[None])], "mv": [(x, v)],
        "dot": [(v, v)], "outer": [(v, v)], "trace": [(x,)], "tensordot": [(x, y.t(), 1)], "kron": [(x, y)],
        "cross": [(T(4, 3), T(4, 3), 1)], "flip": [(x, (0,))], "gather": [(x, 1, i)], "scatter": [(x, 1, i, y)],
        "scatter_add": [(x, 1, i, y)], "index_select": [(x, 1, lib.tensor([0, 2]))], "masked_select": [(x, m)],
        "nonzero": [(x,)], "clone": [(x,)], "tril": [(x,)], "triu": [(x, 1)], "roll": [(x, 1, 1)],
        "diag": [(v,)], "repeat_interleave": [(x, 2)], "diff": [(x,)], "bincount": [(lib.tensor([0, 1, 1, 3]),)],
        "cat": [([x, y],), ([x, i], 1)], "concat": [([x, y],)], "concatenate": [([x, y], 1)], "stack": [([x, y],)],
        "hstack": [([x, y],)], "vstack": [([x, y],)], "row_stack": [([x, v],)], "unique": [(i,)],
        "tile": [(x, (2,))], "einsum": [("ij,kj->ik", x, y)], "reshape": [(x, (4, 3))], "squeeze": [(x,)],
        "transpose": [(x, 0, 1)], "unsqueeze": [(x, 0)], "flatten": [(x,)], "t": [(x,)], "permute": [(x, (1, 0))],
        "chunk": [(x, 2)], "split": [(x, 2)], "narrow": [(x, 0, 0, 2)], "select": [(x, 0, 1)],
        "diagonal": [(x,)], "movedim": [(x, 0, 1)], "moveaxis": [(x, 0, 1)], "swapaxes": [(x, 0, 1)],
        "unbind": [(x,)], "unflatten": [(v, 0, (2, 2))], "broadcast_to": [(v, (3, 4))], "isclose": [(x, y)],
        "detach": [(x,)],
        "zeros": [((2, 3),), (2, 3)], "ones": [(2, 3)], "empty": [(2, 3)], "full": [((2, 3), 1.5)],
        "eye": [(3,)], "arange": [(5,), (0, 1, 0.25)], "linspace": [(0, 1, 5)], "logspace": [(0, 1, 5)],
        "zeros_like": [(x,)], "ones_like": [(x,)], "empty_like": [(x,)], "full_like": [(x, 2)],
        "rand": [(2, 3)], "randn": [(2, 3)], "randint": [(0, 5, (2, 3))], "randperm": [(5,)],
        "normal": [(0.0, 1.0, (2, 3))], "bernoulli": [(lib.sigmoid(x),)], "multinomial": [(p, 2)],
        "poisson": [(lib.exp(x),)], "binomial": [(lib.full((3, 4), 5.0), lib.sigmoid(x))],
        "rand_like": [(x,)], "randn_like": [(x,)], "randint_like": [(x, 5)], "scalar_tensor": [(2.0,)],
        "cosine_similarity": [(x, y)], "pairwise_distance": [(x, y)], "cdist": [(x, y)],
        "addmm": [(v, x.t(), y)], "addmv": [(v, x.t(), T(3))], "baddbmm": [(T(2, 3, 3), T(2, 3, 4), T(2, 4, 3))],
        "addbmm": [(T(3, 3), T(2, 3, 4), T(2, 4, 3))], "addr": [(x, T(3), v)], "logaddexp": [(x, y)],
        "xlogy": [(x, p)], "nansum": [(x,)], "nanmean": [(x, 1)], "fliplr": [(x,)], "flipud": [(x,)],
        "rot90": [(x,)], "atleast_1d": [(x,)], "atleast_2d": [(x,)], "atleast_3d": [(x,)],
        "tril_indices": [(3, 4)], "triu_indices": [(3, 4)], "cartesian_prod": [(v, v)],
        "searchsorted": [(lib.tensor([0.0, 1.0, 2.0]), x)], "bucketize": [(x, lib.tensor([0.0, 1.0, 2.0]))],
        "take_along_dim": [(x, i, 1)], "pdist": [(x,)], "channel_shuffle": [(T(1, 4, 2), 2)],
        "tan": [(x,)], "atan": [(x,), (i,)], "asin": [(x,)], "acos": [(x,)], "sinh": [(x,)], "cosh": [(x,)],
        "asinh": [(x,)], "acosh": [(p,)], "atanh": [(x,)], "arctan": [(x,)], "arcsin": [(x,)], "arccos": [(x,)],
        "arcsinh": [(x,)], "arccosh": [(p,)], "arctanh": [(x,)], "exp2": [(x,)], "sinc": [(x,)],
        "logit": [(x,), (x, 0.1)], "deg2rad": [(x,)], "rad2deg": [(i,)], "frac": [(x,)], "fix": [(x,)],
        "copysign": [(x, y), (x, -1.0)], "nextafter": [(x, y)], "logaddexp2": [(x, y)],
        "float_power": [(p, y), (p, 2)], "fmod": [(x, p), (i, 3)], "heaviside": [(x, y)], "sgn": [(x,)],
        "signbit": [(x,)], "positive": [(x,)], "conj": [(x,)], "real": [(x,)], "angle": [(x,)], "erf": [(x,)],
        "erfc": [(x,)],
        "fmax": [(x, y)], "fmin": [(x, y), (i, i)], "logical_xor": [(x, m)], "gcd": [(i, i + 2)],
        "lcm": [(i, i + 1)], "ldexp": [(x, i)], "clamp_min": [(x, 0.0)], "clamp_max": [(x, 0.5)],
        "isposinf": [(x,)], "isneginf": [(x,)], "bitwise_left_shift": [(i, 2)], "bitwise_right_shift": [(i, i)],
        "greater": [(x, y)], "greater_equal": [(x, 0)], "less": [(x, y)], "less_equal": [(x, y)],
        "not_equal": [(x, y)], "take": [(x, lib.tensor([0, 5, -1]))], "index_add": [(x, 0, lib.tensor([2, 0]), y[:2])],
        "frexp": [(x,)], "rsub": [(x, y)], "isreal": [(x,)], "dist": [(x, y), (x, v, 3)], "det": [(T(3, 3),)],
        "matrix_exp": [(T(3, 3),)],
        "lgamma": [(x,), (i,)], "digamma": [(p,)], "polygamma": [(2, p), (0, i)], "mvlgamma": [(p + 1, 2)],
        "erfinv": [(lib.tanh(x),)], "i0": [(x,)],
    }


NAMES = list(cases(ember))
UNSET = ("empty",)  # values not set: compared by shape and dtype only
# where ember differs from torch on purpose or outside out= itself: (name, out dtype) -> why
KNOWN = {("any", "uint8"): "torch writes wrong bytes into a uint8 out (any([0.5, 0.0]) gives 0); ember writes 1",
         ("all", "uint8"): "as any",
         ("randint", "bool"): "ember's randint makes bool tensors, torch refuses (random.py)",
         ("randperm", "bool"): "ember's randperm makes bool tensors, torch refuses (random.py)",
         ("normal", "int64"): "ember's normal names another kernel in the same NotImplementedError (random.py)",
         ("normal", "int32"): "as int64", ("normal", "uint8"): "as int64", ("normal", "bool"): "as int64",
         ("ldexp", "float64"): "torch fails an internal assert (needs_dynamic_casting); ember refuses the dtype",
         ("ldexp", "float16"): "as float64"}


def call(lib, name, args, **kwargs):
    """lib.name(*args, **kwargs) after seeding (random functions draw the same numbers in both), with the warnings
    and the error it gives: (result, [warning messages], exception)."""
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = getattr(lib, name)(*args, **kwargs), None
        except Exception as e:  # noqa: BLE001 (compared with torch's)
            result, error = None, e
    return result, [str(w.message).split(" (Triggered internally")[0] for w in caught], error


def as_array(t):
    return np.asarray(t.detach().numpy())


def test_every_function_torch_gives_out_takes_it():
    """ember takes out= exactly where torch does (among the public functions), and every one of them is tested."""
    torch_cases, ember_cases = cases(torch), cases(ember)
    for name in NAMES:
        results = []
        for lib, case in ((torch, torch_cases), (ember, ember_cases)):
            plain = getattr(lib, name)(*case[name][0])
            first = plain[0] if isinstance(plain, tuple) else plain
            out = lib.empty(0, dtype=first.dtype)
            out = (out,) + tuple(lib.empty(0, dtype=r.dtype) for r in plain[1:]) if isinstance(plain, tuple) else out
            try:
                getattr(lib, name)(*case[name][0], out=out)
                results.append(True)
            except TypeError:
                results.append(False)
        assert results[1] == results[0], f"{name}: torch {'takes' if results[0] else 'refuses'} out=, ember not"
    assert set(_out.TAKES_OUT) <= set(NAMES)
    assert all(callable(getattr(ember, name)) for name in _out.TAKES_OUT)
    # every public function is in the battery but settings, queries, and makers from data or of tensor lists
    public = {n for n in dir(ember) if not n.startswith("_") and callable(getattr(ember, n))
              and not isinstance(getattr(ember, n), (type, types.ModuleType))}
    assert public - set(NAMES) == set(OUTSIDE_THE_BATTERY)


OUTSIDE_THE_BATTERY = ("allclose", "as_tensor", "broadcast_shapes", "broadcast_tensors", "equal", "from_numpy",
                  "get_default_device", "get_default_dtype", "get_rng_state", "initial_seed", "is_floating_point",
                  "is_grad_enabled", "is_inference_mode_enabled", "is_tensor", "load", "manual_seed", "meshgrid",
                  "numel", "save", "seed", "set_default_device", "set_default_dtype", "set_default_tensor_type",
                  "set_rng_state", "tensor", "set_num_threads", "get_num_threads", "set_num_interop_threads",
                  "get_num_interop_threads", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
                  "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
                  "get_deterministic_debug_mode", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
                  "set_anomaly_enabled", "imag", "compile", "set_printoptions", "is_autocast_enabled",
                  "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype", "is_autocast_cpu_enabled",
                  "set_autocast_cpu_enabled", "get_autocast_cpu_dtype", "set_autocast_cpu_dtype",
                  "get_autocast_gpu_dtype", "set_autocast_gpu_dtype", "autocast_increment_nesting",
                  "autocast_decrement_nesting", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                  "clear_autocast_cache", "vmap")  # torch gives none of these out= (imag: refuses real tensors;
# compile hands back the model; vmap is torch.func.vmap)


def _variants(lib, plain):
    """The outs to try: empty, right shape, wrong shape (warns), and other dtypes."""
    results = plain if isinstance(plain, tuple) else (plain,)
    shape, dtype = tuple(results[0].shape), results[0].dtype
    firsts = [lib.empty(0, dtype=dtype), lib.zeros(shape, dtype=dtype), lib.zeros(7, dtype=dtype),
              lib.zeros(shape + (2,), dtype=dtype)]
    firsts += [lib.empty(0, dtype=d) for d in (lib.float64, lib.float32, lib.float16, lib.int64, lib.int32,
                                               lib.uint8, lib.bool)]
    rest = tuple(lib.empty(0, dtype=r.dtype) for r in results[1:])
    return [(f,) + rest if isinstance(plain, tuple) else f for f in firsts]


@pytest.mark.parametrize("name", list(_out.TAKES_OUT))
def test_out_matches_torch(name):
    torch_cases, ember_cases = cases(torch), cases(ember)
    for args_t, args_e in zip(torch_cases[name], ember_cases[name]):
        plain_t, _, _ = call(torch, name, args_t)
        plain_e, _, _ = call(ember, name, args_e)
        for k, (out_t, out_e) in enumerate(zip(_variants(torch, plain_t), _variants(ember, plain_e))):
            where = f"{name}{tuple(type(a).__name__ for a in args_t)} out variant {k}"
            first = out_e[0] if isinstance(out_e, tuple) else out_e
            if (name, first.dtype.name) in KNOWN:
                continue
            got_t, warned_t, error_t = call(torch, name, args_t, out=out_t)
            got_e, warned_e, error_e = call(ember, name, args_e, out=out_e)
            if error_t is not None:
                assert error_e is not None, f"{where}: torch raises {error_t!r}, ember does not"
                assert type(error_e).__name__ == type(error_t).__name__, (where, error_t, error_e)
                if not str(error_t).startswith("Expected canCast("):  # (torch's internal assert: ember says more)
                    expected = str(error_t).split("\n")[0][:60].replace("torch.cat", "ember.cat")
                    assert str(error_e).startswith(expected), (where, error_t, error_e)
                continue
            assert error_e is None, f"{where}: ember raises {error_e!r}, torch does not"
            assert len(warned_e) == len(warned_t), where
            if name not in ("kthvalue", "mode"):  # torch's warning names their shapes with the reduced dim kept
                assert warned_e == warned_t, where
            outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
            outs_e = out_e if isinstance(out_e, tuple) else (out_e,)
            if isinstance(out_t, tuple):
                assert type(got_e).__name__ == type(got_t).__name__ and all(a is b for a, b in zip(got_e, outs_e))
                assert got_e[0] is outs_e[0]  # (values, or frexp's mantissa)
            else:
                assert got_e is out_e, f"{where}: out is not returned"
            for a, b in zip(outs_e, outs_t):
                assert a.dtype.name == str(b.dtype).replace("torch.", ""), where
                assert tuple(a.shape) == tuple(b.shape), where
                if name not in UNSET:  # (float16: ember's own half-precision reductions round differently)
                    tol = 2e-3 if b.dtype == torch.float16 else 1e-6
                    np.testing.assert_allclose(as_array(a).astype(float), as_array(b).astype(float), rtol=tol,
                                               atol=tol, err_msg=where)


def test_out_that_requires_grad_is_refused_while_grad_mode_is_on():
    for lib in (torch, ember):
        a, out = lib.ones(2, requires_grad=True), lib.empty(2)
        for args, o in (((a, 1), out), ((lib.ones(2), 1), lib.empty(2, requires_grad=True))):
            with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments don't support "
                                                   "automatic differentiation, but one of the arguments requires "
                                                   "grad"):
                lib.add(*args, out=o)
        assert o._version == 0 and out._version == 0  # refused before anything was written
        v, i = lib.empty(0), lib.empty(0, dtype=lib.int64)
        with pytest.raises(RuntimeError, match="automatic differentiation"):
            lib.max(a[None], 1, out=(v, i))
        with pytest.raises(RuntimeError, match="automatic differentiation"):
            lib.zeros(2, out=lib.empty(2, requires_grad=True))
        # non-differentiable results may be written from inputs that require grad
        assert lib.eq(a, 1, out=lib.empty(2, dtype=lib.bool)).tolist() == [True, True]
        assert lib.argmax(a, 0, out=lib.empty((), dtype=lib.int64)).item() == 0
        with lib.no_grad():  # (an optimizer-style update into a leaf)
            o = lib.empty(2, requires_grad=True)
            assert lib.add(a, 1, out=o) is o and o.tolist() == [2.0, 2.0] and o.requires_grad and o.grad_fn is None


def test_out_bumps_the_version_and_writes_through_views():
    for lib in (torch, ember):
        base = lib.zeros(3, 4)
        row = base[1]
        before = base._version
        assert lib.add(lib.ones(4), 2, out=row) is row
        assert base[1].tolist() == [3.0] * 4 and base._version == row._version > before
        col = base[:, 2]  # a strided view
        lib.mul(lib.ones(3), 5, out=col)
        assert base[:, 2].tolist() == [5.0] * 3
        out = lib.zeros(2)
        x = out.clone()
        lib.exp(x, out=out)
        version = out._version
        lib.exp(x, out=out)
        assert out._version > version


def test_saved_tensor_overwritten_through_out_is_detected():
    for lib in (torch, ember):
        w = lib.ones(3, requires_grad=True)
        h = lib.zeros(3)
        y = (w * h).sum()  # saves h
        with lib.no_grad():
            lib.add(h, 1, out=h)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_inference_tensors_take_no_out_writes_outside_inference_mode():
    for lib in (torch, ember):
        with lib.inference_mode():
            t = lib.zeros(2)
            lib.add(lib.ones(2), 1, out=t)  # inside: allowed
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            lib.add(lib.ones(2), 5, out=t)  # (torch writes, then raises; ember refuses before writing)
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            lib.zeros(2, out=t)


def test_out_may_be_an_input():
    for lib in (torch, ember):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert lib.mul(x, x, out=x) is x and x.tolist() == [[1.0, 4.0], [9.0, 16.0]]
        y = lib.tensor([1.0, 2.0])
        lib.add(y, y, out=y)
        assert y.tolist() == [2.0, 4.0]


def test_resize_warns_once_and_keeps_the_dtype():
    for lib in (torch, ember):
        out = lib.zeros(5, dtype=lib.float64)
        with pytest.warns(UserWarning, match=r"had shape \[5\], which does not match the required output shape "
                                             r"\[2, 3\]"):
            lib.add(lib.ones(2, 3), 1, out=out)
        assert tuple(out.shape) == (2, 3) and out.dtype == lib.float64 and out.sum().item() == 12
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.add(lib.ones(4), 1, out=lib.empty(0))  # empty outs resize silently


def test_a_shrinking_resize_keeps_outs_memory():
    for lib in (torch, ember):
        out = lib.zeros(6)
        first = out[:2]
        with pytest.warns(UserWarning, match="resized"):
            lib.add(lib.ones(2, 2), 1, out=out)
        assert out.tolist() == [[2.0, 2.0], [2.0, 2.0]] and first.tolist() == [2.0, 2.0]


def test_bad_out_arguments():
    for lib in (torch, ember):
        x = lib.ones(2, 3)
        with pytest.raises(TypeError, match="out"):
            lib.add(x, x, out=[1.0])
        with pytest.raises(TypeError):
            lib.max(x, 1, out=lib.empty(0))  # (values, indices) need a tuple of two
        with pytest.raises(TypeError, match="expected tuple of 2 elements but got 1"):
            lib.max(x, 1, out=(lib.empty(0),))
        with pytest.raises(TypeError, match="add\\(\\): argument 'out' must be Tensor, not tuple"):
            lib.add(x, x, out=(lib.empty(0),))
        assert lib.max(x, 1, out=[lib.empty(0), lib.empty(0, dtype=lib.int64)]).indices.tolist() == [0, 0]
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            lib.add(x, x, out=lib.empty(0, dtype=lib.int64))
        with pytest.raises(RuntimeError, match=r"dtype Double does not match dtype of out parameter \(Long\)"):
            lib.zeros(2, dtype=lib.float64, out=lib.empty(0, dtype=lib.int64))
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single "
                                               "memory location"):
            lib.add(lib.ones(3), 1, out=lib.zeros(1).expand(3))
        with pytest.raises(TypeError):
            lib.reshape(x, (3, 2), out=lib.empty(0))
        with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got float instead"):
            lib.sum(x, 0, dtype=lib.float64, out=lib.empty(0))


def test_factories_take_out_dtype_and_requires_grad():
    for lib in (torch, ember):
        out = lib.empty(0, dtype=lib.int64)
        assert lib.full((2,), 1.5, out=out).tolist() == [1, 1] and out.dtype == lib.int64
        assert lib.arange(3, out=lib.empty(0)).dtype == lib.float32
        assert lib.zeros(2, dtype=lib.float64, out=lib.empty(0, dtype=lib.float64)).dtype == lib.float64
        made = lib.zeros(2, out=lib.empty(0), requires_grad=True)
        assert made.requires_grad and made.is_leaf


def test_no_out_costs_nothing_in_behaviour():
    """Without out= the wrapped functions are the functions (keyword arguments pass through)."""
    x = ember.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert ember.sum(x, dim=1, keepdim=True).tolist() == [[6.0], [5.0]]
    assert ember.max(x, dim=0).indices.tolist() == [1, 0]
    assert ember.add.__name__ == "add" and ember.add.__doc__ == ember.ops.elementwise.add.__doc__
