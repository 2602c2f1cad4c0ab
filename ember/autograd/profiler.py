"""torch.autograd.profiler: time every op, backward node and labelled range while a profiler runs.

How it costs nothing when no profiler runs: nothing on the hot paths asks whether one does. While the first
profiler of the process records, ``_install()`` swaps wrappers in, and when the last one stops ``_uninstall()``
puts the originals back:

- ``apply`` of ``Function`` and ``Op`` (and of any other subclass that defines its own ``apply``): every op
  called through ``SomeOp.apply`` becomes a range named as torch names the op, ``aten::`` and the snake-case
  name of its node (``Addmm`` -> ``aten::addmm``, ``TransposeMatrix``'s ``T`` -> ``aten::t``); a user's
  ``autograd.Function`` is a range named for its class, as in torch;
- the engine's one hook point, ``engine.call_backward``: the engine calls a node's backward through it only
  while ``anomaly_mode.WATCHED`` is non-empty (the test the loop made for anomaly detection alone before,
  so the loop is not one instruction longer); the profiler's wrapper makes torch's two ranges,
  ``autograd::engine::evaluate_function: MulBackward0`` around ``MulBackward0``;
- ``engine._accumulate`` (a module-level function the engine calls by name): a leaf's gradient arriving is
  ``torch::autograd::AccumulateGrad``, as torch shows it;
- the public functions that torch times as one range around the ops they run (``nn.functional.linear`` is
  ``aten::linear`` around ``aten::t`` and ``aten::addmm``), registered by their modules with
  ``time_as(module, {name: event name})``.

The ranges are those of the thread that started the profiler (torch records every thread; ember's helper
threads, which share a convolution's chunks, run inside the op that started them and are counted in its time).
``record_shapes`` keeps each call's input shapes as torch prints them (``[]`` for a number or anything that is
not a Tensor). ``profile_memory`` counts the bytes of each result array that does not share memory with an input
(a view allocates nothing), once: what the op allocated, as far as its results show (temporaries inside it are not
seen). A weakref finalizer on each counted array sees it released, and the range open then (or, between ranges, a
"[memory]" event, as torch's) gets the negative bytes. A range's memory and time include those of the ranges inside
it; its "self" numbers are its own less its children's, as torch computes them.
"""
import functools
import sys
import threading
import warnings
import weakref
from _thread import get_ident
from time import perf_counter_ns

import numpy as np

from . import anomaly_mode, engine
from .function import Function, Op
from .profiler_util import DeviceType, EventList, FunctionEvent, FunctionEventAvg, Interval  # noqa: F401
from ..tensor import Tensor

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg", "time_as"]

# ---- recording ---------------------------------------------------------------------------------------------------
_RECORDINGS = {}  # thread id -> the _Recording of that thread, while a profiler started there records
_LOCK = threading.Lock()


class _Range:
    """One range as it is recorded (made into a FunctionEvent when its profiler stops)."""

    __slots__ = ("name", "parent", "start", "end", "shapes", "allocated", "stack", "user")


class _Recording:
    """The ranges one thread opened while its profilers recorded (nested profilers share them)."""

    def __init__(self):
        self.thread = threading.get_native_id()
        self.ranges = []
        self.open = []
        self.profilers = []
        self.shapes = self.memory = self.with_stack = False
        self.counted = set()  # ids of the arrays counted as allocated (until they are released)

    def options(self):
        """Record what any of this thread's running profilers asked for."""
        self.shapes = any(p.record_shapes for p in self.profilers)
        self.memory = any(p.profile_memory for p in self.profilers)
        self.with_stack = any(p.with_stack for p in self.profilers)

    def begin(self, name, args=None, user=False):
        """Open a range now (inside the innermost open one)."""
        r = _Range()
        r.name, r.parent, r.end, r.allocated, r.user = name, self.open[-1] if self.open else None, None, 0, user
        r.shapes = _shapes(args) if self.shapes and args is not None else []
        r.stack = _python_stack() if self.with_stack else []
        self.ranges.append(r)
        self.open.append(r)
        r.start = perf_counter_ns()
        return r

    def allocated(self, r, out, inputs):
        """Count for r the result arrays that share no memory with an input and were not counted before (a
        function returning its inner op's result allocated nothing more), and watch for their release."""
        given = _arrays(list(inputs))
        for array in _arrays(out):
            key = id(array)
            if key in self.counted:
                continue
            try:
                shared = any(np.may_share_memory(array, g) for g in given)
            except TypeError:  # (arrays of another device)
                shared = any(array is g for g in given)
            if shared:
                continue
            try:
                weakref.finalize(array, self.freed, key, array.nbytes)
            except TypeError:
                continue
            self.counted.add(key)
            r.allocated += array.nbytes

    def freed(self, key, nbytes):
        """A counted array was released: the range open now (or a "[memory]" event) frees its bytes."""
        self.counted.discard(key)
        if self.memory and _RECORDINGS.get(get_ident()) is self:
            (self.open[-1] if self.open else _memory_range(self)).allocated -= nbytes

    def end(self, r):
        """Close r (and any range opened inside it and left open)."""
        r.end = perf_counter_ns()
        while self.open:
            if self.open.pop() is r:
                break


def _shapes(args):
    return [list(a._data.shape) if isinstance(a, Tensor) else [] for a in args]


_OWN_FILES = tuple(__file__.rsplit(".", 1)[0] + ext for ext in (".py", ".pyc"))
_SKIPPED = _OWN_FILES + (sys.modules[Function.__module__].__file__, engine.__file__)


def _python_stack():
    """The calling program's frames, innermost first, as torch prints them: path(line): function."""
    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_filename not in _SKIPPED:
            frames.append(f"{code.co_filename}({frame.f_lineno}): {code.co_name}")
        frame = frame.f_back
    return frames


def _memory_range(recording):
    r = _Range()
    r.name, r.parent, r.shapes, r.stack, r.user, r.allocated = "[memory]", None, [], [], False, 0
    r.start = r.end = perf_counter_ns()
    recording.ranges.append(r)
    return r


def _arrays(value):
    if isinstance(value, Tensor):
        return [value._data]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays(v)]
    return []




# ---- names ---------------------------------------------------------------------------------------------------------
# Where the snake-case form of a node's name is not torch's op name
_ATEN_NAMES = {"MaxPool2DWithIndices": "max_pool2d_with_indices", "AvgPool2D": "avg_pool2d",
               "GridSampler2D": "grid_sampler_2d", "Deg2Rad": "deg2rad", "Rad2Deg": "rad2deg",
               "ToCopy": "_to_copy", "UnsafeView": "_unsafe_view", "ReshapeAlias": "_reshape_alias",
               "MatMul": "matmul", "GetItem": "index", "Log1P": "log1p"}
_NAMES = {}  # op class -> its event name


def event_name(cls):
    """The name an op's range has: torch's aten:: name for an ember op, the class name for a user Function."""
    name = _NAMES.get(cls)
    if name is None:
        if issubclass(cls, Op):
            node = cls._name or cls.__name__
            snake = "".join("_" + c.lower() if c.isupper() and i and node[i - 1].islower() else c.lower()
                            for i, c in enumerate(node))
            name = "aten::" + _ATEN_NAMES.get(node, snake)
        else:
            name = cls.__name__
        _NAMES[cls] = name
    return name


# ---- the wrappers, swapped in while some profiler records ----------------------------------------------------------
def _timed_apply(apply):
    def timed_apply(cls, *args):
        recording = _RECORDINGS.get(get_ident())
        if recording is None:  # (another thread's op)
            return apply(cls, *args)
        r = recording.begin(event_name(cls), args)
        try:
            out = apply(cls, *args)
        finally:
            recording.end(r)
        if recording.memory:
            recording.allocated(r, out, args)
        return out
    return timed_apply


def _timed_backward(call_backward):
    def timed_backward(node, grad_out):
        recording = _RECORDINGS.get(get_ident())
        if recording is None:
            return call_backward(node, grad_out)
        name = node.name()
        outer = recording.begin("autograd::engine::evaluate_function: " + name)
        inner = recording.begin(name, (grad_out,))
        try:
            grads = call_backward(node, grad_out)
        finally:
            recording.end(inner)
            recording.end(outer)
        if recording.memory:
            recording.allocated(inner, grads, (grad_out,))
        return grads
    return timed_backward


def _timed_accumulate(accumulate):
    def timed_accumulate(leaf, g, create_graph, owners):
        recording = _RECORDINGS.get(get_ident())
        if recording is None:
            return accumulate(leaf, g, create_graph, owners)
        outer = recording.begin("autograd::engine::evaluate_function: torch::autograd::AccumulateGrad")
        inner = recording.begin("torch::autograd::AccumulateGrad", (g,))
        try:
            return accumulate(leaf, g, create_graph, owners)
        finally:
            recording.end(inner)
            recording.end(outer)
    return timed_accumulate


def _timed_function(fn, name):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        recording = _RECORDINGS.get(get_ident())
        if recording is None:
            return fn(*args, **kwargs)
        r = recording.begin(name, args)
        try:
            out = fn(*args, **kwargs)
        finally:
            recording.end(r)
        if recording.memory:
            recording.allocated(r, out, args)
        return out
    return timed


_TIMED_FUNCTIONS = []  # (module, attribute, event name): public functions torch times as one range


def time_as(module, names):
    """Have a profiler time module's functions {attribute: event name} as one range each (torch's aten::linear
    around the ops linear runs). Only a call that looks the function up on the module at call time is seen."""
    for attribute, name in names.items():
        _TIMED_FUNCTIONS.append((module, attribute, name))


_ORIGINALS = []  # (owner, attribute, what was there): put back by _uninstall


def _swap(owner, attribute, replacement):
    _ORIGINALS.append((owner, attribute, owner.__dict__[attribute] if isinstance(owner, type) else
                       getattr(owner, attribute)))
    setattr(owner, attribute, replacement)


def _classes_with_apply():
    found, stack = [], [Function]
    while stack:
        cls = stack.pop()
        if "apply" in cls.__dict__:
            found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def _install():
    """Swap the timing wrappers in (the first profiler of the process starts recording)."""
    for cls in _classes_with_apply():
        _swap(cls, "apply", classmethod(_timed_apply(cls.__dict__["apply"].__func__)))
    _swap(engine, "call_backward", _timed_backward(engine.call_backward))
    _swap(engine, "_accumulate", _timed_accumulate(engine._accumulate))
    for module, attribute, name in _TIMED_FUNCTIONS:
        _swap(module, attribute, _timed_function(getattr(module, attribute), name))
    anomaly_mode.WATCHED.append("profiler")


def _uninstall():
    """Put every original back (the last profiler stops)."""
    anomaly_mode.WATCHED.remove("profiler")
    while _ORIGINALS:
        owner, attribute, original = _ORIGINALS.pop()
        setattr(owner, attribute, original)


def _start_recording(profiler):
    with _LOCK:
        if not _RECORDINGS:
            _install()
        recording = _RECORDINGS.get(get_ident())
        if recording is None:
            recording = _RECORDINGS[get_ident()] = _Recording()
        recording.profilers.append(profiler)
        recording.options()
    return recording


def _stop_recording(profiler, recording):
    with _LOCK:
        recording.profilers.remove(profiler)
        recording.options()
        if not recording.profilers:
            del _RECORDINGS[get_ident()]
            if not _RECORDINGS:
                _uninstall()


# ---- the profilers' API ----------------------------------------------------------------------------------------------
class profile:
    """torch.autograd.profiler.profile: with it, every op, backward node and record_function range run in this
    thread is timed; then key_averages().table(), function_events, export_chrome_trace(path)."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None, **kwargs):
        self.enabled = enabled
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use ``use_device = 'cuda'`` "
                          "instead.", FutureWarning, stacklevel=2)
            use_device = "cuda"
        self.use_device = use_device
        self.record_shapes, self.with_flops, self.profile_memory = record_shapes, with_flops, profile_memory
        self.with_stack, self.with_modules = with_stack, with_modules
        self.entered = False
        self._recording = None
        self._function_events = None

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._start_trace()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self.enabled:
            self._stop_trace()
        return False

    def _start_trace(self):
        self._function_events = None
        self._recording = _start_recording(self)
        self._first = len(self._recording.ranges)
        self._t0 = perf_counter_ns()

    def _stop_trace(self):
        recording, self._recording = self._recording, None
        if recording is None:
            return
        t1 = perf_counter_ns()
        ranges = recording.ranges[self._first:]
        _stop_recording(self, recording)
        if not recording.profilers:
            recording.ranges.clear()
        self._function_events = self._events(ranges, recording.thread, t1)

    def _events(self, ranges, thread, t1):
        t0, events, made = self._t0, EventList(use_device=self.use_device, profile_memory=self.profile_memory,
                                               with_flops=self.with_flops), {}
        for i, r in enumerate(ranges):
            end = r.end if r.end is not None else t1  # (a range still open when the profiler stopped)
            name = "ProfilerStep*" if r.name.startswith("ProfilerStep#") else r.name  # (torch's steps average as one)
            event = FunctionEvent(i + 1, name, thread, (r.start - t0) / 1000, (end - t0) / 1000,
                                  input_shapes=r.shapes, stack=r.stack, cpu_memory_usage=r.allocated,
                                  is_user_annotation=r.user, trace_name=r.name)
            parent = r.parent
            while parent is not None and id(parent) not in made:  # (opened before this profiler started)
                parent = parent.parent
            if parent is not None:
                event.set_cpu_parent(made[id(parent)])
            made[id(r)] = event
            events.append(event)
        for event in reversed(events):  # (children come after their parents) a range's memory is its own and
            if event.cpu_parent is not None:  # that of the ranges inside it, as torch counts it
                event.cpu_parent.cpu_memory_usage += event.cpu_memory_usage
        events._build_tree()
        return events

    @property
    def function_events(self):
        """Every range recorded, in the order they started (an EventList: empty until the profiler has run)."""
        if self._function_events is None:
            return EventList(use_device=self.use_device, profile_memory=self.profile_memory)
        return self._function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The events averaged per name (and per input shapes or stack prefix, if asked)."""
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self):
        """Every event summed into one."""
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self):
        """The whole time profiled, in microseconds (every event's self time, summed)."""
        return self.function_events.self_cpu_time_total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        """The events (not averaged) as torch's table."""
        return self.function_events.table(sort_by=sort_by, row_limit=row_limit,
                                          max_src_column_width=max_src_column_width,
                                          max_name_column_width=max_name_column_width,
                                          max_shapes_column_width=max_shapes_column_width, header=header,
                                          top_level_events_only=top_level_events_only)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (chrome://tracing, https://ui.perfetto.dev)."""
        if self._function_events is None:  # (torch's fails on its missing results with an AttributeError too)
            raise AttributeError("export_chrome_trace: this profiler has no trace yet; export it after it has run "
                                 "(after its with block)")
        return self._function_events.export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write each event's stack and metric for flamegraph.pl (needs with_stack=True)."""
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        return self.function_events.export_stacks(path, metric)

    def __str__(self):
        return str(self.function_events)

    def __repr__(self):
        return repr(self.function_events)


class record_function:
    """A labelled range in the profile: ``with record_function("forward"):`` or ``@record_function("step")``.
    With no profiler recording in this thread it does nothing."""

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._recording = self._range = None

    def __enter__(self):
        recording = _RECORDINGS.get(get_ident())
        if recording is not None:
            self._recording, self._range = recording, recording.begin(self.name, user=True)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self._range is not None:
            self._recording.end(self._range)
            self._recording = self._range = None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def labelled(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return labelled


class emit_nvtx:
    """torch's NVTX ranges for nvprof: ember emits none (accepted, so that programs run)."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def kineto_available():
    """False: ember's profiler is its own (the ranges above), not Kineto."""
    return False
