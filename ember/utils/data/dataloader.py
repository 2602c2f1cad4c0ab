"""DataLoader: batches from a dataset, in order or shuffled anew each epoch, collated into tensors."""
import collections.abc
import numbers
import warnings

import numpy as np

from ... import _backend
from ...creation import array_from
from ... import cuda as _cuda
from ...ops.shape import stack
from ...tensor import Tensor, _wrap
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, draw_seed


def default_collate(batch):
    """Stack a list of samples the way PyTorch does, keeping tuples, lists and dicts nested."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch, 0)
    if isinstance(first, np.ndarray):
        return stack([_wrap(np.asarray(b)) for b in batch], 0)
    if isinstance(first, np.generic):
        return _wrap(np.array(batch))
    if isinstance(first, bool):  # (array_from: a stray string or None in the batch gets torch's error)
        return _wrap(array_from(batch, _backend.bool_))
    if isinstance(first, numbers.Integral):
        return _wrap(array_from(batch, _backend.int64))
    if isinstance(first, numbers.Real):
        return _wrap(array_from(batch, _backend.float64))  # PyTorch collates Python floats as float64
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(samples)) for samples in zip(*batch)]
        return columns if isinstance(first, list) else tuple(columns)
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                    f"{type(first).__name__}")


def default_convert(sample):
    return sample


class DataLoader:
    """Iterate over a dataset in batches: for x, y in DataLoader(TensorDataset(X, Y), batch_size=64, shuffle=True)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device=""):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                             "drop_last")
        self.dataset, self.num_workers, self.generator = dataset, num_workers, generator
        self.pin_memory = pin_memory  # batches need no pinning to reach a GPU in ember: accepted, as torch warns
        if pin_memory and not _cuda.is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.")
        self.batch_size = None if batch_sampler is not None else batch_size
        self._stream = isinstance(dataset, IterableDataset)
        if self._stream:
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, but "
                                     f"got {name}={value}; an IterableDataset decides its own order")
            self.sampler = self.batch_sampler = None  # no indices: the stream itself is the order
            self.drop_last = drop_last
            self.collate_fn = collate_fn or (default_collate if batch_size is not None else default_convert)
            return
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.drop_last = drop_last
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)

    def __iter__(self):
        # torch draws its workers' base seed from the generator on every new iterator: ember draws it too, so
        # the random stream stays torch's (and the sampler's own draws come after it, at the first batch)
        draw_seed(self.generator)
        return self._batches()

    def _batches(self):
        # num_workers > 0 is accepted and runs in this process: the batches are the same
        if self._stream:  # batches of consecutive samples from the stream
            batch = []
            for sample in self.dataset:
                if self.batch_size is None:
                    yield self.collate_fn(sample)
                    continue
                batch.append(sample)
                if len(batch) == self.batch_size:
                    yield self.collate_fn(batch)
                    batch = []
            if batch and not self.drop_last:
                yield self.collate_fn(batch)
            return
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        if self._stream:  # only a stream that knows its length has one
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

