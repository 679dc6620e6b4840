"""Export helpers of the live lessons: metric logs as CSV, plotly figures as PNG through kaleido, rate-limited."""

from __future__ import annotations

import csv
import io
import threading

import plotly.graph_objects as go
import pytest

from app import live_export as live


def test_metrics_csv_has_one_row_per_log_and_the_union_of_columns():
    logs = [{"member": "gan", "g_step": 0, "w1_exact": 1.5},
            {"member": "wgan", "g_step": 0, "w1_exact": 1.25, "clip_value": 0.01, "weights": {"x": 1}}]
    rows = list(csv.DictReader(io.StringIO(live.metrics_csv(logs))))
    assert [r["member"] for r in rows] == ["gan", "wgan"]
    assert rows[0]["clip_value"] == "" and rows[1]["clip_value"] == "0.01" and float(rows[1]["w1_exact"]) == 1.25
    assert "weights" not in rows[0]  # nested values are not flattened into cells
    assert live.metrics_csv([]).strip() == ""


def test_png_export_names_a_missing_browser(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chrome"))
    with pytest.raises(RuntimeError, match="BROWSER_PATH"):
        live.figure_png(go.Figure())


def test_png_export_renders_with_the_system_chromium(monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1]))
    png = live.figure_png(fig, width=320, height=240)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (320, 240)


def test_png_exports_are_limited_per_session_and_one_at_a_time():
    limiter = live.ExportLimiter(every_s=60.0)
    assert limiter.run("a", lambda: b"png") == b"png"
    with pytest.raises(RuntimeError, match="one PNG export every 60 s per student: try again in"):
        limiter.run("a", lambda: b"png")
    assert limiter.run("b", lambda: b"other") == b"other"  # another session is not held back by a
    entered, leave = threading.Event(), threading.Event()

    def slow() -> bytes:
        entered.set()
        leave.wait(10)
        return b"slow"

    worker = threading.Thread(target=limiter.run, args=("c", slow))
    worker.start()
    assert entered.wait(10)
    with pytest.raises(RuntimeError, match="another student's PNG export is being rendered"):
        limiter.run("d", lambda: b"png")
    leave.set()
    worker.join(10)
    assert limiter.run("d", lambda: b"png") == b"png"  # the render slot is free again
    with pytest.raises(ValueError, match="boom"):  # a failing render frees the slot too
        limiter.run("e", lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert limiter.run("f", lambda: b"png") == b"png"
