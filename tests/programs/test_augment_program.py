"""A CIFAR-style program with torchvision's data augmentation, under ember run and under PyTorch + torchvision."""
import importlib.util

import pytest


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is None, reason="torchvision is not installed")
def test_cifar_augmentation_program(programs):
    # the augmented batches are torchvision's exactly; the losses are float32 sums in another order
    lines = programs.check("cifar_augment.py", twin="torchvision_pypi_twin.py", rtol=1e-5, atol=1e-6)
    assert len(lines) == 5 and lines[-1].startswith("next random number")
