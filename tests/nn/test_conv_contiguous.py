"""Convolution and pooling results are contiguous, as PyTorch's: the CNN lectures flatten them with x.view(n, -1)."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("bias", [True, False])
def test_conv_pool_relu_then_view_as_torch(bias):
    x = np.random.default_rng(0).normal(size=(3, 2, 12, 12)).astype(np.float32)
    outs = []
    for lib in (ember, torch):
        conv = lib.nn.Conv2d(2, 4, 3, bias=bias)
        with lib.no_grad():
            conv.weight.copy_(lib.tensor(np.linspace(-1, 1, 72, dtype=np.float32).reshape(4, 2, 3, 3)))
            if bias:
                conv.bias.copy_(lib.tensor([0.5, -0.25, 0.0, 1.0]))
        y = conv(lib.tensor(x))
        assert y.is_contiguous()
        z = lib.nn.functional.relu(lib.nn.MaxPool2d(2)(y))
        assert z.is_contiguous()
        outs.append(z.view(3, -1).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
