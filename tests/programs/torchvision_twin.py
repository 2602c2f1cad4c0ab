"""Runs a torchvision program under PyTorch where torchvision cannot be installed (it is not, beside torch 2.13,
on the test machine): the torchvision parts the program uses, written from torchvision's documented behaviour
with torch ops, are installed as the module `torchvision`, then the program runs unchanged.

    python torchvision_twin.py program.py args...

- datasets.MNIST reads root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte; a sample is (PIL "L" image,
  int label);
- transforms.ToTensor: HxW(xC) uint8 -> CxHxW float32, divided by 255;
- transforms.Normalize: (x - mean) / std with mean and std as tensors of x's dtype, per channel;
- transforms.Compose applies them in order.
"""
import gzip
import os
import runpy
import sys
import types

import numpy as np
import torch
from PIL import Image


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        raw = os.path.join(root, "MNIST", "raw")
        prefix = "train" if train else "t10k"
        find = lambda stem: next(os.path.join(raw, n) for n in (stem, stem + ".gz")  # noqa: E731
                                 if os.path.exists(os.path.join(raw, n)))
        self.data = torch.from_numpy(read_idx(find(f"{prefix}-images-idx3-ubyte")).copy())
        self.targets = torch.from_numpy(read_idx(find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64))
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = Image.fromarray(self.data[index].numpy()), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ToTensor:
    def __call__(self, pic):
        array = np.array(pic, np.uint8, copy=True).reshape(pic.height, pic.width, len(pic.getbands()))
        return torch.from_numpy(array).permute(2, 0, 1).contiguous().to(torch.get_default_dtype()).div(255)


class Normalize:
    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, x):
        mean = torch.as_tensor(self.mean, dtype=x.dtype).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=x.dtype).view(-1, 1, 1)
        return (x - mean) / std


torchvision = types.ModuleType("torchvision")
torchvision.datasets = types.ModuleType("torchvision.datasets")
torchvision.transforms = types.ModuleType("torchvision.transforms")
torchvision.datasets.MNIST = MNIST
torchvision.transforms.Compose, torchvision.transforms.ToTensor = Compose, ToTensor
torchvision.transforms.Normalize = Normalize
sys.modules.update({"torchvision": torchvision, "torchvision.datasets": torchvision.datasets,
                    "torchvision.transforms": torchvision.transforms})

if __name__ == "__main__":
    program = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])
    sys.argv = [program] + sys.argv[2:]
    runpy.run_path(program, run_name="__main__")
