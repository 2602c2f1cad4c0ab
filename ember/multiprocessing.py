"""torch.multiprocessing: Python's multiprocessing, and tensors that processes share.

Everything of Python's ``multiprocessing`` is here under the same names (``Process``, ``Queue``, ``set_start_method``,
...), as in torch, plus:

- ``Tensor.share_memory_()`` / ``Module.share_memory()``: the tensor's array moves into memory shared with the
  processes started afterwards (multiprocessing's shared heap: a forked child inherits it, a spawned one gets it
  with its arguments), so a child's in-place updates are the parent's too (Hogwild training). ``is_shared()`` says
  whether it is there.
- ``spawn(fn, args, nprocs)``: run ``fn(i, *args)`` in ``nprocs`` new processes and wait for them; an exception in
  one of them is raised here with its traceback (``ProcessRaisedException``), the others are stopped.
- ``set_sharing_strategy`` and friends: torch's choice of how tensors travel between processes; ember's always
  travel the same way (pickled arrays, or shared memory as above), so the choice is kept and read.

A tensor crossing a process boundary (a Queue, a Pipe, a spawned child's arguments) is pickled as its array; a
graph cannot cross (torch's error); a shared tensor crosses as its shared memory where multiprocessing allows that
(when a child is started), and as a copy otherwise.
"""
import multiprocessing
import os
import signal
import sys
import tempfile
import traceback
import warnings
from multiprocessing import *  # noqa: F401,F403 (torch.multiprocessing is multiprocessing, with these additions)
from multiprocessing import connection
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ._backend import is_shared_array, shared_root
from .tensor import Tensor, _wrap

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn", "start_processes",
           "ProcessContext", "ProcessException", "ProcessRaisedException", "ProcessExitedException"]
__all__ += multiprocessing.__all__


# ---- how tensors travel ---------------------------------------------------------------------------------------
_STRATEGIES = {"file_descriptor", "file_system"} if sys.platform != "darwin" else {"file_system"}
_strategy = ["file_descriptor" if sys.platform != "darwin" else "file_system"]


def get_all_sharing_strategies():
    """The sharing strategies torch offers on this platform."""
    return set(_STRATEGIES)


def set_sharing_strategy(new_strategy):
    """Choose how tensors travel between processes (ember's travel one way whatever the choice: it is kept)."""
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_STRATEGIES}")
    _strategy[0] = new_strategy


def get_sharing_strategy():
    """The strategy set_sharing_strategy chose (torch's default on this platform if none)."""
    return _strategy[0]


def _rebuild_tensor(array, requires_grad, kind=Tensor):
    t = _wrap(array)
    if kind is not Tensor:
        t.__class__ = kind  # (a subclass with no state of its own: nn.Parameter)
    if requires_grad:
        t.requires_grad_()
    return t


def _rebuild_shared(root, dtype, shape, strides, offset, requires_grad, kind=Tensor):
    """A tensor on the same shared memory as the one pickled (the child's side of share_memory_)."""
    array = np.ndarray(shape, dtype, buffer=root, offset=offset, strides=strides)
    return _rebuild_tensor(array, requires_grad, kind)


def reduce_tensor(t):
    """How a Tensor (or a Parameter) is pickled for another process: its array (a leaf keeps requires_grad; a graph
    cannot cross, as in torch), or, while a child is being started, the shared memory it lives in."""
    from .autograd.function import sync_view
    if t._requires_grad and t.grad_fn is not None:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
                           "not support crossing process boundaries.  If you just want to transfer the data, call "
                           "detach() on the tensor before serializing (e.g., putting it on the queue).")
    if t._view is not None:
        sync_view(t)
    array = t._data
    if is_shared_array(array) and multiprocessing.context.get_spawning_popen() is not None:
        root = shared_root(array)
        offset = array.__array_interface__["data"][0] - np.frombuffer(root, np.uint8).__array_interface__["data"][0]
        return _rebuild_shared, (root, array.dtype.str, array.shape, array.strides, offset, t._requires_grad, type(t))
    return _rebuild_tensor, (array, t._requires_grad, type(t))


ForkingPickler.register(Tensor, reduce_tensor)  # (by exact type: nn.Parameter registers itself in nn/parameter.py)


# ---- spawn: fn(i, *args) in nprocs processes ----------------------------------------------------------------------
class ProcessException(Exception):
    """A process started by spawn failed: which one (error_index) and its pid."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process started by spawn raised an exception (its traceback is in the message)."""


class ProcessExitedException(ProcessException):
    """A process started by spawn exited with a nonzero code, or was killed by a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _run_child(fn, i, args, error_file):
    """A spawned process: fn(i, *args); an exception's traceback is written (as text) for the parent to raise."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # (stopped by the parent)
    except Exception:  # noqa: BLE001
        with open(error_file, "w", encoding="utf-8") as file:
            file.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes spawn started: join() waits for them and raises the first failure."""

    def __init__(self, processes, error_files):
        self.processes, self.error_files = processes, error_files
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self):
        """The processes' ids."""
        return [int(process.pid) for process in self.processes]

    def join(self, timeout=None, grace_period=None):
        """Wait (at most timeout seconds) for a process to end: True once all have ended well; if one failed, stop
        the others and raise why it failed."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in connection.wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        for process in self.processes:  # one failed: the others stop too
            if process.is_alive():
                process.terminate()
            process.join(grace_period)
        self.sentinels.clear()
        process = self.processes[failed]
        with open(self.error_files[failed], encoding="utf-8") as file:
            original = file.read()
        if original:
            raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the following error:\n{original}",
                                         failed, process.pid)
        if process.exitcode < 0:
            name = signal.Signals(-process.exitcode).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}", failed, process.pid,
                                         process.exitcode, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {process.exitcode}", failed,
                                     process.pid, process.exitcode)

    def __del__(self):
        for path in getattr(self, "error_files", ()):
            try:
                os.unlink(path)
            except OSError:
                pass


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) for i in range(nprocs), each in a new process started by start_method; with join, wait
    for all of them (else return their ProcessContext)."""
    context = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        handle, path = tempfile.mkstemp(prefix="ember-spawn-")  # (empty unless the process raises)
        os.close(handle)
        process = context.Process(target=_run_child, args=(fn, i, args, path), daemon=daemon)
        process.start()
        processes.append(process)
        error_files.append(path)
    spawned = ProcessContext(processes, error_files)
    if not join:
        return spawned
    while not spawned.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """start_processes with the spawn start method (torch warns for any other and uses it anyway)."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\nTo use a different "
                      "start_method use:\n\t\t torch.multiprocessing.start_processes(...)", FutureWarning,
                      stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method)
