"""Grad mode: whether ops record graph nodes, per thread as in PyTorch.

Each thread has its own switches (``STATE``, a ``threading.local``): a model served under ``no_grad`` in one
thread leaves another thread's training recording, and a new thread starts with grad on, outside inference mode.
The context managers below flip them and put them back, and work as decorators too.

Reading a thread-local costs about 50 ns, too much for the hot paths (Op.apply, Tensor creation), which ask on
every op. So every switch goes through ``set_grad`` / ``set_inference``, which also keep two plain lists:
``GRAD_OFF`` holds a token for each thread that has grad off, ``INFERENCE_ON`` one for each thread inside
inference mode. While a list is empty (the usual case) the hot paths know the answer without the thread-local
(``not GRAD_OFF or STATE.enabled``). Appending, removing and testing a list are atomic under the GIL: no lock.
"""
import functools
import threading

GRAD_OFF = []  # one token per thread that has grad mode off now
INFERENCE_ON = []  # one token per thread inside inference mode now


class _Guard:
    """Dropped with its thread's state when the thread ends, it takes the thread's token out of the lists above:
    a thread may end inside a switch (set_grad_enabled(False) never undone)."""

    __slots__ = ("token",)

    def __init__(self, token):
        self.token = token

    def __del__(self, lists=(GRAD_OFF, INFERENCE_ON)):  # (bound now: at exit the module's globals may be gone)
        for tokens in lists:
            while self.token in tokens:
                tokens.remove(self.token)


class _ThreadState(threading.local):
    """This thread's switches; __init__ runs once in each thread that reads them."""

    def __init__(self):
        self.enabled = True
        self.inference = False  # inside inference_mode: new tensors are inference tensors
        self.callbacks = []  # the engine's final-callback lists, one per backward pass running in this thread
        self.token = object()  # what this thread puts in GRAD_OFF and INFERENCE_ON
        self._guard = _Guard(self.token)


STATE = _ThreadState()


def set_grad(enabled):
    """Turn this thread's grad mode on or off (a bool); returns what it was."""
    state = STATE
    previous = state.enabled
    if enabled is not previous:
        if enabled:
            state.enabled = True
            GRAD_OFF.remove(state.token)
        else:
            GRAD_OFF.append(state.token)  # (before the switch: a hot path in this thread never misses it)
            state.enabled = False
    return previous


def set_inference(enabled, inference):
    """Set this thread's grad mode and inference mode (bools); returns the previous pair."""
    state = STATE
    previous = set_grad(enabled), state.inference
    if inference is not previous[1]:
        if inference:
            INFERENCE_ON.append(state.token)
            state.inference = True
        else:
            state.inference = False
            INFERENCE_ON.remove(state.token)
    return previous


def is_grad_enabled():
    """True unless inside no_grad() (or set_grad_enabled(False)) in this thread."""
    return STATE.enabled


class _GradModeContext:
    """Base for the grad-mode switches: a context manager and a function decorator."""

    mode = True

    def __enter__(self):
        self._previous = set_grad(self.mode)

    def __exit__(self, *exc):
        set_grad(self._previous)
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
        self._previous = set_grad(mode)  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        set_grad(self.mode)


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
        self._previous = set_inference(self.mode, self.inference)

    def __exit__(self, *exc):
        set_inference(*self._previous)
        return False


def is_inference_mode_enabled():
    """Whether an inference_mode block is active in this thread."""
    return STATE.inference


_multithreading = [True]


class set_multithreading_enabled:
    """torch's switch for running backward on several threads (ember's engine runs each backward on the calling
    thread either way): set now, put back after a ``with`` block."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError("set_multithreading_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        self.prev, self.mode = _multithreading[0], mode
        _multithreading[0] = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _multithreading[0] = self.prev

    def clone(self):
        """A new switch with the same mode (torch's clone of its context managers)."""
        return type(self)(self.mode)
