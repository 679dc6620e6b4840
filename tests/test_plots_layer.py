"""The figure builders in ``plots/`` are shared by the app and the notebooks, so they never need Streamlit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import top_level_imports

ROOT = Path(__file__).resolve().parent.parent
PLOTS = ROOT / "plots"


def _plot_modules() -> list[str]:
    return ["plots"] + [f"plots.{p.stem}" for p in sorted(PLOTS.glob("*.py")) if p.stem != "__init__"]


def _builders(module) -> list[str]:
    """The public functions of ``module`` annotated to return a figure."""
    import inspect

    return [name for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__ and not name.startswith("_")
            and "Figure" in str(fn.__annotations__.get("return"))]


def test_plots_package_holds_a_builder_per_lesson_module():
    """One module per course lesson, named by its slug, plus ``live`` (the live pages' figures) and
    ``board`` (the class results board of the live lessons); each holds figure builders."""
    import importlib

    import lessons

    stems = {p.stem for p in PLOTS.glob("*.py")} - {"__init__"}
    assert stems == {info.slug for info in lessons.COURSE} | {"live", "board"}
    for stem in sorted(stems):
        assert _builders(importlib.import_module(f"plots.{stem}")), f"plots/{stem}.py holds no figure builder"
    assert not (ROOT / "app" / "plots").exists(), "the builders live in the top-level plots/ package only"


def test_importing_plots_changes_no_plotly_default_and_builders_apply_the_template():
    code = (
        "import importlib, plotly.io as pio\n"
        "before = pio.templates.default\n"
        f"for m in {_plot_modules()!r}: importlib.import_module(m)\n"
        "assert pio.templates.default == before == 'plotly', pio.templates.default\n"
        "import numpy as np, plots, plots.nash\n"
        "fig = plots.base_layout(__import__('plotly.graph_objects').graph_objects.Figure())\n"
        "assert fig.layout.template == pio.templates[plots.TEMPLATE]\n"
        "from types import SimpleNamespace\n"
        "traj = SimpleNamespace(x=np.zeros(4), y=np.ones(4), scheme='simultaneous')\n"
        "assert plots.nash.coordinates(traj).layout.template == pio.templates[plots.TEMPLATE]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


def test_plots_source_never_imports_streamlit_or_app():
    offenders = []
    for path in sorted(PLOTS.rglob("*.py")):
        bad = top_level_imports(path) & {"streamlit", "app"}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, offenders


def test_every_plots_module_imports_without_loading_streamlit_from_any_directory(tmp_path):
    code = (
        "import importlib, sys\n"
        f"for m in {_plot_modules()!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'app'})\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, whatever is installed; cwd elsewhere
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
