"""StudentT(df, loc=0., scale=1.): the t distribution."""
import math

import ember
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .gamma import Chi2
from .utils import broadcast_all, _standard_normal


class StudentT(Distribution):
    """loc + scale * X / sqrt(Z / df) for X ~ N(0, 1) and Z ~ Chi2(df)."""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """The same t distributions broadcast to ``batch_shape``."""
        new = self._expanded(batch_shape, ("df", "loc", "scale"))
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        """loc where df > 1, NaN elsewhere."""
        return ember.where(self.df <= 1, float("nan"), self.loc)

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def variance(self):
        """scale^2 df / (df - 2) where df > 2, inf where 1 < df <= 2, NaN where df <= 1."""
        big = self.df > 2
        df = ember.where(big, self.df, 3.0)  # so that the unused branch has no 0 divisor in its gradient
        v = ember.where(big, self.scale.pow(2) * df / (df - 2), float("inf"))
        return ember.where(self.df <= 1, float("nan"), v)

    def rsample(self, sample_shape=Size()):
        """N(0, 1) draws (``normal_``), then the chi-squared's gamma draws, as PyTorch: bit for bit."""
        shape = self._extended_shape(sample_shape)
        x = _standard_normal(shape, dtype=self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * ember.rsqrt(z / self.df))

    def log_prob(self, value):
        """-(df + 1)/2 log(1 + y^2/df) - log(scale) - log(df pi)/2 - lgamma(df/2) + lgamma((df + 1)/2)."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + ember.lgamma(0.5 * self.df)
             - ember.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * ember.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        """log(scale) + (df + 1)/2 (digamma((df + 1)/2) - digamma(df/2)) + log(df)/2 + log B(df/2, 1/2)."""
        lbeta = ember.lgamma(0.5 * self.df) + math.lgamma(0.5) - ember.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (ember.digamma(0.5 * (self.df + 1))
                                                         - ember.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
