"""torch.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp): ember against torch on the same numbers,
with the same nesting of tuples, shapes, dtypes, requires_grad of results and the same errors."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(7)
LIBS = (ember, torch)


def arr(*shape):
    return RNG.normal(size=shape)


def to_lib(lib, data, dtype=None, requires_grad=False):
    """A NumPy array (or a tuple of them) as the library's Tensors."""
    if isinstance(data, tuple):
        return tuple(to_lib(lib, d, dtype, requires_grad) for d in data)
    t = lib.tensor(data)
    if dtype is not None:
        t = t.to(getattr(lib, dtype))
    return t.requires_grad_(requires_grad)


def assert_same(e, t, rtol=1e-7, atol=1e-9, where="result"):
    """Same nesting of tuples, and per Tensor the same shape, dtype, requires_grad and values."""
    if isinstance(t, tuple):
        assert isinstance(e, tuple), f"{where}: torch gives a tuple, ember {type(e).__name__}"
        assert len(e) == len(t), f"{where}: tuple of {len(e)}, torch's has {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, rtol, atol, f"{where}[{i}]")
        return
    assert isinstance(t, torch.Tensor)
    assert isinstance(e, ember.Tensor), f"{where}: torch gives a Tensor, ember {type(e).__name__}"
    assert tuple(e.shape) == tuple(t.shape), f"{where}: shape {tuple(e.shape)}, torch's {tuple(t.shape)}"
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{where}: dtype {e.dtype} vs {t.dtype}"
    assert e.requires_grad == t.requires_grad, f"{where}: requires_grad {e.requires_grad}, torch's {t.requires_grad}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol, err_msg=where)


def call(lib, name, func, inputs, v=None, dtype=None, requires_grad=False, **kw):
    """lib.autograd.functional.<name>(func(lib), inputs, [v], **kw) on fresh tensors of ``lib``."""
    fn = getattr(lib.autograd.functional, name)
    x = to_lib(lib, inputs, dtype, requires_grad)
    if v is not None:
        kw["v"] = to_lib(lib, v, dtype)
    return fn(func(lib), x, **kw)


def check(name, func, inputs, v=None, rtol=1e-7, atol=1e-9, **kw):
    res = {lib: call(lib, name, func, inputs, v, **kw) for lib in LIBS}
    assert_same(res[ember], res[torch], rtol, atol)
    return res


def check_raises(name, func, inputs, v=None, words=(), **kw):
    """Both raise the same exception type; ember's message is torch's (with torch's name for the library) and
    contains ``words``."""
    errors = {}
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            call(lib, name, func, inputs, v, **kw)
        errors[lib] = info.value
    assert type(errors[ember]) is type(errors[torch]), (errors[ember], errors[torch])
    e_msg, t_msg = str(errors[ember]).replace("ember", "torch"), str(errors[torch])
    assert e_msg == t_msg
    for w in words:
        assert w in e_msg


# ---------------------------------------------------------------------------------------------------------------
# functions of one or two inputs, with one or two outputs


def f_sin(lib):
    return lambda x: x.sin() * x.exp()


def f_matmul(lib):
    return lambda x, w: (x @ w).pow(2)


def f_two_out(lib):
    return lambda x: (x.exp(), (x ** 3).sum())


def f_two_in_two_out(lib):
    return lambda x, y: (x[:, None] * y, (x.sin().sum() * y).exp())   # broadcasting


def f_scalar(lib):
    return lambda x: (x.sin() * x ** 2).sum()


def f_scalar2(lib):
    return lambda x, w: ((x @ w).tanh() ** 2).sum() + (x * x).sum() * w.sum()


SHAPES = {f_sin: arr(3, 2), f_matmul: (arr(2, 3), arr(3, 2)), f_two_out: arr(4), f_two_in_two_out: (arr(3), arr(2)),
          f_scalar: arr(4), f_scalar2: (arr(2, 3), arr(3, 2))}


@pytest.mark.parametrize("func", [f_sin, f_matmul, f_two_out, f_two_in_two_out])
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian(func, create_graph):
    check("jacobian", func, SHAPES[func], create_graph=create_graph)


@pytest.mark.parametrize("func", [f_sin, f_matmul, f_two_out, f_two_in_two_out])
def test_jacobian_vectorize_and_forward_mode_give_the_same_numbers(func):
    check("jacobian", func, SHAPES[func], vectorize=True)
    for lib in LIBS:
        plain = call(lib, "jacobian", func, SHAPES[func])
        fwd = call(lib, "jacobian", func, SHAPES[func], vectorize=True, strategy="forward-mode")
        for a, b in zip(flat(plain), flat(fwd)):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def flat(r):
    return [u for el in r for u in flat(el)] if isinstance(r, (tuple, list)) else [r]


def nesting(r):
    """The containers around the Tensors: ('list', ['tuple', ...]) and so on."""
    return (type(r).__name__, [nesting(el) for el in r]) if isinstance(r, (tuple, list)) else "Tensor"


def test_forward_mode_nests_in_lists_as_torch_does():
    # torch's forward route returns lists where its reverse route returns tuples (a tuple of inputs makes lists)
    cases = [(f_matmul, SHAPES[f_matmul]), (f_two_in_two_out, SHAPES[f_two_in_two_out]), (f_two_out, arr(3)),
             (lambda lib: lambda x: x.sin(), (arr(3),)), (lambda lib: lambda x: (x.sin(),), arr(3))]
    for func, x in cases:
        e, t = (call(lib, "jacobian", func, x, vectorize=True, strategy="forward-mode") for lib in LIBS)
        assert nesting(e) == nesting(t)
        for a, b in zip(flat(e), flat(t)):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    e, t = (call(lib, "hessian", f_scalar2, SHAPES[f_scalar2], vectorize=True, outer_jacobian_strategy="forward-mode")
            for lib in LIBS)
    assert nesting(e) == nesting(t) == ("list", [("list", ["Tensor", "Tensor"])] * 2)


@pytest.mark.parametrize("func", [f_scalar, f_scalar2])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian(func, create_graph, vectorize):
    check("hessian", func, SHAPES[func], create_graph=create_graph, vectorize=vectorize)


def test_hessian_forward_over_reverse_gives_the_same_numbers():
    for lib in LIBS:
        a = call(lib, "hessian", f_scalar2, SHAPES[f_scalar2])
        b = call(lib, "hessian", f_scalar2, SHAPES[f_scalar2], vectorize=True, outer_jacobian_strategy="forward-mode")
        for i in range(2):
            for j in range(2):
                np.testing.assert_allclose(a[i][j].detach().numpy(), b[i][j].detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp(create_graph):
    check("vjp", f_sin, arr(3, 2), v=arr(3, 2), create_graph=create_graph)
    check("vjp", f_matmul, SHAPES[f_matmul], v=arr(2, 2), create_graph=create_graph)
    check("vjp", f_two_in_two_out, SHAPES[f_two_in_two_out], v=(arr(3, 2), arr(2)), create_graph=create_graph)
    check("vjp", f_scalar, arr(4), create_graph=create_graph)              # v may be left out: one element out


@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp(create_graph):
    check("jvp", f_sin, arr(3, 2), v=arr(3, 2), create_graph=create_graph)
    check("jvp", f_two_out, arr(4), v=arr(4), create_graph=create_graph)
    check("jvp", f_two_in_two_out, SHAPES[f_two_in_two_out], v=(arr(3), arr(2)), create_graph=create_graph)
    check("jvp", lambda lib: lambda x: x.exp() * 2, arr(1), create_graph=create_graph)   # v left out: one element in


@pytest.mark.parametrize("name", ["vhp", "hvp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_vhp_hvp(name, create_graph):
    check(name, f_scalar, arr(4), v=arr(4), create_graph=create_graph)
    check(name, f_scalar2, SHAPES[f_scalar2], v=(arr(2, 3), arr(3, 2)), create_graph=create_graph)
    check(name, lambda lib: lambda x: x.exp().sum(), arr(1), create_graph=create_graph)


def test_vjp_is_a_row_combination_of_the_jacobian_and_jvp_a_column_one():
    # the four products agree with the full matrices, inside ember alone
    x, u, w = arr(4), arr(4), arr(4)
    fx = lambda x: (x.sin() * x.sum()) ** 2  # noqa: E731
    J = ember.autograd.functional.jacobian(fx, ember.tensor(x)).numpy()
    _, vj = ember.autograd.functional.vjp(fx, ember.tensor(x), ember.tensor(u))
    _, jv = ember.autograd.functional.jvp(fx, ember.tensor(x), ember.tensor(w))
    np.testing.assert_allclose(vj.numpy(), u @ J, rtol=1e-10)
    np.testing.assert_allclose(jv.numpy(), J @ w, rtol=1e-10)
    gx = lambda x: (x.sin() * x.sum() ** 2).sum()  # noqa: E731
    H = ember.autograd.functional.hessian(gx, ember.tensor(x)).numpy()
    np.testing.assert_allclose(ember.autograd.functional.hvp(gx, ember.tensor(x), ember.tensor(w))[1].numpy(),
                               H @ w, rtol=1e-10)
    np.testing.assert_allclose(ember.autograd.functional.vhp(gx, ember.tensor(x), ember.tensor(u))[1].numpy(),
                               u @ H, rtol=1e-10)


# ---------------------------------------------------------------------------------------------------------------
# create_graph: the results can be differentiated once more


@pytest.mark.parametrize("name,func,v", [
    ("jacobian", f_sin, None), ("hessian", f_scalar, None), ("vjp", f_sin, arr(3, 2)),
    ("jvp", f_sin, arr(3, 2)), ("vhp", f_scalar, arr(4)), ("hvp", f_scalar, arr(4))])
def test_create_graph_results_differentiate_again(name, func, v):
    x = SHAPES[func]
    grads = {}
    for lib in LIBS:
        xt = to_lib(lib, x, requires_grad=True)
        kw = {} if v is None else {"v": to_lib(lib, v)}
        res = getattr(lib.autograd.functional, name)(func(lib), xt, create_graph=True, **kw)
        last = res if name in ("jacobian", "hessian") else res[1]
        assert last.requires_grad
        (last ** 2).sum().backward()
        grads[lib] = xt.grad
        assert xt.grad is not None
    np.testing.assert_allclose(grads[ember].numpy(), grads[torch].numpy(), rtol=1e-7, atol=1e-9)


def test_without_create_graph_results_are_detached_even_for_inputs_that_require_grad():
    for name in ("jacobian", "hessian"):
        check(name, f_scalar, arr(4), requires_grad=True)
    check("vjp", f_sin, arr(3, 2), v=arr(3, 2), requires_grad=True)
    check("hvp", f_scalar, arr(4), v=arr(4), requires_grad=True)


# ---------------------------------------------------------------------------------------------------------------
# inputs func does not use, strict mode


def f_ignores_y(lib):
    return lambda x, y: x.exp() * 2


def f_linear(lib):
    return lambda x: (x * 3).sum()


@pytest.mark.parametrize("name,func,v", [
    ("jacobian", f_ignores_y, None), ("vjp", f_ignores_y, arr(3)), ("jvp", f_ignores_y, (arr(3), arr(2))),
    ("hessian", lambda lib: lambda x, y: (x ** 3).sum(), None),
    ("vhp", lambda lib: lambda x, y: (x ** 3).sum(), (arr(3), arr(2))),
    ("hvp", lambda lib: lambda x, y: (x ** 3).sum(), (arr(3), arr(2)))])
def test_unused_input_gives_zeros_or_strict_error(name, func, v):
    check(name, func, (arr(3), arr(2)), v=v)
    check_raises(name, func, (arr(3), arr(2)), v=v, strict=True, words=("independent", "strict mode"))


def test_output_without_graph_gives_zeros_or_strict_error():
    const = lambda lib: lambda x: lib.ones(2, dtype=lib.float64)  # noqa: E731
    check("jacobian", const, arr(3))
    check("vjp", const, arr(3), v=arr(2))
    check_raises("jacobian", const, arr(3), strict=True, words=("does not require gradients",))
    check_raises("jvp", const, arr(3), v=arr(3), strict=True, words=("does not require gradients",))


@pytest.mark.parametrize("name,v", [("hessian", None), ("vhp", arr(3)), ("hvp", arr(3))])
def test_linear_function_has_no_hessian_in_strict_mode(name, v):
    check(name, f_linear, arr(3), v=v)                 # zeros
    check_raises(name, f_linear, arr(3), v=v, strict=True, words=("independent",))


def test_strict_with_create_graph_refuses_a_constant_jacobian():
    f = lambda lib: lambda x: x * 3  # noqa: E731
    check("jacobian", f, arr(3), strict=True)          # fine without create_graph
    check_raises("jacobian", f, arr(3), strict=True, create_graph=True, words=("create_graph=True",))
    check_raises("vjp", f, arr(3), v=arr(3), strict=True, create_graph=True, words=("create_graph=True",))


def test_strict_and_vectorize_are_not_supported_together():
    check_raises("jacobian", f_sin, arr(3, 2), strict=True, vectorize=True, words=("vectorize",))


def test_strategy_errors():
    check_raises("jacobian", f_sin, arr(3), strategy="fwd", words=("forward-mode",))
    check_raises("jacobian", f_sin, arr(3), strategy="forward-mode", words=("vectorize=True",))
    check_raises("jacobian", f_sin, arr(3), strategy="forward-mode", vectorize=True, create_graph=True,
                 words=("create_graph",))
    check_raises("jacobian", f_sin, arr(3), strategy="forward-mode", vectorize=True, strict=True, words=("strict",))
    check_raises("hessian", f_scalar, arr(3), outer_jacobian_strategy="forward-mode", words=("vectorize=True",))
    check_raises("hessian", f_scalar, arr(3), outer_jacobian_strategy="x", words=("reverse-mode",))


# ---------------------------------------------------------------------------------------------------------------
# what func sees, what the caller keeps


def test_func_sees_fresh_tensors_that_require_grad_and_the_callers_are_untouched():
    for lib in LIBS:
        x = lib.tensor(arr(3))
        seen = []

        def f(t):
            seen.append((t.requires_grad, t is x))
            return t * t
        for name in ("jacobian", "vjp", "jvp"):
            kw = {} if name == "jacobian" else {"v": lib.ones(3, dtype=lib.float64)}
            getattr(lib.autograd.functional, name)(f, x, **kw)
        assert seen == [(True, False)] * 3
        assert not x.requires_grad and x.grad is None and x.grad_fn is None


def test_results_under_no_grad():
    with ember.no_grad():
        with torch.no_grad():
            check("jacobian", f_sin, arr(3, 2))
            check("vjp", f_sin, arr(3, 2), v=arr(3, 2), create_graph=True)
            check("hvp", f_scalar, arr(4), v=arr(4))


# ---------------------------------------------------------------------------------------------------------------
# dtypes, 0-d tensors


@pytest.mark.parametrize("name,func,v", [("jacobian", f_two_in_two_out, None), ("hessian", f_scalar2, None),
                                         ("vjp", f_two_in_two_out, (arr(3, 2), arr(2))),
                                         ("jvp", f_two_in_two_out, (arr(3), arr(2))),
                                         ("vhp", f_scalar2, (arr(2, 3), arr(3, 2))),
                                         ("hvp", f_scalar2, (arr(2, 3), arr(3, 2)))])
def test_float32(name, func, v):
    check(name, func, SHAPES[func], v=v, dtype="float32", rtol=1e-4, atol=1e-5)


def test_zero_dim_inputs_and_outputs():
    x0 = np.array(0.7)
    cube = lambda lib: lambda x: x ** 3  # noqa: E731
    check("jacobian", cube, x0)                                      # 0-d out, 0-d in: a 0-d Jacobian
    check("jacobian", lambda lib: lambda x: x * lib.ones(2, dtype=lib.float64), x0)   # shape (2,)
    check("jacobian", lambda lib: lambda x: x.sum(), arr(2, 2))      # shape (2, 2)
    check("hessian", cube, x0)
    for name in ("vjp", "jvp", "vhp", "hvp"):
        check(name, cube, x0)                                        # v left out
        check(name, cube, x0, v=np.array(2.0))
    check("hessian", lambda lib: lambda x, y: x * y.exp(), (x0, np.array(-0.3)))


def test_one_element_outputs_of_any_shape_count_as_scalars():
    one_by_one = lambda lib: lambda x: (x ** 3).sum().reshape(1, 1)  # noqa: E731
    check("hessian", one_by_one, arr(3))                             # (3, 3): the output is squeezed first
    check("vhp", one_by_one, arr(3), v=arr(3))
    check("vjp", one_by_one, arr(3))


# ---------------------------------------------------------------------------------------------------------------
# argument errors


def test_func_returning_a_non_tensor_is_a_type_error():
    for name in ("jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"):
        v = None if name in ("jacobian", "hessian") else arr(3)
        check_raises(name, lambda lib: lambda x: 3.0, arr(3), v=v, words=("must be either a Tensor",))
        check_raises(name, lambda lib: lambda x: (x, [x]), arr(3), v=v, words=("index 1",))


def test_inputs_must_be_tensors():
    for lib in LIBS:
        with pytest.raises(TypeError, match="inputs given to jacobian must be either a Tensor"):
            lib.autograd.functional.jacobian(lambda x: x, [lib.ones(2)])


@pytest.mark.parametrize("name,func,v,words", [
    ("vjp", f_sin, arr(2, 3), ("invalid size", "should be", "[3, 2]")),
    ("vjp", f_two_in_two_out, (arr(3, 2),), ("tuple of invalid length", "should be 2 but got 1")),
    ("vjp", f_two_in_two_out, (arr(3, 2), arr(3)), ("Entry 1 in v has invalid size",)),
    ("vjp", f_sin, (arr(3, 2), arr(3, 2)), ("single Tensor",)),
    ("jvp", f_sin, arr(6), ("invalid size",)),
    ("vhp", f_scalar, arr(5), ("invalid size",)),
    ("hvp", f_scalar2, (arr(2, 3), arr(2, 3)), ("Entry 1 in v has invalid size",)),
    ("vjp", f_sin, None, ("can only be None",)),
    ("jvp", f_sin, None, ("can only be None",)),
    ("hvp", f_scalar, None, ("can only be None",))])
def test_wrong_v(name, func, v, words):
    check_raises(name, func, SHAPES[func], v=v, words=words)


@pytest.mark.parametrize("name", ["hessian", "vhp", "hvp"])
def test_second_order_needs_a_single_one_element_output(name):
    v = None if name == "hessian" else arr(4)
    check_raises(name, f_sin, arr(4), v=v, words=("single element",))
    check_raises(name, lambda lib: lambda x: (x.sum(),), arr(4), v=v, words=("single Tensor",))


# ---------------------------------------------------------------------------------------------------------------
# a learner's program


def learner_program(torch):
    """The Jacobian of a small MLP's output with respect to its input, and the Hessian of a quadratic form."""
    jacobian, hessian = torch.autograd.functional.jacobian, torch.autograd.functional.hessian
    torch.manual_seed(0)
    gen = np.random.default_rng(3)
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p in mlp.parameters():                       # the same weights in both libraries
            p.copy_(torch.tensor(gen.normal(size=tuple(p.shape))))
    x = torch.tensor(gen.normal(size=4))
    J = jacobian(mlp, x)
    A = torch.tensor(gen.normal(size=(4, 4)))
    H = hessian(lambda z: z @ A @ z, x)
    return J, H, A


def test_learner_program_mlp_jacobian_and_quadratic_form_hessian():
    (eJ, eH, eA), (tJ, tH, tA) = learner_program(ember), learner_program(torch)
    assert_same(eJ, tJ)
    assert_same(eH, tH)
    assert_same(eA, tA)
    assert tuple(eJ.shape) == (3, 4)
    np.testing.assert_allclose(eH.numpy(), (eA + eA.T).numpy(), rtol=1e-12)


def test_reachable_as_torch_names_it():
    import ember.autograd.functional as F
    assert F is ember.autograd.functional
    assert sorted(F.__all__) == sorted(torch.autograd.functional.__all__)
