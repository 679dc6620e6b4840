"""Export helpers of the live lessons: metric logs as CSV, plotly figures as PNG through kaleido."""

from __future__ import annotations

import csv
import io

import plotly.graph_objects as go
import pytest

from app import live


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
