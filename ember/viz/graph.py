"""Drawing the computational graph behind a tensor.

Tensor boxes (leaves, and each op's output) show the label, the shape, the
value for small tensors and the gradient once backward has run; op boxes show
the op. Edges point the way the forward pass went: top to bottom, one row per
step back from the output, so the leaves sit just above the op that uses them
and the output is at the bottom. matplotlib draws it.
"""
from graphlib import TopologicalSorter

import numpy as np

from ..autograd.explain import _forward_order, graph_labels
from ..tensor import Tensor


def _short(a, digits=4):
    if a is None:
        return None
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.{digits}g}"
    return np.array2string(a, precision=2, separator=",") if a.size <= 4 else None


def _graph(output, names):
    """(nodes, edges): nodes as dicts with kind/label/text, edges as (from, to) pairs of node keys."""
    labels = graph_labels(output, names)
    nodes, edges = {}, []
    order = _forward_order(output.grad_fn)
    for node in order:
        for edge in node._next:
            if isinstance(edge, Tensor) and ("leaf", id(edge)) not in nodes:
                lines = [labels[id(edge)]] + ([f"shape {list(edge.shape)}"] if edge.dim() else [])
                value, grad = _short(edge._data), _short(None if edge.grad is None else edge.grad._data)
                lines += [f"= {value}"] if value is not None else []
                lines += [f"grad {grad}"] if grad is not None else []
                nodes[("leaf", id(edge))] = {"kind": "tensor", "text": "\n".join(lines)}
    for node in order:
        op = node.op_name()
        detail = node.detail()
        nodes[("op", id(node))] = {"kind": "op", "text": f"{op} {detail}".strip()}
        value = _short(node._value)
        lines = [labels[id(node)]] + ([f"= {value}"] if value is not None else [])
        if node is output.grad_fn and output.grad is not None:
            lines.append(f"grad {_short(output.grad._data)}")
        nodes[("value", id(node))] = {"kind": "tensor", "text": "\n".join(lines)}
        edges.append((("op", id(node)), ("value", id(node))))
        for edge in node._next:
            if edge is None:
                continue
            source = ("leaf", id(edge)) if isinstance(edge, Tensor) else ("value", id(edge))
            edges.append((source, ("op", id(node))))
    return nodes, edges


def to_dot(output, names=None):
    """Graphviz DOT text for the graph behind output (render it with `dot -Tsvg` if you have Graphviz)."""
    if output.grad_fn is None:
        raise RuntimeError("to_dot() needs a tensor with a grad_fn: compute it from tensors that require grad")
    nodes, edges = _graph(output, names)
    ids = {key: f"n{i}" for i, key in enumerate(nodes)}
    lines = ["digraph ember {", "  rankdir=BT;"]
    for key, node in nodes.items():
        shape = "box" if node["kind"] == "op" else "ellipse"
        text = node["text"].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'  {ids[key]} [label="{text}", shape={shape}];')
    lines += [f"  {ids[a]} -> {ids[b]};" for a, b in edges]
    return "\n".join(lines + ["}"])


def _rows(nodes, edges):
    """The nodes in rows: row = how far the forward pass still has to go from the node to the output, counted
    from the top, so every edge points down and each leaf sits just above the op that uses it."""
    successors = {key: [] for key in nodes}
    for a, b in edges:
        successors[a].append(b)
    to_output = {}
    for key in reversed(list(TopologicalSorter({k: [a for a, b in edges if b == k] for k in nodes}).static_order())):
        to_output[key] = max((to_output[s] + 1 for s in successors[key]), default=0)
    deepest = max(to_output.values())
    rows = [[] for _ in range(deepest + 1)]
    for key in nodes:  # (in the order the forward pass met them: left to right within a row)
        rows[deepest - to_output[key]].append(key)
    return rows


def draw_graph(output, path, names=None, title=None):
    """Draw the graph behind output to path (.png or .svg) with matplotlib, top to bottom; returns path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if output.grad_fn is None:
        raise RuntimeError("draw_graph() needs a tensor with a grad_fn: compute it from tensors that require grad")
    nodes, edges = _graph(output, names)
    rows = _rows(nodes, edges)
    position = {key: (i - (len(row) - 1) / 2, -r) for r, row in enumerate(rows) for i, key in enumerate(row)}
    widest = max(map(len, rows))
    # sized so that a page 980 px wide shows it at its own size: 9-point text stays readable
    fig, ax = plt.subplots(figsize=(min(8.5, 1.9 * widest + 1.2), 0.72 * len(rows) + 0.4))
    for a, b in edges:
        ax.annotate("", xy=position[b], xytext=position[a],
                    arrowprops=dict(arrowstyle="-|>", color="#888888", shrinkA=16, shrinkB=16, lw=1.1))
    for key, node in nodes.items():
        style = dict(boxstyle="round,pad=0.3", fc="#fde8c8", ec="#c77d1a") if node["kind"] == "op" else \
            dict(boxstyle="round,pad=0.3", fc="#e6f0fb", ec="#3b6ea8")
        ax.text(*position[key], node["text"], ha="center", va="center", fontsize=9, bbox=style, family="monospace")
    ax.set_xlim(-widest / 2 - 0.1, widest / 2 + 0.1)  # text does not rescale the axes: set the view by hand
    ax.set_ylim(-len(rows) + 0.5, 0.5)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
