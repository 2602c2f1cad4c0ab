"""Dropout: active in train(), the identity in eval()."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1 / (1 - p)."""
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Drops whole channels: each (n, c) feature map is kept or zeroed together."""

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return F.dropout2d(input, self.p, self.training, self.inplace)
