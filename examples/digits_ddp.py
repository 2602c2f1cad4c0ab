"""The digits MLP trained data-parallel: every process trains the same model on its share of each batch.

    mpiexec -n 2 python examples/digits_ddp.py           # or: ember run --nproc 2 examples/digits_ddp.py
    mpiexec -n 2 python examples/digits_ddp.py torch     # the same program on PyTorch (gloo)

(pip install "ember[distributed]" brings MPI: mpi4py, and the mpich wheel with mpiexec.)
The global batch is 64 whatever the number of processes, so 1, 2 or 4 processes train the same model.
Rank 0 prints and saves; the others only compute.
"""
import os
import sys
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

if len(sys.argv) > 1 and sys.argv[1] == "torch":
    import torch
    torch.set_num_threads(1)
    BACKEND = {"backend": "gloo", "init_method": "tcp://127.0.0.1:29517", "rank": int(os.environ["PMI_RANK"]),
               "world_size": int(os.environ["PMI_SIZE"])}
else:
    import ember as torch
    BACKEND = {"backend": "mpi"}
dist, nn, F = torch.distributed, torch.nn, torch.nn.functional
DDP = torch.nn.parallel.DistributedDataParallel
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
DistributedSampler = torch.utils.data.DistributedSampler
GLOBAL_BATCH = 64


def main(epochs=40, seed=0):
    dist.init_process_group(**BACKEND)
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(seed)
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(digits.data / 16.0, digits.target, test_size=0.2,
                                                        random_state=seed, stratify=digits.target)
    train = TensorDataset(torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train))
    sampler = DistributedSampler(train, shuffle=True, seed=seed)  # this rank's share, reshuffled every epoch
    loader = DataLoader(train, batch_size=GLOBAL_BATCH // world, sampler=sampler)

    model = DDP(nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10)))  # rank 0's weights everywhere
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    start = time.perf_counter()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()  # the gradients are averaged over the ranks in here
            optimizer.step()
        scheduler.step()
    seconds = time.perf_counter() - start

    if rank == 0:
        with torch.no_grad():
            predictions = model.module(torch.tensor(x_test, dtype=torch.float32)).argmax(dim=1)
            accuracy = (predictions == torch.tensor(y_test)).float().mean().item()
        print(f"{world} processes: test accuracy {accuracy:.4f}, trained in {seconds:.1f} s")
        torch.save(model.module.state_dict(), "digits_ddp.safetensors" if BACKEND["backend"] == "mpi"
                   else "digits_ddp.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
