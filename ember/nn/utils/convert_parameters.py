"""A model's parameters as one flat vector, and back: for optimisers and tricks that see the model as one point
in parameter space (second-order methods, weight averaging, evolution strategies)."""
from ...tensor import Tensor
from ...ops.shape import cat


def _typename(obj):
    """torch.typename for a non-tensor: the qualified name of its type, without 'builtins.'."""
    module = type(obj).__module__
    return type(obj).__qualname__ if module == "builtins" else f"{module}.{type(obj).__qualname__}"


def _check_same_device(params):
    """The parameters one by one, refusing a mix of devices (one flat vector lives on one device)."""
    device = None
    for param in params:
        if device is None:
            device = param.device
        elif param.device != device:
            raise TypeError("Found two parameters on different devices, this is currently not supported.")
        yield param


def parameters_to_vector(parameters):
    """The parameters flattened and joined into one 1-D tensor, in order (a copy, differentiable)."""
    return cat([param.view(-1) for param in _check_same_device(parameters)])


def vector_to_parameters(vec, parameters):
    """Slice vec into the parameters' shapes, in order, and make each slice the parameter's .data.

    As in torch, the parameters then share memory with vec (no copy), and this is not recorded in the graph.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in _check_same_device(parameters):
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
