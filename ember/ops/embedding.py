"""The embedding lookup as one op, torch's EmbeddingBackward0: rows of a table picked by integer indices."""
from .._backend import get_array_module
from ..autograd.function import Op
from ..tensor import _wrap
from .elementwise import fma, where
from .shape import add_at


class Embedding(Op):
    """weight[indices] (indices' shape + (dim,)). Its gradient is EmbeddingDenseBackward's."""

    _torch_saves_tensors = True  # (the indices)

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.rows, ctx.padding_idx, ctx.scale = indices, weight.shape[0], padding_idx, scale_grad_by_freq
        return get_array_module(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):  # d weight[k] = sum of the output rows' gradients that looked k up
        return EmbeddingDenseBackward.apply(grad, ctx.indices, ctx.rows, ctx.padding_idx, ctx.scale), None, None, None


class EmbeddingDenseBackward(Op):
    """torch's embedding_dense_backward: each output row's gradient added into row k = its index, one index after
    the other (so repeated indices sum in torch's order), none into the padding row; with scale_grad_by_freq each
    is first scaled by 1 / (how often k occurs in the batch), and the add rounds once (torch's add_ with alpha).
    scale_grad_by_freq may instead be an array: each lookup's own divisor (embedding_bag's, see F.embedding_bag)."""

    @staticmethod
    def forward(ctx, grad, indices, rows, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        xp = get_array_module(grad)
        dim = grad.shape[-1]
        flat = indices.reshape(-1)
        grad = grad.reshape(-1, dim)
        divisors = None if isinstance(scale_grad_by_freq, bool) else scale_grad_by_freq.reshape(-1)
        if padding_idx is not None:
            keep = flat != padding_idx
            flat, grad = flat[keep], grad[keep]
            divisors = None if divisors is None else divisors[keep]
        out = xp.zeros((rows, dim), grad.dtype)
        if divisors is None and not scale_grad_by_freq:
            add_at(out, (flat,), grad)
            return out
        counts = xp.bincount(flat, minlength=rows)
        # (float64, rounded to the dtype by fma, as torch's double scale)
        scale = 1.0 / (counts[flat] if divisors is None else divisors)
        order = xp.argsort(flat, kind="stable")
        first = xp.searchsorted(flat[order], flat[order])
        occurrence = xp.empty_like(order)
        occurrence[order] = xp.arange(len(order)) - first  # how many earlier rows looked up the same index
        for r in range(int(counts.max()) if len(flat) else 0):  # each round touches distinct rows: no repeats
            at = xp.flatnonzero(occurrence == r)
            k = flat[at]
            out[k] = fma(grad[at], scale[at].astype(grad.dtype)[:, None], out[k])
        return out

    @staticmethod
    def backward(ctx, grad):  # torch's embedding_dense_double_backward: pick the rows again (padding: 0, no scale)
        picked = Embedding.apply(grad, ctx.indices, None, False)
        if ctx.padding_idx is not None:
            picked = where(_wrap((ctx.indices == ctx.padding_idx)[..., None]), 0.0, picked)
        return picked, None, None, None, None

