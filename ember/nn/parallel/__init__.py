"""ember.nn.parallel: DistributedDataParallel (PyTorch's torch.nn.parallel), over ember.distributed."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
