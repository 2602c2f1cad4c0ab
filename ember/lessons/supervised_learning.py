"""Lesson 1: the supervised-learning workflow: train, dev and test sets, and overfitting."""
import numpy as np

import ember

ID = "supervised-learning"
TITLE = "1. 监督学习 Supervised learning: train, dev and test sets"


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return x, np.sin(np.pi * x) + rng.normal(0, 0.2, n)


def fit_polynomials(x, y, max_degree, steps=1500):
    """Least squares by gradient descent (Adam) for every degree 0..max_degree at once.

    Row d of the weights is the polynomial of degree d on the features x^0..x^max_degree; the mask keeps its
    coefficients above x^d at 0. Each model's cost depends only on its own row, and Adam moves each weight by
    its own gradient alone, so this is exactly max_degree + 1 separate fits, computed as one tensor program.
    """
    features = ember.tensor(np.vander(x, max_degree + 1, increasing=True))  # (samples, max_degree + 1)
    mask = ember.tensor(np.tril(np.ones((max_degree + 1, max_degree + 1))))  # row d keeps x^0..x^d
    target = ember.tensor(y).unsqueeze(1)
    w = ember.zeros(max_degree + 1, max_degree + 1, dtype=ember.float64, requires_grad=True)
    optimizer = ember.optim.Adam([w], lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        predictions = features @ (w * mask).T  # column d: the predictions of the degree-d polynomial
        loss = ((predictions - target) ** 2).mean(dim=0).sum()  # the sum of every model's MSE
        loss.backward()
        optimizer.step()
    return (w * mask).detach()


def mse(w, x, y):
    features = ember.tensor(np.vander(x, len(w), increasing=True))
    return ((features @ w - ember.tensor(y)) ** 2).mean().item()


def build(page):
    import matplotlib.pyplot as plt
    x_train, y_train = make_data(20, 0)
    x_dev, y_dev = make_data(40, 1)
    x_test, y_test = make_data(200, 2)
    page.text("""
        The workflow in the notes: prepare a data set and split it; choose a model; train it on inputs whose
        correct outputs (labels) are known, which is what makes the learning supervised; then measure it on data
        it never saw. A model that fits its training data but predicts new data badly generalises poorly: it has
        overfitted. The test set is kept for the very end (often only its inputs are known), so a dev
        (validation) set is carved out of the training data to compare models. Here the data are noisy samples
        of sin(pi x); the models are polynomials of growing degree, i.e. of growing capacity.""")
    page.heading("训练集与开发集 Training error and dev error by model capacity")
    page.code(fit_polynomials)
    weights = fit_polynomials(x_train, y_train, 9)
    fits = {degree: weights[degree, :degree + 1] for degree in range(10)}
    rows = [[degree, mse(w, x_train, y_train), mse(w, x_dev, y_dev)] for degree, w in fits.items()]
    best = min(rows, key=lambda r: r[2])[0]
    page.table(["degree", "train MSE", "dev MSE"], rows, f"the dev set picks degree {best}")
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.plot([r[0] for r in rows], [r[1] for r in rows], "o-", label="train")
    a.plot([r[0] for r in rows], [r[2] for r in rows], "s-", label="dev")
    a.set_yscale("log"), a.set_xlabel("polynomial degree (capacity)"), a.set_ylabel("MSE"), a.legend()
    grid = np.linspace(-1, 1, 200)
    b.scatter(x_train, y_train, c="k", s=15, label="train")
    for degree in (1, best, 9):
        b.plot(grid, np.vander(grid, degree + 1, increasing=True) @ fits[degree].numpy(), label=f"degree {degree}")
    a.set_xticks(range(10))
    b.set_ylim(-2, 2), b.legend(), b.set_title("too simple, chosen by dev, overfitted")
    b.set_xticks([-1, -0.5, 0, 0.5, 1]), b.set_xlabel("x")
    page.figure(fig, "capacity", "Training error keeps falling with capacity; dev error falls, then rises: "
                                 "overfitting. The dev set chooses the degree.")
    page.heading("用全部训练数据重新训练 Retrain on train + dev, evaluate once on test")
    w = fit_polynomials(np.concatenate([x_train, x_dev]), np.concatenate([y_train, y_dev]), best)[best]
    test = mse(w, x_test, y_test)
    page.text(f"""
        With the degree chosen ({best}), the model is trained again on all the labelled data (train and dev
        together) and evaluated exactly once on the test set: test MSE {test:.4f}. The noise alone has variance
        0.04, so no model can do better than about that.""")
    return {"best_degree": best, "test_mse": test, "train_mse": [r[1] for r in rows], "dev_mse": [r[2] for r in rows]}
