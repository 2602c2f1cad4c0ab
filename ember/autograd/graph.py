"""torch.autograd.graph: looking at the graph, and changing how it keeps what backward needs.

- ``saved_tensors_hooks(pack_hook, unpack_hook)``: while it is open, each tensor a newly recorded node saves for
  backward goes through ``pack_hook``, and the node keeps what that returns instead (a copy on disk, on the host,
  compressed...). When backward needs the tensor, ``unpack_hook(packed)`` must give it back. ``save_on_cpu`` is one
  such pair; ``disable_saved_tensors_hooks`` forbids them (for code that cannot work with them).
- ``Node``: what every ``grad_fn`` is an instance of.
- ``increment_version``: tell autograd a tensor was changed in place behind its back.
- ``register_multi_grad_hook``: one hook for the gradients of several tensors.

The hooks cost nothing while none is open: recording a node that saves tensors tests ``HOOKS``, a list that is empty
unless some thread is inside a ``saved_tensors_hooks`` block, and only then looks for this thread's hooks.
"""
import abc
import contextlib
import functools
import threading
import weakref

from .grad_mode import STATE, set_grad
from ..tensor import Tensor, _bump_version, _wrap

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "register_multi_grad_hook", "Node",
           "increment_version"]


# ---- saved tensors hooks ------------------------------------------------------------------------------------------
HOOKS = []  # one entry per saved_tensors_hooks block open now, in any thread: function.py tests this list


class _Local(threading.local):
    """This thread's hooks, as in torch: a block opened in one thread does not pack another thread's tensors."""

    def __init__(self):
        self.stack = []  # (pack_hook, unpack_hook) of each open block, innermost last
        self.disabled = None  # the error message while disable_saved_tensors_hooks is open


_LOCAL = _Local()


class saved_tensors_hooks:
    """Inside the block, pack_hook(tensor) is called on each tensor a new graph node saves, and the node keeps
    its result; backward calls unpack_hook(that result), which must return a tensor equal to the one saved.
    Blocks nest: the innermost pair applies."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _LOCAL.disabled is not None:
            raise RuntimeError(_LOCAL.disabled)
        pair = (self.pack_hook, self.unpack_hook)
        _LOCAL.stack.append(pair)
        HOOKS.append(pair)

    def __exit__(self, *exc):
        HOOKS.remove(_LOCAL.stack.pop())


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and copied back to their device when backward needs them: a GPU's memory
    traded for copies. Tensors already on the CPU are kept as they are."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        import ember  # (here: ember's package imports autograd first)
        device_module = getattr(ember, device_type, ember.cuda)

        def pack_to_cpu(tensor):
            host = tensor.cpu()
            if pin_memory and device_module.is_available():
                host = host.pin_memory()  # (pinned: the copy back to the device may be asynchronous)
            return tensor.device, host

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside the block, opening saved_tensors_hooks raises RuntimeError(error_message): for code that cannot work
    with them. Already inside such a block, it raises at once."""
    previous = _LOCAL.disabled
    if _LOCAL.stack:
        raise RuntimeError(error_message)
    _LOCAL.disabled = error_message
    try:
        yield
    finally:
        _LOCAL.disabled = previous


class _Packed:
    """What a node saved while hooks were on: pack_hook's results, the order they were packed in, and where each
    saved tensor came from, so that what unpack_hook returns joins the graph where the original was."""

    __slots__ = ("unpack_hook", "values", "sources", "order")

    def __init__(self, unpack_hook, values, sources, order):
        self.unpack_hook, self.values, self.sources, self.order = unpack_hook, values, sources, order

    def unpack(self, node):
        """The saved tensors, unpacked again on every read (backward with retain_graph=True reads them each time)."""
        tensors = list(self.values)
        for i in self.order:  # (in the order they were packed: torch's)
            tensors[i] = _rejoin(_checked(self.unpack_hook(tensors[i])), self.sources[i], node)
        return tuple(tensors)


_OUTPUT = object()  # the node's own output (not kept: the packed value would hold the node through it)


def pack_saved(ctx, args, result):
    """Replace what ctx saved by what this thread's innermost pack_hook makes of each tensor (function.py calls this
    as the node is recorded, while hooks are open)."""
    stack = _LOCAL.stack
    if not stack:  # the hooks open are another thread's
        return
    pack_hook, unpack_hook = stack[-1]
    from .function import _OUTPUT as output  # (function.py imports this module)
    values = list(ctx._saved)
    sources = [None] * len(values)
    order = []
    saves = ctx._torch_saves
    previous = set_grad(False)  # (as torch: what pack_hook computes is not recorded)
    try:
        for i in range(len(values)) if saves is None else _torch_order(values, args, saves(ctx.needs_input_grad)):
            value = values[i]
            if value is output:
                value, sources[i] = result, _OUTPUT
            elif isinstance(value, Tensor):
                sources[i] = value.grad_fn or (weakref.ref(value) if value._requires_grad else None)
            else:  # a number, a shape...: kept as it is
                continue
            values[i] = pack_hook(value)
            order.append(i)
    finally:
        set_grad(previous)
    ctx._saved = _Packed(unpack_hook, values, sources, order)
    ctx._out_vc = None  # (an in-place change of the output no longer updates what is saved)


def _torch_order(saved, args, wanted):
    """Which saved values to pack, for an op that says which of its inputs torch saves (wanted, in torch's order):
    those inputs in that order, then any saved value that is no input. The others stay as they are, unpacked, so
    that the hooks see what torch's would."""
    order = []
    for k in wanted:
        for i, value in enumerate(saved):
            if value is args[k] and i not in order:
                order.append(i)
                break
    return order + [i for i, value in enumerate(saved) if not any(value is a for a in args)]


def _checked(tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                        f"{type(tensor).__name__}")
    return tensor


def _rejoin(tensor, source, node):
    """What unpack_hook returned, in the place of the tensor that was saved: a non-leaf's values with its grad_fn
    (so that create_graph differentiates through it), a leaf as the leaf itself when the hooks kept its array."""
    if source is _OUTPUT:
        return _wrap(tensor._data, True, node)
    if source is None:  # a tensor that needs no gradient
        return tensor if not tensor._requires_grad else _wrap(tensor._data)
    if type(source) is weakref.ref:  # a leaf that requires grad
        leaf = source()
        if leaf is not None and (tensor is leaf or tensor._data is leaf._data):
            return leaf
        # a copy: right for backward; a double backward (create_graph) does not reach the leaf through it
        return tensor if not tensor._requires_grad else _wrap(tensor._data)
    return _wrap(tensor._data, True, source)


# ---- the graph's nodes ----------------------------------------------------------------------------------------------
class Node(abc.ABC):
    """What every grad_fn is: ember's Function and Op nodes, and the AccumulateGrad that next_functions shows for a
    leaf, count as Nodes (isinstance(y.grad_fn, Node))."""

    @abc.abstractmethod
    def name(self):
        """The node's name, e.g. MulBackward0."""

    @property
    @abc.abstractmethod
    def next_functions(self):
        """((node, 0), ...): where each input's gradient goes next."""

    @abc.abstractmethod
    def register_prehook(self, fn):
        """Run fn(grad_outputs) before the node's backward; a tuple it returns replaces grad_outputs."""

    @classmethod
    def __subclasshook__(cls, subclass):
        from .function import AccumulateGrad, Function  # (function.py imports this module)
        if cls is Node and issubclass(subclass, (Function, AccumulateGrad)):
            return True
        return NotImplemented


def register_prehook(node, fn):
    """Node.register_prehook for ember's nodes: fn(grad_outputs) sees the node's (one) output gradient as a tuple
    before its backward runs, and may return a tuple to replace it. It is a hook on the node's output tensor, the
    kind Tensor.register_hook adds (for a leaf's AccumulateGrad, on the leaf)."""
    from ..utils.hooks import add_hook  # (ember.utils needs the ops: imported when first used)

    @functools.wraps(fn)
    def hook(grad):
        result = fn((grad,))
        return None if result is None else result[0]
    if isinstance(node, Tensor):  # a leaf
        return node.register_hook(hook)
    if node._hooks is None:
        node._hooks = {}
    return add_hook(node._hooks, hook)


# ---- versions and hooks -------------------------------------------------------------------------------------------
def increment_version(tensor):
    """Bump the version counter of a tensor (or of each in a list), as an in-place op does: for code that changes
    a tensor's memory behind autograd's back. A backward that needs the old value then refuses to run."""
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        if not t._inference:  # (inference tensors have no version counter, as in torch)
            _bump_version(t)


class _MultiHandle:
    """The handle of a multi-grad hook: remove() takes its hook off every tensor."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """One hook for the gradients of several tensors, once per backward pass.

    mode="all": fn(grads) when the pass has computed the gradients of all of tensors that it reaches; grads is a list
    with each tensor's gradient, None for those it did not reach. mode="any": fn(grad) with the first gradient the
    pass computes among them. Returns a handle; handle.remove() takes the hook off.
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    from .engine import queue_callback  # (the engine imports function.py, which imports this module)
    tensors = tuple(tensors)
    passes = {}  # id of a backward pass's callback list -> (that list, its state): one entry per pass in progress
    lock = threading.Lock()  # (two threads may run backward passes through the same tensors)

    def this_pass(new_state):
        """This pass's state, made with new_state() the first time (and dropped when the pass ends)."""
        current = STATE.callbacks[-1]  # (one list per pass in progress: it tells the pass apart)
        key = id(current)
        with lock:
            entry = passes.get(key)
            if entry is not None and entry[0] is current:
                return entry[1], False
            passes[key] = current, new_state()
        return passes[key][1], True

    if mode == "all":
        def hook_for(i):
            def hook(grad):
                grads, first = this_pass(lambda: [None] * len(tensors))
                grads[i] = grad
                if first:  # the pass's end is when all the gradients it will compute are in
                    key = id(STATE.callbacks[-1])
                    queue_callback(lambda: fn(passes.pop(key)[1]))
            return hook
        hooks = [hook_for(i) for i in range(len(tensors))]
    else:
        @functools.wraps(fn)
        def hook(grad):
            _, first = this_pass(lambda: None)
            if first:
                key = id(STATE.callbacks[-1])
                queue_callback(lambda: passes.pop(key, None))
                fn(grad)
        hooks = [hook] * len(tensors)
    return _MultiHandle(tuple(t.register_hook(h) for t, h in zip(tensors, hooks)))
