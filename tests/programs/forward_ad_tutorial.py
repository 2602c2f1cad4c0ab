"""PyTorch's "Forward-mode Automatic Differentiation" tutorial, with its results printed.

Changes from the tutorial, for both libraries alike: a fixed seed and prints of the tangents it computes; the
functorch sections use torch.func (functorch is gone from current PyTorch): ``jvp``, and ``functional_call`` in
place of ``make_functional_with_buffers``. Tangents are printed detached: torch's tangent of a model's output is
differentiable again with respect to parameters that require grad (it shows a grad_fn), ember's is a plain tensor."""
import functools

import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
from torch.func import functional_call

torch.manual_seed(0)
torch.set_printoptions(precision=4)

primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)


def fn(x, y):
    return x ** 2 + y ** 2


with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent
    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
    plain_tensor = torch.randn(10, 10)
    dual_output = fn(dual_input, plain_tensor)
    jvp = fwAD.unpack_dual(dual_output).tangent
    print("basic:", jvp[:2].detach())
    print("alt:", fwAD.unpack_dual(fn(dual_input_alt, plain_tensor)).tangent[0])

assert fwAD.unpack_dual(dual_output).tangent is None

# Usage with Modules
model = nn.Linear(5, 5)
input = torch.randn(16, 5)

params = {name: p for name, p in model.named_parameters()}
tangents = {name: torch.rand_like(p) for name, p in params.items()}

with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))

    out = model(input)
    jvp = fwAD.unpack_dual(out).tangent
print("module:", jvp[:3].detach())

# Using the functional Module API
model = nn.Linear(5, 5)

dual_params = {}
with fwAD.dual_level():
    for name, p in params.items():
        dual_params[name] = fwAD.make_dual(p, tangents[name])
    out = functional_call(model, dual_params, input)
    jvp2 = fwAD.unpack_dual(out).tangent

assert torch.allclose(jvp, jvp2)
print("functional_call:", jvp2[:3].detach())


# Custom autograd Function
class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO


fn_apply = Fn.apply

primal = torch.randn(10, 10, dtype=torch.double, requires_grad=True)
tangent = torch.randn(10, 10)

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    dual_output = fn_apply(dual_input)
    jvp = fwAD.unpack_dual(dual_output).tangent
print("custom:", jvp[0].detach())

print("gradcheck:", torch.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True, check_backward_ad=False,
                                             check_undefined_grad=False, check_batched_grad=False))

# Functional API
primal0 = torch.randn(10, 10)
tangent0 = torch.randn(10, 10)
primal1 = torch.randn(10, 10)
tangent1 = torch.randn(10, 10)

primal_out, tangent_out = torch.func.jvp(fn, (primal0, primal1), (tangent0, tangent1))
print("func.jvp:", tangent_out[0])

primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)
y = torch.randn(10, 10)

new_fn = functools.partial(fn, y=y)
primal_out, tangent_out = torch.func.jvp(new_fn, (primal,), (tangent,))
print("partial:", tangent_out[0])

# the functional API with Modules
model = nn.Linear(5, 5)
input = torch.randn(16, 5)
tangents = tuple([torch.rand_like(p) for p in model.parameters()])
params = dict(model.named_parameters())


def func_params_only(*values):
    return functional_call(model, dict(zip(params, values)), (input,))


model_output, jvp_out = torch.func.jvp(func_params_only, tuple(params.values()), tangents)
print("module jvp:", jvp_out[:3].detach())
