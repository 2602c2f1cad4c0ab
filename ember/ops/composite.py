"""torch functions that are compositions of other ops: the products with a scaled sum (addmm, addmv, baddbmm,
addbmm, addr), logaddexp, xlogy, nansum/nanmean, fliplr/flipud/rot90, atleast_Nd, cartesian_prod, take_along_dim,
channel_shuffle, and the index-valued searchsorted, bucketize, tril_indices and triu_indices.

Each is torch's formula written with ember's ops, so its gradient (and second derivative, and device) is theirs;
the graph a learner prints shows those ops' nodes, not torch's single node (AddmmBackward0 excepted: addmm with
beta = alpha = 1 is the linear layer's Addmm node)."""
import numpy as np

from .. import _backend
from .._backend import DEFAULTS, broadcast_error, get_array_module, normalize_dim, to_dtype, torch_scalar_name
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from . import elementwise as _ew, linalg as _la, reduction as _rd, shape as _sh


def tensor_args(name, *named):
    """torch's TypeError when an argument that must be a Tensor is not: named is (argument name, value) pairs in
    their positions."""
    for position, (what, value) in enumerate(named, 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{what}' (position {position}) must be Tensor, not "
                            f"{type(value).__name__}")


# ----------------------------------------------------------------------------
# beta * input + alpha * (a product)
# ----------------------------------------------------------------------------
def _scaled_sum(name, input, product, beta, alpha):
    """beta * input + alpha * product, input broadcast to the product's shape (never the other way); beta = 0
    ignores input (its nan and inf do not propagate; its gradient is zero), as torch."""
    shape = tuple(product.shape)
    try:
        fits = np.broadcast_shapes(tuple(input.shape), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1] if shape else 1}) must match the existing "
                           f"size ({input.shape[-1] if input.ndim else 1}): {name}'s input of shape "
                           f"{list(input.shape)} must broadcast to the product's shape {list(shape)}")
    if input._data.dtype != product._data.dtype and input._data.dtype.kind == product._data.dtype.kind == "f":
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {torch_scalar_name(input._data.dtype)} "
                           f"and {torch_scalar_name(product._data.dtype)}: cast one of them, e.g. "
                           f"input.to(mat2.dtype)")
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return _ew.where(_wrap(get_array_module(product._data).ones((), bool)), product, input * 0)
    return product + (input if beta == 1 else input * beta)


def _matrix(t, what):
    if t.ndim != 2:
        raise RuntimeError(f"{what} must be a matrix, got {t.ndim}-D tensor")


def _same_dtype(a, b, what=("mat1", "mat2")):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{what[0]} and {what[1]} must have the same dtype, but got "
                           f"{torch_scalar_name(a._data.dtype)} and {torch_scalar_name(b._data.dtype)}")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    tensor_args("addmm", ("input", input), ("mat1", mat1), ("mat2", mat2))
    _matrix(mat1, "mat1")
    _matrix(mat2, "mat2")
    if mat1.shape[1] != mat2.shape[0]:
        raise _la._shape_error(mat1, mat2)
    _same_dtype(mat1, mat2)
    rows, cols = mat1.shape[0], mat2.shape[1]
    if beta == 1 and alpha == 1 and input._data.dtype == mat1._data.dtype and input.ndim <= 2 and \
            all(s in (1, full) for s, full in zip(tuple(input.shape)[::-1], (cols, rows))):
        return _la.Addmm.apply(input, mat1, mat2)  # torch's node, AddmmBackward0
    return _scaled_sum("addmm", input, _la.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    tensor_args("addmv", ("input", input), ("mat", mat), ("vec", vec))
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    _same_dtype(mat, vec, ("mat", "vec"))
    return _scaled_sum("addmv", input, _la.mv(mat, vec), beta, alpha)


def _batches(batch1, batch2):
    if batch1.ndim != 3 or batch2.ndim != 3:  # (torch's own check is an IndexError on dim 2)
        raise IndexError(f"Dimension out of range: batch1 and batch2 must be 3D tensors (batch, rows, cols), got "
                         f"{batch1.ndim}D and {batch2.ndim}D")
    _same_dtype(batch1, batch2, ("batch1", "batch2"))
    return _la.bmm(batch1, batch2)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), one product per batch entry."""
    tensor_args("baddbmm", ("input", input), ("batch1", batch1), ("batch2", batch2))
    return _scaled_sum("baddbmm", input, _batches(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (the sum over the batch of batch1[i] @ batch2[i])."""
    tensor_args("addbmm", ("input", input), ("batch1", batch1), ("batch2", batch2))
    return _scaled_sum("addbmm", input, _rd.sum(_batches(batch1, batch2), 0), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    tensor_args("addr", ("input", input), ("vec1", vec1), ("vec2", vec2))
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D" if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return _scaled_sum("addr", input, _la.outer(vec1, vec2), beta, alpha)


# ----------------------------------------------------------------------------
# elementwise
# ----------------------------------------------------------------------------
def _tensors(name, a, b):
    """Both operands as Tensors of one floating dtype (torch's promotion; integers to the default float)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}(): expected at least one Tensor argument, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    ref = a if isinstance(a, Tensor) else b
    dt = _backend.result_type(*(x._data if isinstance(x, Tensor) else x for x in (a, b)))
    if dt.np.kind != "f":
        dt = DEFAULTS.float_dtype
    a, b = (x.to(dt) if isinstance(x, Tensor) else _wrap(_backend.like(np.asarray(x, dt.np), ref._data))
            for x in (a, b))
    return a, b


def logaddexp(input, other):
    """log(exp(input) + exp(other)), computed stably: max + log1p(exp(-|input - other|))."""
    tensor_args("logaddexp", ("input", input), ("other", other))
    for x in (input, other):
        if x._data.dtype.kind != "f":
            raise NotImplementedError(f"\"logaddexp_cpu\" not implemented for '{torch_scalar_name(x._data.dtype)}': "
                                      "logaddexp needs floating point tensors; convert first, e.g. x.float()")
    a, b = _tensors("logaddexp", input, other)
    out = _ew.maximum(a, b) + (-(a - b).abs()).exp().log1p()
    same_inf = _ew.isinf(a) & (a == b)  # -inf and -inf (or inf and inf): the value itself, not nan
    return _ew.where(same_inf, a, out) if bool(same_inf.any()) else out


def xlogy(input, other):
    """input * log(other), 0 where input is 0 (unless other is nan). The gradient is torch's: log(other) for input
    (0 where input is 0 and other <= 0), input / other for other."""
    a, b = _tensors("xlogy", input, other)
    unsafe = (a == 0) & ~_ew.isnan(b) & ~((b > 0) & _ew.isfinite(b))  # 0 * log(other) would be nan, torch has 0
    return a * _ew.where(unsafe, 1.0, b).log()


# ----------------------------------------------------------------------------
# reductions that skip nan
# ----------------------------------------------------------------------------
class NanToZero(Op):
    """nan replaced by 0, nansum's first step. Its gradient is torch's nansum gradient, grad * ~isnan(x): so where a
    whole slice is nan, nanmean's inf gradient (1/0) becomes nan there, as in torch (a where() would give 0)."""

    @staticmethod
    def forward(ctx, a):
        keep = a == a
        ctx.save_for_backward(keep)
        return get_array_module(a).where(keep, a, a.dtype.type(0))

    @staticmethod
    def backward(ctx, grad):
        (keep,) = ctx.saved_tensors
        return grad * keep


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum with nan counted as 0."""
    if input._data.dtype.kind == "f":
        input = NanToZero.apply(input)
    return _rd.sum(input, dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the elements that are not nan."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{torch_scalar_name(input._data.dtype)}")
    count = _rd.sum(~_ew.isnan(input), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


# ----------------------------------------------------------------------------
# shape
# ----------------------------------------------------------------------------
def dist(input, other, p=2):
    """The p-norm of input - other (broadcast): how far apart two tensors are."""
    return _rd.norm(_ew.sub(input, other), p)


def fliplr(input):
    """The columns in reverse order (dim 1)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _sh.flip(input, 1)


def flipud(input):
    """The rows in reverse order (dim 0)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _sh.flip(input, 0)


def rot90(input, k=1, dims=(0, 1)):
    """Rotated by 90 degrees k times, from the first of dims towards the second."""
    dims = list(dims)
    total = input.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if total < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {total}")
    dims = [normalize_dim(d, total) for d in dims]  # (an IndexError out of range, as torch)
    if dims[0] == dims[1]:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return _sh.transpose(_sh.flip(input, dims[1]), dims[0], dims[1])
    if k == 2:
        return _sh.flip(input, *dims)
    if k == 3:
        return _sh.transpose(_sh.flip(input, dims[0]), dims[0], dims[1])
    return _sh.clone(input).contiguous()


def _atleast(tensors, n, grow):
    if len(tensors) == 1:
        tensors = tensors[0]
    if isinstance(tensors, Tensor):
        return grow(tensors) if tensors.ndim < n else tensors
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"atleast_{n}d(): argument 'tensors' must be tuple of Tensors, not "
                            f"{type(t).__name__}")
    return tuple(grow(t) if t.ndim < n else t for t in tensors)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a number becomes a vector of one)."""
    return _atleast(tensors, 1, lambda t: _sh.reshape(t, 1))


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (a vector becomes one row)."""
    return _atleast(tensors, 2, lambda t: _sh.reshape(t, 1, 1) if t.ndim == 0 else _sh.unsqueeze(t, 0))


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: a number (1, 1, 1), a vector (1, n, 1), a matrix (m, n, 1)."""
    def grow(t):
        if t.ndim == 0:
            return _sh.reshape(t, 1, 1, 1)
        if t.ndim == 1:
            return _sh.unsqueeze(_sh.unsqueeze(t, 0), -1)
        return _sh.unsqueeze(t, -1)
    return _atleast(tensors, 3, grow)


def cartesian_prod(*tensors):
    """Every combination of one element from each vector, as the rows of a matrix (itertools.product's order)."""
    tensor_args("cartesian_prod", *(("tensors", t) for t in tensors))
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = _sh.meshgrid(*tensors, indexing="ij")
    return _sh.stack([_sh.flatten(g) for g in grids], 1)


def take_along_dim(input, indices, dim=None):
    """input's values at indices along dim (numpy's take_along_axis), the other dims broadcast; dim None: of the
    flattened input."""
    tensor_args("take_along_dim", ("input", input), ("indices", indices))
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{torch_scalar_name(indices._data.dtype)}")
    if dim is None:
        return _sh.gather(_sh.reshape(input, -1), 0, _sh.reshape(indices, -1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    dim = normalize_dim(dim, input.ndim)
    sizes = list(input.shape)
    sizes[dim] = indices.shape[dim]
    try:
        shape = list(np.broadcast_shapes(tuple(sizes), tuple(indices.shape)))
    except ValueError:
        raise broadcast_error(sizes, indices.shape) from None
    indices = _sh.expand(indices, shape)
    shape[dim] = input.shape[dim]
    return _sh.gather(_sh.expand(input, shape), dim, indices)


# ----------------------------------------------------------------------------
# index-valued (no gradient)
# ----------------------------------------------------------------------------
def _triangle_indices(which, row, col, offset, dtype, device):
    dt = to_dtype(dtype) if dtype is not None else _backend.int64
    if dt.np.kind not in "iu":
        raise RuntimeError(f"\"{which}_indices\" not implemented for '{torch_scalar_name(dt.np)}'")
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got {row}" if row < 0 else f"col must be non-negative, got "
                           f"{col}")
    fn = np.tril_indices if which == "tril" else np.triu_indices
    out = np.stack(fn(row, offset, col)).astype(dt.np) if row and col else np.zeros((2, 0), dt.np)
    t = _wrap(np.ascontiguousarray(out))
    return t if device is None else t.to(device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle of a row x col matrix, as a 2 x N tensor."""
    return _triangle_indices("tril", row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle of a row x col matrix, as a 2 x N tensor."""
    return _triangle_indices("triu", row, col, offset, dtype, device)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value would be inserted into the sorted last dim of sorted_sequence to keep it sorted (the
    first such place; the last with right=True or side='right')."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    tensor_args("searchsorted", ("sorted_sequence", sorted_sequence))
    scalar = not isinstance(input, Tensor)
    seq = sorted_sequence._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    values = np.asarray(input, seq.dtype) if scalar else input._data
    if not scalar and seq.ndim != 1 and seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's dim(0) "
                           "numel(1)")
    if sorter is not None:
        if sorter._data.dtype != np.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got "
                               f"{torch_scalar_name(sorter._data.dtype)}")
        if tuple(sorter.shape) != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}")
        seq = np.take_along_axis(seq, sorter._data, -1)
    xp = get_array_module(seq)
    side = "right" if right else "left"
    if seq.ndim == 1:
        out = xp.searchsorted(seq, values, side=side)
    else:
        rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(r, v, side=side) for r, v in zip(rows, vals)]).reshape(values.shape)
    return _wrap(xp.array(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: the index i with boundaries[i-1] < x <= boundaries[i] (< x and >= with right)."""
    if not isinstance(input, (int, float)):  # (a number is torch's Scalar overload)
        tensor_args("bucketize", ("input", input))
    if not isinstance(boundaries, Tensor):
        raise TypeError(f"bucketize(): argument 'boundaries' (position 2) must be Tensor, not "
                        f"{type(boundaries).__name__}")
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ----------------------------------------------------------------------------
# torch.channel_shuffle
# ----------------------------------------------------------------------------
def channel_shuffle(input, groups):
    """Channels (dim 1) as a (groups, C / groups) grid read column by column: channel g * (C / groups) + i moves to
    i * groups + g (ShuffleNet's mixing of grouped convolutions). A copy, as torch's."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"channel_shuffle(): argument 'groups' (position 2) must be int, not {type(groups).__name__}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    grid = _sh.reshape(input, (n, groups, c // groups, *rest))
    return _sh.reshape(_sh.transpose(grid, 1, 2), (n, c, *rest)).contiguous()

