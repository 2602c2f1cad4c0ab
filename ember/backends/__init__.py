"""ember.backends: torch.backends' switches, so programs that set them run unchanged.

ember has no cuDNN and no Apple GPU: the cudnn flags are kept (and read by
nobody: ember's convolutions are deterministic matrix products on every
device), and ``mps.is_available()`` is False.
"""
from . import cuda, cudnn, mps  # noqa: F401

__all__ = ["cuda", "cudnn", "mps"]
