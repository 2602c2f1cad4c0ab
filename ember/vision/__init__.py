"""ember.vision: the parts of torchvision a course uses, on ember and Pillow.

``import ember.vision as torchvision`` (or ``ember run``, which serves it for ``import torchvision``):
``datasets`` (MNIST, FashionMNIST, CIFAR10 from its binary files, ImageFolder), ``transforms`` (Compose, ToTensor,
Normalize, Resize, CenterCrop, RandomCrop, RandomHorizontalFlip, Lambda) and ``utils`` (make_grid, save_image).
"""
from . import datasets, transforms, utils

__version__ = "0.1.0"
__all__ = ["datasets", "transforms", "utils"]
