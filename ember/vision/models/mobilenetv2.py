"""MobileNetV2 (Sandler et al., "Inverted Residuals and Linear Bottlenecks"): a strided 3x3 stem, seven stages of
inverted residual blocks (1x1 expansion by t, 3x3 depthwise, 1x1 linear projection; a shortcut when the shape
stays), a 1x1 convolution to 1280 channels, global average pooling, dropout and a Linear. Channel counts are
scaled by width_mult and rounded to multiples of round_nearest. Initialisation: convolutions
kaiming_normal_(fan_out) with zero bias, norms 1 and 0, the Linear normal(0, 0.01) with zero bias."""
from ... import flatten, nn
from ...nn import functional as F
from ..ops.misc import Conv2dNormActivation
from ._api import WeightsEnum, _finish, _imagenet, _pretrained, builder

__all__ = ["MobileNetV2", "MobileNet_V2_Weights", "mobilenet_v2"]


def _make_divisible(v, divisor, min_value=None):
    """v rounded to the nearest multiple of divisor (at least min_value), never more than 10% below v."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        self.stride = stride
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),  # depthwise
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),  # linear projection: no activation
            norm_layer(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8,
                 block=None, norm_layer=None, dropout=0.2):
        super().__init__()
        block = InvertedResidual if block is None else block
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        input_channel, last_channel = 32, 1280
        if inverted_residual_setting is None:
            # t: expansion, c: output channels, n: blocks, s: stride of the first block
            inverted_residual_setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                                         [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element list, got "
                             f"{inverted_residual_setting}")
        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(flatten(x, 1))

    def forward(self, x):
        return self._forward_impl(x)


_URL = "https://download.pytorch.org/models/"


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "mobilenet_v2-b0353104.pth", 3504872)
    IMAGENET1K_V2 = _imagenet(_URL + "mobilenet_v2-7ebf99e0.pth", 3504872, resize_size=232)
    DEFAULT = IMAGENET1K_V2


@builder(MobileNet_V2_Weights)
def mobilenet_v2(*, weights=None, progress=True, **kwargs):
    """MobileNetV2; weights: a MobileNet_V2_Weights or None."""
    weights = MobileNet_V2_Weights.verify(weights)
    if weights is not None:
        _pretrained(weights, kwargs)
    return _finish(MobileNetV2(**kwargs), weights)
