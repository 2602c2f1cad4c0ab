"""The tensor types of PyTorch before 0.4, as course code still uses them."""
import numpy as np
import torch

a = np.array([[1.5, 2.0], [3.0, 4.5]])
x = torch.FloatTensor(a)
print(x, x.type())
print(isinstance(x, torch.FloatTensor), isinstance(x, torch.DoubleTensor), isinstance(x, torch.Tensor))
if x.type() == "torch.FloatTensor":
    print("a float tensor")
y = x.type(torch.LongTensor)
print(y, y.type(), isinstance(y, torch.LongTensor))
z = x.type("torch.DoubleTensor")
print(z.type(), (z * 2).sum().item())
labels = torch.LongTensor([0, 2, 1])
print(labels, labels.type(), labels.max().item())
blank = torch.FloatTensor(2, 3).zero_()
print(blank, tuple(blank.size()))
flags = torch.ByteTensor([1, 0, 1])
print(flags.type(), flags.sum().item())
print(torch.IntTensor([7, 8]).type(), torch.DoubleTensor([1, 2]).type(), torch.BoolTensor([True]).type())
print(torch.ones(2).type(torch.IntTensor).type(), torch.zeros(1, dtype=torch.float16).type())
print(torch.Tensor(2, 2).fill_(3.0).type(torch.FloatTensor))
w = torch.randn(3).type(torch.DoubleTensor)
print(w.type(), list(w.shape))
