"""Lesson 6: mini-batches: between one sample and the whole data set."""
import time

import numpy as np

import ember

ID = "mini-batch"
TITLE = "6. Mini-batch 小批量梯度下降"
BATCH_SIZES = (1, 16, 128, 4096)


def train(x, y, batch_size, epochs=3, lr=0.02):
    """A linear model trained with DataLoader mini-batches; returns cost per epoch, per update, time per epoch."""
    ember.manual_seed(0)
    model = ember.nn.Linear(1, 1)
    optimizer = ember.optim.SGD(model.parameters(), lr=lr)
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    epoch_costs, update_costs, seconds = [], [], []
    for _ in range(epochs):
        start = time.perf_counter()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = ember.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            update_costs.append(loss.item())
        seconds.append(time.perf_counter() - start)
        with ember.no_grad():
            epoch_costs.append(ember.nn.functional.mse_loss(model(x), y).item())
    return epoch_costs, update_costs, float(np.mean(seconds))


def build(page):
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, (4096, 1)).astype(np.float32)
    targets = 3 * inputs - 1 + rng.normal(0, 0.1, (4096, 1)).astype(np.float32)
    x, y = ember.tensor(inputs), ember.tensor(targets)
    page.text("""
        A mini-batch update uses the mean loss of a few samples: its gradient is less noisy than one sample's,
        and the samples of a batch are computed together, as one tensor operation, which is what vector
        hardware is good at. Here: 4,096 points of y = 3x - 1 plus noise, a linear model, learning rate 0.02,
        3 epochs, batch sizes from 1 (SGD) to 4,096 (the whole set).""")
    page.code(train)
    results = {b: train(x, y, b) for b in BATCH_SIZES}
    page.table(["batch size", "updates per epoch", "seconds per epoch", "cost after 3 epochs"],
               [[b, -(-4096 // b), results[b][2], results[b][0][-1]] for b in BATCH_SIZES])
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for size in BATCH_SIZES:
        a.plot(range(1, 4), results[size][0], "o-", label=f"batch {size}")
        b.plot(results[size][1], label=f"batch {size}", alpha=0.8)
    a.set_yscale("log"), a.set_xlabel("epoch"), a.set_ylabel("cost"), a.legend(), a.set_title("against epochs")
    b.set_xscale("log"), b.set_yscale("log"), b.set_xlabel("update"), b.set_title("against updates")
    page.figure(fig, "batches", "Per epoch, small batches learn most; per update, large batches learn most; "
                                "per second, the middle wins.")
    page.text("""
        One epoch with batch size 1 makes 4,096 updates, each a separate round of small operations, so it takes
        far longer than one epoch with batches of 128 doing the same arithmetic in 32 large operations. The
        whole-set batch is fastest per epoch but makes a single update per epoch and is still far from the
        minimum after 3 epochs. Mini-batches of tens to hundreds are the usual compromise.""")
    return {b: {"costs": results[b][0], "seconds": results[b][2]} for b in BATCH_SIZES}
