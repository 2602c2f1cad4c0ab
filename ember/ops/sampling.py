"""Sampling an image at arbitrary points: the two ops of a spatial transformer, as torch records them.

AffineGridGenerator: the sampling points of an affine map. A fixed base grid of normalised pixel centres
(x, y, 1) (or (x, y, z, 1)), each multiplied by theta^T: grid = base @ theta^T. Its gradient is the adjoint,
grad^T @ base, written in ember ops so that it can be differentiated again.

GridSampler2D: out[n, c, h, w] = input[n, c] read at the point grid[n, h, w] = (x, y) in [-1, 1] (x along the
width). As ATen's CPU kernel does it, per point and in the input's dtype:
    1. unnormalise: align_corners=True maps -1 and 1 to the centres of the first and last pixels,
       ix = (x + 1) * (W - 1) / 2; align_corners=False to their outer edges, ix = (x + 1) * W / 2 - 0.5.
    2. padding: 'border' clips the point into [0, W - 1]; 'reflection' folds it back and forth about the edges
       (the pixel centres, or the outer edges) until it lands inside, then clips; 'zeros' leaves it, and reads
       outside pixels as 0.
    3. interpolate: 'bilinear' weighs the four pixels around the point by the areas opposite them; 'nearest'
       reads the pixel it rounds to (half to even); 'bicubic' blends 4 x 4 pixels with Keys' cubic (a = -0.75),
       padding applied to each pixel's index instead of to the point.
The gradient: each output's gradient is spread back onto the pixels it read, by the same weights (a scatter
add); the grid's is d out / d (ix, iy), the difference of the pixel values across the cell, times d ix / d x:
the unnormalising scale, times +-1 through a reflection, times 0 where the clip holds the point at an edge
(torch counts the edge itself as clipped). 'nearest' gives the grid no gradient (a step function).
"""
import numpy as np

from .._backend import add_at, get_array_module, like
from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..tensor import _wrap

MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_A = -0.75  # the cubic convolution's constant, as torch's (and interpolate's bicubic)


# ---- affine_grid ------------------------------------------------------------------------------------------------
def _linspace(steps, align_corners, dtype):
    """torch's linspace_from_neg_one: linspace(-1, 1) (each half counted from its own end, as ATen's kernel), then
    for align_corners=False times (steps - 1), divided by steps (pixel centres, not edges); one step: 0."""
    if steps <= 1:
        return np.zeros(max(steps, 0), dtype)
    one = dtype.type(1)
    step = (one + one) / dtype.type(steps - 1)
    index = np.arange(steps)
    low = index < steps // 2
    values = np.where(low, -one + step * index.astype(dtype), one - step * (steps - index - 1).astype(dtype))
    values = values.astype(dtype)
    if not align_corners:
        values = values * dtype.type(steps - 1) / dtype.type(steps)
    return values


def base_grid(spatial, align_corners, dtype):
    """The (prod(spatial), k + 1) points (x, y[, z], 1) of the output's pixels, x (the last dim) fastest."""
    dtype = np.dtype(dtype)
    axes = [_linspace(s, align_corners, dtype) for s in spatial]  # (D,) H, W
    points = np.meshgrid(*axes, indexing="ij")  # each of shape spatial
    columns = [p.reshape(-1) for p in reversed(points)]  # x, y[, z]
    columns.append(np.ones(int(np.prod(spatial)), dtype))
    return np.stack(columns, axis=1)


class AffineGridGenerator(Op):
    """grid = base @ theta^T, shaped (N, *spatial, k): theta (N, k, k + 1)."""

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        base = like(base_grid(spatial, align_corners, theta.dtype), theta)
        ctx.base, ctx.spatial = base, spatial
        n, k = theta.shape[0], theta.shape[1]
        return (base @ theta.transpose(0, 2, 1)).reshape((n, *spatial, k))

    @staticmethod
    def backward(ctx, grad):  # d theta = grad^T @ base per batch: (N, k, HW) @ (HW, k + 1)
        n, k = grad.shape[0], grad.shape[-1]
        flat = grad.reshape(n, -1, k).transpose(1, 2)
        return flat @ _wrap(ctx.base), None, None


# ---- grid_sample: coordinates -----------------------------------------------------------------------------------
class _Axis:
    """One spatial dim of the input (its size) and how grid values become pixel coordinates along it."""

    def __init__(self, size, padding, align_corners, dtype):
        t = dtype.type
        self.size, self.padding, self.t = size, padding, t
        self.max_val = t(size - 1)
        if align_corners:
            self.scale, self.low, self.twice_span, self.empty = t(size - 1) / t(2), t(0), t(size - 1) * t(2), size <= 1
        else:
            self.scale, self.low, self.twice_span, self.empty = t(size) / t(2), t(-0.5), t(size) * t(2), size <= 0
        self.align_corners = align_corners

    def unnormalize(self, xp, g):
        out = (g + self.t(1)) * self.scale
        return out if self.align_corners else out - self.t(0.5)

    def clip(self, xp, x):  # NaN clips to 0, as torch's
        return xp.minimum(xp.fmax(x, self.t(0)), self.max_val)

    def reflect(self, xp, x, with_grad=False):
        """x folded into [low, low + span]; with_grad: also d out / d x (+-1)."""
        if self.empty:
            zero = xp.zeros_like(x)
            return (zero, zero) if with_grad else zero
        shifted = x - self.low
        distance = xp.abs(shifted)
        extra = distance - xp.trunc(distance / self.twice_span) * self.twice_span
        flipped = self.twice_span - extra
        more = extra > flipped
        out = xp.where(more, flipped, extra) + self.low
        if not with_grad:
            return out
        return out, xp.where(more ^ (shifted < 0), self.t(-1), self.t(1))

    def pad(self, xp, x):
        """The padding applied to a coordinate (to the point; bicubic: to each pixel index)."""
        if self.padding == 1:
            return self.clip(xp, x)
        if self.padding == 2:
            return self.clip(xp, self.reflect(xp, x))
        return x

    def location(self, xp, g):
        """The point's pixel coordinate, and d coordinate / d g."""
        x = self.unnormalize(xp, g)
        if self.padding == 0:
            return x, xp.full_like(x, self.scale)
        grad = xp.full_like(x, self.scale)
        if self.padding == 2:
            x, sign = self.reflect(xp, x, True)
            grad = grad * sign
        low = xp.maximum(x, self.t(0))
        x = xp.minimum(low, self.max_val)
        inside = (low != 0) & (x != self.max_val)  # the edges themselves count as clipped
        return x, xp.where(inside, grad, self.t(0))

    def index(self, xp, x):
        """Integer pixel indices of integral float coordinates, and whether each is a pixel (zeros padding);
        far or NaN coordinates are held just outside, so that they index nothing and stay masked."""
        i = xp.clip(xp.nan_to_num(x, nan=-2.0), -2, self.size + 1).astype(np.int64)
        return i, (i >= 0) & (i < self.size)


def _gather(flat, iy, ix, ok, width):
    """flat (N, C, H*W) read at pixels (iy, ix) (N, P): (N, C, P), 0 where not ok."""
    xp = get_array_module(flat)
    at = xp.where(ok, iy * width + ix, 0)[:, None, :]
    values = xp.take_along_axis(flat, at, axis=2)
    return xp.where(ok[:, None, :], values, flat.dtype.type(0))


def _scatter(out, iy, ix, ok, width, values):
    """out (N, C, H*W) += values (N, C, P) at pixels (iy, ix), where ok (adding where positions repeat)."""
    xp = get_array_module(out)
    n, c, hw = out.shape
    at = xp.where(ok, iy * width + ix, 0)[:, None, :] + (xp.arange(n * c).reshape(n, c, 1) * hw)
    values = xp.where(ok[:, None, :], values, out.dtype.type(0))
    add_at(out.reshape(-1), (at.reshape(-1),), values.reshape(-1))


def _cubic(t, tx):
    """Keys' cubic weights of the four pixels at -1, 0, 1, 2 from the floor, at offset tx in [0, 1)."""
    a = t(_A)
    far = lambda x: ((a * x - t(5) * a) * x + t(8) * a) * x - t(4) * a  # noqa: E731
    near = lambda x: ((a + t(2)) * x - (a + t(3))) * x * x + t(1)  # noqa: E731
    return [far(tx + t(1)), near(tx), near(t(1) - tx), far(t(2) - tx)]


def _cubic_grad(t, tx):
    """d weight / d (pixel - point) of the four weights above (torch's sign convention: gx subtracts them)."""
    a = t(_A)
    x0, x1, x2, x3 = t(-1) - tx, t(0) - tx, t(1) - tx, t(2) - tx
    return [(t(-3) * a * x0 - t(10) * a) * x0 - t(8) * a,
            (t(-3) * (a + t(2)) * x1 - t(2) * (a + t(3))) * x1,
            (t(3) * (a + t(2)) * x2 - t(2) * (a + t(3))) * x2,
            (t(3) * a * x3 - t(10) * a) * x3 + t(8) * a]


class _Plan:
    """What forward and backward share: the input's axes and the grid's points, flattened to (N, P)."""

    def __init__(self, input, grid, mode, padding, align_corners):
        self.xp = get_array_module(input)
        self.n, self.c, self.h, self.w = input.shape
        self.out_hw = grid.shape[1:3]
        self.mode = mode
        dtype = input.dtype
        self.t = dtype.type
        self.ax = _Axis(self.w, padding, align_corners, dtype)
        self.ay = _Axis(self.h, padding, align_corners, dtype)
        self.gx = grid[..., 0].reshape(self.n, -1)
        self.gy = grid[..., 1].reshape(self.n, -1)
        self.flat = input.reshape(self.n, self.c, -1)

    def corners(self, with_grad=False):
        """bilinear: the four pixels around each point, their weights and the distances to the cell's sides."""
        xp, ax, ay, t = self.xp, self.ax, self.ay, self.t
        if with_grad:
            x, mx = ax.location(xp, self.gx)
            y, my = ay.location(xp, self.gy)
        else:
            x, y = ax.pad(xp, ax.unnormalize(xp, self.gx)), ay.pad(xp, ay.unnormalize(xp, self.gy))
            mx = my = None
        x0, y0 = xp.floor(x), xp.floor(y)
        w, n = x - x0, y - y0  # distances to the west and north sides
        e, s = t(1) - w, t(1) - n
        ix, okx = ax.index(xp, x0)
        iy, oky = ay.index(xp, y0)
        ix1, okx1 = ax.index(xp, x0 + t(1))
        iy1, oky1 = ay.index(xp, y0 + t(1))
        corners = [(iy, ix, oky & okx, s * e), (iy, ix1, oky & okx1, s * w),
                   (iy1, ix, oky1 & okx, n * e), (iy1, ix1, oky1 & okx1, n * w)]  # nw, ne, sw, se
        return corners, (n, s, w, e), (mx, my)

    def nearest(self):
        xp, ax, ay = self.xp, self.ax, self.ay
        x = ax.pad(xp, ax.unnormalize(xp, self.gx))
        y = ay.pad(xp, ay.unnormalize(xp, self.gy))
        ix, okx = ax.index(xp, xp.rint(x))
        iy, oky = ay.index(xp, xp.rint(y))
        return iy, ix, oky & okx

    def taps(self):
        """bicubic: the point's floor (x0, y0) and the point's offset from it (tx, ty), unpadded."""
        xp, ax, ay = self.xp, self.ax, self.ay
        x, y = ax.unnormalize(xp, self.gx), ay.unnormalize(xp, self.gy)
        x0, y0 = xp.floor(x), xp.floor(y)
        return x0, y0, x - x0, y - y0

    def tap(self, x0, y0, i, j):
        """Pixel (x0 - 1 + i, y0 - 1 + j), padded as torch pads each index of the 4 x 4 block."""
        xp, t = self.xp, self.t
        ix, okx = self.ax.index(xp, self.ax.pad(xp, x0 + t(i - 1)))
        iy, oky = self.ay.index(xp, self.ay.pad(xp, y0 + t(j - 1)))
        return iy, ix, oky & okx

    def shaped(self, out):
        return out.reshape(self.n, self.c, *self.out_hw)


def sample(input, grid, mode, padding, align_corners):
    """The forward of grid_sample on arrays: (N, C, H, W) read at grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo)."""
    plan = _Plan(input, grid, mode, padding, align_corners)
    flat, width = plan.flat, plan.w
    if mode == 1:
        return plan.shaped(_gather(flat, *plan.nearest(), width))
    if mode == 0:
        corners = plan.corners()[0]
        out = None
        for iy, ix, ok, weight in corners:  # ((nw + ne) + sw) + se, as torch adds them
            term = _gather(flat, iy, ix, ok, width) * weight[:, None, :]
            out = term if out is None else out + term
        return plan.shaped(out)
    x0, y0, tx, ty = plan.taps()
    cx, cy = _cubic(plan.t, tx), _cubic(plan.t, ty)
    out = None
    for j in range(4):
        row = None
        for i in range(4):
            term = cx[i][:, None, :] * _gather(flat, *plan.tap(x0, y0, i, j), width)
            row = term if row is None else row + term
        term = cy[j][:, None, :] * row
        out = term if out is None else out + term
    return plan.shaped(out)


def sample_backward(grad, input, grid, mode, padding, align_corners, need_input, need_grid):
    """The gradients of grid_sample w.r.t. input (a scatter of grad by the forward's weights) and grid."""
    plan = _Plan(input, grid, mode, padding, align_corners)
    xp, flat, width, t = plan.xp, plan.flat, plan.w, plan.t
    g = grad.reshape(plan.n, plan.c, -1)
    g_input = xp.zeros(flat.shape, flat.dtype) if need_input else None
    g_grid = xp.zeros(grid.shape, grid.dtype) if need_grid else None
    if mode == 1:
        if need_input:
            iy, ix, ok = plan.nearest()
            _scatter(g_input, iy, ix, ok, width, g)
        return (g_input.reshape(input.shape) if need_input else None), g_grid  # the grid's gradient: 0
    if mode == 0:
        corners, (n, s, w, e), (mx, my) = plan.corners(with_grad=True)
        if need_input:
            for iy, ix, ok, weight in corners:
                _scatter(g_input, iy, ix, ok, width, weight[:, None, :] * g)
        if need_grid:
            nw, ne, sw, se = (_gather(flat, iy, ix, ok, width) for iy, ix, ok, _ in corners)
            s, n, e, w = s[:, None, :], n[:, None, :], e[:, None, :], w[:, None, :]
            dx = (((ne - nw) * s + (se - sw) * n) * g).sum(axis=1)  # over channels, one after another
            dy = (((sw - nw) * e + (se - ne) * w) * g).sum(axis=1)
            g_grid[..., 0] = (dx * mx).reshape(g_grid.shape[:-1])
            g_grid[..., 1] = (dy * my).reshape(g_grid.shape[:-1])
    else:
        x0, y0, tx, ty = plan.taps()
        cx, cy = _cubic(t, tx), _cubic(t, ty)
        gcx, gcy = _cubic_grad(t, tx), _cubic_grad(t, ty)
        terms_x, terms_y = [], []
        for i in range(4):
            for j in range(4):
                iy, ix, ok = plan.tap(x0, y0, i, j)
                if need_input:
                    _scatter(g_input, iy, ix, ok, width, g * cx[i][:, None, :] * cy[j][:, None, :])
                if need_grid:
                    value_g = _gather(flat, iy, ix, ok, width) * g
                    terms_x.append(value_g * gcx[i][:, None, :] * cy[j][:, None, :])
                    terms_y.append(value_g * gcy[j][:, None, :] * cx[i][:, None, :])
        if need_grid:  # torch subtracts the terms channel by channel, the 16 pixels within each channel
            dx = -xp.stack(terms_x, axis=2).reshape(plan.n, -1, g.shape[2]).sum(axis=1)
            dy = -xp.stack(terms_y, axis=2).reshape(plan.n, -1, g.shape[2]).sum(axis=1)
            g_grid[..., 0] = (dx * plan.ax.scale).reshape(g_grid.shape[:-1])
            g_grid[..., 1] = (dy * plan.ay.scale).reshape(g_grid.shape[:-1])
    return (g_input.reshape(input.shape) if need_input else None), g_grid


class GridSampler2D(Op):
    """torch's grid_sampler_2d: input (N, C, H, W) sampled at grid (N, Ho, Wo, 2); mode and padding as the
    numbers in MODES and PADDINGS. One node, GridSampler2DBackward0, for the gradients of input and grid."""

    @staticmethod
    def forward(ctx, input, grid, mode, padding, align_corners):
        ctx.save_for_backward(input, grid)
        ctx.params = mode, padding, align_corners
        return sample(input, grid, mode, padding, align_corners)

    @staticmethod
    def backward(ctx, grad):
        if STATE.enabled:
            raise NotImplementedError("grid_sample's double backward (create_graph=True through it) is not "
                                      "implemented in ember: the first gradient can only be computed without "
                                      "create_graph")
        input, grid = ctx.saved_tensors
        need_input, need_grid = ctx.needs_input_grad[:2]
        g_input, g_grid = sample_backward(grad._data, input._data, grid._data, *ctx.params, need_input, need_grid)
        return (_wrap(g_input) if need_input else None, _wrap(g_grid) if need_grid else None, None, None, None)
