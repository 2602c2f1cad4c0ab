"""A CIFAR-10-style training loop with torchvision's augmentation, on generated 32x32 images (no download):
the augmented batches' sums and the losses are printed."""
import numpy as np
import torch
import torch.nn as nn
import torchvision.transforms as T
from PIL import Image

torch.manual_seed(0)
rng = np.random.default_rng(0)
images = [Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)) for _ in range(8)]
labels = [i % 2 for i in range(8)]

train_transform = T.Compose([
    T.RandomCrop(32, padding=4),
    T.RandomHorizontalFlip(),
    T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
    T.RandomGrayscale(p=0.2),
    T.RandomRotation(15),
    T.RandomResizedCrop(28, scale=(0.7, 1.0)),
    T.ToTensor(),
    T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    T.RandomErasing(p=0.5),
])


class Pictures(torch.utils.data.Dataset):
    def __len__(self):
        return len(images)

    def __getitem__(self, i):
        return train_transform(images[i]), labels[i]


loader = torch.utils.data.DataLoader(Pictures(), batch_size=4, shuffle=True)
model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 13 * 13, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(2):
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch} batch sum {x.sum().item():.4f} labels {y.tolist()} loss {loss.item():.5f}")
print("next random number", torch.rand(1).item())
