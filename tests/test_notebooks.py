"""The lesson notebooks: built from the lesson modules, committed as built, and run top to bottom.

Each committed notebook runs with papermill's own command line (the recipe's quick parameters), must
end without an error output or a hang, and must show one fact of its lesson in its printed output; one
runs with ``jupyter nbconvert --to notebook --execute`` at its defaults. Bad parameters stop in the
validation cell with the lesson's own message (a plain ``nbclient.NotebookClient`` run).
"""

from __future__ import annotations

import ast
import json
import math
import re

import pytest

import lessons
from lessons import notebooks
from lessons.notebooks import execute as ex
from lessons.notebooks import recipe
from lessons.notebooks.widgets import FIGURE_CLASS, Redraw

SLUGS = notebooks.buildable_slugs()


def _numbers(pattern: str, text: str) -> list[float]:
    match = re.search(pattern, text)
    assert match, f"no line matching {pattern!r} in the output:\n{text[-3000:]}"
    return [float(g) for g in match.groups()]


# ---------------------------------------------------------------------------------------------
# Built, not hand-kept
# ---------------------------------------------------------------------------------------------

def test_every_course_lesson_has_a_notebook_named_by_its_slug_in_course_order():
    assert SLUGS == [i.slug for i in lessons.COURSE if lessons.has_module(i.slug)]
    names = [notebooks.notebook_name(s) for s in SLUGS]
    assert names == sorted(names) and all(s in n for s, n in zip(SLUGS, names, strict=True))
    index = notebooks.build_index().cells[0].source
    assert [index.index(n) for n in names] == sorted(index.index(n) for n in names)


def test_committed_notebooks_are_a_fresh_build_without_outputs():
    assert notebooks.stale() == [], "run: python -m lessons.notebooks build"
    for path in notebooks.NOTEBOOKS_DIR.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), path.name


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_uses_the_lesson_text_controls_and_the_app_builders(slug):
    module = lessons.lesson_module(slug)
    nb = notebooks.build_notebook(slug)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert module.TITLE in markdown
    assert all(point in markdown for point in module.WHAT_TO_NOTICE)
    for exercise in module.EXERCISES:
        assert exercise.question in markdown
        assert f"<details><summary>Answer</summary>\n\n{exercise.answer}\n\n</details>" in markdown
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assigned = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(params[0].source).body}
    for control in notebooks.lesson_controls(module):
        assert assigned[control.key] == control.default, control.key
    after = nb.cells[nb.cells.index(params[0]) + 1].source
    assert "validate_controls(lesson, dict(" in after
    assert re.search(r"^from plots import", source, re.M), "draws with the app's figure builders"
    assert "explore(" in source and "interact(" not in source
    for needle in ("urlopen", "requests", "urllib", "wget", "curl ", "http://", "https://", "pip install"):
        assert needle not in source, f"{slug} notebook code mentions {needle!r}"


LIVE = ["mode_collapse", "clipping_vs_gp", "images"]


@pytest.mark.parametrize("slug", LIVE)
def test_live_notebooks_train_with_tqdm_and_change_knobs_mid_run(slug):
    source = "\n".join(c.source for c in notebooks.build_notebook(slug).cells if c.cell_type == "code")
    assert "lesson.build_members(" in source and "from tqdm.auto import tqdm" in source
    assert "redraw(figures())" in source and ".set_hparams(**knobs)" in source
    # they train through the one outer loop of every run, with the live job's log round
    assert "drive(step_members, steps," in source and "member_logs(members, extra)" in source
    assert ".step()" in source.split("def step_members():")[1].split("def train(")[0]
    assert source.count(".step()") == 1, "no second training loop in the notebook"


def test_redraw_shows_each_figure_once_and_replaces_its_drawing(monkeypatch):
    import IPython.display
    import plotly.graph_objects as go

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    redraw = Redraw()
    for step in (0, 1, 2):
        redraw({"grid": go.Figure(layout_title_text=f"step {step}"), "curve": go.Figure(go.Scatter(y=[step]))})
    assert shown == [redraw.views["grid"], redraw.views["curve"]]
    assert all(FIGURE_CLASS in view._dom_classes for view in shown)
    (grid,), (curve,) = redraw.views["grid"].outputs, redraw.views["curve"].outputs
    assert grid["data"][PLOTLY]["layout"]["title"]["text"] == "step 2"
    assert curve["data"][PLOTLY]["data"][0]["y"] == [2]


def test_the_images_notebooks_trainer_uses_one_thread_whatever_the_kernel_has():
    """A kernel starts with a torch thread per core; two OpenMP threads on the classroom's small networks
    spin at every op's barrier on a busy machine (10-20x the CPU time of a step), so the lesson's
    trainer trains, measures and samples on one and leaves the kernel's count as it was."""
    import torch

    import lessons.images as lesson

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        run = lesson.build_members(dict(dataset="digits", generator="dcgan-nobn", method="wgan", seed=0))["run"]
        seen = []
        for net in (run.trainer.generator, run.trainer.critic):
            net.register_forward_pre_hook(lambda *_: seen.append(torch.get_num_threads()))
        run.step()
        after_step = len(seen)
        run.metrics()
        run.snapshot()
        assert 0 < after_step < len(seen) and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------------
# Validation of the parameters
# ---------------------------------------------------------------------------------------------

def _spec_message(module, key: str, text: str) -> str:
    spec = next(c for c in notebooks.lesson_controls(module) if c.key == key)
    with pytest.raises(ValueError) as info:
        spec.parse(text)
    return str(info.value)


def test_validate_controls_gives_the_lesson_specs_message():
    import lessons.optimal_critic as oc
    import lessons.parallel_lines as pl

    with pytest.raises(ValueError) as info:
        notebooks.validate_controls(oc, {"clip_value": 0})
    assert str(info.value) == _spec_message(oc, "clip_value", "0")
    with pytest.raises(ValueError, match=r"^n="):
        notebooks.validate_controls(pl, {"n": -10})
    with pytest.raises(ValueError, match="n must be a whole number"):
        notebooks.validate_controls(pl, {"n": 2.5})
    with pytest.raises(ValueError, match="theta must be a number"):
        notebooks.validate_controls(pl, {"theta": "0.5"})
    with pytest.raises(ValueError, match="tehta is not a control"):
        notebooks.validate_controls(pl, {"tehta": 0.5})
    assert notebooks.validate_controls(pl, {"theta": 0.25, "decay": True}) == {"theta": 0.25, "decay": True}


@pytest.mark.slow
@pytest.mark.parametrize("slug, key, bad", [("optimal_critic", "clip_value", 0.0), ("parallel_lines", "n", -10),
                                            ("mode_collapse", "train_steps", -5)])
def test_a_bad_parameter_stops_in_the_notebook_with_the_lessons_message(slug, key, bad):
    nb, _ = ex.execute(slug, {key: bad}, timeout=120)
    errors = ex.errors(nb)
    assert len(errors) == 1, errors
    error = errors[0]
    module = lessons.lesson_module(slug)
    spec = next(c for c in [*notebooks.lesson_controls(module), *recipe(slug).extra] if c.key == key)
    with pytest.raises(ValueError) as expected:
        spec.parse(str(bad))
    assert error["ename"] == "ValueError" and error["evalue"] == str(expected.value)
    assert "validate_controls" in nb.cells[error["cell"]].source
    assert "torch" not in error["traceback"]
    assert all(not c.get("outputs") for c in nb.cells[error["cell"] + 1:]), "nothing runs after the bad value"


# ---------------------------------------------------------------------------------------------
# Every notebook runs top to bottom and shows its lesson's fact
# ---------------------------------------------------------------------------------------------

def _fact_distances(text):
    cost, surplus = _numbers(r"W = ([\d.]+) shovel-units = sum of \|running surplus\| = ([\d.]+)", text)
    assert cost == pytest.approx(surplus)
    kl_pq, kl_qp = _numbers(r"KL\(P\|\|Q\) = ([\d.]+), KL\(Q\|\|P\) = ([\d.]+)$", text.replace("\r", ""))
    assert abs(kl_pq - kl_qp) > 1e-3, "KL is not symmetric"


def _fact_parallel_lines(text):
    w, theta, js, log2 = _numbers(r"W = ([\d.]+) and \|theta\| = ([\d.]+);  JS = ([\d.]+) and log 2 = ([\d.]+)", text)
    assert w == pytest.approx(theta, abs=1e-6) and js == pytest.approx(math.log(2), abs=1e-6) and log2 > 0


def _fact_gan_objective(text):
    (gap,) = _numbers(r"\|difference\|\s+= ([\d.e+-]+)", text)
    assert gap < 1e-6, "L(G, D*) = 2 JS - 2 log 2"


def _fact_nash(text):
    start, end = _numbers(r"simultaneous: radius ([\d.]+) -> ([\d.]+)", text)
    (spread,) = _numbers(r"spread of Q = .*: ([\d.e+-]+)", text)
    assert end > 1.5 * start and spread < 1e-9


def _fact_vanishing_gradients(text):
    (gan,) = _numbers(r"GAN gradient: .* fell ([\d.]+) orders", text)
    (wgan,) = _numbers(r"WGAN gradient: .* fell ([\d.]+) orders", text)
    assert gan > wgan + 1.0


def _fact_optimal_critic(text):
    disc, critic = _numbers(r"\|grad D\| at fake samples \(median\) = ([\d.e+-]+)\n.*\|grad f\| at fake samples "
                            r"\(median\) = ([\d.e+-]+)", text)
    assert disc < 0.1 * critic, "the saturated discriminator's slope vanishes where the critic's does not"


def _fact_meaningful_loss(text):
    rhos = [float(r) for r in re.findall(r"Spearman rho\(loss, exact W1\) = ([+-][\d.]+|nan)", text)]
    assert len(rhos) == 3 and rhos[0] > 0.2 and rhos[0] > rhos[1], "the WGAN critic's loss follows the exact W1"


def _fact_optimizers(text):
    shares = [float(s) for s in re.findall(r"negative-cosine critic steps ([\d.]+)%", text)]
    assert len(shares) == 2 and shares[1] > shares[0], "momentum turns more critic steps against the gradient"


def _hparams_after_change(text) -> dict:
    line = next(line for line in text.splitlines() if line.startswith("{") and "n_critic" in line)
    return ast.literal_eval(line)


def _fact_live(slug):
    def check(text):
        hp = _hparams_after_change(text)
        defaults = lessons.defaults(lessons.lesson_module(slug).LIVE_CONTROLS)
        for member, knobs in hp.items():
            assert knobs["n_critic"] == 1, member
            if "clip_value" in knobs and (slug != "mode_collapse" or member == "wgan"):
                clipped = member in ("wgan", "run")
                assert knobs["clip_value"] == pytest.approx(defaults["clip_value"] / (10 if clipped else 1)), member
    return check


def _fact_clipping_vs_gp(text):
    grads = [float(g) for g in re.findall(r"mean \|grad f\| at fakes = ([\d.e+-]+)", text)]
    assert len(grads) >= 3 and grads[0] < grads[-1], "a tiny clip c makes the critic's gradient vanish"
    _fact_live("clipping_vs_gp")(text)


def _fact_images(text):
    largest, clip = _numbers(r"largest \|critic weight\| = ([\d.e+-]+); clip c = ([\d.e+-]+)", text)
    assert largest <= clip * (1 + 1e-6), "clipping keeps every critic weight inside [-c, c]"
    _fact_live("images")(text)


FACTS = {
    "distances": _fact_distances, "parallel_lines": _fact_parallel_lines, "gan_objective": _fact_gan_objective,
    "nash": _fact_nash, "vanishing_gradients": _fact_vanishing_gradients, "optimal_critic": _fact_optimal_critic,
    "meaningful_loss": _fact_meaningful_loss, "optimizers": _fact_optimizers,
    "mode_collapse": _fact_live("mode_collapse"),
    "clipping_vs_gp": _fact_clipping_vs_gp, "images": _fact_images,
}


def test_every_notebook_has_a_fact_check():
    assert set(FACTS) == set(SLUGS)


#: Notebooks whose widget panels draw at once (the others wait for their Run button).
DRAWN_PANELS = {"distances", "parallel_lines", "gan_objective", "nash", "meaningful_loss"}
PLOTLY = "application/vnd.plotly.v1+json"


def _no_errors(nb) -> None:
    errors = ex.errors(nb)
    assert not errors, f"{errors[0]['ename']}: {errors[0]['evalue']}\n{errors[0]['traceback'][-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_runs_with_papermill_and_shows_its_fact(slug, tmp_path):
    nb, _, status = ex.papermill(slug, tmp_path / notebooks.notebook_name(slug), quick=True, timeout=300)
    _no_errors(nb)
    assert status == 0, (tmp_path / notebooks.notebook_name(slug)).with_suffix(".log").read_text()[-3000:]
    FACTS[slug](ex.text_output(nb))
    panels = ex.panel_outputs(nb)
    assert panels, "the notebook shows its controls in a widget panel"
    drawn = [any(PLOTLY in o.get("data", {}) for o in outputs) for outputs in panels]
    assert all(drawn) if slug in DRAWN_PANELS else not any(drawn), drawn
    if slug in LIVE:  # each live figure drawn in one place, holding its last drawing, none appended
        figures = ex.panel_outputs(nb, FIGURE_CLASS)
        assert figures and all(len(f) == 1 and PLOTLY in f[0]["data"] for f in figures), figures
        training = [c for c in nb.cells if c.cell_type == "code" and re.search(r"^train\(", c.source, re.M)]
        assert training and not [o for c in training for o in c.outputs if PLOTLY in o.get("data", {})]


@pytest.mark.slow
def test_the_gan_objective_notebook_runs_with_nbconvert_at_its_defaults(tmp_path):
    nb, _, status = ex.nbconvert("gan_objective", tmp_path / "out.ipynb", timeout=300)
    _no_errors(nb)
    assert status == 0, (tmp_path / "out.log").read_text()[-3000:]
    _fact_gan_objective(ex.text_output(nb))
    panels = ex.panel_outputs(nb)
    assert panels and all(any(PLOTLY in o.get("data", {}) for o in outputs) for outputs in panels)


def test_each_lesson_page_offers_its_notebook_as_a_download():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(notebooks.ROOT / "app" / "views" / "nash.py"), default_timeout=60).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download this lesson as a notebook",
                                                "Download the lesson pack (notebook + course package)"]
    for slug in SLUGS:
        assert notebooks.notebook_path(slug).exists(), slug
