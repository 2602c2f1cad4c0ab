"""Optimizers' updates of a float16 parameter give torch's bits: each of torch's steps (mul_, add_ with alpha,
lerp_, addcmul_, addcdiv_) computes float16 in float32 and rounds once, and ember's updates round so too."""
import numpy as np
import pytest
import torch

import ember

N = 16384  # (one chunk for torch's threads, a multiple of its vector width: see tests/ops/test_half_rounding.py)

SETTINGS = {
    "SGD": lambda L, p: L.optim.SGD([p], lr=0.1),
    "SGD momentum, weight decay": lambda L, p: L.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
    "SGD dampening": lambda L, p: L.optim.SGD([p], lr=0.3, momentum=0.7, dampening=0.2),
    "SGD nesterov": lambda L, p: L.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda L, p: L.optim.Adam([p], lr=0.01),
    "Adam weight decay": lambda L, p: L.optim.Adam([p], lr=0.01, weight_decay=0.01),
    "Adam amsgrad maximize": lambda L, p: L.optim.Adam([p], lr=0.01, amsgrad=True, maximize=True),
    "AdamW": lambda L, p: L.optim.AdamW([p], lr=0.01),
    "RMSprop": lambda L, p: L.optim.RMSprop([p], lr=0.01),
    "RMSprop centered, momentum": lambda L, p: L.optim.RMSprop([p], lr=0.01, momentum=0.9, centered=True),
    "Adagrad": lambda L, p: L.optim.Adagrad([p], lr=0.01, weight_decay=0.1, lr_decay=0.01),
}


def trajectory(lib, make):
    rng = np.random.default_rng(0)
    p = lib.tensor(rng.normal(size=N).astype(np.float16), requires_grad=True)
    optimizer = make(lib, p)
    values = []
    for _ in range(4):
        p.grad = lib.tensor((rng.normal(size=N) * 10.0 ** rng.integers(-3, 1, N)).astype(np.float16))
        optimizer.step()
        values.append(p.detach().numpy().copy())
    return values


@pytest.mark.parametrize("setting", SETTINGS)
def test_float16_parameter_steps_as_torch(setting):
    for step, (mine, theirs) in enumerate(zip(trajectory(ember, SETTINGS[setting]),
                                              trajectory(torch, SETTINGS[setting])), 1):
        assert mine.dtype == np.float16
        differ = mine.view(np.uint16) != theirs.view(np.uint16)
        assert not differ.any(), f"step {step}: {differ.sum()} of {N} values differ from torch's"
