"""The RNN lecture of 2018: teach an RNN to say "ihello" from "hihell", one character at a time, with Variables,
torch.LongTensor labels and a loss summed over the sequence. The weights start from a fixed formula."""
import sys

import torch
import torch.nn as nn
from torch.autograd import Variable

idx2char = ['h', 'i', 'e', 'l', 'o']
x_data = [0, 1, 0, 2, 3, 3]   # hihell
one_hot_lookup = [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]
y_data = [1, 0, 2, 3, 3, 4]   # ihello
x_one_hot = [one_hot_lookup[x] for x in x_data]

inputs = Variable(torch.Tensor(x_one_hot))
labels = Variable(torch.LongTensor(y_data))

num_classes, input_size, hidden_size, batch_size, sequence_length = 5, 5, 5, 1, 1


class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()
        self.rnn = nn.RNN(input_size=input_size, hidden_size=hidden_size, batch_first=True)

    def forward(self, hidden, x):
        x = x.view(batch_size, sequence_length, input_size)
        out, hidden = self.rnn(x, hidden)
        return hidden, out.view(-1, num_classes)

    def init_hidden(self):
        return Variable(torch.zeros(1, batch_size, hidden_size))


model = Model()
for i, (name, p) in enumerate(model.named_parameters()):
    p.data = torch.sin(torch.arange(p.numel()).float() * 1.3 + i).view(p.size()) * 0.4

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.1)

for epoch in range(40):
    optimizer.zero_grad()
    loss = 0
    hidden = model.init_hidden()
    sys.stdout.write("predicted string: ")
    for input, label in zip(inputs, labels):
        hidden, output = model(hidden, input)
        val, idx = output.max(1)
        sys.stdout.write(idx2char[idx.data[0]])
        loss += criterion(output, label.view(1))
    print(", epoch: %d, loss: %1.3f" % (epoch + 1, loss.item()))
    loss.backward()
    optimizer.step()
print("Learning finished!")
