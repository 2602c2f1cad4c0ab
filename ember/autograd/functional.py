"""Higher-order derivatives of a whole function (PyTorch's torch.autograd.functional).

Each function here calls ``func`` on fresh copies of the inputs that require grad, then asks ``autograd.grad`` for
the derivative it needs: a vector-Jacobian product is one backward pass, a Jacobian is one backward pass per output
element, a Jacobian-vector product is the "double backward trick" (the backward pass is linear in its incoming
gradient, so differentiating it with respect to that gradient runs it forwards). Only the public API is used.
"""
from ..creation import zeros_like
from ..ops.shape import stack
from ..tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---------------------------------------------------------------------------------------------------------------
# Helpers: tuples in and out, fresh inputs, zeros for unused inputs, the strict-mode checks


def _as_tuple(x, arg_name, fn_name):
    """(was it a tuple?, a tuple of Tensors): functions accept one Tensor or a tuple of them, nothing else."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(el)}.")
    return is_tuple, items


def _unpack(res, was_tuple):
    """Undo _as_tuple: a single Tensor goes back unwrapped. ``was_tuple`` may be a pair (outer, inner) for the
    tuple-of-tuples a Jacobian is."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(el[0] for el in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _fresh(inputs, create_graph, need_graph):
    """New Tensor objects for func to see, so a tensor func captured from outside is told apart from its argument.
    With create_graph the copy stays attached to the caller's graph (a view); otherwise it is a detached leaf."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in inputs)


def _finish(res, create_graph):
    """Results carry a graph only when the caller asked for one; nested tuples are walked."""
    if isinstance(res[0], Tensor):
        return res if create_graph else tuple(t.detach() for t in res)
    return tuple(_finish(r, create_graph) for r in res)


def _check_v(v, other, is_other_tuple):
    """v must hold one Tensor of the same size per Tensor of ``other``."""
    if len(v) != len(other):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.size() != b.size():
            prefix = f"Entry {i} in " if is_other_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.size()} but got {a.size()}.")


def _prepare_v(v, other, is_other_tuple, fn_name, create_graph, none_message):
    """v as a tuple of fresh Tensors checked against ``other``; None is allowed only when other is one element."""
    if v is None:
        if len(other) != 1 or other[0].nelement() != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _fresh(v, create_graph, need_graph=False)
    _check_v(v, other, is_other_tuple)
    return v


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
               "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect "
                "to input {i} is independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is twice differentiable and that the jacobian depends on the inputs (this "
                "would be violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice "
               "differentiable and that the hessian depends on the inputs.",
}


def _check_requires_grad(tensors, kind, strict):
    """In strict mode, every tensor must exist and be part of a graph (else the derivative is identically zero)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad that skips outputs without a graph (and None ones); None for inputs nothing reaches."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, grads = zip(*pairs)
    return _grad(outs, inputs, grads, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. "
            "This is not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. "
                  "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Replace a None gradient (input not used) by zeros shaped like ``refs[i]``, or refuse in strict mode."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


# ---------------------------------------------------------------------------------------------------------------
# vjp, jvp


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Return ``(func(*inputs), v^T J)``: the vector-Jacobian product of func at inputs, one backward pass.
    ``v`` may be left out when func returns a single one-element Tensor."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, is_outputs_tuple, "vjp", create_graph,
                       "The vector v can only be None if the user-provided function returns a single Tensor with "
                       "a single element.")

    # the backward pass itself records a graph only when asked to
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(res, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Return ``(func(*inputs), J v)``: the Jacobian-vector product, by the double backward trick.
    ``v`` may be left out when the input is a single one-element Tensor."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, "jvp", create_graph,
                       "The vector v can only be None if the input to the user-provided function is a single "
                       "Tensor with a single element.")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # g -> g^T J is linear in g, so its values do not matter (zeros: no inf or nan can leak in); what matters is
        # that the backward pass is recorded as a function of g, whose own backward then gives J v.
        dummy = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummy, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(grad_inputs, dummy, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(res, create_graph), is_outputs_tuple))


# ---------------------------------------------------------------------------------------------------------------
# jacobian, hessian

_STRATEGY_MESSAGE = ('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has '
                     'more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
                     '"reverse-mode".')


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """Return the Jacobian of func at inputs: for output i and input j, a Tensor of shape
    ``output_i.shape + input_j.shape`` (a tuple of tuples when both are tuples), one backward pass per output element.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY_MESSAGE)
    if strategy == "forward-mode":
        # ember has no forward-mode AD; torch's errors come first, then the same numbers by the reverse route
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                               'not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        _as_tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize:
            if strict:
                raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                                   "not supported together. Please either set `strict=False` or "
                                   "`vectorize=False`.")
            # torch batches all the backward passes into one with vmap; ember runs them one row at a time, which
            # gives the same numbers. Like torch, it builds one Tensor per input over all outputs and splits it.
            jac = _jacobian_rows_then_split(outputs, inputs, create_graph)
        else:
            jac = tuple(_jacobian_of_output(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
        jac = _finish(jac, create_graph)
        if strategy == "forward-mode":
            jac = [list(row) for row in jac]   # torch's forward route builds lists: a tuple of inputs gives lists
        return _unpack(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_of_output(i, out, inputs, create_graph, strict):
    """d out / d inputs: one Tensor per input, shaped out.shape + input.shape, built a row (an element) at a time."""
    rows = tuple([] for _ in inputs)
    flat = out.reshape(-1)
    for k in range(out.nelement()):
        grads = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. "
                                       "This is not allowed in strict mode.")
                g = zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                # torch's message names the output's index here, kept as it is
                raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                   "This is not allowed in strict mode when create_graph=True.")
            rows[j].append(g)
    return tuple(stack(r).view(out.size() + inp.size()) for r, inp in zip(rows, inputs))


def _jacobian_rows_then_split(outputs, inputs, create_graph):
    """vectorize=True: per input, one (total output elements, *input.shape) Tensor, split into one per output."""
    numels = [out.nelement() for out in outputs]
    flats = [out.reshape(-1) for out in outputs]
    rows = tuple([] for _ in inputs)
    for flat, n in zip(flats, numels):
        for k in range(n):
            grads = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
            for j, g in enumerate(grads):
                rows[j].append(g)
    per_input = []
    for r, inp in zip(rows, inputs):
        if all(g is None for g in r):
            # nothing reaches this input: zeros without a graph, as torch's expanded zeros
            whole = zeros_like(inp).expand((sum(numels),) + tuple(inp.shape))
        else:
            whole = stack([zeros_like(inp) if g is None else g for g in r])
        per_input.append([part.view(out.size() + inp.size())
                          for part, out in zip(whole.split(numels, dim=0), outputs)])
    return tuple(zip(*per_input))   # outputs outside, inputs inside


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Return the Hessian of a scalar func at inputs: the Jacobian of its gradient, shaped
    ``input_i.shape + input_j.shape`` (a tuple of tuples for a tuple of inputs)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if is_out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def gradient(*inp):
        # the inner Jacobian keeps its graph so that the outer one can differentiate it again
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _unpack(res, (is_inputs_tuple, is_inputs_tuple))


# ---------------------------------------------------------------------------------------------------------------
# vhp, hvp


def _scalar_output(func, inputs, fn_name, strict):
    """Run func on inputs; it must return one one-element Tensor."""
    is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    return outputs


_V_NONE_FOR_INPUT = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                     "with a single element.")


def _gradient_of_scalar(func, inputs, v, fn_name, create_graph, strict):
    """What vhp and hvp start from (call it with grad mode on): whether inputs was a tuple, the fresh inputs, the
    checked v, func's scalar output, and its gradient with a graph (to be differentiated once more)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _fresh(inputs, create_graph, need_graph=True)
    v = _prepare_v(v, inputs, is_inputs_tuple, fn_name, create_graph, _V_NONE_FOR_INPUT)
    outputs = _scalar_output(func, inputs, fn_name, strict)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, inputs, v, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Return ``(func(*inputs), v^T H)`` for a scalar func: the gradient's vector-Jacobian product."""
    with enable_grad():
        is_inputs_tuple, inputs, v, outputs, jac = _gradient_of_scalar(func, inputs, v, "vhp", create_graph, strict)

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Return ``(func(*inputs), H v)`` for a scalar func, by the double backward trick on the gradient.
    (H is symmetric for a twice continuously differentiable func, so this equals vhp; it is computed the other way.)
    """
    with enable_grad():
        is_inputs_tuple, inputs, v, outputs, jac = _gradient_of_scalar(func, inputs, v, "hvp", create_graph, strict)
        # as in jvp: u -> u^T H is linear in u, recorded with u a dummy leaf; its backward with v gives H v
        dummy = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, dummy, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)   # torch checks jac here (not double_back): kept

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(double_back, dummy, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), is_inputs_tuple)
