"""ember.nn: layers, losses and the Module system (PyTorch's torch.nn)."""
from . import functional, init, utils
from .modules import (BCELoss, BCEWithLogitsLoss, BatchNorm1d, Bilinear, CrossEntropyLoss, Dropout, ELU, Embedding,
                      Flatten, GELU, Hardtanh, HuberLoss, Identity, KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear,
                      LogSigmoid, LogSoftmax, MSELoss, Module, ModuleDict, ModuleList, NLLLoss, ReLU, ReLU6,
                      Sequential, SiLU, Sigmoid, SmoothL1Loss, Softmax, Softplus, Tanh, Unflatten)
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils"] + list(_modules_all)
