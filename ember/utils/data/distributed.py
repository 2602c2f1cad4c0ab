"""DistributedSampler: each of num_replicas processes reads its own share of a dataset, torch's indices exactly.

Every rank draws the same permutation (a generator seeded with seed + epoch, so call set_epoch(epoch) at the start
of each epoch for a new order), pads it by repeating its beginning until it divides evenly (or, with drop_last,
cuts the tail), and takes every num_replicas-th index starting at its rank.
"""
import math

from ... import distributed as dist
from ...random import Generator, randperm
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Rank rank's share of the dataset's indices (one num_replicas-th), reshuffled by set_epoch: torch's exactly."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            if not dist.is_initialized():
                raise ValueError("Default process group has not been initialized: DistributedSampler takes "
                                 "num_replicas and rank from it; call ember.distributed.init_process_group() "
                                 "first, or pass num_replicas= and rank=")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)  # the largest even share
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=generator).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:  # repeat from the start (as often as needed) so that every rank gets num_samples
            missing = self.total_size - n
            indices += (indices * math.ceil(missing / n))[:missing] if missing else []
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Shuffle differently in every epoch (and identically on every rank): call it before each epoch."""
        self.epoch = epoch
