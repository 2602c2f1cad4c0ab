"""ember.utils: data loading, and checkpoint (torch.utils.checkpoint's API)."""
from . import data, checkpoint

__all__ = ["data", "checkpoint"]
