"""Shape ops: view/reshape, permute, expand, repeat, cat, flip, gather/scatter, indexing.

The ops that PyTorch answers with a view (view, reshape when it can,
permute/transpose, expand, basic indexing, narrow, split/unbind, diagonal)
give Tensors that share memory and the version counter with their input;
each says, through ``make_view``, how to take the same view again of
another tensor of the base's shape (ember/autograd/views.py).
"""
import builtins

import numpy as np

from .. import _backend
from .._backend import (new_size, size_args, broadcast_error, c_contiguous, get_array_module, int_arg, is_array, normalize_dim, torch_layout,
                       result_type, to_dtype, torch_scalar_name)
from ..autograd.function import Op
from ..autograd.grad_mode import STATE
from ..autograd.views import make_view
from .elementwise import Where
from ..tensor import Tensor, _wrap


def _view(source, out, replay, multi_output=None):
    return make_view(source, out, replay, multi_output)


def _share_version(base, out):
    """Same memory, one version counter, but no view history (the identity nodes of module hooks)."""
    if base._vc is None:
        base._vc = [0]
    out._vc = base._vc
    return out


def infer_shape(shape, numel):
    """Resolve one -1 in a target shape, with PyTorch's error for shapes that cannot hold numel elements."""
    known, inferred = 1, False  # the product of the given sizes, and whether one is -1
    for i, s in enumerate(shape):  # (torch's scan: the first size it cannot take is the one named)
        if s == -1:
            if inferred:
                raise RuntimeError("only one dimension can be inferred")
            inferred = True
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if inferred:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Op):
    """The same numbers in another shape. torch names the node by the function that made it: view and a reshape
    that can view are ViewBackward0; the subclasses below carry torch's other names (the op is the same)."""

    _name = "View"

    @staticmethod
    def forward(ctx, a, shape, must_view):
        ctx.shape = a.shape
        if must_view:
            try:
                return a.reshape(shape, copy=False)  # array methods skip NumPy's Python-level wrappers
            except ValueError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least one dimension "
                    f"spans across two contiguous subspaces): input shape {list(a.shape)}, requested "
                    f"{list(shape)}. Use .reshape(...) instead, or call .contiguous() before .view()."
                ) from None
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):  # the same numbers, back in the input's shape
        return grad.reshape(ctx.shape), None, None


class Unsqueeze(Reshape):
    _name = "Unsqueeze"


class Squeeze(Reshape):  # x.squeeze()
    _name = "Squeeze"


class SqueezeDim(Reshape):  # x.squeeze(dim)
    _name, _overload = "Squeeze", 1


class SqueezeDims(Reshape):  # x.squeeze((dims,))
    _name, _overload = "Squeeze", 2


class SqueezeInPlace(Reshape):  # what torch's matmul does to a vector @ matrix product (squeeze_(0))
    _name, _overload = "Squeeze", 4


class ReshapeAlias(Reshape):  # a reshape of a non-contiguous tensor that can still view it
    _name = "ReshapeAlias"


class UnsafeView(Reshape):  # a reshape that had to copy: torch's view of its contiguous clone
    _name = "UnsafeView"


def view(a, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):  # view(dtype): the same bytes, retyped
        dt = to_dtype(shape[0])
        return _view(a, _wrap(a._data.view(dt.np)), lambda t: view(t, dt))
    return reshaped(a, infer_shape(size_args(shape), a._data.size))


def reshaped(a, shape, op=Reshape):
    """a viewed in the given shape, the node named by op (view, unsqueeze, squeeze)."""
    return _view(a, op.apply(a, shape, True), lambda t: reshaped(t, shape, op))


def reshape(a, *shape):
    """The data with another shape: a view when the layout allows, else a copy (torch: a clone, then a view)."""
    shape = infer_shape(size_args(shape), a._data.size)
    if a._data.flags.c_contiguous:
        return reshaped(a, shape)
    try:
        a._data.reshape(shape, copy=False)
    except ValueError:  # the layout needs a copy: no view of a
        return UnsafeView.apply(Contiguous.apply(a), shape, True)
    return reshaped(a, shape, ReshapeAlias)


def flatten(a, start_dim=0, end_dim=-1):
    """Dimensions start_dim..end_dim merged into one."""
    if a.ndim == 0:
        return reshape(a, 1)
    start, end = normalize_dim(start_dim, a.ndim), normalize_dim(end_dim, a.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:  # nothing to merge: torch returns the tensor itself, not a view of it
        return a
    shape = a._data.shape
    return reshape(a, shape[:start] + (-1,) + shape[end + 1:])


def unflatten(a, dim, sizes):
    """Dimension dim split into the given sizes."""
    dim = normalize_dim(dim, a.ndim)
    shape = a._data.shape
    return reshape(a, shape[:dim] + tuple(sizes) + shape[dim + 1:])


def squeeze(a, dim=None):
    """Dimensions of size 1 removed (all, or the given dim)."""
    shape = a._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = {normalize_dim(d, a.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    op = Squeeze if dim is None else SqueezeDim if isinstance(dim, int) else SqueezeDims
    return reshaped(a, new, op)


def unsqueeze(a, dim):
    """A new dimension of size 1 inserted at dim."""
    dim = normalize_dim(dim, a.ndim + 1)
    shape = a._data.shape
    return reshaped(a, shape[:dim] + (1,) + shape[dim:], Unsqueeze)


class Permute(Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):  # move the axes back where they came from
        back = tuple(sorted(range(len(ctx.dims)), key=ctx.dims.__getitem__))
        if not STATE.enabled:  # a plain backward (a linear layer's weight, every step): the array's own transpose
            return _wrap(grad._data.transpose(back)), None
        return Permute.apply(grad, back), None  # (no view bookkeeping: nothing writes into a gradient)


class Transpose(Permute):  # x.transpose(d0, d1), x.mT: the same op under torch's name
    pass


class TransposeMatrix(Permute):  # x.t()
    _name = "T"


def permuted(a, dims, op=Permute):
    return _view(a, op.apply(a, dims), lambda t: permuted(t, dims, op))


def permute(a, *dims):
    """The dimensions reordered (a view)."""
    dims = size_args(dims)
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {a.ndim} is not equal "
                           f"to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, a.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute(): duplicate dims are not allowed: {list(dims)}")
    return permuted(a, dims)


def transpose(a, dim0, dim1, op=Transpose):
    """Dimensions dim0 and dim1 swapped (a view)."""
    if a.ndim == 0:
        normalize_dim(dim0, 0), normalize_dim(dim1, 0)
        return permuted(a, (), op)
    dims = list(range(a.ndim))
    d0, d1 = normalize_dim(dim0, a.ndim), normalize_dim(dim1, a.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permuted(a, tuple(dims), op)


def t(a):
    """A matrix transposed (a 0-d or 1-d tensor unchanged)."""
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D; "
                           "use .transpose(dim0, dim1) or .mT")
    return transpose(a, 0, 1, TransposeMatrix) if a.ndim == 2 else permuted(a, tuple(range(a.ndim)), TransposeMatrix)


class Expand(Op):
    @staticmethod
    def forward(ctx, a, shape):
        # writeable where a is: in-place ops refuse repeated elements themselves, as torch does (tensor.py)
        return get_array_module(a).lib.stride_tricks.as_strided(a, shape, np.broadcast_to(a, shape).strides)

    @staticmethod
    def backward(ctx, grad):  # the engine sums the stretched gradient back to the input's shape
        return grad, None


def expand(a, *sizes):
    """A view with size-1 dimensions repeated to the given sizes, without copying."""
    sizes = size_args(sizes)
    shape = a._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        old = shape[i - lead] if i >= lead else None
        if s == -1:
            if old is None:
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   "non-existing dimension")
            s = old
        elif s < 0:
            raise RuntimeError(f"expand: the expanded size {s} is negative (sizes {list(sizes)}); sizes are 0 or "
                               "more, or -1 to keep a dimension")
        elif old is not None and old != 1 and old != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({old}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(shape)}")
        target.append(s)
    target = tuple(target)
    return _view(a, Expand.apply(a, target), lambda t: expand(t, target))


class Repeat(Op):
    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.reps = reps
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, grad):  # each copy contributes: fold the copies into their own axes and sum them
        folded = []
        for r, s in zip(ctx.reps, ctx.shape):
            folded += [r, s]
        summed = grad.reshape(folded).sum(dim=tuple(range(0, len(folded), 2)))
        return summed, None


def repeat(a, *reps):
    reps = new_size(reps, "repeat")
    if len(reps) < a.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           f"tensor: repeat{list(reps)} on a tensor of shape {list(a._data.shape)}")
    return Repeat.apply(a, reps)


class Cat(Op):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in arrays]
        shape = list(arrays[0].shape)
        shape[axis] = sum(ctx.sizes)
        out = get_array_module(arrays[0]).empty(shape, arrays[0].dtype)
        return np.concatenate(arrays, axis=axis, out=out)  # contiguous, as torch

    @staticmethod
    def backward(ctx, grad):  # each input gets its own slice of the gradient back
        pieces, start = [None], 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            if needed:
                key = (slice(None),) * ctx.axis + (slice(start, start + size),)
                pieces.append(grad[key])
            else:
                pieces.append(None)
            start += size
        return tuple(pieces)


def cat(tensors, dim=0):
    """Tensors joined along an existing dimension."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' must be a tuple or list of Tensors, not a Tensor; "
                        "write cat([a, b]) (to split one tensor, use unbind or split)")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    # PyTorch skips 1-D empty tensors in cat (a legacy rule people rely on)
    kept = [x for x in tensors if not (x.ndim == 1 and x._data.size == 0)] or tensors[:1]
    for i, x in enumerate(kept):
        if x.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated; use stack, or "
                               "reshape it to 1-D first, e.g. x.reshape(1)")
    first = kept[0]
    axis = normalize_dim(dim, first.ndim)
    for i, x in enumerate(kept):
        if x.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} and {x.ndim}")
        for d in range(first.ndim):
            if d != axis and x._data.shape[d] != first._data.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                                   f"{first._data.shape[d]} but got size {x._data.shape[d]} for tensor number {i} "
                                   "in the list.")
    dtypes = {x._data.dtype for x in kept}
    if len(dtypes) > 1:
        dt = result_type(*(x._data for x in kept))
        kept = [x.to(dt) for x in kept]
    return Cat.apply(axis, *kept)


class Stack(Op):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        if axis == 0 and type(arrays[0]) is np.ndarray:  # (np.array of same-shape arrays: a third of np.stack's time)
            return np.array(arrays)
        return get_array_module(arrays[0]).stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):  # input i gets slice i of the gradient along the new axis
        key = (slice(None),) * ctx.axis
        return (None,) + tuple(grad[key + (i,)] if needed else None
                               for i, needed in enumerate(ctx.needs_input_grad[1:]))


def stack(tensors, dim=0):
    """Tensors stacked along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]
    if not isinstance(first, Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(first).__name__}")
    shape, dtype, mixed = first._data.shape, first._data.dtype, False
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(x._data.shape)} at entry {i}")
        mixed = mixed or x._data.dtype != dtype
    if mixed:
        dt = result_type(*(x._data for x in tensors))
        tensors = [x.to(dt) for x in tensors]
    return Stack.apply(normalize_dim(dim, len(shape) + 1), *tensors)


def split(a, split_size_or_sections, dim=0):
    """Pieces of the given size (or sizes) along dim."""
    axis = normalize_dim(dim, a.ndim)
    n = a._data.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {axis}), but got split_sizes={sizes}")
    pieces, start = [], 0
    op = Split if isinstance(split_size_or_sections, int) else SplitWithSizes
    for size in sizes:
        piece = getitem(a, (slice(None),) * axis + (slice(start, start + size),), op)
        pieces.append(_one_of_many(piece, len(pieces), op.__name__))
        start += size
    return tuple(pieces)


def _one_of_many(piece, i, name):
    """A view among several that one call returned: torch refuses in-place changes to it."""
    if piece._view is not None:
        piece._view.multi_output = f"Output {i} of {name}"
    return piece


def chunk(a, chunks, dim=0):
    """The tensor cut into that many nearly equal pieces along dim."""
    if a.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = a._data.shape[normalize_dim(dim, a.ndim)]
    return split(a, max(1, -(-n // chunks)), dim)


def unbind(a, dim=0):
    """The slices along dim, each without that dimension."""
    axis = normalize_dim(dim, a.ndim)
    return tuple(_one_of_many(getitem(a, (slice(None),) * axis + (i,), Unbind), i, "Unbind")
                 for i in range(a._data.shape[axis]))


def narrow(a, dim, start, length):
    """The slice start..start+length along dim (a view)."""
    axis = normalize_dim(dim, a.ndim)
    size = a._data.shape[axis]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start % size if start < 0 else start
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}); the largest "
                           f"length from start {start} is {size - start}")
    return getitem(a, (slice(None),) * axis + (slice(start, start + length),))


class Flip(Op):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes).copy(order="K")  # PyTorch's flip copies, keeping the input's layout

    @staticmethod
    def backward(ctx, grad):  # flip the gradient back
        return grad.flip(ctx.axes), None


def flip(a, *dims):
    """The elements in reverse order along the given dimensions."""
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"; say which dims to reverse, '
                        "e.g. x.flip(0)")
    dims = size_args(dims, "flip")
    axes = tuple(normalize_dim(d, a.ndim) for d in dims)
    for axis in axes:
        if axes.count(axis) > 1:
            raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
    return Flip.apply(a, axes)


class Contiguous(Op):
    _name = "Clone"  # torch's contiguous() is a clone in contiguous layout

    @staticmethod
    def forward(ctx, a):
        return a if a.flags.c_contiguous else a.copy()  # (np.ascontiguousarray makes a 0-d array 1-d)

    @staticmethod
    def backward(ctx, grad):  # a copy: the identity
        return grad


def contiguous(a):
    return a if a._data.flags.c_contiguous else Contiguous.apply(a)


class Clone(Op):
    @staticmethod
    def forward(ctx, a):
        # torch's preserve_format: the input's layout; for an input whose elements repeat (an expand) the order
        # its strides imply, stride-0 dims left in row-major place (torch_layout, as torch's empty_like)
        out = a.copy(order="K")
        return torch_layout(out, a) if 0 in a.strides else out

    @staticmethod
    def backward(ctx, grad):  # a copy: the identity
        return grad


def clone(a):
    """A copy of the data; gradients flow back to the original."""
    return Clone.apply(a)


# ----------------------------------------------------------------------------
# gather / scatter: indices along one axis
# ----------------------------------------------------------------------------
def along(index, axis):
    """Full index arrays for ``index`` along ``axis`` (the other axes count 0..n-1, broadcast)."""
    xp, n = get_array_module(index), index.ndim
    grids = [xp.arange(size).reshape((1,) * i + (size,) + (1,) * (n - i - 1)) for i, size in enumerate(index.shape)]
    grids[axis] = index
    return tuple(grids)


def _check_index(a, axis, index, name):
    if index.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")
    if index.ndim != a.ndim and index.size:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor: index has "
                           f"{index.ndim}, input has {a.ndim}")
    n = a.shape[axis] if a.ndim else 1
    if index.size and (index.min() < -n or index.max() >= n):
        raise RuntimeError(f"index {int(index.max() if index.max() >= n else index.min())} is out of bounds for "
                           f"dimension {axis} with size {n}")


class Gather(Op):
    @staticmethod
    def forward(ctx, a, axis, index):
        _check_index(a, axis, index, "gather")
        ctx.shape, ctx.axis = a.shape, axis
        ctx.save_for_backward(index)
        return a[along(index, axis)] if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, grad):  # each picked element gets its gradient back; repeats add up
        (index,) = ctx.saved_tensors
        zeros = _wrap(get_array_module(grad._data).zeros(ctx.shape, grad._data.dtype))
        return scatter_add(zeros, ctx.axis, index, grad), None, None


class ScatterAdd(Op):
    @staticmethod
    def forward(ctx, a, axis, index, src):
        _check_index(a, axis, index, "scatter_add")
        ctx.axis, ctx.src_shape = axis, np.shape(src)
        ctx.save_for_backward(index)
        out = a.copy()
        _backend.add_at(out, along(index, axis), src[tuple(slice(0, s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, grad):  # d/da = 1; d/dsrc: the gradient at the positions it was added to
        (index,) = ctx.saved_tensors
        need_src = ctx.needs_input_grad[3]
        return grad, None, None, (_src_grad(grad, ctx, index) if need_src else None)


def _src_grad(grad, ctx, index):
    """What src receives from a scatter: the gradient at its positions; src elements beyond the index get 0."""
    picked = gather(grad, ctx.axis, index)
    if picked._data.shape == ctx.src_shape:
        return picked
    return IndexAdd.apply(picked, ctx.src_shape, tuple(slice(0, s) for s in index._data.shape))


class Scatter(Op):
    @staticmethod
    def forward(ctx, a, axis, index, src):
        _check_index(a, axis, index, "scatter")
        ctx.axis, ctx.src_shape = axis, np.shape(src)
        ctx.save_for_backward(index)
        out = a.copy()
        out[along(index, axis)] = src[tuple(slice(0, s) for s in index.shape)] if np.ndim(src) else src
        return out

    @staticmethod
    def backward(ctx, grad):  # overwritten positions of a get nothing; src gets what its positions receive
        (index,) = ctx.saved_tensors
        need_a, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[3]
        grad_a = scatter(grad, ctx.axis, index, 0.0) if need_a else None
        return grad_a, None, None, (_src_grad(grad, ctx, index) if need_src else None)


def _index_of(index):
    return index._data if isinstance(index, Tensor) else index if is_array(index) else np.asarray(index)


def gather(a, dim, index):
    """Values picked along dim at the positions in index."""
    return Gather.apply(a, normalize_dim(dim, a.ndim), _index_of(index))


def scatter(a, dim, index, src=None, value=None, reduce=None):
    """A copy with src's values written along dim at the positions in index."""
    if reduce == "add":
        return scatter_add(a, dim, index, src)
    src = value if src is None else src
    if isinstance(src, Tensor) and src._data.dtype != a._data.dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype ({a.dtype} and {src.dtype}); "
                           f"convert src first, e.g. src.to({a.dtype})")
    return Scatter.apply(a, normalize_dim(dim, a.ndim), _index_of(index), src)


def scatter_add(a, dim, index, src):
    """A copy with src's values added along dim at the positions in index."""
    if src._data.dtype != a._data.dtype:
        src = src.to(a.dtype)
    return ScatterAdd.apply(a, normalize_dim(dim, a.ndim), _index_of(index), src)


# ----------------------------------------------------------------------------
# indexing
# ----------------------------------------------------------------------------
def index_key(key, shape):
    """A Python/Tensor index -> a NumPy index: Tensors to arrays, lists to integer arrays, with checks."""
    if type(key) is slice and (key.step is None or key.step > 0) or type(key) is int:
        return (key,)  # the common x[a:b] and x[i]
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(k, list):
            k = np.asarray(k)
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(k, str):
            raise TypeError(f"tensors are indexed by integers, slices, None, ... and integer or bool tensors, "
                            f"not strings ({k!r}); for named columns keep a dict of column indices")
        elif isinstance(k, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             "valid indices (got float)")
        elif isinstance(k, slice) and k.step is not None and k.step <= 0:
            raise ValueError("step must be greater than zero")
        out.append(k)
    return _two_step_if_mixed(tuple(out))


class TwoStep(tuple):
    """(basic, advanced): a key that mixes integers with index arrays.

    NumPy counts such integers as index arrays too, which can move the result's axes (x[0, :, [1]] has shape
    (1, n) in NumPy); PyTorch first selects the integers, then indexes the rest: shape (n, 1). Indexing in
    these two steps gives PyTorch's answer.
    """


def _two_step_if_mixed(key):
    """Arrays mixed with integers or slices: torch takes the integers and slices first (views), then indexes what
    is left with the arrays (a bool mask stands for as many dims as it has)."""
    if not any(is_array(k) for k in key):
        return key
    if not any(isinstance(k, (int, np.integer)) and not isinstance(k, bool) or type(k) is slice and k != slice(None)
               for k in key):
        return key
    basic = []
    for k in key:
        basic += [slice(None)] * (k.ndim if k.dtype == np.bool_ else 1) if is_array(k) else [k]
    advanced = tuple(k if is_array(k) or k is Ellipsis else slice(None)
                     for k in key if not isinstance(k, (int, np.integer)))
    return TwoStep((tuple(basic), advanced))


def take(a, key):
    """a[key] with PyTorch's meaning."""
    if type(a) is not np.ndarray:
        key = _key_on_device(key, a)
    return a[key[0]][key[1]] if isinstance(key, TwoStep) else a[key]


def _key_on_device(key, a):
    """A key for a GPU array: host index arrays in it are copied there (torch accepts CPU indices)."""
    if isinstance(key, TwoStep):
        return TwoStep(_key_on_device(k, a) for k in key)
    if not isinstance(key, tuple):
        return _backend.like(key, a) if isinstance(key, np.ndarray) else key
    return tuple(_backend.like(k, a) if isinstance(k, np.ndarray) else k for k in key)


def put(out, key, value):
    """out[key] = value with PyTorch's meaning (the first step of a TwoStep is a view: writes go through)."""
    if type(out) is not np.ndarray:
        key = _key_on_device(key, out)
    if isinstance(key, TwoStep):
        out[key[0]][key[1]] = value
    else:
        out[key] = value


def add_at(out, key, value):
    """out[key] += value, adding up where positions repeat."""
    if type(out) is not np.ndarray:
        key = _key_on_device(key, out)
    if isinstance(key, TwoStep):
        _backend.add_at(out[key[0]], key[1], value)
    else:
        _backend.add_at(out, key, value)


def _is_basic(key):
    return all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis for k in key)


class GetItem(Op):
    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        try:
            out = take(a, key)
        except IndexError as e:
            raise IndexError(f"{e} (indexing a tensor of shape {list(a.shape)})".replace("axis", "dimension")) from None
        if not _is_basic(key):
            return _advanced_layout(out, a, key)
        if isinstance(out, np.generic):  # x[0] of a vector: a 0-d view, not a NumPy scalar (GPU arrays give one)
            out = a[key + (Ellipsis,)]
        elif None in key:
            out = _unsqueezed_strides(out, a, key)
        return out

    @staticmethod
    def backward(ctx, grad):  # each selected element gets its gradient back; repeated picks add up
        return IndexAdd.apply(grad, ctx.shape, ctx.key), None

    def name(self):
        """torch names an indexing node by the entry of the key that acts (getitem takes one entry at a time):
        x[0] and x[:, 1] are SelectBackward0, x[1:] SliceBackward0, x[:, None] UnsqueezeBackward0, any array or
        mask IndexBackward0."""
        key = self.key
        if not _is_basic(key):
            return "IndexBackward0"
        acting = [k for k in key if k is not Ellipsis and not (type(k) is slice and k == slice(None))]
        if not acting:
            return "SliceBackward0" if len(key) == 1 else "AliasBackward0"
        last = acting[-1]
        return "UnsqueezeBackward0" if last is None else "SliceBackward0" if type(last) is slice else "SelectBackward0"


class Split(GetItem):  # a piece of x.split(size) or x.chunk(n)
    name = Op.name


class SplitWithSizes(Split):  # a piece of x.split([sizes])
    pass


class Unbind(Split):  # a piece of x.unbind(dim)
    pass


class IndexSelect(GetItem):  # x.index_select(dim, index)
    name = Op.name


class Roll(IndexSelect):  # x.roll(shift, dim): the indices rotated
    pass


def _advanced_layout(out, a, key):
    """The result of indexing with arrays, laid out as torch lays it out.

    torch gathers through a TensorIterator whose inputs are the tensor (its indexed dims given stride 0) and the
    index arrays (stride 0 along every other dim): the result takes the layout that ordering of strides implies
    (contiguous for a contiguous tensor; x.t()[:, [0, 1]] is not). Integers mixed with arrays select first, as in
    torch. Keys this does not model (bool masks, None) give a contiguous result.
    """
    if type(out) is not np.ndarray or out.ndim < 2:
        return c_contiguous(out)
    if isinstance(key, TwoStep):  # integers select first (views), then the arrays index what is left
        return _advanced_layout(out, a[key[0]], key[1])
    if a.flags.c_contiguous and 1 not in a.shape:  # then torch's result is contiguous too (size-1 dims can
        return c_contiguous(out)  # reorder it): the common case, e.g. an embedding's rows, without the model
    key = key if isinstance(key, tuple) else (key,)
    if any(k is None or (is_array(k) and k.dtype == np.bool_) for k in key):
        return c_contiguous(out)
    if any(k is Ellipsis for k in key):
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:at] + (slice(None),) * (a.ndim - len(key) + 1) + key[at + 1:]
    key = key + (slice(None),) * (a.ndim - len(key))
    where = [i for i, k in enumerate(key) if is_array(k)]
    sliced = a[tuple(slice(None) if is_array(k) else k for k in key)]  # the slices' strides
    index_shape = np.broadcast_shapes(*(np.shape(key[i]) for i in where))
    rest = [i for i in range(a.ndim) if i not in where]
    adjacent = where == list(range(where[0], where[-1] + 1))
    before = [i for i in rest if i < where[0]] if adjacent else []
    after = [i for i in rest if i not in before]
    if out.shape != tuple(sliced.shape[i] for i in before) + index_shape + tuple(sliced.shape[i] for i in after):
        return c_contiguous(out)
    k = len(index_shape)
    source = [sliced.strides[i] for i in before] + [0] * k + [sliced.strides[i] for i in after]
    operands = [np.lib.stride_tricks.as_strided(np.zeros(1, out.dtype), out.shape, source)]
    for i in where:  # each index array along the result's index dims, stride 0 along the others
        index = np.broadcast_to(key[i], index_shape)
        strides = [0] * len(before) + list(index.strides) + [0] * len(after)
        operands.append(np.lib.stride_tricks.as_strided(np.zeros(1, index.dtype), out.shape, strides))
    return torch_layout(out, *operands)


def _unsqueezed_strides(out, a, key):
    """NumPy gives the new axes of x[:, None] stride 0; PyTorch indexes left to right, so each None is an
    unsqueeze of the input dim that follows it at that point: stride = that dim's size x stride (1 at the end)."""
    strides = list(out.strides)
    ellipsis = a.ndim - sum(1 for k in key if k is not None and k is not Ellipsis)  # dims an Ellipsis stands for
    i = position = 0  # the next input dim, the next output dim
    for k in key:
        if k is None:
            strides[position] = a.shape[i] * a.strides[i] if i < a.ndim else a.itemsize
            position += 1
        elif k is Ellipsis:
            i, position = i + ellipsis, position + ellipsis
        else:  # an integer removes its dim from the output, a slice keeps it
            i, position = i + 1, position + isinstance(k, slice)
    return get_array_module(out).lib.stride_tricks.as_strided(out, out.shape, strides)


class IndexAdd(Op):
    """zeros(shape) with ``grad`` added at ``key``: the backward of indexing (and its own backward is indexing).

    unique=True promises that no position repeats, so a plain assignment does (np.add.at is much slower).
    """

    @staticmethod
    def forward(ctx, grad, shape, key, unique=False):
        ctx.key = key
        out = get_array_module(grad).zeros(shape, grad.dtype)
        if unique or _is_basic(key):
            put(out, key, grad)
        else:
            add_at(out, key, grad)
        return out

    @staticmethod
    def backward(ctx, grad):  # pick the same positions again
        return GetItem.apply(grad, ctx.key), None, None, None


def _plain_entry(k):
    """An index entry NumPy and torch read alike: an integer, or a slice with a positive step."""
    return type(k) is int or type(k) is slice and (k.step is None or k.step > 0)


def getitem(a, key, op=GetItem):
    if op is GetItem and not a._requires_grad and a._view is None and a._data.ndim and (type(key) is int or (
            _plain_entry(key) or type(key) is tuple and len(key) <= a._data.ndim and all(map(_plain_entry, key)))):
        # x[i], x[a:b], x[i, j] of a tensor outside any graph (a dataset's rows): the cheapest view there is, with
        # no node to record, straight from NumPy (2.7 -> 0.9 us a row); errors take the general path below
        try:
            data = a._data[(key, ...) if type(key) is not tuple else key + (...,)]
        except IndexError:
            pass
        else:
            return make_view(a, _wrap(data), lambda t: getitem(t, key))
    key = index_key(key, a._data.shape)
    if isinstance(key, TwoStep) and op is GetItem:  # x[0, [1, 2]]: the integers select first, as in torch
        return getitem(getitem(a, key[0]), key[1])
    if len(key) > 1 and op is GetItem and _is_basic(key) and not any(isinstance(k, bool) for k in key):
        steps = _one_entry_at_a_time(key, a._data.ndim)
        if len(steps) > 1:  # x[0, 1:]: torch indexes one entry at a time (a Slice of a Select), and so does ember
            for step in steps:
                a = getitem(a, step)
            return a
    out = op.apply(a, key)
    if _is_basic(key):
        return _view(a, out, lambda t: getitem(t, key, op))
    if (op is GetItem or op is IndexSelect) and out.grad_fn is not None:
        out.grad_fn._torch_saves_tensors = True  # torch's IndexBackward0 and IndexSelectBackward0 keep the indices
    return out


def indices_not_kept(t):
    """t, picked by index arrays inside a function that torch builds without keeping them (nearest interpolation,
    unfold, repeat_interleave by a number): a second backward through it is allowed, as in torch."""
    if t.grad_fn is not None:
        t.grad_fn._torch_saves_tensors = False
    return t


def _one_entry_at_a_time(key, ndim):
    """A basic key as the keys of its steps, one entry each: (0, slice(1, None)) -> [(0,), (slice(None), slice(1,
    None))]. Full slices and Ellipsis take no step of their own, as in torch."""
    at = next((i for i, k in enumerate(key) if k is Ellipsis), None)
    if at is not None:
        spelled = sum(1 for k in key if k is not None and k is not Ellipsis)
        key = key[:at] + (slice(None),) * (ndim - spelled) + key[at + 1:]
    steps, dim = [], 0  # dim: where the entry's dimension is in the result of the steps so far
    for k in key:
        if type(k) is slice and k == slice(None):
            dim += 1
            continue
        steps.append((slice(None),) * dim + (k,))
        dim += 0 if isinstance(k, (int, np.integer)) else 1  # an integer removes its dimension
    return steps


class IndexPut(Op):
    """``a[key] = value`` as an out-of-place op, so that autograd sees through assignments."""

    @staticmethod
    def forward(ctx, a, value, key):
        ctx.key = key
        ctx.value_shape = np.shape(value)
        out = a.copy()
        try:
            put(out, key, value)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(value))} cannot be broadcast "
                               f"to indexing result of shape {list(take(out, key).shape)}") from None
        return out

    @staticmethod
    def backward(ctx, grad):  # overwritten positions of a get nothing; value gets what its positions receive
        need_a, need_value = ctx.needs_input_grad[:2]
        grad_a = IndexPut.apply(grad, 0.0, ctx.key) if need_a else None
        grad_value = GetItem.apply(grad, ctx.key) if need_value else None
        return grad_a, grad_value, None


def index_select(a, dim, index, op=IndexSelect):
    """The slices along dim at the given indices."""
    axis = normalize_dim(dim, a.ndim)
    index = _index_of(index)
    if index.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got {index.ndim} dimensions")
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got {index.dtype}; "
                           "convert it, e.g. index.long()")
    size = a._data.shape[axis] if a.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        raise IndexError(f"index out of range in self: index_select indices must be in [0, {size - 1}], got "
                         f"{int(index.min()) if index.min() < 0 else int(index.max())}")
    return getitem(a, (slice(None),) * axis + (index.reshape(-1),), op)


def nonzero(a, as_tuple=False):
    """The indices of the non-zero elements."""
    idx = np.nonzero(a._data.reshape(1) if a.ndim == 0 else a._data)  # a 0-d tensor: one row, no columns
    if a.ndim == 0:
        rows = int(bool(a._data))
        return (_wrap(np.zeros(rows, np.int64)),) if as_tuple else _wrap(np.zeros((rows, 0), np.int64))
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    return _wrap(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))


def masked_select(a, mask):
    """The elements where mask is True, as a 1-d tensor."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}; compare first, "
                           "e.g. x > 0")
    try:
        shape = np.broadcast_shapes(a._data.shape, mask._data.shape)
    except ValueError:
        raise broadcast_error(a._data.shape, mask._data.shape) from None
    data = np.broadcast_to(mask._data, shape)
    return getitem(a.expand(data.shape), mask.expand(data.shape))


def _at_least_matrix(a, name):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got {a.ndim}; for a matrix "
                           "built from a vector, use ember.diag or reshape first")


def tril(a, diagonal=0):
    """The lower triangle of a matrix (the rest zero)."""
    _at_least_matrix(a, "tril")
    mask = np.tril(get_array_module(a._data).ones(a._data.shape[-2:], bool), diagonal)
    return _triangle(a, mask, Tril)


def triu(a, diagonal=0):
    """The upper triangle of a matrix (the rest zero)."""
    _at_least_matrix(a, "triu")
    mask = np.triu(get_array_module(a._data).ones(a._data.shape[-2:], bool), diagonal)
    return _triangle(a, mask, Triu)


def _triangle(a, mask, op):
    """a where mask, else 0: one node, named as torch names it (TrilBackward0, TriuBackward0)."""
    return op.apply(_wrap(mask), a, _wrap(np.zeros((), a._data.dtype)))


class Tril(Where):
    @staticmethod
    def forward(ctx, keep, a, zero):  # (a contiguous result, as torch's)
        ctx.save_for_backward(keep)
        return c_contiguous(np.where(keep, a, zero))


class Triu(Tril):
    pass


class ConstantPad(Op):
    _name = "ConstantPadNd"

    @staticmethod
    def forward(ctx, a, widths, value):
        ctx.crop = tuple(slice(before, before + size) for (before, _), size in zip(widths, a.shape))
        return np.pad(a, widths, constant_values=value)

    @staticmethod
    def backward(ctx, grad):  # the padding was constant: only the original positions get gradient
        return grad[ctx.crop], None, None


def pad(a, widths, mode="constant", value=None):
    """F.pad: widths (left, right) pairs from the last dim backwards; negative widths crop."""
    widths = size_args((widths,), "pad")
    if len(widths) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2: pad gives (left, right) pairs from the last "
                           f"dimension backwards, got {len(widths)} values")
    if len(widths) // 2 > a.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(widths)} and input of dimension {a.ndim}")
    if mode != "constant":
        if value:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if a.ndim not in (len(widths) // 2 + 1, len(widths) // 2 + 2) and mode in ("reflect", "replicate",
                                                                                  "circular"):
            raise NotImplementedError(f"Padding size {len(widths)} is not supported for {a.ndim}D input tensor: "
                                      f"{mode} padding of the last {len(widths) // 2} dims needs a batch and/or "
                                      "channel dimension in front, e.g. x.unsqueeze(0)")
    pairs = [(0, 0)] * (a.ndim - len(widths) // 2) + [(widths[i], widths[i + 1])
                                                      for i in range(len(widths) - 2, -1, -2)]
    for (left, right), size in zip(pairs, a._data.shape):
        if size + left + right < 0:
            raise RuntimeError(f"narrow(): length must be non-negative: cropping ({left}, {right}) leaves a "
                               f"dimension of size {size} with {size + left + right} elements")
        if mode == "reflect" and (left >= size or right >= size):
            raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but got: "
                               f"padding ({left}, {right}) at a dimension of size {size}; reflect padding can "
                               f"add at most {size - 1}")
        if mode == "circular" and (left > size or right > size):
            raise RuntimeError(f"Padding value causes wrapping around more than once: padding ({left}, {right}) "
                               f"of a dimension of size {size}")
    if any(l < 0 or r < 0 for l, r in pairs):  # crop first, then pad what is left
        a = getitem(a, tuple(slice(max(-l, 0), s - max(-r, 0)) for (l, r), s in zip(pairs, a._data.shape)))
        pairs = [(max(l, 0), max(r, 0)) for l, r in pairs]
    if mode == "constant":
        return ConstantPad.apply(a, pairs, 0 if value is None else value)
    modes = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
    if mode not in modes:
        raise NotImplementedError(f"padding mode {mode!r}: ember supports constant, reflect, replicate and circular")
    # other modes read existing positions: pad a map of positions, then gather (differentiable through getitem)
    source = np.pad(np.arange(a._data.size).reshape(a._data.shape), pairs, mode=modes[mode])
    return getitem(reshape(a, -1), source)


# ----------------------------------------------------------------------------
# more arrangements, each built from the differentiable pieces above
# ----------------------------------------------------------------------------
def movedim(a, source, destination):
    """Dimensions moved from source to destination positions (a view)."""
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({source} dims) should contain "
                           f"the same number of dims as destination ({destination} dims)")
    source = [normalize_dim(d, a.ndim) for d in source]
    destination = [normalize_dim(d, a.ndim) for d in destination]
    if len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise RuntimeError(f"movedim: repeated dim in `source` ({source}) or `destination` ({destination})")
    if a.ndim == 0:
        return view(a, ())
    order = [None] * a.ndim  # order[new position] = old axis
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(i for i in range(a.ndim) if i not in source)  # the others keep their relative order
    return permute(a, [o if o is not None else next(rest) for o in order])


def roll(a, shifts, dims=None):
    """Shift elements along dims, wrapping around: one indexing node (torch's RollBackward0) with the indices rotated."""
    shape = a._data.shape
    if dims is None:
        if a.ndim == 0 or not a._data.size:
            return roll(flatten(a), shifts, 0).view(shape)
        n = a._data.size  # the elements rotated in their row-major order
        return getitem(a, tuple(i.reshape(shape) for i in np.unravel_index((np.arange(n) - shifts) % n, shape)), Roll)
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = [dims] if isinstance(dims, int) else list(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    if not a._data.size:
        return a
    index = [np.arange(n) for n in shape]
    for shift, dim in zip(shifts, dims):
        axis = normalize_dim(dim, a.ndim)
        index[axis] = (index[axis] - shift) % shape[axis]
    return getitem(a, np.ix_(*index), Roll)


class Diagonal(Op):
    """The diagonal of the (dim1, dim2) planes as the last dimension: a strided view, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return _writeable(np.diagonal(a, offset, d1, d2))

    @staticmethod
    def backward(ctx, grad):  # the gradient goes back onto the diagonal; elsewhere zero
        return DiagonalScatter.apply(grad, ctx.shape, *ctx.args), None, None, None


class DiagonalScatter(Op):
    """zeros(shape) with ``src`` on a diagonal: the backward of Diagonal (whose own backward is Diagonal)."""

    @staticmethod
    def forward(ctx, src, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = get_array_module(src).zeros(shape, src.dtype)
        _writeable(np.diagonal(out, offset, d1, d2))[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


def _writeable(view):
    """NumPy hands out diagonals read-only; they may be written where their base may (not in a broadcast)."""
    if type(view) is np.ndarray:  # (GPU arrays have no read-only flag)
        try:
            view.flags.writeable = True
        except ValueError:
            pass
    return view


def diagonal(a, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) planes, as the last dimension (PyTorch's order); a view."""
    d1, d2 = normalize_dim(dim1, a.ndim), normalize_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _view(a, Diagonal.apply(a, offset, d1, d2), lambda t: diagonal(t, offset, d1, d2))


class Unfold(Op):
    """x.unfold(dim, size, step): every window of ``size`` along dim, ``step`` apart, as a new last dim (a view)."""

    @staticmethod
    def forward(ctx, a, axis, size, step):
        ctx.shape, ctx.args = a.shape, (axis, size, step)
        count = (a.shape[axis] - size) // step + 1 if a.ndim else 1
        shape = a.shape[:axis] + (count,) + a.shape[axis + 1:] + (size,)
        stride = a.strides[axis] if a.ndim else a.itemsize
        strides = a.strides[:axis] + (stride * step,) + a.strides[axis + 1:] + (stride,)
        return get_array_module(a).lib.stride_tricks.as_strided(a, shape, strides)

    @staticmethod
    def backward(ctx, grad):  # each window hands its gradient back to the elements it saw; overlaps add up
        return UnfoldBackward.apply(grad, ctx.shape, *ctx.args), None, None, None


class UnfoldBackward(Op):
    @staticmethod
    def forward(ctx, grad, shape, axis, size, step):
        ctx.args = (axis, size, step)
        out = get_array_module(grad).zeros(shape, grad.dtype)
        flat = out.reshape(1) if not shape else out
        count = grad.shape[axis] if shape else 1
        for k in range(size):  # element k of every window: positions k, k + step, k + 2 step, ...
            key = (slice(None),) * axis + (slice(k, k + step * (count - 1) + 1, step),)
            flat[key] += grad[..., k]
        return out

    @staticmethod
    def backward(ctx, grad):  # the windows of the gradient again
        return Unfold.apply(grad, *ctx.args), None, None, None, None


def unfold(a, dimension, size, step):
    axis = normalize_dim(dimension, a.ndim)
    n = a._data.shape[axis] if a.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _view(a, Unfold.apply(a, axis, size, step), lambda t: unfold(t, axis, size, step))


def select(a, dim, index):
    """a.select(dim, i): the slice at index i along dim, that dim removed (a view)."""
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = normalize_dim(dim, a.ndim)
    n = a._data.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(a._data.shape)} at "
                         f"dimension {axis}")
    return getitem(a, (slice(None),) * axis + (index,))


_diagonal_of = diagonal  # (diag's own argument is called diagonal, as in PyTorch)


def diag(a, diagonal=0):
    """A vector becomes a matrix with it on a diagonal; a matrix gives back that diagonal."""
    if a.ndim == 2:
        return _diagonal_of(a, diagonal)
    if a.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    n = a._data.shape[0] + abs(diagonal)
    xp = get_array_module(a._data)
    i = xp.arange(a._data.shape[0])
    zeros = _wrap(xp.zeros((n, n), a._data.dtype))
    return IndexPut.apply(zeros, a, (i + max(-diagonal, 0), i + max(diagonal, 0)))


def tile(a, dims):
    """The data tiled (like repeat, with missing leading counts taken as 1)."""
    dims = new_size((dims,) if isinstance(dims, int) else tuple(dims), "tile")
    if len(dims) < a.ndim:  # missing repetitions count as 1, at the front
        dims = (1,) * (a.ndim - len(dims)) + dims
    return repeat(a, *dims)


def repeat_interleave(a, repeats, dim=None):
    """Each element repeated ``repeats`` times in place: [1, 2] -> [1, 1, 2, 2]."""
    if dim is None:
        a, dim = flatten(a), 0
    axis = normalize_dim(dim, a.ndim)
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(int_arg(repeats, "repeat_interleave",
                                                                                   "repeats"))
    if counts.dtype.kind not in "iu":
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{torch_scalar_name(counts.dtype)}': repeats must be integers, e.g. repeats.long()")
    if counts.ndim and counts.shape[0] != a._data.shape[axis]:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{counts.shape[0]} and input.size(0) = {a._data.shape[axis]}")
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    counts = _backend.move(counts, _backend.CPU)  # the index is built on the host; index_select moves it
    out = index_select(a, axis, np.repeat(np.arange(a._data.shape[axis]), counts))
    return indices_not_kept(out) if not counts.ndim else out  # (torch expands for a number of repeats)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids: with indexing='xy' the first two dims are swapped (NumPy's and matplotlib's order)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    shape = [x.numel() for x in tensors]
    if indexing == "xy" and len(shape) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, x in enumerate(tensors):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(shape) >= 2 else i
        sizes = [1] * len(shape)
        sizes[axis] = -1
        grids.append(expand(reshape(x, sizes), shape))
    return tuple(grids)


def diff(a, n=1, dim=-1):
    """Differences between neighbours along dim."""
    if a.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = normalize_dim(dim, a.ndim)
    n = builtins.min(n, a._data.shape[axis])  # differencing past the length leaves nothing, as in PyTorch
    for _ in range(n):
        length = a._data.shape[axis]
        later, earlier = narrow(a, axis, 1, max(length - 1, 0)), narrow(a, axis, 0, max(length - 1, 0))
        a = (later != earlier) if a._data.dtype == np.bool_ else later - earlier
    return a


def unique(a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, sorted (not differentiable: which values exist is not a smooth function)."""
    if dim is not None:
        values, inverse, counts = np.unique(a._data, return_inverse=True, return_counts=True,
                                            axis=normalize_dim(dim, a.ndim))
    else:
        values, inverse, counts = np.unique(a._data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a._data.shape)
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(_wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(a, weights=None, minlength=0):
    """How often each non-negative integer occurs (optionally weighted)."""
    data = a._data
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if data.size and data.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _wrap(np.bincount(data, minlength=minlength).astype(np.int64))
    w = weights._data
    return _wrap(np.bincount(data, w, minlength).astype(w.dtype if w.dtype.kind == "f" else np.float64))


# ----------------------------------------------------------------------------
# take (flat indexing) and index_add (adding slices along a dim)
# ----------------------------------------------------------------------------
class Take(Op):
    @staticmethod
    def forward(ctx, a, index):
        ctx.shape = a.shape
        ctx.save_for_backward(index)
        return a.reshape(-1)[index]

    @staticmethod
    def backward(ctx, grad):  # each picked element gets its gradient back; repeats add up
        (index,) = ctx.saved_tensors
        zeros = _wrap(get_array_module(grad._data).zeros(int(np.prod(ctx.shape)), grad._data.dtype))
        return scatter_add(zeros, 0, index.reshape(-1), grad.reshape(-1)).reshape(ctx.shape), None


def take_flat(a, index):
    """torch.take: the elements of self at the given positions, self read as one flat row; the result has index's shape."""
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_backend.torch_scalar_name(index._data.dtype)}")
    n = a._data.size
    flat = index._data
    if flat.size:
        bad = flat[(flat < -n) | (flat >= n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {int(bad.reshape(-1)[0])} on a tensor of {n} "
                             "elements.")
    return Take.apply(a, _wrap(np.where(flat < 0, flat + n, flat)))


class IndexAddAlong(Op):
    """self with alpha * source added at index along dim (repeated indices add up): torch's index_add."""

    _name = "IndexAdd"

    @staticmethod
    def forward(ctx, a, axis, index, source, alpha):
        ctx.axis, ctx.alpha = axis, alpha
        ctx.save_for_backward(index)
        out = a.copy().reshape(a.shape or (1,))
        add = source if alpha == 1 else (source * alpha).astype(a.dtype, copy=False)
        add_at(out, (slice(None),) * axis + (index,), add.reshape(source.shape or (1,)))
        return out.reshape(a.shape)

    @staticmethod
    def backward(ctx, grad):  # self: the gradient as is; source: alpha times the gradient at the same slices
        (index,) = ctx.saved_tensors
        need_a, _, _, need_source, _ = ctx.needs_input_grad
        grad_source = None
        if need_source:
            grad_source = index_select(grad if grad.ndim else grad.reshape(1), ctx.axis, index)
            grad_source = grad_source if ctx.alpha == 1 else grad_source * ctx.alpha
        return (grad if need_a else None), None, None, grad_source, None


def index_add(a, dim, index, source, alpha=1):
    """A copy of self with alpha * source added along dim at the positions in index."""
    axis = normalize_dim(dim, a.ndim)
    idx = _index_of(index)
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_backend.torch_scalar_name(idx.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_backend.torch_scalar_name(idx.dtype)} and size: {list(idx.shape)}")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' (position 4) must be Tensor, not {type(source).__name__}")
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(f"index_add_(): self ({_backend.torch_scalar_name(a._data.dtype)}) and source "
                           f"({_backend.torch_scalar_name(source._data.dtype)}) must have the same scalar type")
    shape = a._data.shape or (1,)
    src_shape = source._data.shape or (1,)
    if len(src_shape) != len(shape) or any(s != t for k, (s, t) in enumerate(zip(shape, src_shape)) if k != axis):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(a.shape)} source.shape = {list(source.shape)}")
    if idx.reshape(-1).size != src_shape[axis]:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({src_shape[axis]}), for dim: {dim}")
    idx = idx.reshape(-1).astype(np.int64)
    n = shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= n):  # torch takes no negative indices here
        if a.ndim <= 1 and idx.min() < 0:  # (torch's message for a vector)
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {int(idx.max() if idx.max() >= n else idx.min())} is out of bounds for dimension "
                           f"{axis} with size {n}")
    if a._data.dtype.kind in "iub" and isinstance(alpha, float):
        alpha = int(alpha)  # as torch: alpha takes self's dtype
    return IndexAddAlong.apply(a, axis, _wrap(idx), source, alpha)
