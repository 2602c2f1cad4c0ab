"""Misuse gets PyTorch's answer: each small wrong program in misuse_cases.py runs under torch and ember here.

Where torch raises, ember raises the same exception type (or a subclass) from its own code with a message;
where torch warns, ember warns with the same category (and stays silent where torch is silent: no NumPy
RuntimeWarnings); where torch accepts the program, ember accepts it and gives torch's value.
"""
import math
import traceback
import warnings

import numpy as np
import pytest
import torch

import ember
from misuse_cases import CASES, DIFFERENT, PENDING


def run(fn, lib):
    """(value, exception, warning categories) of fn(lib)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, error = fn(lib), None
        except Exception as e:  # noqa: BLE001 - the exception is the result under test
            value, error = None, e
    return value, error, sorted({w.category.__name__ for w in caught})


def plain(x):
    """A library-neutral form of a result, to compare torch's with ember's."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x.detach().numpy()
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), bool(x.requires_grad), array)
    if isinstance(x, (torch.dtype, ember.dtype)):
        return ("dtype", str(x).split(".")[-1])
    if isinstance(x, (torch.Size, ember.Size)):
        return ("size", tuple(x))
    if isinstance(x, (list, tuple)):
        return ("sequence", [plain(v) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: plain(v) for k, v in x.items()})
    if x is None or isinstance(x, (bool, int, float, str, np.generic)):
        return x
    return ("object", type(x).__name__)


def assert_same_value(e, t, path="value"):
    if isinstance(t, tuple) and t and t[0] == "tensor":
        assert isinstance(e, tuple) and e[0] == "tensor", f"{path}: ember gave {e!r}, torch a tensor"
        assert e[1:4] == t[1:4], f"{path}: (dtype, shape, requires_grad) {e[1:4]} != torch {t[1:4]}"
        np.testing.assert_allclose(e[4].astype(np.float64), t[4].astype(np.float64), rtol=1e-6, atol=1e-7,
                                   equal_nan=True, err_msg=path)
    elif isinstance(t, tuple) and t and t[0] in ("sequence", "dict"):
        assert isinstance(e, tuple) and e[0] == t[0], f"{path}: ember gave {e!r}, torch {t!r}"
        assert len(e[1]) == len(t[1]), f"{path}: length {len(e[1])} != torch {len(t[1])}"
        keys = t[1].keys() if t[0] == "dict" else range(len(t[1]))
        for k in keys:
            assert_same_value(e[1][k], t[1][k], f"{path}[{k!r}]")
    elif isinstance(t, float) and isinstance(e, float) and (math.isnan(t) or math.isnan(e)):
        assert math.isnan(t) and math.isnan(e), f"{path}: {e} != torch {t}"
    elif isinstance(t, float):
        assert e == pytest.approx(t, rel=1e-6, abs=1e-7), f"{path}: {e!r} != torch {t!r}"
    else:
        assert e == t, f"{path}: {e!r} != torch {t!r}"


def test_there_are_enough_cases():
    assert len(CASES) >= 400


def _params():
    for name in CASES:
        if name in PENDING:
            yield pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=PENDING[name]))
        elif name not in DIFFERENT:
            yield name


@pytest.mark.parametrize("name", list(_params()))
def test_misuse_as_torch(name):
    fn = CASES[name]
    t_value, t_error, t_warnings = run(fn, torch)
    e_value, e_error, e_warnings = run(fn, ember)
    if t_error is not None:
        assert e_error is not None, f"torch raises {type(t_error).__name__}({t_error}); ember returns {e_value!r}"
        assert isinstance(e_error, type(t_error)), (
            f"torch raises {type(t_error).__name__}({t_error}); ember raises {type(e_error).__name__}({e_error})")
        assert len(str(e_error)) >= 20, f"ember's {type(e_error).__name__} says too little: {e_error!r}"
        last = traceback.extract_tb(e_error.__traceback__)[-1].filename
        assert "numpy" not in last, f"a NumPy error reached the user: {e_error}"
    else:
        assert e_error is None, f"torch accepts this (gives {t_value!r}); ember raises {type(e_error).__name__}: " \
                                f"{e_error}"
        assert_same_value(plain(e_value), plain(t_value))
    assert e_warnings == t_warnings, f"warnings: ember {e_warnings}, torch {t_warnings}"


@pytest.mark.parametrize("name", list(DIFFERENT))
def test_deliberate_differences(name):
    """Where ember answers differently on purpose, it raises the documented exception, from its own code."""
    expected, reason = DIFFERENT[name]
    assert reason
    _, e_error, _ = run(CASES[name], ember)
    assert isinstance(e_error, expected), f"{name}: expected {expected.__name__}, got {e_error!r}"
    assert "numpy" not in traceback.extract_tb(e_error.__traceback__)[-1].filename


def test_every_table_entry_is_a_case():
    assert set(DIFFERENT) <= set(CASES) and set(PENDING) <= set(CASES)
