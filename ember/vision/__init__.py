"""ember.vision: the parts of torchvision a course uses, on ember and Pillow.

``import ember.vision as torchvision`` (or ``ember run``, which serves it for ``import torchvision``):
``datasets`` (MNIST, FashionMNIST, CIFAR10 from its binary files, ImageFolder), ``transforms`` (Compose, ToTensor,
Normalize, Resize, CenterCrop, RandomCrop, RandomHorizontalFlip, Lambda), ``utils`` (make_grid, save_image),
``models`` (ResNet, VGG, AlexNet, SqueezeNet, MobileNetV2, DenseNet, GoogLeNet, Inception v3: torchvision's module trees and seeded
initialisation) and ``ops`` (Conv2dNormActivation).
"""
from . import datasets, models, ops, transforms, utils

__version__ = "0.1.0"
__all__ = ["datasets", "models", "ops", "transforms", "utils"]
