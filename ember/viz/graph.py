"""Drawing the computational graph behind a tensor.

Tensor boxes (leaves, and each op's output) show the label, the shape, the
value for small tensors and the gradient once backward has run; op boxes show
the op. Edges point the way the forward pass went. The layout is networkx's
layered layout (one layer per distance from the output); matplotlib draws it.
"""
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
                lines = [labels[id(edge)], f"shape {list(edge.shape)}"]
                value, grad = _short(edge._data), _short(None if edge._grad is None else edge._grad._data)
                lines += [f"= {value}"] if value is not None else []
                lines += [f"grad {grad}"] if grad is not None else []
                nodes[("leaf", id(edge))] = {"kind": "tensor", "text": "\n".join(lines)}
    for node in order:
        op = node.op_name()
        detail = node.detail()
        nodes[("op", id(node))] = {"kind": "op", "text": f"{op} {detail}".strip()}
        value = _short(node._value)
        lines = [labels[id(node)]] + ([f"= {value}"] if value is not None else [])
        if node is output.grad_fn and output._grad is not None:  # (._grad: a non-leaf's, read without a warning)
            lines.append(f"grad {_short(output._grad._data)}")
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


def draw_graph(output, path, names=None, title=None):
    """Draw the graph behind output to path (.png or .svg) with matplotlib and networkx; returns path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    if output.grad_fn is None:
        raise RuntimeError("draw_graph() needs a tensor with a grad_fn: compute it from tensors that require grad")
    nodes, edges = _graph(output, names)
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    # layer = distance from the output, counted back: each leaf sits just before the op that uses it
    to_output = {}
    for key in reversed(list(nx.topological_sort(g))):
        to_output[key] = max((to_output[s] + 1 for s in g.successors(key)), default=0)
    deepest = max(to_output.values())
    for key in g:
        g.nodes[key]["layer"] = deepest - to_output[key]
    layers = {}
    for key in g:
        layers.setdefault(g.nodes[key]["layer"], []).append(key)
    generations = [layers[i] for i in sorted(layers)]  # leaves first: the forward pass reads along the layers
    deep = len(generations) > 7  # a long chain reads better top to bottom than as a strip too wide to print
    position = nx.multipartite_layout(g, subset_key="layer", align="horizontal" if deep else "vertical", scale=1.0)
    if deep:
        position = {k: (x, -y) for k, (x, y) in position.items()}  # leaves at the top, the output at the bottom
        size = (max(6.0, 3.4 * max(map(len, generations))), max(4.0, 0.85 * len(generations)))
    else:
        size = (max(5.0, 2.2 * len(generations)), max(3.0, 1.3 * max(map(len, generations))))
    fig, ax = plt.subplots(figsize=size)
    for a, b in edges:
        ax.annotate("", xy=position[b], xytext=position[a],
                    arrowprops=dict(arrowstyle="-|>", color="#888888", shrinkA=22, shrinkB=22, lw=1.2))
    for key, node in nodes.items():
        style = dict(boxstyle="round,pad=0.4", fc="#fde8c8", ec="#c77d1a") if node["kind"] == "op" else \
            dict(boxstyle="round,pad=0.4", fc="#e6f0fb", ec="#3b6ea8")
        ax.text(*position[key], node["text"], ha="center", va="center", fontsize=8, bbox=style, family="monospace")
    xs, ys = zip(*position.values())  # text does not rescale the axes: set the view from the layout
    pad_x, pad_y = (0.35, 0.12) if deep else (0.25, 0.35)
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
