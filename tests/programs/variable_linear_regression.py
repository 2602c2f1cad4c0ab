"""Linear regression as the 2018 lectures wrote it: Variable, a Module subclass, MSELoss(size_average=False)."""
import torch
from torch.autograd import Variable

x_data = Variable(torch.Tensor([[1.0], [2.0], [3.0]]))
y_data = Variable(torch.Tensor([[2.0], [4.0], [6.0]]))


class Model(torch.nn.Module):
    def __init__(self):
        super(Model, self).__init__()
        self.linear = torch.nn.Linear(1, 1)

    def forward(self, x):
        y_pred = self.linear(x)
        return y_pred


model = Model()
model.linear.weight.data.fill_(0.5)  # fixed starting weights, so both libraries start from the same place
model.linear.bias.data.fill_(-0.2)

criterion = torch.nn.MSELoss(size_average=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for epoch in range(500):
    y_pred = model(x_data)
    loss = criterion(y_pred, y_data)
    if epoch % 25 == 0:
        print(epoch, loss.data.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

hour_var = Variable(torch.Tensor([[4.0]]))
y_pred = model(hour_var)
print("predict (after training)", 4, model(hour_var).data[0][0].item())
print("w =", model.linear.weight.data.item(), "b =", model.linear.bias.data.item())
print(isinstance(y_pred, Variable), isinstance(x_data, torch.Tensor), x_data.requires_grad)
