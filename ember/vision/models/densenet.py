"""DenseNet (Huang et al., "Densely Connected Convolutional Networks"): dense blocks in which every layer
(BN-ReLU-1x1 conv to bn_size * growth_rate, BN-ReLU-3x3 conv to growth_rate) sees the concatenation of all
earlier outputs, transitions (BN-ReLU-1x1 conv halving the channels, 2x2 average pool) between blocks, a final
BN, ReLU, global average pooling and a Linear. Initialisation: convolutions kaiming_normal_ (fan_in), norms 1 and
0, the Linear's bias 0 (its weight keeps the default init). memory_efficient (torchvision's recomputation to save
memory) is accepted and changes nothing here: the result is the same."""
from collections import OrderedDict

from ... import cat, flatten, nn
from ...nn import functional as F
from ._api import WeightsEnum, _imagenet, _pretrained, builder

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights", "DenseNet201_Weights",
           "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs):
        return self.conv1(self.relu1(self.norm1(cat(inputs, 1))))

    def forward(self, input):
        prev_features = input if isinstance(input, (list, tuple)) else [input]
        new_features = self.conv2(self.relu2(self.norm2(self.bn_function(prev_features))))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    _version = 2

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(num_input_features + i * growth_rate, growth_rate,
                                                              bn_size, drop_rate, memory_efficient))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
                 num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, num_features, bn_size, growth_rate,
                                                                       drop_rate, memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        return self.classifier(flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1))


_URL = "https://download.pytorch.org/models/"


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "densenet121-a639ec97.pth", 7978856, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "densenet161-8d451a50.pth", 28681000, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "densenet169-b2777c0a.pth", 14149480, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "densenet201-c1103571.pth", 20013928, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


def _build(name, enum_cls, growth_rate, block_config, num_init_features):
    def fn(*, weights=None, progress=True, **kwargs):
        weights = enum_cls.verify(weights)
        if weights is not None:
            _pretrained(weights, kwargs)
        model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
        if weights is not None:
            model.load_state_dict(_renamed(weights.get_state_dict()))
        return model
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = f"{name}: DenseNet, growth rate {growth_rate}, blocks {block_config}."
    return builder(enum_cls)(fn)


def _renamed(state_dict):
    """torchvision's DenseNet checkpoints predate its module names: a dense layer's 'norm.1.weight' there is
    'norm1.weight' here (likewise conv.2, relu.1, ...)."""
    out = OrderedDict()
    for key, value in state_dict.items():
        parts = key.split(".")
        for i in range(1, len(parts) - 2):
            if (parts[i - 1].startswith("denselayer") and parts[i] in ("norm", "relu", "conv")
                    and parts[i + 1] in ("1", "2")):
                parts[i:i + 2] = [parts[i] + parts[i + 1]]
                break
        out[".".join(parts)] = value
    return out


densenet121 = _build("densenet121", DenseNet121_Weights, 32, (6, 12, 24, 16), 64)
densenet161 = _build("densenet161", DenseNet161_Weights, 48, (6, 12, 36, 24), 96)
densenet169 = _build("densenet169", DenseNet169_Weights, 32, (6, 12, 32, 32), 64)
densenet201 = _build("densenet201", DenseNet201_Weights, 32, (6, 12, 48, 32), 64)
