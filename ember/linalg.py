"""``torch.linalg``'s norms: vector_norm, matrix_norm and norm, on ember's one norm op (ember.norm): the same
values, gradients and graph nodes (LinalgVectorNormBackward0; a matrix 1- or inf-norm is the max of column or
row sums, AmaxBackward0 over it, as torch composes it). The spectral and nuclear norms need singular values,
which ember does not compute."""
import math
import numbers

from ._backend import normalize_dim, to_dtype, torch_scalar_name
from .ops import reduction as _rd

__all__ = ["vector_norm", "matrix_norm", "norm"]


def _require_float(x, dtype):
    """torch's checks: a floating point input, and a dtype= it converts to without narrowing."""
    if x._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{torch_scalar_name(x._data.dtype)}")
    if dtype is not None:
        target = to_dtype(dtype)
        if target.itemsize < x._data.dtype.itemsize:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({torch_scalar_name(x._data.dtype)}) "
                               f"should be convertible without narrowing to the specified dtype "
                               f"({torch_scalar_name(target.np)})")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ord-norm of x as a vector (all elements, or along dim): (sum |x|^ord)^(1/ord); ord = inf / -inf the
    largest / smallest |x|, ord = 0 the count of non-zeros."""
    if not isinstance(ord, numbers.Number):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    _require_float(x, dtype)
    return _rd.norm(x, float(ord), dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The ord-norm of A (or of each matrix in a batch) as a matrix: 'fro' the root of the sum of squares,
    1 / -1 the largest / smallest column sum of |A|, inf / -inf the largest / smallest row sum."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if isinstance(dim, int):
        raise TypeError(f"linalg_matrix_norm(): argument 'dim' must be tuple of ints, not int: a matrix norm is over "
                        f"two dims, e.g. dim=({dim}, {dim + 1 if dim >= 0 else dim - 1})")
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    first, second = (normalize_dim(d, A.ndim) for d in dims)
    if ord == "fro":
        return vector_norm(A, 2, (first, second), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is a sum or extreme of singular values, which "
                                  "ember does not compute; use ord='fro', 1, -1, inf or -inf")
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if abs(ord) == math.inf:  # (the inf-norm is the 1-norm of the transpose)
        first, second = second, first
    if not keepdim and first < second:  # (the first reduction removed a dim before the second)
        second -= 1
    sums = vector_norm(A, 1, first, keepdim, dtype=dtype)
    return sums.amax(second, keepdim) if ord > 0 else sums.amin(second, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm (ord=None is the 2-norm of all elements), or a matrix norm where ord is
    given for a 2-d input (or a string, or a 2-tuple dim)."""
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A.ndim}D.")
    if ord is not None and (isinstance(ord, str) or (dim is not None and len(dims) == 2) or
                            (dim is None and A.ndim == 2)):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dims, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
