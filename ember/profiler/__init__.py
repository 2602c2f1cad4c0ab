"""torch.profiler: where does the time of a training step go? PyTorch's profiler API on ember's recorder.

    with ember.profiler.profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with ember.profiler.record_function("model_inference"):
            model(inputs)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

The recording itself is ember.autograd.profiler's (read its docstring: wrappers swapped in while a profiler records,
so that no op pays for a profiler that is not running). This module adds torch's newer front: ``activities``,
a ``schedule`` of steps (skip, wait, warm up, record, hand the trace to ``on_trace_ready``, repeat) driven by
``prof.step()``, ``tensorboard_trace_handler`` and the "ProfilerStep#N" range around each step.

ember times the CPU side of each op only: with ``ProfilerActivity.CUDA`` the ops that run on a GPU (through CuPy) are
timed as their calls return, which is before the GPU has finished them.
"""
import os
import socket
import time
from enum import Enum
from functools import partial
from warnings import warn

from ..autograd import profiler as _prof
from ..autograd.profiler import record_function
from ..autograd.profiler_util import DeviceType  # noqa: F401

__all__ = ["profile", "record_function", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity"]


class ProfilerActivity(Enum):
    """What a profiler may record: CPU (ember times the ops' CPU side), CUDA and the others accepted."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(Enum):
    """What the profiler does during a step, as a schedule says: nothing, warm up, record, record and hand over."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    """The activities this build can profile: the CPU, and CUDA where ember has a GPU."""
    from .. import cuda
    return {ProfilerActivity.CPU, ProfilerActivity.CUDA} if cuda.is_available() else {ProfilerActivity.CPU}


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """A schedule for profile(schedule=...): skip the first skip_first steps, then cycles of wait steps idle,
    warmup steps warming up and active steps recorded (the last hands the trace to on_trace_ready), repeat times
    (0: until the profiler stops)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    cycle = wait + warmup + active

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:  # the first cycle starts with its warm-up
            step += wait
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


_WARNED = set()  # the warnings this process has shown (each once, as torch's)


def _warn_once(message):
    if message not in _WARNED:
        _WARNED.add(message)
        warn(message, stacklevel=3)


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """An on_trace_ready that writes each trace to dir_name as <worker>.<ns>.pt.trace.json (worker: host_pid), the
    files TensorBoard's profiler plugin reads."""

    def handler_fn(prof):
        nonlocal worker_name
        try:
            os.makedirs(dir_name, exist_ok=True)
        except OSError as e:
            raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


class profile:
    """torch.profiler.profile: a context manager that records the ops run inside it (in this thread), optionally
    on a schedule of steps marked by prof.step(); then prof.key_averages().table(...), prof.events(),
    prof.export_chrome_trace(path)."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, **kwargs):
        if activities is not None:
            chosen = set()
            for item in activities:
                chosen.update(item.keys() if isinstance(item, dict) else [item])
        else:
            chosen = supported_activities()
        if use_cuda is not None:
            warn("`use_cuda` is deprecated, use `activities` argument instead", FutureWarning, stacklevel=2)
            if use_cuda:
                chosen.add(ProfilerActivity.CUDA)
            else:
                chosen.discard(ProfilerActivity.CUDA)
        if not chosen:
            raise AssertionError("No valid profiler activities found")
        self.activities = chosen
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.with_flops, self.with_modules, self.acc_events = with_flops, with_modules, acc_events
        self.use_device = "cuda" if ProfilerActivity.CUDA in chosen else None
        self.profiler = None
        self.metadata = {}
        self.record_steps = schedule is not None
        self.schedule = schedule or _default_schedule_fn
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)
        A = ProfilerAction
        self.action_map = {
            (A.NONE, A.NONE): [],
            (A.NONE, A.WARMUP): [self.prepare_trace],
            (A.NONE, A.RECORD): [self.prepare_trace, self.start_trace],
            (A.NONE, A.RECORD_AND_SAVE): [self.prepare_trace, self.start_trace],
            (A.WARMUP, A.NONE): [partial(warn, "Incorrect schedule: WARMUP followed by NONE"), self.start_trace,
                                 self.stop_trace],
            (A.WARMUP, A.WARMUP): [],
            (A.WARMUP, A.RECORD): [self.start_trace],
            (A.WARMUP, A.RECORD_AND_SAVE): [self.start_trace],
            (A.RECORD, A.NONE): [partial(warn, "Incorrect schedule: RECORD followed by NONE"), self.stop_trace],
            (A.RECORD, A.WARMUP): [partial(warn, "Incorrect schedule: RECORD followed by WARMUP"), self.stop_trace],
            (A.RECORD, A.RECORD): [],
            (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [self.stop_trace, self._trace_ready, self.prepare_trace],
            (A.RECORD_AND_SAVE, A.RECORD): [self.stop_trace, self._trace_ready, self.prepare_trace,
                                            self.start_trace],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [self.stop_trace, self._trace_ready, self.prepare_trace,
                                                     self.start_trace],
            (A.WARMUP, None): [self.start_trace, self.stop_trace],
            (A.RECORD, None): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, None): [self.stop_trace, self._trace_ready],
        }

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.stop()
        return False

    def start(self):
        """Start profiling (what entering the with block does)."""
        self._transit_action(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def stop(self):
        """Stop profiling (what leaving the with block does): a trace being recorded is handed to on_trace_ready."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit_action(self.current_action, None)

    def step(self):
        """Mark the start of the next step: the schedule says what the profiler does during it."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit_action(previous, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def _transit_action(self, previous, current):
        for action in self.action_map.get((previous, current), ()):
            action()

    # ---- the trace's life: prepared, started, stopped, handed over -------------------------------------------------
    def prepare_trace(self):
        """Make a new recorder (the warm-up: nothing is recorded yet)."""
        if self.profiler is not None and not self.acc_events:
            _warn_once("Warning: Profiler clears events at the end of each cycle. Only events from the current cycle "
                       "will be reported. To keep events across cycles, set acc_events=True.")
        if self.profiler is None or not self.acc_events:
            self.profiler = _prof.profile(use_device=self.use_device, record_shapes=self.record_shapes,
                                          with_flops=self.with_flops, profile_memory=self.profile_memory,
                                          with_stack=self.with_stack, with_modules=self.with_modules)

    def start_trace(self):
        """Start recording."""
        if self.profiler is None:
            self.prepare_trace()
        self.profiler._start_trace()

    def stop_trace(self):
        """Stop recording: the events are ready."""
        if self.profiler is not None:
            self.profiler._stop_trace()

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    # ---- the results ---------------------------------------------------------------------------------------------
    def _recorder(self, what):
        if self.profiler is None:
            raise AssertionError(f"Profiler must be initialized before {what}")
        return self.profiler

    def events(self):
        """Every range of the last trace, in the order they started (an EventList of FunctionEvents)."""
        return self._recorder("accessing events").function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The last trace's events averaged per name (and per input shapes or stack prefix, if asked)."""
        return self._recorder("getting key averages").key_averages(group_by_input_shape, group_by_stack_n,
                                                                    group_by_overload_name)

    def export_chrome_trace(self, path):
        """Write the last trace as a Chrome trace (JSON; .gz: compressed): chrome://tracing, ui.perfetto.dev."""
        return self._recorder("exporting chrome trace").export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write the stacks for flamegraph.pl (needs with_stack=True)."""
        return self._recorder("exporting stacks").export_stacks(path, metric)

    def add_metadata(self, key, value):
        """Keep a key and a string value with the trace (kept on the profiler; not written by ember)."""
        self.metadata[key] = value

    def add_metadata_json(self, key, value):
        """Keep a key and a JSON value with the trace (kept on the profiler; not written by ember)."""
        self.metadata[key] = value
