"""The repository stands alone: its documentation is inside it, indexed, and nothing points outside it."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = os.path.join(ROOT, name)
        if os.path.isfile(path) and not name.endswith((".woff", ".png", ".safetensors", ".gz")):
            with open(path, encoding="utf-8", errors="replace") as f:
                yield name, f.read()


def test_no_file_points_outside_the_repository():
    outside = re.compile(r"\.\./shared|/work/|ARCHITECTURE\.md")
    found = [name for name, text in tracked_text_files() if outside.search(text) and name != "tests/test_docs.py"]
    assert not found, f"these files refer to something outside the repository: {found}"


def test_the_docs_index_lists_every_page_and_every_link_resolves():
    docs = os.path.join(ROOT, "docs")
    index = open(os.path.join(docs, "README.md"), encoding="utf-8").read()
    pages = sorted(f for f in os.listdir(docs) if f.endswith(".md") and f != "README.md")
    assert {"design.md", "course.md"} <= set(pages)
    missing = [p for p in pages if f"]({p})" not in index]
    assert not missing, f"add these pages to docs/README.md: {missing}"
    for name in ["README.md"] + [os.path.join("docs", p) for p in os.listdir(docs) if p.endswith(".md")]:
        text = open(os.path.join(ROOT, name), encoding="utf-8").read()
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert os.path.exists(os.path.join(ROOT, os.path.dirname(name), target)), f"{name}: {target}"


def test_the_readme_test_command_is_the_script_ci_runs():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert "```\nscripts/test\n```" in readme
    ci = open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8").read()
    assert "exec scripts/test" in ci
    script = open(os.path.join(ROOT, "scripts", "test"), encoding="utf-8").read()
    assert "chromium-driver" in script and '".[test]"' in script and "pytest" in script
    assert os.access(os.path.join(ROOT, "scripts", "test"), os.X_OK)


def test_every_public_function_a_learner_may_help_has_a_docstring():
    import inspect
    import ember
    modules = [ember, ember.nn, ember.nn.functional, ember.nn.init, ember.autograd, ember.optim,
               ember.optim.lr_scheduler, ember.utils.data]
    undocumented = set()

    def check(where, name, f):
        f = f.fget if isinstance(f, property) else f
        f = f.__func__ if isinstance(f, (staticmethod, classmethod)) else f
        if (inspect.isclass(f) or inspect.isfunction(f)) and getattr(f, "__module__", "").startswith("ember"):
            if not (f.__doc__ or "").strip():
                undocumented.add(f"{where}.{name}")

    classes = {ember.Tensor}
    for module in modules:
        for name in dir(module):
            value = getattr(module, name)
            if not name.startswith("_") and not inspect.ismodule(value):
                check(module.__name__, name, value)
                if inspect.isclass(value) and value.__module__.startswith("ember"):
                    classes.add(value)
    for cls in classes:
        for name in dir(cls):
            if not name.startswith("_"):
                check(cls.__name__, name, inspect.getattr_static(cls, name))
    assert not undocumented, f"give these a one-line docstring: {sorted(undocumented)}"
