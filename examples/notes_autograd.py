"""The course notes' autograd program (Day 01, "Pytorch构建计算图"), with its typos fixed.

Run it with ember or with PyTorch; the printed numbers are the same:
    python examples/notes_autograd.py          # ember
    python examples/notes_autograd.py torch    # PyTorch, for comparison
Fixed from the notes: the missing colon after `for epoch in range(100)`, and the
loss variable written `1` (the digit) where `l` (the letter) was meant.
"""
import sys

if len(sys.argv) > 1 and sys.argv[1] == "torch":
    import torch
else:
    import ember as torch

x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]

w = torch.Tensor([1.0])
w.requires_grad = True  # 是否存储梯度: keep a gradient for w


def forward(x):
    return x * w


def loss(x, y):
    y_pred = forward(x)
    return (y_pred - y) ** 2


print("predict (before training)", 4, forward(4).item())
for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = loss(x, y)  # forward pass: builds the computational graph
        l.backward()  # backward pass: d(loss)/dw lands in w.grad; the graph is freed
        print("\tgrad:", x, y, w.grad.item())  # .item() takes the number out of a one-element tensor
        w.data = w.data - 0.01 * w.grad.data  # update through .data: not recorded in any graph
        w.grad.data.zero_()  # reset, or the next backward adds to this gradient
    print("progress:", epoch, l.item())
print("predict (after training)", 4, forward(4).item())
