"""ember.func: PyTorch's function transforms (torch.func) on ember's autograd.

``grad``, ``grad_and_value``, ``vjp``, ``jacrev`` differentiate with autograd.grad; ``jvp``, ``jacfwd`` and
``hessian`` use the double-vjp trick (ember has no forward-mode AD); ``vmap`` runs the function once per batch
element and stacks the results; ``functional_call`` runs a module on given parameters; ``stack_module_state``
stacks several models' parameters for vmap. The transforms nest (``vmap(grad(f))``, ``jacfwd(jacrev(f))``):
ember/func/_levels.py explains how on a single graph.
"""
from ._functional_call import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "stack_module_state"]
