"""Padding layers: each is F.pad with its widths (and mode, and fill value) kept on the module.

The widths are stored as torch stores them: one int n becomes (n, n) per padded dim, a tuple is kept as given."""
from .. import functional as F
from .module import Module


def _widths(padding, count):
    if isinstance(padding, int):
        return (padding,) * count
    return tuple(padding)  # (as torch: a tuple of the wrong length is refused by F.pad, at the call)


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, 2 * self._dims)

    def _check_input_dim(self, input):
        pass

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        self._check_input_dim(input)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant: (left, right)."""
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant: (left, right, top, bottom)."""
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant: (left, right, top, bottom, front, back)."""
    _dims = 3


class _Zero:
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"{self.padding}"


class ZeroPad1d(_Zero, ConstantPad1d):
    """Pad the last dim with zeros: (left, right)."""


class ZeroPad2d(_Zero, ConstantPad2d):
    """Pad the last two dims with zeros: (left, right, top, bottom)."""


class ZeroPad3d(_Zero, ConstantPad3d):
    """Pad the last three dims with zeros: (left, right, top, bottom, front, back)."""


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image (the edge not repeated)."""
    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims with their mirror image (the edge not repeated)."""
    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pad the last three dims with their mirror image (the edge not repeated)."""
    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""
    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating their edge values."""
    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating their edge values."""
    _dims, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def _check_input_dim(self, input):
        if input.dim() not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got {input.dim()}D input)")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around (the other end's values)."""
    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around (the other end's values)."""
    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around (the other end's values)."""
    _dims = 3
