"""torch.accelerator: the device-neutral questions today's tutorials ask first
(``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``).
ember's one accelerator is CUDA (ember.cuda); without it the answers are a CPU-only torch's."""
from . import _backend, cuda

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    """True when a GPU is there to use (ember.cuda.is_available())."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """device('cuda') when a GPU is there, else None (as a CPU-only torch answers)."""
    return _backend.device("cuda") if cuda.is_available() else None


def device_count():
    """The number of GPUs (0 without one)."""
    return cuda.device_count()


def _needs_one():
    if not cuda.is_available():
        raise RuntimeError(_NONE)


def current_device_index():
    """The current GPU's index; torch's RuntimeError without one."""
    _needs_one()
    return cuda.current_device()


def set_device_index(device):
    """Make GPU `device` the current one; torch's RuntimeError without one."""
    _needs_one()
    cuda.set_device(device)


def synchronize(device=None):
    """Wait for the GPU's queued work; torch's RuntimeError without one."""
    _needs_one()
    cuda.synchronize(device)


current_device_idx, set_device_idx = current_device_index, set_device_index
