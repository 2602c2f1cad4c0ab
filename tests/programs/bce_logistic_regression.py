"""Logistic regression as the lectures wrote it: BCELoss(size_average=False), F.sigmoid, Variable inputs."""
import torch
import torch.nn.functional as F
from torch.autograd import Variable

x_data = Variable(torch.Tensor([[1.0], [2.0], [3.0], [4.0]]))
y_data = Variable(torch.Tensor([[0.], [0.], [1.], [1.]]))


class Model(torch.nn.Module):
    def __init__(self):
        super(Model, self).__init__()
        self.linear = torch.nn.Linear(1, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))


model = Model()
with torch.no_grad():
    model.linear.weight.fill_(0.3)
    model.linear.bias.fill_(0.1)

criterion = torch.nn.BCELoss(size_average=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for epoch in range(1000):
    y_pred = model(x_data)
    loss = criterion(y_pred, y_data)
    if epoch % 100 == 0:
        print(epoch, round(loss.item(), 5))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

for hours in (1.0, 7.0):
    hour_var = Variable(torch.Tensor([[hours]]))
    p = model(hour_var).data[0][0].item()
    print("predict", hours, round(p, 5), p > 0.5)

# the other legacy spellings, on the same predictions
pred = model(x_data)
print("mean", round(F.binary_cross_entropy(pred, y_data, size_average=True).item(), 5))
print("none", [round(v, 5) for v in F.binary_cross_entropy(pred, y_data, reduce=False).view(-1).tolist()])
print("nll", round(torch.nn.NLLLoss(size_average=False)(torch.log(torch.cat([1 - pred, pred], 1)),
                                                         y_data.view(-1).long()).item(), 5))
