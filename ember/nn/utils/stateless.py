"""Calling a module with other tensors in place of its parameters and buffers (torch.nn.utils.stateless).

``functional_call(module, {"fc.weight": w, ...}, args)`` puts the given tensors where the module keeps its
parameters and buffers (its ``_parameters`` and ``_buffers`` entries, or plain attributes for names it does not
have), calls it, and puts the originals back, also when the call raises. Tied weights (one tensor under two names)
stay tied unless ``tie_weights=False``. ember.func.functional_call is the same call (this name is the older one and
warns, as torch's does).
"""
import contextlib
import warnings

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _submodule(module, path, memo):
    """The module at a dotted path ('' is the module itself), torch's errors on the way."""
    from ..modules.module import Module
    if not path:
        return module
    if path not in memo:
        prefix, _, attr = path.rpartition(".")
        parent = _submodule(module, prefix, memo)
        try:
            sub = getattr(parent, attr)
        except AttributeError:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from None
        if not isinstance(sub, Module):
            raise TypeError(f"submodule `{path}`: {sub} is not an instance of torch.nn.Module")
        memo[path] = sub
    return memo[path]


def _swap(module, name, tensor):
    """Put ``tensor`` (or _MISSING: remove) under ``name`` on module; returns what was there (or _MISSING)."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    for store in (module._parameters, module._buffers):
        if name in store:
            original = store[name]
            if tensor is _MISSING:
                del store[name]
            else:
                store[name] = tensor   # a plain Tensor may stand where a Parameter was, for the call
            return original
    original = getattr(module, name, _MISSING)
    if original is not _MISSING and original is not None and not isinstance(original, Tensor):
        raise TypeError(f"attribute `{name}`: {original} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif original is not _MISSING:
        delattr(module, name)
    return original


def _swap_all(module, named, memo):
    """Swap every entry of ``named``; returns the originals. Puts everything back if one swap fails."""
    originals = {}
    try:
        for name, tensor in named.items():
            prefix, _, attr = name.rpartition(".")
            originals[name] = _swap(_submodule(module, prefix, memo), attr, tensor)
    except Exception:
        _swap_all(module, originals, memo)
        raise
    return originals


def _all_named_tensors(module):
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untie(module, given):
    """The given dict with every name tied to a given name (the same tensor in the module) added, with its value;
    a ValueError if two tied names are given different values."""
    by_tensor = {}
    for name, tensor in _all_named_tensors(module).items():
        by_tensor.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in by_tensor.values() if len(names) > 1 for name in names}
    untied = dict(given)
    for name in given:
        if name in tied:
            names = tied[name]
            values = {id(given[n]) for n in names if n in given}
            if len(values) > 1:
                raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                                 "Consider using tie_weights=False")
            for n in names:
                untied[n] = given[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    named = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = set(_all_named_tensors(module))
        missing, unexpected = sorted(valid - set(named)), sorted(set(named) - valid)
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                                "\n\t".join(errors)))
    memo = {}
    originals = {}
    try:
        originals = _swap_all(module, named, memo)
        yield
    finally:
        current = _swap_all(module, originals, memo)
        # a module that assigned a new tensor to one of the names during the call: the caller's dict gets it
        parameters_and_buffers.update({k: current[k] for k in parameters_and_buffers if k in current})


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    from ..parallel import DataParallel
    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    kwargs = {} if kwargs is None else kwargs
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """module(*args, **kwargs) with the given tensors in place of its parameters and buffers (deprecated in torch:
    use ember.func.functional_call, the same call)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in "
                  "a future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
