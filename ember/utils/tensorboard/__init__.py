"""ember.utils.tensorboard: torch.utils.tensorboard's SummaryWriter, writing TensorBoard's event files by hand.

    from torch.utils.tensorboard import SummaryWriter   # under `ember run`, or: from ember.utils.tensorboard import
    with SummaryWriter("runs/exp1") as writer:
        writer.add_scalar("loss", loss, step)

then `tensorboard --logdir runs` shows them. writer.py has the API, event_file.py the bytes on disk.
"""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
