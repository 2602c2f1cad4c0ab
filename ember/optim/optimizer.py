"""Optimizer: param_groups, per-parameter state, zero_grad, step(closure), state_dict.

Updates work on the parameters' arrays in place and build no graph: an
optimizer step is bookkeeping, not something to differentiate.
"""
import warnings
from collections import defaultdict

import numpy as np

from .. import _backend
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor, _bump_version, _wrap


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """The base of every optimizer: param_groups, per-parameter state, zero_grad, step, state_dict."""
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}: pass model.parameters() or [tensor]")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyper-parameters (the rest from the defaults)."""
        group = dict(param_group)
        if "params" not in group:
            raise KeyError("params: a param group is a dict with a 'params' entry (a list of tensors), e.g. "
                           "{'params': model.fc.parameters(), 'lr': 0.01}")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        group["params"] = params = list(params)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information. Give each "
                          "parameter once (model.parameters() already does).", UserWarning, stacklevel=3)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of every parameter (set to None by default) before the next backward."""
        for group in self.param_groups:
            for p in group["params"]:  # (the ._grad slot: parameters are leaves, and None needs no checks)
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    grad.detach_()
                    grad._data.fill(0)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; closure re-evaluates the loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True  # (learning-rate schedulers check that step() came first)
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                grad = grad._data
                self._update(p._data, -grad if group.get("maximize") else grad, self.state[p], group)
                _bump_version(p)
        return loss

    def _update(self, param, grad, state, group):
        """Update one parameter's array in place; state holds its buffers (as Tensors)."""
        raise NotImplementedError

    # ---- saving and restoring ----------------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as PyTorch lays it out."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        params = {id(p): p for g in self.param_groups for p in g["params"]}
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in params}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore the state (moments, step counts) and hyper-parameters saved by state_dict()."""
        groups, saved_groups = self.param_groups, state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        by_index = {}
        for g, s in zip(groups, saved_groups):
            for p, i in zip(g["params"], s["params"]):
                by_index[i] = p
        self.state = defaultdict(dict)
        for i, values in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: _cast_like(v, p, k) for k, v in values.items()}
        for g, s in zip(groups, saved_groups):
            g.update({k: v for k, v in s.items() if k != "params"})

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def _cast_like(value, param, key):
    """State tensors take the parameter's dtype (a 'step' counter stays as it is), as in PyTorch."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step":  # state lives on its parameter's device, in its dtype (the step counter on the host)
            data = _backend.move(data, _backend.device_of(param._data))
            data = data.astype(param._data.dtype) if data.dtype.kind == "f" else data
        return _wrap(data.copy())
    return value


def _check(condition, message):
    if not condition:
        raise ValueError(message)


def buffer(state, name, like, fill=0.0):
    """The state Tensor called name, created full of fill (shaped like the parameter) on first use."""
    if name not in state:
        state[name] = _wrap(np.full_like(like, fill))
    return state[name]._data


def count_step(state):
    """Advance and return the step counter, kept as a float32 0-d Tensor as PyTorch keeps it."""
    if "step" not in state:
        state["step"] = _wrap(np.zeros((), np.float32))
    state["step"]._data += 1
    return float(state["step"]._data)
