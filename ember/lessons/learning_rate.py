"""Lesson 4: the learning rate: too small is slow, too large diverges."""
import numpy as np

from .gradient_descent import X_DATA, gradient_descent

ID = "learning-rate"
TITLE = "4. 学习率 The learning rate"
RATES = (0.01, 0.05, 0.1, 0.2, 0.25)


def build(page):
    import matplotlib.pyplot as plt
    page.text("""
        If the cost curve converges towards 0, training converges; if it grows, training diverges, and the usual
        cause is a learning rate that is too large: the step overshoots the minimum by more than it started
        from.""")
    factor_of = lambda lr: 1 - lr * 2 * np.mean(np.square(X_DATA))  # noqa: E731
    runs = {lr: gradient_descent(w0=1.0, lr=lr, epochs=30) for lr in RATES}
    rows = [[lr, factor_of(lr), runs[lr][1][-1], "diverges" if abs(factor_of(lr)) > 1 else "converges"]
            for lr in RATES]
    page.table(["learning rate", "factor on (w - 2) per step", "cost after 30 epochs", ""], rows)
    fig, ax = plt.subplots(figsize=(7, 4))
    for lr in RATES:
        ax.plot(runs[lr][1], label=f"lr = {lr}")
    ax.set_yscale("log"), ax.set_xlabel("epoch"), ax.set_ylabel("cost"), ax.legend()
    page.figure(fig, "rates", "Cost against epoch (log scale) for five learning rates.")
    limit = 1 / np.mean(np.square(X_DATA))
    page.text(f"""
        Why: each step multiplies the distance from the minimum by 1 - alpha * 2 * mean(x^2). Below
        alpha = {limit / 2:.4f} the factor is between 0 and 1 and w slides towards 2; up to {limit:.4f} it is
        negative but smaller than 1 in size, so w jumps to the other side yet still closes in; beyond that
        (0.25 here) every jump lands farther away than the last and the cost grows without bound. The remedy is
        a smaller learning rate.""")
    return {lr: runs[lr][1] for lr in RATES}
