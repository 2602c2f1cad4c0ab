"""ember.cuda: torch.cuda's questions and answers, on CuPy.

Without CuPy or without an NVIDIA GPU, ``is_available()`` is False and every
call that needs a GPU raises what a CPU-only PyTorch raises (an
AssertionError, "Torch not compiled with CUDA enabled") plus what to install;
the calls a CPU-only PyTorch answers (device_count, memory_allocated,
manual_seed, ...) answer the same here. The runtime itself (CuPy) is behind
``_backend.cuda_runtime()``.
"""
from .. import _backend
from .._backend import cuda_runtime, cuda_runtime_or_none
from . import amp  # torch.cuda.amp: autocast and GradScaler (ember/amp), no CuPy needed


def is_available():
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    return cuda_runtime_or_none() is not None


def is_initialized():
    return _backend._Runtime.module not in (None, False)


def init():
    cuda_runtime()


def device_count():
    runtime = cuda_runtime_or_none()
    return 0 if runtime is None else runtime.device_count()


def current_device():
    return cuda_runtime().current_device()


def set_device(device):
    cuda_runtime().set_device(_index(device))


def _index(device=None):
    """torch's optional device argument: None (the current GPU), an int, 'cuda:1' or a device."""
    runtime = cuda_runtime()
    if device is None:
        return runtime.current_device()
    if isinstance(device, int):
        return device
    return _backend.to_device(device).index


class device:
    """``with ember.cuda.device(1):`` makes GPU 1 the current one inside the block."""

    def __init__(self, device):
        self.index = _index(device)

    def __enter__(self):
        runtime = cuda_runtime()
        self._previous = runtime.current_device()
        runtime.set_device(self.index)

    def __exit__(self, *exc):
        cuda_runtime().set_device(self._previous)
        return False


def get_device_name(device=None):
    name = cuda_runtime().properties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_properties(device=None):
    """The GPU's properties as a simple object (name, total_memory, major, minor, multi_processor_count)."""
    props = cuda_runtime().properties(_index(device))
    name = props["name"]
    return _Properties(name.decode() if isinstance(name, bytes) else name, props["totalGlobalMem"],
                       props["major"], props["minor"], props["multiProcessorCount"])


class _Properties:
    def __init__(self, name, total_memory, major, minor, multi_processor_count):
        self.name, self.total_memory, self.major, self.minor = name, total_memory, major, minor
        self.multi_processor_count = multi_processor_count

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2 ** 20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_capability(device=None):
    props = get_device_properties(device)
    return props.major, props.minor


def synchronize(device=None):
    """Wait until every kernel queued on the GPU has finished (time GPU code only after this)."""
    cuda_runtime().synchronize(_index(device))


# ---- seeds: ember draws random numbers on the host generator, so one seed serves every device ------------
def manual_seed(seed):
    """Seed the GPU generator; ember's tensors draw from ember.manual_seed's stream on every device."""
    runtime = cuda_runtime_or_none()
    if runtime is not None:
        runtime.manual_seed(int(seed))


manual_seed_all = manual_seed


def seed():
    pass


def seed_all():
    pass


def initial_seed():
    cuda_runtime()
    from ..random import initial_seed
    return initial_seed()


# ---- memory --------------------------------------------------------------------------------------
def memory_allocated(device=None):
    """Bytes held by tensors on the GPU (CuPy's memory pool); 0 without CUDA, as torch."""
    runtime = cuda_runtime_or_none()
    return 0 if runtime is None else runtime.memory_allocated(_index(device))


def max_memory_allocated(device=None):
    runtime = cuda_runtime_or_none()
    return 0 if runtime is None else runtime.max_memory_allocated(_index(device))


def memory_reserved(device=None):
    runtime = cuda_runtime_or_none()
    return 0 if runtime is None else runtime.memory_reserved(_index(device))


def reset_peak_memory_stats(device=None):
    runtime = cuda_runtime_or_none()
    if runtime is not None:
        runtime.reset_peak_memory_stats(_index(device))


def empty_cache():
    """Give the GPU memory CuPy keeps for reuse back to the driver (a no-op without CUDA)."""
    runtime = cuda_runtime_or_none()
    if runtime is not None:
        runtime.empty_cache()


def is_bf16_supported():
    return False  # ember has no bfloat16


# ---- timing ----------------------------------------------------------------------------------------
class Event:
    """A marker in the GPU's queue: ``start.record(); ...; end.record(); end.synchronize();
    start.elapsed_time(end)`` gives milliseconds of GPU time."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        runtime = cuda_runtime_or_none()
        if runtime is None:
            raise RuntimeError(f"Tried to instantiate dummy base class Event: a CUDA event needs a GPU. "
                               f"{_backend.CUDA_HOW}")
        self._runtime = runtime
        self._event = runtime.event(enable_timing)

    def record(self, stream=None):
        self._event.record()

    def synchronize(self):
        self._event.synchronize()

    def query(self):
        return self._event.done

    def wait(self, stream=None):
        self._event.synchronize()

    def elapsed_time(self, end_event):
        return self._runtime.elapsed_ms(self._event, end_event._event)
