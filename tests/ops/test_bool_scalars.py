"""A Python bool as the other operand of an arithmetic operator: torch treats it as the number 0 or 1 (for a bool
tensor, as a bool), refuses subtraction with any bool, and differentiates through the rest. The rule is checked
over every operator, both sides, and float (with a gradient), integer and bool tensors. (`True ** x` is left out:
torch 2.13 fails there with an internal assert.)"""
import operator

import numpy as np
import pytest
import torch

import ember

OPERATORS = {
    "add": operator.add, "radd": lambda a, b: b + a, "sub": operator.sub, "rsub": lambda a, b: b - a,
    "mul": operator.mul, "rmul": lambda a, b: b * a, "truediv": operator.truediv, "rtruediv": lambda a, b: b / a,
    "pow": operator.pow, "floordiv": operator.floordiv, "mod": operator.mod,
    "method_mul": lambda a, b: a.mul(b), "method_add": lambda a, b: a.add(b), "method_sub": lambda a, b: a.sub(b),
    "method_div": lambda a, b: a.div(b), "torch_mul": lambda a, b: type(a).__module__ and _lib(a).mul(a, b),
}
TENSORS = {"float": ([1.5, -2.0, 0.25], True), "int": ([1, 2, -3], False), "bool": ([True, False, True], False)}


def _lib(t):
    return ember if isinstance(t, ember.Tensor) else torch


def _run(lib, op, values, grad, scalar):
    x = lib.tensor(values, requires_grad=grad)
    try:
        y = OPERATORS[op](x, scalar)
        result = (str(y.dtype).split(".")[-1], np.asarray(y.detach().numpy(), dtype=float))
        if grad and y.requires_grad:
            y.sum().backward()
            result += (x.grad.numpy().tolist(),)
    except Exception as error:
        return type(error)
    return result


@pytest.mark.parametrize("scalar", [True, False])
@pytest.mark.parametrize("kind", TENSORS)
@pytest.mark.parametrize("op", OPERATORS)
def test_a_bool_scalar_operand_as_torch(op, kind, scalar):
    values, grad = TENSORS[kind]
    with np.errstate(all="ignore"):
        got, want = _run(ember, op, values, grad, scalar), _run(torch, op, values, grad, scalar)
    if isinstance(want, type):
        assert got is want
        return
    assert not isinstance(got, type), f"ember raised {got.__name__}; torch gave {want}"
    assert got[0] == want[0]
    np.testing.assert_array_equal(got[1], want[1])
    assert got[2:] == want[2:]


def test_subtracting_a_bool_scalar_names_the_fix():
    x = ember.tensor([1.5, 2.0])
    for f in (lambda: x - True, lambda: False - x, lambda: x.sub(True), lambda: ember.sub(x, True)):
        with pytest.raises(RuntimeError, match="logical_not"):
            f()
