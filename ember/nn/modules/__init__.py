"""The layers."""
from .activation import (CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
                         LogSoftmax, Mish, MultiheadAttention, PReLU, ReLU, ReLU6, RReLU, SELU, SiLU, Sigmoid, Softmax,
                         Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .pooling import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
                      PixelShuffle, PixelUnshuffle, Upsample)
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell
from .sparse import Embedding

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "Identity", "Linear", "Bilinear", "Flatten",
           "Unflatten", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm",
           "InstanceNorm1d", "InstanceNorm2d", "PixelShuffle", "PixelUnshuffle", "Embedding",
           "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM",
           "GRU", "ReLU", "ReLU6", "Sigmoid", "Tanh",
           "LeakyReLU", "ELU", "GELU", "SiLU", "Softplus", "Hardtanh", "LogSigmoid", "Softmax", "LogSoftmax",
           "SELU", "CELU", "Mish", "Hardswish", "Hardsigmoid", "Softsign", "Tanhshrink", "Softshrink", "Hardshrink",
           "Threshold", "GLU", "PReLU", "RReLU",
           "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
           "Transformer", "TransformerDecoderLayer", "TransformerDecoder",
           "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
           "CrossEntropyLoss", "KLDivLoss"]
