"""Layer outputs have torch's strides, and the course CNN flattens its conv output with view()."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("layer", [
    lambda nn: nn.Conv2d(3, 4, 3, padding=1),
    lambda nn: nn.Conv1d(3, 2, 2),
    lambda nn: nn.ConvTranspose2d(3, 2, 2, stride=2),
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.AvgPool2d(2),
    lambda nn: nn.AdaptiveAvgPool2d(1),
    lambda nn: nn.BatchNorm2d(3),
    lambda nn: nn.Upsample(scale_factor=2),
])
def test_layer_outputs_have_torch_strides(layer):
    x = np.random.default_rng(1).normal(size=(2, 3, 4, 4)).astype(np.float32)
    outs = []
    for lib in (ember, torch):
        module = layer(lib.nn)
        data = lib.tensor(x if "1d" not in type(module).__name__ else x[:, :, 0])
        outs.append(module(data))
    got, want = outs
    assert got.stride() == want.stride() and got.is_contiguous() == want.is_contiguous()


def test_the_course_cnn_flattens_with_view():
    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = ember.nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = ember.nn.Conv2d(10, 20, kernel_size=5)
            self.pooling = ember.nn.MaxPool2d(2)
            self.fc = ember.nn.Linear(320, 10)

        def forward(self, x):
            batch_size = x.size(0)
            x = ember.nn.functional.relu(self.pooling(self.conv1(x)))
            x = ember.nn.functional.relu(self.pooling(self.conv2(x)))
            x = x.view(batch_size, -1)
            return self.fc(x)

    assert Net()(ember.zeros(2, 1, 28, 28)).shape == (2, 10)
