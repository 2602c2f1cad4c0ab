"""AlexNet (Krizhevsky et al. 2012, in the one-GPU form of "One weird trick..."): five convolutions with
max-pools, a 6x6 adaptive average pool, three Linear layers with dropout. Every layer keeps its default init."""
from ... import flatten, nn
from ._api import WeightsEnum, _finish, _imagenet, _pretrained, builder

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", 61100840,
                              min_size=(63, 63))
    DEFAULT = IMAGENET1K_V1


@builder(AlexNet_Weights)
def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet; weights: an AlexNet_Weights or None."""
    weights = AlexNet_Weights.verify(weights)
    if weights is not None:
        _pretrained(weights, kwargs)
    return _finish(AlexNet(**kwargs), weights)
