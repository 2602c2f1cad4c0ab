"""Convolution and pooling windows on 2-D images (1-D signals are images of height 1).

The idea, im2col: a strided *view* of the padded input lists every window the
kernel visits, as (N, C, H_out, W_out, kh, kw) without copying; one reshape
lays the windows out as rows, and one matrix product with the kernel computes
every output pixel at once (batched over groups). The gradients are the same
two steps backwards: one matrix product for the kernel, and for the input the
window rows are added back where they came from (col2im), one kernel offset
at a time: kh x kw vectorised additions, never a loop over pixels.

A convolution's input gradient *is* a transposed convolution, and the other
way round, so the two ops below share the three helpers.
"""
import numpy as np

from ..autograd.grad_mode import STATE
from ..autograd.function import Op
from ..tensor import _wrap


def out_size(size, kernel, stride, padding, dilation, ceil_mode=False):
    """How many positions a kernel takes along one axis (PyTorch's formula, with its ceil_mode rule)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    n = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (n - 1) * stride >= size + padding:
        n -= 1  # the last window must start inside the input or its left padding
    return n


def windows(xp, kernel, stride, dilation, out_hw):
    """A read-only view of every kernel window: (N, C, H_out, W_out, kh, kw)."""
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, *out_hw, *kernel),
        (s_n, s_c, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1]), writeable=False)


def im2col(x, kernel, stride, padding, dilation, groups):
    """The windows of x as rows of a matrix per group: (groups, N*H_out*W_out, C/groups*kh*kw)."""
    n, c, h, w = x.shape
    out_hw = tuple(out_size(s, k, st, p, d) for s, k, st, p, d in zip((h, w), kernel, stride, padding, dilation))
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(f"Calculated output size {list(out_hw)} is too small: the kernel {list(kernel)} (dilation "
                           f"{list(dilation)}) is larger than the padded input {[h + 2 * padding[0], w + 2 * padding[1]]}")
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2)) if any(padding) else x
    win = windows(xp, kernel, stride, dilation, out_hw)
    cols = win.reshape(n, groups, c // groups, *out_hw, *kernel).transpose(1, 0, 3, 4, 2, 5, 6)
    return cols.reshape(groups, n * out_hw[0] * out_hw[1], -1), out_hw


def col2im(dcols, x_shape, kernel, stride, padding, dilation, groups, out_hw):
    """The adjoint of im2col: add every window row back onto the input positions it was read from."""
    n, c, h, w = x_shape
    kh, kw = kernel
    d = dcols.reshape(groups, n, *out_hw, c // groups, kh, kw).transpose(1, 0, 4, 2, 3, 5, 6)
    d = d.reshape(n, c, *out_hw, kh, kw)
    dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dcols.dtype)
    rows = (out_hw[0] - 1) * stride[0] + 1
    cols = (out_hw[1] - 1) * stride[1] + 1
    for i in range(kh):
        for j in range(kw):
            top, left = i * dilation[0], j * dilation[1]
            dxp[:, :, top:top + rows:stride[0], left:left + cols:stride[1]] += d[:, :, :, :, i, j]
    return dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


def _rows(y, groups):
    """(N, O, H, W) -> (groups, N*H*W, O/groups): output pixels as rows, per group."""
    n, o, h, w = y.shape
    return y.reshape(n, groups, o // groups, h, w).transpose(1, 0, 3, 4, 2).reshape(groups, n * h * w, o // groups)


def _unrows(rows, n, out_hw):
    """The inverse of _rows."""
    groups, _, og = rows.shape
    return rows.reshape(groups, n, *out_hw, og).transpose(1, 0, 4, 2, 3).reshape(n, groups * og, *out_hw)


def _no_double_backward(name):
    if STATE.enabled:
        raise RuntimeError(f"ember computes {name}'s gradient with NumPy, so a second derivative through it "
                           "(create_graph=True) is not supported")


class Conv2d(Op):
    _name = "Convolution"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        cols, out_hw = im2col(x, w.shape[2:], stride, padding, dilation, groups)
        kernel_rows = w.reshape(groups, w.shape[0] // groups, -1)
        out = _unrows(cols @ kernel_rows.transpose(0, 2, 1), x.shape[0], out_hw)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.params = (stride, padding, dilation, groups)
        ctx.x_shape, ctx.out_hw = x.shape, out_hw
        ctx.save_for_backward(cols, w)
        return out

    @staticmethod
    def backward(ctx, grad):  # d/dx: col2im(grad @ W); d/dW: grad^T @ cols; d/db: sum of grad
        _no_double_backward("conv2d")
        cols, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g = _rows(grad._data, groups)
        w_data = w._data
        grad_x = grad_w = grad_b = None
        if need_x:
            dcols = g @ w_data.reshape(groups, w_data.shape[0] // groups, -1)
            grad_x = _wrap(col2im(dcols, ctx.x_shape, w_data.shape[2:], stride, padding, dilation, groups, ctx.out_hw))
        if need_w:
            grad_w = _wrap((g.transpose(0, 2, 1) @ cols._data).reshape(w_data.shape))
        if need_b:
            grad_b = _wrap(grad._data.sum(axis=(0, 2, 3)))
        return grad_x, grad_w, grad_b, None, None, None, None


class ConvTranspose2d(Op):
    """The transposed convolution: the input gradient of Conv2d, used as a layer (it upsamples)."""

    _name = "Convolution"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        n, _, h, width = x.shape
        c_out = w.shape[1] * groups
        kernel = w.shape[2:]
        out_shape = (n, c_out) + tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, st, p, d, k, op in
                                       zip((h, width), stride, padding, dilation, kernel, output_padding))
        if out_shape[2] <= 0 or out_shape[3] <= 0:
            raise RuntimeError(f"conv_transpose2d: the output size {list(out_shape[2:])} is not positive")
        dcols = _rows(x, groups) @ w.reshape(groups, w.shape[0] // groups, -1)
        out = col2im(dcols, out_shape, kernel, stride, padding, dilation, groups, (h, width))
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.params = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, grad):  # the adjoints of col2im: a convolution of grad with W, and grad's windows x
        _no_double_backward("conv_transpose2d")
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        w_data = w._data
        cols, _ = im2col(grad._data, w_data.shape[2:], stride, padding, dilation, groups)
        x_rows = _rows(x._data, groups)
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _wrap(_unrows(cols @ w_data.reshape(groups, w_data.shape[0] // groups, -1).transpose(0, 2, 1),
                                   x._data.shape[0], x._data.shape[2:]))
        if need_w:
            grad_w = _wrap((x_rows.transpose(0, 2, 1) @ cols).reshape(w_data.shape))
        if need_b:
            grad_b = _wrap(grad._data.sum(axis=(0, 2, 3)))
        return grad_x, grad_w, grad_b, None, None, None, None, None


def max_pool_indices(x, kernel, stride, padding, dilation, ceil_mode):
    """Where each window's maximum sits in x, as a flat index over H*W: (N, C, H_out, W_out) int64.

    max pooling is then a gather of these positions, whose gradient (a scatter-add) sends each window's
    gradient to its maximum; the indices are also what return_indices gives.
    """
    n, c, h, w = x.shape
    out_hw = tuple(out_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in
                   zip((h, w), kernel, stride, padding, dilation))
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(f"max_pool2d: output size {list(out_hw)} is too small for input {[h, w]} with kernel "
                           f"{list(kernel)}, padding {list(padding)} and dilation {list(dilation)}")
    extra = [max(0, (o - 1) * st + d * (k - 1) + 1 - (s + 2 * p)) for o, st, d, k, s, p in
             zip(out_hw, stride, dilation, kernel, (h, w), padding)]
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1])),
                constant_values=fill)
    local = windows(xp, kernel, stride, dilation, out_hw).reshape(n, c, *out_hw, -1).argmax(axis=-1)
    row = np.arange(out_hw[0])[:, None] * stride[0] - padding[0] + (local // kernel[1]) * dilation[0]
    col = np.arange(out_hw[1])[None, :] * stride[1] - padding[1] + (local % kernel[1]) * dilation[1]
    return row * w + col
