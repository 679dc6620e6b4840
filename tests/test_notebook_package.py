"""The course package: its metadata, the lesson pack, and a notebook run outside the repository from the wheel.

The whole path a student or a hosted Jupyter takes: build the wheel, make a fresh virtualenv, install
torch first (the CPU build this project pins; any other torch spec would pull gigabytes of CUDA
packages), then the wheel with its ``[notebooks]`` extra, copy one notebook into an empty folder outside
the repository, and run it with papermill there.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from lessons import notebooks
from lessons.notebooks import execute as ex
from lessons.notebooks import pack

ROOT = notebooks.ROOT
TORCH = "torch==2.13.0"


def test_dependencies_are_ranges_and_the_notebook_extras_a_group_of_their_own():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = meta["dependencies"]
    assert "torch>=2.4" in deps
    assert all(">=" in d and "==" not in d for d in deps), deps
    names = {d.split(">=")[0] for d in deps}
    assert {"torch", "numpy", "scipy", "pot", "plotly", "tqdm"} <= names
    extras = {d.split(">=")[0] for d in meta["optional-dependencies"]["notebooks"]}
    assert {"ipykernel", "ipywidgets", "nbformat", "papermill"} <= extras
    pins = (ROOT / "requirements.txt").read_text()
    assert "torch==2.13.0" in pins and "papermill==" in pins


@pytest.mark.parametrize("slug", notebooks.buildable_slugs())
def test_each_notebook_opens_with_the_install_line(slug):
    first = notebooks.build_notebook(slug).cells[0]
    assert first.cell_type == "markdown"
    lines = [line for line in first.source.splitlines() if pack.install_line() in line]
    assert len(lines) == 1, first.source


def _wheel_files(path: Path) -> set[str]:
    return set(zipfile.ZipFile(path).namelist())


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    return pack.build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.mark.slow
def test_the_wheel_holds_every_module_the_notebooks_import(built_wheel):
    files = _wheel_files(built_wheel)
    wanted = {p.relative_to(ROOT).as_posix() for name in ("wgan_core", "lessons", "plots")
              for p in (ROOT / name).rglob("*.py") if "__pycache__" not in p.parts}
    assert wanted <= files, sorted(wanted - files)[:10]
    for slug in notebooks.buildable_slugs():
        source = "\n".join(c.source for c in notebooks.build_notebook(slug).cells if c.cell_type == "code")
        for module in {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}:
            top = module.split(".")[0]
            if top in ("lessons", "plots", "wgan_core"):
                path = module.replace(".", "/")
                assert f"{path}.py" in files or f"{path}/__init__.py" in files, (slug, module)


@pytest.mark.slow
def test_the_lesson_pack_holds_the_notebook_the_wheel_and_the_install_line(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path / "runs"))
    data = pack.lesson_pack("nash")
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(zf.namelist()) == sorted([notebooks.notebook_name("nash"), pack.wheel_name(), "README.txt"])
    assert zf.read(notebooks.notebook_name("nash")) == notebooks.notebook_path("nash").read_bytes()
    assert pack.install_line() in zf.read("README.txt").decode()
    assert pack.wheel() == pack.wheel(), "one build per source version"
    assert len(list((tmp_path / "runs" / ".wheel-cache").iterdir())) == 1


def _run(command: list, env: dict, cwd: Path, timeout: int = 900) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.network
def test_a_notebook_runs_with_papermill_outside_the_repository_from_the_wheel(built_wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               WGAN_LESSON_CACHE="off")
    # --no-compile: pip would byte-compile every module of torch and of the other packages; the modules
    # the notebook imports compile when imported. This test took 104 CPU-seconds with it, 62 without.
    pip = [bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-compile"]
    _run([*pip, TORCH], env, tmp_path)  # first: the wheel's torch>=2.4 is then already met
    _run([*pip, f"{built_wheel}[notebooks]"], env, tmp_path)
    where = _run([bin_dir / "python", "-c", "import lessons, plots, wgan_core, torch; "
                  "print(lessons.__file__); print(torch.__version__)"], env, tmp_path)
    assert str(venv) in where.splitlines()[0] and where.splitlines()[1].startswith("2.13.0"), where

    folder = tmp_path / "student"
    folder.mkdir()
    name = notebooks.notebook_name("nash")
    shutil.copy(notebooks.notebook_path("nash"), folder / name)
    _run([bin_dir / "papermill", name, "out.ipynb", "--execution-timeout", "300", "--no-progress-bar"], env, folder)
    executed = nbformat.read(folder / "out.ipynb", as_version=4)
    assert not ex.errors(executed)
    assert "simultaneous: radius" in ex.text_output(executed)
