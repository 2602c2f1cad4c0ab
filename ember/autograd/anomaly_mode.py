"""Anomaly detection: when a backward goes wrong, say which forward line made the node where it did.

While it is on (``with detect_anomaly():`` or ``set_detect_anomaly(True)``), every graph node remembers the stack of the
forward call that made it. When that node's backward then raises, or (with ``check_nan``, the default) returns a
gradient holding NaN, a UserWarning first shows that forward stack, as torch's does:

    UserWarning: Error detected in SqrtBackward0. Traceback of forward call that caused the error:
      File "train.py", line 12, in <module>
        loss = torch.sqrt(x).sum()

and then the error is raised (for NaN: "Function 'SqrtBackward0' returned nan values in its 0th output.").

As in torch, the switch is one for the whole process (not per thread), and it costs: each recorded op formats its
stack. Off, it costs the hot paths one test of an empty list.
"""
import os
import sys
import traceback
import warnings

ON = []  # holds True while anomaly detection is on: recording a node tests this list
# Who watches each backward call now: "anomaly" while anomaly detection is on, "profiler" while a profiler records.
# The engine's loop tests this list, and while it is non-empty calls each node's backward through
# engine.call_backward (the one hook point, which a profiler wraps).
WATCHED = []
_check_nan = [True]  # whether a NaN in a gradient is an anomaly (torch's default, also while the mode is off)

_RECORDING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "function.py")


def is_anomaly_enabled():
    """Whether anomaly detection is on."""
    return bool(ON)


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection treats a NaN in a gradient as an error."""
    return _check_nan[0]


def set_anomaly_enabled(enabled, check_nan=True):
    """Switch anomaly detection on or off (torch.set_anomaly_enabled)."""
    ON[:] = [True] if enabled else []
    if "anomaly" in WATCHED:
        WATCHED.remove("anomaly")
    if enabled:
        WATCHED.append("anomaly")
    _check_nan[0] = bool(check_nan)


class detect_anomaly:
    """Turn anomaly detection on inside a ``with`` block, and back to what it was (when made) after."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.previous = (bool(ON), _check_nan[0])
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(*self.previous)


class set_detect_anomaly:
    """Turn anomaly detection on or off now; as a ``with`` block, put it back as it was at the end."""

    def __init__(self, mode, check_nan=True):
        self.previous = (bool(ON), _check_nan[0])
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(*self.previous)


# ---- what the recording and the engine do while it is on ---------------------------------------------------------
def remember_forward(node):
    """Keep on node the stack of the forward call that made it (without the recording's own frames)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == _RECORDING:
        frame = frame.f_back
    node._forward_trace = "".join(traceback.format_stack(frame))


def checked_backward(node, grad_out):
    """node's backward, with the forward stack shown when it raises or (check_nan) returns NaN."""
    try:
        grads = type(node).backward(node, grad_out)
    except Exception:
        _show_forward(node)
        raise
    if _check_nan[0]:
        for i, g in enumerate(grads if type(grads) is tuple else (grads,)):
            data = getattr(g, "_data", None)
            if data is not None and data.dtype.kind in "fc" and bool((data != data).any()):
                _show_forward(node)
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    return grads


def _show_forward(node):
    trace = getattr(node, "_forward_trace", None)
    if trace is None:
        warnings.warn(f"Error detected in {node.name()}. No forward pass information available. Enable detect "
                      "anomaly during forward pass for more information.")
    else:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{trace}")
