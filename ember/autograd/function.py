"""Function: one differentiable operation, and the graph node it leaves behind.

Calling ``SomeOp.apply(x, y)`` runs ``forward``. When grad mode is on and an
input requires grad, the Function instance that served as ``ctx`` during
forward *becomes the graph node*: it keeps the edges to its inputs' nodes, the
values ``forward`` saved, and is the output's ``grad_fn``. The engine later
calls ``backward`` on it.

Two kinds of Function share this one mechanism:
- ``Function`` is PyTorch's public API: forward and backward on Tensors.
- ``Op`` is how ember's built-in ops are written: forward on raw arrays
  (so NumPy does the work with no wrappers), backward on Tensors (so that
  gradients are themselves differentiable: ``create_graph=True`` for free).
"""
from numpy import asarray, ndarray

from .grad_mode import STATE
from ..tensor import Tensor, _wrap

_OUTPUT = object()  # marks "the output of this node" in the saved values

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Function:
    """Subclass with ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``MyFn.apply(...)``."""

    __slots__ = (
        "needs_input_grad",  # one bool per forward argument
        "_saved",  # what save_for_backward stored; None once freed
        "_versions",  # version of each saved tensor when it was saved
        "_next",  # per argument: the input's grad_fn, the leaf Tensor itself, or None
        "_shapes",  # per argument: its shape, to sum broadcast gradients back to
        "_out",  # the output's array, when forward saved its own output
        "_out_vc",  # the output's version counter, likewise
        "_retained",  # Tensors whose .grad should be kept (retain_grad on a non-leaf)
        "__dict__",  # ctx.anything = ... as in PyTorch
        "__weakref__",
    )
    _forward_on_arrays = False

    # ---- what forward and backward use ------------------------------------------------------
    def save_for_backward(self, *values):
        self._saved = values

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        return tuple(map(self._unpack, saved, self._versions))

    def _unpack(self, value, version):
        if value is _OUTPUT:
            if self._out_vc[0] != 0:
                raise RuntimeError(_modified_message(self._out, self, self._out_vc[0], 0, output=True))
            # the output, rebuilt with this node as its grad_fn so create_graph sees through it
            return _wrap(self._out, True, self)
        if version is not None:
            current = value._vc[0] if value._vc else 0
            if current != version:
                raise RuntimeError(_modified_message(value._data, self, current, version))
        return value

    def mark_non_differentiable(self, *tensors):
        pass  # outputs of ember Functions are single; non-differentiable extras are plain returns

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    # ---- building the graph ------------------------------------------------------------------
    @classmethod
    def apply(cls, *args):
        ctx = object.__new__(cls)
        ctx._saved = ()
        needs = []
        arrays = []
        any_needs = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                needs.append(a._requires_grad)
                any_needs = any_needs or a._requires_grad
            else:
                arrays.append(a)
                needs.append(False)
        ctx.needs_input_grad = tuple(needs)
        record = any_needs and STATE.enabled

        if cls._forward_on_arrays:
            out = cls.forward(ctx, *arrays)
            out_data = out
        else:
            previous, STATE.enabled = STATE.enabled, False
            try:
                out = cls.forward(ctx, *args)
            finally:
                STATE.enabled = previous
            if not isinstance(out, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return a single Tensor, got {type(out).__name__}")
            out_data = out._data
        if type(out_data) is not ndarray and not hasattr(out_data, "__cuda_array_interface__"):
            out_data = asarray(out_data)  # NumPy turns 0-d results into scalars: keep arrays
        if not record:
            return _wrap(out_data)

        result = _wrap(out_data, True, ctx)
        ctx._next = tuple(
            (a.grad_fn if a.grad_fn is not None else a) if n else None for a, n in zip(args, needs)
        )
        ctx._shapes = tuple(a._data.shape if n else None for a, n in zip(args, needs))
        ctx._retained = None
        if ctx._saved:
            ctx._saved, ctx._versions = _map_saved(ctx, ctx._saved, args, arrays, out, result)
        else:
            ctx._versions = ()
        return result

    # ---- presentation --------------------------------------------------------------------------
    def name(self):
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self):
        """PyTorch's view of the edges: ((node, 0), ...); a leaf shows as AccumulateGrad."""
        return tuple((_edge_view(e), 0) for e in getattr(self, "_next", ()))

    def __repr__(self):
        return f"<{self.name()} object>"


class Op(Function):
    """A built-in op: forward takes and returns raw arrays, backward works on Tensors."""

    __slots__ = ()
    _forward_on_arrays = True

    def name(self):
        return type(self).__name__ + "Backward0"


class AccumulateGrad:
    """How ``next_functions`` shows a leaf, as PyTorch does; the engine writes leaves directly."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return "<AccumulateGrad object>"


def _edge_view(edge):
    return AccumulateGrad(edge) if isinstance(edge, Tensor) else edge


def _map_saved(ctx, saved, args, arrays, out, result):
    """Turn what forward saved into Tensors the backward can differentiate through.

    An input's array becomes that input Tensor; the output becomes a marker
    (the node would otherwise hold its own output: a reference cycle); any other
    array is a constant. Tensors get their version recorded so that a later
    in-place change is caught.
    """
    mapped, versions = [], []
    for value in saved:
        if value is out:
            mapped.append(_OUTPUT)
            versions.append(None)
            ctx._out = result._data
            ctx._out_vc = result._vc = [0]
            continue
        if ctx._forward_on_arrays:
            for a, arr in zip(args, arrays):
                if arr is value and isinstance(a, Tensor):
                    value = a
                    break
            else:
                if value is not None and hasattr(value, "shape"):
                    value = _wrap(value)
        mapped.append(value)
        versions.append((value._vc[0] if value._vc else 0) if isinstance(value, Tensor) else None)
    return tuple(mapped), tuple(versions)


def _modified_message(array, node, current, expected, output=False):
    which = "output 0 of " + node.name() if output else "an input of " + node.name()
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{array.dtype} of shape {list(array.shape)}], which is {which}, is at version "
        f"{current}; expected version {expected} instead. Hint: do the in-place operation on a "
        "clone(), or move it after backward()."
    )
