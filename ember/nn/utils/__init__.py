"""ember.nn.utils: gradient clipping, padded/packed sequence batches (nn.utils.rnn), parameters as one vector,
the hook-based weight_norm and spectral_norm reparametrisations, parametrizations (parametrize: a tensor computed
from others at every read; parametrizations: orthogonal, weight_norm, spectral_norm on it), pruning (prune) and
stateless.functional_call."""
from . import parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn", "parametrizations", "parametrize", "prune", "stateless",
           "parameters_to_vector", "vector_to_parameters",
           "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]
