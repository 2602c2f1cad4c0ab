"""torchvision.ops.misc's building blocks that the model families share."""
from ... import nn

__all__ = ["Conv2dNormActivation"]


class Conv2dNormActivation(nn.Sequential):
    """Conv2d, then a norm layer (BatchNorm2d unless None), then an activation (ReLU unless None), as one Sequential
    named 0, 1, 2. padding defaults to "same" for odd kernels ((k - 1) // 2 * dilation); the convolution has a bias
    only when there is no norm layer, unless bias says otherwise."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                size = kernel_size if isinstance(kernel_size, (list, tuple)) else [kernel_size] * 2
                dil = dilation if isinstance(dilation, (list, tuple)) else [dilation] * len(size)
                padding = tuple((k - 1) // 2 * d for k, d in zip(size, dil))
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups,
                            bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels
