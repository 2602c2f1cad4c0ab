"""DistributedDataParallel: every process trains the same model on its own slice of each batch.

The ranks start from the same weights (rank 0's, broadcast at construction). Each computes gradients on its own
data; during backward they are averaged across the ranks, so every rank takes the same optimizer step and the
models stay identical: training on p processes with batch b each is training on one batch of p*b.

How the averaging overlaps with backward (as torch's reducer does):
  - the parameters are put in buckets, in reverse order (the order backward reaches them), each closed once it
    holds bucket_cap_mb (default 25 MB; then the first only 1 MB, so that communication starts early);
  - each parameter's post-accumulate-grad hook copies its .grad (divided by the world size) into its bucket;
    when a bucket is full, a non-blocking allreduce (MPI_Iallreduce) starts on it while backward goes on
    computing the gradients of earlier layers. Buckets start in the same order on every rank, as MPI requires;
  - MPI moves a non-blocking collective's data only while some MPI call is running in the process, so a helper
    thread waits in MPI_Wait on each started bucket while the main thread computes (torch's gloo backend also
    communicates from background threads); without MPI_THREAD_MULTIPLE, each hook asks MPI_Test instead;
  - at the end of backward (an engine final callback) the remaining allreduces are waited for and the averaged
    gradients written back into .grad, before backward() returns.
"""
import contextlib
import threading
import weakref

import numpy as np

from ... import distributed as dist
from ...autograd import engine
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import _wrap
from ..modules.module import Module

MB = 1024 * 1024
FIRST_BUCKET_BYTES = 1 * MB


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    def __init__(self, params, dtype):
        self.params = params
        self.sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype)
        self.ready = [False] * len(params)
        self.waiting = len(params)
        self.work = self.mover = None

    def slot(self, i):
        return self.flat[self.offsets[i]:self.offsets[i + 1]]

    def start(self, group, in_background):
        self.work = dist.all_reduce(_wrap(self.flat), group=group, async_op=True)
        if in_background:
            self.mover = threading.Thread(target=self.work.wait, daemon=True)
            self.mover.start()

    def finish(self):
        if self.mover is not None:
            self.mover.join()
        self.work.wait()

    def reset(self):
        self.ready = [False] * len(self.params)
        self.waiting = len(self.params)
        self.work = self.mover = None


def _bucket_assignment(params, first_bytes, cap_bytes):
    """Group params (in reverse order, by dtype) into buckets: close one when it holds at least its limit."""
    buckets, open_buckets = [], {}  # dtype -> (params so far, bytes so far, limit)
    for p in reversed(params):
        key = p._data.dtype
        members, size, limit = open_buckets.get(key, ([], 0, first_bytes))
        members.append(p)
        size += p._data.nbytes
        if size >= limit:
            buckets.append(_Bucket(members, key))
            members, size, limit = [], 0, cap_bytes
        open_buckets[key] = (members, size, limit)
    buckets += [_Bucket(members, key) for key, (members, _, _) in open_buckets.items() if members]
    return buckets


class DistributedDataParallel(Module):
    """Wrap a module for data-parallel training: ddp = DistributedDataParallel(model); ddp(x) runs model(x), and
    backward averages the gradients over the process group. The model is ddp.module; state_dict keys start
    with "module." as torch's. gradient_as_bucket_view and static_graph are accepted and change nothing here
    (they only save memory or time in torch)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if device_ids is not None or output_device is not None:
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with GPU "
                             f"modules; ember's processes train on the CPU: leave them out (got {device_ids}, "
                             f"{output_device})")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        self.module = module
        self.process_group = dist.process_group._default_group() if process_group is None else process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self._names = {id(p): name for name, p in named}
        self._params = [p for _, p in named]
        self._index = {id(p): k for k, p in enumerate(self._params)}
        cap = 25 * MB if bucket_cap_mb is None else int(bucket_cap_mb * MB)
        self._buckets = _bucket_assignment(self._params, FIRST_BUCKET_BYTES if bucket_cap_mb is None else cap, cap)
        self._place = {id(p): (b, i) for b in self._buckets for i, p in enumerate(b.params)}
        self._sync_this_pass = False  # decided by forward (no_sync, grad mode), as torch decides
        self._in_backward = False
        self._next_bucket = 0
        self._in_background = dist.process_group._threads_allowed()
        handles = [p.register_post_accumulate_grad_hook(_weak_hook(self)) for p in self._params]
        weakref.finalize(self, _remove_all, handles)  # a discarded wrapper leaves no hooks on the parameters
        self._sync_module_states()

    # ---- construction and forward ----------------------------------------------------------------------
    def _sync_module_states(self):
        """Every rank starts from rank 0's parameters and buffers."""
        root = dist.get_global_rank(self.process_group, 0)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            dist.broadcast(t, src=root, group=self.process_group)

    def forward(self, *inputs, **kwargs):
        self._start_pass()
        if self.broadcast_buffers and self.process_group.size() > 1:
            root = dist.get_global_rank(self.process_group, 0)
            for buffer in self.module.buffers():  # e.g. BatchNorm's running statistics: rank 0's everywhere
                dist.broadcast(buffer, src=root, group=self.process_group)
        self._sync_this_pass = self.require_backward_grad_sync and is_grad_enabled()
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, forward/backward accumulate gradients locally (no communication); the first backward after
        it averages everything accumulated. For gradient accumulation over several micro-batches."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ---- during backward -----------------------------------------------------------------------------------
    def _start_pass(self):
        for bucket in self._buckets:
            if bucket.work is not None:  # left by a backward that raised: the same on every rank, let it land
                bucket.finish()
            bucket.reset()
        self._next_bucket = 0
        self._in_backward = False

    def _grad_ready(self, param):
        """A parameter's .grad is complete for this backward: into its bucket, and start what is full."""
        if not self._sync_this_pass:
            return
        if not self._in_backward:
            self._in_backward = True
            engine.queue_callback(self._finish_reduction)
        bucket, i = self._place[id(param)]
        if bucket.ready[i]:
            raise RuntimeError(f"DistributedDataParallel: parameter {self._names[id(param)]} received its "
                               "gradient twice in one backward pass (a second backward through the same forward "
                               "needs a new forward call)")
        np.divide(param.grad._data.reshape(-1), self.process_group.size(), out=bucket.slot(i))
        bucket.ready[i] = True
        bucket.waiting -= 1
        self._launch_ready_buckets()
        if not self._in_background:  # let MPI move the started buckets' data a little
            for bucket in self._buckets[:self._next_bucket]:
                bucket.work.is_completed()

    def _launch_ready_buckets(self):
        """Start every full bucket whose predecessors have started: the same order on every rank."""
        last = len(self._buckets) - 1
        while self._next_bucket <= last and self._buckets[self._next_bucket].waiting == 0:
            # the last bucket is ready when backward is (nearly) over: nothing left to overlap, no helper thread
            self._buckets[self._next_bucket].start(self.process_group, self._in_background and self._next_bucket < last)
            self._next_bucket += 1

    def _finish_reduction(self):
        """The end of backward: wait for the allreduces, write the averaged gradients into .grad."""
        self._in_backward = self._sync_this_pass = False  # the next backward needs a forward through DDP again
        missing = [(b, i) for b in self._buckets for i in range(len(b.params)) if not b.ready[i]]
        if missing and not self.find_unused_parameters:
            names = ", ".join(self._names[id(b.params[i])] for b, i in missing)
            raise RuntimeError(
                f"DistributedDataParallel: on rank {dist.get_rank()} these parameters got no gradient in this "
                f"backward pass: {names}. They were not used in producing the loss; pass "
                "find_unused_parameters=True to DistributedDataParallel, or make every output take part in the loss")
        used = None
        if self.find_unused_parameters:
            used = np.ones(len(self._params), np.int64)
            for b, i in missing:  # no gradient here: this rank contributes its .grad as it is (zero if None)
                p = b.params[i]
                used[self._index[id(p)]] = 0
                slot = b.slot(i)
                slot[...] = 0 if p.grad is None else p.grad._data.reshape(-1) / self.process_group.size()
                b.ready[i] = True
                b.waiting -= 1
            self._launch_ready_buckets()
            dist.all_reduce(_wrap(used), group=self.process_group)  # which parameters some rank used
        for bucket in self._buckets:
            bucket.finish()
            for i, p in enumerate(bucket.params):
                if used is not None and used[self._index[id(p)]] == 0:
                    continue  # no rank used it: its .grad stays as it was, as in torch
                averaged = bucket.slot(i).reshape(p._data.shape)
                if p.grad is None:
                    p.grad = _wrap(averaged.copy())
                else:
                    p.grad._data[...] = averaged
            bucket.reset()
        self._next_bucket = 0


def _weak_hook(ddp):
    """The parameters' hook, holding the wrapper weakly: the parameters must not keep it alive."""
    method = weakref.WeakMethod(ddp._grad_ready)

    def hook(param):
        grad_ready = method()
        if grad_ready is not None:
            grad_ready(param)
    return hook


def _remove_all(handles):
    for handle in handles:
        handle.remove()


__all__ = ["DistributedDataParallel"]
