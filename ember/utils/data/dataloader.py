"""DataLoader: batches from a dataset, in order or shuffled anew each epoch, collated into tensors.

With num_workers=0 (the reference path, below) the batches are fetched here, one after another. With
num_workers > 0 the same fetchers run in worker processes (worker.py), which send the batches back in order.
"""
import collections.abc
import copy
import itertools
import warnings

import numpy as np

from ... import _backend
from ...creation import array_from, as_tensor
from ... import cuda as _cuda
from ...ops.shape import stack
from ...tensor import Tensor, _wrap
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, draw_seed
from .worker import WorkerIterator, check_worker_count, start_method_context


def default_collate(batch):
    """Stack a list of samples the way PyTorch does, keeping tuples, lists and dicts nested."""
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack_samples(batch)
    if type(first) is tuple or type(first) is list:  # the usual (x, y) sample, without the checks below
        return _collate_columns(first, batch)
    if isinstance(first, np.ndarray):
        if first.dtype.kind in _TEXT_KINDS:
            raise TypeError(_COLLATE_ERROR.format(first.dtype))
        return stack([_wrap(np.asarray(b)) for b in batch], 0)
    if isinstance(first, (str, bytes)):  # (NumPy's str_ and bytes_ too)
        return batch  # as given: a list at the top, a tuple from a column of a sequence (torch's)
    if isinstance(first, np.generic):
        return _wrap(np.array(batch))
    if isinstance(first, int):  # (bools too) the batch as torch.tensor infers it: bool, int64 or the float dtype
        return _wrap(array_from(batch))  # (array_from: a stray string or None in the batch gets torch's error)
    if isinstance(first, float):
        return _wrap(array_from(batch, _backend.float64))  # PyTorch collates Python floats as float64
    if isinstance(first, collections.abc.Mapping):  # the same kind of mapping, each key's values collated
        collated = {key: default_collate([b[key] for b in batch]) for key in first}
        return _same_container(first, collated, collections.abc.MutableMapping, lambda c: c.update(collated))
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        return _collate_columns(first, batch)
    raise TypeError(_COLLATE_ERROR.format(type(first)))


_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack_samples(batch):
    """ember.stack(batch): for the usual batch (samples of one dtype on the CPU, outside any graph) one np.array of
    the samples' arrays (a third of np.stack's time on 32 small rows), without the op's per-tensor bookkeeping."""
    try:
        arrays = [b._data for b in batch if not b._requires_grad]
    except AttributeError:  # (a sample that is not a Tensor: the op says what torch says)
        arrays = ()
    if len(arrays) == len(batch):
        try:
            out = np.array(arrays)
        except (ValueError, TypeError):  # samples of different shapes, or on a GPU: the op's error or its stack
            out = None
        # samples of several dtypes: NumPy's promotion is not always torch's, so only a result of the first
        # sample's dtype is kept (the others then promote into it, in both)
        if out is not None and out.dtype == arrays[0].dtype:
            return _wrap(out)
    return stack(batch, 0)


def _collate_columns(first, batch):
    """A batch of sequence samples: a list of collated columns."""
    if len(set(map(len, batch))) != 1:
        raise RuntimeError("each element in list of batch should be of equal size")
    columns = [default_collate(samples) for samples in zip(*batch)]
    if isinstance(first, tuple):
        return columns  # a list, as torch gives "for backwards compatibility"
    return _same_container(first, columns, collections.abc.MutableSequence, lambda c: c.__setitem__(
        slice(None), columns))


def _same_container(first, collated, mutable, fill):
    """collated in a container of first's type, as torch's collate keeps it: a copy of first refilled if it is
    mutable, else type(first)(collated), else collated itself (a plain dict or list)."""
    if isinstance(first, mutable):
        clone = copy.copy(first)
        fill(clone)
        return clone
    try:
        return type(first)(collated)
    except TypeError:
        return collated


def default_convert(data):
    """One sample as a DataLoader without batching (batch_size=None) returns it, as torch's default_convert: every
    NumPy array and NumPy scalar becomes a Tensor, wherever it is nested in mappings and sequences (a tuple comes
    back as a list, as in torch); strings, NumPy string and object arrays, and everything else stay as they are."""
    kind = type(data)
    if isinstance(data, Tensor):
        return data
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_"):
        if kind is np.ndarray and data.dtype.kind in _TEXT_KINDS:  # (torch's [SaUO] pattern on the dtype)
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        return _same_container(data, converted, collections.abc.MutableMapping, lambda c: c.update(converted))
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return kind(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            return _same_container(data, converted, collections.abc.MutableSequence,
                                   lambda c: c.__setitem__(slice(None), converted))
        except TypeError:  # (a sequence that cannot be refilled or rebuilt from a list, e.g. range)
            return converted
    return data


_TEXT_KINDS = "SaUO"  # NumPy dtype kinds of bytes, strings and objects: arrays torch leaves as they are


# ---- fetchers: one batch (or one sample) from the dataset, here or in a worker ----------------------------------
class _MapFetcher:
    """From a map-style dataset: the samples at a batch of indices, collated (or the one sample at an index)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)  # a dataset that reads a whole batch at once
        return self.collate_fn(getitems(index) if getitems else [self.dataset[i] for i in index])


class _StreamFetcher:
    """From an IterableDataset: the next `size` samples, collated (or the next one when size is None).
    StopIteration once the stream has run out (or left only a short batch that drop_last drops)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.samples, self.collate_fn, self.drop_last, self.ended = iter(dataset), collate_fn, drop_last, False

    def fetch(self, size):
        if self.ended:
            raise StopIteration
        if size is None:
            return self.collate_fn(next(self.samples))
        batch = list(itertools.islice(self.samples, size))
        self.ended = len(batch) < size
        if not batch or (self.drop_last and self.ended):
            raise StopIteration
        return self.collate_fn(batch)


def make_fetcher(dataset, stream, auto_collation, collate_fn, drop_last):
    return (_StreamFetcher if stream else _MapFetcher)(dataset, auto_collation, collate_fn, drop_last)


class DataLoader:
    """Iterate over a dataset in batches: for x, y in DataLoader(TensorDataset(X, Y), batch_size=64, shuffle=True)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.timeout, self.worker_init_fn, self.prefetch_factor = timeout, worker_init_fn, prefetch_factor
        self.persistent_workers, self.in_order = persistent_workers, in_order  # (batches always come in order)
        self.multiprocessing_context = start_method_context(multiprocessing_context, num_workers)
        self._iterator = None  # the persistent workers' iterator, kept from epoch to epoch
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
            self._auto_collation = batch_size is not None
            check_worker_count(num_workers)
            self._initialized = True
            return
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.drop_last = drop_last
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self._auto_collation = batch_sampler is not None
        check_worker_count(num_workers)
        self._initialized = True

    _initialized = False
    _FIXED = frozenset(("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"))

    def __setattr__(self, name, value):
        """What decides the batches is fixed once made (the samplers were built from it), as in torch."""
        if self._initialized and name in self._FIXED:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    def __iter__(self):
        # torch draws its workers' base seed from the generator on every new iterator, with workers or without:
        # ember draws it too, so the random stream stays torch's (the sampler's own draws come after it)
        if self.num_workers == 0:
            draw_seed(self.generator)
            return self._batches()
        if self._iterator is not None:  # persistent workers: a new epoch, no new seed
            self._iterator.reset()
            return self._iterator
        check_worker_count(self.num_workers)
        iterator = WorkerIterator(self)
        if self.persistent_workers:
            self._iterator = iterator
        return iterator

    def _indices(self):
        """What each fetch is given: a batch of indices, one index, or (from a stream) how many samples to take."""
        if self._stream:
            return itertools.repeat(self.batch_size)
        return iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _batches(self):
        fetcher = make_fetcher(self.dataset, self._stream, self._auto_collation, self.collate_fn, self.drop_last)
        for index in self._indices():
            try:
                batch = fetcher.fetch(index)
            except StopIteration:  # the stream has ended (torch's loader also stops on a dataset's StopIteration)
                return
            yield batch

    def __len__(self):
        if self._stream:  # only a stream that knows its length has one
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

