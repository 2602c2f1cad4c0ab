"""Lesson 9: the computational graph and the chain rule, edge by edge."""
import numpy as np

import ember

ID = "computational-graph"
TITLE = "9. 计算图与反向传播 The computational graph and backpropagation"


def linear_loss():
    x, w, y = (ember.tensor(v, dtype=ember.float64, requires_grad=True) for v in (2.0, 1.0, 4.0))
    loss = (x * w - y) ** 2
    return loss, {"x": x, "w": w, "y": y, "loss": loss}


def sigmoid_network():
    """One hidden unit: y_hat = w2 * sigmoid(w1 * x + b1) + b2, loss (y_hat - y)^2."""
    values = dict(x=1.5, w1=0.8, b1=-0.5, w2=2.0, b2=0.3, y=1.0)
    t = {k: ember.tensor(v, dtype=ember.float64, requires_grad=True) for k, v in values.items()}
    hidden = (t["w1"] * t["x"] + t["b1"]).sigmoid()
    loss = (t["w2"] * hidden + t["b2"] - t["y"]) ** 2
    t["loss"] = loss
    return loss, t


def path_products(explanation):
    """Every path from the output to each leaf: the product of the local derivatives along it."""
    children = {s.label: [(e.label, float(e.local)) for e in s.inputs] for s in explanation.steps}
    root = explanation.steps[0].label
    paths, stack = {}, [(root, [root], 1.0)]
    while stack:
        label, trail, product = stack.pop()
        if label not in children:  # a leaf
            paths.setdefault(label, []).append((" <- ".join(trail), product))
            continue
        for child, local in children[label]:
            stack.append((child, trail + [child], product * local))
    return paths


def show(page, name, loss, names):
    explanation = ember.autograd.explain(loss, names=names)
    loss.backward(retain_graph=True)  # the graph stays, to be drawn with the gradients
    page.add_image(ember.viz.draw_graph(loss, page.figure_path(name), names=names),
                   "The graph, top to bottom as the forward pass went: the leaves at the top, the loss at the "
                   "bottom; each tensor with its value (and, for the leaves, the gradient autograd stored); each "
                   "operation as a box.")
    page.table(["node", "op", "value", "input", "input value", "local derivative d(node)/d(input)"],
               [[s.label, (s.op + " " + s.detail).strip(), float(s.value), e.label, float(e.value), float(e.local)]
                for s in reversed(explanation.steps) for e in s.inputs],
               "forward pass: each node computes its value and, alongside, its local partial derivatives")
    page.table(["node", "upstream d(loss)/d(node)", "input", "x local", "= product passed on"],
               [[s.label, float(s.upstream), e.label, float(e.local), float(e.product)]
                for s in explanation.steps for e in s.inputs],
               "backward pass: upstream gradient times local derivative, edge by edge, from the loss back")
    rows, sums = [], {}
    for leaf, items in path_products(explanation).items():
        for trail, product in items:
            rows.append([leaf, trail, product])
        sums[leaf] = sum(p for _, p in items)
    page.table(["leaf", "path", "product of the local derivatives"], rows)
    page.table(["leaf", "sum over paths", "explain()", "autograd .grad"],
               [[k, sums[k], float(explanation.gradients[k]), names[k].grad.item()] for k in sums])
    return explanation, sums


def build(page):
    page.text("""
        Backpropagation rests on the computational graph: every step of the forward pass is one elementary
        operation (c = a + b, c = a * b, ...), and while computing a node's value we can also compute its
        partial derivatives with respect to its inputs (dc/da and dc/db), and keep them with the node. By the
        chain rule, the derivative of the output with respect to an input is the product of the stored partial
        derivatives along the path between them; where several paths lead to the same input, their products add
        up. Backward() does this from the output back: each node multiplies the gradient arriving from above
        (upstream) by its local derivative and passes the product down. PyTorch's graph is dynamic: built anew
        on every forward pass, and freed after backward.""")
    page.heading("(x·w − y)² with x = 2, w = 1, y = 4")
    page.code(linear_loss)
    loss, names = linear_loss()
    _, sums_linear = show(page, "linear", loss, names)
    page.heading("神经网络的链式求导 A one-hidden-unit sigmoid network")
    page.code(sigmoid_network)
    loss, names = sigmoid_network()
    explanation, sums_net = show(page, "sigmoid", loss, names)
    page.text("""
        The sigmoid node's local derivative is sigma(a) * (1 - sigma(a)), computed from the value it produced in
        the forward pass. Every sum over paths equals the .grad that autograd stored.""")
    grads = {k: t.grad.item() for k, t in names.items() if k != "loss"}
    return {"linear": sums_linear, "network": sums_net, "network_grads": grads,
            "explained": {k: float(v) for k, v in explanation.gradients.items()}}
