"""The two small data sets the lessons use, made or read without importing scikit-learn (whose import alone
costs more CPU than most lessons): the 8x8 digits from the file scikit-learn ships, and two interleaved moons."""
import gzip
import importlib.util
import os

import numpy as np


def digits():
    """(images (1797, 8, 8) as 0..16, labels (1797,)): scikit-learn's copy of the UCI handwritten digits."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the digits lesson reads the digits that scikit-learn ships: "
                                  "pip install scikit-learn")
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


def two_moons(n, noise, seed):
    """n points on two interleaved half circles with Gaussian noise, and their labels 0/1 (as make_moons)."""
    rng = np.random.default_rng(seed)
    outer, inner = np.linspace(0, np.pi, n - n // 2), np.linspace(0, np.pi, n // 2)
    points = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                             np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], 1)])
    labels = np.concatenate([np.zeros(len(outer)), np.ones(len(inner))]).astype(np.int64)
    return points + rng.normal(0, noise, points.shape), labels
