"""ember.autograd: reverse-mode automatic differentiation (PyTorch's torch.autograd)."""
from .engine import backward, grad
from .explain import explain
from .function import Function
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .variable import Variable

__all__ = ["Function", "backward", "grad", "explain", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "Variable"]
