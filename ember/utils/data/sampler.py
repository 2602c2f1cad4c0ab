"""Samplers: the order in which a DataLoader visits a dataset's indices."""
import itertools

import numpy as np

from ..._backend import float64
from ...creation import as_tensor
from ...random import Generator, _gen, _int_full, multinomial, randint, randperm


def draw_seed(generator=None):
    """A seed drawn as torch draws one: ``torch.empty((), dtype=torch.int64).random_(generator=generator)``."""
    return int(_int_full(_gen(generator), 1, np.int64)[0])


class Sampler:
    """The base of samplers: an iterable of dataset indices."""
    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., len(data_source) - 1 in order."""
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh permutation on every pass (every epoch), or draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")

    @property
    def num_samples(self):
        """How many indices one pass draws."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        # a generator function, as torch's: nothing is drawn until the first index is asked for
        n = len(self.data_source)
        generator = self.generator
        if generator is None:  # torch seeds a private generator from the global one, once per pass
            # (made once and reseeded each pass: making one costs 60-90 us, reseeding 1; a pass that starts while
            # another is still running, a loop nested in a loop over the same loader, makes its own)
            generator = self.__dict__.pop("_own", None) or Generator()
            generator.manual_seed(draw_seed())
        try:
            if self.replacement:
                for _ in range(self.num_samples // 32):
                    yield from randint(0, n, (32,), generator=generator).tolist()
                yield from randint(0, n, (self.num_samples % 32,), generator=generator).tolist()
            else:
                for _ in range(self.num_samples // n):
                    yield from randperm(n, generator=generator).tolist()
                yield from randperm(n, generator=generator).tolist()[:self.num_samples % n]
        finally:
            if generator is not self.generator:
                self._own = generator

    def __len__(self):
        return self.num_samples


class WeightedRandomSampler(Sampler):
    """Draw num_samples indices, index i with probability weights[i] / sum(weights): rebalances rare classes."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = as_tensor(weights, dtype=float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights, self.num_samples, self.replacement, self.generator = weights, num_samples, replacement, generator

    def __iter__(self):  # drawn at the first index, as torch's
        yield from multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each pass."""
    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):  # drawn at the first index, as torch's
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of batch_size."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        indices = iter(self.sampler)  # (islice takes a batch in one call: a fifth of a small epoch's loop before)
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if len(batch) < self.batch_size and (self.drop_last or not batch):
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
