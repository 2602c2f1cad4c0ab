"""Random programs run under ember and torch: every value and every gradient must agree.

Each case builds a small random program over the op catalogue (elementwise ops with broadcasting, reductions,
shape ops and views of views, matmul, indexing, in-place ops on intermediates and on views, re-used leaves and
shared sub-expressions), runs it step by step under both libraries in float64, then differentiates a random
weighted sum of what it computed: once plainly, sometimes twice with ``retain_graph``, sometimes to second order
with ``create_graph``. A step that torch refuses must be refused by ember with the same exception type.

    python tests/fuzz.py --cases 20000 --seed 1        # prints disagreements, exits 1 if there are any
    python tests/fuzz.py --case 1:4711 --show          # one case, with its program

The test suite runs a CI-sized sample (tests/test_fuzz.py).
"""
import argparse
import sys
import traceback
import warnings

import numpy as np
import torch

import ember

LIBS = (ember, torch)
RTOL, ATOL = 1e-9, 1e-10


# ---- the op table: name -> (how many tensors it takes, a parameter chooser, the program step) -----------------
# A chooser sees the random generator and the inputs' shapes and returns the step's parameters, or None when the
# op does not apply to these shapes. The step runs on either library: f(lib, *tensors, **params).
def _dim(rng, shape):
    return int(rng.integers(len(shape))) if shape else None


def _any(rng, shapes):
    return {}


def _with_dim(rng, shapes):
    d = _dim(rng, shapes[0])
    return None if d is None else {"dim": d}


def _reduce(rng, shapes):
    d = _dim(rng, shapes[0])
    return None if d is None else {"dim": d, "keepdim": bool(rng.integers(2))}


def _scalar(rng, shapes):
    return {"c": float(np.round(rng.normal(), 3))}


def _broadcast_pair(rng, shapes):
    try:
        np.broadcast_shapes(shapes[0], shapes[1])
    except ValueError:
        return None
    return {}


def _reshape(rng, shapes):
    shape = shapes[0]
    n = int(np.prod(shape))
    factors = [d for d in range(1, n + 1) if n % d == 0]
    first = int(rng.choice(factors))
    new = (first, n // first) if rng.integers(2) else (n,)
    if rng.integers(3) == 0:
        new = (-1,) + new[1:]
    return {"shape": new}


def _permute(rng, shapes):
    return {"dims": tuple(int(d) for d in rng.permutation(len(shapes[0])))} if shapes[0] else None


def _transpose(rng, shapes):
    if len(shapes[0]) < 2:
        return None
    a, b = rng.choice(len(shapes[0]), 2, replace=False)
    return {"d0": int(a), "d1": int(b)}


def _unsqueeze(rng, shapes):
    return {"dim": int(rng.integers(-len(shapes[0]) - 1, len(shapes[0]) + 1))} if len(shapes[0]) < 4 else None


def _expand(rng, shapes):
    shape = shapes[0]
    if len(shape) >= 4:
        return None
    new = tuple(int(rng.integers(1, 4)) if s == 1 else s for s in shape)
    if rng.integers(2):
        new = (int(rng.integers(1, 3)),) + new
    return {"shape": new}


def _narrow(rng, shapes):
    d = _dim(rng, shapes[0])
    if d is None or shapes[0][d] == 0:
        return None
    n = shapes[0][d]
    start = int(rng.integers(n))
    return {"dim": d, "start": start, "length": int(rng.integers(1, n - start + 1))}


def _basic_key(rng, shapes):
    shape = shapes[0]
    if not shape:
        return None
    key = []
    for s in shape[: int(rng.integers(1, len(shape) + 1))]:
        kind = rng.integers(5)
        if kind == 0 and s:
            key.append(int(rng.integers(-s, s)))
        elif kind == 1:
            key.append(None)
            key.append(slice(None))
        else:
            start = int(rng.integers(0, max(s, 1)))
            key.append(slice(start, None, int(rng.integers(1, 3))))
    if rng.integers(4) == 0:
        key.append(Ellipsis)
    return {"key": tuple(key)}


def _advanced_key(rng, shapes):
    shape = shapes[0]
    if not shape or shape[0] == 0:
        return None
    idx = [int(i) for i in rng.integers(-shape[0], shape[0], size=int(rng.integers(1, 4)))]
    return {"index": idx}


def _split(rng, shapes):
    d = _dim(rng, shapes[0])
    if d is None or shapes[0][d] < 2:
        return None
    return {"dim": d, "size": int(rng.integers(1, shapes[0][d])), "which": int(rng.integers(2))}


def _unbind(rng, shapes):
    d = _dim(rng, shapes[0])
    if d is None or shapes[0][d] == 0:
        return None
    return {"dim": d, "which": int(rng.integers(shapes[0][d]))}


def _two_d(rng, shapes):
    return {} if len(shapes[0]) >= 2 else None


def _matmul(rng, shapes):
    a = shapes[0]
    if not a:
        return None
    return {"m": int(rng.integers(1, 4)), "seed": int(rng.integers(1 << 30))}


def _cat(rng, shapes):
    a, b = shapes
    if len(a) != len(b) or not a:
        return None
    dims = [d for d in range(len(a)) if all(a[i] == b[i] for i in range(len(a)) if i != d)]
    return {"dim": int(rng.choice(dims))} if dims else None


def _same_shape(rng, shapes):
    return {} if shapes[0] == shapes[1] else None


def _inplace_other(rng, shapes):
    a, b = shapes
    try:
        ok = np.broadcast_shapes(a, b) == tuple(a)
    except ValueError:
        ok = False
    return {} if ok else None


def _apart(a, b):
    """b, or a clone of it when it shares memory with a."""
    return b.clone() if np.may_share_memory(a.detach().numpy(), b.detach().numpy()) else b


def _positive(t):
    return t * t + 0.5


def _no_nan(L, t):
    return L.where(t == t, t, L.zeros_like(t))


OPS = {
    # elementwise
    "neg": (1, _any, lambda L, a: -a),
    "exp": (1, _any, lambda L, a: (a * 0.5).exp()),
    "tanh": (1, _any, lambda L, a: a.tanh()),
    "sigmoid": (1, _any, lambda L, a: L.sigmoid(a)),
    "relu": (1, _any, lambda L, a: L.relu(a)),
    "abs": (1, _any, lambda L, a: a.abs()),
    "sin": (1, _any, lambda L, a: a.sin()),
    "sqrt": (1, _any, lambda L, a: _positive(a).sqrt()),
    "log": (1, _any, lambda L, a: _positive(a).log()),
    "pow": (1, _scalar, lambda L, a, c: _positive(a) ** c),
    "square": (1, _any, lambda L, a: a ** 2),
    "clamp": (1, _any, lambda L, a: a.clamp(-0.7, 0.9)),
    "scale": (1, _scalar, lambda L, a, c: a * c + 1.0),
    "rsub": (1, _scalar, lambda L, a, c: c - a / 2),
    "softplus": (1, _any, lambda L, a: L.nn.functional.softplus(a)),
    "leaky_relu": (1, _any, lambda L, a: L.nn.functional.leaky_relu(a, 0.1)),
    "gelu": (1, _any, lambda L, a: L.nn.functional.gelu(a)),
    "silu": (1, _any, lambda L, a: L.nn.functional.silu(a)),
    # (a NaN's gradient through elu and hardtanh is torch's scalar loop's below 8 elements, its vector loop's above:
    # two answers, so these see no NaN)
    "elu": (1, _any, lambda L, a: L.nn.functional.elu(_no_nan(L, a))),
    "hardtanh": (1, _any, lambda L, a: L.nn.functional.hardtanh(_no_nan(L, a), -0.6, 0.7)),
    "add": (2, _broadcast_pair, lambda L, a, b: a + b),
    "sub": (2, _broadcast_pair, lambda L, a, b: a - b),
    "mul": (2, _broadcast_pair, lambda L, a, b: a * b),
    "div": (2, _broadcast_pair, lambda L, a, b: a / _positive(b)),
    "maximum": (2, _broadcast_pair, lambda L, a, b: L.maximum(a, b)),
    "where": (2, _broadcast_pair, lambda L, a, b: L.where(a > b, a, b * 2)),
    "add_self": (1, _any, lambda L, a: a + a),
    "mul_self": (1, _any, lambda L, a: a * a.detach() + a),
    # reductions
    "sum_all": (1, _any, lambda L, a: a.sum()),
    "sum": (1, _reduce, lambda L, a, dim, keepdim: a.sum(dim, keepdim=keepdim)),
    "mean": (1, _reduce, lambda L, a, dim, keepdim: a.mean(dim, keepdim=keepdim)),
    "prod": (1, _reduce, lambda L, a, dim, keepdim: a.prod(dim, keepdim=keepdim)),
    "amax": (1, _reduce, lambda L, a, dim, keepdim: a.amax(dim, keepdim=keepdim)),
    "max_dim": (1, _reduce, lambda L, a, dim, keepdim: a.max(dim, keepdim=keepdim)[0]),
    "logsumexp": (1, _reduce, lambda L, a, dim, keepdim: a.logsumexp(dim, keepdim=keepdim)),
    "softmax": (1, _with_dim, lambda L, a, dim: a.softmax(dim)),
    "log_softmax": (1, _with_dim, lambda L, a, dim: a.log_softmax(dim)),
    "var": (1, _reduce, lambda L, a, dim, keepdim: a.var(dim, keepdim=keepdim)),
    "cumsum": (1, _with_dim, lambda L, a, dim: a.cumsum(dim)),
    "norm": (1, _any, lambda L, a: (a * a + 0.1).norm()),
    # shapes and views
    "reshape": (1, _reshape, lambda L, a, shape: a.reshape(shape)),
    "view": (1, _reshape, lambda L, a, shape: a.view(shape)),
    "flatten": (1, _any, lambda L, a: a.flatten()),
    "permute": (1, _permute, lambda L, a, dims: a.permute(dims)),
    "transpose": (1, _transpose, lambda L, a, d0, d1: a.transpose(d0, d1)),
    "mT": (1, _two_d, lambda L, a: a.mT),
    "unsqueeze": (1, _unsqueeze, lambda L, a, dim: a.unsqueeze(dim)),
    "squeeze": (1, _any, lambda L, a: a.squeeze()),
    "expand": (1, _expand, lambda L, a, shape: a.expand(shape)),
    "narrow": (1, _narrow, lambda L, a, dim, start, length: a.narrow(dim, start, length)),
    "getitem": (1, _basic_key, lambda L, a, key: a[key]),
    "index": (1, _advanced_key, lambda L, a, index: a[index]),
    "split": (1, _split, lambda L, a, dim, size, which: a.split(size, dim)[which]),
    "unbind": (1, _unbind, lambda L, a, dim, which: a.unbind(dim)[which]),
    "diagonal": (1, _two_d, lambda L, a: a.diagonal(0, -2, -1)),
    "flip": (1, _with_dim, lambda L, a, dim: a.flip(dim)),
    "clone": (1, _any, lambda L, a: a.clone()),
    "contiguous": (1, _any, lambda L, a: a.contiguous()),
    "repeat": (1, _any, lambda L, a: a.repeat(*([2] + [1] * (a.dim() - 1))) if a.dim() else a.repeat(2)),
    "cat": (2, _cat, lambda L, a, b, dim: L.cat([a, b], dim)),
    "stack": (2, _same_shape, lambda L, a, b: L.stack([a, b], 0)),
    "matmul": (1, _matmul, lambda L, a, m, seed: a @ L.tensor(
        np.random.default_rng(seed).normal(size=(a.shape[-1], m)), requires_grad=bool(seed % 2))),
    "matmul_self": (1, _two_d, lambda L, a: a @ a.mT),
    # in place (on intermediates, views of them, views of views)
    "mul_": (1, _scalar, lambda L, a, c: a.mul_(c)),
    # (b cloned when it shares a's memory: torch updates element by element, so an operand that overlaps the
    # target reads values already overwritten; torch calls such overlap undefined, NumPy buffers it)
    "add_": (2, _inplace_other, lambda L, a, b: a.add_(_apart(a, b))),
    "mul_tensor_": (2, _inplace_other, lambda L, a, b: a.mul_(_apart(a, b))),
    "clamp_": (1, _any, lambda L, a: a.clamp_(-0.5, 0.8)),
    "sigmoid_": (1, _any, lambda L, a: a.sigmoid_()),
    "exp_": (1, _any, lambda L, a: a.mul_(0.5).exp_()),
    "zero_": (1, _any, lambda L, a: a.zero_()),
    # (a clone: torch copies element by element, so a source that overlaps its target reads what it already wrote)
    "copy_": (2, _inplace_other, lambda L, a, b: a.copy_(b.clone())),
    "setitem": (2, _basic_key, lambda L, a, b, key: a.__setitem__(key, b.sum()) or a),
    "setitem_scalar": (1, _basic_key, lambda L, a, key: a.__setitem__(key, 1.25) or a),
    "view_inplace": (1, _basic_key, lambda L, a, key: (a[key].mul_(1.5).add_(0.25), a)[1]),
    "detach": (1, _any, lambda L, a: a.detach()),
}
NAMES = sorted(OPS)


# ---- running one case ------------------------------------------------------------------------------------------
class Disagreement(Exception):
    pass


def _array(t):
    if isinstance(t, torch.Tensor) and t._is_zerotensor():  # torch's lazily-zero derivative
        return np.zeros(tuple(t.shape))
    return np.array(t.detach().tolist(), dtype=float).reshape(tuple(t.shape))


def _check_values(what, got, want):
    if tuple(got.shape) != tuple(want.shape):
        raise Disagreement(f"{what}: shape {tuple(got.shape)} != torch {tuple(want.shape)}")
    g, w = _array(got), _array(want)
    if not np.allclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True):
        raise Disagreement(f"{what}: values differ\nember {g}\ntorch {w}")
    if got.requires_grad != want.requires_grad:
        raise Disagreement(f"{what}: requires_grad {got.requires_grad} != torch {want.requires_grad}")


def _both(fn):
    """fn(lib) under both libraries: (ember's result, torch's result), or (None, None) if both refused alike."""
    out, errors = [], []
    for lib in LIBS:
        try:
            out.append(fn(lib))
            errors.append(None)
        except Exception as e:  # noqa: BLE001 - compared below
            out.append(None)
            errors.append(e)
    if (errors[0] is None) != (errors[1] is None):
        if errors[0] is not None:
            raise Disagreement(f"ember raised {type(errors[0]).__name__}: {errors[0]} where torch did not")
        raise Disagreement(f"torch raised {type(errors[1]).__name__}: {errors[1]} where ember did not")
    if errors[0] is not None:
        if not isinstance(errors[0], type(errors[1])):
            raise Disagreement(f"ember raised {type(errors[0]).__name__} ({errors[0]}), torch "
                               f"{type(errors[1]).__name__} ({errors[1]})")
        return None, None
    return out


def generate(seed):
    """A random program: leaves, then steps (op name, input ids, parameters), and how to differentiate.

    Shapes decide which ops apply, so the program is drawn while it runs (under torch alone); a step torch
    refuses stays in the program (ember must refuse it too). Every tensor has an id: its position in the list
    of tensors made, so that steps can be dropped (``minimize``) and the rest still refer to the same tensors.
    """
    rng = np.random.default_rng(seed)
    leaves, steps, shapes = [], [], []
    for _ in range(int(rng.integers(1, 4))):
        shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(0, 4))))
        leaves.append((rng.normal(size=shape), bool(rng.integers(4) != 0)))
        shapes.append(shape)
    made = [torch.tensor(d, dtype=torch.float64, requires_grad=r) for d, r in leaves]
    for _ in range(int(rng.integers(3, 12))):
        name = NAMES[int(rng.integers(len(NAMES)))]
        arity, choose, fn = OPS[name]
        picks = [int(rng.integers(len(made))) for _ in range(arity)]
        params = choose(rng, [shapes[p] for p in picks])
        if params is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = fn(torch, *[made[p] for p in picks], **params)
        except Exception:  # noqa: BLE001 - kept: ember must refuse it too
            steps.append((name, picks, params, None))
            continue
        steps.append((name, picks, params, len(made)))
        made.append(out)
        shapes.append(tuple(out.shape))
    return {"leaves": leaves, "steps": steps, "mode": int(rng.integers(4)), "seed": seed}


def describe(program):
    lines = [f"t{i} = leaf {tuple(d.shape)}, requires_grad={r}" for i, (d, r) in enumerate(program["leaves"])]
    for name, picks, params, made in program["steps"]:
        target = f"t{made}" if made is not None else "(refused)"
        lines.append(f"{target} = {name}({', '.join(f't{p}' for p in picks)}{', ' if params else ''}"
                     f"{', '.join(f'{k}={v!r}' for k, v in params.items())})")
    lines.append(["backward", "backward", "backward twice (retain_graph)", "grad(create_graph) then backward"]
                 [program["mode"]])
    return "\n".join(lines)


def run_program(program):
    """Run a program under both libraries; raises Disagreement with what differed."""
    env = {}, {}  # tensor id -> tensor, per library
    for i, (data, requires_grad) in enumerate(program["leaves"]):
        for k, lib in enumerate(LIBS):
            env[k][i] = lib.tensor(data, dtype=lib.float64, requires_grad=requires_grad)
    leaf_ids = list(env[0])
    for name, picks, params, made in program["steps"]:
        if any(p not in env[1] for p in picks):  # an input's step was dropped
            continue
        fn = OPS[name][2]
        got, want = _both(lambda lib: fn(lib, *[env[LIBS.index(lib)][p] for p in picks], **params))
        if want is None:
            continue
        _check_values(f"step {name} (t{made})", got, want)
        env[0][made], env[1][made] = got, want
    # every tensor made so far may have changed in place since: compare them all, then differentiate
    for i in env[1]:
        _check_values(f"t{i} at the end", env[0][i], env[1][i])
    weights = {i: np.random.default_rng([program["seed"], i]).normal(size=tuple(t.shape)) for i, t in env[1].items()}
    mode = program["mode"]

    def loss(lib):
        mine = env[LIBS.index(lib)]
        terms = [(mine[i] * lib.tensor(w)).sum() for i, w in weights.items() if mine[i].requires_grad]
        return sum(terms[1:], terms[0]) if terms else None

    def differentiate(lib):
        wanted = [env[LIBS.index(lib)][i] for i in leaf_ids if env[LIBS.index(lib)][i].requires_grad]
        total = loss(lib)
        if total is None or not wanted:
            return []
        if mode == 3:
            grads = lib.autograd.grad(total, wanted, create_graph=True, allow_unused=True)
            second = sum(((g * g).sum() for g in grads if g is not None and g.requires_grad), lib.zeros(()))
            if second.requires_grad:
                second.backward()
            return [t.grad for t in wanted] + [g.detach() if g is not None else None for g in grads]
        total.backward(retain_graph=mode == 2)
        if mode == 2:
            loss(lib).backward()  # the graph again (retained), through the same nodes
        return [t.grad for t in wanted]

    got, want = _both(differentiate)
    if want is None:
        return
    for i, (g, w) in enumerate(zip(got, want)):
        if mode == 3 and (g is None) != (w is None) and not np.any(_array(g if w is None else w)):
            # second order: where a derivative is zero by construction (relu's is piecewise constant) torch keeps
            # the graph connected and gives zeros, ember's graph ends there and gives None. The same numbers.
            continue
        if (g is None) != (w is None):
            raise Disagreement(f"gradient {i}: ember {'None' if g is None else 'a tensor'}, torch "
                               f"{'None' if w is None else 'a tensor'}")
        if g is not None:
            _check_values(f"gradient {i}", g, w)


def run_case(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_program(generate(seed))


def _fails(program):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_program(program)
    except Exception:  # noqa: BLE001
        return True
    return False


def minimize(program):
    """Drop steps one at a time while the program still disagrees: the smallest repro to read."""
    steps = list(program["steps"])
    i = len(steps) - 1
    while i >= 0:
        trial = dict(program, steps=steps[:i] + steps[i + 1:])
        if _fails(trial):
            steps = trial["steps"]
        i -= 1
    return dict(program, steps=steps)


def run(cases, seed, stop_after=20):
    """Run ``cases`` programs from ``seed``; returns a list of (case id, message)."""
    failures = []
    for k in range(cases):
        try:
            run_case(seed * 1_000_003 + k)
        except Disagreement as d:
            failures.append((f"{seed}:{k}", str(d)))
        except Exception:  # noqa: BLE001 - a crash in the harness or in ember is a disagreement too
            failures.append((f"{seed}:{k}", traceback.format_exc(limit=-3)))
        if len(failures) >= stop_after:
            break
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case", help="one case, as SEED:K (printed with each disagreement): shown, minimized")
    args = parser.parse_args(argv)
    if args.case:
        seed, k = (int(x) for x in args.case.split(":"))
        program = generate(seed * 1_000_003 + k)
        print(describe(program))
        if _fails(program):
            small = minimize(program)
            print("\nminimized:\n" + describe(small))
            try:
                run_program(small)
            except Exception as e:  # noqa: BLE001
                print(f"\n{type(e).__name__}: {e}")
            return 1
        print("agrees")
        return 0
    failures = run(args.cases, args.seed, stop_after=10 ** 9)
    for case, message in failures:
        print(f"case {case}: {message}\n")
    print(f"{args.cases} cases, seed {args.seed}: {len(failures)} disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
