"""Pooling layers, Upsample, and PixelShuffle/PixelUnshuffle (resolution traded for channels)."""
from .. import functional as F
from .module import Module


class _Pool(Module):
    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return ", ".join(f"{k}={getattr(self, k)}" for k in self._shown)


class MaxPool1d(_Pool):
    """The maximum over each 1-d window."""
    _shown = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation, self.return_indices, self.ceil_mode = padding, dilation, return_indices, ceil_mode

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxPool2d(MaxPool1d):
    """The maximum over each 2-d window."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxPool3d(MaxPool1d):
    """The maximum over each 3-d window."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class MaxUnpool1d(_Pool):
    """The partial inverse of MaxPool1d: each maximum put back at the index MaxPool1d(return_indices=True) gave,
    zeros elsewhere; output_size picks among the sizes that pool to the same length."""
    _shown = ("kernel_size", "stride", "padding")
    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        as_tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * self._dims  # noqa: E731 (torch's)
        self.kernel_size = as_tuple(kernel_size)
        self.stride = as_tuple(stride if stride is not None else kernel_size)
        self.padding = as_tuple(padding)

    def forward(self, input, indices, output_size=None):
        """Apply the layer to its input (call the module itself, module(x, indices), so that hooks run)."""
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(MaxUnpool1d):
    """The partial inverse of MaxPool2d: each maximum put back at the index MaxPool2d(return_indices=True) gave,
    zeros elsewhere; output_size picks among the sizes that pool to the same size."""
    _dims = 2

    def forward(self, input, indices, output_size=None):
        """Apply the layer to its input (call the module itself, module(x, indices), so that hooks run)."""
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class AvgPool1d(_Pool):
    """The mean over each 1-d window."""
    _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class AvgPool2d(AvgPool1d):
    """The mean over each 2-d window."""
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)


class AvgPool3d(AvgPool2d):
    """The mean over each 3-d window."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)


class AdaptiveAvgPool2d(_Pool):
    """Mean pooling to a fixed output size, whatever the input size."""
    _shown = ("output_size",)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """Mean pooling of (D, H, W) to a fixed output size, whatever the input size."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    """Max pooling to a fixed output size, whatever the input size."""
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Mean pooling of the last dim to a fixed output size, whatever the input size."""

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max pooling of the last dim to a fixed output size, whatever the input size."""

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class Upsample(Module):
    """Resize images by a scale factor or to a size (nearest or bilinear)."""
    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        # as torch keeps them: factors as floats (a tuple of floats), and no factor (None or 0) as None
        self.size, self.mode = size, mode
        self.scale_factor = (tuple(float(f) for f in scale_factor) if isinstance(scale_factor, tuple) else
                             float(scale_factor) if scale_factor else None)
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        which = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{which}, mode='{self.mode}'"


class LPPool1d(Module):
    """The p-norm of each 1-d window: (sum x^p)^(1/p); p = 1 sums, p = inf is max pooling of |x|."""
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool2d(LPPool1d):
    """The p-norm of each 2-d window: (sum x^p)^(1/p); p = 1 sums, p = inf is max pooling of |x|."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class UpsamplingNearest2d(Upsample):
    """Upsample(mode='nearest') of (N, C, H, W) images: each pixel repeated (torch's older name for it)."""
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(mode='bilinear', align_corners=True) of (N, C, H, W) images (torch's older name for it)."""
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Rearrange (C * r^2, H, W) into (C, H * r, W * r)."""
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"upscale_factor={self.upscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of `groups` groups: (N, g * k, ...) read as a (g, k) grid, column by column."""
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"groups={self.groups}"


class PixelUnshuffle(Module):
    """Rearrange (C, H * r, W * r) into (C * r^2, H, W)."""
    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"downscale_factor={self.downscale_factor}"
