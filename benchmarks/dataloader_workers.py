"""DataLoader worker processes: what they buy on an image pipeline, and what starting them costs.

    python benchmarks/dataloader_workers.py            # parts 1 and 2; add --images N or --epochs N to resize
    python benchmarks/dataloader_workers.py --quick    # the same, smaller (a minute on a busy machine)
    python benchmarks/dataloader_workers.py --only overheads   # part 3; --only transport: part 4

1. A Pillow-decoding ImageFolder + transforms pipeline (128x128 PNG files this script writes to a temporary folder:
   decode, Resize, RandomCrop, RandomHorizontalFlip, ToTensor, Normalize), batch 32, shuffled: images per
   second with num_workers=0 and num_workers=2, each the best of three epochs (the worker start is inside
   each epoch, as it is for a learner's loop; with persistent_workers=True only the first epoch pays it). Workers
   help when decoding dominates and there are idle cores.
2. A tiny in-memory dataset (64 samples, batch 16) with num_workers=2 for 100 epochs, ember against torch:
   here starting the workers every epoch is nearly all the time (torch restarts them too, unless
   persistent_workers=True, shown as well).

3. What a restarted epoch costs, measured directly (CPU times, so that a busy machine changes them less than the
   wall-clock rates): an empty dataset's epoch (start and stop two workers), and for the tiny dataset the main
   process's CPU per epoch, the workers' CPU per epoch (children's rusage) and the time to the first batch.
5. (--only images-both) The same image pipeline written with Pillow and NumPy alone (no ember or torch inside the
   dataset), loaded by ember's DataLoader and by torch's in alternating rounds: what each loader's workers buy
   on the same samples, restarted each epoch and persistent. It shows how much of a restarted epoch is the
   fork-per-epoch design itself (torch pays it too) rather than ember's loader.
4. A batch's trip back from a worker, pickled through the pipe or through shared memory (worker.SHM_MIN_BYTES):
   the main process's CPU and the wall time per batch, by batch size.

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


def image_pipeline(n_images, repeats=3):
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
            best = min(epoch_seconds(loader)[0] for _ in range(repeats))
            rates[workers, persistent] = n_images / best
            print(f"| ImageFolder, {n_images} PNGs, num_workers={workers}, persistent={persistent} | "
                  f"{best * 1e3:.0f} ms/epoch | {rates[workers, persistent]:.0f} images/s |", flush=True)
        print(f"| speed-up with 2 workers (restarted each epoch / persistent) | "
              f"{rates[2, False] / rates[0, False]:.2f}x / {rates[2, True] / rates[0, False]:.2f}x | |")


class NumpyImages:
    """An ImageFolder-like dataset in Pillow and NumPy only: decode, resize the short side to 64, a random 56x56
    crop, a random horizontal flip, scale to [0, 1] and normalize; (float32 CHW array, label)."""

    def __init__(self, root):
        self.samples = sorted((os.path.join(root, c, f), int(c.split("_")[1]))
                              for c in os.listdir(root) for f in os.listdir(os.path.join(root, c)))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        import random
        from PIL import Image
        path, label = self.samples[i]
        with Image.open(path) as image:
            image = image.convert("RGB").resize((64, 64), Image.BILINEAR)
        top, left = random.randint(0, 8), random.randint(0, 8)
        x = np.asarray(image, np.float32)[top:top + 56, left:left + 56] / 255
        if random.random() < 0.5:
            x = x[:, ::-1]
        return np.ascontiguousarray(((x - 0.5) / 0.25).transpose(2, 0, 1)), label


def image_pipeline_both(n_images, repeats=3):
    import torch
    import ember
    with tempfile.TemporaryDirectory() as root:
        write_images(root, n_images)
        dataset = NumpyImages(root)
        best = {}
        settings = [(lib, workers, persistent) for lib in (ember, torch)
                    for workers, persistent in ((0, False), (2, False), (2, True))]
        loaders = {s: s[0].utils.data.DataLoader(dataset, batch_size=32, shuffle=True, num_workers=s[1],
                                                 persistent_workers=s[2]) for s in settings}
        for _ in range(repeats):  # (alternating rounds: the host's drift falls on every setting alike)
            for s in settings:
                seconds = epoch_seconds(loaders[s])[0]
                best[s] = min(best.get(s, seconds), seconds)
        for lib in (ember, torch):
            for s in settings[:3]:
                key = (lib,) + s[1:]
                print(f"| Pillow+NumPy dataset, {n_images} PNGs, {lib.__name__}, num_workers={s[1]}, persistent="
                      f"{s[2]} | {best[key] * 1e3:.0f} ms/epoch | {n_images / best[key]:.0f} images/s |")
            print(f"| {lib.__name__}: speed-up with 2 workers (restarted / persistent) | "
                  f"{best[lib, 0, False] / best[lib, 2, False]:.2f}x / {best[lib, 0, False] / best[lib, 2, True]:.2f}x"
                  " | |", flush=True)
        del loaders


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


def _children_cpu():
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def overheads(epochs):
    import statistics
    import ember
    from ember.utils.data import DataLoader, Dataset, TensorDataset, worker

    class Empty(Dataset):
        def __len__(self):
            return 0

        def __getitem__(self, i):
            raise IndexError(i)
    for name, dataset, batch in (("empty dataset", Empty(), 16),
                                 ("tiny dataset (64 samples)", TensorDataset(ember.arange(128.0).reshape(64, 2),
                                                                             ember.arange(64)), 16)):
        loader = DataLoader(dataset, batch_size=batch, shuffle=len(dataset) > 0, num_workers=2)
        walls, firsts, cpus = [], [], []
        children = _children_cpu()
        for _ in range(epochs):
            start, cpu, first = time.perf_counter(), time.process_time(), None
            for _ in loader:
                first = first or time.perf_counter()
            walls.append(time.perf_counter() - start)
            firsts.append((first or time.perf_counter()) - start)
            cpus.append(time.process_time() - cpu)
        getattr(worker, "_reap", lambda wait: None)(wait=True)  # (the stopped workers' CPU is counted once reaped)
        workers_cpu = (_children_cpu() - children) / epochs
        print(f"| {name}, 2 workers restarted each epoch (median of {epochs}) | epoch "
              f"{statistics.median(walls) * 1e3:.1f} ms, first batch {statistics.median(firsts) * 1e3:.1f} ms | "
              f"main CPU {statistics.median(cpus) * 1e3:.1f} ms, workers' CPU {workers_cpu * 1e3:.1f} ms |",
              flush=True)


def _echo_batches(conn, size, count):
    from ember.utils.data import worker
    batch = np.ones(size // 4, np.float32)
    for i in range(count):
        worker._send(conn, (i, batch))
    conn.close()


def transport(count=200):
    from multiprocessing import get_context
    from ember.utils.data import worker
    shm, threshold = worker._SHM, worker.SHM_MIN_BYTES
    worker.SHM_MIN_BYTES = 0  # (each size both ways)
    context = get_context("fork")
    for size in (64 * 1024, 300_000, 1_204_224, 4_816_896):
        for mode in (("pickle", "shared memory") if shm else ("pickle",)):
            worker._SHM = mode != "pickle"  # (the forked child inherits the choice)
            main_end, end = context.Pipe()
            child = context.Process(target=_echo_batches, args=(end, size, count))
            child.start()
            end.close()
            start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            for _ in range(count):
                _, batch = worker._recv(main_end)
                float(batch.sum())  # (the consumer reads it all, as a training step does)
                del batch
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            child.join()
            main_end.close()
            children = _children_cpu() - children
            print(f"| a {size / 1e6:.2f} MB batch, {mode} | {wall / count * 1e3:.3f} ms wall | main CPU "
                  f"{cpu / count * 1e3:.3f} ms, worker's {children / count * 1e3:.3f} ms |", flush=True)
    worker._SHM, worker.SHM_MIN_BYTES = shm, threshold


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=384)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="epochs per image-pipeline setting (the best)")
    parser.add_argument("--quick", action="store_true", help="128 images, 20 epochs, 2 repeats")
    parser.add_argument("--only", choices=["images", "images-both", "tiny", "overheads", "transport"])
    args = parser.parse_args()
    if args.quick:
        args.images, args.epochs, args.repeats = 128, 20, 2
    os.system("uptime")  # (how busy the machine is: quote it with the figures)
    print("| what | time | rate |\n|---|---|---|")
    if args.only in (None, "images"):
        image_pipeline(args.images, args.repeats)
    if args.only in (None, "tiny"):
        tiny_dataset(args.epochs)
    if args.only == "images-both":
        image_pipeline_both(args.images, args.repeats)
    if args.only == "overheads":
        overheads(args.epochs)
    if args.only == "transport":
        transport()


if __name__ == "__main__":
    main()
