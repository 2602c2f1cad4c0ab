"""Lesson 5: stochastic gradient descent: one sample per update."""
import ember

from .gradient_descent import X_DATA, Y_DATA, gradient_descent

ID = "stochastic-gradient-descent"
TITLE = "5. 随机梯度下降 Stochastic gradient descent"


def sgd(w0=1.0, lr=0.01, epochs=100):
    """One update per sample, with the gradient of that sample's loss alone (the notes' procedure)."""
    w = ember.tensor(w0, dtype=ember.float64, requires_grad=True)
    costs = []
    for _ in range(epochs):
        for x, y in zip(X_DATA, Y_DATA):
            loss = (x * w - y) ** 2
            loss.backward()
            with ember.no_grad():
                w -= lr * w.grad
            w.grad.zero_()
        costs.append(sum((x * w.item() - y) ** 2 for x, y in zip(X_DATA, Y_DATA)) / len(X_DATA))
    return w.item(), costs


def build(page):
    import matplotlib.pyplot as plt
    page.text("""
        In practice plain gradient descent is rarely used. Stochastic gradient descent (SGD) updates w from the
        loss of a single sample, w = w - alpha * d(loss)/dw, picking samples in turn (or at random), so there is
        one update per sample instead of one per pass over the data. Its noisy steps can also carry it past
        saddle points (lesson 7). Corrected from the notes: gradient(x) needs the sample's y too,
        gradient(x, y) = 2 * x * (x * w - y), and the inner for loop belongs inside the epoch loop.""")
    page.code(sgd)
    w_sgd, sgd_costs = sgd()
    _, gd_costs = gradient_descent(epochs=100)
    page.table(["epoch", "batch gradient descent cost", "SGD cost"],
               [[e, gd_costs[e], sgd_costs[e]] for e in (0, 4, 9, 19, 49, 99)])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(gd_costs, label="batch: 1 update per epoch"), ax.plot(sgd_costs, label="SGD: 3 updates per epoch")
    ax.set_yscale("log"), ax.set_xlabel("epoch"), ax.set_ylabel("cost"), ax.legend()
    page.figure(fig, "sgd", "With the same learning rate, SGD gets much further per epoch.")
    page.text("""
        The price: each update needs the w left by the previous one, so the updates must run one after the
        other, and the arithmetic of a whole batch can no longer be done at once. Batch gradient descent can be
        vectorised but takes few, slow steps; SGD takes many quick ones but serially. The usual compromise is
        the mini-batch (lesson 6).""")
    return {"sgd_w": w_sgd, "sgd_costs": sgd_costs, "gd_costs": gd_costs}
