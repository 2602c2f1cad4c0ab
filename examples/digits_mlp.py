"""An MLP on scikit-learn's 8x8 digits, written exactly as a PyTorch user writes it.

    python examples/digits_mlp.py          # ember
    python examples/digits_mlp.py torch    # the same program on PyTorch
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
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def main(epochs=40, seed=0):
    torch.manual_seed(seed)
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(digits.data / 16.0, digits.target, test_size=0.2,
                                                        random_state=seed, stratify=digits.target)
    train = TensorDataset(torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train))
    loader = DataLoader(train, batch_size=32, shuffle=True)

    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
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
