"""Lesson 12: the whole workflow on the 8x8 digits: train/dev/test, choose epochs on dev, retrain, test once."""
import numpy as np

import ember

from .datasets import digits

ID = "digits"
TITLE = "12. 完整流程 The whole workflow: handwritten digits"
DEV_EPOCHS = 30  # dev accuracy has levelled off well before: more epochs would only cost time


def make_model():
    ember.manual_seed(0)
    return ember.nn.Sequential(ember.nn.Linear(64, 256), ember.nn.ReLU(), ember.nn.Dropout(0.2),
                               ember.nn.Linear(256, 10))


def train(model, x, y, epochs, evaluate=None, progress=None):
    """Adam with mini-batches of 32; evaluate(model) after each epoch, if given (and a progress bar moved)."""
    optimizer = ember.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    scores = []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            ember.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        if evaluate:
            scores.append(evaluate(model))
        if progress:
            progress.update()
    return scores


def accuracy(model, x, y):
    model.eval()
    with ember.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def build(page):
    import matplotlib.pyplot as plt
    images, labels = digits()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labels))
    split = {"train": order[:1077], "dev": order[1077:1437], "test": order[1437:]}
    tensors = {k: (ember.tensor(images[i].reshape(-1, 64) / 16.0, dtype=ember.float32), ember.tensor(labels[i]))
               for k, i in split.items()}
    page.text("""
        1,797 handwritten digits, 8x8 pixels each: 1,077 for training, 360 as the dev set, 360 held out as the
        test set. The dev set chooses how many epochs to train; then the model is retrained on train + dev with
        that choice and evaluated on the test set once.""")
    page.code(train)
    with page.progress(DEV_EPOCHS, "epochs on train, scored on dev") as bar:
        dev_curve = train(make_model(), *tensors["train"], epochs=DEV_EPOCHS,
                          evaluate=lambda m: accuracy(m, *tensors["dev"]), progress=bar)
    best = int(np.argmax(dev_curve)) + 1
    model = make_model()
    with page.progress(best, "epochs on train + dev") as bar:
        train(model, ember.cat([tensors["train"][0], tensors["dev"][0]]),
              ember.cat([tensors["train"][1], tensors["dev"][1]]), epochs=best, progress=bar)
    test_accuracy = accuracy(model, *tensors["test"])
    page.table(["", "value"], [["epochs chosen on dev", best], ["dev accuracy then", dev_curve[best - 1]],
                               ["test accuracy (train + dev, once)", test_accuracy]])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, DEV_EPOCHS + 1), dev_curve, "o-", markersize=3)
    ax.axvline(best, color="#c77d1a", linestyle="--")
    ax.set_xlabel("epochs"), ax.set_ylabel("dev accuracy")
    page.figure(fig, "dev", "Dev accuracy by epoch; the dashed line is the choice.")
    with ember.no_grad():
        predictions = model(tensors["test"][0]).argmax(1).numpy()
    wrong = np.flatnonzero(predictions != tensors["test"][1].numpy())
    fig, axes = plt.subplots(1, max(len(wrong[:12]), 1), figsize=(1.3 * max(len(wrong[:12]), 1), 1.8))
    for ax, i in zip(np.atleast_1d(axes), wrong[:12]):
        ax.imshow(images[split["test"][i]], cmap="gray_r")
        ax.set_title(f"{labels[split['test'][i]]} → {predictions[i]}", fontsize=9)
        ax.axis("off")
    page.figure(fig, "mistakes", f"The {len(wrong)} misclassified test digits (true → predicted).")
    return {"epochs": best, "test_accuracy": test_accuracy, "mistakes": int(len(wrong))}
