"""Moving tensors between devices, and torch's rule for ops that mix them.

``x.to("cuda")`` is an op like any other: its backward moves the gradient
back, so a model's loss computed on the GPU still gives CPU leaves their
gradients on the CPU.
"""
from .. import _backend
from .._backend import device_of
from ..autograd.function import Op
from ..tensor import Tensor


class ToDevice(Op):
    _name = "ToCopy"

    @staticmethod
    def forward(ctx, a, dev):
        ctx.source = device_of(a)
        return _backend.move(a, dev)

    @staticmethod
    def backward(ctx, grad):  # the identity, back on the input's device
        return to_device(grad, ctx.source), None


def to_device(t, dev):
    """t on device ``dev`` (any spelling): t itself when it is there already, else a differentiable copy."""
    dev = _backend.to_device(dev)
    if device_of(t._data) == dev:
        return t
    return ToDevice.apply(t, dev)


def to_device_array(array, dev):
    """A raw array on ``dev``, outside autograd (optimizer state, collated batches)."""
    return _backend.move(array, _backend.to_device(dev))


def parse_to(args, kwargs):
    """Tensor.to's arguments -> (dtype or None, device or None, copy).

    The forms: to(dtype), to(device, dtype=None), to(other), each followed by
    non_blocking and copy (non_blocking is accepted: ember's copies complete at once).
    """
    dt = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    flags = []
    for a in args:
        if isinstance(a, Tensor):
            dt, dev = a.dtype, a.device
        elif isinstance(a, bool):
            flags.append(a)  # non_blocking, copy
        elif isinstance(a, (_backend.device, int, str)):  # a string is a device, as in torch: to("float32") is refused
            dev = a
        else:
            dt = a
    if len(flags) == 2:
        copy = copy or flags[1]
    return dt, dev, copy


# ----------------------------------------------------------------------------
# ops on tensors of different devices
# ----------------------------------------------------------------------------
def mixed_devices(args):
    """Arguments for running an op again after its arrays refused to mix (a TypeError), or None.

    torch lets a 0-d CPU tensor (and a Python number) join a CUDA tensor's op:
    those are copied to the GPU. Any other mix raises torch's RuntimeError.
    None means the devices agree: the TypeError had another cause.
    """
    devices = {device_of(a._data) for a in args if isinstance(a, Tensor)}
    if len(devices) < 2:
        return None
    gpus = sorted((d for d in devices if d.type == "cuda"), key=lambda d: d.index)
    movable = all(a._data.ndim == 0 for a in args if isinstance(a, Tensor) and device_of(a._data).type == "cpu")
    if len(gpus) > 1 or not movable:
        other = gpus[1] if len(gpus) > 1 else _backend.CPU
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{gpus[0]} and {other}! Move them to one device first, e.g. with .to({str(gpus[0])!r})")
    return [to_device(a, gpus[0]) if isinstance(a, Tensor) and a._data.ndim == 0 else a for a in args]


def same_device_data(t, value):
    """The array of ``value`` (a Tensor) for writing into t in place: a 0-d CPU value may join a GPU t;
    any other mix raises torch's RuntimeError."""
    data = value._data
    if device_of(data) != device_of(t._data):
        if data.ndim == 0 and device_of(data).type == "cpu":
            return _backend.move(data, device_of(t._data))
        mixed_devices([t, value])
    return data

