"""ResNet (He et al., "Deep Residual Learning for Image Recognition"), ResNeXt and Wide ResNet, with
torchvision's module names, so its state_dicts load and its seeded initialisation is reproduced.

The stem (7x7 conv, BN, ReLU, 3x3 max-pool) halves the size twice; four stages (layer1..layer4) of residual
blocks follow, each stage but the first halving the size again (or dilating instead, replace_stride_with_dilation);
then global average pooling and one Linear. A block's shortcut is the identity, or a 1x1 conv + norm
(``downsample``) when the shape changes. After every layer exists (each drew its default init in construction
order), convolutions are redrawn with kaiming_normal_(fan_out, relu) and norms set to weight 1, bias 0, in
modules() order; the Linear keeps its default init."""
from ... import flatten, nn
from ._api import WeightsEnum, _finish, _imagenet, _ovewrite_named_param, _pretrained, builder

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
           "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
           "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution keeping the size (padding = dilation), without bias (a norm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions (ResNet-18/34); the first may stride."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)  # the shortcut, after the branch as torchvision
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 (narrow to `width`), 3x3 (strided, grouped, dilated), 1x1 (widen to planes * 4): ResNet-50 and up.
    The stride sits on the 3x3 convolution (ResNet v1.5)."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        self._norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, got "
                             f"{replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            # each residual branch starts as zero, so every block starts as the identity
            for m in self.modules():
                last_bn = m.bn3 if isinstance(m, Bottleneck) else m.bn2 if isinstance(m, BasicBlock) else None
                if last_bn is not None and last_bn.weight is not None:
                    nn.init.constant_(last_bn.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(flatten(self.avgpool(x), 1))

    def forward(self, x):
        return self._forward_impl(x)


def _resnet(block, layers, weights, progress, **kwargs):
    if weights is not None:
        _pretrained(weights, kwargs)
    return _finish(ResNet(block, layers, **kwargs), weights)


_URL = "https://download.pytorch.org/models/"


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnet18-f37072fd.pth", 11689512)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnet34-b627a593.pth", 21797672)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnet50-0676ba61.pth", 25557032)
    IMAGENET1K_V2 = _imagenet(_URL + "resnet50-11ad3fa6.pth", 25557032, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnet101-63fe2227.pth", 44549160)
    IMAGENET1K_V2 = _imagenet(_URL + "resnet101-cd907fc2.pth", 44549160, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnet152-394f9c45.pth", 60192808)
    IMAGENET1K_V2 = _imagenet(_URL + "resnet152-f82ba261.pth", 60192808, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnext50_32x4d-7cdf4587.pth", 25028904)
    IMAGENET1K_V2 = _imagenet(_URL + "resnext50_32x4d-1a0047aa.pth", 25028904, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnext101_32x8d-8ba56ff5.pth", 88791336)
    IMAGENET1K_V2 = _imagenet(_URL + "resnext101_32x8d-110c445d.pth", 88791336, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "resnext101_64x4d-173b62eb.pth", 83455272, resize_size=232)
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "wide_resnet50_2-95faca4d.pth", 68883240)
    IMAGENET1K_V2 = _imagenet(_URL + "wide_resnet50_2-9ba9bcbe.pth", 68883240, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(_URL + "wide_resnet101_2-32ee1156.pth", 126886696)
    IMAGENET1K_V2 = _imagenet(_URL + "wide_resnet101_2-d733dc28.pth", 126886696, resize_size=232)
    DEFAULT = IMAGENET1K_V2


def _build(name, enum_cls, block, layers, **fixed):
    """A builder resnet*(*, weights=None, progress=True, **kwargs) (pretrained= accepted, with its warning)."""
    def fn(*, weights=None, progress=True, **kwargs):
        weights = enum_cls.verify(weights)
        for key, value in fixed.items():
            _ovewrite_named_param(kwargs, key, value)
        return _resnet(block, layers, weights, progress, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = (f"{name}: ResNet with {block.__name__} blocks {layers}"
                  + (f", {fixed}" if fixed else "") + f". weights: a {enum_cls.__name__} or None.")
    return builder(enum_cls)(fn)


resnet18 = _build("resnet18", ResNet18_Weights, BasicBlock, [2, 2, 2, 2])
resnet34 = _build("resnet34", ResNet34_Weights, BasicBlock, [3, 4, 6, 3])
resnet50 = _build("resnet50", ResNet50_Weights, Bottleneck, [3, 4, 6, 3])
resnet101 = _build("resnet101", ResNet101_Weights, Bottleneck, [3, 4, 23, 3])
resnet152 = _build("resnet152", ResNet152_Weights, Bottleneck, [3, 8, 36, 3])
resnext50_32x4d = _build("resnext50_32x4d", ResNeXt50_32X4D_Weights, Bottleneck, [3, 4, 6, 3], groups=32,
                         width_per_group=4)
resnext101_32x8d = _build("resnext101_32x8d", ResNeXt101_32X8D_Weights, Bottleneck, [3, 4, 23, 3], groups=32,
                          width_per_group=8)
resnext101_64x4d = _build("resnext101_64x4d", ResNeXt101_64X4D_Weights, Bottleneck, [3, 4, 23, 3], groups=64,
                          width_per_group=4)
wide_resnet50_2 = _build("wide_resnet50_2", Wide_ResNet50_2_Weights, Bottleneck, [3, 4, 6, 3],
                         width_per_group=128)
wide_resnet101_2 = _build("wide_resnet101_2", Wide_ResNet101_2_Weights, Bottleneck, [3, 4, 23, 3],
                          width_per_group=128)
