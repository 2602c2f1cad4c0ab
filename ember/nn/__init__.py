"""ember.nn: layers, losses and the Module system (PyTorch's torch.nn)."""
from . import functional, init, parallel, utils
from .modules import (AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, AvgPool3d,
                      BCELoss, BCEWithLogitsLoss,
                      BatchNorm1d, BatchNorm2d, BatchNorm3d, Bilinear, CELU, Conv1d, Conv2d, Conv3d,
                      ConvTranspose1d, ConvTranspose2d, CrossEntropyLoss,
                      AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, ELU, FeatureAlphaDropout, Embedding, Flatten, GELU, GLU, GRU, GRUCell, GroupNorm, Hardshrink,
                      Hardsigmoid, Hardswish, Hardtanh, HuberLoss, Identity, InstanceNorm1d, InstanceNorm2d,
                      InstanceNorm3d, KLDivLoss,
                      L1Loss, LSTM, LSTMCell, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax, MSELoss, MaxPool1d,
                      MaxPool2d, MaxPool3d, Mish, Module, ModuleDict, ModuleList, MultiheadAttention, NLLLoss, PReLU,
                      PixelShuffle,
                      PixelUnshuffle, RReLU, ReLU, ReLU6, RNN, RNNCell, SELU, Sequential, SiLU, Sigmoid, SmoothL1Loss,
                      Softmax, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold, Transformer,
                      TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
                      Unflatten, Upsample)
from .modules import (AdaptiveAvgPool1d, AdaptiveMaxPool1d, ChannelShuffle, CircularPad1d, CircularPad2d, CircularPad3d,
                      ConstantPad1d, ConstantPad2d, ConstantPad3d, CosineEmbeddingLoss, CosineSimilarity, EmbeddingBag, Fold,
                      GaussianNLLLoss, HingeEmbeddingLoss, LazyLinear, LocalResponseNorm, LPPool1d, LPPool2d, MarginRankingLoss,
                      MaxUnpool1d, MaxUnpool2d,
                      MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, PairwiseDistance, ParameterDict,
                      ParameterList, PoissonNLLLoss, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
                      ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, RMSNorm, SoftMarginLoss, Softmax2d, Softmin,
                      TripletMarginLoss, TripletMarginWithDistanceLoss, Unfold, UpsamplingBilinear2d,
                      UpsamplingNearest2d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .modules import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
                      LazyConvTranspose1d, LazyConvTranspose2d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                      LazyInstanceNorm3d)
from .modules import __all__ as _modules_all
from .parallel import DataParallel
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer", "DataParallel", "functional", "init",
           "parallel", "utils"] + list(_modules_all)

from .modules.rnn import RNNBase, RNNCellBase  # noqa: E402 (what isinstance(m, nn.RNNBase) checks: RNN, LSTM, GRU)

__all__ += ["RNNBase", "RNNCellBase"]
