"""Check analytic gradients against central finite differences, in float64.

For each input element x_i: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) is
column i of the Jacobian, numerically; backward with each one-hot output
gradient gives the rows, analytically. They must agree to atol + rtol*|numeric|.
"""
import numpy as np

from .engine import grad as autograd_grad
from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, tuple) else (out,)


def _numeric_jacobian(fn, inputs, index, eps):
    data = inputs[index]._data
    columns = []
    for i in np.ndindex(data.shape):  # C order, whatever the input's memory layout
        original = data[i]
        data[i] = original + eps  # grad mode stays on: fn may itself differentiate (gradgradcheck)
        plus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
        data[i] = original - eps
        minus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
        data[i] = original
        columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def _analytic_jacobian(fn, inputs, index, create_graph=False):
    outputs = [o for o in _outputs(fn, inputs)]
    rows = []
    for k, out in enumerate(outputs):
        for j in range(out._data.size):
            seeds = [_wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outputs]  # C order: ravel is a view
            seeds[k]._data.reshape(-1)[j] = 1
            differentiable = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
            if not differentiable:
                rows.append(np.zeros(inputs[index]._data.size))
                continue
            (g,) = autograd_grad([o for o, _ in differentiable], [inputs[index]], [s for _, s in differentiable],
                                 retain_graph=True, allow_unused=True)
            rows.append(np.zeros(inputs[index]._data.size) if g is None else g._data.astype(np.float64).reshape(-1))
    return np.stack(rows) if rows else np.zeros((0, 0))


def _forward_jacobian(fn, inputs, index):
    """The Jacobian's columns by forward AD: the output tangents of inputs[index] made dual along each unit vector."""
    from . import forward_ad
    x = inputs[index]
    columns = []
    for i in np.ndindex(x._data.shape):
        direction = np.zeros(x._data.shape, x._data.dtype)
        direction[i] = 1
        with forward_ad.dual_level():
            dual = forward_ad.make_dual(x.detach(), _wrap(direction))
            outputs = _outputs(fn, inputs[:index] + (dual,) + inputs[index + 1:])
            tangents = [forward_ad.unpack_dual(o).tangent for o in outputs]
        columns.append(np.concatenate([np.zeros(o._data.size) if t is None else t._data.astype(np.float64).reshape(-1)
                                       for o, t in zip(outputs, tangents)]))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, check_forward_ad=False,
              check_backward_ad=True, **_ignored):
    """True when every input's analytic gradient matches finite differences (float64 inputs expected); with
    ``check_forward_ad`` the forward-AD Jacobian too, and with ``check_backward_ad=False`` not the backward one."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for index, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        if x._data.dtype != np.float64:
            import warnings
            warnings.warn(f"Input #{index} requires gradient and is not a double precision floating point: "
                          "gradcheck is only reliable in float64", stacklevel=2)
        numeric = _numeric_jacobian(func, inputs, index, eps)
        computed = [_analytic_jacobian(func, inputs, index)] if check_backward_ad else []
        if check_forward_ad:
            computed.append(_forward_jacobian(func, inputs, index))
        for analytic in computed:
            if numeric.size == 0 and analytic.size == 0:
                continue  # an empty input or output: nothing to compare
            if numeric.shape != analytic.shape or not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {index},\n"
                                         f"numerical:{numeric}\nanalytical:{analytic}\n")
                return False
    return True


def gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """gradcheck of the gradient itself: checks second derivatives through create_graph=True."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    differentiable = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]

    def first_derivatives(*xs):
        outputs = _outputs(func, xs)
        seeds = [_wrap(np.ones(o._data.shape, o._data.dtype)) for o in outputs]
        wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = autograd_grad(outputs, wrt, seeds, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else w * 0 for g, w in zip(grads, wrt))

    if not differentiable:
        return True
    return gradcheck(first_derivatives, inputs, eps, atol, rtol, raise_exception)
