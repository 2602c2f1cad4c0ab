"""DataLoader worker processes against torch's: seeding, get_worker_info, sharding, errors, timeouts, shutdown."""
import dataclasses
import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

LIBS = [(ember, edata), (torch, tdata)]
IDS = ["ember", "torch"]


def both(fn):
    """fn(lib, data) for ember and for torch: the two results."""
    return [fn(lib, data) for lib, data in LIBS]


def closing(loader):
    """An iterator over loader whose workers stop when the with-block ends, error or not (torch's would otherwise
    wait for the cycle collector, and then spend seconds stopping its workers)."""
    class Closing:
        def __enter__(self):
            self.it = iter(loader)
            return self.it

        def __exit__(self, *exc):
            (getattr(self.it, "_shutdown_workers", None) or self.it._shutdown)()  # (torch's name, or ember's)
    return Closing()


def caught(fn, expected=Exception):
    """The exception fn() raises, as (type, message); its traceback is dropped here, since kept (as pytest.raises
    keeps it) it would hold the loader's iterator, and so its workers, alive until the cycle collector runs."""
    try:
        fn()
    except expected as error:
        return type(error), str(error)
    raise AssertionError(f"{fn} raised nothing")


def gone(pid, within=10.0):
    """Whether process pid has exited (or is a zombie waiting for someone to reap it) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def random_dataset(lib, data, n=10):
    class Draws(data.Dataset):
        """Each sample draws from every stream a worker seeds: the library's, Python's and NumPy's."""

        def __len__(self):
            return n

        def __getitem__(self, i):
            info = data.get_worker_info()
            own = [lib.rand(1).item(), lib.randn(3).sum().item()]
            if info is None:  # (the main process's Python and NumPy streams are nobody's to seed)
                return lib.tensor([float(i)] + own + [-1.0] * 4, dtype=lib.float64)
            return lib.tensor([float(i)] + own + [random.random(), np.random.rand(), info.id, info.seed % 10007],
                              dtype=lib.float64)
    return Draws()


@pytest.mark.parametrize("workers,persistent", [(0, False), (1, False), (1, True), (2, False), (2, True)])
def test_every_number_a_seeded_program_draws_is_torchs(workers, persistent):
    """Shuffled, two epochs: the batches, the numbers drawn in the workers, and the main stream's next draw."""
    def run(lib, data):
        lib.manual_seed(0)
        loader = data.DataLoader(random_dataset(lib, data), batch_size=3, shuffle=True, num_workers=workers,
                                 persistent_workers=persistent)
        epochs = [[b.tolist() for b in loader] for _ in range(2)]
        return epochs, lib.rand(2).tolist()
    ours, theirs = both(run)
    assert ours == theirs


def test_a_loader_generator_gives_the_base_seed_and_the_order():
    def run(lib, data):
        g = lib.Generator().manual_seed(7)
        loader = data.DataLoader(random_dataset(lib, data, 6), batch_size=2, shuffle=True, num_workers=2,
                                 generator=g)
        return [b.tolist() for b in loader], g.initial_seed(), lib.rand(1).item()
    ours, theirs = both(run)
    assert ours[0] == theirs[0] and ours[1:] == theirs[1:]


def test_worker_init_fn_runs_in_each_worker_after_seeding():
    def run(lib, data):
        def init(worker_id):
            info = data.get_worker_info()
            np.random.seed(info.seed % 2 ** 32 + 1)  # the usual recipe: a seed of one's own from the worker's
            assert info.id == worker_id

        class D(data.Dataset):
            def __len__(self):
                return 8

            def __getitem__(self, i):
                return np.random.rand()
        lib.manual_seed(5)
        return [b.tolist() for b in data.DataLoader(D(), batch_size=2, num_workers=2, worker_init_fn=init)]
    ours, theirs = both(run)
    assert ours == theirs


def test_get_worker_info_outside_and_inside_a_worker():
    def run(lib, data):
        class D(data.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                info = data.get_worker_info()
                try:
                    info.id = 9
                    frozen = False
                except dataclasses.FrozenInstanceError:
                    frozen = True
                return (info.id, info.num_workers, frozen, info.dataset is not None,
                        repr(info).split(", seed=")[0], type(info).__name__)
        assert data.get_worker_info() is None
        return [list(b) for b in data.DataLoader(D(), batch_size=None, num_workers=2)]
    ours, theirs = both(run)
    assert ours == theirs
    assert [o[0] for o in ours] == [0, 1, 0, 1]


class Shards:
    """An IterableDataset sharded by get_worker_info: worker w reads range(start + w, end, num_workers)."""

    @staticmethod
    def make(data, start, end):
        class Stream(data.IterableDataset):
            def __iter__(self):
                info = data.get_worker_info()
                if info is None:
                    return iter(range(start, end))
                return iter(range(start + info.id, end, info.num_workers))
        return Stream()


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # (3 workers on a 2-core machine)
@pytest.mark.parametrize("workers", [0, 1, 2, 3])
@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (1, False), (2, False), (4, False), (4, True)])
def test_iterable_dataset_sharding_gives_torchs_batches(workers, batch_size, drop_last):
    def run(lib, data):
        loader = data.DataLoader(Shards.make(data, 3, 14), batch_size=batch_size, drop_last=drop_last,
                                 num_workers=workers)
        return [b if batch_size is None else b.tolist() for b in loader]
    ours, theirs = both(run)
    assert ours == theirs


def test_iterable_dataset_with_persistent_workers_starts_over_each_epoch():
    def run(lib, data):
        loader = data.DataLoader(Shards.make(data, 0, 9), batch_size=2, num_workers=2, persistent_workers=True)
        return [[b.tolist() for b in loader] for _ in range(3)]
    ours, theirs = both(run)
    assert ours == theirs


def test_collate_structures_and_tensors_come_back_from_workers():
    def run(lib, data):
        x = lib.arange(24.0).reshape(12, 2)
        y = lib.arange(12)
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=5, num_workers=2)
        dicts = data.DataLoader([{"a": i, "b": [float(i), "s"]} for i in range(5)], batch_size=2, num_workers=2)
        out = [(bx.tolist(), bx.dtype == lib.float32, by.tolist(), by.dtype == lib.int64) for bx, by in loader]
        return out, [repr(b) for b in dicts]
    ours, theirs = both(run)
    assert ours[0] == theirs[0]
    assert ours[1] == [r.replace("torch.", "ember.") for r in theirs[1]]


def error_dataset(data, error, at=5):
    class Failing(data.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            if i == at:
                raise error
            return i
    return Failing()


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


@pytest.mark.parametrize("error", [ValueError("bad sample 5"), KeyError("missing"), IndexError(5),
                                   TwoArgError("x", "y")], ids=["ValueError", "KeyError", "IndexError", "two-args"])
def test_a_workers_exception_is_raised_again_as_torch_raises_it(error):
    def run(lib, data):
        loader = data.DataLoader(error_dataset(data, error), batch_size=2, num_workers=2)
        got = []

        def loop():
            with closing(loader) as it:
                for b in it:
                    got.append(b.tolist())
        return (got,) + caught(loop)
    (ours, ours_type, ours_msg), (theirs, theirs_type, theirs_msg) = both(run)
    assert ours == theirs == [[0, 1], [2, 3]]
    assert ours_type is theirs_type
    head = "\n".join(theirs_msg.splitlines()[:2])  # "Caught X in DataLoader worker process 0.\nOriginal Traceback..."
    assert ours_msg.startswith(head), (ours_msg, theirs_msg)
    assert ours_msg.splitlines()[-1] == theirs_msg.splitlines()[-1]
    assert "__getitem__" in ours_msg  # the worker's own traceback


def test_an_error_in_worker_init_fn_is_the_first_batchs():
    def run(lib, data):
        def init(worker_id):
            if worker_id == 1:
                raise ValueError("no config")
        loader = data.DataLoader(list(range(8)), batch_size=2, num_workers=2, worker_init_fn=init)
        got = []

        def loop():
            with closing(loader) as it:
                for b in it:
                    got.append(b.tolist())
        kind, message = caught(loop, ValueError)
        return got, message.splitlines()[0], message.splitlines()[-1]
    ours, theirs = both(run)
    assert ours == theirs == ([[0, 1]], "Caught ValueError in DataLoader worker process 1.", "ValueError: no config")


def test_a_batch_that_needs_a_graph_cannot_leave_its_worker():
    """torch's message, but raised in the main process: torch's worker fails in its queue's feeder thread, which
    prints the error and drops the batch, so torch's loader waits for it forever (not run here for that reason)."""
    w = ember.ones(2, requires_grad=True)
    loader = edata.DataLoader([0, 1], batch_size=2, num_workers=1, collate_fn=lambda b: w * 2, timeout=30)
    kind, message = caught(lambda: next(iter(loader)), RuntimeError)
    lines = message.splitlines()
    assert lines[0] == "Caught RuntimeError in DataLoader worker process 0."
    assert lines[-1].startswith("RuntimeError: Cowardly refusing to serialize non-leaf tensor which requires_grad")
    leaf = edata.DataLoader([0, 1], batch_size=2, num_workers=1, collate_fn=lambda b: w)
    got = next(iter(leaf))
    assert got.requires_grad and got.grad_fn is None and got.tolist() == [1.0, 1.0]


def test_a_worker_that_dies_is_reported():
    def run(lib, data):
        class Dies(data.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                os._exit(3)
        with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
            with closing(data.DataLoader(Dies(), num_workers=1)) as it:
                list(it)
    both(run)


def test_timeout():
    def run(lib, data):
        class Slow(data.Dataset):
            def __len__(self):
                return 2

            def __getitem__(self, i):
                time.sleep(1)
                return i
        with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
            with closing(data.DataLoader(Slow(), num_workers=1, timeout=0.3)) as it:
                list(it)
    both(run)


def test_prefetch_factor_and_start_methods_give_the_same_batches():
    x = ember.arange(40.0).reshape(20, 2)
    expected = [b[0].tolist() for b in edata.DataLoader(edata.TensorDataset(x), batch_size=3)]
    for kwargs in ({"prefetch_factor": 1}, {"prefetch_factor": 5}, {"multiprocessing_context": "spawn"}):
        loader = edata.DataLoader(edata.TensorDataset(x), batch_size=3, num_workers=2, **kwargs)
        assert [b[0].tolist() for b in loader] == expected, kwargs


def worker_pids(loader_iterator):
    return [w.pid for w in loader_iterator._workers]


def test_workers_stop_after_a_break_and_after_an_exception():
    loader = edata.DataLoader(list(range(100)), batch_size=2, num_workers=2)
    it = iter(loader)
    pids = worker_pids(it)
    for i, _ in enumerate(it):
        if i == 2:
            break
    del it
    assert all(gone(p) for p in pids)
    it = iter(edata.DataLoader(error_dataset(edata, ValueError("x"), at=0), num_workers=2))
    pids = worker_pids(it)
    with pytest.raises(ValueError):
        for _ in it:
            pass
    del it
    gc.collect()  # (the exception's traceback held the iterator in a reference cycle, as torch's does)
    assert all(gone(p) for p in pids)


def test_iteration_goes_on_after_a_workers_exception_as_in_torch():
    def run(lib, data):
        with closing(data.DataLoader(error_dataset(data, ValueError("x"), at=2), batch_size=2, num_workers=2)) as it:
            got = [next(it).tolist()]
            with pytest.raises(ValueError):
                next(it)
            return got + [b.tolist() for b in it]
    ours, theirs = both(run)
    assert ours == theirs == [[0, 1], [4, 5], [6, 7]]


def test_persistent_workers_live_across_epochs_and_others_do_not():
    loader = edata.DataLoader(list(range(6)), batch_size=2, num_workers=2, persistent_workers=True)
    first = iter(loader)
    pids = worker_pids(first)
    list(first)
    second = iter(loader)
    assert second is first and worker_pids(second) == pids and not any(gone(p, 0) for p in pids)
    assert [b.tolist() for b in second] == [[0, 1], [2, 3], [4, 5]]
    it = iter(edata.DataLoader(list(range(6)), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    list(it)  # the epoch's end stops non-persistent workers at once
    assert all(gone(p, 5) for p in pids)


def test_workers_exit_when_the_main_process_is_killed():
    script = textwrap.dedent("""
        import os, signal, sys, time
        import ember.utils.data as data
        class Slow(data.Dataset):
            def __len__(self): return 1000
            def __getitem__(self, i):
                time.sleep(0.01)
                return i
        it = iter(data.DataLoader(Slow(), batch_size=4, num_workers=2, persistent_workers=True))
        next(it)
        print(*[w.pid for w in it._workers], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == -signal.SIGKILL, out.stderr
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2 and all(gone(p, 15) for p in pids)


@pytest.mark.parametrize("kwargs", [{"timeout": -1}, {"prefetch_factor": 2}, {"persistent_workers": True},
                                    {"num_workers": 2, "prefetch_factor": -1},
                                    {"num_workers": 2, "multiprocessing_context": "nope"},
                                    {"num_workers": 2, "multiprocessing_context": 3},
                                    {"multiprocessing_context": "fork"}], ids=repr)
def test_loader_option_errors_match_torch(kwargs):
    def run(lib, data):
        with pytest.raises((ValueError, TypeError)) as info:
            data.DataLoader(list(range(4)), **kwargs)
        return info.type, str(info.value)
    ours, theirs = both(run)
    assert ours == theirs


def test_too_many_workers_warns_as_torch():
    n = len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else os.cpu_count() + 1

    def run(lib, data):
        with pytest.warns(UserWarning) as record:
            data.DataLoader(list(range(4)), num_workers=n)
        return [str(w.message) for w in record]
    ours, theirs = both(run)
    assert ours == theirs


def test_workers_stop_at_once_even_when_a_later_fork_holds_their_pipes():
    """A process forked after the workers started (another loader's worker, a Pool) holds copies of the main
    process's pipe ends: closing them then tells the workers nothing, so the main process also says "stop"."""
    import multiprocessing
    it = iter(edata.DataLoader(list(range(100)), batch_size=2, num_workers=2))
    next(it)
    pids = worker_pids(it)
    bystander = multiprocessing.get_context("fork").Process(target=time.sleep, args=(8,), daemon=True)
    bystander.start()
    try:
        start = time.monotonic()
        del it
        assert all(gone(p, 2) for p in pids) and time.monotonic() - start < 2
    finally:
        bystander.terminate()
        bystander.join()
