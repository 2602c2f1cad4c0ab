"""Printing tensors the way PyTorch prints them, under PyTorch's print options.

The rules, as PyTorch applies them (with the default options):

* floats whose finite non-zero values are all whole numbers print as ``1.``; otherwise with ``precision``
  (4) decimals;
* scientific notation (``1.0000e+05``, ``precision`` decimals, whole numbers too) when the largest/smallest
  finite non-zero magnitude ratio exceeds 1000, the largest exceeds 1e8, or the smallest is below 1e-4
  (``sci_mode`` True or False forces it on or off);
* every element is padded to the widest one; rows wrap at ``linewidth`` (80) columns;
* tensors of more than ``threshold`` (1000) elements are summarised: ``edgeitems`` (3) items at each end of
  every axis, ``...`` between (edgeitems 0: only ``[...]``, and the size after it).

The options live in PRINT_OPTS, one set for the whole process, as in torch. ``set_printoptions`` changes them,
``get_printoptions`` reads them and ``printoptions(...)`` changes them for a ``with`` block. Like torch, nothing
is checked when an option is set: a value that cannot work fails when a tensor is printed, with the error
torch gives.
"""
import contextlib
import dataclasses
import math
from collections import namedtuple

import numpy as np

from . import _backend
from ._backend import DEFAULTS, dtype_of


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4  # decimals of a float (fixed or scientific)
    threshold: float = 1000  # more elements than this: summarise
    edgeitems: int = 3  # items kept at each end of an axis in a summary
    linewidth: int = 80  # columns before a row wraps
    sci_mode: bool | None = None  # None: chosen from the values; True/False: always/never scientific


PRINT_OPTS = _PrintOptions()

# what each profile resets (sci_mode is not part of a profile: set_printoptions sets it on every call)
PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print, for the whole process (as torch.set_printoptions).

    precision: decimals of floats (default 4). threshold: tensors with more elements are summarised (1000).
    edgeitems: items shown at each end of every axis of a summary (3). linewidth: columns before a row wraps (80).
    profile: "default", "short" (precision 2, edgeitems 2) or "full" (never summarise) first resets those four;
    the other arguments then change what they name. sci_mode: True or False always or never uses scientific
    notation; None (also when left out: every call sets it) chooses from the values.
    Like torch, an unknown profile name is ignored and values are not checked here.
    """
    if isinstance(profile, str) and profile in PROFILES:
        for name, value in PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The print options now, as a dict that set_printoptions(**options) accepts."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """``with printoptions(precision=2): ...``: set_printoptions(**kwargs) for the block, the options before it
    back afterwards (also when the block raises)."""
    before = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**before)


class _Formatter:
    """How every element of one tensor is written, chosen once from all the values that will be shown."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True  # floats that are all whole numbers: "3." (no decimals)
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)  # zeros, inf and nan don't count
        if finite.size == 0:
            return
        lo, hi = float(np.abs(finite).min()), float(np.abs(finite).max())  # python floats: hi / lo may be inf
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        self.width = max(len(self._text(v)) for v in finite.tolist())

    def _text(self, value):
        """One value, unpadded."""
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{{:.{PRINT_OPTS.precision}e}}".format(value)
        if self.int_mode:
            return f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        return f"{{:.{PRINT_OPTS.precision}f}}".format(value)

    def format(self, value):
        return self._text(value).rjust(self.width)


def _stack(rows):
    if not rows:  # a negative edgeitems keeps no rows: torch.stack's error
        raise RuntimeError("stack expects a non-empty TensorList")
    return np.stack(rows)


def _summary(a):
    """The elements a summarised tensor shows (PRINT_OPTS.edgeitems at each end of every axis), to size columns."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:edge], a[-edge:]]) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[(slice(0, 0),) * a.ndim]  # nothing shown but "..."
    if a.shape[0] > 2 * edge:
        rows = [a[i] for i in range(edge)] + [a[i] for i in range(len(a) - edge, len(a))]
    else:
        rows = list(a)
    return _stack([_summary(row) for row in rows])


def _body(a, indent, summarize, fmt):
    """The bracketed elements of `a`, its rows starting `indent` columns in."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        if summarize and not edge:
            items = ["..."]
        elif summarize and a.shape[0] > 2 * edge:
            items = [fmt.format(v) for v in a[:edge].tolist()] + [" ..."] + \
                    [fmt.format(v) for v in a[-edge:].tolist()]
        else:
            items = [fmt.format(v) for v in a.tolist()]
        per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width + 2)))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * edge:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."] + \
                [_body(a[i], indent + 1, summarize, fmt) for i in range(len(a) - edge, len(a))]
    else:
        parts = [_body(row, indent + 1, summarize, fmt) for row in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(t, prefix="tensor("):
    a = _backend.move(t._data, _backend.CPU)  # a GPU tensor prints from a host copy
    dt = dtype_of(a)
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not DEFAULTS.float_dtype:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:  # a summary shows no elements: the size says what is there
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not DEFAULTS.float_dtype and dt.name not in ("int64", "bool"):
            suffixes.append(f"dtype={dt!r}")
        summarize = a.size > PRINT_OPTS.threshold
        fmt = _Formatter(_summary(a) if summarize else a, dt.is_floating_point)
        body = _body(a, indent, summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * indent + suffix
            last_line = indent + len(suffix)
        else:
            text += ", " + suffix
            last_line += len(suffix) + 2
    return text + ")"


def return_type(name, fields=("values", "indices")):
    """A named tuple that prints as torch prints its return types: ``torch.return_types.max(`` then one field a
    line (``ember.`` unless the program imported torch)."""
    def __repr__(self):
        body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"{_backend.PRINTED.module}.return_types.{name}(\n{body})"
    return type(name, (namedtuple(name, fields),), {"__slots__": (), "__repr__": __repr__})
