"""In-place ops leave torch's graph, torch's values and torch's gradients, on every kind of target.

The rule: an in-place op is recorded as the op's own node(s), whose edge for self goes straight to self's history (the
value from before the write is a saved copy, never a node). Through a view, the base's new node is a CopySlices that
holds the op's node: its edges are the base's old history and the op's other inputs. Each test below runs one op on
one target in ember and in torch (float64) and compares the whole graph (every node reached along next_functions,
with which node each edge leads to), the values, the gradients, the second derivatives, and torch's errors.
"""
import re
import zlib

import numpy as np
import pytest
import torch

import ember

SHAPE = (3, 4)


class Leaves:
    """The leaves of one case, made on demand, the same numbers in both libraries (keyed by name and shape)."""

    def __init__(self, lib):
        self.lib, self.made = lib, {}

    def __call__(self, name, shape, positive=False):
        key = (name, tuple(shape), positive)
        if key not in self.made:
            rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
            values = rng.uniform(0.5, 1.5, shape)
            if not positive:
                values *= rng.choice([-1.0, 1.0], shape)
            self.made[key] = self.lib.tensor(values, dtype=self.lib.float64, requires_grad=True)
        return self.made[key]


def _mask(t, shape):
    return t.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 3 == 0)


def _last(t, x, k):
    """An index along the last dim of x (its first and last entries) and a source for it."""
    n = x.shape[-1]
    return t.tensor([0, n - 1]), k("src", tuple(x.shape[:-1]) + (2,))


def _scatter_index(t, x):
    n = x.shape[-1]
    rows = np.arange(int(np.prod(x.shape[:-1]))).reshape(tuple(x.shape[:-1]) + (1,)) % n
    return t.tensor(rows)


def _dropout(t, x, k):
    t.manual_seed(0)
    return t.nn.functional.dropout(x, 0.5, True, True)


def _matrix_update(t, x, k):
    if x.ndim == 2:
        return x.addmm_(k("m1", (x.shape[0], 2)), k("m2", (2, x.shape[1])), beta=0.5, alpha=2)
    return x.addmv_(k("m", (x.shape[0], 2)), k("vec", (2,)), beta=0.5, alpha=2)


# each op: (lib, x, leaves) -> writes into x in place
OPS = {
    # unary
    "sin_": lambda t, x, k: x.sin_(),
    "exp_": lambda t, x, k: x.exp_(),  # saves its result
    "relu_": lambda t, x, k: x.relu_(),
    "sigmoid_": lambda t, x, k: x.sigmoid_(),
    "tanh_": lambda t, x, k: x.tanh_(),
    "clamp_": lambda t, x, k: x.clamp_(-0.9, 0.9),
    "clamp_min_": lambda t, x, k: x.clamp_(min=0),
    "abs_": lambda t, x, k: x.abs_(),
    "neg_": lambda t, x, k: x.neg_(),
    "square_": lambda t, x, k: x.square_(),
    "F.relu_inplace": lambda t, x, k: t.nn.functional.relu(x, inplace=True),
    "F.leaky_relu_inplace": lambda t, x, k: t.nn.functional.leaky_relu(x, 0.1, inplace=True),
    "F.elu_inplace": lambda t, x, k: t.nn.functional.elu(x, inplace=True),
    "F.hardtanh_inplace": lambda t, x, k: t.nn.functional.hardtanh(x, inplace=True),
    "F.dropout_inplace": _dropout,
    # with other operands
    "add_": lambda t, x, k: x.add_(k("b", x.shape), alpha=2),
    "add_scalar_": lambda t, x, k: x.add_(1.5),
    "iadd": lambda t, x, k: x.__iadd__(k("b", x.shape)),
    "mul_": lambda t, x, k: x.mul_(k("b", x.shape)),
    "mul_scalar_": lambda t, x, k: x.mul_(2),
    "imul": lambda t, x, k: x.__imul__(k("b", x.shape)),
    "sub_": lambda t, x, k: x.sub_(k("b", x.shape[-1:])),  # broadcast
    "div_": lambda t, x, k: x.div_(k("p", x.shape, True)),
    "itruediv_scalar": lambda t, x, k: x.__itruediv__(4.0),
    "pow_": lambda t, x, k: x.pow_(2),
    "pow_tensor_": lambda t, x, k: x.abs_().add_(0.5).pow_(k("e", x.shape)),
    "addcmul_": lambda t, x, k: x.addcmul_(k("b", x.shape), k("c", x.shape), value=0.5),
    "addcdiv_": lambda t, x, k: x.addcdiv_(k("b", x.shape), k("p", x.shape, True), value=0.5),
    "lerp_": lambda t, x, k: x.lerp_(k("b", x.shape), 0.3),
    "lerp_tensor_weight_": lambda t, x, k: x.lerp_(k("b", x.shape), k("w", x.shape, True) * 0.5),
    "masked_fill_": lambda t, x, k: x.masked_fill_(_mask(t, x.shape), 0.5),
    "copy_": lambda t, x, k: x.copy_(k("b", x.shape)),
    "copy_broadcast_": lambda t, x, k: x.copy_(k("b", x.shape[-1:])),
    "fill_": lambda t, x, k: x.fill_(2.0),
    "zero_": lambda t, x, k: x.zero_(),
    "index_add_": lambda t, x, k: x.index_add_(-1, *_last(t, x, k)),
    "scatter_": lambda t, x, k: x.scatter_(-1, _scatter_index(t, x), k("src", tuple(x.shape[:-1]) + (1,))),
    "scatter_add_": lambda t, x, k: x.scatter_add_(-1, _scatter_index(t, x), k("src", tuple(x.shape[:-1]) + (1,))),
    "xlogy_": lambda t, x, k: x.xlogy_(k("p", x.shape, True)),  # composite in ember
    "addmm_or_addmv_": _matrix_update,  # composite in ember
    "atan2_": lambda t, x, k: x.atan2_(k("b", x.shape)),
    "setitem_tensor": lambda t, x, k: x.__setitem__(0, k("b", x.shape[1:])),
    "setitem_mask": lambda t, x, k: x.__setitem__(_mask(t, x.shape), 0.0),
    "chain": lambda t, x, k: x.mul_(k("b", x.shape)).sin_().add_(1),
}


def _target(name, t, k):
    """(the tensor the op writes into, the tensors whose graphs and gradients are compared, an op-runner hook)."""
    a = k("a", SHAPE)
    if name == "nonleaf":
        y = a * 1
        return [y], [y]
    if name == "clone":
        y = a.clone()
        return [y], [y]
    if name == "nonleaf_of_two":
        y = a * k("c0", SHAPE)
        return [y], [y]
    y = a.clone()
    if name == "select":
        x = y[0]
        return [x], [y, x]
    if name == "slice_step":
        x = y[1:, ::2]
        return [x], [y, x]
    if name == "transpose":
        x = y.t()
        return [x], [y, x]
    if name == "view":
        x = y.view(2, 6)
        return [x], [y, x]
    if name == "chained":
        x = y.t()[1:]
        return [x], [y, x]
    if name == "view_of_view":
        v = y[1:]
        x = v[:, 1:]
        return [x], [y, v, x]
    if name == "two_views":  # the op on each of two views of one base; the first is used again afterwards
        v1, v2 = y[0], y[2]
        return [v1, v2], [y, v1, v2]
    if name == "used_before":  # the view was used before the write: that use keeps the old history
        x = y[1]
        z = x * 3
        return [x], [y, x, z]
    if name == "view_then_whole":  # through a view, then the base itself
        x = y[:, 1]
        return [x, y], [y, x]
    if name == "nonleaf_base":
        y = a * k("c0", SHAPE)
        x = y.unsqueeze(0)[0, 1]
        return [x], [y, x]
    raise KeyError(name)


TARGETS = ["nonleaf", "clone", "nonleaf_of_two", "select", "slice_step", "transpose", "view", "chained",
           "view_of_view", "two_views", "used_before", "view_then_whole", "nonleaf_base"]


# the view ops' nodes: torch gives a view whose base was written through another view (or through itself) a new node,
# AsStridedBackward0 of the base's node; ember replays the view's own ops on the base's node (the same gradient)
VIEW_NODES = {"SelectBackward0", "SliceBackward0", "TBackward0", "TransposeBackward0", "ViewBackward0",
              "UnsqueezeBackward0", "SqueezeBackward0", "PermuteBackward0"}


def graph(*outs, regenerated=()):
    """The graph under outs: every node reached along next_functions, breadth-first, each once, as
    (name, indices of the nodes its edges lead to) (None edges skipped; a leaf's node is its variable). The outputs
    at the positions in regenerated are views made again after their base was written: their chain of view nodes
    counts as one node, "regenerated view", over the base's node."""
    index, order, queue = {}, [], []

    def key_of(node):
        return id(getattr(node, "variable", node))

    def visit(node):
        key = key_of(node)
        if key not in index:
            index[key] = len(order)
            order.append(node)
            queue.append(node)
        return index[key]

    roots = []
    for i, o in enumerate(outs):
        node = o.grad_fn
        if i in regenerated and not isinstance(o, torch.Tensor):
            # torch makes a view's node again when its grad_fn is read; ember when the view is next used
            node = (o * 1).grad_fn.next_functions[0][0]
        if i in regenerated:
            if node.name() == "AsStridedBackward0":
                node = node.next_functions[0][0]
            else:
                while node.name() in VIEW_NODES:
                    node = node.next_functions[0][0]
            roots.append(("regenerated view", visit(node)))
        else:
            roots.append(None if node is None else visit(node))
    shape = []
    while queue:
        node = queue.pop(0)
        children = [visit(f) for f, _ in node.next_functions if f is not None]
        shape.append((index[key_of(node)], node.name().replace("torch::autograd::", ""), children))
    return roots, sorted(shape)


def _np(t):
    return None if t is None else t.detach().numpy(force=True)


def _close(a, b):
    """Equal gradients; a gradient one library leaves out (None) is the other's zeros (torch keeps the edge of a
    derivative that is zero, e.g. relu's second one, where ember's backward records none)."""
    if a is None or b is None:
        assert not np.any(b if a is None else a)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def run(lib, op, target):
    k = Leaves(lib)
    writes, outs = _target(target, lib, k)
    for x in writes:
        back = OPS[op](lib, x, k)
        if not op.startswith("setitem"):
            assert back is x
    return outs, k


CASES = [(op, target) for op in OPS for target in TARGETS]

# ops whose own nodes are not torch's, in or out of place (the in-place rule holds for them all the same: values,
# gradients and errors are compared): fills are a where() that takes none of the old values (torch: FillBackward,
# ZeroBackward, MaskedFillBackward0, CopyBackwards), and xlogy, addmm and addmv are compositions of smaller ops
OWN_NODES_DIFFER = {"masked_fill_", "copy_", "copy_broadcast_", "fill_", "zero_", "setitem_mask", "xlogy_",
                    "addmm_or_addmv_"}


@pytest.mark.parametrize("op,target", CASES)
def test_graph_values_and_gradients_match_torch(op, target):
    (e_outs, e_k), (t_outs, t_k) = run(ember, op, target), run(torch, op, target)
    if op not in OWN_NODES_DIFFER:
        regenerated = {i for i, o in enumerate(t_outs) if o.grad_fn is not None and
                       o.grad_fn.name() == "AsStridedBackward0"}
        assert graph(*e_outs, regenerated=regenerated) == graph(*t_outs, regenerated=regenerated)
    for e, t in zip(e_outs, t_outs):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-13, atol=1e-13)
    # first and second derivatives, with create_graph=True through the in-place nodes
    assert list(e_k.made) == list(t_k.made)
    found = []
    for outs, k, lib in ((e_outs, e_k, ember), (t_outs, t_k, torch)):
        loss = sum((o * lib.tensor(np.linspace(-1, 2, o.numel()).reshape(tuple(o.shape)))).sum() for o in outs)
        try:
            found.append(_first_and_second(lib, loss, list(k.made.values())))
        except RuntimeError as error:  # (an op that saved its result, written again through another view)
            found.append(_gist(error))
    assert type(found[0]) is type(found[1])
    if isinstance(found[0], str):
        assert found[0] == found[1]
        return
    (e_none, e_grads, e_second), (t_none, t_grads, t_second) = found
    assert e_none == t_none
    for a, b in zip(e_grads + e_second, t_grads + t_second):
        _close(a, b)


def _first_and_second(lib, loss, leaves):
    """The gradients of loss, with create_graph=True, and the gradients of the sum of their squares."""
    grads = lib.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
    used = [(x, g) for x, g in zip(leaves, grads) if g is not None]
    total = sum((g * g * 1.5).sum() for _, g in used)
    second = [None] * len(used)
    if total.requires_grad:
        second = [_np(s) for s in lib.autograd.grad(total, [x for x, _ in used], allow_unused=True)]
    return [g is None for g in grads], [_np(g) for _, g in used], second


def _gist(error):
    """The part of an autograd error both libraries word alike (torch names a view written again by its
    AsStridedBackward0 node, ember by the op that saved it)."""
    text = str(error)
    found = re.search(r"is at version \d+; expected version \d+", text)
    if "modified by an inplace operation" in text and found:
        return "modified by an inplace operation: " + found.group(0)
    for gist in ("leaf Variable that requires grad",):
        if gist in text:
            return gist
    return text


def _outcome(lib, make):
    """What backward does after make(lib) ran: ("error", the message's gist) or ("ok", the gradients)."""
    k = Leaves(lib)
    loss = make(lib, k)
    try:
        loss.backward()
    except RuntimeError as error:
        return "error", _gist(error)
    return "ok", [_np(x.grad) for x in k.made.values()]


def _same_outcome(make):
    e, t = _outcome(ember, make), _outcome(torch, make)
    assert e[0] == t[0], (e, t)
    if e[0] == "error":
        assert e[1] == t[1]
    else:
        for a, b in zip(e[1], t[1]):
            _close(a, b)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("target", ["nonleaf", "select"])
def test_write_after_the_op_is_checked_as_torch_does(op, target):
    """Another write into the target after the op: an error exactly where the op's node saved what changed (its
    result; never its own copy of self)."""
    def make(lib, k):
        writes, outs = _target(target, lib, k)
        OPS[op](lib, writes[0], k)
        writes[0].add_(1)
        return sum((o * o).sum() for o in outs)
    _same_outcome(make)


@pytest.mark.parametrize("op", sorted(OPS))
def test_write_after_a_use_is_checked_as_torch_does(op):
    """The target was saved by an earlier op, then written by this one: that earlier op's backward refuses."""
    def make(lib, k):
        y = k("a", SHAPE) * 1
        z = y.sin()
        OPS[op](lib, y, k)
        return z.sum() + y.sum()
    _same_outcome(make)


# (not xlogy_: ember's is a composite whose nodes save log(other), not other, so a later write into other goes
# unnoticed where torch's XlogyBackward0 refuses)
@pytest.mark.parametrize("op", ["mul_", "addcmul_", "div_", "lerp_tensor_weight_", "atan2_"])
def test_other_operand_changed_after_the_op_is_checked_as_torch_does(op):
    """The op's other operands are saved as they are (not copied): writing into them afterwards is refused."""
    def make(lib, k):
        y = k("a", SHAPE) * 1
        real = k

        def other(name, shape, positive=False):  # every other operand is a non-leaf, changed after the op
            return seen.setdefault(name, real(name, shape, positive) * 1)
        seen = {}
        OPS[op](lib, y, other)
        for v in seen.values():
            v.mul_(2)
        return (y * y).sum()
    _same_outcome(make)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("where", ["leaf", "view_of_leaf"])
def test_leaf_in_place_refused_as_torch_does(op, where):
    found = []
    for lib in (ember, torch):
        k = Leaves(lib)
        a = k("a", SHAPE)
        x = a if where == "leaf" else a[1]
        with pytest.raises(RuntimeError) as error:
            OPS[op](lib, x, k)
        found.append(re.search(r"(a view of )?a leaf Variable that requires grad", str(error.value)).group(0))
    assert found[0] == found[1]


# an in-place op made of several nodes, more than one of which takes self (the last one too): CopySlices holds the
# last node, and the others keep their edges to the view's nodes over the base's old history; no gradient is lost
COMPOSITES = {
    "mul_by_own_sine": lambda t, s: s * (s.sin() + 1),
    "where_own_exp": lambda t, s: t.where(s > 0.5, s, s.exp()),
    "lerp_own_cosine": lambda t, s: s.lerp(s.cos(), s * 0.5),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
@pytest.mark.parametrize("view", ["slice", "transpose"])
def test_composite_in_place_op_through_a_view_keeps_every_gradient(name, view):
    from ember.tensor import _inplace
    found = []
    for lib in (ember, torch):
        a = Leaves(lib)("a", SHAPE)
        y = a * 1
        pick = (lambda t: t[1:, 1:]) if view == "slice" else (lambda t: t.t()[1:])
        if lib is ember:
            _inplace(pick(y), lambda s: COMPOSITES[name](ember, s))
        else:  # torch, out of place: the region replaced by the op's value
            new = COMPOSITES[name](torch, pick(y))
            y = y.clone()
            pick(y).copy_(new)
        loss = (y * y * lib.tensor(np.linspace(-1, 2, 12).reshape(SHAPE))).sum()
        found.append(_first_and_second(lib, loss, [a]))
    for a, b in zip(found[0][1] + found[0][2], found[1][1] + found[1][2]):
        _close(a, b)
