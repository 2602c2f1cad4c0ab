"""RemovableHandle: what every register_*_hook returns; handle.remove() takes the hook out again."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Hooks live in a dict (id -> function), so they run in the order they were added and remove cleanly."""

    def __init__(self, hooks):
        self.id = next(_ids)
        self._hooks = hooks

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):  # `with module.register_forward_hook(f):` removes the hook at the end of the block
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, fn):
    """Put fn in a hook dict and hand back its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle
