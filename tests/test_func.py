"""ember.func (torch.func): grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap, functional_call and
stack_module_state, each compared with torch.func on the same numbers: values, nesting, dtypes, which results
require grad, how the transforms compose, and torch's errors."""
import copy
import warnings

import numpy as np
import pytest
import torch

import ember

LIBS = (ember, torch)


def arr(*shape, seed=0):
    """Normal numbers, the same for the same shape and seed (a program calls this once per library)."""
    return np.random.default_rng([seed, *shape]).normal(size=shape)


def T(lib, data, dtype="float64", requires_grad=False):
    t = lib.tensor(data)
    if dtype is not None:
        t = t.to(getattr(lib, dtype))
    return t.requires_grad_(requires_grad)


def assert_same(e, t, rtol=1e-7, atol=1e-9, where="result"):
    """The same nesting; per Tensor the same shape, dtype, requires_grad and values."""
    if isinstance(t, (tuple, list)):
        assert type(e) is type(t), f"{where}: {type(e).__name__}, torch's {type(t).__name__}"
        assert len(e) == len(t), where
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, rtol, atol, f"{where}[{i}]")
        return
    if isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t), f"{where}: keys {list(e)} vs {list(t)}"
        for k in t:
            assert_same(e[k], t[k], rtol, atol, f"{where}[{k!r}]")
        return
    if not isinstance(t, torch.Tensor):
        assert e == t, where
        return
    assert isinstance(e, ember.Tensor), f"{where}: {type(e).__name__}"
    assert tuple(e.shape) == tuple(t.shape), f"{where}: shape {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{where}: {e.dtype} vs {t.dtype}"
    assert e.requires_grad == t.requires_grad, f"{where}: requires_grad {e.requires_grad} vs {t.requires_grad}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol, err_msg=where)


def both(program, rtol=1e-7, atol=1e-9):
    """program(lib) under ember and torch, compared; returns the two results."""
    res = {lib: program(lib) for lib in LIBS}
    assert_same(res[ember], res[torch], rtol, atol)
    return res


def raises_like_torch(program, same_message=True):
    """program(lib) raises the same exception type in both (and, by default, the same message)."""
    errors = {}
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            program(lib)
        errors[lib] = info.value
    assert type(errors[ember]) is type(errors[torch]), (errors[ember], errors[torch])
    if same_message:
        assert str(errors[ember]).replace("ember", "torch") == str(errors[torch])
    return errors


# ---------------------------------------------------------------------------------------------------------------
# grad and grad_and_value

X3, Y3, W34, B4 = arr(3), arr(3, seed=1), arr(4, 3), arr(4)


def f_scalar(lib):
    return lambda x, y: (x.sin() * y.exp()).sum() + (x * y).prod()


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1, 0)])
def test_grad_matches_torch(dtype, rtol, argnums):
    both(lambda lib: lib.func.grad(f_scalar(lib), argnums=argnums)(T(lib, X3, dtype), T(lib, Y3, dtype)), rtol)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_grad_and_value_with_aux(dtype, rtol):
    def program(lib):
        def f(x, y):
            z = x.tanh() * y
            return z.sum(), {"z": z, "pair": (x.exp(), [y * 2])}
        return lib.func.grad_and_value(f, argnums=(0, 1), has_aux=True)(T(lib, X3, dtype), T(lib, Y3, dtype))
    both(program, rtol)
    both(lambda lib: lib.func.grad(lambda x: ((x ** 2).sum(), x.cos()), has_aux=True)(T(lib, X3)))


def test_grad_of_nested_inputs_and_keyword_arguments():
    def program(lib):
        def f(params, x, *, scale):
            return ((lib.nn.functional.linear(x, params["w"], params["b"]).tanh() * scale).sum()
                    + params["extra"][0].sum())
        params = {"w": T(lib, W34), "b": T(lib, B4), "extra": [T(lib, X3)]}
        return lib.func.grad(f)(params, T(lib, arr(2, 3)), scale=1.5)
    both(program)


def test_grad_of_grad_and_of_a_closure_over_the_outer_input():
    both(lambda lib: lib.func.grad(lib.func.grad(lambda x: x.sin() * x ** 3))(T(lib, 0.7)))
    both(lambda lib: lib.func.grad(lib.func.grad(lib.func.grad(lambda x: x.exp() * x ** 4)))(T(lib, 0.3)))

    def nested(lib):   # the inner grad's function captures the outer grad's input
        y0 = T(lib, Y3)
        return lib.func.grad(lambda x: lib.func.grad(lambda y: (x * y ** 2).sum())(y0).sin().sum())(T(lib, X3))
    both(nested)


def test_requires_grad_of_results_follows_torch():
    f = lambda x: (x ** 3).sum()          # noqa: E731
    both(lambda lib: lib.func.grad(f)(T(lib, X3)))                        # a plain input: a plain result
    both(lambda lib: lib.func.grad(f)(T(lib, X3, requires_grad=True)))    # an input on a graph: the result too

    def under_no_grad(lib):
        with lib.no_grad():
            return lib.func.grad(f)(T(lib, X3, requires_grad=True))
    both(under_no_grad)

    def captured_parameter(lib):          # the gradient depends on w, which requires grad: it keeps a graph
        w = T(lib, Y3, requires_grad=True)
        g = lib.func.grad(lambda x: ((w * x).sum()) ** 2)(T(lib, X3))
        g.sum().backward()
        return g, w.grad
    both(captured_parameter)


def test_outer_tensors_grad_is_not_touched_and_a_gradient_penalty_backpropagates():
    def program(lib):
        x = T(lib, X3, requires_grad=True)
        g = lib.func.grad(lambda x: (x.sin() * x).sum())(x)
        assert x.grad is None
        (g ** 2).sum().backward()
        return x.grad
    both(program)


def test_grad_ignores_an_outer_no_grad_inside_func_it_respects_an_inner_one():
    def program(lib):
        def f(x):
            with lib.no_grad():
                c = x * 2     # a constant for grad
            return (c * x).sum()
        with lib.no_grad():
            return lib.func.grad(f)(T(lib, X3))
    both(program)


def test_grad_of_an_unused_input_and_an_integer_output_is_zero():
    both(lambda lib: lib.func.grad(lambda x, y: (x * 2).sum(), argnums=1)(T(lib, X3), T(lib, Y3)))


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.func.grad(lambda x: x ** 2)(x),
    lambda lib, x: lib.func.grad(lambda x: 3.0)(x),
    lambda lib, x: lib.func.grad(lambda x: (x.sum(), 1))(x),
    lambda lib, x: lib.func.grad(lambda x: (x.sum(), 1), has_aux=True)(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), has_aux=True)(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=1)(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=-2)(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=(0, 0))(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=(0, -1))(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=())(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=1.0)(x),
    lambda lib, x: lib.func.grad(lambda x: x.sum(), argnums=(0, 1.0))(x, x),
    lambda lib, x: lib.func.grad(lambda x: x.sum())(3.0),
    lambda lib, x: lib.func.grad(lambda x: x.sum())(),
])
def test_grad_errors_are_torchs(case):
    raises_like_torch(lambda lib: case(lib, T(lib, X3)))


def test_grad_of_an_integer_input_is_refused():
    raises_like_torch(lambda lib: lib.func.grad(lambda x: x.sum())(lib.arange(3)), same_message=False)


# ---------------------------------------------------------------------------------------------------------------
# vjp and jvp


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_vjp_matches_torch(dtype, rtol):
    def program(lib):
        x, y = T(lib, X3, dtype), T(lib, Y3, dtype)
        out, vjp_fn = lib.func.vjp(lambda x, y: (x.sin() * y, {"s": (x * y).sum()}), x, y)
        ct = (T(lib, arr(3), dtype), {"s": T(lib, 1.3, dtype)})
        return out, vjp_fn(ct), vjp_fn(ct)   # vjp_fn may be called again
    both(program, rtol)


def test_vjp_with_aux_and_a_constant_output():
    def program(lib):
        x = T(lib, X3)
        out, vjp_fn, aux = lib.func.vjp(lambda x: (x.exp(), x.cos()), x, has_aux=True)
        _, const_fn = lib.func.vjp(lambda x: lib.ones(3, dtype=lib.float64), x)
        return out, vjp_fn(T(lib, Y3)), aux, const_fn(T(lib, Y3))
    both(program)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_jvp_matches_torch(dtype, rtol):
    def program(lib):
        f = lambda x, w: ((w @ x).tanh(), (x ** 2).sum())    # noqa: E731
        return lib.func.jvp(f, (T(lib, X3, dtype), T(lib, W34, dtype)), (T(lib, Y3, dtype), T(lib, arr(4, 3), dtype)))
    both(program, rtol)
    both(lambda lib: lib.func.jvp(lambda x: (x.sin(), x * 0 + 1), (T(lib, X3),), (T(lib, Y3),), has_aux=True))
    both(lambda lib: lib.func.jvp(lambda x: lib.ones(2, dtype=lib.float64), (T(lib, X3),), (T(lib, Y3),)))


def test_hvp_as_jvp_of_grad_and_as_vjp_of_grad():
    f = lambda x: (x.sin() * x ** 2).sum()     # noqa: E731
    both(lambda lib: lib.func.jvp(lib.func.grad(f), (T(lib, X3),), (T(lib, Y3),))[1])
    both(lambda lib: lib.func.vjp(lib.func.grad(f), T(lib, X3))[1](T(lib, Y3)))


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.func.vjp(lambda x: (x, 1), x, has_aux=True),
    lambda lib, x: lib.func.vjp(lambda x: x, x, has_aux=True),
    lambda lib, x: lib.func.vjp(lambda x: 1, x),
    lambda lib, x: lib.func.vjp(lambda x: x, 1.0),
    lambda lib, x: lib.func.vjp(lambda x: (x, x), x)[1](x),
    lambda lib, x: lib.func.vjp(lambda x: (x, x), x)[1]((x,)),
    lambda lib, x: lib.func.jvp(lambda x: x, x, x),
    lambda lib, x: lib.func.jvp(lambda x: x, (x,), x),
    lambda lib, x: lib.func.jvp(lambda x: x, (x,), (x, x)),
    lambda lib, x: lib.func.jvp(lambda x: x, (x,), (x[:2],)),
    lambda lib, x: lib.func.jvp(lambda x: x, (1.0,), (1.0,)),
    lambda lib, x: lib.func.jvp(lambda x: 1, (x,), (x,)),
    lambda lib, x: lib.func.jvp(lambda x: x, (x,), (x,), has_aux=True),
    lambda lib, x: lib.func.jvp(lambda x: (x, 1), (x,), (x,), has_aux=True),
    lambda lib, x: lib.func.jvp(lambda: x, (), ()),
])
def test_vjp_and_jvp_errors_are_torchs(case):
    raises_like_torch(lambda lib: case(lib, T(lib, X3)))


# ---------------------------------------------------------------------------------------------------------------
# Jacobians and Hessians


def predict(lib):
    return lambda weight, bias, x: lib.nn.functional.linear(x, weight, bias).tanh()


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("argnums", [2, 0, (0, 1), (2, 0, 1)])
def test_jacobians_match_torch(jac, dtype, rtol, argnums):
    both(lambda lib: getattr(lib.func, jac)(predict(lib), argnums=argnums)(
        T(lib, W34, dtype), T(lib, B4, dtype), T(lib, X3, dtype)), rtol, 1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobians_of_nested_outputs_and_inputs_with_aux(jac):
    def program(lib):
        def f(p, x):
            h = p["w"] @ x
            return (h.sin(), {"n": (h ** 2).sum()}), h.detach() * 0 + 1
        params = {"w": T(lib, W34), "b": [T(lib, B4)]}
        return getattr(lib.func, jac)(f, has_aux=True)(params, T(lib, X3))
    both(program)


def test_hessian_and_jacobian_compositions_match_torch():
    f = lambda x, y: (x.sin() * y.exp()).sum() * (x ** 2).sum()     # noqa: E731
    both(lambda lib: lib.func.hessian(f)(T(lib, X3), T(lib, Y3)))
    both(lambda lib: lib.func.hessian(f, argnums=(0, 1))(T(lib, X3), T(lib, Y3)))
    both(lambda lib: lib.func.jacrev(lib.func.jacrev(f))(T(lib, X3), T(lib, Y3)))
    both(lambda lib: lib.func.jacfwd(lib.func.jacfwd(f))(T(lib, X3), T(lib, Y3)))
    both(lambda lib: lib.func.hessian(lambda x: x ** 3)(T(lib, X3)))     # a vector function: 3-d


def test_jacobian_of_an_input_that_requires_grad_keeps_the_graph():
    def program(lib):
        w = T(lib, W34, requires_grad=True)
        j = lib.func.jacrev(predict(lib), argnums=2)(w, T(lib, B4), T(lib, X3))
        j.sum().backward()
        return j, w.grad
    both(program)


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.func.jacrev(lambda x: (x, 1), has_aux=True)(x),
    lambda lib, x: lib.func.jacrev(lambda x: x, has_aux=True)(x),
    lambda lib, x: lib.func.jacrev(lambda x: 1)(x),
    lambda lib, x: lib.func.jacrev(lambda x: x)(1.0),
    lambda lib, x: lib.func.jacrev(lambda x: x.long())(x),
    lambda lib, x: lib.func.jacrev(lambda x: x, argnums=(0, 0))(x),
    lambda lib, x: lib.func.jacrev(lambda x: x.sum(), argnums=2)(x),
    lambda lib, x: lib.func.jacrev(lambda x: x, chunk_size=0)(x),
    lambda lib, x: lib.func.jacfwd(lambda x: (x, 1), has_aux=True)(x),
    lambda lib, x: lib.func.jacfwd(lambda x: x, has_aux=True)(x),
    lambda lib, x: lib.func.jacfwd(lambda x: 1)(x),
    lambda lib, x: lib.func.jacfwd(lambda x: x * lib.rand(3, dtype=lib.float64))(x),
    lambda lib, x: lib.func.jacfwd(lambda x: x, randomness="sometimes")(x),
])
def test_jacobian_errors_are_torchs(case):
    raises_like_torch(lambda lib: case(lib, T(lib, X3)))


def test_jacfwd_with_same_randomness_and_jacrev_draw_as_torch():
    def program(lib, jac, **kw):
        lib.manual_seed(3)
        return jac(lib)(lambda x: x * lib.rand(3, dtype=lib.float64), **kw)(T(lib, X3)), lib.rand(2)
    both(lambda lib: program(lib, lambda lib: lib.func.jacfwd, randomness="same"))
    both(lambda lib: program(lib, lambda lib: lib.func.jacrev))


# ---------------------------------------------------------------------------------------------------------------
# vmap

XB, YB = arr(5, 3), arr(3, 5, seed=1)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-6)])
def test_vmap_matches_torch(dtype, rtol):
    both(lambda lib: lib.vmap(lambda x: x.sin().sum())(T(lib, XB, dtype)), rtol)
    both(lambda lib: lib.func.vmap(lambda x, y: x @ y, in_dims=(0, 1))(T(lib, XB, dtype), T(lib, YB, dtype)), rtol)
    both(lambda lib: lib.func.vmap(lambda x, w: w @ x, in_dims=(0, None))(T(lib, XB, dtype), T(lib, W34, dtype)),
         rtol)
    both(lambda lib: lib.func.vmap(lambda x: (x, x.sum()), out_dims=(1, 0))(T(lib, XB, dtype)), rtol)
    both(lambda lib: lib.func.vmap(lambda x: x * 2, in_dims=-1, out_dims=-1)(T(lib, YB, dtype)), rtol)


def test_vmap_of_nested_structures_keywords_and_unbatched_outputs():
    def program(lib):
        def f(d, s, *, k):
            return {"a": d["a"] * s + d["b"][0].sum(), "b": [d["b"][0] * k, lib.ones(2)]}
        return lib.func.vmap(f, in_dims=({"a": 0, "b": [1]}, None), out_dims={"a": 1, "b": [0, None]})(
            {"a": T(lib, XB), "b": [T(lib, YB)]}, 2.0, k=3.0)
    both(program)
    both(lambda lib: lib.func.vmap(lambda x: (x, 3.0), out_dims=(0, None))(T(lib, XB)))
    both(lambda lib: lib.func.vmap(lambda x: lib.ones(2), out_dims=None)(T(lib, XB)))
    both(lambda lib: lib.func.vmap(lambda x: x)([T(lib, XB), T(lib, XB)]))
    both(lambda lib: lib.func.vmap(lambda x, y: x + y, in_dims=(0, None))(T(lib, XB), None if False else 1.0))


def test_nested_vmap_and_an_empty_batch():
    both(lambda lib: lib.func.vmap(lib.func.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(
        T(lib, arr(3)), T(lib, arr(4))))
    both(lambda lib: lib.func.vmap(lambda x: x.sum(0))(T(lib, arr(0, 3, 2))))
    both(lambda lib: lib.func.vmap(lambda x: (x, x.sum()), out_dims=(1, 0))(T(lib, arr(0, 3))))

    def empty_with_draws(lib):
        lib.manual_seed(2)
        out = lib.func.vmap(lambda x: x + lib.rand(2, dtype=lib.float64), randomness="different")(T(lib, arr(0, 2)))
        return out, lib.rand(2)
    both(empty_with_draws)
    raises_like_torch(lambda lib: lib.func.vmap(lambda x: x + lib.rand(2))(lib.ones(0, 2)))


def test_vmap_of_tensors_that_require_grad_backpropagates():
    def program(lib):
        x, w = T(lib, XB, requires_grad=True), T(lib, W34, requires_grad=True)
        y = lib.func.vmap(lambda x: (w @ x).tanh(), in_dims=0)(x)
        y.pow(2).sum().backward()
        return y, x.grad, w.grad
    both(program)


@pytest.mark.parametrize("case", [
    lambda lib, x: lib.func.vmap(lambda x: x)(x, x[:, 0]),
    lambda lib, x: lib.func.vmap(lambda x, y: x, in_dims=(0,))(x, x),
    lambda lib, x: lib.func.vmap(lambda x, y: x + y)(x, x[:3]),
    lambda lib, x: lib.func.vmap(lambda x: x, in_dims=2)(x),
    lambda lib, x: lib.func.vmap(lambda x: x, in_dims=-3)(x),
    lambda lib, x: lib.func.vmap(lambda x: x, in_dims=1.0)(x),
    lambda lib, x: lib.func.vmap(lambda x: x, in_dims=None)(x),
    lambda lib, x: lib.func.vmap(lambda x: x, in_dims=[0])(x),
    lambda lib, x: lib.func.vmap(lambda x, y: x, in_dims=(None, None))(x, x),
    lambda lib, x: lib.func.vmap(lambda x: x, out_dims=3)(x),
    lambda lib, x: lib.func.vmap(lambda x: x, out_dims=1.5)(x),
    lambda lib, x: lib.func.vmap(lambda x: (x, x), out_dims=(0,))(x),
    lambda lib, x: lib.func.vmap(lambda x: (x, x.sum()), out_dims=(0, None))(x),
    lambda lib, x: lib.func.vmap(lambda x: 3.0)(x),
    lambda lib, x: lib.func.vmap(lambda x: None)(x),
    lambda lib, x: lib.func.vmap(lambda x: x)(3.0),
    lambda lib, x: lib.func.vmap(lambda x: x)(),
    lambda lib, x: lib.func.vmap(lambda x: x)(x[0, 0]),
    lambda lib, x: lib.func.vmap(lambda d: d["a"], in_dims=({"a": 0, "c": 0},))({"a": x, "b": x}),
    lambda lib, x: lib.func.vmap(lambda x: x, randomness="foo"),
    lambda lib, x: lib.func.vmap(lambda x: x, chunk_size=0),
    lambda lib, x: lib.func.vmap(lambda x: x * lib.rand(3))(x),
    lambda lib, x: lib.func.vmap(lambda x: lib.nn.functional.dropout(x, 0.5))(x),
    lambda lib, x: lib.func.vmap(lambda x: lib.randn_like(x))(x),
])
def test_vmap_errors_are_torchs(case):
    raises_like_torch(lambda lib: case(lib, T(lib, XB, "float32")))


def test_vmap_randomness_same_and_different_give_torchs_numbers():
    def program(lib, f, mode, shape=(4, 3)):
        lib.manual_seed(0)
        out = lib.func.vmap(f(lib), randomness=mode)(T(lib, arr(*shape), "float32"))
        return out, lib.rand(2)     # where the stream was left
    for mode in ("same", "different"):
        both(lambda lib: program(lib, lambda lib: lambda x: x * 0 + lib.rand(3), mode))
        both(lambda lib: program(lib, lambda lib: lambda x: x * 0 + lib.randn(3), mode))
        both(lambda lib: program(lib, lambda lib: lambda x: lib.rand_like(x), mode, (4, 20)))
        both(lambda lib: program(lib, lambda lib: lambda x: lib.nn.functional.dropout(x, 0.5), mode, (4, 20)))
    both(lambda lib: program(lib, lambda lib: lambda x: lib.randn(20), "same"))
    # nested: outer 'different', inner 'same'
    both(lambda lib: program(lib, lambda lib: lib.func.vmap(lambda r: r * 0 + lib.rand(()), randomness="same"),
                             "different"))


# ---------------------------------------------------------------------------------------------------------------
# vmap with grad: per-sample gradients


def test_per_sample_gradients_match_torch():
    def program(lib):
        def loss(w, b, x, y):
            return lib.nn.functional.mse_loss(lib.nn.functional.linear(x, w, b).tanh(), y)
        xs, ys = T(lib, arr(6, 3)), T(lib, arr(6, 4))
        return lib.func.vmap(lib.func.grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))(
            T(lib, W34), T(lib, B4), xs, ys)
    both(program)
    # and jacobians per sample, and the Hessian per sample
    both(lambda lib: lib.func.vmap(lib.func.jacrev(predict(lib), argnums=2), in_dims=(None, None, 0))(
        T(lib, W34), T(lib, B4), T(lib, arr(5, 3))))
    both(lambda lib: lib.func.vmap(lib.func.hessian(lambda x: (x.sin() * x).sum()))(T(lib, arr(4, 3))))


# ---------------------------------------------------------------------------------------------------------------
# functional_call, stack_module_state


class Net:
    """The same small network built in either library, with a buffer and a tied weight."""

    @staticmethod
    def build(lib, seed=0):
        g = np.random.default_rng(seed)
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        with lib.no_grad():
            for p in net.parameters():
                p.copy_(lib.tensor(g.normal(size=tuple(p.shape))))
        return net


def test_functional_call_matches_torch_and_restores_the_module():
    def program(lib):
        net = Net.build(lib).double()
        other = {k: v.detach() * 0.5 + 0.1 for k, v in net.named_parameters()}
        before = {k: v for k, v in net.state_dict(keep_vars=True).items()}
        x = T(lib, arr(5, 3))
        out = lib.func.functional_call(net, other, (x,))
        after = net.state_dict(keep_vars=True)
        assert all(after[k] is before[k] for k in before)     # the very same tensors are back
        assert isinstance(net[0].weight, lib.nn.Parameter)
        return out, net(x), net[1].running_mean
    both(program)


def test_functional_call_with_two_dicts_buffers_kwargs_and_grad():
    def program(lib):
        net = Net.build(lib, 1).double().eval()
        params = {k: v.detach() for k, v in net.named_parameters()}
        buffers = {k: v.detach() + 1 for k, v in net.named_buffers()}

        def loss(params, x):
            return lib.func.functional_call(net, (params, buffers), args=(), kwargs={"input": x}).pow(2).sum()
        return lib.func.grad(loss)(params, T(lib, arr(5, 3)))
    both(program)


def test_functional_call_restores_after_an_exception_and_takes_new_attributes():
    for lib in LIBS:
        net = lib.nn.Linear(3, 2)
        w = net.weight
        with pytest.raises(RuntimeError):
            lib.func.functional_call(net, {"weight": lib.zeros(5, 7)}, (lib.ones(3),))
        assert net.weight is w
        lib.func.functional_call(net, {"extra": lib.ones(1)}, (lib.ones(3),))
        assert not hasattr(net, "extra")


def test_functional_call_ties_weights_as_torch():
    class Tied:
        @staticmethod
        def build(lib):
            class M(lib.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.foo = lib.nn.Parameter(lib.ones(()))
                    self.bar = self.foo

                def forward(self, x):
                    return x + self.foo + self.bar
            return M()

    both(lambda lib: lib.func.functional_call(Tied.build(lib), {"foo": lib.zeros(())}, (lib.ones(()),)))
    both(lambda lib: lib.func.functional_call(Tied.build(lib), {"foo": lib.zeros(())}, (lib.ones(()),),
                                              tie_weights=False))
    raises_like_torch(lambda lib: lib.func.functional_call(Tied.build(lib), {"foo": lib.zeros(()),
                                                                             "bar": lib.ones(())}, lib.ones(())))


@pytest.mark.parametrize("case", [
    lambda lib, m, p: lib.func.functional_call(m, {"weight": p["weight"]}, (lib.ones(2),), strict=True),
    lambda lib, m, p: lib.func.functional_call(m, {"weight": p["weight"], "foo": p["bias"], "bar": p["bias"]},
                                               (lib.ones(2),), strict=True),
    lambda lib, m, p: lib.func.functional_call(m, ({"weight": p["weight"]}, {"weight": p["weight"]}), (lib.ones(2),)),
    lambda lib, m, p: lib.func.functional_call(m, ({"weight": p["weight"]}, 3), (lib.ones(2),)),
    lambda lib, m, p: lib.func.functional_call(m, 3, (lib.ones(2),)),
    lambda lib, m, p: lib.func.functional_call(m, {"foo.weight": p["weight"]}, (lib.ones(2),)),
])
def test_functional_call_errors_are_torchs(case):
    raises_like_torch(lambda lib: case(lib, lib.nn.Linear(2, 2), dict(lib.nn.Linear(2, 2).named_parameters())))


def test_functional_call_refuses_a_non_tensor_value():
    raises_like_torch(lambda lib: lib.func.functional_call(lib.nn.Linear(2, 2), {"weight": 3}, (lib.ones(2),)),
                      same_message=False)


def test_stateless_functional_call_is_the_older_name_and_warns():
    for lib in LIBS:
        net = lib.nn.Linear(2, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = lib.nn.utils.stateless.functional_call(net, {"bias": lib.zeros(2)}, (lib.zeros(2),))
        assert [w.category for w in caught] == [FutureWarning]
        assert "torch.func.functional_call" in str(caught[0].message)
        assert out.abs().sum().item() == 0


def test_model_ensembling_matches_torch():
    def program(lib):
        models = [Net.build(lib, s).double() for s in range(3)]
        params, buffers = lib.func.stack_module_state(models)
        base = copy.deepcopy(models[0])

        def fmodel(params, buffers, x):
            return lib.func.functional_call(base, (params, buffers), (x,))
        x = T(lib, arr(6, 3))
        same = lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
        per_model = lib.func.vmap(fmodel)(params, buffers, T(lib, arr(3, 6, 3)))
        per_model.sum().backward()      # the stacked parameters are leaves that require grad
        return same, per_model, params["0.weight"].grad, buffers["1.running_mean"]
    both(program)


def test_stack_module_state_errors_are_torchs():
    raises_like_torch(lambda lib: lib.func.stack_module_state([]))
    raises_like_torch(lambda lib: lib.func.stack_module_state([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2).eval()]))
    raises_like_torch(lambda lib: lib.func.stack_module_state([lib.nn.Linear(2, 2), lib.nn.Conv1d(2, 2, 1)]))
    raises_like_torch(lambda lib: lib.func.stack_module_state([lib.nn.Linear(2, 2),
                                                               lib.nn.Linear(2, 2).requires_grad_(False)]))


def test_vmap_is_torch_vmap_at_top_level():
    assert ember.vmap is ember.func.vmap


# ---------------------------------------------------------------------------------------------------------------
# more compositions


def test_grad_and_jacobians_of_a_vmapped_function():
    f = lambda lib: lib.func.vmap(lambda x, w: (w @ x).tanh(), in_dims=(0, None))     # noqa: E731
    both(lambda lib: lib.func.grad(lambda x, w: f(lib)(x, w).pow(2).sum(), argnums=(0, 1))(T(lib, XB), T(lib, W34)))
    both(lambda lib: lib.func.jacrev(f(lib), argnums=1)(T(lib, XB[:2]), T(lib, W34)))
    both(lambda lib: lib.func.jacfwd(f(lib))(T(lib, XB[:2]), T(lib, W34)))


def test_results_of_vjp_jvp_and_jacobians_keep_a_graph_only_where_torchs_do():
    def program(lib, requires_grad):
        x, w = T(lib, X3, requires_grad=requires_grad), T(lib, W34)
        f = lambda x, w: (w @ x).sin()        # noqa: E731
        out, vjp_fn = lib.func.vjp(f, x, w)
        return (out, vjp_fn(T(lib, B4)), lib.func.jvp(f, (x, w), (T(lib, Y3), T(lib, W34))),
                lib.func.jacrev(f)(x, w), lib.func.jacfwd(f)(x, w), lib.func.hessian(lambda x: f(x, w).sum())(x))
    both(lambda lib: program(lib, False))
    both(lambda lib: program(lib, True))


def test_vmap_of_grad_with_random_dropout_in_same_and_different_modes():
    def program(lib, mode):
        lib.manual_seed(5)

        def loss(w, x):
            return lib.nn.functional.dropout(w @ x, 0.5).pow(2).sum()
        return lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0), randomness=mode)(T(lib, W34, "float32"),
                                                                                        T(lib, XB, "float32"))
    for mode in ("same", "different"):
        both(lambda lib: program(lib, mode), 1e-6, 1e-6)
    raises_like_torch(lambda lib: program(lib, "error"))


def test_a_transform_that_raises_leaves_no_state_behind():
    for lib in LIBS:
        with pytest.raises(RuntimeError):
            lib.func.vmap(lambda x: x * lib.rand(3))(lib.ones(2, 3))
        lib.rand(3)                       # no vmap watching the generator any more
        with pytest.raises(ZeroDivisionError):
            lib.func.grad(lambda x: 1 / 0)(lib.ones(()))
        assert lib.is_grad_enabled()
        with lib.no_grad():
            with pytest.raises(ZeroDivisionError):
                lib.func.grad(lambda x: 1 / 0)(lib.ones(()))
            assert not lib.is_grad_enabled()
