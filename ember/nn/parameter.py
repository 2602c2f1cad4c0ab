"""Parameter: a Tensor that a Module registers as something to learn."""
from ..tensor import Tensor, _tensor_str


class Parameter(Tensor):
    """A leaf tensor that requires grad by default, and that Module attributes collect into parameters()."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        self._data = data._data  # shares memory with data, as in PyTorch
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._vc = None
        self._view = None
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + _tensor_str.tensor_repr(self)
