"""Lesson 3: batch gradient descent on the linear model."""
import numpy as np

import ember

ID = "gradient-descent"
TITLE = "3. 梯度下降 Gradient descent"
X_DATA, Y_DATA = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]


def gradient_descent(w0=1.0, lr=0.01, epochs=100):
    """w <- w - lr * d(cost)/dw, the gradient from autograd; returns the w, cost and gradient of every epoch."""
    x, y = ember.tensor(X_DATA, dtype=ember.float64), ember.tensor(Y_DATA, dtype=ember.float64)
    w = ember.tensor(w0, dtype=ember.float64, requires_grad=True)
    ws, costs, grads = [], [], []
    for _ in range(epochs):
        cost = ((x * w - y) ** 2).mean()
        cost.backward()
        ws.append(w.item()), costs.append(cost.item()), grads.append(w.grad.item())
        with ember.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
    return ws + [w.item()], costs, grads


def closed_form(w0, lr, epochs):
    """Here cost is a parabola, so each update multiplies (w - 2) by the same factor."""
    factor = 1 - lr * 2 * np.mean(np.square(X_DATA))
    return 2 + (w0 - 2) * factor ** epochs


def build(page):
    import matplotlib.pyplot as plt
    page.text("""
        Instead of trying every w, gradient descent starts from a guess and moves w downhill. The update rule is
        w = w - alpha * d(cost)/dw, where the learning rate alpha (a hyper-parameter) sets the size of the step.
        For the MSE of y_hat = x * w the derivative is d(cost)/dw = 1/N sum_n 2 * x_n * (x_n * w - y_n).
        (The notes write 2 * x_n * (x_n - y_n): the w is missing. The code below does not need the formula at
        all: autograd computes it, and the table checks it against the formula. The notes' gradient() also
        loops over zip(xs, yx): ys is meant.)""")
    page.code(gradient_descent)
    ws, costs, grads = gradient_descent()
    x, y = np.array(X_DATA), np.array(Y_DATA)
    formula = [float(np.mean(2 * x * (x * w - y))) for w in ws[:-1]]
    rows = [[e, ws[e], costs[e], grads[e], formula[e]] for e in (0, 1, 2, 10, 50, 99)]
    page.table(["epoch", "w", "cost", "d(cost)/dw by autograd", "formula: mean of 2x(xw - y)"], rows,
               "autograd's gradient and the formula's agree at every epoch")
    final, exact = ws[-1], closed_form(1.0, 0.01, 100)
    page.text(f"""
        After 100 epochs w = {final:.10f}. Because this cost is a parabola, every step multiplies the distance
        (w - 2) by the same factor 1 - alpha * 2 * mean(x^2) = {1 - 0.02 * np.mean(x * x):.6f}, so the answer
        is known in closed form: {exact:.10f}.""")
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.plot(costs)
    a.set_xlabel("epoch"), a.set_ylabel("cost"), a.set_title("cost against epoch: it converges towards 0")
    grid = np.linspace(0.5, 3.5, 100)
    b.plot(grid, [np.mean((x * g - y) ** 2) for g in grid], color="#999")
    b.plot(ws[:-1], costs, "o-", markersize=3, color="#c77d1a")
    b.set_xlabel("w"), b.set_ylabel("cost"), b.set_title("the path of w on the cost curve")
    page.figure(fig, "descent", "Large steps while the slope is steep, ever smaller ones near the minimum.")
    page.text("""
        Gradient descent only ever goes downhill, so in general it finds a local minimum, not necessarily the
        global one. In practice bad local minima are rare; points where the gradient is 0 without being a
        minimum, saddle points, are the bigger problem (lesson 7).""")
    return {"final_w": final, "closed_form_w": exact, "costs": costs, "grads": grads, "formula": formula}
