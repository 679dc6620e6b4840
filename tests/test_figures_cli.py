"""``python -m lessons figure N``: each paper figure's numbers and claims, from the lessons' code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lessons.__main__ import main


def test_figure_1_prints_and_writes_the_closed_forms_and_estimates(tmp_path, capsys):
    import numpy as np

    out = tmp_path / "fig1"
    assert main(["figure", "1", "--samples", "300", "--out", str(out)]) == 0
    fig = json.loads((out / "figure.json").read_text())
    assert fig["figure"] == "1" and fig["columns"][:3] == ["theta", "W exact", "W (POT)"]
    for theta, w_exact, w_pot, js_exact, _js_est, kl, tv in fig["rows"]:
        assert w_exact == pytest.approx(abs(theta))          # W = |θ|
        assert abs(w_pot - abs(theta)) < 0.05                # POT from 300 points per line
        if theta == 0:
            assert (js_exact, kl, tv) == (0.0, 0.0, 0.0)
        else:
            assert js_exact == pytest.approx(np.log(2)) and kl == "inf" and tv == 1.0
    arrays = np.load(out / "figure.npz")
    assert arrays["closed_W"] == pytest.approx(np.abs(arrays["theta"]))
    printed = capsys.readouterr().out
    assert "Figure 1" in printed and "W(P0, Pθ) = |θ| is continuous" in printed


def test_figure_3_and_figures_4_5_report_their_measured_claims(tmp_path, capsys):
    assert main(["figure", "3", "--steps", "60", "--out", str(tmp_path / "f3")]) == 0
    fig3 = json.loads((tmp_path / "f3" / "figure.json").read_text())
    assert [row[0] for row in fig3["rows"]][0].startswith("median |slope|") and len(fig3["claims"]) == 3
    assert main(["figure", "5", "--steps", "20", "--out", str(tmp_path / "f5")]) == 0
    fig45 = json.loads((tmp_path / "f5" / "figure.json").read_text())
    assert [row[0] for row in fig45["rows"]] == ["WGAN", "GAN", "WGAN, learning rate too high"]
    assert all(-1 <= row[-1] <= 1 for row in fig45["rows"] if row[-1] == row[-1])  # Spearman, NaN if flat
    printed = capsys.readouterr().out
    assert "Figure 4" in printed and "Figure 5" in printed and "Spearman" in printed


def test_figure_2_is_compare_and_figure_8_is_two_image_runs(tmp_path, capsys):
    assert main(["figure", "2", "--steps", "4", "--device", "cpu", "--no-progress", "--out", str(tmp_path / "f2")]) == 0
    assert set(json.loads((tmp_path / "f2" / "summary.json").read_text())) >= {"gan", "wgan", "wgan-gp", "verdict"}
    assert main(["figure", "8", "--steps", "1", "--device", "cpu", "--no-progress", "--out", str(tmp_path / "f8")]) == 0
    fig = json.loads((tmp_path / "f8" / "figure.json").read_text())
    assert fig["generator"] == "mlp" and set(fig["runs"]) == {"wgan", "gan"}
    for loss in ("wgan", "gan"):
        assert json.loads((tmp_path / "f8" / loss / "config.json").read_text())["generator"] == "mlp"
    printed = capsys.readouterr().out
    assert "Figure 8" in printed and "sample grids (PNG)" in printed
    assert list((tmp_path / "f8" / "wgan" / "samples").glob("*.png"))


@pytest.mark.parametrize("argv, needle", [
    (["figure", "9"], "invalid choice"),
    (["figure", "3", "--steps", "0"], "--steps must be"),
    (["figure", "4", "--dataset", "digits", "--steps", "20"], "dataset must be"),
    (["figure", "2", "--dataset", "digits"], "--dataset"),
])
def test_figure_bad_values_are_one_clean_line(argv, needle, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_every_lesson_figure_has_its_figure_command():
    """The lessons' PAPER_FIGURES (shown under each lesson with the command) are commands that parse."""
    import lessons
    from lessons.__main__ import build_parser

    shown = {n for info in lessons.COURSE for n in getattr(lessons.lesson_module(info.slug), "PAPER_FIGURES", ())}
    assert shown == {"1", "2", "3", "4", "6", "7", "8"}  # figure 5 is figure 4's command (same three runs)
    for n in shown:
        assert build_parser().parse_args(["figure", n]).number == n


def test_the_command_runs_as_a_module_and_the_lessons_show_it():
    from lessons import figures

    proc = subprocess.run([sys.executable, "-m", "lessons", "figure", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "parallel lines" in proc.stdout
    assert figures.command("2") == "python -m lessons figure 2"
    proc = subprocess.run([sys.executable, "-m", "wgan_core", "figure", "1"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr  # the library has no figure command
