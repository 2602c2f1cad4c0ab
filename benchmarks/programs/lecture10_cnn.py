"""Lecture 10's program: conv 1->10 5x5, max-pool, conv 10->20 5x5, max-pool, linear 320->10."""
import torch
import torch.nn.functional as F

from _train_images import run


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = torch.nn.Conv2d(10, 20, kernel_size=5)
        self.pooling = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(320, 10)

    def forward(self, x):
        batch_size = x.size(0)
        x = F.relu(self.pooling(self.conv1(x)))
        x = F.relu(self.pooling(self.conv2(x)))
        return self.fc(x.view(batch_size, -1))


torch.manual_seed(0)
run(Net(), epochs=3)
