"""Matrix products as torch records them (Mm, Bmm, Mv, Dot, Addmm for a linear layer) and the forms built on them."""
import math
import string

import numpy as np

from .._backend import broadcast_error, dtype_of, get_array_module, result_type, torch_scalar_name
from .._threads import threads_for
from ..autograd.function import Op
from ..autograd.grad_mode import GRAD_OFF, STATE
from ..tensor import Tensor, _wrap
from .elementwise import Mul, _each_others, where
from .shape import (IndexPut, Permute, SqueezeInPlace, TransposeMatrix, UnsafeView, Unsqueeze, _share_version,
                    diagonal, reshape, reshaped, stack)


class MatMul(Op):
    """a @ b for a and b of 2 dims (Mm) or 3 (Bmm: a batch of the same size in both)."""

    _torch_saves = staticmethod(_each_others)  # a needs b to get its gradient, b needs a

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        threads_for(a.size * b.shape[-1])
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):  # d(ab)/da = grad b^T, d(ab)/db = a^T grad
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if not STATE.enabled:  # a plain backward (every layer of every step): the same products, on arrays
            g, a, b = grad._data, a._data, b._data
            if need_a:
                threads_for(g.size * b.shape[-2])
            grad_a = _wrap(np.matmul(g, b.swapaxes(-1, -2))) if need_a else None
            if need_b:
                threads_for(a.size * g.shape[-1])
            return grad_a, (_wrap(_right_product(a, b, g)) if need_b else None)
        op = type(ctx)
        # ops applied directly, as in Mul.backward (not `grad @ b.mT`: no operator dispatch, no view
        # bookkeeping for a transpose that nothing writes into)
        grad_a = op.apply(grad, Permute.apply(b, _swap_last(b.ndim))) if need_a else None
        return grad_a, (_right_grad(op, a, b, grad) if need_b else None)


class Mm(MatMul):
    pass


class Bmm(MatMul):
    pass


def _swap_last(ndim):
    """The permutation that transposes the last two dims (x.mT)."""
    return tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)


def _right_grad(op, a, b, grad):
    """a^T grad, the gradient of the right factor b, laid out as b is: for a b that is a transposed matrix (the
    weight of a linear layer, w.t()) it is computed as (grad^T a)^T, so that undoing the transpose gives the
    weight's gradient in the weight's own row-major layout (as torch does)."""
    data = b._data
    swap = _swap_last(data.ndim)
    if data.ndim == 2 and data.flags.f_contiguous and not data.flags.c_contiguous:
        return Permute.apply(op.apply(Permute.apply(grad, swap), a), swap)
    return op.apply(Permute.apply(a, swap), grad)


def _right_product(a, b, grad):
    """_right_grad on arrays: a^T grad, in b's layout."""
    if b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous:
        return np.matmul(grad.T, a).T
    return np.matmul(a.swapaxes(-1, -2), grad)


def _addmm_saves(needs):
    """torch's addmm saves x if the weight needs a gradient, the weight if x does."""
    return ((2,) if needs[1] else ()) + ((1,) if needs[2] else ())


class Addmm(Op):
    """b + x @ wt, x a matrix: a linear layer's one node (wt is w.t(), a view of the weight)."""

    _torch_saves = staticmethod(_addmm_saves)

    @staticmethod
    def forward(ctx, b, x, wt):
        ctx.save_for_backward(x, wt)
        threads_for(x.size * wt.shape[1])
        out = x @ wt
        out += b
        return out

    @staticmethod
    def backward(ctx, grad):  # d/db = grad (summed over the rows it was added to), d/dx = grad wt^T, d/dwt = x^T grad
        x, wt = ctx.saved_tensors
        need_b, need_x, need_wt = ctx.needs_input_grad
        if not STATE.enabled:  # a plain backward (every layer of every step): on arrays, as the ops below would
            g = grad._data
            threads_for(g.size * wt._data.shape[0])
            row_bias = need_b and ctx._shapes[0] == g.shape[1:]
            return (_wrap(g.sum(0)) if row_bias else grad if need_b else None,
                    _wrap(g @ wt._data.T) if need_x else None,
                    _wrap(_right_product(x._data, wt._data, g)) if need_wt else None)
        grad_x = Mm.apply(grad, Permute.apply(wt, (1, 0))) if need_x else None
        return grad if need_b else None, grad_x, (_right_grad(Mm, x, wt, grad) if need_wt else None)


class Mv(Op):
    """A matrix times a vector."""

    _torch_saves = staticmethod(_each_others)

    @staticmethod
    def forward(ctx, a, v):
        ctx.save_for_backward(a, v)
        return np.matmul(a, v)

    @staticmethod
    def backward(ctx, grad):  # d(a v)/da = grad v^T (an outer product), d(a v)/dv = a^T grad
        a, v = ctx.saved_tensors
        need_a, need_v = ctx.needs_input_grad
        grad_a = Mul.apply(Unsqueeze.apply(grad, grad._data.shape + (1,), True), v) if need_a else None
        grad_v = Mv.apply(Permute.apply(a, (1, 0)), grad) if need_v else None
        return grad_a, grad_v


class Dot(Op):
    """The dot product of two vectors."""

    _torch_saves = staticmethod(_each_others)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.dot(a, b)

    @staticmethod
    def backward(ctx, grad):  # d(a . b)/da = grad b, d(a . b)/db = grad a
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (Mul.apply(grad, b) if need_a else None), (Mul.apply(grad, a) if need_b else None)


def linear(x, w, b=None):
    """PyTorch's F.linear: x @ w.T + b, for x of any number of leading dims, recorded as torch records it."""
    xd, wd = x._data, w._data
    if xd.ndim == 0 or wd.ndim != 2:
        raise RuntimeError(f"linear: expected input of at least 1 dim and a 2-D weight, got {x.ndim}D and {w.ndim}D")
    if xd.shape[-1] != wd.shape[1]:
        rows = "x".join(map(str, (int(np.prod(x._data.shape[:-1])), x._data.shape[-1])))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows} and {w._data.shape[1]}x"
                           f"{w._data.shape[0]}): the input's last dimension must equal the layer's in_features")
    if xd.dtype != wd.dtype or b is not None and b._data.dtype != wd.dtype:
        _same_dtype(x, w)
        _same_dtype(w, b)
    # w.t(): torch's TBackward0 on the weight's edge; it shares w's version counter (an in-place change to w before
    # backward is refused), and needs no view history: nobody but this node ever sees it. Where nothing will be
    # recorded (no_grad, inference), the array's own transpose does (the op costs a fifth of a small layer)
    if (x._requires_grad or w._requires_grad or b is not None and b._requires_grad) and (not GRAD_OFF or
                                                                                        STATE.enabled):
        wt = _share_version(w, TransposeMatrix.apply(w, (1, 0)))
    else:
        wt = _wrap(wd.T)
    if b is None:
        return matmul(x, wt)
    if xd.ndim == 2:
        return Addmm.apply(b, x, wt)
    if x._data.flags.c_contiguous:  # other dims, contiguous: torch folds them into the rows of one addmm
        out = Addmm.apply(b, reshaped(x, (math.prod(x._data.shape[:-1]), x._data.shape[-1])), wt)
        return reshaped(out, x._data.shape[:-1] + w._data.shape[:1])
    return matmul(x, wt) + b


def _shape_error(a, b, name="mat1 and mat2"):
    sa = "x".join(map(str, a._data.shape))
    sb = "x".join(map(str, b._data.shape))
    return RuntimeError(f"{name} shapes cannot be multiplied ({sa} and {sb})")


def _same_dtype(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {dtype_of(a._data).name} != "
                           f"{dtype_of(b._data).name}; cast one of them, e.g. b.to(a.dtype)")


class LinalgSolve(Op):
    """X with A X = B (A square, one or a batch; B a matrix of right-hand sides), by LAPACK's LU solver."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            from ..linalg import LinAlgError
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):  # dB = A^-T grad; dA = -dB X^T (both solves are ops: a second derivative flows)
        a, x = ctx.saved_tensors
        grad_b = LinalgSolve.apply(a.mT, grad)
        grad_a = -(grad_b @ x.mT) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b


class LinalgDet(Op):
    """The determinant of a square matrix (or of each in a batch), by LAPACK's LU factorisation."""

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a).astype(a.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d det(A) / dA = det(A) A^-T (Jacobi's formula; an invertible A)
        a, out = ctx.saved_tensors
        eye = _wrap(np.broadcast_to(np.eye(a.shape[-1], dtype=a._data.dtype), a.shape))
        return (grad * out).unsqueeze(-1).unsqueeze(-1) * LinalgSolve.apply(a.mT, eye)


class LinalgEigh(Op):
    """The eigenvalues of a symmetric matrix (or a batch), ascending, from its lower triangle (LAPACK's syevd)."""

    @staticmethod
    def forward(ctx, a):
        values, vectors = np.linalg.eigh(a)
        ctx.save_for_backward(vectors)
        return values

    @staticmethod
    def backward(ctx, grad):  # d lambda_i / dA = v_i v_i^T: the gradient is V diag(grad) V^T
        (vectors,) = ctx.saved_tensors
        return (vectors * grad.unsqueeze(-2)) @ vectors.mT


def matmul(a, b):
    """PyTorch's matmul: 1-D operands are promoted to matrices and the added axis is removed afterwards."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"matmul(): arguments must be Tensors, got {type(a).__name__} and {type(b).__name__}")
    _same_dtype(a, b)
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if a._data.shape[-1] != b._data.shape[-2 if nb > 1 else 0]:
        if na == 1 and nb == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a._data.shape[0]}] and src "
                               f"[{b._data.shape[0]}] to have the same number of elements, but got "
                               f"{a._data.shape[0]} and {b._data.shape[0]} elements respectively")
        raise _shape_error(a if na > 1 else a.unsqueeze(0), b if nb > 1 else b.unsqueeze(1))
    # torch's graph, node for node: dot, mv, mm for the small cases; a batched product goes torch's way: the
    # larger operand reshaped into one matrix (folded), or both expanded and reshaped into a batch of matrices.
    # Those reshapes are views of the operands when they can be, copies otherwise, and backward saves them: so a
    # later in-place change to an operand is refused exactly when torch refuses it, and a gradient that torch
    # computes from a copy is computed from a copy here too.
    if na <= 2 and nb <= 2:
        if na == 2:
            return (Mm if nb == 2 else Mv).apply(a, b)
        if nb == 1:
            return Dot.apply(a, b)
        return reshaped(Mm.apply(reshaped(a, (1,) + a._data.shape, Unsqueeze), b), b._data.shape[1:],
                        SqueezeInPlace)
    if na > 2 and nb <= 2 and (b._requires_grad or _merges(a._data)):
        # (sizes spelled out, not -1: with a 0 among them the -1 would be ambiguous)
        folded = reshape(a, math.prod(a._data.shape[:-1]), a._data.shape[-1])
        out = (Mm if nb == 2 else Mv).apply(folded, b)
        return UnsafeView.apply(out, a._data.shape[:-1] + b._data.shape[1:], True)
    if nb > 2 and na <= 2 and (a._requires_grad or _merges(np.swapaxes(b._data, -1, -2))):
        bt = b.mT
        folded = reshape(bt, math.prod(bt._data.shape[:-1]), bt._data.shape[-1])
        if na == 1:
            return UnsafeView.apply(Mv.apply(folded, a), bt._data.shape[:-1], True)
        out = Mm.apply(folded, a.t())
        return UnsafeView.apply(out, bt._data.shape[:-1] + a._data.shape[:1], True).mT.contiguous()
    a2 = a.unsqueeze(0) if na == 1 else a
    b2 = b.unsqueeze(-1) if nb == 1 else b
    try:
        batch = np.broadcast_shapes(a2._data.shape[:-2], b2._data.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions do not broadcast: shapes {list(a._data.shape)} and "
                           f"{list(b._data.shape)}") from None
    out = Bmm.apply(_as_batch(a2, batch), _as_batch(b2, batch))
    # the batch back, and without the axes that the promotion of 1-D operands to matrices added
    shape = out._data.shape
    return UnsafeView.apply(out, batch + shape[-2:-1] * (na > 1) + shape[-1:] * (nb > 1), True)


def _as_batch(t, batch):
    """t expanded to the batch shape and reshaped to (batch size, rows, cols), as torch does (also where the
    shape does not change: torch records those steps)."""
    t = t.expand(batch + t._data.shape[-2:])
    return reshape(t, (math.prod(batch),) + t._data.shape[-2:])


def _merges(array):
    """Do all dims but the last merge into one without a copy? (torch's test before folding an operand.)"""
    st, sh = array.strides, array.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(array.ndim - 2))


def mm(a, b):
    """The product of two matrices."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {a.ndim}D and {b.ndim}D")
    return matmul(a, b)


def bmm(a, b):
    """The products of two batches of matrices."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor and batch2 must be a 3D tensor: got {a.ndim}D and {b.ndim}D")
    if a._data.shape[0] != b._data.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a._data.shape[0]} and "
                           f"{b._data.shape[0]}")
    if a._data.shape[2] != b._data.shape[1]:
        raise _shape_error(a, b, "batch1 and batch2")
    _same_dtype(a, b)
    return Bmm.apply(a, b)


def mv(a, v):
    """The product of a matrix and a vector."""
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.ndim}D and {v.ndim}D")
    return matmul(a, v)


def dot(a, b):
    """The dot product of two vectors."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


def outer(a, b):
    """The outer product of two vectors."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, got {a.ndim}D and {b.ndim}D")
    if a._data.dtype != b._data.dtype:
        dt = result_type(a._data, b._data)
        a, b = a.to(dt), b.to(dt)
    return a.reshape(-1, 1) * b  # (torch's steps: a viewed as a column, times b)


# ----------------------------------------------------------------------------
# einsum: one op for every product written in index notation
# ----------------------------------------------------------------------------
def einsum_subscripts(equation, shapes):
    """'ij,jk' -> (['ij', 'jk'], 'ik'): the output made explicit, '...' spelled out in spare letters."""
    eq = equation.replace(" ", "")
    left, arrow, output = eq.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(shapes) > len(inputs) else
                           "einsum(): fewer operands were provided than specified in the equation")
    bad = set(eq) - set(string.ascii_letters) - set(",->.")
    if bad:
        raise RuntimeError(f"einsum(): invalid subscript given in the equation string: {sorted(bad)[0]!r}; "
                           "subscripts are the letters a-z and A-Z")
    spare = sorted(set(string.ascii_letters) - set(eq))
    n_ellipsis = max((len(s) - len(sub) + 3 for sub, s in zip(inputs, shapes) if "..." in sub), default=0)
    ellipsis = "".join(spare[:n_ellipsis])
    expanded = []
    for i, (sub, shape) in enumerate(zip(inputs, shapes)):
        if "..." in sub:
            sub = sub.replace("...", ellipsis[n_ellipsis - (len(shape) - len(sub) + 3):])
        if len(sub) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) does not match "
                               f"the number of dimensions ({len(shape)}) for operand {i} and no ellipsis was given")
        expanded.append(sub)
    if arrow:
        output = output.replace("...", ellipsis)
        for c in output:
            if output.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in "".join(expanded):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand; every output letter must name a dimension of some input")
    else:  # implicit output: the ellipsis, then every letter used once, in alphabetical order
        letters = "".join(expanded)
        output = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis) if letters.count(c) == 1))
    return expanded, output


class Einsum(Op):
    @staticmethod
    def forward(ctx, inputs, output, *arrays):
        ctx.inputs, ctx.output = inputs, output
        ctx.size = {}  # each letter's size, after size-1 dimensions broadcast
        for sub, x in zip(inputs, arrays):
            for c, n in zip(sub, x.shape):
                if ctx.size.get(c, 1) == 1:
                    ctx.size[c] = n
        ctx.save_for_backward(*arrays)
        return np.einsum(",".join(inputs) + "->" + output, *arrays)

    @staticmethod
    def backward(ctx, grad):
        """Operand i's gradient is itself an einsum: the output's gradient times the other operands.

        Two cases need a hand: a letter only operand i has (summed away: the gradient is the
        same all along it, so broadcast) and a letter it repeats ('ii': the gradient lives on the diagonal).
        Where a size-1 dimension was broadcast, the engine sums the gradient back to it.
        """
        operands, size = ctx.saved_tensors, ctx.size
        grads = [None, None]
        for i, (sub, needed) in enumerate(zip(ctx.inputs, ctx.needs_input_grad[2:])):
            if not needed:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            letters = list(dict.fromkeys(sub))
            known = set(ctx.output).union(*others)
            g = Einsum.apply([ctx.output, *others], "".join(c for c in letters if c in known), grad,
                             *(x for j, x in enumerate(operands) if j != i))
            g = g.reshape([size[c] if c in known else 1 for c in letters]).expand([size[c] for c in letters])
            if len(letters) < len(sub):
                xp = get_array_module(grad._data)
                n = len(letters)
                grid = [xp.arange(size[c]).reshape((1,) * i + (-1,) + (1,) * (n - i - 1)) for i, c in enumerate(letters)]
                key = tuple(grid[letters.index(c)] for c in sub)
                g = IndexPut.apply(_wrap(xp.zeros([size[c] for c in sub], grad._data.dtype)), g, key)
            grads.append(g)
        return tuple(grads)


def einsum(equation, *operands):
    """torch.einsum('ij,jk->ik', a, b): products, sums, traces and transposes written in index notation."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for i, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(x).__name__}")
    if len({x._data.dtype for x in operands}) > 1:
        raise RuntimeError("einsum(): expected all operands to have the same dtype, got "
                           f"{', '.join(dtype_of(x._data).name for x in operands)}; cast them, e.g. b.to(a.dtype)")
    inputs, output = einsum_subscripts(equation, [x._data.shape for x in operands])
    for c in set("".join(inputs)):
        sizes = {x._data.shape[k] for sub, x in zip(inputs, operands) for k, d in enumerate(sub) if d == c}
        if len(sizes - {1}) > 1:
            raise RuntimeError(f"einsum(): subscript {c} has sizes {sorted(sizes)} that do not match; a subscript "
                               "names one dimension, so its sizes must be equal")
    return Einsum.apply(inputs, output, *operands)


def trace(a):
    """The sum of a matrix's diagonal."""
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    return diagonal(a).sum()  # the main diagonal, also of a non-square matrix


def tensordot(a, b, dims=2):
    """Sum a's last dims against b's first ones (or the listed pairs of dims): an einsum spelled out."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims = (list(range(a.ndim - dims, a.ndim)), list(range(dims)))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"both dimension lists should have same length, got {len(dims_a)} and {len(dims_b)}")
    letters = iter(string.ascii_letters)
    sub_a = [next(letters) for _ in range(a.ndim)]
    sub_b = [next(letters) for _ in range(b.ndim)]
    for da, db in zip(dims_a, dims_b):
        sub_b[db % b.ndim] = sub_a[da % a.ndim]
    summed = {sub_a[d % a.ndim] for d in dims_a}
    out = [c for c in sub_a if c not in summed] + [c for c in sub_b if c not in summed]
    return einsum(f"{''.join(sub_a)},{''.join(sub_b)}->{''.join(out)}", a, b)


def kron(a, b):
    """The Kronecker product: every element of a times the whole of b, laid out block by block."""
    n = max(a.ndim, b.ndim)
    a = a.reshape((1,) * (n - a.ndim) + tuple(a.shape))
    b = b.reshape((1,) * (n - b.ndim) + tuple(b.shape))
    sub_a, sub_b = string.ascii_lowercase[:n], string.ascii_uppercase[:n]
    blocks = einsum(f"{sub_a},{sub_b}->{''.join(x + y for x, y in zip(sub_a, sub_b))}", a, b)
    return blocks.reshape([x * y for x, y in zip(a.shape, b.shape)])


def cross(a, b, dim=None):
    """The cross product of 3-vectors along dim (by default, as torch.cross, the first dim of size 3)."""
    if dim is None:
        dim = next((d for d, size in enumerate(a.shape) if size == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and "
                           f"{b.shape[dim]}")
    a1, a2, a3 = a.unbind(dim)
    b1, b2, b3 = b.unbind(dim)
    return stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], dim)


# ----------------------------------------------------------------------------
# distances and similarities: compositions of norm, division and sums (their gradients are those ops')
# ----------------------------------------------------------------------------
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (|x1| |x2|) along dim, each norm held at eps or more (torch's formula: each side divided by its
    norm first; the clamp is outside the graph, so the gradient is that of the unclamped norm)."""
    from ..autograd.grad_mode import no_grad
    from .reduction import norm
    from .composite import tensor_args
    from .shape import expand
    tensor_args("cosine_similarity", ("x1", x1), ("x2", x2))
    common = result_type(x1._data, x2._data)
    if common.np.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{torch_scalar_name(common.np)}: convert the inputs first, e.g. x.float()")
    x1, x2 = (x if x._data.dtype.kind == "f" else x.to(common) for x in (x1, x2))
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise broadcast_error(x1.shape, x2.shape) from None
    x1, x2 = (x if tuple(x.shape) == shape else expand(x, shape) for x in (x1, x2))
    norms = []
    for x in (x1, x2):
        n = norm(x, 2, dim, keepdim=True).clone()
        with no_grad():
            n.clamp_(min=eps)
        norms.append(n)
    return ((x1 / norms[0]) * (x2 / norms[1])).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last dim of the broadcast shape (torch's formula)."""
    from .composite import tensor_args
    from .reduction import norm
    tensor_args("pairwise_distance", ("x1", x1), ("x2", x2))
    diff = x1 - x2 + eps
    return norm(diff, p, max(x1.ndim, x2.ndim) - 1, keepdim)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R).

    Always the direct formula |x1_i - x2_j|_p: torch's matrix-product route for p=2 (taken for more than 25
    rows, |a|^2 + |b|^2 - 2ab) computes the same distances with a different rounding."""
    from .reduction import norm
    from .shape import unsqueeze
    from .composite import tensor_args
    tensor_args("cdist", ("x1", x1), ("x2", x2))
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{torch_scalar_name(x._data.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"expected scalar type {torch_scalar_name(x1._data.dtype)} but found "
                           f"{torch_scalar_name(x2._data.dtype)}: cdist needs both inputs in one dtype")
    diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)
    if p == 0:  # the count of differing coordinates: its gradient is zero (torch's), not absent
        return diff.abs().sign().sum(-1)
    return norm(diff, float(p), -1)


class Pdist(Op):
    """The p-norm distance of each pair of rows i < j (pairs given as index arrays): torch's one node, with its
    gradient at the points where the norm's own is not torch's (ties of p = inf each get the whole gradient,
    equal coordinates get none for p < 1, a zero distance none at all)."""

    @staticmethod
    def forward(ctx, x, p, first, second):
        diff = x[first] - x[second]
        size = np.abs(diff)
        if p == 0:
            out = (diff != 0).sum(-1)
        elif p == 1:
            out = size.sum(-1)
        elif p == 2:
            out = np.sqrt((diff * diff).sum(-1))
        elif p == math.inf:
            out = size.max(-1, initial=0)
        else:
            out = (size ** p).sum(-1) ** (1 / p)
        ctx.p, ctx.first, ctx.second, ctx.rows = p, first, second, x.shape[0]
        out = np.asarray(out, x.dtype)
        ctx.save_for_backward(diff, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # torch's pdist backward, pair by pair; +pair to row i, -pair to row j
        diff, dist = ctx.saved_tensors
        p, g, dist = ctx.p, grad.unsqueeze(-1), dist.unsqueeze(-1)
        if p == 0:
            pair = diff * 0
        elif p == 1:
            pair = g * diff.sign()
        elif p == math.inf:
            pair = g * diff.sign() * (diff.abs() == dist)
        else:
            scale = where(dist == 0, 0.0, g / dist ** (p - 1))
            if p < 2:
                power = diff.sign() * diff.abs() ** (p - 1)
                pair = (where(diff == 0, 0.0, power) if p < 1 else power) * scale
            else:
                pair = diff * diff.abs() ** (p - 2) * scale
        xp = get_array_module(pair._data)
        rows = [_wrap(xp.broadcast_to(xp.asarray(i)[:, None], pair.shape).copy()) for i in (ctx.first, ctx.second)]
        zeros = _wrap(xp.zeros((ctx.rows, pair.shape[1]), pair._data.dtype))
        return zeros.scatter_add(0, rows[0], pair).scatter_add(0, rows[1], -pair), None, None, None


def pdist(input, p=2):
    """The p-norm distance between each pair of rows i < j of an (N, M) input, in the order (0, 1), (0, 2), ...,
    (1, 2), ...: the upper triangle of cdist(input, input), N (N - 1) / 2 values."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    first, second = np.triu_indices(input.shape[0], 1)
    xp = get_array_module(input._data)
    return Pdist.apply(input, float(p), xp.asarray(first), xp.asarray(second))


def _failed_minor(a):
    """The order of the first leading minor of a (one matrix) that is not positive-definite."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return a.shape[-1]


class LinalgCholesky(Op):
    """The lower Cholesky factor L of a symmetric positive-definite A = L L^T (LAPACK's potrf, read from the
    lower triangle), one matrix or a batch."""

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.cholesky(np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2))
        except np.linalg.LinAlgError:
            from ..linalg import LinAlgError
            where = ""
            bad = a
            if a.ndim > 2:  # torch names the first matrix of the batch that fails
                for i, index in enumerate(np.ndindex(*a.shape[:-2])):
                    try:
                        np.linalg.cholesky(a[index])
                    except np.linalg.LinAlgError:
                        where, bad = f"(Batch element {i}): ", a[index]
                        break
            raise LinAlgError(f"linalg.cholesky: {where}The factorization could not be completed because the "
                              f"input is not positive-definite (the leading minor of order {_failed_minor(bad)} "
                              "is not positive-definite).") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # dA = L^-T Phi(L^T dL) L^-1, symmetrised; Phi keeps the lower half, diagonal halved
        (L,) = ctx.saved_tensors
        g = (L.mT @ grad).tril()
        g = 0.5 * (g + g.tril(-1).mT)
        g = LinalgSolveTriangular.apply(L.mT, g, True)
        return LinalgSolveTriangular.apply(L.mT, g.mT, True).mT  # (right-multiplied by L^-1)


class LinalgSolveTriangular(Op):
    """X with A X = B for a triangular A (only its ``upper`` or lower triangle is read)."""

    @staticmethod
    def forward(ctx, a, b, upper):
        tri = np.triu(a) if upper else np.tril(a)
        shape = np.broadcast_shapes(tri.shape[:-2], b.shape[:-2])
        x = np.linalg.solve(np.broadcast_to(tri, shape + tri.shape[-2:]), np.broadcast_to(b, shape + b.shape[-2:]))
        ctx.upper = upper
        ctx.save_for_backward(a, x)
        return x.astype(b.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):  # dB = A^-T grad; dA = -dB X^T, kept to A's triangle
        a, x = ctx.saved_tensors
        grad_b = LinalgSolveTriangular.apply(a.mT, grad, not ctx.upper)
        grad_a = None
        if ctx.needs_input_grad[0]:
            grad_a = -(grad_b @ x.mT)
            grad_a = grad_a.triu() if ctx.upper else grad_a.tril()
        return grad_a, grad_b, None
