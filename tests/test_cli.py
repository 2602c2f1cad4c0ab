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
    (["lesson", "no-such-lesson"], "unknown lesson 'no-such-lesson'; the lessons are: supervised-learning"),
    (["tour", "--out", "/proc/cannot-write-here"], "cannot write to the output folder"),
])
def test_bad_input_gets_one_line_and_a_nonzero_exit(args, message):
    r = ember_command(*args)
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


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
    assert ours_lines[:-1] == theirs_lines[:-1]  # 400 lines of gradients and losses, identical
    assert ours_lines[-1].endswith("ember.tensor") and theirs_lines[-1].endswith("torch")
    assert ember_command("run", str(tmp_path / "missing.py")).returncode == 2
