"""The ember command: outputs, one-line errors, exit codes, and a report whose images are real pictures."""
import os
import subprocess
import sys

import matplotlib.image
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ember_command(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "ember.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd)


def test_explain_prints_the_backward_pass_and_draws_the_graph(tmp_path):
    out = tmp_path / "graph.png"
    r = ember_command("explain", "(x*w - y)**2", "x=2", "w=1", "y=4", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "product 1 x -4 = -4" in r.stdout and "d(out)/d(w) = -8" in r.stdout and "autograd: d/dw = -8" in r.stdout
    assert matplotlib.image.imread(out).size > 0


@pytest.mark.parametrize("args,message", [
    (["explain", "(x*w - ", "x=1"], "cannot parse"),
    (["explain", "x*z", "x=1"], "unknown name 'z'"),
    (["explain", "__import__('os').system('true')", "x=1"], "unsupported syntax"),
    (["explain", "__import__('os')", "x=1"], "unknown function '__import__'"),
    (["explain", "x.real", "x=1"], "unsupported syntax"),
    (["explain", "x*2", "x=abc"], "must be a number"),
    (["lesson", "no-such-lesson"], "unknown lesson 'no-such-lesson'; give a number 1-12 or an id: supervised-learning"),
    (["tour", "--out", "/proc/cannot-write-here"], "cannot write to the output folder"),
])
def test_bad_input_gets_one_line_and_a_nonzero_exit(args, message):
    r = ember_command(*args)
    assert r.returncode != 0
    lines = 3 if message == "cannot parse" else 1  # a parse error also shows the expression and a caret
    assert message in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == lines


def test_lessons_and_one_lesson(tmp_path):
    r = ember_command("lessons")
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 12 and "computational-graph" in r.stdout
    r = ember_command("lesson", "linear-model", "--out", str(tmp_path))
    assert r.returncode == 0 and "线性模型" in r.stdout and "w = 2.0 with cost 0" in r.stdout
    assert (tmp_path / "figures" / "linear-model-sweep.png").exists()


def test_draw_graph_writes_svg_and_png_and_dot_text(tmp_path):
    sys.path.insert(0, ROOT)
    import ember
    x = ember.tensor(1.5, requires_grad=True)
    y = (x * x).sigmoid()
    y.backward(retain_graph=True)
    svg = ember.viz.draw_graph(y, str(tmp_path / "g.svg"), names={"x": x, "y": y})
    assert open(svg).read().lstrip().startswith("<?xml") and "svg" in open(svg).read()[:400]
    png = ember.viz.draw_graph(y, str(tmp_path / "g.png"))
    assert matplotlib.image.imread(png).std() > 0
    dot = ember.viz.to_dot(y, names={"x": x})
    assert dot.startswith("digraph") and "Sigmoid" in dot and "grad" in dot
    with pytest.raises(RuntimeError, match="grad_fn"):
        ember.viz.draw_graph(ember.ones(2), str(tmp_path / "none.png"))


def test_ember_run_runs_an_unchanged_pytorch_program_with_torchs_numbers(tmp_path):
    program = os.path.join(ROOT, "tests", "programs", "notes_torch.py")
    ours = ember_command("run", program)
    theirs = subprocess.run([sys.executable, program], capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    ours_lines, theirs_lines = ours.stdout.splitlines(), theirs.stdout.splitlines()
    assert ours_lines == theirs_lines  # 400 lines of gradients and losses, identical, and type(w).__module__
    assert ours_lines[-1].endswith("torch")
    assert ember_command("run", str(tmp_path / "missing.py")).returncode == 2


def test_ember_run_imports_torch_nn_parameter_as_embers_own(tmp_path):
    """`from torch.nn.parameter import Parameter` gave a second copy of the module (and of Tensor): a
    Parameter made from it refused ember's tensors."""
    program = tmp_path / "params.py"
    program.write_text("import torch\nfrom torch.nn.parameter import Parameter, UninitializedParameter\n"
                       "m = torch.nn.Linear(2, 1)\nm.scale = Parameter(torch.ones(2))\n"
                       "print(list(dict(m.named_parameters())), Parameter is torch.nn.Parameter,\n"
                       "      isinstance(torch.nn.LazyLinear(2).weight, UninitializedParameter))\n")
    ours = ember_command("run", str(program))
    theirs = subprocess.run([sys.executable, str(program)], capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout == "['weight', 'bias', 'scale'] True True\n"



TORCH_PATHS = [  # (module path, name): what course and tutorial code imports from torch's submodules
    ("torch.nn.modules.module", "Module"), ("torch.nn.modules.loss", "_Loss"), ("torch.nn.modules.loss", "MSELoss"),
    ("torch.nn.modules.linear", "Linear"), ("torch.nn.modules.conv", "Conv2d"), ("torch.nn.modules.container",
    "Sequential"), ("torch.nn.parameter", "Parameter"), ("torch.nn.functional", "relu"), ("torch.nn.init",
    "xavier_uniform_"), ("torch.nn.utils.rnn", "pack_padded_sequence"), ("torch.nn.utils.clip_grad",
    "clip_grad_norm_"), ("torch.autograd", "Variable"), ("torch.autograd.function", "Function"),
    ("torch.autograd.variable", "Variable"), ("torch.autograd.grad_mode", "no_grad"), ("torch.utils.data.dataset",
    "Dataset"), ("torch.utils.data.dataset", "TensorDataset"), ("torch.utils.data.dataloader", "DataLoader"),
    ("torch.utils.data.sampler", "RandomSampler"), ("torch.utils.data.distributed", "DistributedSampler"),
    ("torch.optim.optimizer", "Optimizer"), ("torch.optim.sgd", "SGD"), ("torch.optim.adam", "Adam"),
    ("torch.optim.lr_scheduler", "StepLR"), ("torch.optim.lr_scheduler", "_LRScheduler"), ("torch.utils.hooks",
    "RemovableHandle"), ("torch.serialization", "save"),
]


def test_ember_run_gives_every_torch_module_path_embers_one_module(tmp_path):
    """Any `torch.X.Y` that ember has is ember.X.Y itself: before, a path not listed in cli.py (torch.nn.modules.loss,
    torch.autograd.function, ...) executed ember's file a second time under torch's name, with its own classes."""
    lines = ["import sys, ember, importlib"]
    for path, name in TORCH_PATHS:
        lines.append(f"from {path} import {name}")
        lines.append(f"assert {name} is getattr(importlib.import_module('{path.replace('torch', 'ember', 1)}'), "
                     f"'{name}'), '{path}.{name}'")
        lines.append(f"assert sys.modules['{path}'] is sys.modules['{path.replace('torch', 'ember', 1)}']")
    lines += ["import torch.nn.modules.module, torch.nn.functional as F",
              "assert torch.nn.modules.module is ember.nn.modules.module and F is ember.nn.functional",
              "import torchvision.transforms.functional as TF",
              "assert TF is ember.vision.transforms.functional",
              "assert ember.nn.modules.loss.__spec__.name == 'ember.nn.modules.loss'",  # ember's own, not torch's
              "print(sorted(m.__name__ for m in list(sys.modules.values())",
              "             if getattr(m, '__file__', '') and m.__file__.endswith('tensor.py')))"]
    program = tmp_path / "paths.py"
    program.write_text("\n".join(lines) + "\n")
    r = ember_command("run", str(program))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "['ember.tensor']\n"  # one copy of ember's modules


def test_ember_run_classes_imported_from_torch_submodules_subclass_as_under_torch(tmp_path):
    program = tmp_path / "subclass.py"
    program.write_text("""\
import torch
from torch.nn.modules.loss import _Loss
from torch.autograd.function import Function
from torch.utils.data.dataset import Dataset
from torch.utils.data.dataloader import DataLoader
from torch.optim.optimizer import Optimizer
from torch.optim.lr_scheduler import _LRScheduler
from torch.nn.modules.module import Module
from torch.nn.parameter import Parameter

class Half(_Loss):
    def forward(self, a, b):
        return 0.5 * ((a - b) ** 2).sum() if self.reduction == "sum" else 0.5 * ((a - b) ** 2).mean()

class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3
    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * grad

class Squares(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):
        return torch.tensor([float(i)]), torch.tensor([float(i * i)])

class Plain(Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.data -= group["lr"] * p.grad

class Halving(_LRScheduler):
    def get_lr(self):
        return [base / 2 ** self.last_epoch for base in self.base_lrs]

class Scale(Module):
    def __init__(self):
        super().__init__()
        self.w = Parameter(torch.tensor([2.0]))
    def forward(self, x):
        return Cube.apply(x * self.w)

model = Scale()
optimizer = Plain(model.parameters(), lr=0.01)
scheduler = Halving(optimizer)
loss_fn = Half(reduction="sum")
for x, y in DataLoader(Squares(), batch_size=2):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"{loss.item():.4f} {model.w.item():.6f} {optimizer.param_groups[0]['lr']}")
print(isinstance(loss_fn, torch.nn.Module), isinstance(model.w, torch.Tensor), list(model.state_dict()))
""")
    ours = ember_command("run", str(program))
    theirs = subprocess.run([sys.executable, str(program)], capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout and ours.stdout.endswith("True True ['w']\n")


@pytest.mark.parametrize("statement,missing", [
    ("import torch.foo", "torch.foo"), ("from torch.nn.modules.foo import Bar", "torch.nn.modules.foo"),
    ("import torchvision.foo", "torchvision.foo"),
])
def test_ember_run_a_torch_module_ember_lacks_is_a_module_not_found_error_naming_it(tmp_path, statement, missing):
    program = tmp_path / "missing.py"
    program.write_text(f"try:\n    {statement}\nexcept ModuleNotFoundError as e:\n    print(e.name)\n")
    r = ember_command("run", str(program))
    assert r.returncode == 0, r.stderr
    assert r.stdout == missing + "\n"

# ---- a newcomer's first hour: the lesson command ------------------------------------------------------------
@pytest.mark.parametrize("given", ["8", "08", "AUTOGRAD", "Autograd", " autograd "])
def test_a_lesson_is_found_by_its_number_or_its_id_in_any_capitalisation(tmp_path, given):
    out = tmp_path / "tour"
    r = ember_command("lesson", given, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("8. Pytorch构建计算图")
    assert not out.exists()  # the autograd lesson draws no figure: no empty ./ember-tour/figures left behind


def test_an_unknown_lesson_number_lists_the_numbers_and_creates_nothing(tmp_path):
    r = ember_command("lesson", "13", cwd=tmp_path)
    assert r.returncode == 2 and "unknown lesson '13'" in r.stderr and "1-12" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_digits_lesson_shows_its_progress(tmp_path):
    r = ember_command("lesson", "digits", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "epochs" in r.stderr and "100%" in r.stderr  # a bar on stderr while it trains; the page on stdout
    assert "test accuracy" in r.stdout


def test_explain_points_a_caret_at_the_column_where_parsing_failed():
    for expression, column in (("x**", 4), ("x +* 2", 4), ("(x*w - ", 1)):
        r = ember_command("explain", expression, "x=1")
        assert r.returncode == 2
        first, shown, caret = r.stderr.splitlines()
        assert f"at column {column}" in first and "Traceback" not in r.stderr
        assert shown.rstrip().endswith(expression.rstrip()) and caret.strip() == "^"
        assert caret.index("^") == shown.index(expression.rstrip()) + column - 1


# ---- ember run behaves as python does ----------------------------------------------------------------------
def python_and_ember(tmp_path, program, *args, files=None, cwd=None):
    for name, text in {"program.py": program, **(files or {})}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(program if name == "program.py" else text)
    script = str(tmp_path / "program.py")
    env = dict(os.environ, PYTHONPATH=ROOT)
    ours = ember_command("run", script, *args, cwd=cwd)
    theirs = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, env=env, cwd=cwd)
    return ours, theirs


def test_ember_run_gives_a_program_what_python_gives_it(tmp_path):
    program = """
import os, sys
import helper                                      # a sibling module, found through the script's folder
print(helper.VALUE, __name__, os.path.basename(__file__), os.path.isabs(__file__))
print(sys.argv[1:], os.path.basename(sys.argv[0]))
print(os.path.dirname(os.path.abspath(__file__)) == sys.path[0])
print(sys.modules["__main__"].__dict__ is globals())
if __name__ == "__main__":
    print("main block")
"""
    ours, theirs = python_and_ember(tmp_path, program, "--lr", "0.1", "x", files={"helper.py": "VALUE = 42\n"},
                                    cwd="/")
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert ours.stdout.splitlines()[0] == "42 __main__ program.py True" and "main block" in ours.stdout


@pytest.mark.parametrize("ending,status", [("sys.exit(3)", 3), ("sys.exit('stopped: no data')", 1),
                                           ("sys.exit()", 0), ("sys.exit(None)", 0)])
def test_ember_run_exits_with_the_programs_status(tmp_path, ending, status):
    ours, theirs = python_and_ember(tmp_path, f"import sys\nprint('before')\n{ending}\nprint('after')\n")
    assert theirs.returncode == ours.returncode == status
    assert ours.stdout == theirs.stdout == "before\n" and ours.stderr == theirs.stderr


def test_an_error_in_a_program_run_by_ember_shows_the_programs_traceback_as_python_does(tmp_path):
    program = "def train():\n    return 1 / 0\n\n\ntrain()\n"
    ours, theirs = python_and_ember(tmp_path, program)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr  # the same lines: no cli.py or runpy frames before the program's own
    assert ours.stderr.startswith("Traceback") and "ZeroDivisionError" in ours.stderr


def test_ember_run_dash_m_runs_a_module_as_python_dash_m_does(tmp_path):
    package = tmp_path / "course"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helper.py").write_text("SCALE = 3.0\n")
    (package / "train.py").write_text(
        "import sys\nimport torch\nfrom course.helper import SCALE\n"
        "print(__name__, sys.argv[1:], (torch.ones(2) * SCALE).sum().item())\n"
        "if sys.argv[1:] == ['fail']:\n    raise ValueError('bad data')\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    ours = ember_command("run", "-m", "course.train", "--epochs", "2", cwd=tmp_path)
    theirs = subprocess.run([sys.executable, "-m", "course.train", "--epochs", "2"], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout == "__main__ ['--epochs', '2'] 6.0\n"
    ours = ember_command("run", "-m", "course.train", "fail", cwd=tmp_path)
    assert ours.returncode == 1 and ours.stderr.startswith("Traceback") and "runpy" not in ours.stderr
    assert "course/train.py" in ours.stderr and "ValueError: bad data" in ours.stderr
    assert ember_command("run", "-m", "no_such_module", cwd=tmp_path).returncode == 1


SPAWNING_PROGRAM = '''
import torch
import torch.multiprocessing as mp
import torch.nn as nn


def train(rank, model, answers):
    answers.put(torch.__name__)  # which library the child got for `import torch`
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        optimizer.step()


SEEN = 0  # set to 1 below: a forked worker sees that, a spawned one imports this file again and sees 0


class Squares(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.tensor([float(i * i + SEEN)])


if __name__ == "__main__":
    mp.set_start_method("spawn")
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    model.share_memory()
    answers = mp.SimpleQueue()
    child = mp.Process(target=train, args=(0, model, answers))
    child.start()
    child.join()
    print(answers.get(), model.weight.tolist(), model.bias.tolist())
    SEEN = 1
    loader = torch.utils.data.DataLoader(Squares(), batch_size=2, num_workers=1)  # (workers: the spawn method too)
    print([b.flatten().tolist() for b in loader])
'''


def test_run_gives_processes_the_program_spawns_ember_too(tmp_path):
    # the rule: a process started with the spawn method imports the program's main module again, and its
    # `import torch` must get ember there too (else it gets PyTorch, and the two cannot share a model)
    program = tmp_path / "spawning.py"
    program.write_text(SPAWNING_PROGRAM)
    r = ember_command("run", str(program), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[0] == "ember"  # the child's torch is ember (printed by its __name__)
    assert lines[0].endswith("[[-0.30000001192092896, -0.30000001192092896]] [-0.30000001192092896]")
    assert lines[1] == "[[0.0, 1.0], [4.0, 9.0]]"
