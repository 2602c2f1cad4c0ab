"""The backward pass: from an output back to every leaf, by the chain rule.

1. Count, for every node reachable from the outputs, how many edges lead into
   it (its consumers). This walk is iterative: a 100,000-op chain is fine.
2. Start with d(output)/d(output) = 1. Take a node whose consumers have all
   delivered their gradient (their sum is the gradient of the node's output),
   call its ``backward`` (upstream gradient x local derivative), and hand each
   result to the input it belongs to, summed back to that input's shape when
   broadcasting had stretched it.
3. A leaf adds what it receives to its ``.grad``. A node's saved values are
   dropped as soon as it has run, unless ``retain_graph=True``.

Hooks (Tensor.register_hook) and retain_grad see a gradient as it passes; a leaf's post-accumulate hooks
(Tensor.register_post_accumulate_grad_hook) run once its .grad holds the sum of what it received, and
queue_callback(fn) runs fn when the whole pass has finished (DistributedDataParallel needs both).

Who may change a gradient array in place: one owner at a time. A backward may
hand the same gradient to several inputs (``a + a``), return views of its
upstream gradient, or return what the caller passed in; so the engine never
writes into an array it was given. ``_Owners`` keeps, for one backward pass,
the arrays someone outside can see (the caller's gradients, hooks' arguments,
retained and captured gradients, user Functions' results) and the arrays a
leaf took as its ``.grad`` without a copy (they may still be on their way to
another branch). ``_accumulate`` copies or adds out of place accordingly, and
adds in place only into a ``.grad`` it owns, as PyTorch does.
"""
import weakref

import numpy as np

from . import views
from .anomaly_mode import ON as ANOMALY, WATCHED, checked_backward
from .function import FREED_MESSAGE
from .grad_mode import STATE, set_grad
from .._backend import as_array, get_array_module, update
from ..tensor import Tensor, _wrap


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only into ``inputs``)."""
    if isinstance(tensors, Tensor):
        if grad_tensors is None and tensors._requires_grad and tensors._data.size == 1:  # loss.backward()
            tensors, grads = (tensors,), [_wrap(_ones_like(tensors._data))]
        else:
            tensors, grads = (tensors,), _root_grads((tensors,), (grad_tensors,), "backward")
    else:
        tensors = tuple(tensors)
        grads = _root_grads(tensors, _as_tuple(grad_tensors, len(tensors)), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    capture = None
    if inputs is not None:
        capture = {}
        for t in _as_tuple(inputs):
            capture.setdefault(_key(t), None)
    owners = _Owners()
    callbacks, stack = [], STATE.callbacks
    stack.append(callbacks)
    try:
        found = run_backward(tensors, grads, retain_graph, create_graph, capture, owners)
        if found is not None:
            for t in _as_tuple(inputs):
                g = found.get(_key(t))
                if g is not None:
                    _accumulate(t, g, create_graph, owners)
                    if POST_ACCUMULATE_HOOKS:
                        _post_accumulate(t)
        if callbacks:
            _run_final_callbacks()
    finally:
        stack.pop()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    outputs = _as_tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (index {i}) does not require grad")
    grads = _root_grads(outputs, _as_tuple(grad_outputs, len(outputs)), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {_key(t): None for t in inputs}
    callbacks, stack = [], STATE.callbacks
    stack.append(callbacks)
    try:
        found = run_backward(outputs, grads, retain_graph, create_graph, capture)
        if callbacks:
            _run_final_callbacks()
    finally:
        stack.pop()
    result = []
    for i, t in enumerate(inputs):
        g = found.get(_key(t))
        if g is None:
            if materialize_grads:
                g = _wrap(t._data * 0)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (index {i}) appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
        result.append(g)
    return tuple(result) if not single or len(result) != 1 else (result[0],)


def _key(t):
    """What gradients are captured by: a non-leaf's node, or a leaf Tensor itself."""
    return t.grad_fn if t.grad_fn is not None else t


def _as_tuple(x, n=None):
    if x is None:
        return (None,) * n if n is not None else ()
    if isinstance(x, Tensor):
        return (x,)
    x = tuple(x)
    if n is not None and len(x) != n:
        raise RuntimeError(f"got {len(x)} gradients for {n} outputs: pass one gradient per output")
    return x


def _root_grads(outputs, given, verb):
    """d(output)/d(output): ones for a one-element output, else the gradient the caller passed."""
    grads = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                "set requires_grad=True on the leaves you want gradients for, before computing the output"
            )
        data = out._data
        if g is None:
            if data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs: "
                    f"the output has shape {list(data.shape)}; pass gradient= with that shape, "
                    f"or reduce the output first (e.g. .sum()) before calling {verb}"
                )
            g = _wrap(_ones_like(data))
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}; pass "
                            f"gradient=ember.tensor(...) with the output's shape {list(data.shape)}")
        elif g._data.shape != data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {list(g._data.shape)} and output[{i}] "
                f"has a shape of {list(data.shape)}."
            )
        grads.append(g)
    return grads


def _ones_like(array):
    if type(array) is not np.ndarray:  # a GPU array: its own module makes the ones
        return get_array_module(array).ones(array.shape, array.dtype)
    ones = np.empty(array.shape, array.dtype)  # empty + fill: 3x faster than np.ones on small arrays
    ones.fill(1)
    return ones


class _Owners:
    """Which gradient arrays, in one backward pass, must not be written in place (see the module docstring)."""

    __slots__ = ("seen", "borrowed")

    def __init__(self):
        self.seen = set()  # ids of arrays visible outside the engine: copy before keeping them as a .grad
        self.borrowed = set()  # ids of arrays a leaf kept without a copy: add to them out of place

    def show(self, g):
        self.seen.add(id(g._data))
        return g


def run_backward(outputs, grads, retain_graph, create_graph, capture=None, owners=None):
    """The engine proper. Returns the gradients captured for the keys of ``capture``.

    Leaves are counted like nodes: a leaf's hooks and its ``.grad`` see the sum of everything it
    receives, once, when its last consumer has run (PyTorch's AccumulateGrad node).
    """
    pending = {}  # node or leaf -> gradient of its output, summed over the consumers that have run so far
    if owners is None:
        owners = _Owners()
    roots, leaf_roots = [], []
    for out, g in zip(outputs, grads):
        owners.show(g)
        if out._view is not None:
            views.sync(out)
        key = out.grad_fn
        if key is None:  # the output is itself a leaf
            key = out
            leaf_roots.append(out)
        else:
            roots.append(key)
        pending[key] = pending[key] + g if key in pending else g

    dependencies = _count_dependencies(roots)
    # grad() and backward(inputs=...) run only the nodes that lead to what was asked for, as torch does
    needed = None if capture is None else _leading_to(dependencies, capture)
    for leaf in dict.fromkeys(leaf_roots) if leaf_roots else ():
        if dependencies.get(leaf, 0) == 0:
            _leaf_done(leaf, pending.pop(leaf), capture, create_graph, owners)
    # (node, the gradient of its output) for each node whose consumers have all run
    if len(roots) == 1:  # (the usual loss.backward())
        ready = [(roots[0], pending.pop(roots[0]))] if dependencies[roots[0]] == 0 else []
    else:
        ready = [(n, pending.pop(n)) for n in dict.fromkeys(roots) if dependencies[n] == 0]
    previous_mode = set_grad(bool(create_graph))
    try:
        while ready:
            node, grad_out = ready.pop()
            if needed is not None and node not in needed:
                grad_out = None
            if grad_out is None:  # nothing reached this node (or it leads nowhere asked for): nor do its inputs
                input_grads = (None,) * len(node._next)
            else:
                if node._hooks is not None:
                    grad_out = _run_hooks(node._hooks, grad_out, owners)
                if node._retained is not None:
                    _keep_retained(node, owners.show(grad_out))
                if capture is not None and node in capture:
                    capture[node] = owners.show(grad_out)
                if node._watched:
                    node.check_watched()
                if node._saved is None and node._torch_saves_tensors:  # run before, and freed: torch refuses
                    raise RuntimeError(FREED_MESSAGE)
                if WATCHED:  # anomaly detection or a profiler watches each backward call: see call_backward
                    input_grads = call_backward(node, grad_out)
                else:
                    input_grads = type(node).backward(node, grad_out)  # upstream gradient x local derivative
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
                if not node._forward_on_arrays:
                    _check_user_grads(node, input_grads)
                    for g in input_grads:  # a user's backward may return arrays its caller still holds
                        if g is not None:
                            owners.show(g)
                if not retain_graph:
                    node._saved = node._value = None  # free what forward kept, as soon as it has served
            for target, g, shape in zip(node._next, input_grads, node._shapes):
                if target is None:
                    continue
                if g is not None and g._data.shape != shape:
                    g = _sum_to(g, shape, node)  # broadcasting stretched this input: sum back to its shape
                left = dependencies[target] - 1
                if left:  # other consumers still to come: keep the partial sum
                    dependencies[target] = left
                    if g is not None:
                        pending[target] = pending[target] + g if target in pending else g
                    continue
                if target in pending:  # the last consumer: add what the others sent
                    earlier = pending.pop(target)
                    g = earlier if g is None else earlier + g
                if isinstance(target, Tensor):
                    if capture is None and g is not None and not LEAF_HOOKS and not POST_ACCUMULATE_HOOKS:
                        _accumulate(target, g, create_graph, owners)  # (the common case of _leaf_done, inline)
                    else:
                        _leaf_done(target, g, capture, create_graph, owners)
                else:
                    ready.append((target, g))
    finally:
        set_grad(previous_mode)
    return capture


def call_backward(node, grad_out):
    """node's backward as the loop calls it while anomaly_mode.WATCHED is non-empty: with anomaly detection on,
    the forward stack is shown if it raises or (check_nan) returns NaN. The one hook point of the loop: a profiler
    replaces this function (engine.call_backward) with one that times the call, and puts it back when it stops."""
    if ANOMALY:
        return checked_backward(node, grad_out)
    return type(node).backward(node, grad_out)


def _leaf_done(leaf, g, capture, create_graph, owners):
    """Everything has arrived for this leaf: its hooks see the sum, then .grad (or grad()'s result) gets it."""
    if g is None:
        return
    if LEAF_HOOKS and _leaf_hooks(leaf):
        g = _run_hooks(_leaf_hooks(leaf), g, owners)
    if capture is None:
        _accumulate(leaf, g, create_graph, owners)
        if POST_ACCUMULATE_HOOKS:
            _post_accumulate(leaf)
    elif leaf in capture:
        capture[leaf] = g


# ---- hooks: functions that see (and may replace) a gradient as it passes ----------------------------
# id(leaf) -> (weak reference to the leaf, its hooks); empty unless someone registers one. (Not a
# WeakKeyDictionary: that compares keys with ==, which on Tensors is elementwise.)
LEAF_HOOKS = {}


# The same, for the hooks that run after a leaf's .grad has been accumulated: hook(leaf).
POST_ACCUMULATE_HOOKS = {}


def _leaf_hooks(leaf, registry=LEAF_HOOKS):
    entry = registry.get(id(leaf))
    return entry[1] if entry is not None and entry[0]() is leaf else None


def _new_leaf_hooks(leaf, registry):
    """The leaf's hook dict in registry, made on first use and dropped with the leaf."""
    hooks = _leaf_hooks(leaf, registry)
    if hooks is None:
        hooks = {}
        registry[id(leaf)] = (weakref.ref(leaf), hooks)
        weakref.finalize(leaf, registry.pop, id(leaf), None)
    return hooks


def register_hook(tensor, fn):
    """Tensor.register_hook: fn(grad) runs when tensor's gradient is computed; returning a Tensor replaces it."""
    from ..utils.hooks import add_hook  # (here: ember.utils imports the data tools, which need the ops)
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = tensor.grad_fn
    if node is None:
        hooks = _new_leaf_hooks(tensor, LEAF_HOOKS)
    else:
        if node._hooks is None:
            node._hooks = {}
        hooks = node._hooks
    return add_hook(hooks, fn)


def register_post_accumulate_grad_hook(tensor, fn):
    """Tensor.register_post_accumulate_grad_hook: fn(leaf) runs once leaf.grad holds this backward's gradient."""
    from ..utils.hooks import add_hook
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    return add_hook(_new_leaf_hooks(tensor, POST_ACCUMULATE_HOOKS), fn)


def _post_accumulate(leaf):
    hooks = _leaf_hooks(leaf, POST_ACCUMULATE_HOOKS)
    for fn in list(hooks.values()) if hooks else ():
        if fn(leaf) is not None:
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


# ---- final callbacks: what runs when a backward pass is over -----------------------------------------
# STATE.callbacks: one list per backward pass in progress in this thread (a hook may run a backward of its own;
# another thread's backward keeps its own lists)


def queue_callback(fn):
    """Run fn() when the backward pass now running has finished (torch's Variable._execution_engine.queue_callback)."""
    if not STATE.callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    STATE.callbacks[-1].append(fn)


def _run_final_callbacks():
    callbacks = STATE.callbacks[-1]
    while callbacks:  # a callback may queue another
        callbacks.pop(0)()


def _run_hooks(hooks, grad, owners):
    for fn in list(hooks.values()):
        result = fn(owners.show(grad))  # the hook may keep what it is shown
        if result is not None:
            _check_hook_result(fn, grad, result)
            grad = owners.show(result)
    return grad


def _check_hook_result(fn, grad, result):
    """A hook may replace a gradient, but only by one of the same shape and dtype (PyTorch's rule)."""
    name = getattr(fn, "__name__", repr(fn))
    if not isinstance(result, Tensor):
        raise TypeError(f"hook '{name}' returned {type(result).__name__}; a hook returns a Tensor (the new gradient) "
                        "or None (to keep it)")
    if result._data.dtype != grad._data.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {grad.dtype} got {result.dtype}); "
                           f"return a gradient of dtype {grad.dtype}, e.g. new_grad.to(grad.dtype)")
    if result._data.shape != grad._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was {list(grad.shape)} got "
                           f"{list(result.shape)}); return a gradient of the same shape as the one it was given")


def _count_dependencies(roots):
    """For each node and leaf, how many edges from the reachable graph lead into it (roots start at 0)."""
    dependencies = dict.fromkeys(roots, 0)  # also the set of nodes seen so far
    stack = list(dependencies)
    while stack:
        for target in stack.pop()._next:
            if target is None:
                continue
            if target in dependencies:
                dependencies[target] += 1
            else:
                dependencies[target] = 1
                if not isinstance(target, Tensor):  # a leaf is counted, but has no inputs to walk to
                    stack.append(target)
    return dependencies


def _leading_to(dependencies, capture):
    """The nodes from which some key of ``capture`` (a node or a leaf) can be reached."""
    needed = set()
    state = {}  # node -> True once all its inputs have been looked at
    for start in dependencies:
        if isinstance(start, Tensor) or start in state:
            continue
        stack = [start]
        while stack:
            node = stack[-1]
            if node not in state:
                state[node] = False
                stack.extend(t for t in node._next if t is not None and not isinstance(t, Tensor) and t not in state)
                continue
            stack.pop()
            if not state[node]:
                state[node] = True
                if node in capture or any(t is not None and (t in needed or (isinstance(t, Tensor) and t in capture))
                                          for t in node._next):
                    needed.add(node)
    return needed


def _check_user_grads(node, grads):
    """A user Function's backward must return one Tensor (or None) per forward argument."""
    n = len(node._next)
    if len(grads) < n or any(g is not None for g in grads[n:]):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients (expected {n}, got {len(grads)})"
        )
    for i, g in enumerate(grads[:n]):
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type {type(g).__name__} at "
                            f"index {i}; backward must return Tensors or None")


def _sum_to(g, shape, node):
    """Sum a broadcast gradient back to an input's shape (leading axes, then stretched size-1 axes)."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient - got {list(gshape)} "
            f"but expected shape compatible with {list(shape)}"
        )
    from ..ops.reduction import Sum, summed  # (the ops import autograd: imported here, once it is all loaded)
    stretched = tuple(lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1)
    if not STATE.enabled and type(g._data) is np.ndarray:  # a plain backward: Sum's forward on the array
        data = summed(g._data, tuple(range(lead)) + stretched, bool(stretched))
        return _wrap(data.reshape(shape) if lead and stretched else data)
    if not stretched:  # only leading axes (a bias added to a batch): one sum gives the shape
        return Sum.apply(g, tuple(range(lead)), False)
    g = Sum.apply(g, tuple(range(lead)) + stretched, True)  # ops applied directly: this runs on every broadcast
    return g.reshape(shape) if lead else g


def _accumulate(leaf, g, create_graph, owners):
    """leaf.grad += g, in place only into an array the leaf owns (PyTorch keeps the same .grad tensor)."""
    grad = leaf._grad  # (the slot: the engine checks nothing it did not make itself)
    if grad is None:
        if create_graph:
            leaf._grad = g.clone()  # differentiable, and the leaf's own (as PyTorch's AccumulateGrad clones)
            return
        data = g._data
        # keep the array itself only if nothing else can see it: not a view (of another gradient; broadcasts are
        # read-only views), not shown outside the engine, and of the leaf's dtype
        if data.base is not None or id(data) in owners.seen or data.dtype != leaf._data.dtype:
            data = data.astype(leaf._data.dtype, copy=True)
        else:
            owners.borrowed.add(id(data))  # it may still be on its way to another branch of this pass
        owners.seen.add(id(data))
        leaf._grad = _wrap(data)
    elif create_graph or grad._requires_grad:
        leaf._grad = grad + g
    elif id(grad._data) in owners.borrowed:  # not ours alone yet: a new array, kept in the same .grad Tensor
        owners.borrowed.discard(id(grad._data))
        grad._data = as_array(grad._data + g._data, grad._data.dtype)  # (NumPy gives 0-d sums as scalars)
        owners.seen.add(id(grad._data))
    else:
        update(np.add, grad._data, g._data)  # grad._data += g._data


def _keep_retained(node, grad_out):
    for ref in list(node._retained):
        t = ref()
        if t is not None:
            t._grad = grad_out if t._grad is None else t._grad + grad_out


def retain_grad(tensor):
    """Ask the engine to store the gradient of a non-leaf in its .grad."""
    node = tensor.grad_fn
    if node is None:
        return
    if node._retained is None:
        node._retained = []
    if not any(r() is tensor for r in node._retained):
        node._retained.append(weakref.ref(tensor))
