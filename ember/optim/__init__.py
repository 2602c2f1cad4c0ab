"""ember.optim: optimizers and learning-rate schedules (PyTorch's torch.optim)."""
from . import lr_scheduler
from .adagrad import Adagrad
from .asgd import ASGD
from .adam import Adam, AdamW
from .adam_variants import Adadelta, Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax", "Adadelta", "Rprop",
           "ASGD", "LBFGS", "SparseAdam", "lr_scheduler"]
