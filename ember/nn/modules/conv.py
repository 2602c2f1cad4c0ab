"""Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d and their lazy forms: PyTorch's layers, initialisation
and printing."""
import math

from ... import creation
from .. import functional as F, init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, output_padding=0):
        super().__init__()
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got "
                             f"padding_mode={padding_mode!r}")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of ['valid', 'same']")
            if padding == "same" and any(s != 1 for s in _tuple(stride, self._dims)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        n = self._dims
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _tuple(kernel_size, n), _tuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n)
        self.dilation, self.output_padding = _tuple(dilation, n), _tuple(output_padding, n)
        self.padding_mode = padding_mode
        # what a mode other than 'zeros' hands F.pad (torch's name and layout: (left, right) from the last dim
        # backwards); 'same' puts the extra pixel of an even kernel on the right, as F.conv2d does
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * n
            if self.padding == "same":
                for i, (d, k) in enumerate(zip(reversed(self.dilation), reversed(self.kernel_size))):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i:2 * i + 2] = [total // 2, total - total // 2]
        else:
            self._reversed_padding_repeated_twice = tuple(p for p in reversed(self.padding) for _ in range(2))
        shape = (in_channels, out_channels // groups) if self._transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(creation.empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def reset_parameters(self):
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)) for the kernel, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for bias
        """Initialise the parameters again, as the constructor did."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"  # (torch's str.format: padding=same, no quotes)
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_input(self, input, name):
        """The input checked, and padded here for a mode other than 'zeros' (the convolution then pads nothing),
        as torch's layers do: F.pad's errors come first."""
        if self.padding_mode == "zeros":
            self._check_input(input, name)
            return input, self.padding
        padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
        self._check_input(padded, name)
        return padded, 0

    def _check_dims(self, input, name):
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise RuntimeError(f"Expected {self._dims + 1}D (unbatched) or {self._dims + 2}D (batched) input to {name}, "
                               f"but got input of size: {input.shape}")

    def _check_input(self, input, name):
        self._check_dims(input, name)
        channels = input.shape[-self._dims - 1]
        if channels != self.in_channels:
            raise RuntimeError(f"{type(self).__name__}({self.in_channels}, {self.out_channels}) expects "
                               f"{self.in_channels} input channels, but got input of size {list(input.shape)} "
                               f"with {channels} channels")


class Conv1d(_ConvNd):
    """1-d convolution over (batch, channels, length) inputs, learnable filters and bias."""
    _dims = 1

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        input, padding = self._conv_input(input, "conv1d")
        return F.conv1d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-d convolution over (batch, channels, height, width) inputs, learnable filters and bias."""
    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        input, padding = self._conv_input(input, "conv2d")
        return F.conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv3d(_ConvNd):
    """3-d convolution over (batch, channels, depth, height, width) volumes, learnable filters and bias."""
    _dims = 3

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        input, padding = self._conv_input(input, "conv3d")
        return F.conv3d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":  # (torch's check, before any other)
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype, output_padding)
        if device is not None:  # made on the CPU (the draws a CPU model gets), then moved
            self.to(device)

    def _output_padding(self, input, output_size):
        """The output_padding that gives the asked-for output_size (its spatial sizes, or the whole shape), in the
        range one input size reaches: torch's ValueErrors outside it."""
        if output_size is None:
            return self.output_padding
        n, output_size = self._dims, list(output_size)
        leading = 2 if input.ndim == n + 2 else 1
        if len(output_size) == leading + n:
            output_size = output_size[leading:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                             f"{leading + n} elements (got {len(output_size)})")
        smallest = [(s - 1) * st - 2 * p + d * (k - 1) + 1 for s, st, p, d, k in
                    zip(input.shape[-n:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [m + st - 1 for m, st in zip(smallest, self.stride)]
        if any(not m <= t <= x for t, m, x in zip(output_size, smallest, largest)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {smallest} to "
                             f"{largest} (for an input of {type(input.shape)(input.shape[-n:])})")
        return tuple(t - m for t, m in zip(output_size, smallest))


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (batch, channels, length) inputs: a 2-d one on a height-1 map."""
    _dims = 1

    def forward(self, input, output_size=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        self._check_input(input, "conv_transpose1d")
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution (upsampling by the gradient of a convolution)."""

    def forward(self, input, output_size=None):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        self._check_input(input, "conv_transpose2d")
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups, self.dilation)


class _LazyConvMixin(LazyModuleMixin):
    """What the lazy convolutions share: in_channels read from the first input's channel dim (dim 1, or dim 0 of
    an unbatched input), then the weight and bias shaped and initialised as the eager layer's."""

    def _make_lazy(self, out_channels, bias, device, dtype):
        # (the eager constructor ran with 0 channels and no bias: nothing drawn, the weight empty)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        """Initialise the parameters as the eager layer does, once they have shapes."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        """Shape the parameters for input's channels and initialise them (torch's lazy convolution hook)."""
        if self.has_uninitialized_params():
            self.in_channels = self._in_channels_of(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self._transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        elif self.in_channels == 0:  # (loaded from a state_dict first: torch keeps 0 here, and ember's layer checks
            # the input's channels against in_channels, so take them from the loaded weight)
            self.in_channels = self.weight.shape[0] if self._transposed else self.weight.shape[1] * self.groups

    def _in_channels_of(self, input):
        self._check_dims(input, type(self).__name__)
        return input.shape[1] if input.ndim == self._dims + 2 else input.shape[0]


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A Conv1d whose in_channels is read from its first input (then it becomes a Conv1d)."""
    cls_to_become = Conv1d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._make_lazy(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A Conv2d whose in_channels is read from its first input (then it becomes a Conv2d)."""
    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._make_lazy(out_channels, bias, device, dtype)


class LazyConv3d(_LazyConvMixin, Conv3d):
    """A Conv3d whose in_channels is read from its first input (then it becomes a Conv3d)."""
    cls_to_become = Conv3d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._make_lazy(out_channels, bias, device, dtype)


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """A ConvTranspose1d whose in_channels is read from its first input (then it becomes a ConvTranspose1d)."""
    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._make_lazy(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A ConvTranspose2d whose in_channels is read from its first input (then it becomes a ConvTranspose2d)."""
    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._make_lazy(out_channels, bias, device, dtype)
