"""Grad mode: whether ops record graph nodes, per thread as in PyTorch.

Each thread has its own switches (``STATE``, a ``threading.local``): a model served under ``no_grad`` in one
thread leaves another thread's training recording, and a new thread starts with grad on, outside inference mode.
The context managers below flip them and put them back, and work as decorators too.

Every switch goes through ``set_state``, which also keeps ``ANYWHERE``: whether any thread at all has grad off or
is inside inference mode. While none has (the usual case), the hot paths (Op.apply, Tensor creation) know the
answer from that plain global, without the thread-local read (about 50 ns a read); otherwise they read ``STATE``.
"""
import functools
import threading


class _ThreadState(threading.local):
    """This thread's switches; __init__ runs once in each thread that reads them."""

    def __init__(self):
        self.enabled = True
        self.inference = False  # inside inference_mode: new tensors are inference tensors
        self.callbacks = []  # the engine's final-callback lists, one per backward pass running in this thread
        self.counted = _Counted()  # what this thread adds to ANYWHERE's counts, taken back when the thread ends


class _Anywhere:
    """How many threads have grad off / are in inference mode, and the two flags the hot paths read."""

    __slots__ = ("grad_off", "inference_on", "grad_on_everywhere", "inference_somewhere")

    def __init__(self):
        self.grad_off = self.inference_on = 0
        self.grad_on_everywhere, self.inference_somewhere = True, False

    def add(self, grad_off, inference_on):
        self.grad_off += grad_off
        self.inference_on += inference_on
        self.grad_on_everywhere = self.grad_off == 0
        self.inference_somewhere = self.inference_on > 0


ANYWHERE = _Anywhere()
_COUNT_LOCK = threading.Lock()


class _Counted:
    """One thread's part of ANYWHERE's counts. A thread may end with a switch on (set_grad_enabled(False) never
    undone): its thread-local state is dropped then, and with it this, which takes its part back."""

    __slots__ = ("grad_off", "inference_on")

    def __init__(self):
        self.grad_off = self.inference_on = False

    def __del__(self):
        if self.grad_off or self.inference_on:
            with _COUNT_LOCK:
                ANYWHERE.add(-self.grad_off, -self.inference_on)


STATE = _ThreadState()


def set_state(enabled, inference=None):
    """Set this thread's grad mode (and inference mode, unless None); returns the previous (enabled, inference).

    The counts in ANYWHERE change with the switch, under one lock: a thread whose switch is on always finds its
    own part counted, so the hot paths' "nobody has switched" is never wrong for the thread reading it.
    """
    state = STATE
    previous = state.enabled, state.inference
    if inference is None:
        inference = previous[1]
    if previous != (enabled, inference):
        counted = state.counted
        with _COUNT_LOCK:
            ANYWHERE.add((not enabled) - counted.grad_off, inference - counted.inference_on)
            counted.grad_off, counted.inference_on = not enabled, inference
            state.enabled, state.inference = enabled, inference
    return previous


def is_grad_enabled():
    """True unless inside no_grad() (or set_grad_enabled(False)) in this thread."""
    return STATE.enabled


class _GradModeContext:
    """Base for the grad-mode switches: a context manager and a function decorator."""

    mode = True

    def __enter__(self):
        self._previous = set_state(self.mode)[0]

    def __exit__(self, *exc):
        set_state(self._previous)
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
        self._previous = set_state(mode)[0]  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        set_state(self.mode)


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
        self._previous = set_state(self.mode, self.inference)

    def __exit__(self, *exc):
        set_state(*self._previous)
        return False


def is_inference_mode_enabled():
    """Whether an inference_mode block is active in this thread."""
    return STATE.inference
