"""torch.nn.utils.parametrizations: orthogonal, weight_norm and spectral_norm written as parametrizations.

Each one is a small Module registered with parametrize.register_parametrization, so the trained
tensors live under module.parametrizations.<name> (original, or original0/original1 for weight
norm's g and v) and module.<name> is computed from them at every read. These are the new-style
versions of nn.utils.weight_norm and nn.utils.spectral_norm (the forward pre-hook ones).
"""
from enum import Enum, auto

import numpy as np

from ... import linalg
from ...autograd.grad_mode import no_grad
from ...creation import eye, tensor as _tensor, zeros_like
from ...ops.shape import cat
from ...random import randn
from ...tensor import Tensor
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _transposed_conv_types
from .weight_norm import _norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- orthogonal ----------------------------------------------------------------------------------
def _is_orthogonal(Q):
    """Whether Q^T Q is the identity, to within 10 n eps (torch's test before it re-orthogonalises)."""
    n, k = Q.size(-2), Q.size(-1)
    eps = 10.0 * n * np.finfo(Q._data.dtype).eps
    return bool(np.allclose((Q.mT @ Q)._data, np.eye(k), atol=eps, rtol=1e-5))


def _geqrf(A):
    """LAPACK's geqrf, as torch.geqrf gives it: R on and above the diagonal, the Householder vectors below; tau."""
    a = A._data
    pairs = [np.linalg.qr(m, mode="raw") for m in a.reshape(-1, *a.shape[-2:])]  # (numpy's h is transposed)
    h = np.stack([h.T for h, _ in pairs]).reshape(a.shape)
    tau = np.stack([tau for _, tau in pairs]).reshape(*a.shape[:-2], -1)
    return _tensor(h.astype(a.dtype)), _tensor(tau.astype(a.dtype))


def _make_orthogonal(A):
    """The Q of A's QR decomposition, its columns' signs chosen so that R's diagonal is positive."""
    X, tau = _geqrf(A)
    Q = linalg.householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """X -> an orthogonal matrix: exp or Cayley of a skew-symmetric matrix built from X, or Householder reflections.

    With use_trivialization (the default) the result is base @ map(X), where `base` (a buffer) is
    the orthogonal matrix assigned last: training moves around base, and assigning an orthogonal
    matrix sets base and resets X to the map's origin (-I).
    """

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        """The orthogonal (or, for a non-square X, semi-orthogonal) matrix X stands for."""
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:  # (work on the tall form, n >= k)
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:  # square it with zero columns
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = linalg.matrix_exp(A)
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                Id = eye(n, dtype=A.dtype)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)  # the Householder vectors, their unit diagonal implied
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            # X's diagonal (+1 or -1, cast to int as torch does: no gradient) flips the columns' signs
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        """An X whose forward is Q (Q is made orthogonal first if it is not)."""
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                # Householder: QR's reflections below the diagonal, R's signs on it
                A, tau = _geqrf(Q)
                diagonal = np.sign(np.diagonal(A._data, axis1=-2, axis2=-1))
                diagonal = np.where(tau._data == 0, -diagonal, diagonal)
                a = A._data.copy()
                idx = np.arange(min(n, k))
                a[..., idx, idx] = diagonal
                A = _tensor(a)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q to a square orthogonal matrix with random columns
                N = randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_Id = zeros_like(Q_init)
            neg_Id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_Id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Keep module.<name> orthogonal (its rows or columns orthonormal, whichever are fewer); returns the module.

    orthogonal_map: "matrix_exp" (the default for square matrices), "cayley", or "householder"
    (the default for the others). The weight is made orthogonal at registration (Q of its QR).

        >>> m = orthogonal(nn.Linear(20, 40))
        >>> Q = m.weight
        >>> bool(ember.dist(Q.T @ Q, ember.eye(20)) < 1e-5)
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---- weight_norm ---------------------------------------------------------------------------------
class _WeightNorm(Module):
    """(g, v) -> v * (g / ||v||): g the length (per slice along dim, or of all of v for dim None), v the direction."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        """The weight: v rescaled to length g."""
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        """(g, v) for a weight: g its norm, v the weight itself."""
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Write module.<name> as g * v / ||v||, g and v trained in its place; returns the module.

    g is module.parametrizations.<name>.original0 and v original1. dim is the dim that keeps its
    own norm (0: one length per output row or channel; None: one length for the whole tensor).

        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        (ember.Size([40, 1]), ember.Size([40, 20]))
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ---- spectral_norm -------------------------------------------------------------------------------
class _SpectralNorm(Module):
    """W -> W / sigma(W), sigma the largest singular value, estimated by power iteration on the buffers _u, _v.

    In training mode each forward first refines _u and _v (n_power_iterations steps, no gradient);
    in eval mode they are used as they are. A 1-d weight is simply normalised to length 1.
    """

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                             f"but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            # random unit starting vectors, drawn as torch draws them (u, then v), then 15 steps to settle
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        """The weight as a matrix: `dim` moved to the front gives the rows, the other dims are flattened."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        """Turn _u and _v further towards the top singular vectors, in place (out=: the buffers themselves)."""
        with no_grad():
            for _ in range(n_power_iterations):
                self._u = F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                self._v = F.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight):
        """weight / sigma, sigma = u . (W v)."""
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: the next forward refines the buffers in place, and this forward's graph needs these values
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        """The stored weight is the weight assigned (only forward divides by sigma)."""
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide module.<name> by its spectral norm (largest singular value), by power iteration; returns the module.

    The trained weight is module.parametrizations.<name>.original; the singular vector estimates
    are the buffers parametrizations.<name>.0._u and ._v. dim is the output dim: 0, or 1 for
    ConvTranspose modules when left as None.

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight[0]._u.shape
        ember.Size([40])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, _transposed_conv_types()) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
