"""ember.nn.parallel: DistributedDataParallel (PyTorch's torch.nn.parallel), over ember.distributed, and
DataParallel (one process; without a GPU it just calls the module, as torch's)."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
