"""LazyModuleMixin: what every lazy module (LazyLinear, LazyConv*, LazyBatchNorm*, LazyInstanceNorm*) shares.

A lazy module is made with its in-size unknown (0) and UninitializedParameters/UninitializedBuffers in place of
its tensors. A forward pre-hook runs once, on the first input: the module's initialize_parameters reads the in-size
from it, materializes the tensors (the same objects, so an optimizer made before still holds them) and initialises
them with the layer's own reset_parameters (the same random draws as the eager layer); then the hook goes and the
module becomes its cls_to_become (a LazyConv2d becomes a Conv2d). Loading a state_dict before the first forward
gives the tensors the checkpoint's shapes instead (Module.load_state_dict materializes them).
"""
from ..parameter import is_lazy


class LazyModuleMixin:
    """Put it first among a lazy module's bases, before the eager layer (class LazyConv2d(LazyModuleMixin, Conv2d)),
    and write initialize_parameters(input) and a reset_parameters that waits for the shapes."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self):
        """Whether some parameter or buffer still waits for its shape."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        """Materialize and initialise the tensors for this first input (each lazy module writes its own)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")


def _infer_parameters(module, args, kwargs):
    """The forward pre-hook: runs once, then the module is its cls_to_become (the hook removed)."""
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become
