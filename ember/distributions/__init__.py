"""torch.distributions: probability distributions to sample from and to score samples with.

Policy gradients (``Categorical(logits=...).sample()``, ``.log_prob(a)``, ``.entropy()``) and VAEs
(``Normal(mu, sigma).rsample()``, ``kl_divergence``) are the uses this package is built for. Every sampler
calls the same ember sampler with the same shapes as PyTorch does, so the numbers equal PyTorch's under the
same seed; every score is made of ember's tensor ops, so autograd differentiates it.
"""
from . import constraints
from .distribution import Distribution
from .normal import Normal
from .categorical import Categorical
from .bernoulli import Bernoulli
from .uniform import Uniform
from .independent import Independent
from .transformed_distribution import TransformedDistribution
from .log_normal import LogNormal
from .exponential import Exponential
from .laplace import Laplace
from .cauchy import Cauchy
from .geometric import Geometric
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .binomial import Binomial
from .gamma import Gamma, Chi2
from .dirichlet import Dirichlet, Beta
from .studentT import StudentT
from .multivariate_normal import MultivariateNormal
from . import transforms
from .transforms import (Transform, ComposeTransform, ExpTransform, AffineTransform, SigmoidTransform,
                         TanhTransform, identity_transform)
from .kl import kl_divergence, register_kl

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "Independent", "TransformedDistribution",
           "LogNormal", "Exponential", "Laplace", "Cauchy", "Geometric", "OneHotCategorical", "Poisson", "Binomial",
           "Gamma", "Chi2", "Dirichlet", "Beta", "StudentT", "MultivariateNormal", "kl_divergence", "register_kl",
           "constraints", "transforms", "Transform", "ComposeTransform", "ExpTransform", "AffineTransform",
           "SigmoidTransform", "TanhTransform", "identity_transform"]
