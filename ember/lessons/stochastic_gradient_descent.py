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
        costs.append(cost_at(w.item()))  # the cost of the whole data set after the epoch
    return w.item(), costs


def cost_at(w):
    return sum((x * w - y) ** 2 for x, y in zip(X_DATA, Y_DATA)) / len(X_DATA)


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
    gd_ws = gradient_descent(epochs=100)[0]
    start = cost_at(1.0)  # like with like: both columns are the cost of the whole data after the epoch's updates
    gd_costs = [cost_at(w) for w in gd_ws[1:]]
    page.table(["after epoch", "batch gradient descent cost", "SGD cost"],
               [[e, gd_costs[e - 1], sgd_costs[e - 1]] for e in (1, 5, 10, 20, 50, 100)],
               f"both start from w = 1, cost {start:.4g}")
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = range(0, 101)
    ax.plot(epochs, [start] + gd_costs, label="batch: 1 update per epoch")
    ax.plot(epochs, [start] + sgd_costs, label="SGD: 3 updates per epoch")
    ax.set_yscale("log"), ax.set_xlabel("epochs done"), ax.set_ylabel("cost after them"), ax.legend()
    page.figure(fig, "sgd", "With the same learning rate, SGD gets much further per epoch.")
    page.text("""
        The price: each update needs the w left by the previous one, so the updates must run one after the
        other, and the arithmetic of a whole batch can no longer be done at once. Batch gradient descent can be
        vectorised but takes few, slow steps; SGD takes many quick ones but serially. The usual compromise is
        the mini-batch (lesson 6).""")
    return {"sgd_w": w_sgd, "sgd_costs": sgd_costs, "gd_costs": gd_costs}
