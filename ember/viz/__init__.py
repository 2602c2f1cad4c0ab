"""ember.viz: pictures of the computational graph (draw_graph) and its Graphviz text (to_dot)."""
from .graph import draw_graph, to_dot

__all__ = ["draw_graph", "to_dot"]
