"""What tests/test_multiprocessing.py runs in child processes: a module of its own, so that a spawned child imports
ember alone, not the test module (which imports torch: seconds a child)."""
import os

import ember


def _add_in_place(t, rows):
    t[rows] += 1


def _hogwild(model, steps):
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        model(ember.ones(1, 2)).sum().backward()
        optimizer.step()


def _fails(i, how):
    if i == 1 and how == "raise":
        raise ValueError("bad sample")
    if i == 1 and how == "exit":
        os._exit(3)


def _writes(i, path):
    with open(f"{path}.{i}", "w") as file:
        file.write(str(i * 10))
