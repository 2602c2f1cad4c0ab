"""Weight normalisation (Salimans & Kingma, 2016): a weight w written as a length g times a direction v / ||v||.

weight_norm(module) takes the parameter `weight` away and puts two parameters in its place,
`weight_g` (the length of each output's row, or of the whole tensor) and `weight_v` (the direction).
A forward pre-hook rebuilds `weight = v * (g / ||v||)` before every forward, so the optimizer
trains g and v while forward() keeps reading self.weight as usual. This is torch's classic,
hook-based version (torch.nn.utils.weight_norm), with its parameter names and order.
"""
import warnings

from ..parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]

_DEPRECATED = ("`torch.nn.utils.weight_norm` is deprecated in favor of "
               "`torch.nn.utils.parametrizations.weight_norm`.")


def _norm_except_dim(v, dim):
    """The 2-norm of v over every dim but `dim`, kept broadcastable against v; dim -1 means over everything.

    torch's rule (torch.norm_except_dim): -1 is "no dim kept", a scalar norm of the whole tensor.
    Any other dim is kept: for a (out, in) Linear weight and dim 0 that is one norm per output row,
    shaped (out, 1). A dim outside the tensor raises torch's IndexError.
    """
    if dim == -1:
        return v.norm()
    ndim = v.dim()
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {dim})")
    kept = dim % ndim if ndim else 0
    others = tuple(d for d in range(ndim) if d != kept)
    if not others:  # a 1-d v normed "per element": each norm is the element's size
        return v.abs()
    return v.norm(2, dim=others, keepdim=True)


class WeightNorm:
    """The forward pre-hook: holds which parameter it rebuilds (name) and the dim that keeps its own norm."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        """weight = v * (g / ||v||), built from the module's current g and v (differentiable in both)."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module, name, dim):
        """Swap module.<name> for <name>_g and <name>_v and register the hook; returns the hook."""
        if find_hook(module, name, WeightNorm) is not None:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        hook = WeightNorm(name, dim)
        weight = getattr(module, name)  # (a missing name: the module's own AttributeError, as in torch)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. "
                             "Make sure to run the dummy forward before applying weight normalization")
        if name not in module._parameters:  # (a buffer or a plain attribute: torch fails the same way)
            raise KeyError(name)
        if weight is None:
            raise TypeError("norm_except_dim(): argument 'v' (position 1) must be Tensor, not NoneType")
        # g and v start so that v * (g / ||v||) is the weight itself: v is the weight, g its norm.
        g = _norm_except_dim(weight.detach(), hook.dim)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(g.detach().clone()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))  # (shares the old weight's memory)
        # The weight is now a plain tensor attribute (not a parameter), recomputed by the hook.
        setattr(module, name, hook.compute_weight(module))
        module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module):
        """Turn g and v back into one parameter holding the current weight."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def find_hook(module, name, kind):
    """The key of the `kind` hook (WeightNorm, SpectralNorm) for `name` in module's forward pre-hooks, or None."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key
    return None


def remove_hook(module, name, kind, what):
    """Undo a reparametrisation: its hook turns <name> back into one plain parameter and is unregistered."""
    key = find_hook(module, name, kind)
    if key is None:
        raise ValueError(f"{what} of '{name}' not found in {module}")
    module._forward_pre_hooks[key].remove(module)
    del module._forward_pre_hooks[key]
    return module


def weight_norm(module, name="weight", dim=0):
    """Reparametrise module.<name> as <name>_g * <name>_v / ||<name>_v||, recomputed before every forward.

    dim is the dim that keeps its own norm: 0 (default) gives one length per output channel or row;
    dim=None gives one length for the whole tensor. Returns the module. torch deprecates this
    function (FutureWarning), in favour of torch.nn.utils.parametrizations.weight_norm.

        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.weight_g.shape, m.weight_v.shape
        (ember.Size([40, 1]), ember.Size([40, 20]))
    """
    warnings.warn(_DEPRECATED, FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm: <name> becomes one plain parameter again, holding the current v * (g / ||v||)."""
    return remove_hook(module, name, WeightNorm, "weight_norm")
