"""The training and test loops of the image lectures, shared by their three programs."""
import torch
from torch.utils.data import DataLoader, TensorDataset

from _images import images


def run(model, epochs):
    x, y = images(3072)
    train = DataLoader(TensorDataset(torch.from_numpy(x[:2560]), torch.from_numpy(y[:2560])), batch_size=64,
                       shuffle=True)
    test = DataLoader(TensorDataset(torch.from_numpy(x[2560:]), torch.from_numpy(y[2560:])), batch_size=64)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    for epoch in range(epochs):
        running = 0.0
        for batch_idx, (inputs, target) in enumerate(train, 0):
            optimizer.zero_grad()
            loss = criterion(model(inputs), target)
            loss.backward()
            optimizer.step()
            running += loss.item()
        correct = total = 0
        with torch.no_grad():
            for inputs, target in test:
                _, predicted = torch.max(model(inputs).data, dim=1)
                total += target.size(0)
                correct += (predicted == target).sum().item()
        print(f"epoch {epoch}: loss {running / len(train):.4f}, accuracy {100 * correct / total:.2f}%")
