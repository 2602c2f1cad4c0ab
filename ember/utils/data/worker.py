"""DataLoader worker processes: start them, seed them as torch does, fetch batches in them, bring the batches back.

What a worker does (``_worker_loop``), in torch's order (torch/utils/data/_utils/worker.py):

1. Seeds: ``seed = base_seed + worker_id`` for ember's global generator and Python's ``random``; NumPy's global
   stream from ``_generate_state(base_seed, worker_id)`` (torch's SeedSequence-like hash); BLAS on one thread.
   The main process draws ``base_seed`` from the loader's generator (or the global one) once per iterator, as
   torch's ``_BaseDataLoaderIter`` does; persistent workers keep theirs from epoch to epoch.
2. ``get_worker_info()`` answers, then ``worker_init_fn(worker_id)`` runs (an error there is the first batch's).
3. It answers tasks ``(idx, indices)`` from its pipe with ``(idx, batch)``, in the order they came, until the
   main process sends None or closes its end (or dies: the worker also looks at its parent now and then).
   A thread of the worker's writes the answers (_Sender), so that a batch waiting to be read does not stop the
   worker fetching the next.

The main process (``WorkerIterator``) hands tasks round-robin to the active workers, at most ``prefetch_factor``
each ahead, and yields batches in task order: the batch for task idx is the next answer from the worker that got
it, since each worker answers in order on its own pipe. A worker's exception comes back as ``WorkerError`` and is
raised again in the main process as torch raises it: "Caught ValueError in DataLoader worker process 1.
Original Traceback (most recent call last): ...".

What crosses the pipes is pickled (multiprocessing's ForkingPickler, with ember Tensors reduced to their NumPy
array: ember/multiprocessing.py): the dataset going to a spawned worker, and the batches coming back (a batch's large arrays can come
through shared memory instead: SHM_MIN_BYTES, off, since it measured slower). The main process unpickles only what
its own workers wrote on pipes it made, never data from anywhere else.

A restarted epoch costs little: the main process lowers BLAS to one thread before it forks, so that no worker
starts a BLAS thread pool (_threads.before_fork); each worker's first tasks are in its pipe as soon as it starts;
at the epoch's end the workers are told to stop and reaped later (_reap), not waited for.
"""
import atexit
import io
import itertools
import mmap
import os
import pickle
import queue
import random
import select
import socket
import struct
import sys
import threading
import time
import traceback
import warnings
import weakref
from dataclasses import dataclass
from multiprocessing import connection, get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from multiprocessing.reduction import ForkingPickler, recvfds, sendfds

import numpy as np

from ... import _threads
from ... import random as _random
from ... import multiprocessing as _multiprocessing  # noqa: F401 (registers how Tensors are pickled)
from .sampler import draw_seed

CHECK_INTERVAL = 5.0  # seconds between looks at the other side's health (torch's MP_STATUS_CHECK_INTERVAL)


# ---- what a worker knows about itself --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What get_worker_info() returns inside a worker: its id, how many there are, its seed, its dataset copy."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """Inside a DataLoader worker, its WorkerInfo (shard an IterableDataset by .id and .num_workers); else None."""
    return _worker_info


def _generate_state(base_seed, worker_id):
    """The four 32-bit words a worker seeds NumPy's global stream with: torch's hash of (worker_id, base_seed)."""
    mask = 0xFFFFFFFF
    entropy = [worker_id, base_seed & mask, base_seed >> 32, 0]
    hash_const_a = 0x43B0D7E5

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask
        hash_const_a = (hash_const_a * 0x931E8875) & mask
        value = (value * hash_const_a) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        result = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask) & mask
        return (result ^ (result >> 16)) & mask

    pool = [hash_(e) for e in entropy]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_(pool[src]))
    hash_const_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_const_b) & mask
        hash_const_b = (hash_const_b * 0x58F38DED) & mask
        value = (value * hash_const_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


# ---- what crosses the pipes ------------------------------------------------------------------------------------
class WorkerError:
    """The exception being handled in a worker, carried to the main process as its type and formatted traceback."""

    def __init__(self, worker_id):
        self.type = type_ = sys.exc_info()[0]
        self.text = "".join(traceback.format_exception(*sys.exc_info()))
        self.where = f"in DataLoader worker process {worker_id}"
        try:  # the type travels by name: one the main process cannot import becomes a RuntimeError there
            pickle.loads(pickle.dumps(type_))
        except Exception:  # noqa: BLE001
            self.type = RuntimeError

    def reraise(self):
        """Raise it here, as torch's ExceptionWrapper.reraise does."""
        message = f"Caught {self.type.__name__} {self.where}.\nOriginal {self.text}"
        if self.type is KeyError:
            message = _KeyErrorMessage(message)
        elif getattr(self.type, "message", None):
            raise self.type(message=message)
        try:
            error = self.type(message)
        except Exception:  # noqa: BLE001 (a type that does not take one message)
            raise RuntimeError(message) from None
        raise error


class _KeyErrorMessage(str):
    """KeyError shows its argument's repr: this string's repr is itself, so the traceback prints as lines."""

    __slots__ = ()

    def __repr__(self):
        return self


class _StreamEnd:
    """A worker's answer when its copy of an IterableDataset has no more samples."""


_RESUMED = "resumed"  # a persistent worker's answer to "resume": it has started its dataset over


def _dumps(message):
    return b"P" + ForkingPickler.dumps(message, pickle.HIGHEST_PROTOCOL)


# A batch's large arrays can come back through shared memory instead: an anonymous memory file (memfd) the worker
# writes them into and passes to the main process with the message (SCM_RIGHTS on the pipe's socket); the main
# process maps it and unpickles the arrays on the mapping, copying nothing. The file has no name (nothing in
# /dev/shm): the kernel frees it with its last mapping, whoever dies or raises when. It is off (None): measured
# against the pickle through the pipe with a consumer that reads the whole batch (benchmarks/dataloader_workers.py
# --only transport, 2 busy cores), the main process's CPU per batch was about the same (1.2 MB: 0.37 ms against
# 0.25; 4.8 MB: 1.5 against 1.8 to 2.1) and the worker's higher (0.55 against 0.23; 2.5 against 1.9): a fresh
# file's pages are allocated and zeroed, and mapped page by page, for every batch, while the pickle's copies land
# in memory malloc has warm. Set a size (bytes) and contiguous buffers that large go through shared memory.
SHM_MIN_BYTES = None
_ALIGN = 64  # each array's offset in the file (a mapping starts on a page: the arrays are 64-byte aligned)
_SHM = hasattr(os, "memfd_create") and hasattr(socket, "CMSG_SPACE")


def _aligned(n):
    return -(-n // _ALIGN) * _ALIGN


def _pack(message):
    """message as the bytes to send, and the memfd holding its large arrays (or None): b"P" + pickle, or
    b"S" + the arrays' count and sizes + a protocol-5 pickle whose large buffers are out of band."""
    if not _SHM or SHM_MIN_BYTES is None:
        return _dumps(message), None
    buffers = []

    def out_of_band(buffer):  # (a false answer keeps the buffer out of the pickle)
        raw = buffer.raw()  # (only contiguous buffers are offered)
        if raw.nbytes < SHM_MIN_BYTES:
            return True
        buffers.append(raw)
        return False
    stream = io.BytesIO()
    ForkingPickler(stream, 5, True, out_of_band).dump(message)
    if not buffers:
        return b"P" + stream.getvalue(), None
    sizes = [b.nbytes for b in buffers]
    try:
        fd = os.memfd_create("ember-batch", os.MFD_CLOEXEC)
    except OSError:  # (out of descriptors or memory: the arrays go in the pickle)
        return _dumps(message), None
    try:
        os.ftruncate(fd, sum(_aligned(n) for n in sizes))
        offset = 0
        for raw in buffers:
            done = 0
            while done < raw.nbytes:
                done += os.pwrite(fd, raw[done:], offset + done)
            offset += _aligned(raw.nbytes)
    except OSError:
        os.close(fd)
        return _dumps(message), None
    header = struct.pack(f"<I{len(sizes)}Q", len(sizes), *sizes)
    return b"S" + header + stream.getvalue(), fd


def _send(conn, message):
    """Send message on a worker's pipe: its bytes, then (when it has large arrays) their memfd."""
    _write(conn, *_pack(message))


def _write(conn, payload, fd):
    try:
        conn.send_bytes(payload)
        if fd is not None:
            with socket.socket(fileno=conn.fileno()) as sock:
                try:
                    sock.settimeout(None)  # (blocking, whatever socket.setdefaulttimeout says)
                    sendfds(sock, [fd])
                finally:
                    sock.detach()  # (the descriptor stays the connection's)
    finally:
        if fd is not None:
            os.close(fd)  # (the message in flight holds the file now: the kernel drops it if nobody receives it)


def _recv(conn):
    """The next message on a pipe from a worker (see _pack)."""
    payload = conn.recv_bytes()
    if payload[:1] == b"P":
        return pickle.loads(memoryview(payload)[1:])
    count, = struct.unpack_from("<I", payload, 1)
    sizes = struct.unpack_from(f"<{count}Q", payload, 5)
    with socket.socket(fileno=conn.fileno()) as sock:
        try:
            sock.settimeout(None)  # (blocking, whatever socket.setdefaulttimeout says)
            fd, = recvfds(sock, 1)
        finally:
            sock.detach()
    try:
        mapping = mmap.mmap(fd, sum(_aligned(n) for n in sizes),  # (all its pages at once: no fault each)
                            flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0))
    finally:
        os.close(fd)
    view, buffers, offset = memoryview(mapping), [], 0
    for n in sizes:
        buffers.append(view[offset:offset + n])
        offset += _aligned(n)
    return pickle.loads(memoryview(payload)[5 + 8 * count:], buffers=buffers)


# ---- the worker process ----------------------------------------------------------------------------------------
class _Sender:
    """A worker's answers leave from a thread of their own, as torch's queue sends from its feeder thread: a batch
    larger than the pipe's buffer blocks its writer until the main process reads it, and the main process reads in
    task order, so a worker writing its answer itself would wait for the other workers' batches instead of
    fetching its next one. The worker pickles (a batch that cannot be pickled is its error to report); the thread
    writes, in order. The main process bounds what waits here (prefetch_factor tasks a worker)."""

    def __init__(self, conn):
        self._conn, self._queue = conn, queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ember-worker-sender", daemon=True)
        self._thread.start()

    def send(self, message):
        self._queue.put(_pack(message))

    def _run(self):
        while True:
            payload, fd = self._queue.get()
            try:
                _write(self._conn, payload, fd)
            except (EOFError, OSError):  # the main process closed its end: the worker's loop sees that and stops
                return


def _worker_loop(conn, closing, fetcher_args, base_seed, init_fn, worker_id, num_workers, parent, forked):
    """Run in a worker process until told to stop (see the module docstring)."""
    from .dataloader import make_fetcher
    global _worker_info
    for other in closing:  # (a forked worker's copies of the main process's pipe ends: only the main may hold them)
        other.close()
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    if forked:  # BLAS is on one thread already (the main process lowered it before the fork): start no pool
        _threads.in_forked_worker()
    else:
        _threads.set_num_threads(1)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=fetcher_args[0])
    error, fetcher = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(*fetcher_args)
    except Exception:  # noqa: BLE001 (reported with the first batch, as torch does)
        error = WorkerError(worker_id)
    ended, sender = False, _Sender(conn)
    try:
        while True:
            if not conn.poll(CHECK_INTERVAL):
                if os.getppid() != parent:  # the main process is gone
                    return
                continue
            message = conn.recv()
            if message is None:
                return
            if message == "resume":  # a persistent worker's new epoch
                ended, fetcher = False, make_fetcher(*fetcher_args)
                sender.send((_RESUMED, None))
                continue
            idx, index = message
            if ended:  # (tasks sent before the main process heard that this stream ended get no answer)
                continue
            if error is not None:
                data, error = error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not fetcher_args[1]:  # a map-style dataset's StopIteration is an error like any other
                        data = WorkerError(worker_id)
                    else:
                        data, ended = _StreamEnd(), True
                except Exception:  # noqa: BLE001
                    data = WorkerError(worker_id)
            try:
                sender.send((idx, data))
            except Exception:  # noqa: BLE001 (a batch that cannot be pickled: the main process hears why)
                sender.send((idx, WorkerError(worker_id)))
            del data
    except (EOFError, OSError, KeyboardInterrupt):  # the main process closed its end (or was interrupted): stop
        return


# ---- the main process's side -----------------------------------------------------------------------------------
_MAIN_ENDS = weakref.WeakSet()  # every worker pipe's main-process end: a worker forked later closes its copies


def start_method_context(context, num_workers):
    """The loader's multiprocessing_context, checked as torch checks it (None: the process's start method, as torch)."""
    if context is None:
        return None
    if num_workers <= 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    if isinstance(context, str):
        methods = get_all_start_methods()
        if context not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                             f"but got multiprocessing_context={context!r}")
        context = get_context(context)
    if not isinstance(context, BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={context}")
    return context


def _default_context():
    """torch's workers start by the process's start method (fork on Linux, unless set_start_method chose another)."""
    return get_context()


class WorkerIterator:
    """The DataLoader's iterator when num_workers > 0: batches fetched by worker processes, in order."""

    def __init__(self, loader):
        self._loader = loader
        self._num_workers = n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._base_seed = draw_seed(loader.generator)  # before any index is drawn, as torch's iterator does
        context = loader.multiprocessing_context or _default_context()
        forked = context.get_start_method() == "fork"
        _reap()  # the workers of earlier epochs that have exited since they were told to stop
        pipes = [context.Pipe() for _ in range(n)]  # (main end, worker end)
        self._conns = [main for main, _ in pipes]
        _MAIN_ENDS.update(self._conns)
        fetcher_args = (loader.dataset, loader._stream, loader._auto_collation, loader.collate_fn, loader.drop_last)
        self._workers = []
        # stops the workers when this iterator is dropped, or at interpreter exit (persistent workers), once
        self._finalizer = weakref.finalize(self, _stop_workers, self._conns, self._workers, os.getpid())
        self._finalizer.atexit = False  # (_at_exit stops them, and waits for them, instead)
        _LIVE.add(self)
        # the first tasks are drawn now, so that each worker's are in its pipe as soon as it starts (the base seed
        # was drawn first, and the workers' streams are seeded from it: when they start changes no number)
        try:
            first = self._new_epoch()
            if forked:
                _threads.before_fork()  # (BLAS on one thread before the fork: see _threads.before_fork)
            for i, (_, end) in enumerate(pipes):
                closing = [c for c in list(_MAIN_ENDS) + [e for _, e in pipes] if c is not end] if forked else ()
                worker = context.Process(target=_worker_loop, daemon=True,
                                         args=(end, closing, fetcher_args, self._base_seed, loader.worker_init_fn,
                                               i, n, os.getpid(), forked))
                worker.start()
                self._workers.append(worker)
                end.close()  # the main process keeps only its own ends
                for idx in range(i, len(first), n):  # this worker's first tasks, while the next one starts
                    self._conns[i].send((idx, first[idx]))
        except BaseException:
            self._shutdown()
            raise
        finally:
            for _, end in pipes:
                end.close()
        self._send_idx = len(first)

    def _new_epoch(self):
        """A new epoch's bookkeeping, and its first prefetch_factor tasks per worker (the indices of each), to be
        sent round-robin: task idx to worker idx % num_workers."""
        self._indices = self._loader._indices()
        self._send_idx = self._rcvd_idx = 0
        self._active = [True] * self._num_workers
        first = list(itertools.islice(self._indices, self._prefetch * self._num_workers))
        self._task_worker = {idx: idx % self._num_workers for idx in range(len(first))}  # task idx -> its worker
        self._next_worker = len(first) % self._num_workers
        return first

    def _start_epoch(self):
        """A persistent iterator's new epoch: each worker starts its dataset over (the answers it had left from
        the last epoch are dropped), then the first tasks go out."""
        for conn in self._conns:
            conn.send("resume")
        first = self._new_epoch()
        for w in range(self._num_workers):
            while self._receive(w)[0] != _RESUMED:
                pass
        for idx, index in enumerate(first):
            self._conns[idx % self._num_workers].send((idx, index))
        self._send_idx = len(first)

    def reset(self):
        """A persistent iterator's next epoch (DataLoader.__iter__ calls it): same workers, same seeds."""
        self._start_epoch()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _send_task(self):
        try:
            index = next(self._indices)
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next active worker, round-robin
            w = self._next_worker
            self._next_worker = (w + 1) % self._num_workers
            if self._active[w]:
                break
        else:
            return
        self._conns[w].send((self._send_idx, index))
        self._task_worker[self._send_idx] = w
        self._send_idx += 1

    def __next__(self):
        if _STOPPING:
            _reap()
        while True:
            if self._rcvd_idx >= self._send_idx:  # every task answered: the epoch is over
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            w = self._task_worker.pop(self._rcvd_idx)
            if not self._active[w]:  # sent to a stream that had already ended: no answer will come
                self._rcvd_idx += 1
                continue
            idx, data = self._receive(w)
            assert idx == self._rcvd_idx, "a worker answered out of order"
            self._rcvd_idx += 1
            if isinstance(data, _StreamEnd):
                self._active[w] = False
                if not self._persistent:
                    self._conns[w].send(None)  # this worker is done for good
                self._send_task()
                continue
            self._send_task()
            if isinstance(data, WorkerError):
                data.reraise()
            return data

    def _receive(self, w):
        """The next message from worker w; RuntimeError if it died or (with a timeout) took too long."""
        conn, worker = self._conns[w], self._workers[w]
        while True:
            ready = connection.wait([conn, worker.sentinel], self._timeout or CHECK_INTERVAL)
            if conn in ready or (ready and conn.poll()):
                try:
                    return _recv(conn)
                except (EOFError, OSError, RuntimeError):  # its end closed or reset (or no descriptor): it died
                    ready = ready or [worker.sentinel]
            if ready:
                message = f"DataLoader worker (pid(s) {worker.pid}) exited unexpectedly"
            elif self._timeout:
                message = f"DataLoader timed out after {self._timeout} seconds"
            else:
                continue
            self._shutdown()
            raise RuntimeError(message)

    def _shutdown(self):
        self._finalizer()


def _stop_workers(conns, workers, owner):
    """Tell each worker to stop and close the main process's pipe ends; the workers then exit by themselves, and
    are reaped (_reap) without anyone waiting for them here. Only in the process that started them (a forked child
    has copies of these objects).

    The stop message reaches a worker waiting for a task even when some other process forked meanwhile holds a
    copy of the pipe end (closing alone would then not reach it); closing reaches a worker blocked sending a batch.
    """
    if os.getpid() != owner:
        return
    for conn in conns:
        try:
            if not conn.closed and select.select([], [conn], [], 0)[1]:  # (never block on a full pipe here)
                conn.send(None)
        except (OSError, ValueError):  # gone already, or a pipe select cannot watch
            pass
        conn.close()
    deadline = time.monotonic() + CHECK_INTERVAL
    with _REAPING:
        _STOPPING.extend((worker, deadline, owner) for worker in workers)
    _reap()


_STOPPING = []  # (worker, deadline, the pid that started it): told to stop, not yet reaped; terminated past deadline
_REAPING = threading.Lock()  # (loaders iterated in several threads share the list)


def _after_fork_in_child():
    global _REAPING
    _REAPING = threading.Lock()  # (another thread may have held it at the fork)
    _STOPPING.clear()  # (the parent's workers: not this process's to reap)


os.register_at_fork(after_in_child=_after_fork_in_child)
_LIVE = weakref.WeakSet()  # the iterators whose workers may be running


def _reap(wait=False):
    """Reap the stopping workers that have exited (a zombie's entry in the process table goes), terminate those
    still alive past their deadline; with wait, wait for all of them (at exit). Never blocks otherwise.

    Called when an iterator starts or stops workers, on each batch while some are stopping, and at exit: an
    epoch's workers exit within milliseconds of being told, and are gone from the process table by the next
    batch or the next epoch, while nobody waited for them at the end of the epoch they served (a join there cost
    each epoch the workers' exit: a few ms, more on a busy machine)."""
    with _REAPING:
        _reap_locked(wait)


def _reap_locked(wait):
    left = []
    for worker, deadline, owner in _STOPPING:
        if owner != os.getpid():  # (a forked child's copy of this list: not its workers)
            continue
        try:
            if worker.exitcode is None and wait:
                worker.join(max(0.0, deadline - time.monotonic()))
            if worker.exitcode is None and (wait or time.monotonic() > deadline):
                worker.terminate()
                worker.join(CHECK_INTERVAL)
            if worker.exitcode is None:  # (exitcode: a waitpid that does not block)
                left.append((worker, deadline, owner))
            else:
                worker.close()
        except ValueError:  # closed already
            pass
    _STOPPING[:] = left


@atexit.register
def _at_exit():
    """Stop every iterator's workers (persistent ones live until now) and wait until they are gone: registered
    after multiprocessing's own exit handler, so it runs before that one, which would terminate them."""
    for iterator in list(_LIVE):
        iterator._shutdown()
    _reap(wait=True)


def check_worker_count(num_workers):
    """torch's warning when a loader would start more workers than this process has cores."""
    if not num_workers:
        return
    cpuset = hasattr(os, "sched_getaffinity")
    suggest = len(os.sched_getaffinity(0)) if cpuset else os.cpu_count()
    if suggest is None:
        suggested = "DataLoader is not able to compute a suggested max number of worker in current system."
    elif num_workers > suggest:
        suggested = (f"Our suggested max number of worker in current system is {suggest}"
                     f"{'' if cpuset else ' (`cpuset` is not taken into account)'}, which is smaller than what this "
                     "DataLoader is going to create.")
    else:
        return
    warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. {suggested} Please be aware "
                  "that excessive worker creation might get DataLoader running slow or even freeze, lower the worker "
                  "number to avoid potential slowness/freeze if necessary.", stacklevel=3)
