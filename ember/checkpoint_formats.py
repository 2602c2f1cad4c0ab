"""Which format a checkpoint is, and PyTorch's checkpoints read without running their code.

Format detection (``detect``) looks at the first bytes of the file:

- ``PK\\x03\\x04``, a zip archive: PyTorch's format since 1.6, what ``torch.save`` writes. ``<name>/data.pkl``
  is a pickle of the saved object in which every tensor's storage is a persistent id ``('storage', type, key,
  location, numel)``; ``<name>/data/<key>`` holds that storage's raw bytes, ``<name>/byteorder`` their byte
  order. Each record carries a CRC-32, checked as it is read.
- ``\\x80``, a pickle: PyTorch's legacy format (``_use_new_zipfile_serialization=False``): a magic number, a
  protocol version and system information pickled one after another, then the object's pickle, the list of
  storage keys, and each storage as an 8-byte element count followed by its bytes. It has no checksums.
- anything else goes to ember's own reader (safetensors, ``serialization.py``), which says what is wrong with it.

The allowlist. A pickle is a small program for a stack machine: its GLOBAL opcode imports any callable by name
and REDUCE calls it, which is how a malicious checkpoint runs ``os.system``. ``_AllowlistUnpickler`` runs the
program on Python's own unpickler with its opcode table cut down:

1. GLOBAL resolves names only from ``_allowed_globals()``: PyTorch's tensor rebuilders, storage types, dtypes,
   ``torch.Size``, ``torch.device`` and ``collections.OrderedDict``, each mapped to ember's own implementation
   here, plus a few builtin data types. Any other name is refused before anything is imported.
2. REDUCE calls only the callables of that table.
3. Only opcodes that push data (numbers, strings, tuples, lists, dicts, sets, the memo) run. INST, OBJ,
   NEWOBJ, the extension registry and out-of-band buffers are refused; BUILD may only set attributes on an
   OrderedDict (a module's ``state_dict()`` carries ``_metadata`` that way).

So a file can make tensors, numbers, strings and containers of them, and nothing else: what
``torch.load(weights_only=True)`` makes. Tensors that view one storage share memory, as in PyTorch.

Whole models. ``weights_only=False`` widens the allowlist to nn.Module classes (torch's, as ember's layers, and
the program's own, from modules it has imported), NumPy number arrays and scalars (ember's own checked
rebuilders) and activation functions as values; NEWOBJ then makes modules and BUILD fills them
(``_build_module``). ``write_pytorch`` writes the same format for ``ember.save(model)``, opcode by opcode
(``_PickleWriter``), so real PyTorch loads it. ``add_safe_globals`` and its siblings are torch.serialization's.
"""
import codecs
import functools
import inspect
import io
import pickle
import pickletools
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np

from . import _backend
from .tensor import Size, Tensor, _wrap


class LoadError(RuntimeError, pickle.UnpicklingError):
    """A file that ember.load refuses: truncated, corrupted, altered, or asking to build something it must not.

    It is both a RuntimeError and a pickle.UnpicklingError because torch.load raises one or the other for a bad
    file (RuntimeError for a damaged zip, UnpicklingError for a refused or broken pickle): code written for
    PyTorch catches ember's error with either.
    """


def detect(data):
    """'torch-zip', 'torch-legacy' or 'ember' (the safetensors reader decides whether it really is one)."""
    if data[:4] == b"PK\x03\x04":
        return "torch-zip"
    if data[8:9] == b"{":  # safetensors: 8 bytes of header length, then the JSON header
        return "ember"
    if data[:1] == pickle.PROTO:
        return "torch-legacy"
    return "ember"


def target_device(location, map_location, flat=None):
    """Where a storage saved on `location` goes under torch.load's `map_location` (None, a device, a string, a
    dict {saved: wanted}, or a function(storage, location) returning a tensor on the wanted device, or None)."""
    target = location
    if callable(map_location):
        placed = map_location(flat if flat is not None else _wrap(np.empty(0)), location)
        target = location if placed is None else placed.device
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif map_location is not None:
        target = map_location
    try:
        device = _backend.to_device(str(target))  # refuses a device this machine does not have, as torch
    except AssertionError:  # no GPU here: torch's words
        raise LoadError(f"it holds tensors saved on {location!r}. Attempting to deserialize object on a CUDA device "
                        "but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please "
                        "use torch.load with map_location=torch.device('cpu') to map your storages to the CPU "
                        "(ember.load(path, map_location='cpu'))") from None
    except (RuntimeError, TypeError) as error:
        raise LoadError(f"it holds tensors saved on {location!r}, which ember cannot place on {target!r} "
                        f"({error}); pass map_location='cpu' to load them on the CPU") from None
    return device


# ---------------------------------------------------------------------------------------------------------------
# What a pickle may construct: PyTorch's names mapped to ember's implementations
# ---------------------------------------------------------------------------------------------------------------
class _Storage:
    """One storage of the file: a flat array that every tensor viewing it shares, and where it goes."""

    __slots__ = ("array", "device")

    def __init__(self, array, device):
        self.array, self.device = array, device


class _StorageType:
    """What a storage-type name in the pickle (torch.FloatStorage, ...) stands for: its element type."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None):
    """torch._utils._rebuild_tensor_v2: a tensor viewing `storage` with the given offset, sizes and strides."""
    if not isinstance(storage, _Storage):
        raise LoadError(f"a tensor is built from {type(storage).__name__}, not from a storage")
    if metadata:
        raise LoadError(f"a tensor carries {metadata!r} (conjugate or negative bits), which ember does not support")
    flat = storage.array
    if not (_is_int(storage_offset) and _ints(size) and _ints(stride) and len(size) == len(stride)):
        raise LoadError(f"a tensor has a malformed layout: offset {storage_offset!r}, size {size!r}, "
                        f"stride {stride!r}")
    end = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else storage_offset
    if end > flat.size:
        raise LoadError(f"a tensor of size {list(size)}, stride {list(stride)} and offset {storage_offset} "
                        f"reaches element {end - 1} of a storage of {flat.size} elements")
    array = np.lib.stride_tricks.as_strided(flat[storage_offset:], shape=tuple(size),
                                            strides=tuple(s * flat.itemsize for s in stride))
    tensor = _wrap(array)
    if storage.device != _backend.CPU:
        tensor = tensor.to(storage.device)
    if requires_grad is not False:
        if requires_grad is not True:
            raise LoadError(f"a tensor's requires_grad is {requires_grad!r}, not a bool")
        tensor.requires_grad_(True)
    return tensor


def _rebuild_tensor_v1(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor (older files)."""
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    """torch._utils._rebuild_tensor_v3: the dtype is given apart from an untyped (byte) storage."""
    if not isinstance(storage, _Storage) or not isinstance(dtype, _backend.dtype) or storage.array.dtype != np.uint8:
        raise LoadError("a tensor is built from an untyped storage and a dtype, but they are malformed")
    if storage.array.size % dtype.itemsize:
        raise LoadError(f"a storage of {storage.array.size} bytes cannot hold {dtype} elements")
    typed = _Storage(storage.array.view(dtype.np), storage.device)
    return _rebuild_tensor(typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    """torch._utils._rebuild_parameter and _rebuild_parameter_with_state."""
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
        raise LoadError("a Parameter is built from something other than a tensor")
    if state:
        raise LoadError(f"a Parameter carries Python attributes {sorted(state)!r}, which ember tensors cannot hold")
    return Parameter(data.detach(), requires_grad=requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor (or Parameter) rebuilt by `func`, plus Python attributes."""
    from .nn.parameter import Parameter
    if not any(func is f for f in (_rebuild_tensor, _rebuild_tensor_v1, _rebuild_tensor_v3, _rebuild_parameter)) or \
            new_type not in (Tensor, Parameter) or type(args) is not tuple:
        raise LoadError(f"a tensor of type {getattr(new_type, '__name__', new_type)!r} is rebuilt in a way "
                        "ember does not support")
    if state:
        raise LoadError(f"a tensor carries Python attributes {sorted(state)!r}, which ember tensors cannot hold")
    tensor = func(*args)
    return tensor if new_type is Tensor or isinstance(tensor, Parameter) else Parameter(tensor)


def _encode_bytes(text, encoding):
    """_codecs.encode, as protocol-2 pickles spell a bytes object: only latin-1 text."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise LoadError("a bytes object is encoded in a way PyTorch never writes")
    return codecs.encode(text, "latin1")


def _bytearray(data=b""):
    if not isinstance(data, (bytes, bytearray)):
        raise LoadError("a bytearray is built from something other than bytes")
    return bytearray(data)


def _bytes(*data):
    """bytes(), as protocol 2 spells an empty bytes object."""
    if data:
        raise LoadError("a bytes object is built from something other than nothing")
    return b""


def _is_int(x):
    return type(x) is int and x >= 0


def _ints(xs):
    return isinstance(xs, tuple) and all(_is_int(x) for x in xs)


_STORAGE_DTYPES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
                   "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
                   "ByteStorage": "uint8", "BoolStorage": "bool", "UntypedStorage": "uint8"}
_TORCH_DTYPES = {"float64": "float64", "double": "float64", "float32": "float32", "float": "float32",
                 "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
                 "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
                 "bool": "bool"}


@functools.cache
def _allowed_globals():
    """{(module, name): what it stands for in ember}, and the callables among them that REDUCE may call."""
    from .nn.parameter import Parameter
    table = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor_v1,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("collections", "OrderedDict"): OrderedDict,
        ("torch", "Size"): Size,
        ("torch", "device"): _backend.device,
        ("_codecs", "encode"): _encode_bytes,
        # markers that tensors are rebuilt from; REDUCE never calls them
        ("torch", "Tensor"): Tensor,
        ("torch.nn.parameter", "Parameter"): Parameter,
    }
    for module in ("builtins", "__builtin__"):  # protocol 2 spells builtins the Python 2 way
        table.update({(module, "set"): set, (module, "frozenset"): frozenset, (module, "complex"): complex,
                      (module, "bytearray"): _bytearray, (module, "bytes"): _bytes})
    for name, dtype in _STORAGE_DTYPES.items():
        table[("torch", name)] = _StorageType(_backend.to_dtype(dtype))
    table[("torch.storage", "UntypedStorage")] = table[("torch", "UntypedStorage")]
    for name, dtype in _TORCH_DTYPES.items():
        table[("torch", name)] = _backend.to_dtype(dtype)
    callables = [v for k, v in table.items() if callable(v) and v not in (Tensor, Parameter)]
    return table, callables


_FOREIGN_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                     "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
                     "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}


def _refuse_global(module, name, weights_only):
    full = f"{module}.{name}"
    dtype = _FOREIGN_STORAGES.get(name, name)
    if module == "torch" and (dtype in _FOREIGN_STORAGES.values() or dtype.startswith(("uint", "float8", "complex",
                                                                                      "int1", "int2", "int3"))):
        return LoadError(f"it holds a tensor of dtype torch.{dtype}, which ember does not support (ember has "
                         f"{', '.join(d.name for d in _backend.ALL_DTYPES)}); convert it in PyTorch before saving, "
                         "e.g. tensor.float()")
    if weights_only and _full_global(module, name) is not None:
        return LoadError(
            f"Weights only load failed. Unsupported global: GLOBAL {full} was not an allowed global by default. "
            "If you trust this file (a whole model saved with torch.save(model, path), or NumPy values), load it "
            "with weights_only=False (ember then builds nn.Module classes and NumPy arrays, and still runs no "
            f"code), or use ember.serialization.add_safe_globals([{name}]) or the "
            f"ember.serialization.safe_globals([{name}]) context manager to allowlist it. Better: save "
            "model.state_dict() instead of the whole model")
    if module.startswith("torch.nn.modules.") and name[:1].isupper():
        return LoadError(f"it holds a torch.nn.{name} layer (its pickle asks for {full}), which ember does not have, "
                         "so ember.load will not construct it; save model.state_dict() in PyTorch and load it into "
                         "a model built of layers ember has")
    found = _lookup(module, name)
    if isinstance(found, type) and module.split(".")[0] not in _NEVER:
        return LoadError(f"Unsupported global: GLOBAL {full} was not an allowed global, so ember.load will not "
                         f"construct it. If you trust this file, use ember.serialization.add_safe_globals([{name}]) "
                         f"or the ember.serialization.safe_globals([{name}]) context manager to allowlist it")
    hint = (f" If {name} is your own nn.Module class, import it before loading ({module} is not imported, and "
            "ember.load never imports a module a file names)." if module not in sys.modules and name[:1].isupper()
            else "")
    return LoadError(f"Unsupported global: its pickle asks for {full}, which is not on ember's allowlist, so "
                     "ember.load will not construct it: ember reads tensors, numbers, strings, containers of them, "
                     "and (with weights_only=False) NumPy arrays and nn.Module classes; it never calls a function "
                     f"a file names, so a file cannot run code.{hint} If this is a whole pickled model, save "
                     "model.state_dict() instead.")


# ---------------------------------------------------------------------------------------------------------------
# Whole models and NumPy values: what weights_only=False adds (or add_safe_globals, one name at a time)
# ---------------------------------------------------------------------------------------------------------------
def _np_reconstruct(subtype, shape, typecode):
    """numpy's _reconstruct: an empty ndarray that BUILD then fills (_build_array)."""
    if subtype is not np.ndarray:
        raise LoadError(f"a NumPy array of type {getattr(subtype, '__name__', subtype)!r} is not a plain ndarray")
    return np.ndarray((0,), np.uint8)


def _np_dtype(name, align=False, copy=False):
    """numpy.dtype(name, align, copy), for numbers and booleans only (never object or structured dtypes)."""
    if type(name) is not str or type(align) is not bool or type(copy) is not bool:
        raise LoadError(f"a NumPy dtype is built from {name!r}, not from a type code")
    try:
        dtype = np.dtype(name)
    except TypeError:
        raise LoadError(f"a NumPy dtype {name!r} is not a dtype") from None
    if dtype.kind not in "biufc":
        raise LoadError(f"a NumPy dtype {name!r} is not a number or boolean type, which ember.load will not build")
    return np.dtype(name, align, True)


def _np_scalar(dtype, data):
    """numpy's scalar(dtype, bytes): one number."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc" or type(data) is not bytes or \
            len(data) != dtype.itemsize:
        raise LoadError("a NumPy scalar is built from something other than a number type and its bytes")
    return np.frombuffer(data, dtype)[0]


def _build_array(array, state):
    """ndarray.__setstate__ with a state checked first: plain bytes of a number dtype, of the shape's size."""
    ok = type(state) is tuple and len(state) == 5 and state[0] == 1 and _ints(state[1]) and \
        isinstance(state[2], np.dtype) and state[2].kind in "biufc" and type(state[3]) is bool and \
        type(state[4]) is bytes and len(state[4]) == int(np.prod(state[1])) * state[2].itemsize
    if not ok or array.size:
        raise LoadError("a NumPy array's state is not a number array's shape, dtype and bytes")
    array.__setstate__(state)


def _build_dtype(dtype, state):
    """dtype.__setstate__ for a simple dtype: (3, byte order, None, None, None, -1, -1, flags)."""
    if type(state) is not tuple or len(state) != 8 or state[0] != 3 or state[1] not in ("<", ">", "|", "=") or \
            state[2:5] != (None, None, None) or state[5:7] != (-1, -1) or type(state[7]) is not int:
        raise LoadError(f"a NumPy dtype's state {state!r} is not a simple number type's")
    dtype.__setstate__(state)


_NUMPY_GLOBALS = {"_reconstruct": _np_reconstruct, "scalar": _np_scalar}
_NUMPY_CALLABLES = (_np_reconstruct, _np_dtype, _np_scalar)
# torch's Module bookkeeping that ember keeps elsewhere or not at all; hooks must be empty (ember never loads code)
_MODULE_HOOKS = ("_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
                 "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                 "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                 "_load_state_dict_post_hooks")


def _full_global(module, name):
    """What (module, name) stands for under weights_only=False, or None: NumPy's rebuilders, nn.Module classes,
    and activation functions (referenced as a module's attribute, never called while loading)."""
    if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name in _NUMPY_GLOBALS:
        return _NUMPY_GLOBALS[name]
    if module == "numpy":
        return {"ndarray": np.ndarray, "dtype": _np_dtype}.get(name)
    if module in ("torch.nn.functional", "torch") and not name.startswith("_"):
        from . import nn
        found = getattr(nn.functional if module == "torch.nn.functional" else sys.modules["ember"], name, None)
        maths = module == "torch.nn.functional" or getattr(found, "__module__", "").startswith("ember.ops.")
        return found if inspect.isfunction(found) and maths else None  # torch.relu, not torch.save
    return _module_class(module, name)


def _module_class(module, name):
    """An nn.Module class: torch's (torch.nn.modules.linear.Linear) as ember's, or the program's own, from a module
    it has imported (ember never imports a module a file names). None if the name is not one."""
    from .nn import Module
    import ember.nn
    if module.startswith(("torch.nn", "ember.nn")):  # ember's module of that name, else ember.nn's public name
        found = _lookup("ember" + module[len("torch"):] if module.startswith("torch") else module, name) or \
            getattr(ember.nn, name, None)
    elif module.split(".")[0] in ("torch", "ember"):
        found = None
    else:
        found = _lookup(module, name)
    return found if isinstance(found, type) and issubclass(found, Module) else None


def _lookup(module, name):
    """module.name in a module already imported, read from namespaces (vars) so that no module __getattr__ runs;
    None if absent."""
    found = sys.modules.get(module)
    for part in name.split("."):
        try:
            found = vars(found).get(part)
        except TypeError:  # no namespace: not a module or class
            return None
    return found


def _new_module(cls):
    """NEWOBJ of an nn.Module class: an instance with empty registries, filled by BUILD (_build_module)."""
    from .nn import Module
    module = cls.__new__(cls)
    Module.__init__(module)
    return module


def _build_module(module, state):
    """BUILD of a module: torch's Module.__dict__ (or ember's own, written the same way) into ember's layout."""
    from .nn import Module, Parameter
    what = type(module).__name__
    if type(state) is not dict or not all(type(k) is str for k in state):
        raise LoadError(f"a {what} module's state is not a dict of attribute names")
    for key, value in state.items():
        if key.startswith("__") and key.endswith("__"):
            raise LoadError(f"a {what} module's state sets {key}, a special attribute")
        if key in _MODULE_HOOKS and value:
            raise LoadError(f"a {what} module carries hooks ({key}), which are code; remove them before saving")
    registries = {"_parameters": Parameter, "_buffers": Tensor, "_modules": Module}
    for key, kind in registries.items():
        entries = state.get(key, {})
        if not isinstance(entries, dict) or not all(type(k) is str and (v is None or isinstance(v, kind))
                                                    for k, v in entries.items()):
            raise LoadError(f"a {what} module's {key} holds something other than {kind.__name__}s")
        module.__dict__[key].update(entries)
    training = state.get("training", True)
    persistent = state.get("_non_persistent_buffers_set", set())
    if type(training) is not bool or not isinstance(persistent, (set, frozenset)) or \
            not all(type(k) is str for k in persistent):
        raise LoadError(f"a {what} module's training flag or buffer names are malformed")
    object.__setattr__(module, "training", training)
    module._non_persistent_buffers.update(persistent)
    skip = set(registries) | set(_MODULE_HOOKS) | {"training", "_non_persistent_buffers_set",
                                                   "_non_persistent_buffers", "_is_full_backward_hook"}
    for key, value in state.items():
        if key not in skip:
            object.__setattr__(module, key, value)
    for key, supported in _ONLY_SETTINGS.items():  # what ember's constructors refuse must not load silently
        if key in state and state[key] not in supported and type(module).__module__.startswith("ember."):
            raise LoadError(f"it holds a {what} with {key}={state[key]!r}, which ember's {what} does not have "
                            f"(only {' or '.join(f'{key}={v!r}' for v in supported)})")
    _ember_rnn_attributes(module, state)


# layer settings ember's layers refuse in their constructors (a torch file could hold them): the values they have
_ONLY_SETTINGS = {"padding_mode": ("zeros", "reflect", "replicate", "circular")}


# ember's recurrent layers keep their kind as _mode; torch's keep it as mode (cells: by class and nonlinearity),
# with the names of their weights, which torch's forward reads
_TORCH_RNN_ONLY = ("mode", "_all_weights", "_flat_weights_names", "_flat_weights", "_flat_weight_refs")


def _ember_rnn_attributes(module, state):
    from .nn.modules.rnn import RNNCellBase, RNNBase
    if not isinstance(module, (RNNBase, RNNCellBase)):
        return
    proj_size = state.get("proj_size", 0)
    if proj_size != 0 and (not isinstance(module, RNNBase) or state.get("mode", "LSTM") != "LSTM" or
                           not isinstance(proj_size, int)):
        raise LoadError(f"it holds a {type(module).__name__} with proj_size={proj_size!r} (only an LSTM projects)")
    if isinstance(module, RNNBase):
        module.__dict__.setdefault("proj_size", 0)  # (a file from before ember's layers had it)
    if "_mode" not in state:
        mode = state.get("mode") or {"LSTMCell": "LSTM", "GRUCell": "GRU"}.get(type(module).__name__) or \
            ("RNN_RELU" if state.get("nonlinearity") == "relu" else "RNN_TANH")
        if mode not in ("RNN_TANH", "RNN_RELU", "LSTM", "GRU"):
            raise LoadError(f"a recurrent layer's mode is {mode!r}")
        object.__setattr__(module, "_mode", mode)
    for key in _TORCH_RNN_ONLY:
        module.__dict__.pop(key, None)


def _torch_rnn_attributes(module):
    from .nn.modules.rnn import RNNBase
    if not isinstance(module, RNNBase):
        return {}
    groups = [[f"{kind}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
               if f"{kind}{suffix}" in module._parameters]
              for layer in range(module.num_layers) for suffix in (f"_l{layer}", f"_l{layer}_reverse")
              if f"weight_ih{suffix}" in module._parameters]
    names = [name for group in groups for name in group]
    return {"mode": module._mode, "proj_size": module.proj_size, "_all_weights": groups, "_flat_weights_names": names,
            "_flat_weights": [module._parameters[name] for name in names]}


# ---------------------------------------------------------------------------------------------------------------
# torch.serialization's registry of safe globals: names that weights_only=True loads as well
# ---------------------------------------------------------------------------------------------------------------
_SAFE_GLOBALS = []


def add_safe_globals(safe_globals):
    """Allow these classes (or (class, "module.Name") pairs) in files loaded with weights_only=True, as torch's."""
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f"add_safe_globals expects a list of classes, not {type(safe_globals).__name__}")
    for entry in safe_globals:
        if isinstance(entry, tuple) and (len(entry) != 2 or type(entry[1]) is not str):
            raise TypeError(f"a safe global given as a tuple must be (object, 'module.name'), not {entry!r}")
    _SAFE_GLOBALS.extend(safe_globals)


def get_safe_globals():
    """The list add_safe_globals has made."""
    return list(_SAFE_GLOBALS)


def clear_safe_globals():
    """Forget every safe global added."""
    _SAFE_GLOBALS.clear()


class safe_globals:
    """with ember.serialization.safe_globals([Net]): the classes are safe globals inside the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._before = get_safe_globals()
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc_info):
        _SAFE_GLOBALS[:] = self._before


def _spellings(entry):
    """The names a safe global may appear under in a file: its own, and torch's for an ember class."""
    if isinstance(entry, tuple):
        return entry[0], {entry[1]}
    import ember.nn
    name = getattr(entry, "__qualname__", "")
    own = f"{getattr(entry, '__module__', '')}.{name}"
    if not own.startswith("ember."):
        return entry, {own}
    return entry, {own, "torch" + own[len("ember"):]} | ({f"torch.nn.{name}"} if getattr(ember.nn, name, None) is entry
                                                         else set())


def _user_global(module, name):
    """What add_safe_globals registered under module.name: ember's own version of a name it knows, or the
    object itself (a class is built as torch builds it; a function is only ever a value, never called)."""
    full = f"{module}.{name}"
    for entry in _SAFE_GLOBALS:
        obj, names = _spellings(entry)
        if full in names:
            known = _full_global(module, name)
            if known is not None:
                return known
            if isinstance(obj, type) and module.split(".")[0] not in _NEVER:
                return obj
    return None


# modules whose classes ember never builds, whatever add_safe_globals was given: they run programs, import code,
# or touch files and processes
_NEVER = {"os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "shutil", "importlib", "runpy",
          "socket", "ctypes", "pickle", "_pickle", "marshal", "code", "codeop", "pty", "multiprocessing",
          "webbrowser", "io", "_io", "pathlib", "tempfile", "threading", "signal", "types", "functools",
          "operator"}


def _user_class(cls):
    return isinstance(cls, type) and any(_spellings(e)[0] is cls for e in _SAFE_GLOBALS)


# ---------------------------------------------------------------------------------------------------------------
# The unpickler
# ---------------------------------------------------------------------------------------------------------------
def _load_reduce(self):
    args = self.stack.pop()
    func = self.stack[-1]
    allowed = any(func is f for f in (*_allowed_globals()[1], *_NUMPY_CALLABLES)) or \
        _user_class(func) and not _is_module_class(func)
    if not allowed or type(args) is not tuple:
        raise LoadError(f"its pickle calls {getattr(func, '__name__', type(func).__name__)}, which is not "
                        "on ember's allowlist")
    self.stack[-1] = func(*args)


def _load_newobj(self):
    args = self.stack.pop()
    cls = self.stack[-1]
    if _is_module_class(cls) and args == ():
        self.stack[-1] = _new_module(cls)
    elif _user_class(cls) and type(args) is tuple:
        self.stack[-1] = cls.__new__(cls, *args)
    else:
        raise LoadError(f"its pickle uses the NEWOBJ opcode to build a {getattr(cls, '__name__', cls)!r}, which "
                        "is not an nn.Module class or a class given to add_safe_globals")


def _load_build(self):
    from .nn import Module
    state = self.stack.pop()
    target = self.stack[-1]
    if isinstance(target, Module):
        _build_module(target, state)
    elif type(target) is np.ndarray:
        _build_array(target, state)
    elif type(target) is np.dtype or isinstance(target, np.dtype) and type(target).__module__.startswith("numpy"):
        _build_dtype(target, state)
    elif _user_class(type(target)):  # as torch builds a class given to add_safe_globals
        setstate = getattr(type(target), "__setstate__", None)
        setstate(target, state) if setstate is not None else target.__dict__.update(state)
    elif type(target) is OrderedDict and type(state) is dict and all(type(k) is str for k in state):
        target.__dict__.update(state)  # a state_dict()'s _metadata
    else:
        raise LoadError(f"its pickle uses BUILD to set the state of a {type(target).__name__}; only an "
                        "OrderedDict's attributes, a module's, a NumPy array's and a safe global's may be set")


def _is_module_class(cls):
    from .nn import Module
    return isinstance(cls, type) and issubclass(cls, Module)


def _refuse_opcode(op):
    def refuse(self):
        raise LoadError(f"its pickle uses the {op.name} opcode, which builds arbitrary objects; PyTorch "
                        "checkpoints never need it")
    return refuse


_DATA_OPCODES = set(
    "PROTO FRAME STOP MARK POP POP_MARK DUP INT BININT BININT1 BININT2 LONG LONG1 LONG4 STRING BINSTRING "
    "SHORT_BINSTRING BINBYTES SHORT_BINBYTES BINBYTES8 BYTEARRAY8 UNICODE BINUNICODE SHORT_BINUNICODE BINUNICODE8 "
    "NONE NEWTRUE NEWFALSE FLOAT BINFLOAT EMPTY_LIST APPEND APPENDS LIST EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 "
    "EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS FROZENSET GET BINGET LONG_BINGET PUT BINPUT LONG_BINPUT "
    "MEMOIZE GLOBAL STACK_GLOBAL PERSID BINPERSID".split())


def _data_only_dispatch():
    table = dict(pickle._Unpickler.dispatch)
    for op in pickletools.opcodes:
        if op.name not in _DATA_OPCODES:
            table[ord(op.code)] = _refuse_opcode(op)
    table[pickle.REDUCE[0]] = _load_reduce
    table[pickle.NEWOBJ[0]] = _load_newobj
    table[pickle.BUILD[0]] = _load_build
    return table


def _no_storages(pid):
    raise LoadError(f"its pickle refers to an external object {pid!r} where none may be")


class _AllowlistUnpickler(pickle._Unpickler):
    """Python's pure-Python unpickler with the opcode table cut down to data, GLOBAL limited to the allowlist and
    REDUCE to its callables (the C unpickler cannot be stopped from setting attributes on what GLOBAL returns)."""

    dispatch = _data_only_dispatch()

    def __init__(self, file, persistent_load=_no_storages, weights_only=True):
        super().__init__(file, encoding="utf-8")
        self._persistent_load, self.weights_only = persistent_load, weights_only

    def find_class(self, module, name):
        if type(module) is not str or type(name) is not str:
            raise LoadError(f"its pickle names a global by {module!r} {name!r}, not by strings")
        found = _allowed_globals()[0].get((module, name))
        if found is None:
            found = _user_global(module, name) if self.weights_only else _full_global(module, name)
            if found is None and not self.weights_only:
                found = _user_global(module, name)
        if found is None:
            raise _refuse_global(module, name, self.weights_only)
        return found

    def persistent_load(self, pid):
        return self._persistent_load(pid)


def _storage_id(pid, fields):
    """Check a persistent id ('storage', storage type, key, location, numel, ...) and return its parts."""
    if type(pid) is not tuple or len(pid) != fields or pid[0] != "storage":
        kind = pid[0] if type(pid) is tuple and pid else pid
        raise LoadError(f"its pickle refers to an external object {kind!r}; ember reads only tensor storages"
                        + (" (a whole pickled nn.Module: save model.state_dict() instead)" if kind == "module"
                           else ""))
    storage_type, key, location, numel = pid[1:5]
    if not isinstance(storage_type, _StorageType) or type(key) is not str or type(location) is not str or \
            not _is_int(numel):
        raise LoadError(f"its pickle has a malformed storage reference {pid!r}")
    return storage_type.dtype, key, location, numel


def read_pytorch(data, kind, map_location, weights_only=True):
    """Read a torch.save checkpoint (kind 'torch-zip' or 'torch-legacy') from its bytes; weights_only=False lets
    it hold nn.Modules and NumPy values too."""
    reader = _read_zip if kind == "torch-zip" else _read_legacy
    try:
        return reader(data, map_location, weights_only)
    except LoadError:
        raise
    except RecursionError:
        raise LoadError("its objects are nested too deeply to read") from None
    except Exception as error:  # a damaged file fails in many ways; the user needs to know it is damaged
        raise LoadError(f"it is a damaged PyTorch checkpoint ({type(error).__name__}: {error})") from None


def _read_zip(data, map_location, weights_only):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise LoadError(f"it starts like a PyTorch (zip) checkpoint but is not a complete zip archive "
                        f"(truncated?): {error}") from None
    names = archive.namelist()
    if len(set(names)) != len(names):
        raise LoadError("its zip archive holds two records of the same name")
    pickles = [n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")]
    if len(pickles) != 1:
        what = "a TorchScript archive (torch.jit.save)" if any(n.endswith("/constants.pkl") for n in names) \
            else "a zip archive without exactly one <name>/data.pkl"
        raise LoadError(f"it is {what}, not a torch.save checkpoint; in PyTorch, torch.save(model.state_dict(), "
                        "path) writes one ember can read")
    prefix = pickles[0][:-len("data.pkl")]

    def record(name):
        info = archive.getinfo(prefix + name)
        if info.compress_type != zipfile.ZIP_STORED:
            raise LoadError(f"its record {prefix + name} is compressed, which torch.save never does")
        return archive.read(info)  # checks the record's CRC-32

    order = record("byteorder") if prefix + "byteorder" in names else b"little"
    if order not in (b"little", b"big"):
        raise LoadError(f"its byteorder record says {order[:20]!r}")
    storages = {}

    def load_storage(pid):
        dtype, key, location, numel = _storage_id(pid, 5)
        if key not in storages:
            raw = record(f"data/{key}")
            if len(raw) != numel * dtype.itemsize:
                raise LoadError(f"storage {key} should hold {numel} {dtype} elements but has {len(raw)} bytes")
            array = np.frombuffer(raw, dtype.np.newbyteorder("<" if order == b"little" else ">"))
            flat = _wrap(array.astype(dtype.np))  # a writable, native-order copy
            storages[key] = _Storage(flat._data, target_device(location, map_location, flat))
        elif storages[key].array.dtype != dtype.np:
            raise LoadError(f"storage {key} is read as two different dtypes")
        return storages[key]

    return _AllowlistUnpickler(io.BytesIO(record("data.pkl")), load_storage, weights_only).load()


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def _read_legacy(data, map_location, weights_only):
    stream = io.BytesIO(data)  # several pickles one after another, then the storages' bytes

    def next_pickle(persistent_load=_no_storages):
        return _AllowlistUnpickler(stream, persistent_load, weights_only).load()

    try:
        magic = next_pickle()
    except Exception:  # whatever this pickle is, it is not a PyTorch checkpoint; it never runs
        magic = None
    if magic != _LEGACY_MAGIC:
        raise LoadError("it is a pickle but not a PyTorch checkpoint (no torch.save magic number); ember.load reads "
                        "only ember's safetensors files and PyTorch checkpoints, never arbitrary pickles")
    protocol, info = next_pickle(), next_pickle()
    if protocol != _LEGACY_PROTOCOL or not isinstance(info, dict) or info.get("little_endian") is not True:
        raise LoadError(f"it is a legacy PyTorch checkpoint of protocol {protocol!r} / {info!r} that ember cannot "
                        "read; save it again with a current torch.save")
    storages = {}

    def load_storage(pid):
        if not weights_only and type(pid) is tuple and len(pid) == 4 and pid[0] == "module" and \
                _is_module_class(pid[1]):
            return pid[1]  # the legacy format names a module's class with its source code, which ember ignores
        if type(pid) is tuple and len(pid) == 6 and pid[5] is not None:
            raise LoadError("it uses storage views of PyTorch before 0.4; save it again with a current torch.save")
        dtype, key, location, numel = _storage_id(pid, 6)
        if target_device(location, map_location) != _backend.CPU:
            raise LoadError("ember reads legacy PyTorch files to the CPU only: pass map_location='cpu' and move "
                            "the tensors afterwards")
        if key not in storages:  # filled after the object's pickle, where the data follow
            storages[key] = _Storage(np.zeros(numel, dtype.np), _backend.CPU)
        elif storages[key].array.dtype != dtype.np or storages[key].array.size != numel:
            raise LoadError(f"storage {key} is read as two different types")
        return storages[key]

    result = next_pickle(load_storage)
    keys = next_pickle()
    if not isinstance(keys, list) or sorted(keys) != sorted(storages):
        raise LoadError("its list of storages does not match the storages its objects use")
    for key in keys:
        array = storages[key].array
        count = int.from_bytes(stream.read(8), "little")
        raw = stream.read(array.nbytes)
        if count != array.size or len(raw) != array.nbytes:
            raise LoadError(f"storage {key} is truncated or has the wrong size")
        array[...] = np.frombuffer(raw, array.dtype)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Writing torch.save's zip format: how ember.save stores whole models
# ---------------------------------------------------------------------------------------------------------------
_STORAGE_NAMES = {dtype: name for name, dtype in _STORAGE_DTYPES.items() if name != "UntypedStorage"}
MAX_DEPTH = 200  # as ember.save's own format: deeper (or self-containing) structures are refused


class _PickleWriter:
    """The pickle (protocol 2) torch.save writes, of only what the allowlist reads back: modules by class name,
    tensors as storages kept beside the pickle, NumPy arrays and numbers, containers. Anything else, TypeError."""

    def __init__(self):
        self.out, self.memo, self.keep, self.storages = io.BytesIO(), {}, [], []

    def dump(self, obj):
        self.out.write(b"\x80\x02")
        self.save(obj, 0)
        self.out.write(b".")
        return self.out.getvalue()

    def put(self, obj):
        """Remember obj, so that a second reference to it loads as the same object."""
        index = self.memo[id(obj)] = len(self.memo)
        self.keep.append(obj)  # its id stays its own while the writer lives
        self.out.write(b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index))

    def global_(self, module, name):
        self.out.write(b"c" + f"{module}\n{name}\n".encode())

    def call(self, module, name, *args, depth):
        """module.name(*args), as REDUCE."""
        self.global_(module, name)
        self.save(args, depth + 1)
        self.out.write(b"R")

    def save(self, obj, depth):
        from .nn import Module, Parameter
        if depth > MAX_DEPTH:
            raise RecursionError(f"ember.save: the object is nested more than {MAX_DEPTH} levels deep; save a "
                                 "flatter structure")
        write = self.out.write
        if id(obj) in self.memo:
            index = self.memo[id(obj)]
            write(b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index))
        elif obj is None or type(obj) is bool:
            write(b"N" if obj is None else b"\x88" if obj else b"\x89")
        elif isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind in "biufc":
            self.array(obj, depth)
        elif isinstance(obj, np.dtype) and obj.kind in "biufc":
            self.dtype(obj, depth)
        elif type(obj) is _Global:
            self.global_(obj.module, obj.name)
        elif type(obj) is int:
            if -2**31 <= obj < 2**31:
                write(b"J" + struct.pack("<i", obj))
            else:
                data = pickle.encode_long(obj)
                write(b"\x8a" + bytes([len(data)]) + data if len(data) < 256 else
                      b"\x8b" + struct.pack("<i", len(data)) + data)
        elif type(obj) is float:
            write(b"G" + struct.pack(">d", obj))
        elif type(obj) is str:
            data = obj.encode("utf-8", "surrogatepass")
            write(b"X" + struct.pack("<I", len(data)) + data)
        elif type(obj) is bytes:
            self.call("_codecs", "encode", obj.decode("latin1"), "latin1", depth=depth)
        elif type(obj) is complex:
            self.call("__builtin__", "complex", obj.real, obj.imag, depth=depth)
        elif type(obj) is tuple or type(obj) is Size:
            if type(obj) is Size:
                self.call("torch", "Size", tuple(obj), depth=depth)
            elif obj:
                write(b"(")
                for item in obj:
                    self.save(item, depth + 1)
                write(b"t")
            else:
                write(b")")
        elif type(obj) in (list, dict, OrderedDict):
            if type(obj) is OrderedDict:
                self.call("collections", "OrderedDict", depth=depth)
            else:
                write(b"]" if type(obj) is list else b"}")
            self.put(obj)
            if obj:
                write(b"(")
                for item in obj.items() if isinstance(obj, dict) else obj:
                    for part in item if isinstance(obj, dict) else (item,):
                        self.save(part, depth + 1)
                write(b"u" if isinstance(obj, dict) else b"e")
        elif type(obj) in (set, frozenset):
            self.call("__builtin__", type(obj).__name__, list(obj), depth=depth)
        elif isinstance(obj, _backend.dtype):
            self.global_("torch", obj.name)
        elif isinstance(obj, _backend.device):
            self.call("torch", "device", str(obj), depth=depth)
        elif isinstance(obj, Parameter):
            self.call("torch._utils", "_rebuild_parameter", obj.detach(), obj.requires_grad, OrderedDict(),
                      depth=depth)
            self.put(obj)
        elif isinstance(obj, Tensor):
            self.tensor(obj, depth)
        elif isinstance(obj, Module):
            self.module(obj, depth)
        elif isinstance(obj, type) and issubclass(obj, Module):  # a layer class kept as an attribute
            self.global_(*_class_name(obj))
        elif inspect.isfunction(obj) and _function_name(obj):
            self.global_(*_function_name(obj))
        else:
            raise TypeError(
                f"ember.save can store modules, tensors, NumPy arrays, numbers, strings, None and "
                f"lists/tuples/dicts/sets of them, not {type(obj).__name__}: files ember writes hold no code")

    def tensor(self, tensor, depth):
        array = np.require(tensor.detach().cpu()._data, requirements="C")  # (ascontiguousarray makes 0-d 1-d)
        if array.dtype.name not in _STORAGE_NAMES:
            raise TypeError(f"ember.save: a tensor of dtype {array.dtype} has no PyTorch storage type")
        key = str(len(self.storages))
        self.storages.append(array)
        location = "cpu" if tensor.device.type == "cpu" else str(tensor.device)
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.out.write(b"(")
        self.save(("storage", _Global("torch", _STORAGE_NAMES[array.dtype.name]), key, location, array.size),
                  depth + 1)
        self.out.write(b"Q")  # BINPERSID: the storage is the record data/<key> beside the pickle
        strides = tuple(s // array.itemsize for s in array.strides)
        for value in (0, tuple(array.shape), strides, tensor.requires_grad, OrderedDict()):
            self.save(value, depth + 1)
        self.out.write(b"tR")
        self.put(tensor)

    def module(self, module, depth):
        cls = type(module)
        hooks = [k for k in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks") if module.__dict__.get(k)]
        if hooks:
            raise TypeError(f"ember.save: the {cls.__name__} module has hooks ({', '.join(hooks)}), which are "
                            "code; remove them (handle.remove()) before saving, or save model.state_dict()")
        self.global_(*_class_name(cls))
        self.out.write(b")\x81")  # NEWOBJ: cls.__new__(cls), filled by BUILD
        self.put(module)
        own = module.__dict__
        state = {"training": module.training, "_parameters": dict(module._parameters),
                 "_buffers": dict(module._buffers),
                 "_non_persistent_buffers_set": set(module._non_persistent_buffers)}
        state.update({k: OrderedDict() for k in _MODULE_HOOKS}, _is_full_backward_hook=None)
        state["_modules"] = dict(module._modules)
        state.update((k, v) for k, v in own.items() if k not in state and k != "_non_persistent_buffers")
        state.update(_torch_rnn_attributes(module))
        self.save(state, depth + 1)
        self.out.write(b"b")

    def array(self, array, depth):
        """numpy's own pickle of an array (_reconstruct, then BUILD) or a scalar, with its dtype."""
        module = np.ndarray.__reduce__(np.zeros(0))[0].__module__  # numpy.core or numpy._core, as installed
        if isinstance(array, np.generic):
            self.call(module, "scalar", array.dtype, array.tobytes(), depth=depth)
            return
        self.call(module, "_reconstruct", _Global("numpy", "ndarray"), (0,), b"b", depth=depth)
        self.save((1, tuple(array.shape), array.dtype, False, np.ascontiguousarray(array).tobytes()), depth + 1)
        self.out.write(b"b")

    def dtype(self, dtype, depth):
        self.call("numpy", "dtype", dtype.str[1:], False, True, depth=depth)
        self.save(dtype.__reduce__()[2], depth + 1)
        self.out.write(b"b")


class _Global:
    """A name the pickle refers to by GLOBAL (torch.FloatStorage, numpy.ndarray)."""

    def __init__(self, module, name):
        self.module, self.name = module, name


def _class_name(cls):
    """(module, name) of an nn.Module class as the pickle names it: torch's for ember's layers (torch.nn.Linear),
    its own for the program's (__main__.Net)."""
    import ember.nn
    name, where = cls.__qualname__, cls.__module__
    if "<locals>" in name:
        raise pickle.PicklingError(f"Can't pickle local object {name!r}: define the class {cls.__name__} at the top "
                                   "level of a module so that loading can find it")
    if where.startswith("ember."):  # torch's public name (ember's files are laid out differently)
        where = "torch.nn" if getattr(ember.nn, name, None) is cls else "torch" + where[len("ember"):]
    return where, name


def _function_name(fn):
    """(module, name) of an ember function as torch spells it (torch.nn.functional.relu), or None."""
    from . import nn
    for module, namespace in (("torch.nn.functional", nn.functional), ("torch", sys.modules["ember"])):
        if getattr(namespace, fn.__name__, None) is fn and _full_global(module, fn.__name__) is fn:
            return module, fn.__name__  # only what loading accepts back
    return None


def write_pytorch(obj):
    """obj as torch.save writes it: a zip of archive/data.pkl, archive/data/<key> for each storage, and the
    records torch.load looks for. Raises TypeError for what the allowlist would not read back."""
    writer = _PickleWriter()
    pickled = writer.dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        for key, array in enumerate(writer.storages):
            archive.writestr(f"archive/data/{key}", array.astype(array.dtype.newbyteorder("<")).tobytes())
        archive.writestr("archive/version", "3\n")
    return out.getvalue()
