"""Distances, Softmin/Softmax2d, ParameterList/ParameterDict, the 1-d adaptive pools, RMSNorm, LocalResponseNorm and
the padding layers: values and gradients against PyTorch (float64 and float32), finite differences, printed forms,
state_dict keys, and the refusals PyTorch makes."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity

RNG = np.random.default_rng(21)
F32 = dict(atol=1e-5, rtol=1e-5)


def _f32(arrays):
    return [a.astype(np.float32) for a in arrays]


# ----------------------------------------------------------------------------- functions
FUNCTIONS = {
    "normalize": (lambda lib, x: lib.nn.functional.normalize(x), [(4, 5)]),
    "normalize_p1_dim0": (lambda lib, x: lib.nn.functional.normalize(x, p=1, dim=0), [(4, 5)]),
    "normalize_3d": (lambda lib, x: lib.nn.functional.normalize(x, p=3.0, dim=-1), [(2, 3, 4)]),
    "cosine_similarity": (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b), [(4, 5), (4, 5)]),
    "cosine_similarity_broadcast": (lambda lib, a, b: lib.cosine_similarity(a, b, dim=-1), [(3, 1, 5), (4, 5)]),
    "cosine_similarity_1d": (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=0), [(5,), (5,)]),
    "pairwise_distance": (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), [(4, 5), (4, 5)]),
    "pairwise_distance_p1_keepdim": (lambda lib, a, b: lib.pairwise_distance(a, b, p=1.0, keepdim=True),
                                     [(4, 5), (1, 5)]),
    "pairwise_distance_pinf": (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=float("inf")),
                               [(3, 5), (3, 5)]),
    "pairwise_distance_1d": (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=3), [(5,), (5,)]),
    "cdist": (lambda lib, a, b: lib.cdist(a, b), [(4, 3), (5, 3)]),
    "cdist_batched_broadcast": (lambda lib, a, b: lib.cdist(a, b), [(2, 4, 3), (1, 5, 3)]),
    "cdist_p1": (lambda lib, a, b: lib.cdist(a, b, p=1), [(4, 3), (5, 3)]),
    "cdist_p3": (lambda lib, a, b: lib.cdist(a, b, p=3.0), [(2, 4, 3), (2, 5, 3)]),
    "cdist_p0": (lambda lib, a, b: lib.cdist(a, b, p=0), [(4, 3), (5, 3)]),
    "cdist_p_half": (lambda lib, a, b: lib.cdist(a, b, p=0.5), [(4, 3), (5, 3)]),
    "cdist_pinf": (lambda lib, a, b: lib.cdist(a, b, p=float("inf")), [(4, 3), (5, 3)]),
    "softmin": (lambda lib, x: lib.nn.functional.softmin(x, dim=1), [(3, 4)]),
    "rms_norm": (lambda lib, x: lib.nn.functional.rms_norm(x, [4]), [(3, 4)]),
    "rms_norm_weight": (lambda lib, x, w: lib.nn.functional.rms_norm(x, (3, 4), w, eps=1e-3), [(2, 3, 4), (3, 4)]),
    "local_response_norm_3d": (lambda lib, x: lib.nn.functional.local_response_norm(x, 3), [(2, 5, 4)]),
    "local_response_norm_4d": (lambda lib, x: lib.nn.functional.local_response_norm(x, 2, alpha=0.1, beta=0.5,
                                                                                     k=2.0), [(2, 5, 3, 4)]),
    "local_response_norm_5d": (lambda lib, x: lib.nn.functional.local_response_norm(x, 4), [(2, 6, 2, 3, 2)]),
    "adaptive_avg_pool1d": (lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 3), [(2, 3, 7)]),
    "adaptive_avg_pool1d_unbatched": (lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, (4,)), [(3, 10)]),
    "adaptive_max_pool1d": (lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 3), [(2, 3, 7)]),
    "adaptive_max_pool1d_even": (lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 2), [(2, 3, 8)]),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_match_torch_float64_and_float32(name):
    fn, shapes = FUNCTIONS[name]
    domain = "distinct" if "max_pool" in name else "any"
    arrays = [RNG.normal(size=s) if domain == "any" else
              (RNG.permutation(int(np.prod(s))).reshape(s) * 0.37).astype(np.float64) for s in shapes]
    check_parity(fn, arrays)
    check_parity(fn, _f32(arrays), **F32)
    if name not in ("local_response_norm_4d", "local_response_norm_5d"):  # torch's view() refuses these there
        check_parity(fn, arrays, noncontiguous=True)


@pytest.mark.parametrize("name", ["normalize", "cosine_similarity_broadcast", "pairwise_distance", "cdist",
                                  "cdist_p3", "rms_norm_weight", "local_response_norm_4d", "adaptive_avg_pool1d",
                                  "adaptive_max_pool1d", "softmin"])
def test_finite_differences(name):
    fn, shapes = FUNCTIONS[name]
    check_gradcheck(fn, [RNG.normal(size=s) for s in shapes])


def test_adaptive_max_pool1d_indices_match_torch():
    x = (RNG.permutation(42).reshape(2, 3, 7) * 0.37)
    e = ember.nn.functional.adaptive_max_pool1d(ember.tensor(x), 3, return_indices=True)
    t = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x), 3, return_indices=True)
    assert_same(e[0], t[0])
    assert_same(e[1], t[1])
    e = ember.nn.AdaptiveMaxPool1d(2, return_indices=True)(ember.tensor(x))
    t = torch.nn.AdaptiveMaxPool1d(2, return_indices=True)(torch.tensor(x))
    assert_same(e[1], t[1])


def test_cosine_similarity_eps_clamp_and_zero_vectors_match_torch():
    a = np.array([[0.0, 0.0, 0.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    check_parity(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y), [a, b], atol=1e-5)  # grads ~1e11
    check_parity(lambda lib, x: lib.nn.functional.normalize(x), [a], atol=1e-5)
    # zero distance: both libraries give a zero gradient there
    check_parity(lambda lib, x, y: lib.cdist(x, y), [a, a[[2, 0]]])


def test_cdist_of_more_than_25_rows_is_close_to_torchs_matrix_product_route():
    # torch computes |a|^2 + |b|^2 - 2ab there; ember keeps the direct formula (other rounding, same distances)
    a, b = RNG.normal(size=(30, 8)).astype(np.float32), RNG.normal(size=(40, 8)).astype(np.float32)
    check_parity(lambda lib, x, y: lib.cdist(x, y), [a, b], atol=1e-5, rtol=1e-5)
    check_parity(lambda lib, x, y: lib.cdist(x, y), [np.zeros((0, 3)), np.zeros((2, 3))])


def test_normalize_out():
    for lib in (ember, torch):
        out = lib.empty(0)
        assert lib.nn.functional.normalize(lib.tensor([[3.0, 4.0]]), out=out) is out
        assert out.tolist() == [[0.6000000238418579, 0.800000011920929]]


def test_cosine_similarity_of_integers_promotes():
    a, b = np.arange(6).reshape(2, 3), np.arange(6, 12).reshape(2, 3).astype(np.float32)
    check_parity(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y), [a, b], **F32)


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon():
    x = np.array([[1e-5, -2e-5, 1e-5, 0.0]])
    for dtype in (np.float32, np.float64):
        check_parity(lambda lib, t: lib.nn.functional.rms_norm(t, [4]), [x.astype(dtype)], atol=1e-6, rtol=1e-5)


def test_double_backward_through_a_composition():
    # torch's cdist has no double backward (NotImplementedError): ember's is compared with torch's direct formula
    def check(lib, x, y):
        d = lib.cdist(x, y, p=3) if lib is ember else (x[:, None] - y[None]).norm(p=3, dim=-1)
        return lib.autograd.grad(d.sum(), x, create_graph=True)[0]
    check_parity(check, [RNG.normal(size=(3, 2)), RNG.normal(size=(4, 2))])
    check = lambda lib, x: lib.autograd.grad(lib.nn.functional.normalize(x).pow(3).sum(), x,  # noqa: E731
                                             create_graph=True)[0]
    check_parity(check, [RNG.normal(size=(3, 4))])


def _raises_like_torch(call):
    with pytest.raises(Exception) as t_error:
        call(torch)
    with pytest.raises(type(t_error.value)):
        call(ember)


REFUSALS = {
    "cdist_long": lambda lib: lib.cdist(lib.ones(2, 3).long(), lib.ones(2, 3)),
    "cdist_negative_p": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), p=-1),
    "cdist_1d": lambda lib: lib.cdist(lib.ones(3), lib.ones(2, 3)),
    "cdist_columns": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)),
    "cdist_dtypes": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.float64)),
    "cdist_mode": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), compute_mode="fast"),
    "cdist_not_tensor": lambda lib: lib.cdist([[1.0]], lib.ones(1, 1)),
    "cosine_list": lambda lib: lib.cosine_similarity(lib.ones(2, 3), [[1.0] * 3] * 2),
    "pairwise_number": lambda lib: lib.pairwise_distance(lib.ones(2, 3), 1.0),
    "cdist_list": lambda lib: lib.cdist(lib.ones(2, 3), [[1.0] * 3]),
    "cosine_dim": lambda lib: lib.nn.functional.cosine_similarity(lib.ones(3), lib.ones(3)),
    "cosine_long": lambda lib: lib.nn.functional.cosine_similarity(lib.ones(2, 3).long(), lib.ones(2, 3).long()),
    "cosine_shapes": lambda lib: lib.nn.functional.cosine_similarity(lib.ones(2, 3), lib.ones(2, 4)),
    "normalize_long": lambda lib: lib.nn.functional.normalize(lib.ones(2, 3).long()),
    "pairwise_shapes": lambda lib: lib.nn.functional.pairwise_distance(lib.ones(2, 3), lib.ones(2, 4)),
    "rms_norm_shape": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3), [4]),
    "rms_norm_weight": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3), [3], lib.ones(2)),
    "rms_norm_empty_shape": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3), []),
    "rms_norm_long": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, dtype=lib.long), [3]),
    "adaptive_avg_pool1d_long": lambda lib: lib.nn.functional.adaptive_avg_pool1d(lib.ones(1, 2, 3, dtype=lib.long), 2),
    "adaptive_avg_pool2d_long": lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.ones(1, 2, 3, 3, dtype=lib.long),
                                                                                 2),
    "adaptive_max_pool1d_long": lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.ones(1, 2, 3, dtype=lib.long), 2),
    "lrn_2d": lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3), 2),
    "adaptive_avg_pool1d_4d": lambda lib: lib.nn.functional.adaptive_avg_pool1d(lib.ones(1, 2, 3, 4), 2),
    "adaptive_max_pool1d_1d": lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.ones(4), 2),
    "softmax2d_2d": lambda lib: lib.nn.Softmax2d()(lib.ones(2, 3)),
    "circular_pad1d_4d": lambda lib: lib.nn.CircularPad1d(1)(lib.ones(1, 1, 2, 3)),
    "circular_pad3d_3d": lambda lib: lib.nn.CircularPad3d(1)(lib.ones(2, 3, 4)),
    "reflection_pad3d_3d": lambda lib: lib.nn.ReflectionPad3d(1)(lib.ones(2, 3, 4)),
    "circular_pad2d_2d": lambda lib: lib.nn.CircularPad2d(1)(lib.ones(2, 3)),
    "reflection_pad2d_2d": lambda lib: lib.nn.ReflectionPad2d(1)(lib.ones(2, 3)),
    "replication_pad1d_1d": lambda lib: lib.nn.ReplicationPad1d(1)(lib.ones(3)),
    "replication_pad2d_5d": lambda lib: lib.nn.ReplicationPad2d(1)(lib.ones(1, 1, 1, 2, 3)),
    "zero_pad2d_1d": lambda lib: lib.nn.ZeroPad2d(1)(lib.ones(3)),
    "constant_pad_odd_widths": lambda lib: lib.nn.ConstantPad1d((1, 2, 3), 0.0)(lib.ones(3)),
    "circular_pad_wraps_twice": lambda lib: lib.nn.CircularPad1d(4)(lib.ones(1, 2, 3)),
    "reflection_pad_too_wide": lambda lib: lib.nn.ReflectionPad1d(3)(lib.ones(1, 2, 3)),
    "parameter_list_index": lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.ones(1))])[1],
    "parameter_list_extend_tensor": lambda lib: lib.nn.ParameterList().extend(lib.ones(2)),
    "parameter_list_call": lambda lib: lib.nn.ParameterList()(lib.ones(2)),
    "parameter_dict_key": lambda lib: lib.nn.ParameterDict()[1],
    "parameter_dict_missing": lambda lib: lib.nn.ParameterDict()["a"],
    "parameter_dict_pairs": lambda lib: lib.nn.ParameterDict([("a", lib.ones(1), 3)]),
    "parameter_dict_not_iterable": lambda lib: lib.nn.ParameterDict(3),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_raise_torchs_exception_type(name):
    _raises_like_torch(REFUSALS[name])


# ----------------------------------------------------------------------------- modules
MODULES = {
    "Softmin": (lambda lib: lib.nn.Softmin(dim=1), [(3, 4)]),
    "Softmax2d": (lambda lib: lib.nn.Softmax2d(), [(2, 3, 2, 2)]),
    "Softmax2d_3d": (lambda lib: lib.nn.Softmax2d(), [(3, 2, 2)]),
    "CosineSimilarity": (lambda lib: lib.nn.CosineSimilarity(dim=0, eps=1e-6), [(4, 3), (4, 3)]),
    "PairwiseDistance": (lambda lib: lib.nn.PairwiseDistance(p=1.5, keepdim=True), [(4, 3), (4, 3)]),
    "AdaptiveAvgPool1d": (lambda lib: lib.nn.AdaptiveAvgPool1d(5), [(2, 3, 11)]),
    "AdaptiveMaxPool1d": (lambda lib: lib.nn.AdaptiveMaxPool1d(4), [(2, 3, 11)]),
    "RMSNorm": (lambda lib: lib.nn.RMSNorm(4), [(2, 3, 4)]),
    "RMSNorm_2d_eps": (lambda lib: lib.nn.RMSNorm([3, 4], eps=1e-4), [(2, 3, 4)]),
    "RMSNorm_no_affine": (lambda lib: lib.nn.RMSNorm(4, elementwise_affine=False), [(2, 4)]),
    "LocalResponseNorm": (lambda lib: lib.nn.LocalResponseNorm(3, alpha=0.01, beta=0.7, k=1.5), [(2, 5, 3, 3)]),
    "ZeroPad1d": (lambda lib: lib.nn.ZeroPad1d((1, 2)), [(2, 3, 4)]),
    "ZeroPad2d": (lambda lib: lib.nn.ZeroPad2d(2), [(1, 2, 3, 4)]),
    "ZeroPad2d_crop": (lambda lib: lib.nn.ZeroPad2d((1, -1, 2, 0)), [(1, 2, 3, 4)]),
    "ConstantPad1d": (lambda lib: lib.nn.ConstantPad1d(2, 3.5), [(2, 3, 4)]),
    "ConstantPad2d": (lambda lib: lib.nn.ConstantPad2d((1, 0, 2, 3), -1.0), [(2, 3, 4)]),
    "ConstantPad3d": (lambda lib: lib.nn.ConstantPad3d(1, 0.5), [(1, 2, 2, 3, 2)]),
    "ReflectionPad1d": (lambda lib: lib.nn.ReflectionPad1d((2, 1)), [(2, 3, 4)]),
    "ReflectionPad2d": (lambda lib: lib.nn.ReflectionPad2d(2), [(1, 2, 3, 4)]),
    "ReflectionPad2d_unbatched": (lambda lib: lib.nn.ReflectionPad2d((1, 0, 2, 1)), [(2, 3, 4)]),
    "ReplicationPad1d": (lambda lib: lib.nn.ReplicationPad1d(3), [(2, 3, 4)]),
    "ReplicationPad2d": (lambda lib: lib.nn.ReplicationPad2d((1, 2, 0, 3)), [(1, 2, 3, 4)]),
    "CircularPad1d": (lambda lib: lib.nn.CircularPad1d((2, 3)), [(2, 3, 4)]),
    "CircularPad2d": (lambda lib: lib.nn.CircularPad2d(1), [(1, 2, 3, 4)]),
    "ReflectionPad3d": (lambda lib: lib.nn.ReflectionPad3d((1, 0, 2, 1, 1, 1)), [(1, 2, 2, 3, 4)]),
    "ReflectionPad3d_unbatched": (lambda lib: lib.nn.ReflectionPad3d(1), [(2, 2, 3, 4)]),
    "ReplicationPad3d": (lambda lib: lib.nn.ReplicationPad3d(2), [(1, 2, 2, 3, 4)]),
    "CircularPad3d": (lambda lib: lib.nn.CircularPad3d((1, 2, 0, 1, 1, 0)), [(1, 2, 2, 3, 4)]),
    "ZeroPad3d": (lambda lib: lib.nn.ZeroPad3d((1, 0, 0, 1, 1, 0)), [(1, 2, 2, 3, 4)]),
}


def _module_call(make):
    def call(lib, *xs):
        torch.manual_seed(0)
        module = make(lib).double() if xs[0].dtype in (torch.float64, ember.float64) else make(lib)
        out = module(*xs)
        if module._parameters:  # same weights in both libraries: ones at start; the gradient reaches them too
            return out * 1.0
        return out
    return call


@pytest.mark.parametrize("name", MODULES)
def test_modules_match_torch(name):
    make, shapes = MODULES[name]
    arrays = [RNG.normal(size=s) for s in shapes]
    if "MaxPool" in name:
        arrays = [(RNG.permutation(int(np.prod(s))).reshape(s) * 0.37) for s in shapes]
    check_parity(_module_call(make), arrays)
    check_parity(_module_call(make), _f32(arrays), **F32)
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_rms_norm_weight_gradient_matches_torch():
    x, w = RNG.normal(size=(2, 3, 4)), RNG.normal(size=4)
    mods = {}
    for lib in (ember, torch):
        m = lib.nn.RMSNorm(4).double()
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
        m(lib.tensor(x)).pow(2).sum().backward()
        mods[lib] = m
    assert_same(mods[ember].weight.grad, mods[torch].weight.grad)
    assert mods[ember].weight.dtype == ember.float64


def test_module_reprs_match_torch():
    for make in (lambda lib: lib.nn.RMSNorm([4, 3], eps=1e-3, elementwise_affine=False),
                 lambda lib: lib.nn.LocalResponseNorm(2), lambda lib: lib.nn.AdaptiveMaxPool1d(3, True),
                 lambda lib: lib.nn.ConstantPad2d((1, 2, 3, 4), 2), lambda lib: lib.nn.ZeroPad3d(1),
                 lambda lib: lib.nn.PairwiseDistance(p=1), lambda lib: lib.nn.Softmin()):
        assert repr(make(ember)) == repr(make(torch))
    assert isinstance(ember.nn.ZeroPad2d(1), ember.nn.ConstantPad2d)


# ----------------------------------------------------------------------------- ParameterList / ParameterDict
def _plist(lib):
    return lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(3)])


def test_parameter_list_registers_indexes_and_prints_as_torch():
    e, t = _plist(ember), _plist(torch)
    assert list(e.state_dict()) == list(t.state_dict()) == ["0", "1"]
    assert [n for n, _ in e.named_parameters()] == ["0", "1"]
    assert isinstance(e[1], ember.nn.Parameter) and e[1].requires_grad
    assert e[-1] is e[1] and len(e) == 2 and list(e) == [e[0], e[1]]
    for lib, m in ((ember, e), (torch, t)):
        m.append(lib.ones(4))
        m.extend([lib.nn.Parameter(lib.ones(1)), 7])
        m += [lib.ones(5, dtype=lib.float64)]
        m[0] = lib.full((2,), 2.0)
    assert list(e.state_dict()) == list(t.state_dict())
    assert len(list(e.parameters())) == len(list(t.parameters())) == 5
    assert repr(e).replace("ember.", "torch.") == repr(t)
    sliced_e, sliced_t = e[1:4], t[1:4]
    assert type(sliced_e) is ember.nn.ParameterList and len(sliced_e) == len(sliced_t) == 3
    assert repr(ember.nn.ParameterList()) == repr(torch.nn.ParameterList()) == "ParameterList()"
    assert "0" not in dir(e)


def test_parameter_list_inside_a_model_trains():
    class Model(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = ember.nn.ParameterList([ember.nn.Parameter(ember.ones(3)) for _ in range(2)])

        def forward(self, x):
            for w in self.ws:
                x = x * w
            return x.sum()

    m = Model()
    assert list(m.state_dict()) == ["ws.0", "ws.1"]
    m(ember.ones(3)).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.double()
    assert m.ws[0].dtype == ember.float64


def _pdict(lib):
    return lib.nn.ParameterDict({"b": lib.nn.Parameter(lib.ones(2, 3)), "a": lib.zeros(3)})


def test_parameter_dict_registers_and_behaves_as_torch():
    e, t = _pdict(ember), _pdict(torch)
    assert list(e.state_dict()) == list(t.state_dict()) == ["a", "b"]  # a plain dict: sorted, as torch
    assert repr(e).replace("ember.", "torch.") == repr(t)
    for lib, m in ((ember, e), (torch, t)):
        m["c"] = lib.ones(1)
        m.update([("z", lib.nn.Parameter(lib.ones(2))), ("d", 5)])
        m.setdefault("y", lib.ones(3))
        assert m.pop("a").shape == (3,)
        assert m.get("missing", 1) == 1
    assert list(e.keys()) == list(t.keys())
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e).replace("ember.", "torch.") == repr(t)
    assert "b" in e and len(e) == len(t)
    assert [k for k, _ in e.items()] == list(e) == list(t)
    assert isinstance(e["c"], ember.nn.Parameter)
    assert list(reversed(e)) == list(reversed(t))
    assert list(e.copy()) == list(e)
    assert list(e | ember.nn.ParameterDict({"q": ember.ones(1)})) == list(t | torch.nn.ParameterDict(
        {"q": torch.ones(1)}))
    key_e, key_t = e.popitem()[0], t.popitem()[0]
    assert key_e == key_t
    e.clear()
    assert len(e) == 0 and list(e.parameters()) == []


def test_softmin_without_dim_warns_as_torch():
    import warnings
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = lib.nn.functional.softmin(lib.tensor([[1.0, 2.0], [3.0, 5.0]]))
        assert [str(w.message) for w in caught] == ["Implicit dimension choice for softmin has been deprecated. "
                                                    "Change the call to include dim=X as an argument."]
        assert caught[0].filename == __file__
        np.testing.assert_allclose(out.numpy(), torch.softmax(-torch.tensor([[1.0, 2.0], [3.0, 5.0]]), 1).numpy(),
                                   rtol=1e-6)


def test_a_parameter_or_child_assigned_again_keeps_its_place_as_in_torch():
    keys = {}
    for lib in (ember, torch):
        m = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
        m[0].weight = lib.nn.Parameter(lib.zeros(3, 2))
        m[0] = lib.nn.Linear(2, 3)
        m.add_module("1", lib.nn.Tanh())
        keys[lib] = (list(m.state_dict()), [n for n, _ in m.named_children()], repr(m))
    assert keys[ember] == keys[torch]


def test_replacing_a_layer_of_a_sequential_keeps_the_order_of_the_forward_pass():
    # (before, seq[0] = layer moved the layer to the end: the forward ran Tanh, then Sigmoid)
    seq = ember.nn.Sequential(ember.nn.ReLU(), ember.nn.Tanh())
    seq[0] = ember.nn.Sigmoid()
    x = ember.tensor([-1.0, 2.0])
    assert [type(m).__name__ for m in seq] == ["Sigmoid", "Tanh"]
    assert seq(x).tolist() == x.sigmoid().tanh().tolist()
    layers = ember.nn.ModuleList([ember.nn.ReLU(), ember.nn.Tanh()])
    layers[0] = ember.nn.Sigmoid()
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Tanh"]


CROSS = {
    "RMSNorm": lambda nn: nn.RMSNorm(4, eps=1e-3),
    "LocalResponseNorm": lambda nn: nn.LocalResponseNorm(2),
    "pads": lambda nn: nn.Sequential(nn.ReflectionPad1d(1), nn.ConstantPad1d((1, 2), 0.5), nn.CircularPad1d(1),
                                     nn.ReplicationPad1d(2), nn.ZeroPad1d(1)),
    "pools_and_softmin": lambda nn: nn.Sequential(nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(2), nn.Softmin(-1)),
    "ParameterList": lambda nn: nn.ParameterList([nn.Parameter(torch.ones(4)), 3, torch.zeros(2)]),
    "ParameterDict": lambda nn: nn.ParameterDict({"w": nn.Linear(4, 1).weight}),
}


@pytest.mark.parametrize("name", CROSS)
def test_whole_modules_cross_between_torch_and_ember(tmp_path, name):
    torch.manual_seed(0)
    original = CROSS[name](torch.nn)
    torch.save(original, tmp_path / "torch.pt")
    mine = ember.load(tmp_path / "torch.pt", weights_only=False)
    assert type(mine) is getattr(ember.nn, type(original).__name__)
    assert repr(mine).replace("ember.", "torch.") == repr(original)
    assert list(mine.state_dict()) == list(original.state_dict())
    x = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    if not name.startswith("Parameter"):
        np.testing.assert_allclose(mine(ember.tensor(x)).detach().numpy(), original(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-6, atol=1e-7)
    ember.save(mine, tmp_path / "ember.pt")
    theirs = torch.load(tmp_path / "ember.pt", weights_only=False)
    assert type(theirs) is type(original) and repr(theirs) == repr(original)
    if not name.startswith("Parameter"):
        np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), original(torch.tensor(x)).detach().numpy())
    else:
        assert [p.tolist() for p in theirs.parameters()] == [p.tolist() for p in original.parameters()]
