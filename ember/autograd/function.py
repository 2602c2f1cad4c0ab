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
from _thread import get_ident

from numpy import asarray, ndarray

from .anomaly_mode import ON as ANOMALY, remember_forward
from .grad_mode import GRAD_OFF, STATE, set_grad
from .graph import HOOKS as SAVED_HOOKS, _Packed, pack_saved, register_prehook
from .._backend import QUIET_THREAD, broadcast_error, quiet_float_errors
from ..tensor import Tensor, _wrap

_new = object.__new__

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
        "_value",  # the output's array: for a forward that saved its output, and for drawing/explaining
        "_out_vc",  # the output's version counter, when forward saved its output
        "__dict__",  # ctx.anything = ... as in PyTorch
        "__weakref__",
    )
    _forward_on_arrays = False
    _retained = None  # weak references to non-leaf Tensors whose .grad should be kept (set by retain_grad)
    _hooks = None  # Tensor.register_hook functions for this node's output
    # Which inputs PyTorch saves for this op's backward, given needs_input_grad: the in-place check watches
    # exactly those (torch refuses a backward through a changed saved input, and only then). None: the
    # values this op saves itself are the ones watched.
    _torch_saves = None
    _watched = None  # [(version counter, version when recorded, the tensor)] when _torch_saves is set
    _output_history = None  # for a saved output whose history is not this node: a function that rebuilds it
    # Whether torch's node keeps tensors for its backward even where ember's keeps none (indices, a wrapped number):
    # once the graph is freed, the engine refuses to run such a node again, as torch does
    _torch_saves_tensors = False

    # ---- what forward and backward use ------------------------------------------------------
    def save_for_backward(self, *values):
        """Keep tensors for backward (read them back as ctx.saved_tensors)."""
        self._saved = values

    @property
    def saved_tensors(self):
        """The tensors saved by save_for_backward (an error once the graph is freed)."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        if type(saved) is _Packed:  # saved_tensors_hooks packed them: their unpack_hook gives them back
            return saved.unpack(self)
        if not saved:  # nothing was saved (and so nothing recorded its versions)
            return ()
        tensors = []
        for value, version in zip(saved, self._versions):
            if value is _OUTPUT:
                if version is not None and self._out_vc[0] != version:
                    raise RuntimeError(_modified_message(self._value, self, self._out_vc[0], version))
                # the output, rebuilt with this node as its grad_fn so create_graph sees through it (for a node held
                # by a CopySlices: the view it wrote, with its history through that CopySlices, as torch's)
                value = _wrap(self._value, True, self) if self._output_history is None else self._output_history()
            elif version is not None and (value._vc[0] if value._vc else 0) != version:
                raise RuntimeError(_modified_message(value._data, value.grad_fn, value._vc[0], version))
            tensors.append(value)
        return tuple(tensors)

    def check_watched(self):
        """Raise PyTorch's error if an input torch saves for this backward was changed in place since."""
        for counter, version, tensor in self._watched:
            if counter[0] != version:
                raise RuntimeError(_modified_message(tensor._data, tensor.grad_fn, counter[0], version))

    def save_for_forward(self, *tensors):
        """Keep tensors for jvp (forward AD): inside jvp, ctx.saved_tensors gives them back."""
        self._saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs (e.g. indices) that get no gradient."""
        pass  # outputs of ember Functions are single; non-differentiable extras are plain returns

    @staticmethod
    def forward(ctx, *args):
        """Compute the outputs from the inputs; override in a subclass (ctx first, then the inputs)."""
        raise NotImplementedError("a Function subclass must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        """The gradients of the inputs from those of the outputs; override in a subclass."""
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    @staticmethod
    def jvp(ctx, *tangents):
        """Forward AD: the output's tangent from the inputs' (ember.autograd.forward_ad); override in a subclass."""
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    # ---- building the graph ------------------------------------------------------------------
    @classmethod
    def apply(cls, *args):
        """PyTorch's custom-function call: forward runs on Tensors (recording nothing inside)."""
        ctx = _new(cls)
        ctx._saved = ()
        for a in args:
            if isinstance(a, Tensor) and a._view is not None:
                sync_view(a)
        ctx.needs_input_grad = _needs(args)
        previous = set_grad(False)
        try:
            out = cls.forward(ctx, *args)
        finally:
            set_grad(previous)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a single Tensor, got {type(out).__name__}")
        if True in ctx.needs_input_grad and STATE.enabled:
            if cls.jvp is not Function.jvp:  # forward AD's jvp gets a tangent per input: zeros need their shapes
                ctx._jvp_inputs = [(a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args]
            return _record(ctx, args, None, out, out._data)
        return _wrap(out._data)

    def register_prehook(self, fn):
        """Run fn(grad_outputs) before this node's backward; a tuple it returns replaces grad_outputs (torch's Node)."""
        return register_prehook(self, fn)

    # ---- presentation --------------------------------------------------------------------------
    def name(self):
        """The op's name, as PyTorch shows it in grad_fn."""
        return type(self).__name__ + "Backward"

    def op_name(self):
        """The op's own name, without torch's Backward suffix: Mul for MulBackward0, Sum for SumBackward1."""
        name = self.name()
        cut = name.rfind("Backward")
        return name[:cut] if cut > 0 and name[cut + 8:].isdigit() or name.endswith("Backward") else name

    def detail(self):
        """Constants of this op worth showing beside its name (e.g. the exponent of x ** 2); '' if none."""
        return ""

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

    @classmethod
    def apply(cls, *args):
        """The hot path of every op: unwrap, run forward on arrays, wrap (and record when autograd needs to)."""
        if get_ident() != QUIET_THREAD:  # a thread's first op silences its NumPy errors (see _backend)
            quiet_float_errors()
        ctx = _new(cls)
        ctx._saved = ()
        arrays = []
        requires_grad = False
        for a in args:
            if isinstance(a, Tensor):
                if a._view is not None:  # a view whose base changed in place gets its history replayed
                    sync_view(a)
                arrays.append(a._data)
                requires_grad = requires_grad or a._requires_grad
            else:
                arrays.append(a)
        try:
            out = cls.forward(ctx, *arrays)
        except ValueError as error:
            raise _explain(error, arrays) from None
        except TypeError:  # arrays of different devices refuse to mix: torch's rule decides
            from ..ops.device import mixed_devices
            moved = mixed_devices(args)
            if moved is None:
                raise
            return cls.apply(*moved)
        data = out if type(out) is ndarray or hasattr(out, "__cuda_array_interface__") else asarray(out)
        if requires_grad and (not GRAD_OFF or STATE.enabled):  # (grad_mode: the cheap read first)
            return _record(ctx, args, arrays, out, data)
        return _wrap(data)  # NumPy turns 0-d results into scalars: data is always an array

    _name = None  # PyTorch's name for the op, where the class name differs (MulScalar is torch's Mul)
    _overload = 0  # torch numbers its overloads of one name: x.sum() is SumBackward0, x.sum(dim) SumBackward1

    def name(self):
        return f"{self._name or type(self).__name__}Backward{self._overload}"


def _record(ctx, args, arrays, out, data):
    """Make ctx the graph node behind the result: an edge to each input that needs a gradient."""
    result = _wrap(data, True, ctx)
    needs, edges, shapes = [], [], []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            needs.append(True)
            edges.append(a.grad_fn or a)  # the node that made a, or the leaf itself
            shapes.append(a._data.shape)
        else:
            needs.append(False)
            edges.append(None)
            shapes.append(None)
    ctx.needs_input_grad = tuple(needs)
    ctx._next, ctx._shapes, ctx._value = edges, shapes, data
    watch = ctx._torch_saves is not None
    if ctx._saved:
        _map_saved(ctx, args, arrays, out, result, not watch)
    if watch:
        _watch(ctx, args)
    if ANOMALY:  # anomaly detection: the node remembers the forward call that made it
        remember_forward(ctx)
    return result


def _watch(ctx, args):
    """Record the versions of the inputs torch would save, and stop checking what ember saved instead."""
    watched = []
    for i in ctx._torch_saves(ctx.needs_input_grad):
        a = args[i]
        if isinstance(a, Tensor):
            if a._vc is None:
                a._vc = [0]
            watched.append((a._vc, a._vc[0], a))
    ctx._watched = watched


class AccumulateGrad:
    """How ``next_functions`` shows a leaf, as PyTorch does; the engine writes leaves directly."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def register_prehook(self, fn):
        """Run fn((grad,)) before the leaf's gradient is accumulated; a tuple it returns replaces it."""
        return register_prehook(self.variable, fn)

    next_functions = ()

    def __repr__(self):
        return "<AccumulateGrad object>"


def _edge_view(edge):
    return AccumulateGrad(edge) if isinstance(edge, Tensor) else edge


def _needs(args):
    return tuple([isinstance(a, Tensor) and a._requires_grad for a in args])


def _explain(error, arrays):
    """NumPy's broadcasting ValueError -> PyTorch's RuntimeError naming both shapes; other errors pass."""
    shapes = [a.shape for a in arrays if hasattr(a, "shape")]
    if "broadcast" in str(error) and len(shapes) >= 2:
        return broadcast_error(shapes[0], shapes[1])
    return error


def _map_saved(ctx, args, arrays, out, result, versioned=True):
    """Turn what forward saved into Tensors the backward can differentiate through.

    An input's array becomes that input Tensor; the output becomes a marker
    (the node would otherwise hold its own output: a reference cycle); any other
    array is a constant. Each Tensor's version is recorded, so that a later
    in-place change to it is caught when backward unpacks it (unless the op says
    which inputs torch saves: versioned=False, and _watch checks those instead).
    """
    saved, versions = [], []
    for value in ctx._saved:
        if value is out:
            saved.append(_OUTPUT)
            versions.append(0 if versioned else None)
            ctx._out_vc = result._vc = [0]  # (the array itself is ctx._value)
            continue
        if arrays is not None and value is not None and not isinstance(value, (int, float)):
            # an Op saved arrays: find the Tensor each one came from, else keep it as a constant
            for a, array in zip(args, arrays):
                if array is value:
                    value = a
                    break
            if not isinstance(value, Tensor) and hasattr(value, "shape"):
                value = _wrap(value)
        if isinstance(value, Tensor) and value._inference:
            raise RuntimeError("Inference tensors cannot be saved for backward. To work around you can make a clone "
                               "to get a normal tensor and use it in autograd (tensors made inside inference_mode "
                               "never join a graph).")
        saved.append(value)
        versions.append((value._vc[0] if value._vc else 0) if versioned and isinstance(value, Tensor) else None)
    ctx._saved, ctx._versions = saved, versions
    if SAVED_HOOKS:  # saved_tensors_hooks are open (in some thread): pack_hook gets the saved tensors
        pack_saved(ctx, args, result)


def _modified_message(array, node, current, expected):
    """torch's words: the changed tensor is named by the node that made it (for a saved output, the node that
    saved it; for an input, its grad_fn now), without the Backward suffix; a leaf has no such node."""
    which = f", which is output 0 of {node.op_name()}," if node is not None else ""
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{array.dtype} of shape {list(array.shape)}]{which} is at version "
        f"{current}; expected version {expected} instead. Hint: do the in-place operation on a "
        "clone(), or move it after backward()."
    )


from .views import sync as sync_view  # noqa: E402  (views.py builds on Op)
