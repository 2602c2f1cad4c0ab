"""Save the best model whole while training, the way many course programs do, and load it back:
torch.save(model, path) and torch.load(path, weights_only=False). With an argument `read PATH` it only loads a
model saved earlier (by this program, under either library) and prints its outputs.

    python whole_model_save.py [train PATH | read PATH]
"""
import pickle
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.rnn = nn.GRU(8, 6, batch_first=True)
        self.fc = nn.Linear(6, 3)
        self.dropout = nn.Dropout(0.2)
        self.activation = F.relu
        self.classes = ("circle", "square", "line")

    def forward(self, x):  # x: (batch, 1, 8, 8)
        x = F.max_pool2d(self.activation(self.bn(self.conv(x))), 2)  # (batch, 4, 4, 4)
        rows = x.permute(0, 2, 1, 3).reshape(x.size(0), 4, 16)[:, :, :8]  # 4 steps of 8 features
        out, hidden = self.rnn(rows)
        return self.fc(self.dropout(hidden[0]))


torch.manual_seed(0)
images = torch.randn(12, 1, 8, 8)
labels = torch.arange(12) % 3
images[labels == 1, :, 2:6, 2:6] += 1.5
images[labels == 2, :, 4, :] += 2.0
probe = torch.randn(2, 1, 8, 8)

mode, path = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("train", "best.pt")
if mode == "read":
    model = torch.load(path, weights_only=False)
    model.eval()
    with torch.no_grad():
        print(type(model).__name__, model.training, model.classes, model.activation.__name__)
        print([round(v, 5) for v in model(probe).flatten().tolist()])
    sys.exit(0)

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
best = float("inf")
for epoch in range(6):
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch + 1} loss {loss.item():.5f}")
    if loss.item() < best:
        best = loss.item()
        torch.save(model, path)
        torch.save({"model": model, "epoch": epoch + 1, "best": np.float64(best),
                    "history": np.array([best]), "optimizer": optimizer.state_dict()}, "checkpoint.pt")

try:
    torch.load(path)  # weights_only=True: a whole model is not weights only
except pickle.UnpicklingError:
    print("torch.load(path) refuses a whole model")

loaded = torch.load(path, weights_only=False)
loaded.eval()
model.eval()
with torch.no_grad():
    print(type(loaded).__name__, loaded.training, loaded.classes, loaded is model)
    print([round(v, 5) for v in loaded(probe).flatten().tolist()])
checkpoint = torch.load("checkpoint.pt", weights_only=False)
print("checkpoint epoch", checkpoint["epoch"], "best", round(float(checkpoint["best"]), 5),
      type(checkpoint["history"]).__name__)
restored = checkpoint["model"]
optimizer = torch.optim.SGD(restored.parameters(), lr=0.05, momentum=0.9)
optimizer.load_state_dict(checkpoint["optimizer"])
restored.train()
optimizer.zero_grad()
loss = F.cross_entropy(restored(images), labels)  # training goes on from the checkpoint
loss.backward()
optimizer.step()
print(f"resumed loss {loss.item():.5f}")
