"""torchvision.models: the classic image classifiers, built as torchvision builds them (same module names,
state_dict keys and seeded initialisation), one family per file, and the weights API (``*_Weights`` enums,
``weights=`` / ``pretrained=``, list_models / get_model / get_weight; see _api.py for what pretrained weights
mean without a download)."""
from ._api import (Weights, WeightsEnum, get_model, get_model_builder, get_model_weights, get_weight,  # noqa: F401
                   list_models)
from .resnet import *  # noqa: F401,F403
from .alexnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .googlenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
