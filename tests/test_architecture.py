"""The layering rules of docs/ARCHITECTURE.md, checked: wgan_core never imports lessons, streamlit or
plotly, its modules import one another without a cycle, lessons never import streamlit or plotly,
and the app holds no training loop."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import lessons
from tests.helpers import top_level_imports

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"streamlit", "plotly"}
#: What the library must never import: the packages built on it, and the UI libraries.
UPPER_LAYERS = {"lessons", "app", "plots", "streamlit", "plotly"}


def test_compute_packages_never_import_ui_libraries_in_source():
    offenders = []
    for package in ("wgan_core", "lessons"):
        for path in sorted((ROOT / package).rglob("*.py")):
            bad = top_level_imports(path) & FORBIDDEN
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, offenders


def _all_imports(path: Path, package: str) -> list[tuple[int, str]]:
    """``(line, top-level package)`` of every import in a file: module level, inside functions (lazy
    imports) and ``importlib.import_module("...")`` calls with a literal name; relative imports are
    resolved against the file's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, package if node.level else (node.module or "").split(".")[0]))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return sorted(found)


def test_the_library_never_imports_the_lessons_or_the_app():
    """No arrow back up: wgan_core is imported by lessons and the app, never the other way round."""
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in sorted((ROOT / "wgan_core").rglob("*.py"))
                 for line, name in _all_imports(path, "wgan_core") if name in UPPER_LAYERS]
    assert not offenders, offenders


def test_the_import_scan_sees_lazy_and_dynamic_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from lessons import figures\n\n"
                     "def g():\n    import importlib\n    importlib.import_module('lessons.images')\n")
    probe.write_text(probe.read_text() + "from . import cli\n")
    assert [name for _, name in _all_imports(probe, "wgan_core")] == ["lessons", "importlib", "lessons", "wgan_core"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(module: str) -> bool:
    return (ROOT / module.replace(".", "/") / "__init__.py").exists()


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that ``path`` imports, lazily or not (``from pkg import mod`` is an
    edge to ``pkg.mod``, ``from mod import name`` one to ``mod``); ``if TYPE_CHECKING`` blocks, which
    never run, are left out."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = _module_name(path)
    package = here if _is_package(here) else here.rpartition(".")[0]
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            source = ".".join(p for p in ((base if node.level else ""), node.module or "") if p)
            found |= {f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names}
    return (found & modules) - {here}


def import_graph(package: str) -> dict[str, set[str]]:
    """Module → the modules of ``package`` it imports."""
    paths = sorted((ROOT / package).rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imported_modules(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as ``[a, b, ..., a]``, or None (depth-first search, colouring)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_the_import_graph_resolves_relative_and_lazy_imports():
    graph = import_graph("wgan_core")
    assert "wgan_core.engines.autograd" in graph["wgan_core.engines"]
    assert "wgan_core.engines.toy" in graph["wgan_core.engines"]  # lazy, inside pick_engine
    assert "wgan_core.engines.autograd" in graph["wgan_core.engines.toy.engine"]
    assert "wgan_core.trainer" in graph["wgan_core.runs"]  # lazy, inside a function


def test_the_library_imports_without_a_cycle():
    """No module of wgan_core imports itself back through others, lazily or not."""
    assert find_cycle(import_graph("wgan_core")) is None


def test_compute_packages_import_without_loading_ui_libraries():
    modules = [f"wgan_core.{p.stem}" for p in (ROOT / "wgan_core").glob("*.py") if p.stem != "__main__"]
    modules += [f"lessons.{p.stem}" for p in (ROOT / "lessons").glob("*.py") if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'plotly'})\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_app_holds_no_training_loop_or_optimizer():
    """Views draw; the maths and the loops live in lessons/ and wgan_core/."""
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        text = path.read_text()
        for needle in (".backward(", "torch.optim", "optimizer.step", "ot.emd"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders, offenders


def test_every_course_lesson_with_a_view_has_a_module_text_and_exercises():
    views = ROOT / "app" / "views"
    for info in lessons.COURSE:
        if not (views / f"{info.slug}.py").exists():
            continue
        module = lessons.lesson_module(info.slug)
        assert module.TITLE == info.title
        assert module.SUMMARY
        assert len(module.WHAT_TO_NOTICE) >= 2
        assert 2 <= len(module.EXERCISES) <= 3
        assert all(ex.question and ex.answer for ex in module.EXERCISES)
        assert any((ROOT / "tests" / "browser").glob(f"test_*{info.slug}*.py")), f"no browser test for {info.slug}"
        assert any((ROOT / "tests").glob(f"test_app_{info.slug}*.py")), f"no AppTest file for {info.slug}"
