"""Grad mode: whether ops record graph nodes.

One global flag, read by every op on its hot path (``STATE.enabled``).
The context managers below flip it and put it back, and work as decorators too.
"""
import functools


class _State:
    __slots__ = ("enabled", "inference")

    def __init__(self):
        self.enabled = True
        self.inference = False  # inside inference_mode: new tensors are inference tensors


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

    def __new__(cls, *args, **kwargs):
        # @no_grad used bare (without parentheses) gets the function itself: decorate it, as PyTorch does
        if cls._bare_decorator and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    _bare_decorator = False

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
    _bare_decorator = True


class enable_grad(_GradModeContext):
    """Turn recording back on inside a no_grad block."""

    mode = True
    _bare_decorator = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` works as a context manager, a decorator, or a plain call."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}; "
                            "write set_grad_enabled(True) or set_grad_enabled(False)")
        self.mode = mode
        self._previous = STATE.enabled
        STATE.enabled = self.mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        STATE.enabled = self.mode


class inference_mode(_GradModeContext):
    """no_grad, and more: tensors made inside are *inference tensors*, which autograd may never record.

    Outside the block they cannot be saved for backward, be given requires_grad, or be changed in place
    (PyTorch's RuntimeErrors); clone() one to get a normal tensor.
    """

    _bare_decorator = True

    def __init__(self, mode=True):
        self.mode = not mode
        self.inference = bool(mode)

    def __enter__(self):
        self._previous = STATE.enabled, STATE.inference
        STATE.enabled, STATE.inference = self.mode, self.inference

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._previous
        return False


def is_inference_mode_enabled():
    """Whether an inference_mode block is active."""
    return STATE.inference
