"""What the GPU tests share: whether there is a GPU, and ember/torch as programs on it see them."""
import pytest
import torch

import ember

GPU = ember.cuda.is_available() and torch.cuda.is_available()
needs_gpu = pytest.mark.skipif(not GPU, reason="needs an NVIDIA GPU with CuPy and a CUDA build of PyTorch "
                                               "(run tests/cuda/run_gpu_checks.sh there)")

_FACTORIES = ("tensor", "zeros", "ones", "full", "arange", "eye", "linspace", "randn", "rand", "randint", "empty")


class OnGPU:
    """A library whose factories make CUDA tensors, as after torch.set_default_device('cuda'); with a dtype,
    the tables' float64 constants (class weights, ...) come in that dtype."""

    def __init__(self, lib, dtype=None):
        self._lib, self._dtype = lib, dtype

    def __getattr__(self, name):
        if name == "float64" and self._dtype:
            return getattr(self._lib, self._dtype)
        value = getattr(self._lib, name)
        if name in _FACTORIES:
            return lambda *args, **kwargs: value(*args, **{"device": "cuda", **kwargs})
        return value


TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=2e-4, atol=2e-5)}
