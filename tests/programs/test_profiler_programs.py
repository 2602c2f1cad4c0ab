"""PyTorch's two profiler recipes as programs: `ember run` prints what `python` (PyTorch) prints. They print what
does not depend on timings: the tables' columns and footers, and the calls, shapes and memory of the ops both
libraries record."""


def test_the_pytorch_profiler_recipe(programs):
    lines = programs.check("profiler_recipe.py")
    assert "trace ready at step 4" in lines and "trace ready at step 8" in lines


def test_the_profiling_your_module_recipe(programs):
    programs.check("profiler_module_recipe.py")
