"""The image lectures' data, made here so the programs need no download: ten random stroke templates, and each
28x28 image one of them (its label) shifted by a pixel or two, dimmed and noised: learnable, and the same for both
libraries."""
import numpy as np


def images(count, seed=0):
    rng = np.random.default_rng(seed)
    templates = (np.random.default_rng(99).random((10, 28, 28)) > 0.85).astype(np.float32)
    y = rng.integers(0, 10, count)
    x = np.empty((count, 1, 28, 28), np.float32)
    for i, label in enumerate(y):
        shifted = np.roll(templates[label], tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
        x[i, 0] = shifted * rng.uniform(0.5, 1.0) + rng.normal(0, 0.3, (28, 28))
    return (x - 0.1307) / 0.3081, y.astype(np.int64)
