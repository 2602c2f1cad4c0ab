"""The discrete Fourier transforms whose result is real, on NumPy's pocketfft (np.fft).

ember has no complex dtypes, so the one transform family here is the complex-to-real one (torch's ``_fft_c2r``):
``irfftn`` of a real tensor, read as a half spectrum whose imaginary parts are zero, and ``hfft`` (the same with the
other normalization). Every transform is linear, so its gradient is its adjoint, and the adjoint of the adjoint is the
transform again: the two ops below are each other's backward, so derivatives of any order are recorded.

For the half spectrum x (the last transformed dim, cropped or zero-padded to n // 2 + 1 entries) the c2r transform is
    y_t = c * sum_k w_k * x_k * cos(2 pi k t / n)  (and the other dims' inverse DFTs),
with w_k = 2 for the bins that stand for a pair of conjugate bins (1 .. n - (n // 2 + 1)) and 1 for the DC bin and,
when n is even, the Nyquist bin. Its adjoint is w times the real part of the forward real-to-complex transform of
the gradient, with the same scale c (the "dual" norm: backward <-> forward, ortho itself), cropped or zero-padded
back to the input's sizes.

Both compute in float64 and round once to the input's dtype (torch's CPU kernels compute float32 in float32, so
float32 results agree to float32's rounding, not bit for bit).
"""
import numpy as np

from ..autograd.function import Op

DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _resized(a, axes, sizes):
    """a cropped or zero-padded at the end of each axis to the given size (a new array; a is never written)."""
    key = [slice(None)] * a.ndim
    pad = [(0, 0)] * a.ndim
    for axis, size in zip(axes, sizes):
        key[axis] = slice(0, size)
        pad[axis] = (0, max(size - a.shape[axis], 0))
    out = a[tuple(key)]
    return np.pad(out, pad) if any(p[1] for p in pad) else out


class FftC2R(Op):
    """irfftn of a real half spectrum: s are the output sizes along axes (the last one is n), norm numpy's."""

    @staticmethod
    def forward(ctx, a, s, axes, norm):
        ctx.in_sizes = tuple(a.shape[axis] for axis in axes)
        ctx.s, ctx.axes, ctx.norm = s, axes, norm
        out = np.fft.irfftn(a.astype(np.float64, copy=False), s=s, axes=axes, norm=norm)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return FftC2RAdjoint.apply(grad, ctx.in_sizes, ctx.s, ctx.axes, ctx.norm), None, None, None


class FftC2RAdjoint(Op):
    """The adjoint of FftC2R (its backward): w * Re(rfftn(g)) with the same scale, resized to the input's sizes."""

    _name = "FftR2C"

    @staticmethod
    def forward(ctx, g, in_sizes, s, axes, norm):
        ctx.in_sizes, ctx.s, ctx.axes, ctx.norm = in_sizes, s, axes, norm
        spectrum = np.fft.rfftn(g.astype(np.float64, copy=False), s=s, axes=axes, norm=DUAL[norm])
        out = np.ascontiguousarray(spectrum.real)  # a fresh array of our own, so it may be scaled in place
        n = s[-1]
        doubled = n - (n // 2 + 1)
        if doubled > 0:
            key = [slice(None)] * out.ndim
            key[axes[-1]] = slice(1, 1 + doubled)
            out[tuple(key)] *= 2
        return _resized(out, axes, in_sizes).astype(g.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return FftC2R.apply(grad, ctx.s, ctx.axes, ctx.norm), None, None, None, None
