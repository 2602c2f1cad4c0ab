"""torch.testing.assert_close: are two results the same, up to the rounding their dtype allows?

The rules and the messages are torch's (torch/testing/_comparison.py), so that a test written for PyTorch passes
and fails at the same places with the same words. Inputs may be tensors, Python numbers, None, bools, or (nested)
sequences and mappings of them; sequences and mappings are compared item by item, and a failure inside one names
its item ("The failure occurred for item [1]['w']").
"""
import cmath
import collections.abc

import numpy as np

from . import _backend
from .tensor import Tensor
from .creation import as_tensor

# {dtype: (rtol, atol)}: what rounding in that dtype may cost; integers and bools must be exact
_TOLERANCES = {_backend.float16: (1e-3, 1e-5), _backend.float32: (1.3e-6, 1e-5), _backend.float64: (1e-7, 1e-7)}
if hasattr(_backend, "bfloat16"):
    _TOLERANCES[_backend.bfloat16] = (0.016, 1e-5)
_NUMBER_DTYPES = {int: _backend.int64, float: _backend.float64}  # a Python number is compared as this dtype


class _Failure(Exception):
    """One failed comparison: the exception type to raise, its message, and where in the inputs it happened."""

    def __init__(self, type, msg, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg=None):
        if isinstance(msg, str):  # the caller's own message replaces ours
            return self.type(msg)
        text = self.msg
        if self.id:
            text += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
        return self.type(msg(text) if callable(msg) else text)


def _tolerances(dtypes, rtol, atol, id):
    if (rtol is None) != (atol is None):  # one alone would surprise: atol=0 still passes inside rtol
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {'rtol' if rtol is None else 'atol'}.", id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*(_TOLERANCES.get(dtype, (0.0, 0.0)) for dtype in dtypes))
    return max(rtols), max(atols)  # the loosest of the two inputs' dtypes


def _mismatch_msg(what, rtol, atol, abs_diff, rel_diff, extra, abs_idx=None, rel_idx=None):
    equality = rtol == 0 and atol == 0
    lines = [f"{what} are not {'equal' if equality else 'close'}!", "", extra]
    for kind, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol), ("relative", rel_diff, rel_idx, rtol)):
        if idx is None:
            line = f"{kind.title()} difference: {diff}"
        else:
            line = f"Greatest {kind} difference: {diff} at index {idx}"
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", rtol, atol, abs_diff, rel_diff, f"Expected {expected} but got {actual}.")


def _tensor_msg(actual, expected, matches, rtol, atol):
    total, mismatched = matches.numel(), matches.numel() - int(matches.sum())
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    shape = tuple(matches.shape)
    actual, expected, matches = actual.flatten(), expected.flatten(), matches.flatten()
    if not actual.dtype.is_floating_point:  # integers and bools: differences in int64, as torch (no overflow)
        actual, expected = actual.to(_backend.int64), expected.to(_backend.int64)
    abs_diff = (actual - expected).abs()
    abs_diff[matches] = 0  # only mismatches compete for the greatest difference
    rel_diff = abs_diff / expected.abs()  # integers divide into the default float dtype, as in torch
    rel_diff[matches] = 0

    def greatest(diff):
        value, flat = diff.max(0)
        return value.item(), tuple(int(i) for i in np.unravel_index(int(flat), shape))

    (abs_value, abs_idx), (rel_value, rel_idx) = greatest(abs_diff), greatest(rel_diff)
    return _mismatch_msg("Tensor-likes", rtol, atol, abs_value, rel_value, extra, abs_idx, rel_idx)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, check_stride, id):
    def differ(attribute, a, e):
        raise _Failure(AssertionError, f"The values for attribute '{attribute}' do not match: {a} != {e}.", id)

    if actual.shape != expected.shape:
        differ("shape", actual.shape, expected.shape)
    if check_stride and actual.stride() != expected.stride():
        differ("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        differ("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        differ("dtype", actual.dtype, expected.dtype)
    actual, expected = actual.detach().cpu(), expected.detach().cpu()  # values only: no graph, one device
    if actual.dtype != expected.dtype:
        dtype = _backend.promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(dtype), expected.to(dtype)
    matches = actual.isclose(expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if bool(matches.all()):
        return
    if actual.ndim == 0:
        raise _Failure(AssertionError, _scalar_msg(actual.item(), expected.item(), rtol, atol), id)
    raise _Failure(AssertionError, _tensor_msg(actual, expected, matches, rtol, atol), id)


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype, id):
    if check_dtype and type(actual) is not type(expected):
        raise _Failure(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", id)
    if actual == expected or (equal_nan and cmath.isnan(actual) and cmath.isnan(expected)):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Failure(AssertionError, _scalar_msg(actual, expected, rtol, atol), id)


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)  # "a"[0] is "a": endless


def _pairs(actual, expected, id, options):
    """The leaf comparisons, as (function, id); sequences and mappings are walked first, as torch does, so that a
    length or key mismatch anywhere is reported before any values are compared."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                           id)
        return [pair for i in range(len(actual)) for pair in _pairs(actual[i], expected[i], (*id, i), options)]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        missing, additional = set(expected) - set(actual), set(actual) - set(expected)
        if missing or additional:
            raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                                           f"Missing keys in the actual mapping: {sorted(missing)}\n"
                                           f"Additional keys in the actual mapping: {sorted(additional)}", id)
        try:
            keys = sorted(actual)
        except TypeError:
            keys = list(actual)
        return [pair for key in keys for pair in _pairs(actual[key], expected[key], (*id, key), options)]
    return [_leaf(actual, expected, id, **options)]


def _leaf(actual, expected, id, *, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype,
          check_layout, check_stride):
    """The comparison for one pair of leaves, chosen as torch chooses: None, bool, number, then tensor-like."""
    if actual is None or expected is None:
        def compare():
            if not (actual is None and expected is None):
                raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", id)
        return compare
    bools = (bool, np.bool_)
    if isinstance(actual, bools) and isinstance(expected, bools):
        def compare():
            if bool(actual) is not bool(expected):
                raise _Failure(AssertionError, f"Booleans mismatch: {bool(actual)} is not {bool(expected)}", id)
        return compare
    numbers = (int, float, np.number)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        a, e = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
        tolerance = _tolerances([_NUMBER_DTYPES[type(x)] for x in (a, e)], rtol, atol, id)
        return lambda: _compare_numbers(a, e, *tolerance, equal_nan, check_dtype, id)
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if related and (allow_subclasses or type(actual) is type(expected)):
        try:
            a, e = (x if isinstance(x, Tensor) else as_tensor(x) for x in (actual, expected))
        except Exception:  # noqa: BLE001 (not tensor-like: no comparison applies)
            a = None
        if a is not None:
            tolerance = _tolerances([a.dtype, e.dtype], rtol, atol, id)
            return lambda: _compare_tensors(a, e, *tolerance, equal_nan, check_device, check_dtype, check_stride, id)
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                              f"{type(expected)}.", id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError unless actual and expected are close: |actual - expected| <= atol + rtol * |expected|
    elementwise, with the same shape (and dtype, device, unless check_dtype / check_device is False).

    rtol and atol default to what the dtype's rounding allows (float32: 1.3e-6 and 1e-5; float64: 1e-7 and 1e-7;
    float16: 1e-3 and 1e-5; integers and bools: exact); give both or neither. NaN equals NaN only with equal_nan,
    and infinities only themselves. msg: a string to raise instead of the generated message, or a function that
    turns the generated one into the message.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this function's
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                   check_stride=check_stride)
    try:
        comparisons = _pairs(actual, expected, (), options)
    except _Failure as failure:  # inputs that cannot be compared: torch reports these in its own words, not msg's
        raise failure.to_error() from None
    try:
        for compare in comparisons:
            compare()
    except _Failure as failure:
        raise failure.to_error(msg) from None


__all__ = ["assert_close"]
