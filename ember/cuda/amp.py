"""torch.cuda.amp: the deprecated spellings of ember.amp's autocast("cuda"), GradScaler("cuda") and
custom_fwd/custom_bwd(device_type="cuda"), each with torch's FutureWarning. Importable without CuPy."""
import functools
import warnings

from .. import _backend
from ..amp import autocast_mode as _autocast_mode, grad_scaler as _grad_scaler

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd", "GradScaler"]


def amp_definitely_not_available():
    return _autocast_mode._cuda_definitely_not_available()


def _future(message):
    warnings.warn(message, FutureWarning, stacklevel=3)


class autocast(_autocast_mode.autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=torch.float16, cache_enabled=True)``: deprecated for
    ``torch.amp.autocast("cuda", ...)``."""

    def __init__(self, enabled=True, dtype=_backend.float16, cache_enabled=True):
        _future("`torch.cuda.amp.autocast(args...)` is deprecated. "
                "Please use `torch.amp.autocast('cuda', args...)` instead.")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(_grad_scaler.GradScaler):
    """``torch.cuda.amp.GradScaler(...)``: deprecated for ``torch.amp.GradScaler("cuda", ...)``."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        _future("`torch.cuda.amp.GradScaler(args...)` is deprecated. "
                "Please use `torch.amp.GradScaler('cuda', args...)` instead.")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    _future("`torch.cuda.amp.custom_fwd(args...)` is deprecated. "
            "Please use `torch.amp.custom_fwd(args..., device_type='cuda')` instead.")
    return functools.partial(_autocast_mode.custom_fwd, device_type="cuda")(fwd=fwd, cast_inputs=cast_inputs)


def custom_bwd(bwd):
    _future("`torch.cuda.amp.custom_bwd(args...)` is deprecated. "
            "Please use `torch.amp.custom_bwd(args..., device_type='cuda')` instead.")
    return functools.partial(_autocast_mode.custom_bwd, device_type="cuda")(bwd)
