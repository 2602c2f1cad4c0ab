"""RemovableHandle: what every register_*_hook returns; handle.remove() takes the hook out again."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Hooks live in a dict (id -> function), so they run in the order they were added and remove cleanly."""

    def __init__(self, hooks, extra=()):
        self.id = next(_ids)
        self._hooks = hooks
        self._extra = extra  # (dicts that note something about the hook by its id, such as with_kwargs)

    def remove(self):
        self._hooks.pop(self.id, None)
        for notes in self._extra:
            notes.pop(self.id, None)

    def __enter__(self):  # `with module.register_forward_hook(f):` removes the hook at the end of the block
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, fn, extra=()):
    """Put fn in a hook dict and hand back its handle (which also forgets the hook's id in the `extra` dicts)."""
    handle = RemovableHandle(hooks, extra)
    hooks[handle.id] = fn
    return handle
