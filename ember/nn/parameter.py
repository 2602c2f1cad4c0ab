"""Parameter: a Tensor that a Module registers as something to learn."""
import sys
from multiprocessing.reduction import ForkingPickler

from ..multiprocessing import reduce_tensor
from ..tensor import Tensor, _tensor_str, _wrap

_SLOT = Tensor._data  # the array's own slot, under the property that refuses it


def _caller():
    """The function that asked for an uninitialized tensor's values, named as torch names it."""
    frame = sys._getframe(2)
    name = frame.f_code.co_name
    while name.startswith("_") and not name.startswith("__") and frame.f_back is not None:  # (past ember's helpers)
        frame = frame.f_back
        name = frame.f_code.co_name
    if hasattr(Tensor, name):
        return f"<method '{name.strip('_')}' of 'torch._C.TensorBase' objects>"
    return f"<built-in function {name}>"


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


class UninitializedTensorMixin:
    """What an UninitializedParameter and an UninitializedBuffer share: a tensor whose shape is not known yet (a
    lazy module's, until its first forward), which materialize(shape) turns, the same object, into its
    cls_to_become (so an optimizer made before the first forward holds the parameter already)."""

    __slots__ = ()
    cls_to_become = None

    # Any use of the values is torch's ValueError: every Tensor method reads _data, and here _data refuses. The
    # few uses torch allows (asking the dtype or device, casting or moving it with its module) read the array
    # through the slot itself. Once materialized, the object is of another class and _data is the plain slot.
    @property
    def _data(self):
        raise uninitialized_error(_caller(), type(self).__name__)

    @_data.setter
    def _data(self, array):
        _SLOT.__set__(self, array)

    def _plain(self):
        """The (empty) values as a plain Tensor, for the uses torch allows."""
        return _wrap(_SLOT.__get__(self))

    @property
    def dtype(self):
        """The dtype it will have."""
        return self._plain().dtype

    @property
    def device(self):
        """The device it will be on."""
        return self._plain().device

    @property
    def data(self):
        """The empty values, detached (torch allows this too)."""
        return self._plain()

    @data.setter
    def data(self, value):
        _SLOT.__set__(self, value._data)

    def size(self, dim=None):
        """torch.Size([0]): no shape yet (torch allows asking this, not .shape)."""
        return self._plain().size() if dim is None else self._plain().size(dim)

    def is_floating_point(self):
        """Whether the dtype it will have is a floating one."""
        return self._plain().is_floating_point()

    def is_complex(self):
        """Whether the dtype it will have is a complex one."""
        return self._plain().is_complex()

    def get_device(self):
        """The GPU index it will be on (-1 on the CPU)."""
        return self._plain().get_device()

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place and return self."""
        self._requires_grad = bool(requires_grad)
        return self

    # casting and moving (a module's .double(), .to(device) before its first forward): Module._convert takes the
    # result's array, so these give a plain Tensor, as the empty values converted
    def to(self, *args, **kwargs):
        """The empty values moved or cast (what a module's .to() keeps)."""
        return self._plain().to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        """The empty values on the CPU."""
        return self._plain().cpu(*args, **kwargs)

    def cuda(self, *args, **kwargs):
        """The empty values on a GPU."""
        return self._plain().cuda(*args, **kwargs)

    def half(self):
        """The empty values as float16."""
        return self._plain().half()

    def float(self):
        """The empty values as float32."""
        return self._plain().float()

    def double(self):
        """The empty values as float64."""
        return self._plain().double()

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor its shape (values uninitialised: the module fills them) and make it a cls_to_become."""
        from ..creation import empty
        self._data = empty(*shape, dtype=dtype or self.dtype, device=device or self.device)._data
        self.__class__ = self.cls_to_become

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            make, args = self.__reduce_ex__(4)
            memo[id(self)] = make(*args)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        # (pickled as what it is: an uninitialized tensor of a dtype, on a device)
        return type(self), (self.requires_grad, self.device, self.dtype)

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
