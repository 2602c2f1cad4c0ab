"""What a program prints names the library it imported: `import ember` prints ember.float32, ember.Size([2, 3]);
under `ember run` (the program imported torch) the same objects print as torch prints them. And torch.onnx exists."""
import os
import subprocess
import sys

import pytest
import torch

import ember

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shown(lib):
    x = lib.tensor([[1.0, 5.0], [3.0, 2.0]], dtype=lib.float64)
    outs = (lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.int64))
    return [repr(x), repr(x.shape), str(x.dtype), repr(lib.int8), repr(lib.zeros(0, 2, dtype=lib.int32)),
            repr(lib.max(x, 1)), str(lib.sort(x)), repr(lib.topk(x, 1)), repr(lib.max(x, 1, out=outs)),
            str(type(x)), str(type(x.shape)), repr(x.device)]


def test_import_ember_prints_ember_names():
    assert shown(ember) == [s.replace("torch.", "ember.") for s in shown(torch)]


def test_ember_run_prints_torch_names(tmp_path):
    program = tmp_path / "names.py"
    program.write_text(f"import sys\nsys.path.insert(0, {os.path.join(ROOT, 'tests')!r})\nimport torch\n"
                       "from test_printed_names import shown\nprint(repr(shown(torch)))\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    ours = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                          env=env, check=True).stdout
    assert ours == repr(shown(torch)) + "\n"


def test_onnx_module_exists_and_export_says_ember_cannot():
    assert ember.onnx.is_in_onnx_export() is False
    with pytest.raises(RuntimeError, match="ember cannot export ONNX"):
        ember.onnx.export(ember.nn.Linear(2, 1), (ember.ones(1, 2),), "model.onnx")


def test_import_torch_onnx_under_ember_run(tmp_path):
    program = tmp_path / "export.py"
    program.write_text("import torch\nimport torch.onnx\nfrom torch.onnx import export\n"
                       "print(torch.onnx.is_in_onnx_export())\n"
                       "export(torch.nn.Linear(2, 1), (torch.ones(1, 2),), 'm.onnx')\n")
    run = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == "False\n"
    assert "OnnxExporterError: ember cannot export ONNX" in run.stderr and not (tmp_path / "m.onnx").exists()
