"""torch.nn.utils.prune: zero out chosen entries of a parameter with a mask, and keep them zero while training.

Pruning module.weight keeps the full trained tensor as the parameter `weight_orig`, the mask of
entries to keep (1) or drop (0) as the buffer `weight_mask`, and makes `weight` a plain attribute
equal to weight_orig * weight_mask. A forward pre-hook (the pruning method object itself, found in
module._forward_pre_hooks) recomputes it before every forward, so the gradient reaches weight_orig
only through the kept entries. Pruning the same tensor again combines the masks (a
PruningContainer): the new method chooses only among the entries still kept. remove() makes the
pruning permanent: `weight` becomes a parameter holding the masked values.

The random methods draw as torch does (rand_like / rand on the global generator), so a seeded program
prunes torch's entries; ranking uses topk and kthvalue, as torch's methods do.
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...creation import ones_like, zeros_like
from ...ops import reduction as _rd
from ...random import rand, rand_like
from .convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """A way of choosing which entries to prune: subclasses set PRUNING_TYPE and write compute_mask.

    PRUNING_TYPE is "unstructured" (single entries), "structured" (whole slices along `self.dim`)
    or "global"; it tells a PruningContainer which entries a further pruning may choose among.
    """

    _tensor_name = None

    def __call__(self, module, inputs):
        """The forward pre-hook: module.<name> = <name>_orig * <name>_mask, before every forward."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for tensor t (1 keeps an entry, 0 prunes it), given the mask already in place."""

    def apply_mask(self, module):
        """<name>_orig times <name>_mask: the pruned tensor (differentiable in <name>_orig)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune module.<name> with cls(*args, **kwargs), combined with any pruning already on it; returns the method.

        importance_scores (the tensor's own values by default) is what the method ranks.
        """
        method = _combined_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                     f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first = not isinstance(method, PruningContainer)
        if first:  # the parameter becomes <name>_orig; <name> will be the plain, masked tensor
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # (leave the module as it was)
                orig = module._parameters.pop(name + "_orig")
                module.register_parameter(name, orig)
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """t times the mask this method computes for it (nothing is registered on any module)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError("importance_scores should have the same shape as tensor t, "
                                     f"got {importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: <name> becomes a parameter again, holding <name>_orig * <name>_mask."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data  # (the same Parameter object: an optimizer holding it keeps working)
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _combined_method(cls, module, name, *args, **kwargs):
    """The new method for module.<name>, joined into a PruningContainer with the one already there, if any.

    The old method's hook is taken off; apply() registers the combined one.
    """
    found = [(key, hook) for key, hook in module._forward_pre_hooks.items()
             if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(found) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    for key, _ in found:
        del module._forward_pre_hooks[key]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if found:
        old = found[0][1]
        if not isinstance(old, PruningContainer):
            old = PruningContainer(old)
        old.add_pruning_method(method)
        method = old
    return method


class PruningContainer(BasePruningMethod):
    """Several pruning methods applied one after the other to one tensor (what pruning it twice makes).

    Each new method computes its mask only over the entries the earlier ones kept.
    """

    def __init__(self, *args):
        self._pruning_methods = ()
        if args:
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append a method acting on the same tensor."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """default_mask with the last method's choice written into the part it may choose from.

        unstructured: the entries still kept; structured: the slices along its dim with any entry
        kept; global: everything.
        """
        method = self._pruning_methods[-1]
        mask = default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            part = default_mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                     "`dim` defined.")
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            keep_channel = default_mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            part = tuple(keep_channel if d == dim else slice(None) for d in range(n_dims))
        elif method.PRUNING_TYPE == "global":
            part = (slice(None),) * t.dim()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        partial = method.compute_mask(t[part], default_mask=default_mask[part])
        mask[part] = partial.to(dtype=mask.dtype)
        return mask


class Identity(BasePruningMethod):
    """Prunes nothing (a mask of ones): the pruning machinery on a tensor, with every entry kept."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        """The mask already in place."""
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Register an all-ones mask on module.<name>."""
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` entries (a fraction, or a count) chosen at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """Drop the entries whose uniform random draws (one per entry, torch.rand_like) are the largest."""
        size = t.nelement()
        n_prune = _n_to_prune(self.amount, size)
        _validate_amount(n_prune, size)
        mask = default_mask.clone()
        if n_prune != 0:
            scores = rand_like(t)
            mask.view(-1)[scores.view(-1).topk(n_prune).indices] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        """Prune module.<name> at random."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the `amount` entries (a fraction, or a count) of smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """Drop the entries with the smallest |t|."""
        size = t.nelement()
        n_prune = _n_to_prune(self.amount, size)
        _validate_amount(n_prune, size)
        mask = default_mask.clone()
        if n_prune != 0:
            smallest = t.abs().view(-1).topk(n_prune, largest=False).indices
            mask.view(-1)[smallest] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        """Prune module.<name>'s smallest entries (by importance_scores, if given)."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` whole slices along `dim` (channels, rows...) chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        """Keep the slices whose random draws (torch.rand, one per slice) are above the n-th smallest."""
        _validate_structured(t)
        _validate_dim(t, self.dim)
        size = t.shape[self.dim]
        n_prune = _n_to_prune(self.amount, size)
        _validate_amount(n_prune, size)
        if n_prune == 0:
            return default_mask
        scores = rand(size)
        keep = scores > scores.kthvalue(n_prune).values
        mask = _slices_mask(t, self.dim, keep)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        """Prune random slices of module.<name> along dim."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` slices along `dim` of smallest L`n`-norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        """Keep the slices of largest norm."""
        _validate_structured(t)
        _validate_dim(t, self.dim)
        size = t.shape[self.dim]
        n_prune = _n_to_prune(self.amount, size)
        _validate_amount(n_prune, size)
        dims = list(range(t.dim()))
        del dims[self.dim]
        largest = _rd.norm(t, self.n, dims).topk(size - n_prune, largest=True).indices
        if n_prune == 0:
            return default_mask
        mask = _slices_mask(t, self.dim, largest)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        """Prune module.<name>'s slices of smallest norm along dim."""
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes with a mask given by the caller."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        """The given mask, combined with the mask already in place."""
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape "
                                 f"{self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        """Prune module.<name> where mask is 0."""
        return super().apply(module, name, mask=mask)


def _slices_mask(t, dim, which):
    """Zeros shaped like t, with ones in the slices along dim that `which` (a boolean mask or indices) picks."""
    mask = zeros_like(t)
    mask[tuple(which if d == dim % t.dim() else slice(None) for d in range(t.dim()))] = 1
    return mask


# ---- the functions -------------------------------------------------------------------------------
def identity(module, name):
    """Put the pruning machinery on module.<name> without pruning anything (a mask of ones); returns module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune `amount` random entries of module.<name> (a float: that fraction; an int: that many); returns module.

        >>> m = random_unstructured(nn.Linear(4, 3), name="weight", amount=0.3)
        >>> int((m.weight_mask == 0).sum())
        4
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the `amount` entries of module.<name> of smallest absolute value; returns module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune `amount` random slices of module.<name> along dim (e.g. output channels, dim=0); returns module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the `amount` slices of module.<name> along dim of smallest Ln-norm (n=1, 2, inf, "fro"...)."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune over several tensors at once, as if they were one: e.g. the 20% smallest weights of a whole network.

    parameters: (module, name) pairs; pruning_method: an unstructured method class (L1Unstructured,
    RandomUnstructured, ...) with its arguments in kwargs (amount=...). Each tensor gets its own
    share of the one mask (as a CustomFromMask pruning).
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)  # (walked three times below: a generator would be spent after the first)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = parameters_to_vector([importance_scores.get((module, name), getattr(module, name))
                                   for module, name in parameters])
    default_mask = parameters_to_vector([getattr(module, name + "_mask", ones_like(getattr(module, name)))
                                         for module, name in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        custom_from_mask(module, name, mask=final_mask[start:start + param.numel()].view_as(param))
        start += param.numel()


def custom_from_mask(module, name, mask):
    """Prune module.<name> where `mask` is 0; returns module."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of module.<name> permanent: it becomes a parameter with the pruned entries zero."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether module, or any module inside it, has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())


# ---- checks, with torch's messages ---------------------------------------------------------------
def _validate_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_amount(amount, tensor_size):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={tensor_size}")


def _validate_structured(t):
    if len(t.shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {t.shape} with {len(t.shape)} dims")


def _validate_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _n_to_prune(amount, tensor_size):
    """amount as a count: an int is one already; a fraction of tensor_size is rounded (half to even, as Python)."""
    return amount if isinstance(amount, numbers.Integral) else round(amount * tensor_size)
