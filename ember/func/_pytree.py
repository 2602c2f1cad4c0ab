"""Nested arguments (PyTorch's "pytrees"): tuples, lists, dicts and namedtuples of tensors, flattened to a list of
leaves and a spec that rebuilds the same nesting. Anything else (None included) is a leaf, as in torch.utils._pytree."""
def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(tree):
    """(node type, context, children) for a container, or None for a leaf."""
    if _is_namedtuple(tree):
        return type(tree), type(tree), list(tree)
    if isinstance(tree, (tuple, list)):
        return type(tree), None, list(tree)
    if isinstance(tree, dict):
        return type(tree), list(tree), list(tree.values())
    return None


class TreeSpec:
    """The shape of a nesting: the node's type, its context (a dict's keys) and one spec per child."""

    def __init__(self, type_, context, children):
        self.type, self.context, self.children = type_, context, children
        self.num_leaves = sum(c.num_leaves for c in children)

    def unflatten(self, leaves):
        """The nesting rebuilt around ``leaves`` (an iterator or a list)."""
        it = iter(leaves)
        return self._build(it)

    def _build(self, it):
        kids = [c._build(it) for c in self.children]
        if _is_namedtuple_type(self.type):
            return self.type(*kids)
        if issubclass(self.type, dict):
            return self.type(zip(self.context, kids))
        return self.type(kids)

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.type is other.type and self.context == other.context
                and self.children == other.children)

    def __repr__(self, indent=0):
        # torch's TreeSpec repr: children after the first on their own lines, indented two more per level
        context = self.context.__name__ if isinstance(self.context, type) else self.context
        head = f"TreeSpec({self.type.__name__}, {context}, ["
        inner = ""
        if self.children:
            indent += 2
            inner = self.children[0].__repr__(indent) + ("," if len(self.children) > 1 else "")
            inner += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return head + inner + "])"

    def pretty(self):
        """The short form torch prints in vjp's messages: ``(*, *)``, ``[*]``, ``{'a': *}``."""
        kids = [c.pretty() for c in self.children]
        if issubclass(self.type, dict):
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.context, kids)) + "}"
        if issubclass(self.type, list):
            return "[" + ", ".join(kids) + "]"
        return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"


class LeafSpec(TreeSpec):
    """One leaf: printed ``*``."""

    def __init__(self):
        super().__init__(None, None, [])
        self.num_leaves = 1

    def _build(self, it):
        return next(it)

    def __eq__(self, other):
        return isinstance(other, LeafSpec)

    def __repr__(self, indent=0):
        return "*"

    def pretty(self):
        return "*"


def _is_namedtuple_type(t):
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields")


def tree_flatten(tree):
    """(the leaves in order, the spec to rebuild ``tree`` from them)."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    node = _children(tree)
    if node is None:
        leaves.append(tree)
        return LeafSpec()
    type_, context, kids = node
    return TreeSpec(type_, context, [_flatten(k, leaves) for k in kids])


def tree_unflatten(leaves, spec):
    return spec.unflatten(leaves)


def tree_map(fn, tree):
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return spec.unflatten([fn(x) for x in leaves])


def broadcast_prefix(prefix, spec):
    """One entry of ``prefix`` per leaf of ``spec``, where ``prefix`` is an int/None standing for a whole subtree or
    the same nesting down to where it does (vmap's in_dims and out_dims); None when they do not fit together."""
    out = []
    return out if _broadcast(prefix, spec, out) else None


def _broadcast(prefix, spec, out):
    node = _children(prefix) if prefix is not None else None
    if node is None:                       # an int or None here covers everything below
        out.extend([prefix] * spec.num_leaves)
        return True
    type_, context, kids = node
    if isinstance(spec, LeafSpec):
        return False
    same_kind = (type_ is spec.type or (issubclass(type_, dict) and issubclass(spec.type, dict))
                 or (type_ in (tuple, list) and type_ is spec.type))
    if not same_kind or len(kids) != len(spec.children):
        return False
    if issubclass(type_, dict):
        if set(context) != set(spec.context):
            return False
        kids = [prefix[k] for k in spec.context]
    return all(_broadcast(k, c, out) for k, c in zip(kids, spec.children))


__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_map", "broadcast_prefix"]
