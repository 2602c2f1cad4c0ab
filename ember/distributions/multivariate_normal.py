"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril): the Gaussian over vectors."""
import math

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import lazy_property, _standard_normal


def _batch_mv(bmat, bvec):
    """Matrix times vector over broadcast batches."""
    return ember.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    """|L^-1 x|^2 for each x in bx (batch dims broadcast against L's): one triangular solve per L."""
    n = bx.size(-1)
    x_batch = tuple(bx.shape[:-1])
    l_batch_dims = bL.dim() - 2
    outer = len(x_batch) - l_batch_dims
    # bring L's batch dims of x next to each other, then put the samples of one L in its columns
    new_shape = x_batch[:outer]
    for sL, sx in zip(bL.shape[:-2], bx.shape[outer:-1]):
        new_shape += (sx // sL, sL)
    bx = bx.reshape(new_shape + (n,))
    new_batch_dims = outer + 2 * l_batch_dims
    order = (list(range(outer)) + list(range(outer, new_batch_dims, 2)) + list(range(outer + 1, new_batch_dims, 2))
             + [new_batch_dims])
    bx = bx.permute(order)
    flat_L = bL.reshape(-1, n, n)
    flat_x = bx.reshape(-1, flat_L.size(0), n).permute(1, 2, 0)
    m = ember.linalg.solve_triangular(flat_L, flat_x, upper=False).pow(2).sum(-2).t()
    m = m.reshape(tuple(bx.shape[:-1]))
    inverse = list(range(outer))
    for i in range(l_batch_dims):
        inverse += [outer + i, outer + l_batch_dims + i]
    return m.permute(inverse).reshape(x_batch)


def _precision_to_scale_tril(P):
    """The lower L with L L^T = P^-1, from the Cholesky factor of P with rows and columns reversed."""
    Lf = ember.linalg.cholesky(ember.flip(P, (-2, -1)))
    L_inv = ember.transpose(ember.flip(Lf, (-2, -1)), -2, -1)
    eye = ember.eye(P.shape[-1], dtype=P.dtype)
    return ember.linalg.solve_triangular(L_inv, eye, upper=False)


class MultivariateNormal(Distribution):
    """The normal distribution over vectors with mean ``loc`` and a covariance given by one of
    ``covariance_matrix`` (Sigma), ``precision_matrix`` (Sigma^-1) or ``scale_tril`` (L, lower-triangular with
    a positive diagonal, Sigma = L L^T). Everything is computed from L."""
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        for name, matrix in (("scale_tril matrix", scale_tril), ("covariance_matrix", covariance_matrix),
                             ("precision_matrix", precision_matrix)):
            if matrix is not None:
                if matrix.dim() < 2:
                    raise ValueError(f"{name} must be at least two-dimensional, with optional leading batch "
                                     "dimensions")
                batch_shape = Size(ember.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
                attribute = name.split(" ")[0]
                setattr(self, attribute, matrix.expand(tuple(batch_shape) + (-1, -1)))
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        """The same normals broadcast to ``batch_shape`` (L itself is shared, not expanded)."""
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.loc = self.loc.expand(tuple(batch_shape) + tuple(self._event_shape))
        matrix_shape = tuple(batch_shape) + tuple(self._event_shape) * 2
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(matrix_shape)
        new._batch_shape = batch_shape
        return new

    @lazy_property
    def scale_tril(self):
        """L."""
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def covariance_matrix(self):
        """L L^T."""
        L = self._unbroadcasted_scale_tril
        return ember.matmul(L, L.mT).expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def precision_matrix(self):
        """(L L^T)^-1 = L^-T L^-1."""
        L = self._unbroadcasted_scale_tril
        L_inv = ember.linalg.solve_triangular(L, ember.eye(L.shape[-1], dtype=L.dtype), upper=False)
        return ember.matmul(L_inv.mT, L_inv).expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def variance(self):
        """The diagonal of the covariance: the row sums of L^2."""
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=Size()):
        """loc + L eps with eps ~ N(0, I) from ``normal_`` (as PyTorch: bit-equal eps, L eps within rounding)."""
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        """-(k log(2 pi) + |L^-1 (value - loc)|^2) / 2 - sum log diag(L)."""
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        """k (1 + log(2 pi)) / 2 + sum log diag(L)."""
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if len(self._batch_shape) == 0 else H.expand(self._batch_shape)
