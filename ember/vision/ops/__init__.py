"""torchvision.ops: the layers the model families are built from (misc.Conv2dNormActivation)."""
from . import misc
from .misc import Conv2dNormActivation

__all__ = ["misc", "Conv2dNormActivation"]
