"""Lesson notebooks in JupyterLab, in real Chromium: run all the cells, move a slider, see the figure change;
train a live lesson and see its figures follow the training.

JupyterLab serves a copy of ``notebooks/`` (so autosave never touches the committed files) on loopback
with a token and no browser of its own. One test opens the parallel-lines notebook, runs every cell from
the Run menu, then moves the θ slider of the first widget panel with the keyboard and waits until the
panel's first figure holds other data. The other opens the images notebook with the suite's quick
parameters injected (a copy in the served folder) and checks that the sample grid drawn during training
shows the last step, not the first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from lessons import notebooks
from lessons.notebooks import execute as ex
from lessons.notebooks import recipe
from tests.browser.helpers import wait_until
from tests.conftest import ARTIFACTS, free_port, stop_process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = "wgan-classroom-test"
NOTEBOOK = notebooks.notebook_name("parallel_lines")
PANEL_PLOTS = ".widget-output .js-plotly-plot"
LIVE = "images"
LIVE_NOTEBOOK = f"quick-{notebooks.notebook_name(LIVE)}"
GRID_TITLE = "Fixed noise, step "
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab")
    for path in notebooks.NOTEBOOKS_DIR.glob("*.ipynb"):
        shutil.copy(path, folder / path.name)
    quick = ex.inject(nbformat.read(notebooks.notebook_path(LIVE), as_version=4), recipe(LIVE).quick)
    nbformat.write(quick, folder / LIVE_NOTEBOOK)
    # settings and workspaces of its own: start the notebook's kernel without asking, fetch no news
    settings = tmp_path_factory.mktemp("lab-settings")
    for plugin, values in SETTINGS.items():
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / plugin).write_text(json.dumps(values))
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={folder}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={settings}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"jupyterlab-{port}.log", "w")  # noqa: SIM115 - closed with the server
    proc = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), "JupyterLab answering on loopback", timeout=120)
        yield url
    finally:
        stop_process(proc, timeout=20)
        log.close()


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _first_panel_figure(page) -> str | None:
    """The traces of the first figure inside a widget panel, as JSON (None until it is drawn)."""
    return page.evaluate(
        "(sel) => { const gd = document.querySelector(sel);"
        " return gd && gd.data ? JSON.stringify(gd.data.map(t => [t.x, t.y])) : null; }", PANEL_PLOTS)


def _started(page) -> bool:
    return any(p.strip() not in ("", "[ ]:") for p in page.locator(".jp-InputArea-prompt").all_inner_texts())


def _run_all(page, tries: int = 5) -> None:
    """*Run All Cells* from the Run menu; again if no cell started (a click before the kernel is connected
    does nothing on a loaded machine)."""
    for _ in range(tries):
        _no_question(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        run_all = page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first
        run_all.wait_for(state="visible")
        run_all.click()
        try:
            wait_until(lambda: _started(page), "a cell started", timeout=90)
            return
        except AssertionError:
            continue
    raise AssertionError(f"no cell started after {tries} x Run All Cells")


def _no_question(page) -> bool:
    """Accept a kernel question if JupyterLab asks one (it should not, with ``autoStartDefaultKernel``)."""
    ask = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    if ask.count():
        ask.first.click()
        return False
    return True


def _running(page) -> bool:
    prompts = page.locator(".jp-InputArea-prompt").all_inner_texts()
    return any("*" in p for p in prompts)


def _open_and_run_all(lab, page, notebook: str) -> None:
    page.set_default_timeout(120_000)
    page.goto(f"{lab}/lab/tree/{notebook}?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(state="attached")
    # the widget manager registers its comm target only after the kernel connects; a widget made
    # before that shows "model not found", so give it a moment on a loaded machine
    time.sleep(10)
    _run_all(page)
    wait_until(lambda: _no_question(page) and _started(page) and not _running(page), "every cell run", timeout=400)
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").filter(
        has_text="Error").count() == 0


def _grid_titles(page) -> list[str]:
    """The titles of the sample-grid figures on the page."""
    return page.evaluate(
        "(prefix) => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(gd => gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title))"
        ".filter(t => typeof t === 'string' && t.startsWith(prefix))", GRID_TITLE)


def test_run_all_then_a_slider_redraws_the_figure(lab, page):
    try:
        _run_all_and_move_a_slider(lab, page)
    finally:
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-parallel-lines.png"))


def _run_all_and_move_a_slider(lab, page):
    _open_and_run_all(lab, page, NOTEBOOK)
    # JupyterLab lays out only the cells in view: bring the first panel (θ and its figures) there
    cell = page.locator(".jp-CodeCell", has_text="explore(at").first
    cell.scroll_into_view_if_needed()
    handle = cell.locator(".noUi-handle").first
    handle.wait_for(state="visible")
    before = wait_until(lambda: _first_panel_figure(page), "the first panel's figure drawn", timeout=120)

    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        time.sleep(0.3)
    after = wait_until(lambda: (f := _first_panel_figure(page)) and f != before and f, "the figure redrawn",
                       timeout=120)
    # the model line P_θ is the figure's second trace, drawn at x = θ: it moved right with the slider
    assert json.loads(before)[1][0][0] == pytest.approx(0.5) and json.loads(after)[1][0][0] > 0.5


def test_a_live_notebooks_figures_follow_its_training(lab, page):
    try:
        _open_and_run_all(lab, page, LIVE_NOTEBOOK)
        steps = recipe(LIVE).quick["train_steps"] + recipe(LIVE).quick["more_steps"]
        # the figures are drawn in the training cell, at step 0 and then every redraw_every steps
        cell = page.locator(".jp-CodeCell", has_text="redraw(figures())").first
        cell.scroll_into_view_if_needed()
        titles = wait_until(lambda: _grid_titles(page), "the sample grid drawn", timeout=120)
        assert len(titles) == 1, titles
        wait_until(lambda: _grid_titles(page) == [f"{GRID_TITLE}{steps}"],
                   lambda: f"the grid redrawn at step {steps} (it shows {_grid_titles(page)})", timeout=60)
    finally:
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-live-figures.png"))
