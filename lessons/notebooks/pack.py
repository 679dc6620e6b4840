"""The course package as a wheel, and a lesson pack: one lesson's notebook beside that wheel, zipped.

A downloaded notebook imports ``lessons`` and ``plots``; outside the repository they come from the
wheel of this project (``wgan_core``, ``lessons``, ``plots``), whose metadata declares what they need
(compatible ranges; the notebooks' extras as ``[notebooks]``). :func:`wheel` builds it on demand from
the source tree with pip, offline (``--no-index --no-build-isolation``), in a scratch copy so the tree
stays clean, and keeps it in a small cache named by a hash of the sources: the same sources give the
same file, and only the newest :data:`MAX_WHEELS` are kept. :func:`lesson_pack` zips a lesson's
committed notebook, that wheel and a README with the install line every notebook's first cell gives.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
import zipfile
from pathlib import Path

from lessons.notebooks import ROOT, notebook_path

#: What goes into the wheel (with ``pyproject.toml``): the packages the notebooks import, and the README.
SOURCES = ("wgan_core", "lessons", "plots", "README.md")
MAX_WHEELS = 2
BUILD_TIMEOUT_S = 300
_LOCK = threading.Lock()


def project() -> tuple[str, str]:
    """``(name, version)`` from ``pyproject.toml``."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return meta["name"], meta["version"]


def wheel_name() -> str:
    """The wheel's file name (pure Python, any platform): ``wgan_classroom-0.1.0-py3-none-any.whl``."""
    name, version = project()
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def install_line() -> str:
    """The one command that installs the course package and the notebook extras from the wheel."""
    return f'pip install "{wheel_name()}[notebooks]"'


def _source_files() -> list[Path]:
    files = [ROOT / "pyproject.toml"]
    for name in SOURCES:
        path = ROOT / name
        files += sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts) if path.is_dir() else [path]
    return files


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """``<runs dir>/.wheel-cache`` (the runs dir is ``$WGAN_RUNS_DIR``, else ``runs``)."""
    from wgan_core.runs import runs_root

    return runs_root() / ".wheel-cache"


def build_wheel(out_dir: Path) -> Path:
    """Build the wheel into ``out_dir`` with pip, offline, from a scratch copy of the sources."""
    with tempfile.TemporaryDirectory(prefix="wgan-wheel-") as scratch:
        src = Path(scratch) / "src"
        src.mkdir()
        shutil.copy2(ROOT / "pyproject.toml", src)
        for name in SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(path, src)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
                   "--quiet", "--wheel-dir", str(out_dir), str(src)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"building the course wheel failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    path = out_dir / wheel_name()
    if not path.is_file():
        raise RuntimeError(f"pip built no {wheel_name()} in {out_dir}")
    return path


def wheel() -> Path:
    """The course wheel of the current sources, built once per source hash and cached."""
    with _LOCK:
        root = cache_dir()
        folder = root / source_hash()
        path = folder / wheel_name()
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=folder) as tmp:
                built = build_wheel(Path(tmp))
                built.replace(path)  # atomic: a reader sees no wheel or the whole wheel
        older = sorted((d for d in root.iterdir() if d.is_dir() and d != folder), key=lambda d: d.stat().st_mtime)
        for stale in older[: max(0, len(older) - (MAX_WHEELS - 1))]:
            shutil.rmtree(stale, ignore_errors=True)
        return path


def pack_name(slug: str) -> str:
    return notebook_path(slug).stem + "-lesson-pack.zip"


def lesson_pack(slug: str) -> bytes:
    """A zip of the lesson's notebook, the course wheel and a README saying how to install and run it."""
    notebook = notebook_path(slug)
    whl = wheel()
    readme = (f"{notebook.name}: one lesson of the WGAN classroom as a Jupyter notebook.\n\n"
              "In a fresh environment (Python 3.11+) or a hosted Jupyter, in this folder:\n\n"
              f"    {install_line()}\n"
              f"    jupyter lab {notebook.name}\n\n"
              "A torch that is already installed is kept (the wheel asks for torch>=2.4). Headless:\n\n"
              f"    papermill {notebook.name} out.ipynb\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(notebook, notebook.name)
        zf.write(whl, whl.name)
        zf.writestr("README.txt", readme)
    return buffer.getvalue()
