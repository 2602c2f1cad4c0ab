"""Levels: how function transforms nest on ember's one autograd graph.

torch.func gives every running transform its own "level" and wraps tensors per level. ember has a single graph,
so a transform works like this instead:

- it makes its own inputs for func: a fresh leaf that requires grad (``x.detach().requires_grad_()``), or, when x
  already belongs to a graph someone outside is recording, a view of x (``x.view_as(x)``), so that the outer
  transform (or the user's own ``backward``) can still differentiate through what this one computes;
- it differentiates with ``autograd.grad``, recording the backward pass (``create_graph=True``) only when the
  output's graph reaches a tensor that someone outside may still differentiate with respect to;
- on the way out it "releases" each result: a result whose graph reaches only this transform's own leaves (or the
  leaves of transforms that have finished) is detached, as torch's unwrapping makes it a plain tensor; a result
  that also depends on something live outside keeps its graph.

"Live outside" means: a leaf made by a transform that is still running further out, or a tensor of the user's
own (a Parameter...) when the user's code was recording (grad mode on) around the outermost transform.
"""
import threading
import weakref

from ..autograd.grad_mode import is_grad_enabled, set_grad_enabled
from ..tensor import Tensor

_STATE = threading.local()
_OWNER = {}   # id(leaf) -> (weakref to the leaf, the Level that made it); the entry goes when the leaf does


def _stack():
    stack = getattr(_STATE, "stack", None)
    if stack is None:
        stack = _STATE.stack = []
    return stack


class Level:
    """One running transform (a ``with`` block): the leaves it makes are live only while it runs."""

    def __init__(self):
        stack = _stack()
        parent = stack[-1] if stack else None
        self.caller_records = is_grad_enabled()   # inside no_grad, nothing outside can differentiate the results
        self.user_live = self.caller_records and (parent.user_live if parent else True)
        self.active = False

    def __enter__(self):
        _stack().append(self)
        self.active = True
        self._grad_mode = set_grad_enabled(True)
        self._grad_mode.__enter__()
        return self

    def __exit__(self, *exc):
        self.active = False
        self._grad_mode.__exit__(*exc)
        _stack().pop()
        return False

    # ---- inputs ------------------------------------------------------------------------------------------
    def fresh(self, t):
        """func's own copy of an input it is differentiated with respect to."""
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if t.requires_grad and self.caller_records:
            return t.view_as(t)   # stays on the graph outside, which sees through this transform
        return self.leaf(t.detach())

    def leaf(self, t):
        """``t`` made a leaf of this level (requires grad; dead once the level ends)."""
        t.requires_grad_()
        key = id(t)
        _OWNER[key] = (weakref.ref(t, lambda _, key=key: _OWNER.pop(key, None)), self)
        return t

    # ---- outputs -----------------------------------------------------------------------------------------
    def _live(self, leaf):
        owner = _OWNER.get(id(leaf))
        if owner is None:
            return self.user_live
        return owner[1].active and owner[1] is not self

    def reaches_live(self, tensors):
        """Does the graph of any of ``tensors`` reach a leaf someone outside this level may differentiate?"""
        if not self.caller_records:
            return False
        seen, stack = set(), []
        for t in tensors:
            if isinstance(t, Tensor) and t.requires_grad:
                if t.grad_fn is None:
                    if self._live(t):
                        return True
                else:
                    stack.append(t.grad_fn)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for edge in getattr(node, "_next", ()):
                if isinstance(edge, Tensor):
                    if self._live(edge):
                        return True
                elif edge is not None and id(edge) not in seen:
                    stack.append(edge)
        return False

    def release(self, x):
        """A result handed back to the caller (call after the ``with`` block): detached unless it depends on
        something live outside. Non-tensors pass through."""
        if isinstance(x, Tensor) and x.requires_grad and not self.reaches_live((x,)):
            return x.detach()
        return x
