"""torch.utils.checkpoint, without the recomputation.

torch's checkpoint saves memory: it drops a segment's activations after the forward pass and runs the segment
again during backward to get them back. ember keeps the activations (a course model fits in memory, and a
backward pass that re-runs code is harder to follow), so checkpoint here simply calls the function: the values
and gradients are the ones torch computes, only the memory saving is missing. What torch's callers can observe is
kept: the warning when use_reentrant is not passed, its errors for unexpected arguments, and the reentrant
variant's rule that an output needs an input that requires grad (else it is cut from the graph, with torch's
warning).
"""
import warnings

from ..autograd import no_grad
from ..tensor import Tensor


def _reentrant_inputs_checked(args):
    """The reentrant variant records its output only if some input requires grad: say so when none does."""
    if any(isinstance(x, Tensor) and x.requires_grad for x in args):
        return True
    warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)
    return False


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               early_stop=None, **kwargs):
    """function(*args, **kwargs), with torch's checkpoint rules (ember keeps the activations: no recomputation).

    Pass use_reentrant explicitly (False is torch's recommendation); without it torch 2.13 warns and uses True.
    With use_reentrant=True, keyword arguments for the function are refused, and the output is cut from the graph
    when no tensor argument requires grad (parameters inside function then get no gradient), as in torch.
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch "
            "2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default behavior, you can pass "
            "use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            stacklevel=2)
        use_reentrant = True
    kwargs.pop("preserve_rng_state", True)  # nothing is re-run, so there is no random state to replay
    if not use_reentrant:
        return function(*args, **kwargs)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if context_fn is not None or debug is not False:
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    if _reentrant_inputs_checked(args):
        return function(*args)
    with no_grad():
        return function(*args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or a list of modules/functions) in `segments` parts, each but the last through
    checkpoint, as torch does: the same values and gradients as running it straight (no recomputation here)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
            "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
            "use_reentrant=False is recommended, but if you need to preserve the current default behavior, you "
            "can pass use_reentrant=True. Refer to docs for more details on the differences between the two "
            "variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential  # (nn imports utils.data: imported here, not at the top)
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):  # torch's split: the last segment takes the rest
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)


__all__ = ["checkpoint", "checkpoint_sequential"]
