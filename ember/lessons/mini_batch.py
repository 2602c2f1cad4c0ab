"""Lesson 6: mini-batches: between one sample and the whole data set."""
import time

import numpy as np

import ember

ID = "mini-batch"
TITLE = "6. Mini-batch 小批量梯度下降"
POINTS = 1024
BATCH_SIZES = (1, 16, 128, POINTS)


def train(x, y, batch_size, epochs=3, lr=0.05):
    """A linear model trained with DataLoader mini-batches.

    Returns the cost on all the data after each epoch, (updates done, cost) at ~40 log-spaced points, and the
    seconds per epoch (the cost checks excluded).
    """
    ember.manual_seed(0)
    model = ember.nn.Linear(1, 1)
    optimizer = ember.optim.SGD(model.parameters(), lr=lr)
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    cost = lambda: ember.nn.functional.mse_loss(model(x), y).item()  # noqa: E731 (the whole data set)
    checkpoints = set(np.geomspace(1, epochs * len(loader), 40).astype(int).tolist())
    epoch_costs, by_update, seconds, updates = [], [(0, cost())], [], 0
    for _ in range(epochs):
        elapsed = 0.0
        for xb, yb in loader:
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = ember.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            elapsed += time.perf_counter() - start
            updates += 1
            if updates in checkpoints:
                with ember.no_grad():
                    by_update.append((updates, cost()))
        seconds.append(elapsed)
        with ember.no_grad():
            epoch_costs.append(cost())
    return epoch_costs, by_update, float(np.mean(seconds))


def build(page):
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, (POINTS, 1)).astype(np.float32)
    targets = 3 * inputs - 1 + rng.normal(0, 0.1, (POINTS, 1)).astype(np.float32)
    x, y = ember.tensor(inputs), ember.tensor(targets)
    page.text("""
        A mini-batch update uses the mean loss of a few samples: its gradient is less noisy than one sample's,
        and the samples of a batch are computed together, as one tensor operation, which is what vector
        hardware is good at. Here: 1,024 points of y = 3x - 1 plus noise, a linear model, learning rate 0.05,
        3 epochs, batch sizes from 1 (SGD) to 1,024 (the whole set).""")
    page.code(train)
    results = {b: train(x, y, b) for b in BATCH_SIZES}
    page.table(["batch size", "updates per epoch", "seconds per epoch", "cost after 3 epochs"],
               [[b, -(-POINTS // b), results[b][2], results[b][0][-1]] for b in BATCH_SIZES])
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for size in BATCH_SIZES:
        a.plot(range(1, 4), results[size][0], "o-", label=f"batch {size}")
        steps, costs = zip(*results[size][1])
        b.plot(np.maximum(steps, 0.8), costs, "o-", markersize=2, label=f"batch {size}")
    a.set_yscale("log"), a.set_xlabel("epoch"), a.set_ylabel("cost on all 1,024 points"), a.legend()
    a.set_xticks([1, 2, 3]), a.set_title("against epochs")
    b.set_xscale("log"), b.set_yscale("log"), b.set_xlabel("updates done"), b.set_title("against updates")
    page.figure(fig, "batches", "Per update, every batch size makes about the same progress here; per epoch, the "
                                "small batches make far more updates and get furthest.")
    page.text("""
        On this easy problem each update helps about equally whatever the batch size: the gradient of a mini-batch
        already points the right way. So what decides is how many updates an epoch allows and what each costs.
        One epoch with batch size 1 makes 1,024 updates, each a separate round of small operations, and takes far
        longer than one with batches of 16 or 128 doing the same arithmetic in a few large operations; the
        whole-set batch makes one update per epoch and after 3 epochs has barely started. Mini-batches of tens to
        hundreds are the usual compromise: enough updates per epoch, each one vectorised.""")
    return {b: {"costs": results[b][0], "seconds": results[b][2]} for b in BATCH_SIZES}
