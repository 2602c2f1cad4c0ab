"""A small CNN on scikit-learn's 8x8 digits, written exactly as a PyTorch user writes it.

    python examples/digits_cnn.py          # ember
    python examples/digits_cnn.py torch    # the same program on PyTorch
"""
import sys
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

if len(sys.argv) > 1 and sys.argv[1] == "torch":
    import torch
    torch.set_num_threads(2)
else:
    import ember as torch
nn, F = torch.nn, torch.nn.functional


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)   # 1 x 8 x 8 -> 32 x 8 x 8
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)  # 32 x 4 x 4 -> 64 x 4 x 4
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(64 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # 32 x 4 x 4
        x = self.pool(F.relu(self.conv2(x)))  # 64 x 2 x 2
        return self.fc(self.dropout(x.flatten(1)))


def main(epochs=30, seed=0):
    torch.manual_seed(seed)
    digits = load_digits()
    images = digits.images[:, None] / 16.0  # (1797, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(images, digits.target, test_size=0.2, random_state=seed,
                                                        stratify=digits.target)
    train = torch.utils.data.TensorDataset(torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train))
    loader = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()
    seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        predictions = model(torch.tensor(x_test, dtype=torch.float32)).argmax(dim=1)
        accuracy = (predictions == torch.tensor(y_test)).float().mean().item()
    return accuracy, seconds


if __name__ == "__main__":
    accuracy, seconds = main()
    print(f"test accuracy {accuracy:.4f}, trained in {seconds:.1f} s")
