"""DataLoader worker processes: what they buy on an image pipeline, and what starting them costs.

    python benchmarks/dataloader_workers.py            # both parts; add --images N or --epochs N to resize

1. A Pillow-decoding ImageFolder + transforms pipeline (128x128 PNG files this script writes to a temporary folder:
   decode, Resize, RandomCrop, RandomHorizontalFlip, ToTensor, Normalize), batch 32, shuffled: images per
   second with num_workers=0 and num_workers=2, each the best of three epochs (the worker start is inside
   each epoch, as it is for a learner's loop; with persistent_workers=True only the first epoch pays it). Workers help when decoding dominates and there are idle cores.
2. A tiny in-memory dataset (64 samples, batch 16) with num_workers=2 for 100 epochs, ember against torch:
   here starting the workers every epoch is nearly all the time (torch restarts them too, unless
   persistent_workers=True, shown as well).

Wall-clock times: run it on an otherwise idle machine, and say how busy it was when you quote the numbers.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_images(root, n, size=128, classes=4):
    """n random RGB PNG files in an ImageFolder layout: root/class_k/img_i.png."""
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(n):
        folder = os.path.join(root, f"class_{i % classes}")
        os.makedirs(folder, exist_ok=True)
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, f"img_{i}.png"))


def epoch_seconds(loader):
    start = time.perf_counter()
    count = 0
    for x, _ in loader:
        count += len(x)
    return time.perf_counter() - start, count


def image_pipeline(n_images):
    import ember
    from ember.utils.data import DataLoader
    from ember.vision import datasets, transforms
    with tempfile.TemporaryDirectory() as root:
        write_images(root, n_images)
        transform = transforms.Compose([transforms.Resize(64), transforms.RandomCrop(56),
                                        transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                        transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
        folder = datasets.ImageFolder(root, transform=transform)
        rates = {}
        for workers, persistent in ((0, False), (2, False), (2, True)):
            ember.manual_seed(0)
            loader = DataLoader(folder, batch_size=32, shuffle=True, num_workers=workers,
                                persistent_workers=persistent)
            best = min(epoch_seconds(loader)[0] for _ in range(3))
            rates[workers, persistent] = n_images / best
            print(f"| ImageFolder, {n_images} PNGs, num_workers={workers}, persistent={persistent} | "
                  f"{best * 1e3:.0f} ms/epoch | {rates[workers, persistent]:.0f} images/s |", flush=True)
        print(f"| speed-up with 2 workers (restarted each epoch / persistent) | "
              f"{rates[2, False] / rates[0, False]:.2f}x / {rates[2, True] / rates[0, False]:.2f}x | |")


def tiny_dataset(epochs):
    import torch
    import ember
    for lib in (ember, torch):
        data = lib.utils.data
        dataset = data.TensorDataset(lib.arange(128.0).reshape(64, 2), lib.arange(64))
        for persistent in (False, True):
            loader = data.DataLoader(dataset, batch_size=16, shuffle=True, num_workers=2,
                                     persistent_workers=persistent)
            start = time.perf_counter()
            for _ in range(epochs):
                for _ in loader:
                    pass
            seconds = time.perf_counter() - start
            print(f"| tiny dataset, {epochs} epochs, 2 workers, {lib.__name__}, persistent={persistent} | "
                  f"{seconds:.2f} s | {seconds / epochs * 1e3:.1f} ms/epoch |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=384)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--only", choices=["images", "tiny"])
    args = parser.parse_args()
    print("| what | time | rate |\n|---|---|---|")
    if args.only != "tiny":
        image_pipeline(args.images)
    if args.only != "images":
        tiny_dataset(args.epochs)


if __name__ == "__main__":
    main()
