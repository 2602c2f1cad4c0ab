"""The notes' program exactly as a PyTorch user writes it: `import torch`, nothing about ember."""
import torch
from torch.autograd import grad  # noqa: F401  (a `from torch.x import y` line, to prove ember run maps those too)

x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]
w = torch.Tensor([1.0])
w.requires_grad = True


def forward(x):
    return x * w


def loss(x, y):
    return (forward(x) - y) ** 2


for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = loss(x, y)
        l.backward()
        print("\tgrad:", x, y, w.grad.item())
        w.data = w.data - 0.01 * w.grad.data
        w.grad.data.zero_()
    print("progress:", epoch, l.item())
print(w, l, type(w).__module__)
