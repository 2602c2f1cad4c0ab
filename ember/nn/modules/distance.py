"""Distances between pairs of vectors: CosineSimilarity and PairwiseDistance (F's forms, settings kept)."""
from .. import functional as F
from .module import Module


class PairwiseDistance(Module):
    """The p-norm of x1 - x2 + eps along the last dim."""
    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        """Apply the layer to its inputs (call the module itself, module(x1, x2), so that hooks run)."""
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along dim."""
    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        """Apply the layer to its inputs (call the module itself, module(x1, x2), so that hooks run)."""
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
