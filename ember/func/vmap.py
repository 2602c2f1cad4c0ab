"""vmap: func run once per element of the batch, the results stacked.

torch's vmap runs func once on "batched tensors" and vectorises every op through batching rules. ember runs func
once per batch element, each time on the inputs with the batch dimension selected away (``x.select(in_dim, b)``,
a view: gradients flow back to the batched tensor), and stacks what comes back along out_dims. The numbers are
the same; the cost is a Python loop over the batch. Because func sees ordinary tensors, vmap composes with every
other transform and with autograd, and it also runs code torch's vmap refuses (``.item()``, data-dependent
control flow).

Random numbers, by ``randomness``:

- 'error': a draw from any generator inside func raises torch's RuntimeError;
- 'same': every element sees the same numbers: the generators' states are put back before each element, so the
  draw is made once and replayed; the stream ends where one draw leaves it, as in torch;
- 'different': each element draws in turn from the stream. torch draws the whole batch's numbers at once
  (shape (B, ...)); for draws that take the stream element by element (rand, rand_like, dropout, and randn of
  fewer than 16 numbers per element: tests/test_func.py checks these) this is the same stream and ember gives
  torch's numbers bit for bit. torch's normal sampler for 16 or more numbers transforms blocks of 16 over the whole batched
  tensor, so there ember's numbers (independent draws from the same distribution) are not torch's.
"""
import functools

from .. import random as _random
from ..creation import zeros
from ..ops.shape import stack
from ..tensor import Tensor
from ._pytree import broadcast_prefix, tree_flatten

__all__ = ["vmap"]


# ---------------------------------------------------------------------------------------------------------------
# randomness


def _check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


class _Randomness:
    """Watches every draw from a generator while func runs (ember/random.py calls ``drew`` before each draw)."""

    def __init__(self, mode):
        self.mode = mode
        self.sample = 0
        self.saved = {}     # id(generator) -> (generator, its state before its first draw in the first element)

    def __enter__(self):
        self.outer = _random._DRAW_WATCH.hook
        _random._DRAW_WATCH.hook = self.drew
        return self

    def __exit__(self, *exc):
        _random._DRAW_WATCH.hook = self.outer
        return False

    def start_sample(self, b):
        self.sample = b
        if self.mode == "same":
            for gen, state in self.saved.values():
                gen.set_state(state)

    def drew(self, gen):
        if self.mode == "error":
            raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                               "'same' or 'different' randomness flags on vmap or perform the randomness operation "
                               "out of vmap")
        if self.mode == "same" and self.sample == 0 and id(gen) not in self.saved:
            self.saved[id(gen)] = (gen, gen.get_state())
        if self.outer is not None:   # an enclosing vmap has its say too
            self.outer(gen)


# ---------------------------------------------------------------------------------------------------------------
# vmap


def _name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims, func):
    leaves = [out_dims] if isinstance(out_dims, int) else tree_flatten(out_dims)[0]
    for d in leaves:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension "
                             "should appear.")


def _batched_inputs(func, in_dims, args):
    """(the flat arguments, their spec, one in_dim per flat argument made non-negative, the batch size)."""
    name = _name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {spec}.")
    dims = []
    for arg, d in zip(flat_args, flat_dims):
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but "
                             "in_dim must be either an integer dimension or None.")
        if d is not None and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                             f"input is of type {type(arg)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if d is not None and not -arg.dim() <= d < arg.dim():
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but "
                             f"that input is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        dims.append(None if d is None else d % arg.dim())
    sizes = [arg.shape[d] for arg, d in zip(flat_args, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return flat_args, spec, dims, sizes[0]


def _same_everywhere(values):
    """Is an output the same for every element (so that out_dims=None may return it)?"""
    first = values[0]
    if all(v is first for v in values):
        return True
    if isinstance(first, Tensor):
        return all(isinstance(v, Tensor) and v.shape == first.shape and bool((v == first).all()) for v in values)
    return all(v == first for v in values)


def _stack_outputs(func, out_dims, per_sample, empty=False):
    """The per-element outputs (each with the same nesting) joined along out_dims (``empty``: keep none of them)."""
    name = _name(func)
    flat0, spec = tree_flatten(per_sample[0])
    flats = [flat0] + [tree_flatten(out)[0] for out in per_sample[1:]]
    if any(tree_flatten(out)[1] != spec for out in per_sample[1:]):
        raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures for different "
                         "elements of the batch; ember's vmap runs func once per element and needs one structure")

    def incompatible():
        return ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                          f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs "
                          f"has structure {spec}.")

    if isinstance(per_sample[0], Tensor):   # torch's edge case: a lone Tensor takes an int, None or (d,)
        if isinstance(out_dims, int) or out_dims is None:
            flat_dims = [out_dims]
        elif isinstance(out_dims, tuple) and len(out_dims) == 1:
            flat_dims = list(out_dims)
        else:
            raise incompatible()
    else:
        flat_dims = broadcast_prefix(out_dims, spec)
        if flat_dims is None:
            raise incompatible()
    results = []
    for k, d in enumerate(flat_dims):
        values = [flat[k] for flat in flats]
        if d is None:
            if isinstance(values[0], Tensor) and not _same_everywhere(values):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            results.append(values[0])
            continue
        if not isinstance(values[0], Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(values[0])}. "
                             "Did you mean to set out_dims= to None for output?")
        joined = stack(values, d)
        results.append(joined.narrow(d, 0, 0).detach() if empty else joined)
    return spec.unflatten(results)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """A function that maps func over a dimension of its inputs: ``in_dims`` says which dimension of each input
    (nested like the inputs; None: not mapped), ``out_dims`` where the mapped dimension goes in each output.
    ember runs func once per element and stacks the results (see the module's docstring, and for ``randomness``)."""
    _check_randomness(randomness)
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(out_dims, func)
        flat_args, spec, dims, size = _batched_inputs(func, in_dims, args)
        if size == 0:
            return _empty_batch(func, out_dims, randomness, flat_args, spec, dims, kwargs)
        per_sample = []
        with _Randomness(randomness) as draws:
            for b in range(size):
                draws.start_sample(b)
                sample = [a if d is None else a.select(d, b) for a, d in zip(flat_args, dims)]
                per_sample.append(func(*spec.unflatten(sample), **kwargs))
        return _stack_outputs(func, out_dims, per_sample)
    return wrapped


def _empty_batch(func, out_dims, randomness, flat_args, spec, dims, kwargs):
    """A batch of size 0: func runs once on zeros shaped like one element, to learn the outputs' shapes (torch
    runs it once on the empty batch); the outputs then have a mapped dimension of size 0."""
    sample = [a if d is None else zeros(a.shape[:d] + a.shape[d + 1:], dtype=a.dtype, device=a.device)
              for a, d in zip(flat_args, dims)]
    with _random.fork_rng(), _Randomness(randomness):   # a look at the shapes: what it draws is put back
        out = func(*spec.unflatten(sample), **kwargs)
    return _stack_outputs(func, out_dims, [out], empty=True)
