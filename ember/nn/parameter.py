"""Parameter: a Tensor that a Module registers as something to learn."""
from multiprocessing.reduction import ForkingPickler

from ..multiprocessing import reduce_tensor
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
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._vc = None
        self._inference = data._inference
        self._view = None
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + _tensor_str.tensor_repr(self)


ForkingPickler.register(Parameter, reduce_tensor)  # (to another process as a Tensor is: its shared memory, if shared)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet: a lazy module's (nn.LazyLinear) until its first forward, which
    calls materialize(shape) and so turns it, the same object, into a Parameter (an optimizer made before that
    forward holds it already)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        from ..creation import empty
        super().__init__(empty(0, dtype=dtype, device=device), requires_grad)  # (keeps the dtype and device to be)

    def materialize(self, shape, device=None, dtype=None):
        """Give the parameter its shape (values uninitialised: the module fills them) and make it a Parameter."""
        from ..creation import empty
        self._data = empty(*shape, dtype=dtype or self.dtype, device=device or self.device)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        """Not known yet: asking is an error, as in torch."""
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def numel(self):
        """Not known yet: an error, as in torch (count a lazy model's parameters after its first forward)."""
        raise uninitialized_error("<method 'numel' of 'torch._C.TensorBase' objects>")

    nelement = numel

    def __repr__(self):
        return "<UninitializedParameter>"


def uninitialized_error(where):
    """torch's ValueError for an uninitialized parameter used in where (a function, or an optimizer's state)."""
    return ValueError(f"Attempted to use an uninitialized parameter in {where}. This error happens when you are using "
                      "a `LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
                      "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
                      "calling torch functions")
