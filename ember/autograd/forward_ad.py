"""torch.autograd.forward_ad: dual tensors and Jacobian-vector products, computed on ember's reverse-mode graph.

torch's forward mode gives every op a second formula that pushes a tangent forward alongside the value. ember's ops
have only their backward, and the op's hot path (``Op.apply``) must not pay for a feature most programs never use.
So ember computes tangents from the graph reverse mode already records, and only while a dual level is open:

- ``make_dual(p, t)`` returns a tensor that starts a graph: a fresh node over ``p`` (over ``p`` itself when ``p``
  requires grad, so that backward still reaches it), remembered by the open dual level with its tangent ``t``.
  Ops on it then record as on any tensor that requires grad.
- Opening a level puts wrappers around ``Op.apply`` and ``Function.apply`` (``_Recording``): after each op whose
  inputs depend on a dual, the output's tangent is pushed through the op's node at once,
  ``tangent(out) = sum_i J_i tangent(input_i)``, while the values the node saved are still intact (a later in-place
  op may overwrite them, ``nn.ReLU(inplace=True)`` for one). A node's product ``J_i t`` comes from its backward by
  the double-vjp trick: ``u -> backward(u) = J^T u`` is linear in ``u``, so differentiating ``<J^T u, t>`` with
  respect to ``u`` gives ``J t``. A custom ``autograd.Function`` has its ``jvp`` called instead (and without one
  fails as it is applied, as in torch). Tangents are cached per node for the level; ``unpack_dual`` reads them
  (walking the graph for any it lacks), and a view's tangent is the same view of its base's tangent.
- Leaving the level forgets its duals and tangents and takes the wrappers away: outside a level every op runs the
  code it always runs, at no cost. ``unpack_dual`` then gives ``tangent=None``.

What this changes from torch (docs/design.md says more): outputs that depend on a dual report
``requires_grad=True`` and a ``grad_fn`` (the graph the tangents come from), where torch reports ``False`` and
``None``; tangents are plain tensors (not differentiable again: nest ``ember.func.jvp`` for higher orders); an
in-place op on a dual does not change the tangent tensor the user passed to ``make_dual`` (torch updates it in place);
and under ``no_grad`` the dual level still records the ops that use dual tensors (see ``_Recording``), as torch's
forward mode ignores grad mode.
"""
import weakref
from typing import NamedTuple, Optional

import numpy as np

from . import function as _function
from .engine import _sum_to, grad as _grad
from .function import _OUTPUT, FREED_MESSAGE, Function, Op, sync_view
from .grad_mode import STATE, set_grad
from .graph import _Packed
from .. import tensor as _tensor_module
from ..tensor import Tensor, _wrap

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and its tangent (None for a tensor that is not dual)."""

    primal: Tensor
    tangent: Optional[Tensor]


class _Level:
    """One open dual level: its dual inputs' nodes and every tangent computed so far (node -> tangent or None)."""

    def __init__(self, number):
        self.number = number
        self.tangents = weakref.WeakKeyDictionary()  # the dual inputs' nodes are put here by make_dual
        self.depends = weakref.WeakKeyDictionary()  # node -> whether it depends on a dual input (under no_grad)
        self.replayed = weakref.WeakKeyDictionary()  # the views' nodes whose tangent is a view of the base's
        self.hidden = {}  # id -> weak reference: the leaves make_dual made under primals that need no gradient


_LEVELS = []  # the open levels (torch allows one at a time, for the whole process)


def _current():
    return _LEVELS[-1].number if _LEVELS else -1


def enter_dual_level():
    """Open a forward AD level (only one may be open) and return its number."""
    if _LEVELS:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _LEVELS.append(_Level(len(_LEVELS)))
    _Recording.start()
    return _LEVELS[-1].number


def exit_dual_level(*, level=None):
    """Close the open level: every tangent made in it is forgotten."""
    if level is None:
        level = _current()
    if level != _current():
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _LEVELS.pop().tangents.clear()
    _Recording.stop()


class dual_level:
    """``with dual_level():`` opens a forward AD level for the block (``as`` gives its number); also a decorator."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)
        return wrapper


def _level(level, where):
    """The open level named by ``level`` (None: the current one)."""
    if level is None:
        level = _current()
    if not _LEVELS or level != _LEVELS[-1].number:
        raise RuntimeError(f"Invalid level given to {where}")
    return _LEVELS[-1]


class _MakeDual(Op):
    """The node a dual tensor starts from: the primal's values as they are (torch's dual is a view of the primal)."""

    _name = "View"

    @staticmethod
    def forward(ctx, a):
        return a

    @staticmethod
    def backward(ctx, grad):
        return grad


def make_dual(tensor, tangent, *, level=None):
    """A dual tensor: ``tensor``'s values (sharing its memory) with ``tangent`` as their direction of change.

    The tangent is kept as it is when its layout (strides) is the primal's, else copied into the primal's layout.
    Backward still reaches ``tensor`` through the result when ``tensor`` requires grad."""
    if (_current() if level is None else level) < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if tangent._data.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    state = _level(level, "_make_dual")
    if tangent.shape != tensor.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if _tangent(state, tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {state.number} is not supported.")
    if tangent._data.strides != tensor._data.strides:  # torch copies such a tangent into the primal's layout
        copy = np.empty_like(tensor._data, dtype=tangent._data.dtype)
        copy[...] = tangent._data
        tangent = _wrap(copy)
    previous = set_grad(True)
    try:
        if tensor.requires_grad and previous:
            source = tensor  # make_dual is differentiable: backward goes on to the primal
        else:
            source = tensor.detach()
            source._requires_grad = True  # a leaf of the dual's own, that no backward result is read from
            state.hidden[id(source)] = weakref.ref(source)
        dual = _MakeDual.apply(source)
    finally:
        set_grad(previous)
    state.tangents[dual.grad_fn] = tangent
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a tensor at the level: the tangent is J t, summed over the level's dual inputs the
    tensor depends on (None if it depends on none); the primal is the tensor's values with no tangent."""
    if level is None:
        level = _current()
    if level < 0 or not _LEVELS:
        return UnpackedDualTensor(tensor, None)
    tangent = _tangent(_LEVELS[-1], tensor)
    if tangent is None:  # (torch asks which level only of a tensor that has a tangent)
        return UnpackedDualTensor(tensor, None)
    state = _level(level, "_fw_primal")
    # the primal keeps the graph only when backward must still reach a tensor of the user's through it
    primal = tensor if _reaches_user_leaf(state, tensor.grad_fn) else tensor.detach()
    return UnpackedDualTensor(primal, tangent)


# ---- pushing tangents through the recorded graph --------------------------------------------------------------------


_BUSY = [False]  # computing a tangent: the ops it runs are not followed by the level


def _tangent(state, tensor):
    """The tangent of ``tensor`` at ``state``'s level, or None when it depends on no dual input of that level."""
    if _BUSY[0]:
        return _walk(state, tensor)
    _BUSY[0] = True
    try:
        return _walk(state, tensor)
    finally:
        _BUSY[0] = False


def _walk(state, tensor):
    view = tensor._view
    if view is not None:
        sync_view(tensor)
    node = tensor.grad_fn
    if node is None or tensor._data.dtype.kind not in "fc":
        return None
    cache = state.tangents
    if view is not None and node not in state.replayed:
        # as torch: a view's tangent is the same view of its base's tangent (an op's tangent, computed as the op
        # ran, had no view information yet: it is replaced by the view of the base's tangent, of equal values)
        base = _walk(state, view.base)
        if base is not None:
            previous = set_grad(False)
            try:
                cache[node] = view.replay(base)
            finally:
                set_grad(previous)
            state.replayed[node] = True
    stack = [node]
    while stack:  # depth first, each node after all its inputs (a long chain is fine: no recursion)
        top = stack[-1]
        if top in cache:
            stack.pop()
            continue
        waiting = [e for e in top._next if e is not None and not isinstance(e, Tensor) and e not in cache]
        if waiting:
            stack.extend(waiting)
            continue
        stack.pop()
        cache[top] = _push(top, [None if e is None or isinstance(e, Tensor) else cache[e] for e in top._next])
    return cache[node]


def _push(node, tangents):
    """The tangent of ``node``'s output from its inputs' (None: zero)."""
    if all(t is None for t in tangents):
        return None
    if not node._forward_on_arrays:  # a user's autograd.Function: its own jvp, as in torch
        return _custom_jvp(node, tangents)
    return _double_vjp(node, tangents)


def _double_vjp(node, tangents):
    """sum_i J_i t_i for one node: d/du sum_i <backward(u)_i, t_i>, with backward's saved values cut from the graph
    below (so this differentiates the node alone, not the whole graph under it)."""
    if node._saved is None:
        raise RuntimeError(FREED_MESSAGE)
    if node._watched:
        node.check_watched()
    saved, versions = node._saved, getattr(node, "_versions", None)
    if saved and type(saved) is not _Packed:
        values = node.saved_tensors  # (raises reverse mode's error if one was changed in place since)
        node._saved = tuple(v.detach() if isinstance(v, Tensor) else v for v in values)
        node._versions = (None,) * len(values)
    previous = set_grad(True)
    try:
        u = _wrap(np.zeros_like(node._value), True)
        grads = type(node).backward(node, u)
    finally:
        set_grad(previous)
        if saved and type(saved) is not _Packed:
            node._saved, node._versions = saved, versions
    if type(grads) is not tuple:
        grads = (grads,)
    outs, directions = [], []
    for g, t, shape in zip(grads, tangents, node._shapes):
        if g is None or t is None:
            continue
        if g._data.shape != shape:
            previous = set_grad(True)
            try:
                g = _sum_to(g, shape, node)
            finally:
                set_grad(previous)
        if g.requires_grad:
            outs.append(g)
            directions.append(t)
    product = _grad(outs, [u], directions, allow_unused=True)[0] if outs else None
    return _wrap(np.zeros_like(node._value)) if product is None else product


def _custom_jvp(node, tangents):
    """A user Function's jvp(ctx, *input tangents): zeros for a tensor input without one, None for a non-tensor."""
    meta = node.__dict__.get("_jvp_inputs")
    if meta is None:  # (Function.apply keeps the inputs' metadata only for a class that defines jvp)
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")
    arguments = [None if m is None else t if t is not None else _wrap(np.zeros(m[0], m[1]))
                 for m, t in zip(meta, tangents)]
    for_forward = node.__dict__.get("_saved_for_forward")
    saved, versions = node._saved, getattr(node, "_versions", None)
    if for_forward is not None:  # in jvp, ctx.saved_tensors are what forward gave save_for_forward
        node._saved, node._versions = for_forward, (None,) * len(for_forward)
    previous = set_grad(False)
    try:
        result = type(node).jvp(node, *arguments)
    finally:
        set_grad(previous)
        node._saved, node._versions = saved, versions
    return result


def _reaches_user_leaf(state, node):
    """Does backward from ``node`` reach a tensor other than make_dual's own leaves (one that requires grad)?"""
    seen, stack = set(), [node]
    while stack:
        top = stack.pop()
        for e in top._next:
            if e is None:
                continue
            if isinstance(e, Tensor):
                ref = state.hidden.get(id(e))
                if ref is None or ref() is not e:
                    return True
            elif id(e) not in seen:
                seen.add(id(e))
                stack.append(e)
    return False


def _depends(state, tensor):
    """Does ``tensor`` depend on a dual input of the level (through a graph recorded while the level is open)?"""
    if not isinstance(tensor, Tensor) or not tensor._requires_grad or tensor.grad_fn is None:
        return False
    cache = state.depends
    node = tensor.grad_fn
    stack = [node]
    while stack:
        top = stack[-1]
        if top in cache:
            stack.pop()
            continue
        if top in state.tangents and state.tangents[top] is not None:
            cache[top] = True
            stack.pop()
            continue
        waiting = [e for e in top._next if e is not None and not isinstance(e, Tensor) and e not in cache]
        if waiting:
            stack.extend(waiting)
            continue
        stack.pop()
        cache[top] = any(cache[e] for e in top._next if e is not None and not isinstance(e, Tensor))
    return cache[node]


class _Recording:
    """Forward AD ignores grad mode in torch: under ``no_grad`` a dual tensor's ops still carry tangents. ember's
    tangents come from the recorded graph, so while a dual level is open, ``Op.apply``, ``Function.apply`` and the
    in-place ops' test (``tensor._records``) are replaced by versions that, with grad mode off, still record an op
    that uses a tensor depending on a dual (with edges to those tensors only). They are put back when the level
    closes: outside a dual level every op runs the code it always runs, at no cost."""

    saved = None

    @classmethod
    def start(cls):
        cls.saved = (Op.__dict__["apply"], Function.__dict__["apply"], _tensor_module._records)
        Op.apply = classmethod(_recording_duals(cls.saved[0].__func__))
        Function.apply = classmethod(_recording_duals(cls.saved[1].__func__))
        _tensor_module._records = _records_duals(cls.saved[2])

    @classmethod
    def stop(cls):
        Op.apply, Function.apply, _tensor_module._records = cls.saved
        cls.saved = None


def _recording_duals(apply):
    def recording(cls, *args):
        if not _LEVELS or _BUSY[0]:  # (the ops that compute a tangent are not themselves followed)
            return apply(cls, *args)
        state = _LEVELS[-1]
        if STATE.enabled:
            out = apply(cls, *args)
        elif not any(_depends(state, a) for a in args):
            return apply(cls, *args)
        else:
            # record the edges to the dual-dependent inputs only: the others are outside any graph under no_grad
            args = [a.detach() if isinstance(a, Tensor) and a._requires_grad and not _depends(state, a) else a
                    for a in args]
            previous = set_grad(True)
            try:
                out = apply(cls, *args)
            finally:
                set_grad(previous)
        # the tangent now, while the values the node saved are intact: a later in-place op may overwrite them
        for o in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(o, Tensor) and o.grad_fn is not None and o.grad_fn not in state.tangents:
                _tangent(state, o)
        return out
    return recording


def _records_duals(records):
    def recording(t, other=None):
        if STATE.enabled or not _LEVELS:
            return records(t, other)
        if records(t, other):
            return True
        state = _LEVELS[-1]
        if not (_depends(state, t) or _depends(state, other)):
            return False
        if t._view is not None and t._view.made_without_grad:
            # recorded for the tangents, with grad mode still off: not the change torch refuses (a view made
            # under no_grad, changed in place with grad mode on)
            t._view.made_without_grad = False
        return True
    return recording
