"""SummaryWriter: torch.utils.tensorboard's API, writing event files that the `tensorboard` program displays.

Each add_* call turns its value into a Summary message (event_file.py has the bytes) and hands it, wrapped in an
Event with the wall time and step, to a FileWriter: one event file in one directory. The FileWriter keeps up to
max_queue events in memory and appends them to its file when that many wait, when flush_secs have passed since it
last wrote (checked as events are added), on flush() and close(), and when the writer is garbage-collected or the
program ends, so a program that never calls close() keeps its events too.
"""
import io
import itertools
import os
import socket
import time
import weakref

import numpy as np

from ...tensor import Tensor
from . import event_file

_file_numbers = itertools.count()  # the last part of an event file's name: this process's n-th event file


def _append(path, pending, pid):
    """Append the pending records to the event file (only from the process that made them: not a forked child)."""
    if pending and os.getpid() == pid:
        with open(path, "ab") as f:
            f.write(b"".join(pending))
        pending.clear()


def _append_at_exit(path, pending, pid):
    try:
        _append(path, pending, pid)
    except OSError:
        pass  # the folder went away before the program ended: nothing left to write into


class FileWriter:
    """One event file, events.out.tfevents.<time>.<host>.<pid>.<n><filename_suffix>, in log_dir.

    Unlike torch's, add_summary and add_event take messages already encoded as bytes (see event_file.py): ember
    has no protobuf classes.
    """

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        log_dir = str(log_dir)  # a pathlib.Path too
        os.makedirs(log_dir, exist_ok=True)
        self._log_dir, self._max_queue, self._flush_secs = log_dir, max_queue, flush_secs
        name = "events.out.tfevents.%010d.%s.%s.%s" % (time.time(), socket.gethostname(), os.getpid(),
                                                       next(_file_numbers))
        self._path = os.path.join(log_dir, name + filename_suffix)
        with open(self._path, "wb") as f:  # the file starts with the version of the format, at once
            f.write(event_file.record(event_file.event(time.time(), file_version="brain.Event:2",
                                                       writer="ember.utils.tensorboard")))
        self._pending = []
        self._last_write = time.monotonic()
        self._closed = False
        self._at_exit = weakref.finalize(self, _append_at_exit, self._path, self._pending, os.getpid())

    def get_logdir(self):
        """The directory the event file is in."""
        return self._log_dir

    def add_event(self, event):
        """Add an encoded Event message to the file."""
        if self._closed:
            raise OSError("Writer is closed")
        self._pending.append(event_file.record(event))
        if len(self._pending) >= self._max_queue or time.monotonic() - self._last_write >= self._flush_secs:
            self.flush()

    def add_summary(self, summary, global_step=None, walltime=None):
        """Add an encoded Summary message, in an Event with the wall time (time.time() if None) and step."""
        walltime = time.time() if walltime is None else walltime
        step = 0 if global_step is None else int(global_step)
        self.add_event(event_file.event(walltime, step, summary=summary))

    def flush(self):
        """Write the pending events to the file."""
        _append(self._path, self._pending, os.getpid())
        self._last_write = time.monotonic()

    def close(self):
        """Flush, and take no more events."""
        if not self._closed:
            self.flush()
            self._closed = True
            self._at_exit.detach()


def make_np(x):
    """A value as a NumPy array: an array as it is, a number as a 1-element array, a tensor detached."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def _floats(values):
    """A list, tuple, array or tensor of numbers as a list of Python floats."""
    values = values if isinstance(values, (list, tuple)) else make_np(values)
    return np.asarray(values, dtype=float).reshape(-1).tolist()


def _scalar(value):
    array = make_np(value).squeeze()
    if array.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given size: {array.size} and "
                             f"{array.ndim} dimensions.")
    return float(array)


def _tensorflow_bins():
    """TensorBoard's default bucket edges: +-1e-12 growing by 10% up to 1e20, and 0."""
    v, edges = 1e-12, []
    while v < 1e20:
        edges.append(v)
        v *= 1.1
    return [-v for v in reversed(edges)] + [0] + edges


def _histogram(values, bins, max_bins=None):
    """An encoded HistogramProto of the values in NumPy's bins (bins: what numpy.histogram takes)."""
    values = values.reshape(-1)
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:  # merge each `group` neighbouring bins into one
        group = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        limits = np.append(limits[:-1:group], limits[-1])
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        raise ValueError("The histogram is empty: no value fell into a bin (are they all NaN?)")
    first, last = nonzero[0], nonzero[-1]
    # TensorBoard knows a bucket by its right edge only; the empty bin left of the first non-empty one (a zero
    # bucket put in front if there is none) tells where that one starts. Empty bins at either end are left out.
    counts = np.concatenate([[0], counts[:last + 1]]) if first == 0 else counts[first - 1:last + 1]
    limits = limits[first:last + 2]
    return event_file.histogram(values.min(), values.max(), len(values), values.sum(), values.dot(values),
                                limits.tolist(), counts.tolist())


def _grid(images, ncols=8):
    """N pictures, NCHW with 1 or 3 channels, as one CHW picture: ncols to a row, black where the last row ends."""
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        row, col = divmod(i, ncols)
        canvas[:, row * h:(row + 1) * h, col * w:(col + 1) * w] = images[i]
    return canvas


def _to_hwc(array, dataformats):
    """An image or a batch of them, laid out as dataformats says, as one HWC picture with 3 (or 4) channels."""
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {dataformats}")
    if array.ndim != len(dataformats):
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: {array.shape}, "
                             f"input_format: {dataformats}")
    layout = dataformats.upper()
    target = {4: "NCHW", 3: "HWC", 2: "HW"}.get(len(layout))
    if target is None or sorted(layout) != sorted(target):
        raise ValueError(f"dataformats should be an order of NCHW, CHW (or HWC) or HW, got {dataformats!r}")
    array = array.transpose([layout.index(axis) for axis in target])
    if len(layout) == 4:
        return _grid(array).transpose(1, 2, 0)
    if len(layout) == 2 or array.shape[2] == 1:
        return np.concatenate([array.reshape(array.shape[:2] + (-1,))] * 3, 2)  # grey: the same in R, G and B
    return array


def _image(img_tensor, dataformats):
    """An encoded Summary.Image: the picture as PNG. uint8 values are taken as 0-255, any other type as 0-1."""
    from PIL import Image
    array = _to_hwc(make_np(img_tensor), dataformats)
    scale = 1 if array.dtype == np.uint8 else 255
    array = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    png = io.BytesIO()
    Image.fromarray(array).save(png, format="PNG")
    height, width, channels = array.shape
    return event_file.image(height, width, channels, png.getvalue())


def _figure_to_chw(figure, close):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    if close:
        plt.close(figure)
    return rgb.transpose(2, 0, 1)


# add_tensor: NumPy's type of the values -> (TensorProto's dtype, the TensorProto field for the values)
_TENSOR_TYPES = {np.dtype(np.float32): (event_file.DT_FLOAT, "float_val"),
                 np.dtype(np.float64): (event_file.DT_DOUBLE, "double_val"),
                 np.dtype(np.int8): (event_file.DT_INT8, "int_val"),
                 np.dtype(np.int16): (event_file.DT_INT16, "int_val"),
                 np.dtype(np.int32): (event_file.DT_INT32, "int_val"),
                 np.dtype(np.uint8): (event_file.DT_UINT8, "uint32_val"),
                 np.dtype(np.int64): (event_file.DT_INT64, "int64_val"),
                 np.dtype(np.bool_): (event_file.DT_BOOL, "bool_val")}


class SummaryWriter:
    """Writes scalars, histograms, images, text and hyperparameters to event files in log_dir, for TensorBoard.

    log_dir defaults to runs/<date>_<hostname><comment>. purge_step: a run restarted at step T after a crash hides
    the events of its earlier life at steps >= T. max_queue, flush_secs: how many events wait in memory, and how
    long, before they are written. filename_suffix ends every event file's name.

        writer = SummaryWriter()                 # or: with SummaryWriter("runs/exp1") as writer:
        writer.add_scalar("loss/train", loss, step)
        writer.close()
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not log_dir:
            from datetime import datetime
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname()
                                   + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None  # made now, and again by the first add_* after close()
        self._get_file_writer()
        self.default_bins = _TENSORFLOW_BINS

    def _get_file_writer(self):
        """The FileWriter of log_dir (a new one, with a new file, after close())."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:  # TensorBoard drops the earlier events from purge_step on
                self.file_writer.add_event(event_file.event(time.time(), self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(event_file.event(time.time(), self.purge_step,
                                                            session_log_status=event_file.SESSION_LOG_START))
                self.purge_step = None
        return self.file_writer

    def _add(self, value, global_step, walltime):
        self._get_file_writer().add_summary(event_file.summary(value), global_step, walltime)

    def get_logdir(self):
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        """One number (a Python or NumPy number, or a one-element tensor) at a step: a point of the chart `tag`.

        new_style: as a TensorProto with the scalars plugin's metadata instead of a simple_value (float32);
        double_precision (with new_style): as a float64.
        """
        value = _scalar(scalar_value)
        if not new_style:
            self._add(event_file.summary_value(tag, simple_value=value), global_step, walltime)
            return
        tensor = (event_file.tensor(event_file.DT_DOUBLE, double_val=[value]) if double_precision
                  else event_file.tensor(event_file.DT_FLOAT, float_val=[value]))
        self._add(event_file.summary_value(tag, tensor=tensor, metadata=event_file.summary_metadata("scalars")),
                  global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several numbers on one chart, main_tag: each goes, under the tag main_tag, to an event file of its own
        in the subdirectory <log_dir>/<main_tag with / as _>_<its key>, so TensorBoard draws it as its own run."""
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            sub_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            if sub_dir not in self.all_writers:
                self.all_writers[sub_dir] = FileWriter(sub_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            value = event_file.summary_value(main_tag, simple_value=_scalar(scalar_value))
            self.all_writers[sub_dir].add_summary(event_file.summary(value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        """A whole tensor (float32, float64, integer or bool), for the tensor plugin."""
        values = make_np(tensor)
        if values.dtype not in _TENSOR_TYPES:
            raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
        dtype, field = _TENSOR_TYPES[values.dtype]
        proto = event_file.tensor(dtype, values.shape, **{field: values.reshape(-1).tolist()})
        self._add(event_file.summary_value(tag, tensor=proto, metadata=event_file.summary_metadata("tensor")),
                  global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """The distribution of values (a tensor, array or number). bins: "tensorflow" (TensorBoard's default
        buckets, 10% wider each away from 0), or anything numpy.histogram takes: "auto", "fd", "sqrt", ..., a number
        of bins, or their edges. max_bins: merge neighbouring bins until there are no more than that."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        histo = _histogram(make_np(values).astype(float), bins, max_bins)
        self._add(event_file.summary_value(tag, histo=histo), global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        """A histogram counted already: bucket_limits are the buckets' right edges, bucket_counts their counts."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        histo = event_file.histogram(float(min), float(max), float(num), float(sum), float(sum_squares),
                                     _floats(bucket_limits), _floats(bucket_counts))
        self._add(event_file.summary_value(tag, histo=histo), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """A picture: a tensor or array laid out as dataformats says (CHW, HWC, HW, ...), with 1, 3 or 4 channels;
        uint8 values 0-255, float values 0-1 (clipped)."""
        self._add(event_file.summary_value(tag, image=_image(img_tensor, dataformats)), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of pictures (NCHW or NHWC), shown as one grid, 8 to a row."""
        self._add(event_file.summary_value(tag, image=_image(img_tensor, dataformats)), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, as a grid) as a picture; close: close the figure after."""
        if isinstance(figure, list):
            self.add_image(tag, np.stack([_figure_to_chw(f, close) for f in figure]), global_step, walltime,
                           dataformats="NCHW")
        else:
            self.add_image(tag, _figure_to_chw(figure, close), global_step, walltime, dataformats="CHW")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (markdown) for TensorBoard's text tab, under the tag <tag>/text_summary."""
        tensor = event_file.tensor(event_file.DT_STRING, shape=[1], string_val=[text_string.encode("utf_8")])
        self._add(event_file.summary_value(tag + "/text_summary", tensor=tensor,
                                           metadata=event_file.summary_metadata("text")), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """A run's hyperparameters (numbers, strings, bools; None is skipped) and its metrics, for the HPARAMS tab.

        They go to a new event file in <log_dir>/<run_name> (run_name: the time, if not given), with the metrics
        also as scalars there. hparam_domain_discrete: {name: [every value that hyperparameter can take]}.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        hparam_domain_discrete = hparam_domain_discrete or {}
        if not isinstance(hparam_domain_discrete, dict):
            raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
        for k, v in hparam_domain_discrete.items():
            if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k]))
                                                                          for d in v):
                raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as "
                                f"hparam_dict[{k}].")
        infos, values = [], {}
        for name, value in hparam_dict.items():
            discrete = hparam_domain_discrete.get(name)
            if value is None:
                continue
            if isinstance(value, Tensor):
                value, discrete = float(make_np(value).reshape(-1)[0]), None
            if isinstance(value, (int, float, np.integer, np.floating)):  # a bool too: torch logs True as 1.0
                values[name], kind = float(value), "float64"
                discrete = None if discrete is None else [float(d) for d in discrete]
            elif isinstance(value, str):
                values[name], kind = value, "string"
            else:
                raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
            infos.append((name, kind, discrete))

        def plugin_value(tag, content):
            return event_file.summary(event_file.summary_value(tag, metadata=event_file.summary_metadata(
                "hparams", content)))

        run_dir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=run_dir) as run:
            run.file_writer.add_summary(plugin_value("_hparams_/experiment",
                                                     event_file.hparams_experiment(infos, list(metric_dict))),
                                        global_step)
            run.file_writer.add_summary(plugin_value("_hparams_/session_start_info",
                                                     event_file.hparams_session_start(values)), global_step)
            run.file_writer.add_summary(plugin_value("_hparams_/session_end_info",
                                                     event_file.hparams_session_end()), global_step)
            for k, v in metric_dict.items():
                run.add_scalar(k, v, global_step)

    def flush(self):
        """Write every pending event to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        """Write every pending event and close the files; a later add_* starts a new event file."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


_TENSORFLOW_BINS = _tensorflow_bins()

# torch's methods that ember's SummaryWriter leaves out, and what to use instead
_NOT_IMPLEMENTED = {
    "add_graph": "draw the autograd graph of a model's output with ember.viz.draw_graph(output, 'graph.svg'), or "
                 "log the model's structure as text with add_text(tag, str(model))",
    "add_onnx_graph": "ember reads no ONNX files; log the model's structure with add_text(tag, str(model))",
    "add_embedding": "project the vectors to 2-D (e.g. with numpy.linalg.svd) and log a matplotlib scatter plot of "
                     "them with add_figure",
    "add_audio": "save the sound as a .wav file with Python's wave module",
    "add_video": "log the frames as pictures with add_images",
    "add_mesh": "log a matplotlib 3-D plot of the points with add_figure",
    "add_pr_curve": "log precision and recall with add_scalars, or a matplotlib plot of the curve with add_figure",
    "add_pr_curve_raw": "log precision and recall with add_scalars, or a matplotlib plot of the curve with "
                        "add_figure",
    "add_custom_scalars": "put several lines on one chart with add_scalars",
    "add_custom_scalars_multilinechart": "put several lines on one chart with add_scalars",
    "add_custom_scalars_marginchart": "put several lines on one chart with add_scalars",
    "add_image_with_boxes": "draw the boxes on the picture first (PIL.ImageDraw, or matplotlib and add_figure) and "
                            "log it with add_image",
}


def _not_implemented(name, instead):
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"SummaryWriter.{name} is not implemented in ember: {instead}")
    method.__name__, method.__qualname__ = name, f"SummaryWriter.{name}"
    method.__doc__ = f"Not implemented in ember: {instead}."
    return method


for _name, _instead in _NOT_IMPLEMENTED.items():
    setattr(SummaryWriter, _name, _not_implemented(_name, _instead))
