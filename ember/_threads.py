"""torch.set_num_threads and friends: how many threads ember's CPU work may use.

ember's parallel CPU work is BLAS's (matmul, convolution's products) and the independent pieces ``spread`` hands to
idle cores (a convolution's chunks, a bidirectional layer's two directions), so the intra-op thread count is
BLAS's, set through threadpoolctl. There is no inter-op pool: set/get_num_interop_threads keep a number and apply
torch's checks, so programs that set it run unchanged.
"""
import numbers
import os
import time

_controller = None  # threadpoolctl's view of the BLAS libraries loaded: made on first use (it inspects them)
_intra = None  # the count set_num_threads asked for, when no BLAS can be told
_interop = None


def _blas():
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def _check(name, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    n = int(n)
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def set_num_threads(n):
    """Use at most n threads for intra-op work (BLAS)."""
    global _intra
    _intra = _check("set_num_threads", n)
    _Split.lowered_from = None  # the count to put back after one-thread products is this one now
    blas = _blas()
    if blas.lib_controllers:
        blas.limit(limits=_intra)


def get_num_threads():
    """The number of threads intra-op work (BLAS) uses (large products: the count ember lowers for small ones and
    before forking DataLoader workers is put back at the next large product)."""
    if _Split.lowered_from is not None and _Split.lowered_from > 1:
        return _Split.lowered_from
    blas = _blas()
    counts = [lib.num_threads for lib in blas.lib_controllers]
    return max(counts) if counts else _intra or _cores()


def set_num_interop_threads(n):
    """Accepted once, before any parallel work, as in torch; ember runs ops one after another either way."""
    global _interop
    n = _check("set_num_interop_threads", n)
    if _interop is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _interop = n


def get_num_interop_threads():
    """The number set by set_num_interop_threads, else torch's default (the cores this process may use)."""
    return _interop if _interop is not None else _cores()


# ---- how many BLAS threads one product gets ----------------------------------------------------------------------
# OpenBLAS splits every product above 65536 x 4 multiply-adds among all its threads, and the product is done only
# when each of them has had a core. On an idle machine a second thread shortens large products; on a busy one the
# product waits for a core that is running something else, and a training step of many mid-sized products (a
# convolution's chunks, an MLP's layers) took 5-9 times as long with two threads as with one (benchmarks/
# blas_threads.py; docs/design.md has the table). So a product below SPLIT_MACS multiply-adds runs on one thread,
# and a larger one on all the threads BLAS had (or set_num_threads gave it).
SPLIT_MACS = 2 ** 26


class _Split:
    """Whether ember has lowered BLAS to one thread, and from how many (to put back for a large product)."""

    lowered_from = None
    blas = None  # threadpoolctl's controller of the BLAS library, found on the first product
    held = False  # while spread's threads run: each keeps its one BLAS thread, whatever the product


def threads_for(macs):
    """Before a product of macs multiply-adds: one BLAS thread below SPLIT_MACS, else all of them (see above).
    Costs an attribute read when nothing changes; a change is one call into BLAS (about 0.6 us)."""
    split = _Split
    if macs < SPLIT_MACS:
        if split.lowered_from is None:
            if split.blas is None:
                split.blas = _numpy_blas()
            if split.blas and split.blas.num_threads > 1:
                split.lowered_from = split.blas.num_threads
                split.blas.set_num_threads(1)
            else:
                split.lowered_from = 1  # nothing to lower: remember, so that this is not asked again
    elif split.lowered_from is not None and not split.held:
        if split.blas and split.lowered_from > 1 and split.blas.num_threads == 1:
            split.blas.set_num_threads(split.lowered_from)
        split.lowered_from = None


def before_fork():
    """Lower NumPy's BLAS to one thread, as a small product does, before forking DataLoader workers.

    OpenBLAS stops its thread pool in the forking process (its pthread_atfork handler), and whichever process next
    sets a thread count or runs a threaded product starts the pool again: threads that spin for about 0.1 s of
    CPU each before they sleep. A worker that set one thread after the fork (as it must, like torch's) paid that
    spin every epoch, on the cores the workers were there to use. Lowered before the fork, the count every
    worker inherits is already one, and nothing starts a pool; this process gets its threads back at its next
    large product (threads_for), the only moment it would have restarted its pool anyway."""
    split = _Split
    if split.blas is None:
        split.blas = _numpy_blas()
    if split.lowered_from is None and split.blas and split.blas.num_threads > 1:
        split.lowered_from = split.blas.num_threads
        split.blas.set_num_threads(1)


def in_forked_worker():
    """In a worker forked after before_fork(): one BLAS thread from now on, as torch's workers set it, without a
    call into a BLAS whose count is one already (a call would start its pool: see before_fork)."""
    global _intra
    _intra = 1
    _Split.lowered_from = None  # (never raised again: a large product in the worker stays on one thread)
    for lib in _blas().lib_controllers:  # another BLAS (not NumPy's) that still has several threads
        if lib.num_threads > 1:
            lib.set_num_threads(1)


def _numpy_blas():
    """threadpoolctl's controller of the BLAS that NumPy's products call (not another library's that happens to be
    loaded too, such as PyTorch's), or False."""
    import numpy
    home = os.path.dirname(os.path.dirname(numpy.__file__))
    libraries = _blas().lib_controllers
    ours = [lib for lib in libraries if os.path.realpath(lib.filepath).startswith(os.path.realpath(home)) and
            "numpy" in os.path.basename(os.path.dirname(lib.filepath))]
    return (ours or libraries or [False])[0]


# ---- one op's chunks on the idle cores ---------------------------------------------------------------------------
# A convolution works through its batch a few images at a time (ops/conv.py), and its chunks are independent: NumPy
# releases the GIL in the window copies and in BLAS, so two Python threads can each take chunks. That is the
# intra-op parallelism torch gets from OpenMP, with the lesson of the BLAS rule above: a thread that waits for a busy
# core stalls the whole op, so the chunks are shared only among cores that other processes leave idle (measured
# from /proc/stat over the last fifth of a second), and taken one at a time by whichever thread is free.
LOAD_WINDOW = 0.2  # seconds between two readings of how busy the machine is


class _Load:
    """The last reading: when, the machine's busy CPU seconds and this process's, and the idle cores then."""

    at = busy = own = None
    idle = 0.0
    pool = None  # the helper threads (a concurrent.futures pool), made on first use, dropped in a forked child
    workers = 0


def _busy_seconds():
    """CPU seconds all processes have spent busy since boot (None where /proc/stat is not readable)."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def idle_cores():
    """About how many cores no other process is using (this process's own threads do not count as busy)."""
    load, now = _Load, time.monotonic()
    if load.at is not None and now - load.at < LOAD_WINDOW:
        return load.idle
    busy, own = _busy_seconds(), time.process_time()
    if busy is None:
        return 0.0
    if load.at is not None:
        others = max(0.0, (busy - load.busy) - (own - load.own)) / (now - load.at)
        load.idle = min(_cores(), (os.cpu_count() or 1) - others) - 1  # (this thread's own core is taken)
    load.at, load.busy, load.own = now, busy, own
    return load.idle


def _intended_threads():
    """The threads intra-op work may use: set_num_threads's count, else BLAS's own (before ember lowered it)."""
    split = _Split
    if _intra is not None:
        return _intra
    if split.lowered_from is not None:
        return split.lowered_from
    if split.blas is None:
        split.blas = _numpy_blas()
    return split.blas.num_threads if split.blas else _cores()


def spread(work, items):
    """[work(item) for item in items], the items taken one at a time by this thread and by helper threads for the
    idle cores, up to the intra-op thread count. The results keep the items' order, so that what is summed from
    them is summed as one thread would (the same numbers). work must only touch arrays (it runs outside grad mode
    and on NumPy's calls that release the GIL)."""
    threads = min(len(items), _intended_threads(), 1 + int(idle_cores() + 0.25)) if len(items) > 1 else 1
    if threads <= 1:
        return [work(item) for item in items]
    threads_for(0)  # each helper runs its own products: one BLAS thread each (held so while they run)
    load = _Load
    if load.pool is None or load.workers < threads - 1:
        from concurrent.futures import ThreadPoolExecutor
        load.pool, load.workers = ThreadPoolExecutor(threads - 1, "ember-chunks"), threads - 1
    results, order = [None] * len(items), iter(range(len(items)))  # (next() on it is atomic: the GIL)

    def take():
        from ._backend import quiet_float_errors
        quiet_float_errors()  # (a helper thread starts with NumPy's warnings on: see _backend)
        for i in order:
            results[i] = work(items[i])

    helpers = [load.pool.submit(take) for _ in range(threads - 1)]
    _Split.held = True
    try:
        take()
    finally:
        for helper in helpers:  # a helper not started yet has nothing left to take
            if not helper.cancel():
                helper.exception()  # (waits for it)
        _Split.held = False
    for helper in helpers:
        if not helper.cancelled() and helper.exception() is not None:
            raise helper.exception()
    return results


def _forget_pool():
    _Load.pool, _Load.workers = None, 0  # a forked child has this process's memory but not its threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
