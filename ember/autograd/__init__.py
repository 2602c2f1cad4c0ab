"""ember.autograd: reverse-mode automatic differentiation (PyTorch's torch.autograd)."""
from . import anomaly_mode
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled,
                           set_detect_anomaly)
from .engine import backward, grad
from .explain import explain
from .function import Function
from . import graph
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled, set_multithreading_enabled)
from .variable import Variable
from . import functional   # torch.autograd.functional: jacobian, hessian, vjp, jvp, vhp, hvp
from . import profiler, profiler_util   # torch.autograd.profiler: the recorder under ember.profiler
from . import forward_ad   # torch.autograd.forward_ad: dual tensors, tangents computed on the reverse graph

__all__ = ["Function", "backward", "grad", "explain", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "Variable",
           "detect_anomaly", "set_detect_anomaly"]
