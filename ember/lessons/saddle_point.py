"""Lesson 7: a saddle point stops gradient descent; the noise of SGD escapes it."""
import numpy as np

import ember

ID = "saddle-point"
TITLE = "7. 鞍点 Saddle points"


def f(p):
    """f(x, y) = x^4/4 - x^2/2 + y^2/2: minima at (+-1, 0), a saddle at (0, 0)."""
    x, y = p[0], p[1]
    return x ** 4 / 4 - x ** 2 / 2 + y ** 2 / 2


def descend(start, lr=0.1, steps=200, noise=0.0, seed=0):
    """Gradient descent on f; with noise > 0 each gradient gets Gaussian noise, like SGD's sampling noise."""
    generator = ember.Generator().manual_seed(seed)
    p = ember.tensor(start, dtype=ember.float64, requires_grad=True)
    path = [p.tolist()]
    for _ in range(steps):
        f(p).backward()
        with ember.no_grad():
            step = p.grad + noise * ember.randn(2, generator=generator, dtype=ember.float64)
            p -= lr * step
        p.grad.zero_()
        path.append(p.tolist())
    return np.array(path)


def build(page):
    import matplotlib.pyplot as plt
    page.text("""
        A saddle point has zero gradient without being a minimum: downhill in one direction, uphill in another.
        f(x, y) = x^4/4 - x^2/2 + y^2/2 has two minima, at x = -1 and x = +1, and a saddle at the origin.
        Started on the ridge x = 0, gradient descent sees a gradient with no x part at all, walks straight into
        the saddle and stops there. SGD's gradients are noisy (each comes from a random sample), and the noise
        is enough to push it off the ridge.""")
    page.code(f, descend)
    gd = descend([0.0, 1.5])
    sgd = descend([0.0, 1.5], noise=0.3)
    page.table(["", "end point x", "end point y", "f at the end"],
               [["gradient descent", gd[-1, 0], gd[-1, 1], float(f(gd[-1]))],
                ["with SGD-like noise", sgd[-1, 0], sgd[-1, 1], float(f(sgd[-1]))]])
    fig, ax = plt.subplots(figsize=(7, 5))
    gx, gy = np.meshgrid(np.linspace(-1.6, 1.6, 200), np.linspace(-1.0, 1.8, 200))
    ax.contour(gx, gy, f([gx, gy]), levels=30, cmap="Greys")
    ax.plot(gd[:, 0], gd[:, 1], "o-", markersize=2, label="gradient descent: stalls at the saddle")
    ax.plot(sgd[:, 0], sgd[:, 1], ".-", markersize=2, label="noisy (SGD): escapes to a minimum")
    ax.plot([0], [0], "kx", markersize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)  # below the axes: clear of both paths
    ax.set_xlabel("x"), ax.set_ylabel("y")
    page.figure(fig, "paths", "Both start at (0, 1.5) on the ridge x = 0.")
    return {"gd_end": gd[-1].tolist(), "sgd_end": sgd[-1].tolist()}
