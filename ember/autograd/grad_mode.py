"""Grad mode: whether ops record graph nodes.

One global flag, read by every op on its hot path (``STATE.enabled``).
The context managers below flip it and put it back, and work as decorators too.
"""
import functools


class _State:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


STATE = _State()


def is_grad_enabled():
    """True unless inside no_grad() (or set_grad_enabled(False))."""
    return STATE.enabled


class _GradModeContext:
    """Base for the grad-mode switches: a context manager and a function decorator."""

    mode = True

    def __enter__(self):
        self._previous = STATE.enabled
        STATE.enabled = self.mode

    def __exit__(self, *exc):
        STATE.enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return fn(*args, **kwargs)

        return wrapper

    @staticmethod
    def _fresh(ctx):
        # a decorator may be re-entered (recursion): each call gets its own saved state
        clone = object.__new__(type(ctx))
        clone.__dict__.update(ctx.__dict__)
        return clone


class no_grad(_GradModeContext):
    """Ops inside record nothing: results have no grad_fn and requires_grad=False."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a no_grad block."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` works as a context manager, a decorator, or a plain call."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = STATE.enabled
        STATE.enabled = self.mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        STATE.enabled = self.mode


class inference_mode(no_grad):
    """ember has one no-recording mode; inference_mode is no_grad."""

    def __init__(self, mode=True):
        self.mode = not mode
