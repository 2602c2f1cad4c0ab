"""Module: the base of every layer and model, with PyTorch's registration, naming and state behaviour."""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ...autograd.function import Op
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ..._backend import to_dtype
from ...tensor import Tensor
from ...ops.shape import _share_version
from ...utils.hooks import add_hook
from ..parameter import Buffer, Parameter, UninitializedBuffer, is_lazy

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Subclass it, assign layers and Parameters as attributes in __init__, and write forward().

    Attribute assignment registers: a Parameter goes to _parameters, a Module to
    _modules, a Tensor named by register_buffer to _buffers. That is how
    parameters(), state_dict() and train()/eval() find everything.
    """

    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments; did you forget to call "
                            "super().__init__() first with no arguments?")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        # Hook dicts map a handle's id to the hook itself, as torch's do (torch.nn.utils.prune looks its pruning
        # objects up there); the ids of hooks that take keyword arguments are noted beside them.
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        """The module's computation; call the module itself (module(x)) so that its hooks run."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- hooks: look at (or change) what goes in and out of a layer ------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) runs before forward; returning a value (or tuple) replaces the arguments."""
        return _add(self._forward_pre_hooks, hook, prepend, self._forward_pre_hooks_with_kwargs, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """hook(module, args, output) runs after forward; returning a value replaces the output."""
        return _add(self._forward_hooks, hook, prepend, self._forward_hooks_with_kwargs, with_kwargs)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) runs once the gradients of the layer's inputs are known.

        grad_input and grad_output are tuples (None for an input that needs no gradient); returning a
        tuple replaces grad_input.
        """
        return _add(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """Call hook(module, grad_input, grad_output) during backward (prefer register_full_backward_hook)."""
        raise RuntimeError("register_backward_hook is deprecated in PyTorch (it saw only the last op of a "
                           "layer); use register_full_backward_hook(hook), which sees the whole layer")

    def _call_with_hooks(self, args, kwargs):
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        record = self._backward_hooks and is_grad_enabled()
        if record:
            call = _BackwardHookCall(self, args)
            args = call.mark_inputs(args)
        out = self.forward(*args, **kwargs)
        for key, hook in list(self._forward_hooks.items()):
            with_kwargs = key in self._forward_hooks_with_kwargs
            result = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if result is not None:
                out = result
        return call.mark_outputs(out) if record else out

    # ---- registration ----------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign attributes before Module.__init__() call: call "
                                 "super().__init__() at the start of your __init__")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            if name not in params:  # (a parameter assigned again keeps its place in state_dict, as in torch)
                self._forget(name)
                self._check_free(name, params)  # (what is left is the class's: a parametrization's property)
            params[name] = value
        elif isinstance(value, Module):
            if name not in modules:
                self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(ember.nn.Module or None expected)")
            modules[name] = None
        elif isinstance(value, (Buffer, UninitializedBuffer)):  # (nn.Buffer(t): register_buffer by assignment)
            self.register_buffer(name, value._as_tensor() if isinstance(value, Buffer) else value, value.persistent)
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for store in (self.__dict__, self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name, param):
        """Register a Parameter (or None) under name."""
        if "." in name or not name:
            raise KeyError(f'parameter name can\'t contain "." or be empty, got "{name}"')
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(ember.nn.Parameter or None required)")
        self._check_free(name, self._parameters)
        if name not in self._parameters:  # (registered again: it keeps its place, as in torch)
            self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a tensor that is state but not a parameter (e.g. running means), saved in state_dict if persistent."""
        if "." in name or not name:
            raise KeyError(f'buffer name can\'t contain "." or be empty, got "{name}"')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None "
                            "required)")
        self._check_free(name, self._buffers)
        if name not in self._buffers:
            self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def _check_free(self, name, registry):
        """register_buffer/register_parameter may not silently replace another attribute (PyTorch's KeyError)."""
        if name not in registry and getattr(self, name, None) is not None:  # (a None placeholder may be replaced)
            raise KeyError(f"attribute '{name}' already exists; pick another name, or delete it first "
                           f"(del module.{name})")

    def add_module(self, name, module):
        """Register a child module under name."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if "." in name or not name:
            raise KeyError(f'module name can\'t contain "." or be empty, got "{name}"')
        if name not in self._modules:
            self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The sub-module at a dotted path such as 'encoder.layers.0'."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def get_parameter(self, target):
        """The parameter at a dotted path such as 'fc.weight'."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    # ---- walking the tree ------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every module inside it."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        """This module and every module inside it."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """(name, module) for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        """The direct child modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, store, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) for every parameter, the children's included."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every parameter, the children's included: what an optimizer is given."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) for every buffer, the children's included."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer, the children's included."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- modes and gradients ---------------------------------------------------------------------
    def train(self, mode=True):
        """Switch to training mode (dropout active, batch norm using batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Switch to evaluation mode (dropout off, batch norm using running statistics); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear the gradients (set to None by default) before the next backward."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_()
                param.grad.zero_()

    def apply(self, fn):
        """Call fn on every sub-module and then on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- dtype and device ------------------------------------------------------------------------
    def _convert(self, fn):
        """Change every parameter and buffer in place (same Parameter objects, so optimizers still hold them)."""
        with no_grad():
            for module in self.modules():
                for store in (module._parameters, module._buffers):
                    for name, value in store.items():
                        if value is not None:
                            value._data = fn(value)._data
                            if value.grad is not None:
                                value.grad._data = fn(value.grad)._data
        return self

    def to(self, *args, **kwargs):
        """Move and/or cast the parameters and buffers (device, dtype) in place; returns self."""
        from ...ops.device import parse_to
        dt, dev, _ = parse_to(args, dict(kwargs))
        if dt is not None and not to_dtype(dt).is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={to_dtype(dt)}; a layer's parameters are learned, so they must be floating point")
        return self._convert(lambda t: t.to(device=dev, dtype=dt if t.is_floating_point() else None))

    def float(self):
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self._convert(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        """Cast floating-point parameters and buffers to float64; returns self."""
        return self._convert(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        """Cast floating-point parameters and buffers to float16; returns self."""
        return self._convert(lambda t: t.half() if t.is_floating_point() else t)

    def cpu(self):
        """Move parameters and buffers to the CPU; returns self."""
        return self._convert(lambda t: t.cpu())

    def cuda(self, device=None):
        """Move parameters and buffers to a CUDA device; returns self."""
        return self._convert(lambda t: t.cuda(device))

    def share_memory(self):
        """Put parameters and buffers in memory shared with processes started afterwards (Hogwild); returns self."""
        return self._convert(lambda t: t.share_memory_())

    # ---- state -----------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Every parameter and persistent buffer under its dotted name; tensors share memory with the module."""
        out = OrderedDict() if destination is None else destination
        for name, param in self._parameters.items():
            if param is not None:  # (a lazy module's uninitialized parameter is listed as itself, as in torch)
                out[prefix + name] = param if keep_vars or is_lazy(param) else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = buffer if keep_vars or is_lazy(buffer) else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values into the module's tensors; name the missing, unexpected and mis-shaped keys."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}; pass model.state_dict() "
                            "or what ember.load returned for it")
        expected = self.state_dict(keep_vars=True)
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict if k not in expected]
        errors = []
        with no_grad():
            for key, target in expected.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                if not isinstance(value, Tensor):
                    errors.append(f'While copying the parameter named "{key}", expected a Tensor in the state '
                                  f"dict, but got {type(value).__name__}.")
                    continue
                if is_lazy(target) and not is_lazy(value):  # (a lazy module takes the checkpoint's shape)
                    target.materialize(value.shape)
                if tuple(value.shape) != tuple(target.shape):
                    errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} from "
                                  f"checkpoint, the shape in current model is {target.shape}.")
                    continue
                if assign:
                    target._data = value._data
                else:
                    target.copy_(value)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return IncompatibleKeys(missing, unexpected)

    # ---- printing --------------------------------------------------------------------------------
    def extra_repr(self):
        """The module's settings, as shown inside its printed form."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = self._get_name() + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _add(hooks, entry, prepend, kwargs_notes=None, with_kwargs=False):
    handle = add_hook(hooks, entry, () if kwargs_notes is None else (kwargs_notes,))
    if with_kwargs:
        kwargs_notes[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class BackwardHookFunction(Op):
    """Identity on a module's inputs and outputs: its backward is where a full backward hook sees the gradients."""

    @staticmethod
    def forward(ctx, a, call, position, is_input):
        ctx.call, ctx.position, ctx.is_input = call, position, is_input
        return a.view()

    @staticmethod
    def backward(ctx, grad):
        return ctx.call.arrived(grad, ctx.position, ctx.is_input), None, None, None

    def name(self):
        return "BackwardHookFunctionBackward"


class _BackwardHookCall:
    """One call of a module with full backward hooks: collects grad_output, then grad_input, then runs the hooks."""

    def __init__(self, module, args):
        self.module = module
        self.grad_input = [None] * len(args)
        self.grad_output = []
        self.waiting_inputs = 0
        self.waiting_outputs = 0

    def mark_inputs(self, args):
        marked = []
        for i, x in enumerate(args):
            if isinstance(x, Tensor) and x.requires_grad:
                x = _share_version(x, BackwardHookFunction.apply(x, self, i, True))
                self.waiting_inputs += 1
            marked.append(x)
        return tuple(marked)

    def mark_outputs(self, out):
        single = isinstance(out, Tensor)
        outputs = [out] if single else list(out) if isinstance(out, (tuple, list)) else None
        if outputs is None:
            return out
        self.grad_output = [None] * len(outputs)
        for i, y in enumerate(outputs):
            if isinstance(y, Tensor) and y.requires_grad:
                outputs[i] = _share_version(y, BackwardHookFunction.apply(y, self, i, False))
                self.waiting_outputs += 1
        return outputs[0] if single else type(out)(outputs)

    def arrived(self, grad, position, is_input):
        if not is_input:
            self.grad_output[position] = grad
            self.waiting_outputs -= 1
            if self.waiting_inputs == 0 and self.waiting_outputs == 0:
                self._run()  # no input needs a gradient: PyTorch fires the hooks on the outputs' gradients
            return grad
        self.grad_input[position] = grad
        self.waiting_inputs -= 1
        if self.waiting_inputs:
            return grad
        replaced = self._run()
        return grad if replaced is None else replaced[position]

    def _run(self):
        replaced = None
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, tuple(self.grad_input), tuple(self.grad_output))
            if result is not None:
                if self.waiting_inputs == 0 and sum(g is not None for g in self.grad_input) > 1:
                    raise RuntimeError("ember's full backward hooks can replace grad_input only for a module with "
                                       "one input that needs a gradient")
                replaced = self.grad_input = list(result)
        return replaced


