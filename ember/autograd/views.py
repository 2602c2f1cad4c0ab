"""Views: tensors that share memory with a base, and in-place ops through them (PyTorch's view model).

A view (``y[1:]``, ``x.t()``, ``x.view(2, 3)``, ...) is a Tensor whose array is a NumPy view into its
base's memory. Besides the array, it keeps a ``ViewInfo``:

- ``base``: the root tensor that owns the memory (a view of a view points at the root, as ``_base`` in torch);
- ``replay``: a function that takes the base (or any tensor of the base's shape, such as its gradient)
  and returns this view of it, built from ember's differentiable view ops;
- ``version``: the shared version counter's value when the view's ``grad_fn`` was last made.

Views share the base's version counter, so an in-place change through any of them is seen by autograd's
saved-value check.

An in-place op on a view changes the base too, so the base's history must change with it. As PyTorch's
``CopySlices`` does, the base gets a new ``grad_fn``: the region the view covers now comes from the in-place op,
and the rest from the base's old history::

    base_new = CopySlices(base_old, op(view_of(base_old)))
    d base_new / d base_old  =  the gradient with the view's region set to zero
    d base_new / d op-result =  the view's region of the gradient            (replay(grad))

The view itself (and any other view of the same base, once it is used again) then gets its ``grad_fn`` by
replaying the view on the base's new history, so gradients through it flow through the in-place op too.
"""
import weakref

import numpy as np

from .grad_mode import STATE
from ..tensor import _SHARED_MEMORY, _refuse_overlap, _wrap

_new = object.__new__


class ViewInfo:
    """How a view relates to its base (see the module docstring)."""

    __slots__ = ("base", "replay", "version", "multi_output", "made_without_grad")

    def __repr__(self):
        return f"<view of a tensor of shape {list(self.base._data.shape)}>"


def make_view(source, out, replay, multi_output=None):
    """Mark ``out`` (whose array is a view of ``source``'s) as a view, as PyTorch's view ops do.

    ``replay(t)`` must give the same view of any tensor shaped like ``source``. ``multi_output`` names the
    op for views that come out of a function returning several views (unbind, split, chunk): torch refuses
    in-place changes to those.
    """
    if out._data.base is None:  # an array that owns its memory is no view (reshape checks its copies itself)
        return out
    info = _new(ViewInfo)
    parent = source._view
    if parent is None:
        info.base, info.replay = source, replay
    else:  # a view of a view: replay both, from the root
        first = parent.replay
        info.base, info.replay = parent.base, lambda t: replay(first(t))
    base = info.base
    if base._vc is None:
        base._vc = [0]
    out._vc = base._vc
    info.version = base._vc[0]
    # a view of a view keeps its parent's restrictions (torch's creation_meta)
    info.multi_output = multi_output or (parent.multi_output if parent is not None else None)
    info.made_without_grad = (base._requires_grad and not STATE.enabled) or (parent is not None and
                                                                             parent.made_without_grad)
    out._view = info
    return out


def sync(view):
    """Give a view whose base was changed in place since its grad_fn was made a fresh grad_fn (replayed)."""
    info = view._view
    base = info.base
    if base._vc[0] == info.version or not base._requires_grad or not STATE.enabled:
        return
    if info.multi_output is not None:
        raise RuntimeError(f"{info.multi_output} is a view and its base or another view of its base has been "
                           "modified inplace. This view is the output of a function that returns multiple views. "
                           "Such functions do not allow the output views to be modified inplace. You should replace "
                           "the inplace operation by an out-of-place one.")
    if info.made_without_grad:
        raise RuntimeError("A view was created in no_grad mode and its base or another view of its base has been "
                           "modified inplace with grad mode enabled. Given that this use case is ambiguous and "
                           "error-prone, it is forbidden. You can clarify your code by moving both the view and the "
                           "inplace either both inside the no_grad block (if you don't want the inplace to be "
                           "tracked) or both outside (if you want the inplace to be tracked).")
    info.version = base._vc[0]
    fresh = info.replay(base)
    view.grad_fn, view._requires_grad = fresh.grad_fn, fresh._requires_grad


def check_inplace(view):
    """PyTorch's refusals for in-place ops through a view that autograd would have to record."""
    info = view._view
    base = info.base
    if base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the update in `with ember.no_grad():`, or work on a clone().")
    if view.grad_fn is None and not view._requires_grad and base.grad_fn is not None and \
            base._vc[0] != info.version:
        # made before its base required grad, not used since: torch has not made its grad_fn yet, so it looks at
        # it as a leaf that requires grad (the base's history is given to a view when it is next used)
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. Use the view "
                           "(or take it again) after its base changed, or work on a clone().")
    if info.multi_output is not None:
        raise RuntimeError(f"{info.multi_output} is a view and is being modified inplace. This view is "
                           "the output of a function that returns multiple views. Such functions do not allow the "
                           "output views to be modified inplace. You should replace the inplace operation by an "
                           "out-of-place one (or .clone() the view first).")
    if info.made_without_grad:
        raise RuntimeError("A view was created in no_grad mode and is being modified inplace with grad mode "
                           "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can "
                           "clarify your code by moving both the view and the inplace either both inside the no_grad "
                           "block (if you don't want the inplace to be tracked) or both outside (if you want the "
                           "inplace to be tracked).")


def current(view):
    """The view's value as a tensor whose history starts at the base's current history."""
    sync(view)
    info = view._view
    if info.base._requires_grad and view.grad_fn is None and not info.made_without_grad:
        return info.replay(info.base)
    return view


def rebase_history(view, result, replayed=None):
    """After ``result`` (computed out of place) was written into ``view``'s memory: rewrite the histories.

    The base's new grad_fn is a CopySlices node: the view's region from ``result``, the rest from the base's old
    history. When ``result``'s node took the view (``replayed``: the view replayed on the base's old history)
    directly, CopySlices holds that node, as torch's does: its edges are the base's old
    history and the op's other inputs, and its backward runs the op's backward on the region's gradient. The view's
    grad_fn is replayed from the base's new history.
    """
    info = view._view
    base = info.base
    if replayed is not None:
        new = _holding(result.grad_fn, replayed, base, info.replay)
    else:
        old = _wrap(base._data, base._requires_grad, base.grad_fn)  # the base as it was, for the edge to its history
        new = CopySlices.apply(old, result, info.replay, base._data).grad_fn
    base.grad_fn, base._requires_grad = new, True
    info.version = base._vc[0]
    fresh = info.replay(base)
    view.grad_fn, view._requires_grad = fresh.grad_fn, True


def _holding(fn, replayed, base, replay):
    """A CopySlices node for ``base`` that holds the op's node ``fn``, whose edge ``replayed`` was the view."""
    node = _new(CopySlices)
    node._saved = ()
    _layout(node, base._data, replay)
    at = fn._next.index(replayed)
    node.fn, node.at = fn, at
    node._next = [base.grad_fn] + fn._next[:at] + fn._next[at + 1:]
    node._shapes = [base._data.shape] + fn._shapes[:at] + fn._shapes[at + 1:]
    needs = fn.needs_input_grad
    node.needs_input_grad = (True,) + needs[:at] + needs[at + 1:]
    node._value = base._data
    if getattr(fn, "_out_vc", None) is not None:  # fn saved its output, the view: its history now passes here
        held = weakref.ref(node)  # (fn is reached only through this node: no cycle, and alive while it runs)
        fn._output_history = lambda: _region(held())
    if ANOMALY:
        remember_forward(node)
    return node


def _region(node):
    """The region a holding CopySlices wrote, with its history through that node."""
    return node.replay(_wrap(node._value, True, node))


def _layout(ctx, base, replay):
    ctx.replay = replay
    # the base's layout, outermost dimension first (None: row-major), for the gradient to take before the
    # replay: a view() that was valid on the base must be valid on its gradient (torch copies the gradient
    # into the base's strides first, too)
    ctx.order = None if base.flags.c_contiguous else tuple(int(d) for d in np.argsort(base.strides)[::-1])
    # a base whose elements repeat in memory (a detached expand): torch's gradient buffer takes its strides
    # and refuses to be written, so backward fails there as torch's does
    ctx.repeats = any(st == 0 and n > 1 for n, st in zip(base.shape, base.strides))


from .anomaly_mode import ON as ANOMALY, checked_backward, remember_forward  # noqa: E402
from .function import FREED_MESSAGE, Function, Op  # noqa: E402  (function.py imports the Tensor; views after both)

_SAVED = Function._saved  # the slot that holds a node's saved values


def _get_saved(node):
    return _SAVED.__get__(node)


def _set_saved(node, saved):
    _SAVED.__set__(node, saved)
    if saved is None:  # the engine frees the node's saved values: those of the op's node it holds go with them
        fn = node.__dict__.get("fn")
        if fn is not None:
            fn._saved = fn._value = None


class CopySlices(Op):
    """``base`` with the region ``replay(base)`` replaced by ``src`` (PyTorch's CopySlices node).

    When ``written`` is given, the in-place write has already happened in that array: it is the result. A
    CopySlices made by ``_holding`` has no ``src`` edge: it holds the op's node ``fn`` instead (see rebase_history).
    """

    _name = "CopySlices"
    fn = None  # the op's node, when this node holds it
    _saved = property(_get_saved, _set_saved)

    def name(self):
        return "CopySlices"

    @staticmethod
    def forward(ctx, base, src, replay, written=None):
        _layout(ctx, base, replay)
        if written is not None:
            return written
        out = base.copy()
        region = replay(_wrap(out))._data  # the replayed view shares out's memory
        _refuse_overlap(region)  # torch cannot route a gradient back through an expanded view that was written
        region[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):  # the region came from src (or from fn); everything else from base
        if ctx.repeats:
            raise RuntimeError(_SHARED_MEMORY)
        if ctx.order is None:
            grad = grad.contiguous()
        else:  # laid out as the base: contiguous in the base's order of dimensions
            grad = grad.permute(ctx.order).contiguous().permute(tuple(int(d) for d in np.argsort(ctx.order)))
        fn = ctx.fn
        if fn is None:
            need_base, need_src = ctx.needs_input_grad[:2]
            grad_base = CopySlices.apply(grad, 0.0, ctx.replay) if need_base else None
            grad_src = ctx.replay(grad) if need_src else None
            return grad_base, grad_src, None, None
        # torch's CopySlices: the op's backward on the region's gradient; what it gives for the view goes into the
        # region of the base's gradient, the rest to the op's other inputs
        if fn._watched:
            fn.check_watched()
        if fn._saved is None and fn._torch_saves_tensors:
            raise RuntimeError(FREED_MESSAGE)
        region = ctx.replay(grad)
        grads = checked_backward(fn, region) if ANOMALY else type(fn).backward(fn, region)
        if type(grads) is not tuple:
            grads = (grads,)
        at = ctx.at
        into = grads[at]
        if into is not None and into._data.shape != region._data.shape:
            raise RuntimeError(f"{fn.name()} returned a gradient of shape {list(into._data.shape)} for a view of "
                               f"shape {list(region._data.shape)}")
        grad_base = CopySlices.apply(grad, 0.0 if into is None else into, ctx.replay)
        return (grad_base,) + grads[:at] + grads[at + 1:len(fn._next)]
