"""What a restarted epoch of DataLoader workers costs and leaves behind: batches through shared memory (no segment
left after an epoch, a break, a worker's exception or death), workers reaped without a join at the epoch's end,
and BLAS on one thread in each worker without a thread pool started there."""
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata
from ember.utils.data import worker as W

SHM_MIN_BYTES = 512 * 1024
LARGE = SHM_MIN_BYTES // 4 + 1  # float32 elements: one array this long goes through shared memory


@pytest.fixture
def shared_memory(monkeypatch):
    """Batches' large arrays through shared memory (off by default: it measured slower than the pickle)."""
    monkeypatch.setattr(W, "SHM_MIN_BYTES", SHM_MIN_BYTES)


def memfds():
    """This process's open memfd descriptors and mappings of them (the batches' shared memory)."""
    fds = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds += "memfd:" in os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    with open("/proc/self/maps") as f:
        maps = sum("memfd:ember-batch" in line for line in f)
    return fds, maps


def dev_shm():
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


needs_memfd = pytest.mark.skipif(not W._SHM, reason="no memfd on this platform: batches come pickled")


def arrays_dataset(data, lib, n=6):
    class Arrays(data.Dataset):
        """Samples of a large float32 array, a Fortran-ordered one, a strided view, a small one and an int."""

        def __len__(self):
            return n

        def __getitem__(self, i):
            big = lib.arange(LARGE, dtype=lib.float32) + i
            fortran = lib.tensor(np.asfortranarray(np.arange(600.0 * 300).reshape(600, 300) * i))
            strided = (lib.arange(2 * LARGE, dtype=lib.float32) - i)[::2]
            return big, fortran, strided, lib.ones(3) * i, i
    return Arrays()


@needs_memfd
@pytest.mark.parametrize("workers", [1, 2])
def test_large_batches_come_back_through_shared_memory_with_torchs_values(workers, shared_memory):
    def run(lib, data):
        loader = data.DataLoader(arrays_dataset(data, lib), batch_size=2, num_workers=workers)
        return [[(c.numpy().copy(), str(c.dtype), tuple(c.shape)) for c in batch] for batch in loader]
    ours, theirs = run(ember, edata), run(torch, tdata)
    for ours_batch, their_batch in zip(ours, theirs, strict=True):
        for (a, adt, ashape), (b, bdt, bshape) in zip(ours_batch, their_batch, strict=True):
            assert ashape == bshape and adt.split(".")[-1] == bdt.split(".")[-1]
            np.testing.assert_array_equal(a, b)
    it = iter(edata.DataLoader(arrays_dataset(edata, ember), batch_size=2, num_workers=workers))
    big, fortran, strided, small, label = next(it)
    assert memfds()[1] >= 1  # the batch lies on a mapping of the worker's memory file
    big += 1  # an ordinary, writable array
    assert float(big[0, 0]) == 1.0
    del it, big, fortran, strided, small, label
    gc.collect()
    assert memfds() == (0, 0)


def killing_dataset(data, at):
    class Dies(data.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            if i == at:
                os._exit(3)
            return ember.zeros(LARGE)
    return Dies()


@needs_memfd
def test_no_shared_memory_left_after_an_epoch_a_break_an_error_or_a_dead_worker(shared_memory):
    before_shm = dev_shm()
    assert memfds() == (0, 0)
    data = edata.TensorDataset(ember.zeros(16, LARGE))
    for batch in edata.DataLoader(data, batch_size=2, num_workers=2):  # a whole epoch
        pass
    del batch
    it = iter(edata.DataLoader(data, batch_size=2, num_workers=2, prefetch_factor=4))
    next(it)
    time.sleep(0.3)  # (batches in flight: written by the workers, not yet received)
    del it  # a break
    with pytest.raises(ValueError):  # a worker's exception
        for _ in edata.DataLoader(ErrorAfterLarge(), batch_size=2, num_workers=2):
            pass
    with pytest.raises(RuntimeError, match="exited unexpectedly"):  # a worker that dies
        for _ in edata.DataLoader(killing_dataset(edata, 5), batch_size=2, num_workers=2):
            pass
    loader = edata.DataLoader(data, batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        list(loader)
    del loader, _
    gc.collect()
    assert memfds() == (0, 0)
    assert dev_shm() <= before_shm


class ErrorAfterLarge(edata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample")
        return ember.zeros(LARGE)


def test_small_batches_stay_in_the_pickle(shared_memory):
    it = iter(edata.DataLoader(edata.TensorDataset(ember.arange(64.0)), batch_size=4, num_workers=2))
    batch = next(it)
    assert batch[0].tolist() == [0.0, 1.0, 2.0, 3.0] and memfds() == (0, 0)
    del it


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


class Slow(edata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        time.sleep(0.01)
        return i


def test_an_epochs_workers_are_reaped_without_a_join_and_never_pile_up():
    loader = edata.DataLoader(Slow(), batch_size=2, num_workers=2)
    earlier = []
    for _ in range(5):
        it = iter(loader)
        pids = [w.pid for w in it._workers]
        for _ in it:
            pass
        assert all(state(p) is None for p in earlier)  # the last epoch's workers: reaped during this one
        earlier = pids
    del it
    W._reap(wait=True)
    assert all(state(p) is None for p in earlier) and not W._STOPPING


def test_workers_are_waited_for_at_exit():
    script = textwrap.dedent("""
        import ember.utils.data as data
        persistent = data.DataLoader(list(range(8)), batch_size=2, num_workers=2, persistent_workers=True)
        list(persistent)
        it = iter(persistent)
        next(it)  # alive at exit, mid-epoch
        for _ in data.DataLoader(list(range(8)), batch_size=2, num_workers=2):
            pass  # stopped at the end of the epoch, not waited for then
        print(*[w.pid for w in it._workers], flush=True)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert all(state(int(p)) is None for p in out.stdout.split())


def blas_dataset(data, lib):
    class Threads(data.Dataset):
        """What a worker's BLAS looks like: its thread count, and this process's threads after products."""

        def __len__(self):
            return 2

        def __getitem__(self, i):
            a = lib.ones(300, 300)
            (a @ a).sum()  # a small product
            b = lib.ones(1200, 1200)
            (b @ b).sum()  # a large one
            time.sleep(0.05)
            # the process's threads that Python did not start (the worker's own sender thread is Python's)
            return lib.tensor([lib.get_num_threads(), len(os.listdir("/proc/self/task")) - threading.active_count() + 1])
    return Threads()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_a_forked_worker_has_one_blas_thread_and_starts_no_pool():
    before = ember.get_num_threads()
    got = next(iter(edata.DataLoader(blas_dataset(edata, ember), batch_size=2, num_workers=1)))
    theirs = next(iter(tdata.DataLoader(blas_dataset(tdata, torch), batch_size=2, num_workers=1)))
    assert got[:, 0].tolist() == theirs[:, 0].tolist() == [1, 1]  # torch's workers set one thread too
    assert got[:, 1].tolist() == [1, 1]  # no BLAS thread started in the worker (it spun for 0.1 s of CPU)
    assert ember.get_num_threads() == before  # the main process's count is untouched


def test_by_default_large_batches_come_pickled():
    it = iter(edata.DataLoader(edata.TensorDataset(ember.zeros(8, LARGE)), batch_size=4, num_workers=2))
    batch = next(it)
    assert batch[0].shape == (4, LARGE) and memfds() == (0, 0)
    del it


class _CountingDataset(edata.Dataset):
    """Samples of 1 MB (a batch far larger than a pipe's buffer); counts the fetches in memory the workers share."""

    def __init__(self, n):
        import multiprocessing
        self.n, self.fetched = n, multiprocessing.get_context("fork").Value("i", 0)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        with self.fetched.get_lock():
            self.fetched.value += 1
        return np.full(256 * 1024, i, dtype=np.float32)


@pytest.mark.parametrize("shared", [False, True])
def test_a_worker_fetches_its_next_task_while_a_batch_waits_to_be_read(shared, monkeypatch):
    """A batch larger than the pipe's buffer must not hold its worker until the main process reads it (torch's
    queue sends from a feeder thread): with one worker and two tasks ahead, once the first batch is taken the worker
    fetches the third while the second waits in the pipe."""
    if shared:
        monkeypatch.setattr(W, "SHM_MIN_BYTES", SHM_MIN_BYTES)
    dataset = _CountingDataset(8)
    loader = edata.DataLoader(dataset, batch_size=1, num_workers=1, prefetch_factor=2,
                              multiprocessing_context="fork")
    it = iter(loader)
    first = next(it)
    deadline = time.monotonic() + 10
    while dataset.fetched.value < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dataset.fetched.value == 3  # tasks 1 and 2 fetched; task 3 not sent yet (two ahead)
    rest = [batch for batch in it]
    assert [float(b[0, 0]) for b in [first] + rest] == list(range(8))
