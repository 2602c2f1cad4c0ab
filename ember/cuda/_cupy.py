"""The CUDA runtime on CuPy: everything ember asks of a GPU, in one small object.

``_backend`` talks to a runtime with this interface and nothing else, so the
tests can install a strict stand-in (tests/strict_cuda.py) where there is no GPU.
"""


def load():
    """The runtime, or None when CuPy is missing or finds no GPU."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() == 0:
            return None
    except Exception:  # ImportError, or CuPy without a driver/GPU (CUDARuntimeError)
        return None
    return CupyRuntime(cupy)


class CupyRuntime:
    name = "cupy"

    def __init__(self, cupy):
        self.xp = cupy
        self._peak = {}

    # ---- devices -------------------------------------------------------------------------------
    def device_count(self):
        return self.xp.cuda.runtime.getDeviceCount()

    def current_device(self):
        return self.xp.cuda.runtime.getDevice()

    def set_device(self, index):
        self.xp.cuda.Device(index).use()

    def device_scope(self, index):
        return self.xp.cuda.Device(index)

    def properties(self, index):
        return self.xp.cuda.runtime.getDeviceProperties(index)

    def synchronize(self, index):
        with self.xp.cuda.Device(index):
            self.xp.cuda.Device(index).synchronize()

    # ---- moving arrays -------------------------------------------------------------------------
    def to_gpu(self, array, index):
        if isinstance(array, self.xp.ndarray) and array.device.id == index:
            return array
        with self.xp.cuda.Device(index):
            return self.xp.asarray(array)  # host -> device, or device -> device

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def erf(self, a):
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(a)

    def scatter_add(self, out, key, value):
        import cupyx
        cupyx.scatter_add(out, key, value)

    # ---- memory (CuPy's pool keeps freed blocks for reuse, as torch's caching allocator does) -----
    def memory_allocated(self, index):
        with self.xp.cuda.Device(index):
            used = self.xp.get_default_memory_pool().used_bytes()
        self._peak[index] = max(self._peak.get(index, 0), used)
        return used

    def max_memory_allocated(self, index):
        return max(self._peak.get(index, 0), self.memory_allocated(index))

    def reset_peak_memory_stats(self, index):
        self._peak[index] = 0
        self.memory_allocated(index)

    def memory_reserved(self, index):
        with self.xp.cuda.Device(index):
            return self.xp.get_default_memory_pool().total_bytes()

    def empty_cache(self):
        self.xp.get_default_memory_pool().free_all_blocks()
        self.xp.get_default_pinned_memory_pool().free_all_blocks()

    # ---- timing and seeds ----------------------------------------------------------------------
    def event(self, enable_timing):
        return self.xp.cuda.Event(disable_timing=not enable_timing)

    def elapsed_ms(self, start, end):
        return self.xp.cuda.get_elapsed_time(start, end)

    def manual_seed(self, seed):
        self.xp.random.seed(seed)
