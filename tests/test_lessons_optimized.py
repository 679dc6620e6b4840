"""Every lesson imports under ``python -OO``, which strips docstrings: a lesson's text lives in its own
constants (the module docstring points at them), never parsed out of ``__doc__``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import lessons
from tests.conftest import ROOT


@pytest.mark.parametrize("slug", [info.slug for info in lessons.COURSE])
def test_lesson_imports_without_docstrings(slug):
    code = f"import lessons.{slug} as m; assert m.__doc__ is None; assert m.TITLE and m.WHAT_TO_NOTICE"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-OO", "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
