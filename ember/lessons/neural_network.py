"""Lesson 11: why neural networks need a nonlinearity: linear layers collapse; sigmoid units do not."""
import numpy as np

import ember

from .datasets import two_moons

ID = "neural-network"
TITLE = "11. 神经网络 Neural networks and the sigmoid activation"


def collapse(x):
    """Two stacked linear layers equal one linear layer with W = W2 W1 and b = W2 b1 + b2."""
    first, second = ember.nn.Linear(2, 5), ember.nn.Linear(5, 3)
    stacked = second(first(x))
    w = second.weight @ first.weight
    b = second.weight @ first.bias + second.bias
    return stacked, x @ w.T + b


def train(model, x, y, epochs=600):
    optimizer = ember.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = ember.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def build(page):
    import matplotlib.pyplot as plt
    ember.manual_seed(0)
    page.text("""
        A network's layers are linear maps. However many are stacked, weights and biases multiply out into a
        single linear map, so depth alone adds no power. What does is a nonlinear function applied to each
        layer's output, the activation, such as the sigmoid sigma(x) = 1 / (1 + e^-x).""")
    page.code(collapse)
    stacked, single = collapse(ember.randn(4, 2))
    difference = (stacked - single).abs().max().item()
    page.table(["row", "two layers", "one layer W2 W1, W2 b1 + b2"],
               [[i, np.round(stacked[i].tolist(), 4).tolist(), np.round(single[i].tolist(), 4).tolist()]
                for i in range(4)], f"largest difference {difference:.1e} (rounding)")
    page.heading("线性模型与 sigmoid 网络 Linear model against a sigmoid network")
    points, labels = two_moons(400, noise=0.15, seed=0)
    x, y = ember.tensor(points, dtype=ember.float32), ember.tensor(labels, dtype=ember.float32)
    linear = ember.nn.Linear(2, 1)
    network = ember.nn.Sequential(ember.nn.Linear(2, 16), ember.nn.Sigmoid(), ember.nn.Linear(16, 1))
    page.code(train)
    curves = {"linear": train(linear, x, y), "sigmoid network": train(network, x, y)}
    accuracy = {name: ((model(x).squeeze(1) > 0).float() == y).float().mean().item()
                for name, model in (("linear", linear), ("sigmoid network", network))}
    page.table(["model", "final loss", "training accuracy"],
               [[k, curves[k][-1], accuracy[k]] for k in curves])
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    gx, gy = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.0, 1.5, 200))
    grid = ember.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=ember.float32)
    for ax, (name, model) in zip(axes, (("linear", linear), ("sigmoid network", network))):
        with ember.no_grad():
            z = model(grid).sigmoid().numpy().reshape(gx.shape)
        ax.contourf(gx, gy, z, levels=20, cmap="PuOr", alpha=0.5)  # purple and orange: colour-blind safe
        for label, colour, marker in ((0, "#e66101", "o"), (1, "#5e3c99", "^")):  # and two marker shapes
            ax.scatter(*points[labels == label].T, c=colour, marker=marker, edgecolors="k", linewidths=0.4, s=16,
                       label=f"class {label}")
        ax.set_title(f"{name}: accuracy {accuracy[name]:.2f}"), ax.legend(loc="lower left", fontsize=8)
    for name, curve in curves.items():
        axes[2].plot(curve, label=name)
    axes[2].set_xlabel("epoch"), axes[2].set_ylabel("loss"), axes[2].legend()
    fig.tight_layout()
    page.figure(fig, "moons", "A line cannot separate the two moons; 16 sigmoid units bend the boundary.")
    return {"collapse_difference": difference, "accuracy": accuracy}
