"""Small helpers shared by the test modules (no fixtures: those live in ``tests/conftest.py``)."""

from __future__ import annotations

import ast
import time
from pathlib import Path


def wait_for(condition, timeout: float = 90.0, while_waiting=None) -> None:
    """Poll until ``condition()`` holds (a generous deadline, never a speed assertion); call
    ``while_waiting()`` between polls when given."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        if while_waiting is not None:
            while_waiting()
        time.sleep(0.02)


def another_servers_job(monkeypatch, registry) -> tuple[dict, list]:
    """Make ``registry``'s admission list one running job of another app server, and record the stops
    asked for it: returns (that job's row, the list of (key, reason) stops asked)."""
    row = {"id": 7, "label": "mode_collapse", "client": "10.9.9.9", "kind": "cpu", "status": "running",
           "holds_slot": True, "steps": 420, "age_s": 95.0, "key": "b41c2e07:7", "server": "b41c2e07", "here": False}
    asked: list = []
    monkeypatch.setattr(registry.admission, "jobs", lambda: [row])
    monkeypatch.setattr(registry.admission, "stop", lambda job_row, reason: asked.append((job_row["key"], reason)))
    return row, asked


def unlocked_panel(app_test, key: str = "k"):
    """The teacher's panel as an AppTest, its key set to ``key`` and entered (the panel open)."""
    at = app_test("teacher", timeout=60, run=False)
    at.secrets["teacher_key"] = key
    at.run()
    at.text_input(key="teacher.key").input(key)
    at.button[0].click().run()
    assert not at.exception
    return at


def session_job(at):
    """The live job an AppTest session holds, or None."""
    from app import live

    lease = at.session_state[live.STATE_KEY] if live.STATE_KEY in at.session_state else None
    return None if lease is None else lease.job


def top_level_imports(path: Path) -> set[str]:
    """Top-level package names that ``path`` imports absolutely (lazy imports inside functions too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def compute_link(slug: str, query: dict[str, str] | str | None) -> None:
    """Compute the heavy run that a link to ``slug`` selects, before the link is opened, as a
    teacher does before sharing one: a link selects only a setting the server has computed
    (:func:`app.precomputed.is_cached`). Values a control refuses are left at their default."""
    import urllib.parse

    import lessons
    from app import precomputed

    if slug not in precomputed.HEAVY or not query:
        return
    if isinstance(query, str):
        query = dict(urllib.parse.parse_qsl(query))
    module = lessons.lesson_module(slug)
    values = lessons.defaults(module.CONTROLS)
    for control in module.CONTROLS:
        try:
            values[control.key] = control.parse(query[control.key])
        except (KeyError, ValueError):
            pass
    precomputed.run(module, precomputed.HEAVY[slug], precomputed.kwargs_of(slug, values))
