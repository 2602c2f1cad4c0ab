"""ember.nn: layers, losses and the Module system (PyTorch's torch.nn)."""
from . import functional, init, parallel, utils
from .modules import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, BCELoss, BCEWithLogitsLoss,
                      BatchNorm1d, BatchNorm2d, Bilinear, Conv1d, Conv2d, ConvTranspose2d, CrossEntropyLoss, Dropout,
                      Dropout2d, ELU, Embedding, Flatten, GELU, GRU, GRUCell, GroupNorm, Hardtanh, HuberLoss, Identity,
                      InstanceNorm1d, InstanceNorm2d, KLDivLoss, L1Loss, LSTM, LSTMCell, LayerNorm, LeakyReLU, Linear,
                      LogSigmoid, LogSoftmax, MSELoss, MaxPool1d, MaxPool2d, Module, ModuleDict, ModuleList,
                      MultiheadAttention, NLLLoss, PixelShuffle, PixelUnshuffle, ReLU, ReLU6, RNN, RNNCell, Sequential,
                      SiLU, Sigmoid, SmoothL1Loss, Softmax, Softplus, Tanh, TransformerEncoder, TransformerEncoderLayer,
                      Unflatten, Upsample)
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "parallel", "utils"] + list(_modules_all)
