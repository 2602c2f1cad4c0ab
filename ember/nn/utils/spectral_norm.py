"""Spectral normalisation (Miyato et al., 2018): divide a weight by its largest singular value sigma.

spectral_norm(module) keeps the trained weight as the parameter `weight_orig` and two buffers,
`weight_u` and `weight_v`: estimates of the first left and right singular vectors of the weight
(seen as a matrix: rows along `dim`, everything else flattened). Before every forward a pre-hook
sets `weight = weight_orig / sigma` with sigma = u . (W v). In training mode it first refines u and v
with power iteration (no gradient flows through that); in eval mode it reuses them as they are.
GAN discriminators use this to keep their Lipschitz constant near 1. This is torch's classic,
hook-based version (torch.nn.utils.spectral_norm), with its names, random draws and state_dict keys.
"""
from .. import functional as F
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter, UninitializedParameter
from .weight_norm import find_hook, remove_hook

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook: which parameter it normalises, along which dim, and how hard it iterates."""

    _version = 1  # (torch's state_dict layout version 1: weight_orig, weight_u, weight_v, and no `weight`)

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """The weight as a matrix: `dim` moved to the front gives the rows, the other dims are flattened."""
        if self.dim != 0:
            rest = [d for d in range(weight.dim()) if d != self.dim]
            weight = weight.permute(self.dim, *rest)
        return weight.reshape(weight.size(0), -1)

    def compute_weight(self, module, do_power_iteration):
        """weight_orig / sigma; with do_power_iteration, u and v are first refined in place (no gradient)."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    # v <- normalise(W^T u), then u <- normalise(W v): each step turns them further
                    # towards the top singular vectors. out= writes into the buffers themselves, so the
                    # module keeps the refined estimates for the next forward.
                    v = F.normalize(matrix.t().mv(u), dim=0, eps=self.eps, out=v)
                    u = F.normalize(matrix.mv(v), dim=0, eps=self.eps, out=u)
                # Copies for this forward's graph: the next forward changes the buffers in place, and
                # backward through both forwards (a GAN's D(real) and D(fake)) needs these values intact.
                u = u.clone()
                v = v.clone()
        sigma = u.dot(matrix.mv(v))
        return weight / sigma

    def remove(self, module):
        """Turn weight_orig, u and v back into one parameter holding the current normalised weight."""
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        """Swap module.<name> for <name>_orig plus the u, v buffers, and register the hook; returns the hook."""
        if find_hook(module, name, SpectralNorm) is not None:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]  # (not a parameter: KeyError(name), as in torch)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. "
                             "Make sure to run the dummy forward before applying spectral normalization")
        with no_grad():
            height, width = hook.reshape_weight_to_matrix(weight).shape
            # Random unit starting vectors, drawn as torch draws them (u first, then v), so that a
            # seeded program starts from torch's u and v.
            u = F.normalize(weight.new_empty(height).normal_(0, 1), dim=0, eps=hook.eps)
            v = F.normalize(weight.new_empty(width).normal_(0, 1), dim=0, eps=hook.eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        # Code that reads module.weight before the first forward (weight init, printing) still finds a
        # tensor there: a plain attribute, not a parameter, replaced by the hook on every forward.
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(hook)
        return hook


def _transposed_conv_types():
    from .. import modules
    return tuple(getattr(modules, n) for n in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                 if hasattr(modules, n))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Normalise module.<name> by its spectral norm (largest singular value), estimated by power iteration.

    dim is the weight's output dim: 0, or 1 for ConvTranspose modules (whose weight is
    (in, out, ...)) when left as None. Returns the module.

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.shape, m.weight_v.shape
        (ember.Size([40]), ember.Size([20]))
    """
    if dim is None:
        dim = 1 if isinstance(module, _transposed_conv_types()) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo spectral_norm: <name> becomes one plain parameter again, holding weight_orig / sigma."""
    return remove_hook(module, name, SpectralNorm, "spectral_norm")
