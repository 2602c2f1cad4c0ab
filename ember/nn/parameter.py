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


class UninitializedTensorMixin:
    """What an UninitializedParameter and an UninitializedBuffer share: a tensor whose shape is not known yet (a
    lazy module's, until its first forward), which materialize(shape) turns, the same object, into its
    cls_to_become (so an optimizer made before the first forward holds the parameter already)."""

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor its shape (values uninitialised: the module fills them) and make it a cls_to_become."""
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
        raise uninitialized_error("<method 'numel' of 'torch._C.TensorBase' objects>", type(self).__name__)

    nelement = numel

    def share_memory_(self):
        """Nothing to share yet: torch's error."""
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"


def is_lazy(tensor):
    """Whether tensor is an uninitialized parameter or buffer (a lazy module's, before its first forward)."""
    return isinstance(tensor, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet: a lazy module's (nn.LazyLinear) until its first forward, which
    calls materialize(shape) and so turns it, the same object, into a Parameter."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        from ..creation import empty
        super().__init__(empty(0, dtype=dtype, device=device), requires_grad)  # (keeps the dtype and device to be)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet: a lazy BatchNorm's running_mean and running_var until its first
    forward, which materializes them into plain Tensors. Assigned to a module attribute, it is registered as a
    buffer (as an nn.Buffer is)."""

    __slots__ = ()
    cls_to_become = Tensor
    persistent = True

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        # (no room for a per-object flag: the object must keep Tensor's layout to become one, so a non-persistent
        # one is of a subclass that says so)
        return object.__new__(cls if persistent else _NonPersistentUninitializedBuffer)

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        from ..creation import empty
        Tensor.__init__(self, empty(0, dtype=dtype, device=device))
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "<UninitializedBuffer>"


class _NonPersistentUninitializedBuffer(UninitializedBuffer):
    __slots__ = ()
    persistent = False


class Buffer(Tensor):
    """A tensor to register as a buffer by assignment: module.x = nn.Buffer(t, persistent=True) does what
    module.register_buffer("x", t, persistent) does. The module keeps a plain Tensor sharing t's memory (torch's
    Buffer is a plain Tensor too, marked; ember's Tensors have no room for marks, hence a class)."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        from ..creation import empty
        data = empty(0) if data is None else data
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer expects a Tensor, got {type(data).__name__}")
        Tensor.__init__(self, data.detach())  # (detached, sharing memory; requires_grad kept, as torch's)
        self._inference = data._inference
        self.persistent = persistent
        if data.requires_grad:
            self.requires_grad_(True)

    def _as_tensor(self):
        """The plain Tensor the module registers: the same memory, the same requires_grad."""
        plain = self.detach()
        return plain.requires_grad_(True) if self.requires_grad else plain


def uninitialized_error(where, kind="UninitializedParameter"):
    """torch's ValueError for an uninitialized parameter used in where (a function, or an optimizer's state)."""
    return ValueError(f"Attempted to use an uninitialized parameter in {where}. This error happens when you are using "
                      f"a `LazyModule` or explicitly manipulating `torch.nn.parameter.{kind}` objects. "
                      "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
                      "calling torch functions")
