"""Dropout: active in train(), the identity in eval()."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1 / (1 - p)."""
    _function = staticmethod(F.dropout)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        return self._function(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Drops whole channels of (N, C, L) input: each (n, c) sequence is kept or zeroed together."""
    _function = staticmethod(F.dropout1d)


class Dropout2d(Dropout):
    """Drops whole channels: each (n, c) feature map is kept or zeroed together."""
    _function = staticmethod(F.dropout2d)


class Dropout3d(Dropout):
    """Drops whole channels of (N, C, D, H, W) input: each (n, c) volume is kept or zeroed together."""
    _function = staticmethod(F.dropout3d)


class AlphaDropout(Dropout):
    """Dropout for SELU networks: keeps the input's mean and variance (dropped elements become SELU's floor).
    As torch's, it never works in place (inplace=True is accepted and ignored)."""
    _function = staticmethod(lambda input, p, training, inplace: F.alpha_dropout(input, p, training))


class FeatureAlphaDropout(Dropout):
    """AlphaDropout of whole channels (never in place either)."""
    _function = staticmethod(lambda input, p, training, inplace: F.feature_alpha_dropout(input, p, training))
