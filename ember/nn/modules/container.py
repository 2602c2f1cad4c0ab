"""Containers: Sequential, ModuleList, ModuleDict."""
from collections import OrderedDict

from .module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: numbered children that behave like a list."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Add the modules of an iterable at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert a module before position index."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)
        return self


class Sequential(_ModuleSequence):
    """Modules applied one after another: Sequential(Linear(2, 3), ReLU()) or Sequential(OrderedDict(...))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, input):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        for module in self._modules.values():
            input = module(input)
        return input

    def _index(self, idx):
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a Sequential of {n} modules")
        return list(self._modules)[idx % n]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._index(idx)]

    def __setitem__(self, idx, module):
        self.add_module(self._index(idx), module)

    def __delitem__(self, idx):
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._index(idx)]
        for key in keys:
            del self._modules[key]
        renumbered = list(self._modules.values())
        self._modules.clear()
        for i, module in enumerate(renumbered):
            self._modules[str(i)] = module


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain Python list would hide them)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a ModuleList of {n} modules")
        return self._modules[str(idx % n)]

    def __setitem__(self, idx, module):
        self.add_module(str(idx % len(self)), module)

    def forward(self, *args):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        raise NotImplementedError("ModuleList is a container, not a layer: iterate over it in your forward()")

    def __repr__(self):
        """As torch prints it: a run of equal children is one entry, (0-5): 6 x TransformerEncoderLayer(...)."""
        runs = []  # [first index, last index, repr]
        for i, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return self._get_name() + "()"
        lines = [(f"({a}): " if a == b else f"({a}-{b}): {b - a + 1} x ") + text.replace("\n", "\n  ")
                 for a, b, text in runs]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The names of the children."""
        return self._modules.keys()

    def values(self):
        """The child modules."""
        return self._modules.values()

    def items(self):
        """(name, module) pairs."""
        return self._modules.items()

    def pop(self, key):
        """Remove the child under key and return it."""
        return self._modules.pop(key)

    def clear(self):
        """Remove every child."""
        self._modules.clear()

    def update(self, modules):
        """Add the (name, module) pairs of a mapping or iterable."""
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module

    def forward(self, *args):
        """Apply the layer to its input (call the module itself, module(x), so that hooks run)."""
        raise NotImplementedError("ModuleDict is a container, not a layer: pick modules from it in your forward()")
