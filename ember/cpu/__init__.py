"""torch.cpu: the CPU as a device module (always available, one device) and torch.cpu.amp."""
from . import amp

__all__ = ["amp", "is_available", "is_initialized", "device_count", "current_device", "synchronize"]


def is_available():
    return True


def is_initialized():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """Nothing to wait for: CPU work is done when the call returns."""
