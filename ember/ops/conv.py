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


def im2col(x, kernel, stride, padding, dilation, groups):
    """Every window of x as a column, grouped: (groups, C/groups*kh*kw, N*H_out*W_out).

    One strided slice copy per kernel offset (kh x kw of them) fills the matrix;
    the kernel's weights then multiply it in one matrix product per group.
    """
    n, c, h, w = x.shape
    out_hw = tuple(out_size(s, k, st, p, d) for s, k, st, p, d in zip((h, w), kernel, stride, padding, dilation))
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(f"Calculated output size {list(out_hw)} is too small: the kernel {list(kernel)} (dilation "
                           f"{list(dilation)}) is larger than the padded input {[h + 2 * padding[0], w + 2 * padding[1]]}")
    padded = get_array_module(x).pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2)) if any(padding) else x
    cols = get_array_module(x).empty((c, kernel[0], kernel[1], n, *out_hw), x.dtype)
    channels_first = padded.transpose(1, 0, 2, 3)
    for i, j, (rows, columns) in offsets(kernel, stride, dilation, out_hw):
        cols[:, i, j] = channels_first[:, :, rows, columns]
    return cols.reshape(groups, -1, n * out_hw[0] * out_hw[1]), out_hw


def col2im(dcols, x_shape, kernel, stride, padding, dilation, out_hw):
    """The adjoint of im2col: add every column back onto the input positions it was read from."""
    n, c, h, w = x_shape
    d = dcols.reshape(c, kernel[0], kernel[1], n, *out_hw)
    dxp = get_array_module(dcols).zeros((c, n, h + 2 * padding[0], w + 2 * padding[1]), dcols.dtype)
    for i, j, (rows, columns) in offsets(kernel, stride, dilation, out_hw):
        dxp[:, :, rows, columns] += d[:, i, j]
    return c_contiguous(dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w].transpose(1, 0, 2, 3))


def _columns(y, groups):
    """(N, O, H, W) -> (groups, O/groups, N*H*W): the layout the matrix products work in."""
    n, o, h, w = y.shape
    return y.transpose(1, 0, 2, 3).reshape(groups, o // groups, n * h * w)


def _images(m, n, out_hw):
    """(groups, O/groups, N*H*W) -> (N, O, H, W), contiguous as PyTorch's results are (one copy: cheaper than
    N small matrix products that would write it in place)."""
    return c_contiguous(m.reshape(-1, n, *out_hw).transpose(1, 0, 2, 3))


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
        cols, out_hw = im2col(x, w.shape[2:], stride, padding, dilation, groups)
        out = _images(w.reshape(groups, w.shape[0] // groups, -1) @ cols, x.shape[0], out_hw)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)  # out is fresh
        ctx.params = (stride, padding, dilation, groups)
        ctx.x_shape, ctx.out_hw = x.shape, out_hw
        ctx.save_for_backward(cols, w, x)  # x: only the create_graph path needs it (it is alive anyway, upstream)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dx: col2im(W^T grad); d/dW: grad cols^T; d/db: sum of grad
        cols, w, x = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if STATE.enabled:  # create_graph=True: the same gradient, built from ops that can be differentiated again
            out_padding = tuple(s - ((o - 1) * st - 2 * p + d * (k - 1) + 1) for s, o, st, p, d, k in
                                zip(ctx.x_shape[2:], ctx.out_hw, stride, padding, dilation, w.shape[2:]))
            return (ConvTranspose2d.apply(grad, w, None, stride, padding, out_padding, dilation, groups)
                    if need_x else None,
                    weight_grad(x, grad, w.shape[2:], stride, padding, dilation, groups) if need_w else None,
                    grad.sum(dim=(0, 2, 3)) if need_b else None, None, None, None, None)
        g = _columns(grad._data, groups)
        w_data = w._data
        grad_x = grad_w = grad_b = None
        if need_x:
            dcols = w_data.reshape(groups, w_data.shape[0] // groups, -1).transpose(0, 2, 1) @ g
            grad_x = _wrap(col2im(dcols, ctx.x_shape, w_data.shape[2:], stride, padding, dilation, ctx.out_hw))
        if need_w:
            grad_w = _wrap((g @ cols._data.transpose(0, 2, 1)).reshape(w_data.shape))
        if need_b:
            grad_b = _wrap(grad._data.sum(axis=(0, 2, 3)))
        return grad_x, grad_w, grad_b, None, None, None, None


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
        dcols = w.reshape(groups, w.shape[0] // groups, -1).transpose(0, 2, 1) @ _columns(x, groups)
        out = col2im(dcols, out_shape, kernel, stride, padding, dilation, (h, width))
        if b is not None:
            out = out + b.reshape(1, -1, 1, 1)
        ctx.params = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, grad):  # the adjoints of col2im: a convolution of grad with W, and grad's columns with x
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if STATE.enabled:  # create_graph=True: as ops (a transposed convolution's input gradient is a convolution)
            return (Conv2d.apply(grad, w, None, stride, padding, dilation, groups) if need_x else None,
                    weight_grad(grad, x, w.shape[2:], stride, padding, dilation, groups) if need_w else None,
                    grad.sum(dim=(0, 2, 3)) if need_b else None, None, None, None, None, None)
        w_data = w._data
        cols, out_hw = im2col(grad._data, w_data.shape[2:], stride, padding, dilation, groups)
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _wrap(_images(w_data.reshape(groups, w_data.shape[0] // groups, -1) @ cols, x._data.shape[0],
                                   out_hw))
        if need_w:
            grad_w = _wrap((_columns(x._data, groups) @ cols.transpose(0, 2, 1)).reshape(w_data.shape))
        if need_b:
            grad_b = _wrap(grad._data.sum(axis=(0, 2, 3)))
        return grad_x, grad_w, grad_b, None, None, None, None, None


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
        x = get_array_module(x).pad(x, ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1])),
                   constant_values=fill)
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
