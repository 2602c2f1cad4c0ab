"""VGG (Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"):
configurations A, B, D, E (11, 13, 16, 19 weight layers) of 3x3 convolutions and 2x2 max-pools, with or without
batch norm, then a 7x7 adaptive average pool and three Linear layers with dropout. Initialisation, after every
layer exists: convolutions kaiming_normal_(fan_out, relu) with zero bias, norms 1 and 0, Linears normal(0, 0.01)
with zero bias."""
from ... import flatten, nn
from ._api import WeightsEnum, _finish, _imagenet, _pretrained, builder

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
           "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


def make_layers(cfg, batch_norm=False):
    """The feature extractor: an int is a 3x3 conv (padding 1) to that many channels [+ BN] + ReLU, "M" a 2x2
    max-pool."""
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}

_URL = "https://download.pytorch.org/models/"


def _w(file, num_params, **preset):
    return _imagenet(_URL + file, num_params, min_size=(32, 32), **preset)


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg11-8a719046.pth", 132863336)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg11_bn-6002323d.pth", 132868840)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg13-19584684.pth", 133047848)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg13_bn-abd245e5.pth", 133053736)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg16-397923af.pth", 138357544)
    # features only (the classifier's weights are NaN): ported from another framework, on 0..255 pixels
    IMAGENET1K_FEATURES = _w("vgg16_features-amdegroot-88682ab5.pth", 138357544, mean=(0.48235, 0.45882, 0.40784),
                             std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0))
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg16_bn-6c64b313.pth", 138365992)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg19-dcbb9e9d.pth", 143667240)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("vgg19_bn-c79401a0.pth", 143678248)
    DEFAULT = IMAGENET1K_V1


def _build(name, enum_cls, cfg, batch_norm):
    def fn(*, weights=None, progress=True, **kwargs):
        weights = enum_cls.verify(weights)
        if weights is not None:
            kwargs["init_weights"] = False
            _pretrained(weights, kwargs)
        return _finish(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), weights)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = f"{name}: VGG configuration {cfg}{' with batch norm' if batch_norm else ''}."
    return builder(enum_cls)(fn)


vgg11 = _build("vgg11", VGG11_Weights, "A", False)
vgg11_bn = _build("vgg11_bn", VGG11_BN_Weights, "A", True)
vgg13 = _build("vgg13", VGG13_Weights, "B", False)
vgg13_bn = _build("vgg13_bn", VGG13_BN_Weights, "B", True)
vgg16 = _build("vgg16", VGG16_Weights, "D", False)
vgg16_bn = _build("vgg16_bn", VGG16_BN_Weights, "D", True)
vgg19 = _build("vgg19", VGG19_Weights, "E", False)
vgg19_bn = _build("vgg19_bn", VGG19_BN_Weights, "E", True)
