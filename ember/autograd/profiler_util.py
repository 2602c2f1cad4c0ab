"""What a profiler hands back (torch.autograd.profiler_util): events, their averages, the table and the trace.

A ``FunctionEvent`` is one timed range: an op (``aten::mm``), a backward node
(``autograd::engine::evaluate_function: MmBackward0`` around ``MmBackward0``) or a
``record_function`` label. Ranges nest: an event's children are the ranges that
opened and closed inside it on the same thread, and its *self* time is its total time
minus its children's totals, as torch computes it. Times are microseconds.

``EventList.key_averages()`` sums the events of one name (and, if asked, of one input
shape or one stack prefix) into a ``FunctionEventAvg``; ``table()`` prints them with
torch's columns (Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg,
[CPU Mem, Self CPU Mem,] # of Calls[, Input Shapes][, Source Location]) and the footer
"Self CPU time total: ...". The percentages are shares of the sum of every listed
event's self time.
"""
import gzip
import json
import os
from collections import defaultdict


class DeviceType:
    """torch's device types, as the events carry them (ember's profiler times the CPU only)."""

    CPU = "DeviceType.CPU"
    CUDA = "DeviceType.CUDA"


def _format_time(time_us):
    """A time in microseconds as torch prints it: 12.345us, 1.234ms, 1.234s."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_us):
    """A share of the total as torch prints it: 12.34% (NaN when nothing was timed)."""
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes):
    """Bytes as torch prints them: 512 B, 1.50 KB, 2.00 MB, 1.00 GB."""
    for size, unit in ((1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "KB")):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


class Interval:
    """An event's start and end, in microseconds from the profiler's start."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        """The length of the interval in microseconds."""
        return self.end - self.start


class _Times:
    """The times and memory every event and average shows, and their printed forms."""

    device_time_total = self_device_time_total = 0.0
    device_memory_usage = self_device_memory_usage = 0
    flops = 0
    node_id = -1
    is_async = is_remote = is_legacy = False
    device_type = DeviceType.CPU
    use_device = None
    overload_name = ""
    scope = 0

    @property
    def cpu_time(self):
        """The average time of one call (microseconds)."""
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        """Always 0: ember's profiler times no device."""
        return 0.0

    cuda_time = device_time

    @property
    def cuda_time_total(self):
        """Always 0 (torch's older name for device_time_total)."""
        return 0.0

    self_cuda_time_total = cuda_time_total

    @property
    def self_cuda_memory_usage(self):
        """Always 0 (torch's older name for self_device_memory_usage)."""
        return 0

    cuda_memory_usage = self_cuda_memory_usage

    @property
    def cpu_time_str(self):
        """cpu_time as the table prints it."""
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        """cpu_time_total as the table prints it."""
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        """self_cpu_time_total as the table prints it."""
        return _format_time(self.self_cpu_time_total)

    @property
    def device_time_str(self):
        """device_time as the table would print it."""
        return _format_time(0.0)

    device_time_total_str = self_device_time_total_str = device_time_str


class FunctionEvent(_Times):
    """One timed range: its name, thread, interval, input shapes, memory, parent and children."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None, cpu_memory_usage=0,
                 is_user_annotation=False, sequence_nr=-1, trace_name=None):
        self.id, self.name, self.thread = id, name, thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.cpu_memory_usage = cpu_memory_usage  # what this range allocated, its children's allocations included
        self.is_user_annotation = is_user_annotation
        self.sequence_nr = sequence_nr
        self.trace_name = name if trace_name is None else trace_name
        self.cpu_children = []
        self.cpu_parent = None
        self.kernels = []
        self.count = 1
        self.fwd_thread = None

    @property
    def key(self):
        """What key_averages groups by: the name."""
        return self.name

    @property
    def cpu_time_total(self):
        """The range's length in microseconds, its children's time included."""
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        """The range's time less its children's (microseconds)."""
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        """What the range allocated less what its children did (bytes)."""
        return self.cpu_memory_usage - sum(child.cpu_memory_usage for child in self.cpu_children)

    def append_cpu_child(self, child):
        """Add a range that ran inside this one."""
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        """Set the range this one ran inside."""
        self.cpu_parent = parent

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} device_type={self.device_type} "
                f"cpu_time={self.cpu_time_str} start_us={self.time_range.start:g} end_us={self.time_range.end:g} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_Times):
    """The events of one key summed: count, total and self time, memory (what key_averages lists)."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes = None
        self.stack = None
        self.cpu_parent = None
        self.cpu_children = None
        self.is_user_annotation = False

    def add(self, other):
        """Add an event (or another average of the same key) into this average."""
        if self.key is None:  # the first: its name, shapes and stack stand for the group
            self.key, self.input_shapes, self.stack = other.key, other.input_shapes, other.stack
            self.cpu_parent, self.cpu_children = other.cpu_parent, other.cpu_children
            self.is_user_annotation = other.is_user_annotation
        elif other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        return self

    __iadd__ = add

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of events (or of averages) that can average, sum, print itself as a table and export a trace."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._tree_built = False

    def _build_tree(self):
        """Give each event the children that name it as their parent, and drop a child that repeats its only
        parent (torch's rule)."""
        for event in self:
            if event.cpu_parent is not None:
                event.cpu_parent.append_cpu_child(event)
        self._remove_dup_nodes()
        self._tree_built = True

    def _remove_dup_nodes(self):
        """torch's rule: an event whose only child has its name (a range around one op of that name) keeps one."""
        drop = set()
        for event in self:
            parent = event.cpu_parent
            if parent is not None and len(parent.cpu_children) == 1 and parent.name == event.name \
                    and id(parent) not in drop:
                parent.cpu_children = list(event.cpu_children)
                for child in event.cpu_children:
                    child.cpu_parent = parent
                drop.add(id(event))
        if drop:
            self[:] = [e for e in self if id(e) not in drop]

    @property
    def self_cpu_time_total(self):
        """The sum of every event's self time (microseconds): the whole time profiled, counted once."""
        return sum(event.self_cpu_time_total for event in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        """One FunctionEventAvg per name (and per input shapes, per first n stack frames, if asked)."""
        stats = defaultdict(FunctionEventAvg)
        for event in self:
            key = [event.key, str(event.is_user_annotation)]
            if group_by_input_shapes:
                key.append(str(event.input_shapes))
            if group_by_stack_n > 0:
                key += event.stack[:group_by_stack_n]
            stats[tuple(key)].add(event)
        averages = EventList(stats.values(), use_device=self._use_device, profile_memory=self._profile_memory,
                             with_flops=self._with_flops)
        for average in averages:
            average.stack = average.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                average.input_shapes = ""
        return averages

    def total_average(self):
        """All events summed into one FunctionEventAvg named Total."""
        total = FunctionEventAvg()
        for event in self:
            total.cpu_time_total += event.cpu_time_total
            total.self_cpu_time_total += event.self_cpu_time_total
            total.cpu_memory_usage += event.cpu_memory_usage
            total.self_cpu_memory_usage += event.self_cpu_memory_usage
            total.count += event.count
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """The events as torch's text table, sorted by an attribute (cpu_time_total, self_cpu_time_total,
        cpu_memory_usage, self_cpu_memory_usage, count, ...; largest first)."""
        return _build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                            max_src_column_width=max_src_column_width, max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width, profile_memory=self._profile_memory,
                            top_level_events_only=top_level_events_only, time_unit=time_unit)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (JSON; gzip-compressed when path ends with .gz): open it in
        chrome://tracing or https://ui.perfetto.dev."""
        write_chrome_trace(self, path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write one line per event that has a stack: its frames outermost first, joined by ';', then the
        metric (microseconds), the input of flamegraph.pl."""
        with open(path, "w") as f:
            for event in self:
                if event.stack:
                    frames = ";".join(frame.replace(";", ":") for frame in reversed(event.stack))
                    f.write(f"{frames} {int(getattr(event, metric))}\n")


def _build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                 max_name_column_width=55, max_shapes_column_width=80, profile_memory=False,
                 top_level_events_only=False, time_unit=None):
    """torch's table: one row per event or average, fixed columns, 2 spaces between them."""
    if len(events) == 0:
        return ""
    has_input_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    if sort_by is not None:
        attribute = sort_by.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")
        events = sorted(events, key=lambda e: getattr(e, attribute), reverse=True)

    name_width = min(max(len(e.key) for e in events) + 4, max_name_column_width or 10 ** 9)
    shapes_width = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_column_width or 10 ** 9)
    stacks = [e.stack for e in events if e.stack]
    src_width = None
    if stacks:
        src_width = min(max(len(frame) for stack in stacks for frame in stack) + 4,
                        max_src_column_width or 10 ** 9)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    aligns = [">"] * len(headers)
    if has_input_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
        aligns.append(">")
    if stacks:
        headers.append("Source Location")
        widths.append(src_width)
        aligns.append("<")
    row_format = "".join("{: " + align + str(width) + "}  " for align, width in zip(aligns, widths))
    separator = "".join("-" * width + "  " for width in widths)
    line_length = sum(width + 2 for width in widths) - 2

    def as_time(time_us, default):
        if time_unit == "s":
            return f"{time_us / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{time_us / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{time_us:.3f}us"
        return default

    def trim(path):
        if len(path) > src_width:
            path = path[len(path) - src_width:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [separator, row_format.format(*headers), separator]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(e.self_cpu_time_total, total),
               as_time(e.self_cpu_time_total, e.self_cpu_time_total_str),
               _format_time_share(e.cpu_time_total, total), as_time(e.cpu_time_total, e.cpu_time_total_str),
               as_time(e.cpu_time, e.cpu_time_str)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_input_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if stacks:
            row.append(trim(e.stack[0]) if e.stack else "")
        lines.append(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for frame in (e.stack or [])[1:]:
                lines.append(row_format.format(*(blank + [trim(frame)])))
            lines.append(row_format.format(*(blank + [""])))
    lines.append(separator)
    lines.append(f"Self CPU time total: {as_time(total, _format_time(total))}")
    return "".join(line + "\n" for line in lines)


def write_chrome_trace(events, path):
    """Write events as a Chrome trace: complete ('X') events in microseconds, ops as "cpu_op", labels as
    "user_annotation", the input shapes as args["Input Dims"]."""
    pid = os.getpid()
    trace = []
    for e in events:
        if not isinstance(e, FunctionEvent):
            continue
        entry = {"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op", "name": e.name,
                 "pid": pid, "tid": e.thread, "ts": round(e.time_range.start, 3),
                 "dur": round(e.cpu_time_total, 3), "args": {"External id": e.id}}
        if e.input_shapes:
            entry["args"]["Input Dims"] = e.input_shapes
        if e.sequence_nr >= 0:
            entry["args"]["Sequence number"] = e.sequence_nr
        trace.append(entry)
    trace.append({"name": "process_name", "ph": "M", "ts": 0, "pid": pid, "tid": 0,
                  "args": {"name": f"python {pid}"}})
    document = {"schemaVersion": 1, "deviceProperties": [], "displayTimeUnit": "ms",
                "traceName": path, "traceEvents": trace}
    text = json.dumps(document, indent=1)
    if path.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
