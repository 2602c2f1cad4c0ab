"""torch.set_num_threads and friends: how many threads ember's CPU work may use.

ember's only parallel CPU work is inside BLAS (matmul, convolution's products), so the intra-op thread count is
BLAS's, set through threadpoolctl. There is no inter-op pool: set/get_num_interop_threads keep a number and apply
torch's checks, so programs that set it run unchanged.
"""
import numbers
import os

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
    blas = _blas()
    if blas.lib_controllers:
        blas.limit(limits=_intra)


def get_num_threads():
    """The number of threads intra-op work (BLAS) uses."""
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
