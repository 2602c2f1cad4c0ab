"""Lesson 2: the linear model y_hat = x * w, its loss and its cost, swept over w (the notes' figure)."""
import numpy as np

import ember

ID = "linear-model"
TITLE = "2. 线性模型 The linear model and its MSE cost"
X_DATA, Y_DATA = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]


def mse_for_each_w(ws):
    """The cost of y_hat = x * w for every w at once: broadcasting (w down, samples across)."""
    x, y = ember.tensor(X_DATA), ember.tensor(Y_DATA)
    y_hat = ws.unsqueeze(1) * x  # (number of w, 3)
    return ((y_hat - y) ** 2).mean(dim=1)  # loss per sample, averaged: the MSE cost


def cost_surface(ws, bs):
    """The cost of y_hat = x * w + b over a grid of (w, b)."""
    x, y = ember.tensor(X_DATA), ember.tensor(Y_DATA)
    y_hat = ws.reshape(-1, 1, 1) * x + bs.reshape(1, -1, 1)  # (w, b, sample)
    return ((y_hat - y) ** 2).mean(dim=2)


def build(page):
    import matplotlib.pyplot as plt
    page.text("""
        A linear model predicts y_hat = x * w. Training starts from a guess for the weight w and measures how far
        the predictions are off. The loss of one sample is (y_hat - y)^2, squared so that errors of either sign
        count; the cost of the whole training set is the mean of the losses, the mean squared error (MSE):
        cost(w) = 1/N sum_n (x_n * w - y_n)^2. The closer to 0, the better the model fits.""")
    page.heading("穷举 w The cost for w from 0.0 to 4.0 in steps of 0.1")
    page.code(mse_for_each_w)
    ws = ember.linspace(0.0, 4.0, 41, dtype=ember.float64)
    costs = mse_for_each_w(ws)
    best = int(costs.argmin())
    page.table(["w", "MSE"], [[round(ws[i].item(), 1), costs[i].item()] for i in range(0, 41, 5)],
               "every fifth row of the sweep")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ws.numpy(), costs.numpy())
    ax.set_xlabel("w"), ax.set_ylabel("Loss (MSE)"), ax.set_title("the notes' figure: cost against w")
    page.figure(fig, "sweep", f"The minimum: w = {ws[best].item():.1f} with cost {costs[best].item():g}.")
    page.text("""
        Corrected from the notes' code: the loss squares the error, (y_pred - y) ** 2, where the notes wrote
        np.sqrt; forward is called on x_val, not y; names cannot contain spaces (x_data, y_predict, w_list,
        not "x data"); matplotlib is spelt matplotlib; the for lines need their colons; and it is Mean Squared
        Error, not "Squard", with cost = 1/N sum (y_hat_n - y_n)^2 (the notes' formula lost its \\frac).
        Written with tensors, the whole sweep is one broadcast expression instead of two nested loops.""")
    page.heading("加上偏置 b The cost surface of y_hat = x * w + b")
    page.code(cost_surface)
    grid_w = ember.linspace(0.0, 4.0, 81, dtype=ember.float64)
    grid_b = ember.linspace(-2.0, 2.0, 81, dtype=ember.float64)
    surface = cost_surface(grid_w, grid_b)
    fig, ax = plt.subplots(figsize=(6, 5))
    contour = ax.contourf(grid_b.numpy(), grid_w.numpy(), surface.numpy(), levels=30, cmap="viridis")
    fig.colorbar(contour, label="MSE")
    ax.plot([0], [2], "r*", markersize=14)
    ax.set_xlabel("b"), ax.set_ylabel("w")
    page.figure(fig, "surface", "With a bias the cost is a bowl over (w, b); its lowest point is w = 2, b = 0.")
    return {"best_w": ws[best].item(), "best_cost": costs[best].item(), "costs": costs.tolist()}
