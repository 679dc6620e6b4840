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


def test_plots_package_holds_a_builder_per_lesson_module():
    assert len(_plot_modules()) > 5
    assert not (ROOT / "app" / "plots").exists(), "the builders live in the top-level plots/ package only"


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
