"""explain(output): the backward pass, one node at a time, as you would do it by hand.

For every node, from the output back to the leaves:
    upstream    d(output)/d(this node's value): what its consumers sent, summed
    local       d(this node's value)/d(each input), the node's own partial derivative
    product     upstream x local: what the chain rule hands to that input
A leaf's gradient is the sum of the products it receives over every path to it.

The local derivatives are the node's own backward applied to a gradient of
ones, so they are exactly what the engine multiplies by. Nothing here is a
second implementation of the maths: explain() walks the same graph, in the
same order, with the same backward functions as loss.backward().
"""
from dataclasses import dataclass, field

import numpy as np

from .engine import _count_dependencies, _sum_to
from .grad_mode import no_grad
from ..tensor import Tensor, _wrap


@dataclass
class Edge:
    """One input of a node: what it is, its value, the local derivative and the product passed to it."""
    label: str
    value: np.ndarray
    local: np.ndarray
    product: np.ndarray


@dataclass
class Step:
    """One node of the backward pass."""
    label: str  # the node's output, e.g. "t2"
    op: str  # e.g. "Mul"
    detail: str  # constants of the op, e.g. "** 2"
    value: np.ndarray  # the node's forward value
    upstream: np.ndarray  # d(output)/d(value)
    inputs: list = field(default_factory=list)


@dataclass
class Explanation:
    steps: list
    gradients: dict  # leaf label -> d(output)/d(leaf), summed over every path

    def table(self, digits=4):
        """The backward pass as plain text: one block per node, one line per input."""
        fmt = lambda a: _format(a, digits)  # noqa: E731
        lines = []
        for step in self.steps:
            name = f"{step.op}({step.detail})" if step.detail else step.op
            lines.append(f"{step.label} = {name} = {fmt(step.value)}    upstream d(out)/d({step.label}) = "
                         f"{fmt(step.upstream)}")
            for e in step.inputs:
                lines.append(f"    -> {e.label} = {fmt(e.value)}: local d({step.label})/d({e.label}) = {fmt(e.local)}"
                             f", product {fmt(step.upstream)} x {fmt(e.local)} = {fmt(e.product)}")
        lines.append("gradients: " + ", ".join(f"d(out)/d({k}) = {fmt(v)}" for k, v in self.gradients.items()))
        return "\n".join(lines)

    __str__ = table


def _format(a, digits):
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.{digits}g}"
    return np.array2string(a, precision=digits, separator=", ") if a.size <= 8 else f"<array {list(a.shape)}>"


def graph_labels(output, names=None):
    """Labels for a graph's leaves and nodes: the names given (name -> tensor), else leaf1, leaf2, ... and
    t1, t2, ... numbered from the leaves up (the output's node takes the output's name, if it has one)."""
    by_id = {id(t): name for name, t in (names or {}).items()}
    order = _forward_order(output.grad_fn) if output.grad_fn is not None else []
    labels, leaves = {}, 0
    for node in order:
        for edge in node._next:
            if isinstance(edge, Tensor) and id(edge) not in labels:
                leaves += 1
                labels[id(edge)] = by_id.get(id(edge), f"leaf{leaves}")
    for i, node in enumerate(order, 1):
        labels[id(node)] = f"t{i}"
    if output.grad_fn is not None and id(output) in by_id:
        labels[id(output.grad_fn)] = by_id[id(output)]
    return labels


def _forward_order(root):
    """Nodes from the leaves up to root (a topological order, iterative)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for edge in node._next:
            if edge is not None and not isinstance(edge, Tensor) and id(edge) not in seen:
                stack.append((edge, False))
    return order


def explain(output, names=None, gradient=None):
    """The backward pass of output, node by node. Does not touch any .grad and keeps the graph.

    names maps labels to the tensors they stand for ({"w": w, "x": x}); others are labelled leaf1, t1, ...
    The forward pass must still be in the graph: call explain before backward(), or after
    backward(retain_graph=True).
    """
    if output.grad_fn is None:
        raise RuntimeError("explain() needs a tensor computed from tensors that require grad (it has no grad_fn)")
    labels = graph_labels(output, names)
    root = output.grad_fn
    if root._value is None:
        raise RuntimeError("this graph has been freed by backward(); call explain() first, or backward with "
                           "retain_graph=True")
    seed = np.ones_like(output._data) if gradient is None else np.asarray(gradient, output._data.dtype)
    pending = {root: seed}
    dependencies = _count_dependencies([root])
    ready, steps, gradients = [root], [], {}
    with no_grad():
        while ready:
            node = ready.pop()
            upstream = pending.pop(node)
            backward = type(node).backward
            local = _as_tuple(backward(node, _wrap(np.ones_like(upstream))))
            products = _as_tuple(backward(node, _wrap(upstream)))
            step = Step(labels[id(node)], node.op_name(),
                        node.detail(), node._value, upstream)
            for target, shape, loc, prod in zip(node._next, node._shapes, local, products):
                if target is None or prod is None:
                    continue
                if prod._data.shape != shape:
                    prod, loc = _sum_to(prod, shape, node), _sum_to(loc, shape, node)
                value = target._data if isinstance(target, Tensor) else target._value
                step.inputs.append(Edge(labels[id(target)], value, loc._data, prod._data))
                if isinstance(target, Tensor):
                    key = labels[id(target)]
                    gradients[key] = gradients[key] + prod._data if key in gradients else prod._data
                else:
                    pending[target] = pending[target] + prod._data if target in pending else prod._data
                    dependencies[target] -= 1
                    if dependencies[target] == 0:
                        ready.append(target)
            steps.append(step)
    return Explanation(steps, gradients)


def _as_tuple(grads):
    return grads if isinstance(grads, tuple) else (grads,)
