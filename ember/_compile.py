"""torch.compile, run eagerly.

torch.compile traces a model into graphs and generates fused kernels for them; the numbers it computes are the
eager ones (up to rounding). ember has no compiler: its ops are NumPy calls, already fused as far as NumPy goes, and
a program is easier to follow when what runs is exactly the Python it reads. So compile checks its arguments as
torch does and hands back the model itself: a compiled model gives the eager results, gradients and state_dict.
"""

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs")  # the names a course program may give


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False, **kwargs):
    """The model (a Module or function) unchanged: ember runs it eagerly (no compiler, same results).

    Usable as `compile(model)`, `@compile` and `@compile(mode=...)`. torch's errors for a wrong call: both mode and
    options given, an unknown mode or backend, a model that is not callable.
    """
    if model is None:  # @compile(...): the decorator that compiles what it is given
        def decorator(model):
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, disable=disable, **kwargs)
        return decorator
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise RuntimeError(f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available "
                           "backends.")
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model
