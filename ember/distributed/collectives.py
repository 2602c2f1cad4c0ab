"""Collectives: every process of a group calls the same function, and data moves between them.

Each one works in place on its tensors' arrays, as torch's do, and is an MPI non-blocking call: with
async_op=True the caller gets a Work handle back at once (wait() finishes it, is_completed() asks), otherwise the
call waits before it returns. Ranks given as src/dst are global ranks, as in torch (group_src/group_dst: ranks
inside the group). Objects travel as JSON text: MPI moves bytes, and ember never unpickles what it receives.
"""
import json

import numpy as np

from ..tensor import Tensor, _bump_version
from .process_group import ReduceOp, _mpi, _resolve, get_group_rank

_MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.PRODUCT: "PROD", ReduceOp.MIN: "MIN", ReduceOp.MAX: "MAX",
            ReduceOp.AVG: "SUM", ReduceOp.BAND: "BAND", ReduceOp.BOR: "BOR", ReduceOp.BXOR: "BXOR"}
# MPI has no arithmetic on booleans; on 0/1 bytes, sum and max are "or", product and min are "and" (as torch)
_BOOL_OPS = {ReduceOp.SUM: "MAX", ReduceOp.MAX: "MAX", ReduceOp.BOR: "MAX", ReduceOp.PRODUCT: "MIN",
             ReduceOp.MIN: "MIN", ReduceOp.BAND: "MIN", ReduceOp.BXOR: "BXOR"}


class Work:
    """A collective in flight. wait() blocks until it is done (and finishes its bookkeeping); is_completed()
    asks without blocking (and lets MPI make progress)."""

    def __init__(self, requests, finish=None):
        self._requests, self._finish, self._done = requests, finish, False
        self._status = None

    def is_completed(self):
        if not self._done and _mpi().Request.Testall(self._requests):
            self._complete()
        return self._done

    def wait(self, timeout=None):
        if not self._done:
            MPI = _mpi()
            self._status = MPI.Status()
            if len(self._requests) == 1:
                self._requests[0].Wait(self._status)
            else:
                MPI.Request.Waitall(self._requests)
            self._complete()
        return True

    def is_success(self):
        return self._done

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()

    def _source_rank(self):
        return self._status.Get_source()


def _launch(requests, finish, async_op):
    work = Work(requests, finish)
    if async_op:
        return work
    work.wait()
    return None


def _array(tensor, name, written=True):
    """The contiguous CPU array behind tensor, where MPI can read (and write) it directly."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type Tensor but got "
                        f"{type(tensor).__name__} instead.")
    data = tensor._data
    if not isinstance(data, np.ndarray):
        raise RuntimeError(f"ember.distributed moves CPU arrays: `{name}` is on {tensor.device}; call .cpu() first")
    if not data.flags.c_contiguous:
        raise RuntimeError(f"Tensors must be contiguous: `{name}` is a strided view; pass {name}.contiguous() "
                           "(and copy the result back if you need it in the view)")
    if written:
        if not data.flags.writeable:
            raise RuntimeError(f"`{name}` is a read-only view (e.g. from expand): the collective cannot write "
                               "into it; pass a contiguous copy")
        _bump_version(tensor)  # an in-place change, as torch's collectives are
    return data


def _tensor_list(tensors, name, like, count):
    """Check a list of count tensors, each of like's shape and dtype (all_gather, gather, scatter)."""
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[Tensor] but got "
                        f"{type(tensors).__name__} instead.")
    if len(tensors) != count:
        raise ValueError(f"`{name}` must hold one tensor per rank of the group ({count}), got {len(tensors)}")
    for t in tensors:
        if t._data.shape != like.shape or t._data.dtype != like.dtype:
            raise ValueError(f"every tensor of `{name}` must have the shape {list(like.shape)} and dtype "
                             f"{like.dtype} of the tensor it goes with, got {list(t._data.shape)} {t._data.dtype}")
    return tensors


def _reduction(op, data, name="reduce"):
    """(the array MPI reduces, the MPI op, whether to divide by the group size afterwards)."""
    if not isinstance(op, ReduceOp):
        raise ValueError(f"Invalid ``op``. Expected ``op`` to be of type ``ReduceOp``, got {op!r}")
    MPI = _mpi()
    if data.dtype == np.bool_:
        if op not in _BOOL_OPS:
            raise RuntimeError(f"{name}: {op} is not defined for bool tensors")
        return data.view(np.uint8), getattr(MPI, _BOOL_OPS[op]), False
    if op is ReduceOp.AVG and data.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: ReduceOp.AVG needs a floating point tensor, got {data.dtype}; use SUM "
                           "and divide, or convert to float")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: {op} needs an integer or bool tensor, got {data.dtype}")
    return data, getattr(MPI, _MPI_OPS[op]), op is ReduceOp.AVG


def _divider(data, size, average):
    return (lambda: np.divide(data, size, out=data)) if average else None


def _root(pg, rank, group_rank, name):
    """A root given as a global rank (torch's src/dst) or a rank inside the group: the rank inside the group."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {name} and group_{name}")
    if group_rank is None:
        group_rank = get_group_rank(pg, 0 if rank is None else rank)
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return group_rank


# ---- collectives on tensors --------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Every rank's tensor becomes the reduction (sum by default) of all ranks' tensors."""
    pg = _resolve(group, "all_reduce")
    if pg is None:
        return None
    data, mpi_op, average = _reduction(op, _array(tensor, "tensor"), "all_reduce")
    request = pg._comm.Iallreduce(_mpi().IN_PLACE, data, mpi_op)
    return _launch([request], _divider(data, pg.size(), average), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Every rank's tensor becomes a copy of rank src's."""
    pg = _resolve(group, "broadcast")
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    return _launch([pg._comm.Ibcast(_array(tensor, "tensor"), root=root)], None, async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Rank dst's tensor becomes the reduction of all ranks' tensors; the others' are left as they were."""
    pg = _resolve(group, "reduce")
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    is_root = pg.rank() == root
    data, mpi_op, average = _reduction(op, _array(tensor, "tensor", written=is_root), "reduce")
    if is_root:
        request = pg._comm.Ireduce(_mpi().IN_PLACE, data, mpi_op, root=root)
    else:
        request = pg._comm.Ireduce(data, None, mpi_op, root=root)
    return _launch([request], _divider(data, pg.size(), average and is_root), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] becomes a copy of rank i's tensor, on every rank."""
    pg = _resolve(group, "all_gather")
    if pg is None:
        return None
    data = _array(tensor, "tensor", written=False)
    outputs = _tensor_list(tensor_list, "tensor_list", data, pg.size())
    gathered = np.empty((pg.size(),) + data.shape, data.dtype)
    return _launch([pg._comm.Iallgather(data, gathered)], _copy_out(gathered, outputs), async_op)


def _copy_out(gathered, outputs):
    def finish():
        for t, part in zip(outputs, gathered):
            t._data[...] = part
            _bump_version(t)
    return finish


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """All ranks' input_tensor, one after the other, into output_tensor (world_size times larger, either
    concatenated along dim 0 or stacked along a new dim 0)."""
    pg = _resolve(group, "all_gather_into_tensor")
    if pg is None:
        return None
    data = _array(input_tensor, "input_tensor", written=False)
    out = _array(output_tensor, "output_tensor")
    if out.dtype != data.dtype:
        raise TypeError(f"output tensor must have the same type as input tensor ({out.dtype} vs {data.dtype})")
    if out.size != data.size * pg.size():
        raise ValueError(f"output tensor size must be equal to world_size times input tensor size: "
                         f"{list(out.shape)} for {pg.size()} x {list(data.shape)}")
    return _launch([pg._comm.Iallgather(data, out)], None, async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On rank dst, gather_list[i] becomes a copy of rank i's tensor (the other ranks pass no gather_list)."""
    pg = _resolve(group, "gather")
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    data = _array(tensor, "tensor", written=False)
    if pg.rank() != root:
        if gather_list:
            raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
        return _launch([pg._comm.Igather(data, None, root=root)], None, async_op)
    if not gather_list:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    outputs = _tensor_list(gather_list, "gather_list", data, pg.size())
    gathered = np.empty((pg.size(),) + data.shape, data.dtype)
    return _launch([pg._comm.Igather(data, gathered, root=root)], _copy_out(gathered, outputs), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank i's tensor becomes a copy of rank src's scatter_list[i] (the other ranks pass no scatter_list)."""
    pg = _resolve(group, "scatter")
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    data = _array(tensor, "tensor")
    if pg.rank() != root:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        return _launch([pg._comm.Iscatter(None, data, root=root)], None, async_op)
    if not scatter_list:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    parts = _tensor_list(scatter_list, "scatter_list", data, pg.size())
    stacked = np.stack([t._data for t in parts])  # one contiguous send buffer, alive until the work is done
    return _launch([pg._comm.Iscatter(stacked, data, root=root)], None, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce input (world_size times output's size) over the ranks; rank i keeps the i-th block in output."""
    pg = _resolve(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    data = _array(input, "input", written=False)
    out = _array(output, "output")
    if out.dtype != data.dtype:
        raise TypeError(f"output tensor must have the same type as input tensor ({out.dtype} vs {data.dtype})")
    if data.size != out.size * pg.size():
        raise ValueError(f"input tensor must be world_size times the output tensor's size: "
                         f"{list(data.shape)} for {pg.size()} x {list(out.shape)}")
    send, mpi_op, average = _reduction(op, data, "reduce_scatter_tensor")
    receive = out.view(np.uint8) if out.dtype == np.bool_ else out
    request = pg._comm.Ireduce_scatter_block(send, receive, mpi_op)
    return _launch([request], _divider(out, pg.size(), average), async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has reached this call."""
    pg = _resolve(group, "barrier")
    if pg is None:
        return None
    return _launch([pg._comm.Ibarrier()], None, async_op)


# ---- point to point ----------------------------------------------------------------------------------------
def _peer(pg, rank, group_rank, name):
    peer = _root(pg, rank, group_rank, name)
    if peer == pg.rank():
        raise ValueError(f"Invalid {'destination' if name == 'dst' else 'source'} rank: should not be the same "
                         "as the rank of the current process.")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    pg = _resolve(group, "isend")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst")
    return Work([pg._comm.Isend(_array(tensor, "tensor", written=False), dest=peer, tag=tag)])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    pg = _resolve(group, "irecv")
    if pg is None:
        return None
    peer = _mpi().ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src")
    return Work([pg._comm.Irecv(_array(tensor, "tensor"), source=peer, tag=tag)])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send tensor to rank dst, which calls recv; returns when the data has left."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into tensor from rank src (any rank if None); returns the sender's global rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    pg = _resolve(group, "recv")
    return pg._ranks[work._source_rank()]


# ---- small Python objects, as JSON -------------------------------------------------------------------------
def _encode(obj, op_name):
    _check_json(obj, op_name, "the object")
    return np.frombuffer(json.dumps(obj, separators=(",", ":")).encode(), np.uint8)


def _check_json(obj, op_name, where):
    """Only what JSON gives back unchanged travels: a tuple would come back a list, an int key a string."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _check_json(item, op_name, f"{where}[{i}]")
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"{op_name} sends objects as JSON (ember never pickles): {where} has the key "
                                f"{key!r}; dictionary keys must be strings")
            _check_json(value, op_name, f"{where}[{key!r}]")
        return
    raise TypeError(f"{op_name} sends objects as JSON (ember never pickles): {where} is a "
                    f"{type(obj).__name__}; use dicts with string keys, lists, strings, numbers, booleans and None"
                    + (" (a list instead of a tuple)" if isinstance(obj, tuple) else "")
                    + (" (a number from .item() or a list from .tolist() instead of a Tensor)"
                       if isinstance(obj, Tensor) else ""))


def _decode(buffer):
    return json.loads(buffer.tobytes().decode())


def all_gather_object(object_list, obj, group=None):
    """object_list[i] becomes rank i's obj, on every rank (JSON-able objects only)."""
    pg = _resolve(group, "all_gather_object")
    if pg is None:
        return None
    if len(object_list) < pg.size():
        raise IndexError(f"object_list has {len(object_list)} places for {pg.size()} ranks: pass "
                         f"[None] * {pg.size()}")
    payload = _encode(obj, "all_gather_object")
    lengths = np.empty(pg.size(), np.int64)
    pg._comm.Allgather(np.array([payload.size], np.int64), lengths)
    received = np.empty(int(lengths.sum()), np.uint8)
    pg._comm.Allgatherv(payload, [received, lengths])
    ends = np.cumsum(lengths)
    for i, (start, end) in enumerate(zip(ends - lengths, ends)):
        object_list[i] = _decode(received[start:end])


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Every rank's object_list becomes (in place) rank src's, item by item (JSON-able objects only)."""
    pg = _resolve(group, "broadcast_object_list")
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    if pg.rank() == root:
        payloads = [_encode(obj, "broadcast_object_list") for obj in object_list]
        lengths = np.array([p.size for p in payloads], np.int64)
    else:
        lengths = np.empty(len(object_list), np.int64)
    pg._comm.Bcast(lengths, root=root)
    received = np.concatenate(payloads) if pg.rank() == root and payloads else np.empty(int(lengths.sum()), np.uint8)
    pg._comm.Bcast(received, root=root)
    ends = np.cumsum(lengths)
    for i, (start, end) in enumerate(zip(ends - lengths, ends)):
        object_list[i] = _decode(received[start:end])

