"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian (torch.func), on ember's autograd.

Each transform runs func inside a Level (ember/func/_levels.py): func gets fresh inputs that require grad, the
derivative comes from ``autograd.grad``, and the results are released (detached unless something outside can still
differentiate them). Because the backward pass is recorded whenever an outer transform (or the user's own graph)
is live, the transforms compose: ``grad(grad(f))``, ``jacrev(jacrev(f))``, ``vmap(grad(f))``,
``hessian = jacfwd(jacrev(f))``.

ember has no forward-mode AD. ``jvp`` and ``jacfwd`` use the double-vjp trick: the backward pass
u -> J^T u is linear in u, so recording it with a dummy u and differentiating it with respect to u in the direction
t gives J t. The numbers are the Jacobian's, as forward mode gives them; the cost is a backward pass and its
backward, where torch's forward mode is one pass alongside the forward.
"""
import functools

from ..autograd.engine import grad as _autograd_grad
from ..creation import eye, zeros, zeros_like
from ..ops.shape import stack
from ..tensor import Tensor
from ._levels import Level
from ._pytree import tree_flatten, tree_map
from .vmap import _Randomness, _check_randomness

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# ---------------------------------------------------------------------------------------------------------------
# helpers: argnums, aux, checks, one backward pass


def _argnums_tuple(argnums, num_args):
    """argnums as torch checks it: an int or a non-empty tuple of distinct ints, each naming a positional input
    (negative ones count from the end). Returns the normalised int or tuple."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")

    def one(n):
        if not isinstance(n, int):
            raise RuntimeError(f"argnum must be int, got: {type(n)}")
        if not -num_args <= n < num_args:
            raise RuntimeError(f"Got argnum={n}, but only {num_args} positional inputs")
        return n % num_args

    if isinstance(argnums, int):
        return one(argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    normalised = tuple(one(n) for n in argnums)
    if len(set(normalised)) != len(normalised):
        raise RuntimeError(f"argnums elements must be unique, got {normalised}")
    return normalised


def _fresh_args(level, args, argnums):
    """(the arguments with those named by argnums replaced by the level's fresh copies, the differentiated part:
    that argument, or a tuple of them)."""
    argnums = _argnums_tuple(argnums, len(args))
    args = list(args)
    for i in (argnums if isinstance(argnums, tuple) else (argnums,)):
        args[i] = tree_map(level.fresh, args[i])
    diff = tuple(args[i] for i in argnums) if isinstance(argnums, tuple) else args[argnums]
    return args, diff


def _split_aux(output, has_aux, message):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(message)
    output, aux = output
    for leaf in tree_flatten(aux)[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return output, aux


def _only_tensors(flat, where):
    for t in flat:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{where}: expected f(*primals) to return only tensors, got unsupported type {type(t)}")


def _release_tree(level, tree):
    return tree_map(level.release, tree)


def _backward(level, outputs, inputs, grad_outputs, create_graph=None):
    """d(outputs)/d(inputs) weighted by grad_outputs (None: a one-element output's 1), zeros for an input nothing
    reaches. The backward pass is recorded only if the outputs reach something live outside the level (unless
    ``create_graph`` says otherwise). The graph is kept: a transform may go back through it again."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    grads = (None,) * len(inputs)
    if pairs:
        outs, gos = zip(*pairs)
        if create_graph is None:
            create_graph = level.reaches_live(list(outs) + [g for g in gos if g is not None])
        grads = _autograd_grad(outs, inputs, gos, retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


def _basis(t):
    """The standard basis of t's space, one Tensor shaped like t per element (rows of an identity matrix)."""
    n = t.numel()
    identity = eye(n, dtype=t.dtype, device=t.device)
    return [identity[k].view(t.shape) for k in range(n)]


# ---------------------------------------------------------------------------------------------------------------
# grad, grad_and_value, vjp


def grad_and_value(func, argnums=0, has_aux=False):
    """A function that returns ``(gradient of func at the inputs, func's value)``; func must return a scalar
    Tensor (with ``has_aux``: ``(scalar, aux)``, and the result is ``(gradient, (value, aux))``). The gradient has
    the structure of the inputs named by argnums (a tuple of them when argnums is a tuple)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with Level() as level:
            args, diff = _fresh_args(level, args, argnums)
            output = func(*args, **kwargs)
            output, aux = _split_aux(output, has_aux, "grad_and_value(f)(*args): output of function f should be a "
                                                      "tuple: (output, aux) if has_aux is True")
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(output)}")
            if output.dim() != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                                   "APIs instead?")
            flat, spec = tree_flatten(diff)
            grads = _backward(level, [output], flat, [None])
        grads = spec.unflatten([level.release(g) for g in grads])
        value = level.release(output)
        if has_aux:
            return grads, (value, _release_tree(level, aux))
        return grads, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function that returns the gradient of func (which returns a scalar Tensor) with respect to the inputs
    named by argnums; with ``has_aux`` func returns ``(scalar, aux)`` and the result is ``(gradient, aux)``."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``, and aux last with ``has_aux``: ``vjp_fn(cotangents)`` returns, for each primal,
    the cotangents pulled back through func (v^T J). vjp_fn may be called again and again."""
    with Level() as level:
        fresh = tree_map(level.fresh, primals)
        flat_primals, primals_spec = tree_flatten(fresh)
        output = func(*fresh)
        output, aux = _split_aux(output, has_aux, "vjp(f, *primals): output of function f should be a tuple: "
                                                  "(output, aux) if has_aux is True")
        flat_out, out_spec = tree_flatten(output)
        _only_tensors(flat_out, "vjp(f, *primals)")
    released = out_spec.unflatten([level.release(o) for o in flat_out])

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {ct_spec.pretty()}, primal output: {out_spec.pretty()}")
        with Level() as call:   # the caller's transforms decide whether the result keeps a graph
            grads = _backward(call, flat_out, flat_primals, flat_ct, create_graph)
        return primals_spec.unflatten([call.release(g) for g in grads])

    if has_aux:
        return released, vjp_fn, _release_tree(level, aux)
    return released, vjp_fn


# ---------------------------------------------------------------------------------------------------------------
# jvp: the double-vjp trick


def _forward_products(level, outputs, inputs, tangent_sets):
    """For each list of tangents (one per input, None for zero), J t for every output, by the double-vjp trick.
    Returns a list (per tangent set) of lists (per output)."""
    diff = [i for i, o in enumerate(outputs) if o.requires_grad]
    results = [[zeros_like(o) for o in outputs] for _ in tangent_sets]
    if not diff:
        return results
    # u -> J^T u, recorded as a function of dummy leaves u (their values do not matter: it is linear in u)
    dummies = [level.leaf(zeros_like(outputs[i])) for i in diff]
    back = _autograd_grad([outputs[i] for i in diff], inputs, dummies, retain_graph=True, create_graph=True,
                          allow_unused=True)
    create_graph = level.reaches_live([b for b in back if b is not None]
                                      + [t for ts in tangent_sets for t in ts if t is not None])
    for res, tangents in zip(results, tangent_sets):
        pairs = [(b, t) for b, t in zip(back, tangents) if b is not None and t is not None and b.requires_grad]
        if not pairs:
            continue
        bs, ts = zip(*pairs)
        # d/du <J^T u, t> = J t
        products = _autograd_grad(bs, dummies, ts, retain_graph=True, create_graph=create_graph, allow_unused=True)
        for i, p in zip(diff, products):
            if p is not None:
                res[i] = p
    return results


def _check_tangents(flat_primals, flat_tangents):
    for p in flat_primals:
        if not isinstance(p, Tensor):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals to only contain Tensors, got {type(p)}")
    for t in flat_tangents:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected tangents to only contain Tensors, got {type(t)}")
    for p, t in zip(flat_primals, flat_tangents):
        if t.shape != p.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J t)``: the Jacobian-vector product of func at primals in the direction tangents (the same
    structure as primals); aux last with ``has_aux``. Computed by the double-vjp trick (ember has no forward-mode
    AD): the backward pass u -> J^T u, differentiated with respect to u in the direction t, is J t."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
                           f"primals with structure {primals_spec} and tangents with structure {tangents_spec}")
    if not flat_primals:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to contain at least one Tensor.")
    _check_tangents(flat_primals, flat_tangents)
    if strict:
        raise RuntimeError("jvp(f, primals, tangents, strict=True): strict=True is not implemented in ember")
    with Level() as level:
        fresh = [level.fresh(p) for p in flat_primals]
        output = func(*primals_spec.unflatten(fresh))
        output, aux = _split_aux(output, has_aux, "jvp(f, primals, tangents): output of function f should be a "
                                                  "tuple: (output, aux) if has_aux is True")
        flat_out, out_spec = tree_flatten(output)
        _only_tensors(flat_out, "jvp(f, primals, tangents)")
        [products] = _forward_products(level, flat_out, fresh, [flat_tangents])
    out = out_spec.unflatten([level.release(o) for o in flat_out])
    products = out_spec.unflatten([level.release(p) for p in products])
    if has_aux:
        return out, products, _release_tree(level, aux)
    return out, products


# ---------------------------------------------------------------------------------------------------------------
# Jacobians and the Hessian


def _assemble(level, flat_out, out_spec, flat_in, in_spec, blocks, aux, has_aux):
    """blocks[o][i] is d out_o / d in_i; returns them nested as torch does (the outputs' structure, each holding the
    inputs' structure), released, with aux."""
    jac = out_spec.unflatten([in_spec.unflatten([level.release(b) for b in row]) for row in blocks])
    return (jac, _release_tree(level, aux)) if has_aux else jac


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function that returns the Jacobian of func with respect to the inputs named by argnums, by reverse mode:
    one backward pass per output element. For output o and input x the block has shape ``o.shape + x.shape``.
    (chunk_size is accepted; ember computes the rows one at a time anyway.)"""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
            raise ValueError("jacrev: `chunk_size` should be greater than 0.")
        with Level() as level:
            args, diff = _fresh_args(level, args, argnums)
            output = func(*args, **kwargs)
            output, aux = _split_aux(output, has_aux, "vjp(f, *primals): output of function f should be a tuple: "
                                                      "(output, aux) if has_aux is True")
            flat_out, out_spec = tree_flatten(output)
            _only_tensors(flat_out, "vjp(f, *primals)")
            for o in flat_out:
                if not o.is_floating_point():
                    raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex Tensors, "
                                       f"got Tensor with dtype {o.dtype}")
            flat_in, in_spec = tree_flatten(diff)
            create_graph = level.reaches_live(flat_out)
            blocks = []
            for o in flat_out:
                rows = [_backward(level, [o], flat_in, [e], create_graph) for e in _basis(o)]
                blocks.append([stack([r[i] for r in rows]).view(o.shape + x.shape) if rows
                               else zeros(o.shape + x.shape, dtype=x.dtype, device=x.device)
                               for i, x in enumerate(flat_in)])
        return _assemble(level, flat_out, out_spec, flat_in, in_spec, blocks, aux, has_aux)
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """A function that returns the Jacobian of func with respect to the inputs named by argnums, column by column
    (one Jacobian-vector product per input element, by the double-vjp trick: ember has no forward mode).
    randomness is vmap's: torch runs func under vmap here, so with 'error' a random draw in func raises; func runs
    once in ember, so 'different' draws once, like 'same'."""
    _check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with Level() as level:
            args, diff = _fresh_args(level, args, argnums)
            with _Randomness(randomness) as draws:
                draws.start_sample(0)
                output = func(*args, **kwargs)
            output, aux = _split_aux(output, has_aux, "jvp(f, primals, tangents): output of function f should be a "
                                                      "tuple: (output, aux) if has_aux is True")
            flat_out, out_spec = tree_flatten(output)
            _only_tensors(flat_out, "jvp(f, primals, tangents)")
            flat_in, in_spec = tree_flatten(diff)
            sets = []     # one tangent set per input element: its basis vector, None (zero) for the other inputs
            for i, x in enumerate(flat_in):
                for e in _basis(x):
                    sets.append([e if j == i else None for j in range(len(flat_in))])
            columns = _forward_products(level, flat_out, flat_in, sets)
            blocks, start = [[] for _ in flat_out], 0
            for x in flat_in:
                n = x.numel()
                for k, o in enumerate(flat_out):
                    cols = [columns[start + j][k] for j in range(n)]
                    blocks[k].append(stack(cols, -1).view(o.shape + x.shape) if n
                                     else zeros(o.shape + x.shape, dtype=o.dtype, device=o.device))
                start += n
        return _assemble(level, flat_out, out_spec, flat_in, in_spec, blocks, aux, has_aux)
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of func (a scalar function) with respect to the inputs named by argnums:
    ``jacfwd(jacrev(func, argnums), argnums)``, as torch composes it."""
    return jacfwd(jacrev(func, argnums), argnums)
