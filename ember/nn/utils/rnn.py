"""Batches of sequences of different lengths: padding and packing (PyTorch's torch.nn.utils.rnn).

A padded batch is one tensor (T, B, *) (or (B, T, *) with batch_first) where the
shorter sequences are filled up to the longest with a padding value. A packed
batch drops the padding: the sequences are sorted longest first, and time step
by time step the entries of the sequences still running are laid one after the
other in ``data``; ``batch_sizes[t]`` says how many sequences are still running
at step t. So for lengths [3, 2, 1]: data = a1 b1 c1 a2 b2 a3, batch_sizes = [3, 2, 1].

Packing and unpacking are one gather each (a row index computed with NumPy), so
gradients flow through them like any indexing.
"""
from collections import namedtuple

import numpy as np

from ... import creation
from ...ops.shape import cat
from ...tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per time step), and the
    permutation that sorted the batch by length (``sorted_indices``) and its inverse (``unsorted_indices``),
    None when the batch came sorted."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packed batch with its data moved or cast (Tensor.to's arguments); the indices stay."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self):
        """The packed batch on the CPU."""
        return self.to("cpu")

    def double(self):
        """The packed batch with float64 data."""
        return self._with_data(self.data.double())

    def float(self):
        """The packed batch with float32 data."""
        return self._with_data(self.data.float())

    def half(self):
        """The packed batch with float16 data."""
        return self._with_data(self.data.half())

    @property
    def is_cuda(self):
        """Whether the data lives on a GPU."""
        return self.data.is_cuda

    def is_pinned(self):
        """Pinned memory is a CUDA notion: always False here."""
        return False


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(f"lengths must be a 1D tensor, got {lengths.ndim}D")
        return lengths.numpy().astype(np.int64)
    return np.asarray(list(lengths), dtype=np.int64)


def _invert(permutation):
    indices = permutation.numpy()
    inverse = np.empty_like(indices)
    inverse[indices] = np.arange(len(indices))
    return creation.tensor(inverse)


def _packed_rows(batch_sizes, batch):
    """Flat positions, in a (T, batch) time-major padded grid of the sorted batch, of each packed row."""
    return np.flatnonzero(np.arange(batch)[None, :] < batch_sizes[:, None])


def pack_padded(padded, batch_sizes):
    """Time-major padded (T, B, *) of the sorted batch -> packed data (one gather)."""
    t, b = padded.shape[:2]
    return padded.reshape(t * b, *padded.shape[2:])[_packed_rows(batch_sizes, b)]


def unpack_to_padded(data, batch_sizes, padding_value=0.0, total_length=None, order=None):
    """Packed data -> time-major padded (total_length or T, B, *); with ``order`` (an index array) the batch
    is also re-ordered: column j of the result is sorted column order[j]. One gather from data plus one
    padding row."""
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    total = steps if total_length is None else total_length
    pad_row = len(data)
    index = np.full((total, batch), pad_row, np.int64)
    index[:steps].reshape(-1)[_packed_rows(batch_sizes, batch)] = np.arange(pad_row)
    if order is not None:
        index = index[:, order]
    filler = creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    return cat([data, filler])[index.reshape(-1)].reshape(total, batch, *data.shape[1:])


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch (T, B, *) (or (B, T, *)) and each sequence's length -> PackedSequence."""
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lengths) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={input.shape[batch_dim]})")
    if len(lengths) and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if enforce_sorted:
        if np.any(lengths[:-1] < lengths[1:]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = creation.tensor(order)
        input = input.index_select(batch_dim, sorted_indices)
    if lengths[0] > input.shape[1 - batch_dim]:
        raise RuntimeError(f"Start (0) + length ({input.shape[1 - batch_dim]}) exceeds dimension size "
                           f"({lengths[0]}): a length is larger than the padded sequence")
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(1)
    data = pack_padded(input[:lengths[0]], batch_sizes)
    return PackedSequence(data, creation.tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """PackedSequence -> (padded batch in the original order, lengths as an int64 tensor)."""
    batch_sizes = sequence.batch_sizes.numpy()
    steps = len(batch_sizes)
    if total_length is not None and total_length < steps:
        raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                         f"got total_length={total_length} and max sequence length being {steps}")
    order = None if sequence.unsorted_indices is None else sequence.unsorted_indices.numpy()
    padded = unpack_to_padded(sequence.data, batch_sizes, padding_value, total_length, order)
    lengths = (batch_sizes[None, :] > np.arange(batch_sizes[0])[:, None]).sum(1)  # of the sorted batch
    if order is not None:
        lengths = lengths[order]
    return (padded.transpose(0, 1) if batch_first else padded), creation.tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Tensors (L_i, *) -> one padded tensor (max L, B, *) (or (B, max L, *)), in the given order."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = sequences[0].shape[1:]
    for s in sequences:
        if s.shape[1:] != trailing:
            raise RuntimeError(f"The size of every sequence must agree after its first dimension: got "
                               f"{list(trailing)} and {list(s.shape[1:])}")
    lengths = np.array([s.shape[0] for s in sequences], np.int64)
    longest, starts = int(lengths.max()), np.concatenate([[0], np.cumsum(lengths)])
    rows = np.arange(longest)[:, None]  # (time, batch) -> row of the concatenation, or the padding row
    if padding_side == "left":
        rows = rows - (longest - lengths)[None, :]
    index = np.where((rows >= 0) & (rows < lengths[None, :]), starts[:-1][None, :] + rows, starts[-1])
    filler = creation.full((1, *trailing), padding_value, dtype=sequences[0].dtype)
    padded = cat(sequences + [filler])[index.reshape(-1)].reshape(longest, len(sequences), *trailing)
    return padded.transpose(0, 1) if batch_first else padded


def pack_sequence(sequences, enforce_sorted=True):
    """Tensors (L_i, *) -> PackedSequence (pad_sequence, then pack_padded_sequence)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of pad_sequence: a list of tensors of the given lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths_array(lengths))]


def unpack_sequence(packed_sequences):
    """The inverse of pack_sequence: a list of tensors, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
