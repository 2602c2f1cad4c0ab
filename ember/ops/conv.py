"""Convolution and pooling windows on 2-D images (1-D signals are images of height 1).

The idea, im2col: every output pixel of a convolution is a dot product of the
kernel with one window of the padded input. Lay all the windows out as the
columns of one matrix and a single matrix product with the kernel computes
every output at once (batched over groups). The matrix is filled one kernel
offset at a time: for offset (i, j), a strided slice of the input gives that
entry of every window, so kh x kw vectorised copies build it, never a loop
over pixels. The gradients are the same steps backwards: one matrix product
for the kernel, and for the input the columns are added back where they were
read from (col2im), again one kernel offset at a time.

A convolution's input gradient *is* a transposed convolution, and the other
way round, so the two ops below share the three helpers. For create_graph=True
the gradients are built from the ops themselves instead (weight_grad), so that
second derivatives come out right too.
"""
import numpy as np

from .._backend import c_contiguous, get_array_module
from .._threads import spread, threads_for
from ..autograd.grad_mode import STATE
from ..autograd.function import Op
from ..tensor import _wrap
from .shape import IndexAdd, cat
from .elementwise import masked


def out_size(size, kernel, stride, padding, dilation, ceil_mode=False):
    """How many positions a kernel takes along one axis (PyTorch's formula, with its ceil_mode rule)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    n = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (n - 1) * stride >= size + padding:
        n -= 1  # the last window must start inside the input or its left padding
    return n


def offsets(kernel, stride, dilation, out_hw):
    """For each kernel offset (i, j): the slices of the padded input that this offset reads for every output."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            yield i, j, (slice(top, top + (out_hw[0] - 1) * stride[0] + 1, stride[0]),
                         slice(left, left + (out_hw[1] - 1) * stride[1] + 1, stride[1]))


def window_positions(size_hw, kernel, stride, padding, dilation):
    """(H_out, W_out) of a convolution, with PyTorch's error when the kernel does not fit the padded input."""
    out_hw = tuple(out_size(s, k, st, p, d) for s, k, st, p, d in zip(size_hw, kernel, stride, padding, dilation))
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(f"Calculated output size {list(out_hw)} is too small: the kernel {list(kernel)} (dilation "
                           f"{list(dilation)}) is larger than the padded input "
                           f"{[size_hw[0] + 2 * padding[0], size_hw[1] + 2 * padding[1]]}")
    return out_hw


# A batch is convolved a few images at a time, so that each chunk's window matrix (im2col) is written and read back
# while it is still in the CPU's cache (1 MiB: this machine's L2 cache per core). W7's 88->20 5x5 layer on 64 images
# of 12x12 has a 36 MB window matrix: filled whole, the forward took 20 ms here; in chunks, 11 ms. A GPU has no such
# cache to mind: one chunk there.
CHUNK_BYTES = 2 ** 20

# With stride 1, the windows of one kernel offset are a single run of the flattened image if each output row is
# computed at the padded width (the extra columns are thrown away): the copy then moves long runs instead of rows of
# W_out values, 2.5-3x faster on W7's layers, at the cost of (padded width / W_out) more columns in the products.
# Taken where that ratio is at most this (3x3 pad 1 on 12x12: 1.17; 5x5 pad 2: 1.33; 5x5 on 12x12 unpadded: 1.5,
# where the larger product ate the saving).
FLAT_WIDTH_RATIO = 1.34

# What the routes of the input gradient cost, fitted to this machine's timings of W4, W7 and W8's layers (one
# thread): a multiply-add in a product, an element copied by im2col, an element added back by col2im. They only
# rank the two routes; within 30% of the measured times.
NS_PER_MULTIPLY_ADD, NS_PER_COPY, NS_PER_SCATTER = 0.025, 0.5, 1.5


def _chunks(x, per_image_items):
    n = x.shape[0]
    size = max(1, CHUNK_BYTES // max(1, per_image_items * x.itemsize)) if type(x) is np.ndarray else n
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def _row_width(x_hw, kernel, stride, padding, out_hw):
    """How many columns the windows give per output row: W_out, or the padded width where the flat route pays."""
    width = x_hw[1] + 2 * padding[1]
    flat = stride == (1, 1) and width <= FLAT_WIDTH_RATIO * out_hw[1]
    return width if flat else out_hw[1]


def im2col(x, kernel, stride, padding, dilation, out_hw, groups, width):
    """Every window of the images x as a column, grouped: (groups, C/groups*kh*kw, N*H_out*width).

    One copy per kernel offset (kh x kw of them) fills the matrix: a strided slice of the padded images, or, when
    width is the padded width (stride 1), one run of the flattened padded images per image and channel. The
    kernel's weights then multiply the matrix in one product per group.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    flat = width != out_hw[1]
    # the flat route reads one row past the padded image for its last offset: zeros there
    padded = xp.zeros((c, n, h + 2 * padding[0] + flat, w + 2 * padding[1]), x.dtype)
    padded[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = x.transpose(1, 0, 2, 3)
    cols = xp.empty((c, kernel[0], kernel[1], n, out_hw[0], width), x.dtype)
    if flat:
        runs, length = padded.reshape(c, n, -1), out_hw[0] * width
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                start = i * dilation[0] * width + j * dilation[1]
                cols[:, i, j] = runs[:, :, start:start + length].reshape(c, n, out_hw[0], width)
    else:
        for i, j, (rows, columns) in offsets(kernel, stride, dilation, out_hw):
            cols[:, i, j] = padded[:, :, rows, columns]
    return cols.reshape(groups, -1, n * out_hw[0] * width)


def col2im(dcols, x_shape, kernel, stride, padding, dilation, out_hw, out):
    """The adjoint of im2col: add every column back onto the input position it was read from, into out (N, C, H, W)."""
    n, c, h, w = x_shape
    d = dcols.reshape(c, kernel[0], kernel[1], n, *out_hw)
    dxp = get_array_module(dcols).zeros((c, n, h + 2 * padding[0], w + 2 * padding[1]), dcols.dtype)
    for i, j, (rows, columns) in offsets(kernel, stride, dilation, out_hw):
        dxp[:, :, rows, columns] += d[:, i, j]
    out[...] = dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w].transpose(1, 0, 2, 3)


def _columns(y, groups, width=None):
    """(N, O, H, W) -> (groups, O/groups, N*H*width): the layout the matrix products work in (zero columns past W
    where the windows were taken at a wider width)."""
    n, o, h, w = y.shape
    if width is None or width == w:
        return y.transpose(1, 0, 2, 3).reshape(groups, o // groups, n * h * w)
    wide = get_array_module(y).zeros((o, n, h, width), y.dtype)
    wide[..., :w] = y.transpose(1, 0, 2, 3)
    return wide.reshape(groups, o // groups, n * h * width)


def _rows(w, groups):
    """The kernel (O, C/groups, kh, kw) as one matrix per group: (groups, O/groups, C/groups*kh*kw)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def conv_forward(x, w, stride, padding, dilation, groups, out_hw=None, keep=None):
    """y = conv(x, w) on arrays (N, C, H, W) -> (N, O, H_out, W_out): per chunk, im2col and one matrix product.

    out_hw, when given, says how many window positions to take (a transposed convolution's backward takes the
    positions of its own input, which its output_padding may leave short of the last one). keep, a list, receives
    each chunk's window matrix, for the weight gradient to use again.
    """
    kernel = w.shape[2:]
    if out_hw is None:
        out_hw = window_positions(x.shape[2:], kernel, stride, padding, dilation)
    width = _row_width(x.shape[2:], kernel, stride, padding, out_hw)
    w_rows = _rows(w, groups)
    out = get_array_module(x).empty((x.shape[0], w.shape[0]) + tuple(out_hw), x.dtype)
    if not x.shape[0]:  # an empty batch: no chunks, nothing to compute
        return out
    parts = _chunks(x, x.shape[1] * kernel[0] * kernel[1] * out_hw[0] * width)
    threads_for(w_rows.size * (parts[0].stop - parts[0].start) * out_hw[0] * width)  # each chunk's product

    def chunk(part):
        cols = im2col(x[part], kernel, stride, padding, dilation, out_hw, groups, width)
        product = w_rows @ cols
        out[part] = product.reshape(w.shape[0], -1, out_hw[0], width)[..., :out_hw[1]].transpose(1, 0, 2, 3)
        return cols

    kept = spread(chunk, parts)  # (the chunks on the idle cores: _threads.spread)
    if keep is not None:
        keep.extend(kept)
    return out


def conv_weight_grad(x, grad, kernel, stride, padding, dilation, groups, kept=None):
    """d(loss)/d(kernel) on arrays: the gradient's columns times the windows' columns, summed over chunks (the
    windows kept by the forward when given, else read again)."""
    out_hw = grad.shape[2:]
    width, total = _row_width(x.shape[2:], kernel, stride, padding, out_hw), None
    if not x.shape[0]:  # an empty batch: a sum of nothing
        return get_array_module(x).zeros((grad.shape[1], x.shape[1] // groups, *kernel), x.dtype)
    parts = _chunks(x, x.shape[1] * kernel[0] * kernel[1] * out_hw[0] * width)
    threads_for(grad.shape[1] * x.shape[1] // groups * kernel[0] * kernel[1] * (parts[0].stop - parts[0].start)
                * out_hw[0] * width)
    def chunk(i):
        cols = kept[i] if kept else im2col(x[parts[i]], kernel, stride, padding, dilation, out_hw, groups, width)
        return _columns(grad[parts[i]], groups, width) @ cols.transpose(0, 2, 1)

    for product in spread(chunk, range(len(parts))):  # summed in the chunks' order, whichever thread made them
        total = product if total is None else total.__iadd__(product)
    return total.reshape(grad.shape[1], x.shape[1] // groups, *kernel)


def _flipped_pays(x_shape, w_shape, out_hw, groups):
    """Whether the input gradient is cheaper as a convolution with the flipped kernel than by col2im (stride 1)."""
    (n, c, h, width), (o, _, kh, kw) = x_shape, w_shape
    taps, outputs = kh * kw, n * out_hw[0] * out_hw[1]
    flipped = (NS_PER_MULTIPLY_ADD * c * o * taps * n * h * width / groups
               + NS_PER_COPY * o * taps * n * h * (width + kw - 1))
    scattered = NS_PER_MULTIPLY_ADD * c * o * taps * outputs / groups + NS_PER_SCATTER * c * taps * outputs
    return flipped < scattered


def conv_input_grad(grad, w, x_shape, stride, padding, dilation, groups):
    """d(loss)/d(input) on arrays, of shape x_shape: the transposed convolution of grad with w. Two routes:

    - stride 1 (no dilation): a plain convolution of the gradient, padded by k-1-p, with the kernel flipped and its
      channel axes swapped. It multiplies the padding's zeros too, but needs no scatter: W7's 88->20 5x5 layer
      13 ms against col2im's 23, its 24->24 3x3 pad 1 layer 1.9 against 3.9;
    - col2im: each window's gradient (W^T times the gradient's columns) added back where it was read: every other
      stride, and where the flipped kernel's product would be mostly zeros or have few rows (W8's unpadded 16->32
      5x5 on 12x12: 4.7 ms against 6.1). _flipped_pays decides, from the two routes' counted work.
    """
    kernel, (_, c, h, width) = w.shape[2:], x_shape
    q = [k - 1 - p for k, p in zip(kernel, padding)]
    exact = tuple(grad.shape[2:]) == (h + 2 * padding[0] - kernel[0] + 1, width + 2 * padding[1] - kernel[1] + 1)
    if (stride == (1, 1) and dilation == (1, 1) and min(q) >= 0 and exact
            and _flipped_pays(x_shape, w.shape, grad.shape[2:], groups)):
        o, cg = w.shape[0], w.shape[1]
        flipped = w[:, :, ::-1, ::-1].reshape(groups, o // groups, cg, *kernel).transpose(0, 2, 1, 3, 4)
        return conv_forward(grad, flipped.reshape(groups * cg, o // groups, *kernel), (1, 1), q, (1, 1), groups,
                            (h, width))
    out = get_array_module(grad).empty(x_shape, grad.dtype)
    if not x_shape[0]:  # an empty batch
        return out
    w_rows, out_hw = _rows(w, groups), grad.shape[2:]
    parts = _chunks(grad, c * kernel[0] * kernel[1] * out_hw[0] * out_hw[1])
    threads_for(w_rows.size * (parts[0].stop - parts[0].start) * out_hw[0] * out_hw[1])
    def chunk(part):
        dcols = w_rows.transpose(0, 2, 1) @ _columns(grad[part], groups)
        col2im(dcols, (part.stop - part.start, c, h, width), kernel, stride, padding, dilation, out_hw, out[part])

    spread(chunk, parts)
    return out


def weight_grad(x, grad, kernel, stride, padding, dilation, groups):
    """d(loss)/d(kernel) of a convolution, as a convolution itself (differentiable, for create_graph=True).

    grad_w[o, c, i, j] = sum over n, ho, wo of grad[n, o, ho, wo] * xpad[n, c, ho*s + i*d, wo*s + j*d]: a
    convolution of x with grad as the kernel, the batch playing the channels and stride and dilation swapped.
    """
    per_group = []
    cg, og = x.shape[1] // groups, grad.shape[1] // groups
    for k in range(groups):  # a handful of groups, not pixels
        xs = x[:, k * cg:(k + 1) * cg].transpose(0, 1)
        gs = grad[:, k * og:(k + 1) * og].transpose(0, 1)
        full = Conv2d.apply(xs, gs, None, dilation, padding, stride, 1)  # (C/g, O/g, >= kh, >= kw)
        per_group.append(full[:, :, :kernel[0], :kernel[1]].transpose(0, 1))
    return per_group[0] if groups == 1 else cat(per_group, 0)


class Conv2d(Op):
    _name = "Convolution"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.windows = []  # the window matrices, for the weight gradient (dropped with ctx when nothing records)
        out = conv_forward(x, w, stride, padding, dilation, groups, keep=ctx.windows)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)  # out is fresh
        ctx.params = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dx: the transposed convolution of grad with W; d/dW: grad's columns x windows^T
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        kept, ctx.windows = ctx.windows, None  # freed now, as the saved values are (a retained graph reads again)
        if STATE.enabled:  # create_graph=True: the same gradient, built from ops that can be differentiated again
            out_hw = grad.shape[2:]
            out_padding = tuple(s - ((o - 1) * st - 2 * p + d * (k - 1) + 1) for s, o, st, p, d, k in
                                zip(x.shape[2:], out_hw, stride, padding, dilation, w.shape[2:]))
            return (ConvTranspose2d.apply(grad, w, None, stride, padding, out_padding, dilation, groups)
                    if need_x else None,
                    weight_grad(x, grad, w.shape[2:], stride, padding, dilation, groups) if need_w else None,
                    grad.sum(dim=(0, 2, 3)) if need_b else None, None, None, None, None)
        g, w_data = grad._data, w._data
        return (_wrap(conv_input_grad(g, w_data, x.shape, stride, padding, dilation, groups)) if need_x else None,
                _wrap(conv_weight_grad(x._data, g, w_data.shape[2:], stride, padding, dilation, groups, kept))
                if need_w else None,
                _wrap(g.sum(axis=(0, 2, 3))) if need_b else None, None, None, None, None)


class ConvTranspose2d(Op):
    """The transposed convolution: the input gradient of Conv2d, used as a layer (it upsamples)."""

    _name = "Convolution"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        n, _, h, width = x.shape
        kernel = w.shape[2:]
        out_shape = (n, w.shape[1] * groups) + tuple(
            (s - 1) * st - 2 * p + d * (k - 1) + op + 1
            for s, st, p, d, k, op in zip((h, width), stride, padding, dilation, kernel, output_padding))
        if out_shape[2] <= 0 or out_shape[3] <= 0:
            raise RuntimeError(f"conv_transpose2d: the output size {list(out_shape[2:])} is not positive")
        out = conv_input_grad(x, w, out_shape, stride, padding, dilation, groups)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)  # out is fresh
        ctx.params = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, grad):  # the adjoints: a convolution of grad with W (at x's positions), and grad's windows x x
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if STATE.enabled:  # create_graph=True: as ops (a transposed convolution's input gradient is a convolution)
            grad_x = Conv2d.apply(grad, w, None, stride, padding, dilation, groups) if need_x else None
            if grad_x is not None and grad_x.shape != x.shape:  # output_padding left windows past x's last position
                grad_x = grad_x[:, :, :x.shape[2], :x.shape[3]]
            return (grad_x, weight_grad(grad, x, w.shape[2:], stride, padding, dilation, groups) if need_w else None,
                    grad.sum(dim=(0, 2, 3)) if need_b else None, None, None, None, None, None)
        g, x_data, w_data = grad._data, x._data, w._data
        return (_wrap(conv_forward(g, w_data, stride, padding, dilation, groups, x_data.shape[2:]))
                if need_x else None,
                _wrap(conv_weight_grad(g, x_data, w_data.shape[2:], stride, padding, dilation, groups))
                if need_w else None,
                _wrap(g.sum(axis=(0, 2, 3))) if need_b else None, None, None, None, None, None)


def window_sum(x, kernel, stride, pads, out_hw):
    """Each window's sum: kh x kw strided views of the zero-padded x added up (a kernel of ones needs no products).
    pads: (top, bottom, left, right), the bottom and right ones covering ceil_mode's last windows."""
    xp = get_array_module(x)
    padded = xp.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:])) if any(pads) else x
    total = None
    for _, _, (rows, columns) in offsets(kernel, stride, (1, 1), out_hw):
        total = padded[:, :, rows, columns].copy() if total is None else total.__iadd__(padded[:, :, rows, columns])
    return total


def window_spread(grad, x_shape, kernel, stride, pads):
    """The adjoint of window_sum: each window's value added onto every position of the window."""
    n, c, h, w = x_shape
    out = get_array_module(grad).zeros((n, c, h + pads[0] + pads[1], w + pads[2] + pads[3]), grad.dtype)
    for _, _, (rows, columns) in offsets(kernel, stride, (1, 1), grad.shape[2:]):
        out[:, :, rows, columns] += grad
    return out[:, :, pads[0]:pads[0] + h, pads[2]:pads[2] + w] if any(pads) else out


class AvgPool2d(Op):
    """The mean of each window: its sum divided by divisor (a number, or one count per output position)."""

    _name = "AvgPool2D"
    _torch_saves_tensors = True  # (its input)

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, out_hw, divisor):
        ctx.params, ctx.x_shape = (kernel, stride, pads, divisor), x.shape
        total = window_sum(x, kernel, stride, pads, out_hw)
        total /= divisor
        return total

    @staticmethod
    def backward(ctx, grad):  # d(mean)/d(x) = 1/divisor for every position of the window
        kernel, stride, pads, divisor = ctx.params
        return AvgPool2dBackward.apply(grad, ctx.x_shape, kernel, stride, pads, divisor), *(None,) * 5


class AvgPool2dBackward(Op):
    """Average pooling's gradient, an op of its own so that it can be differentiated again: it is linear, and its
    own gradient is the pooling."""

    @staticmethod
    def forward(ctx, grad, x_shape, kernel, stride, pads, divisor):
        ctx.params, ctx.out_hw = (kernel, stride, pads, divisor), grad.shape[2:]
        return c_contiguous(window_spread(grad / divisor, x_shape, kernel, stride, pads))

    @staticmethod
    def backward(ctx, gg):  # the adjoint of spreading is summing the windows, divided as the forward divided
        kernel, stride, pads, divisor = ctx.params
        return AvgPool2d.apply(gg, kernel, stride, pads, ctx.out_hw, divisor), *(None,) * 5


def window_max(x, kernel, stride, padding, dilation, ceil_mode):
    """Each window's maximum, and which kernel offset held it (i * kw + j, int16): (best, position, out_hw).

    The windows are compared one kernel offset at a time (kh x kw vectorised comparisons); a strict > keeps
    the first maximum in the window, as PyTorch does.
    """
    n, c, h, w = x.shape
    out_hw = tuple(out_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in
                   zip((h, w), kernel, stride, padding, dilation))
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(f"max_pool2d: output size {list(out_hw)} is too small for input {[h, w]} with kernel "
                           f"{list(kernel)}, padding {list(padding)} and dilation {list(dilation)}")
    x = _pad_for_windows(x, kernel, stride, padding, dilation, out_hw, -np.inf if x.dtype.kind == "f" else
                         np.iinfo(x.dtype).min)
    floats, on_host = x.dtype.kind == "f", type(x) is np.ndarray
    # NaN can only come from a window with a NaN in it, and np.maximum carries any NaN into that window's best: so
    # look for NaN once, in the result, and scan again minding NaN only then (isnan per offset costs a third). On a
    # GPU, asking "any NaN?" would wait for the device: NaN is minded throughout there.
    best, position = _scan_windows(x, kernel, stride, dilation, out_hw, nan_wins=floats and not on_host)
    if floats and on_host and np.isnan(best).any():
        best, position = _scan_windows(x, kernel, stride, dilation, out_hw, nan_wins=True)
    return best, position, out_hw


def _scan_windows(x, kernel, stride, dilation, out_hw, nan_wins):
    """(each window's maximum, the offset that held it), comparing one kernel offset at a time."""
    xp = get_array_module(x)
    best = position = None
    for i, j, (rows, columns) in offsets(kernel, stride, dilation, out_hw):
        candidate = x[:, :, rows, columns]
        if best is None:
            best, position = candidate, xp.zeros(candidate.shape, np.int16)
            continue
        better = candidate > best
        if nan_wins:
            better |= xp.isnan(candidate)  # as torch: a NaN wins the window (the last NaN, if several)
        # the offsets come in increasing order, so this one is larger than every position so far: the maximum
        # picks it where better (branch-free; np.where mispredicts on every other element, 15x slower here)
        position = xp.maximum(position, better * np.int16(i * kernel[1] + j))
        best = xp.maximum(best, candidate)
    return best, position


def _pad_for_windows(x, kernel, stride, padding, dilation, out_hw, fill):
    """x padded so that every window lies inside (the padding, and ceil_mode's extra at the far edges)."""
    extra = [max(0, (o - 1) * st + d * (k - 1) + 1 - (s + 2 * p)) for o, st, d, k, s, p in
             zip(out_hw, stride, dilation, kernel, x.shape[2:], padding)]
    if any(padding) or any(extra):
        x = get_array_module(x).pad(x, ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]),
                                        (padding[1], padding[1] + extra[1])), constant_values=fill)
    return x


def max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """Each window's maximum, and its position in x as a flat index over H*W (PyTorch's return_indices)."""
    best, position, out_hw = window_max(x, kernel, stride, padding, dilation, ceil_mode)
    xp = get_array_module(x)
    row = xp.arange(out_hw[0])[:, None] * stride[0] - padding[0] + (position // kernel[1]) * dilation[0]
    col = xp.arange(out_hw[1])[None, :] * stride[1] - padding[1] + (position % kernel[1]) * dilation[1]
    return best, row * x.shape[3] + col


class MaxPool2d(Op):
    """The largest value in each window; its gradient goes back to that position."""

    _name = "MaxPool2DWithIndices"
    _torch_saves_tensors = True  # (its input and the indices)

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        out, ctx.position, out_hw = window_max(x, kernel, stride, padding, dilation, ceil_mode)
        ctx.x_shape, ctx.params = x.shape, (kernel, stride, padding, dilation, ceil_mode, out_hw)
        return out

    @staticmethod
    def backward(ctx, grad):  # each window's gradient goes to its maximum (adding up where windows overlap)
        kernel, stride, padding, dilation, ceil_mode, out_hw = ctx.params
        n, c, h, w = ctx.x_shape
        xp = get_array_module(grad._data)
        if STATE.enabled:  # create_graph=True: a scatter op, whose own backward gathers
            row = xp.arange(out_hw[0])[:, None] * stride[0] - padding[0] + (ctx.position // kernel[1]) * dilation[0]
            col = xp.arange(out_hw[1])[None, :] * stride[1] - padding[1] + (ctx.position % kernel[1]) * dilation[1]
            key = (xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None], row * w + col)
            overlapping = any(st < d * (k - 1) + 1 for st, d, k in zip(stride, dilation, kernel))
            return IndexAdd.apply(grad, (n, c, h * w), key, not overlapping).reshape(ctx.x_shape), *(None,) * 5
        # on arrays, one kernel offset at a time: the windows whose maximum sat at offset k send their gradient
        # to what offset k read (a strided slice, so no index arithmetic and no scatter)
        g = grad._data
        dx = _pad_for_windows(xp.zeros(ctx.x_shape, g.dtype), kernel, stride, padding, dilation, out_hw, 0)
        overlapping = any(st < d * (k - 1) + 1 for st, d, k in zip(stride, dilation, kernel))
        for i, j, (rows, columns) in offsets(kernel, stride, dilation, out_hw):
            # masked, not multiplied by the mask: a NaN from a window goes to its maximum only, as in torch
            if overlapping:
                dx[:, :, rows, columns] += masked(g, ctx.position == i * kernel[1] + j)
            else:  # every position is read by one window and offset at most: write in place
                masked(g, ctx.position == i * kernel[1] + j, out=dx[:, :, rows, columns])
        if dx.shape != ctx.x_shape:
            dx = xp.ascontiguousarray(dx[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w])
        return _wrap(dx), None, None, None, None, None
