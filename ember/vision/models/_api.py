"""The weights API of torchvision.models: each model's ``*_Weights`` enum, ``weights=`` / ``pretrained=``, and
the registry behind ``list_models``, ``get_model`` and ``get_weight``.

ember downloads nothing, so a model asked for pretrained weights is built only when torchvision's own cached
checkpoint is already on disk (``$TORCH_HOME/hub/checkpoints/<file>``, where torch.hub would have saved it):
ember.load reads it through its allowlist (no code runs) and the model loads it with ``strict=True``. Otherwise a
RuntimeError says how to load a state_dict from a local file instead."""
import enum
import functools
import os
import warnings
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights", "get_weight",
           "list_models", "register_model"]


@dataclass
class Weights:
    """One set of pretrained weights: where torchvision publishes it, the preprocessing it expects (a callable
    that makes the transform) and facts about it (num_params, min_size, ...)."""
    url: str
    transforms: Callable
    meta: dict = field(default_factory=dict)

    def __eq__(self, other):
        return isinstance(other, Weights) and self.url == other.url and self.meta == other.meta

    def __hash__(self):
        return hash(self.url)


class WeightsEnum(enum.Enum):
    """The base of every ``*_Weights`` enum: members are Weights; ``DEFAULT`` is an alias of the best member."""

    @classmethod
    def verify(cls, obj):
        """obj as a member of this enum: None, a member, or a member's name as a string ("DEFAULT" too)."""
        if obj is None:
            return None
        if isinstance(obj, str):
            try:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            except KeyError:
                raise ValueError(f"Failed to find Weights {obj!r} in {cls.__name__}. Try one of "
                                 f"{list(cls.__members__)}") from None
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                            f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        return _load_cached(self)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def _checkpoint_path(weights):
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "torch")
    return os.path.join(home, "hub", "checkpoints", os.path.basename(weights.url))


def _load_cached(weights):
    """The state_dict of weights from torch.hub's cache, or a RuntimeError saying what to do instead."""
    from ... import load
    return load(_checkpoint_required(weights), map_location="cpu", weights_only=True)


def _checkpoint_required(weights):
    """The cached checkpoint's path, or a RuntimeError saying how to load weights without a download."""
    path = _checkpoint_path(weights)
    if not os.path.isfile(path):
        raise RuntimeError(
            f"ember cannot download pretrained weights: {weights!r} is {weights.url}, and it is not in torch.hub's "
            f"cache ({path}). Build the model with weights=None and load the weights from a local file instead: "
            f"model.load_state_dict(torch.load('{os.path.basename(weights.url)}')), where the file is that "
            f"address's download or a state_dict saved by PyTorch (torch.save(model.state_dict(), path)); or put "
            f"the downloaded file at {path}, where it is found.")
    return path


def _ovewrite_named_param(kwargs, name, value):
    if name in kwargs:
        if kwargs[name] != value:
            raise ValueError(f"The parameter '{name}' expected value {value} but got {kwargs[name]} instead.")
    else:
        kwargs[name] = value


def _pretrained(weights, kwargs):
    """Before building a model for pretrained weights: ImageNet's 1000 classes, and the checkpoint on disk (so
    that a model which cannot get its weights is not built first)."""
    _ovewrite_named_param(kwargs, "num_classes", 1000)
    _checkpoint_required(weights)


def _finish(model, weights):
    """Load weights (from the cache) into a freshly built model."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=False, check_hash=True))
    return model


def handle_legacy_interface(weights_enum, default="IMAGENET1K_V1"):
    """The builders' old ``pretrained=`` argument (keyword, or first positional), with torchvision's warnings:
    pretrained=True means weights=<enum>.<default>, pretrained=False means weights=None."""
    def decorator(builder):
        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:
                pretrained, args = args[0], args[1:]
                kwargs["pretrained"] = pretrained
            if "pretrained" in kwargs:
                pretrained = kwargs.pop("pretrained")
                warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                              "please use 'weights' instead.")
                if "weights" in kwargs:
                    raise ValueError("Both 'pretrained' and 'weights' were given: pass only 'weights'.")
                if pretrained:
                    member = getattr(weights_enum, default)
                    warnings.warn(f"Arguments other than a weight enum or `None` for 'weights' are deprecated since "
                                  f"0.13 and may be removed in the future. The current behavior is equivalent to "
                                  f"passing `weights={member!r}`. You can also use "
                                  f"`weights={weights_enum.__name__}.DEFAULT` to get the most up-to-date weights.")
                    kwargs["weights"] = member
                else:
                    kwargs["weights"] = None
            return builder(*args, **kwargs)
        return inner
    return decorator


BUILTIN_MODELS = {}


def register_model(name=None):
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """The names of the registered model builders, sorted (only those of `module` when given)."""
    import fnmatch
    names = [k for k, v in BUILTIN_MODELS.items()
             if module is None or v.__module__.rsplit(".", 1)[-1] == module.__name__.rsplit(".", 1)[-1]]
    if include:
        include = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in include)]
    if exclude:
        exclude = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in exclude)]
    return sorted(names)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """A model built by name: get_model("resnet18", weights=None, num_classes=10)."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """The weights enum of a model (given by name or by its builder)."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    enum_cls = getattr(fn, "_weights_enum", None)
    if enum_cls is None:
        raise ValueError(f"The weight enum for the model builder {fn.__name__} could not be found.")
    return enum_cls


def get_weight(name):
    """A member from its full name: get_weight("ResNet50_Weights.IMAGENET1K_V2")."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    import sys
    package = sys.modules[__name__.rsplit(".", 1)[0]]
    enum_cls = getattr(package, enum_name, None)
    if enum_cls is None or not (isinstance(enum_cls, type) and issubclass(enum_cls, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return enum_cls[value_name]


def builder(weights_enum, default="IMAGENET1K_V1"):
    """Register a model builder, attach its enum and accept the legacy pretrained= argument."""
    def decorator(fn):
        wrapped = handle_legacy_interface(weights_enum, default)(fn)
        wrapped._weights_enum = weights_enum
        register_model()(wrapped)
        return wrapped
    return decorator


def _imagenet(url, num_params, min_size=(1, 1), resize_size=256, crop_size=224, **preset):
    """Weights trained on ImageNet-1K, with the ImageClassification preset they expect."""
    from ..transforms._presets import ImageClassification
    return Weights(url=url, transforms=functools.partial(ImageClassification, crop_size=crop_size,
                                                         resize_size=resize_size, **preset),
                   meta={"num_params": num_params, "min_size": min_size})
