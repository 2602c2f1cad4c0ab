"""PyTorch's torch.func tutorials (per-sample gradients, model ensembling, Jacobians and Hessians, neural tangent
kernels) under `ember run` and under PyTorch: the same output. Each program's docstring says what differs from the
tutorial's text (the CPU for CUDA; smaller sizes where ember's per-element loops would take minutes; no meta
device). Numbers are float32 and vmap's per-sample products round differently from torch's batched ones, hence
the tolerances."""


def test_per_sample_gradients(programs):
    lines = programs.check("func_per_sample_grads.py", rtol=1e-4, atol=1e-4)
    assert "per-sample gradients agree" in lines


def test_model_ensembling(programs):
    lines = programs.check("func_ensembling.py", rtol=1e-4, atol=1e-4)
    assert "ensemble predictions agree" in lines


def test_jacobians_hessians_and_hvp(programs):
    lines = programs.check("func_jacobians_hessians.py", rtol=1e-4, atol=2e-3)
    assert lines[-1].startswith("hvp")


def test_neural_tangent_kernels(programs):
    lines = programs.check("func_ntk.py", rtol=1e-3, atol=2e-3)
    assert "the two NTKs agree torch.Size([3, 4, 10, 10])" in lines


def test_forward_ad_tutorial(programs):
    """PyTorch's forward-mode AD tutorial: dual tensors, modules, a custom Function's jvp, torch.func.jvp."""
    lines = programs.check("forward_ad_tutorial.py", rtol=1e-5, atol=1e-6)
    assert len(lines) > 20
