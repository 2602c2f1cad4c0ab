"""Variable: the name tensors had before PyTorch 0.4, kept so course code of that era runs.

Since 0.4 a Variable *is* a Tensor: ``Variable(t, requires_grad=True)`` returns a Tensor that shares
``t``'s memory (``t.detach()``) with the requires_grad flag set, and ``isinstance(x, Variable)`` holds for
every Tensor. ``volatile=`` is gone (``with no_grad():`` replaced it): it warns, as PyTorch does, and is ignored.
"""
import warnings


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from ..tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: a Tensor (a detached alias of ``data``), as in PyTorch >= 0.4."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from ..tensor import Tensor
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}: "
                            f"wrap it first, e.g. Variable(torch.tensor(data))")
        return data.detach().requires_grad_(requires_grad)
