"""Printing tensors the way PyTorch prints them.

The rules, as PyTorch applies them: floats whose finite non-zero values are
all whole numbers print as ``1.``; otherwise with 4 decimals, switching to
scientific notation when the largest/smallest magnitude ratio exceeds 1000,
the largest exceeds 1e8, or the smallest is below 1e-4. Every element is
padded to the widest one; rows wrap at 80 columns; tensors of more than 1000
elements are summarised with their first and last 3 items per axis.
"""
import math
from collections import namedtuple

import numpy as np

from . import _backend
from ._backend import DEFAULTS, dtype_of

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
            as_text = (f"{{:.{PRECISION}e}}" if self.sci_mode else "{:.0f}.").format
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            as_text = (f"{{:.{PRECISION}e}}" if self.sci_mode else f"{{:.{PRECISION}f}}").format
        self.width = max(len(as_text(v)) for v in finite.tolist())

    def format(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{{:{self.width}.{PRECISION}e}}".format(value)
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{{:.{PRECISION}f}}".format(value)
        return " " * (self.width - len(text)) + text


def _summary(a):
    """The elements that will be shown when a large tensor is summarised (to size the columns)."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return np.stack([_summary(x) for x in a]) if a.ndim > 1 else a


def _body(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    long_axis = summarize and a.shape[0] > 2 * EDGEITEMS
    if a.ndim == 1:
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        if long_axis:
            items = [fmt.format(v) for v in a[:EDGEITEMS].tolist()] + [" ..."] + \
                    [fmt.format(v) for v in a[-EDGEITEMS:].tolist()]
        else:
            items = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(a.shape[0])
    if long_axis:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in rows[:EDGEITEMS]] + ["..."] + \
                [_body(a[i], indent + 1, summarize, fmt) for i in rows[-EDGEITEMS:]]
    else:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(t, prefix="tensor("):
    a = _backend.move(t._data, _backend.CPU)  # a GPU tensor prints from a host copy
    dt = dtype_of(a)
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    shows_dtype = dt not in (DEFAULTS.float_dtype,) and dt.name not in ("int64", "bool")
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not DEFAULTS.float_dtype:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if shows_dtype:
            suffixes.append(f"dtype={dt!r}")
        summarize = a.size > THRESHOLD
        fmt = _Formatter(_summary(a) if summarize else a, dt.is_floating_point)
        body = _body(a, indent, summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
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
