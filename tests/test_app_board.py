"""The class results board: which ended runs are posted (finished, stopped, reset only after 50
steps, never twice), what a post holds, and the Class results section of a live lesson (summary
filled from the board, plot, table, CSV) with the viewer's own runs marked."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pytest
from streamlit.testing.v1 import AppTest

from app import board
from wgan_core.classroom import open_store


@dataclass
class FakeJob:
    """What the board reads of a live job (``wgan_core.live.Job``'s public read side)."""

    id: int
    steps: int
    status: str = "running"
    stop_reason: str = ""
    rows: list = field(default_factory=list)

    def logs(self):
        return self.rows

    def hparams(self):
        return {"wgan": {"clip_value": 0.01, "n_critic": 5, "lr": 5e-5, "batch_size": 64},
                "wgan-gp": {"lambda_gp": 10.0, "n_critic": 5, "lr": 1e-4}}


def rows(step: int) -> list[dict]:
    return [{"member": "wgan", "g_step": step, "w1_exact": 0.4, "modes": 5, "critic_estimate": 0.01},
            {"member": "wgan-gp", "g_step": step, "w1_exact": 0.1, "modes": 8, "critic_estimate": 0.2}]


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    path = tmp_path / "class.sqlite3"
    monkeypatch.setenv("WGAN_CLASS_DB", str(path))
    return open_store(path)


def test_a_post_holds_the_settings_and_last_values_of_each_member():
    job = FakeJob(1, 120, "finished", rows=rows(100) + rows(120))
    points = dict((s["method"], (s, m)) for s, m in board.run_points(job, {"seed": 3, "dataset": "8gaussians"}))
    settings, measured = points["wgan"]
    assert settings == {"method": "wgan", "steps": 120, "clip_value": 0.01, "n_critic": 5, "lr": 5e-5, "seed": 3,
                        "dataset": "8gaussians"}  # batch_size is not a live hyper-parameter
    assert measured == {"w1_exact": 0.4, "modes": 5, "critic_estimate": 0.01}
    assert points["wgan-gp"][0]["lambda_gp"] == 10.0


@pytest.mark.parametrize(("status", "reason", "steps", "posted"), [
    ("finished", "", 10, True),
    ("stopped", "stopped by the user", 3, True),
    ("stopped", "stopped by the teacher", 3, True),
    ("stopped", "reset by the user", 49, False),
    ("stopped", "reset by the user", 50, True),
    ("stopped", "the lesson's settings changed", 20, False),
    ("failed", "", 500, False),
])
def test_which_ended_runs_are_posted(status, reason, steps, posted):
    assert board.worth_posting(FakeJob(1, steps, status, reason, rows(steps))) is posted


def _board_page(slug, jobs, settings):
    from app import board

    board.class_board_ui(slug, jobs.pop(0) if jobs else None, settings)


def test_the_section_posts_an_ended_run_once_and_plots_the_class(class_db):
    class_db.post_run("mode_collapse", "someone else", {"method": "wgan", "clip_value": 0.1, "steps": 400},
                      {"w1_exact": 0.9, "modes": 2})
    job = FakeJob(7, 80, rows=rows(80))
    jobs = [job, job, None]
    at = AppTest.from_function(_board_page, args=("mode_collapse", jobs, {"seed": 0}), default_timeout=60).run()
    assert not at.exception and len(class_db.board("mode_collapse")) == 1  # running: not posted yet
    job.status, job.stop_reason = "stopped", "reset by the user"  # reset after 80 steps
    at.run()
    at.run()  # the next run no longer has the job, and posts nothing twice
    runs = class_db.board("mode_collapse")
    assert [r.settings["method"] for r in runs] == ["wgan", "wgan", "wgan-gp"]
    assert runs[1].student == runs[2].student == at.session_state["class.student"]
    summary = next(m.value for m in at.markdown if m.value.startswith("The board holds"))
    assert "3 runs from 2 sessions (2 wgan, 1 wgan-gp)" in summary
    assert "Lowest exact W₁: 0.100 (wgan-gp, 80 steps); highest: 0.900 (wgan at c = 0.1)" in summary
    assert "c = 0.01 to 0.1" in summary
    assert len(at.get("plotly_chart")) == 2  # clip c vs exact W1 and vs modes
    assert len(at.dataframe[0].value) == 3
    table = list(csv.DictReader(io.StringIO(board.csv_bytes(board.board_rows(runs, "me")).decode())))
    assert [r["method"] for r in table] == ["wgan", "wgan", "wgan-gp"] and table[2]["w1_exact"] == "0.1"


def test_own_runs_are_stars_and_hover_text_is_escaped():
    from plots.board import board_figure

    rows_ = [{"method": "wgan", "clip_value": 0.01, "own": True, "settings": {"seed": "<b>x</b>"}, "w1_exact": 0.2},
             {"method": "wgan", "clip_value": 0.1, "own": False, "settings": {"seed": 1}, "w1_exact": 0.3},
             {"method": "wgan-gp", "clip_value": None, "own": False, "settings": {}, "w1_exact": 0.1}]
    fig = board_figure(rows_, "w1_exact", "t")
    (points,) = fig.data
    assert list(points.marker.symbol) == ["star", "circle"] and fig.layout.xaxis.type == "log"
    assert "<b>" not in points.hovertext[0] and "&lt;b&gt;" in points.hovertext[0]
    assert fig.layout.shapes[0].y0 == pytest.approx(0.1)  # WGAN-GP: the dashed mean


def test_without_a_store_the_section_says_the_board_is_off(tmp_path, monkeypatch):
    bad = tmp_path / "class.sqlite3"
    bad.write_bytes(b"garbage " * 1000)
    monkeypatch.setenv("WGAN_CLASS_DB", str(bad))
    at = AppTest.from_function(_board_page, args=("images", [], {}), default_timeout=60).run()
    assert not at.exception and any("board is off" in c.value for c in at.caption)
