"""``torch.linalg``'s norms: vector_norm, matrix_norm and norm, on ember's one norm op (ember.norm): the same
values, gradients and graph nodes (LinalgVectorNormBackward0; a matrix 1- or inf-norm is the max of column or
row sums, AmaxBackward0 over it, as torch composes it). The spectral and nuclear norms need singular values,
which ember does not compute.

Also solve, det and eigvalsh (LAPACK's routines, one op each), and matrix_exp and householder_product as compositions of
matrix products, so their gradients are the products' own (what nn.utils.parametrizations.orthogonal needs)."""
import math
import numbers

import numpy as np

from ._backend import normalize_dim, to_dtype, torch_scalar_name
from .autograd.grad_mode import no_grad
from .ops import reduction as _rd
from .ops.linalg import LinalgCholesky, LinalgDet, LinalgEigh, LinalgSolve, LinalgSolveTriangular
from .tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "solve", "det", "eigvalsh", "matrix_exp", "householder_product",
           "cholesky", "solve_triangular", "LinAlgError"]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (a singular matrix in solve): torch.linalg.LinAlgError."""


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


def _square(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1] if A.ndim else 1} matrices")


def solve(A, B, *, left=True):
    """X with A X = B: A square (n, n) or a batch of them, B (..., n, k) or a vector (n,) / (..., n)."""
    _square(A, "linalg.solve")
    if not left:  # X A = B is A^T X^T = B^T
        return solve(A.mT, B.mT).mT
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{torch_scalar_name(A._data.dtype)} and B of type {torch_scalar_name(B._data.dtype)} "
                           "instead.")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])  # (torch's rule for a vector B)
    X = LinalgSolve.apply(A, B.unsqueeze(-1) if vector else B)
    return X.squeeze(-1) if vector else X


def cholesky(A, *, upper=False):
    """L lower-triangular with A = L L^T, for a symmetric positive-definite A (or a batch); only A's lower
    triangle is read. ``upper=True`` returns L^T. LinAlgError (naming the failing minor) otherwise."""
    _square(A, "linalg.cholesky")
    L = LinalgCholesky.apply(A)
    return L.mT if upper else L


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (X A = B when not ``left``) for a triangular A: only its upper or lower triangle is read.
    Solved by LAPACK's LU on that triangle: equal to torch's triangular solve within rounding."""
    _square(A, "linalg.solve_triangular")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{torch_scalar_name(A._data.dtype)} and B of type {torch_scalar_name(B._data.dtype)} "
                           "instead.")
    if unitriangular:  # the diagonal is taken as ones, whatever A holds there
        from .creation import eye
        keep = A.triu(1) if upper else A.tril(-1)
        A = keep + eye(A.shape[-1], dtype=A.dtype)
    if not left:  # X A = B is A^T X^T = B^T
        return LinalgSolveTriangular.apply(A.mT, B.mT, not upper).mT
    return LinalgSolveTriangular.apply(A, B, upper)


def det(A):
    """The determinant of a square matrix, or of each matrix in a batch."""
    _square(A, "linalg.det")
    return LinalgDet.apply(A)


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric matrix (or a batch), in ascending order; only the UPLO triangle is read."""
    _square(A, "linalg.eigvalsh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    if UPLO == "U":  # (the upper triangle read as the lower one of the transpose)
        A = A.mT
    return LinalgEigh.apply(A)


def matrix_exp(A):
    """e^A = I + A + A^2/2! + ... for a square matrix (or a batch), by scaling and squaring.

    e^A = (e^(A / 2^s))^(2^s), with s chosen so that A / 2^s has a 1-norm of at most 1: there an
    18-term Taylor polynomial (Horner's rule) is exact to below float64's rounding. Everything is
    matrix products, so the gradient (and higher ones) comes from them.
    """
    _square(A, "linalg.matrix_exp")
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    with no_grad():
        norm = float(np.abs(A._data).sum(axis=-2).max())  # the largest 1-norm in the batch
    s = max(0, math.ceil(math.log2(norm))) if norm > 0 else 0
    B = A / 2 ** s if s else A
    from .creation import eye
    eye_n = eye(n, dtype=A.dtype, device=A.device)
    P = eye_n + B / 18
    for j in range(17, 0, -1):
        P = eye_n + (B @ P) / j
    for _ in range(s):
        P = P @ P
    return P


def householder_product(A, tau):
    """The first k columns of H_1 H_2 ... H_t, H_i = I - tau_i v_i v_i^T (LAPACK's orgqr: the Q of a QR).

    v_i is column i of A (n, k) below the diagonal, with a 1 on it and zeros above; tau has t <= k
    entries (batches of both are fine). Composed of products, so the gradient is theirs.
    """
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 dimensions.")
    n, k = A.shape[-2], A.shape[-1]
    if n < k:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than or equal "
                           "to input.shape[-1]")
    if tau.shape[-1] > k:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater than or equal "
                           "to tau.shape[-1]")
    from .creation import eye
    eye_nk = eye(n, k, dtype=A.dtype, device=A.device)
    V = A.tril(-1) + eye_nk  # the unit lower-trapezoidal Householder vectors
    Q = eye(n, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], n, n)
    for i in range(tau.shape[-1]):
        v = V[..., :, i:i + 1]
        Q = Q - (Q @ v) @ v.mT * tau[..., i:i + 1].unsqueeze(-1)
    return Q[..., :k]
