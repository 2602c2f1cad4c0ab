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
from .kl import kl_divergence, register_kl

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "kl_divergence", "register_kl",
           "constraints"]
