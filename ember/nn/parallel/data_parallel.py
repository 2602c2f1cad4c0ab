"""DataParallel and data_parallel: torch's single-process wrapper that splits each batch over several GPUs.

Course code wraps its model in nn.DataParallel whether or not a GPU is there. On a machine without one, torch's
wrapper just holds the model (as .module, so state_dict keys start with "module.") and calls it; that is what
ember does. With CuPy's GPUs, ember runs the whole batch on the first of device_ids: torch would split it over
every listed GPU and gather the outputs, the same numbers in one pass (ember's GPU ops run one device at a time).
"""
from ... import cuda
from ...tensor import Tensor
from ..modules.module import Module


class DataParallel(Module):
    """Wrap a module: DataParallel(model)(x) runs model(x). The model is .module; device_ids, output_device and dim
    are accepted (without a GPU, as in torch, they are not kept: device_ids is [])."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not cuda.is_available():  # (torch's CPU case: nothing to split over)
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        self.dim = dim
        self.device_ids = [_index(d) for d in device_ids]
        self.output_device = _index(device_ids[0] if output_device is None else output_device)
        self.src_device_obj = f"cuda:{self.device_ids[0]}"
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        """Run the module on the inputs (moved to the first GPU when there is one)."""
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        return _run_on(self.module, self.src_device_obj, inputs, kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """DataParallel's forward as a function: module(*inputs) on the first GPU. Without a GPU torch refuses, and so
    does ember."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    device_ids = list(range(cuda.device_count())) if device_ids is None else device_ids
    device = f"cuda:{_index(device_ids[0])}"
    for t in (*module.parameters(), *module.buffers()):
        if str(t.device) != device:
            raise RuntimeError(f"module must have its parameters and buffers on device {device} (device_ids[0]) but "
                               f"found one of them on device: {t.device}")
    return _run_on(module, device, inputs, module_kwargs or {})


def _run_on(module, device, inputs, kwargs):
    """module(*inputs, **kwargs) with every tensor among them (in lists, tuples, dicts) moved to device."""
    def move(value):
        if isinstance(value, Tensor):
            return value.to(device)
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # (a namedtuple)
            return type(value)(*(move(v) for v in value))
        if isinstance(value, (list, tuple)):
            return type(value)(move(v) for v in value)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        return value
    return module(*move(inputs), **move(kwargs))


def _index(device):
    """A GPU's index from an int, 'cuda:1' or a device."""
    if isinstance(device, int):
        return device
    index = getattr(device, "index", None)
    if index is None and isinstance(device, str):
        index = int(device.split(":")[1]) if ":" in device else 0
    return 0 if index is None else index
