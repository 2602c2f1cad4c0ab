"""The `ember` command: the tour of the course notes, single lessons, and the backward-pass explainer.

    ember tour [--out DIR] [--only ID,...]    every lesson, into DIR/index.html (default ./ember-tour)
    ember lessons                             the lesson ids and titles
    ember lesson ID [--out DIR]               one lesson in the terminal; its figures into DIR
    ember explain "(x*w - y)**2" x=2 w=1 y=4  the backward pass step by step, and a drawing of the graph
    ember run train.py [args]                 a PyTorch program, unchanged, with ember as its torch
    ember run --nproc 4 train.py [args]       the same in 4 processes under mpiexec (ember.distributed)
"""
import argparse
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import time

import ember

FUNCTIONS = {name: getattr(ember, name) for name in
             ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "log1p", "expm1", "rsqrt")}
OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
             ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}


class UsageError(Exception):
    """A one-line message for the user; the command exits with status 2."""


# ----------------------------------------------------------------------------
# ember explain
# ----------------------------------------------------------------------------
def evaluate(expression, variables):
    """Evaluate an arithmetic expression over ember tensors, from its syntax tree (never eval)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        # Python reports "the input ended too soon" as column 0 (or past the end): the real column is the end
        column = error.offset if error.offset and error.offset <= len(expression) else len(expression) + 1
        raise UsageError(f"cannot parse {expression!r}: {error.msg} at column {column}\n"
                         f"    {expression}\n    {' ' * (column - 1)}^") from None

    def visit(node):
        where = f"at column {getattr(node, 'col_offset', 0) + 1}"
        if isinstance(node, ast.Expression):
            return visit(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in variables:
                raise UsageError(f"unknown name {node.id!r} {where}: give it a value, e.g. {node.id}=1.0")
            return variables[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](visit(node.left), visit(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = visit(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id not in FUNCTIONS:
                raise UsageError(f"unknown function {node.func.id!r} {where}; ember explain knows: "
                                 f"{', '.join(sorted(FUNCTIONS))}")
            if len(node.args) != 1:
                raise UsageError(f"{node.func.id}() takes one argument {where}")
            return FUNCTIONS[node.func.id](_as_tensor(visit(node.args[0])))
        text = ast.get_source_segment(expression, node) or type(node).__name__
        raise UsageError(f"unsupported syntax {text!r} {where}: use numbers, names, + - * / ** and "
                         f"{', '.join(sorted(FUNCTIONS))}()")

    return visit(tree)


def _as_tensor(value):
    return value if isinstance(value, ember.Tensor) else ember.tensor(float(value), dtype=ember.float64)


def parse_assignments(pairs):
    variables = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"expected name=value, got {pair!r}")
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"the value of {name} must be a number, got {value!r}") from None
        variables[name] = ember.tensor(number, dtype=ember.float64, requires_grad=True)
    return variables


def explain_command(args):
    variables = parse_assignments(args.values)
    output = evaluate(args.expression, variables)
    if not isinstance(output, ember.Tensor) or output.grad_fn is None:
        raise UsageError("the expression does not depend on any of the given names: nothing to differentiate")
    names = dict(variables)
    explanation = ember.autograd.explain(output, names=names)
    print(f"forward: {args.expression} = {output.item():.6g}   with " +
          ", ".join(f"{k} = {v.item():g}" for k, v in variables.items()))
    print("backward, node by node (upstream x local = product passed on):")
    print(explanation.table())
    output.backward(retain_graph=True)
    for name, value in variables.items():
        print(f"autograd: d/d{name} = {value.grad.item() if value.grad is not None else 0.0:.6g}")
    path = _writable_file(args.out)
    ember.viz.draw_graph(output, path, names=names, title=args.expression)
    print(f"graph drawn to {path}")


# ----------------------------------------------------------------------------
# ember tour / lessons / lesson
# ----------------------------------------------------------------------------
def _lessons():
    from . import lessons  # matplotlib and friends: only when a lesson is asked for
    return lessons


def _writable_dir(path, create):
    """Check that path can be written; create it only if asked (a lesson without figures leaves no folder)."""
    try:
        if create:
            os.makedirs(path, exist_ok=True)
        existing = os.path.abspath(path)
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        with tempfile.TemporaryFile(dir=existing):  # a real write: root passes os.access even where writes fail
            pass
    except OSError as error:
        raise UsageError(f"cannot write to the output folder {path!r}: {error.strerror}") from None
    return path


def _writable_file(path):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write the drawing to {path!r}: the folder does not exist or is not writable")
    return path


def _pick(names, lessons):
    """Lesson ids from what the user typed: the id in any capitalisation, or the lesson's number."""
    ids = []
    for name in names:
        key = name.strip().lower()
        if key.isdigit() and 1 <= int(key) <= len(lessons.LESSONS):
            ids.append(lessons.LESSONS[int(key) - 1].ID)
        elif key in lessons.BY_ID:
            ids.append(key)
        else:
            raise UsageError(f"unknown lesson {name!r}; give a number 1-{len(lessons.LESSONS)} or an id: "
                             f"{', '.join(lessons.BY_ID)}")
    return ids


def tour_command(args):
    lessons = _lessons()
    ids = _pick(args.only.split(","), lessons) if args.only else list(lessons.BY_ID)
    out = _writable_dir(args.out, create=True)
    from tqdm import tqdm
    start, pages = time.perf_counter(), []
    with tqdm(ids, desc="ember tour", unit="lesson", file=sys.stderr) as bar:
        for lesson_id in bar:
            bar.set_postfix_str(lesson_id)
            page, _ = lessons.run(lesson_id, out)
            pages.append(page)
    path = lessons.write_report(pages, out)
    print(f"wrote {path} ({len(pages)} lessons, {sum(len(p.figures) for p in pages)} figures) in "
          f"{time.perf_counter() - start:.1f} s; open it in a browser")


def lessons_command(args):
    for lesson in _lessons().LESSONS:
        print(f"{lesson.ID:30s} {lesson.TITLE}")


def lesson_command(args):
    lessons = _lessons()
    [lesson_id] = _pick([args.id], lessons)
    page, _ = lessons.run(lesson_id, _writable_dir(args.out, create=False), progress=True)
    print(page.to_text())


# ----------------------------------------------------------------------------
# ember run
# ----------------------------------------------------------------------------
TORCH_PACKAGES = {"torch": "ember", "torchvision": "ember.vision"}  # a program's top-level names, and ember's


class _TorchAsEmber(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`torch.X.Y` is the module `ember.X.Y` itself, whichever way the program reaches it.

    Putting `sys.modules["torch"] = ember` alone is not enough: python then looks for `torch.nn.modules.loss` on
    ember's `__path__`, finds ember/nn/modules/loss.py and executes it a second time under torch's name, with
    its own copies of the classes it defines (a `_Loss` or `Parameter` that ember's own never is an instance of).
    This finder, first on sys.meta_path, answers every `torch.*` name with the ember module already imported (or
    imported now, once, under ember's name), and a torch module ember has no counterpart for with the
    ModuleNotFoundError that names it, not with a copy or an error later.
    """

    @staticmethod
    def ember_name(fullname):
        top, dot, rest = fullname.partition(".")
        return TORCH_PACKAGES[top] + dot + rest if top in TORCH_PACKAGES else None

    def find_spec(self, fullname, path=None, target=None):
        ember_name = self.ember_name(fullname)
        if ember_name is None:
            return None
        try:
            importlib.import_module(ember_name)
        except ModuleNotFoundError as error:
            if error.name != ember_name:
                raise  # a module ember's own imports need: that is the error to see
            raise ModuleNotFoundError(f"No module named '{fullname}' (ember has no {ember_name} for it to be)",
                                      name=fullname) from None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = sys.modules[self.ember_name(spec.name)]
        spec.loader_state = module.__spec__  # loading sets module.__spec__ to this torch-named spec: put back
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state  # ember's own (the module ran when ember imported it)




PROGRAM = "EMBER_RUN_PROGRAM"  # the environment variable that tells spawned processes the program's file


def install_torch_names():
    """From now on `import torch` (and torchvision) in this process gets ember."""
    if not any(isinstance(finder, _TorchAsEmber) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TorchAsEmber())
    ember._printed_as("torch")  # the program imported torch: torch.float32, torch.Size([2, 3]) in what it prints


def run_command(args):
    """Run a PyTorch program unchanged on ember, as `python train.py` (or `python -m pkg.train`) would run it.

    Its `import torch` (and `from torch.x import y`) get ember. The program sees what python gives it: its folder
    first on sys.path, __file__, sys.argv, __name__ == "__main__"; its sys.exit(n) is ember's exit status, and an
    error shows the program's own traceback, without ember's frames before it.
    """
    import runpy
    if not (args.module or args.script):  # (an empty -m too)
        raise UsageError("name the program: ember run train.py [args], or ember run -m package.module [args]")
    if args.script and not os.path.isfile(args.script):
        raise UsageError(f"no such program: {args.script}")
    if args.nproc is not None:  # one process per rank, each running this command without --nproc
        import subprocess
        from .distributed import launch
        program = ["-m"] + args.module if args.module else [args.script] + args.args
        try:
            command = launch.mpiexec_command(args.nproc, ["-m", "ember.cli", "run"] + program)
        except (ValueError, FileNotFoundError) as error:
            raise UsageError(str(error)) from None
        code = subprocess.call(command)
        if code:
            raise SystemExit(code)
        return
    if "torch" in sys.modules:
        raise UsageError("PyTorch is already imported in this process; ember run must install its names first")
    install_torch_names()
    try:
        if args.module:  # python -m: the current folder first on sys.path, argv[0] the module's file
            module = args.module[0]
            sys.argv = list(args.module)  # runpy puts the module's file in argv[0], as python -m does
            sys.path.insert(0, os.getcwd())
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            sys.argv = [args.script] + args.args
            sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
            _run_as_main(os.path.abspath(args.script))
    except SystemExit:
        raise  # the program's own exit status, handled by the interpreter exactly as under python
    except Exception as error:  # noqa: BLE001 (any error of the program: shown as python shows it)
        _print_program_traceback(error)
        if ember.distributed.is_initialized():  # the other ranks must not wait for this one forever
            ember.distributed.process_group.abort_job(type(error))
        return 1
    return 0


def _run_as_main(path):
    """Execute the file as the __main__ module, as the interpreter does for `python path`."""
    import types
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec")
    module = types.ModuleType("__main__")
    module.__file__, module.__builtins__ = path, __builtins__
    # a process the program starts with multiprocessing's spawn method imports its parent's main module by this
    # name: ember._spawned_main installs torch's names there first, then runs this file (else it gets PyTorch)
    module.__spec__ = importlib.machinery.ModuleSpec("ember._spawned_main", None)
    os.environ[PROGRAM] = path
    sys.modules["__main__"] = module
    exec(code, module.__dict__)


def _print_program_traceback(error):
    """The traceback from the program's first frame on: ember's own frames (and runpy's) are not the user's."""
    import traceback
    tb = error.__traceback__
    while tb is not None and (tb.tb_frame.f_code.co_filename == __file__ or
                              tb.tb_frame.f_globals.get("__name__") == "runpy"):
        tb = tb.tb_next
    if isinstance(error, ImportError) and tb is None:  # python -m no_such_module: python's one line
        print(f"{sys.executable}: {error}", file=sys.stderr)
        return
    traceback.print_exception(type(error), error, tb)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ember", description="ember: PyTorch's API on NumPy, and the course "
                                                               "notes brought to life.")
    commands = parser.add_subparsers(dest="command", required=True)
    tour = commands.add_parser("tour", help="run every lesson and write an HTML report")
    tour.add_argument("--out", default="ember-tour", help="output folder (default ./ember-tour)")
    tour.add_argument("--only", help="comma-separated lesson ids")
    tour.set_defaults(run=tour_command)
    commands.add_parser("lessons", help="list the lessons").set_defaults(run=lessons_command)
    lesson = commands.add_parser("lesson", help="run one lesson in the terminal")
    lesson.add_argument("id")
    lesson.add_argument("--out", default="ember-tour", help="folder for its figures (default ./ember-tour)")
    lesson.set_defaults(run=lesson_command)
    explain = commands.add_parser("explain", help="the backward pass of an expression, step by step")
    explain.add_argument("expression", help='e.g. "(x*w - y)**2"')
    explain.add_argument("values", nargs="*", help="name=value for every name in the expression")
    explain.add_argument("--out", default="ember-explain.png", help="where to draw the graph (.png or .svg)")
    explain.set_defaults(run=explain_command)
    run = commands.add_parser("run", help="run a PyTorch program unchanged, with ember as its torch")
    run.add_argument("--nproc", type=int, help="run it in this many processes under mpiexec")
    run.add_argument("-m", dest="module", nargs=argparse.REMAINDER, metavar="MODULE [ARGS]",
                     help="run a module as python -m does, with its own arguments")
    run.add_argument("script", nargs="?", help="the program, e.g. train.py")
    run.add_argument("args", nargs=argparse.REMAINDER, help="its own arguments")
    run.set_defaults(run=run_command)
    args = parser.parse_args(argv)
    try:
        status = args.run(args)
    except UsageError as error:
        print(f"ember {args.command}: {error}", file=sys.stderr)
        return 2
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
