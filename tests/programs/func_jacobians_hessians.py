"""PyTorch's "Jacobians, Hessians, hvp, vhp, and more" tutorial (torch.func), without its timing sections:
the predict(weight, bias, x) example through vjp, jacrev, jacfwd, batched Jacobians and Hessians, and hvp.

Two changes, both for ember: the Hessian section uses 16 features where the tutorial has 64 (jacrev(jacrev) is
one backward pass per element of the 64x64 Jacobian in ember, a minute; torch batches them with vmap), and the
batched Jacobian's check has atol=1e-5: ember's vmap computes one matrix-vector product per sample, which rounds
differently in float32 from torch's one batched product."""
import torch
import torch.nn.functional as F
from functools import partial

_ = torch.manual_seed(0)


def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


D = 16
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)  # feature vector


def compute_jac(xp):
    jacobian_rows = [torch.autograd.grad(predict(weight, bias, xp), xp, vec)[0]
                     for vec in unit_vectors]
    return torch.stack(jacobian_rows)


xp = x.clone().requires_grad_()
unit_vectors = torch.eye(D)

jacobian = compute_jac(xp)

print(jacobian.shape)
print(jacobian[0])  # show first row

from torch.func import vmap, vjp

_, vjp_fn = vjp(partial(predict, weight, bias), x)

ft_jacobian, = vmap(vjp_fn)(unit_vectors)

# let's confirm both methods compute the same result
assert torch.allclose(ft_jacobian, jacobian)

from torch.func import jacrev

ft_jacobian = jacrev(predict, argnums=2)(weight, bias, x)

# Confirm by running the following:
assert torch.allclose(ft_jacobian, jacobian)

ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)

# Note that the lines below compute the jacobian with respect to weight and bias
# using the autograd.functional API
ref_weight, ref_bias = torch.autograd.functional.jacobian(lambda w, b: predict(w, b, x), (weight, bias))
assert torch.allclose(ft_jac_weight, ref_weight)
assert torch.allclose(ft_jac_bias, ref_bias)
print(ft_jac_weight.shape, ft_jac_bias.shape)

from torch.func import jacrev, jacfwd

Din = 32
Dout = 2048
weight = torch.randn(Dout, Din)

bias = torch.randn(Dout)
x = torch.randn(Din)

using_fwd = jacfwd(predict, argnums=2)(weight, bias, x)
using_bwd = jacrev(predict, argnums=2)(weight, bias, x)
assert torch.allclose(using_fwd, using_bwd, atol=1e-5)
print(using_fwd.shape, using_fwd.sum().item().__round__(3))

from torch.func import hessian

Din = 16
Dout = 16
weight = torch.randn(Dout, Din)
bias = torch.randn(Dout)
x = torch.randn(Din)

hess_api = hessian(predict, argnums=2)(weight, bias, x)
hess_fwdfwd = jacfwd(jacfwd(predict, argnums=2), argnums=2)(weight, bias, x)
hess_revrev = jacrev(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
assert torch.allclose(hess_api, hess_fwdfwd, atol=1e-5)
assert torch.allclose(hess_api, hess_revrev, atol=1e-5)
print(hess_api.shape, round(hess_api.abs().sum().item(), 2))

batch_size = 64
Din = 31
Dout = 33

weight = torch.randn(Dout, Din)
print(f"weight shape = {weight.shape}")

bias = torch.randn(Dout)

x = torch.randn(batch_size, Din)

compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
batch_jacobian0 = compute_batch_jacobian(weight, bias, x)


def predict_with_output_summed(weight, bias, x):
    return predict(weight, bias, x).sum(0)


batch_jacobian1 = jacrev(predict_with_output_summed, argnums=2)(weight, bias, x).movedim(1, 0)
assert torch.allclose(batch_jacobian0, batch_jacobian1, atol=1e-5)
print(batch_jacobian0.shape, round(batch_jacobian0.sum().item(), 3))

compute_batch_hessian = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))

batch_hess = compute_batch_hessian(weight, bias, x[:8])
print(batch_hess.shape, round(batch_hess.sum().item(), 3))


def hvp(f, primals, tangents):
    return jvp(grad(f), primals, tangents)[1]


from torch.func import jvp, grad, vjp


def f(x):
    return x.sin().sum()


x = torch.randn(2048)
tangent = torch.randn(2048)

result = hvp(f, (x,), (tangent,))
assert torch.allclose(result, -x.sin() * tangent)


def hvp_revrev(f, primals, tangents):
    _, vjp_fn = vjp(grad(f), *primals)
    return vjp_fn(*tangents)


result_hvp_revrev = hvp_revrev(f, (x,), (tangent,))
assert torch.allclose(result, result_hvp_revrev[0])
print("hvp", result.shape, round(result.sum().item(), 4))
